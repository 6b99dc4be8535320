//! CIP-IOTP-003: MQTT `+` and `#` in a policy resource are literal characters, not wildcards, so
//! a statement meant to cover many topics covers one odd name (and a Deny denies nothing).
//! cogsynth translates them; this guards the output. Anchors: Device Defender
//! IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK (POLICY_CONTAINS_MQTT_WILDCARDS_IN_DENY_STATEMENT),
//! docs/security-rules.md M5.

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-003",
    severity: Severity::Error,
    summary: "MQTT wildcard `+` or `#` copied into a policy resource",
    rationale: "In IoT and IAM policies `+` and `#` are literal: the statement does not cover what it seems to (Device Defender IOT_POLICY_POTENTIAL_MISCONFIGURATION_CHECK).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.iot_resources()
        .filter(|(_, _, _, name)| name.contains(['+', '#']))
        .map(|(s, r, _, _)| {
            Finding::at_cause(
                ctx,
                s,
                r,
                "is granted with MQTT `+`/`#`, which are literal characters in policies",
                "use `*` (any characters, across levels) or `?` (one character) in policies",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_a_copied_hash() {
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIotPolicy")["PolicyDocument"]["Statement"][2]["Resource"][0] = serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topicfilter/d/#"});
        });
        assert_eq!(f.len(), 1, "{f:?}");
    }

    #[test]
    fn passes_on_translated_wildcards() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
