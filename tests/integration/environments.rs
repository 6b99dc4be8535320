//! One spec, several environments: parameter files, a StackSet, `deploy-command --env`, and a
//! template that names nothing account- or region-specific.

use std::fs;

use serde_json::Value;

use crate::support::{Scratch, repo};

#[test]
fn each_environment_gets_a_parameter_file_and_the_stackset_covers_them_all() {
    let s = Scratch::new().bundled("fleet.yaml");
    assert_eq!(s.run(&[]).code, 0);
    let prod: Value = serde_json::from_str(&s.read("out/fleet.prod.parameters.json")).unwrap();
    assert_eq!(
        prod,
        serde_json::json!([
            { "ParameterKey": "UserPoolClientId", "ParameterValue": "prodclient012345678" },
            { "ParameterKey": "UserPoolId", "ParameterValue": "eu-west-1_ProdPool1" }
        ])
    );
    let set = cogsynth::source::parse("set", s.read("out/fleet.stackset.template.yaml").as_bytes())
        .unwrap()
        .value;
    let props = &set["Resources"]["FleetStackSet"]["Properties"];
    assert_eq!(props["PermissionModel"], "SELF_MANAGED");
    assert_eq!(props["Capabilities"], serde_json::json!(["CAPABILITY_IAM"]));
    let groups = props["StackInstancesGroup"].as_array().unwrap();
    assert_eq!(groups.len(), 2);
    assert_eq!(
        groups[1]["DeploymentTargets"]["Accounts"],
        serde_json::json!(["222222222222", "333333333333"])
    );
    assert_eq!(
        groups[1]["Regions"],
        serde_json::json!(["eu-west-1", "eu-central-1"])
    );
    assert_eq!(groups[1]["ParameterOverrides"], prod);
    // Removing the environments removes their files.
    let spec = fs::read_to_string(s.path().join("stacks/fleet.yaml")).unwrap();
    let (start, end) = (
        spec.find("\n# One template, three places").unwrap(),
        spec.find("\nexpect:").unwrap(),
    );
    fs::write(
        s.path().join("stacks/fleet.yaml"),
        format!("{}{}", &spec[..start], &spec[end..]),
    )
    .unwrap();
    let ran = s.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        !s.exists("out/fleet.prod.parameters.json")
            && !s.exists("out/fleet.stackset.template.yaml")
    );
}

#[test]
fn deploy_command_uses_the_environment() {
    let s = Scratch::new().bundled("fleet.yaml");
    assert_eq!(s.run(&[]).code, 0);
    let ran = s.run(&["deploy-command", "fleet", "--env", "dev"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains("--stack-name fleet-dev \\\n"),
        "{}",
        ran.stdout
    );
    assert!(ran.stdout.ends_with("--parameter-overrides UserPoolClientId=devclient0123456789 UserPoolId=us-east-1_DevPool01\n"), "{}", ran.stdout);
    assert!(!ran.stderr.contains("REPLACE_ME"));
    assert!(
        ran.stderr
            .contains("--parameter-overrides file://out/fleet.dev.parameters.json"),
        "{}",
        ran.stderr
    );
    let ran = s.run(&["deploy-command", "fleet", "--env", "qa"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .contains("no environment `qa` (environments: dev, prod)"),
        "{}",
        ran.stderr
    );
}

/// Nothing in a stack template is tied to one account or region, so the StackSet can deploy the
/// same text everywhere: no custom IAM, function or log group names; no literal ARNs.
#[test]
fn stack_templates_deploy_anywhere() {
    for name in ["fleet", "guide-authenticated", "guide-unauthenticated"] {
        let text = fs::read_to_string(repo().join(format!("out/{name}.template.yaml"))).unwrap();
        let t = cogsynth::source::parse(name, text.as_bytes())
            .unwrap()
            .value;
        for (id, r) in t["Resources"].as_object().unwrap() {
            for key in ["RoleName", "FunctionName", "LogGroupName", "Path"] {
                assert!(
                    r["Properties"].get(key).is_none(),
                    "{name}: {id} sets {key}"
                );
            }
        }
        assert!(
            !text.contains("arn:aws:") && !text.contains("us-east-1:"),
            "{name} has a literal ARN or region"
        );
    }
}
