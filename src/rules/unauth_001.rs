//! CIP-UNAUTH-001: guests may hold only iot:Connect, Publish, Subscribe and Receive. IoT never
//! scopes guests down with an IoT policy, so any other action (thing, shadow, job, policy APIs,
//! `iot:*`) is theirs on the IAM role alone. Retained messages (`iot:RetainPublish`) are refused
//! too: a retained message outlives the guest's session, is metered, and reaches every later
//! subscriber (docs/aws-facts.md §3.6). Anchors: Device Defender
//! UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK (ALLOWS_ACCESS_TO_IOT_ADMIN_ACTIONS),
//! docs/security-rules.md M1, M4.

use super::helpers::{MQTT_ACTIONS, RETAIN_PUBLISH};
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-UNAUTH-001",
    severity: Severity::Error,
    summary: "guest role allows actions beyond iot:Connect, Publish, Subscribe and Receive",
    rationale: "Guests get the IAM role alone; anything past the four MQTT actions is theirs unchecked (Device Defender UNAUTHENTICATED_COGNITO_ROLE_OVERLY_PERMISSIVE_CHECK).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (v, s) in ctx.allows(Identities::Unauthenticated) {
        for a in s
            .actions
            .iter()
            .filter(|a| !MQTT_ACTIONS.iter().any(|m| m.eq_ignore_ascii_case(a)))
        {
            if a.eq_ignore_ascii_case(RETAIN_PUBLISH) {
                // At the publish entry that asked for it, once per topic.
                for r in &s.resources {
                    out.push(Finding::at_cause(
                        ctx,
                        s,
                        r,
                        format!(
                            "lets guests of identity pool `{}` publish retained messages (`{a}`)",
                            v.pool
                        ),
                        "a retained message outlives the guest's session: AWS IoT keeps it, meters it, and delivers it to every later subscriber, so anyone on the internet could plant one; drop `retain: true` for guests, or publish retained messages from a signed-in role",
                    ));
                }
                continue;
            }
            out.push(Finding::new(
                ctx.role_pointer(&v.role),
                format!("guests of identity pool `{}` get `{a}` through role `{}`", v.pool, v.role),
                "guests may only connect, publish, subscribe and receive; move anything else to signed-in roles",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, role_statements};
    use super::*;

    #[test]
    fn fires_on_a_control_plane_action() {
        let f = findings(&RULE, SPEC, |t| {
            role_statements(t, "AppUnauthenticatedRole")[0]["Action"] =
                serde_json::json!(["iot:Connect", "iot:UpdateThingShadow"]);
        });
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].message,
            "guests of identity pool `app` get `iot:UpdateThingShadow` through role `guest`"
        );
        assert_eq!(f[0].pointer, "/roles/guest");
    }

    #[test]
    fn fires_at_the_publish_entry_that_lets_guests_retain() {
        let retained = SPEC.replace(
            "    publish: [lobby/hello]",
            "    publish: [{ topic: lobby/hello, retain: true }]",
        );
        let f = findings(&RULE, &retained, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/topic_scopes/lobby/publish/0/topic");
        assert_eq!(
            f[0].message,
            "`publish lobby/hello` (topic scope `lobby`) lets guests of identity pool `app` publish retained messages (`iot:RetainPublish`)"
        );
        assert!(f[0].help.contains("outlives the guest's session"));
    }

    #[test]
    fn passes_on_mqtt_only_guests() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
