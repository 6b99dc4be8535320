//! `--format sarif`: valid SARIF 2.1.0 (checked against the official schema vendored in
//! schemas/sarif/), with rule id, level, message, help and spec location for GitHub code scanning.

use std::fs;

use serde_json::Value;

use crate::support::{Scratch, repo};

fn sarif_validator() -> jsonschema::Validator {
    let text = fs::read_to_string(repo().join("schemas/sarif/sarif-2.1.0-rtm.5.json")).unwrap();
    // The official schema's `run.language` pattern has a stray `]` that ECMA-262 reads as a
    // literal and Rust's regex engines refuse; escape it (schemas/sarif/README.md).
    let text = text.replace(r"{2}]?$", r"{2}\\]?$");
    let schema: Value = serde_json::from_str(&text).unwrap();
    jsonschema::draft4::new(&schema).expect("the SARIF schema compiles")
}

fn assert_valid(log: &Value) {
    let v = sarif_validator();
    let errors: Vec<String> = v
        .iter_errors(log)
        .map(|e| format!("{}: {e}", e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn findings_are_valid_sarif_with_locations() {
    let spec = fs::read_to_string(repo().join("stacks/fleet.yaml"))
        .unwrap()
        .replace(
            "    subscribe: [\"lobby/announcements\"]",
            "    subscribe: [\"lobby/#\"]",
        )
        .replace("      - subscribe lobby/#\n", "");
    let ran = Scratch::new()
        .file("stacks/fleet.yaml", spec)
        .run(&["--format", "sarif"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let log: Value = serde_json::from_str(&ran.stdout).expect("JSON");
    assert_valid(&log);
    assert_eq!(log["version"], "2.1.0");
    let results = log["runs"][0]["results"].as_array().unwrap();
    let reach = results
        .iter()
        .find(|r| r["ruleId"] == "CIP-UNAUTH-003")
        .expect("guest reach finding");
    assert_eq!(reach["level"], "error");
    let loc = &reach["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "stacks/fleet.yaml");
    assert!(loc["region"]["startLine"].as_u64().unwrap() > 1);
    assert!(
        reach["message"]["text"]
            .as_str()
            .unwrap()
            .contains("help: ")
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let index = usize::try_from(reach["ruleIndex"].as_u64().unwrap()).unwrap();
    assert_eq!(rules[index]["id"], "CIP-UNAUTH-003");
    assert_eq!(rules[index]["properties"]["security-severity"], "8.0");
}

#[test]
fn a_clean_run_is_valid_sarif_with_no_results_and_every_rule_described() {
    let ran = Scratch::new()
        .bundled("fleet.yaml")
        .run(&["--format", "sarif"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let log: Value = serde_json::from_str(&ran.stdout).expect("JSON");
    assert_valid(&log);
    assert!(log["runs"][0]["results"].as_array().unwrap().is_empty());
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        cogsynth::rules::RULES.len()
    );
    // The schema check bites: a level SARIF does not know is refused.
    let mut broken = log.clone();
    broken["runs"][0]["results"] =
        serde_json::json!([{ "ruleId": "x", "level": "fatal", "message": { "text": "m" } }]);
    assert!(!sarif_validator().is_valid(&broken));
}

#[test]
fn input_errors_are_sarif_too() {
    let bad = fs::read(repo().join("tests/fixtures/bad/unknown-keys.yaml")).unwrap();
    let ran = Scratch::new()
        .file("stacks/u.yaml", bad)
        .run(&["--format", "sarif"]);
    assert_eq!(ran.code, 2);
    let log: Value = serde_json::from_str(&ran.stdout).expect("JSON");
    assert_valid(&log);
    assert_eq!(log["runs"][0]["results"][0]["ruleId"], "spec-schema");
}
