//! The `synth` binary: parse arguments, run, exit with the code `synth::run` returns.

use std::process::ExitCode;

// Allocation is about a quarter of synth's work (callgrind: many short-lived strings and JSON
// values per spec); mimalloc makes a fleet-wide run markedly faster (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::Parser;
use cogsynth::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Ok(cwd) = std::env::current_dir() else {
        eprintln!("synth: error: cannot read the current directory");
        return ExitCode::from(2);
    };
    let code = cogsynth::synth::run(
        &cli,
        &cwd,
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}
