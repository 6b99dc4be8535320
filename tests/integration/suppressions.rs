//! The scanners' suppressions (`Metadata.checkov.skip`, `Metadata.guard.SuppressedRules`) sit
//! exactly where the finding they suppress would be, on every template of the bundled stacks and
//! the good fixtures: never on a resource the rule would pass (no blanket suppression), never
//! missing where it would fire (a new finding fails `.ci/scanners`), and the claims their reasons
//! make are checked against the template. `.ci/scanners` runs the real tools.

use std::collections::BTreeSet;
use std::fs;

use serde_json::Value;

use crate::support::repo;

fn good_templates() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    for dir in ["stacks", "tests/fixtures/good"] {
        let mut paths: Vec<_> = fs::read_dir(repo().join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
            .collect();
        paths.sort();
        for p in paths {
            let shown = format!("{dir}/{}", p.file_name().unwrap().to_string_lossy());
            let (compiled, diags) = cogsynth::compile::compile(&shown, &fs::read(&p).unwrap());
            let compiled = compiled.unwrap_or_else(|| panic!("{shown}: {diags:?}"));
            out.push((shown, compiled.json));
        }
    }
    assert!(
        out.len() >= 7,
        "expected the bundled stacks and good fixtures"
    );
    out
}

fn checkov(r: &Value) -> Vec<(String, String)> {
    r.pointer("/Metadata/checkov/skip")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_owned(),
                e["comment"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn guard(r: &Value) -> BTreeSet<String> {
    r.pointer("/Metadata/guard/SuppressedRules")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

/// Which rule ids may be suppressed on which resource type, and the property test of each: the
/// rule fires (and so is suppressed) exactly when `fires` holds.
type Fires = fn(&Value) -> bool;

fn prop<'a>(r: &'a Value, name: &str) -> Option<&'a Value> {
    r["Properties"].get(name)
}

const RULES: &[(&str, &[&str], Fires)] = &[
    (
        "AWS::Lambda::Function",
        &["CKV_AWS_115", "LAMBDA_CONCURRENCY_CHECK"],
        |r| prop(r, "ReservedConcurrentExecutions").is_none(),
    ),
    (
        "AWS::Lambda::Function",
        &["CKV_AWS_116", "LAMBDA_DLQ_CHECK"],
        |r| prop(r, "DeadLetterConfig").is_none(),
    ),
    (
        "AWS::Lambda::Function",
        &[
            "CKV_AWS_117",
            "LAMBDA_INSIDE_VPC",
            "LAMBDA_INSIDE_VPC_CHECK",
        ],
        |r| prop(r, "VpcConfig").is_none(),
    ),
    ("AWS::Lambda::Function", &["CKV_AWS_173"], |r| {
        prop(r, "Environment").is_some() && prop(r, "KmsKeyArn").is_none()
    }),
    (
        "AWS::Logs::LogGroup",
        &[
            "CKV_AWS_158",
            "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
            "CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK",
        ],
        |r| prop(r, "KmsKeyId").is_none(),
    ),
    (
        "AWS::Logs::LogGroup",
        &["CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK"],
        |r| {
            prop(r, "RetentionInDays")
                .and_then(Value::as_u64)
                .is_some_and(|d| d < 365)
        },
    ),
    ("AWS::IAM::Role", &["IAM_NO_INLINE_POLICY_CHECK"], |r| {
        prop(r, "Policies").is_some()
    }),
    (
        "AWS::ApiGateway::Stage",
        &[
            "CKV_AWS_76",
            "API_GW_STAGE_ACCESS_LOGGING_RULE",
            "API_GW_V1_EXECUTION_LOGGING_ENABLED_CHECK",
        ],
        |r| prop(r, "AccessLogSetting").is_none() && prop(r, "MethodSettings").is_none(),
    ),
    (
        "AWS::ApiGateway::Stage",
        &["CKV_AWS_73", "API_GW_XRAY_ENABLED_CHECK"],
        |r| prop(r, "TracingEnabled") != Some(&Value::Bool(true)),
    ),
    ("AWS::ApiGateway::Stage", &["CKV_AWS_120"], |r| {
        prop(r, "CacheClusterEnabled") != Some(&Value::Bool(true))
    }),
    // Control Tower's rule cannot read our Fn::Sub / Ref scoping; suppressed only where both
    // conditions really are there.
    (
        "AWS::Lambda::Permission",
        &["LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED_CHECK"],
        |r| prop(r, "SourceArn").is_some() && prop(r, "SourceAccount").is_some(),
    ),
    // By waiver or by design (their own tests in src/cfn/build/ and src/rules/).
    (
        "AWS::IAM::Role",
        &["CKV_AWS_109", "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"],
        |r| {
            r.pointer("/Metadata/cogsynth/wildcard_resource_reason")
                .is_some()
        },
    ),
    (
        "AWS::Cognito::IdentityPool",
        &[
            "CKV_AWS_366",
            "COGNITO_ALLOW_UNAUTHENTICATED_IDENTITIES_RULE",
        ],
        |r| prop(r, "AllowUnauthenticatedIdentities") == Some(&Value::Bool(true)),
    ),
];

#[test]
fn suppressions_sit_exactly_where_the_finding_would_be() {
    let mut seen = BTreeSet::new();
    for (name, t) in good_templates() {
        for (id, r) in t["Resources"].as_object().unwrap() {
            let kind = r["Type"].as_str().unwrap();
            let skips = checkov(r);
            let guards = guard(r);
            for (check, comment) in &skips {
                assert!(
                    !comment.trim().is_empty(),
                    "{name} {id}: {check} without a reason"
                );
            }
            let mut explained: BTreeSet<&str> = BTreeSet::new();
            for (k, ids, fires) in RULES {
                if *k != kind {
                    continue;
                }
                let fires = fires(r);
                for rule in *ids {
                    explained.insert(rule);
                    let suppressed = skips.iter().any(|(c, _)| c == rule) || guards.contains(*rule);
                    assert_eq!(
                        suppressed,
                        fires,
                        "{name} {id}: {rule} suppressed={suppressed} but the finding would {}",
                        if fires { "fire" } else { "not fire" }
                    );
                    if suppressed {
                        seen.insert(*rule);
                    }
                }
            }
            for rule in skips
                .iter()
                .map(|(c, _)| c.as_str())
                .chain(guards.iter().map(String::as_str))
            {
                assert!(
                    explained.contains(rule),
                    "{name} {id} ({kind}): {rule} is suppressed, but no test here says where it fires"
                );
            }
        }
    }
    // Every rule of the table was exercised by some template (no dead rows).
    let all: BTreeSet<&str> = RULES
        .iter()
        .flat_map(|(_, ids, _)| ids.iter().copied())
        .collect();
    assert_eq!(seen, all, "rules never suppressed in any good template");
}

#[test]
fn a_guard_suppression_without_a_checkov_twin_states_its_reason_in_cogsynth() {
    for (name, t) in good_templates() {
        for (id, r) in t["Resources"].as_object().unwrap() {
            let guards = guard(r);
            if guards.is_empty() {
                continue;
            }
            let has_comment = !checkov(r).is_empty();
            let notes = r
                .pointer("/Metadata/cogsynth")
                .and_then(Value::as_object)
                .map_or(0, |m| m.keys().filter(|k| k.ends_with("_reason")).count());
            assert!(
                has_comment || notes > 0,
                "{name} {id}: guard suppressions without a reason"
            );
        }
        // The retention reason names the retention it explains.
        for (id, r) in t["Resources"].as_object().unwrap() {
            if let Some(reason) = r.pointer("/Metadata/cogsynth/retention_reason") {
                let days = r["Properties"]["RetentionInDays"].as_u64().unwrap();
                assert!(
                    reason
                        .as_str()
                        .unwrap()
                        .contains(&format!("Kept {days} days")),
                    "{name} {id}: {reason}"
                );
            }
        }
    }
}

/// What the reasons claim, checked: the detach function's only caller is CloudFormation, and the
/// attach function's environment holds only ids and names (pool, IoT policies, API).
#[test]
fn the_reasons_claims_hold() {
    for (name, t) in good_templates() {
        let resources = t["Resources"].as_object().unwrap();
        let mentions_detach = |v: &Value| v.to_string().contains("\"DetachFunction\"");
        for (id, r) in resources {
            match r["Type"].as_str().unwrap() {
                "AWS::Lambda::Permission" => assert!(
                    !mentions_detach(&r["Properties"]["FunctionName"]),
                    "{name} {id}: a permission to invoke the detach function"
                ),
                "AWS::IAM::Role" => {
                    for p in r["Properties"]["Policies"].as_array().into_iter().flatten() {
                        for s in p["PolicyDocument"]["Statement"].as_array().unwrap() {
                            if s["Action"].to_string().contains("lambda:") {
                                assert!(
                                    !mentions_detach(&s["Resource"]),
                                    "{name} {id}: a role may invoke the detach function"
                                );
                            }
                        }
                    }
                }
                "AWS::Lambda::Function" if checkov(r).iter().any(|(c, _)| c == "CKV_AWS_173") => {
                    let vars: BTreeSet<&str> = r["Properties"]["Environment"]["Variables"]
                        .as_object()
                        .unwrap()
                        .keys()
                        .map(String::as_str)
                        .collect();
                    // Ids and names, no secret: the pool, the policies, and behind API Gateway
                    // the API the function trusts.
                    let known =
                        BTreeSet::from(["IDENTITY_POOL_ID", "IOT_POLICY_NAMES", "ATTACH_API_ID"]);
                    assert!(
                        vars.is_subset(&known),
                        "{name} {id}: the environment now holds more than the reason says: {vars:?}"
                    );
                }
                _ => {}
            }
        }
    }
}
