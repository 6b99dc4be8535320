//! CIP-ATTACH-004: `iot:AttachPolicy` on `*` is necessary (the action has no resource type for a
//! Cognito identity target, docs/aws-facts.md §5.2) and every wildcard linter flags it; the template
//! must say why, so reviewers and suppressions have the reason. Anchors: AwsSolutions-IAM5,
//! CKV_AWS_109, Guard IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE, cloudsplaining, docs/security-rules.md M7.

use serde_json::Value;

use super::helpers::manages_attachments;
use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-ATTACH-004",
    severity: Severity::Warning,
    summary: "iot:AttachPolicy or iot:DetachPolicy on `*` without a recorded reason",
    rationale: "The wildcard is required for Cognito targets, but must carry its reason so suppressions in cdk-nag, checkov, cfn_nag and Guard agree (AwsSolutions-IAM5, CKV_AWS_109).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in ctx.allowed() {
        let attach = s.actions.iter().any(|a| manages_attachments(a));
        if !attach || !s.resources.iter().any(|r| r == "*") {
            continue;
        }
        let reason = ctx.template()["Resources"][&s.resource]
            .pointer("/Metadata/cogsynth/wildcard_resource_reason")
            .and_then(Value::as_str);
        if reason.is_none_or(str::is_empty) {
            out.push(Finding::new(
                ctx.pointer_of(&s.resource),
                format!(
                    "{} allows attaching or detaching IoT policies on `*` without a recorded reason",
                    s.describe()
                ),
                "record why in the role's Metadata (synth does this for the attach function)",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings};
    use super::*;

    #[test]
    fn fires_without_the_reason() {
        let f = findings(&RULE, SPEC, |t| {
            t["Resources"]["AppAttachFunctionRole"]["Metadata"]["cogsynth"]
                .as_object_mut()
                .unwrap()
                .remove("wildcard_resource_reason");
        });
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn passes_with_the_reason_synth_writes() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
