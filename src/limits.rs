//! AWS size and count limits, measured on what synth emits. Policy documents are measured as
//! IoT and IAM will see them: intrinsics resolved to their longest plausible text (partition
//! `aws-us-gov`, a 14-character region, a 12-digit account), then every character except
//! whitespace counted, which is how both services count (aws-facts.md §3.5, §7).
//! Must not: change templates (`cfn::build` splits IoT policies using `document_chars`).

use serde_json::Value;

use crate::cfn::model::Node;
use crate::compile::Compiled;
use crate::diag::{Class, Diagnostic, Severity};
use crate::source::escape_token;

/// An IoT policy document: 2,048 characters, whitespace not counted (IOT-API CreatePolicy).
pub const IOT_POLICY_CHARS: usize = 2_048;
/// IoT policies attached to one Cognito identity (IOT-Q; aws-facts.md §3.5).
pub const IOT_POLICIES_PER_IDENTITY: usize = 10;
/// All inline policies of one role together (IAM-Q; aws-facts.md §7).
pub const IAM_INLINE_CHARS_PER_ROLE: usize = 10_240;
/// A role trust policy, default quota (IAM-Q; aws-facts.md §7).
pub const IAM_TRUST_CHARS: usize = 2_048;
/// A template passed directly to CloudFormation (CFN-LIM; aws-facts.md §6.1).
pub const TEMPLATE_BODY_BYTES: usize = 51_200;
/// A template passed via S3 (CFN-LIM: "1 MB").
pub const TEMPLATE_S3_BYTES: usize = 1_048_576;
/// Resources, parameters and outputs per template (CFN-LIM).
pub const MAX_RESOURCES: usize = 500;
/// See [`MAX_RESOURCES`].
pub const MAX_PARAMETERS: usize = 200;
/// See [`MAX_RESOURCES`].
pub const MAX_OUTPUTS: usize = 200;

/// The longest texts intrinsics may become, so measured sizes are upper bounds.
fn resolve_sub(text: &str) -> String {
    // One pass (this runs for every ARN of every policy measured).
    let mut out = String::with_capacity(text.len() + 160);
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i..];
        let (with, skip) = if after.starts_with("${AWS::Partition}") {
            ("aws-us-gov", "${AWS::Partition}".len())
        } else if after.starts_with("${AWS::Region}") {
            ("ap-southeast-5", "${AWS::Region}".len())
        } else if after.starts_with("${AWS::AccountId}") {
            ("123456789012", "${AWS::AccountId}".len())
        } else if after.starts_with("${AWS::StackName}") {
            // Stack names are at most 128 characters (CFN-LIM).
            (STACK_NAME_MAX, "${AWS::StackName}".len())
        } else if after.starts_with("${!") {
            ("${", 3)
        } else {
            ("${", 2)
        };
        out.push_str(with);
        rest = &after[skip..];
    }
    out.push_str(rest);
    out
}

const STACK_NAME_MAX: &str = "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss";

/// A stand-in for a `Ref` or `Fn::GetAtt` value: as long as a function ARN with a 64-character
/// name in the longest region (the only such value synth puts in a policy).
const REFERENCE_TEXT_LEN: usize = 128;

fn resolve(node: &Node) -> Value {
    match node {
        Node::Bool(b) => Value::Bool(*b),
        Node::Int(i) => Value::from(*i),
        Node::Str(s) => Value::String(s.clone()),
        Node::List(items) => Value::Array(items.iter().map(resolve).collect()),
        Node::Map(pairs) => {
            if let [(k, v)] = pairs.as_slice() {
                match (k.as_str(), v) {
                    ("Fn::Sub", Node::Str(s)) => return Value::String(resolve_sub(s)),
                    ("Ref" | "Fn::GetAtt" | "Fn::ImportValue", _) => {
                        return Value::String("r".repeat(REFERENCE_TEXT_LEN));
                    }
                    _ => {}
                }
            }
            Value::Object(pairs.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
        }
    }
}

/// Characters of a policy document as AWS counts them: resolved, whitespace excluded.
pub fn document_chars(document: &Node) -> usize {
    let text = serde_json::to_string(&resolve(document)).expect("a Node always serializes");
    text.chars().filter(|c| !c.is_whitespace()).count()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_pseudo_parameters_to_their_longest_text() {
        assert_eq!(STACK_NAME_MAX.len(), 128);
        assert_eq!(
            resolve_sub(
                "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/${!cognito-identity.amazonaws.com:sub}/${X}"
            ),
            "arn:aws-us-gov:iot:ap-southeast-5:123456789012:topic/${cognito-identity.amazonaws.com:sub}/${X}"
        );
        assert_eq!(resolve_sub("${AWS::StackName}-p").len(), 130);
    }

    #[test]
    fn counts_resolved_characters_without_whitespace() {
        let doc = Node::map([
            (
                "A",
                Node::sub("arn:${AWS::Partition}:x/${!cognito-identity.amazonaws.com:sub}"),
            ),
            ("B", Node::s("a b")),
        ]);
        // {"A":"arn:aws-us-gov:x/${cognito-identity.amazonaws.com:sub}","B":"ab"} minus the space.
        let expected =
            r#"{"A":"arn:aws-us-gov:x/${cognito-identity.amazonaws.com:sub}","B":"ab"}"#.len();
        assert_eq!(document_chars(&doc), expected);
    }
}
