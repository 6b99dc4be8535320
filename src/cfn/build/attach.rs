//! The attach function of a pool: its code (rendered by `lambda`), its log group, and its
//! execution role (attach, and write its own logs; the reason for `Resource: "*"` recorded).
//! Must not: build another family of resources.

use super::iot_policy::iot_policy_names;
use super::{function_role_metadata, inline_policy, lambda_trust, log_group_metadata, own_logs};
use crate::cfn::ids::PoolIds;
use crate::cfn::model::{Node, Resource, Template};
use crate::cfn::suppress::{self, Suppressions};
use crate::lambda::{self, AttachSource};
use crate::spec::{Invoke, Spec};

/// Why the attach function's role has `Resource: "*"` (docs/aws-facts.md §5.2, SAR-IOT).
const ATTACH_WILDCARD_REASON: &str = "iot:AttachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it cannot be scoped to a policy or identity ARN and needs Resource \"*\". The function attaches only the policy names in its IOT_POLICY_NAMES environment variable, to the caller's own identity id from the invocation context.";

/// The same, short enough to repeat in every linter's suppression entry.
const ATTACH_WILDCARD_SHORT: &str = "iot:AttachPolicy cannot be scoped for Cognito identity targets (no resource type); the function attaches only its configured policies to the caller's own identity";

pub(super) fn attach_function(
    spec: &Spec,
    pool: &str,
    ids: &PoolIds,
    policies: usize,
    t: &mut Template,
) {
    let a = &spec.attach;
    let retention = Node::map([(
        "RetentionInDays",
        Node::Int(i64::from(a.log_retention_days)),
    )]);
    // The log is the audit trail of who got which policy: keep it when the stack goes (its
    // events still expire by RetentionInDays). Stated explicitly, as cfn-lint I3011 asks.
    t.push(
        &ids.log_group,
        Resource::new("AWS::Logs::LogGroup", retention)
            .with_retention("Retain")
            .with_metadata(log_group_metadata(a.log_retention_days)),
    );
    t.push(&ids.function_role, attach_function_role(pool, ids));

    let code = lambda::render(&AttachSource {
        language: a.runtime.language(),
        invoke: a.invoke.mode(),
        stack: &spec.stack,
        pool,
    });
    let mut variables = vec![
        ("IDENTITY_POOL_ID", Node::ref_(&ids.pool)),
        ("IOT_POLICY_NAMES", iot_policy_names(pool, policies)),
    ];
    if a.invoke == Invoke::ApiGateway {
        // The function trusts only requestContexts naming this API (`Ref` of a RestApi is its id).
        // No cycle: the API itself references nothing; its method and permission reference the
        // function, and the function only the API.
        variables.push(("ATTACH_API_ID", Node::ref_(&ids.api)));
    }
    let variables = Node::map(variables);
    let mut props = vec![
        (
            "Description".to_owned(),
            Node::s(format!(
                "Attaches the IoT policy of identity pool {pool} to the calling identity"
            )),
        ),
        ("Runtime".into(), Node::s(a.runtime.id())),
        // Inline code is written to index.js / index.py (docs/aws-facts.md §1.6).
        ("Handler".into(), Node::s("index.handler")),
        ("Role".into(), Node::get_att(&ids.function_role, "Arn")),
        ("Code".into(), Node::map([("ZipFile", Node::s(code))])),
        ("Timeout".into(), Node::Int(10)),
        ("MemorySize".into(), Node::Int(128)),
        ("Environment".into(), Node::map([("Variables", variables)])),
        // Logs go to the group declared above: retention set, and no "already exists" race
        // with a group Lambda would create itself (docs/aws-facts.md §1.8).
        (
            "LoggingConfig".into(),
            Node::map([("LogGroup", Node::ref_(&ids.log_group))]),
        ),
    ];
    // No reservation unless the spec asks: Lambda refuses one that leaves the account fewer
    // than 100 unreserved executions, so a default would fail deploys on small accounts. Without
    // one, the scanners' finding is suppressed with a reason that names the option.
    let mut findings = Suppressions::default();
    match a.reserved_concurrency {
        Some(c) => props.push((
            "ReservedConcurrentExecutions".into(),
            Node::Int(i64::from(c)),
        )),
        None => {
            findings.add(
                &suppress::NO_RESERVED_CONCURRENCY,
                suppress::ATTACH_CONCURRENCY_REASON,
            );
        }
    }
    findings
        .add(&suppress::NO_DLQ, suppress::ATTACH_DLQ_REASON)
        .add(&suppress::NO_VPC, suppress::NO_VPC_REASON)
        .add(&suppress::ENVIRONMENT_KEY, suppress::ENVIRONMENT_KEY_REASON);
    // Deleted before the detach custom resources run, so nobody re-attaches a policy that is
    // being emptied (CloudFormation deletes in reverse dependency order).
    let cleanups = if spec.attach.detach_on_delete {
        (0..policies).map(|i| ids.cleanup_n(i)).collect()
    } else {
        Vec::new()
    };
    t.push(
        &ids.function,
        Resource::new("AWS::Lambda::Function", Node::Map(props))
            .with_depends_on(cleanups)
            .with_metadata(findings.metadata(Vec::new())),
    );
}

/// The attach function's execution role: attach, and write its own logs; nothing else.
fn attach_function_role(pool: &str, ids: &PoolIds) -> Resource {
    let attach = Node::map([
        ("Sid", Node::s("AttachIotPolicyToCaller")),
        ("Effect", Node::s("Allow")),
        ("Action", Node::s("iot:AttachPolicy")),
        ("Resource", Node::s("*")),
    ]);
    let logs = own_logs(&ids.log_group);
    let properties = Node::map([
        (
            "Description",
            Node::s(format!(
                "Execution role of the attach function of identity pool {pool}"
            )),
        ),
        ("AssumeRolePolicyDocument", lambda_trust()),
        (
            "Policies",
            Node::list([inline_policy("attach-and-log", vec![attach, logs])]),
        ),
    ]);
    Resource::new("AWS::IAM::Role", properties).with_metadata(function_role_metadata(
        ATTACH_WILDCARD_REASON,
        ATTACH_WILDCARD_SHORT,
    ))
}
