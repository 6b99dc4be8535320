//! `synth deploy-command`: the exact `aws cloudformation deploy` line for a stack.
//! PLACEHOLDER: owned by the diff helper.

use std::io::Write;
use std::path::Path;

use crate::cli::DeployCommandArgs;

/// Runs `synth deploy-command`; returns the exit code.
pub fn run(
    args: &DeployCommandArgs,
    cwd: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> i32 {
    let _ = (args, cwd, stdout);
    let _ = writeln!(stderr, "synth deploy-command: not implemented yet");
    2
}
