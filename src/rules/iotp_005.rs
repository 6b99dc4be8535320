//! CIP-IOTP-005: each IoT action matches one resource kind: Connect → `client/`, Publish and
//! Receive → `topic/`, Subscribe → `topicfilter/`. A mismatched statement silently allows
//! nothing (Subscribe on `topic/...` is the classic bug). Anchors: AWS IoT "Action resources"
//! (docs/aws-facts.md §3.2), docs/security-rules.md M5, cfn-lint I3510 by analogy.

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-005",
    severity: Severity::Error,
    summary: "IoT action paired with the wrong resource kind",
    rationale: "Subscribe matches only topicfilter/ ARNs, Publish and Receive only topic/, Connect only client/: a mismatch allows nothing and hides the intent (AWS IoT action resources).",
    check,
};

fn kind_for(action: &str) -> Option<&'static str> {
    match action.to_ascii_lowercase().as_str() {
        "iot:connect" => Some("client"),
        "iot:publish" | "iot:receive" | "iot:retainpublish" => Some("topic"),
        "iot:subscribe" => Some("topicfilter"),
        _ => None,
    }
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (s, r, kind, _) in ctx.iot_resources() {
        for a in &s.actions {
            if let Some(want) = kind_for(a).filter(|want| *want != kind) {
                out.push(Finding::at_cause(
                    ctx,
                    s,
                    r,
                    format!("is granted as a `{kind}/` resource for `{a}`, which needs `{want}/`"),
                    "split the statement so each action gets its own resource kind",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_subscribe_to_a_topic_arn() {
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIotPolicy")["PolicyDocument"]["Statement"][2]["Resource"][0] = serde_json::json!({"Fn::Sub": "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/d/x"});
        });
        assert_eq!(f.len(), 1, "{f:?}");
        // No spec topic made `topic/d/x`: the finding points at the role that holds it.
        assert_eq!(
            f[0].message,
            "role `member` is granted as a `topic/` resource for `iot:Subscribe`, which needs `topicfilter/`"
        );
        assert_eq!(f[0].pointer, "/roles/member");
    }

    #[test]
    fn passes_on_what_synth_emits() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
