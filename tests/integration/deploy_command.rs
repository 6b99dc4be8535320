//! `synth deploy-command STACK`: the exact `aws cloudformation deploy` line for the bundled
//! stacks and fixtures, parameter defaults and placeholders, oversized templates, shell quoting
//! (checked by running the line through `sh`), unknown stacks; and that it writes nothing.

use std::fs;
use std::path::Path;
use std::process::Command;

use crate::support::{Scratch, repo};

fn shop() -> String {
    fs::read_to_string(repo().join("tests/fixtures/diff/shop.yaml")).expect("fixture")
}

/// A scratch directory with the shop fixture built into out/.
fn built_shop() -> Scratch {
    let s = Scratch::new().file("stacks/shop.yaml", shop());
    let ran = s.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    s
}

/// The words `sh` passes to the command, one per line: the line run with `printf` in place of
/// `aws cloudformation deploy`.
fn argv(command: &str) -> Vec<String> {
    let script = command.replacen("aws cloudformation deploy", "printf '%s\\n'", 1);
    let out = Command::new("sh")
        .args(["-c", &script])
        .output()
        .expect("sh runs");
    assert!(out.status.success(), "{script}");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_stack_with_a_default_gets_its_exact_line() {
    let s = built_shop();
    let before = s.tree("out");
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "aws cloudformation deploy \\\n  \
         --template-file out/shop.template.yaml \\\n  \
         --stack-name shop \\\n  \
         --capabilities CAPABILITY_IAM \\\n  \
         --no-fail-on-empty-changeset \\\n  \
         --parameter-overrides UserPoolClientId=shopclient123 UserPoolId=REPLACE_ME\n"
    );
    assert_eq!(
        ran.stderr,
        "synth deploy-command: note: stacks/shop.yaml gives no default for UserPoolId: replace REPLACE_ME with the value(s)\n"
    );
    // Nothing written: out/ is as synth left it, and nothing else appeared.
    assert_eq!(s.tree("out"), before);
    let mut top: Vec<String> = fs::read_dir(s.path())
        .expect("scratch")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["out", "stacks"]);
    // What the shell hands to aws.
    assert_eq!(
        argv(&ran.stdout),
        [
            "--template-file",
            "out/shop.template.yaml",
            "--stack-name",
            "shop",
            "--capabilities",
            "CAPABILITY_IAM",
            "--no-fail-on-empty-changeset",
            "--parameter-overrides",
            "UserPoolClientId=shopclient123",
            "UserPoolId=REPLACE_ME",
        ]
    );
}

#[test]
fn every_bundled_stack_gets_a_line() {
    let mut s = Scratch::new();
    let names: Vec<String> = {
        let mut n: Vec<String> = fs::read_dir(repo().join("stacks"))
            .expect("stacks")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| Path::new(n).extension().is_some_and(|e| e == "yaml"))
            .collect();
        n.sort();
        n
    };
    for n in &names {
        s = s.bundled(n);
    }
    let ran = s.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for n in &names {
        let stack = n.trim_end_matches(".yaml");
        let ran = s.run(&["deploy-command", stack]);
        assert_eq!(ran.code, 0, "{stack}: {ran:?}");
        let words = argv(&ran.stdout);
        let after = |flag: &str| {
            words
                .iter()
                .position(|w| w == flag)
                .and_then(|i| words.get(i + 1))
                .map(String::as_str)
        };
        let template = format!("out/{stack}.template.yaml");
        assert_eq!(after("--template-file"), Some(template.as_str()), "{stack}");
        assert_eq!(after("--stack-name"), Some(stack), "{stack}");
        assert_eq!(after("--capabilities"), Some("CAPABILITY_IAM"), "{stack}");
        assert!(
            words.contains(&"--no-fail-on-empty-changeset".to_owned()),
            "{stack}"
        );
        assert!(!words.contains(&"--s3-bucket".to_owned()), "{stack}");
        // Every parameter of the template is overridden: with its Default, or with the
        // placeholder, which stderr names.
        let template_text = s.read(&template);
        let doc = cogsynth::source::parse(&template, template_text.as_bytes()).expect("parses");
        let params = doc.value["Parameters"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        let overrides: Vec<&String> = words
            .iter()
            .skip_while(|w| *w != "--parameter-overrides")
            .skip(1)
            .collect();
        assert_eq!(overrides.len(), params.len(), "{stack}: {words:?}");
        for (p, body) in &params {
            let expected = if let Some(d) = body["Default"].as_str() {
                format!("{p}={d}")
            } else {
                assert!(ran.stderr.contains(p.as_str()), "{stack}: {}", ran.stderr);
                format!("{p}=REPLACE_ME")
            };
            assert!(
                overrides.contains(&&expected),
                "{stack}: {expected} not in {words:?}"
            );
        }
    }
}

#[test]
fn an_oversized_template_needs_an_s3_bucket() {
    let s = built_shop();
    let text = s.read("out/shop.template.yaml");
    // Pad with comment lines (the template means the same) to exactly the limit, then one more.
    let pad = |target: usize| {
        let mut t = text.clone();
        while t.len() + 80 < target {
            t.push('#');
            t.push_str(&"x".repeat(78));
            t.push('\n');
        }
        t.push('#');
        t.push_str(&"x".repeat(target - t.len() - 1));
        t.push('\n');
        assert_eq!(t.len(), target);
        t
    };
    fs::write(s.path().join("out/shop.template.yaml"), pad(51_200)).expect("write");
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stdout.contains("--s3-bucket"), "{}", ran.stdout);

    fs::write(s.path().join("out/shop.template.yaml"), pad(51_201)).expect("write");
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("  --s3-bucket REPLACE_WITH_BUCKET \\\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr.contains(
            "out/shop.template.yaml is 51201 bytes, over the 51200 bytes CloudFormation accepts inline"
        ),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("replace REPLACE_WITH_BUCKET"),
        "{}",
        ran.stderr
    );
    let words = argv(&ran.stdout);
    assert!(
        words
            .windows(2)
            .any(|w| w == ["--s3-bucket", "REPLACE_WITH_BUCKET"])
    );
}

#[test]
fn values_a_shell_would_mangle_are_quoted() {
    let spec = shop().replace("default: shopclient123", "default: \"it's $HOME *\"");
    let s = Scratch::new().file("stacks/shop.yaml", spec);
    assert_eq!(s.run(&[]).code, 0);
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains(r"'UserPoolClientId=it'\''s $HOME *'"),
        "{}",
        ran.stdout
    );
    assert!(
        argv(&ran.stdout).contains(&"UserPoolClientId=it's $HOME *".to_owned()),
        "{:?}",
        argv(&ran.stdout)
    );
}

#[test]
fn a_json_template_is_used_when_it_is_the_one_there() {
    let s = Scratch::new().file("stacks/shop.yaml", shop());
    assert_eq!(s.run(&["--template-format", "json"]).code, 0);
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("  --template-file out/shop.template.json \\\n"),
        "{}",
        ran.stdout
    );
    // --out and --stacks elsewhere.
    let s = Scratch::new().file("specs/shop.yaml", shop());
    assert_eq!(s.run(&["--stacks", "specs", "--out", "build"]).code, 0);
    let ran = s.run(&[
        "deploy-command",
        "shop",
        "--stacks",
        "specs",
        "--out",
        "build",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("  --template-file build/shop.template.yaml \\\n"),
        "{}",
        ran.stdout
    );
}

#[test]
fn an_unknown_stack_is_exit_2_with_the_known_stacks() {
    let s = built_shop().bundled("fleet.yaml");
    let ran = s.run(&["deploy-command", "shpo"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stdout.is_empty());
    assert_eq!(
        ran.stderr,
        "synth deploy-command: error: no spec in stacks has `stack: shpo`; did you mean `shop`?\n  known stacks: fleet, shop\n"
    );
    // A spec that does not load is named, since it may be the one meant.
    let s = s.file("stacks/broken.yaml", "version: 1\nstack: [\n");
    let ran = s.run(&["deploy-command", "broken"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains(
            "known stacks: fleet, shop\n  skipped (run `synth` to see why): stacks/broken.yaml"
        ),
        "{}",
        ran.stderr
    );
}

#[test]
fn a_stack_without_a_template_is_exit_2() {
    let s = Scratch::new().file("stacks/shop.yaml", shop());
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "out/shop.template.yaml: error[io]: no template for stack `shop` (nor out/shop.template.json): run `synth` first\n"
    );
    assert!(!s.exists("out"));
}

/// A spec reached through a symbolic link is built by `synth`, so `deploy-command` finds its
/// stack too (it used to skip it and say the stack did not exist).
#[cfg(unix)]
#[test]
fn a_symlinked_spec_is_found_like_synth_builds_it() {
    let s = Scratch::new().file("specs/shop.yaml", shop());
    fs::create_dir_all(s.path().join("stacks")).unwrap();
    std::os::unix::fs::symlink("../specs/shop.yaml", s.path().join("stacks/shop.yaml")).unwrap();
    let built = s.run(&[]);
    assert_eq!(built.code, 0, "{built:?}");
    let ran = s.run(&["deploy-command", "shop"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.starts_with("aws cloudformation deploy"),
        "{}",
        ran.stdout
    );
}
