//! AWS size and count limits, checked on what synth emits. Policy documents are measured as
//! IoT and IAM will see them, by `cfn::size` (shared with `cfn::build`, which splits IoT
//! policies by the same measure).
//! Must not: change templates, or measure policies its own way.

use std::collections::BTreeMap;

use crate::cfn::model::Node;
use crate::compiled::Compiled;
use crate::diag::{Class, Diagnostic, Severity};
use crate::source::escape_token;

// The measure and the IoT policy limit live with the builder that splits by them; they are part
// of this catalogue of limits too.
pub use crate::cfn::size::{IOT_POLICY_CHARS, document_chars};

/// IoT policies attached to one Cognito identity (IOT-Q; docs/aws-facts.md §3.5).
pub const IOT_POLICIES_PER_IDENTITY: usize = 10;
/// All inline policies of one role together (IAM-Q; docs/aws-facts.md §7).
pub const IAM_INLINE_CHARS_PER_ROLE: usize = 10_240;
/// A role trust policy, default quota (IAM-Q; docs/aws-facts.md §7).
pub const IAM_TRUST_CHARS: usize = 2_048;
/// A template passed directly to CloudFormation (CFN-LIM; docs/aws-facts.md §6.1).
pub const TEMPLATE_BODY_BYTES: usize = 51_200;
/// A template passed via S3 (docs/aws-facts.md §6.1: 1 MB).
pub const TEMPLATE_S3_BYTES: usize = 1_048_576;
/// Resources, parameters and outputs per template (docs/aws-facts.md §6.1).
pub const MAX_RESOURCES: usize = 500;
/// See [`MAX_RESOURCES`].
pub const MAX_PARAMETERS: usize = 200;
/// See [`MAX_RESOURCES`].
pub const MAX_OUTPUTS: usize = 200;

/// Names synth derives from `${AWS::StackName}`, with AWS's length limit for each: an IoT
/// policy name and an identity pool name are 1-128 characters (docs/aws-facts.md §1.1, §1.4).
const DERIVED_NAMES: [(&str, &str, &str, usize); 2] = [
    ("AWS::IoT::Policy", "PolicyName", "IoT policy name", 128),
    (
        "AWS::Cognito::IdentityPool",
        "IdentityPoolName",
        "identity pool name",
        128,
    ),
];

fn finding(
    file: &str,
    pointer: &str,
    c: &Compiled,
    code: &'static str,
    message: String,
    help: &str,
) -> Diagnostic {
    Diagnostic {
        code,
        severity: Severity::Error,
        class: Class::Finding,
        file: file.to_owned(),
        pos: Some(c.loaded.doc.locate(pointer)),
        message,
        help: Some(help.to_owned()),
    }
}

/// Limits that depend on the template's content (not its text): policy sizes and counts.
pub fn check(c: &Compiled) -> Vec<Diagnostic> {
    let file = &c.loaded.file;
    let t = &c.template;
    let mut out = Vec::new();
    for pool in c.loaded.spec.identity_pools.keys() {
        let here = format!("/identity_pools/{}", escape_token(pool));
        let policies = t
            .resources
            .iter()
            .filter(|(_, r)| {
                r.kind == "AWS::IoT::Policy"
                    && note_pool(r.metadata.as_ref()) == Some(pool.as_str())
            })
            .count();
        if policies > IOT_POLICIES_PER_IDENTITY {
            out.push(finding(
                file,
                &format!("{here}/authenticated"),
                c,
                "limit-iot-policies",
                format!("signed-in identities of `{pool}` need {policies} IoT policies; IoT attaches at most {IOT_POLICIES_PER_IDENTITY} to one identity"),
                "grant fewer or broader topics (a `#` subtree is one resource pair), or split the role across identity pools",
            ));
        }
    }
    for (id, r) in &t.resources {
        let pointer = role_pointer(c, id);
        match r.kind {
            "AWS::IoT::Policy" => {
                if let Some(doc) = r.properties.get("PolicyDocument") {
                    let n = document_chars(doc);
                    if n > IOT_POLICY_CHARS {
                        out.push(finding(
                            file,
                            &pointer,
                            c,
                            "limit-iot-policy-size",
                            format!(
                                "IoT policy {id} has {n} characters; IoT allows {IOT_POLICY_CHARS}"
                            ),
                            "grant fewer or shorter topics",
                        ));
                    }
                }
            }
            "AWS::IAM::Role" => {
                let inline: usize = match r.properties.get("Policies") {
                    Some(Node::List(ps)) => ps
                        .iter()
                        .filter_map(|p| p.get("PolicyDocument"))
                        .map(document_chars)
                        .sum(),
                    _ => 0,
                };
                if inline > IAM_INLINE_CHARS_PER_ROLE {
                    out.push(finding(
                        file,
                        &pointer,
                        c,
                        "limit-iam-policy-size",
                        format!("role {id} has {inline} characters of inline policy; IAM allows {IAM_INLINE_CHARS_PER_ROLE} per role"),
                        "grant fewer or shorter topics, or use `#` subtrees instead of many single topics",
                    ));
                }
                if let Some(trust) = r.properties.get("AssumeRolePolicyDocument") {
                    let n = document_chars(trust);
                    if n > IAM_TRUST_CHARS {
                        out.push(finding(file, &pointer, c, "limit-trust-size", format!("the trust policy of role {id} has {n} characters; IAM allows {IAM_TRUST_CHARS}"), "simplify the trust policy"));
                    }
                }
            }
            _ => {}
        }
    }
    derived_names(c, &mut out);
    let counts = [
        ("resources", t.resources.len(), MAX_RESOURCES),
        ("parameters", t.parameters.len(), MAX_PARAMETERS),
        ("outputs", t.outputs.len(), MAX_OUTPUTS),
    ];
    for (what, n, max) in counts {
        if n > max {
            out.push(finding(
                file,
                "",
                c,
                "limit-template-count",
                format!("the template has {n} {what}; CloudFormation allows {max}"),
                "split the spec into several stacks",
            ));
        }
    }
    out
}

/// Names built from `${AWS::StackName}` must fit AWS's limits under every stack name the spec
/// deploys as: `stack:` and, per environment, `<stack>-<env>` (what `synth deploy-command --env`
/// uses). Found at synth time, not as a failed deploy.
fn derived_names(c: &Compiled, out: &mut Vec<Diagnostic>) {
    let spec = &c.loaded.spec;
    let Some((env, longest)) = spec
        .stack_names()
        .into_iter()
        .max_by_key(|(_, name)| name.len())
    else {
        return;
    };
    // Names are unique per account and region: two resources of one kind with one name text
    // would collide at deploy (pool `app`'s third IoT policy and pool `app-2`'s first are both
    // `<stack>-app-2`).
    let mut first: BTreeMap<(&str, &str), &str> = BTreeMap::new();
    for (id, r) in &c.template.resources {
        for (kind, property, what, max) in DERIVED_NAMES {
            let Some(text) = (r.kind == kind)
                .then(|| r.properties.get(property))
                .flatten()
                .and_then(|n| n.get("Fn::Sub"))
                .and_then(Node::as_str)
            else {
                continue;
            };
            if let Some(other) = first.insert((kind, text), id) {
                let pool = note_pool(r.metadata.as_ref()).unwrap_or_default();
                let mut d = finding(
                    &c.loaded.file,
                    "",
                    c,
                    "limit-name-collision",
                    format!(
                        "{what} `{text}` of {id} is also the name of {other}: AWS names must be unique in an account and region"
                    ),
                    "rename one of the identity pools (a pool named `<a>-<n>` collides with pool `<a>`'s n-th IoT policy)",
                );
                d.pos = Some(
                    c.loaded
                        .doc
                        .locate_key(&format!("/identity_pools/{}", escape_token(pool))),
                );
                out.push(d);
            }
            let len = text.replace("${AWS::StackName}", &longest).chars().count();
            if len <= max {
                continue;
            }
            let pool = note_pool(r.metadata.as_ref()).unwrap_or_default();
            let deployed = match env {
                Some(env) => format!(
                    "deployed as stack `{longest}` (`synth deploy-command {} --env {env}`)",
                    spec.stack
                ),
                None => format!("deployed as stack `{longest}`"),
            };
            let mut d = finding(
                &c.loaded.file,
                "",
                c,
                "limit-name-length",
                format!("{what} `{text}` of {id} is {len} characters {deployed}; AWS allows {max}"),
                "shorten the stack, environment or identity pool name (or give the pool a shorter `name:`)",
            );
            d.pos = Some(
                c.loaded
                    .doc
                    .locate_key(&format!("/identity_pools/{}", escape_token(pool))),
            );
            out.push(d);
        }
    }
}

/// The emitted text's size: a warning past what `aws cloudformation deploy` sends inline, an
/// error past what CloudFormation accepts at all.
pub fn check_text(c: &Compiled, text: &str) -> Vec<Diagnostic> {
    let n = text.len();
    let file = &c.loaded.file;
    if n > TEMPLATE_S3_BYTES {
        return vec![finding(
            file,
            "",
            c,
            "limit-template-size",
            format!(
                "the template is {n} bytes; CloudFormation accepts at most {TEMPLATE_S3_BYTES}"
            ),
            "split the spec into several stacks",
        )];
    }
    if n > TEMPLATE_BODY_BYTES {
        let mut d = finding(
            file,
            "",
            c,
            "limit-template-size",
            format!(
                "the template is {n} bytes, over the {TEMPLATE_BODY_BYTES} a deploy can send inline"
            ),
            "deploy with `--s3-bucket` (synth deploy-command adds it)",
        );
        d.severity = Severity::Warning;
        return vec![d];
    }
    Vec::new()
}

fn note_pool(metadata: Option<&Node>) -> Option<&str> {
    metadata?.get("cogsynth")?.get("pool")?.as_str()
}

fn role_pointer(c: &Compiled, id: &str) -> String {
    let Some(r) = c.template.resource(id) else {
        return String::new();
    };
    let note = r.metadata.as_ref().and_then(|m| m.get("cogsynth"));
    match note.and_then(|n| n.get("role")).and_then(Node::as_str) {
        Some(role) => format!("/roles/{}", escape_token(role)),
        None => String::new(),
    }
}
