//! The spec's environments as deployment artefacts: a CloudFormation parameter file per
//! environment, and an `AWS::CloudFormation::StackSet` that rolls the one template out to every
//! environment's accounts (or organizational units) and regions, each with its own values
//! (docs/aws-facts.md §6.3). The template itself names no IAM resource and builds every ARN from
//! pseudo parameters, so the same text deploys to any account and region.

use super::ids::pascal;
use super::model::{Node, Resource, Template};
use crate::spec::{Environment, Spec};

/// `[{"ParameterKey": ..., "ParameterValue": ...}]`, the file format of
/// `aws cloudformation create-stack --parameters file://...` and of AWS CLI v2 `deploy
/// --parameter-overrides file://...`. Parameters the environment does not set keep their default.
pub fn parameter_file(env: &Environment) -> String {
    let list: Vec<serde_json::Value> = env
        .parameters
        .iter()
        .map(|(k, v)| serde_json::json!({ "ParameterKey": k, "ParameterValue": v }))
        .collect();
    let mut text = serde_json::to_string_pretty(&list).expect("strings always serialize");
    text.push('\n');
    text
}

fn overrides(env: &Environment) -> Node {
    Node::list(
        env.parameters.iter().map(|(k, v)| {
            Node::map([("ParameterKey", Node::s(k)), ("ParameterValue", Node::s(v))])
        }),
    )
}

/// The StackSet template, when any environment names targets.
pub fn build(spec: &Spec) -> Option<Template> {
    let targeted: Vec<(&String, &Environment)> = spec
        .environments
        .iter()
        .filter(|(_, e)| e.has_targets())
        .collect();
    let properties = properties(spec, &targeted)?;
    let id = format!("{}StackSet", pascal(&spec.stack));
    let mut t = Template {
        description: Some(format!(
            "StackSet rolling out cogsynth stack {} to its environments",
            spec.stack
        )),
        metadata: Some(Node::map([(
            "cogsynth",
            Node::map([("stack", Node::s(&spec.stack))]),
        )])),
        ..Template::default()
    };
    let url_help = format!(
        "HTTPS URL of {0}.template.yaml uploaded to S3 (aws s3 cp out/{0}.template.yaml s3://BUCKET/)",
        spec.stack
    );
    t.parameters.push((
        "TemplateUrl".into(),
        Node::map([
            ("Type", Node::s("String")),
            ("Description", Node::s(url_help)),
            ("AllowedPattern", Node::s("https://.+")),
        ]),
    ));
    t.push(
        &id,
        Resource::new("AWS::CloudFormation::StackSet", properties),
    );
    t.outputs.push((
        format!("{id}Id"),
        Node::map([
            ("Description", Node::s("Stack set id")),
            ("Value", Node::ref_(&id)),
        ]),
    ));
    Some(t)
}

fn properties(spec: &Spec, targeted: &[(&String, &Environment)]) -> Option<Node> {
    let (_, first) = targeted.first()?;
    let service_managed = first.accounts.is_empty();
    let groups = targeted.iter().map(|(_, env)| {
        let targets = if service_managed {
            (
                "OrganizationalUnitIds",
                Node::list(env.organizational_units.iter().map(Node::s)),
            )
        } else {
            ("Accounts", Node::list(env.accounts.iter().map(Node::s)))
        };
        Node::map([
            ("DeploymentTargets", Node::map([targets])),
            ("Regions", Node::list(env.regions.iter().map(Node::s))),
            ("ParameterOverrides", overrides(env)),
        ])
    });
    let names: Vec<&str> = targeted.iter().map(|(n, _)| n.as_str()).collect();
    let mut props = vec![
        ("StackSetName".to_owned(), Node::s(&spec.stack)),
        (
            "Description".into(),
            Node::s(format!(
                "cogsynth stack {} in environments {}",
                spec.stack,
                names.join(", ")
            )),
        ),
        (
            "PermissionModel".into(),
            Node::s(if service_managed {
                "SERVICE_MANAGED"
            } else {
                "SELF_MANAGED"
            }),
        ),
    ];
    if service_managed {
        // Service-managed stack sets need this; new accounts in the OUs get the stack too.
        props.push((
            "AutoDeployment".into(),
            Node::map([
                ("Enabled", Node::Bool(true)),
                ("RetainStacksOnAccountRemoval", Node::Bool(false)),
            ]),
        ));
    }
    let preferences = Node::map([
        ("FailureToleranceCount", Node::Int(0)),
        ("MaxConcurrentCount", Node::Int(1)),
        ("RegionConcurrencyType", Node::s("SEQUENTIAL")),
    ]);
    props.extend([
        // The template creates IAM roles, none of them named (docs/aws-facts.md §6.2).
        (
            "Capabilities".to_owned(),
            Node::list([Node::s("CAPABILITY_IAM")]),
        ),
        ("TemplateURL".into(), Node::ref_("TemplateUrl")),
        // Instance groups override every value; the stack set itself must still carry each
        // parameter, so it gets the first environment's values.
        ("Parameters".into(), overrides(first)),
        ("OperationPreferences".into(), preferences),
        ("StackInstancesGroup".into(), Node::list(groups)),
    ]);
    Some(Node::Map(props))
}
