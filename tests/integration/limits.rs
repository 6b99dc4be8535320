//! AWS limits at, just under and just over each one (issue: scale). Sizes are found by search
//! over generated specs, so the tests pin the limits, not today's template layout.

use cogsynth::cfn::model::Node;
use cogsynth::compile::{Compiled, compile};
use cogsynth::diag::{Diagnostic, Severity};
use cogsynth::limits::{self, document_chars};
use cogsynth::policy::doc::role_views;
use cogsynth::policy::eval::{Request, evaluate};

fn build(spec: &str) -> (Compiled, Vec<Diagnostic>) {
    let (c, d) = compile("l.yaml", spec.as_bytes());
    (c.unwrap_or_else(|| panic!("unusable: {d:?}")), d)
}

fn codes(d: &[Diagnostic]) -> Vec<&'static str> {
    d.iter().map(|d| d.code).collect()
}

/// A spec whose member role publishes `topics` and whose guest role (if any) publishes `guest`.
fn spec(topics: &[String], guest: &[String]) -> String {
    let list = |v: &[String]| {
        v.iter()
            .map(|t| format!("\"{t}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut s = format!(
        "version: 1\nstack: l\ntopic_scopes:\n  own:\n    publish: [{}]\n",
        list(topics)
    );
    if !guest.is_empty() {
        s.push_str(&format!("  lobby:\n    publish: [{}]\n", list(guest)));
    }
    s.push_str("roles:\n  member: { scopes: [own] }\n");
    if !guest.is_empty() {
        s.push_str("  guest: { scopes: [lobby] }\n");
    }
    s.push_str("identity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\n");
    if !guest.is_empty() {
        s.push_str("    unauthenticated: { role: guest, reason: Guests post to the lobby topics }\nwaivers:\n  - { rule: CIP-POOL-001, reason: guests are the point of this test }\n");
    }
    s
}

/// `pad` extra characters spread over `n` topics, one more per step, so every step adds exactly
/// one character to the policy (and no topic passes MQTT's 256 bytes).
fn spread(n: usize, pad: usize, i: usize) -> String {
    "p".repeat(1 + pad / n + usize::from(i < pad % n))
}

/// `n` distinct per-identity topics carrying `pad` extra characters in all.
fn topics(n: usize, pad: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("t{i:03}/${{identity}}/{}", spread(n, pad, i)))
        .collect()
}

fn iot_policies(c: &Compiled) -> Vec<&Node> {
    c.template
        .resources
        .iter()
        .filter(|(_, r)| r.kind == "AWS::IoT::Policy")
        .map(|(_, r)| r.properties.get("PolicyDocument").unwrap())
        .collect()
}

#[test]
fn an_iot_policy_splits_just_past_2048_characters() {
    // Find a topic list whose single IoT policy is exactly at the limit.
    let n = 12;
    let mut pad = 0;
    let at = loop {
        let (c, _) = build(&spec(&topics(n, pad), &[]));
        let docs = iot_policies(&c);
        assert_eq!(
            docs.len(),
            1,
            "passed the limit without meeting it exactly at pad {pad}"
        );
        let len = document_chars(docs[0]);
        if len == limits::IOT_POLICY_CHARS {
            break pad;
        }
        // Each pad character adds exactly one: jump straight to the limit, then confirm.
        pad += limits::IOT_POLICY_CHARS - len;
    };
    let (c, d) = build(&spec(&topics(n, at), &[]));
    assert_eq!(iot_policies(&c).len(), 1, "at the limit");
    assert!(!codes(&d).iter().any(|c| c.starts_with("limit")), "{d:?}");
    let (c, _) = build(&spec(&topics(n, at - 1), &[]));
    assert_eq!(iot_policies(&c).len(), 1, "just under");

    let (c, d) = build(&spec(&topics(n, at + 1), &[]));
    let docs = iot_policies(&c);
    assert_eq!(docs.len(), 2, "just over: split in two");
    assert!(
        docs.iter()
            .all(|d| document_chars(d) <= limits::IOT_POLICY_CHARS)
    );
    assert!(!codes(&d).iter().any(|c| c.starts_with("limit")), "{d:?}");
    // The attach function attaches both, and the split policies still grant every topic.
    let env = c
        .template
        .resource("AppAttachFunction")
        .unwrap()
        .properties
        .get("Environment")
        .unwrap()
        .get("Variables")
        .unwrap()
        .get("IOT_POLICY_NAMES")
        .unwrap()
        .get("Fn::Sub")
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(env, "${AWS::StackName}-app,${AWS::StackName}-app-2");
    assert!(c.template.resource("AppIotPolicy2").is_some());
    let view = role_views(&c.json)
        .into_iter()
        .find(|v| v.role == "member")
        .unwrap();
    for t in topics(n, at + 1) {
        let topic = t.replace("${identity}", "us-east-1:1");
        assert!(
            evaluate(
                &view,
                "us-east-1:1",
                &Request::parse(&format!("publish {topic}")).unwrap()
            )
            .allowed,
            "{topic}"
        );
    }
}

#[test]
fn more_than_ten_iot_policies_is_an_error() {
    // Long topics: about one per policy near the end.
    let long = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("t{i:03}/${{identity}}/{}", "q".repeat(190)))
            .collect()
    };
    let mut n = 1;
    loop {
        let (c, d) = build(&spec(&long(n), &[]));
        let count = iot_policies(&c).len();
        if count == limits::IOT_POLICIES_PER_IDENTITY {
            assert!(!codes(&d).contains(&"limit-iot-policies"), "at ten: {d:?}");
        }
        if count > limits::IOT_POLICIES_PER_IDENTITY {
            let e = d
                .iter()
                .find(|d| d.code == "limit-iot-policies")
                .expect("refused past ten");
            assert_eq!(e.severity, Severity::Error);
            assert!(
                e.message.contains(&format!("need {count} IoT policies")),
                "{}",
                e.message
            );
            break;
        }
        n += 1;
    }
}

#[test]
fn a_role_over_10240_characters_of_inline_policy_is_an_error() {
    let guest_len = |c: &Compiled| -> usize {
        let r = c.template.resource("AppUnauthenticatedRole").unwrap();
        match r.properties.get("Policies").unwrap() {
            Node::List(ps) => ps
                .iter()
                .map(|p| document_chars(p.get("PolicyDocument").unwrap()))
                .sum(),
            _ => unreachable!(),
        }
    };
    let member = vec!["m/${identity}".to_owned()];
    let n = 60;
    let guests = |pad: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("g{i:03}/{}", spread(n, pad, i)))
            .collect()
    };
    let mut pad = 0;
    let at = loop {
        let (c, _) = build(&spec(&member, &guests(pad)));
        let len = guest_len(&c);
        assert!(
            len <= limits::IAM_INLINE_CHARS_PER_ROLE,
            "passed the limit without meeting it"
        );
        if len == limits::IAM_INLINE_CHARS_PER_ROLE {
            break pad;
        }
        pad += limits::IAM_INLINE_CHARS_PER_ROLE - len;
    };
    for (pad, over) in [(at - 1, false), (at, false), (at + 1, true)] {
        let (_, d) = build(&spec(&member, &guests(pad)));
        assert_eq!(
            codes(&d).contains(&"limit-iam-policy-size"),
            over,
            "pad {pad}: {d:?}"
        );
    }
}

#[test]
fn trust_policies_are_measured_at_2048() {
    let (mut c, _) = build(&spec(&["m/${identity}".to_owned()], &[]));
    let set_pad = |c: &mut Compiled, n: usize| {
        let (_, role) = c
            .template
            .resources
            .iter_mut()
            .find(|(id, _)| id == "AppAuthenticatedRole")
            .unwrap();
        let Node::Map(props) = &mut role.properties else {
            panic!()
        };
        let trust = &mut props
            .iter_mut()
            .find(|(k, _)| k == "AssumeRolePolicyDocument")
            .unwrap()
            .1;
        let Node::Map(doc) = trust else { panic!() };
        doc.retain(|(k, _)| k != "Pad");
        doc.push(("Pad".into(), Node::s("x".repeat(n))));
    };
    set_pad(&mut c, 0);
    let base = {
        let r = c.template.resource("AppAuthenticatedRole").unwrap();
        document_chars(r.properties.get("AssumeRolePolicyDocument").unwrap())
    };
    let at = limits::IAM_TRUST_CHARS - base;
    for (pad, over) in [(at - 1, false), (at, false), (at + 1, true)] {
        set_pad(&mut c, pad);
        assert_eq!(
            codes(&limits::check(&c)).contains(&"limit-trust-size"),
            over,
            "pad {pad}"
        );
    }
}

#[test]
fn template_size_warns_past_51200_bytes_and_errs_past_1_mib() {
    let (c, _) = build(&spec(&["m/${identity}".to_owned()], &[]));
    assert!(limits::check_text(&c, &"x".repeat(limits::TEMPLATE_BODY_BYTES)).is_empty());
    let warn = limits::check_text(&c, &"x".repeat(limits::TEMPLATE_BODY_BYTES + 1));
    assert_eq!(warn.len(), 1);
    assert_eq!(warn[0].severity, Severity::Warning);
    assert!(warn[0].help.as_deref().unwrap().contains("--s3-bucket"));
    assert!(
        limits::check_text(&c, &"x".repeat(limits::TEMPLATE_S3_BYTES - 1))
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    assert!(
        limits::check_text(&c, &"x".repeat(limits::TEMPLATE_S3_BYTES))
            .iter()
            .all(|d| d.severity == Severity::Warning)
    );
    let err = limits::check_text(&c, &"x".repeat(limits::TEMPLATE_S3_BYTES + 1));
    assert_eq!(err[0].severity, Severity::Error);
}

/// A spec with `guests` pools that admit guests and `members` pools that do not, and `params`
/// parameters all used.
fn many(guests: usize, members: usize, params: usize) -> String {
    let mut s = String::from("version: 1\nstack: many\n");
    if params > 0 {
        s.push_str("parameters:\n");
        for i in 0..params {
            s.push_str(&format!("  P{i}: {{ description: p }}\n"));
        }
    }
    s.push_str("topic_scopes:\n  own:\n    publish: [\"m/${identity}\"]\n  lobby:\n    publish: [lobby]\nroles:\n  member: { scopes: [own] }\n  guest: { scopes: [lobby] }\nidentity_pools:\n");
    for i in 0..guests + members {
        s.push_str(&format!("  pool{i}:\n    user_pools:\n"));
        if i == 0 && params > 0 {
            for p in (0..params).step_by(2) {
                let client = if p + 1 < params {
                    format!("{{ param: P{} }}", p + 1)
                } else {
                    "abc".to_owned()
                };
                s.push_str(&format!(
                    "      - {{ user_pool_id: {{ param: P{p} }}, client_id: {client} }}\n"
                ));
            }
        } else {
            s.push_str("      - { user_pool_id: us-east-1_Abc, client_id: abc }\n");
        }
        s.push_str("    authenticated: member\n");
        if i < guests {
            s.push_str("    unauthenticated: { role: guest, reason: Guests post to the lobby }\n");
        }
    }
    if guests == 0 {
        s = s
            .replace("  guest: { scopes: [lobby] }\n", "")
            .replace("  lobby:\n    publish: [lobby]\n", "");
    }
    s.push_str("waivers:\n  - { rule: CIP-POOL-001, reason: guests are the point of this test }\n");
    s
}

fn count(c: &Compiled, what: &str) -> usize {
    match what {
        "resources" => c.template.resources.len(),
        "outputs" => c.template.outputs.len(),
        _ => c.template.parameters.len(),
    }
}

/// Finds pool mixes whose `what` count is exactly `limit` and `limit + 1`, and checks both.
fn at_and_over(what: &str, limit: usize) {
    let mut seen = [false, false];
    'search: for guests in 0..12 {
        for members in 1..120 {
            let (c, d) = build(&many(guests, members, 0));
            let n = count(&c, what);
            if n == limit || n == limit + 1 {
                let over = n > limit;
                let flagged = d.iter().any(|d| {
                    d.code == "limit-template-count" && d.message.contains(&format!(" {what};"))
                });
                assert_eq!(flagged, over, "{n} {what}: {d:?}");
                seen[usize::from(over)] = true;
                if seen == [true, true] {
                    break 'search;
                }
            }
            if n > limit + 1 {
                break;
            }
        }
    }
    assert_eq!(
        seen,
        [true, true],
        "no mix met {limit} and {} {what}",
        limit + 1
    );
}

#[test]
fn resources_and_outputs_are_capped() {
    at_and_over("resources", limits::MAX_RESOURCES);
    at_and_over("outputs", limits::MAX_OUTPUTS);
}

#[test]
fn parameters_are_capped_at_200() {
    for (params, over) in [(199, false), (200, false), (201, true)] {
        let (c, d) = build(&many(0, 1, params));
        assert_eq!(count(&c, "parameters"), params);
        let flagged = d
            .iter()
            .any(|d| d.code == "limit-template-count" && d.message.contains(" parameters;"));
        assert_eq!(flagged, over, "{params}");
    }
}

/// Names built from `${AWS::StackName}` (IoT policy, identity pool) fit 128 characters under
/// the longest stack name the spec deploys as: `<stack>-<env>` for `deploy-command --env`.
#[test]
fn derived_names_fit_under_every_deployed_stack_name() {
    let named = |stack: usize, env: usize, pool: usize| {
        let (s, e, p) = ("s".repeat(stack), "e".repeat(env), "p".repeat(pool));
        format!(
            "version: 1\nstack: {s}\ntopic_scopes:\n  own:\n    publish: [\"d/${{identity}}/t\"]\nroles:\n  member: {{ scopes: [own] }}\nidentity_pools:\n  {p}:\n    user_pools: [{{ user_pool_id: us-east-1_Abc, client_id: abc }}]\n    authenticated: member\nenvironments:\n  {e}: {{}}\n"
        )
    };
    let length_errors = |spec: &str| {
        let (_, d) = build(spec);
        d.into_iter()
            .filter(|d| d.code == "limit-name-length")
            .collect::<Vec<_>>()
    };
    // 64 + 1 + 15 + 1 + 47 = 128: at the limit. One more character in the environment: over.
    assert!(length_errors(&named(64, 15, 47)).is_empty());
    let over = length_errors(&named(64, 16, 47));
    assert_eq!(over.len(), 2, "{over:?}");
    assert!(over.iter().all(|d| d.message.contains("is 129 characters")
        && d.message.contains(&format!("--env {}`", "e".repeat(16)))
        && d.pos.is_some_and(|p| p.line == 9 && p.col == 3)));
    // The case: a 64-character stack, a 48-character environment and pool.
    let worst = length_errors(&named(64, 48, 48));
    assert!(
        worst
            .iter()
            .any(|d| d.message.starts_with("IoT policy name")
                && d.message.contains("162 characters")),
        "{worst:?}"
    );
    assert!(
        worst
            .iter()
            .any(|d| d.message.starts_with("identity pool name")),
        "{worst:?}"
    );
}

/// Derived names are unique: pool `app`'s second IoT policy (`<stack>-app-2`) and pool `app-2`'s
/// first would collide at deploy; synth refuses the spec.
#[test]
fn derived_names_never_collide() {
    let topics: Vec<String> = (0..30)
        .map(|i| format!("devices/${{identity}}/topic-number-{i}/status"))
        .collect();
    let mut text = spec(&topics, &[]);
    text.push_str("  app-2:\n    user_pools: [{ user_pool_id: us-east-1_Def, client_id: def }]\n    authenticated: member\n");
    let (c, d) = build(&text);
    assert!(
        iot_policies(&c).len() >= 3,
        "the test needs pool app split in three"
    );
    let collisions: Vec<&Diagnostic> = d
        .iter()
        .filter(|d| d.code == "limit-name-collision")
        .collect();
    assert_eq!(collisions.len(), 1, "{d:#?}");
    assert!(collisions[0].message.starts_with("IoT policy name `${AWS::StackName}-app-2` of App2IotPolicy is also the name of AppIotPolicy2"), "{}", collisions[0].message);
    assert_eq!(collisions[0].severity, Severity::Error);
    // Without the second pool, nothing collides.
    let (_, d) = build(&spec(&topics, &[]));
    assert!(!codes(&d).contains(&"limit-name-collision"));
}
