//! CIP-IOTP-002: no Allow on Resource `*`, nor on an IoT ARN whose name is only a wildcard
//! (`client/*`, `topic/*`, `topicfilter/*`), which reaches every device. The attach and detach
//! functions' `iot:AttachPolicy` / `iot:DetachPolicy` on `*` are the exception, by necessity
//! (CIP-ATTACH-004).
//! Anchors: Guard IOT_POLICY_WILDCARD_RESOURCE_RULE (cfn_nag W39), Device Defender
//! IOT_POLICY_OVERLY_PERMISSIVE_CHECK, KICS be5b230d, CKV_AWS_111.

use super::helpers::manages_attachments;
use super::{Context, Finding, Rule};
use crate::arn::iot_resource;
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-002",
    severity: Severity::Error,
    summary: "a policy allows every resource (`*`, `topic/*`, `client/*`, ...)",
    rationale: "A wildcard-only resource reaches every device and topic in the account (Guard IOT_POLICY_WILDCARD_RESOURCE_RULE; Device Defender IOT_POLICY_OVERLY_PERMISSIVE_CHECK).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for s in ctx.allowed() {
        // Attaching and detaching IoT policies cannot be scoped for Cognito targets (CIP-ATTACH-004).
        let attach_only = s.actions.iter().all(|a| manages_attachments(a));
        for r in &s.resources {
            let everything = r == "*" && !attach_only;
            let every_name =
                iot_resource(r).is_some_and(|(_, name)| name.chars().all(|c| c == '*' || c == '?'));
            if everything || every_name {
                out.push(Finding::at_cause(
                    ctx,
                    s,
                    r,
                    "allows every resource",
                    "grant exact topics or subtrees (`a/#` becomes `a` and `a/*`), never everything (a spec topic `#` alone does this)",
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings};
    use super::*;

    #[test]
    fn fires_on_everything() {
        let f = findings(
            &RULE,
            &SPEC.replace("[\"d/${identity}/t\"]", "[\"#\"]"),
            |_| {},
        );
        // The IAM role and the IoT policy both grant it; both point at the spec topic.
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter().all(|f| f.pointer == "/topic_scopes/own/publish/0"),
            "{f:?}"
        );
        assert_eq!(
            f[0].message,
            "`publish #` (topic scope `own`) allows every resource"
        );
        assert!(f[0].places[0].0.ends_with(":topic/*"), "{f:?}");
    }

    #[test]
    fn passes_on_scoped_resources_and_the_attach_exception() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
