//! Untrusted text on its way out: which characters in a spec, a file name or a template can
//! change what a reader of synth's output sees, and how to show them harmlessly.
//!
//! A character is a *hazard* when some reader of what synth writes would act on it instead of
//! showing it: C0 and C1 control characters and DEL (a terminal obeys ESC sequences and CR
//! returns the cursor; YAML 1.1 readers, such as CloudFormation's and cfn-lint's, break lines at
//! U+0085 NEL), the Unicode line and paragraph separators U+2028/U+2029 (line breaks to YAML 1.1
//! and to JavaScript), the bidirectional formatting characters (U+061C, U+200E/U+200F,
//! U+202A–U+202E, U+2066–U+2069), which reorder how a line reads on screen ("Trojan Source",
//! CVE-2021-42574), and the invisible ones that make two texts look alike (zero-width U+200B–
//! U+200D, U+2060–U+2064, the byte-order mark U+FEFF, tag characters U+E0000–U+E007F).
//! Tab and line feed are not hazards where a caller allows them (a multi-line description).
//!
//! Must not: decide policy (callers choose to refuse or to escape), or know output formats.

use std::borrow::Cow;
use std::fmt::Write as _;

/// True for a character that a terminal, a YAML 1.1 reader or a text renderer would act on.
pub fn is_hazard(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                | '\u{061C}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}'
                | '\u{E0000}'..='\u{E007F}'
        )
}

/// The first hazard in `text` other than those in `allowed`, with its byte offset.
pub fn first_hazard(text: &str, allowed: &[char]) -> Option<(usize, char)> {
    text.char_indices()
        .find(|&(_, c)| is_hazard(c) && !allowed.contains(&c))
}

/// `U+001B` and the like: how a message names a character it must not print.
pub fn code_point(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `text` with every hazard written as an escape (`\n`, `\r`, `\t`, `\u{1b}`), so that it can
/// be shown on a terminal or in a comment line as one harmless line. A backslash stays as it is:
/// the result is for people to read, not to be parsed back.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_except(text, &[])
}

/// [`escape`], leaving the characters of `keep` as they are (a tab in a source line keeps the
/// caret under it aligned).
pub fn escape_except<'a>(text: &'a str, keep: &[char]) -> Cow<'a, str> {
    if first_hazard(text, keep).is_none() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        push_escaped(&mut out, c, keep);
    }
    Cow::Owned(out)
}

/// How many columns `c` takes once escaped (1 for a character shown as it is).
pub fn escaped_width(c: char) -> usize {
    let mut s = String::new();
    push_escaped(&mut s, c, &[]);
    s.chars().count()
}

fn push_escaped(out: &mut String, c: char, keep: &[char]) {
    if !is_hazard(c) || keep.contains(&c) {
        out.push(c);
        return;
    }
    match c {
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        _ => {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hazards_are_controls_line_separators_and_bidi_formatting() {
        for c in [
            '\0',
            '\n',
            '\r',
            '\t',
            '\u{1b}',
            '\u{7f}',
            '\u{85}',
            '\u{9f}',
            '\u{2028}',
            '\u{2029}',
            '\u{202e}',
            '\u{2066}',
            '\u{200f}',
            '\u{61c}',
            '\u{200b}',
            '\u{feff}',
            '\u{e0041}',
        ] {
            assert!(is_hazard(c), "{c:?}");
        }
        for c in [
            'a', ' ', '/', 'ä', 'ÿ', '会', '\u{a0}', '\u{2027}', '\u{202f}',
        ] {
            assert!(!is_hazard(c), "{c:?}");
        }
    }

    #[test]
    fn escaping_leaves_one_harmless_line() {
        let hostile = "a\nTransform: x\u{2028}b\u{85}c\u{1b}[31mred\rd\u{202e}e";
        let shown = escape(hostile);
        assert_eq!(
            shown,
            "a\\nTransform: x\\u{2028}b\\u{85}c\\u{1b}[31mred\\rd\\u{202e}e"
        );
        assert!(!shown.chars().any(is_hazard));
        assert!(matches!(escape("plain/text ä"), Cow::Borrowed(_)));
        assert_eq!(escape_except("a\tb\u{1b}", &['\t']), "a\tb\\u{1b}");
        assert_eq!(escaped_width('\u{1b}'), 6);
        assert_eq!(escaped_width('x'), 1);
        assert_eq!(first_hazard("ab\u{7}c", &[]), Some((2, '\u{7}')));
        assert_eq!(first_hazard("a\tb", &['\t']), None);
        assert_eq!(code_point('\u{1b}'), "U+001B");
    }
}
