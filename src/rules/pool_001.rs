//! CIP-POOL-001: guest access hands the guest role to anyone on the internet (the identity pool
//! id is not a secret), so it must be a recorded decision. The spec records it as
//! `unauthenticated.reason` (the schema requires one of at least 10 characters wherever guests
//! are on), and that reason is the decision: it goes into the template's metadata and the
//! suppressions other scanners read, exactly as a waiver's reason would, and the rule says
//! nothing more. Asking for the same decision again as a waiver taught users to copy text. The
//! rule still warns about a pool that admits guests with no reason recorded (a template synth
//! did not write, or one edited by hand), and a waiver of it is still accepted (its reason then
//! replaces the guest reason in the suppressions). What guests get stays visible where it is
//! reviewed: `synth diff` lists every grant a guest role gains. Anchors: AwsSolutions-COG7,
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
    summary: "identity pool admits guests with no reason recorded",
    rationale: "The identity pool id is not a secret: with guest access on, anyone on the internet gets the guest role (AwsSolutions-COG7, CKV_AWS_366, cfn_nag W57). A spec records the decision as `unauthenticated.reason`; with it, the rule is satisfied and the reason goes into the suppressions other scanners read.",
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
            .and_then(Value::as_str)
            .filter(|r| !r.trim().is_empty());
        let message = match (role, reason) {
            // The recorded reason is the reviewed decision.
            (Some(_), Some(_)) => continue,
            (Some(v), None) => format!(
                "anyone on the internet gets role `{}` as a guest of identity pool `{pool}`, and no reason is recorded",
                v.role
            ),
            (None, None) => format!("identity pool {id} admits guests and no reason is recorded"),
            (None, Some(_)) => format!("identity pool {id} admits guests but has no guest role"),
        };
        out.push(Finding::new(
            format!("{}/unauthenticated", ctx.pool_pointer(pool)),
            message,
            "say why strangers may connect in `unauthenticated.reason` (keep guest grants to what a stranger may do), or turn guests off",
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, codes, findings};
    use super::*;

    #[test]
    fn fires_when_guests_are_on_without_a_recorded_reason() {
        let f = findings(&RULE, SPEC, |t| {
            t["Resources"]["AppIdentityPool"]["Metadata"]["cogsynth"]
                .as_object_mut()
                .expect("cogsynth metadata")
                .remove("guest_access_reason");
        });
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "anyone on the internet gets role `guest` as a guest of identity pool `app`, and no reason is recorded"
        );
        assert_eq!(f[0].pointer, "/identity_pools/app/unauthenticated");
    }

    #[test]
    fn the_spec_reason_is_enough() {
        // `unauthenticated.reason` is recorded in the template: no warning, no waiver needed.
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
        assert!(!codes(SPEC).contains(&"CIP-POOL-001"));
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
