//! Property tests over generated specs (proptest): what synth emits lets an identity reach its
//! own `${identity}` subtrees and the declared shared topics, never another identity's; and no
//! policy resource carries MQTT `+`/`#` (which policies read literally).

use proptest::prelude::*;

use cogsynth::compile::compile;
use cogsynth::policy::doc::{RoleView, all_statements, role_views};
use cogsynth::policy::eval::{Request, evaluate};

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
    let list = |v: &[String]| {
        v.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut scope = format!("    publish: [{}]\n", list(publish));
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
    ) {
        // Duplicates are an error in specs (tested elsewhere): keep one of each.
        let mut publish: Vec<String> = own_pub.iter().chain(&shared_pub).cloned().collect();
        publish.sort();
        publish.dedup();
        let mut subscribe = own_sub.clone();
        subscribe.sort();
        subscribe.dedup();
        let (view, json) = member(&spec(&publish, &subscribe));

        for pattern in &own_pub {
            let mine = instance(pattern, ME, &fill);
            let theirs = instance(pattern, OTHER, &fill);
            prop_assert!(allowed(&view, ME, &format!("publish {mine}")), "own topic {mine} of {pattern} denied");
            prop_assert!(!allowed(&view, ME, &format!("publish {theirs}")), "other's topic {theirs} of {pattern} allowed");
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
