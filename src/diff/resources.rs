//! The resource half of a stack's permission diff: resources added, removed, replaced (by a
//! create-only property, a new logical id or a new type) and modified, with what a deploy of
//! each risky change breaks here, and trust policy changes leaf by leaf. Renamed resources are
//! paired by type, and references to them rewritten, so a rename is reported once.
//! Must not: compare grants (that is `grants`), read files or print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::model::{Leaf, Replacement, ResourceChange, ResourceStatus};
use crate::policy::doc::text_of;

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
pub(super) fn resource_renames(old: &Value, new: &Value) -> BTreeMap<String, String> {
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
pub(super) fn rename_refs(v: &Value, renames: &BTreeMap<String, String>) -> Value {
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

pub(super) fn resources(
    old: &Value,
    new: &Value,
    renames: &BTreeMap<String, String>,
) -> Vec<ResourceChange> {
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
pub(super) fn leaf_changes(old: &Value, new: &Value) -> Vec<Leaf> {
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
