//! CIP-CFN-001: inside `Fn::Sub`, a policy variable must be written `${!name}`; unescaped,
//! CloudFormation reads it as a reference and the template fails to deploy (or, with a matching
//! name, silently substitutes the wrong thing). Anchors: cfn-lint E1019, CloudFormation
//! Fn::Sub docs (docs/aws-facts.md §1.11), docs/security-rules.md M10.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-CFN-001",
    severity: Severity::Error,
    summary: "unescaped policy variable inside Fn::Sub",
    rationale: "Fn::Sub resolves every ${name}: policy variables must be escaped as ${!name} (cfn-lint E1019; Fn::Sub docs).",
    check,
};

/// Variables of a `Fn::Sub` string that are neither escaped nor resolvable.
fn unresolved<'a>(text: &'a str, known: &[&str], locals: &[&str]) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        let base = name.split('.').next().unwrap_or(name);
        let ok = name.starts_with('!')
            || name.starts_with("AWS::")
            || known.contains(&base)
            || locals.contains(&name);
        if !ok {
            out.push(name);
        }
        rest = &after[end + 1..];
    }
    out
}

fn walk<'a>(v: &'a Value, known: &[&str], out: &mut Vec<&'a str>) {
    match v {
        Value::Object(m) => {
            if let Some(sub) = m.get("Fn::Sub") {
                match sub {
                    Value::String(s) => out.extend(unresolved(s, known, &[])),
                    Value::Array(a) => {
                        let locals: Vec<&str> = a
                            .get(1)
                            .and_then(Value::as_object)
                            .map(|m| m.keys().map(String::as_str).collect())
                            .unwrap_or_default();
                        if let Some(s) = a.first().and_then(Value::as_str) {
                            out.extend(unresolved(s, known, &locals));
                        }
                    }
                    _ => {}
                }
            }
            m.values().for_each(|c| walk(c, known, out));
        }
        Value::Array(a) => a.iter().for_each(|c| walk(c, known, out)),
        _ => {}
    }
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let t = ctx.template();
    let mut known: Vec<&str> = Vec::new();
    for section in ["Parameters", "Resources"] {
        known.extend(
            t.get(section)
                .and_then(Value::as_object)
                .into_iter()
                .flat_map(|m| m.keys().map(String::as_str)),
        );
    }
    // Per resource (found at the spec entry that made it), then the rest of the template.
    let mut parts: Vec<(Option<&str>, &Value)> = t
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(id, r)| (Some(id.as_str()), r))
        .collect();
    parts.extend(
        t.as_object()
            .into_iter()
            .flatten()
            .filter(|(k, _)| k.as_str() != "Resources")
            .map(|(_, v)| (None, v)),
    );
    let mut out = Vec::new();
    for (id, part) in parts {
        let mut names = Vec::new();
        walk(part, &known, &mut names);
        names.sort_unstable();
        names.dedup();
        out.extend(names.into_iter().map(|n| {
            let place = id.map_or_else(String::new, |id| format!(" in {id}"));
            Finding::new(
                id.map(|id| ctx.pointer_of(id)).unwrap_or_default(),
                format!("`${{{n}}}` inside Fn::Sub{place} is not escaped"),
                format!("write `${{!{n}}}` so IAM and IoT see the policy variable"),
            )
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_an_unescaped_policy_variable() {
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Resource"][0] = serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:client/${cognito-identity.amazonaws.com:sub}"});
        });
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "`${cognito-identity.amazonaws.com:sub}` inside Fn::Sub in AppIotPolicy is not escaped"
        );
    }

    #[test]
    fn passes_on_escaped_variables_parameters_and_locals() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
        assert!(
            unresolved("x/${!iot:ClientId}/${P}/${R.Arn}/${L}", &["P", "R"], &["L"]).is_empty()
        );
    }
}
