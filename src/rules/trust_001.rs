//! CIP-TRUST-001: a role trusting `cognito-identity.amazonaws.com` must pin the identity pool:
//! `StringEquals cognito-identity.amazonaws.com:aud` = this template's pool. Without it, any
//! identity pool in any account can assume the role. Anchors: Cognito role trust docs and best
//! practices, STS AssumeRoleWithWebIdentity RoleArn note, Access Analyzer "Confirm audience claim
//! type" (docs/aws-facts.md §2).

use serde_json::Value;

use super::helpers::cognito_trust;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::AUD_KEY;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-TRUST-001",
    severity: Severity::Error,
    summary: "role trusts Cognito identities without pinning the identity pool (aud)",
    rationale: "Without StringEquals aud = this pool, identities of any identity pool can assume the role (Cognito trust docs; STS AssumeRoleWithWebIdentity; Access Analyzer).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let pools: Vec<&str> = ctx
        .resources("AWS::Cognito::IdentityPool")
        .into_iter()
        .map(|(id, _)| id)
        .collect();
    let mut out = Vec::new();
    for (id, statement) in cognito_trust(ctx) {
        let aud = statement.pointer(&format!("/Condition/StringEquals/{AUD_KEY}"));
        let pinned = aud
            .and_then(|a| a.get("Ref"))
            .and_then(Value::as_str)
            .is_some_and(|r| pools.contains(&r))
            || aud
                .and_then(Value::as_str)
                .is_some_and(|s| !s.contains(['*', '?']));
        if !pinned {
            out.push(Finding::new(
                ctx.pointer_of(id),
                format!("role {id} trusts Cognito identities without `StringEquals cognito-identity.amazonaws.com:aud` set to this identity pool"),
                "pin the trust to the pool: `StringEquals: { cognito-identity.amazonaws.com:aud: !Ref <IdentityPool> }`",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_without_aud_or_with_a_wildcard_aud() {
        let f = findings(&RULE, SPEC, |t| {
            let c = &mut props(t, "AppAuthenticatedRole")["AssumeRolePolicyDocument"]["Statement"]
                [0]["Condition"];
            c.as_object_mut().unwrap().remove("StringEquals");
        });
        assert_eq!(f.len(), 1);
        assert!(f[0].message.starts_with("role AppAuthenticatedRole trusts"));
        let f = findings(&RULE, SPEC, |t| {
            let c = &mut props(t, "AppUnauthenticatedRole")["AssumeRolePolicyDocument"]["Statement"]
                [0]["Condition"];
            c["StringEquals"]["cognito-identity.amazonaws.com:aud"] = "us-east-1:*".into();
        });
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn passes_on_what_synth_emits() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
