//! The outputs of a pool, each exported as `<stack name>-<OutputName>`: what the app and other
//! stacks need (pool id, role ARNs, IoT policy names, attach function, attach URL).
//! Must not: build another family of resources.

use super::iot_policy::iot_policy_names;
use crate::cfn::ids::{PoolIds, pascal};
use crate::cfn::model::{Node, Template};

pub(super) fn outputs(
    pool: &str,
    ids: &PoolIds,
    guests: bool,
    api: bool,
    policies: usize,
    t: &mut Template,
) {
    let prefix = pascal(pool);
    let mut add = |suffix: &str, description: String, value: Node| {
        let id = format!("{prefix}{suffix}");
        let export = Node::map([("Name", Node::sub(format!("${{AWS::StackName}}-{id}")))]);
        t.outputs.push((
            id,
            Node::map([
                ("Description", Node::s(description)),
                ("Value", value),
                ("Export", export),
            ]),
        ));
    };
    add(
        "IdentityPoolId",
        format!("Identity pool {pool}: give it to the app"),
        Node::ref_(&ids.pool),
    );
    add(
        "AuthenticatedRoleArn",
        format!("Role of signed-in identities of {pool}"),
        Node::get_att(&ids.authenticated_role, "Arn"),
    );
    if guests {
        add(
            "UnauthenticatedRoleArn",
            format!("Role of guests of {pool}"),
            Node::get_att(&ids.unauthenticated_role, "Arn"),
        );
    }
    add(
        "IotPolicyNames",
        format!(
            "IoT policies (comma-separated) the attach function attaches to signed-in identities of {pool}"
        ),
        iot_policy_names(pool, policies),
    );
    add(
        "AttachFunctionName",
        format!("Function the app invokes after sign-in ({pool})"),
        Node::ref_(&ids.function),
    );
    add(
        "AttachFunctionArn",
        format!("ARN of the attach function of {pool}"),
        Node::get_att(&ids.function, "Arn"),
    );
    if api {
        add(
            "AttachUrl",
            format!(
                "POST here, SigV4-signed with identity-pool credentials, after sign-in ({pool})"
            ),
            Node::sub(format!(
                "https://${{{}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/v1/attach",
                ids.api
            )),
        );
    }
}
