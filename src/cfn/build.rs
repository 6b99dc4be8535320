//! Spec → template. A pure function: the same spec gives the same template, whatever the order
//! of keys in the file. Every AWS fact used here cites docs/aws-facts.md.

use crate::check::region_of;
use crate::lambda::{self, AttachSource};
use crate::limits;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::{Grants, Statement};
use crate::spec::{Guests, IdentityPool, Invoke, Spec, UserPool, ValueSource};

use super::ids::{DETACH_FUNCTION, DETACH_FUNCTION_LOGS, DETACH_FUNCTION_ROLE, PoolIds};
use super::model::{Node, Resource, Template};
use super::suppress::{self, Suppressions};

/// ARN prefix of IoT resources, from pseudo parameters so one template works in every
/// partition, region and account (docs/aws-facts.md §3.2).
const IOT_ARN: &str = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:";

/// Why the attach function's role has `Resource: "*"` (docs/aws-facts.md §5.2, SAR-IOT).
pub const ATTACH_WILDCARD_REASON: &str = "iot:AttachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it cannot be scoped to a policy or identity ARN and needs Resource \"*\". The function attaches only the policy names in its IOT_POLICY_NAMES environment variable, to the caller's own identity id from the invocation context.";

/// The same, short enough to repeat in every linter's suppression entry.
const ATTACH_WILDCARD_SHORT: &str = "iot:AttachPolicy cannot be scoped for Cognito identity targets (no resource type); the function attaches only its configured policies to the caller's own identity";

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
    if spec.attach.detach_on_delete {
        detach_function(spec, &mut t);
    }
    t
}

fn build_pool(spec: &Spec, name: &str, pool: &IdentityPool, t: &mut Template) {
    let ids = PoolIds::new(name);
    identity_pool(spec, name, pool, &ids, t);
    let policies = member_role(spec, name, pool, &ids, t);
    if let Some(g) = &pool.unauthenticated {
        guest_role(spec, name, g, &ids, t);
    }
    attach_function(spec, name, &ids, policies, t);
    if spec.attach.invoke == Invoke::ApiGateway {
        attach_api(name, &ids, t);
    }
    if spec.attach.detach_on_delete {
        detach_cleanups(name, &ids, policies, t);
    }
    outputs(
        name,
        &ids,
        pool.unauthenticated.is_some(),
        spec.attach.invoke == Invoke::ApiGateway,
        policies,
        t,
    );
}

/// The pool and its role attachment.
fn identity_pool(spec: &Spec, name: &str, pool: &IdentityPool, ids: &PoolIds, t: &mut Template) {
    let guests = pool.unauthenticated.as_ref();
    let pool_name = match &pool.name {
        Some(n) => Node::s(n),
        None => Node::sub(format!("${{AWS::StackName}}-{name}")),
    };
    let providers = pool.user_pools.iter().map(provider).collect();
    let properties = Node::map([
        ("IdentityPoolName", pool_name),
        (
            "AllowUnauthenticatedIdentities",
            Node::Bool(guests.is_some()),
        ),
        // Classic flow lets a client assume any role whose trust accepts its token;
        // enhanced flow only (docs/aws-facts.md §2.4).
        ("AllowClassicFlow", Node::Bool(false)),
        ("CognitoIdentityProviders", Node::List(providers)),
    ]);
    // Guest access is by design here, with its reason: tell the other linters the same.
    let metadata = guests.and_then(|g| {
        let reason = waiver_reason(spec, "CIP-POOL-001").unwrap_or(&g.reason);
        let mut s = Suppressions::default();
        s.add(&suppress::GUEST_POOL, reason);
        s.metadata(vec![("guest_access_reason".to_owned(), Node::s(&g.reason))])
    });
    t.push(
        &ids.pool,
        Resource::new("AWS::Cognito::IdentityPool", properties).with_metadata(metadata),
    );

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
    let properties = Node::map([
        ("IdentityPoolId", Node::ref_(&ids.pool)),
        ("Roles", Node::Map(roles)),
    ]);
    t.push(
        &ids.attachment,
        Resource::new("AWS::Cognito::IdentityPoolRoleAttachment", properties),
    );
}

/// Signed-in identities: IAM role ∩ IoT policy (docs/aws-facts.md §4), built from the same grants.
/// Returns how many IoT policies the role needed.
fn member_role(
    spec: &Spec,
    name: &str,
    pool: &IdentityPool,
    ids: &PoolIds,
    t: &mut Template,
) -> usize {
    let member = Grants::of_role(spec, &pool.authenticated);
    let mut statements = iot_statements(&member.statements(), true);
    // Only signed-in identities may call the attach function: directly, or through the API.
    statements.push(match spec.attach.invoke {
        Invoke::Direct => Node::map([
            ("Sid", Node::s("InvokeAttachFunction")),
            ("Effect", Node::s("Allow")),
            ("Action", Node::s("lambda:InvokeFunction")),
            ("Resource", Node::get_att(&ids.function, "Arn")),
        ]),
        Invoke::ApiGateway => Node::map([
            ("Sid", Node::s("CallAttachApi")),
            ("Effect", Node::s("Allow")),
            ("Action", Node::s("execute-api:Invoke")),
            ("Resource", Node::sub(attach_route_arn(ids))),
        ]),
    });
    let description = format!(
        "Signed-in identities of identity pool {name}: role {}",
        pool.authenticated
    );
    let properties = Node::map([
        ("Description", Node::s(description)),
        (
            "AssumeRolePolicyDocument",
            trust(&ids.pool, "authenticated"),
        ),
        (
            "Policies",
            Node::list([inline_policy("mqtt-and-attach", statements)]),
        ),
    ]);
    let note = role_note(name, &pool.authenticated, "authenticated", &member);
    t.push(
        &ids.authenticated_role,
        Resource::new("AWS::IAM::Role", properties)
            .with_metadata(inline_role_metadata(note.clone())),
    );

    // One IoT policy holds at most 2,048 characters: spread the grants over as many as needed;
    // the attach function attaches them all (limits::check refuses more than ten).
    let documents = iot_documents(&member.statements());
    let count = documents.len();
    for (i, statements) in documents.into_iter().enumerate() {
        let properties = Node::map([
            ("PolicyName", iot_policy_name(name, i)),
            ("PolicyDocument", document(statements)),
        ]);
        t.push(
            &ids.iot_policy_n(i),
            Resource::new("AWS::IoT::Policy", properties)
                .with_metadata(Some(Node::map([("cogsynth", Node::Map(note.clone()))]))),
        );
    }
    count
}

/// Guests get the IAM role alone: IoT policies do not apply to them (docs/aws-facts.md §4).
fn guest_role(spec: &Spec, name: &str, guests: &Guests, ids: &PoolIds, t: &mut Template) {
    let guest = Grants::of_role(spec, &guests.role);
    let description = format!(
        "Guests (unauthenticated identities) of identity pool {name}: role {}",
        guests.role
    );
    let mut properties = vec![
        ("Description".to_owned(), Node::s(description)),
        (
            "AssumeRolePolicyDocument".into(),
            trust(&ids.pool, "unauthenticated"),
        ),
    ];
    let note = role_note(name, &guests.role, "unauthenticated", &guest);
    let metadata = if guest.is_empty() {
        Some(Node::map([("cogsynth", Node::Map(note))]))
    } else {
        let statements = iot_statements(&guest.statements(), true);
        properties.push((
            "Policies".into(),
            Node::list([inline_policy("mqtt", statements)]),
        ));
        inline_role_metadata(note)
    };
    let role = Resource::new("AWS::IAM::Role", Node::Map(properties)).with_metadata(metadata);
    t.push(&ids.unauthenticated_role, role);
}

/// The IoT policy documents of a role: its statements split, resource by resource, into the
/// fewest documents within IoT's size limit.
fn iot_documents(statements: &[Statement]) -> Vec<Vec<Node>> {
    // Compact JSON is additive: a document measures its frame, plus per statement its frame and
    // its resources, plus one comma between neighbours. So sizes are summed, not re-serialised
    // (the sum is checked against a full measurement in tests and debug builds).
    let base = limits::document_chars(&document(Vec::new()));
    let frame = |action: &'static str| {
        let empty = Statement {
            sid: "",
            action,
            resources: Vec::new(),
        };
        limits::document_chars(&document(iot_statements(&[empty], false))) - base
    };
    let cost = |r: &str| limits::document_chars(&Node::sub(format!("{IOT_ARN}{}", sub_escape(r))));

    let mut groups: Vec<(Vec<Statement>, usize)> = Vec::new();
    let mut current: Vec<Statement> = Vec::new();
    let mut size = base;
    for s in statements {
        let frame = frame(s.action);
        for r in &s.resources {
            let c = cost(r);
            let same = current.last().is_some_and(|last| last.action == s.action);
            let grow = if same {
                c + 1
            } else {
                frame + c + usize::from(!current.is_empty())
            };
            if size + grow > limits::IOT_POLICY_CHARS && !current.is_empty() {
                groups.push((std::mem::take(&mut current), size));
                size = base;
            }
            if let Some(last) = current.last_mut().filter(|last| last.action == s.action) {
                last.resources.push(r.clone());
                size += c + 1;
            } else {
                size += frame + c + usize::from(!current.is_empty());
                current.push(Statement {
                    sid: s.sid,
                    action: s.action,
                    resources: vec![r.clone()],
                });
            }
        }
    }
    if !current.is_empty() || groups.is_empty() {
        groups.push((current, size));
    }
    groups
        .into_iter()
        .map(|(g, size)| {
            let nodes = iot_statements(&g, false);
            debug_assert_eq!(
                limits::document_chars(&document(nodes.clone())),
                size,
                "summed and measured sizes differ"
            );
            nodes
        })
        .collect()
}

/// The names of a pool's IoT policies, comma-separated, as the attach function reads them.
fn iot_policy_names(pool: &str, count: usize) -> Node {
    let names: Vec<String> = (0..count).map(|i| iot_policy_name_text(pool, i)).collect();
    Node::sub(names.join(","))
}

fn iot_policy_name_text(pool: &str, index: usize) -> String {
    if index == 0 {
        format!("${{AWS::StackName}}-{pool}")
    } else {
        format!("${{AWS::StackName}}-{pool}-{}", index + 1)
    }
}

/// The IoT policy's name: `<stack>-<pool>`, unique per account and region because stack names
/// are. Named rather than generated so the attach function's configuration does not depend on a
/// `Ref` (moto returns an empty one for IoT policies, see README "Deploy rehearsal"), and so the
/// policy is recognisable in the IoT console. IoT policies are not IAM resources, so
/// `CAPABILITY_IAM` still suffices (docs/aws-facts.md §6.2).
fn iot_policy_name(pool: &str, index: usize) -> Node {
    Node::sub(iot_policy_name_text(pool, index))
}

/// `cognito-idp.<region>.amazonaws.com/<user pool id>` (docs/aws-facts.md §1.1).
fn provider(up: &UserPool) -> Node {
    let name = match (&up.user_pool_id, &up.region) {
        (ValueSource::Literal(id), Some(region)) => {
            Node::s(format!("cognito-idp.{region}.amazonaws.com/{id}"))
        }
        (ValueSource::Literal(id), None) => match region_of(id) {
            Some(region) => Node::s(format!("cognito-idp.{region}.amazonaws.com/{id}")),
            None => Node::sub(format!("cognito-idp.${{AWS::Region}}.amazonaws.com/{id}")),
        },
        (other, region) => {
            // A user pool id is `<region>_<id>` (docs/aws-facts.md §1.9), so its region comes from the id
            // itself at deploy time: right even when one template serves several regions.
            let id = value(other);
            let region = match region {
                Some(r) => Node::s(r),
                None => Node::map([(
                    "Fn::Select",
                    Node::list([
                        Node::Int(0),
                        Node::map([("Fn::Split", Node::list([Node::s("_"), id.clone()]))]),
                    ]),
                )]),
            };
            Node::sub_with(
                "cognito-idp.${Region}.amazonaws.com/${UserPoolId}",
                vec![("Region".into(), region), ("UserPoolId".into(), id)],
            )
        }
    };
    Node::map([
        ("ProviderName", name),
        ("ClientId", value(&up.client_id)),
        // Secure default: a signed-out or deleted user gets no new credentials (docs/aws-facts.md §1.1).
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

/// Trust pinned to this pool (`aud`) and this kind of identity (`amr`) (docs/aws-facts.md §2.1, §2.3).
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
/// `${!...}` because the ARN is built with `Fn::Sub` (docs/aws-facts.md §1.11).
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

/// Says which pool, role and kind of identity a role or IoT policy serves, so the template
/// explains itself, and `simulate` and `diff` can read it back; lists every broadened grant.
/// The entries of `Metadata.cogsynth`.
fn role_note(pool: &str, role: &str, identities: &str, g: &Grants) -> Vec<(String, Node)> {
    let mut note = vec![
        ("pool".to_owned(), Node::s(pool)),
        ("role".into(), Node::s(role)),
        ("identities".into(), Node::s(identities)),
    ];
    if !g.broadened.is_empty() {
        let notes = g.broadened.iter().map(|b| {
            Node::s(format!(
                "{} is granted as {}: in policies `*` also matches several topic levels, where MQTT `+` matches one",
                b.grant,
                b.resource.replace(IDENTITY, POLICY_IDENTITY)
            ))
        });
        note.push(("broadened".into(), Node::list(notes)));
    }
    note
}

fn attach_function(spec: &Spec, pool: &str, ids: &PoolIds, policies: usize, t: &mut Template) {
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

/// Why the detach function's role has `Resource: "*"`: like AttachPolicy, iot:DetachPolicy has
/// only `cert` and `thinggroup` resource types (Service Authorization Reference, as mirrored by
/// iam-floyd `lib/awsiot.ts`), and a Cognito identity target has no ARN.
pub const DETACH_WILDCARD_REASON: &str = "iot:DetachPolicy has no resource type for a Cognito identity target (its only resource types are cert and thinggroup), so it needs Resource \"*\". The function detaches targets only from the IoT policy named in the custom resource request that CloudFormation sends when the policy is deleted or replaced.";

const DETACH_WILDCARD_SHORT: &str = "iot:DetachPolicy cannot be scoped for Cognito identity targets (no resource type); the function only empties this stack's IoT policies before CloudFormation deletes them";

/// The lifecycle fix (docs/aws-facts.md §1.4): a policy attached to identities cannot be deleted
/// (DeleteConflictException), so each IoT policy gets a custom resource that depends on it;
/// CloudFormation deletes that first, and its handler detaches every identity. A renamed policy
/// gives the custom resource a new physical id, so the old one is deleted the same way.
fn detach_function(spec: &Spec, t: &mut Template) {
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
            Node::sub(format!("{IOT_ARN}policy/${{AWS::StackName}}-{pool}")),
            Node::sub(format!("{IOT_ARN}policy/${{AWS::StackName}}-{pool}-*")),
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
fn detach_cleanups(pool: &str, ids: &PoolIds, policies: usize, t: &mut Template) {
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

/// `POST /attach` of the pool's API, any stage, as an `execute-api` ARN (for `Fn::Sub`).
fn attach_route_arn(ids: &PoolIds) -> String {
    format!(
        "arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:${{AWS::AccountId}}:${{{}}}/*/POST/attach",
        ids.api
    )
}

/// `invoke: api-gateway`: a REST API whose one route, `POST /attach`, requires SigV4 signing
/// with the caller's identity-pool credentials (`AWS_IAM`), so API Gateway fills
/// `requestContext.identity` with the caller's Cognito identity (docs/security-rules.md M11); a
/// Lambda proxy integration hands that to the attach function. Only API Gateway, and only this
/// route, may invoke the function (SourceArn and SourceAccount: CKV_AWS_364).
fn attach_api(pool: &str, ids: &PoolIds, t: &mut Template) {
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
            Node::sub(format!(
                "arn:${{AWS::Partition}}:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{}.Arn}}/invocations",
                ids.function
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

/// A function may write its own log group's streams, nothing else. The log group's `Arn`
/// attribute ends in `:*`, covering its streams (docs/aws-facts.md §1.8).
fn own_logs(log_group: &str) -> Node {
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
        ("Resource", Node::get_att(log_group, "Arn")),
    ])
}

fn lambda_trust() -> Node {
    document(vec![Node::map([
        ("Effect", Node::s("Allow")),
        (
            "Principal",
            Node::map([("Service", Node::s("lambda.amazonaws.com"))]),
        ),
        ("Action", Node::s("sts:AssumeRole")),
    ])])
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

/// A function role's metadata: why `Resource: "*"` (`long` in the note, `short` in each tool's
/// entry), and its inline policy.
fn function_role_metadata(long: &str, short: &str) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::WILDCARD_RESOURCE, short)
        .add(&suppress::INLINE_POLICY, suppress::INLINE_POLICY_REASON);
    s.metadata(vec![("wildcard_resource_reason".to_owned(), Node::s(long))])
}

/// The metadata of a role with an inline policy: its `note`, and the inline policy's reason.
fn inline_role_metadata(note: Vec<(String, Node)>) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::INLINE_POLICY, suppress::INLINE_POLICY_REASON);
    s.metadata(note)
}

/// A function's log group: no customer managed key (never needed: CloudWatch Logs encrypts at
/// rest), and a retention under a year when the spec chose one.
fn log_group_metadata(retention_days: u32) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::LOG_GROUP_KEY, suppress::LOG_GROUP_KEY_REASON);
    if retention_days < suppress::YEAR_OF_RETENTION {
        s.add(
            &suppress::SHORT_RETENTION,
            &suppress::short_retention_reason(retention_days),
        );
    }
    s.metadata(Vec::new())
}

/// The reason of the spec's waiver of `rule`, if any.
fn waiver_reason<'a>(spec: &'a Spec, rule: &str) -> Option<&'a str> {
    spec.waivers
        .iter()
        .find(|w| w.rule == rule)
        .map(|w| w.reason.as_str())
}

fn outputs(pool: &str, ids: &PoolIds, guests: bool, api: bool, policies: usize, t: &mut Template) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    fn built(text: &str) -> serde_json::Value {
        let loaded = spec::load("t.yaml", text.as_bytes()).expect("valid spec");
        serde_json::to_value(build(&loaded.spec, "t.yaml").to_node()).unwrap()
    }

    const SPEC: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\nroles:\n  member: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: eu-west-1_Abc, client_id: abc }]\n    authenticated: member\n";

    #[test]
    fn trust_is_pinned_to_the_pool_and_the_kind_of_identity() {
        let t = built(SPEC);
        let st = &t["Resources"]["AppAuthenticatedRole"]["Properties"]["AssumeRolePolicyDocument"]
            ["Statement"][0];
        assert_eq!(
            st["Principal"]["Federated"],
            "cognito-identity.amazonaws.com"
        );
        assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            st["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"]["Ref"],
            "AppIdentityPool"
        );
        assert_eq!(
            st["Condition"]["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"],
            "authenticated"
        );
        assert_eq!(
            t["Resources"]["AppIdentityPool"]["Properties"]["AllowClassicFlow"],
            false
        );
        assert_eq!(
            t["Resources"]["AppIdentityPool"]["Properties"]["AllowUnauthenticatedIdentities"],
            false
        );
        assert!(
            t["Resources"].get("AppUnauthenticatedRole").is_none(),
            "no guest role without guests"
        );
    }

    #[test]
    fn identity_placeholders_are_escaped_inside_sub() {
        let t = built(SPEC);
        let r = &t["Resources"]["AppIotPolicy"]["Properties"]["PolicyDocument"]["Statement"][1]["Resource"]
            [0]["Fn::Sub"];
        assert_eq!(
            r,
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/d/${!cognito-identity.amazonaws.com:sub}/t"
        );
    }

    #[test]
    fn provider_names_follow_the_user_pool_id() {
        let literal = built(SPEC);
        assert_eq!(
            literal["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"][0]["ProviderName"],
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
        );
        let region =
            built(&SPEC.replace("client_id: abc }", "client_id: abc, region: us-west-2 }"));
        assert_eq!(
            region["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"][0]["ProviderName"],
            "cognito-idp.us-west-2.amazonaws.com/eu-west-1_Abc"
        );
        let imported = built(&SPEC.replace(
            "user_pool_id: eu-west-1_Abc",
            "user_pool_id: { import: auth-PoolId }",
        ));
        let sub = &imported["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"]
            [0]["ProviderName"]["Fn::Sub"];
        assert_eq!(sub[0], "cognito-idp.${Region}.amazonaws.com/${UserPoolId}");
        assert_eq!(
            sub[1]["Region"]["Fn::Select"][1]["Fn::Split"][1]["Fn::ImportValue"],
            "auth-PoolId"
        );
    }

    #[test]
    fn by_design_and_waived_findings_carry_suppressions_with_their_reason() {
        let guests = "    authenticated: member\n    unauthenticated: { role: member, reason: the lobby is public by design }\n";
        let t = built(&SPEC.replace("    authenticated: member\n", guests));
        let role = &t["Resources"]["AppAttachFunctionRole"]["Metadata"];
        assert_eq!(role["cfn_nag"]["rules_to_suppress"][0]["id"], "W11");
        assert_eq!(role["checkov"]["skip"][0]["id"], "CKV_AWS_109");
        assert_eq!(
            role["cdk_nag"]["rules_to_suppress"][0]["applies_to"][0],
            "Resource::*"
        );
        assert_eq!(
            role["guard"]["SuppressedRules"][0],
            "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"
        );
        let pool = &t["Resources"]["AppIdentityPool"]["Metadata"];
        assert_eq!(
            pool["checkov"]["skip"][0]["comment"],
            "the lobby is public by design"
        );
        // A waiver's reason replaces the guest reason in what the other tools read.
        let waived = format!(
            "{}waivers:\n  - {{ rule: CIP-POOL-001, reason: reviewed by the security team }}\n",
            SPEC.replace("    authenticated: member\n", guests)
        );
        let t = built(&waived);
        let pool = &t["Resources"]["AppIdentityPool"]["Metadata"];
        assert_eq!(
            pool["cfn_nag"]["rules_to_suppress"][0],
            serde_json::json!({ "id": "W57", "reason": "reviewed by the security team" })
        );
        assert_eq!(
            pool["cdk_nag"]["rules_to_suppress"][0]["id"],
            "AwsSolutions-COG7"
        );
        assert_eq!(
            pool["cogsynth"]["guest_access_reason"],
            "the lobby is public by design"
        );
        // Without guests there is nothing to suppress on the pool.
        assert!(
            built(SPEC)["Resources"]["AppIdentityPool"]
                .get("Metadata")
                .is_none()
        );
    }

    fn skipped(t: &serde_json::Value, id: &str) -> Vec<(String, String)> {
        t["Resources"][id]["Metadata"]["checkov"]["skip"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_owned(),
                    e["comment"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn guarded(t: &serde_json::Value, id: &str) -> Vec<String> {
        t["Resources"][id]["Metadata"]["guard"]["SuppressedRules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn reserved_concurrency_is_the_specs_and_its_absence_is_explained() {
        // Unset: no reservation (a default fails deploys on small accounts), and the scanners'
        // finding is suppressed with a reason that names the option.
        let t = built(SPEC);
        assert!(
            t["Resources"]["AppAttachFunction"]["Properties"]
                .get("ReservedConcurrentExecutions")
                .is_none()
        );
        let skip = skipped(&t, "AppAttachFunction");
        let (_, reason) = skip.iter().find(|(id, _)| id == "CKV_AWS_115").unwrap();
        assert!(reason.contains("attach.reserved_concurrency"), "{reason}");
        assert!(guarded(&t, "AppAttachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));

        // Set: the reservation, and nothing to suppress for it (the rest stays).
        let t = built(&format!("{SPEC}attach: {{ reserved_concurrency: 5 }}\n"));
        assert_eq!(
            t["Resources"]["AppAttachFunction"]["Properties"]["ReservedConcurrentExecutions"],
            5
        );
        let skip = skipped(&t, "AppAttachFunction");
        assert!(!skip.iter().any(|(id, _)| id == "CKV_AWS_115"), "{skip:?}");
        assert!(skip.iter().any(|(id, _)| id == "CKV_AWS_116"), "{skip:?}");
        assert!(!guarded(&t, "AppAttachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));

        // The detach function never has one: only CloudFormation invokes it.
        for t in [&built(SPEC), &t] {
            assert!(
                t["Resources"]["DetachFunction"]["Properties"]
                    .get("ReservedConcurrentExecutions")
                    .is_none()
            );
            let skip = skipped(t, "DetachFunction");
            let (_, reason) = skip.iter().find(|(id, _)| id == "CKV_AWS_115").unwrap();
            assert!(
                reason.starts_with("Only CloudFormation invokes it"),
                "{reason}"
            );
            assert!(guarded(t, "DetachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));
        }
    }

    #[test]
    fn a_year_of_retention_needs_no_retention_suppression() {
        let short = built(SPEC);
        for id in ["AppAttachFunctionLogs", "DetachFunctionLogs"] {
            assert_eq!(
                short["Resources"][id]["Metadata"]["cogsynth"]["retention_reason"],
                "Kept 90 days as attach.log_retention_days says (365 satisfies this rule)"
            );
        }
        let year = built(&format!("{SPEC}attach: {{ log_retention_days: 365 }}\n"));
        for id in ["AppAttachFunctionLogs", "DetachFunctionLogs"] {
            let m = &year["Resources"][id]["Metadata"];
            assert!(m["cogsynth"].get("retention_reason").is_none(), "{m}");
            assert_eq!(
                guarded(&year, id),
                [
                    "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
                    "CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK"
                ]
            );
        }
    }

    #[test]
    fn the_attach_function_learns_its_api_id_in_api_gateway_mode_only() {
        let variables = |t: &serde_json::Value| {
            t["Resources"]["AppAttachFunction"]["Properties"]["Environment"]["Variables"].clone()
        };
        let direct = built(SPEC);
        assert!(variables(&direct).get("ATTACH_API_ID").is_none());
        assert!(direct["Resources"].get("AppAttachApi").is_none());

        let api = built(&format!("{SPEC}attach: {{ invoke: api-gateway }}\n"));
        assert_eq!(
            variables(&api)["ATTACH_API_ID"],
            serde_json::json!({ "Ref": "AppAttachApi" })
        );
        assert_eq!(
            api["Resources"]["AppAttachApi"]["Type"],
            "AWS::ApiGateway::RestApi"
        );
        // The API references nothing of the function's, so the Ref above closes no dependency cycle.
        let rest_api = api["Resources"]["AppAttachApi"].to_string();
        assert!(!rest_api.contains("AppAttachFunction"), "{rest_api}");
    }

    #[test]
    fn only_the_authenticated_role_may_invoke_the_attach_function() {
        let t = built(&SPEC.replace("    authenticated: member\n", "    authenticated: member\n    unauthenticated: { role: member, reason: everyone may do what members do }\n"));
        let invokes = |role: &str| {
            t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["Action"] == "lambda:InvokeFunction")
        };
        assert!(invokes("AppAuthenticatedRole"));
        assert!(!invokes("AppUnauthenticatedRole"));
    }
}
