//! Validates a parsed spec against `schemas/stack.schema.json` (embedded), reporting every
//! violation at its source position. Unknown keys point at the key, with a "did you mean".
//! Messages come from the schema itself where it carries an `x-help` (a JSON Schema annotation
//! that validators ignore), so the schema stays the one description of the spec's shape.

use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ValidationError, Validator};
use serde_json::Value;

use crate::diag::Diagnostic;
use crate::source::{Doc, escape_token};

const SCHEMA_TEXT: &str = include_str!("../../schemas/stack.schema.json");

/// The spec schema as JSON.
pub fn schema_json() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_TEXT).expect("embedded schema is JSON"))
}

fn validator() -> &'static Validator {
    static VALIDATOR: OnceLock<Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::draft202012::new(schema_json()).expect("embedded schema compiles")
    })
}

/// Every schema violation in `doc`, each with a position and, where the schema has one, a hint.
pub fn validate(file: &str, doc: &Doc) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for error in validator().iter_errors(&doc.value) {
        describe(file, doc, &error, &mut out);
    }
    out
}

fn describe(file: &str, doc: &Doc, error: &ValidationError<'_>, out: &mut Vec<Diagnostic>) {
    let path = error.instance_path().as_str();
    let at = |p: &str| Some(doc.locate(p));
    let here = describe_path(path);
    let help = help_at(path, &doc.value);
    let diag = |pos, message: String| {
        let d = Diagnostic::input("spec-schema", file, pos, message);
        match &help {
            Some(h) => d.with_help(h.clone()),
            None => d,
        }
    };
    match error.kind() {
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            let allowed = allowed_keys(path, &doc.value);
            for key in unexpected {
                let key_path = format!("{path}/{}", escape_token(key));
                let mut d = Diagnostic::input(
                    "spec-schema",
                    file,
                    Some(doc.locate_key(&key_path)),
                    format!("unknown key `{key}` in {here}"),
                );
                d = match did_you_mean(key, &allowed) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None if !allowed.is_empty() => {
                        d.with_help(format!("allowed keys: {}", allowed.join(", ")))
                    }
                    None => d,
                };
                out.push(d);
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            out.push(
                Diagnostic::input(
                    "spec-schema",
                    file,
                    at(path),
                    format!("{here} is missing the required key `{name}`"),
                )
                .with_help(help.clone().unwrap_or_else(|| format!("add `{name}:`"))),
            );
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let name = inner.instance().as_str().unwrap_or_default().to_owned();
            let key_path = format!("{path}/{}", escape_token(&name));
            let hint = help_at(&format!("{path}/*name*"), &doc.value).or_else(|| help.clone());
            let mut d = Diagnostic::input(
                "spec-schema",
                file,
                Some(doc.locate_key(&key_path)),
                format!("`{name}` is not a valid name in {here}"),
            );
            if let Some(h) = hint {
                d = d.with_help(h);
            }
            out.push(d);
        }
        ValidationErrorKind::Type { kind } => {
            out.push(diag(
                at(path),
                format!(
                    "{here} must be {}, not {}",
                    type_words(kind),
                    value_words(error.instance())
                ),
            ));
        }
        ValidationErrorKind::Enum { options } => {
            let found = error.instance();
            let mut d = Diagnostic::input(
                "spec-schema",
                file,
                at(path),
                format!("{} is not a valid value for {here}", value_words(found)),
            );
            let choices: Vec<String> = options
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|v| v.to_string().trim_matches('"').to_owned())
                        .collect()
                })
                .unwrap_or_default();
            let suggestion = found.as_str().and_then(|s| did_you_mean(s, &choices));
            d = match (suggestion, &help) {
                (Some(s), Some(h)) => d.with_help(format!("did you mean `{s}`? ({h})")),
                (Some(s), None) => d.with_help(format!("did you mean `{s}`?")),
                (None, Some(h)) => d.with_help(h.clone()),
                (None, None) => d.with_help(format!("one of: {}", choices.join(", "))),
            };
            out.push(d);
        }
        ValidationErrorKind::MaxItems { limit } | ValidationErrorKind::MinItems { limit } => {
            let n = error.instance().as_array().map_or(0, Vec::len);
            let bound = if matches!(error.kind(), ValidationErrorKind::MaxItems { .. }) {
                "at most"
            } else {
                "at least"
            };
            out.push(diag(
                at(path),
                format!("{here} has {n} item(s); it takes {bound} {limit}"),
            ));
        }
        ValidationErrorKind::OneOfNotValid { .. }
        | ValidationErrorKind::OneOfMultipleValid { .. }
        | ValidationErrorKind::AnyOf { .. } => {
            out.push(diag(
                at(path),
                format!("{here} does not have an accepted shape"),
            ));
        }
        _ => out.push(diag(at(path), format!("{here}: {error}"))),
    }
}

/// "the value at `identity_pools.fleet.user_pools[0]`", or "the spec" for the root.
fn describe_path(pointer: &str) -> String {
    if pointer.is_empty() {
        return "the spec".to_owned();
    }
    let mut s = String::new();
    for token in pointer.split('/').skip(1) {
        let token = token.replace("~1", "/").replace("~0", "~");
        if token.chars().all(|c| c.is_ascii_digit()) {
            s.push('[');
            s.push_str(&token);
            s.push(']');
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(&token);
        }
    }
    format!("`{s}`")
}

fn type_words(kind: &TypeKind) -> String {
    let one = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_owned(),
        "array" => "a list".to_owned(),
        "string" => "a string".to_owned(),
        "integer" => "an integer".to_owned(),
        "number" => "a number".to_owned(),
        "boolean" => "true or false".to_owned(),
        "null" => "empty".to_owned(),
        other => other.to_owned(),
    };
    match kind {
        TypeKind::Single(t) => one(t),
        TypeKind::Multiple(ts) => ts.iter().map(|t| one(&t)).collect::<Vec<_>>().join(" or "),
    }
}

fn value_words(v: &Value) -> String {
    match v {
        Value::Null => "empty".to_owned(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) => format!("`{n}`"),
        Value::String(s) => format!("\"{s}\""),
        Value::Array(_) => "a list".to_owned(),
        Value::Object(_) => "a mapping".to_owned(),
    }
}

/// The closest of `choices` to `word`, when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, choices: &'a [String]) -> Option<&'a str> {
    choices
        .iter()
        .map(|c| {
            (
                strsim::damerau_levenshtein(&word.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .filter(|(d, c)| *d <= (c.chars().count() / 3).max(1))
        .min()
        .map(|(_, c)| c.as_str())
}

/// Follows a local `$ref` (`#/$defs/x`).
fn deref(node: &Value) -> &Value {
    let mut node = node;
    // Bounded: our schema's refs never chain more than a few deep.
    for _ in 0..8 {
        match node
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(ptr) => match schema_json().pointer(ptr) {
                Some(target) => node = target,
                None => break,
            },
            None => break,
        }
    }
    node
}

/// The branch of an `if`/`then`/`else` node that applies to `instance`: the schema's conditions
/// are all `{"type": ...}`, so the branch follows the instance's type (a missing instance, the
/// `else` branch: a container is being descended into).
fn branch<'a>(node: &'a Value, instance: Option<&Value>) -> &'a Value {
    let (Some(cond), Some(then), Some(other)) =
        (node.get("if"), node.get("then"), node.get("else"))
    else {
        return node;
    };
    let is = |t: &str| match (t, instance) {
        ("string", Some(v)) => v.is_string(),
        ("object", Some(v)) => v.is_object(),
        ("array", Some(v)) => v.is_array(),
        _ => false,
    };
    let holds = cond.get("type").and_then(Value::as_str).is_some_and(is);
    deref(if holds { then } else { other })
}

/// The schema node that describes the instance at `pointer`. The token `*name*` asks for the
/// schema of the map's keys (`propertyNames`).
/// `doc` is the document validated, whose values choose `if`/`then`/`else` branches.
fn schema_at(pointer: &str, doc: &Value) -> Option<&'static Value> {
    let mut node = deref(schema_json());
    let mut at = String::new();
    for token in pointer.split('/').skip(1) {
        node = branch(node, doc.pointer(&at));
        at.push('/');
        at.push_str(token);
        let token = token.replace("~1", "/").replace("~0", "~");
        let next = if token == "*name*" {
            node.get("propertyNames")
        } else if let Some(p) = node.get("properties").and_then(|p| p.get(&token)) {
            Some(p)
        } else if let Some(ap) = node.get("additionalProperties").filter(|v| v.is_object()) {
            Some(ap)
        } else {
            node.get("items")
        };
        node = deref(next?);
    }
    Some(branch(node, doc.pointer(pointer)))
}

fn help_at(pointer: &str, doc: &Value) -> Option<String> {
    let node = schema_at(pointer, doc)?;
    let own = node.get("x-help").or_else(|| {
        // `{"$ref": ..., "description": ...}` keeps the hint on the target.
        schema_json().pointer(pointer).and_then(|n| n.get("x-help"))
    });
    own.and_then(Value::as_str).map(str::to_owned)
}

fn allowed_keys(pointer: &str, doc: &Value) -> Vec<String> {
    schema_at(pointer, doc)
        .and_then(|n| n.get("properties"))
        .and_then(Value::as_object)
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::Pos;
    use crate::source;

    fn check(text: &str) -> Vec<Diagnostic> {
        let doc = source::parse("s.yaml", text.as_bytes()).expect("parses");
        let mut d = validate("s.yaml", &doc);
        crate::diag::sort(&mut d);
        d
    }

    const MINIMAL: &str = "version: 1\nstack: s\ntopic_scopes:\n  a:\n    publish: [x]\nroles:\n  r: { scopes: [a] }\nidentity_pools:\n  p:\n    user_pools: [{ user_pool_id: us-east-1_x, client_id: c }]\n    authenticated: r\n";

    #[test]
    fn embedded_schema_compiles() {
        assert!(validator().is_valid(&source::parse("m", MINIMAL.as_bytes()).unwrap().value));
    }

    #[test]
    fn minimal_spec_is_valid() {
        assert_eq!(check(MINIMAL), vec![]);
    }

    #[test]
    fn unknown_key_points_at_the_key_and_suggests() {
        let d = check(&MINIMAL.replace(
            "    authenticated: r\n",
            "    authenticated: r\n    unauthenticatd: r\n",
        ));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].pos, Some(Pos { line: 12, col: 5 }));
        assert_eq!(
            d[0].message,
            "unknown key `unauthenticatd` in `identity_pools.p`"
        );
        assert_eq!(
            d[0].help.as_deref(),
            Some("did you mean `unauthenticated`?")
        );
    }

    #[test]
    fn reports_every_violation_each_at_its_position() {
        let text = "version: 2\nstack: Bad_Name\ntopic_scopes:\n  a:\n    publish: x\nroles:\n  r: { scopes: [a] }\nidentity_pools:\n  p:\n    user_pools: [{ user_pool_id: 7, client_id: c }]\n";
        let d = check(text);
        let lines: Vec<(u32, &str)> = d
            .iter()
            .map(|d| (d.pos.unwrap().line, d.message.as_str()))
            .collect();
        assert_eq!(
            lines,
            [
                (1, "`version`: 1 was expected"),
                (
                    2,
                    "`stack`: \"Bad_Name\" does not match \"^[a-z][a-z0-9]*(-[a-z0-9]+)*$\""
                ),
                (5, "`topic_scopes.a.publish` must be a list, not \"x\""),
                (
                    10,
                    "`identity_pools.p` is missing the required key `authenticated`"
                ),
                (
                    10,
                    "`identity_pools.p.user_pools[0].user_pool_id` does not have an accepted shape"
                ),
            ]
        );
        assert_eq!(
            d[1].help
                .as_deref()
                .map(|h| h.starts_with("lowercase letters")),
            Some(true)
        );
        assert_eq!(
            d[4].help.as_deref(),
            Some("write a literal string, `{ param: ParameterName }` or `{ import: ExportName }`")
        );
    }

    #[test]
    fn bad_map_key_names_point_at_the_key() {
        let d = check(&MINIMAL.replace("roles:\n  r:", "roles:\n  R_1:"));
        let names: Vec<_> = d
            .iter()
            .filter(|d| d.message.contains("not a valid name"))
            .collect();
        assert_eq!(names.len(), 1, "{d:?}");
        assert_eq!(names[0].pos, Some(Pos { line: 7, col: 3 }));
        assert!(
            names[0]
                .help
                .as_deref()
                .unwrap()
                .starts_with("names are lowercase")
        );
    }

    #[test]
    fn enum_typos_get_a_suggestion() {
        let d = check(&format!("{MINIMAL}attach:\n  runtime: nodejs22\n"));
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(
            d[0].message,
            "\"nodejs22\" is not a valid value for `attach.runtime`"
        );
        assert!(
            d[0].help
                .as_deref()
                .unwrap()
                .starts_with("did you mean `nodejs22.x`? (use a supported runtime"),
            "{d:?}"
        );
        let d = check(&format!("{MINIMAL}attach:\n  invoke: api-gw\n"));
        assert_eq!(
            d[0].help.as_deref(),
            Some("one of: direct, api-gateway"),
            "{d:?}"
        );
    }

    #[test]
    fn did_you_mean_needs_closeness() {
        let choices = vec!["publish".to_owned(), "subscribe".to_owned()];
        assert_eq!(did_you_mean("pubilsh", &choices), Some("publish"));
        assert_eq!(did_you_mean("zzz", &choices), None);
    }
}
