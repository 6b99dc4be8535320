//! Diagnostics as SARIF 2.1.0, for GitHub code scanning (`--format sarif`). Hand-written with
//! serde_json rather than a SARIF crate: the log is one small document, and a test validates it
//! against the official schema (`schemas/sarif/`). GitHub reads `ruleId`, `level`, the
//! message, the location's `uri` and `startLine`, and `security-severity` on rules.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::diag::{Diagnostic, Severity};
use crate::rules::RULES;

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// GitHub ranks security alerts by this CVSS-like score (high ≥ 7.0, medium ≥ 4.0).
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "8.0",
        Severity::Warning => "5.0",
    }
}

/// The SARIF log of `diags`. Every security rule is described, so code scanning can show rules
/// that found nothing this time; other codes (schema, YAML, expectations) are described as seen.
pub fn log(diags: &[Diagnostic]) -> Value {
    let mut rules: BTreeMap<&str, Value> = RULES
        .iter()
        .map(|r| {
            (
                r.id,
                json!({
                    "id": r.id,
                    "shortDescription": { "text": r.summary },
                    "fullDescription": { "text": r.rationale },
                    "help": { "text": r.rationale },
                    "defaultConfiguration": { "level": level(r.severity) },
                    "properties": { "tags": ["security"], "security-severity": security_severity(r.severity) }
                }),
            )
        })
        .collect();
    for d in diags {
        rules.entry(d.code).or_insert_with(|| {
            json!({
                "id": d.code,
                "shortDescription": { "text": format!("cogsynth {}", d.code) },
                "defaultConfiguration": { "level": level(d.severity) }
            })
        });
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut region = json!({});
            if let Some(p) = d.pos {
                region = json!({ "startLine": p.line, "startColumn": p.col });
            }
            // Code scanning shows the text as it is: control, line-separator and bidi characters
            // a spec may have held are escaped, as on a terminal.
            let mut text = crate::text::escape(&d.message).into_owned();
            if let Some(h) = &d.help {
                text.push_str("\nhelp: ");
                text.push_str(&crate::text::escape(h));
            }
            json!({
                "ruleId": d.code,
                "ruleIndex": index[d.code],
                "level": level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": d.file, "uriBaseId": "%SRCROOT%" },
                        "region": region
                    }
                }]
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "cogsynth",
                    "semanticVersion": env!("CARGO_PKG_VERSION"),
                    "rules": rules.into_values().collect::<Vec<_>>()
                }
            },
            "originalUriBaseIds": { "%SRCROOT%": { "uri": "./" } },
            "results": results
        }]
    })
}
