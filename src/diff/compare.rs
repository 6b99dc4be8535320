//! Compares two templates of one stack: grants per pool role and layer (read with
//! `policy::doc::role_views`, so the diff judges what was emitted), and resources (added,
//! removed, replaced, modified), with what a deploy of each risky change breaks here.
//! Pure: values in, a [`StackDiff`] out. Must not: read files or print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::model::{
    Base, Change, GrantChange, Kind, LayerRef, Leaf, Replacement, Report, ResourceChange,
    ResourceStatus, RoleDiff, StackDiff, Status, Summary,
};
use super::mqtt;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::doc::{Effect, Identities, Layer, RoleView, Stmt, role_views, text_of};
use crate::policy::overlap::leaked_topic;

/// A parsed template and the name it is shown by.
#[derive(Debug, Clone)]
pub struct Template {
    /// `out/fleet.template.yaml` (inside the revision, for a git base).
    pub file: String,
    /// The template as JSON.
    pub value: Value,
}

/// Properties whose change makes CloudFormation replace the resource (create-only in the
/// resource's registry schema; docs/aws-facts.md §1.2–§1.8). `*`: every property.
const CREATE_ONLY: &[(&str, &[&str])] = &[
    ("AWS::IoT::Policy", &["PolicyName"]),
    ("AWS::Lambda::Function", &["FunctionName"]),
    (
        "AWS::Cognito::IdentityPoolRoleAttachment",
        &["IdentityPoolId"],
    ),
    ("AWS::IAM::Role", &["RoleName", "Path"]),
    ("AWS::Logs::LogGroup", &["LogGroupName"]),
    ("AWS::Lambda::Permission", &["*"]),
    ("AWS::IoT::PolicyPrincipalAttachment", &["*"]),
];

// Why replacing or removing these breaks a running app (docs/aws-facts.md §1.1, §1.2, §1.4, §5).
const IOT_POLICY_REPLACED: &str = "a replaced IoT policy is a new policy that no identity has attached: signed-in identities lose MQTT access until the app calls the attach function again, and deleting the old policy fails with DeleteConflictException while identities are still attached to it, unless its Custom::DetachIotPolicyTargets resource (attach.detach_on_delete, on by default) empties it first";
const IOT_POLICY_REMOVED: &str = "signed-in identities lose what this IoT policy granted, and deleting it fails with DeleteConflictException while identities are attached to it, unless its Custom::DetachIotPolicyTargets resource empties it first";
const FUNCTION_REPLACED: &str = "the attach function gets a new name: apps that invoke it by name fail until they use the new one, and meanwhile signed-in identities get no IoT policy attached";
const FUNCTION_REMOVED: &str =
    "apps that invoke the attach function fail, so signed-in identities get no IoT policy attached";
const ATTACHMENT_REPLACED: &str = "IdentityPoolId is create-only: CloudFormation attaches the roles to the other pool and deletes the old attachment, leaving the old pool without roles, so its identities get no AWS credentials";
const POOL_REPLACED: &str = "a new identity pool: every identity id changes, so existing users lose their IoT policy attachments and everything keyed by ${identity} (their topics, client ids); the old pool and its identities are deleted, and apps need the new pool id";
const POOL_REMOVED: &str =
    "the identity pool and every identity in it are deleted; apps using its id get no credentials";
const TYPE_CHANGED: &str =
    "a resource of another type under the same logical id: CloudFormation deletes the old one";

/// The report over every stack. `stacks` maps each stack name to its base and current template.
pub fn report(
    base: Base,
    out: String,
    stacks: &BTreeMap<String, (Option<Template>, Option<Template>)>,
) -> Report {
    let stacks: Vec<StackDiff> = stacks
        .iter()
        .map(|(name, (old, new))| stack(name, old.as_ref(), new.as_ref()))
        .collect();
    let summary = summarize(&stacks);
    Report {
        version: super::model::JSON_VERSION,
        base,
        out,
        summary,
        stacks,
    }
}

fn summarize(stacks: &[StackDiff]) -> Summary {
    let mut s = Summary::default();
    for st in stacks {
        if st.status == Status::Unchanged {
            s.stacks_unchanged += 1;
        } else {
            s.stacks_changed += 1;
        }
        for g in st.roles.iter().flat_map(|r| &r.grants) {
            match g.kind {
                Kind::Broadening => s.broadening += 1,
                Kind::Narrowing => s.narrowing += 1,
            }
            if g.cross_identity.is_some() {
                s.cross_identity += 1;
            }
        }
        for r in &st.resources {
            if !r.trust.is_empty() {
                s.trust_changes += 1;
            }
            match r.change {
                ResourceStatus::Added => s.resources_added += 1,
                ResourceStatus::Removed => s.resources_removed += 1,
                ResourceStatus::Replaced => s.resources_replaced += 1,
                ResourceStatus::Modified => s.resources_modified += 1,
            }
        }
    }
    s
}

/// One stack's diff.
pub fn stack(name: &str, old: Option<&Template>, new: Option<&Template>) -> StackDiff {
    let null = Value::Null;
    let old_value = old.map_or(&null, |t| &t.value);
    let new_value = new.map_or(&null, |t| &t.value);
    let renames = resource_renames(old_value, new_value);
    // The base as if its renamed resources already had their new logical ids: a rename is
    // reported once, as a replacement, not again in every grant or trust policy that names it.
    let old_renamed = rename_refs(old_value, &renames);
    let roles = roles(&old_renamed, new_value);
    let resources = resources(&old_renamed, new_value, &renames);
    let status = match (old, new) {
        (None, _) => Status::Added,
        (_, None) => Status::Removed,
        // Anything else in the template (Outputs, Parameters, Description) counts too: `--fail-on
        // any` must see every change, even those this report does not itemize.
        _ if old_value == new_value => Status::Unchanged,
        _ => Status::Changed,
    };
    StackDiff {
        stack: name.to_owned(),
        status,
        base_file: old.map(|t| t.file.clone()),
        file: new.map(|t| t.file.clone()),
        roles,
        resources,
        sections: sections(old_value, new_value),
    }
}

/// Top-level sections besides `Resources` that differ (`Outputs`, `Parameters`, ...), compared
/// only when both sides exist: a new Parameter changes the deploy command, an Output the app.
fn sections(old: &Value, new: &Value) -> Vec<String> {
    let (Some(o), Some(n)) = (old.as_object(), new.as_object()) else {
        return Vec::new();
    };
    let names: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    names
        .into_iter()
        .filter(|k| k.as_str() != "Resources" && o.get(*k) != n.get(*k))
        .cloned()
        .collect()
}

/// The kind of a grant change: the new templates allow something the old did not when an Allow
/// appears or a Deny disappears.
pub fn kind_of(change: Change, effect: Effect) -> Kind {
    match (change, effect) {
        (Change::Added, Effect::Allow) | (Change::Removed, Effect::Deny) => Kind::Broadening,
        (Change::Removed, Effect::Allow) | (Change::Added, Effect::Deny) => Kind::Narrowing,
    }
}

fn identities_word(i: Identities) -> &'static str {
    match i {
        Identities::Authenticated => "authenticated",
        Identities::Unauthenticated => "unauthenticated",
    }
}

/// Roles keyed by what identities they serve, not by role name: a renamed role that grants the
/// same is no permission change for the pool's identities.
fn views(template: &Value) -> BTreeMap<(String, Identities), RoleView> {
    let mut out: BTreeMap<(String, Identities), RoleView> = BTreeMap::new();
    for v in role_views(template) {
        match out.get_mut(&(v.pool.clone(), v.identities)) {
            // Two roles for one pool and kind cannot come from synth; keep every statement.
            Some(seen) => {
                seen.iam.extend(v.iam);
                seen.iot.extend(v.iot);
            }
            None => {
                out.insert((v.pool.clone(), v.identities), v);
            }
        }
    }
    out
}

/// Renamed pools, new name → old name: the pools that disappeared paired with those that
/// appeared, in name order, when there are as many of each (the same rule as for resources).
/// The pool's replacement is reported with the resources; pairing here keeps the grant diff to
/// what the renamed pool's identities may do differently, instead of every grant twice.
fn pool_renames(
    old: &BTreeMap<(String, Identities), RoleView>,
    new: &BTreeMap<(String, Identities), RoleView>,
) -> BTreeMap<String, String> {
    let old_pools: BTreeSet<&String> = old.keys().map(|k| &k.0).collect();
    let new_pools: BTreeSet<&String> = new.keys().map(|k| &k.0).collect();
    let gone: Vec<&&String> = old_pools.difference(&new_pools).collect();
    let came: Vec<&&String> = new_pools.difference(&old_pools).collect();
    if gone.len() != came.len() {
        return BTreeMap::new();
    }
    came.into_iter()
        .zip(gone)
        .map(|(c, g)| ((*c).clone(), (*g).clone()))
        .collect()
}

/// `Metadata.cogsynth.broadened` of a role: the spec grants its translation had to widen.
fn broadened(template: &Value, role_id: &str) -> BTreeSet<String> {
    template
        .get("Resources")
        .and_then(|r| r.get(role_id))
        .and_then(|r| r.get("Metadata"))
        .and_then(|m| m.get("cogsynth"))
        .and_then(|c| c.get("broadened"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

fn roles(old: &Value, new: &Value) -> Vec<RoleDiff> {
    let new_views = views(new);
    let renames = pool_renames(&views(old), &new_views);
    let old_pool_of: BTreeMap<&String, &String> = renames.iter().map(|(n, o)| (o, n)).collect();
    let old_views: BTreeMap<(String, Identities), RoleView> = views(old)
        .into_iter()
        .map(|((pool, i), v)| {
            let pool = old_pool_of.get(&pool).map_or(pool, |n| (*n).clone());
            ((pool, i), v)
        })
        .collect();
    let keys: BTreeSet<&(String, Identities)> = old_views.keys().chain(new_views.keys()).collect();
    let mut out = Vec::new();
    for key in keys {
        let o = old_views.get(key);
        let n = new_views.get(key);
        let mut grants = grant_changes(o, n, key.1);
        if let Some(n) = n {
            label_cross_identity(&mut grants, new, n, &new_views);
        }
        let pool_renamed_from = renames.get(&key.0).filter(|_| o.is_some()).cloned();
        let new_notes = n.map(|n| broadened(new, &n.role_id)).unwrap_or_default();
        let old_notes = o.map(|o| broadened(old, &o.role_id)).unwrap_or_default();
        let broadened: Vec<String> = new_notes.difference(&old_notes).cloned().collect();
        let (status, shown) = match (o, n) {
            (None, Some(n)) => (Status::Added, n),
            (Some(o), None) => (Status::Removed, o),
            (Some(_), Some(n)) => (Status::Changed, n),
            (None, None) => continue,
        };
        let renamed_from = match (o, n) {
            (Some(o), Some(n)) if o.role != n.role => Some(o.role.clone()),
            _ => None,
        };
        if status == Status::Changed
            && grants.is_empty()
            && renamed_from.is_none()
            && pool_renamed_from.is_none()
        {
            continue;
        }
        out.push(RoleDiff {
            pool: key.0.clone(),
            pool_renamed_from,
            identities: identities_word(key.1),
            role: shown.role.clone(),
            renamed_from,
            status,
            role_id: shown.role_id.clone(),
            grants,
            broadened,
        });
    }
    out
}

/// (effect, action, resource): one atom of a statement.
type Atom = (Effect, String, String);

fn atoms(stmts: &[Stmt]) -> BTreeMap<Atom, BTreeSet<LayerRef>> {
    let mut out: BTreeMap<Atom, BTreeSet<LayerRef>> = BTreeMap::new();
    for s in stmts {
        let place = LayerRef {
            layer: match s.layer {
                Layer::Iam => "iam",
                Layer::Iot => "iot",
            },
            resource: s.resource.clone(),
            policy: (s.layer == Layer::Iam).then(|| s.policy.clone()),
        };
        for a in &s.actions {
            for r in &s.resources {
                out.entry((s.effect, a.clone(), r.clone()))
                    .or_default()
                    .insert(place.clone());
            }
        }
    }
    out
}

/// Allowed (lower-case action, resource) pairs of one layer.
fn allowed(stmts: &[Stmt]) -> BTreeSet<(String, String)> {
    stmts
        .iter()
        .filter(|s| s.effect == Effect::Allow)
        .flat_map(|s| {
            s.actions.iter().flat_map(|a| {
                s.resources
                    .iter()
                    .map(|r| (a.to_ascii_lowercase(), r.clone()))
            })
        })
        .collect()
}

/// Marks every added Allow whose wildcard reaches into another identity's `${identity}` subtree
/// granted anywhere in the same pool of the new template (any role, either layer). What the
/// spec meant is read from the role's broadened notes (`<verb> <spec text> is granted as
/// <resource>: ...`); an exact `a/*` means `a/#`; any other wildcard without a note is taken as
/// meaning nothing beyond itself.
fn label_cross_identity(
    grants: &mut [GrantChange],
    template: &Value,
    view: &RoleView,
    views: &BTreeMap<(String, Identities), RoleView>,
) {
    let subtrees: BTreeSet<String> = views
        .values()
        .filter(|v| v.pool == view.pool)
        .flat_map(|v| v.iam.iter().chain(&v.iot))
        .filter(|s| s.effect == Effect::Allow)
        .flat_map(|s| {
            s.actions.iter().flat_map(move |a| {
                s.resources
                    .iter()
                    .filter_map(move |r| mqtt::translate(a, r))
            })
        })
        .map(|m| m.target)
        .filter(|t| t.contains(IDENTITY))
        .collect();
    let notes = broadened(template, &view.role_id);
    for g in grants
        .iter_mut()
        .filter(|g| g.change == Change::Added && g.kind == Kind::Broadening && g.effect == "Allow")
    {
        let Some(m) = mqtt::translate(&g.action, &g.resource) else {
            continue;
        };
        if !m.target.contains(['*', '?']) {
            continue;
        }
        let from_note = notes.iter().find_map(|n| {
            let (grant, rest) = n.split_once(" is granted as ")?;
            let (resource, _) = rest.split_once(": in policies")?;
            let (_, name) = resource.split_once('/')?;
            (name.replace(POLICY_IDENTITY, IDENTITY) == m.target)
                .then(|| grant.split_once(' ').map(|(_, text)| text.to_owned()))?
        });
        let meant = from_note.or_else(|| {
            let stem = m.target.strip_suffix("/*")?;
            (!stem.contains(['*', '?'])).then(|| format!("{stem}/#"))
        });
        g.cross_identity = subtrees
            .iter()
            .find_map(|s| leaked_topic(&m.target, s, meant.as_deref()));
    }
}

fn grant_changes(
    old: Option<&RoleView>,
    new: Option<&RoleView>,
    identities: Identities,
) -> Vec<GrantChange> {
    let empty: Vec<Stmt> = Vec::new();
    let layer = |v: Option<&RoleView>, l: Layer| -> Vec<Stmt> {
        v.map_or_else(
            || empty.clone(),
            |v| match l {
                Layer::Iam => v.iam.clone(),
                Layer::Iot => v.iot.clone(),
            },
        )
    };
    // Group one atom's change across layers: adding a topic changes the IAM role policy and the
    // IoT policy alike, and a reviewer reads it as one grant.
    let mut grouped: BTreeMap<(Change, Atom), BTreeSet<LayerRef>> = BTreeMap::new();
    let mut sides: BTreeMap<(bool, Layer), BTreeSet<(String, String)>> = BTreeMap::new();
    for l in [Layer::Iam, Layer::Iot] {
        let (o, n) = (layer(old, l), layer(new, l));
        sides.insert((false, l), allowed(&o));
        sides.insert((true, l), allowed(&n));
        let (o, n) = (atoms(&o), atoms(&n));
        for (atom, places) in n.iter().filter(|(a, _)| !o.contains_key(*a)) {
            grouped
                .entry((Change::Added, atom.clone()))
                .or_default()
                .extend(places.iter().cloned());
        }
        for (atom, places) in o.iter().filter(|(a, _)| !n.contains_key(*a)) {
            grouped
                .entry((Change::Removed, atom.clone()))
                .or_default()
                .extend(places.iter().cloned());
        }
    }
    let mut out: Vec<GrantChange> = grouped
        .into_iter()
        .map(|((change, (effect, action, resource)), places)| {
            let layers: Vec<LayerRef> = places.into_iter().collect();
            let effective = effective(
                change,
                effect,
                &action,
                &resource,
                &layers,
                identities,
                |new, l| sides.get(&(new, l)).cloned().unwrap_or_default(),
            );
            let mqtt = mqtt::translate(&action, &resource);
            let sort = match &mqtt {
                Some(m) => (m.target.clone(), m.rank()),
                None => (resource.clone(), usize::MAX),
            };
            GrantChange {
                change,
                kind: kind_of(change, effect),
                effect: match effect {
                    Effect::Allow => "Allow",
                    Effect::Deny => "Deny",
                },
                mqtt: mqtt.map(|m| m.text()),
                action,
                resource,
                layers,
                effective,
                cross_identity: None,
                sort,
            }
        })
        .collect();
    out.sort_by(|a, b| {
        (&a.sort, a.change, &a.action, &a.resource, a.effect).cmp(&(
            &b.sort,
            b.change,
            &b.action,
            &b.resource,
            b.effect,
        ))
    });
    out
}

/// Whether a change alters what identities may do. Guests get the IAM role alone; a signed-in
/// identity gets IAM ∩ IoT for `iot:` actions (docs/aws-facts.md §4), so a one-layer change of an
/// Allow matters only when the other layer allows the same (exact text) on the side where the
/// grant exists. A Deny always matters: one explicit deny in either layer decides.
fn effective(
    change: Change,
    effect: Effect,
    action: &str,
    resource: &str,
    layers: &[LayerRef],
    identities: Identities,
    allowed: impl Fn(bool, Layer) -> BTreeSet<(String, String)>,
) -> bool {
    let iot_action = action.to_ascii_lowercase().starts_with("iot:");
    if identities == Identities::Unauthenticated || effect == Effect::Deny || !iot_action {
        return true;
    }
    let has = |l: &str| layers.iter().any(|r| r.layer == l);
    let other = match (has("iam"), has("iot")) {
        (true, true) => return true,
        (true, false) => Layer::Iot,
        _ => Layer::Iam,
    };
    allowed(change == Change::Added, other)
        .contains(&(action.to_ascii_lowercase(), resource.to_owned()))
}

fn resource_map(template: &Value) -> Map<String, Value> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

fn type_of(r: &Value) -> String {
    r.get("Type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

/// Renamed resources, old logical id → new. A logical id that disappears while one of the same
/// type appears is a rename: CloudFormation creates the new resource and deletes the old one.
/// Paired in name order, and only when the counts per type match, so an ambiguous case stays
/// "added" and "removed".
fn resource_renames(old: &Value, new: &Value) -> BTreeMap<String, String> {
    let (old, new) = (resource_map(old), resource_map(new));
    let mut gone: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    let mut came: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for (id, r) in old.iter().filter(|(id, _)| !new.contains_key(*id)) {
        gone.entry(type_of(r)).or_default().push(id);
    }
    for (id, r) in new.iter().filter(|(id, _)| !old.contains_key(*id)) {
        came.entry(type_of(r)).or_default().push(id);
    }
    let mut out = BTreeMap::new();
    for (kind, came_ids) in came {
        let gone_ids = gone.remove(&kind).unwrap_or_default();
        if gone_ids.len() == came_ids.len() {
            for (g, c) in gone_ids.into_iter().zip(came_ids) {
                out.insert(g.clone(), c.clone());
            }
        }
    }
    out
}

/// `v` with every reference to a renamed logical id (`Ref`, `Fn::GetAtt`, `${Id}` and
/// `${Id.Attr}` in `Fn::Sub`, `DependsOn`) pointing at the new id. `Resources` keys stay.
fn rename_refs(v: &Value, renames: &BTreeMap<String, String>) -> Value {
    if renames.is_empty() {
        return v.clone();
    }
    let id = |s: &str| renames.get(s).cloned().unwrap_or_else(|| s.to_owned());
    let sub = |s: &str| {
        renames.iter().fold(s.to_owned(), |s, (o, n)| {
            s.replace(&format!("${{{o}}}"), &format!("${{{n}}}"))
                .replace(&format!("${{{o}."), &format!("${{{n}."))
        })
    };
    match v {
        Value::Object(m) => {
            let mut out = Map::new();
            for (k, child) in m {
                let child = match (k.as_str(), child) {
                    ("Ref" | "DependsOn", Value::String(s)) => Value::String(id(s)),
                    ("DependsOn", Value::Array(a)) => Value::Array(
                        a.iter()
                            .map(|x| {
                                x.as_str()
                                    .map_or_else(|| x.clone(), |s| Value::String(id(s)))
                            })
                            .collect(),
                    ),
                    ("Fn::GetAtt", Value::Array(a)) => {
                        let mut a = a.clone();
                        if let Some(Value::String(first)) = a.first() {
                            a[0] = Value::String(id(first));
                        }
                        Value::Array(a)
                    }
                    ("Fn::GetAtt", Value::String(s)) => Value::String(match s.split_once('.') {
                        Some((first, attr)) => format!("{}.{attr}", id(first)),
                        None => id(s),
                    }),
                    ("Fn::Sub", Value::String(s)) => Value::String(sub(s)),
                    ("Fn::Sub", Value::Array(a)) => {
                        let mut a: Vec<Value> = a.iter().map(|x| rename_refs(x, renames)).collect();
                        if let Some(Value::String(first)) = a.first() {
                            a[0] = Value::String(sub(first));
                        }
                        Value::Array(a)
                    }
                    _ => rename_refs(child, renames),
                };
                out.insert(k.clone(), child);
            }
            Value::Object(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| rename_refs(x, renames)).collect()),
        other => other.clone(),
    }
}

fn resources(old: &Value, new: &Value, renames: &BTreeMap<String, String>) -> Vec<ResourceChange> {
    let (old, new) = (resource_map(old), resource_map(new));
    let renamed_to: BTreeSet<&String> = renames.values().collect();
    let mut out = Vec::new();
    for (id, n) in &new {
        if let Some(o) = old.get(id) {
            out.extend(modified(id, o, n));
        } else if !renamed_to.contains(id) {
            out.push(bare(id, &type_of(n), ResourceStatus::Added));
        }
    }
    for (id, o) in &old {
        if new.contains_key(id) {
            continue;
        }
        match renames.get(id) {
            Some(new_id) => out.push(renamed(&type_of(o), id, new_id, o, &new[new_id.as_str()])),
            None => out.push(removed(&type_of(o), id)),
        }
    }
    out.sort_by(|a, b| a.logical_id.cmp(&b.logical_id));
    out
}

fn bare(id: &str, kind: &str, change: ResourceStatus) -> ResourceChange {
    ResourceChange {
        logical_id: id.to_owned(),
        kind: kind.to_owned(),
        change,
        replacement: None,
        danger: None,
        properties: Vec::new(),
        attributes: Vec::new(),
        metadata: false,
        trust: Vec::new(),
    }
}

fn removed(kind: &str, id: &str) -> ResourceChange {
    let mut r = bare(id, kind, ResourceStatus::Removed);
    r.danger = match kind {
        "AWS::IoT::Policy" => Some(IOT_POLICY_REMOVED.to_owned()),
        "AWS::Cognito::IdentityPool" => Some(POOL_REMOVED.to_owned()),
        "AWS::Lambda::Function" => Some(FUNCTION_REMOVED.to_owned()),
        _ => None,
    };
    r
}

fn renamed(kind: &str, old_id: &str, new_id: &str, o: &Value, n: &Value) -> ResourceChange {
    let mut r = bare(new_id, kind, ResourceStatus::Replaced);
    r.replacement = Some(Replacement {
        cause: "logical-id",
        property: None,
        old: old_id.to_owned(),
        new: new_id.to_owned(),
    });
    // A renamed attachment belongs to a renamed pool, whose replacement says what breaks.
    r.danger = replaced_danger(kind)
        .filter(|_| kind != "AWS::Cognito::IdentityPoolRoleAttachment")
        .map(str::to_owned);
    r.properties = changed_properties(o, n);
    r.metadata = o.get("Metadata") != n.get("Metadata");
    r.trust = trust_changes(kind, o, n);
    r
}

/// Leaf changes of an IAM role's trust policy (empty for other types).
fn trust_changes(kind: &str, o: &Value, n: &Value) -> Vec<Leaf> {
    if kind != "AWS::IAM::Role" {
        return Vec::new();
    }
    let doc = |v: &Value| {
        v.get("Properties")
            .and_then(|p| p.get("AssumeRolePolicyDocument"))
            .cloned()
            .unwrap_or(Value::Null)
    };
    leaf_changes(&doc(o), &doc(n))
}

fn replaced_danger(kind: &str) -> Option<&'static str> {
    match kind {
        "AWS::IoT::Policy" => Some(IOT_POLICY_REPLACED),
        "AWS::Lambda::Function" => Some(FUNCTION_REPLACED),
        "AWS::Cognito::IdentityPoolRoleAttachment" => Some(ATTACHMENT_REPLACED),
        "AWS::Cognito::IdentityPool" => Some(POOL_REPLACED),
        _ => None,
    }
}

fn changed_properties(o: &Value, n: &Value) -> Vec<String> {
    let props = |v: &Value| {
        v.get("Properties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default()
    };
    let (op, np) = (props(o), props(n));
    let names: BTreeSet<&String> = op.keys().chain(np.keys()).collect();
    names
        .into_iter()
        .filter(|k| op.get(*k) != np.get(*k))
        .cloned()
        .collect()
}

fn modified(id: &str, o: &Value, n: &Value) -> Option<ResourceChange> {
    if o == n {
        return None;
    }
    let (old_kind, kind) = (type_of(o), type_of(n));
    let mut r = bare(id, &kind, ResourceStatus::Modified);
    r.properties = changed_properties(o, n);
    r.metadata = o.get("Metadata") != n.get("Metadata");
    let attrs = |v: &Value| v.as_object().cloned().unwrap_or_default();
    let (oa, na) = (attrs(o), attrs(n));
    let names: BTreeSet<&String> = oa.keys().chain(na.keys()).collect();
    r.attributes = names
        .into_iter()
        .filter(|k| !matches!(k.as_str(), "Type" | "Properties" | "Metadata"))
        .filter(|k| oa.get(*k) != na.get(*k))
        .cloned()
        .collect();
    r.trust = trust_changes(&kind, o, n);
    if old_kind != kind {
        r.change = ResourceStatus::Replaced;
        r.replacement = Some(Replacement {
            cause: "type",
            property: None,
            old: old_kind,
            new: kind,
        });
        r.danger = Some(TYPE_CHANGED.to_owned());
        return Some(r);
    }
    let create_only = CREATE_ONLY
        .iter()
        .find(|(t, _)| *t == kind)
        .map_or(&[][..], |(_, p)| *p);
    if let Some(p) = r
        .properties
        .iter()
        .find(|p| create_only.contains(&"*") || create_only.contains(&p.as_str()))
    {
        let value = |v: &Value| {
            v.get("Properties")
                .and_then(|props| props.get(p.as_str()))
                .map_or_else(|| "(none)".to_owned(), text_of)
        };
        r.replacement = Some(Replacement {
            cause: "property",
            property: Some(p.clone()),
            old: value(o),
            new: value(n),
        });
        r.change = ResourceStatus::Replaced;
        r.danger = replaced_danger(&kind).map(str::to_owned);
    }
    Some(r)
}

/// Every leaf that differs between two JSON documents, by pointer. An intrinsic function (`Ref`,
/// `Fn::*`) counts as one leaf, shown as `policy::doc::text_of` shows it.
pub fn leaf_changes(old: &Value, new: &Value) -> Vec<Leaf> {
    let mut o = BTreeMap::new();
    let mut n = BTreeMap::new();
    flatten(old, String::new(), &mut o);
    flatten(new, String::new(), &mut n);
    let paths: BTreeSet<&String> = o.keys().chain(n.keys()).collect();
    paths
        .into_iter()
        .filter(|p| o.get(*p) != n.get(*p))
        .map(|p| Leaf {
            path: p.clone(),
            old: o.get(p).cloned(),
            new: n.get(p).cloned(),
        })
        .collect()
}

fn flatten(v: &Value, path: String, out: &mut BTreeMap<String, String>) {
    let intrinsic = |m: &Map<String, Value>| {
        m.len() == 1 && m.keys().all(|k| k == "Ref" || k.starts_with("Fn::"))
    };
    match v {
        Value::Null => {}
        Value::Object(m) if !intrinsic(m) => {
            for (k, child) in m {
                flatten(
                    child,
                    format!("{path}/{}", crate::source::escape_token(k)),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                flatten(child, format!("{path}/{i}"), out);
            }
        }
        other => {
            out.insert(path, text_of(other));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:";

    #[test]
    fn an_added_allow_or_a_removed_deny_broadens() {
        assert_eq!(kind_of(Change::Added, Effect::Allow), Kind::Broadening);
        assert_eq!(kind_of(Change::Removed, Effect::Deny), Kind::Broadening);
        assert_eq!(kind_of(Change::Removed, Effect::Allow), Kind::Narrowing);
        assert_eq!(kind_of(Change::Added, Effect::Deny), Kind::Narrowing);
    }

    fn statement(effect: &str, action: &str, resources: &[&str]) -> Value {
        let resources: Vec<Value> = resources
            .iter()
            .map(|r| json!({ "Fn::Sub": format!("{ARN}{r}") }))
            .collect();
        json!({ "Effect": effect, "Action": action, "Resource": resources })
    }

    fn note(identities: &str) -> Value {
        json!({ "cogsynth": { "pool": "p", "role": "member", "identities": identities } })
    }

    /// A template with one pool role (and its IoT policy, for signed-in identities).
    fn template(identities: &str, iam: Vec<Value>, iot: Vec<Value>) -> Value {
        let mut resources = json!({
            "PRole": {
                "Type": "AWS::IAM::Role",
                "Metadata": note(identities),
                "Properties": {
                    "AssumeRolePolicyDocument": { "Statement": [{ "Effect": "Allow" }] },
                    "Policies": [{ "PolicyName": "mqtt", "PolicyDocument": { "Statement": Value::Array(iam) } }]
                }
            }
        });
        if identities == "authenticated" {
            resources["PIotPolicy"] = json!({
                "Type": "AWS::IoT::Policy",
                "Metadata": note(identities),
                "Properties": {
                    "PolicyName": { "Fn::Sub": "${AWS::StackName}-p" },
                    "PolicyDocument": { "Statement": Value::Array(iot) }
                }
            });
        }
        json!({ "Resources": resources })
    }

    fn diff(old: &Value, new: &Value) -> StackDiff {
        let t = |v: &Value| Template {
            file: "t.yaml".into(),
            value: v.clone(),
        };
        stack("s", Some(&t(old)), Some(&t(new)))
    }

    #[test]
    fn a_topic_added_to_both_layers_is_one_effective_broadening() {
        let sub = statement("Allow", "iot:Subscribe", &["topicfilter/a"]);
        let both = statement(
            "Allow",
            "iot:Subscribe",
            &["topicfilter/a", "topicfilter/b"],
        );
        let d = diff(
            &template("authenticated", vec![sub.clone()], vec![sub]),
            &template("authenticated", vec![both.clone()], vec![both]),
        );
        assert_eq!(d.status, Status::Changed);
        let g = &d.roles[0].grants;
        assert_eq!(g.len(), 1, "{g:?}");
        assert_eq!(g[0].mqtt.as_deref(), Some("subscribe b"));
        assert_eq!(g[0].kind, Kind::Broadening);
        assert_eq!(g[0].change, Change::Added);
        assert!(g[0].effective);
        let layers: Vec<String> = g[0].layers.iter().map(LayerRef::describe).collect();
        assert_eq!(layers, ["IAM role policy mqtt", "IoT policy PIotPolicy"]);
    }

    #[test]
    fn a_one_layer_change_is_effective_only_if_the_other_layer_allows_it() {
        let a = statement("Allow", "iot:Publish", &["topic/a"]);
        let ab = statement("Allow", "iot:Publish", &["topic/a", "topic/b"]);
        // IAM gains b, IoT never allowed it: broadening of the IAM layer, no effect yet.
        let d = diff(
            &template("authenticated", vec![a.clone()], vec![a.clone()]),
            &template("authenticated", vec![ab.clone()], vec![a.clone()]),
        );
        let g = &d.roles[0].grants[0];
        assert_eq!((g.kind, g.effective), (Kind::Broadening, false));
        // IoT gains b while IAM already allowed it: now it takes effect.
        let d = diff(
            &template("authenticated", vec![ab.clone()], vec![a.clone()]),
            &template("authenticated", vec![ab.clone()], vec![ab.clone()]),
        );
        let g = &d.roles[0].grants[0];
        assert_eq!((g.kind, g.effective), (Kind::Broadening, true));
        // Guests: the IAM role alone decides.
        let d = diff(
            &template("unauthenticated", vec![a], vec![]),
            &template("unauthenticated", vec![ab], vec![]),
        );
        assert!(d.roles[0].grants[0].effective);
    }

    #[test]
    fn removed_allows_narrow_and_removed_denies_broaden() {
        let allow = statement("Allow", "iot:Publish", &["topic/a", "topic/b"]);
        let deny = statement("Deny", "iot:Publish", &["topic/b"]);
        let only_a = statement("Allow", "iot:Publish", &["topic/a"]);
        let d = diff(
            &template("unauthenticated", vec![allow.clone(), deny], vec![]),
            &template("unauthenticated", vec![only_a], vec![]),
        );
        let kinds: Vec<(Change, &str, Kind)> = d.roles[0]
            .grants
            .iter()
            .map(|g| (g.change, g.effect, g.kind))
            .collect();
        assert_eq!(
            kinds,
            [
                (Change::Removed, "Allow", Kind::Narrowing),
                (Change::Removed, "Deny", Kind::Broadening)
            ]
        );
    }

    #[test]
    fn reordered_statements_are_no_change() {
        let a = statement("Allow", "iot:Publish", &["topic/a", "topic/b"]);
        let b = statement("Allow", "iot:Publish", &["topic/b", "topic/a"]);
        let d = diff(
            &template("unauthenticated", vec![a], vec![]),
            &template("unauthenticated", vec![b], vec![]),
        );
        assert!(d.roles.is_empty(), "{:?}", d.roles);
    }

    #[test]
    fn a_policy_name_change_is_a_dangerous_replacement() {
        let s = statement("Allow", "iot:Publish", &["topic/a"]);
        let old = template("authenticated", vec![s.clone()], vec![s.clone()]);
        let mut new = old.clone();
        new["Resources"]["PIotPolicy"]["Properties"]["PolicyName"] = json!("renamed");
        let d = diff(&old, &new);
        let r = &d.resources[0];
        assert_eq!(r.change, ResourceStatus::Replaced);
        let rep = r.replacement.as_ref().unwrap();
        assert_eq!(rep.property.as_deref(), Some("PolicyName"));
        assert_eq!(
            (rep.old.as_str(), rep.new.as_str()),
            ("${AWS::StackName}-p", "renamed")
        );
        assert!(
            r.danger
                .as_deref()
                .unwrap()
                .contains("DeleteConflictException")
        );
    }

    #[test]
    fn a_renamed_pool_is_replaced_and_other_renames_pair_by_type() {
        let old = json!({ "Resources": {
            "AIdentityPool": { "Type": "AWS::Cognito::IdentityPool", "Properties": {} },
            "ALogs": { "Type": "AWS::Logs::LogGroup" },
        }});
        let new = json!({ "Resources": {
            "BIdentityPool": { "Type": "AWS::Cognito::IdentityPool", "Properties": {} },
            "BLogs": { "Type": "AWS::Logs::LogGroup" },
            "BOther": { "Type": "AWS::Logs::LogGroup" },
        }});
        let d = diff(&old, &new);
        let got: Vec<(&str, ResourceStatus)> = d
            .resources
            .iter()
            .map(|r| (r.logical_id.as_str(), r.change))
            .collect();
        assert_eq!(
            got,
            [
                ("ALogs", ResourceStatus::Removed),
                ("BIdentityPool", ResourceStatus::Replaced),
                ("BLogs", ResourceStatus::Added),
                ("BOther", ResourceStatus::Added),
            ]
        );
        let pool = &d.resources[1];
        assert_eq!(pool.replacement.as_ref().unwrap().old, "AIdentityPool");
        assert!(
            pool.danger
                .as_deref()
                .unwrap()
                .contains("every identity id changes")
        );
    }

    #[test]
    fn references_to_renamed_resources_are_rewritten() {
        let renames = BTreeMap::from([("Old".to_owned(), "New".to_owned())]);
        let v = json!({
            "Resources": { "Old": { "DependsOn": ["Old", "Other"] } },
            "a": { "Ref": "Old" },
            "b": { "Fn::GetAtt": ["Old", "Arn"] },
            "c": { "Fn::GetAtt": "Old.Arn" },
            "d": { "Fn::Sub": "${Old}-${Old.Arn}-${Older}-${!Old}" },
            "e": { "Ref": "Other" },
        });
        assert_eq!(
            rename_refs(&v, &renames),
            json!({
                "Resources": { "Old": { "DependsOn": ["New", "Other"] } },
                "a": { "Ref": "New" },
                "b": { "Fn::GetAtt": ["New", "Arn"] },
                "c": { "Fn::GetAtt": "New.Arn" },
                "d": { "Fn::Sub": "${New}-${New.Arn}-${Older}-${!Old}" },
                "e": { "Ref": "Other" },
            })
        );
    }

    #[test]
    fn trust_changes_are_listed_leaf_by_leaf() {
        let old = json!({ "Statement": [{ "Condition": { "StringEquals": { "aud": { "Ref": "Pool" } } } }] });
        let new = json!({ "Statement": [{ "Condition": {} }] });
        assert_eq!(
            leaf_changes(&old, &new),
            [Leaf {
                path: "/Statement/0/Condition/StringEquals/aud".into(),
                old: Some("{Ref Pool}".into()),
                new: None
            }]
        );
    }
}
