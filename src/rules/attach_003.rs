//! CIP-ATTACH-003: only signed-in identities may call the attach function. A guest who can
//! invoke it would attach the signed-in IoT policy to its own (guest) identity id, or probe it.
//! In direct-invoke mode the function cannot tell guests from members, so IAM must.
//! Anchors: Device Defender UNAUTHENTICATED check (non-thing admin by proxy), docs/security-rules.md M1.

use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-ATTACH-003",
    severity: Severity::Error,
    summary: "guests may invoke functions or APIs (the attach function)",
    rationale: "The attach function must serve signed-in identities only; in direct-invoke mode only IAM can keep guests out (Device Defender UNAUTHENTICATED check).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (v, s) in ctx.allows(Identities::Unauthenticated) {
        for a in &s.actions {
            let l = a.to_ascii_lowercase();
            if l == "*" || l.starts_with("lambda:") || l.starts_with("execute-api:") {
                out.push(Finding::new(
                    ctx.role_pointer(&v.role),
                    format!(
                        "guests of identity pool `{}` get `{a}` through role `{}`",
                        v.pool, v.role
                    ),
                    "only the authenticated role may invoke the attach function",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, role_statements};
    use super::*;

    #[test]
    fn fires_when_guests_may_invoke() {
        let f = findings(&RULE, SPEC, |t| {
            role_statements(t, "AppUnauthenticatedRole").push(serde_json::json!({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["AppAttachFunction", "Arn"]}}));
        });
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn passes_when_only_members_may_invoke() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
