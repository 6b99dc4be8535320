//! CIP-IAM-001: no Allow with Action `*` or `service:*`, in any role or IoT policy synth emits.
//! Anchors: CKV_AWS_62/63, Guard IAM_POLICY_NO_STATEMENTS_WITH_ADMIN_ACCESS / FULL_ACCESS and
//! IOT_POLICY_WILDCARD_ACTION_RULE (cfn_nag F3/F4/W38), cdk-nag IAMPolicyNoStatementsWith*.

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IAM-001",
    severity: Severity::Error,
    summary: "a policy allows every action of a service (`*` or `service:*`)",
    rationale: "Wildcard actions grant what nobody reviewed, today and whatever the service adds later (CKV_AWS_62/63; Guard IOT_POLICY_WILDCARD_ACTION_RULE; cfn_nag F3/F4/W38).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.allowed()
        .flat_map(|s| {
            s.actions
                .iter()
                .filter(|a| *a == "*" || a.ends_with(":*"))
                .map(|a| {
                    Finding::new(
                        ctx.pointer_of(&s.resource),
                        format!("{} allows `{a}`", s.describe()),
                        "list the actions the role needs",
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_service_wildcards() {
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Action"] = "iot:*".into();
        });
        assert_eq!(f.len(), 1);
        assert!(f[0].message.ends_with("allows `iot:*`"), "{}", f[0].message);
    }

    #[test]
    fn passes_on_named_actions() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
