//! IoT policies: MQTT grants as policy statements (`${identity}` as the escaped policy
//! variable), packed into as few documents as IoT's size limit allows, and their names.
//! Must not: build another family of resources.

use super::document;
use crate::arn::IOT_PREFIX;
use crate::cfn::model::Node;
use crate::cfn::size::{IOT_POLICY_CHARS, document_chars};
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::Statement;

/// The IoT policy documents of a role: its statements split, resource by resource, into the
/// fewest documents within IoT's size limit, in order (each resource of each statement goes to
/// exactly one document). One pass over the resources: time and memory linear in their number.
pub(super) fn iot_documents(statements: &[Statement]) -> Vec<Vec<Statement>> {
    // Compact JSON is additive: a document measures its frame, plus per statement its frame and
    // its resources, plus one comma between neighbours. So sizes are summed, not re-serialised
    // (the sum is checked against a full measurement in tests and debug builds).
    let base = document_chars(&document(Vec::new()));
    let frame = |action: &'static str| {
        let empty = Statement {
            sid: "",
            action,
            resources: Vec::new(),
        };
        document_chars(&document(iot_statements(&[empty], false))) - base
    };
    let cost = |r: &str| document_chars(&Node::sub(format!("{IOT_PREFIX}{}", sub_escape(r))));

    let mut groups: Vec<(Vec<Statement>, usize)> = Vec::new();
    let mut current: Vec<Statement> = Vec::new();
    let mut size = base;
    for s in statements {
        let frame = frame(s.action);
        for r in &s.resources {
            let c = cost(r);
            let same = current.last().is_some_and(|last| last.action == s.action);
            let grow = if same {
                c + 1
            } else {
                frame + c + usize::from(!current.is_empty())
            };
            if size + grow > IOT_POLICY_CHARS && !current.is_empty() {
                groups.push((std::mem::take(&mut current), size));
                size = base;
            }
            if let Some(last) = current.last_mut().filter(|last| last.action == s.action) {
                last.resources.push(r.clone());
                size += c + 1;
            } else {
                size += frame + c + usize::from(!current.is_empty());
                current.push(Statement {
                    sid: s.sid,
                    action: s.action,
                    resources: vec![r.clone()],
                });
            }
        }
    }
    if !current.is_empty() || groups.is_empty() {
        groups.push((current, size));
    }
    groups
        .into_iter()
        .map(|(g, size)| {
            debug_assert_eq!(
                document_chars(&document(iot_statements(&g, false))),
                size,
                "summed and measured sizes differ"
            );
            g
        })
        .collect()
}

/// The names of a pool's IoT policies, comma-separated, as the attach function reads them.
pub(super) fn iot_policy_names(pool: &str, count: usize) -> Node {
    let names: Vec<String> = (0..count).map(|i| iot_policy_name_text(pool, i)).collect();
    Node::sub(names.join(","))
}

fn iot_policy_name_text(pool: &str, index: usize) -> String {
    if index == 0 {
        format!("${{AWS::StackName}}-{pool}")
    } else {
        format!("${{AWS::StackName}}-{pool}-{}", index + 1)
    }
}

/// The IoT policy's name: `<stack>-<pool>`, unique per account and region because stack names
/// are. Named rather than generated so the attach function's configuration does not depend on a
/// `Ref` (moto returns an empty one for IoT policies, see README "Deploy rehearsal"), and so the
/// policy is recognisable in the IoT console. IoT policies are not IAM resources, so
/// `CAPABILITY_IAM` still suffices (docs/aws-facts.md §6.2).
pub(super) fn iot_policy_name(pool: &str, index: usize) -> Node {
    Node::sub(iot_policy_name_text(pool, index))
}

/// The MQTT statements as CloudFormation. `${identity}` becomes the policy variable, escaped as
/// `${!...}` because the ARN is built with `Fn::Sub` (docs/aws-facts.md §1.11).
pub(super) fn iot_statements(statements: &[Statement], with_sid: bool) -> Vec<Node> {
    statements
        .iter()
        .map(|s| {
            let resources = s
                .resources
                .iter()
                .map(|r| Node::sub(format!("{IOT_PREFIX}{}", sub_escape(r))))
                .collect();
            let mut body = Vec::new();
            if with_sid {
                body.push(("Sid".to_owned(), Node::s(s.sid)));
            }
            body.push(("Effect".into(), Node::s("Allow")));
            body.push(("Action".into(), Node::s(s.action)));
            body.push(("Resource".into(), Node::List(resources)));
            Node::Map(body)
        })
        .collect()
}

fn sub_escape(resource: &str) -> String {
    resource.replace(IDENTITY, &POLICY_IDENTITY.replacen("${", "${!", 1))
}
