//! Every name a spec uses is declared, and everything declared is used.

use crate::diag::{Diagnostic, Severity};
use crate::spec::schema_suggest;
use crate::spec::{Loaded, ValueSource};

use super::{at, at_key};

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    let file = l.file.as_str();
    let scopes: Vec<String> = spec.topic_scopes.keys().cloned().collect();
    let roles: Vec<String> = spec.roles.keys().cloned().collect();
    let params: Vec<String> = spec.parameters.keys().cloned().collect();

    let unknown = |what: &str, name: &str, known: &[String], declare: &str, pos| {
        let d = Diagnostic::input("spec-ref", file, pos, format!("unknown {what} `{name}`"));
        match schema_suggest(name, known) {
            Some(s) => d.with_help(format!("did you mean `{s}`?")),
            None => d.with_help(format!("declare it under `{declare}:`")),
        }
    };

    for (role_name, role) in &spec.roles {
        for (i, scope) in role.scopes.iter().enumerate() {
            if !spec.topic_scopes.contains_key(scope) {
                let idx = i.to_string();
                out.push(unknown(
                    "topic scope",
                    scope,
                    &scopes,
                    "topic_scopes",
                    at(l, &["roles", role_name, "scopes", &idx]),
                ));
            }
        }
    }

    let mut used_roles = std::collections::BTreeSet::new();
    let mut used_params = std::collections::BTreeSet::new();
    for (pool_name, pool) in &spec.identity_pools {
        used_roles.insert(pool.authenticated.as_str());
        if !spec.roles.contains_key(&pool.authenticated) {
            out.push(unknown(
                "role",
                &pool.authenticated,
                &roles,
                "roles",
                at(l, &["identity_pools", pool_name, "authenticated"]),
            ));
        }
        if let Some(guests) = &pool.unauthenticated {
            used_roles.insert(guests.role.as_str());
            if !spec.roles.contains_key(&guests.role) {
                out.push(unknown(
                    "role",
                    &guests.role,
                    &roles,
                    "roles",
                    at(l, &["identity_pools", pool_name, "unauthenticated", "role"]),
                ));
            }
        }
        for (i, up) in pool.user_pools.iter().enumerate() {
            let idx = i.to_string();
            for (field, value) in [
                ("user_pool_id", &up.user_pool_id),
                ("client_id", &up.client_id),
            ] {
                if let ValueSource::Param { param } = value {
                    used_params.insert(param.as_str());
                    if !spec.parameters.contains_key(param) {
                        out.push(unknown(
                            "parameter",
                            param,
                            &params,
                            "parameters",
                            at(
                                l,
                                &[
                                    "identity_pools",
                                    pool_name,
                                    "user_pools",
                                    &idx,
                                    field,
                                    "param",
                                ],
                            ),
                        ));
                    }
                }
            }
        }
    }

    let warn_unused = |what: &str, section: &str, name: &str| {
        let mut d = Diagnostic::input(
            "spec-unused",
            file,
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
        out.push(warn_unused("role", "roles", name));
    }
    let used_scopes: std::collections::BTreeSet<&str> = spec
        .roles
        .values()
        .flat_map(|r| r.scopes.iter().map(String::as_str))
        .collect();
    for name in spec
        .topic_scopes
        .keys()
        .filter(|s| !used_scopes.contains(s.as_str()))
    {
        out.push(warn_unused("topic scope", "topic_scopes", name));
    }
    for name in spec
        .parameters
        .keys()
        .filter(|p| !used_params.contains(p.as_str()))
    {
        // An unused parameter is an error, not a warning: cfn-lint (W2001) flags it in the
        // template, and a deploy would still ask for its value.
        out.push(
            Diagnostic::input(
                "spec-unused",
                file,
                at_key(l, &["parameters", name]),
                format!("parameter `{name}` is never used"),
            )
            .with_help("use it as `{ param: Name }`, or remove it"),
        );
    }
}
