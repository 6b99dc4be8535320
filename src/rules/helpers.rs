//! What several rules share: action facts of the IoT policy language, the Cognito trust
//! statements of a template, and where a wildcard reaches across identities (ARNs are read by
//! the `arn` module). A rule's own logic stays in its file; anything a second rule needs moves
//! here, so no rule file imports another.
//! Must not: hold a check (rules are in their own files), or know rule ids.

use serde_json::Value;

use super::Context;
use crate::mqtt::POLICY_IDENTITY;
use crate::policy::doc::COGNITO_PRINCIPAL;

/// True for `iot:AttachPolicy` and `iot:DetachPolicy`, which have no resource type for a
/// Cognito identity target and so must be granted on `*` (docs/aws-facts.md §5.2; CIP-ATTACH-004).
pub(super) fn manages_attachments(action: &str) -> bool {
    action.eq_ignore_ascii_case("iot:AttachPolicy")
        || action.eq_ignore_ascii_case("iot:DetachPolicy")
}

/// The MQTT actions a guest role may hold (docs/security-rules.md M1): no retained messages,
/// which outlive the guest's session (see CIP-UNAUTH-001).
pub(super) const MQTT_ACTIONS: [&str; 4] =
    ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"];

/// The MQTT actions a signed-in role may hold: the four, and `iot:RetainPublish` for the
/// publish entries the spec marks `retain: true` (docs/aws-facts.md §3.6).
pub(super) const MEMBER_MQTT_ACTIONS: [&str; 5] = [
    "iot:Connect",
    "iot:Publish",
    "iot:RetainPublish",
    "iot:Subscribe",
    "iot:Receive",
];

/// `iot:RetainPublish`: publish with the MQTT RETAIN flag (docs/aws-facts.md §3.6).
pub(super) const RETAIN_PUBLISH: &str = "iot:RetainPublish";

/// Roles whose trust has a `Federated: cognito-identity.amazonaws.com` statement.
pub(super) fn cognito_trust<'a>(ctx: &'a Context<'_>) -> Vec<(&'a str, &'a Value)> {
    ctx.resources("AWS::IAM::Role")
        .into_iter()
        .flat_map(|(id, r)| {
            r.pointer("/Properties/AssumeRolePolicyDocument/Statement")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|s| {
                    s.pointer("/Principal/Federated").and_then(Value::as_str)
                        == Some(COGNITO_PRINCIPAL)
                })
                .map(move |s| (id, s))
        })
        .collect()
}

/// True when `name` has a wildcard that is not after the caller's own identity id.
pub(super) fn spans_identities(name: &str) -> bool {
    let before = name.split(POLICY_IDENTITY).next().unwrap_or(name);
    let has_identity = name.contains(POLICY_IDENTITY);
    before.contains(['*', '?']) || (!has_identity && name.contains(['*', '?']))
}
