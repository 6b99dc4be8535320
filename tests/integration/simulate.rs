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
