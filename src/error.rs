//! How a run of `synth` ends: its exit code ([`Exit`]), and the one error type every command
//! returns when it cannot do its work ([`Error`]). `main` prints an error with `Display`, the one
//! wording of a fatal error: `<file or command>: error[<kind>]: <message>`, then `  = help: …`
//! when there is a hint. Commands never print their own fatal errors, and none imports another
//! command (or the application layer) for these.
//! Must not: print anything, or decide what is wrong (callers name the file and the fault).

use std::fmt;
use std::io;

use crate::diag::{Diagnostic, io_words};

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
    /// Several errors, each in its own wording, in order (every spec of a directory that cannot
    /// be used, say).
    Several(Vec<Error>),
    /// The specs cannot be used, and the command has already printed why, as its report, in the
    /// format the user asked for (`--format json` or `sarif` on stdout). Nothing more to print.
    Diagnosed,
}

impl Error {
    /// An I/O failure on `path` while `doing` something.
    pub fn io(path: impl Into<String>, doing: impl Into<String>, e: &io::Error) -> Error {
        Error::Io {
            path: path.into(),
            doing: Some(doing.into()),
            why: io_words(e),
        }
    }

    /// An I/O failure on `path` that needs no more words than the path.
    pub fn io_on(path: impl Into<String>, e: &io::Error) -> Error {
        Error::Io {
            path: path.into(),
            doing: None,
            why: io_words(e),
        }
    }

    /// The exit code.
    pub fn code(&self) -> Exit {
        Exit::Input
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let help = match self {
            Error::Io { path, doing, why } => {
                match doing {
                    Some(doing) => writeln!(f, "{path}: error[io]: {doing}: {why}")?,
                    None => writeln!(f, "{path}: error[io]: {why}")?,
                }
                None
            }
            Error::Missing { path, what } => {
                writeln!(f, "{path}: error[io]: {what}")?;
                None
            }
            Error::Template { place, why } => {
                writeln!(f, "{place}: error[template]: {why}")?;
                None
            }
            Error::Usage {
                command,
                message,
                help,
            } => {
                writeln!(f, "synth {command}: error: {message}")?;
                help.as_deref()
            }
            Error::LogInput {
                place,
                message,
                help,
            } => {
                writeln!(f, "{place}: error[log-input]: {message}")?;
                help.as_deref()
            }
            Error::Git {
                place,
                message,
                help,
            } => {
                let place = place.as_deref().unwrap_or("synth diff");
                writeln!(f, "{place}: error: {message}")?;
                help.as_deref()
            }
            Error::Spec {
                diagnostics,
                source,
            } => {
                for d in diagnostics {
                    f.write_str(&d.render(Some(source)))?;
                }
                None
            }
            Error::Several(errors) => {
                for e in errors {
                    write!(f, "{e}")?;
                }
                None
            }
            Error::Diagnosed => None,
        };
        match help {
            Some(help) => writeln!(f, "  = help: {help}"),
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
