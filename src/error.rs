//! How a run of `synth` ends: its exit code ([`Exit`]), and the one error type every command
//! returns when it cannot do its work ([`Error`]). `main` prints an error with `Display`, the one
//! wording of a fatal error: `<file or command>: error[<kind>]: <message>`, then `  = help: …`
//! when there is a hint. Commands never print their own fatal errors, and none imports another
//! command (or the application layer) for these.
//! Must not: print anything, or decide what is wrong (callers name the file and the fault).

use std::fmt;
use std::io;

use crate::diag::{Diagnostic, io_words};
use crate::style::Paint;
use crate::text;

/// The exit code of a run (README "The command line").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done; up to date; ALLOW; no difference `--fail-on` cares about.
    Ok,
    /// 1: a rule or an expectation failed, out/ is stale, DENY, or `diff --fail-on` matched.
    Findings,
    /// 2: unusable input (unreadable, malformed, meaningless) or an I/O failure.
    Input,
}

impl Exit {
    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::Ok => 0,
            Exit::Findings => 1,
            Exit::Input => 2,
        }
    }
}

/// Why a command could not do its work. Every variant is unusable input or an I/O failure.
#[derive(Debug)]
pub enum Error {
    /// A file or directory could not be read or written: `<path>: error[io]: <doing>: <why>`.
    Io {
        /// The file or directory, as shown.
        path: String,
        /// What synth was doing ("cannot read the spec"), if it says more than the path.
        doing: Option<String>,
        /// What went wrong, in words ([`io_words`] for an I/O error).
        why: String,
        /// What to do about it.
        help: Option<String>,
    },
    /// A file or directory holds nothing synth can use: `<path>: error[io]: <what>`.
    Missing {
        /// The file or directory, as shown.
        path: String,
        /// What is missing, and how to get it.
        what: String,
    },
    /// A template synth reads back is not one: `<place>: error[template]: <why>`.
    Template {
        /// The file, or `file:line:col`.
        place: String,
        /// What is wrong with it.
        why: String,
    },
    /// The command line names something that does not exist or is ambiguous (a stack, a role,
    /// an environment, an action, a git revision): `synth <command>: error: <message>`.
    Usage {
        /// The subcommand, as typed (`simulate`).
        command: &'static str,
        /// What is wrong; may continue on indented lines.
        message: String,
        /// How to fix it.
        help: Option<String>,
    },
    /// Log entries `synth explain` reads are not usable: `<place>: error[log-input]: <message>`,
    /// where the place is the input, or `input:line:col`.
    LogInput {
        /// The input (`logs.json`, `<stdin>`), or `input:line:col`.
        place: String,
        /// What is wrong.
        message: String,
        /// What to give instead.
        help: Option<String>,
    },
    /// Git cannot give what `synth diff` compares with: `<place>: error: <message>`, where the
    /// place is a directory or, when none is concerned, `synth diff`.
    Git {
        /// The directory concerned, as shown, if any.
        place: Option<String>,
        /// What git could not do.
        message: String,
        /// How to fix it.
        help: Option<String>,
    },
    /// The spec cannot be used: its diagnostics, shown with snippets of its text.
    Spec {
        /// The input errors, sorted.
        diagnostics: Vec<Diagnostic>,
        /// The spec's text.
        source: String,
    },
    /// A word on the command line is neither a subcommand nor a file, and is close to a
    /// subcommand's name (`synth dif`): `synth: error: unrecognized subcommand 'dif'`.
    UnknownCommand {
        /// The word as typed.
        word: String,
        /// The subcommand it is close to.
        suggestion: String,
    },
    /// The templates in a directory are not what the specs compile to now, so a command that
    /// describes them would describe something stale: `<dir>: error[stale]: …`, one line per
    /// file.
    Stale {
        /// The directory, as shown.
        dir: String,
        /// What it was compared with (the stacks directory, as shown).
        specs: String,
        /// Each file that differs, and how (`stale`, `missing`, `orphaned`).
        files: Vec<(String, String)>,
        /// What to do.
        help: String,
    },
    /// Several errors, each in its own wording, in order (every spec of a directory that cannot
    /// be used, say).
    Several(Vec<Error>),
    /// The specs cannot be used, and the command has already printed why, as its report, in the
    /// format the user asked for (`--format json` or `sarif` on stdout). Nothing more to print.
    Diagnosed,
}

/// The lines of [`Error::Stale`] before its help.
fn write_stale(
    f: &mut dyn fmt::Write,
    error: &str,
    dir: &str,
    specs: &str,
    files: &[(String, String)],
) -> fmt::Result {
    let (dir, specs) = (text::escape(dir), text::escape(specs));
    writeln!(
        f,
        "{dir}: {error} {dir} is not what the specs in {specs} compile to now:"
    )?;
    for (file, how) in files {
        writeln!(f, "  {}: {}", text::escape(file), text::escape(how))?;
    }
    Ok(())
}

impl Error {
    /// An I/O failure on `path` while `doing` something.
    pub fn io(path: impl Into<String>, doing: impl Into<String>, e: &io::Error) -> Error {
        Error::Io {
            path: path.into(),
            doing: Some(doing.into()),
            why: io_words(e),
            help: None,
        }
    }

    /// An I/O failure on `path` that needs no more words than the path.
    pub fn io_on(path: impl Into<String>, e: &io::Error) -> Error {
        Error::Io {
            path: path.into(),
            doing: None,
            why: io_words(e),
            help: None,
        }
    }

    /// Adds what to do to an I/O error; other errors are returned as they are.
    #[must_use]
    pub fn with_help(mut self, what: impl Into<String>) -> Error {
        if let Error::Io { help, .. } = &mut self {
            *help = Some(what.into());
        }
        self
    }

    /// The error as `main` prints it, painted when `paint` is on (the word `error` red, a
    /// spec's diagnostics as `synth` shows them). `Display` is the same text unpainted.
    pub fn render(&self, paint: Paint) -> String {
        let mut out = String::new();
        let _ = self.write(&mut out, paint);
        out
    }

    /// The exit code.
    pub fn code(&self) -> Exit {
        Exit::Input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, Paint::OFF)
    }
}

impl Error {
    /// Paths and places may come from directory listings (a file name holding a newline or
    /// ESC): each is shown escaped.
    fn write(&self, f: &mut dyn fmt::Write, paint: Paint) -> fmt::Result {
        let error = |kind: &str| paint.error(&format!("error{kind}:"));
        let help = match self {
            Error::Io {
                path,
                doing,
                why,
                help,
            } => {
                let path = text::escape(path);
                match doing {
                    Some(doing) => writeln!(f, "{path}: {} {doing}: {why}", error("[io]"))?,
                    None => writeln!(f, "{path}: {} {why}", error("[io]"))?,
                }
                help.as_deref()
            }
            Error::Missing { path, what } => {
                writeln!(f, "{}: {} {what}", text::escape(path), error("[io]"))?;
                None
            }
            Error::Template { place, why } => {
                writeln!(f, "{}: {} {why}", text::escape(place), error("[template]"))?;
                None
            }
            Error::Usage {
                command,
                message,
                help,
            } => {
                writeln!(f, "synth {command}: {} {message}", error(""))?;
                help.as_deref()
            }
            Error::LogInput {
                place,
                message,
                help,
            } => {
                writeln!(f, "{place}: {} {message}", error("[log-input]"))?;
                help.as_deref()
            }
            Error::Git {
                place,
                message,
                help,
            } => {
                let place = text::escape(place.as_deref().unwrap_or("synth diff"));
                writeln!(f, "{place}: {} {message}", error(""))?;
                help.as_deref()
            }
            Error::UnknownCommand { word, suggestion } => {
                writeln!(
                    f,
                    "synth: {} unrecognized subcommand '{}'",
                    error(""),
                    text::escape(word)
                )?;
                writeln!(
                    f,
                    "  {} did you mean '{suggestion}'? (`synth --help` lists every subcommand; a spec is a file, and there is none named '{}')",
                    paint.help("= help:"),
                    text::escape(word)
                )?;
                None
            }
            Error::Stale {
                dir,
                specs,
                files,
                help,
            } => {
                write_stale(f, &error("[stale]"), dir, specs, files)?;
                Some(help.as_str())
            }
            Error::Spec {
                diagnostics,
                source,
            } => {
                for d in diagnostics {
                    f.write_str(&d.render_with(Some(source), paint))?;
                }
                None
            }
            Error::Several(errors) => {
                for e in errors {
                    e.write(f, paint)?;
                }
                None
            }
            Error::Diagnosed => None,
        };
        match help {
            Some(help) => writeln!(f, "  {} {help}", paint.help("= help:")),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fatal_error_has_one_shape() {
        let shown = |e: Error| e.to_string();
        let gone = io::Error::from(io::ErrorKind::NotFound);
        assert_eq!(
            shown(Error::io("stacks/a.yaml", "cannot read the spec", &gone)),
            "stacks/a.yaml: error[io]: cannot read the spec: no such file\n"
        );
        assert_eq!(
            shown(Error::io_on("out", &gone)),
            "out: error[io]: no such file\n"
        );
        assert_eq!(
            shown(Error::Usage {
                command: "simulate",
                message: "no identity pool uses role `x`".into(),
                help: None
            }),
            "synth simulate: error: no identity pool uses role `x`\n"
        );
        assert_eq!(
            shown(Error::Git {
                place: None,
                message: "`x` is not a commit in this repository".into(),
                help: Some("pass a branch".into())
            }),
            "synth diff: error: `x` is not a commit in this repository\n  = help: pass a branch\n"
        );
        assert_eq!(
            shown(Error::LogInput {
                place: "logs.json:2:15".into(),
                message: "not JSON".into(),
                help: Some("give JSON lines".into())
            }),
            "logs.json:2:15: error[log-input]: not JSON\n  = help: give JSON lines\n"
        );
        assert_eq!(
            shown(Error::Several(vec![
                Error::io_on("a.yaml", &gone),
                Error::Missing {
                    path: "b".into(),
                    what: "no *.yaml specs found".into()
                }
            ])),
            "a.yaml: error[io]: no such file\nb: error[io]: no *.yaml specs found\n"
        );
        assert_eq!(shown(Error::Diagnosed), "");
        assert_eq!(Error::Diagnosed.code(), Exit::Input);
        assert_eq!(Exit::Findings.code(), 1);
    }
}
