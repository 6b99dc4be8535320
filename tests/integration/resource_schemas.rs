//! Every emitted resource's `Properties` against the official CloudFormation resource provider
//! schema of its type (vendored from cfn-lint under `schemas/cloudformation/`, see its README).
//!
//! Intrinsic functions stand where the schema expects literals; they are replaced by distinct
//! ARN-shaped placeholders, and errors at or under a placeholder are dropped, because their
//! value is only known at deploy time.

use std::collections::{BTreeMap, HashSet};
use std::fs;

use serde_json::{Map, Value, json};

use crate::support::repo;

/// The registry schemas are draft-07 style (`definitions`, local `#/definitions/...` refs).
const DRAFT7: &str = "http://json-schema.org/draft-07/schema#";

fn schema_file(kind: &str) -> String {
    format!("{}.json", kind.to_ascii_lowercase().replace("::", "-"))
}

/// The schema for a resource's `Properties`, out of its registry schema: read-only properties
/// removed (setting them is an error), top-level combinators kept.
fn properties_schema(resource_schema: &Value) -> Value {
    let read_only: HashSet<&str> = resource_schema
        .get("readOnlyProperties")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|p| p.strip_prefix("/properties/"))
        .filter(|p| !p.contains('/'))
        .collect();
    let mut properties = resource_schema
        .get("properties")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    properties.retain(|name, _| !read_only.contains(name.as_str()));
    let mut schema = Map::new();
    schema.insert("properties".into(), Value::Object(properties));
    for key in [
        "required",
        "definitions",
        "additionalProperties",
        "oneOf",
        "anyOf",
        "allOf",
        "dependencies",
    ] {
        if let Some(v) = resource_schema.get(key) {
            schema.insert(key.into(), v.clone());
        }
    }
    let mut schema = normalize_patterns(Value::Object(schema));
    let m = schema.as_object_mut().expect("object");
    m.insert("$schema".into(), Value::String(DRAFT7.into()));
    m.insert("type".into(), Value::String("object".into()));
    schema
}

/// Registry patterns are written for Python's `re`: `\Z` (end of text) in AWS::Logs::LogGroup.
/// Rust regex has no `\Z`; without the `m` flag `$` means the same.
fn normalize_patterns(v: Value) -> Value {
    fn fix(re: &str) -> String {
        let mut out = String::with_capacity(re.len());
        let mut chars = re.chars();
        while let Some(c) = chars.next() {
            if c == '\\' {
                match chars.next() {
                    Some('Z') => out.push('$'),
                    Some(n) => {
                        out.push('\\');
                        out.push(n);
                    }
                    None => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        out
    }
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, child)| match (k.as_str(), child) {
                    ("pattern", Value::String(re)) => (k, Value::String(fix(&re))),
                    ("patternProperties", Value::Object(pp)) => (
                        k,
                        Value::Object(
                            pp.into_iter()
                                .map(|(re, s)| (fix(&re), normalize_patterns(s)))
                                .collect(),
                        ),
                    ),
                    (_, child) => (k, normalize_patterns(child)),
                })
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(normalize_patterns).collect()),
        other => other,
    }
}

fn is_intrinsic(v: &Value) -> bool {
    v.as_object().is_some_and(|m| {
        m.len() == 1
            && m.keys()
                .next()
                .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
    })
}

fn neutralize(v: &Value, path: &str, masked: &mut Vec<String>) -> Value {
    if is_intrinsic(v) {
        masked.push(path.to_owned());
        return Value::String(format!(
            "arn:aws:iam::123456789012:role/cfn-intrinsic-{}",
            masked.len() - 1
        ));
    }
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .map(|(k, child)| {
                    (
                        k.clone(),
                        neutralize(
                            child,
                            &format!("{path}/{}", k.replace('~', "~0").replace('/', "~1")),
                            masked,
                        ),
                    )
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, c)| neutralize(c, &format!("{path}/{i}"), masked))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Validates resources by type; compiled validators are cached per type.
struct Registry {
    validators: BTreeMap<String, jsonschema::Validator>,
}

impl Registry {
    fn new() -> Registry {
        Registry {
            validators: BTreeMap::new(),
        }
    }

    fn errors(&mut self, kind: &str, properties: &Value) -> Vec<String> {
        let validator = self.validators.entry(kind.to_owned()).or_insert_with(|| {
            let path = repo()
                .join("schemas/cloudformation")
                .join(schema_file(kind));
            let text = fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!("no vendored schema for {kind} ({}): {e}", path.display())
            });
            let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
            jsonschema::draft7::options()
                .build(&properties_schema(&schema))
                .unwrap_or_else(|e| panic!("{kind}: {e}"))
        });
        let mut masked = Vec::new();
        let instance = neutralize(properties, "", &mut masked);
        validator
            .iter_errors(&instance)
            .filter(|e| {
                let at = e.instance_path().as_str();
                !masked.iter().any(|m| {
                    at == m
                        || at
                            .strip_prefix(m.as_str())
                            .is_some_and(|r| r.starts_with('/'))
                })
            })
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect()
    }

    /// `(logical id, message)` for every invalid property of every resource.
    fn check_template(&mut self, template: &Value) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (id, resource) in template["Resources"].as_object().expect("Resources") {
            let kind = resource["Type"].as_str().expect("Type");
            if kind.starts_with("Custom::") {
                // A custom resource's properties are ours (ServiceToken aside): there is no
                // registry schema; the detach function's runtime tests pin what it reads.
                continue;
            }
            let props = resource
                .get("Properties")
                .cloned()
                .unwrap_or_else(|| json!({}));
            out.extend(
                self.errors(kind, &props)
                    .into_iter()
                    .map(|e| (id.clone(), e)),
            );
        }
        out
    }
}

/// The template synth builds for a spec file, as JSON.
fn template_of(path: &std::path::Path) -> Value {
    let shown = path
        .strip_prefix(repo())
        .unwrap_or(path)
        .to_string_lossy()
        .into_owned();
    let loaded = cogsynth::spec::load(&shown, &fs::read(path).unwrap())
        .unwrap_or_else(|d| panic!("{shown}: {d:?}"));
    let found = cogsynth::check::run(&loaded);
    assert!(!cogsynth::diag::has_errors(&found), "{shown}: {found:?}");
    let template = cogsynth::cfn::build::build(&loaded.spec, &shown);
    serde_json::to_value(template.to_node()).expect("serializes")
}

fn good_specs() -> Vec<std::path::PathBuf> {
    let mut specs = Vec::new();
    for dir in ["stacks", "tests/fixtures/good"] {
        for e in fs::read_dir(repo().join(dir)).unwrap() {
            let p = e.unwrap().path();
            if p.extension().is_some_and(|x| x == "yaml") {
                specs.push(p);
            }
        }
    }
    specs.sort();
    specs
}

#[test]
fn every_emitted_resource_matches_its_registry_schema() {
    let mut registry = Registry::new();
    let mut kinds = std::collections::BTreeSet::new();
    for spec in good_specs() {
        let template = template_of(&spec);
        for r in template["Resources"].as_object().unwrap().values() {
            kinds.insert(r["Type"].as_str().unwrap().to_owned());
        }
        let errors = registry.check_template(&template);
        assert!(errors.is_empty(), "{}: {errors:#?}", spec.display());
    }
    // Every type synth emits was checked.
    assert_eq!(
        kinds.into_iter().collect::<Vec<_>>(),
        [
            "AWS::ApiGateway::Deployment",
            "AWS::ApiGateway::Method",
            "AWS::ApiGateway::Resource",
            "AWS::ApiGateway::RestApi",
            "AWS::ApiGateway::Stage",
            "AWS::Cognito::IdentityPool",
            "AWS::Cognito::IdentityPoolRoleAttachment",
            "AWS::IAM::Role",
            "AWS::IoT::Policy",
            "AWS::Lambda::Function",
            "AWS::Lambda::Permission",
            "AWS::Logs::LogGroup",
            "Custom::DetachIotPolicyTargets"
        ]
    );
}

#[test]
fn the_schema_check_catches_broken_properties() {
    let mut registry = Registry::new();
    let mut template = template_of(&repo().join("stacks/fleet.yaml"));
    assert!(registry.check_template(&template).is_empty());
    let r = &mut template["Resources"];
    r["FleetIdentityPool"]["Properties"]["AllowClassicFlow"] = json!("no");
    r["FleetIdentityPool"]["Properties"]["Colour"] = json!("blue");
    r["FleetAttachFunctionLogs"]["Properties"]["RetentionInDays"] = json!(10);
    r["FleetAttachFunction"]["Properties"]["Timeout"] = json!(0);
    r["FleetAttachFunction"]["Properties"]
        .as_object_mut()
        .unwrap()
        .remove("Code");
    r["FleetIotPolicy"]["Properties"]["PolicyName"] = json!("has spaces");
    let errors = registry.check_template(&template);
    let ids: Vec<&str> = errors.iter().map(|(id, _)| id.as_str()).collect();
    for broken in [
        "FleetIdentityPool",
        "FleetAttachFunctionLogs",
        "FleetAttachFunction",
        "FleetIotPolicy",
    ] {
        assert!(ids.contains(&broken), "{broken} not caught: {errors:#?}");
    }
    assert!(
        errors.iter().any(|(_, e)| e.contains("Colour")),
        "{errors:#?}"
    );
    assert!(
        errors.iter().any(|(_, e)| e.contains("Code")),
        "{errors:#?}"
    );
    assert!(errors.len() >= 6, "{errors:#?}");
}

#[test]
fn the_stackset_matches_its_registry_schema() {
    let mut registry = Registry::new();
    for spec in good_specs() {
        let shown = spec
            .strip_prefix(repo())
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let loaded = cogsynth::spec::load(&shown, &fs::read(&spec).unwrap()).unwrap();
        if let Some(set) = cogsynth::cfn::stackset::build(&loaded.spec) {
            let json = serde_json::to_value(set.to_node()).unwrap();
            let errors = registry.check_template(&json);
            assert!(errors.is_empty(), "{shown}: {errors:#?}");
            // And the check bites on a broken StackSet.
            let mut broken = json.clone();
            broken["Resources"]["FleetStackSet"]["Properties"]["PermissionModel"] =
                json!("SOMETIMES");
            assert!(!registry.check_template(&broken).is_empty());
        }
    }
}
