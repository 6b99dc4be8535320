//! The typed spec (version 1) and the schema check that guards it. `load` is the whole front
//! end for one file: parse → schema → typed value. Meaning checks live in `check`.
//! Must not: emit anything, or read files (the caller hands in bytes).

mod attach;
mod mapping;
mod schema;

use std::collections::BTreeMap;

use serde::Deserialize;

pub use attach::{Attach, Invoke, InvokeMode, Language, Runtime};
pub use mapping::{MappingRule, MatchType, RoleMapping, SignedIn, Unmatched};
pub use schema::{did_you_mean as schema_suggest, schema_json, validate};

use crate::diag::Diagnostic;
use crate::source::{self, Doc};

/// A spec file, parsed and checked against `schemas/stack.schema.json`.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The file as the user named it.
    pub file: String,
    /// The source positions.
    pub doc: Doc,
    /// The typed spec.
    pub spec: Spec,
}

/// Parses and schema-checks one spec. Every schema violation is reported, each at its position.
pub fn load(file: &str, bytes: &[u8]) -> Result<Loaded, Vec<Diagnostic>> {
    let doc = source::parse(file, bytes).map_err(|d| vec![d])?;
    let diags = validate(file, &doc);
    if !diags.is_empty() {
        return Err(diags);
    }
    match serde_json::from_value::<Spec>(doc.value.clone()) {
        Ok(spec) => Ok(Loaded {
            file: file.to_owned(),
            doc,
            spec,
        }),
        // The schema admits only what `Spec` reads; reaching this is a bug between the two.
        Err(e) => Err(vec![
            Diagnostic::input(
                "spec-schema",
                file,
                None,
                format!("internal: schema and model disagree: {e}"),
            )
            .with_help("please report this with the spec that caused it"),
        ]),
    }
}

/// Spec version 1. Maps are ordered, so nothing downstream depends on key order in the file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Always 1.
    pub version: u32,
    /// Stack name and out/ file stem.
    pub stack: String,
    /// Template description.
    pub description: Option<String>,
    /// CloudFormation parameters.
    #[serde(default)]
    pub parameters: BTreeMap<String, Parameter>,
    /// Reusable MQTT grants.
    pub topic_scopes: BTreeMap<String, TopicScope>,
    /// Named sets of scopes.
    pub roles: BTreeMap<String, Role>,
    /// Identity pools.
    pub identity_pools: BTreeMap<String, IdentityPool>,
    /// Attach function settings.
    #[serde(default)]
    pub attach: Attach,
    /// Permission tests.
    #[serde(default)]
    pub expect: Vec<Expectation>,
    /// Accepted findings.
    #[serde(default)]
    pub waivers: Vec<Waiver>,
    /// Deployment environments.
    #[serde(default)]
    pub environments: BTreeMap<String, Environment>,
}

impl Spec {
    /// The CloudFormation stack name this spec deploys as: `stack:` itself, or `<stack>-<env>`
    /// for an environment (`synth deploy-command STACK --env ENV`), so that the names derived
    /// from `${AWS::StackName}` stay distinct when several environments share an account.
    pub fn stack_name(&self, env: Option<&str>) -> String {
        match env {
            Some(env) => format!("{}-{env}", self.stack),
            None => self.stack.clone(),
        }
    }

    /// Every stack name the spec may deploy as ([`Self::stack_name`]): without an environment,
    /// and with each one.
    pub fn stack_names(&self) -> Vec<(Option<&str>, String)> {
        std::iter::once(None)
            .chain(self.environments.keys().map(|e| Some(e.as_str())))
            .map(|env| (env, self.stack_name(env)))
            .collect()
    }
}

/// One deployment environment of the template.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Environment {
    /// Free text.
    pub description: Option<String>,
    /// Parameter values.
    #[serde(default)]
    pub parameters: BTreeMap<String, String>,
    /// StackSet target accounts (self-managed).
    #[serde(default)]
    pub accounts: Vec<String>,
    /// StackSet target OUs (service-managed).
    #[serde(default)]
    pub organizational_units: Vec<String>,
    /// StackSet regions.
    #[serde(default)]
    pub regions: Vec<String>,
}

impl Environment {
    /// True when the environment names StackSet targets.
    pub fn has_targets(&self) -> bool {
        !self.regions.is_empty()
            || !self.accounts.is_empty()
            || !self.organizational_units.is_empty()
    }
}

/// A permission test: requests that must be allowed or denied.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Role name; with `claims`, the role Cognito must choose.
    pub role: Option<String>,
    /// Token claims of a signed-in identity, from which the pool's role mapping picks the role.
    pub claims: Option<BTreeMap<String, ClaimValues>>,
    /// Pool name, when several pools use the role.
    pub pool: Option<String>,
    /// Signed-in or guest identities, when one pool uses the role for both.
    #[serde(rename = "as")]
    pub kind: Option<IdentityKind>,
    /// The caller's identity id.
    pub identity: String,
    /// Requests that must be allowed (`publish a/b`).
    #[serde(default)]
    pub allow: Vec<String>,
    /// Requests that must be denied.
    #[serde(default)]
    pub deny: Vec<String>,
}

/// One claim's value: a string, or several (`cognito:groups: [a, b]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ClaimValues {
    /// One value.
    One(String),
    /// Several values.
    Many(Vec<String>),
}

impl ClaimValues {
    /// The values.
    pub fn values(&self) -> Vec<&str> {
        match self {
            ClaimValues::One(v) => vec![v.as_str()],
            ClaimValues::Many(v) => v.iter().map(String::as_str).collect(),
        }
    }
}

/// Which identities of a pool: signed-in users (the `authenticated` role) or guests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityKind {
    /// Signed-in identities.
    SignedIn,
    /// Guest (unauthenticated) identities.
    Guest,
}

/// A finding accepted on purpose.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Waiver {
    /// Rule id.
    pub rule: String,
    /// Why.
    pub reason: String,
}

/// A CloudFormation parameter (always `Type: String`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameter {
    /// Shown by the console and `aws cloudformation deploy` users.
    pub description: String,
    /// Default value; without one, the deploy command must pass the parameter.
    pub default: Option<String>,
    /// `AllowedPattern`.
    pub allowed_pattern: Option<String>,
}

/// A string that is a literal, a parameter reference or an import.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(untagged)]
pub enum ValueSource {
    /// A literal string.
    Literal(String),
    /// `{ param: Name }`: `Ref` to a declared parameter.
    Param {
        /// Parameter name.
        param: String,
    },
    /// `{ import: ExportName }`: `Fn::ImportValue`.
    Import {
        /// Export name.
        import: String,
    },
}

/// MQTT grants in MQTT terms.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicScope {
    /// Free text.
    pub description: Option<String>,
    /// Client ids.
    #[serde(default)]
    pub connect: Vec<String>,
    /// Topics (wildcards: any matching topic), each optionally with the right to retain.
    #[serde(default)]
    pub publish: Vec<Publish>,
    /// Topic filters (the filter and narrower ones); implies receive.
    #[serde(default)]
    pub subscribe: Vec<String>,
    /// Topics to receive on.
    #[serde(default)]
    pub receive: Vec<String>,
    /// Device shadows, in MQTT terms.
    #[serde(default)]
    pub shadows: Vec<Shadow>,
}

/// A device shadow a scope reaches over MQTT: the thing's classic shadow, or a named one.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shadow {
    /// Thing name; `${identity}` is the caller's identity id.
    pub thing: String,
    /// Named shadow; omitted for the classic shadow.
    pub name: Option<String>,
    /// `read` or `read-write`.
    pub access: Access,
}

/// How far a shadow entry reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// Get the document, watch its changes.
    Read,
    /// Also update and delete it.
    ReadWrite,
}

/// One `publish` entry: a topic, or `{ topic, retain }` when a retained message may be
/// published to it (`iot:RetainPublish` besides `iot:Publish`, docs/aws-facts.md §3.6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Publish {
    /// `"devices/${identity}/telemetry"`.
    Topic(String),
    /// `{ topic: "devices/${identity}/state", retain: true }`.
    Detailed(DetailedPublish),
}

/// The long form of a `publish` entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetailedPublish {
    /// The topic.
    pub topic: String,
    /// May messages to it be retained (default false).
    #[serde(default)]
    pub retain: bool,
}

impl Publish {
    /// The topic as written.
    pub fn topic(&self) -> &str {
        match self {
            Publish::Topic(t) => t,
            Publish::Detailed(d) => &d.topic,
        }
    }

    /// True when messages to the topic may be retained.
    pub fn retain(&self) -> bool {
        matches!(self, Publish::Detailed(d) if d.retain)
    }

    /// The JSON-pointer suffix of the topic text within the entry: empty for the short form,
    /// `/topic` for the long one.
    pub fn topic_suffix(&self) -> &'static str {
        match self {
            Publish::Topic(_) => "",
            Publish::Detailed(_) => "/topic",
        }
    }
}

/// A role: what an identity may do.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    /// Free text.
    pub description: Option<String>,
    /// Scope names, in order.
    pub scopes: Vec<String>,
}

/// A Cognito user pool that signs users in.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPool {
    /// User pool id.
    pub user_pool_id: ValueSource,
    /// App client id.
    pub client_id: ValueSource,
    /// Region, when the pool is elsewhere.
    pub region: Option<String>,
    /// `ServerSideTokenCheck`; default true.
    pub server_side_token_check: Option<bool>,
}

/// The region a literal user pool id names, e.g. `eu-west-1` for `eu-west-1_AbC`: user pool ids
/// are `<region>_<id>` (docs/aws-facts.md §1.9).
pub fn user_pool_region(user_pool_id: &str) -> Option<&str> {
    let (region, _) = user_pool_id.split_once('_')?;
    let parts: Vec<&str> = region.split('-').collect();
    let ok = parts.len() >= 3
        && parts[0].len() == 2
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric()))
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()));
    ok.then_some(region)
}

/// Guest access, which needs a reason.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Guests {
    /// Role name.
    pub role: String,
    /// Why.
    pub reason: String,
}

/// An identity pool.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityPool {
    /// `IdentityPoolName`.
    pub name: Option<String>,
    /// User pools.
    pub user_pools: Vec<UserPool>,
    /// The role of signed-in identities, or the rules that choose it from their token.
    pub authenticated: SignedIn,
    /// Guests, when on.
    pub unauthenticated: Option<Guests>,
}

impl IdentityPool {
    /// The role signed-in identities get when no mapping rule chooses one: the one role, or the
    /// mapping's `default`; `None` when unmatched identities are denied.
    pub fn default_role(&self) -> Option<&str> {
        match &self.authenticated {
            SignedIn::Role(r) => Some(r),
            SignedIn::Mapped(m) => m.default.as_deref(),
        }
    }

    /// The mapping rules, in order (none for a pool with one signed-in role).
    pub fn rules(&self) -> &[MappingRule] {
        match &self.authenticated {
            SignedIn::Role(_) => &[],
            SignedIn::Mapped(m) => &m.rules,
        }
    }

    /// True when the pool maps token claims to roles.
    pub fn is_mapped(&self) -> bool {
        matches!(self.authenticated, SignedIn::Mapped(_))
    }

    /// Every role a signed-in identity of the pool may get, each once: the default first, then
    /// the rules' roles in rule order.
    pub fn signed_in_roles(&self) -> Vec<&str> {
        let mut out: Vec<&str> = self.default_role().into_iter().collect();
        for r in self.rules() {
            if !out.contains(&r.role.as_str()) {
                out.push(&r.role);
            }
        }
        out
    }
}
