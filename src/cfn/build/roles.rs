//! The pool roles: the signed-in role (IAM role policy with the role's grants and the right to
//! call the attach function, plus its IoT policies) and the guest role (IAM alone), each
//! trusting one pool and one kind of identity, each with the note `simulate` and `diff` read.
//! Must not: build another family of resources.

use std::collections::{BTreeSet, HashMap};

use super::api::attach_route_arn;
use super::iot_policy::{iot_documents, iot_policy_name, iot_statements};
use super::{document, inline_policy, inline_role_metadata};
use crate::cfn::ids::PoolIds;
use crate::cfn::model::{Node, Resource, Template};
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::doc::{AMR_KEY, AUD_KEY, COGNITO_PRINCIPAL, Identities};
use crate::policy::{Broadening, Grants, Statement};
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
        vec![
            ("pool".to_owned(), Node::s(name)),
            (
                "roles".into(),
                Node::list(roles.iter().map(|r| Node::s(*r))),
            ),
            (
                "identities".into(),
                Node::s(Identities::Authenticated.amr()),
            ),
        ]
    } else {
        role_note(name, roles[0], Identities::Authenticated, None)
    };
    let documents = iot_documents(&union.statements());
    let own = broadened_by_document(&union.broadened, &documents);
    let count = documents.len();
    for (i, (statements, own)) in documents.iter().zip(own).enumerate() {
        let properties = Node::map([
            ("PolicyName", iot_policy_name(name, i)),
            (
                "PolicyDocument",
                document(iot_statements(statements, false)),
            ),
        ]);
        // Each policy names the broadened grants it holds, and only those: the pool's whole list
        // on every policy would grow with topics × policies.
        let mut note = note.clone();
        note.extend(broadened_note(own));
        t.push(
            &ids.iot_policy_n(i),
            Resource::new("AWS::IoT::Policy", properties)
                .with_metadata(Some(Node::map([("cogsynth", Node::Map(note))]))),
        );
    }
    count
}

/// For each IoT policy document, the broadened grants whose resource it holds (under the grant's
/// action), in `broadened`'s order. Each lands in exactly one document, as its resource does.
fn broadened_by_document<'a>(
    broadened: &'a BTreeSet<Broadening>,
    documents: &[Vec<Statement>],
) -> Vec<Vec<&'a Broadening>> {
    let mut holder: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, statements) in documents.iter().enumerate() {
        for s in statements {
            for r in &s.resources {
                holder.entry((s.action, r.as_str())).or_insert(i);
            }
        }
    }
    let mut own = vec![Vec::new(); documents.len()];
    for b in broadened {
        let i = holder.get(&(b.action, b.resource.as_str())).copied();
        debug_assert!(i.is_some(), "broadened {b:?} is in no IoT policy");
        own[i.unwrap_or(0)].push(b);
    }
    own
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
    let note = role_note(name, role, Identities::Authenticated, Some(&member));
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
    let note = role_note(
        name,
        &guests.role,
        Identities::Unauthenticated,
        Some(&guest),
    );
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
/// explains itself, and `simulate` and `diff` can read it back; with `g`, lists every broadened
/// grant of it. The entries of `Metadata.cogsynth`.
fn role_note(
    pool: &str,
    role: &str,
    identities: Identities,
    g: Option<&Grants>,
) -> Vec<(String, Node)> {
    let mut note = vec![
        ("pool".to_owned(), Node::s(pool)),
        ("role".into(), Node::s(role)),
        ("identities".into(), Node::s(identities.amr())),
    ];
    if let Some(g) = g {
        note.extend(broadened_note(&g.broadened));
    }
    note
}

/// The `broadened` entry of a note: every grant the translation had to widen.
fn broadened_note<'a>(
    broadened: impl IntoIterator<Item = &'a Broadening>,
) -> Option<(String, Node)> {
    let notes: Vec<Node> = broadened
        .into_iter()
        .map(|b| {
            Node::s(format!(
                "{} is granted as {}: in policies `*` also matches several topic levels, where MQTT `+` matches one",
                b.grant,
                b.resource.replace(IDENTITY, POLICY_IDENTITY)
            ))
        })
        .collect();
    if notes.is_empty() {
        return None;
    }
    Some(("broadened".into(), Node::List(notes)))
}
