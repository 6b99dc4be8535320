//! The command layer: one file per subcommand, dispatched from [`run`]. Each command reads its
//! arguments, asks the library (`compile`, `diff`, `policy`, `layout`, `output`, `manifest`,
//! `explain`, `client`) to do the work, prints its report, and returns how the run ends: an
//! [`Exit`] code, or an [`Error`] that `main` prints in the one wording of `error`.
//!
//! | command | file |
//! |---|---|
//! | `synth [SPEC...]`, `synth --check` | [`build`] |
//! | `synth simulate` | [`simulate`] |
//! | `synth diff` | [`diff`] |
//! | `synth deploy-command` | [`deploy`] |
//! | `synth explain` | [`explain`] |
//! | `synth client` | [`client`] |
//!
//! Must not: print a fatal error; hold logic another command or a test would want (that belongs
//! in the library); import one command from another.

pub mod build;
pub mod client;
pub mod deploy;
pub mod diff;
pub mod explain;
pub mod simulate;

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command};
use crate::error::{Error, Exit};

/// Where a command writes: its report to `out` (stdout), notes and progress to `err` (stderr).
pub struct Streams<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
}

/// Runs what the command line asks, relative to `cwd`.
pub fn run(cli: &Cli, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    match &cli.command {
        None => build::run(cli, cwd, io.out, io.err),
        Some(Command::Simulate(args)) => simulate::run(args, cwd, io.out),
        Some(Command::Diff(args)) => diff::run(args, cwd, io.out, io.err),
        Some(Command::DeployCommand(args)) => deploy::run(args, cwd, io.out, io.err),
        Some(Command::Explain(args)) => explain::run(args, cwd, io.out),
        Some(Command::Client(args)) => client::run(args, cwd, io.out, io.err),
    }
}
