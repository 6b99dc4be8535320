//! Topics, filters and client ids are well formed MQTT (see `mqtt::check`), and no scope lists the
//! same one twice.

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Severity};
use crate::mqtt::{self, Kind};
use crate::spec::{Loaded, Shadow};

use super::at;

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    for (scope_name, scope) in &l.spec.topic_scopes {
        let texts = |list: &[String]| -> Vec<(String, String)> {
            list.iter()
                .enumerate()
                .map(|(i, t)| (t.clone(), i.to_string()))
                .collect()
        };
        // A publish entry's topic is the entry itself, or its `topic` key in the long form.
        let published: Vec<(String, String)> = scope
            .publish
            .iter()
            .enumerate()
            .map(|(i, p)| (p.topic().to_owned(), format!("{i}{}", p.topic_suffix())))
            .collect();
        let lists = [
            ("connect", texts(&scope.connect), Kind::ClientId),
            ("publish", published, Kind::Topic),
            ("subscribe", texts(&scope.subscribe), Kind::Filter),
            ("receive", texts(&scope.receive), Kind::Topic),
        ];
        for (field, list, kind) in lists {
            let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
            for (i, (text, at_text)) in list.iter().enumerate() {
                let mut tokens = vec!["topic_scopes", scope_name.as_str(), field];
                tokens.extend(at_text.split('/'));
                let pos = at(l, &tokens);
                let what = if kind == Kind::ClientId {
                    "client id"
                } else {
                    "topic"
                };
                if let Err(e) = mqtt::check(text, kind) {
                    out.push(
                        Diagnostic::input(
                            "spec-topic",
                            &l.file,
                            pos,
                            format!("{what} `{text}`: {}", e.message),
                        )
                        .with_help(e.help),
                    );
                }
                if let Some(first) = seen.insert(text, i) {
                    out.push(
                        Diagnostic::input(
                            "spec-duplicate",
                            &l.file,
                            pos,
                            format!("{what} `{text}` is listed twice in `{field}`"),
                        )
                        .with_help(format!("remove this copy (the first is item {first})")),
                    );
                }
            }
        }
        check_shadows(l, scope_name, &scope.shadows, out);
        if scope.receive.iter().any(|r| scope.subscribe.contains(r)) {
            let mut d = Diagnostic::input(
                "spec-redundant",
                &l.file,
                at(l, &["topic_scopes", scope_name, "receive"]),
                "a topic under `receive` is also under `subscribe`, which already implies receive",
            );
            d.severity = Severity::Warning;
            out.push(d.with_help("remove it from `receive`"));
        }
    }
}

/// Each shadow entry names a valid thing and shadow, and no scope lists one shadow twice.
fn check_shadows(l: &Loaded, scope: &str, shadows: &[Shadow], out: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<(&str, Option<&str>), usize> = BTreeMap::new();
    for (i, shadow) in shadows.iter().enumerate() {
        let idx = i.to_string();
        let at_field = |field: &str| at(l, &["topic_scopes", scope, "shadows", &idx, field]);
        if let Err(e) = mqtt::check_thing_name(&shadow.thing) {
            out.push(
                Diagnostic::input(
                    "spec-topic",
                    &l.file,
                    at_field("thing"),
                    format!("thing `{}`: {}", shadow.thing, e.message),
                )
                .with_help(e.help),
            );
        }
        if let Some(name) = &shadow.name
            && let Err(e) = mqtt::check_shadow_name(name)
        {
            out.push(
                Diagnostic::input("spec-topic", &l.file, at_field("name"), e.message)
                    .with_help(e.help),
            );
        }
        if let Some(first) = seen.insert((&shadow.thing, shadow.name.as_deref()), i) {
            let which = match &shadow.name {
                Some(n) => format!("shadow `{n}` of thing `{}`", shadow.thing),
                None => format!("the classic shadow of thing `{}`", shadow.thing),
            };
            out.push(
                Diagnostic::input(
                    "spec-duplicate",
                    &l.file,
                    at_field("thing"),
                    format!("{which} is listed twice in `shadows`"),
                )
                .with_help(format!(
                    "keep one entry, with the access it needs (the first is item {first})"
                )),
            );
        }
    }
}
