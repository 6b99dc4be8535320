//! One spec through the whole pipeline, in memory: load (parse + schema) → meaning checks →
//! build → AWS limits → security rules → expectations. Shared by `synth`, `synth --check` and `simulate`.
//! Must not: touch the filesystem.

use crate::cfn::build::build;
use crate::diag::{self, Diagnostic};
use crate::spec;
use crate::{check, expect, limits, rules};

// What `compile` returns is defined with its readers' dependencies in mind (see `compiled`).
pub use crate::compiled::Compiled;

/// Compiles one spec. Returns the template when the spec is usable (no input errors), together
/// with every diagnostic: input errors, rule findings, failed expectations.
pub fn compile(file: &str, bytes: &[u8]) -> (Option<Compiled>, Vec<Diagnostic>) {
    let loaded = match spec::load(file, bytes) {
        Ok(l) => l,
        Err(diags) => return (None, diags),
    };
    let mut diags = check::run(&loaded);
    if diag::has_errors(&diags) {
        return (None, diags);
    }
    let template = build(&loaded.spec, &loaded.file);
    let node = template.to_node();
    let json = serde_json::to_value(&node).expect("a template always serializes");
    let compiled = Compiled {
        loaded,
        template,
        node,
        json,
    };
    diags.extend(limits::check(&compiled));
    diags.extend(rules::run(&compiled));
    diags.extend(expect::run(&compiled));
    (Some(compiled), diags)
}
