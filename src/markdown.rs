//! Markdown that untrusted text cannot break: inline code spans and free text for a GitHub
//! comment or a table cell, with control characters escaped (a row ends at a line break) and
//! everything that could format, link, start HTML or end a cell made literal. Used by the
//! permission diff and `synth explain`; tested with a CommonMark parser in
//! tests/integration/diff.rs.
//! Must not: know reports (callers lay out their own documents).

/// Inline code that survives a GFM table cell: line breaks and other control characters written
/// as escapes (a row ends at a line break), `|` escaped, backticks fenced by a longer run.
/// Nothing inside a code span is read as Markdown or HTML.
pub fn code(s: &str) -> String {
    let s = crate::text::escape(s).replace('|', "\\|");
    let mut longest = 0;
    let mut run = 0;
    for c in s.chars() {
        run = if c == '`' { run + 1 } else { 0 };
        longest = longest.max(run);
    }
    let fence = "`".repeat(longest + 1);
    if longest > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

/// Free text in Markdown: line breaks and control characters written as escapes, and every
/// character that could format, link, start HTML or break a table cell backslash-escaped.
pub fn md(s: &str) -> String {
    let s = crate::text::escape(s);
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '|' | '<' | '>' | '[' | ']' | '#' | '&' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_table_cells() {
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(code("${identity}"), "`${identity}`");
        assert_eq!(code("a\nb"), "`a\\nb`");
    }

    #[test]
    fn free_text_cannot_format() {
        assert_eq!(md("a *b* <c>|d"), "a \\*b\\* \\<c\\>\\|d");
    }
}
