//! Fuzz bodies: what the cargo-fuzz targets in `fuzz/` (nightly, libFuzzer) and the stable smoke
//! run in the integration tests (`tests/integration/fuzz_smoke.rs`) do with one input, so both
//! hold synth to the same promises. Each function takes any bytes as the text of a spec and
//! panics only when synth breaks a promise it makes for every input: a panic, here or inside
//! synth, is a bug (README "Fuzzing").
//! Must not: touch the filesystem, or keep state between calls.

use std::collections::BTreeSet;
use std::fmt::Display;

use serde_json::Value;

use crate::cfn::emit::Format;
use crate::cfn::model::Node;
use crate::compile::emit_files;
use crate::diag::{self, Diagnostic, Pos};
use crate::{compile as pipeline, sarif, source};

/// The file name inputs are read as.
pub const FILE: &str = "fuzz.yaml";

/// The spec reader (`source::parse`) on any bytes: a document or one diagnostic, never a panic;
/// every position it records or reports lies in the text; and when the fast path reads the
/// text, the general path reads the same values at the same positions. Returns whether the
/// text was read as a document.
pub fn spec_reader(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let parsed = source::parse(FILE, data);
    match &parsed {
        Ok(doc) => {
            assert!(!doc.value.is_null(), "an empty document was accepted");
            let mut pointers = Vec::new();
            pointers_of(&doc.value, &mut String::new(), &mut pointers);
            for p in &pointers {
                assert_in_text(doc.locate(p), &text, &format_args!("value {p:?}"));
                assert_in_text(doc.locate_key(p), &text, &format_args!("key {p:?}"));
            }
        }
        Err(d) => check_diagnostic(d, &text),
    }
    if let Ok(text) = std::str::from_utf8(data)
        && let Err(disagreement) = source::fast_path_agrees(text)
    {
        panic!("the spec reader's two paths disagree: {disagreement}");
    }
    parsed.is_ok()
}

/// The whole compile, spec text → template files, in both template formats, as `synth` does
/// it: never a panic; no template without an error to say why; every diagnostic at a position
/// in the text, renderable as text and SARIF, and none internal; no map in a template with a
/// key twice; file names that stay inside the output directory; every YAML file re-reads as the
/// same value as its JSON twin and the template model; and compiling again gives the same
/// diagnostics and byte-identical files. Returns whether templates were emitted.
pub fn compile(data: &[u8]) -> bool {
    let text = String::from_utf8_lossy(data);
    let first = run(data);
    let (compiled, diags) = &first;
    for d in diags {
        check_diagnostic(d, &text);
    }
    // SARIF is built for any diagnostics (`--format sarif`).
    let _ = sarif::log(diags).to_string();
    if compiled.is_none() {
        assert!(
            diag::has_errors(diags),
            "no template and no error: {diags:?}"
        );
    }
    assert!(
        run(data) == first,
        "a second compile differs from the first"
    );
    compiled.is_some()
}

/// The files of both formats, by format, and every diagnostic, of one compile.
type Run = (Option<[Vec<(String, String)>; 2]>, Vec<Diagnostic>);

fn run(data: &[u8]) -> Run {
    let (compiled, mut diags) = pipeline::compile(FILE, data);
    let Some(c) = compiled else {
        return (None, diags);
    };
    assert_unique_keys(&c.node, "");
    let (yaml, size) = emit_files(&c, Format::Yaml);
    diags.extend(size);
    let (json, size) = emit_files(&c, Format::Json);
    diags.extend(size);
    assert_eq!(yaml.len(), json.len(), "both formats give as many files");
    for ((yaml_name, yaml_text), (json_name, json_text)) in yaml.iter().zip(&json) {
        for name in [yaml_name, json_name] {
            assert_plain_file_name(name);
        }
        let from_yaml = read_back(yaml_name, yaml_text);
        let from_json = read_back(json_name, json_text);
        assert!(
            from_yaml == from_json,
            "{yaml_name} and {json_name} differ once read back:\n{yaml_text}\n{json_text}"
        );
    }
    // The template is the first file; it is the model, once read back.
    let template = read_back(&json[0].0, &json[0].1);
    assert!(
        template == c.json,
        "the JSON template is not the template model"
    );
    (Some([yaml, json]), diags)
}

/// A file's text read back as a value: YAML through serde-saphyr's default (YAML 1.2) reader,
/// which would read an unquoted `on`, `1_000` or `2010-09-09` as something else.
fn read_back(name: &str, text: &str) -> Value {
    assert!(text.ends_with('\n'), "{name} does not end with a newline");
    // synth names every file itself, in lowercase.
    if std::path::Path::new(name).extension() == Some("yaml".as_ref()) {
        serde_saphyr::from_str(text)
            .unwrap_or_else(|e| panic!("{name} is not YAML that reads back: {e}\n{text}"))
    } else {
        serde_json::from_str(text)
            .unwrap_or_else(|e| panic!("{name} is not JSON that reads back: {e}\n{text}"))
    }
}

/// Output file names are one path component synth chose: no separator, no `..`, nothing hidden.
fn assert_plain_file_name(name: &str) {
    assert!(
        !name.starts_with('.')
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_')),
        "output file name {name:?} is not a plain file name"
    );
}

/// CloudFormation reads a repeated key as one (JSON) or refuses it (YAML): a template model
/// never has one.
fn assert_unique_keys(node: &Node, at: &str) {
    match node {
        Node::Map(pairs) => {
            let mut seen = BTreeSet::new();
            for (k, v) in pairs {
                assert!(seen.insert(k), "key {k:?} twice in {at:?}");
                assert_unique_keys(v, &format!("{at}/{k}"));
            }
        }
        Node::List(items) => {
            for (i, item) in items.iter().enumerate() {
                assert_unique_keys(item, &format!("{at}/{i}"));
            }
        }
        Node::Bool(_) | Node::Int(_) | Node::Str(_) => {}
    }
}

/// A diagnostic about the input names the input, says something, is not a bug report, points
/// into the text, and renders.
fn check_diagnostic(d: &Diagnostic, text: &str) {
    assert_eq!(d.file, FILE, "{d:?}");
    assert!(!d.message.trim().is_empty(), "{d:?}");
    assert!(
        !d.message.starts_with("internal:"),
        "an internal error: {d:?}"
    );
    if let Some(pos) = d.pos {
        assert_in_text(pos, text, &format_args!("{d:?}"));
    }
    let shown = d.render(Some(text));
    assert!(shown.starts_with(FILE), "{shown}");
}

/// `pos` is a character of `text` or just after the last one of its line (where an unclosed
/// bracket or a missing value is reported). Lines end at `\n`, as the rendered snippet has them.
fn assert_in_text(pos: Pos, text: &str, what: &dyn Display) {
    let line = text.split('\n').nth((pos.line as usize).wrapping_sub(1));
    let fits = pos.col >= 1
        && line.is_some_and(|l| {
            pos.col as usize <= l.strip_suffix('\r').unwrap_or(l).chars().count() + 1
        });
    assert!(
        fits,
        "{what}: position {}:{} is not in the text {text:?}",
        pos.line, pos.col
    );
}

/// Every JSON pointer into `value`, the root (`""`) included.
fn pointers_of(value: &Value, at: &mut String, out: &mut Vec<String>) {
    out.push(at.clone());
    let len = at.len();
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                at.push('/');
                at.push_str(&source::escape_token(k));
                pointers_of(v, at, out);
                at.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                at.push('/');
                at.push_str(&i.to_string());
                pointers_of(v, at, out);
                at.truncate(len);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_must_lie_in_the_text() {
        let text = "a: 1\r\nbé: [\n";
        for (line, col) in [(1, 1), (1, 5), (2, 5), (2, 6), (3, 1)] {
            assert_in_text(Pos { line, col }, text, &"ok");
        }
        for (line, col) in [(0, 1), (1, 0), (1, 6), (2, 7), (3, 2), (4, 1)] {
            let outside = std::panic::catch_unwind(|| assert_in_text(Pos { line, col }, text, &""));
            assert!(outside.is_err(), "{line}:{col} passed");
        }
    }

    #[test]
    #[should_panic(expected = "twice")]
    fn a_repeated_template_key_is_caught() {
        let inner = Node::map([("Type", Node::s("A")), ("Type", Node::s("B"))]);
        assert_unique_keys(&Node::map([("Resources", Node::map([("R", inner)]))]), "");
    }

    #[test]
    fn output_names_must_be_plain() {
        assert_plain_file_name("fleet.dev.parameters.json");
        for bad in ["../x.yaml", "a/b.yaml", ".hidden.yaml", "a b.yaml", "a\\b"] {
            let caught = std::panic::catch_unwind(|| assert_plain_file_name(bad));
            assert!(caught.is_err(), "{bad} passed");
        }
    }

    #[test]
    fn the_repository_s_specs_pass_both_bodies() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        for name in ["stacks/fleet.yaml", "tests/fixtures/bad/dangling-refs.yaml"] {
            let bytes = std::fs::read(root.join(name)).unwrap();
            assert!(spec_reader(&bytes), "{name}");
            assert_eq!(compile(&bytes), name.starts_with("stacks/"), "{name}");
        }
    }
}
