//! Spec → template. A pure function: the same spec gives the same template, whatever the order
//! of keys in the file. Every AWS fact used here cites aws-facts.md.

use crate::check::region_of;
use crate::lambda::{self, AttachSource};
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::{Grants, Statement};
use crate::spec::{IdentityPool, Spec, UserPool, ValueSource};

use super::ids::PoolIds;
use super::model::{Node, Resource, Template};

/// ARN prefix of IoT resources, from pseudo parameters so one template works in every
/// partition, region and account (aws-facts.md §3.2).
const IOT_ARN: &str = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:";

/// Why the attach function's role has `Resource: "*"` (aws-facts.md §5.2, SAR-IOT).
pub const ATTACH_WILDCARD_REASON: &str = "iot:AttachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it cannot be scoped to a policy or identity ARN and needs Resource \"*\". The function attaches only the policy names in its IOT_POLICY_NAMES environment variable, to the caller's own identity id from the invocation context.";

/// Builds the template of one spec. `source` is the spec's path as shown in the header.
pub fn build(spec: &Spec, source: &str) -> Template {
    let mut t = Template {
        description: Some(
            spec.description
                .clone()
                .unwrap_or_else(|| format!("cogsynth stack {}", spec.stack)),
        ),
        metadata: Some(Node::map([(
            "cogsynth",
            Node::map([
                ("source", Node::s(source)),
                ("spec_version", Node::Int(i64::from(spec.version))),
            ]),
        )])),
        ..Template::default()
    };
    for (name, p) in &spec.parameters {
        let mut body = vec![
            ("Type".to_owned(), Node::s("String")),
            ("Description".into(), Node::s(&p.description)),
        ];
        if let Some(d) = &p.default {
            body.push(("Default".into(), Node::s(d)));
        }
        if let Some(a) = &p.allowed_pattern {
            body.push(("AllowedPattern".into(), Node::s(a)));
        }
        t.parameters.push((name.clone(), Node::Map(body)));
    }
    for (name, pool) in &spec.identity_pools {
        build_pool(spec, name, pool, &mut t);
    }
    t
}

fn build_pool(spec: &Spec, name: &str, pool: &IdentityPool, t: &mut Template) {
    let ids = PoolIds::new(name);
    let guests = pool.unauthenticated.as_ref();

    let pool_name = match &pool.name {
        Some(n) => Node::s(n),
        None => Node::sub(format!("${{AWS::StackName}}-{name}")),
    };
    let providers = pool.user_pools.iter().map(provider).collect();
    t.resources.push((
        ids.pool.clone(),
        Resource {
            kind: "AWS::Cognito::IdentityPool",
            metadata: guests.map(|g| {
                Node::map([(
                    "cogsynth",
                    Node::map([("guest_access_reason", Node::s(&g.reason))]),
                )])
            }),
            properties: Node::map([
                ("IdentityPoolName", pool_name),
                (
                    "AllowUnauthenticatedIdentities",
                    Node::Bool(guests.is_some()),
                ),
                // Classic flow lets a client assume any role whose trust accepts its token;
                // enhanced flow only (aws-facts.md §2.4).
                ("AllowClassicFlow", Node::Bool(false)),
                ("CognitoIdentityProviders", Node::List(providers)),
            ]),
        },
    ));

    let mut roles = vec![(
        "authenticated".to_owned(),
        Node::get_att(&ids.authenticated_role, "Arn"),
    )];
    if guests.is_some() {
        roles.push((
            "unauthenticated".into(),
            Node::get_att(&ids.unauthenticated_role, "Arn"),
        ));
    }
    t.resources.push((
        ids.attachment.clone(),
        Resource {
            kind: "AWS::Cognito::IdentityPoolRoleAttachment",
            metadata: None,
            properties: Node::map([
                ("IdentityPoolId", Node::ref_(&ids.pool)),
                ("Roles", Node::Map(roles)),
            ]),
        },
    ));

    // Signed-in identities: IAM role ∩ IoT policy (aws-facts.md §4), built from the same grants.
    let member = Grants::of_role(spec, &pool.authenticated);
    let mut member_statements = iot_statements(&member.statements(), true);
    member_statements.push(Node::map([
        ("Sid", Node::s("InvokeAttachFunction")),
        ("Effect", Node::s("Allow")),
        ("Action", Node::s("lambda:InvokeFunction")),
        ("Resource", Node::get_att(&ids.function, "Arn")),
    ]));
    t.resources.push((
        ids.authenticated_role.clone(),
        Resource {
            kind: "AWS::IAM::Role",
            metadata: None,
            properties: Node::map([
                (
                    "Description",
                    Node::s(format!(
                        "Signed-in identities of identity pool {name}: role {}",
                        pool.authenticated
                    )),
                ),
                (
                    "AssumeRolePolicyDocument",
                    trust(&ids.pool, "authenticated"),
                ),
                (
                    "Policies",
                    Node::list([inline_policy("mqtt-and-attach", member_statements)]),
                ),
            ]),
        },
    ));
    t.resources.push((
        ids.iot_policy.clone(),
        Resource {
            kind: "AWS::IoT::Policy",
            metadata: broadening_note(&member),
            properties: Node::map([(
                "PolicyDocument",
                document(iot_statements(&member.statements(), false)),
            )]),
        },
    ));

    if let Some(g) = guests {
        // Guests get the IAM role alone: IoT policies do not apply to them (aws-facts.md §4).
        let guest = Grants::of_role(spec, &g.role);
        let mut properties = vec![
            (
                "Description".to_owned(),
                Node::s(format!(
                    "Guests (unauthenticated identities) of identity pool {name}: role {}",
                    g.role
                )),
            ),
            (
                "AssumeRolePolicyDocument".into(),
                trust(&ids.pool, "unauthenticated"),
            ),
        ];
        if !guest.is_empty() {
            properties.push((
                "Policies".into(),
                Node::list([inline_policy(
                    "mqtt",
                    iot_statements(&guest.statements(), true),
                )]),
            ));
        }
        t.resources.push((
            ids.unauthenticated_role.clone(),
            Resource {
                kind: "AWS::IAM::Role",
                metadata: broadening_note(&guest),
                properties: Node::Map(properties),
            },
        ));
    }

    attach_function(spec, name, &ids, t);
    outputs(name, &ids, guests.is_some(), t);
}

/// `cognito-idp.<region>.amazonaws.com/<user pool id>` (aws-facts.md §1.1).
fn provider(up: &UserPool) -> Node {
    let region = up
        .region
        .clone()
        .or_else(|| match &up.user_pool_id {
            ValueSource::Literal(id) => region_of(id).map(str::to_owned),
            _ => None,
        })
        .unwrap_or_else(|| "${AWS::Region}".to_owned());
    let name = match &up.user_pool_id {
        ValueSource::Literal(id) if !region.contains('$') => {
            Node::s(format!("cognito-idp.{region}.amazonaws.com/{id}"))
        }
        ValueSource::Literal(id) => Node::sub(format!("cognito-idp.{region}.amazonaws.com/{id}")),
        ValueSource::Param { param } => {
            Node::sub(format!("cognito-idp.{region}.amazonaws.com/${{{param}}}"))
        }
        ValueSource::Import { import } => Node::sub_with(
            format!("cognito-idp.{region}.amazonaws.com/${{UserPoolId}}"),
            vec![("UserPoolId".into(), Node::import(import))],
        ),
    };
    Node::map([
        ("ProviderName", name),
        ("ClientId", value(&up.client_id)),
        // Secure default: a signed-out or deleted user gets no new credentials (aws-facts.md §1.1).
        (
            "ServerSideTokenCheck",
            Node::Bool(up.server_side_token_check.unwrap_or(true)),
        ),
    ])
}

fn value(v: &ValueSource) -> Node {
    match v {
        ValueSource::Literal(s) => Node::s(s),
        ValueSource::Param { param } => Node::ref_(param),
        ValueSource::Import { import } => Node::import(import),
    }
}

/// Trust pinned to this pool (`aud`) and this kind of identity (`amr`) (aws-facts.md §2.1, §2.3).
fn trust(pool_id: &str, amr: &str) -> Node {
    document(vec![Node::map([
        ("Effect", Node::s("Allow")),
        (
            "Principal",
            Node::map([("Federated", Node::s("cognito-identity.amazonaws.com"))]),
        ),
        ("Action", Node::s("sts:AssumeRoleWithWebIdentity")),
        (
            "Condition",
            Node::map([
                (
                    "StringEquals",
                    Node::map([("cognito-identity.amazonaws.com:aud", Node::ref_(pool_id))]),
                ),
                (
                    "ForAnyValue:StringLike",
                    Node::map([("cognito-identity.amazonaws.com:amr", Node::s(amr))]),
                ),
            ]),
        ),
    ])])
}

fn document(statements: Vec<Node>) -> Node {
    Node::map([
        ("Version", Node::s("2012-10-17")),
        ("Statement", Node::List(statements)),
    ])
}

fn inline_policy(name: &str, statements: Vec<Node>) -> Node {
    Node::map([
        ("PolicyName", Node::s(name)),
        ("PolicyDocument", document(statements)),
    ])
}

/// The MQTT statements as CloudFormation. `${identity}` becomes the policy variable, escaped as
/// `${!...}` because the ARN is built with `Fn::Sub` (aws-facts.md §1.11).
fn iot_statements(statements: &[Statement], with_sid: bool) -> Vec<Node> {
    statements
        .iter()
        .map(|s| {
            let resources = s
                .resources
                .iter()
                .map(|r| Node::sub(format!("{IOT_ARN}{}", sub_escape(r))))
                .collect();
            let mut body = Vec::new();
            if with_sid {
                body.push(("Sid".to_owned(), Node::s(s.sid)));
            }
            body.push(("Effect".into(), Node::s("Allow")));
            body.push(("Action".into(), Node::s(s.action)));
            body.push(("Resource".into(), Node::List(resources)));
            Node::Map(body)
        })
        .collect()
}

fn sub_escape(resource: &str) -> String {
    resource.replace(IDENTITY, &POLICY_IDENTITY.replacen("${", "${!", 1))
}

fn broadening_note(g: &Grants) -> Option<Node> {
    if g.broadened.is_empty() {
        return None;
    }
    let notes = g
        .broadened
        .iter()
        .map(|b| {
            Node::s(format!(
                "{} is granted as {}: in policies `*` also matches several topic levels, where MQTT `+` matches one",
                b.grant,
                b.resource.replace(IDENTITY, POLICY_IDENTITY)
            ))
        })
        .collect();
    Some(Node::map([(
        "cogsynth",
        Node::map([("broadened", Node::List(notes))]),
    )]))
}

fn attach_function(spec: &Spec, pool: &str, ids: &PoolIds, t: &mut Template) {
    let a = &spec.attach;
    t.resources.push((
        ids.log_group.clone(),
        Resource {
            kind: "AWS::Logs::LogGroup",
            metadata: None,
            properties: Node::map([(
                "RetentionInDays",
                Node::Int(i64::from(a.log_retention_days)),
            )]),
        },
    ));
    t.resources.push((
        ids.function_role.clone(),
        Resource {
            kind: "AWS::IAM::Role",
            metadata: Some(Node::map([(
                "cogsynth",
                Node::map([("wildcard_resource_reason", Node::s(ATTACH_WILDCARD_REASON))]),
            )])),
            properties: Node::map([
                (
                    "Description",
                    Node::s(format!(
                        "Execution role of the attach function of identity pool {pool}"
                    )),
                ),
                (
                    "AssumeRolePolicyDocument",
                    document(vec![Node::map([
                        ("Effect", Node::s("Allow")),
                        (
                            "Principal",
                            Node::map([("Service", Node::s("lambda.amazonaws.com"))]),
                        ),
                        ("Action", Node::s("sts:AssumeRole")),
                    ])]),
                ),
                (
                    "Policies",
                    Node::list([inline_policy(
                        "attach-and-log",
                        vec![
                            Node::map([
                                ("Sid", Node::s("AttachIotPolicyToCaller")),
                                ("Effect", Node::s("Allow")),
                                ("Action", Node::s("iot:AttachPolicy")),
                                ("Resource", Node::s("*")),
                            ]),
                            Node::map([
                                ("Sid", Node::s("WriteOwnLogs")),
                                ("Effect", Node::s("Allow")),
                                (
                                    "Action",
                                    Node::list([
                                        Node::s("logs:CreateLogStream"),
                                        Node::s("logs:PutLogEvents"),
                                    ]),
                                ),
                                // The log group's Arn attribute ends in `:*`, covering its streams
                                // and nothing else (aws-facts.md §1.8).
                                ("Resource", Node::get_att(&ids.log_group, "Arn")),
                            ]),
                        ],
                    )]),
                ),
            ]),
        },
    ));
    let code = lambda::render(&AttachSource {
        language: a.runtime.language(),
        invoke: a.invoke.mode(),
        stack: &spec.stack,
        pool,
    });
    let mut props = vec![
        (
            "Description".to_owned(),
            Node::s(format!(
                "Attaches the IoT policy of identity pool {pool} to the calling identity"
            )),
        ),
        ("Runtime".into(), Node::s(a.runtime.id())),
        // Inline code is written to index.js / index.py (aws-facts.md §1.6).
        ("Handler".into(), Node::s("index.handler")),
        ("Role".into(), Node::get_att(&ids.function_role, "Arn")),
        ("Code".into(), Node::map([("ZipFile", Node::s(code))])),
        ("Timeout".into(), Node::Int(10)),
        ("MemorySize".into(), Node::Int(128)),
        (
            "Environment".into(),
            Node::map([(
                "Variables",
                Node::map([
                    ("IDENTITY_POOL_ID", Node::ref_(&ids.pool)),
                    ("IOT_POLICY_NAMES", Node::ref_(&ids.iot_policy)),
                ]),
            )]),
        ),
        // Logs go to the group declared above (retention set, no "already exists" race).
        (
            "LoggingConfig".into(),
            Node::map([("LogGroup", Node::ref_(&ids.log_group))]),
        ),
    ];
    if let Some(c) = a.reserved_concurrency {
        props.push((
            "ReservedConcurrentExecutions".into(),
            Node::Int(i64::from(c)),
        ));
    }
    t.resources.push((
        ids.function.clone(),
        Resource {
            kind: "AWS::Lambda::Function",
            metadata: None,
            properties: Node::Map(props),
        },
    ));
}

fn outputs(pool: &str, ids: &PoolIds, guests: bool, t: &mut Template) {
    let prefix = super::ids::pascal(pool);
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
        "IotPolicyName",
        format!("IoT policy the attach function attaches to signed-in identities of {pool}"),
        Node::ref_(&ids.iot_policy),
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
}
