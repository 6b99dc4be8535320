//! CIP-POOL-001: guest access hands the guest role to anyone on the internet (the identity pool
//! id is not a secret). The spec must give a reason (the schema requires it); the finding is a
//! warning that says what guests get, and can be waived. Anchors: AwsSolutions-COG7,
//! CKV_AWS_366, cfn_nag W57 / Guard COGNITO_ALLOW_UNAUTHENTICATED_IDENTITIES_RULE,
//! docs/security-rules.md M3.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-POOL-001",
    severity: Severity::Warning,
    summary: "identity pool admits guests (unauthenticated identities)",
    rationale: "The identity pool id is not a secret: with guest access on, anyone on the internet gets the guest role (AwsSolutions-COG7, CKV_AWS_366, cfn_nag W57).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, r) in ctx.resources("AWS::Cognito::IdentityPool") {
        if r["Properties"]
            .get("AllowUnauthenticatedIdentities")
            .and_then(Value::as_bool)
            != Some(true)
        {
            continue;
        }
        let pool = ctx.pool_of(id).unwrap_or(id);
        let role = ctx
            .roles
            .iter()
            .find(|v| v.pool == pool && v.identities == Identities::Unauthenticated);
        let reason = r
            .pointer("/Metadata/cogsynth/guest_access_reason")
            .and_then(Value::as_str);
        let message = match (role, reason) {
            (Some(v), Some(_)) => format!(
                "anyone on the internet gets role `{}` as a guest of identity pool `{pool}`",
                v.role
            ),
            (_, None) => format!("identity pool {id} admits guests and no reason is recorded"),
            (None, Some(_)) => format!("identity pool {id} admits guests but has no guest role"),
        };
        out.push(Finding::new(
            format!("{}/unauthenticated", ctx.pool_pointer(pool)),
            message,
            "keep guest grants to what a stranger may do; waive CIP-POOL-001 with a reason once reviewed",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, codes, findings};
    use super::*;

    #[test]
    fn fires_when_guests_are_on() {
        let f = findings(&RULE, SPEC, |_| {});
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "anyone on the internet gets role `guest` as a guest of identity pool `app`"
        );
        assert_eq!(f[0].pointer, "/identity_pools/app/unauthenticated");
    }

    #[test]
    fn passes_without_guests_or_when_waived() {
        let members_only = SPEC.replace(
            "    unauthenticated: { role: guest, reason: Visitors say hello in the lobby }\n",
            "",
        );
        assert!(findings(&RULE, &members_only, |_| {}).is_empty());
        let waived = format!(
            "{SPEC}waivers:\n  - {{ rule: CIP-POOL-001, reason: Reviewed the lobby grants }}\n"
        );
        assert!(!codes(&waived).contains(&"CIP-POOL-001"));
    }
}
