//! The identity pool and its role attachment: user pool providers (region from the user pool
//! id), guests only with a reason, the classic flow off, and the suppressions a pool with guests
//! carries for the linters.
//! Must not: build another family of resources.

use super::waiver_reason;
use crate::cfn::ids::PoolIds;
use crate::cfn::model::{Node, Resource, Template};
use crate::cfn::suppress::{self, Suppressions};
use crate::policy::doc::Identities;
use crate::spec::{IdentityPool, Spec, UserPool, ValueSource, user_pool_region};

/// The pool and its role attachment.
pub(super) fn identity_pool(
    spec: &Spec,
    name: &str,
    pool: &IdentityPool,
    ids: &PoolIds,
    t: &mut Template,
) {
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
        Identities::Authenticated.amr().to_owned(),
        Node::get_att(&ids.authenticated_role, "Arn"),
    )];
    if guests.is_some() {
        roles.push((
            Identities::Unauthenticated.amr().into(),
            Node::get_att(&ids.unauthenticated_role, "Arn"),
        ));
    }
    let mut properties = vec![
        ("IdentityPoolId".to_owned(), Node::ref_(&ids.pool)),
        ("Roles".into(), Node::Map(roles)),
    ];
    if pool.is_mapped() {
        properties.push(("RoleMappings".into(), role_mappings(pool, ids)));
    }
    t.push(
        &ids.attachment,
        Resource::new(
            "AWS::Cognito::IdentityPoolRoleAttachment",
            Node::Map(properties),
        ),
    );
}

/// Rule-based role mapping, the same rules for every user pool of the pool (docs/aws-facts.md
/// §2.5). A map key cannot be an intrinsic function, so each entry has a fixed key
/// (`UserPool1`, ...) and names its provider in `IdentityProvider`:
/// `cognito-idp.<region>.amazonaws.com/<user pool id>:<app client id>`.
fn role_mappings(pool: &IdentityPool, ids: &PoolIds) -> Node {
    let default = pool.default_role();
    let rules: Vec<Node> = pool
        .rules()
        .iter()
        .map(|r| {
            let (match_type, value) = r.test();
            Node::map([
                ("Claim", Node::s(&r.claim)),
                ("MatchType", Node::s(match_type.cognito())),
                ("Value", Node::s(value)),
                (
                    "RoleARN",
                    Node::get_att(
                        &ids.signed_in_role(&r.role, default == Some(r.role.as_str())),
                        "Arn",
                    ),
                ),
            ])
        })
        .collect();
    let resolution = if default.is_some() {
        "AuthenticatedRole"
    } else {
        "Deny"
    };
    let entries = pool.user_pools.iter().enumerate().map(|(i, up)| {
        (
            format!("UserPool{}", i + 1),
            Node::map([
                ("IdentityProvider", identity_provider(up)),
                ("Type", Node::s("Rules")),
                ("AmbiguousRoleResolution", Node::s(resolution)),
                (
                    "RulesConfiguration",
                    Node::map([("Rules", Node::List(rules.clone()))]),
                ),
            ]),
        )
    });
    Node::Map(entries.collect())
}

/// `<provider name>:<app client id>`, the key Cognito's role mappings use for a user pool
/// (docs/aws-facts.md §2.5).
fn identity_provider(up: &UserPool) -> Node {
    let name = provider_name(up);
    let client = value(&up.client_id);
    match (name.as_str(), client.as_str()) {
        (Some(n), Some(c)) => Node::s(format!("{n}:{c}")),
        _ => Node::join("", vec![name, Node::s(":"), client]),
    }
}

/// `cognito-idp.<region>.amazonaws.com/<user pool id>` (docs/aws-facts.md §1.1).
fn provider(up: &UserPool) -> Node {
    let name = provider_name(up);
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

/// The `ProviderName` of a user pool.
fn provider_name(up: &UserPool) -> Node {
    match (&up.user_pool_id, &up.region) {
        (ValueSource::Literal(id), Some(region)) => {
            Node::s(format!("cognito-idp.{region}.amazonaws.com/{id}"))
        }
        (ValueSource::Literal(id), None) => match user_pool_region(id) {
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
    }
}

fn value(v: &ValueSource) -> Node {
    match v {
        ValueSource::Literal(s) => Node::s(s),
        ValueSource::Param { param } => Node::ref_(param),
        ValueSource::Import { import } => Node::import(import),
    }
}
