//! The common shape of a spec read straight from the YAML parser's events, without serde: block
//! and flow mappings and sequences of plain or quoted scalars whose type is plain to see. Read
//! through serde-saphyr's deserializer with spans, the benchmark's spec took about 110 µs of the
//! roughly 430 µs synth spends on it; the parser's events alone take about 40 µs, and this path
//! about 45 µs (issue: scale).
//!
//! Anything outside that shape returns `None` and takes the general path, which gives the same
//! result or the diagnostic: a syntax error, anchors and aliases, tags, duplicate or non-scalar
//! keys, a second document, too deep or too many nodes, and scalars whose type depends on YAML
//! resolution rules (numbers other than plain decimal integers, null and boolean spellings other
//! than `~`, `null`, `true`, `false`, and the merge key `<<`). A test holds both paths to the same
//! documents and positions on every spec in the repository and on generated ones, and the fuzz
//! target `spec_reader` on anything (the `fuzzing` module).
//! Must not: give a diagnostic, or accept what the general path would refuse.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle, Span};

use super::{Doc, escape_token};
use crate::diag::Pos;

/// The general path's budget (see `super::parse`): deeper or larger documents go that way.
const MAX_DEPTH: usize = 32;
const MAX_NODES: usize = 100_000;

/// A collection being read.
enum Open {
    Seq(Vec<Value>),
    /// Entries so far, and the key whose value comes next.
    Map(Map<String, Value>, Option<String>),
}

struct Frame {
    open: Open,
    /// Length of `path` without this collection's own token.
    parent_len: usize,
}

/// Reads `text` if it has the common shape; `None` sends it the general way.
pub(super) fn parse(text: &str) -> Option<Doc> {
    let mut values = BTreeMap::new();
    let mut keys = BTreeMap::new();
    let mut path = String::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut documents = 0;
    let mut nodes = 0;
    for event in Parser::new_from_str(text) {
        let (event, span) = event.ok()?;
        let (value, pos) = match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Comment(..) => {
                continue;
            }
            Event::DocumentStart(..) => {
                documents += 1;
                if documents > 1 {
                    return None;
                }
                continue;
            }
            Event::Scalar(text, style, anchor, tag) => {
                if anchor != 0 || tag.is_some() {
                    return None;
                }
                let value = if style == ScalarStyle::Plain {
                    resolve_plain(&text)?
                } else {
                    Value::String(text.into_owned())
                };
                (value, pos_of(&span))
            }
            Event::SequenceStart(_, anchor, ref tag) | Event::MappingStart(_, anchor, ref tag) => {
                if anchor != 0 || tag.is_some() || stack.len() >= MAX_DEPTH {
                    return None;
                }
                let open = if matches!(event, Event::SequenceStart(..)) {
                    Open::Seq(Vec::new())
                } else {
                    Open::Map(Map::new(), None)
                };
                let parent_len = path.len();
                child_pointer(&mut stack, &mut path, &mut keys, None, pos_of(&span))?;
                values.insert(path.clone(), pos_of(&span));
                stack.push(Frame { open, parent_len });
                nodes += 1;
                if nodes > MAX_NODES {
                    return None;
                }
                continue;
            }
            Event::SequenceEnd | Event::MappingEnd => {
                let frame = stack.pop()?;
                let value = match frame.open {
                    Open::Seq(items) => Value::Array(items),
                    Open::Map(map, None) => Value::Object(map),
                    Open::Map(_, Some(_)) => return None,
                };
                path.truncate(frame.parent_len);
                if !place(&mut stack, &mut root, value) {
                    return None;
                }
                continue;
            }
            _ => return None,
        };
        nodes += 1;
        if nodes > MAX_NODES {
            return None;
        }
        let parent_len = path.len();
        if child_pointer(&mut stack, &mut path, &mut keys, Some(&value), pos)?.is_key() {
            path.truncate(parent_len);
            continue;
        }
        values.insert(path.clone(), pos);
        path.truncate(parent_len);
        if !place(&mut stack, &mut root, value) {
            return None;
        }
    }
    let value = root?;
    // An empty document is the general path's diagnostic.
    if value.is_null() || !stack.is_empty() {
        return None;
    }
    Some(Doc {
        value,
        values,
        keys,
    })
}

enum Child {
    /// The node is a mapping key (now pending in its mapping).
    Key,
    /// The node is a value; `path` now points at it.
    Value,
}

impl Child {
    fn is_key(&self) -> bool {
        matches!(self, Child::Key)
    }
}

/// Extends `path` to the node about to be read, or, when the node is a mapping key, records it
/// as the pending key (`scalar` is the key's value; a collection as key is refused).
fn child_pointer(
    stack: &mut [Frame],
    path: &mut String,
    keys: &mut BTreeMap<String, Pos>,
    scalar: Option<&Value>,
    pos: Pos,
) -> Option<Child> {
    let Some(top) = stack.last_mut() else {
        return Some(Child::Value);
    };
    match &mut top.open {
        Open::Seq(items) => {
            path.push('/');
            path.push_str(&items.len().to_string());
            Some(Child::Value)
        }
        Open::Map(map, pending @ None) => {
            let name = match scalar? {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                Value::Bool(b) => b.to_string(),
                _ => return None,
            };
            if map.contains_key(&name) {
                return None;
            }
            let len = path.len();
            path.push('/');
            path.push_str(&escape_token(&name));
            keys.insert(path.clone(), pos);
            path.truncate(len);
            *pending = Some(name);
            Some(Child::Key)
        }
        Open::Map(_, Some(name)) => {
            path.push('/');
            path.push_str(&escape_token(name));
            Some(Child::Value)
        }
    }
}

/// Puts a finished value into the collection it belongs to (or makes it the root). False when
/// there is no place for it.
fn place(stack: &mut [Frame], root: &mut Option<Value>, value: Value) -> bool {
    match stack.last_mut().map(|f| &mut f.open) {
        None if root.is_none() => {
            *root = Some(value);
            true
        }
        None => false,
        Some(Open::Seq(items)) => {
            items.push(value);
            true
        }
        Some(Open::Map(map, pending)) => match pending.take() {
            Some(name) => {
                map.insert(name, value);
                true
            }
            None => false,
        },
    }
}

fn pos_of(span: &Span) -> Pos {
    Pos {
        line: u32::try_from(span.start.line()).unwrap_or(u32::MAX).max(1),
        col: u32::try_from(span.start.col() + 1)
            .unwrap_or(u32::MAX)
            .max(1),
    }
}

/// A plain scalar whose type is plain to see; `None` for spellings that YAML's resolution rules
/// (and serde-saphyr's options) decide: those go the general way.
fn resolve_plain(text: &str) -> Option<Value> {
    match text {
        "" | "~" | "null" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        // The merge key: serde-saphyr merges the mapping it names into the one it is in.
        "<<" => return None,
        _ => {}
    }
    let first = text.as_bytes()[0];
    if first.is_ascii_digit() || matches!(first, b'-' | b'+' | b'.') {
        // Plain decimal integers only; `0`-led, signed, fractional, hex, octal, infinities and
        // dates are the general path's.
        if first != b'0' && text.bytes().all(|b| b.is_ascii_digit()) {
            return text.parse::<u64>().ok().map(Value::from);
        }
        return (text == "0").then(|| Value::from(0));
    }
    let lower = text.to_ascii_lowercase();
    if matches!(
        lower.as_str(),
        "null" | "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n"
    ) {
        return None;
    }
    Some(Value::String(text.to_owned()))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;

    /// The fast path, held to the general one (`super::super::fast_path_agrees`). Returns
    /// whether the fast path read `text`.
    fn agrees(text: &str) -> bool {
        super::super::fast_path_agrees(text).unwrap_or_else(|e| panic!("{e}"))
    }

    fn yaml_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                yaml_files(&path, out);
            } else if path
                .extension()
                .is_some_and(|e| e == "yaml" || e == "yml" || e == "in")
            {
                out.push(path);
            }
        }
    }

    #[test]
    fn agrees_on_every_spec_in_the_repository_and_reads_the_real_ones() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["stacks", "tests/fixtures", "benches/generate"] {
            yaml_files(&root.join(dir), &mut files);
        }
        assert!(files.len() >= 15, "{files:?}");
        let mut read = 0;
        for file in &files {
            let Ok(text) = std::fs::read_to_string(file) else {
                continue; // the non-UTF-8 fixture
            };
            let text = text.replace("@N@", "0001");
            let fast = agrees(&text);
            read += usize::from(fast);
            // The specs synth builds by default, and the benchmark's, must take the fast path,
            // or it saves nothing.
            let name = file.strip_prefix(root).unwrap().to_string_lossy();
            if name.starts_with("stacks/") || name.starts_with("benches/") {
                assert!(fast, "{name} went the general way");
            }
        }
        assert!(
            read > 10,
            "{read} of {} files read the fast way",
            files.len()
        );
    }

    /// Scalars whose type YAML spellings decide, and texts that look like them.
    const TRICKY: &[&str] = &[
        "",
        "~",
        "null",
        "Null",
        "NULL",
        "true",
        "True",
        "TRUE",
        "false",
        "False",
        "yes",
        "No",
        "on",
        "OFF",
        "y",
        "n",
        "0",
        "00",
        "007",
        "0755",
        "1",
        "42",
        "-1",
        "+1",
        "-0",
        "1.5",
        "1e3",
        ".5",
        "5.",
        ".inf",
        "-.inf",
        ".NaN",
        "0x1F",
        "0o17",
        "0b11",
        "1_000",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551615",
        "18446744073709551616",
        "2001-12-14",
        "1:20",
        "12:30:45",
        "us-east-1:1111",
        "us-east-1_Bench0001",
        "devices/${identity}/+/x",
        "fleet/news/#",
        "a b",
        "a\tb",
        "-",
        "- a",
        ".",
        "..",
        "é",
        "日本",
        "'single'",
        "\"double\"",
        "\"esc\\n\\u00e9\"",
        "'it''s'",
        "x #c",
        "[a, b]",
        "{a: 1}",
        "a: b",
        "&a x",
        "*a",
        "!Ref x",
        "!!str 1",
        "? x",
        "|",
        ">",
        "%x",
        "@x",
        "`x",
    ];

    #[test]
    fn agrees_on_tricky_scalars_in_every_position() {
        let mut read = 0;
        for s in TRICKY {
            for text in [
                format!("k: {s}\n"),
                format!("- {s}\n"),
                format!("k: [{s}]\n"),
                format!("{{k: {s}}}\n"),
                format!("{s}: v\n"),
                format!("a:\n  b:\n    - {s}\n    - c: {s}\n      d: x\n"),
            ] {
                read += usize::from(agrees(&text));
            }
        }
        assert!(read > TRICKY.len(), "{read}");
    }

    #[test]
    fn agrees_on_document_markers_comments_and_block_scalars() {
        for text in [
            "%YAML 1.1\n---\na: yes\nb: 1\nc: x\n",
            "%YAML 1.2\n---\na: 1\n...\n",
            "---\na: 1 # a comment\n# another\nb: [x, 'y', \"z\"]\n",
            "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\nc: |+\n  kept\n\n",
            "a: plain\n  continued\n  over lines\nb: 'single\n  folded'\n",
            "{\"a\": 1, 'b': [true, false, ~], c: {d: e}}\n",
            "a:\n- x\n- y:\n    z: 1\n",
            "? a\n: 1\n",
            "a: \"\\t tab and \\u00e9\"\n",
            "'': empty key\n",
            "'<<': {a: 1}\n",
            "a: <<\n",
            "a: -\n",
        ] {
            agrees(text);
        }
        assert!(agrees(
            "---\na: 1 # a comment\n# another\nb: [x, 'y', \"z\"]\n"
        ));
    }

    #[test]
    fn leaves_what_it_does_not_know_to_the_general_path() {
        for text in [
            "a: &x 1\nb: *x\n",
            "a: !Ref x\n",
            "a: 1\na: 2\n",
            "? [a]\n: 1\n",
            "a: 1\n---\nb: 2\n",
            "a: 1.5\n",
            "a: yes\n",
            "a: [\n",
            "~\n",
            "<<:\n",
            "<<: {a: 1}\nb: 2\n",
            "a:\n  <<: {b: 1}\n",
        ] {
            assert!(parse(text).is_none(), "{text:?}");
        }
        let deep = format!(
            "{}x{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).is_none());
        let shallow = format!("{}x{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert!(agrees(&shallow));
    }

    /// A YAML document in block style with scalars from [`TRICKY`], plain or quoted.
    fn document() -> impl Strategy<Value = String> {
        let scalar = (prop::sample::select(TRICKY), 0..3_u8).prop_map(|(s, quote)| match quote {
            0 => s.to_owned(),
            1 => format!("'{}'", s.replace('\'', "''")),
            _ => format!("{s:?}"),
        });
        let key = prop::sample::select(vec!["a", "b", "stack", "1", "k/j", "t~x", "x y"]);
        let leaf = scalar.prop_map(|s| (s, Vec::<(String, String)>::new()));
        // Each node renders itself at an indentation: a scalar, or a mapping of children.
        let tree = leaf.prop_recursive(4, 40, 5, move |inner| {
            prop::collection::vec((key.clone().prop_map(str::to_owned), inner), 1..5).prop_map(
                |kids| {
                    (
                        String::new(),
                        kids.into_iter()
                            .map(|(k, (s, grand))| (k, render(&s, &grand, 1)))
                            .collect(),
                    )
                },
            )
        });
        tree.prop_map(|(s, kids)| render(&s, &kids, 0))
    }

    fn render(scalar: &str, kids: &[(String, String)], depth: usize) -> String {
        if kids.is_empty() {
            return scalar.to_owned();
        }
        let indent = "  ".repeat(depth);
        let mut out = String::new();
        for (k, v) in kids {
            let gap = if v.contains('\n') { "" } else { " " };
            out.push('\n');
            out.push_str(&indent);
            out.push_str(k);
            out.push(':');
            out.push_str(gap);
            out.push_str(v);
        }
        out
    }

    proptest! {
        // Unit tests keep no regression files: the top level of the repository is fixed, and a
        // failure prints its minimal input.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn agrees_on_generated_documents(doc in document()) {
            let text = format!("{}\n", doc.trim_start_matches('\n'));
            agrees(&text);
        }

        /// Any text at all: never a panic, and never accepted where the general path refuses.
        #[test]
        fn agrees_on_arbitrary_text(
            text in r#"[ -~\n\t]{0,120}|([a-z]{1,3}:[ \n-]{1,3}[a-z0-9'"\[\]{},:#&*!|>-]{0,6}\n){1,8}"#
        ) {
            agrees(&text);
        }
    }
}
