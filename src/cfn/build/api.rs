//! `invoke: api-gateway`: the REST API in front of the attach function (`POST /attach`,
//! `AWS_IAM`), its deployment and stage, and the one Lambda permission for that route.
//! Must not: build another family of resources.

use crate::arn;
use crate::cfn::ids::PoolIds;
use crate::cfn::model::{Node, Resource, Template};
use crate::cfn::suppress::{self, Suppressions};

/// `POST /attach` of the pool's API, any stage, as an `execute-api` ARN (for `Fn::Sub`).
pub(super) fn attach_route_arn(ids: &PoolIds) -> String {
    arn::sub(
        "execute-api",
        arn::ACCOUNT,
        &format!("${{{}}}/*/POST/attach", ids.api),
    )
}

/// `invoke: api-gateway`: a REST API whose one route, `POST /attach`, requires SigV4 signing
/// with the caller's identity-pool credentials (`AWS_IAM`), so API Gateway fills
/// `requestContext.identity` with the caller's Cognito identity (docs/security-rules.md M11); a
/// Lambda proxy integration hands that to the attach function. Only API Gateway, and only this
/// route, may invoke the function (SourceArn and SourceAccount: CKV_AWS_364).
pub(super) fn attach_api(pool: &str, ids: &PoolIds, t: &mut Template) {
    let api = Node::map([
        (
            "Name",
            Node::sub(format!("${{AWS::StackName}}-{pool}-attach")),
        ),
        (
            "Description",
            Node::s(format!(
                "Attach IoT policies to signed-in identities of identity pool {pool}"
            )),
        ),
        (
            "EndpointConfiguration",
            Node::map([("Types", Node::list([Node::s("REGIONAL")]))]),
        ),
    ]);
    t.push(&ids.api, Resource::new("AWS::ApiGateway::RestApi", api));
    let resource = Node::map([
        ("RestApiId", Node::ref_(&ids.api)),
        ("ParentId", Node::get_att(&ids.api, "RootResourceId")),
        ("PathPart", Node::s("attach")),
    ]);
    t.push(
        &ids.api_resource,
        Resource::new("AWS::ApiGateway::Resource", resource),
    );
    let integration = Node::map([
        ("Type", Node::s("AWS_PROXY")),
        ("IntegrationHttpMethod", Node::s("POST")),
        (
            "Uri",
            // API Gateway's integration URI names `lambda` where an ARN has its account.
            Node::sub(arn::sub(
                "apigateway",
                "lambda",
                &format!(
                    "path/2015-03-31/functions/${{{}.Arn}}/invocations",
                    ids.function
                ),
            )),
        ),
    ]);
    let method = Node::map([
        ("RestApiId", Node::ref_(&ids.api)),
        ("ResourceId", Node::ref_(&ids.api_resource)),
        ("HttpMethod", Node::s("POST")),
        // SigV4 with the identity-pool credentials; never NONE (CIP-ATTACH-005, AwsSolutions-APIG4).
        ("AuthorizationType", Node::s("AWS_IAM")),
        ("Integration", integration),
    ]);
    t.push(
        &ids.api_method,
        Resource::new("AWS::ApiGateway::Method", method),
    );
    let deployment = Node::map([
        ("RestApiId", Node::ref_(&ids.api)),
        ("Description", Node::s("attach route")),
    ]);
    t.push(
        &ids.api_deployment,
        Resource::new("AWS::ApiGateway::Deployment", deployment)
            .with_depends_on(vec![ids.api_method.clone()]),
    );
    let stage = Node::map([
        ("RestApiId", Node::ref_(&ids.api)),
        ("DeploymentId", Node::ref_(&ids.api_deployment)),
        ("StageName", Node::s("v1")),
    ]);
    let mut findings = Suppressions::default();
    findings
        .add(&suppress::STAGE_LOGGING, suppress::STAGE_LOGGING_REASON)
        .add(&suppress::STAGE_TRACING, suppress::STAGE_TRACING_REASON)
        .add(&suppress::STAGE_CACHE, suppress::STAGE_CACHE_REASON);
    t.push(
        &ids.api_stage,
        Resource::new("AWS::ApiGateway::Stage", stage).with_metadata(findings.metadata(Vec::new())),
    );
    let permission = Node::map([
        ("Action", Node::s("lambda:InvokeFunction")),
        ("FunctionName", Node::get_att(&ids.function, "Arn")),
        ("Principal", Node::s("apigateway.amazonaws.com")),
        ("SourceArn", Node::sub(attach_route_arn(ids))),
        ("SourceAccount", Node::ref_("AWS::AccountId")),
    ]);
    let mut findings = Suppressions::default();
    findings.add(
        &suppress::SCOPED_PERMISSION,
        suppress::SCOPED_PERMISSION_REASON,
    );
    t.push(
        &ids.api_permission,
        Resource::new("AWS::Lambda::Permission", permission)
            .with_metadata(findings.metadata(Vec::new())),
    );
}
