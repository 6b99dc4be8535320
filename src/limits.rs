//! AWS size and count limits, measured on what synth emits. Policy documents are measured as
//! IoT and IAM will see them: intrinsics resolved to their longest plausible text (partition
//! `aws-us-gov`, a 14-character region, a 12-digit account), then every character except
//! whitespace counted, which is how both services count (docs/aws-facts.md §3.5, §7).
//! Must not: change templates (`cfn::build` splits IoT policies using `document_chars`).

use crate::cfn::model::Node;
use crate::compile::Compiled;
use crate::diag::{Class, Diagnostic, Severity};
use crate::source::escape_token;

/// An IoT policy document: 2,048 characters, whitespace not counted (IOT-API CreatePolicy; docs/aws-facts.md §3.5).
pub const IOT_POLICY_CHARS: usize = 2_048;
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

/// The longest text each pseudo parameter may become, so measured sizes are upper bounds.
const PSEUDO_PARAMETERS: [(&str, &str); 4] = [
    ("${AWS::Partition}", "aws-us-gov"),
    ("${AWS::Region}", "ap-southeast-5"),
    ("${AWS::AccountId}", "123456789012"),
    // Stack names are at most 128 characters (docs/aws-facts.md §6.1).
    ("${AWS::StackName}", STACK_NAME_MAX),
];

const STACK_NAME_MAX: &str = "ssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss";

/// A stand-in for a `Ref` or `Fn::GetAtt` value: as long as a function ARN with a 64-character
/// name in the longest region (the only such value synth puts in a policy).
const REFERENCE_TEXT_LEN: usize = 128;

/// Calls `piece` with the pieces of the longest text an `Fn::Sub` string may become:
/// pseudo parameters replaced, `${!` unescaped to `${`. One pass, no allocation (this runs for
/// every ARN of every policy measured, and again while IoT policies are split).
fn resolve_sub<'a>(text: &'a str, mut piece: impl FnMut(&'a str)) {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        piece(&rest[..i]);
        let after = &rest[i..];
        let (with, skip) = PSEUDO_PARAMETERS
            .iter()
            .find(|(name, _)| after.starts_with(name))
            .map_or_else(
                || ("${", if after.starts_with("${!") { 3 } else { 2 }),
                |(name, value)| (*value, name.len()),
            );
        piece(with);
        rest = &after[skip..];
    }
    piece(rest);
}

/// Characters of a policy document as AWS counts them: resolved, whitespace excluded. Counts
/// what compact JSON (`serde_json::to_string`) would print, without printing it.
pub fn document_chars(document: &Node) -> usize {
    match document {
        Node::Bool(true) => 4,
        Node::Bool(false) => 5,
        Node::Int(i) => i.to_string().len(),
        Node::Str(s) => quoted_chars(s),
        Node::List(items) => {
            // `[`, `]`, and a comma between items.
            2 + items.len().saturating_sub(1) + items.iter().map(document_chars).sum::<usize>()
        }
        Node::Map(pairs) => {
            if let [(k, v)] = pairs.as_slice() {
                match (k.as_str(), v) {
                    ("Fn::Sub", Node::Str(s)) => {
                        let mut n = 2;
                        resolve_sub(s, |piece| n += escaped_chars(piece));
                        return n;
                    }
                    ("Ref" | "Fn::GetAtt" | "Fn::ImportValue", _) => {
                        return 2 + REFERENCE_TEXT_LEN;
                    }
                    _ => {}
                }
            }
            // `{`, `}`, a comma between pairs, and `:` in each.
            2 + pairs.len().saturating_sub(1)
                + pairs
                    .iter()
                    .map(|(k, v)| quoted_chars(k) + 1 + document_chars(v))
                    .sum::<usize>()
        }
    }
}

/// A JSON string with its quotes.
fn quoted_chars(s: &str) -> usize {
    2 + escaped_chars(s)
}

/// Characters of `s` as JSON escapes it (as `serde_json` does), whitespace not counted.
fn escaped_chars(s: &str) -> usize {
    s.chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            '\0'..='\u{1f}' => 6,
            c if c.is_whitespace() => 0,
            _ => 1,
        })
        .sum()
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

#[cfg(test)]
mod tests {
    use super::*;

    use proptest::prelude::*;

    fn resolved(text: &str) -> String {
        let mut out = String::new();
        resolve_sub(text, |piece| out.push_str(piece));
        out
    }

    /// The definition `document_chars` must agree with: resolve the intrinsics, print compact
    /// JSON with serde_json, count every character that is not whitespace.
    fn printed_chars(document: &Node) -> usize {
        fn resolve(node: &Node) -> serde_json::Value {
            use serde_json::Value;
            match node {
                Node::Bool(b) => Value::Bool(*b),
                Node::Int(i) => Value::from(*i),
                Node::Str(s) => Value::String(s.clone()),
                Node::List(items) => Value::Array(items.iter().map(resolve).collect()),
                Node::Map(pairs) => match pairs.as_slice() {
                    [(k, Node::Str(s))] if k == "Fn::Sub" => Value::String(resolved(s)),
                    [(k, _)] if ["Ref", "Fn::GetAtt", "Fn::ImportValue"].contains(&k.as_str()) => {
                        Value::String("r".repeat(REFERENCE_TEXT_LEN))
                    }
                    _ => {
                        Value::Object(pairs.iter().map(|(k, v)| (k.clone(), resolve(v))).collect())
                    }
                },
            }
        }
        serde_json::to_string(&resolve(document))
            .unwrap()
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
    }

    #[test]
    fn resolves_pseudo_parameters_to_their_longest_text() {
        assert_eq!(STACK_NAME_MAX.len(), 128);
        assert_eq!(
            resolved(
                "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/${!cognito-identity.amazonaws.com:sub}/${X}"
            ),
            "arn:aws-us-gov:iot:ap-southeast-5:123456789012:topic/${cognito-identity.amazonaws.com:sub}/${X}"
        );
        assert_eq!(resolved("${AWS::StackName}-p").len(), 130);
        assert_eq!(resolved("a${"), "a${");
    }

    /// Text with everything JSON escapes or a count skips: quotes, backslashes, control
    /// characters, ASCII and Unicode whitespace, multi-byte characters, intrinsics.
    fn tricky_text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec![
                "a",
                "é",
                "😀",
                "\"",
                "\\",
                "\n",
                "\t",
                "\r",
                "\u{1}",
                "\u{1f}",
                "\u{8}",
                "\u{c}",
                " ",
                "\u{a0}",
                "\u{2028}",
                "\u{7f}",
                "${",
                "${!x}",
                "${AWS::Region}",
                "${AWS::StackName}",
                "${AWS::Partition}",
                "${AWS::AccountId}",
                "}",
                "/",
            ]),
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    fn any_node() -> impl Strategy<Value = Node> {
        let leaf = prop_oneof![
            any::<bool>().prop_map(Node::Bool),
            any::<i64>().prop_map(Node::Int),
            tricky_text().prop_map(Node::Str),
            tricky_text().prop_map(Node::sub),
            Just(Node::map([("Ref", Node::s("X"))])),
            Just(Node::map([(
                "Fn::GetAtt",
                Node::List(vec![Node::s("F"), Node::s("Arn")])
            )])),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Node::List),
                prop::collection::vec((tricky_text(), inner), 0..6).prop_map(|pairs| {
                    // Keys are unique in a template (serde_json's map would merge duplicates).
                    let mut seen = std::collections::BTreeSet::new();
                    Node::Map(
                        pairs
                            .into_iter()
                            .filter(|(k, _)| seen.insert(k.clone()))
                            .collect(),
                    )
                }),
            ]
        })
    }

    proptest! {
        // Unit tests keep no regression files: the top level of the repository is fixed, and a
        // failure prints its minimal input.
        #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]
        #[test]
        fn counting_agrees_with_printing(node in any_node()) {
            prop_assert_eq!(document_chars(&node), printed_chars(&node));
        }
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
