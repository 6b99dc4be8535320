//! The GitHub Actions workflow in README runs: its `synth` steps, run on a copy of the bundled
//! stacks in a git repository with a pull-request branch, behave as the workflow expects.

use std::fs;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::support::{Scratch, repo};

fn workflow() -> Value {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let start = readme
        .find("<!-- ci-workflow -->")
        .expect("README has the workflow");
    let end = readme
        .find("<!-- /ci-workflow -->")
        .expect("workflow end marker");
    let block = &readme[start..end];
    let yaml = block
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .expect("a yaml block");
    cogsynth::source::parse("workflow.yml", yaml.as_bytes())
        .expect("the workflow is YAML")
        .value
}

fn git(dir: &Path, args: &[&str]) {
    let ok = Command::new("git")
        .args([
            "-c",
            "user.name=ci",
            "-c",
            "user.email=ci@example.com",
            "-c",
            "init.defaultBranch=main",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git runs");
    assert!(
        ok.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn the_workflow_synth_steps_work_on_a_pull_request() {
    let wf = workflow();
    let steps = wf
        .pointer("/jobs/synth/steps")
        .and_then(Value::as_array)
        .expect("steps");
    let runs: Vec<(String, bool)> = steps
        .iter()
        .filter_map(|s| Some((s.get("run")?.as_str()?.to_owned(), s.get("if").is_some())))
        .filter(|(r, _)| r.starts_with("synth "))
        .collect();
    assert_eq!(runs.len(), 3, "{runs:?}");

    // A repository with the bundled stacks on main, and a branch that widens a grant.
    let s = Scratch::with_readme_stacks();
    assert_eq!(s.run(&[]).code, 0);
    git(s.path(), &["init", "-q"]);
    git(s.path(), &["add", "."]);
    git(s.path(), &["commit", "-qm", "base"]);
    git(s.path(), &["checkout", "-qb", "pr"]);
    let fleet = s.read("stacks/fleet.yaml").replace(
        "subscribe: [\"fleet/news/#\"]",
        "subscribe: [\"fleet/news/#\", \"fleet/alerts/+\"]",
    );
    fs::write(s.path().join("stacks/fleet.yaml"), fleet).unwrap();
    assert_eq!(s.run(&[]).code, 0);
    git(s.path(), &["commit", "-qam", "alerts"]);

    let bin_dir = Path::new(env!("CARGO_BIN_EXE_synth"))
        .parent()
        .unwrap()
        .to_owned();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut codes = Vec::new();
    for (run, _) in &runs {
        // The checkout has `origin/<base>`; this repository has the base branch itself.
        let command = run.replace("origin/${{ github.base_ref }}", "main");
        let out = Command::new("sh")
            .args(["-c", &command])
            .current_dir(s.path())
            .env("PATH", &path)
            .output()
            .unwrap();
        codes.push(out.status.code().unwrap_or(-1));
    }
    // Up to date and clean; the diff is written; the broadening gate trips on this PR.
    assert_eq!(codes, [0, 0, 1]);
    let sarif: Value = serde_json::from_str(&s.read("synth.sarif")).expect("SARIF is JSON");
    assert_eq!(sarif["version"], "2.1.0");
    let md = s.read("permission-diff.md");
    assert!(md.contains("### Stack `fleet`: changed"), "{md}");
    assert!(
        md.contains("`subscribe fleet/alerts/*`") && md.contains("**broadening**"),
        "{md}"
    );
    // Steps after a failure still report (`if: always()`), the gate itself does not.
    assert_eq!(
        runs.iter().map(|(_, always)| *always).collect::<Vec<_>>(),
        [false, true, false]
    );
}
