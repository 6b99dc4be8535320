//! Compares two templates of one stack: its grants per pool role and layer (`grants`), its
//! resources (`resources`), and the other sections; then the report over every stack, with its
//! summary. Pure: values in, a [`StackDiff`] out. Must not: read files or print.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::grants::roles;
use super::mappings::changes as mapping_changes;
use super::model::{Base, Kind, Report, ResourceStatus, StackDiff, Status, Summary};
use super::resources::{rename_refs, resource_renames, resources};

/// A parsed template and the name it is shown by.
#[derive(Debug, Clone)]
pub struct Template {
    /// `out/fleet.template.yaml` (inside the revision, for a git base).
    pub file: String,
    /// The template as JSON.
    pub value: Value,
}

/// One stack's two sides, as `base::read` found them.
#[derive(Debug)]
pub enum Pair {
    /// The same bytes on both sides: nothing was parsed.
    Same {
        /// The base's template, as shown.
        base_file: String,
        /// The current template, as shown.
        file: String,
    },
    /// Different bytes, or a stack on one side only: both parsed.
    Differ(Option<Template>, Option<Template>),
}

/// The report over every stack: `stacks` is each stack's diff ([`pair`]), by name.
pub fn report(base: Base, out: String, stacks: BTreeMap<String, StackDiff>) -> Report {
    let stacks: Vec<StackDiff> = stacks.into_values().collect();
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
        for m in &st.mappings {
            match m.kind {
                Some(Kind::Broadening) => s.broadening += 1,
                Some(Kind::Narrowing) => s.narrowing += 1,
                None => {}
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

/// One stack's diff, from its two sides.
pub fn pair(name: &str, pair: &Pair) -> StackDiff {
    match pair {
        Pair::Differ(old, new) => stack(name, old.as_ref(), new.as_ref()),
        Pair::Same { base_file, file } => same(name, base_file, file),
    }
}

/// A stack whose template has the same bytes on both sides: unchanged, as [`stack`] finds a
/// template equal to itself (a test holds the two to the same answer).
fn same(name: &str, base_file: &str, file: &str) -> StackDiff {
    StackDiff {
        stack: name.to_owned(),
        status: Status::Unchanged,
        base_file: Some(base_file.to_owned()),
        file: Some(file.to_owned()),
        roles: Vec::new(),
        mappings: Vec::new(),
        resources: Vec::new(),
        sections: Vec::new(),
    }
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
    let mappings = mapping_changes(&old_renamed, new_value);
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
        mappings,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    use crate::diff::grants::kind_of;
    use crate::diff::model::{Change, LayerRef, Leaf};
    use crate::diff::resources::leaf_changes;
    use crate::policy::doc::Effect;

    use crate::arn::IOT_PREFIX as ARN;

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
    fn identical_bytes_are_what_an_identical_template_compares_to() {
        // `report` marks same-bytes stacks unchanged without parsing; `stack` on the template
        // itself must say the same, or skipping the parse would change the report.
        let text = include_bytes!("../../out/fleet.template.yaml");
        let t = Template {
            file: "out/fleet.template.yaml".into(),
            value: crate::source::parse("fleet.template.yaml", text)
                .unwrap()
                .value,
        };
        let parsed = serde_json::to_value(stack("s", Some(&t), Some(&t))).unwrap();
        let skipped = serde_json::to_value(same("s", &t.file, &t.file)).unwrap();
        assert_eq!(parsed, skipped);
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
