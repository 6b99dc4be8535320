//! `synth client`: the permission manifest and the TypeScript kit. The kit's compilation
//! (`tsc --strict`) and its end-to-end test run in `tests/client/run.sh` (`.ci/test`), which
//! needs the pinned npm packages; these tests need nothing but the binary.

use std::collections::BTreeSet;
use std::fs;

use cogsynth::client::typescript::PACKAGES;
use cogsynth::policy::doc::{Identities, role_views};
use serde_json::Value;

use crate::support::{Scratch, repo};

const STACKS: [&str; 3] = ["fleet", "guide-authenticated", "guide-unauthenticated"];

fn scratch() -> Scratch {
    STACKS
        .iter()
        .fold(Scratch::new(), |s, name| s.bundled(&format!("{name}.yaml")))
}

fn manifest(s: &Scratch, stack: &str) -> Value {
    let ran = s.run(&["client", stack, "--lang", "manifest"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    serde_json::from_str(&ran.stdout).unwrap()
}

#[test]
fn the_manifest_names_outputs_that_the_template_has_and_the_policy_it_emits() {
    let s = scratch();
    for stack in STACKS {
        let m = manifest(&s, stack);
        assert_eq!(m["version"], 1);
        assert_eq!(m["stack"], stack);
        assert_eq!(m["mqtt"]["signing"]["service"], "iotdevicegateway");
        let template = cogsynth::manifest::load_one(
            &repo(),
            std::path::Path::new(&format!("stacks/{stack}.yaml")),
        )
        .unwrap()
        .compiled
        .json;
        let views = role_views(&template);
        for pool in m["pools"].as_array().unwrap() {
            for (_, output) in pool["outputs"].as_object().unwrap() {
                if let Some(name) = output.as_str() {
                    assert!(
                        template["Outputs"].get(name).is_some(),
                        "{stack}: output {name} is not in the template"
                    );
                }
            }
            assert_eq!(pool["attach"]["invoke"], "direct");
            for role in pool["roles"].as_array().unwrap() {
                // The manifest's policy resources are the ones the generated policies hold:
                // what a local broker enforcing the manifest enforces is what AWS would.
                let kind = if role["identities"] == "signed-in" {
                    Identities::Authenticated
                } else {
                    Identities::Unauthenticated
                };
                let view = views
                    .iter()
                    .find(|v| v.pool == pool["name"] && v.identities == kind)
                    .unwrap();
                let statements = if kind == Identities::Authenticated {
                    &view.iot
                } else {
                    &view.iam
                };
                for (action, prefix, key) in [
                    ("iot:Connect", "client/", "connect"),
                    ("iot:Publish", "topic/", "publish"),
                    ("iot:Subscribe", "topicfilter/", "subscribe"),
                    ("iot:Receive", "topic/", "receive"),
                ] {
                    let emitted: BTreeSet<String> = statements
                        .iter()
                        .filter(|s| s.actions.iter().any(|a| a == action))
                        .flat_map(|s| s.resources.iter())
                        .map(|r| {
                            let r = r.split_once(prefix).map_or(r.as_str(), |(_, rest)| rest);
                            r.replace("${cognito-identity.amazonaws.com:sub}", "${identity}")
                        })
                        .collect();
                    let listed: BTreeSet<String> = role["policy"][key]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect();
                    assert_eq!(listed, emitted, "{stack} {} {key}", role["role"]);
                }
            }
        }
    }
    let fleet = manifest(&s, "fleet");
    let member = &fleet["pools"][0]["roles"][0];
    assert_eq!(member["role"], "member");
    assert_eq!(member["needs_attach"], true);
    assert_eq!(member["client_id"]["allowed"][0], "${identity}");
    assert_eq!(fleet["pools"][0]["roles"][1]["needs_attach"], false);
}

#[test]
fn api_gateway_stacks_call_the_attach_url() {
    let s = Scratch::new().file(
        "stacks/api.yaml",
        fs::read(repo().join("tests/fixtures/good/api-gateway.yaml")).unwrap(),
    );
    let m = manifest(&s, "api-gateway");
    let pool = &m["pools"][0];
    assert_eq!(pool["attach"]["invoke"], "api-gateway");
    assert_eq!(pool["attach"]["output"], "AppAttachUrl");
    assert_eq!(pool["outputs"]["attach_url"], "AppAttachUrl");
    let ts = s.run(&["client", "api-gateway", "--lang", "typescript"]);
    assert!(
        ts.stdout.contains("invoke: \"api-gateway\""),
        "{}",
        ts.stdout
    );
    assert!(ts.stdout.contains("attachUrl: \"AppAttachUrl\""));
}

#[test]
fn the_kit_is_deterministic_typed_per_role_and_pins_what_the_tests_install() {
    let s = scratch();
    let a = s.run(&["client", "fleet", "--lang", "typescript"]);
    let b = s.run(&["client", "fleet", "--lang", "typescript"]);
    assert_eq!(a.code, 0, "{a:?}");
    assert_eq!(a.stdout, b.stdout);
    let ts = &a.stdout;
    assert!(ts.starts_with("// Generated by synth from stacks/fleet.yaml (stack fleet)."));
    assert!(ts.contains("export type RoleName = \"guest\" | \"member\";"));
    assert!(ts.contains(
        "devicesTelemetry: (identityId: string): PublishTopic<\"member\"> => (\"devices/\" + identity(identityId) + \"/telemetry\") as PublishTopic<\"member\">,"
    ));
    assert!(ts.contains(
        "devicesCommands: (identityId: string): SubscribeFilter<\"member\"> => (\"devices/\" + identity(identityId) + \"/commands/#\") as SubscribeFilter<\"member\">,"
    ));
    assert!(ts.contains("lobbyHello: (): PublishTopic<\"guest\">"));

    // The versions the kit names are the ones tests/client installs and tests it with.
    let package: Value = serde_json::from_str(
        &fs::read_to_string(repo().join("tests/client/package.json")).unwrap(),
    )
    .unwrap();
    for (name, version) in PACKAGES {
        assert_eq!(
            package["dependencies"][name].as_str(),
            Some(version),
            "{name} in tests/client/package.json"
        );
        assert!(ts.contains(&format!("//   {name} {version}\n")));
    }
    assert_eq!(
        package["dependencies"].as_object().unwrap().len(),
        PACKAGES.len(),
        "every runtime dependency of the kit is named in the kit"
    );
}

#[test]
fn out_writes_one_file_and_errors_exit_2() {
    let s = scratch();
    let ran = s.run(&[
        "client",
        "fleet",
        "--lang",
        "typescript",
        "--out",
        "app/src",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stderr, "synth: wrote app/src/fleet.ts\n");
    assert!(
        s.read("app/src/fleet.ts")
            .contains("export async function connect")
    );
    let ran = s.run(&["client", "fleet", "--lang", "manifest", "--out", "app"]);
    assert_eq!(ran.code, 0);
    let _: Value = serde_json::from_str(&s.read("app/fleet.manifest.json")).unwrap();
    assert!(!s.exists("out"), "synth client never writes out/");

    let ran = s.run(&["client", "nope", "--lang", "manifest"]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr.contains("no spec in stacks has `stack: nope`"),
        "{ran:?}"
    );
    let broken = scratch().file("stacks/broken.yaml", "version: 1\nstack: [\n");
    let ran = broken.run(&["client", "fleet", "--lang", "manifest"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("stacks/broken.yaml:"), "{ran:?}");
    assert!(ran.stdout.is_empty());
}
