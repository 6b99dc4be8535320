//! One spec through the whole pipeline, in memory: load (parse + schema) → meaning checks →
//! build → AWS limits → security rules → expectations ([`compile`]); then the text of every
//! file it gives, named as `layout` says ([`emit_files`]). Shared by `synth`, `synth --check`,
//! `simulate` and the fuzz bodies.
//! Must not: touch the filesystem.

use crate::cfn::build::build;
use crate::cfn::emit::{Format, emit, emit_node};
use crate::cfn::stackset;
use crate::diag::{self, Diagnostic};
use crate::spec;
use crate::{check, expect, layout, limits, rules};

// What `compile` returns is defined with its readers' dependencies in mind (see `compiled`).
pub use crate::compiled::Compiled;

/// Compiles one spec. Returns the template when the spec is usable (no input errors), together
/// with every diagnostic: input errors, rule findings, failed expectations.
pub fn compile(file: &str, bytes: &[u8]) -> (Option<Compiled>, Vec<Diagnostic>) {
    let (compiled, mut diags) = compile_files_only(file, bytes);
    if let Some(c) = &compiled {
        diags.extend(limits::check(c));
        diags.extend(rules::run(c));
        diags.extend(expect::run(c));
    }
    (compiled, diags)
}

/// [`compile`] without the findings (AWS limits, security rules, expectations), which never
/// change a file: the template when the spec is usable, and the input diagnostics. For asking
/// whether out/ is current (`generate`), at about two thirds of the cost.
pub fn compile_files_only(file: &str, bytes: &[u8]) -> (Option<Compiled>, Vec<Diagnostic>) {
    let loaded = match spec::load(file, bytes) {
        Ok(l) => l,
        Err(diags) => return (None, diags),
    };
    let diags = check::run(&loaded);
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
    (Some(compiled), diags)
}

/// The files one compiled spec gives, in order: (file name in the output directory, text).
/// The template comes first; with it, the diagnostics about its size.
pub fn emit_files(c: &Compiled, format: Format) -> (Vec<(String, String)>, Vec<Diagnostic>) {
    let stack = &c.loaded.spec.stack;
    let source = &c.loaded.file;
    let text = emit_node(&c.node, source, format);
    let diags = limits::check_text(c, &text);
    let mut files = vec![(layout::template_name(stack, format), text)];
    for (env_name, env) in &c.loaded.spec.environments {
        files.push((
            layout::parameters_name(stack, env_name),
            stackset::parameter_file(env),
        ));
    }
    if let Some(set) = stackset::build(&c.loaded.spec) {
        files.push((
            layout::stackset_name(stack, format),
            emit(&set, source, format),
        ));
    }
    (files, diags)
}
