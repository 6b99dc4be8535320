//! Environments: their parameter values name declared parameters and cover those without a
//! default, and their StackSet targets are complete, of one permission model, and distinct.

use std::collections::BTreeMap;

use crate::diag::Diagnostic;
use crate::spec::{Loaded, schema_suggest};

use super::{at, at_key};

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    let declared: Vec<String> = spec.parameters.keys().cloned().collect();
    // (target, region) → the environment that claimed it.
    let mut claimed: BTreeMap<(String, String), String> = BTreeMap::new();
    let mut models: BTreeMap<&str, &str> = BTreeMap::new();
    for (name, env) in &spec.environments {
        for key in env.parameters.keys() {
            if !spec.parameters.contains_key(key) {
                let d = Diagnostic::input(
                    "spec-ref",
                    &l.file,
                    at_key(l, &["environments", name, "parameters", key]),
                    format!("unknown parameter `{key}`"),
                );
                out.push(match schema_suggest(key, &declared) {
                    Some(s) => d.with_help(format!("did you mean `{s}`?")),
                    None => d.with_help("declare it under `parameters:`"),
                });
            }
        }
        for (key, p) in &spec.parameters {
            if p.default.is_none() && !env.parameters.contains_key(key) {
                out.push(
                    Diagnostic::input("spec-value", &l.file, at_key(l, &["environments", name]), format!("environment `{name}` gives no value for parameter `{key}`, which has no default"))
                        .with_help(format!("add `{key}: ...` under `environments.{name}.parameters`, or give the parameter a `default`")),
                );
            }
        }
        if !env.has_targets() {
            continue;
        }
        let targets: Vec<&String> = env
            .accounts
            .iter()
            .chain(&env.organizational_units)
            .collect();
        if env.regions.is_empty() || targets.is_empty() {
            out.push(
                Diagnostic::input("spec-value", &l.file, at_key(l, &["environments", name]), format!("environment `{name}` names StackSet targets only in part"))
                    .with_help("a StackSet environment needs `regions` and either `accounts` or `organizational_units`"),
            );
            continue;
        }
        models.insert(
            name,
            if env.accounts.is_empty() {
                "organizational_units"
            } else {
                "accounts"
            },
        );
        for target in &targets {
            for region in &env.regions {
                if let Some(first) =
                    claimed.insert(((*target).clone(), region.clone()), name.clone())
                {
                    out.push(
                        Diagnostic::input("spec-duplicate", &l.file, at(l, &["environments", name, "regions"]), format!("`{target}` in {region} is already a target of environment `{first}`"))
                            .with_help("a StackSet has one stack per account (or OU) and region"),
                    );
                }
            }
        }
    }
    let kinds: Vec<&&str> = models.values().collect();
    if kinds.windows(2).any(|w| w[0] != w[1]) {
        out.push(
            Diagnostic::input("spec-value", &l.file, at_key(l, &["environments"]), "environments mix `accounts` and `organizational_units`")
                .with_help("one StackSet has one permission model: self-managed (accounts) or service-managed (organizational units)"),
        );
    }
}
