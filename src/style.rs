//! Colour on a terminal: whether a stream is painted ([`Paint`], decided once by `main` from
//! `--color`, `NO_COLOR`, `CLICOLOR_FORCE` and whether the stream is a terminal) and the few
//! styles synth paints with, as cargo and rustc do: `error` red, `warning` yellow, locations and
//! headings bold, gutters and hints blue/cyan, added lines green, removed lines red.
//! Must not: decide whether to paint (the caller does), or paint text that came from a spec
//! before it is escaped (`text::escape`): styles wrap text, they never let it through raw.

use anstyle::{AnsiColor, Style};

/// Whether a stream gets ANSI styles. Off unless `main` turned it on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Paint {
    on: bool,
}

const ERROR: Style = AnsiColor::Red.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const BOLD: Style = Style::new().bold();
const GUTTER: Style = AnsiColor::Blue.on_default().bold();
const HELP: Style = AnsiColor::Cyan.on_default().bold();
const ADDED: Style = AnsiColor::Green.on_default();
const REMOVED: Style = AnsiColor::Red.on_default();
const OK: Style = AnsiColor::Green.on_default().bold();

impl Paint {
    /// Plain text.
    pub const OFF: Paint = Paint { on: false };
    /// ANSI styles.
    pub const ON: Paint = Paint { on: true };

    /// Paint when `on`.
    pub fn new(on: bool) -> Paint {
        Paint { on }
    }

    /// True when styles are written.
    pub fn is_on(self) -> bool {
        self.on
    }

    fn with(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    /// `error`, `error[code]`.
    pub fn error(self, text: &str) -> String {
        self.with(ERROR, text)
    }

    /// `warning`, `warning[code]`.
    pub fn warning(self, text: &str) -> String {
        self.with(WARNING, text)
    }

    /// A location or a heading.
    pub fn bold(self, text: &str) -> String {
        self.with(BOLD, text)
    }

    /// The ` | ` gutter of a snippet and its line number.
    pub fn gutter(self, text: &str) -> String {
        self.with(GUTTER, text)
    }

    /// `= help:`.
    pub fn help(self, text: &str) -> String {
        self.with(HELP, text)
    }

    /// A good outcome: `ok`, `ALLOW`.
    pub fn ok(self, text: &str) -> String {
        self.with(OK, text)
    }

    /// One line of a unified or permission diff: `+` lines green, `-` lines red, `@@` hunks
    /// cyan, file headers bold; anything else as it is. `line` has no line ending.
    pub fn diff_line(self, line: &str) -> String {
        let body = line.trim_start();
        if line.starts_with("+++") || line.starts_with("---") {
            self.bold(line)
        } else if line.starts_with("@@") {
            self.help(line)
        } else if body.starts_with('+') {
            self.with(ADDED, line)
        } else if body.starts_with('-') || body.starts_with('~') {
            self.with(REMOVED, line)
        } else if line.starts_with("stack ") || line.starts_with("synth diff:") {
            self.bold(line)
        } else {
            line.to_owned()
        }
    }

    /// Every line of `text` through [`Self::diff_line`], line endings kept.
    pub fn diff(self, text: &str) -> String {
        if !self.on {
            return text.to_owned();
        }
        let mut out = String::with_capacity(text.len() + text.len() / 8);
        for line in text.split_inclusive('\n') {
            let (body, end) = line.strip_suffix('\n').map_or((line, ""), |b| (b, "\n"));
            out.push_str(&self.diff_line(body));
            out.push_str(end);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn off_is_plain_and_on_wraps_in_ansi() {
        assert_eq!(Paint::OFF.error("error"), "error");
        assert_eq!(
            Paint::ON.error("error"),
            "\u{1b}[1m\u{1b}[31merror\u{1b}[0m"
        );
        assert_eq!(Paint::OFF.diff("+ a\n- b\n"), "+ a\n- b\n");
        let on = Paint::ON.diff("@@ -1 +1 @@\n+a\n-b\n c\n");
        assert!(on.contains("\u{1b}[32m+a\u{1b}[0m\n"), "{on:?}");
        assert!(on.contains("\u{1b}[31m-b\u{1b}[0m\n"), "{on:?}");
        assert!(on.ends_with(" c\n"), "{on:?}");
    }
}
