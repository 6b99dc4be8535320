//! What several rules share: action and resource facts of the IoT policy language, reading
//! ARNs, the Cognito trust statements of a template, and where a wildcard reaches across
//! identities. A rule's own logic stays in its file; anything a second rule needs moves here, so
//! no rule file imports another.
//! Must not: hold a check (rules are in their own files), or know rule ids.

use serde_json::Value;

use super::Context;
use crate::mqtt::POLICY_IDENTITY;

/// True for `iot:AttachPolicy` and `iot:DetachPolicy`, which have no resource type for a
/// Cognito identity target and so must be granted on `*` (docs/aws-facts.md §5.2; CIP-ATTACH-004).
pub(super) fn manages_attachments(action: &str) -> bool {
    action.eq_ignore_ascii_case("iot:AttachPolicy")
        || action.eq_ignore_ascii_case("iot:DetachPolicy")
}

/// Every IoT data-plane action a pool role may hold (docs/security-rules.md M1).
pub(super) const MQTT_ACTIONS: [&str; 4] =
    ["iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"];

/// The fields of an ARN text: `arn`, partition, service, region, account, resource; a
/// `${...}` reference counts as one field even though it contains `:` (`${AWS::Region}`).
pub(super) fn arn_fields(text: &str) -> Option<Vec<&str>> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    let bytes = text.as_bytes();
    while i < bytes.len() && fields.len() < 5 {
        if text[i..].starts_with("${") {
            i += text[i..].find('}')? + 1;
            continue;
        }
        if bytes[i] == b':' {
            fields.push(&text[start..i]);
            start = i + 1;
        }
        i += 1;
    }
    fields.push(&text[start..]);
    (fields.len() == 6 && fields[0] == "arn").then_some(fields)
}

/// The kind and name of an IoT ARN's resource (`topic`, `devices/x`), as `doc` reads it.
pub(super) fn iot_resource(arn: &str) -> Option<(&str, &str)> {
    let f = arn_fields(arn)?;
    if f[2] != "iot" {
        return None;
    }
    f[5].split_once('/')
}

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
                        == Some("cognito-identity.amazonaws.com")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_fields_keep_references_whole() {
        let f = arn_fields(
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/a:b/${x:y}",
        )
        .unwrap();
        assert_eq!(
            f,
            [
                "arn",
                "${AWS::Partition}",
                "iot",
                "${AWS::Region}",
                "${AWS::AccountId}",
                "topic/a:b/${x:y}"
            ]
        );
        assert_eq!(
            iot_resource("arn:aws:iot:us-east-1:123456789012:client/x"),
            Some(("client", "x"))
        );
        assert_eq!(iot_resource("*"), None);
    }
}
