//! The `synth` binary: parse arguments, run the command (`commands::run`), print a fatal error
//! in its one wording, exit with the run's code.

use std::io::Write as _;
use std::process::ExitCode;

// Allocation is about a quarter of synth's work (callgrind: many short-lived strings and JSON
// values per spec); mimalloc makes a fleet-wide run markedly faster (README "Performance").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anstream::{AutoStream, ColorChoice};
use clap::Parser;
use cogsynth::cli::{Cli, ColorWhen};
use cogsynth::commands::{self, Streams};
use cogsynth::error::Exit;
use cogsynth::style::Paint;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Ok(cwd) = std::env::current_dir() else {
        eprintln!("synth: error: cannot read the current directory");
        return ExitCode::from(Exit::Input.code());
    };
    // --color always|never wins; auto paints a terminal unless NO_COLOR is set (and paints
    // anything when CLICOLOR_FORCE is), the conventions anstream follows. Each stream decides
    // for itself: `synth diff | less` keeps colour in stderr's notes only.
    ColorChoice::write_global(match cli.color {
        ColorWhen::Auto => ColorChoice::Auto,
        ColorWhen::Always => ColorChoice::Always,
        ColorWhen::Never => ColorChoice::Never,
    });
    let (stdout, stderr) = (std::io::stdout(), std::io::stderr());
    let paint = |choice: ColorChoice| Paint::new(choice != ColorChoice::Never);
    let (out_paint, err_paint) = (
        paint(AutoStream::choice(&stdout)),
        paint(AutoStream::choice(&stderr)),
    );
    // AutoStream passes styles through where they are on (enabling them on a Windows console)
    // and removes none that synth did not write: synth writes styles only where they are on.
    let mut stdout = AutoStream::new(
        stdout.lock(),
        if out_paint.is_on() {
            ColorChoice::Always
        } else {
            ColorChoice::AlwaysAnsi
        },
    );
    let mut stderr = AutoStream::new(
        stderr.lock(),
        if err_paint.is_on() {
            ColorChoice::Always
        } else {
            ColorChoice::AlwaysAnsi
        },
    );
    let mut streams = Streams {
        out: &mut stdout,
        err: &mut stderr,
        out_paint,
        err_paint,
    };
    let exit = match commands::run(&cli, &cwd, &mut streams) {
        Ok(exit) => exit,
        Err(e) => {
            let _ = write!(stderr, "{}", e.render(err_paint));
            e.code()
        }
    };
    ExitCode::from(exit.code())
}
