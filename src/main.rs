//! The `synth` binary: parse arguments, run the command (`commands::run`), print a fatal error
//! in its one wording, exit with the run's code.

use std::io::Write as _;
use std::process::ExitCode;

// Allocation is about a quarter of synth's work (callgrind: many short-lived strings and JSON
// values per spec); mimalloc makes a fleet-wide run markedly faster (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cogsynth::cli::Cli;
use cogsynth::commands::{self, Streams};
use cogsynth::error::Exit;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Ok(cwd) = std::env::current_dir() else {
        eprintln!("synth: error: cannot read the current directory");
        return ExitCode::from(Exit::Input.code());
    };
    let (mut stdout, mut stderr) = (std::io::stdout().lock(), std::io::stderr().lock());
    let mut streams = Streams {
        out: &mut stdout,
        err: &mut stderr,
    };
    let exit = match commands::run(&cli, &cwd, &mut streams) {
        Ok(exit) => exit,
        Err(e) => {
            let _ = write!(stderr, "{e}");
            e.code()
        }
    };
    ExitCode::from(exit.code())
}
