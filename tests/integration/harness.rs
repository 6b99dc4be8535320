//! Runs rendered Lambda handlers under the real `node` and `python3`, through the harness
//! scripts and stub SDKs in `tests/fixtures/lambda/` (shared by the attach and detach tests).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use cogsynth::lambda::Language;
use serde_json::{Value, json};

/// `tests/fixtures/lambda`.
pub(crate) fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lambda")
}

/// A command running harness `stem` (`harness`, `detach-harness`) for the handler at `handler`,
/// with the stub SDK first on the module path and only as much of the outer environment as
/// finding the interpreters needs. Returns the command and the stub root.
pub(crate) fn command(language: Language, stem: &str, handler: &Path) -> (Command, PathBuf) {
    let (program, ext, stubs, search_path) = match language {
        Language::NodeJs => ("node", "js", "stub-node", "NODE_PATH"),
        Language::Python => ("python3", "py", "stub-python", "PYTHONPATH"),
    };
    let stub_root = fixtures().join(stubs);
    let mut command = Command::new(program);
    command
        .arg(fixtures().join(format!("{stem}.{ext}")))
        .current_dir(handler.parent().expect("the handler has a directory"))
        .env_clear()
        .env(search_path, &stub_root)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env("PYTHONIOENCODING", "utf-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // Pyenv shims need HOME and PYENV_*.
    for name in ["PATH", "HOME", "PYENV_ROOT", "PYENV_VERSION", "SYSTEMROOT"] {
        if let Some(value) = std::env::var_os(name) {
            command.env(name, value);
        }
    }
    (command, stub_root)
}

/// Runs `invocations` of the handler at `handler` in one process (a warm execution
/// environment) and returns the harness report, after checking that the handler created one
/// SDK client at load and printed nothing then.
pub(crate) fn run(
    mut command: Command,
    handler: &Path,
    stub_root: &Path,
    invocations: &[Value],
    label: &str,
) -> Value {
    let program = command.get_program().to_string_lossy().into_owned();
    let mut child = command
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start `{program}` (it must be on PATH): {err}"));
    let request = json!({ "module": handler, "stubRoot": stub_root, "invocations": invocations });
    child
        .stdin
        .take()
        .expect("piped stdin")
        .write_all(request.to_string().as_bytes())
        .expect("write the harness request");
    let output = child.wait_with_output().expect("wait for the harness");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{label}: harness failed ({})\nstdout:\n{stdout}\nstderr:\n{stderr}",
        output.status
    );
    let report: Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|err| panic!("{label}: harness output is not JSON ({err}):\n{stdout}"));
    // The SDK client is created once, at module load, and nothing is printed before the first call.
    assert_eq!(report["clientsAtLoad"], json!(1), "{label}");
    assert_eq!(report["clientsAfter"], json!(1), "{label}");
    assert_eq!(report["loadOutput"], json!([]), "{label}");
    report
}
