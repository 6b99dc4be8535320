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
//! | `synth init` | [`init`] |
//! | `synth rules` | [`rules`] |
//! | `synth schema` | [`schema`] |
//! | `synth completions` | [`completions`] |
//! | `synth explain` | [`explain`] |
//! | `synth client` | [`client`] |
//!
//! Must not: print a fatal error; hold logic another command or a test would want (that belongs
//! in the library); import one command from another.

pub mod build;
pub mod client;
pub mod completions;
pub mod deploy;
pub mod diff;
pub mod explain;
pub mod init;
pub mod rules;
pub mod schema;
pub mod simulate;

use std::io::Write;
use std::path::Path;

use crate::cli::{Cli, Command};
use crate::error::{Error, Exit};
use crate::style::Paint;

/// Where a command writes: its report to `out` (stdout), notes and progress to `err` (stderr),
/// each painted or not as `main` decided for that stream.
pub struct Streams<'a> {
    /// Standard output.
    pub out: &'a mut dyn Write,
    /// Standard error.
    pub err: &'a mut dyn Write,
    /// Whether `out` is painted.
    pub out_paint: Paint,
    /// Whether `err` is painted.
    pub err_paint: Paint,
}

/// Prints a command's result on stdout. A failed write (a full disk, `| head` closing early) is
/// an error: a PR check that redirects the report must not pass with half of it.
pub(crate) fn print(stdout: &mut dyn Write, text: &str, what: &str) -> Result<(), Error> {
    stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
        .map_err(|e| Error::io("stdout", format!("cannot print {what}"), &e))
}

/// Runs what the command line asks, relative to `cwd`.
pub fn run(cli: &Cli, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    match &cli.command {
        None => build::run(cli, cwd, io),
        Some(Command::Init(args)) => init::run(args, cwd, io.err),
        Some(Command::Simulate(args)) => simulate::run(args, cwd, io),
        Some(Command::Diff(args)) => diff::run(args, cwd, io),
        Some(Command::DeployCommand(args)) => deploy::run(args, cwd, io.out, io.err),
        Some(Command::Rules(args)) => rules::run(args, io.out),
        Some(Command::Schema) => schema::run(io.out),
        Some(Command::Completions(args)) => completions::run(args, io.out),
        Some(Command::Explain(args)) => explain::run(args, cwd, io.out),
        Some(Command::Client(args)) => client::run(args, cwd, io.out, io.err),
    }
}
