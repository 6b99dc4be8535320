//! Diagnostics as data: every stage returns them, the CLI sorts and renders them. Nothing here
//! reads files; rendering takes the source text it is given.

use std::fmt::Write as _;

use serde::Serialize;

use crate::text;

/// A 1-based line and column in a spec file (columns count characters, not bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Pos {
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl Pos {
    /// The start of a file.
    pub const START: Pos = Pos { line: 1, col: 1 };
}

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Blocks synth.
    Error,
    /// Printed; does not block.
    Warning,
}

/// Why a diagnostic stops synth, which decides the exit code: an unusable spec is exit 2, a
/// usable spec that breaks a rule or an expectation is exit 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Class {
    /// The input cannot be read, parsed, or does not mean anything coherent.
    Input,
    /// The input is coherent but a rule or an expectation fails.
    Finding,
}

/// One message about one place in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable identifier, e.g. `spec-schema` or `CIP-POOL-001`.
    pub code: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// Input or finding.
    pub class: Class,
    /// The file as the user named it (relative paths stay relative).
    pub file: String,
    /// Where in the file, when known.
    pub pos: Option<Pos>,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// An error about unusable input.
    pub fn input(
        code: &'static str,
        file: &str,
        pos: impl Into<Option<Pos>>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            code,
            severity: Severity::Error,
            class: Class::Input,
            file: file.to_owned(),
            pos: pos.into(),
            message: message.into(),
            help: None,
        }
    }

    /// Adds a hint.
    #[must_use]
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The ordering the CLI prints in: by file, position, then code.
    fn sort_key(&self) -> (&str, Option<Pos>, &'static str, &str) {
        (&self.file, self.pos, self.code, &self.message)
    }

    /// `file:line:col: error[code]: message`, then the source line with a caret, then the help.
    pub fn render(&self, source: Option<&str>) -> String {
        let mut out = String::new();
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        // Spec values, file names and source lines are shown with control characters, line
        // separators and bidi controls escaped: a spec must not be able to drive the terminal
        // (ESC sequences), overwrite what was printed (CR) or fake a line of output.
        let file = text::escape(&self.file);
        match self.pos {
            Some(p) => {
                let _ = write!(out, "{file}:{}:{}: ", p.line, p.col);
            }
            None => {
                let _ = write!(out, "{file}: ");
            }
        }
        let _ = writeln!(
            out,
            "{severity}[{}]: {}",
            self.code,
            text::escape(&self.message)
        );
        if let (Some(p), Some(source)) = (self.pos, source)
            && let Some(line) = source.lines().nth((p.line as usize).saturating_sub(1))
        {
            let gutter = p.line.to_string();
            let pad = " ".repeat(gutter.len());
            // A tab stays a tab so that the caret lines up under it; every other character
            // before the caret takes the columns of its escaped form.
            let caret_pad: String = line
                .chars()
                .take((p.col as usize).saturating_sub(1))
                .map(|c| {
                    if c == '\t' {
                        "\t".to_owned()
                    } else {
                        " ".repeat(text::escaped_width(c))
                    }
                })
                .collect();
            let line = text::escape_except(line, &['\t']);
            let _ = writeln!(out, "{pad} |\n{gutter} | {line}\n{pad} | {caret_pad}^");
        }
        if let Some(help) = &self.help {
            let help = text::escape(help);
            // Align `=` under the gutter's `|`, as rustc does.
            let width = match (self.pos, source) {
                (Some(p), Some(_)) => p.line.to_string().len(),
                _ => 1,
            };
            let _ = writeln!(out, "{} = help: {help}", " ".repeat(width));
        }
        out
    }
}

/// An I/O error in a few words, for messages that already name the path.
pub fn io_words(e: &std::io::Error) -> String {
    // An error synth made itself says what it means already.
    if e.raw_os_error().is_none() && e.get_ref().is_some() {
        return e.to_string();
    }
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::IsADirectory => "is a directory".to_owned(),
        std::io::ErrorKind::NotADirectory => "not a directory".to_owned(),
        _ => e.to_string(),
    }
}

/// Sorts diagnostics into the order they are printed in, and drops exact duplicates.
pub fn sort(diags: &mut Vec<Diagnostic>) {
    diags.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
    diags.dedup();
}

/// True when any diagnostic blocks synth.
pub fn has_errors(diags: &[Diagnostic]) -> bool {
    diags.iter().any(|d| d.severity == Severity::Error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_words_are_short_for_the_system_and_whole_for_synth() {
        let system = std::io::Error::from_raw_os_error(2);
        assert_eq!(io_words(&system), "no such file");
        let ours = std::io::Error::new(std::io::ErrorKind::NotFound, "a link to nothing");
        assert_eq!(io_words(&ours), "a link to nothing");
        let bare = std::io::Error::from(std::io::ErrorKind::PermissionDenied);
        assert_eq!(io_words(&bare), "permission denied");
    }

    #[test]
    fn renders_position_caret_and_help() {
        let d = Diagnostic::input(
            "spec-ref",
            "stacks/a.yaml",
            Some(Pos { line: 2, col: 5 }),
            "unknown role `x`",
        )
        .with_help("declare it under `roles:`");
        let text = d.render(Some("a: 1\nb:  x\n"));
        assert_eq!(
            text,
            "stacks/a.yaml:2:5: error[spec-ref]: unknown role `x`\n  |\n2 | b:  x\n  |     ^\n  = help: declare it under `roles:`\n"
        );
    }

    #[test]
    fn renders_hostile_text_escaped_with_the_caret_in_place() {
        let d = Diagnostic::input(
            "spec-topic",
            "stacks/a\u{1b}]0;x\u{7}.yaml",
            Some(Pos { line: 2, col: 9 }),
            "topic `a\u{1b}[2J\rb`: contains the control character U+001B",
        )
        .with_help("remove \u{202e}it");
        let text = d.render(Some("x: 1\nt: [\"\u{1b}[2J\", q]\n"));
        assert_eq!(
            text,
            "stacks/a\\u{1b}]0;x\\u{7}.yaml:2:9: error[spec-topic]: topic `a\\u{1b}[2J\\rb`: contains the control character U+001B\n  |\n2 | t: [\"\\u{1b}[2J\", q]\n  |              ^\n  = help: remove \\u{202e}it\n"
        );
        assert!(!text.chars().any(|c| c != '\n' && text::is_hazard(c)));
    }

    #[test]
    fn renders_without_position() {
        let d = Diagnostic::input("io", "stacks/missing.yaml", None, "cannot read");
        assert_eq!(
            d.render(None),
            "stacks/missing.yaml: error[io]: cannot read\n"
        );
    }

    #[test]
    fn sorts_by_file_then_position_then_code() {
        let at =
            |f: &str, l, c, code| Diagnostic::input(code, f, Some(Pos { line: l, col: c }), "m");
        let mut v = vec![
            at("b", 1, 1, "x"),
            at("a", 3, 1, "x"),
            at("a", 1, 9, "z"),
            at("a", 1, 9, "y"),
            at("a", 1, 9, "y"),
        ];
        sort(&mut v);
        let keys: Vec<_> = v
            .iter()
            .map(|d| {
                (
                    d.file.as_str(),
                    d.pos.unwrap().line,
                    d.pos.unwrap().col,
                    d.code,
                )
            })
            .collect();
        assert_eq!(
            keys,
            [
                ("a", 1, 9, "y"),
                ("a", 1, 9, "z"),
                ("a", 3, 1, "x"),
                ("b", 1, 1, "x")
            ]
        );
    }
}
