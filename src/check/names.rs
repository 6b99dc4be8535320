//! Derived names are unique and fit AWS's patterns: logical ids, user pool ids and client ids.

use std::collections::BTreeMap;

use crate::cfn::ids::{PoolIds, pascal};
use crate::diag::Diagnostic;
use crate::spec::{Invoke, Loaded, ValueSource};

use super::{at, at_key};

/// User pool ids are `<region>_<id>` (CFN-UP: `us-east-2_zgaEXAMPLE`); app client ids are
/// `[\w+]+` up to 128 characters (Cognito API).
fn is_user_pool_id(s: &str) -> bool {
    s.split_once('_').is_some_and(|(region, id)| {
        region_of(s).is_some()
            && !region.is_empty()
            && !id.is_empty()
            && id.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

/// The region a literal user pool id names, e.g. `eu-west-1` for `eu-west-1_AbC`.
pub(crate) fn region_of(user_pool_id: &str) -> Option<&str> {
    let (region, _) = user_pool_id.split_once('_')?;
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    ok.then_some(region)
}

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    let file = l.file.as_str();
    // Logical id → the spec key that produced it.
    let mut ids: BTreeMap<String, (String, Vec<String>)> = BTreeMap::new();
    let mut claim = |id: String, what: String, tokens: Vec<String>, out: &mut Vec<Diagnostic>| {
        if let Some((first, _)) = ids.get(&id) {
            let refs: Vec<&str> = tokens.iter().map(String::as_str).collect();
            out.push(
                Diagnostic::input(
                    "spec-duplicate",
                    file,
                    at_key(l, &refs),
                    format!("{what} gives the logical id `{id}`, which {first} already has"),
                )
                .with_help("rename one of them: logical ids are derived from names without `-`"),
            );
        } else {
            ids.insert(id, (what, tokens));
        }
    };
    for name in spec.parameters.keys() {
        claim(
            name.clone(),
            format!("parameter `{name}`"),
            vec!["parameters".into(), name.clone()],
            out,
        );
    }
    for name in spec.identity_pools.keys() {
        for id in PoolIds::new(name).all() {
            claim(
                id.to_owned(),
                format!("identity pool `{name}`"),
                vec!["identity_pools".into(), name.clone()],
                out,
            );
        }
    }
    let mut scope_ids: BTreeMap<String, &str> = BTreeMap::new();
    for name in spec.topic_scopes.keys() {
        if let Some(first) = scope_ids.insert(pascal(name), name) {
            out.push(
                Diagnostic::input(
                    "spec-duplicate",
                    file,
                    at_key(l, &["topic_scopes", name]),
                    format!("topic scope `{name}` reads the same as `{first}` once `-` is dropped"),
                )
                .with_help("rename one of them"),
            );
        }
    }

    for (pool_name, pool) in &spec.identity_pools {
        let mut seen = BTreeMap::new();
        for (i, up) in pool.user_pools.iter().enumerate() {
            let idx = i.to_string();
            if let ValueSource::Literal(id) = &up.user_pool_id
                && !is_user_pool_id(id)
            {
                out.push(
                    Diagnostic::input(
                        "spec-value",
                        file,
                        at(l, &["identity_pools", pool_name, "user_pools", &idx, "user_pool_id"]),
                        format!("`{id}` is not a Cognito user pool id"),
                    )
                    .with_help("user pool ids look like `us-east-1_AbCdEf123`; or use `{ param: UserPoolId }`"),
                );
            }
            if let ValueSource::Literal(id) = &up.client_id
                && !(id.len() <= 128
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+'))
            {
                out.push(
                    Diagnostic::input(
                        "spec-value",
                        file,
                        at(l, &["identity_pools", pool_name, "user_pools", &idx, "client_id"]),
                        format!("`{id}` is not a Cognito app client id"),
                    )
                    .with_help("app client ids are letters, digits, `_` and `+`, at most 128; or use `{ param: ... }`"),
                );
            }
            if let Some(first) = seen.insert((&up.user_pool_id, &up.client_id), i) {
                out.push(
                    Diagnostic::input(
                        "spec-duplicate",
                        file,
                        at(l, &["identity_pools", pool_name, "user_pools", &idx]),
                        "this user pool and client are listed twice",
                    )
                    .with_help(format!("remove this copy (the first is item {first})")),
                );
            }
        }
    }

    if spec.attach.invoke == Invoke::ApiGateway {
        out.push(
            Diagnostic::input("spec-unsupported", file, at(l, &["attach", "invoke"]), "`invoke: api-gateway` is not supported yet")
                .with_help("use `invoke: direct` (the app calls Lambda Invoke with its identity-pool credentials)"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_pool_ids_carry_their_region() {
        assert_eq!(region_of("eu-west-1_AbC12"), Some("eu-west-1"));
        assert_eq!(region_of("us-gov-west-1_x"), Some("us-gov-west-1"));
        assert!(is_user_pool_id("us-east-1_AbC12"));
        assert!(!is_user_pool_id("us-east-1AbC12"));
        assert!(!is_user_pool_id("pool_AbC"));
        assert!(!is_user_pool_id("us-east-1_"));
    }
}
