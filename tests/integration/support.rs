//! A small fluent runner for `synth` in a scratch directory, in the style of just's `Test`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let out = Command::new(env!("CARGO_BIN_EXE_synth"))
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .output()
        .expect("runs synth");
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
