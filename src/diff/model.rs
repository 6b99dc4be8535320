//! The diff as data: what `compare` finds, `render` prints, and `--format json` serializes as
//! is. The JSON shape is documented in the `diff` module docs and versioned by
//! [`Report::version`]: every field is always present (`null` or `[]` when empty), so consumers
//! need no existence checks. Must not: decide anything (that is `compare`).

use serde::Serialize;

/// Version of the JSON shape. Bump it when a field changes meaning or disappears.
pub const JSON_VERSION: u32 = 1;

/// The whole diff.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// [`JSON_VERSION`].
    pub version: u32,
    /// What the templates were compared with.
    pub base: Base,
    /// The directory of the current templates, as given.
    pub out: String,
    /// Counts over every stack.
    pub summary: Summary,
    /// Every stack on either side, sorted by name (unchanged ones too).
    pub stacks: Vec<StackDiff>,
}

/// The base of the comparison.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Base {
    /// A git revision.
    Git {
        /// The revision as given (or how the default was found, e.g. `merge-base HEAD origin/main`).
        rev: String,
        /// The commit it resolved to (full hash).
        commit: String,
    },
    /// A directory of templates.
    Dir {
        /// The directory, as given.
        dir: String,
    },
}

impl Base {
    /// `main (1a2b3c4)` or `dir old-out`, for headers.
    pub fn describe(&self) -> String {
        match self {
            Base::Git { rev, commit } => {
                let short: String = commit.chars().take(7).collect();
                if rev.starts_with(&short) {
                    short
                } else {
                    format!("{rev} ({short})")
                }
            }
            Base::Dir { dir } => dir.clone(),
        }
    }
}

/// Counts over the whole diff.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Stacks added, removed or changed.
    pub stacks_changed: usize,
    /// Stacks with no change.
    pub stacks_unchanged: usize,
    /// Grant changes that allow more than before.
    pub broadening: usize,
    /// Grant changes that allow less than before.
    pub narrowing: usize,
    /// Broadening grant changes that reach into another identity's subtree (counted in
    /// `broadening` too).
    pub cross_identity: usize,
    /// IAM roles whose trust policy changed (not judged: counted as broadening by `--fail-on`).
    pub trust_changes: usize,
    /// Resources added.
    pub resources_added: usize,
    /// Resources removed.
    pub resources_removed: usize,
    /// Resources replaced (create-only property, type or logical id change).
    pub resources_replaced: usize,
    /// Resources updated in place.
    pub resources_modified: usize,
}

impl Summary {
    /// True when nothing at all changed.
    pub fn is_empty(&self) -> bool {
        self.stacks_changed == 0
    }
}

/// Whether a stack or role is new, gone, different or the same.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Only in the current templates.
    Added,
    /// Only in the base.
    Removed,
    /// In both, different.
    Changed,
    /// In both, the same.
    Unchanged,
}

impl Status {
    /// `added`, ...
    pub fn word(self) -> &'static str {
        match self {
            Status::Added => "added",
            Status::Removed => "removed",
            Status::Changed => "changed",
            Status::Unchanged => "unchanged",
        }
    }
}

/// One stack (one template file stem).
#[derive(Debug, Clone, Serialize)]
pub struct StackDiff {
    /// Stack name: the file name before `.template.`.
    pub stack: String,
    /// Added, removed, changed or unchanged.
    pub status: Status,
    /// The base's template (`out/fleet.template.yaml`; inside the revision for git), if any.
    pub base_file: Option<String>,
    /// The current template, if any.
    pub file: Option<String>,
    /// Pool roles whose grants changed, sorted by pool then kind of identity.
    pub roles: Vec<RoleDiff>,
    /// Resources added, removed, replaced or modified, sorted by logical id.
    pub resources: Vec<ResourceChange>,
    /// Role-mapping changes, per pool: which tokens now get which role.
    pub mappings: Vec<MappingChange>,
    /// Other top-level template sections that differ (`Outputs`, `Parameters`, ...), sorted;
    /// empty for added and removed stacks.
    pub sections: Vec<String>,
}

/// Tokens of one pool that now get another role (or none).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MappingChange {
    /// Spec name of the identity pool.
    pub pool: String,
    /// `tokens whose `cognito:groups` equals `installers` now get role admin (was role installer)`.
    pub words: String,
    /// The role before (`null`: no credentials, or not a role change).
    pub was: Option<String>,
    /// The role now (`null`: no credentials, or not a role change).
    pub now: Option<String>,
    /// Broadening when the new role may do something the old could not (or the rule order
    /// changed, which is not judged); narrowing when it may do less; `null` when as much.
    pub kind: Option<Kind>,
}

/// The grants of one pool role that changed.
#[derive(Debug, Clone, Serialize)]
pub struct RoleDiff {
    /// Spec name of the identity pool.
    pub pool: String,
    /// The base's pool name when the pool was renamed (its replacement is under resources).
    pub pool_renamed_from: Option<String>,
    /// `authenticated` (effective grant: IAM ∩ IoT) or `unauthenticated` (IAM alone).
    pub identities: &'static str,
    /// Spec name of the role (current side; base side when the role is removed).
    pub role: String,
    /// The base's role name when it differs.
    pub renamed_from: Option<String>,
    /// Added, removed or changed.
    pub status: Status,
    /// Logical id of the IAM role.
    pub role_id: String,
    /// Grant changes, sorted by MQTT target, verb, then removed before added.
    pub grants: Vec<GrantChange>,
    /// New `Metadata.cogsynth.broadened` notes: spec grants whose translation allows more than
    /// the spec wrote (MQTT `+` becomes `*`, which crosses levels).
    pub broadened: Vec<String>,
}

/// Added or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Change {
    /// Sorts first, as in a unified diff.
    Removed,
    /// Only in the current template.
    Added,
}

/// Whether a change lets identities do more or less.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// An added Allow or a removed Deny.
    Broadening,
    /// A removed Allow or an added Deny.
    Narrowing,
}

impl Kind {
    /// `broadening` / `narrowing`.
    pub fn word(self) -> &'static str {
        match self {
            Kind::Broadening => "broadening",
            Kind::Narrowing => "narrowing",
        }
    }
}

/// One (effect, action, resource) that appeared or disappeared, in every layer where it did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantChange {
    /// Added or removed.
    pub change: Change,
    /// Broadening or narrowing.
    pub kind: Kind,
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// The action as written, e.g. `iot:Subscribe`.
    pub action: String,
    /// The resource as written, intrinsics resolved to text (`policy::doc::text_of`).
    pub resource: String,
    /// `subscribe fleet/news/*`, or `null` for non-MQTT grants (e.g. `lambda:InvokeFunction`).
    pub mqtt: Option<String>,
    /// The layers (and policies) where it changed, IAM first.
    pub layers: Vec<LayerRef>,
    /// False when the change alone does not change what identities may do: a signed-in identity
    /// needs both layers, and the other layer does not allow the same action and resource.
    pub effective: bool,
    /// For an added Allow whose policy wildcard reaches into another identity's `${identity}`
    /// subtree (granted anywhere in the pool), a topic it reaches there, shown for identity
    /// `us-east-1:1111` reaching `us-east-1:2222`'s: a cross-identity grant, not just a broadening.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cross_identity: Option<String>,
    /// Sort key: MQTT target (or resource), verb rank.
    #[serde(skip)]
    pub sort: (String, usize),
}

/// Where a statement lives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct LayerRef {
    /// `iam` (the role's inline policy) or `iot` (the IoT policy).
    pub layer: &'static str,
    /// Logical id of the IAM role or IoT policy.
    pub resource: String,
    /// Inline policy name (IAM); `null` for IoT policies.
    pub policy: Option<String>,
}

impl LayerRef {
    /// `IAM role policy mqtt-and-attach`, `IoT policy FleetIotPolicy`.
    pub fn describe(&self) -> String {
        match &self.policy {
            Some(p) => format!("IAM role policy {p}"),
            None => format!("IoT policy {}", self.resource),
        }
    }
}

/// What happened to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ResourceStatus {
    /// New logical id.
    Added,
    /// Logical id gone.
    Removed,
    /// CloudFormation deletes it and creates a new one.
    Replaced,
    /// Updated in place.
    Modified,
}

impl ResourceStatus {
    /// `added`, ...
    pub fn word(self) -> &'static str {
        match self {
            ResourceStatus::Added => "added",
            ResourceStatus::Removed => "removed",
            ResourceStatus::Replaced => "replaced",
            ResourceStatus::Modified => "modified",
        }
    }
}

/// One resource that changed.
#[derive(Debug, Clone, Serialize)]
pub struct ResourceChange {
    /// Logical id (the current one for a rename).
    pub logical_id: String,
    /// `AWS::IoT::Policy`, ...
    #[serde(rename = "type")]
    pub kind: String,
    /// Added, removed, replaced or modified.
    pub change: ResourceStatus,
    /// Why it is replaced (replaced only).
    pub replacement: Option<Replacement>,
    /// What a deploy of this change breaks here, when something does.
    pub danger: Option<String>,
    /// Names of the properties that differ (replaced and modified).
    pub properties: Vec<String>,
    /// Resource attributes besides Type, Properties and Metadata that differ (`DependsOn`, ...).
    pub attributes: Vec<String>,
    /// True when `Metadata` differs.
    pub metadata: bool,
    /// Trust policy (`AssumeRolePolicyDocument`) changes of an IAM role, leaf by leaf.
    pub trust: Vec<Leaf>,
}

/// What forces a replacement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Replacement {
    /// `property` (a create-only property changed), `logical-id` (renamed) or `type`.
    pub cause: &'static str,
    /// The create-only property, for `property`.
    pub property: Option<String>,
    /// Old value, logical id or type, as text.
    pub old: String,
    /// New value, logical id or type, as text.
    pub new: String,
}

/// One changed leaf of a JSON document: its RFC 6901 pointer and both values as text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Leaf {
    /// `/Statement/0/Condition/ForAnyValue:StringLike/cognito-identity.amazonaws.com:amr`.
    pub path: String,
    /// Base value, `null` when added.
    pub old: Option<String>,
    /// Current value, `null` when removed.
    pub new: Option<String>,
}
