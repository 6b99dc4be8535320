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
        "synth simulate: error: no identity pool uses role `admin`\n"
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
