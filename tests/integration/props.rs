//! Property tests over generated specs (proptest): what synth emits lets an identity reach its
//! own `${identity}` subtrees and the declared shared topics, never another identity's; retained
//! publishes only where an entry says `retain: true`; and no
//! policy resource carries MQTT `+`/`#` (which policies read literally).

use proptest::prelude::*;

use cogsynth::compile::compile;
use cogsynth::mqtt::matches as mqtt_matches;
use cogsynth::policy::doc::{RoleView, all_statements, role_views};
use cogsynth::policy::eval::{Request, evaluate};
use cogsynth::policy::mapping::{claims_from_pairs, pool_mappings};

const ME: &str = "us-east-1:aaaa-1111";
const OTHER: &str = "eu-west-1:bbbb-2222";

/// One level of a pattern: a literal, or `+`.
fn level() -> impl Strategy<Value = String> {
    prop_oneof![3 => "[a-r]{1,4}", 1 => Just("+".to_owned())]
}

/// A per-identity pattern: literal prefix, `${identity}`, then levels and maybe `#`.
fn own_pattern() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-r]{1,4}", 1..3),
        prop::collection::vec(level(), 0..3),
        any::<bool>(),
    )
        .prop_map(|(pre, post, hash)| {
            let mut levels = pre;
            levels.push("${identity}".to_owned());
            levels.extend(post);
            if hash {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
}

/// A shared pattern, always under `shared/`.
fn shared_pattern() -> impl Strategy<Value = String> {
    (prop::collection::vec(level(), 1..3), any::<bool>()).prop_map(|(levels, hash)| {
        let mut all = vec!["shared".to_owned()];
        all.extend(levels);
        if hash {
            all.push("#".to_owned());
        }
        all.join("/")
    })
}

/// A topic matching `pattern` for `identity`: `+` becomes a level, `#` zero or more levels.
fn instance(pattern: &str, identity: &str, fill: &[String]) -> String {
    let mut out = Vec::new();
    for (i, l) in pattern.split('/').enumerate() {
        match l {
            "${identity}" => out.push(identity.to_owned()),
            "+" => out.push(fill[i % fill.len()].clone()),
            "#" => out.extend(fill.iter().take(i % 3).cloned()),
            lit => out.push(lit.to_owned()),
        }
    }
    out.join("/")
}

/// A filter narrower than or equal to `pattern` for `identity`: wildcards kept or filled in.
fn narrower(pattern: &str, identity: &str, fill: &[String], keep: &[bool]) -> String {
    let mut out = Vec::new();
    for (i, l) in pattern.split('/').enumerate() {
        let k = keep[i % keep.len()];
        match l {
            "${identity}" => out.push(identity.to_owned()),
            "+" if k => out.push("+".to_owned()),
            "+" => out.push(fill[i % fill.len()].clone()),
            "#" if k => out.push("#".to_owned()),
            "#" => {
                out.push(fill[i % fill.len()].clone());
                out.push("#".to_owned());
            }
            lit => out.push(lit.to_owned()),
        }
    }
    out.join("/")
}

fn spec(publish: &[String], subscribe: &[String]) -> String {
    spec_retaining(publish, &[], subscribe)
}

/// A spec whose publish entries in `retained` carry `retain: true`.
fn spec_retaining(publish: &[String], retained: &[String], subscribe: &[String]) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let entries = publish
        .iter()
        .map(|t| {
            if retained.contains(t) {
                format!("{{ topic: \"{t}\", retain: true }}")
            } else {
                format!("\"{t}\"")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let mut scope = format!("    publish: [{entries}]\n");
    if !subscribe.is_empty() {
        scope.push_str(&format!("    subscribe: [{}]\n", list(subscribe)));
    }
    format!(
        "version: 1\nstack: p\ntopic_scopes:\n  s:\n{scope}roles:\n  member: {{ scopes: [s] }}\nidentity_pools:\n  app:\n    user_pools: [{{ user_pool_id: us-east-1_Abc, client_id: abc }}]\n    authenticated: member\n"
    )
}

fn member(text: &str) -> (RoleView, serde_json::Value) {
    let (c, diags) = compile("p.yaml", text.as_bytes());
    let c = c.unwrap_or_else(|| panic!("{text}\n{diags:?}"));
    let view = role_views(&c.json)
        .into_iter()
        .find(|v| v.role == "member")
        .expect("member role");
    (view, c.json)
}

fn allowed(view: &RoleView, identity: &str, request: &str) -> bool {
    evaluate(view, identity, &Request::parse(request).expect("request")).allowed
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    #[test]
    fn grants_stay_within_own_identity_and_shared_topics(
        own_pub in prop::collection::vec(own_pattern(), 1..3),
        shared_pub in prop::collection::vec(shared_pattern(), 0..2),
        own_sub in prop::collection::vec(own_pattern(), 0..3),
        fill in prop::collection::vec("[s-z]{1,3}", 1..4),
        keep in prop::collection::vec(any::<bool>(), 1..4),
        retain in prop::collection::vec(any::<bool>(), 1..4),
    ) {
        // Duplicates are an error in specs (tested elsewhere): keep one of each.
        let mut publish: Vec<String> = own_pub.iter().chain(&shared_pub).cloned().collect();
        publish.sort();
        publish.dedup();
        let mut subscribe = own_sub.clone();
        subscribe.sort();
        subscribe.dedup();
        // Some own publish entries may retain.
        let retained: Vec<String> = own_pub
            .iter()
            .enumerate()
            .filter(|(i, _)| retain[i % retain.len()])
            .map(|(_, p)| p.clone())
            .collect();
        let (view, json) = member(&spec_retaining(&publish, &retained, &subscribe));

        for pattern in &own_pub {
            let mine = instance(pattern, ME, &fill);
            let theirs = instance(pattern, OTHER, &fill);
            prop_assert!(allowed(&view, ME, &format!("publish {mine}")), "own topic {mine} of {pattern} denied");
            prop_assert!(!allowed(&view, ME, &format!("publish {theirs}")), "other's topic {theirs} of {pattern} allowed");
            prop_assert!(!allowed(&view, ME, &format!("publish-retained {theirs}")), "retained publish to other's topic {theirs} of {pattern} allowed");
            if retained.contains(pattern) {
                prop_assert!(allowed(&view, ME, &format!("publish-retained {mine}")), "retained publish to own topic {mine} of {pattern} denied");
            }
        }
        if retained.is_empty() {
            for pattern in &own_pub {
                let mine = instance(pattern, ME, &fill);
                prop_assert!(!allowed(&view, ME, &format!("publish-retained {mine}")), "retained publish {mine} allowed without a retain entry");
            }
        }
        for pattern in &shared_pub {
            let t = instance(pattern, ME, &fill);
            // Shared topics (`shared/...`) never carry `retain: true` here.
            prop_assert!(!allowed(&view, ME, &format!("publish-retained {t}")), "shared topic {t} retained without a retain entry");
        }
        for pattern in &shared_pub {
            let t = instance(pattern, ME, &fill);
            prop_assert!(allowed(&view, ME, &format!("publish {t}")), "shared topic {t} denied");
        }
        for pattern in &own_sub {
            let mine = narrower(pattern, ME, &fill, &keep);
            let theirs = narrower(pattern, OTHER, &fill, &keep);
            prop_assert!(allowed(&view, ME, &format!("subscribe {mine}")), "own filter {mine} of {pattern} denied");
            prop_assert!(!allowed(&view, ME, &format!("subscribe {theirs}")), "other's filter {theirs} allowed");
            let delivered = instance(pattern, ME, &fill);
            let stolen = instance(pattern, OTHER, &fill);
            prop_assert!(allowed(&view, ME, &format!("receive {delivered}")), "receive {delivered} denied");
            prop_assert!(!allowed(&view, ME, &format!("receive {stolen}")), "receive {stolen} allowed");
        }
        let (own_id, other_id) = (format!("connect {ME}"), format!("connect {OTHER}"));
        prop_assert!(allowed(&view, ME, &own_id), "own client id denied");
        prop_assert!(!allowed(&view, ME, &other_id), "other's client id allowed");

        for s in all_statements(&json) {
            for r in &s.resources {
                prop_assert!(!r.contains('+') && !r.contains('#'), "MQTT wildcard in policy resource {r}");
            }
        }
    }
}

/// A per-identity subtree that shares its first level with the shared grants: `a/${identity}/…`.
fn overlapping_own() -> impl Strategy<Value = String> {
    (
        prop_oneof![Just("a"), Just("b")],
        prop::collection::vec(prop_oneof![Just("c"), Just("d"), Just("+")], 0..2),
        any::<bool>(),
    )
        .prop_map(|(first, rest, hash)| {
            let mut levels = vec![first.to_owned(), "${identity}".to_owned()];
            levels.extend(rest.into_iter().map(str::to_owned));
            if hash {
                levels.push("#".to_owned());
            }
            levels.join("/")
        })
}

/// A shared grant over the same levels, with `+` where an identity id may stand.
fn overlapping_shared() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop_oneof![Just("a"), Just("b"), Just("c"), Just("+")],
            1..4,
        ),
        any::<bool>(),
    )
        .prop_map(|(levels, hash)| {
            let mut all: Vec<String> = levels.into_iter().map(str::to_owned).collect();
            if hash {
                all.push("#".to_owned());
            }
            all.join("/")
        })
        .prop_filter("no identity", |p| !p.contains("${identity}"))
}

/// Topics that `pattern` (or its translation) may reach for identity `id`: each `+` filled with
/// one level, several levels, or an identity id, each `#` with nothing or a level or two.
fn probes(pattern: &str, id: &str) -> Vec<String> {
    let pluses = [
        "x",
        "x/y",
        ME,
        OTHER,
        &format!("{OTHER}/x"),
        &format!("x/{OTHER}"),
    ]
    .map(str::to_owned);
    let hashes = ["", "x", "x/y"];
    let mut out = Vec::new();
    for plus in &pluses {
        for hash in hashes {
            let levels: Vec<String> = pattern
                .split('/')
                .filter_map(|l| match l {
                    "${identity}" => Some(id.to_owned()),
                    "+" => Some(plus.clone()),
                    "#" if hash.is_empty() => None,
                    "#" => Some(hash.to_owned()),
                    lit => Some(lit.to_owned()),
                })
                .collect();
            out.push(levels.join("/"));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Shared `+` grants next to per-identity subtrees under the same levels: every topic the
    /// generated policies let identity ME publish or receive either matches the spec's MQTT
    /// grants exactly, or is a broadening that never falls inside another identity's subtree.
    /// A spec where it would is refused (CIP-IOTP-010 and its kin), so synth never writes it.
    #[test]
    fn broadened_grants_never_reach_another_identitys_subtree(
        own in prop::collection::vec(overlapping_own(), 1..3),
        shared in prop::collection::vec(overlapping_shared(), 1..3),
        subscribe_shared in any::<bool>(),
    ) {
        let mut publish: Vec<String> = own.clone();
        let mut subscribe: Vec<String> = own.clone();
        if subscribe_shared { subscribe.extend(shared.iter().cloned()) } else { publish.extend(shared.iter().cloned()) }
        publish.sort();
        publish.dedup();
        subscribe.sort();
        subscribe.dedup();
        let text = spec(&publish, &subscribe);
        let (c, diags) = compile("p.yaml", text.as_bytes());
        let refused = diags.iter().any(|d| d.severity == cogsynth::diag::Severity::Error);
        let Some(c) = c.filter(|_| !refused) else {
            return Ok(()); // synth writes nothing for this spec
        };
        let view = role_views(&c.json).into_iter().find(|v| v.role == "member").expect("member");
        let theirs = |t: &str| own.iter().any(|p| mqtt_matches(&p.replace("${identity}", OTHER), t));
        for (verb, granted) in [("publish", &publish), ("receive", &subscribe)] {
            let exact = |t: &str| granted.iter().any(|p| mqtt_matches(&p.replace("${identity}", ME), t));
            for pattern in publish.iter().chain(&subscribe) {
                for id in [ME, OTHER] {
                    for t in probes(pattern, id) {
                        if t.is_empty() || !allowed(&view, ME, &format!("{verb} {t}")) {
                            continue;
                        }
                        prop_assert!(
                            exact(&t) || !theirs(&t),
                            "{verb} {t} is allowed for {ME} beyond the spec's grants and inside {OTHER}'s subtree\n{text}"
                        );
                    }
                }
            }
        }
    }
}

/// One generated role: publish and subscribe patterns, per-identity or shared.
fn role_grants_strategy() -> impl Strategy<Value = (Vec<String>, Vec<String>)> {
    (
        prop::collection::vec(prop_oneof![own_pattern(), shared_pattern()], 1..3),
        prop::collection::vec(prop_oneof![own_pattern(), shared_pattern()], 0..3),
    )
}

/// A pool of `roles` (role `r0`, `r1`, ...), mapped by `rules` (group index, role index) with the
/// default role `default` (or `unmatched: deny`).
fn mapped_spec(
    roles: &[(Vec<String>, Vec<String>)],
    mapping: &[(usize, usize)],
    default: Option<usize>,
) -> String {
    let list = |v: &[String]| {
        let mut v = v.to_vec();
        v.sort();
        v.dedup();
        v.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut text = String::from("version: 1\nstack: p\ntopic_scopes:\n");
    for (i, (publish, subscribe)) in roles.iter().enumerate() {
        text.push_str(&format!("  s{i}:\n    publish: [{}]\n", list(publish)));
        if !subscribe.is_empty() {
            text.push_str(&format!("    subscribe: [{}]\n", list(subscribe)));
        }
    }
    text.push_str("roles:\n");
    for i in 0..roles.len() {
        text.push_str(&format!("  r{i}: {{ scopes: [s{i}] }}\n"));
    }
    text.push_str("identity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated:\n      rules:\n");
    for (group, role) in mapping {
        text.push_str(&format!(
            "        - {{ claim: \"cognito:groups\", equals: g{group}, role: r{role} }}\n"
        ));
    }
    match default {
        Some(d) => text.push_str(&format!("      default: r{d}\n")),
        None => text.push_str("      unmatched: deny\n"),
    }
    text
}

/// The same role alone: `authenticated: r{role}`, so both layers hold its grants only.
fn alone_spec(roles: &[(Vec<String>, Vec<String>)], role: usize) -> String {
    let mapped = mapped_spec(roles, &[(0, role)], Some(role));
    let cut = mapped.find("    authenticated:\n").expect("authenticated");
    format!("{}    authenticated: r{role}\n", &mapped[..cut])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, .. ProptestConfig::default() })]

    /// Role mapping never gives more than the mapped role: for any claim set, the identity's
    /// access on the generated template (its role's IAM policy and the pool's IoT policies,
    /// which hold every role's grants) equals the access of its mapped role alone (a stack whose
    /// only signed-in role it is), for every request the pool's roles could make; a token the
    /// mapping denies gets nothing; and Cognito's choice as read from the template is the first
    /// matching rule, else the default. Roles a token could also ask for (CustomRoleArn) are
    /// held to their own grants the same way.
    #[test]
    fn no_claim_set_yields_more_than_its_mapped_role(
        roles in prop::collection::vec(role_grants_strategy(), 2..4),
        rule_roles in prop::collection::vec(0usize..3, 1..4),
        default in prop::option::of(0usize..3),
        groups in prop::collection::vec(any::<bool>(), 4),
        fill in prop::collection::vec("[s-z]{1,3}", 1..3),
    ) {
        let n = roles.len();
        // Rule i matches group g{i}; group g3 matches no rule.
        let rules: Vec<(usize, usize)> = rule_roles.iter().enumerate().map(|(i, r)| (i, r % n)).collect();
        let default = default.map(|d| d % n);
        let text = mapped_spec(&roles, &rules, default);
        let (c, diags) = compile("p.yaml", text.as_bytes());
        let refused = diags.iter().any(|d| d.severity == cogsynth::diag::Severity::Error);
        let Some(c) = c.filter(|_| !refused) else {
            return Ok(()); // refused specs (e.g. cross-identity wildcards) write nothing
        };
        let views = role_views(&c.json);
        let mappings = pool_mappings(&c.json, &views);
        let mapping = mappings.first().expect("a mapping");
        let alone: Vec<Option<RoleView>> = (0..n)
            .map(|r| {
                let (a, _) = compile("p.yaml", alone_spec(&roles, r).as_bytes());
                a.and_then(|a| role_views(&a.json).into_iter().find(|v| v.role == format!("r{r}")))
            })
            .collect();

        let claim_groups: Vec<(&str, String)> = groups
            .iter()
            .enumerate()
            .filter(|(_, on)| **on)
            .map(|(g, _)| ("cognito:groups", format!("g{g}")))
            .collect();
        let claims = claims_from_pairs(claim_groups.iter().map(|(k, v)| (*k, v.as_str())));
        let choice = mapping.choose(&claims);
        // The reference: the first rule whose group the token has, else the default.
        let first = rules.iter().find(|(g, _)| groups[*g]).map(|(_, r)| *r);
        let expected = first.or(default).map(|r| format!("r{r}"));
        prop_assert_eq!(&choice.role, &expected, "Cognito's choice\n{}", text);

        // Every request any role of the pool could make, for ME and OTHER.
        let mut requests = Vec::new();
        for (publish, subscribe) in &roles {
            for p in publish {
                for id in [ME, OTHER] {
                    requests.push(format!("publish {}", instance(p, id, &fill)));
                }
            }
            for f in subscribe {
                for id in [ME, OTHER] {
                    requests.push(format!("subscribe {}", narrower(f, id, &fill, &[true, false])));
                    requests.push(format!("receive {}", instance(f, id, &fill)));
                }
            }
        }
        requests.push(format!("connect {ME}"));

        let obtainable: Vec<String> = choice.role.iter().cloned().chain(choice.also.iter().map(|(_, r)| r.clone())).collect();
        for role in &obtainable {
            let r: usize = role[1..].parse().expect("r<n>");
            let view = views.iter().find(|v| &v.role == role).expect("the role's view");
            let Some(reference) = &alone[r] else { continue };
            for req in &requests {
                prop_assert_eq!(
                    allowed(view, ME, req),
                    allowed(reference, ME, req),
                    "{} as role {} in the mapped pool and alone disagree\n{}",
                    req, role, text
                );
            }
        }
        if choice.role.is_none() {
            prop_assert!(default.is_none() && first.is_none());
        }
    }
}
