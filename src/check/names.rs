//! Derived names are unique and fit AWS's patterns: logical ids, user pool ids and client ids.

use std::collections::BTreeMap;

use crate::cfn::ids::{
    DETACH_FUNCTION, DETACH_FUNCTION_LOGS, DETACH_FUNCTION_ROLE, PoolIds, pascal,
};
use crate::diag::Diagnostic;
use crate::spec::{Loaded, UserPool, ValueSource, user_pool_region};

use super::{at, at_key};

/// User pool ids are `<region>_<id>` (docs/aws-facts.md §1.9: `us-east-2_zgaEXAMPLE`); app client ids are
/// `[\w+]+` up to 128 characters (Cognito API).
fn is_user_pool_id(s: &str) -> bool {
    s.split_once('_').is_some_and(|(region, id)| {
        user_pool_region(s).is_some()
            && !region.is_empty()
            && !id.is_empty()
            && id.chars().all(|c| c.is_ascii_alphanumeric())
    })
}

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    logical_ids(l, out);
    for (pool_name, pool) in &l.spec.identity_pools {
        user_pools(l, pool_name, &pool.user_pools, out);
    }
}

/// Logical ids derived from different names must differ (`app-1` and `app1` both give `App1`).
fn logical_ids(l: &Loaded, out: &mut Vec<Diagnostic>) {
    let spec = &l.spec;
    // Logical id → who claimed it first.
    let mut ids: BTreeMap<String, String> = BTreeMap::new();
    let mut claims: Vec<(String, Vec<String>, [&str; 2])> = Vec::new();
    for id in [DETACH_FUNCTION, DETACH_FUNCTION_ROLE, DETACH_FUNCTION_LOGS] {
        claims.push((
            "the stack's detach function".to_owned(),
            vec![id.to_owned()],
            ["attach", "detach_on_delete"],
        ));
    }
    for name in spec.parameters.keys() {
        claims.push((
            format!("parameter `{name}`"),
            vec![name.clone()],
            ["parameters", name],
        ));
    }
    for (name, pool) in &spec.identity_pools {
        let ids = PoolIds::new(name);
        claims.push((
            format!("identity pool `{name}`"),
            ids.all().map(str::to_owned).to_vec(),
            ["identity_pools", name],
        ));
        // A mapping's other roles: `FleetInstallerAuthenticatedRole`.
        let default = pool.default_role();
        for role in pool
            .signed_in_roles()
            .into_iter()
            .filter(|r| Some(*r) != default)
        {
            claims.push((
                format!("role `{role}` of identity pool `{name}`"),
                vec![ids.signed_in_role(role, false)],
                ["roles", role],
            ));
        }
    }
    for name in spec.topic_scopes.keys() {
        // Scopes give no resources yet, but their names will appear in ids and reports.
        claims.push((
            format!("topic scope `{name}`"),
            vec![format!("Scope{}", pascal(name))],
            ["topic_scopes", name],
        ));
    }
    for (what, claimed, tokens) in claims {
        // One report per name is enough; an identity pool claims fourteen ids or more.
        if let Some((id, first)) = claimed.iter().find_map(|id| ids.get(id).map(|f| (id, f))) {
            out.push(
                Diagnostic::input(
                    "spec-duplicate",
                    &l.file,
                    at_key(l, &tokens),
                    format!("{what} gives the logical id `{id}`, which {first} already has"),
                )
                .with_help("rename one of them: logical ids are names without `-`, capitalised"),
            );
            continue;
        }
        for id in claimed {
            ids.insert(id, what.clone());
        }
    }
}

fn is_client_id(s: &str) -> bool {
    s.len() <= 128
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '+')
}

fn user_pools(l: &Loaded, pool: &str, user_pools: &[UserPool], out: &mut Vec<Diagnostic>) {
    let mut seen = BTreeMap::new();
    for (i, up) in user_pools.iter().enumerate() {
        let idx = i.to_string();
        let at_field = |field: &str| at(l, &["identity_pools", pool, "user_pools", &idx, field]);
        if let ValueSource::Literal(id) = &up.user_pool_id
            && !is_user_pool_id(id)
        {
            out.push(
                Diagnostic::input(
                    "spec-value",
                    &l.file,
                    at_field("user_pool_id"),
                    format!("`{id}` is not a Cognito user pool id"),
                )
                .with_help(
                    "user pool ids look like `us-east-1_AbCdEf123`; or use `{ param: UserPoolId }`",
                ),
            );
        }
        if let ValueSource::Literal(id) = &up.client_id
            && !is_client_id(id)
        {
            out.push(
                Diagnostic::input("spec-value", &l.file, at_field("client_id"), format!("`{id}` is not a Cognito app client id"))
                    .with_help("app client ids are letters, digits, `_` and `+`, at most 128; or use `{ param: ... }`"),
            );
        }
        if let Some(first) = seen.insert((&up.user_pool_id, &up.client_id), i) {
            let pos = at(l, &["identity_pools", pool, "user_pools", &idx]);
            out.push(
                Diagnostic::input(
                    "spec-duplicate",
                    &l.file,
                    pos,
                    "this user pool and client are listed twice",
                )
                .with_help(format!("remove this copy (the first is item {first})")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_pool_ids_carry_their_region() {
        assert_eq!(user_pool_region("eu-west-1_AbC12"), Some("eu-west-1"));
        assert_eq!(user_pool_region("us-gov-west-1_x"), Some("us-gov-west-1"));
        assert!(is_user_pool_id("us-east-1_AbC12"));
        assert!(!is_user_pool_id("us-east-1AbC12"));
        assert!(!is_user_pool_id("pool_AbC"));
        assert!(!is_user_pool_id("us-east-1_"));
    }
}
