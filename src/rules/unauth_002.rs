//! CIP-UNAUTH-002: a guest may connect only with its own identity id as client id. `client/*`
//! lets any stranger take any client id and knock its owner off the broker (one connection per
//! client id). Anchors: Device Defender UNAUTHENTICATED check (Connect patterns),
//! CONFLICTING_CLIENT_IDS_CHECK, docs/security-rules.md M6, M9.

use super::{Context, Finding, Rule};
use crate::arn::iot_resource;
use crate::diag::Severity;
use crate::mqtt::POLICY_IDENTITY;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-UNAUTH-002",
    severity: Severity::Error,
    summary: "guest role may connect with client ids other than its own identity id",
    rationale: "One connection per client id: a guest who may pick any client id can knock any device off the broker (Device Defender UNAUTHENTICATED check; CONFLICTING_CLIENT_IDS_CHECK).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let connects = ctx.allows(Identities::Unauthenticated).filter(|(_, s)| {
        s.actions
            .iter()
            .any(|a| a.eq_ignore_ascii_case("iot:Connect"))
    });
    for (v, s) in connects {
        for r in &s.resources {
            let own = iot_resource(r).is_some_and(|(kind, name)| {
                kind == "client" && name.contains(POLICY_IDENTITY) && !name.contains(['*', '?'])
            });
            if !own {
                out.push(Finding::at_cause(
                    ctx,
                    s,
                    r,
                    format!(
                        "lets guests of identity pool `{}` connect with a client id that is not their own identity id",
                        v.pool
                    ),
                    "let guests connect only as `${identity}` (their own identity id)",
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
    fn fires_on_any_client_id() {
        let f = findings(&RULE, SPEC, |t| {
            role_statements(t, "AppUnauthenticatedRole")[0]["Resource"] = serde_json::json!([{"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:client/*"}]);
        });
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn passes_on_own_identity() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
