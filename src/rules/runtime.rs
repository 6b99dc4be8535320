//! CIP-LAMBDA-001: the attach function's runtime must be supported by AWS Lambda. Error once
//! Lambda blocks creating functions on it; warning once it is deprecated. The table is dated and
//! sourced: cfn-lint `LmbdRuntimeLifecycle.json` (2026-06-02) and the Lambda runtimes page, as
//! collected in docs/aws-facts.md §1.6 and docs/security-rules.md §4 on 2026-11-26. Anchors: cfn-lint
//! W2531/E2531/E2533, CKV_AWS_363, AwsSolutions-L1.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-LAMBDA-001",
    severity: Severity::Error,
    summary: "attach function runtime is deprecated or blocked by AWS Lambda",
    rationale: "Deprecated runtimes get no security patches, then Lambda refuses to create or update functions on them (cfn-lint W2531/E2531/E2533; CKV_AWS_363).",
    check,
};

/// Runtime, deprecation date, date creating functions is blocked (`None`: not announced).
/// As of 2026-11-26 (docs/aws-facts.md §1.6; cfn-lint LmbdRuntimeLifecycle.json 2026-06-02).
pub(super) const LIFECYCLE: [(&str, &str, Option<&str>); 13] = [
    ("nodejs16.x", "2024-06-12", Some("2027-02-01")),
    ("nodejs18.x", "2025-09-01", Some("2027-02-01")),
    ("nodejs20.x", "2026-04-30", Some("2027-02-01")),
    ("nodejs22.x", "2027-04-30", Some("2027-06-01")),
    ("nodejs24.x", "2028-04-30", Some("2028-06-01")),
    ("python3.8", "2024-10-14", Some("2027-02-01")),
    ("python3.9", "2025-12-15", Some("2027-02-01")),
    ("python3.10", "2026-10-31", Some("2027-02-01")),
    ("python3.11", "2027-06-30", None),
    ("python3.12", "2028-10-31", None),
    ("python3.13", "2029-06-30", None),
    ("python3.14", "2029-06-30", None),
    ("provided.al2023", "2029-06-30", None),
];

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, r) in ctx.resources("AWS::Lambda::Function") {
        let Some(runtime) = r.pointer("/Properties/Runtime").and_then(Value::as_str) else {
            continue;
        };
        let row = LIFECYCLE.iter().find(|(name, _, _)| *name == runtime);
        let (severity, message) = match row {
            None => (
                Severity::Error,
                format!("function {id} uses runtime `{runtime}`, which is not in the dated table"),
            ),
            Some((_, _, Some(block))) if ctx.today.as_str() >= *block => (
                Severity::Error,
                format!(
                    "Lambda blocks creating functions on `{runtime}` since {block} (function {id})"
                ),
            ),
            Some((_, deprecated, _)) if ctx.today.as_str() >= *deprecated => (
                Severity::Warning,
                format!("runtime `{runtime}` of function {id} is deprecated since {deprecated}"),
            ),
            Some(_) => continue,
        };
        let mut f = Finding::new(
            "/attach/runtime",
            message,
            "use a supported runtime: nodejs22.x, nodejs24.x, python3.13 or python3.14",
        );
        f.severity = Some(severity);
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, compiled};
    use super::*;

    fn on(spec: &str, today: &str) -> Vec<Finding> {
        let c = compiled(spec);
        let ctx = Context {
            roles: Vec::new(),
            compiled: &c,
            today: today.to_owned(),
            statements: std::cell::OnceCell::new(),
        };
        check(&ctx)
    }

    #[test]
    fn warns_when_deprecated_and_errs_when_blocked() {
        let f = on(SPEC, "2027-05-01");
        // The attach function and the detach function share the runtime.
        assert_eq!(f.len(), 2);
        assert!(f[1].message.contains("DetachFunction"), "{}", f[1].message);
        assert_eq!(f[0].severity, Some(Severity::Warning));
        assert_eq!(
            f[0].message,
            "runtime `nodejs22.x` of function AppAttachFunction is deprecated since 2027-04-30"
        );
        let f = on(SPEC, "2027-06-01");
        assert_eq!(f[0].severity, Some(Severity::Error));
    }

    #[test]
    fn passes_on_supported_runtimes() {
        assert!(on(SPEC, "2026-11-26").is_empty());
        assert!(
            on(
                &format!("{SPEC}attach: {{ runtime: python3.14 }}\n"),
                "2029-06-29"
            )
            .is_empty()
        );
    }

    #[test]
    fn the_schema_admits_only_runtimes_of_the_table() {
        let schema = crate::spec::schema_json();
        let allowed = schema
            .pointer("/$defs/attach/properties/runtime/enum")
            .and_then(Value::as_array)
            .unwrap();
        for r in allowed {
            assert!(
                LIFECYCLE.iter().any(|(n, _, _)| Some(*n) == r.as_str()),
                "{r} missing from the table"
            );
        }
    }
}
