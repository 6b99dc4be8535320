//! A small fluent runner for `synth` in a scratch directory, in the style of just's `Test`; below it, what the
//! Lambda runtime tests (`lambda_runtime`, `detach_runtime`) share.

use std::fmt::Debug;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use cogsynth::lambda::Language;
use serde_json::Value;
use tempfile::TempDir;

/// The repository root (for bundled stacks and fixtures).
pub(crate) fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A scratch directory holding `stacks/` and `out/`, where `synth` runs.
pub(crate) struct Scratch {
    pub(crate) dir: TempDir,
}

/// What one run of `synth` did.
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

/// Runs the built `synth` in `dir` with `args` and extra environment `envs`.
pub(crate) fn synth(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> Ran {
    let mut command = Command::new(env!("CARGO_BIN_EXE_synth"));
    command.args(args).envs(envs.iter().copied());
    run_in(dir, &mut command)
}

/// Runs `command` (a `synth` command line built by the caller) in `dir`.
pub(crate) fn run_in(dir: &Path, command: &mut Command) -> Ran {
    let out = command.current_dir(dir).output().expect("runs synth");
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

impl Scratch {
    pub(crate) fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Writes `stacks/<name>` (or any relative path).
    pub(crate) fn file(self, name: &str, content: impl AsRef<[u8]>) -> Scratch {
        let path = self.path().join(name);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(path, content).expect("write");
        self
    }

    /// Copies a bundled stack into `stacks/`.
    pub(crate) fn bundled(self, name: &str) -> Scratch {
        let text = fs::read(repo().join("stacks").join(name)).expect("bundled stack");
        self.file(&format!("stacks/{name}"), text)
    }

    /// A scratch directory holding the three stacks the README's examples use.
    pub(crate) fn with_readme_stacks() -> Scratch {
        [
            "fleet.yaml",
            "guide-authenticated.yaml",
            "guide-unauthenticated.yaml",
        ]
        .into_iter()
        .fold(Scratch::new(), Scratch::bundled)
    }

    /// The fleet stack beside a spec with dangling references: a run that must write nothing.
    pub(crate) fn with_one_bad_spec() -> Scratch {
        let bad = fs::read(repo().join("tests/fixtures/bad/dangling-refs.yaml")).expect("fixture");
        Scratch::new()
            .bundled("fleet.yaml")
            .file("stacks/zz-bad.yaml", bad)
    }

    pub(crate) fn run(&self, args: &[&str]) -> Ran {
        synth(self.path(), args, &[])
    }

    pub(crate) fn read(&self, name: &str) -> String {
        fs::read_to_string(self.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    pub(crate) fn exists(&self, name: &str) -> bool {
        self.path().join(name).exists()
    }

    /// Every file under `dir`, relative path → bytes.
    pub(crate) fn tree(&self, dir: &str) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let root = self.path().join(dir);
        if let Ok(entries) = fs::read_dir(&root) {
            for e in entries.flatten() {
                out.push((
                    e.file_name().to_string_lossy().into_owned(),
                    fs::read(e.path()).expect("read"),
                ));
            }
        }
        out.sort();
        out
    }
}

// Rendered Lambda handlers, shared by `lambda_runtime` (attach) and `detach_runtime` (detach). Running them
// through the harness scripts is `crate::harness`; what the tests do with the code and the reports is here.

/// Inline Lambda code deployed the way CloudFormation deploys `Code.ZipFile`: alone in a fresh directory, as
/// `index.js` or `index.py` (the file `Handler: index.handler` loads). `rendered` says what the code is (a
/// language, a language and invoke mode, a resource); the directory lasts as long as the value.
pub(crate) struct Deployed<What> {
    pub(crate) rendered: What,
    pub(crate) file: PathBuf,
    _dir: TempDir,
}

impl<What> Deployed<What> {
    pub(crate) fn new(rendered: What, language: Language, source: &str) -> Self {
        let dir = TempDir::new().expect("create a temporary directory");
        let name = match language {
            Language::NodeJs => "index.js",
            Language::Python => "index.py",
        };
        let file = dir.path().join(name);
        fs::write(&file, source).expect("write the rendered handler");
        Deployed {
            rendered,
            file,
            _dir: dir,
        }
    }
}

/// Compiles the handler at `file` without running it, with the language's own checker: `node --check`, or
/// `python3 -W error -m py_compile`, so that a warning (an invalid escape, say) fails as well.
pub(crate) fn assert_compiles(language: Language, file: &Path, label: &str) {
    let (program, args): (&str, &[&str]) = match language {
        Language::NodeJs => ("node", &["--check"]),
        Language::Python => ("python3", &["-W", "error", "-m", "py_compile"]),
    };
    let output = Command::new(program)
        .args(args)
        .arg(file)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap_or_else(|err| panic!("cannot start `{program}` (it must be on PATH): {err}"));
    assert!(
        output.status.success(),
        "{label}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Each invocation of a harness report, with the SDK calls it made and the lines it printed, parsed.
pub(crate) fn reported_invocations(
    report: &Value,
) -> impl Iterator<Item = (&Value, Vec<Value>, Vec<String>)> {
    report["invocations"]
        .as_array()
        .expect("invocations array")
        .iter()
        .map(|invocation| {
            let calls = invocation["calls"].as_array().expect("calls array").clone();
            let logs = invocation["logs"]
                .as_array()
                .expect("logs array")
                .iter()
                .map(|line| line.as_str().expect("a log line").to_owned())
                .collect();
            (invocation, calls, logs)
        })
}

/// The field names of a JSON object, sorted, to compare with a documented list.
pub(crate) fn sorted_keys<'a>(object: &'a Value, what: &str) -> Vec<&'a str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .unwrap_or_else(|| panic!("{what} is an object"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// What every log line of a rendered function is: one JSON object with exactly `fields` (sorted) and the
/// `event`, `stack` and `pool` labels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct LogLine<'a> {
    pub(crate) fields: &'a [&'a str],
    pub(crate) event: &'a str,
    pub(crate) stack: &'a str,
    pub(crate) pool: &'a str,
}

impl<'a> LogLine<'a> {
    /// The same line with other stack and pool labels.
    pub(crate) fn labelled(self, stack: &'a str, pool: &'a str) -> Self {
        LogLine {
            stack,
            pool,
            ..self
        }
    }

    /// Parses the one line in `logs`, which must be the only one.
    pub(crate) fn parse_only(&self, logs: &[String], context: &dyn Debug) -> Value {
        assert_eq!(logs.len(), 1, "one log line per call: {context:?}");
        self.parse(&logs[0], context)
    }

    /// Parses `text` as such a line; `context` (the call that printed it) goes into every failure message.
    pub(crate) fn parse(&self, text: &str, context: &dyn Debug) -> Value {
        let line: Value = serde_json::from_str(text)
            .unwrap_or_else(|err| panic!("log line is not JSON ({err}): {context:?}"));
        assert_eq!(sorted_keys(&line, "log line"), self.fields, "{context:?}");
        assert_eq!(line["event"], self.event, "{context:?}");
        assert_eq!(line["stack"], self.stack, "{context:?}");
        assert_eq!(line["pool"], self.pool, "{context:?}");
        line
    }
}

/// Stack and pool labels that would break out of a string literal, a comment or the template if the code
/// printed them wrongly.
pub(crate) const HOSTILE_STACK: &str = "st\"ack'\\ \u{2028} </script> {{ x }} ${y} ünï";
pub(crate) const HOSTILE_POOL: &str = "po\nol";
