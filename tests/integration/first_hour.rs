//! A new user's first hour (issue 14): help and completions, `synth init`, `synth schema`,
//! `synth rules`, a mistyped subcommand, colour on and off, the summary of a passing run, the
//! guest reason that is enough for CIP-POOL-001, the checks of `synth simulate`, and I/O errors
//! that name what the user gave.

use std::fs;
use std::path::Path;
use std::process::Command;

use cogsynth::cli::subcommand_names;
use cogsynth::rules::RULES;

use crate::support::{Ran, Scratch, repo, run_in};

/// Runs `synth` in `dir` with a controlled colour environment: `NO_COLOR`, `CLICOLOR_FORCE`
/// and `CLICOLOR` removed, then `envs` set.
fn run_env(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Ran {
    run_in(
        dir,
        Command::new(env!("CARGO_BIN_EXE_synth"))
            .args(args)
            .env_remove("NO_COLOR")
            .env_remove("CLICOLOR_FORCE")
            .env_remove("CLICOLOR")
            .envs(envs.iter().copied()),
    )
}

/// `text` without ANSI SGR sequences (`ESC [ … m`).
fn unstyled(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('\u{1b}') {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let end = after.find('m').expect("an SGR sequence ends with m");
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

#[test]
fn help_lists_every_subcommand_with_one_line() {
    let ran = Scratch::new().run(&["--help"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let names = subcommand_names();
    for want in [
        "init",
        "simulate",
        "diff",
        "deploy-command",
        "rules",
        "schema",
        "completions",
    ] {
        assert!(names.iter().any(|n| n == want), "{names:?}");
    }
    for name in &names {
        let line = ran
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no line for `{name}` in\n{}", ran.stdout));
        let what = line.trim_start()[name.len()..].trim();
        assert!(!what.is_empty(), "`{name}` has no description: {line:?}");
    }
    assert!(ran.stdout.contains("--color <WHEN>"), "{}", ran.stdout);
    assert!(ran.stdout.contains("synth init"), "{}", ran.stdout);
}

#[test]
fn completions_generate_for_every_shell() {
    let scratch = Scratch::new();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef synth"),
        ("fish", "complete -c synth"),
        ("powershell", "Register-ArgumentCompleter"),
    ] {
        let ran = scratch.run(&["completions", shell]);
        assert_eq!(ran.code, 0, "{shell}: {ran:?}");
        assert!(ran.stdout.contains(marker), "{shell}: {}", ran.stdout);
        for sub in subcommand_names() {
            assert!(ran.stdout.contains(&sub), "{shell} lacks {sub}");
        }
        assert!(ran.stdout.contains("template-format"), "{shell}");
    }
    let ran = scratch.run(&["completions", "tcsh"]);
    assert_eq!(ran.code, 2, "{ran:?}");
}

#[test]
fn init_writes_a_starter_spec_that_builds_and_checks() {
    let scratch = Scratch::new();
    let ran = scratch.run(&["init", "demo"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.starts_with(
            "synth: wrote stacks/demo.yaml (stack `demo`)\n\
             synth: wrote .cogsynth.schema.json (the spec schema, for editors; `synth schema` prints it)\n\nNext:\n"
        ),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("synth --check"), "{}", ran.stderr);
    let spec = scratch.read("stacks/demo.yaml");
    assert!(
        spec.starts_with("# yaml-language-server: $schema=../.cogsynth.schema.json\n"),
        "{spec}"
    );
    for part in [
        "\nstack: demo\n",
        "\nexpect:",
        "${identity}",
        "# Guests are off.",
    ] {
        assert!(spec.contains(part), "{part}: {spec}");
    }
    assert_eq!(
        fs::read(scratch.path().join(".cogsynth.schema.json")).expect("schema"),
        fs::read(repo().join("schemas/stack.schema.json")).expect("schema")
    );

    // It builds without a finding, proves its expect: block, and passes --check.
    let built = scratch.run(&[]);
    assert_eq!(built.code, 0, "{built:?}");
    assert!(!built.stderr.contains("warning"), "{}", built.stderr);
    assert!(
        built
            .stderr
            .contains("synth: ok: 1 stack, 1 file in out: 1 written, 0 unchanged\n"),
        "{}",
        built.stderr
    );
    assert!(
        built
            .stderr
            .ends_with("synth: expect: 6 requests passed (demo 6)\n"),
        "{}",
        built.stderr
    );
    let template = scratch.read("out/demo.template.yaml");
    assert!(
        template.contains("AllowUnauthenticatedIdentities: false"),
        "guests are off: {template}"
    );
    let checked = scratch.run(&["--check"]);
    assert_eq!(checked.code, 0, "{checked:?}");
    assert_eq!(
        checked.stderr,
        "synth --check: ok: 1 stack, 1 file in out up to date\n\
         synth --check: expect: 6 requests passed (demo 6)\n"
    );

    // The next command it prints works as printed.
    let simulate = ran
        .stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("synth simulate "))
        .map(|rest| format!("simulate {rest}"))
        .expect("a simulate line");
    let args: Vec<&str> = simulate.split_whitespace().collect();
    let ran = scratch.run(&args);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.starts_with("ALLOW publish users/"),
        "{}",
        ran.stdout
    );
    assert_eq!(ran.stderr, "", "a GUID identity id gets no warning");
}

#[test]
fn init_refuses_to_overwrite_and_checks_the_name() {
    let scratch = Scratch::new().file("stacks/demo.yaml", "# mine\n");
    let ran = scratch.run(&["init", "demo"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.starts_with(
            "synth init: error: stacks/demo.yaml already exists; synth init does not overwrite\n"
        ),
        "{}",
        ran.stderr
    );
    assert_eq!(scratch.read("stacks/demo.yaml"), "# mine\n");
    assert!(!scratch.exists(".cogsynth.schema.json"), "nothing written");

    let ran = scratch.run(&["init", "My_App"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("try `synth init my-app`"),
        "{}",
        ran.stderr
    );
    assert!(!scratch.exists("stacks/My_App.yaml"));

    // No name: the directory's, made a stack name; a schema file that differs is left alone.
    let dir = tempfile::Builder::new()
        .prefix("Shop_Floor.")
        .tempdir()
        .expect("temp dir");
    fs::write(dir.path().join(".cogsynth.schema.json"), "{}").expect("write");
    let ran = run_env(dir.path(), &["init", "--stacks", "infra/stacks"], &[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let stem = dir
        .path()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .to_lowercase()
        .replace(['_', '.'], "-");
    let spec = fs::read_to_string(dir.path().join(format!("infra/stacks/{stem}.yaml")))
        .unwrap_or_else(|e| panic!("{stem}: {e}: {ran:?}"));
    assert!(
        spec.starts_with("# yaml-language-server: $schema=../../.cogsynth.schema.json\n"),
        "{spec}"
    );
    assert!(
        ran.stderr.contains("differs from this synth's schema"),
        "{}",
        ran.stderr
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(".cogsynth.schema.json")).unwrap(),
        "{}"
    );
    assert!(
        ran.stderr
            .contains("\n       synth --stacks infra/stacks\n"),
        "{}",
        ran.stderr
    );
    let built = run_env(dir.path(), &["--stacks", "infra/stacks"], &[]);
    assert_eq!(built.code, 0, "{built:?}");
}

#[test]
fn an_empty_spec_points_at_synth_init() {
    let scratch = Scratch::new().file("stacks/a.yaml", "# nothing yet\n");
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("run `synth init`"), "{}", ran.stderr);
    // No stacks/ at all: the same pointer.
    let ran = Scratch::new().run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("synth init"), "{}", ran.stderr);
}

#[test]
fn schema_prints_the_embedded_schema() {
    let ran = Scratch::new().run(&["schema"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        fs::read_to_string(repo().join("schemas/stack.schema.json")).unwrap()
    );
}

#[test]
fn rules_lists_every_rule_and_explains_one() {
    let scratch = Scratch::new();
    let ran = scratch.run(&["rules"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for rule in RULES {
        let line = ran
            .stdout
            .lines()
            .find(|l| l.starts_with(&format!("{} ", rule.id)))
            .unwrap_or_else(|| panic!("{} missing", rule.id));
        assert!(line.contains(rule.summary), "{line}");
        assert!(line.contains("error") || line.contains("warning"), "{line}");
    }
    assert!(ran.stdout.contains(&format!("\n{} rules.", RULES.len())));

    let ran = scratch.run(&["rules", "cip-unauth-001"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with("CIP-UNAUTH-001: "), "{}", ran.stdout);
    for part in [
        "  severity: error\n",
        "  why:      ",
        "  anchors:  M1, M4; Device Defender unauthenticated check (",
        " (docs/security-rules.md §9)\n",
        "M1: Guests get the IAM role alone; members get IAM ∩ IoT for seven actions (docs/security-rules.md M1)",
        "- rule: CIP-UNAUTH-001",
    ] {
        assert!(ran.stdout.contains(part), "{part}:\n{}", ran.stdout);
    }

    let ran = scratch.run(&["rules", "CIP-POOL-01"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "synth rules: error: unknown rule `CIP-POOL-01`\n  = help: did you mean `CIP-POOL-001`? `synth rules` lists every rule\n"
    );
}

#[test]
fn a_mistyped_subcommand_gets_a_suggestion() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    for (typed, meant) in [("dif", "diff"), ("simulat", "simulate"), ("rule", "rules")] {
        let ran = scratch.run(&[typed]);
        assert_eq!(ran.code, 2, "{ran:?}");
        assert!(
            ran.stderr.starts_with(&format!(
                "synth: error: unrecognized subcommand '{typed}'\n  = help: did you mean '{meant}'?"
            )),
            "{}",
            ran.stderr
        );
        assert!(
            !ran.stderr.contains("cannot read the spec"),
            "{}",
            ran.stderr
        );
    }
    // A word far from every subcommand stays a missing spec.
    let ran = scratch.run(&["zzzzzz"]);
    assert!(
        ran.stderr.contains("cannot read the spec: no such file"),
        "{}",
        ran.stderr
    );
    // A file of that name is a spec, whatever it is called.
    let scratch = scratch.file("dif", "# nothing yet\n");
    let ran = scratch.run(&["dif"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.starts_with("dif:1:1: error[spec-empty]"),
        "{}",
        ran.stderr
    );
}

/// A spec with an error (an unknown key) and out/ for the diff tests.
fn broken() -> Scratch {
    Scratch::new().file("stacks/a.yaml", "version: 1\nstack: a\nstakc: b\n")
}

#[test]
fn colour_follows_the_terminal_no_color_and_the_flag() {
    let scratch = broken();
    let dir = scratch.path();
    // Not a terminal (a pipe): no colour.
    let plain = run_env(dir, &[], &[]);
    assert_eq!(plain.code, 2, "{plain:?}");
    assert!(
        plain.stderr.contains("error[spec-schema]"),
        "{}",
        plain.stderr
    );
    assert!(!plain.stderr.contains('\u{1b}'), "{:?}", plain.stderr);
    // --color always: colour, and the same text underneath.
    let always = run_env(dir, &["--color", "always"], &[]);
    assert!(
        always
            .stderr
            .contains("\u{1b}[1m\u{1b}[31merror[spec-schema]:\u{1b}[0m"),
        "{:?}",
        always.stderr
    );
    assert_eq!(unstyled(&always.stderr), plain.stderr);
    // ... even with NO_COLOR, which only governs auto.
    let forced = run_env(dir, &["--color", "always"], &[("NO_COLOR", "1")]);
    assert!(forced.stderr.contains('\u{1b}'), "{:?}", forced.stderr);
    // auto: CLICOLOR_FORCE paints a pipe, NO_COLOR wins over it, --color never wins over both.
    let auto = run_env(dir, &[], &[("CLICOLOR_FORCE", "1")]);
    assert!(auto.stderr.contains('\u{1b}'), "{:?}", auto.stderr);
    for (args, envs) in [
        (&[][..], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")][..]),
        (&["--color", "never"][..], &[("CLICOLOR_FORCE", "1")][..]),
    ] {
        let ran = run_env(dir, args, envs);
        assert!(
            !ran.stderr.contains('\u{1b}'),
            "{args:?} {envs:?}: {:?}",
            ran.stderr
        );
        assert_eq!(ran.stderr, plain.stderr);
    }
    // Fatal errors too.
    let ran = run_env(dir, &["rules", "nope", "--color", "always"], &[]);
    assert!(
        ran.stderr
            .starts_with("synth rules: \u{1b}[1m\u{1b}[31merror:"),
        "{:?}",
        ran.stderr
    );
}

#[test]
fn the_check_diff_is_coloured_only_when_asked() {
    let scratch = Scratch::new().bundled("guide-authenticated.yaml");
    assert_eq!(scratch.run(&[]).code, 0);
    let path = scratch.path().join("out/guide-authenticated.template.yaml");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(
        &path,
        text.replacen("Description:", "Description: edited", 1),
    )
    .unwrap();
    let plain = run_env(scratch.path(), &["--check"], &[]);
    assert_eq!(plain.code, 1, "{plain:?}");
    assert!(!plain.stdout.contains('\u{1b}'));
    let coloured = run_env(scratch.path(), &["--check", "--color", "always"], &[]);
    assert!(
        coloured.stdout.contains("\u{1b}[32m+"),
        "{:?}",
        coloured.stdout
    );
    assert!(
        coloured.stdout.contains("\u{1b}[31m-"),
        "{:?}",
        coloured.stdout
    );
    assert_eq!(unstyled(&coloured.stdout), plain.stdout);
}

#[test]
fn a_passing_run_says_what_it_proved() {
    // Two starter specs (6 expect: requests each) and one without an expect: block.
    let scratch = Scratch::new().file("stacks/lobby.yaml", GUESTS);
    for name in ["alpha", "beta"] {
        assert_eq!(scratch.run(&["init", name]).code, 0);
    }
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let expect = "expect: 12 requests passed (alpha 6, beta 6); no `expect:` in lobby\n";
    assert!(
        ran.stderr.ends_with(&format!(
            "synth: ok: 3 stacks, 3 files in out: 3 written, 0 unchanged\nsynth: {expect}"
        )),
        "{}",
        ran.stderr
    );
    let again = scratch.run(&[]);
    assert!(
        again.stderr.ends_with(&format!(
            "synth: ok: 3 stacks, 3 files in out: 0 written, 3 unchanged\nsynth: {expect}"
        )),
        "{}",
        again.stderr
    );
    let checked = scratch.run(&["--check"]);
    assert_eq!(checked.code, 0, "{checked:?}");
    assert_eq!(
        checked.stderr,
        format!("synth --check: ok: 3 stacks, 3 files in out up to date\nsynth --check: {expect}")
    );
    // A stale out/ is not a passing run: no summary.
    let alpha = scratch.path().join("out/alpha.template.yaml");
    fs::write(
        &alpha,
        scratch.read("out/alpha.template.yaml") + "# edited\n",
    )
    .unwrap();
    let stale = scratch.run(&["--check"]);
    assert_eq!(stale.code, 1, "{stale:?}");
    assert!(!stale.stderr.contains("ok:"), "{}", stale.stderr);
    // A removed spec's template is removed, named and counted.
    fs::remove_file(scratch.path().join("stacks/alpha.yaml")).unwrap();
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.ends_with(
            "synth: removed out/alpha.template.yaml (no spec generates it)\n\
             synth: ok: 2 stacks, 2 files in out: 0 written, 2 unchanged, 1 orphaned removed\n\
             synth: expect: 6 requests passed (beta 6); no `expect:` in lobby\n"
        ),
        "{}",
        ran.stderr
    );
}

/// Members publish to their own subtree; guests, with a reason and no waiver, say hello.
const GUESTS: &str = r#"version: 1
stack: lobby
topic_scopes:
  own:
    publish: ["d/${identity}/t"]
  hello:
    publish: [lobby/hello]
roles:
  member: { scopes: [own] }
  guest: { scopes: [hello] }
identity_pools:
  app:
    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]
    authenticated: member
    unauthenticated: { role: guest, reason: Visitors say hello in the lobby }
"#;

#[test]
fn the_guest_reason_is_enough_for_cip_pool_001() {
    let scratch = Scratch::new().file("stacks/lobby.yaml", GUESTS);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(!ran.stderr.contains("CIP-POOL-001"), "{}", ran.stderr);
    assert!(!ran.stderr.contains("warning"), "{}", ran.stderr);
    // The reason is what other scanners read, as a waiver's would be.
    let template = scratch.read("out/lobby.template.yaml");
    assert!(
        template.matches("Visitors say hello in the lobby").count() >= 2,
        "{template}"
    );
    // The rule is still there to explain the decision.
    let ran = scratch.run(&["rules", "CIP-POOL-001"]);
    assert!(
        ran.stdout.contains("unauthenticated.reason"),
        "{}",
        ran.stdout
    );
}

#[test]
fn simulate_checks_its_input_like_synth() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    let sim = |args: &[&str]| {
        let mut all = vec!["simulate", "stacks/fleet.yaml"];
        all.extend_from_slice(args);
        scratch.run(&all)
    };
    let id = "us-east-1:7d3c2e4b-0f1a-4c5d-9e8f-112233445566";
    let own = format!("devices/{id}/telemetry");
    // A GUID identity: no warning.
    let ran = sim(&["--role", "member", "--identity", id, "publish", &own]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stderr, "");
    // Not REGION:GUID: a warning, and the verdict still.
    let ran = sim(&[
        "--role",
        "member",
        "--identity",
        "us-east-1:1111",
        "publish",
        "devices/us-east-1:1111/telemetry",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.starts_with(
            "synth simulate: warning: identity `us-east-1:1111` is not a Cognito identity id (REGION:GUID"
        ),
        "{}",
        ran.stderr
    );
    assert!(ran.stdout.starts_with("ALLOW"), "{}", ran.stdout);
    for (args, message, help) in [
        (
            vec![
                "--role",
                "member",
                "--identity",
                id,
                "publish",
                "fleet/news/#",
            ],
            "`publish fleet/news/#`: a topic name cannot hold `#`: that is a topic filter",
            "to test a filter, use subscribe",
        ),
        (
            vec![
                "--role",
                "member",
                "--identity",
                id,
                "subscribe",
                "fleet/#/x",
            ],
            "`subscribe fleet/#/x`: `#` must be the last level and alone in it",
            "write `a/b/#`",
        ),
        (
            vec!["--role", "membr", "--identity", id, "publish", &own],
            "unknown role `membr`",
            "did you mean `member`?",
        ),
        (
            vec![
                "--role",
                "member",
                "--pool",
                "flet",
                "--identity",
                id,
                "publish",
                &own,
            ],
            "unknown identity pool `flet`",
            "did you mean `fleet`?",
        ),
        (
            vec!["--role", "member", "--identity", id, "publsh", &own],
            "`publsh` is not an action",
            "did you mean `publish`?",
        ),
    ] {
        let ran = sim(&args);
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(
            ran.stderr
                .starts_with(&format!("synth simulate: error: {message}\n  = help: ")),
            "{args:?}: {}",
            ran.stderr
        );
        assert!(ran.stderr.contains(help), "{args:?}: {}", ran.stderr);
        assert_eq!(ran.stdout, "");
    }
}

#[test]
fn io_errors_name_what_the_user_gave_and_what_to_do() {
    let scratch = Scratch::new()
        .bundled("guide-authenticated.yaml")
        .file("not-a-dir", "x");
    // --out names a file.
    let ran = scratch.run(&["--out", "not-a-dir"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .starts_with("not-a-dir: error[io]: cannot create the output directory: "),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stderr.contains("= help: not-a-dir must be a directory"),
        "{}",
        ran.stderr
    );
    // A directory given as a spec.
    let ran = scratch.run(&["stacks"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains(
            "= help: a spec is a file; to build every *.yaml in a directory: synth --stacks stacks"
        ),
        "{}",
        ran.stderr
    );
    // A read-only out/: the directory the user gave, never a temporary file, and what to do.
    // (Root writes through permission bits, so this part needs an ordinary user.)
    assert_eq!(scratch.run(&["--out", "ro"]).code, 0);
    let ro = scratch.path().join("ro");
    fs::remove_file(ro.join("guide-authenticated.template.yaml")).unwrap();
    set_mode(&ro, 0o555);
    let writable = fs::write(ro.join("probe"), "x").is_ok();
    let ran = scratch.run(&["--out", "ro"]);
    set_mode(&ro, 0o755);
    if writable {
        eprintln!(
            "io_errors_name_what_the_user_gave: running as root; the read-only case is covered by diag::io_words_name_no_temporary_file"
        );
        return;
    }
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "ro: error[io]: cannot write the templates: permission denied\n  = help: synth writes the templates into ro: make it writable, or write elsewhere with `--out DIR`\n"
    );
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt as _;
    fs::set_permissions(path, fs::Permissions::from_mode(mode)).expect("chmod");
}

#[cfg(not(unix))]
fn set_mode(_: &Path, _: u32) {}

/// `synth completions bash | head -1` and the like: a reader that closes early must get a
/// failing exit and a sentence, never a panic (clap_complete panics on a failed write).
#[test]
fn a_closed_stdout_is_an_error_not_a_panic() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    assert_eq!(scratch.run(&[]).code, 0);
    for args in [
        &["completions", "bash"][..],
        &["schema"],
        &["rules"],
        &["rules", "CIP-POOL-001"],
        &["deploy-command", "fleet"],
        &["diff", "--base-dir", "out"],
        &[
            "simulate",
            "stacks/fleet.yaml",
            "--role",
            "member",
            "--identity",
            "us-east-1:00000000-0000-4000-8000-000000000001",
            "subscribe",
            "x",
        ],
    ] {
        let (reader, writer) = std::io::pipe().expect("a pipe");
        drop(reader);
        let out = Command::new(env!("CARGO_BIN_EXE_synth"))
            .args(args)
            .current_dir(scratch.path())
            .stdout(writer)
            .output()
            .expect("runs synth");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_ne!(out.status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot print"), "{args:?}: {stderr}");
    }
}
