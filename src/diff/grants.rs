//! The grant half of a stack's permission diff: per pool and kind of identity, the grants
//! added and removed in each layer (read back with `policy::doc::role_views`, so the diff judges
//! what was emitted), grouped across layers, marked broadening or narrowing, effective or not,
//! and cross-identity when a new wildcard reaches into another identity's subtree.
//! Must not: compare resources (that is `resources`), read files or print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::{Change, GrantChange, Kind, LayerRef, RoleDiff, Status};
use super::mqtt;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::doc::{Effect, Identities, Layer, RoleView, Stmt, role_views};
use crate::policy::overlap::Subtrees;

/// The kind of a grant change: the new templates allow something the old did not when an Allow
/// appears or a Deny disappears.
pub(super) fn kind_of(change: Change, effect: Effect) -> Kind {
    match (change, effect) {
        (Change::Added, Effect::Allow) | (Change::Removed, Effect::Deny) => Kind::Broadening,
        (Change::Removed, Effect::Allow) | (Change::Added, Effect::Deny) => Kind::Narrowing,
    }
}

/// A pool role's key: pool, kind of identity, role name.
type Key = (String, Identities, String);

/// Roles keyed by pool, kind of identity and role name (a pool with role mapping has several
/// signed-in roles).
fn views(template: &Value) -> BTreeMap<Key, RoleView> {
    let mut out: BTreeMap<Key, RoleView> = BTreeMap::new();
    for v in role_views(template) {
        match out.get_mut(&(v.pool.clone(), v.identities, v.role.clone())) {
            // Two resources for one role of one pool and kind cannot come from synth; keep
            // every statement.
            Some(seen) => {
                seen.iam.extend(v.iam);
                seen.iot.extend(v.iot);
            }
            None => {
                out.insert((v.pool.clone(), v.identities, v.role.clone()), v);
            }
        }
    }
    out
}

/// Where the base and the current template each have one role for a pool and kind and its name
/// changed, the base's role under the current name: a renamed role that grants the same is no
/// permission change for the pool's identities.
fn pair_renamed_roles(
    old: BTreeMap<Key, RoleView>,
    new: &BTreeMap<Key, RoleView>,
) -> BTreeMap<Key, RoleView> {
    let count = |m: &BTreeMap<Key, RoleView>, pool: &str, kind: Identities| {
        m.keys().filter(|k| k.0 == pool && k.1 == kind).count()
    };
    let renamed: BTreeMap<(String, Identities), String> = new
        .keys()
        .filter(|k| count(new, &k.0, k.1) == 1 && count(&old, &k.0, k.1) == 1)
        .map(|k| ((k.0.clone(), k.1), k.2.clone()))
        .collect();
    old.into_iter()
        .map(|((pool, kind, role), v)| {
            let role = renamed.get(&(pool.clone(), kind)).cloned().unwrap_or(role);
            ((pool, kind, role), v)
        })
        .collect()
}

/// Renamed pools, new name → old name: the pools that disappeared paired with those that
/// appeared, in name order, when there are as many of each (the same rule as for resources).
/// The pool's replacement is reported with the resources; pairing here keeps the grant diff to
/// what the renamed pool's identities may do differently, instead of every grant twice.
fn pool_renames(
    old: &BTreeMap<Key, RoleView>,
    new: &BTreeMap<Key, RoleView>,
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

pub(super) fn roles(old: &Value, new: &Value) -> Vec<RoleDiff> {
    let new_views = views(new);
    let renames = pool_renames(&views(old), &new_views);
    let old_pool_of: BTreeMap<&String, &String> = renames.iter().map(|(n, o)| (o, n)).collect();
    let old_views: BTreeMap<Key, RoleView> = views(old)
        .into_iter()
        .map(|((pool, i, role), v)| {
            let pool = old_pool_of.get(&pool).map_or(pool, |n| (*n).clone());
            ((pool, i, role), v)
        })
        .collect();
    let old_views = pair_renamed_roles(old_views, &new_views);
    let keys: BTreeSet<&Key> = old_views.keys().chain(new_views.keys()).collect();
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
            identities: key.1.amr(),
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
/// granted anywhere in the new template (any pool, any role, either layer: the pools of an
/// account share one topic namespace). What the
/// spec meant is read from the role's broadened notes (`<verb> <spec text> is granted as
/// <resource>: ...`); an exact `a/*` means `a/#`; any other wildcard without a note is taken as
/// meaning nothing beyond itself.
fn label_cross_identity(
    grants: &mut [GrantChange],
    template: &Value,
    view: &RoleView,
    views: &BTreeMap<Key, RoleView>,
) {
    let targets: BTreeSet<String> = views
        .values()
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
    let subtrees = Subtrees::new(targets.into_iter().map(|t| (t, ())));
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
            .reached(&m.target, meant.as_deref())
            .map(|(leak, ())| leak);
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
