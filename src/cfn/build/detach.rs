//! The stack lifecycle fix: one detach function per stack, and per IoT policy a custom resource
//! that empties the policy before CloudFormation deletes or replaces it.
//! Must not: build another family of resources.

use super::iot_policy::iot_policy_name;
use super::{function_role_metadata, inline_policy, lambda_trust, log_group_metadata, own_logs};
use crate::arn::IOT_PREFIX;
use crate::cfn::ids::{DETACH_FUNCTION, DETACH_FUNCTION_LOGS, DETACH_FUNCTION_ROLE, PoolIds};
use crate::cfn::model::{Node, Resource, Template};
use crate::cfn::suppress::{self, Suppressions};
use crate::lambda;
use crate::spec::Spec;

/// Why the detach function's role has `Resource: "*"`: like AttachPolicy, iot:DetachPolicy has
/// only `cert` and `thinggroup` resource types (Service Authorization Reference, as mirrored by
/// iam-floyd `lib/awsiot.ts`), and a Cognito identity target has no ARN.
const DETACH_WILDCARD_REASON: &str = "iot:DetachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it needs Resource \"*\". The function detaches targets only from the IoT policy named in the custom resource request that CloudFormation sends when the policy is deleted or replaced.";

const DETACH_WILDCARD_SHORT: &str = "iot:DetachPolicy cannot be scoped for Cognito identity targets (no resource type); the function only empties this stack's IoT policies before CloudFormation deletes them";

/// The lifecycle fix (docs/aws-facts.md §1.4): a policy attached to identities cannot be deleted
/// (DeleteConflictException), so each IoT policy gets a custom resource that depends on it;
/// CloudFormation deletes that first, and its handler detaches every identity. A renamed policy
/// gives the custom resource a new physical id, so the old one is deleted the same way.
pub(super) fn detach_function(spec: &Spec, t: &mut Template) {
    let a = &spec.attach;
    let retention = Node::map([(
        "RetentionInDays",
        Node::Int(i64::from(a.log_retention_days)),
    )]);
    t.push(
        DETACH_FUNCTION_LOGS,
        Resource::new("AWS::Logs::LogGroup", retention)
            .with_retention("Retain")
            .with_metadata(log_group_metadata(a.log_retention_days)),
    );

    // ListTargetsForPolicy has a `policy` resource type: this stack's policies only, each pool's
    // `<stack>-<pool>` and `<stack>-<pool>-2`... (not `<pool>*`, which would also match another
    // pool's `<pool>x` policies).
    let own_policies = spec.identity_pools.keys().flat_map(|pool| {
        [
            Node::sub(format!("{IOT_PREFIX}policy/${{AWS::StackName}}-{pool}")),
            Node::sub(format!("{IOT_PREFIX}policy/${{AWS::StackName}}-{pool}-*")),
        ]
    });
    let list = Node::map([
        ("Sid", Node::s("ListTargetsOfOwnPolicies")),
        ("Effect", Node::s("Allow")),
        ("Action", Node::s("iot:ListTargetsForPolicy")),
        ("Resource", Node::list(own_policies)),
    ]);
    let detach = Node::map([
        ("Sid", Node::s("DetachTargets")),
        ("Effect", Node::s("Allow")),
        ("Action", Node::s("iot:DetachPolicy")),
        ("Resource", Node::s("*")),
    ]);
    let logs = own_logs(DETACH_FUNCTION_LOGS);
    let properties = Node::map([
        (
            "Description",
            Node::s(
                "Execution role of the function that empties this stack's IoT policies before they are deleted",
            ),
        ),
        ("AssumeRolePolicyDocument", lambda_trust()),
        (
            "Policies",
            Node::list([inline_policy("detach-and-log", vec![list, detach, logs])]),
        ),
    ]);
    t.push(
        DETACH_FUNCTION_ROLE,
        Resource::new("AWS::IAM::Role", properties).with_metadata(function_role_metadata(
            DETACH_WILDCARD_REASON,
            DETACH_WILDCARD_SHORT,
        )),
    );

    // The policy name arrives in each request, so one function serves every pool; `*` labels
    // its log lines.
    let code = lambda::render_detach(a.runtime.language(), &spec.stack, "*");
    let props = Node::map([
        (
            "Description",
            Node::s(
                "Detaches every identity from an IoT policy of this stack before CloudFormation deletes it",
            ),
        ),
        ("Runtime", Node::s(a.runtime.id())),
        ("Handler", Node::s("index.handler")),
        ("Role", Node::get_att(DETACH_FUNCTION_ROLE, "Arn")),
        ("Code", Node::map([("ZipFile", Node::s(code))])),
        // Listing and detaching thousands of identities takes a while; a custom resource that
        // times out leaves the stack waiting for up to an hour.
        ("Timeout", Node::Int(300)),
        ("MemorySize", Node::Int(128)),
        (
            "LoggingConfig",
            Node::map([("LogGroup", Node::ref_(DETACH_FUNCTION_LOGS))]),
        ),
    ]);
    let mut findings = Suppressions::default();
    findings
        .add(
            &suppress::NO_RESERVED_CONCURRENCY,
            suppress::DETACH_CONCURRENCY_REASON,
        )
        .add(&suppress::NO_DLQ, suppress::DETACH_DLQ_REASON)
        .add(&suppress::NO_VPC, suppress::NO_VPC_REASON);
    t.push(
        DETACH_FUNCTION,
        Resource::new("AWS::Lambda::Function", props).with_metadata(findings.metadata(Vec::new())),
    );
}

/// One custom resource per IoT policy of a pool, served by the stack's detach function.
pub(super) fn detach_cleanups(pool: &str, ids: &PoolIds, policies: usize, t: &mut Template) {
    for i in 0..policies {
        let props = Node::map([
            ("ServiceToken", Node::get_att(DETACH_FUNCTION, "Arn")),
            ("PolicyName", iot_policy_name(pool, i)),
        ]);
        // DependsOn, not a Ref: created after the policy and deleted before it all the same,
        // and moto (the deploy rehearsal) cannot pass an IoT policy's Ref to a custom resource.
        let cleanup = Resource::new("Custom::DetachIotPolicyTargets", props)
            .with_depends_on(vec![ids.iot_policy_n(i)]);
        t.push(&ids.cleanup_n(i), cleanup);
    }
}
