//! `synth rules [ID]`: every security rule, one line each (id, severity, what it checks), or one
//! rule explained: what it checks, why (its rationale), its anchors in
//! `docs/security-rules.md` with the titles of the mechanisms they name, and how to waive it.
//! An unknown id is unusable input with a "did you mean".
//! Must not: hold rule text of its own (`rules::RULES` and the catalogue do).

use std::fmt::Write as _;
use std::io::Write;

use crate::catalogue;
use crate::cli::RulesArgs;
use crate::diag::Severity;
use crate::error::{Error, Exit};
use crate::rules::{RULES, Rule};
use crate::spec::schema_suggest;

/// Runs `synth rules`: the list or the explanation on stdout.
pub fn run(args: &RulesArgs, stdout: &mut dyn Write) -> Result<Exit, Error> {
    let text = match &args.id {
        None => list(),
        Some(id) => explain(find(id)?),
    };
    super::print(stdout, &text, "the rules")?;
    Ok(Exit::Ok)
}

fn severity(rule: &Rule) -> &'static str {
    catalogue::entry(rule.id).map_or(
        match rule.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        },
        |e| e.severity,
    )
}

fn list() -> String {
    let width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    let mut out = String::new();
    for rule in RULES {
        let _ = writeln!(
            out,
            "{:width$}  {:15}  {}",
            rule.id,
            severity(rule),
            rule.summary
        );
    }
    let _ = writeln!(
        out,
        "\n{} rules. Errors stop synth (exit 1); warnings print. `synth rules <ID>` explains one; \
         a spec accepts a finding on purpose with `waivers: [{{ rule: <ID>, reason: <why> }}]`.",
        RULES.len()
    );
    out
}

fn find(id: &str) -> Result<&'static Rule, Error> {
    if let Some(rule) = RULES.iter().find(|r| r.id.eq_ignore_ascii_case(id.trim())) {
        return Ok(rule);
    }
    let ids: Vec<String> = RULES.iter().map(|r| r.id.to_owned()).collect();
    let help = match schema_suggest(id, &ids) {
        Some(near) => format!("did you mean `{near}`? `synth rules` lists every rule"),
        None => "`synth rules` lists every rule".to_owned(),
    };
    Err(Error::Usage {
        command: "rules",
        message: format!("unknown rule `{}`", crate::text::escape(id)),
        help: Some(help),
    })
}

fn explain(rule: &Rule) -> String {
    let mut out = format!("{}: {}\n", rule.id, rule.summary);
    let _ = writeln!(out, "  severity: {}", severity(rule));
    let entry = catalogue::entry(rule.id);
    if let Some(e) = &entry {
        let _ = writeln!(out, "  checks:   {}", e.checks);
    }
    let _ = writeln!(out, "  why:      {}", rule.rationale);
    if let Some(e) = &entry {
        let _ = writeln!(out, "  anchors:  {} (docs/security-rules.md §9)", e.anchors);
        for (m, title) in catalogue::mechanisms(e.anchors) {
            let _ = writeln!(out, "            {m}: {title} (docs/security-rules.md {m})");
        }
    }
    let _ = writeln!(
        out,
        "  waive it: in the spec, once reviewed:\n              waivers:\n                - rule: {}\n                  reason: <why it is acceptable here>",
        rule.id
    );
    out
}
