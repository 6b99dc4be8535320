//! How AWS counts the characters of a policy document, so that `cfn::build` can split IoT
//! policies within their limit and `limits` can check every policy against its own: intrinsics
//! resolved to their longest plausible text (partition `aws-us-gov`, a 14-character region, a
//! 12-digit account, a 128-character stack name), then every character except whitespace
//! counted, which is how both IoT and IAM count (docs/aws-facts.md §3.5, §7).
//! Must not: judge (that is `limits`), or build anything.

use super::model::Node;

/// An IoT policy document: 2,048 characters, whitespace not counted (IOT-API CreatePolicy; docs/aws-facts.md §3.5).
pub const IOT_POLICY_CHARS: usize = 2_048;

/// The longest text each pseudo parameter may become, so measured sizes are upper bounds.
const PSEUDO_PARAMETERS: [(&str, &str); 4] = [
    ("${AWS::Partition}", "aws-us-gov"),
    ("${AWS::Region}", "ap-southeast-5"),
    ("${AWS::AccountId}", "123456789012"),
    // Stack names are at most 128 characters (docs/aws-facts.md §6.1).
    ("${AWS::StackName}", STACK_NAME_MAX),
];

/// A stack name of the longest length CloudFormation allows.
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
