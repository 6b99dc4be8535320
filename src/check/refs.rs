//! Every name a spec uses is declared, and everything declared is used.

use std::collections::BTreeSet;

use crate::diag::{Diagnostic, Severity};
use crate::spec::{Loaded, SignedIn, ValueSource, schema_suggest};

use super::{at, at_key};

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    for (role_name, role) in &spec.roles {
        for (i, scope) in role.scopes.iter().enumerate() {
            let idx = i.to_string();
            let tokens = ["roles", role_name.as_str(), "scopes", &idx];
            require(
                l,
                "topic scope",
                scope,
                spec.topic_scopes.keys(),
                "topic_scopes",
                &tokens,
                out,
            );
        }
    }
    for (pool_name, pool) in &spec.identity_pools {
        let p = pool_name.as_str();
        match &pool.authenticated {
            SignedIn::Role(role) => {
                let tokens = ["identity_pools", p, "authenticated"];
                require(l, "role", role, spec.roles.keys(), "roles", &tokens, out);
            }
            SignedIn::Mapped(m) => {
                if let Some(role) = &m.default {
                    let tokens = ["identity_pools", p, "authenticated", "default"];
                    require(l, "role", role, spec.roles.keys(), "roles", &tokens, out);
                }
                for (i, rule) in m.rules.iter().enumerate() {
                    let idx = i.to_string();
                    let tokens = ["identity_pools", p, "authenticated", "rules", &idx, "role"];
                    require(
                        l,
                        "role",
                        &rule.role,
                        spec.roles.keys(),
                        "roles",
                        &tokens,
                        out,
                    );
                }
            }
        }
        if let Some(guests) = &pool.unauthenticated {
            let tokens = ["identity_pools", p, "unauthenticated", "role"];
            require(
                l,
                "role",
                &guests.role,
                spec.roles.keys(),
                "roles",
                &tokens,
                out,
            );
        }
        for (i, up) in pool.user_pools.iter().enumerate() {
            let idx = i.to_string();
            for (field, value) in [
                ("user_pool_id", &up.user_pool_id),
                ("client_id", &up.client_id),
            ] {
                if let ValueSource::Param { param } = value {
                    let tokens = ["identity_pools", p, "user_pools", &idx, field, "param"];
                    require(
                        l,
                        "parameter",
                        param,
                        spec.parameters.keys(),
                        "parameters",
                        &tokens,
                        out,
                    );
                }
            }
        }
    }
    unused(l, out);
}

/// Reports `name` at `tokens` unless it is one of `known`.
fn require<'a>(
    l: &Loaded,
    what: &str,
    name: &str,
    known: impl Iterator<Item = &'a String>,
    declare: &str,
    tokens: &[&str],
    out: &mut Vec<Diagnostic>,
) {
    let known: Vec<String> = known.cloned().collect();
    if known.iter().any(|k| k == name) {
        return;
    }
    let d = Diagnostic::input(
        "spec-ref",
        &l.file,
        at(l, tokens),
        format!("unknown {what} `{name}`"),
    );
    out.push(match schema_suggest(name, &known) {
        Some(s) => d.with_help(format!("did you mean `{s}`?")),
        None => d.with_help(format!("declare it under `{declare}:`")),
    });
}

fn unused(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    let used_roles: BTreeSet<&str> = spec
        .identity_pools
        .values()
        .flat_map(|p| {
            p.signed_in_roles()
                .into_iter()
                .chain(p.unauthenticated.as_ref().map(|g| g.role.as_str()))
        })
        .collect();
    let used_scopes: BTreeSet<&str> = spec
        .roles
        .values()
        .flat_map(|r| r.scopes.iter().map(String::as_str))
        .collect();
    let used_params: BTreeSet<&str> = spec
        .identity_pools
        .values()
        .flat_map(|p| p.user_pools.iter())
        .flat_map(|u| [&u.user_pool_id, &u.client_id])
        .filter_map(|v| match v {
            ValueSource::Param { param } => Some(param.as_str()),
            _ => None,
        })
        .collect();

    let warn = |what: &str, section: &str, name: &str| {
        let mut d = Diagnostic::input(
            "spec-unused",
            &l.file,
            at_key(l, &[section, name]),
            format!("{what} `{name}` is never used"),
        );
        d.severity = Severity::Warning;
        d.with_help(format!("use it, or remove it from `{section}:`"))
    };
    for name in spec
        .roles
        .keys()
        .filter(|r| !used_roles.contains(r.as_str()))
    {
        out.push(warn("role", "roles", name));
    }
    for name in spec
        .topic_scopes
        .keys()
        .filter(|s| !used_scopes.contains(s.as_str()))
    {
        out.push(warn("topic scope", "topic_scopes", name));
    }
    for name in spec
        .parameters
        .keys()
        .filter(|p| !used_params.contains(p.as_str()))
    {
        // An error, not a warning: cfn-lint (W2001) flags an unused parameter in the template,
        // and a deploy would still ask for its value.
        out.push(
            Diagnostic::input(
                "spec-unused",
                &l.file,
                at_key(l, &["parameters", name]),
                format!("parameter `{name}` is never used"),
            )
            .with_help("use it as `{ param: Name }`, or remove it"),
        );
    }
}
