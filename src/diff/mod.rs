//! `synth diff`: the permission diff of the generated templates against a base.
//! PLACEHOLDER: owned by the diff helper.

use std::io::Write;
use std::path::Path;

use crate::cli::DiffArgs;

/// Runs `synth diff`; returns the exit code.
pub fn run(args: &DiffArgs, cwd: &Path, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let _ = (args, cwd, stdout);
    let _ = writeln!(stderr, "synth diff: not implemented yet");
    2
}
