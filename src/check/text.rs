//! No spec string, key or value, carries a character that could change what synth writes or
//! what a reader of it sees: control characters other than tab and line feed, the YAML 1.1 line
//! breaks U+0085/U+2028/U+2029, and bidi formatting characters (see `text`). Spec text reaches
//! templates, parameter files, SARIF, diff reports and terminals; refusing it here, once, at its
//! `file:line:col`, is simpler and safer than escaping it right in every one of them.

use serde_json::Value;

use crate::diag::Diagnostic;
use crate::source::escape_token;
use crate::spec::Loaded;
use crate::text;

/// Tab and line feed are ordinary in a multi-line description, and every writer handles them.
const ALLOWED: [char; 2] = ['\t', '\n'];

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let mut pointer = String::new();
    walk(l, &l.doc.value, &mut pointer, out);
}

fn walk(l: &Loaded, value: &Value, pointer: &mut String, out: &mut Vec<Diagnostic>) {
    let len = pointer.len();
    match value {
        Value::String(s) => refuse(l, s, pointer, false, out),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                pointer.push('/');
                pointer.push_str(&i.to_string());
                walk(l, item, pointer, out);
                pointer.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                pointer.push('/');
                pointer.push_str(&escape_token(key));
                refuse(l, key, pointer, true, out);
                walk(l, item, pointer, out);
                pointer.truncate(len);
            }
        }
        _ => {}
    }
}

fn refuse(l: &Loaded, s: &str, pointer: &str, is_key: bool, out: &mut Vec<Diagnostic>) {
    let Some((offset, c)) = text::first_hazard(s, &ALLOWED) else {
        return;
    };
    if !is_key && is_mqtt_text(pointer) {
        return; // `check::topics` refuses it, with the MQTT and IAM reasons (one cause, one error)
    }
    let pos = if is_key {
        l.doc.locate_key(pointer)
    } else {
        l.doc.locate(pointer)
    };
    let what = if is_key { "key" } else { "text" };
    out.push(
        Diagnostic::input(
            "spec-text",
            &l.file,
            pos,
            format!(
                "{what} `{}` contains {} at character {}",
                text::escape(s),
                text::code_point(c),
                s[..offset].chars().count() + 1
            ),
        )
        .with_help(
            "remove it: control characters other than tab and line feed, line separators (U+0085, U+2028, U+2029) and bidi controls could change what synth writes or what a reader sees",
        ),
    );
}

/// True for `/topic_scopes/<scope>/<verb>/<n>` (and `/topic_scopes/<scope>/publish/<n>/topic`):
/// a topic, filter or client id; or a shadow's thing or name (which `check::topics` limits to
/// letters, digits, `:`, `_` and `-`).
fn is_mqtt_text(pointer: &str) -> bool {
    let parts: Vec<&str> = pointer.split('/').collect();
    matches!(
        parts.as_slice(),
        [
            "",
            "topic_scopes",
            _,
            "connect" | "publish" | "subscribe" | "receive",
            _
        ] | ["", "topic_scopes", _, "publish", _, "topic"]
            | ["", "topic_scopes", _, "shadows", _, "thing" | "name"]
    )
}
