//! Suppression metadata: the findings that other tools (checkov, cfn-guard with the AWS Guard
//! Rules Registry or the AWS Control Tower rules, cfn_nag, cdk-nag) raise on a generated resource
//! by design, each written in that tool's own format with the reason that is true for that
//! resource. One [`Decision`] is one by-design choice and lists every rule id it trips; `build`
//! adds the decisions that apply to a resource, and only those (a reservation that is set, a
//! retention of a year or more, a role without inline policy get none). README "Third-party
//! scanners" lists them with their sources; `.ci/scanners` holds the templates to 0 unsuppressed
//! findings. Must not: decide whether a decision applies (that is `build`'s), or suppress a finding
//! without a reason.

use super::model::Node;

/// One rule of one tool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// cfn_nag `Metadata.cfn_nag.rules_to_suppress` (`id`, `reason`).
    CfnNag(&'static str),
    /// checkov `Metadata.checkov.skip` (`id`, `comment`).
    Checkov(&'static str),
    /// cdk-nag `Metadata.cdk_nag.rules_to_suppress` (`id`, `reason`, `applies_to`).
    CdkNag(&'static str, Option<&'static str>),
    /// CloudFormation Guard `Metadata.guard.SuppressedRules`: rule names only, no reason field.
    Guard(&'static str),
}

#[cfg(test)]
impl Rule {
    /// Whether the tool's entry carries the reason itself.
    fn has_reason_field(self) -> bool {
        !matches!(self, Rule::Guard(_))
    }
}

/// A by-design choice and every rule id it trips.
#[derive(Debug)]
pub struct Decision {
    /// The `Metadata.cogsynth` key that states the reason. Required when no rule has a reason
    /// field of its own (cfn-guard only): the reason must be written somewhere on the resource.
    pub note: Option<&'static str>,
    /// The rules, in the order they are written.
    pub rules: &'static [Rule],
}

/// The attach and detach roles' `iot:AttachPolicy` / `iot:DetachPolicy` on `*` (docs/security-rules.md
/// §8: "will fail by design"). The long reason is the caller's `wildcard_resource_reason` note.
pub const WILDCARD_RESOURCE: Decision = Decision {
    note: None,
    rules: &[
        Rule::CfnNag("W11"),
        Rule::Checkov("CKV_AWS_109"),
        Rule::CdkNag("AwsSolutions-IAM5", Some("Resource::*")),
        Rule::Guard("IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"),
    ],
};

/// A pool that admits guests (CIP-POOL-001's anchors, docs/security-rules.md §2–§4). The reason is the
/// spec's (`unauthenticated.reason`, or its waiver of CIP-POOL-001).
pub const GUEST_POOL: Decision = Decision {
    note: None,
    rules: &[
        Rule::CfnNag("W57"),
        Rule::Checkov("CKV_AWS_366"),
        Rule::CdkNag("AwsSolutions-COG7", None),
        Rule::Guard("COGNITO_ALLOW_UNAUTHENTICATED_IDENTITIES_RULE"),
    ],
};

/// A function without `ReservedConcurrentExecutions`.
pub const NO_RESERVED_CONCURRENCY: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_115"),
        Rule::Guard("LAMBDA_CONCURRENCY_CHECK"),
    ],
};

/// The attach function when `attach.reserved_concurrency` is not set. Lambda refuses a
/// reservation that leaves the account fewer than 100 unreserved executions, and new accounts
/// start with a reduced concurrency quota, so a default reservation would fail deploys there
/// (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html>,
/// <https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html>). The price of no
/// reservation: a signed-in caller invoking in a loop can use the account's unreserved
/// concurrency; the option caps that, where the account has room.
pub const ATTACH_CONCURRENCY_REASON: &str =
    "attach.reserved_concurrency is unset: a default would fail deploys on small accounts";

/// The detach function: its only caller is CloudFormation (the custom resources' `ServiceToken`);
/// no `AWS::Lambda::Permission` names it and no role of the stack may invoke it (tested).
pub const DETACH_CONCURRENCY_REASON: &str =
    "Only CloudFormation invokes it, as this stack's IoT policies are created, replaced or deleted";

/// A function without a dead-letter queue.
pub const NO_DLQ: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_116"),
        Rule::Guard("LAMBDA_DLQ_CHECK"),
    ],
};

/// The attach function: called synchronously (the app's `Invoke`, or API Gateway's proxy
/// integration), so errors go back to the caller; Lambda sends only failed asynchronous events
/// to a dead-letter queue (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html#invocation-dlq>).
pub const ATTACH_DLQ_REASON: &str = "Invoked synchronously: the caller gets the error and retries";

/// The detach function: CloudFormation invokes it asynchronously and waits for its answer
/// (<https://docs.aws.amazon.com/lambda/latest/dg/services-cloudformation.html>); the handler
/// answers on every path, and a request it cannot answer fails the stack operation by timeout.
pub const DETACH_DLQ_REASON: &str = "Custom resource: it answers CloudFormation on every path";

/// A function outside a VPC (both functions call only public AWS endpoints).
pub const NO_VPC: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_117"),
        Rule::Guard("LAMBDA_INSIDE_VPC"),
        Rule::Guard("LAMBDA_INSIDE_VPC_CHECK"),
    ],
};

/// Why neither function is in a VPC: they call the AWS IoT API (and the detach function
/// CloudFormation's pre-signed S3 response URL); in a VPC they would need the account's subnets
/// and a NAT gateway or interface endpoints to reach the same public endpoints.
pub const NO_VPC_REASON: &str = "Reaches only public AWS endpoints, no private resource";

/// The attach function's environment without a customer managed key.
pub const ENVIRONMENT_KEY: Decision = Decision {
    note: None,
    rules: &[Rule::Checkov("CKV_AWS_173")],
};

/// Why the attach function's environment needs no customer managed key: it holds ids and names
/// only (`IDENTITY_POOL_ID`, `IOT_POLICY_NAMES`, behind API Gateway `ATTACH_API_ID`; tested), and
/// Lambda always encrypts environment variables at rest
/// (<https://docs.aws.amazon.com/lambda/latest/dg/security-encryption-at-rest.html>).
pub const ENVIRONMENT_KEY_REASON: &str = "Holds no secret; Lambda encrypts it at rest by default";

/// A log group without a customer managed KMS key.
pub const LOG_GROUP_KEY: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_158"),
        Rule::Guard("CLOUDWATCH_LOG_GROUP_ENCRYPTED"),
        Rule::Guard("CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK"),
    ],
};

/// Why the log groups need no customer managed key: CloudWatch Logs always encrypts log data at
/// rest (<https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html>);
/// the lines hold identity ids, policy names and outcomes; a customer managed key costs
/// $1/month each (<https://aws.amazon.com/kms/pricing/>) and needs a key policy for CloudWatch.
pub const LOG_GROUP_KEY_REASON: &str =
    "Logs no secret; CloudWatch Logs encrypts at rest by default";

/// A log group kept less than a year (Control Tower CT.CLOUDWATCH.PR.2 asks for 365 days).
pub const SHORT_RETENTION: Decision = Decision {
    note: Some("retention_reason"),
    rules: &[Rule::Guard("CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK")],
};

/// Retention below a year is the spec's choice.
pub fn short_retention_reason(days: u32) -> String {
    format!("Kept {days} days as attach.log_retention_days says (365 satisfies this rule)")
}

/// Retention from which Control Tower's CT.CLOUDWATCH.PR.2 is satisfied.
pub const YEAR_OF_RETENTION: u32 = 365;

/// A role with an inline policy (`Policies`).
pub const INLINE_POLICY: Decision = Decision {
    note: Some("inline_policy_reason"),
    rules: &[Rule::Guard("IAM_NO_INLINE_POLICY_CHECK")],
};

/// Why the roles' policies are inline: "Inline policies are useful if you want to maintain a
/// strict one-to-one relationship between a policy and the identity that it's applied to"
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_managed-vs-inline.html>).
pub const INLINE_POLICY_REASON: &str = "Made for this role alone and deleted with it";

/// The API's `AWS::Lambda::Permission`: scoped, but with intrinsics Control Tower's rule does not
/// resolve (it accepts a literal `SourceAccount`, or a `SourceArn` that is a literal or a `Ref` /
/// `Fn::GetAtt` of a resource; ours are `Fn::Sub` and `Ref: AWS::AccountId`).
pub const SCOPED_PERMISSION: Decision = Decision {
    note: Some("permission_scope_reason"),
    rules: &[Rule::Guard(
        "LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED_CHECK",
    )],
};

/// Why the permission is not public.
pub const SCOPED_PERMISSION_REASON: &str = "Scoped by SourceArn and SourceAccount, written with Fn::Sub and Ref, which the rule does not resolve";

/// The API stage without access or execution logs.
pub const STAGE_LOGGING: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_76"),
        Rule::Guard("API_GW_STAGE_ACCESS_LOGGING_RULE"),
        Rule::Guard("API_GW_V1_EXECUTION_LOGGING_ENABLED_CHECK"),
    ],
};

/// Why the stage does not log: REST API logging to CloudWatch needs the account's API Gateway
/// CloudWatch role (<https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html>),
/// set by `AWS::ApiGateway::Account`, of which there should be one per account and region
/// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-apigateway-account.html>);
/// a stage that enables logging where it is unset fails to deploy.
pub const STAGE_LOGGING_REASON: &str =
    "Needs the account-wide API Gateway logging role, not this stack's to set";

/// The API stage without X-Ray tracing.
pub const STAGE_TRACING: Decision = Decision {
    note: None,
    rules: &[
        Rule::Checkov("CKV_AWS_73"),
        Rule::Guard("API_GW_XRAY_ENABLED_CHECK"),
    ],
};

/// Why the stage is not traced: one route, one proxy integration, whose function logs every
/// call with its outcome; X-Ray would trace one hop, at a charge per trace beyond its free tier.
pub const STAGE_TRACING_REASON: &str = "One hop to one function, which logs every call";

/// The API stage without a cache.
pub const STAGE_CACHE: Decision = Decision {
    note: None,
    rules: &[Rule::Checkov("CKV_AWS_120")],
};

/// Why the stage has no cache: a cached answer would skip the attach for that caller, and a
/// cache cluster bills by the hour.
pub const STAGE_CACHE_REASON: &str = "Each POST /attach must reach the function";

/// Every decision, for tests.
#[cfg(test)]
const ALL: &[&Decision] = &[
    &WILDCARD_RESOURCE,
    &GUEST_POOL,
    &NO_RESERVED_CONCURRENCY,
    &NO_DLQ,
    &NO_VPC,
    &ENVIRONMENT_KEY,
    &LOG_GROUP_KEY,
    &SHORT_RETENTION,
    &INLINE_POLICY,
    &SCOPED_PERMISSION,
    &STAGE_LOGGING,
    &STAGE_TRACING,
    &STAGE_CACHE,
];

/// The decisions that apply to one resource, rendered as its `Metadata`.
#[derive(Debug, Default)]
pub struct Suppressions {
    notes: Vec<(String, Node)>,
    nag: Vec<Node>,
    checkov: Vec<Node>,
    cdk: Vec<Node>,
    guard: Vec<Node>,
}

impl Suppressions {
    /// Adds `decision` with `reason` (true for this resource).
    pub fn add(&mut self, decision: &Decision, reason: &str) -> &mut Self {
        if let Some(key) = decision.note {
            self.notes.push((key.to_owned(), Node::s(reason)));
        }
        for rule in decision.rules {
            match *rule {
                Rule::CfnNag(id) => self.nag.push(Node::map([
                    ("id", Node::s(id)),
                    ("reason", Node::s(reason)),
                ])),
                Rule::Checkov(id) => self.checkov.push(Node::map([
                    ("id", Node::s(id)),
                    ("comment", Node::s(reason)),
                ])),
                Rule::CdkNag(id, applies_to) => {
                    let mut entry = vec![
                        ("id".to_owned(), Node::s(id)),
                        ("reason".into(), Node::s(reason)),
                    ];
                    if let Some(a) = applies_to {
                        entry.push(("applies_to".into(), Node::list([Node::s(a)])));
                    }
                    self.cdk.push(Node::Map(entry));
                }
                Rule::Guard(id) => self.guard.push(Node::s(id)),
            }
        }
        self
    }

    /// The resource's `Metadata`: `cogsynth` (`note`, then the decisions' reasons), then each
    /// tool's entries; `None` when both are empty.
    pub fn metadata(self, note: Vec<(String, Node)>) -> Option<Node> {
        let mut cogsynth = note;
        cogsynth.extend(self.notes);
        let mut out = Vec::new();
        if !cogsynth.is_empty() {
            out.push(("cogsynth".to_owned(), Node::Map(cogsynth)));
        }
        if !self.nag.is_empty() {
            out.push((
                "cfn_nag".to_owned(),
                Node::map([("rules_to_suppress", Node::List(self.nag))]),
            ));
        }
        if !self.checkov.is_empty() {
            out.push((
                "checkov".to_owned(),
                Node::map([("skip", Node::List(self.checkov))]),
            ));
        }
        if !self.cdk.is_empty() {
            out.push((
                "cdk_nag".to_owned(),
                Node::map([("rules_to_suppress", Node::List(self.cdk))]),
            ));
        }
        if !self.guard.is_empty() {
            out.push((
                "guard".to_owned(),
                Node::map([("SuppressedRules", Node::List(self.guard))]),
            ));
        }
        (!out.is_empty()).then_some(Node::Map(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn every_decision_writes_its_reason_somewhere() {
        for d in ALL {
            assert!(!d.rules.is_empty(), "{d:?} suppresses nothing");
            let carried = d.rules.iter().any(|r| r.has_reason_field());
            assert!(
                carried || d.note.is_some(),
                "{d:?}: cfn-guard has no reason field, so the reason needs a cogsynth note"
            );
        }
    }

    #[test]
    fn no_rule_id_belongs_to_two_decisions() {
        let mut seen = BTreeSet::new();
        for d in ALL {
            for r in d.rules {
                assert!(seen.insert(format!("{r:?}")), "{r:?} is in two decisions");
            }
        }
    }

    #[test]
    fn a_guard_only_decision_states_its_reason_in_cogsynth() {
        let mut s = Suppressions::default();
        s.add(&SHORT_RETENTION, &short_retention_reason(90));
        let m = serde_json::to_value(s.metadata(vec![]).unwrap()).unwrap();
        assert_eq!(
            m["cogsynth"]["retention_reason"],
            "Kept 90 days as attach.log_retention_days says (365 satisfies this rule)"
        );
        assert_eq!(
            m["guard"]["SuppressedRules"],
            serde_json::json!(["CLOUDWATCH_LOG_GROUP_RETENTION_PERIOD_CHECK"])
        );
        assert!(m.get("checkov").is_none());
    }

    #[test]
    fn nothing_to_say_is_no_metadata() {
        assert!(Suppressions::default().metadata(vec![]).is_none());
    }
}
