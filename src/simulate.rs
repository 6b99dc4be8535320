//! `synth simulate`: ALLOW or DENY for one MQTT request of one identity, evaluated on the
//! policies synth generates for the spec (not on the spec itself).

use std::io::Write;
use std::path::Path;

use crate::cli::SimulateArgs;

/// Runs `synth simulate`; returns the exit code.
pub fn run(args: &SimulateArgs, cwd: &Path, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let _ = (args, cwd, stdout);
    let _ = writeln!(stderr, "synth simulate: not implemented yet");
    2
}
