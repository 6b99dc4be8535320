//! Reads the policy documents back out of a generated template (our own, or one from another git
//! revision), per role: the IAM statements of each pool role and the IoT policy statements of the
//! authenticated role. `simulate`, `expect` and `diff` evaluate these, so they judge what was
//! emitted, not what the spec meant. Roles are found through the `Metadata.cogsynth` note that
//! `cfn::build` writes on every pool role and IoT policy.

use std::fmt;

use serde_json::Value;

use crate::spec::IdentityKind;

/// Allow or deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Effect {
    /// `"Effect": "Allow"`.
    Allow,
    /// `"Effect": "Deny"`.
    Deny,
}

/// Which authorization layer a statement belongs to (docs/aws-facts.md §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// The identity-pool role's IAM policy.
    Iam,
    /// The IoT policy attached to the identity.
    Iot,
}

impl Layer {
    /// "IAM role policy" / "IoT policy".
    pub fn words(self) -> &'static str {
        match self {
            Layer::Iam => "IAM role policy",
            Layer::Iot => "IoT policy",
        }
    }
}

/// One statement, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt {
    /// Layer.
    pub layer: Layer,
    /// Logical id of the role or IoT policy resource.
    pub resource: String,
    /// Inline policy name (IAM), or the IoT policy's logical id.
    pub policy: String,
    /// Position in the document's `Statement` list, 0-based.
    pub index: usize,
    /// `Sid`, when present.
    pub sid: Option<String>,
    /// Effect.
    pub effect: Effect,
    /// Actions, as written.
    pub actions: Vec<String>,
    /// Resources, intrinsics resolved to text (see [`text_of`]).
    pub resources: Vec<String>,
}

impl Stmt {
    /// `IoT policy FleetIotPolicy, statement 2 (iot:Publish)` and the like.
    pub fn describe(&self) -> String {
        format!(
            "{} ({} {})",
            self.locate(),
            self.effect_word(),
            self.actions.join(", ")
        )
    }

    /// `IoT policy FleetIotPolicy, statement 2` and the like: where the statement is.
    pub fn locate(&self) -> String {
        let name = match &self.sid {
            Some(sid) => format!("statement {} \"{sid}\"", self.index + 1),
            None => format!("statement {}", self.index + 1),
        };
        match self.layer {
            Layer::Iam => format!("IAM role {} policy {}, {name}", self.resource, self.policy),
            Layer::Iot => format!("IoT policy {}, {name}", self.resource),
        }
    }

    fn effect_word(&self) -> &'static str {
        match self.effect {
            Effect::Allow => "Allow",
            Effect::Deny => "Deny",
        }
    }
}

/// The principal an identity-pool role trusts; its condition keys are [`AUD_KEY`] (the pool)
/// and [`AMR_KEY`] (the kind of identity) (docs/aws-facts.md §2.1).
pub const COGNITO_PRINCIPAL: &str = "cognito-identity.amazonaws.com";
/// The trust condition key that holds the identity pool id.
pub const AUD_KEY: &str = "cognito-identity.amazonaws.com:aud";
/// The trust condition key that holds the kind of identity ([`Identities::amr`]).
pub const AMR_KEY: &str = "cognito-identity.amazonaws.com:amr";

/// Which identities a role serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Identities {
    /// Signed-in identities: IAM ∩ IoT.
    Authenticated,
    /// Guests: IAM alone.
    Unauthenticated,
}

impl Identities {
    /// Both kinds, signed-in first.
    pub const ALL: [Identities; 2] = [Identities::Authenticated, Identities::Unauthenticated];

    /// Cognito's word for the kind: the `amr` value of its tokens, the key of its role in an
    /// identity pool's role attachment (docs/aws-facts.md §1.2, §2.1), and synth's metadata note.
    pub fn amr(self) -> &'static str {
        match self {
            Identities::Authenticated => "authenticated",
            Identities::Unauthenticated => "unauthenticated",
        }
    }

    /// The kind from its Cognito word ([`Self::amr`]).
    pub fn from_amr(word: &str) -> Option<Identities> {
        Identities::ALL.into_iter().find(|i| i.amr() == word)
    }

    /// What synth calls the kind when it talks to people: "signed-in" or "guest".
    pub fn word(self) -> &'static str {
        match self {
            Identities::Authenticated => "signed-in",
            Identities::Unauthenticated => "guest",
        }
    }
}

impl From<IdentityKind> for Identities {
    fn from(kind: IdentityKind) -> Self {
        match kind {
            IdentityKind::SignedIn => Identities::Authenticated,
            IdentityKind::Guest => Identities::Unauthenticated,
        }
    }
}

/// What one role of one pool may do, as emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleView {
    /// Spec name of the identity pool.
    pub pool: String,
    /// Spec name of the role.
    pub role: String,
    /// Signed-in or guests.
    pub identities: Identities,
    /// Logical id of the IAM role.
    pub role_id: String,
    /// IAM statements.
    pub iam: Vec<Stmt>,
    /// IoT policy statements (empty for guests).
    pub iot: Vec<Stmt>,
}

/// The text of a template value: strings as they are, `Fn::Sub` strings with `${!x}` unescaped
/// to `${x}`, other intrinsics as `{Ref X}` / `{GetAtt X.Arn}`.
pub fn text_of(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Object(m) if m.len() == 1 => {
            let (k, arg) = m.iter().next().expect("one entry");
            match (k.as_str(), arg) {
                ("Fn::Sub", Value::String(s)) => s.replace("${!", "${"),
                ("Fn::Sub", Value::Array(a)) => a.first().map(text_of).unwrap_or_default(),
                ("Ref", Value::String(s)) => format!("{{Ref {s}}}"),
                ("Fn::GetAtt", Value::Array(a)) => {
                    format!(
                        "{{GetAtt {}}}",
                        a.iter()
                            .filter_map(Value::as_str)
                            .collect::<Vec<_>>()
                            .join(".")
                    )
                }
                _ => format!("{{{k}}}"),
            }
        }
        other => other.to_string(),
    }
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().map(text_of).collect(),
        Some(other) => vec![text_of(other)],
        None => Vec::new(),
    }
}

fn statements(doc: &Value, layer: Layer, resource: &str, policy: &str) -> Vec<Stmt> {
    let list: &[Value] = match doc.get("Statement") {
        Some(Value::Array(a)) => a,
        Some(one) => std::slice::from_ref(one),
        None => &[],
    };
    list.iter()
        .enumerate()
        .map(|(index, s)| Stmt {
            layer,
            resource: resource.to_owned(),
            policy: policy.to_owned(),
            index,
            sid: s.get("Sid").and_then(Value::as_str).map(str::to_owned),
            effect: if s.get("Effect").and_then(Value::as_str) == Some("Deny") {
                Effect::Deny
            } else {
                Effect::Allow
            },
            actions: strings(s.get("Action")),
            resources: strings(s.get("Resource")),
        })
        .collect()
}

fn note(resource: &Value) -> Option<(&str, &str, Identities)> {
    let n = resource.get("Metadata")?.get("cogsynth")?;
    let identities = Identities::from_amr(n.get("identities")?.as_str()?)?;
    Some((
        n.get("pool")?.as_str()?,
        n.get("role")?.as_str()?,
        identities,
    ))
}

/// The statements of every inline policy of role `id`.
fn inline_statements(id: &str, props: &Value) -> Vec<Stmt> {
    let policies = props
        .get("Policies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    policies
        .filter_map(|p| {
            let name = p.get("PolicyName").map(text_of).unwrap_or_default();
            Some(statements(p.get("PolicyDocument")?, Layer::Iam, id, &name))
        })
        .flatten()
        .collect()
}

/// Every statement of every IAM role and IoT policy in a template, pool roles or not.
pub fn all_statements(template: &Value) -> Vec<Stmt> {
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for (id, r) in resources {
        let props = r.get("Properties").unwrap_or(&Value::Null);
        match r.get("Type").and_then(Value::as_str) {
            Some("AWS::IAM::Role") => out.extend(inline_statements(id, props)),
            Some("AWS::IoT::Policy") => {
                if let Some(doc) = props.get("PolicyDocument") {
                    out.extend(statements(doc, Layer::Iot, id, id));
                }
            }
            _ => {}
        }
    }
    out
}

/// Every pool role of a template (as JSON), in template order.
pub fn role_views(template: &Value) -> Vec<RoleView> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut views: Vec<RoleView> = Vec::new();
    for (id, r) in resources {
        let Some((pool, role, identities)) = note(r) else {
            continue;
        };
        let kind = r.get("Type").and_then(Value::as_str).unwrap_or_default();
        let props = r.get("Properties").unwrap_or(&Value::Null);
        if kind == "AWS::IAM::Role" {
            let iam = inline_statements(id, props);
            views.push(RoleView {
                pool: pool.into(),
                role: role.into(),
                identities,
                role_id: id.clone(),
                iam,
                iot: Vec::new(),
            });
        }
    }
    // A pool's IoT policies are attached to every signed-in identity of the pool, whichever role
    // Cognito gave it (README "Roles for every kind of signed-in user"): each signed-in view of
    // the pool holds all of them.
    for (id, r) in resources {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::IoT::Policy") {
            continue;
        }
        let Some(n) = r.get("Metadata").and_then(|m| m.get("cogsynth")) else {
            continue;
        };
        let pool = n.get("pool").and_then(Value::as_str);
        let kind = n
            .get("identities")
            .and_then(Value::as_str)
            .and_then(Identities::from_amr);
        let (Some(pool), Some(Identities::Authenticated)) = (pool, kind) else {
            continue;
        };
        let Some(doc) = r.get("Properties").and_then(|p| p.get("PolicyDocument")) else {
            continue;
        };
        let stmts = statements(doc, Layer::Iot, id, id);
        for view in views
            .iter_mut()
            .filter(|v| v.pool == pool && v.identities == Identities::Authenticated)
        {
            view.iot.extend(stmts.iter().cloned());
        }
    }
    views
}

/// Why [`find_role`] found no single view of a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSingleRole {
    /// No pool uses the role (in that pool, for that kind, when given).
    Unused {
        /// The role asked for.
        role: String,
        /// The pool asked for.
        pool: Option<String>,
        /// The kind asked for.
        kind: Option<Identities>,
    },
    /// One pool uses the role for both kinds: say which.
    BothKinds {
        /// The role asked for.
        role: String,
        /// The pool.
        pool: String,
    },
    /// Several pools use the role: say which.
    SeveralPools {
        /// The role asked for.
        role: String,
        /// Each pool using it, and for which kind.
        uses: Vec<(String, Identities)>,
    },
}

impl fmt::Display for NoSingleRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NoSingleRole::Unused { role, pool, kind } => match (pool, kind) {
                (Some(p), Some(k)) => write!(
                    f,
                    "identity pool `{p}` does not use role `{role}` for {} identities",
                    k.word()
                ),
                (Some(p), None) => write!(f, "identity pool `{p}` does not use role `{role}`"),
                (None, Some(k)) => write!(
                    f,
                    "no identity pool uses role `{role}` for {} identities",
                    k.word()
                ),
                (None, None) => write!(f, "no identity pool uses role `{role}`"),
            },
            NoSingleRole::BothKinds { role, pool } => write!(
                f,
                "identity pool `{pool}` uses role `{role}` for both signed-in and guest identities: say which with `as` (signed-in or guest)"
            ),
            NoSingleRole::SeveralPools { role, uses } => write!(
                f,
                "role `{role}` is used by several identity pools ({}): say which with `pool`",
                uses.iter()
                    .map(|(pool, kind)| format!("{pool} as {}", kind.word()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// The role view an expectation or a simulation is about: the one view of `role`, narrowed by
/// `pool` and `kind` when given.
pub fn find_role<'a>(
    views: &'a [RoleView],
    role: &str,
    pool: Option<&str>,
    kind: Option<Identities>,
) -> Result<&'a RoleView, NoSingleRole> {
    let found: Vec<&RoleView> = views
        .iter()
        .filter(|v| {
            v.role == role
                && pool.is_none_or(|p| v.pool == p)
                && kind.is_none_or(|k| v.identities == k)
        })
        .collect();
    let role = role.to_owned();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(NoSingleRole::Unused {
            role,
            pool: pool.map(str::to_owned),
            kind,
        }),
        [a, b] if a.pool == b.pool => Err(NoSingleRole::BothKinds {
            role,
            pool: a.pool.clone(),
        }),
        many => Err(NoSingleRole::SeveralPools {
            role,
            uses: many
                .iter()
                .map(|v| (v.pool.clone(), v.identities))
                .collect(),
        }),
    }
}
