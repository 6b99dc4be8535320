//! `synth simulate` and `expect:`: both judge the generated policies, and say which statement of
//! which layer decided.

use std::fs;

use crate::support::{Ran, Scratch, repo};

/// `synth simulate stacks/fleet.yaml --role ROLE --identity IDENTITY VERB TOPIC` in `scratch`.
fn simulate(scratch: &Scratch, role: &str, identity: &str, verb: &str, topic: &str) -> Ran {
    scratch.run(&[
        "simulate",
        "stacks/fleet.yaml",
        "--role",
        role,
        "--identity",
        identity,
        verb,
        topic,
    ])
}

fn fleet() -> String {
    fs::read_to_string(repo().join("stacks/fleet.yaml")).unwrap()
}

#[test]
fn simulate_allows_own_topics_with_the_deciding_statements() {
    let ran = simulate(
        &Scratch::new().bundled("fleet.yaml"),
        "member",
        "us-east-1:1111",
        "publish",
        "devices/us-east-1:1111/telemetry",
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "ALLOW publish devices/us-east-1:1111/telemetry\n  as signed-in identity us-east-1:1111 (role member of identity pool fleet)\n  \
         IAM role policy: allow by IAM role FleetAuthenticatedRole policy mqtt-and-attach, statement 2 \"Publish\" (Allow iot:Publish)\n  \
         IoT policy: allow by IoT policy FleetIotPolicy, statement 2 (Allow iot:Publish)\n"
    );
}

#[test]
fn simulate_denies_other_identities_and_mqtt_wildcards() {
    let s = Scratch::new().bundled("fleet.yaml");
    for (verb, topic) in [
        ("publish", "devices/us-east-1:2222/telemetry"),
        ("subscribe", "devices/+/commands/#"),
        ("receive", "devices/us-east-1:2222/commands/x"),
        ("connect", "us-east-1:2222"),
    ] {
        let ran = simulate(&s, "member", "us-east-1:1111", verb, topic);
        assert_eq!(ran.code, 1, "{verb} {topic}: {ran:?}");
        assert!(
            ran.stdout.starts_with(&format!("DENY {verb} {topic}\n")),
            "{}",
            ran.stdout
        );
        assert!(
            ran.stdout.contains("no statement matches (implicit deny)"),
            "{}",
            ran.stdout
        );
    }
}

#[test]
fn simulate_guests_consult_the_iam_role_alone() {
    let ran = simulate(
        &Scratch::new().bundled("fleet.yaml"),
        "guest",
        "us-east-1:9",
        "receive",
        "lobby/announcements",
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("IoT policy: not consulted (guests get the IAM role alone)"),
        "{}",
        ran.stdout
    );
}

#[test]
fn simulate_refuses_unknown_roles_and_actions() {
    let s = Scratch::new().bundled("fleet.yaml");
    let ran = simulate(&s, "admin", "us-east-1:1", "publish", "x");
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "synth simulate: error: unknown role `admin`\n  = help: the spec's roles: guest, member\n"
    );
    let ran = simulate(&s, "member", "us-east-1:1", "shout", "x");
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("`shout` is not an action"),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_failed_expectation_is_exit_1_at_its_position_with_the_explanation() {
    let spec = fleet().replace(
        "      - publish devices/us-east-1:2222/telemetry\n",
        "      - publish devices/us-east-1:2222/telemetry\n      - publish fleet/news/#\n",
    );
    let spec = spec.replace(
        "      - receive fleet/news/outage\n",
        "      - receive fleet/news/outage\n      - publish fleet/news/outage\n",
    );
    let s = Scratch::new().file("stacks/fleet.yaml", &spec);
    let ran = s.run(&[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let errors: Vec<&str> = ran
        .stderr
        .lines()
        .filter(|l| l.contains("error[expect-failed]"))
        .collect();
    assert_eq!(errors.len(), 1, "{}", ran.stderr);
    let line = spec
        .lines()
        .position(|l| l == "      - publish fleet/news/outage")
        .unwrap()
        + 1;
    assert_eq!(
        errors[0],
        format!(
            "stacks/fleet.yaml:{line}:9: error[expect-failed]: expected ALLOW for `publish fleet/news/outage` by signed-in identity us-east-1:1111 (role member of pool fleet), got DENY"
        )
    );
    assert!(ran.stderr.contains("help: IAM role policy: no statement matches (implicit deny); IoT policy: no statement matches"), "{}", ran.stderr);
    assert!(!s.exists("out"), "a failed expectation writes nothing");
    // A literal `#` filter that is not granted stays denied: the deny expectation holds.
    assert!(!ran.stderr.contains("fleet/news/#`"), "{}", ran.stderr);
}

#[test]
fn an_expectation_about_an_unused_role_is_unusable_input() {
    let spec = fleet().replace(
        "  - role: guest\n    identity",
        "  - role: nobody\n    identity",
    );
    let ran = Scratch::new().file("stacks/fleet.yaml", spec).run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("error[spec-expect]: no identity pool uses role `nobody`"),
        "{}",
        ran.stderr
    );
}

/// `/#` is a legal filter (topics whose first level is empty): it builds without a finding and
/// grants exactly that subtree.
#[test]
fn the_empty_first_level_filter_translates_exactly() {
    let spec = "version: 1\nstack: slash\ntopic_scopes:\n  own:\n    subscribe: [\"/#\"]\nroles:\n  member: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\nexpect:\n  - role: member\n    identity: \"us-east-1:1111\"\n    allow: [\"subscribe /#\", \"subscribe /a/+\", \"receive /\", \"receive /a/b/c\"]\n    deny: [\"subscribe #\", \"receive a\", \"receive a/\", \"subscribe a/#\"]\n";
    let ran = crate::support::Scratch::new()
        .file("stacks/slash.yaml", spec)
        .run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stderr.contains("CIP-"), "{}", ran.stderr);
}

/// One pool may use one role for signed-in and guest identities; `expect:` (`as:`) and
/// `simulate` (`--as`) then say which kind of identity they test, and without it the error
/// says how.
#[test]
fn a_role_serving_both_kinds_of_identity_is_tested_with_as() {
    let spec = "version: 1\nstack: both\ntopic_scopes:\n  lobby:\n    publish: [lobby/hello]\nroles:\n  visitor: { scopes: [lobby] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: visitor\n    unauthenticated: { role: visitor, reason: Everyone says hello in the lobby }\nwaivers:\n  - { rule: CIP-POOL-001, reason: the lobby is open to everyone }\nexpect:\n  - { role: visitor, as: signed-in, identity: \"us-east-1:1111\", allow: [\"publish lobby/hello\"] }\n  - { role: visitor, as: guest, identity: \"us-east-1:1111\", allow: [\"publish lobby/hello\"], deny: [\"publish lobby/x\"] }\n";
    let scratch = crate::support::Scratch::new().file("stacks/both.yaml", spec);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let sim = |extra: &[&str]| {
        let mut args = vec!["simulate", "stacks/both.yaml", "--role", "visitor"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&["--identity", "us-east-1:1111", "publish", "lobby/hello"]);
        scratch.run(&args)
    };
    let guest = sim(&["--as", "guest"]);
    assert_eq!(guest.code, 0, "{guest:?}");
    assert!(
        guest.stdout.contains("as guest identity us-east-1:1111"),
        "{}",
        guest.stdout
    );
    let member = sim(&["--as", "signed-in", "--pool", "app"]);
    assert!(
        member.stdout.contains("as signed-in identity"),
        "{}",
        member.stdout
    );
    let unsaid = sim(&[]);
    assert_eq!(unsaid.code, 2);
    assert_eq!(
        unsaid.stderr,
        "synth simulate: error: identity pool `app` uses role `visitor` for both signed-in and guest identities: say which with `as` (signed-in or guest)\n"
    );
    let unsaid = scratch
        .file("stacks/both.yaml", spec.replace("as: signed-in, ", ""))
        .run(&[]);
    assert_eq!(unsaid.code, 2);
    assert!(unsaid.stderr.starts_with("stacks/both.yaml:16:13: error[spec-expect]: identity pool `app` uses role `visitor` for both"), "{}", unsaid.stderr);
}

/// A publish entry with `retain: true` lets signed-in identities publish retained messages to
/// exactly its topics: `expect:` and `simulate` check iot:Publish and iot:RetainPublish, in both
/// layers; a plain publish entry does not retain; guests may not retain at all (CIP-UNAUTH-001).
#[test]
fn retained_publishes_need_a_retain_entry_and_both_actions() {
    let spec = "version: 1\nstack: retained\ntopic_scopes:\n  own:\n    publish:\n      - \"d/${identity}/telemetry\"\n      - { topic: \"d/${identity}/state/+\", retain: true }\nroles:\n  member: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\nexpect:\n  - role: member\n    identity: \"us-east-1:1111\"\n    allow: [\"publish-retained d/us-east-1:1111/state/power\", \"publish d/us-east-1:1111/state/power\", \"publish d/us-east-1:1111/telemetry\"]\n    deny: [\"publish-retained d/us-east-1:1111/telemetry\", \"publish-retained d/us-east-1:2222/state/power\"]\n";
    let scratch = Scratch::new().file("stacks/retained.yaml", spec);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let template = scratch.read("out/retained.template.yaml");
    assert_eq!(
        template.matches("Action: iot:RetainPublish").count(),
        2,
        "in the IAM role policy and the IoT policy: {template}"
    );

    let sim = |verb: &str, topic: &str| {
        scratch.run(&[
            "simulate",
            "stacks/retained.yaml",
            "--role",
            "member",
            "--identity",
            "us-east-1:1111",
            verb,
            topic,
        ])
    };
    let ran = sim("publish-retained", "d/us-east-1:1111/state/power");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains("iot:RetainPublish: IAM role policy: allow by IAM role AppAuthenticatedRole policy mqtt-and-attach, statement 3 \"RetainPublish\" (Allow iot:RetainPublish)"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("iot:Publish: IoT policy: allow"),
        "{}",
        ran.stdout
    );
    let ran = sim("publish-retained", "d/us-east-1:1111/telemetry");
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stdout.contains("iot:Publish: IAM role policy: allow")
            && ran
                .stdout
                .contains("iot:RetainPublish: IAM role policy: no statement matches"),
        "{}",
        ran.stdout
    );

    // The same expectation fails when the entry loses `retain: true`.
    let plain = spec.replace(
        "{ topic: \"d/${identity}/state/+\", retain: true }",
        "\"d/${identity}/state/+\"",
    );
    let ran = Scratch::new().file("stacks/retained.yaml", plain).run(&[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("expected ALLOW for `publish-retained d/us-east-1:1111/state/power`"),
        "{}",
        ran.stderr
    );

    // Guests may not retain.
    let guests = spec.replace(
        "    authenticated: member\n",
        "    authenticated: member\n    unauthenticated: { role: member, reason: visitors share the members' topics }\n",
    )
    .replace("  - role: member\n", "  - role: member\n    as: signed-in\n")
        + "waivers:\n  - { rule: CIP-POOL-001, reason: reviewed for this test }\n";
    let ran = Scratch::new().file("stacks/retained.yaml", guests).run(&[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains("error[CIP-UNAUTH-001]: `publish d/${identity}/state/+` (topic scope `own`) lets guests of identity pool `app` publish retained messages (`iot:RetainPublish`)"),
        "{}",
        ran.stderr
    );
}

/// `--claim` lets the pool's role mapping choose the role as Cognito would: the chosen rule is
/// named, the roles the token could also ask for are judged too, a token the mapping denies gets
/// no credentials, and `--role` with `--claim` checks the choice.
#[test]
fn simulate_with_claims_picks_the_role_as_cognito_would() {
    let s = Scratch::new().bundled("field-service.yaml");
    let sim = |extra: &[&str]| {
        let mut args = vec![
            "simulate",
            "stacks/field-service.yaml",
            "--identity",
            "us-east-1:5555",
        ];
        args.extend_from_slice(extra);
        s.run(&args)
    };
    // (what it shows, the arguments after the identity, exit code, text stdout must hold)
    let cases: &[(&str, &[&str], i32, &[&str])] = &[
        (
            "the chosen rule is named",
            &[
                "--claim",
                "cognito:groups=support",
                "receive",
                "devices/us-east-1:1111/telemetry",
            ],
            0,
            &[
                "(identity pool service: role support by mapping rule 1 (`cognito:groups` equals `support`))",
            ],
        ),
        (
            "support reads and cannot command: its IAM role denies what the pool's IoT policies allow",
            &[
                "--claim",
                "cognito:groups=support",
                "publish",
                "devices/us-east-1:5555/commands/reboot",
            ],
            1,
            &[
                "IAM role policy: no statement matches (implicit deny)",
                "IoT policy: allow by IoT policy",
            ],
        ),
        (
            "in both groups: support first; installer if the app asks for it",
            &[
                "--claim",
                "cognito:groups=installers",
                "--claim",
                "cognito:groups=support",
                "publish",
                "bench/commands/power",
            ],
            1,
            &[
                "also ALLOW with role installer, which mapping rule 2 gives too, if the app asks for it (CustomRoleArn)",
            ],
        ),
        (
            "no group: the default role",
            &[
                "--claim",
                "email=a@example.com",
                "publish",
                "devices/us-east-1:5555/commands/x",
            ],
            0,
            &["role owner: no mapping rule matches, the default"],
        ),
        (
            "`--role` must be what the claims give",
            &[
                "--claim",
                "cognito:groups=support",
                "--role",
                "owner",
                "receive",
                "devices/x",
            ],
            1,
            &["not role owner"],
        ),
    ];
    for (what, extra, code, wanted) in cases {
        let ran = sim(extra);
        assert_eq!(ran.code, *code, "{what}: {ran:?}");
        for want in *wanted {
            assert!(
                ran.stdout.contains(want),
                "{what}: no {want:?} in\n{}",
                ran.stdout
            );
        }
    }
    let bad = sim(&["--claim", "nonsense", "receive", "x"]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("write NAME=VALUE"), "{}", bad.stderr);
}

/// With `unmatched: deny`, a token no rule matches gets no credentials: `allow:` fails, and an
/// expectation's `role:` must be the role the claims give.
#[test]
fn expectations_with_claims_follow_the_mapping_and_deny_unmatched_tokens() {
    let spec = fs::read_to_string(repo().join("stacks/field-service.yaml")).unwrap();
    let deny = spec.replace("      default: owner\n", "      unmatched: deny\n");
    let ran = Scratch::new()
        .file("stacks/field-service.yaml", &deny)
        .run(&[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr.contains(
            "error[expect-failed]: expected the claims to give role owner, got no credentials"
        ),
        "{}",
        ran.stderr
    );
    // The owner's role is no longer given to anyone: synth says so.
    assert!(
        ran.stderr
            .contains("warning[spec-unused]: role `owner` is never used"),
        "{}",
        ran.stderr
    );
    let wrong = spec.replace(
        "  - claims: { \"cognito:groups\": support }\n    role: support\n",
        "  - claims: { \"cognito:groups\": support }\n    role: installer\n",
    );
    let ran = Scratch::new()
        .file("stacks/field-service.yaml", &wrong)
        .run(&[]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.stderr
            .contains("expected the claims to give role installer, got support"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("help: role support by mapping rule 1"),
        "{}",
        ran.stderr
    );
}

/// Cognito's limits on role mapping, each at its position: 25 rules per provider, 10 role
/// mappings (user pools) per pool; and an unknown role in a rule.
#[test]
fn role_mapping_limits_are_enforced_at_their_position() {
    let base = "version: 1\nstack: limits\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\nroles:\n  owner: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated:\n      rules:\nRULES      default: owner\n";
    let rules = |n: usize| {
        (0..n).fold(String::new(), |mut out, i| {
            out.push_str(&format!(
                "        - {{ claim: \"cognito:groups\", equals: g{i}, role: owner }}\n"
            ));
            out
        })
    };
    let ok = base.replace("RULES", &rules(25));
    assert_eq!(
        Scratch::new().file("stacks/limits.yaml", ok).run(&[]).code,
        0
    );
    let over = base.replace("RULES", &rules(26));
    let ran = Scratch::new().file("stacks/limits.yaml", over).run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("stacks/limits.yaml:13:9: error[spec-schema]: `identity_pools.app.authenticated.rules` has 26 item(s); it takes at most 25")
            && ran.stderr.contains("Cognito takes 1 to 25 rules per identity provider"),
        "{}",
        ran.stderr
    );
    let pools: String = (0..11).fold(String::new(), |mut out, i| {
        out.push_str(&format!(
            "{{ user_pool_id: us-east-1_Abc, client_id: client{i} }}, "
        ));
        out
    });
    let many = base.replace("RULES", &rules(1)).replace(
        "[{ user_pool_id: us-east-1_Abc, client_id: abc }]",
        &format!("[{}]", pools.trim_end_matches(", ")),
    );
    let ran = Scratch::new().file("stacks/limits.yaml", many).run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("stacks/limits.yaml:10:17: error[limit-role-mappings]: identity pool `app` maps roles for 11 user pools; Cognito takes role mappings for at most 10 identity providers"),
        "{}",
        ran.stderr
    );
    let unknown = base
        .replace("RULES", &rules(1))
        .replace("g0, role: owner", "g0, role: ownr");
    let ran = Scratch::new().file("stacks/limits.yaml", unknown).run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("error[spec-ref]: unknown role `ownr`")
            && ran.stderr.contains("did you mean `owner`?"),
        "{}",
        ran.stderr
    );
}
