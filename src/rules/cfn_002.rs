//! CIP-CFN-002: ARNs must use `${AWS::Partition}`, `${AWS::Region}` and `${AWS::AccountId}`, so
//! one template deploys to every partition, region and account (StackSets, GovCloud, China).
//! Anchors: cfn-lint I3042, CloudFormation StackSets best practices (docs/aws-facts.md §6.3).

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::arn::Arn;
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-CFN-002",
    severity: Severity::Warning,
    summary: "ARN with a hard-coded partition, region or account",
    rationale: "Literal partitions, regions and accounts pin a template to one place (cfn-lint I3042; StackSets).",
    check,
};

/// True when an ARN text spells its partition, region or account literally.
fn hard_coded(text: &str) -> bool {
    let Some(arn) = Arn::parse(text) else {
        return false;
    };
    let literal = |p: &str| !p.is_empty() && !p.starts_with("${");
    let account = arn.account.len() == 12 && arn.account.chars().all(|c| c.is_ascii_digit());
    literal(arn.partition) || literal(arn.region) || account
}

fn walk(v: &Value, hits: &mut Vec<String>) {
    match v {
        // ARNs are whole values (a string or a Fn::Sub text): skip the rest, such as inline code.
        Value::String(s) if s.starts_with("arn:") && hard_coded(s) => hits.push(s.clone()),
        Value::Object(m) => m.values().for_each(|c| walk(c, hits)),
        Value::Array(a) => a.iter().for_each(|c| walk(c, hits)),
        _ => {}
    }
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let resources = ctx.template().get("Resources").and_then(Value::as_object);
    let mut out = Vec::new();
    for (id, r) in resources.into_iter().flatten() {
        let mut hits = Vec::new();
        walk(r, &mut hits);
        hits.sort();
        hits.dedup();
        out.extend(hits.into_iter().map(|h| {
            Finding::new(
                ctx.pointer_of(id),
                format!("`{h}` in {id} spells its partition, region or account literally"),
                "use ${AWS::Partition}, ${AWS::Region} and ${AWS::AccountId} in Fn::Sub",
            )
        }));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_literal_arns() {
        assert!(hard_coded("arn:aws:iot:us-east-1:123456789012:topic/x"));
        assert!(hard_coded(
            "arn:${AWS::Partition}:iot:${AWS::Region}:123456789012:topic/x"
        ));
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Resource"][0] =
                "arn:aws:iot:us-east-1:123456789012:client/x".into();
        });
        assert_eq!(f.len(), 1);
    }

    #[test]
    fn passes_on_pseudo_parameters() {
        assert!(!hard_coded(
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/x"
        ));
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
