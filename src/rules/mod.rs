//! Security rules: checks on the spec and on the template synth built from it. One file per
//! rule; each has a stable id, a severity, a rationale naming its anchor
//! (shared/reference/security-rules.md §9 and the tools it cites), and tests that fire and
//! that do not. Errors block synth (exit 1); warnings print. A spec may waive a rule with a
//! reason (`waivers:`); the reason then also goes into the template's suppression metadata.
//! Must not: change the template (rules judge; `cfn::build` decides).

use serde_json::Value;

use crate::compile::Compiled;
use crate::diag::{Class, Diagnostic, Pos, Severity};
use crate::policy::doc::{RoleView, role_views};
use crate::spec::schema_suggest;

/// A rule.
pub struct Rule {
    /// Stable id, e.g. `CIP-POOL-002`.
    pub id: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// One line: what it checks.
    pub summary: &'static str,
    /// Why, and the checks of other tools it mirrors.
    pub rationale: &'static str,
    /// The check.
    pub check: fn(&Context<'_>) -> Vec<Finding>,
}

/// What a rule looks at.
pub struct Context<'a> {
    /// The compiled spec.
    pub compiled: &'a Compiled,
    /// Every pool role, read back from the template.
    pub roles: Vec<RoleView>,
}

impl Context<'_> {
    /// The template as JSON.
    pub fn template(&self) -> &Value {
        &self.compiled.json
    }

    /// Resources of a type, `(logical id, resource)`.
    pub fn resources(&self, kind: &str) -> Vec<(&str, &Value)> {
        self.template()
            .get("Resources")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some(kind))
            .map(|(id, r)| (id.as_str(), r))
            .collect()
    }

    /// Position of a spec pointer.
    pub fn at(&self, pointer: &str) -> Pos {
        self.compiled.loaded.doc.locate(pointer)
    }
}

/// One thing a rule found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Spec pointer of the cause (`/identity_pools/fleet`).
    pub pointer: String,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: String,
}

impl Finding {
    /// A finding at a spec pointer.
    pub fn new(
        pointer: impl Into<String>,
        message: impl Into<String>,
        help: impl Into<String>,
    ) -> Finding {
        Finding {
            pointer: pointer.into(),
            message: message.into(),
            help: help.into(),
        }
    }
}

/// Every rule, in id order.
pub static RULES: &[&Rule] = &[];

/// The rule with this id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| r.id == id)
}

/// Runs every rule on a compiled spec, minus waived ones; unknown waiver ids are input errors.
pub fn run(compiled: &Compiled) -> Vec<Diagnostic> {
    let file = &compiled.loaded.file;
    let spec = &compiled.loaded.spec;
    let mut out = Vec::new();
    let ids: Vec<String> = RULES.iter().map(|r| r.id.to_owned()).collect();
    for (i, w) in spec.waivers.iter().enumerate() {
        if rule(&w.rule).is_none() {
            let pos = compiled.loaded.doc.locate(&format!("/waivers/{i}/rule"));
            let d = Diagnostic::input(
                "spec-waiver",
                file,
                pos,
                format!("unknown rule `{}`", w.rule),
            );
            out.push(match schema_suggest(&w.rule, &ids) {
                Some(s) => d.with_help(format!("did you mean `{s}`?")),
                None => d.with_help("README lists the rules"),
            });
        }
    }
    let ctx = Context {
        compiled,
        roles: role_views(&compiled.json),
    };
    for r in RULES {
        if spec.waivers.iter().any(|w| w.rule == r.id) {
            continue;
        }
        for f in (r.check)(&ctx) {
            out.push(Diagnostic {
                code: r.id,
                severity: r.severity,
                class: Class::Finding,
                file: file.clone(),
                pos: Some(ctx.at(&f.pointer)),
                message: f.message,
                help: Some(f.help),
            });
        }
    }
    out
}
