//! CIP-MAP-001: a role-mapping rule on a `custom:` claim gives a role with more access than
//! identities get without it. A user pool's custom attributes are written by whoever the app
//! client lets write them, the user included unless the client's write permissions say
//! otherwise, and AWS warns: "If the claim that you are mapping to a role can be modified by the
//! end user, any end user can assume your role and set the policy accordingly. Only map claims
//! that cannot be directly set by the end user to roles with elevated permissions. In an Amazon
//! Cognito user pool, you can set per-app read and write permissions for each user attribute."
//! (https://docs.aws.amazon.com/cognito/latest/developerguide/role-based-access-control.html,
//! docs/aws-facts.md §2.5). A warning: synth cannot see the user pool's write permissions; waive
//! it once the attribute is read-only for every app client.

use std::collections::BTreeSet;

use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::{Effect, Identities, RoleView};
use crate::policy::mapping::pool_mappings;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-MAP-001",
    severity: Severity::Warning,
    summary: "a role-mapping rule on a `custom:` claim gives a role with more access than the default",
    rationale: "Users may be able to set their own custom attributes: \"Only map claims that cannot be directly set by the end user to roles with elevated permissions\" (Cognito role-based access control).",
    check,
};

/// What a role may do: `(action, resource)` of its Allow statements.
fn access(v: &RoleView) -> BTreeSet<(String, String)> {
    v.iam
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .flat_map(|s| {
            s.actions
                .iter()
                .flat_map(move |a| s.resources.iter().map(move |r| (a.clone(), r.clone())))
        })
        .collect()
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let view = |pool: &str, role: &str| {
        ctx.roles
            .iter()
            .find(|v| v.pool == pool && v.role == role && v.identities == Identities::Authenticated)
    };
    for m in pool_mappings(ctx.template(), &ctx.roles) {
        let baseline = m
            .default
            .as_deref()
            .and_then(|d| view(&m.pool, d))
            .map(access);
        for (i, rule) in m.rules.iter().enumerate() {
            if !rule.claim.starts_with("custom:") {
                continue;
            }
            let Some(role) = view(&m.pool, &rule.role) else {
                continue;
            };
            let more: Vec<(String, String)> = match &baseline {
                Some(base) => access(role).difference(base).cloned().collect(),
                None => access(role).into_iter().collect(),
            };
            let Some((action, resource)) = more.first() else {
                continue;
            };
            let than = match &m.default {
                Some(d) => format!("than the default role `{d}`"),
                None => "than unmatched identities, who are denied".to_owned(),
            };
            out.push(Finding::new(
                format!("{}/authenticated/rules/{i}", ctx.pool_pointer(&m.pool)),
                format!(
                    "mapping rule {} gives role `{}` to tokens whose {}: more access {than} (e.g. `{action}` on `{}`), decided by a custom attribute",
                    i + 1,
                    rule.role,
                    rule.words(),
                    resource.rsplit(':').next().unwrap_or(resource)
                ),
                "AWS: \"Only map claims that cannot be directly set by the end user to roles with elevated permissions\": make the attribute read-only for every app client (user pool client WriteAttributes), or map a claim users cannot set, such as `cognito:groups`; then waive CIP-MAP-001 with that reason",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::findings;
    use super::*;

    const MAPPED: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\n  all:\n    subscribe: [\"d/+/t\"]\nroles:\n  owner: { scopes: [own] }\n  support: { scopes: [all] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated:\n      rules:\n        - { claim: \"custom:tier\", equals: staff, role: support }\n      default: owner\n";

    #[test]
    fn fires_on_a_custom_claim_that_gives_more_access() {
        let f = findings(&RULE, MAPPED, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/identity_pools/app/authenticated/rules/0");
        assert!(
            f[0].message.starts_with("mapping rule 1 gives role `support` to tokens whose `custom:tier` equals `staff`: more access than the default role `owner`"),
            "{}",
            f[0].message
        );
        assert!(
            f[0].help
                .contains("Only map claims that cannot be directly set by the end user")
        );
        // Denying unmatched identities makes any custom-claim role more access.
        let deny = MAPPED.replace("      default: owner\n", "      unmatched: deny\n");
        assert_eq!(findings(&RULE, &deny, |_| {}).len(), 1);
    }

    #[test]
    fn passes_on_groups_and_on_roles_with_no_more_access() {
        let groups = MAPPED.replace("custom:tier", "cognito:groups");
        assert!(findings(&RULE, &groups, |_| {}).is_empty());
        // A custom claim that gives a role with no more than the default: nothing to gain.
        let less = MAPPED.replace("role: support }", "role: owner }");
        assert!(findings(&RULE, &less, |_| {}).is_empty());
    }
}
