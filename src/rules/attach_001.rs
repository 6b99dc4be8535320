//! CIP-ATTACH-001: the attach function must take the identity id from the trusted invocation
//! context (Lambda `context.identity`, or API Gateway `requestContext.identity` with AWS_IAM
//! auth), never from the request body, query or path: otherwise any signed-in user attaches the
//! policy to someone else's identity. Checked on the emitted inline code. Anchors: the AWS
//! samples and community handlers in docs/security-rules.md §6.1, §6.4, M11.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-ATTACH-001",
    severity: Severity::Error,
    summary: "attach function reads the identity from the request instead of the invocation context",
    rationale: "An identity id from the body, query or path lets any user attach the policy to anyone's identity (aws-samples pub-sub-using-lambda and community handlers, docs/security-rules.md §6).",
    check,
};

/// What reading the caller from the request looks like in Node.js and Python handlers.
const FROM_REQUEST: [&str; 7] = [
    "event.body",
    "event[\"body\"]",
    "event['body']",
    "queryStringParameters",
    "pathParameters",
    "JSON.parse(event",
    "json.loads(event",
];

/// What reading it from the trusted context looks like.
const FROM_CONTEXT: [&str; 2] = ["cognitoIdentityId", "cognito_identity_id"];

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, r) in ctx.resources("AWS::Lambda::Function") {
        let Some(code) = r
            .pointer("/Properties/Code/ZipFile")
            .and_then(Value::as_str)
        else {
            continue;
        };
        if !code.contains("IOT_POLICY_NAMES") {
            continue; // not an attach function
        }
        let bad: Vec<&str> = FROM_REQUEST
            .into_iter()
            .filter(|p| code.contains(p))
            .collect();
        let trusted = FROM_CONTEXT.iter().any(|p| code.contains(p));
        if !bad.is_empty() || !trusted {
            let what = if bad.is_empty() {
                "never reads the caller's identity from the invocation context".to_owned()
            } else {
                format!("reads the request ({})", bad.join(", "))
            };
            out.push(Finding::new(
                ctx.pointer_of(id),
                format!("attach function {id} {what}"),
                "take the identity id only from context.identity (direct invoke) or requestContext.identity (API Gateway, AWS_IAM)",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_on_a_handler_that_reads_the_body() {
        let f = findings(&RULE, SPEC, |t| {
            let code = &mut props(t, "AppAttachFunction")["Code"]["ZipFile"];
            let text = code.as_str().unwrap().to_owned();
            *code = format!("{text}\nconst target = JSON.parse(event.body).identityId;\n").into();
        });
        assert_eq!(f.len(), 1);
        assert!(f[0].message.contains("event.body"), "{}", f[0].message);
    }

    #[test]
    fn passes_on_every_rendered_variant() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
        let python = format!("{SPEC}attach: {{ runtime: python3.13 }}\n");
        assert!(findings(&RULE, &python, |_| {}).is_empty());
    }
}
