//! CIP-AUTH-001: signed-in identities get MQTT data-plane actions (`iot:RetainPublish` included,
//! for topics the spec lets them retain) and the attach function, never
//! IoT control-plane actions (AttachPolicy, CreatePolicy, thing management...): IoT intersects
//! only seven data-plane actions with the IoT policy, so the role alone governs the rest, and a
//! user could attach any policy to any identity. Anchors: Device Defender
//! AUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK, incidents in docs/security-rules.md §6.1–§6.3,
//! parliament PERMISSIONS_MANAGEMENT_ACTIONS.

use super::helpers::MEMBER_MQTT_ACTIONS;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-AUTH-001",
    severity: Severity::Error,
    summary: "signed-in role allows IoT control-plane actions",
    rationale: "Outside the seven data-plane actions IoT checks the role alone: iot:AttachPolicy on the user role lets anyone attach any policy to anyone (Device Defender AUTHENTICATED check; aws-samples incidents).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (v, s) in ctx.allows(Identities::Authenticated) {
        for a in &s.actions {
            let iot = a.to_ascii_lowercase().starts_with("iot:") || a == "*";
            if iot
                && !MEMBER_MQTT_ACTIONS
                    .iter()
                    .any(|m| m.eq_ignore_ascii_case(a))
            {
                out.push(Finding::new(
                    ctx.role_pointer(&v.role),
                    format!("signed-in identities of identity pool `{}` get `{a}` through role `{}`", v.pool, v.role),
                    "the attach function attaches policies; user roles keep to connect, publish, subscribe and receive",
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
    fn fires_on_attach_policy_in_the_user_role() {
        let f = findings(&RULE, SPEC, |t| {
            role_statements(t, "AppAuthenticatedRole").push(serde_json::json!({"Effect": "Allow", "Action": ["iot:AttachPolicy"], "Resource": "*"}));
        });
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("`iot:AttachPolicy`"));
    }

    #[test]
    fn passes_on_mqtt_and_invoke() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
