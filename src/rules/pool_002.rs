//! CIP-POOL-002: classic (basic) flow lets a client call AssumeRoleWithWebIdentity itself with
//! any role whose trust accepts its token, and skips the guest scope-down session policy.
//! Anchors: Cognito identity pool security best practices ("use enhanced authentication"),
//! Datadog def-000-k8u, docs/security-rules.md M4.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-POOL-002",
    severity: Severity::Error,
    summary: "identity pool allows the classic (basic) authentication flow",
    rationale: "Classic flow lets a client assume any role whose trust accepts its token and skips the guest scope-down policy (Cognito best practices; Datadog def-000-k8u).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.resources("AWS::Cognito::IdentityPool")
        .into_iter()
        .filter(|(_, r)| r["Properties"].get("AllowClassicFlow").and_then(Value::as_bool) == Some(true))
        .map(|(id, _)| {
            Finding::new(
                ctx.pointer_of(id),
                format!("identity pool {id} allows the classic (basic) flow"),
                "keep `AllowClassicFlow: false`: the enhanced flow picks the role from the pool's role attachment",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_classic_flow() {
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIdentityPool")["AllowClassicFlow"] = true.into();
        });
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].pointer, "/identity_pools/app");
    }

    #[test]
    fn passes_on_what_synth_emits() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
