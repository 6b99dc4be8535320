//! The pool roles: the signed-in role (IAM role policy with the role's grants and the right to
//! call the attach function, plus its IoT policies) and the guest role (IAM alone), each
//! trusting one pool and one kind of identity, each with the note `simulate` and `diff` read.
//! Must not: build another family of resources.

use super::api::attach_route_arn;
use super::iot_policy::{iot_documents, iot_policy_name, iot_statements};
use super::{document, inline_policy, inline_role_metadata};
use crate::cfn::ids::PoolIds;
use crate::cfn::model::{Node, Resource, Template};
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::Grants;
use crate::policy::doc::{AMR_KEY, AUD_KEY, COGNITO_PRINCIPAL, Identities};
use crate::spec::{Guests, IdentityPool, Invoke, Spec};

/// Signed-in identities: IAM role ∩ IoT policy (docs/aws-facts.md §4). One IAM role per role a
/// signed-in identity may get (the pool's one role, or each role of its mapping), each with its
/// own grants; one set of IoT policies per pool with the union of those grants, which the attach
/// function attaches to every signed-in identity. The IAM role bounds each identity to its own
/// role's grants (README "Roles for every kind of signed-in user"). With `unmatched: deny` the
/// pool's authenticated role is a role without any policy: Cognito gives it to nobody a mapping
/// covers, and it would grant nothing if it did. Returns how many IoT policies the pool needed.
pub(super) fn member_roles(
    spec: &Spec,
    name: &str,
    pool: &IdentityPool,
    ids: &PoolIds,
    t: &mut Template,
) -> usize {
    let roles = pool.signed_in_roles();
    let default = pool.default_role();
    for role in &roles {
        member_role(spec, name, role, default == Some(*role), ids, t);
    }
    if default.is_none() {
        let properties = Node::map([
            (
                "Description",
                Node::s(format!(
                    "Signed-in identities of identity pool {name} that no mapping rule matches: Cognito denies them (unmatched: deny); this role grants nothing"
                )),
            ),
            (
                "AssumeRolePolicyDocument",
                trust(&ids.pool, Identities::Authenticated),
            ),
        ]);
        let note = Node::map([(
            "cogsynth",
            Node::map([
                ("pool", Node::s(name)),
                ("identities", Node::s(Identities::Authenticated.amr())),
                ("unmatched", Node::s("deny")),
            ]),
        )]);
        t.push(
            &ids.authenticated_role,
            Resource::new("AWS::IAM::Role", properties).with_metadata(Some(note)),
        );
    }

    // One IoT policy holds at most 2,048 characters: spread the grants over as many as needed;
    // the attach function attaches them all (limits::check refuses more than ten).
    let union = Grants::of_roles(spec, &roles);
    let note = if pool.is_mapped() {
        let mut note = vec![
            ("pool".to_owned(), Node::s(name)),
            (
                "roles".into(),
                Node::list(roles.iter().map(|r| Node::s(*r))),
            ),
            (
                "identities".into(),
                Node::s(Identities::Authenticated.amr()),
            ),
        ];
        note.extend(broadened_note(&union));
        note
    } else {
        role_note(name, roles[0], Identities::Authenticated, &union)
    };
    let documents = iot_documents(&union.statements());
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

/// The IAM role of signed-in identities that get `role`: its grants, and the right to call the
/// attach function.
fn member_role(
    spec: &Spec,
    name: &str,
    role: &str,
    is_default: bool,
    ids: &PoolIds,
    t: &mut Template,
) {
    let member = Grants::of_role(spec, role);
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
    let description = format!("Signed-in identities of identity pool {name}: role {role}");
    let properties = Node::map([
        ("Description", Node::s(description)),
        (
            "AssumeRolePolicyDocument",
            trust(&ids.pool, Identities::Authenticated),
        ),
        (
            "Policies",
            Node::list([inline_policy("mqtt-and-attach", statements)]),
        ),
    ]);
    let note = role_note(name, role, Identities::Authenticated, &member);
    t.push(
        &ids.signed_in_role(role, is_default),
        Resource::new("AWS::IAM::Role", properties).with_metadata(inline_role_metadata(note)),
    );
}

/// Guests get the IAM role alone: IoT policies do not apply to them (docs/aws-facts.md §4).
pub(super) fn guest_role(
    spec: &Spec,
    name: &str,
    guests: &Guests,
    ids: &PoolIds,
    t: &mut Template,
) {
    let guest = Grants::of_role(spec, &guests.role);
    let description = format!(
        "Guests (unauthenticated identities) of identity pool {name}: role {}",
        guests.role
    );
    let mut properties = vec![
        ("Description".to_owned(), Node::s(description)),
        (
            "AssumeRolePolicyDocument".into(),
            trust(&ids.pool, Identities::Unauthenticated),
        ),
    ];
    let note = role_note(name, &guests.role, Identities::Unauthenticated, &guest);
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

/// Trust pinned to this pool (`aud`) and this kind of identity (`amr`) (docs/aws-facts.md §2.1, §2.3).
fn trust(pool_id: &str, identities: Identities) -> Node {
    document(vec![Node::map([
        ("Effect", Node::s("Allow")),
        (
            "Principal",
            Node::map([("Federated", Node::s(COGNITO_PRINCIPAL))]),
        ),
        ("Action", Node::s("sts:AssumeRoleWithWebIdentity")),
        (
            "Condition",
            Node::map([
                ("StringEquals", Node::map([(AUD_KEY, Node::ref_(pool_id))])),
                (
                    "ForAnyValue:StringLike",
                    Node::map([(AMR_KEY, Node::s(identities.amr()))]),
                ),
            ]),
        ),
    ])])
}

/// Says which pool, role and kind of identity a role or IoT policy serves, so the template
/// explains itself, and `simulate` and `diff` can read it back; lists every broadened grant.
/// The entries of `Metadata.cogsynth`.
fn role_note(pool: &str, role: &str, identities: Identities, g: &Grants) -> Vec<(String, Node)> {
    let mut note = vec![
        ("pool".to_owned(), Node::s(pool)),
        ("role".into(), Node::s(role)),
        ("identities".into(), Node::s(identities.amr())),
    ];
    note.extend(broadened_note(g));
    note
}

/// The `broadened` entry of a note: every grant the translation had to widen.
fn broadened_note(g: &Grants) -> Option<(String, Node)> {
    if g.broadened.is_empty() {
        return None;
    }
    let notes = g.broadened.iter().map(|b| {
        Node::s(format!(
            "{} is granted as {}: in policies `*` also matches several topic levels, where MQTT `+` matches one",
            b.grant,
            b.resource.replace(IDENTITY, POLICY_IDENTITY)
        ))
    });
    Some(("broadened".into(), Node::list(notes)))
}
