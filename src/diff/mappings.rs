//! The role-mapping half of a stack's permission diff: per pool, which tokens now get which role
//! (`policy::mapping`, read back from both templates), in words, each judged broadening when the
//! tokens now get a role with access the old one lacked (its IAM role policy, which bounds what a
//! signed-in identity may do: README "Roles for every kind of signed-in user"). A pool with one
//! signed-in role counts as a mapping with no rules whose default is that role.
//! Must not: compare grants or resources (that is `grants` and `resources`), read files or print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Kind, MappingChange};
use crate::policy::doc::{Effect, Identities, RoleView, role_views};
use crate::policy::mapping::{PoolMapping, Rule, pool_mappings};

/// Every pool's mapping; single-role pools as a default without rules.
fn mappings(template: &Value) -> (BTreeMap<String, PoolMapping>, Vec<RoleView>) {
    let views = role_views(template);
    let mut out: BTreeMap<String, PoolMapping> = pool_mappings(template, &views)
        .into_iter()
        .map(|m| (m.pool.clone(), m))
        .collect();
    for v in views
        .iter()
        .filter(|v| v.identities == Identities::Authenticated)
    {
        out.entry(v.pool.clone()).or_insert_with(|| PoolMapping {
            pool: v.pool.clone(),
            rules: Vec::new(),
            default: Some(v.role.clone()),
        });
    }
    (out, views)
}

/// What role `role` of `pool` may do: its IAM Allow atoms (none for no credentials).
fn access(views: &[RoleView], pool: &str, role: Option<&str>) -> BTreeSet<(String, String)> {
    let Some(role) = role else {
        return BTreeSet::new();
    };
    views
        .iter()
        .filter(|v| v.pool == pool && v.role == role && v.identities == Identities::Authenticated)
        .flat_map(|v| &v.iam)
        .filter(|s| s.effect == Effect::Allow)
        .flat_map(|s| {
            s.actions.iter().flat_map(move |a| {
                s.resources
                    .iter()
                    .map(move |r| (a.to_ascii_lowercase(), r.clone()))
            })
        })
        .collect()
}

/// `role owner`, or `no credentials`.
fn outcome(role: Option<&str>) -> String {
    role.map_or_else(|| "no credentials".to_owned(), |r| format!("role {r}"))
}

/// A rule's tokens as a key: (claim, match type, value).
fn key(r: &Rule) -> (String, String, String) {
    (
        r.claim.clone(),
        r.match_type.cognito().to_owned(),
        r.value.clone(),
    )
}

pub(super) fn changes(old: &Value, new: &Value) -> Vec<MappingChange> {
    let (old_maps, old_views) = mappings(old);
    let (new_maps, new_views) = mappings(new);
    let mut out = Vec::new();
    for (pool, n) in &new_maps {
        let Some(o) = old_maps.get(pool) else {
            continue; // a new pool: its roles are in the grant diff
        };
        let judge =
            |tokens: String, was: Option<&str>, now: Option<&str>, out: &mut Vec<MappingChange>| {
                if was == now {
                    return;
                }
                let before = access(&old_views, pool, was);
                let after = access(&new_views, pool, now);
                let kind = if !after.is_subset(&before) {
                    Some(Kind::Broadening)
                } else if after != before {
                    Some(Kind::Narrowing)
                } else {
                    None
                };
                out.push(MappingChange {
                    pool: pool.clone(),
                    words: format!("{tokens} now get {} (was {})", outcome(now), outcome(was)),
                    was: was.map(str::to_owned),
                    now: now.map(str::to_owned),
                    kind,
                });
            };
        // Each rule's tokens: the role of the first rule with that test on each side, or the
        // side's default where it has none.
        let mut seen = BTreeSet::new();
        for r in o.rules.iter().chain(&n.rules) {
            let k = key(r);
            if !seen.insert(k.clone()) {
                continue;
            }
            let role_in = |m: &PoolMapping| {
                m.rules
                    .iter()
                    .find(|x| key(x) == k)
                    .map_or_else(|| m.default.clone(), |x| Some(x.role.clone()))
            };
            judge(
                format!("tokens whose {}", r.words()),
                role_in(o).as_deref(),
                role_in(n).as_deref(),
                &mut out,
            );
        }
        judge(
            "tokens no rule matches".to_owned(),
            o.default.as_deref(),
            n.default.as_deref(),
            &mut out,
        );
        let order = |m: &PoolMapping| -> Vec<(String, String, String)> {
            m.rules
                .iter()
                .map(key)
                .filter(|k| o.rules.iter().chain(&n.rules).any(|r| key(r) == *k))
                .collect()
        };
        let common: Vec<_> = order(o)
            .into_iter()
            .filter(|k| n.rules.iter().any(|r| key(r) == *k))
            .collect();
        let common_new: Vec<_> = order(n)
            .into_iter()
            .filter(|k| o.rules.iter().any(|r| key(r) == *k))
            .collect();
        if common != common_new {
            out.push(MappingChange {
                pool: pool.clone(),
                words: "the order of the mapping rules changed: a token several rules match may now get another role".to_owned(),
                was: None,
                now: None,
                // Not judged: whether a token matches two rules depends on its claims.
                kind: Some(Kind::Broadening),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compile::compile;

    fn template(spec: &str) -> Value {
        let (c, d) = compile("t.yaml", spec.as_bytes());
        c.unwrap_or_else(|| panic!("{d:?}")).json
    }

    const BASE: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\n  all:\n    subscribe: [\"d/#\"]\nroles:\n  owner: { scopes: [own] }\n  admin: { scopes: [own, all] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated:\n      rules:\n        - { claim: \"cognito:groups\", equals: installers, role: owner }\n      default: owner\n";

    #[test]
    fn a_group_moving_to_a_role_with_more_access_is_broadening() {
        let old = template(BASE);
        let new = template(&BASE.replace(
            "equals: installers, role: owner",
            "equals: installers, role: admin",
        ));
        let c = changes(&old, &new);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            c[0].words,
            "tokens whose `cognito:groups` equals `installers` now get role admin (was role owner)"
        );
        assert_eq!(c[0].kind, Some(Kind::Broadening));
        // And back: narrowing.
        let back = changes(&new, &old);
        assert_eq!(back[0].kind, Some(Kind::Narrowing));
    }

    #[test]
    fn denying_unmatched_tokens_narrows_and_new_rules_are_named() {
        let old = template(BASE);
        let deny = template(&BASE.replace("      default: owner\n", "      unmatched: deny\n"));
        let c = changes(&old, &deny);
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(
            c[0].words,
            "tokens no rule matches now get no credentials (was role owner)"
        );
        assert_eq!(c[0].kind, Some(Kind::Narrowing));
        let more = template(&BASE.replace(
            "      default: owner\n",
            "        - { claim: \"cognito:groups\", equals: admins, role: admin }\n      default: owner\n",
        ));
        let c = changes(&old, &more);
        assert_eq!(
            c.iter().map(|c| c.words.as_str()).collect::<Vec<_>>(),
            ["tokens whose `cognito:groups` equals `admins` now get role admin (was role owner)"]
        );
        assert_eq!(c[0].kind, Some(Kind::Broadening));
        assert!(changes(&old, &old).is_empty());
    }
}
