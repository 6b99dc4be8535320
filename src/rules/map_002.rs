//! CIP-MAP-002: a role-mapping rule that an earlier rule of the same pool always beats. Cognito
//! evaluates the rules in order and "the first matching rule takes precedence"
//! (docs/aws-facts.md §2.5): every token the later rule matches, the earlier matches too, so the
//! later rule never chooses a role. It still lets an app that asks for the later role by name
//! (`CustomRoleArn`) get it, which is rarely what its author meant. Decided by
//! `policy::mapping::covers`, which never claims a cover that some token breaks.

use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::mapping::covers;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-MAP-002",
    severity: Severity::Error,
    summary: "a role-mapping rule can never be the first match: an earlier rule matches every token it matches",
    rationale: "Cognito applies the first matching rule: a rule an earlier one shadows never decides a role, so the mapping does not say what its author wrote (Cognito role-based access control).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (name, pool) in &ctx.compiled.loaded.spec.identity_pools {
        let rules = pool.rules();
        for (j, later) in rules.iter().enumerate() {
            let (tb, y) = later.test();
            let Some(i) = rules[..j].iter().position(|earlier| {
                let (ta, x) = earlier.test();
                covers((&earlier.claim, ta, x), (&later.claim, tb, y))
            }) else {
                continue;
            };
            let earlier = &rules[i];
            let (ta, x) = earlier.test();
            out.push(Finding::new(
                format!("{}/authenticated/rules/{j}", ctx.pool_pointer(name)),
                format!(
                    "mapping rule {} (`{}` {} `{y}`, role `{}`) is never the first match: rule {} (`{}` {} `{x}`, role `{}`) matches every token it does",
                    j + 1,
                    later.claim,
                    tb.key(),
                    later.role,
                    i + 1,
                    earlier.claim,
                    ta.key(),
                    earlier.role
                ),
                "Cognito applies the first matching rule: move this rule before the broader one, or remove it",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::findings;
    use super::*;

    const RULES: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\nroles:\n  owner: { scopes: [own] }\n  admin: { scopes: [own] }\n  installer: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated:\n      rules:\n        - { claim: \"cognito:groups\", contains: install, role: installer }\n        - { claim: \"cognito:groups\", equals: installers-admins, role: admin }\n      default: owner\n";

    #[test]
    fn fires_on_a_rule_an_earlier_one_shadows() {
        let f = findings(&RULE, RULES, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/identity_pools/app/authenticated/rules/1");
        assert_eq!(
            f[0].message,
            "mapping rule 2 (`cognito:groups` equals `installers-admins`, role `admin`) is never the first match: rule 1 (`cognito:groups` contains `install`, role `installer`) matches every token it does"
        );
    }

    #[test]
    fn passes_when_the_narrow_rule_comes_first() {
        let swapped = RULES
            .replace(
                "        - { claim: \"cognito:groups\", contains: install, role: installer }\n        - { claim: \"cognito:groups\", equals: installers-admins, role: admin }\n",
                "        - { claim: \"cognito:groups\", equals: installers-admins, role: admin }\n        - { claim: \"cognito:groups\", contains: install, role: installer }\n",
            );
        assert!(findings(&RULE, &swapped, |_| {}).is_empty());
    }
}
