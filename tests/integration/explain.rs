//! `synth explain`: AWS IoT log entries shaped as the AWS documentation shows them
//! (`tests/fixtures/explain/`, docs/aws-facts.md §10), judged against the bundled stacks.

use std::fs;
use std::io::Write as _;
use std::process::{Command, Stdio};

use proptest::prelude::*;
use serde_json::Value;

use crate::support::{Ran, Scratch, repo};

fn scratch() -> Scratch {
    let mut s = Scratch::with_readme_stacks();
    for entry in fs::read_dir(repo().join("tests/fixtures/explain")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        s = s.file(&format!("logs/{name}"), fs::read(&path).unwrap());
    }
    s
}

fn json(ran: &Ran) -> Value {
    serde_json::from_str(&ran.stdout).unwrap_or_else(|e| panic!("{e}: {ran:?}"))
}

/// (cause, verdict) of each failure of `fixture`, judged against stack `stack` (all when None).
fn causes(s: &Scratch, fixture: &str, stack: Option<&str>, code: i32) -> Vec<(String, String)> {
    let path = format!("logs/{fixture}");
    let mut args = vec!["explain", path.as_str(), "--format", "json"];
    if let Some(stack) = stack {
        args.extend(["--stack", stack]);
    }
    let ran = s.run(&args);
    assert_eq!(ran.code, code, "{fixture}: {ran:?}");
    json(&ran)["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["cause"].as_str().unwrap().to_owned(),
                f["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(cause: &str, verdict: &str) -> (String, String) {
    (cause.to_owned(), verdict.to_owned())
}

#[test]
fn each_recognised_cause_on_documented_entries() {
    let s = scratch();
    for stack in [Some("fleet"), None] {
        assert_eq!(
            causes(&s, "not-attached.json", stack, 1),
            [pair("iot-policy-not-attached", "contradicts")]
        );
        assert_eq!(
            causes(&s, "client-id.json", stack, 0),
            [pair("client-id-not-identity-id", "intended")]
        );
        assert_eq!(
            causes(&s, "filter-over-topics.json", stack, 1),
            [pair("filter-over-topics", "contradicts")]
        );
        assert_eq!(
            causes(&s, "differs-by-a-level.json", stack, 1),
            [pair("topic-differs-by-a-level", "contradicts")]
        );
        assert_eq!(
            causes(&s, "wildcard-for-identity.json", stack, 0),
            [pair("wildcard-for-identity", "intended")]
        );
        assert_eq!(
            causes(&s, "another-identity.json", stack, 0),
            [
                pair("another-identity", "intended"),
                pair("another-identity", "intended")
            ]
        );
        assert_eq!(
            causes(&s, "not-granted.json", stack, 1),
            [pair("not-granted", "contradicts")]
        );
        assert_eq!(
            causes(&s, "certificate.json", stack, 1),
            [pair("not-cognito", "unexplained")]
        );
    }
}

#[test]
fn explanations_name_the_layer_the_grant_and_the_smallest_change() {
    let s = scratch();
    let ran = s.run(&[
        "explain",
        "logs/differs-by-a-level.json",
        "--stack",
        "fleet",
        "--format",
        "json",
    ]);
    let f = &json(&ran)["failures"][0];
    assert_eq!(
        f["request"],
        "publish devices/us-east-1:1111/telemetry/battery"
    );
    assert_eq!(f["identity"]["id"], "us-east-1:1111");
    assert_eq!(f["tried"][0]["role"], "member");
    assert_eq!(f["tried"][0]["iam"], "no statement allows it");
    assert_eq!(f["tried"][0]["iot"], "no statement allows it");
    assert_eq!(f["grant"]["text"], "publish devices/${identity}/telemetry");
    assert_eq!(
        (f["grant"]["file"].as_str(), f["grant"]["line"].as_u64()),
        (Some("stacks/fleet.yaml"), Some(18))
    );
    assert_eq!(
        f["change"]["grant"],
        "publish devices/${identity}/telemetry/battery"
    );
    assert_eq!(f["change"]["into"], "topic scope own-device");

    // Not attached yet: both layers of the signed-in role allow it, and the statements are named.
    let ran = s.run(&["explain", "logs/not-attached.json", "--stack", "fleet"]);
    assert_eq!(ran.code, 1);
    assert!(
        ran.stdout
            .contains("IoT policy: allowed by IoT policy FleetIotPolicy, statement 1"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout.contains("app        call the attach function"),
        "{}",
        ran.stdout
    );

    // Another identity's topic: working as intended, and no spec change is offered.
    let ran = s.run(&["explain", "logs/another-identity.json", "--stack", "fleet"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("verdict    working as intended"));
    assert!(ran.stdout.contains("spec       no change"));
}

#[test]
fn an_expect_deny_makes_a_refusal_intended() {
    // fleet.yaml's expect: denies `subscribe lobby/#` to guests on purpose.
    let s = scratch().file(
        "logs/lobby.json",
        r#"{"timestamp": "2017-08-10 15:39:04.413", "logLevel": "ERROR", "status": "Failure", "eventType": "Subscribe", "protocol": "MQTT", "topicName": "lobby/#", "clientId": "us-east-1:9999", "principalId": "AROAEXAMPLEROLEID1234:CognitoIdentityCredentials", "reason": "AUTHORIZATION_FAILURE"}"#,
    );
    let ran = s.run(&[
        "explain",
        "logs/lobby.json",
        "--stack",
        "fleet",
        "--format",
        "json",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let f = &json(&ran)["failures"][0];
    assert_eq!(f["cause"], "filter-over-topics");
    assert_eq!(f["verdict"], "intended");
    assert!(
        f["why"]
            .as_str()
            .unwrap()
            .contains("the spec's `expect:` says it must be denied (stacks/fleet.yaml:"),
        "{f}"
    );
}

#[test]
fn cloudwatch_exports_and_insights_results_read_like_json_lines() {
    let s = scratch();
    let strip = |ran: &Ran| {
        let mut v = json(ran);
        for f in v["failures"].as_array_mut().unwrap() {
            f["line"] = Value::Null;
            f["entry"] = Value::Null;
        }
        v["input"] = Value::Null;
        v
    };
    let run = |f: &str| s.run(&["explain", &format!("logs/{f}"), "--format", "json"]);
    let lines = run("session.jsonl");
    assert_eq!(lines.code, 1, "{lines:?}");
    let v = json(&lines);
    assert_eq!(v["entries"], 6);
    assert_eq!(v["succeeded"]["Connect"], 1);
    assert_eq!(v["succeeded"]["Disconnect (DUPLICATE_CLIENT_ID)"], 1);
    assert_eq!(v["verdicts"]["contradicts"], 1);
    assert_eq!(v["verdicts"]["intended"], 1);
    for other in ["filter-log-events.json", "insights.json"] {
        assert_eq!(strip(&run(other)), strip(&lines), "{other}");
    }
    let text = s.run(&["explain", "logs/session.jsonl"]);
    assert!(
        text.stdout.contains("note: DUPLICATE_CLIENT_ID"),
        "{}",
        text.stdout
    );
}

#[test]
fn stdin_and_markdown() {
    let s = scratch();
    let mut child = Command::new(env!("CARGO_BIN_EXE_synth"))
        .args(["explain", "-", "--format", "markdown"])
        .current_dir(s.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&fs::read(repo().join("tests/fixtures/explain/session.jsonl")).unwrap())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(
        md.starts_with("### synth explain: 6 log entries in \\<stdin\\>"),
        "{md}"
    );
    assert!(
        md.contains("| 1 | `Connect` | `connect us-east-1:1111` | `iot-policy-not-attached` |"),
        "{md}"
    );
}

#[test]
fn unusable_input_exits_2_at_line_and_column() {
    let s = scratch()
        .file(
            "logs/bad.json",
            "{\"eventType\": \"Connect\"}\n{\"eventType\": }\n",
        )
        .file("logs/none.json", "{\"hello\": 1}\n")
        .file("logs/binary.json", b"\xff\xfe".as_slice());
    let ran = s.run(&["explain", "logs/bad.json"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .starts_with("logs/bad.json:2:15: error[log-input]: not JSON"),
        "{ran:?}"
    );
    assert!(ran.stdout.is_empty());
    let ran = s.run(&["explain", "logs/none.json"]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.contains("no AWS IoT log entry found"), "{ran:?}");
    assert_eq!(s.run(&["explain", "logs/binary.json"]).code, 2);
    assert_eq!(s.run(&["explain", "logs/missing.json"]).code, 2);
    let ran = s.run(&["explain", "logs/session.jsonl", "--stack", "nope"]);
    assert_eq!(ran.code, 2);
    let ran = s.run(&["explain", "logs/session.jsonl", "--stacks", "logs"]);
    assert_eq!(ran.code, 2, "no specs there: {ran:?}");
    assert_eq!(
        ran.stderr,
        "logs: error[io]: no *.yaml specs found\nsynth explain: error: the specs must be valid to explain against them\n",
        "every fatal error in the one wording of `Error`"
    );
    assert!(ran.stdout.is_empty());
}

#[test]
fn log_text_cannot_drive_the_terminal() {
    let s = scratch().file(
        "logs/hostile.json",
        "{\"eventType\": \"Publish-In\", \"status\": \"Failure\", \"clientId\": \"us-east-1:1111\\u001b[2J\", \"topicName\": \"a/\\u001b]0;pwned\\u0007\\u202e/b\\n\", \"reason\": \"AUTH\\rORIZATION_FAILURE\"}\n",
    );
    for format in ["text", "json", "markdown"] {
        let ran = s.run(&["explain", "logs/hostile.json", "--format", format]);
        assert_eq!(ran.code, 1, "{format}: {ran:?}");
        assert!(
            !ran.stdout
                .chars()
                .any(|c| matches!(c, '\u{1b}' | '\u{7}' | '\r' | '\u{202e}')),
            "{format}: {:?}",
            ran.stdout
        );
        assert!(ran.stdout.contains("\\u{1b}"), "{format}: {}", ran.stdout);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Arbitrary text never panics the reader; arbitrary entries never panic the judge.
    #[test]
    fn arbitrary_input_never_panics(
        text in ".{0,300}",
        event_type in prop::sample::select(vec!["Connect", "Publish-In", "Subscribe", "Publish-Out", "Disconnect"]),
        client in ".{0,40}",
        topic in "[a-z+#/:0-9${}-]{0,40}",
        principal in ".{0,40}",
    ) {
        let _ = cogsynth::explain::logs::read(text.as_bytes());
        let entry = serde_json::json!({
            "eventType": event_type, "status": "Failure", "clientId": client,
            "topicName": topic, "principalId": principal, "reason": "AUTHORIZATION_FAILURE",
        });
        let read = cogsynth::explain::logs::read(entry.to_string().as_bytes()).unwrap();
        let stacks = cogsynth::manifest::load_stacks(&repo(), std::path::Path::new("stacks")).unwrap();
        let report = cogsynth::explain::explain("x", &read, &stacks);
        let _ = cogsynth::explain::render_text(&report);
        let _ = cogsynth::explain::render_markdown(&report);
        let _ = cogsynth::explain::render_json(&report);
    }
}
