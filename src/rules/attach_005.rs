//! CIP-ATTACH-005: behind API Gateway, the attach route must require SigV4 (`AWS_IAM`): only
//! then does API Gateway put the caller's Cognito identity into `requestContext.identity`, and
//! without it anyone on the internet could call the function. And only API Gateway, for this API,
//! may invoke the function: the Lambda permission names its `SourceArn`. Anchors:
//! AwsSolutions-APIG4, CKV_AWS_364, Guard LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED,
//! docs/security-rules.md M11.

use serde_json::Value;

use super::{Context, Finding, Rule};
use crate::diag::Severity;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-ATTACH-005",
    severity: Severity::Error,
    summary: "attach API route without AWS_IAM auth, or a Lambda permission without SourceArn",
    rationale: "Without AWS_IAM the route is public and carries no Cognito identity; without SourceArn any API in any account may invoke the function (AwsSolutions-APIG4; CKV_AWS_364; Guard LAMBDA_FUNCTION_PUBLIC_ACCESS_PROHIBITED).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (id, r) in ctx.resources("AWS::ApiGateway::Method") {
        let auth = r
            .pointer("/Properties/AuthorizationType")
            .and_then(Value::as_str)
            .unwrap_or("NONE");
        let method = r
            .pointer("/Properties/HttpMethod")
            .and_then(Value::as_str)
            .unwrap_or_default();
        if auth != "AWS_IAM" && method != "OPTIONS" {
            out.push(Finding::new(
                "/attach/invoke",
                format!("API method {id} uses authorization `{auth}`"),
                "use `AuthorizationType: AWS_IAM`: the app signs the request with its identity-pool credentials",
            ));
        }
    }
    for (id, r) in ctx.resources("AWS::Lambda::Permission") {
        let service = r
            .pointer("/Properties/Principal")
            .and_then(Value::as_str)
            .is_some_and(|p| p.ends_with(".amazonaws.com"));
        if service && r.pointer("/Properties/SourceArn").is_none() {
            out.push(Finding::new(
                "/attach/invoke",
                format!(
                    "Lambda permission {id} lets a service invoke the function without a SourceArn"
                ),
                "name the API route in `SourceArn` (and the account in `SourceAccount`)",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    fn api_spec() -> String {
        format!("{SPEC}attach: {{ invoke: api-gateway }}\n")
    }

    #[test]
    fn fires_on_an_open_route_and_an_unscoped_permission() {
        let f = findings(&RULE, &api_spec(), |t| {
            props(t, "AppAttachApiMethod")["AuthorizationType"] = "NONE".into();
            props(t, "AppAttachApiPermission")
                .as_object_mut()
                .unwrap()
                .remove("SourceArn");
        });
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            f[0].message,
            "API method AppAttachApiMethod uses authorization `NONE`"
        );
    }

    #[test]
    fn passes_on_what_synth_emits() {
        assert!(findings(&RULE, &api_spec(), |_| {}).is_empty());
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
