//! CIP-LAMBDA-001: the attach function's runtime must be supported by AWS Lambda. Error once
//! Lambda blocks creating functions on it; warning once it is deprecated. The table is dated and
//! sourced: each row was settled on 2026-12-01 from the Lambda runtimes page
//! (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html) and checked against
//! cfn-lint's `LmbdRuntimeLifecycle.json`; docs/aws-facts.md §1.6 records the dates, their
//! sources and where sources disagree (python3.10, python3.11). Every runtime of
//! `spec::Runtime` has a row, and only those: a test holds the enum, the schema and the table
//! together. Anchors: cfn-lint W2531/E2531/E2533, CKV_AWS_363, AwsSolutions-L1
//! (docs/security-rules.md §4).

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

/// One runtime's dates (`YYYY-MM-DD`), as AWS Lambda publishes them.
pub(super) struct Lifecycle {
    /// The runtime identifier.
    pub(super) runtime: &'static str,
    /// Lambda stops patching the runtime.
    pub(super) deprecated: &'static str,
    /// Lambda refuses to create functions on it.
    pub(super) block_create: &'static str,
    /// Lambda refuses to update functions on it.
    pub(super) block_update: &'static str,
}

const fn row(
    runtime: &'static str,
    deprecated: &'static str,
    block_create: &'static str,
    block_update: &'static str,
) -> Lifecycle {
    Lifecycle {
        runtime,
        deprecated,
        block_create,
        block_update,
    }
}

/// The runtimes synth offers and their dates, settled 2026-12-01 (docs/aws-facts.md §1.6).
pub(super) const LIFECYCLE: [Lifecycle; 6] = [
    row("nodejs24.x", "2028-04-30", "2028-06-01", "2028-07-01"),
    row("nodejs22.x", "2027-04-30", "2027-06-01", "2027-07-01"),
    row("python3.14", "2029-06-30", "2029-07-31", "2029-08-31"),
    row("python3.13", "2029-06-30", "2029-07-31", "2029-08-31"),
    row("python3.12", "2028-10-31", "2028-11-30", "2029-01-10"),
    row("python3.11", "2027-06-30", "2027-07-31", "2027-08-31"),
];

/// The hint: the runtimes Lambda has not deprecated by `today`.
fn supported(today: &str) -> String {
    let names: Vec<&str> = LIFECYCLE
        .iter()
        .filter(|r| today < r.deprecated)
        .map(|r| r.runtime)
        .collect();
    if names.is_empty() {
        "every runtime in synth's table is deprecated: use a newer synth".to_owned()
    } else {
        format!("use a runtime AWS Lambda supports: {}", names.join(", "))
    }
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let today = ctx.today.as_str();
    let mut out = Vec::new();
    for (id, r) in ctx.resources("AWS::Lambda::Function") {
        let Some(runtime) = r.pointer("/Properties/Runtime").and_then(Value::as_str) else {
            continue;
        };
        let row = LIFECYCLE.iter().find(|row| row.runtime == runtime);
        let (severity, message) = match row {
            None => (
                Severity::Error,
                format!("function {id} uses runtime `{runtime}`, which is not in the dated table"),
            ),
            Some(row) if today >= row.block_update => (
                Severity::Error,
                format!(
                    "Lambda blocks creating and updating functions on `{runtime}` since {} (function {id})",
                    row.block_update
                ),
            ),
            Some(row) if today >= row.block_create => (
                Severity::Error,
                format!(
                    "Lambda blocks creating functions on `{runtime}` since {}, and updating them from {} (function {id})",
                    row.block_create, row.block_update
                ),
            ),
            Some(row) if today >= row.deprecated => (
                Severity::Warning,
                format!(
                    "runtime `{runtime}` of function {id} is deprecated since {}; Lambda blocks creating functions on it from {}",
                    row.deprecated, row.block_create
                ),
            ),
            Some(_) => continue,
        };
        let mut f = Finding::new("/attach/runtime", message, supported(today));
        f.severity = Some(severity);
        out.push(f);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, compiled};
    use super::*;
    use crate::spec::Runtime;

    fn on(spec: &str, today: &str) -> Vec<Finding> {
        let c = compiled(spec);
        let ctx = Context::new(&c, today.to_owned());
        check(&ctx)
    }

    #[test]
    fn warns_when_deprecated_and_errs_when_blocked() {
        // The default runtime, nodejs24.x.
        assert!(on(SPEC, "2028-04-29").is_empty());
        let f = on(SPEC, "2028-04-30");
        // The attach function and the detach function share the runtime.
        assert_eq!(f.len(), 2);
        assert!(f[1].message.contains("DetachFunction"), "{}", f[1].message);
        assert_eq!(f[0].severity, Some(Severity::Warning));
        assert_eq!(
            f[0].message,
            "runtime `nodejs24.x` of function AppAttachFunction is deprecated since 2028-04-30; Lambda blocks creating functions on it from 2028-06-01"
        );
        assert_eq!(
            f[0].help,
            "use a runtime AWS Lambda supports: python3.14, python3.13, python3.12"
        );
        let f = on(SPEC, "2028-06-01");
        assert_eq!(f[0].severity, Some(Severity::Error));
        assert!(
            f[0].message.contains("updating them from 2028-07-01"),
            "{}",
            f[0].message
        );
        let f = on(SPEC, "2028-07-01");
        assert_eq!(
            f[0].message,
            "Lambda blocks creating and updating functions on `nodejs24.x` since 2028-07-01 (function AppAttachFunction)"
        );
        let python311 = format!("{SPEC}attach: {{ runtime: python3.11 }}\n");
        assert!(on(&python311, "2027-06-29").is_empty());
        assert_eq!(
            on(&python311, "2027-06-30")[0].severity,
            Some(Severity::Warning)
        );
        assert_eq!(
            on(&python311, "2027-07-31")[0].severity,
            Some(Severity::Error)
        );
    }

    #[test]
    fn passes_on_supported_runtimes_and_names_them() {
        for r in Runtime::ALL {
            let spec = format!("{SPEC}attach: {{ runtime: {} }}\n", r.id());
            assert!(on(&spec, "2026-12-01").is_empty(), "{}", r.id());
        }
        assert!(
            on(
                &format!("{SPEC}attach: {{ runtime: python3.14 }}\n"),
                "2029-06-29"
            )
            .is_empty()
        );
        assert_eq!(
            supported("2026-12-01"),
            "use a runtime AWS Lambda supports: nodejs24.x, nodejs22.x, python3.14, python3.13, python3.12, python3.11"
        );
        assert!(supported("2029-06-30").contains("use a newer synth"));
    }

    /// A runtime synth can emit must have dates, the schema must admit exactly those runtimes,
    /// and each schema name must read as the runtime that writes it; the schema's default is
    /// the spec's. So a runtime added in one place cannot be silently mis-treated.
    #[test]
    fn the_runtime_enum_the_schema_and_the_dated_table_agree() {
        let enum_ids: Vec<&str> = Runtime::ALL.iter().map(|r| r.id()).collect();
        let mut unique = enum_ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), enum_ids.len(), "{enum_ids:?}");

        let mut table: Vec<&str> = LIFECYCLE.iter().map(|r| r.runtime).collect();
        table.sort_unstable();
        assert_eq!(table, unique, "the dated table and spec::Runtime::ALL");

        let schema = crate::spec::schema_json();
        let runtime = schema.pointer("/$defs/attach/properties/runtime").unwrap();
        let mut admitted: Vec<&str> = runtime["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        admitted.sort_unstable();
        assert_eq!(admitted, unique, "the schema's enum and spec::Runtime::ALL");
        for name in admitted {
            let read: Runtime = serde_json::from_value(Value::from(name)).unwrap();
            assert_eq!(read.id(), name);
            assert!(
                Runtime::ALL.contains(&read),
                "{name} is missing from Runtime::ALL"
            );
        }
        assert_eq!(runtime["default"], Runtime::default().id());

        for row in &LIFECYCLE {
            for date in [row.deprecated, row.block_create, row.block_update] {
                assert!(
                    date.len() == 10 && date.as_bytes()[4] == b'-' && date.as_bytes()[7] == b'-',
                    "{}: {date}",
                    row.runtime
                );
            }
            assert!(
                row.deprecated < row.block_create && row.block_create < row.block_update,
                "{}",
                row.runtime
            );
        }
    }

    /// The default is the newest Node.js runtime in the table (docs/aws-facts.md §1.6).
    #[test]
    fn the_default_is_the_newest_nodejs_runtime() {
        let newest = LIFECYCLE
            .iter()
            .filter(|r| r.runtime.starts_with("nodejs"))
            .max_by_key(|r| r.deprecated)
            .unwrap();
        assert_eq!(Runtime::default().id(), newest.runtime);
        assert_eq!(Runtime::default(), Runtime::NodeJs24);
    }
}
