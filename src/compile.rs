//! One spec through the whole pipeline, in memory: load (parse + schema) → meaning checks →
//! build → AWS limits → security rules → expectations. Shared by `synth`, `synth --check` and `simulate`.
//! Must not: touch the filesystem.

use serde_json::Value;

use crate::cfn::build::build;
use crate::cfn::model::{Node, Template};
use crate::diag::{self, Diagnostic};
use crate::spec::{self, Loaded};
use crate::{check, expect, limits, rules};

/// A spec that could be built, with its template.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The spec and its positions.
    pub loaded: Loaded,
    /// The template model.
    pub template: Template,
    /// The same as one tree, in emission order (what `cfn::emit::emit_node` renders).
    pub node: Node,
    /// The same template as JSON, for rules and evaluation.
    pub json: Value,
}

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
