//! The outputs of a pool, each exported as `<stack name>-<OutputName>`: what the app and other
//! stacks need (pool id, role ARNs, IoT policy names, attach function, attach URL).
//! Must not: build another family of resources.

use super::iot_policy::iot_policy_names;
use crate::cfn::ids::{PoolIds, pascal};
use crate::cfn::model::{Node, Template};
use crate::spec::IdentityPool;

pub(super) fn outputs(
    pool: &str,
    spec_pool: &IdentityPool,
    ids: &PoolIds,
    api: bool,
    policies: usize,
    t: &mut Template,
) {
    let guests = spec_pool.unauthenticated.is_some();
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
    let default = spec_pool.default_role();
    add(
        "AuthenticatedRoleArn",
        match (default, spec_pool.is_mapped()) {
            (Some(_), false) => format!("Role of signed-in identities of {pool}"),
            (Some(r), true) => {
                format!("Role {r}: signed-in identities of {pool} that no mapping rule matches")
            }
            (None, _) => format!(
                "Role without permissions: signed-in identities of {pool} that no mapping rule matches are denied"
            ),
        },
        Node::get_att(&ids.authenticated_role, "Arn"),
    );
    for role in spec_pool
        .signed_in_roles()
        .into_iter()
        .filter(|r| Some(*r) != default)
    {
        add(
            &format!("{}AuthenticatedRoleArn", pascal(role)),
            format!("Role {role}: signed-in identities of {pool} its mapping rules give it"),
            Node::get_att(&ids.signed_in_role(role, false), "Arn"),
        );
    }
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
