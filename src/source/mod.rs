//! Reads a spec's text into a JSON value plus the source position of every value and every key,
//! addressed by RFC 6901 JSON pointer. This is the only place YAML parser options live.
//!
//! Why serde-saphyr (see README "Dependencies"): it is the one maintained serde YAML crate that
//! gives positions (`Spanned`), refuses duplicate keys, and bounds alias expansion and depth.
//! Must not: interpret the spec (that is `spec`), or touch the filesystem.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use serde_saphyr::Spanned;

use crate::diag::{Diagnostic, Pos};
use crate::text;

mod events;

/// A parsed spec: its value and where each part of it came from.
#[derive(Debug, Clone)]
pub struct Doc {
    /// The document as JSON (what the schema validates and the typed spec is read from).
    pub value: Value,
    values: BTreeMap<String, Pos>,
    keys: BTreeMap<String, Pos>,
}

impl Doc {
    /// Position of the value at `pointer`, or of its nearest ancestor that has one.
    pub fn locate(&self, pointer: &str) -> Pos {
        nearest(&self.values, pointer)
    }

    /// Position of the key naming the entry at `pointer` (for "unknown key" and name errors);
    /// falls back to the value.
    pub fn locate_key(&self, pointer: &str) -> Pos {
        self.keys
            .get(pointer)
            .copied()
            .unwrap_or_else(|| self.locate(pointer))
    }
}

fn nearest(map: &BTreeMap<String, Pos>, pointer: &str) -> Pos {
    let mut p = pointer;
    loop {
        if let Some(pos) = map.get(p) {
            return *pos;
        }
        match p.rfind('/') {
            Some(i) => p = &p[..i],
            None => return Pos::START,
        }
    }
}

/// Escapes one reference token of a JSON pointer (RFC 6901: `~` → `~0`, `/` → `~1`).
pub fn escape_token(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Parses spec text. Errors carry the file name given, for rendering.
pub fn parse(file: &str, bytes: &[u8]) -> Result<Doc, Diagnostic> {
    // The file name is written into every template synth makes from it (the header comment, the
    // metadata), so it must not carry a line break or anything else a reader would act on.
    if let Some((_, c)) = text::first_hazard(file, &[]) {
        return Err(Diagnostic::input(
            "spec-file-name",
            file,
            None,
            format!(
                "the file name contains {}, a control, line-separator or bidi character",
                text::code_point(c)
            ),
        )
        .with_help("rename the file: its name is written into the templates synth makes from it"));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let pos = pos_of_byte(bytes, e.valid_up_to());
        Diagnostic::input(
            "spec-encoding",
            file,
            Some(pos),
            "the file is not valid UTF-8",
        )
        .with_help("save the spec as UTF-8")
    })?;
    // YAML ends a line at a carriage return alone, as at CRLF or LF; terminals, git and the
    // snippet under a diagnostic do not, so every position after it would name the wrong line.
    if let Some(at) = lone_carriage_return(bytes) {
        return Err(Diagnostic::input(
            "spec-encoding",
            file,
            Some(pos_of_byte(bytes, at)),
            "a carriage return (CR) that does not end a CRLF line ending",
        )
        .with_help("save the spec with LF or CRLF line endings"));
    }
    if text.lines().all(|l| {
        let l = l.trim();
        l.is_empty() || l.starts_with('#')
    }) {
        return Err(
            Diagnostic::input("spec-empty", file, Some(Pos::START), "the spec is empty").with_help(
                "start from a bundled example in stacks/, e.g. `version: 1` and `stack: <name>`",
            ),
        );
    }
    if let Some(doc) = events::parse(text) {
        return Ok(doc);
    }
    parse_general(file, text)
}

/// The fast path held to the general one (tests and the `fuzzing` module): when [`events::parse`]
/// reads `text`, the general path must read the same value with the same value and key
/// positions. `Ok(true)`: both read it alike; `Ok(false)`: the fast path left it alone;
/// `Err`: they disagree, in words.
pub(crate) fn fast_path_agrees(text: &str) -> Result<bool, String> {
    let Some(fast) = events::parse(text) else {
        return Ok(false);
    };
    let general = parse_general("t.yaml", text)
        .map_err(|d| format!("only the fast path accepts {text:?}: {}", d.message))?;
    if fast.value != general.value {
        return Err(format!(
            "values of {text:?} differ: fast {:?}, general {:?}",
            fast.value, general.value
        ));
    }
    if fast.values != general.values {
        return Err(format!(
            "value positions of {text:?} differ: fast {:?}, general {:?}",
            fast.values, general.values
        ));
    }
    if fast.keys != general.keys {
        return Err(format!(
            "key positions of {text:?} differ: fast {:?}, general {:?}",
            fast.keys, general.keys
        ));
    }
    Ok(true)
}

/// Any YAML, through serde-saphyr: the path for everything [`events::parse`] leaves alone, and
/// the one that gives the diagnostics.
fn parse_general(file: &str, text: &str) -> Result<Doc, Diagnostic> {
    let options = serde_saphyr::options! {
        // YAML 1.1 spellings (`no`, `on`, `0755`) stay strings; the schema then says what it wanted.
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        // `!Ref` and friends belong in templates, not specs: refuse rather than silently drop.
        reject_unsupported_tags: true,
        with_snippet: false,
        // Comments are not kept; kept, more than 32 in a row where the parser looks ahead (a
        // commented block before a nested value) were refused as "too many buffered comments".
        emit_comments: false,
        budget: serde_saphyr::budget! { max_depth: 32, max_aliases: 1_000, max_nodes: 100_000 },
    };
    let root: Spanned<Node> = serde_saphyr::from_str_with_options(text, options).map_err(|e| {
        let pos = e.location().map_or(Pos::START, |l| Pos {
            line: u32::try_from(l.line()).unwrap_or(u32::MAX),
            col: u32::try_from(l.column()).unwrap_or(u32::MAX),
        });
        let (message, help) = yaml_message(&e.to_string());
        Diagnostic::input("spec-yaml", file, Some(pos), message).with_help(help)
    })?;
    let mut doc = Doc {
        value: Value::Null,
        values: BTreeMap::new(),
        keys: BTreeMap::new(),
    };
    let mut path = String::new();
    doc.value = walk(root, &mut path, &mut doc.values, &mut doc.keys)
        .map_err(|(pos, msg)| Diagnostic::input("spec-yaml", file, Some(pos), msg))?;
    if doc.value.is_null() {
        return Err(Diagnostic::input(
            "spec-empty",
            file,
            Some(Pos::START),
            "the spec is empty",
        ));
    }
    Ok(doc)
}

/// The parser's message in the spec's terms, and a hint. serde-saphyr appends " at line L column
/// C" to some messages (the position is printed already) and advice about its own options.
fn yaml_message(raw: &str) -> (String, &'static str) {
    let first = raw.lines().next().unwrap_or(raw).trim();
    let first = first.find(" at line ").map_or(first, |i| &first[..i]);
    if let Some(rest) = first.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return (
            format!("duplicate key `{key}`"),
            "a key may appear once per mapping: merge the two entries",
        );
    }
    if first.starts_with("unsupported tag") {
        return (
            first.to_owned(),
            "specs take no YAML tags: write `{ param: Name }` or `{ import: ExportName }` instead of `!Ref`",
        );
    }
    if first.contains("budget") || first.contains("depth") || first.contains("recursion") {
        return (
            first.to_owned(),
            "the spec nests or repeats too deeply (aliases are expanded): simplify it",
        );
    }
    (
        first.to_owned(),
        "fix the YAML syntax here or just before it (an unclosed bracket or quote is reported where the parser gives up)",
    )
}

/// The offset of the first `\r` not followed by `\n`.
fn lone_carriage_return(bytes: &[u8]) -> Option<usize> {
    (0..bytes.len()).find(|&i| bytes[i] == b'\r' && bytes.get(i + 1) != Some(&b'\n'))
}

fn bytecount_newlines(bytes: &[u8]) -> usize {
    bytes.split(|&b| b == b'\n').count() - 1
}

fn pos_of_byte(bytes: &[u8], offset: usize) -> Pos {
    let before = &bytes[..offset];
    let line = bytecount_newlines(before) + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let col = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    Pos {
        line: u32::try_from(line).unwrap_or(u32::MAX),
        col: u32::try_from(col).unwrap_or(u32::MAX),
    }
}

fn to_pos<T>(s: &Spanned<T>) -> Pos {
    Pos {
        line: u32::try_from(s.referenced.line())
            .unwrap_or(u32::MAX)
            .max(1),
        col: u32::try_from(s.referenced.column())
            .unwrap_or(u32::MAX)
            .max(1),
    }
}

fn walk(
    node: Spanned<Node>,
    path: &mut String,
    values: &mut BTreeMap<String, Pos>,
    keys: &mut BTreeMap<String, Pos>,
) -> Result<Value, (Pos, String)> {
    let pos = to_pos(&node);
    values.insert(path.clone(), pos);
    Ok(match node.value {
        Node::Null => Value::Null,
        Node::Bool(b) => Value::Bool(b),
        Node::Int(i) => Value::Number(i.into()),
        Node::UInt(u) => Value::Number(u.into()),
        Node::Float(f) => Value::Number(
            Number::from_f64(f).ok_or_else(|| (pos, "numbers must be finite".to_owned()))?,
        ),
        Node::Str(s) => Value::String(s),
        Node::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                let len = path.len();
                path.push('/');
                path.push_str(&i.to_string());
                out.push(walk(item, path, values, keys)?);
                path.truncate(len);
            }
            Value::Array(out)
        }
        Node::Map(entries) => {
            let mut out = Map::new();
            for (key, value) in entries {
                let key_pos = to_pos(&key);
                let name = match key.value {
                    Node::Str(s) => s,
                    Node::Int(i) => i.to_string(),
                    Node::UInt(u) => u.to_string(),
                    Node::Bool(b) => b.to_string(),
                    _ => return Err((key_pos, "mapping keys must be plain scalars".to_owned())),
                };
                let len = path.len();
                path.push('/');
                path.push_str(&escape_token(&name));
                keys.insert(path.clone(), key_pos);
                let v = walk(value, path, values, keys)?;
                path.truncate(len);
                if out.insert(name.clone(), v).is_some() {
                    // serde-saphyr already refuses duplicates; `1` and `"1"` can still collide here.
                    return Err((key_pos, format!("duplicate mapping key `{name}`")));
                }
            }
            Value::Object(out)
        }
    })
}

/// The YAML tree as serde-saphyr hands it over, every node with its span.
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = Node;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Node, E> {
        Ok(Node::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Node, E> {
        Ok(Node::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
        Ok(Node::UInt(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Node, E> {
        Ok(Node::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Node, E> {
        Ok(Node::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Node, E> {
        Ok(Node::Str(v))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Node, E> {
        Ok(Node::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
        Node::deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Node>>()? {
            items.push(item);
        }
        Ok(Node::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<Node>>()? {
            let value = map.next_value::<Spanned<Node>>()?;
            entries.push((key, value));
        }
        Ok(Node::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_ok(text: &str) -> Doc {
        parse("t.yaml", text.as_bytes()).expect("parses")
    }

    fn parse_err(text: &[u8]) -> Diagnostic {
        parse("t.yaml", text).expect_err("must fail")
    }

    #[test]
    fn records_value_and_key_positions() {
        let doc = parse_ok("a: 1\nb:\n  c: [x, y]\n  \"d/e\": z\n");
        assert_eq!(doc.locate("/a"), Pos { line: 1, col: 4 });
        assert_eq!(doc.locate_key("/b/c"), Pos { line: 3, col: 3 });
        assert_eq!(doc.locate("/b/c/1"), Pos { line: 3, col: 10 });
        assert_eq!(doc.locate_key("/b/d~1e"), Pos { line: 4, col: 3 });
        assert_eq!(
            doc.value.pointer("/b/d~1e"),
            Some(&Value::String("z".into()))
        );
        // An unknown pointer falls back to the nearest ancestor.
        assert_eq!(doc.locate("/b/c/7/q"), Pos { line: 3, col: 6 });
    }

    #[test]
    fn yaml_1_1_spellings_stay_strings() {
        let doc = parse_ok("a: no\nb: on\nc: 0755\nd: yes\ne: true\n");
        assert_eq!(doc.value["a"], "no");
        assert_eq!(doc.value["b"], "on");
        assert_eq!(doc.value["c"], "0755");
        assert_eq!(doc.value["d"], "yes");
        assert_eq!(doc.value["e"], true);
    }

    #[test]
    fn refuses_duplicate_keys_with_position() {
        let d = parse_err(b"a: 1\nb: 2\na: 3\n");
        assert_eq!(d.code, "spec-yaml");
        assert_eq!(d.pos.map(|p| p.line), Some(3));
        assert!(d.message.contains("duplicate"), "{}", d.message);
    }

    #[test]
    fn refuses_tags() {
        let d = parse_err(b"a: !Ref Foo\n");
        assert_eq!(d.code, "spec-yaml");
        assert_eq!(d.pos.map(|p| p.line), Some(1));
    }

    #[test]
    fn refuses_non_utf8_at_its_position() {
        let d = parse_err(b"a: 1\nb: x\xff\n");
        assert_eq!(d.code, "spec-encoding");
        assert_eq!(d.pos, Some(Pos { line: 2, col: 5 }));
    }

    #[test]
    fn long_comment_blocks_are_read_on_both_paths() {
        // More than serde-saphyr's default of 32 buffered comments where the parser looks ahead
        // (before a nested value, after `- `); the anchor sends the text the general way.
        let notes = "  # a note\n".repeat(40);
        let text = format!("a: &x 1\nb:\n{notes}  c: 2\nd:\n  -\n{notes}    e\n");
        let doc = parse_ok(&text);
        assert_eq!(doc.value["b"]["c"], 2);
        assert_eq!(doc.value["d"][0], "e");
        assert!(fast_path_agrees(&text.replace("&x ", "")).unwrap());
    }

    #[test]
    fn refuses_a_lone_carriage_return_at_its_position() {
        let d = parse_err(b"a: 1\r\nb: x\ry\n");
        assert_eq!(d.code, "spec-encoding");
        assert_eq!(d.pos, Some(Pos { line: 2, col: 5 }));
        assert_eq!(parse_err(b"a: 1\r").pos, Some(Pos { line: 1, col: 5 }));
        assert_eq!(parse_ok("a: 1\r\nb: 2\r\n").value["b"], 2);
    }

    #[test]
    fn refuses_empty_and_comment_only_files() {
        assert_eq!(parse_err(b"").code, "spec-empty");
        assert_eq!(parse_err(b"# nothing\n\n").code, "spec-empty");
        assert_eq!(parse_err(b"~\n").code, "spec-empty");
    }

    #[test]
    fn hostile_inputs_are_refused_not_expanded() {
        let laughs = "a: &a [x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]\n";
        assert_eq!(parse_err(laughs.as_bytes()).code, "spec-yaml");
        assert_eq!(parse_err("[".repeat(10_000).as_bytes()).code, "spec-yaml");
        assert_eq!(parse_err("- ".repeat(10_000).as_bytes()).code, "spec-yaml");
    }

    #[test]
    fn escapes_pointer_tokens() {
        assert_eq!(escape_token("a/b~c"), "a~1b~0c");
    }
}
