//! The `synth` command on good and bad input: exit codes, `file:line:col` diagnostics, nothing
//! written on failure, `--check` drift, determinism.

use std::fs;

use crate::support::{Scratch, repo};

/// Every bad-input fixture: exit 2, the first line points at `file:line:col` (or the file, when
/// there is no position), nothing is written. The full stderr is a reviewed snapshot.
#[test]
fn bad_inputs_fail_with_positions_and_write_nothing() {
    let dir = repo().join("tests/fixtures/bad");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= 9, "{names:?}");
    for name in names {
        let scratch = Scratch::new().file(
            &format!("stacks/{name}"),
            fs::read(dir.join(&name)).unwrap(),
        );
        let ran = scratch.run(&[]);
        assert_eq!(ran.code, 2, "{name}: {ran:?}");
        let first = ran.stderr.lines().next().unwrap_or_default();
        let prefix = format!("stacks/{name}:");
        assert!(first.starts_with(&prefix), "{name}: {first}");
        let pos: Vec<&str> = first[prefix.len()..].splitn(3, ':').collect();
        assert!(
            pos[0].parse::<u32>().is_ok() && pos[1].parse::<u32>().is_ok(),
            "{name}: no line:col in {first}"
        );
        assert!(!scratch.exists("out"), "{name}: out/ was created");
        assert!(!ran.stderr.contains("panicked"), "{name}");
        insta::assert_snapshot!(
            format!("bad_{}", name.trim_end_matches(".yaml")),
            ran.stderr
        );
    }
}

#[test]
fn a_missing_file_is_exit_2_and_named() {
    let scratch = Scratch::new();
    let ran = scratch.run(&["stacks/nope.yaml"]);
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr.lines().next(),
        Some("stacks/nope.yaml: error[io]: cannot read the spec: no such file")
    );
    assert!(!scratch.exists("out"));
}

#[test]
fn no_specs_is_exit_2() {
    let ran = Scratch::new().file("stacks/README.md", "no specs").run(&[]);
    assert_eq!(ran.code, 2);
    assert_eq!(
        ran.stderr,
        "stacks: error[io]: no *.yaml specs found; run `synth init` to write a starter spec there, or name spec files\n"
    );
    let ran = Scratch::new().run(&[]);
    assert_eq!(ran.code, 2);
    assert!(
        ran.stderr
            .starts_with("stacks: error[io]: cannot read the stacks directory"),
        "{}",
        ran.stderr
    );
}

#[test]
fn one_bad_spec_means_nothing_is_written() {
    let scratch = Scratch::with_one_bad_spec();
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(!scratch.exists("out/fleet.template.yaml"));
}

/// Missing parents of `--out` are created for a run that writes, and go again, with out/, when
/// the run fails: a failed run leaves no trace.
#[test]
fn a_failed_run_removes_the_directories_it_created() {
    let scratch = Scratch::with_one_bad_spec().file("build/keep.txt", "mine");
    let ran = scratch.run(&["--out", "build/cfn/out"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(!scratch.exists("build/cfn"), "{ran:?}");
    assert!(scratch.exists("build/keep.txt"));
    // A path through `..` creates directories that are not ancestors of the output: they go too.
    let ran = scratch.run(&["--out", "x/../y/z/out"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    for left in ["x", "y"] {
        assert!(!scratch.exists(left), "{left} left behind: {ran:?}");
    }

    let good = Scratch::new().bundled("fleet.yaml");
    let ran = good.run(&["--out", "build/cfn/out"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(good.exists("build/cfn/out/fleet.template.yaml"));
}

/// An output directory that cannot be created is an I/O error (exit 2), named, before any
/// spec is read.
#[test]
fn an_output_directory_that_cannot_be_created_is_exit_2() {
    let scratch = Scratch::new()
        .bundled("fleet.yaml")
        .file("build", "a file, not a directory");
    let ran = scratch.run(&["--out", "build/out"]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .starts_with("build/out: error[io]: cannot create the output directory: "),
        "{}",
        ran.stderr
    );
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("nowhere/out", scratch.path().join("linked")).unwrap();
        let ran = scratch.run(&["--out", "linked"]);
        assert_eq!(ran.code, 2, "{ran:?}");
        assert_eq!(
            ran.stderr,
            "linked: error[io]: cannot create the output directory: a symbolic link to a directory that does not exist\n  = help: linked cannot be created: a directory above it is a symbolic link to nothing, or a file system that takes no new entries; fix the link, or write elsewhere with `--out DIR`\n"
        );
    }
    // --check writes nothing, so it never creates the directory: out/ is reported missing.
    let ran = scratch.run(&["--check", "--out", "elsewhere"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(!scratch.exists("elsewhere"));
}

#[test]
fn two_specs_with_one_stack_name_are_refused() {
    let fleet = fs::read_to_string(repo().join("stacks/fleet.yaml")).unwrap();
    let scratch = Scratch::new()
        .file("stacks/a.yaml", &fleet)
        .file("stacks/b.yaml", &fleet);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 2);
    assert!(ran.stderr.starts_with("stacks/b.yaml:6:8: error[spec-duplicate]: stack `fleet` is also defined in stacks/a.yaml"), "{}", ran.stderr);
}

#[test]
fn writes_templates_and_check_then_passes() {
    let scratch = Scratch::new()
        .bundled("fleet.yaml")
        .bundled("guide-authenticated.yaml");
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "synth: wrote out/fleet.template.yaml (from stacks/fleet.yaml)\n\
         synth: wrote out/fleet.dev.parameters.json (from stacks/fleet.yaml)\n\
         synth: wrote out/fleet.prod.parameters.json (from stacks/fleet.yaml)\n\
         synth: wrote out/fleet.stackset.template.yaml (from stacks/fleet.yaml)\n\
         synth: wrote out/guide-authenticated.template.yaml (from stacks/guide-authenticated.yaml)\n\
         synth: ok: 2 stacks, 5 files in out: 5 written, 0 unchanged\n\
         synth: expect: 33 requests passed (fleet 25, guide-authenticated 8)\n"
    );
    let text = scratch.read("out/fleet.template.yaml");
    assert!(text.starts_with("# Generated by synth (cogsynth) from stacks/fleet.yaml."));
    let ran = scratch.run(&["--check"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, "");
}

#[test]
fn check_names_stale_missing_and_orphaned_files_and_writes_nothing() {
    let scratch = Scratch::new()
        .bundled("fleet.yaml")
        .bundled("guide-authenticated.yaml")
        .bundled("guide-unauthenticated.yaml");
    assert_eq!(scratch.run(&[]).code, 0);
    let stale = scratch
        .read("out/fleet.template.yaml")
        .replace("RetentionInDays: 90", "RetentionInDays: 30");
    fs::write(scratch.path().join("out/fleet.template.yaml"), &stale).unwrap();
    fs::remove_file(scratch.path().join("out/guide-authenticated.template.yaml")).unwrap();
    let orphan = scratch.read("out/guide-unauthenticated.template.yaml");
    fs::write(scratch.path().join("out/retired.template.yaml"), &orphan).unwrap();
    let before = scratch.tree("out");

    let ran = scratch.run(&["--check"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(
        ran.stderr,
        "out/guide-authenticated.template.yaml: missing: synth would write it\n\
         out/fleet.template.yaml: stale: differs from what synth would write\n\
         out/retired.template.yaml: orphaned: no spec generates it\n\
         synth --check: out is stale; run `synth` and commit the result\n"
    );
    assert!(
        ran.stdout
            .starts_with("--- out/fleet.template.yaml\n+++ out/fleet.template.yaml (generated)\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stdout
            .contains("-      RetentionInDays: 30\n+      RetentionInDays: 90\n"),
        "{}",
        ran.stdout
    );
    assert_eq!(scratch.tree("out"), before, "--check wrote something");

    // A plain run repairs all three.
    assert_eq!(scratch.run(&[]).code, 0);
    assert!(!scratch.exists("out/retired.template.yaml"));
    assert_eq!(scratch.run(&["--check"]).code, 0);
}

#[test]
fn named_specs_leave_other_templates_alone() {
    let scratch = Scratch::new()
        .bundled("fleet.yaml")
        .file("out/keep.template.yaml", "# cogsynth\nold: 1\n");
    assert_eq!(scratch.run(&["stacks/fleet.yaml"]).code, 0);
    assert!(scratch.exists("out/keep.template.yaml"));
    assert_eq!(scratch.run(&["--check", "stacks/fleet.yaml"]).code, 0);
}

#[test]
fn out_dir_and_json_templates() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    let ran = scratch.run(&["--out", "build/cfn", "--template-format", "json"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let text = scratch.read("build/cfn/fleet.template.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    assert_eq!(v["AWSTemplateFormatVersion"], "2010-09-09");
    assert_eq!(v["Metadata"]["cogsynth"]["source"], "stacks/fleet.yaml");
    assert_eq!(
        v["Resources"]["FleetIdentityPool"]["Properties"]["AllowClassicFlow"],
        false
    );
    assert!(text.ends_with("}\n"));
    assert!(!scratch.exists("out"));
    assert_eq!(
        scratch
            .run(&["--out", "build/cfn", "--template-format", "json", "--check"])
            .code,
        0
    );
}

#[test]
fn json_diagnostics() {
    let bad = fs::read(repo().join("tests/fixtures/bad/dangling-refs.yaml")).unwrap();
    let ran = Scratch::new()
        .file("stacks/d.yaml", bad)
        .run(&["--format", "json"]);
    assert_eq!(ran.code, 2);
    let v: serde_json::Value = serde_json::from_str(&ran.stdout).expect("JSON on stdout");
    let first = v["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["severity"] == "error")
        .unwrap();
    assert_eq!(first["code"], "spec-ref");
    assert_eq!(first["file"], "stacks/d.yaml");
    assert_eq!(first["pos"]["line"], 7);
    assert_eq!(first["severity"], "error");
    assert!(first["help"].is_string());
}

#[test]
fn the_repository_is_up_to_date() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_synth"))
        .arg("--check")
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "synth --check on the repository: {}{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout)
    );
}

/// Same specs → byte-identical out/, run after run.
#[test]
fn output_is_byte_identical_across_runs() {
    let a = Scratch::new()
        .bundled("fleet.yaml")
        .bundled("guide-unauthenticated.yaml");
    let b = Scratch::new()
        .bundled("fleet.yaml")
        .bundled("guide-unauthenticated.yaml");
    assert_eq!(a.run(&[]).code, 0);
    assert_eq!(b.run(&[]).code, 0);
    assert_eq!(a.tree("out"), b.tree("out"));
    for (name, bytes) in a.tree("out") {
        assert_eq!(
            fs::read(repo().join("out").join(&name)).unwrap(),
            bytes,
            "{name} differs from the committed template"
        );
    }
}

/// Key order in a spec does not matter: the bundled stacks, rewritten with every mapping's keys
/// shuffled (as JSON, which is YAML), give the committed templates.
#[test]
fn key_order_does_not_change_output() {
    for stack in [
        "fleet.yaml",
        "guide-authenticated.yaml",
        "guide-unauthenticated.yaml",
    ] {
        let text = fs::read_to_string(repo().join("stacks").join(stack)).unwrap();
        let doc = cogsynth::source::parse(stack, text.as_bytes()).unwrap();
        for seed in [1_u64, 2, 3, 4] {
            let shuffled = shuffled_json(&doc.value, seed);
            let scratch = Scratch::new().file(&format!("stacks/{stack}"), shuffled);
            let ran = scratch.run(&[]);
            assert_eq!(ran.code, 0, "{ran:?}");
            let name = format!("out/{}.template.yaml", stack.trim_end_matches(".yaml"));
            assert_eq!(
                scratch.read(&name),
                fs::read_to_string(repo().join(&name)).unwrap(),
                "{stack} seed {seed}"
            );
        }
    }
}

fn shuffled_json(v: &serde_json::Value, seed: u64) -> String {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            // A small deterministic shuffle: sort by a seeded hash of the key.
            keys.sort_by_key(|k| {
                k.bytes()
                    .fold(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15), |h, b| {
                        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01B3)
                    })
            });
            let items: Vec<String> = keys
                .iter()
                .map(|k| {
                    format!(
                        "{}: {}",
                        Value::String((*k).clone()),
                        shuffled_json(&m[*k], seed)
                    )
                })
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::Array(a) => format!(
            "[{}]",
            a.iter()
                .map(|x| shuffled_json(x, seed))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        other => other.to_string(),
    }
}

/// A spec file name is written into every template made from it: one that holds a line break
/// (or U+0085/U+2028, line breaks to YAML 1.1 readers) or a terminal escape is refused, shown
/// escaped, and nothing is written.
#[test]
fn a_file_name_that_could_add_lines_to_a_template_is_refused() {
    let spec = fs::read(repo().join("tests/fixtures/good/minimal.yaml")).unwrap();
    for (name, shown) in [
        (
            "stacks/a\nTransform: AWS::Serverless-2016-10-31\n#.yaml",
            "stacks/a\\nTransform: AWS::Serverless-2016-10-31\\n#.yaml",
        ),
        ("stacks/b\u{2028}c.yaml", "stacks/b\\u{2028}c.yaml"),
        ("stacks/d\u{85}e.yaml", "stacks/d\\u{85}e.yaml"),
        ("stacks/\u{1b}[2Jf.yaml", "stacks/\\u{1b}[2Jf.yaml"),
    ] {
        let scratch = Scratch::new().file(name, &spec);
        for args in [&[][..], &[name][..]] {
            let ran = scratch.run(args);
            assert_eq!(ran.code, 2, "{name:?}: {ran:?}");
            let first = ran.stderr.lines().next().unwrap_or_default();
            assert!(
                first.starts_with(&format!(
                    "{shown}: error[spec-file-name]: the file name contains U+"
                )),
                "{name:?}: {first}"
            );
            assert!(
                !ran.stderr
                    .chars()
                    .any(|c| c != '\n' && cogsynth::text::is_hazard(c))
            );
            assert!(!scratch.exists("out"), "{name:?}: out/ was written");
        }
    }
}

/// A spec over 1 MiB, or one that never ends, is refused before it is parsed.
#[test]
fn an_oversized_or_endless_spec_is_refused() {
    let mut big = fs::read(repo().join("tests/fixtures/good/minimal.yaml")).unwrap();
    big.extend(std::iter::repeat_n(b'#', 1 << 20));
    let scratch = Scratch::new().file("stacks/big.yaml", big);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(
        ran.stderr.lines().next(),
        Some(
            "stacks/big.yaml: error[io]: cannot read the spec: larger than 1024 KiB, the most synth reads (is it the right file?)"
        )
    );
    assert!(!scratch.exists("out"));
    #[cfg(unix)]
    for args in [
        &["/dev/zero"][..],
        &[
            "simulate",
            "/dev/zero",
            "--role",
            "r",
            "--identity",
            "i",
            "publish",
            "t",
        ][..],
    ] {
        let ran = scratch.run(args);
        assert_eq!(ran.code, 2, "{ran:?}");
        assert!(
            ran.stderr
                .starts_with("/dev/zero: error[io]: cannot read the spec: not a regular file"),
            "{}",
            ran.stderr
        );
    }
}

/// Templates written where specs are read from would be read as specs by the next run: `--out`
/// naming the stacks directory (however spelled, or through a link) or a named spec's
/// directory is refused before anything is written.
#[test]
fn out_may_not_be_where_specs_are_read() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    #[cfg(unix)]
    std::os::unix::fs::symlink("stacks", scratch.path().join("link")).unwrap();
    for args in [
        &["--out", "stacks"][..],
        &["--out", "./stacks/"],
        &["--out", "x/../stacks"],
        &["--out", "stacks", "stacks/fleet.yaml"],
        #[cfg(unix)]
        &["--out", "link"],
    ] {
        let ran = scratch.run(args);
        assert_eq!(ran.code, 2, "{args:?}: {ran:?}");
        assert!(
            ran.stderr.contains(
                "error[io]: will not write templates here: specs are read from this directory"
            ),
            "{args:?}: {}",
            ran.stderr
        );
        let specs: Vec<String> = fs::read_dir(scratch.path().join("stacks"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(specs, ["fleet.yaml"], "{args:?} wrote into stacks/");
    }
    // A named spec elsewhere leaves the current directory free for templates.
    let ran = scratch.run(&["--out", ".", "stacks/fleet.yaml"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(scratch.exists("fleet.template.yaml"));
    // With specs named and no stacks directory, `stacks` is just a name for the templates.
    let named = Scratch::new().file(
        "specs/fleet.yaml",
        fs::read(repo().join("stacks/fleet.yaml")).unwrap(),
    );
    let ran = named.run(&["--out", "stacks", "specs/fleet.yaml"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(named.exists("stacks/fleet.template.yaml"));
}

/// A spec whose file name is not UTF-8 is refused for that reason (its name goes into the
/// templates), not reported as a missing file; nothing is written.
#[cfg(unix)]
#[test]
fn a_spec_file_name_that_is_not_utf8_is_named_as_such() {
    use std::os::unix::ffi::OsStrExt as _;
    let scratch = Scratch::new().bundled("fleet.yaml");
    let name = std::ffi::OsStr::from_bytes(b"fl\xffeet.yaml");
    fs::copy(
        scratch.path().join("stacks/fleet.yaml"),
        scratch.path().join("stacks").join(name),
    )
    .unwrap();
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.starts_with(
            "stacks/fl\u{fffd}eet.yaml: error[spec-file-name]: the file name is not valid UTF-8\n"
        ),
        "{}",
        ran.stderr
    );
    assert!(!scratch.exists("out"));
}

/// A hand-edited out/ cannot drive the terminal or the CI log through `synth --check`: the
/// stale file's lines and the orphaned file's name are shown with control and bidi characters
/// escaped.
#[test]
fn check_escapes_what_a_hand_edited_out_holds() {
    let scratch = Scratch::new().bundled("fleet.yaml");
    assert_eq!(scratch.run(&[]).code, 0);
    let template = scratch.path().join("out/fleet.template.yaml");
    let mut text = fs::read_to_string(&template).unwrap();
    text.push_str("# \u{1b}[2J\u{202e}evil\r\n");
    fs::write(&template, text).unwrap();
    // A file synth would remove as orphaned: a template name carrying synth's marker.
    fs::write(
        scratch.path().join("out/x\u{1b}[2J.template.yaml"),
        "# Generated by synth (cogsynth)\n",
    )
    .unwrap();
    let ran = scratch.run(&["--check"]);
    assert_eq!(ran.code, 1, "{ran:?}");
    for (stream, text) in [("stdout", &ran.stdout), ("stderr", &ran.stderr)] {
        assert!(
            !text.contains(['\u{1b}', '\u{202e}', '\r']),
            "{stream} carries raw control text: {text:?}"
        );
    }
    assert!(
        ran.stdout.contains("-# \\u{1b}[2J\\u{202e}evil\\r\n"),
        "{}",
        ran.stdout
    );
    assert!(
        ran.stderr
            .contains("out/x\\u{1b}[2J.template.yaml: orphaned"),
        "{}",
        ran.stderr
    );
}

/// `allowed_pattern` is checked only where this engine reads it as Java does: `\p{Punct}` is
/// ASCII punctuation in Java (which takes `$+<`) and Unicode punctuation here (which does not),
/// so it is reported as not checked rather than refused; a plain pattern is checked.
#[test]
fn allowed_patterns_java_reads_differently_are_not_checked() {
    let spec = fs::read_to_string(repo().join("tests/fixtures/good/minimal.yaml"))
        .unwrap()
        .replace("client_id: minimalclient", "client_id: { param: Client }")
        .replace(
            "topic_scopes:",
            "parameters:\n  Client:\n    description: c\n    default: $+<\n    allowed_pattern: \"\\\\p{Punct}+\"\ntopic_scopes:",
        );
    let ran = Scratch::new().file("stacks/minimal.yaml", &spec).run(&[]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains("warning[spec-value]: parameter `Client`'s allowed_pattern was not checked against its values: it uses an escape Java reads differently"),
        "{}",
        ran.stderr
    );
    let checked = spec.replace("\\\\p{Punct}+", "[a-z]+");
    let ran = Scratch::new()
        .file("stacks/minimal.yaml", &checked)
        .run(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("`$+<` does not match"),
        "{}",
        ran.stderr
    );
}
