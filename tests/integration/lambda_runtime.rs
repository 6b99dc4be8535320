//! Runs the rendered attach function under the real `node` and `python3`, for every language and invoke
//! mode, against stub SDKs that record each `AttachPolicy` call (`tests/fixtures/lambda/`).
//!
//! Each run renders the source into a fresh temporary directory as `index.js` / `index.py` (the names
//! CloudFormation gives inline code) and drives it through a small harness script per language. The
//! harness prints one JSON object with the handler's answers, the SDK calls and the captured output; every
//! assertion is made here, on parsed JSON. No network, no cargo.
//!
//! One test takes the code from the template the `synth` binary writes for a nodejs24.x spec instead, and
//! checks the handler signature that runtime requires, of the attach and the detach function alike.

use std::path::Path;

use cogsynth::lambda::{AttachSource, InvokeMode, Language, render};
use serde_json::{Value, json};

use crate::support::{
    Deployed, HOSTILE_POOL, HOSTILE_STACK, LogLine, Scratch, assert_compiles, repo,
    reported_invocations,
};
use crate::{detach_runtime, harness};

const STACK: &str = "fleet";
const POOL_NAME: &str = "devices";
const POOL_ID: &str = "eu-west-1:0f6c2a1e-7b3d-4c55-9e2a-1d2c3b4a5f60";
const OTHER_POOL_ID: &str = "eu-west-1:9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d";
/// The caller's own identity, as Lambda or API Gateway report it.
const ME: &str = "eu-west-1:11111111-aaaa-4bbb-8ccc-111111111111";
/// Someone else's identity, which a caller tries to smuggle in through the request.
const VICTIM: &str = "eu-west-1:22222222-dddd-4eee-8fff-222222222222";
const POLICIES: [&str; 3] = ["fleet-connect", "fleet-telemetry", "fleet-commands"];
/// The id of the stack's REST API, which the stack puts in `ATTACH_API_ID` and API Gateway in `requestContext.apiId`.
const API_ID: &str = "a1b2c3d4e5";
/// Another REST API's id.
const OTHER_API_ID: &str = "z9y8x7w6v5";
/// Credentials that appear in an API Gateway event and must never reach a log line or an answer.
const SECRETS: [&str; 3] = ["ASIAFAKEACCESSKEY", "FAKESESSIONTOKEN", "deadbeefsignature"];
/// The one line each call logs: these fields, labelled with the spec's stack and pool.
const LOG_LINE: LogLine = LogLine {
    fields: &[
        "event",
        "identityId",
        "outcome",
        "policies",
        "pool",
        "reason",
        "stack",
    ],
    event: "attach",
    stack: STACK,
    pool: POOL_NAME,
};

#[derive(Debug, Clone, Copy)]
struct Variant {
    language: Language,
    invoke: InvokeMode,
}

const VARIANTS: [Variant; 4] = [
    Variant {
        language: Language::NodeJs,
        invoke: InvokeMode::Direct,
    },
    Variant {
        language: Language::NodeJs,
        invoke: InvokeMode::ApiGateway,
    },
    Variant {
        language: Language::Python,
        invoke: InvokeMode::Direct,
    },
    Variant {
        language: Language::Python,
        invoke: InvokeMode::ApiGateway,
    },
];

impl Variant {
    fn api_gateway(self) -> bool {
        self.invoke == InvokeMode::ApiGateway
    }
}

fn deploy(variant: Variant) -> Deployed<Variant> {
    deploy_named(variant, STACK, POOL_NAME)
}

fn deploy_named(variant: Variant, stack: &str, pool: &str) -> Deployed<Variant> {
    let source = render(&AttachSource {
        language: variant.language,
        invoke: variant.invoke,
        stack,
        pool,
    });
    Deployed::new(variant, variant.language, &source)
}

/// The function's environment, as the stack sets it. `None` leaves a variable unset.
#[derive(Clone)]
struct Env {
    pool_id: Option<String>,
    policies: Option<String>,
    /// `ATTACH_API_ID` (the stack sets it in API Gateway mode only; direct mode must not need it).
    api_id: Option<String>,
    /// Policy name (or `*`) → error name the stub SDK answers with.
    fail: Value,
}

impl Default for Env {
    fn default() -> Self {
        Self {
            pool_id: Some(POOL_ID.to_owned()),
            policies: Some(POLICIES.join(",")),
            api_id: Some(API_ID.to_owned()),
            fail: json!({}),
        }
    }
}

impl Env {
    fn failing(fail: Value) -> Self {
        Self {
            fail,
            ..Self::default()
        }
    }
}

/// Who calls, as the trusted side (the Lambda service or API Gateway) reports it.
#[derive(Debug, Clone, Copy)]
struct Caller {
    identity_id: Option<&'static str>,
    pool_id: Option<&'static str>,
    authenticated: bool,
}

const LEGITIMATE: Caller = Caller {
    identity_id: Some(ME),
    pool_id: Some(POOL_ID),
    authenticated: true,
};

const NOBODY: Caller = Caller {
    identity_id: None,
    pool_id: None,
    authenticated: false,
};

/// A signed-in identity of another identity pool.
const STRANGER: Caller = Caller {
    pool_id: Some(OTHER_POOL_ID),
    ..LEGITIMATE
};

/// Identity ids a caller could write into the request itself: all must be ignored.
fn smuggled() -> Value {
    json!({
        "identityId": VICTIM,
        "cognitoIdentityId": VICTIM,
        "target": VICTIM,
        "identity": { "cognitoIdentityId": VICTIM, "cognitoIdentityPoolId": POOL_ID },
        "body": json!({ "identityId": VICTIM, "target": VICTIM }).to_string(),
        "queryStringParameters": { "identityId": VICTIM, "target": VICTIM },
        "pathParameters": { "identityId": VICTIM },
    })
}

/// Builds `{event, context}` for one invocation. `smuggle` adds identity ids to the request.
fn invocation(variant: Variant, caller: Caller, smuggle: bool) -> Value {
    if variant.api_gateway() {
        api_gateway_invocation(variant.language, caller, smuggle)
    } else {
        direct_invocation(variant.language, caller, smuggle)
    }
}

fn direct_invocation(language: Language, caller: Caller, smuggle: bool) -> Value {
    let mut event = json!({ "hello": "world" });
    if smuggle {
        event = smuggled();
        // A direct caller writes the whole event, so it can forge an API-Gateway-looking context too.
        event["requestContext"] = json!({
            "identity": {
                "cognitoIdentityId": VICTIM,
                "cognitoIdentityPoolId": POOL_ID,
                "cognitoAuthenticationType": "authenticated",
            },
        });
    }
    let context = lambda_context(language, caller.identity_id, caller.pool_id);
    json!({ "event": event, "context": context })
}

/// The Lambda context as each runtime builds it from the `Lambda-Runtime-Cognito-Identity` header, which
/// Lambda sends when the invoker used identity-pool credentials. Without it, the Node.js runtime leaves
/// `context.identity` undefined (aws-lambda-nodejs-runtime-interface-client `context-builder.ts`) and the
/// Python runtime gives an identity whose two attributes are None (awslambdaric `lambda_context.py`).
fn lambda_context(language: Language, identity_id: Option<&str>, pool_id: Option<&str>) -> Value {
    let cognito = identity_id.is_some() || pool_id.is_some();
    match language {
        Language::NodeJs if !cognito => json!({}),
        Language::NodeJs => json!({
            "identity": { "cognitoIdentityId": identity_id, "cognitoIdentityPoolId": pool_id },
        }),
        Language::Python => json!({
            "identity": { "cognito_identity_id": identity_id, "cognito_identity_pool_id": pool_id },
        }),
    }
}

/// What API Gateway sends for a SigV4-signed `POST /attach` of the stack's API (a REST API Lambda proxy event:
/// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html).
fn api_gateway_invocation(language: Language, caller: Caller, smuggle: bool) -> Value {
    let authentication = match (caller.identity_id, caller.authenticated) {
        (None, _) => Value::Null,
        (Some(_), true) => json!("authenticated"),
        (Some(_), false) => json!("unauthenticated"),
    };
    let mut event = json!({
        "resource": "/attach",
        "path": "/attach",
        "httpMethod": "POST",
        "headers": {
            "Authorization": "AWS4-HMAC-SHA256 Credential=ASIAFAKEACCESSKEY/20261126/eu-west-1/execute-api/aws4_request, SignedHeaders=host;x-amz-date, Signature=deadbeefsignature",
            "X-Amz-Security-Token": "FAKESESSIONTOKEN",
        },
        "queryStringParameters": null,
        "pathParameters": null,
        "body": null,
        "isBase64Encoded": false,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": API_ID,
            "stage": "v1",
            "resourcePath": "/attach",
            "httpMethod": "POST",
            "path": "/v1/attach",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {
                "cognitoIdentityId": caller.identity_id,
                "cognitoIdentityPoolId": caller.pool_id,
                "cognitoAuthenticationType": authentication,
                "cognitoAuthenticationProvider": "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc,cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc:CognitoSignIn:sub",
                "accessKey": "ASIAFAKEACCESSKEY",
                "caller": "AROAFAKEROLEID:CognitoIdentityCredentials",
                "userArn": "arn:aws:sts::123456789012:assumed-role/fleet-authenticated/CognitoIdentityCredentials",
                "sourceIp": "198.51.100.7",
            },
        },
    });
    if smuggle {
        let Value::Object(fields) = smuggled() else {
            unreachable!("smuggled() is an object")
        };
        for (key, value) in fields {
            event[key] = value;
        }
        event["headers"]["x-identity-id"] = json!(VICTIM);
    }
    // API Gateway invokes with its own service principal (the stack's Lambda permission), not with the
    // caller's credentials: no Cognito identity in the Lambda context.
    json!({ "event": event, "context": lambda_context(language, None, None) })
}

/// What the harness reports for one process: module load plus a series of invocations.
struct Run {
    invocations: Vec<Outcome>,
}

/// What one invocation did.
#[derive(Debug)]
struct Outcome {
    variant: Variant,
    answer: Value,
    calls: Vec<Value>,
    logs: Vec<String>,
}

/// Runs `invocations` in one process, the way a warm execution environment serves them.
fn run(deployed: &Deployed<Variant>, env: &Env, invocations: &[Value]) -> Run {
    let variant = deployed.rendered;
    let label = format!("{variant:?}");
    let report = harness_report(variant.language, &deployed.file, env, invocations, &label);
    let outcomes = reported_invocations(&report)
        .map(|(item, calls, logs)| {
            assert_eq!(item["threw"], Value::Null, "{variant:?}: the handler threw");
            Outcome {
                variant,
                answer: item["answer"].clone(),
                calls,
                logs,
            }
        })
        .collect();
    Run {
        invocations: outcomes,
    }
}

/// The harness report, unparsed, for `invocations` of the attach function at `file` in one process.
fn harness_report(
    language: Language,
    file: &Path,
    env: &Env,
    invocations: &[Value],
    label: &str,
) -> Value {
    let (mut command, stub_root) = harness::command(language, "harness", file);
    command.env("STUB_IOT_FAIL", env.fail.to_string());
    if let Some(pool_id) = &env.pool_id {
        command.env("IDENTITY_POOL_ID", pool_id);
    }
    if let Some(policies) = &env.policies {
        command.env("IOT_POLICY_NAMES", policies);
    }
    if let Some(api_id) = &env.api_id {
        command.env("ATTACH_API_ID", api_id);
    }
    harness::run(command, file, &stub_root, invocations, label)
}

fn invoke(variant: Variant, env: &Env, invocation: &Value) -> Outcome {
    let deployed = deploy(variant);
    let mut run = run(&deployed, env, std::slice::from_ref(invocation));
    run.invocations.pop().expect("one outcome")
}

/// One call by `caller` (with identity ids smuggled into the request, or not), in the stack's usual environment.
fn invoke_as(variant: Variant, caller: Caller, smuggle: bool) -> Outcome {
    invoke(
        variant,
        &Env::default(),
        &invocation(variant, caller, smuggle),
    )
}

fn invoke_legitimately(variant: Variant, env: &Env) -> Outcome {
    invoke(variant, env, &invocation(variant, LEGITIMATE, false))
}

impl Outcome {
    /// The answer's status (API Gateway only) and body object.
    fn reply(&self) -> (Option<u64>, Value) {
        if !self.variant.api_gateway() {
            return (None, self.answer.clone());
        }
        assert_eq!(
            self.answer["headers"],
            json!({ "content-type": "application/json" }),
            "{self:?}"
        );
        let body = self.answer["body"].as_str().expect("body is a JSON string");
        let body: Value = serde_json::from_str(body).expect("body parses as JSON");
        (self.answer["statusCode"].as_u64(), body)
    }

    fn expect_status(&self, status: u64) -> Value {
        let (actual, body) = self.reply();
        if self.variant.api_gateway() {
            assert_eq!(actual, Some(status), "{self:?}");
        }
        body
    }

    /// Exactly one log line, a JSON object with exactly the documented fields and labels.
    fn log_line(&self) -> Value {
        let line = LOG_LINE.parse_only(&self.logs, self);
        for secret in SECRETS {
            assert!(!self.logs[0].contains(secret), "{secret} logged: {self:?}");
        }
        line
    }

    fn assert_attached(&self, identity_id: &str, policies: &[&str]) {
        let expected: Vec<Value> = policies
            .iter()
            .map(|policy| attach_call(policy, identity_id))
            .collect();
        assert_eq!(self.calls, expected, "{self:?}");
        let body = self.expect_status(200);
        assert_eq!(
            body,
            json!({ "ok": true, "identityId": identity_id, "attached": policies }),
            "{self:?}"
        );
        let log = self.log_line();
        assert_eq!(log["outcome"], "attached", "{self:?}");
        assert_eq!(log["identityId"], identity_id, "{self:?}");
        assert_eq!(log["policies"], json!(policies), "{self:?}");
        self.assert_nothing_leaks();
    }

    fn assert_refused(&self) -> Value {
        assert_eq!(
            self.calls,
            Vec::<Value>::new(),
            "no SDK call on refusal: {self:?}"
        );
        let body = self.expect_status(403);
        assert_eq!(body["ok"], false, "{self:?}");
        assert_eq!(body["error"], "forbidden", "{self:?}");
        assert!(body["message"].is_string(), "{self:?}");
        assert_eq!(
            body.as_object().map(serde_json::Map::len),
            Some(3),
            "{self:?}"
        );
        let log = self.log_line();
        assert_eq!(log["outcome"], "refused", "{self:?}");
        assert!(log["reason"].is_string(), "{self:?}");
        self.assert_nothing_leaks();
        log
    }

    fn assert_misconfigured(&self) {
        assert_eq!(self.calls, Vec::<Value>::new(), "{self:?}");
        let body = self.expect_status(500);
        assert_eq!(body["ok"], false, "{self:?}");
        assert_eq!(body["error"], "misconfigured", "{self:?}");
        let log = self.log_line();
        assert_eq!(log["outcome"], "misconfigured", "{self:?}");
        assert_eq!(log["identityId"], Value::Null, "{self:?}");
    }

    /// The victim's id, credentials and SDK internals never reach the answer.
    fn assert_nothing_leaks(&self) {
        let answer = self.answer.to_string();
        for needle in [
            VICTIM,
            "stub",
            "Exception",
            "    at ",
            "Traceback",
            "index.js",
            "index.py",
        ]
        .into_iter()
        .chain(SECRETS)
        {
            assert!(
                !answer.contains(needle),
                "answer leaks {needle:?}: {self:?}"
            );
        }
        for call in &self.calls {
            assert_ne!(call["target"], VICTIM, "{self:?}");
        }
    }
}

fn attach_call(policy: &str, identity_id: &str) -> Value {
    json!({ "op": "AttachPolicy", "policyName": policy, "target": identity_id, "extra": [] })
}

#[test]
fn rendered_sources_pass_the_language_checkers() {
    for variant in VARIANTS {
        let deployed = deploy(variant);
        assert_compiles(variant.language, &deployed.file, &format!("{variant:?}"));
    }
}

#[test]
fn a_legitimate_caller_gets_every_policy_on_its_own_identity() {
    for variant in VARIANTS {
        invoke_as(variant, LEGITIMATE, false).assert_attached(ME, &POLICIES);
    }
}

#[test]
fn policy_names_are_trimmed_and_kept_in_order() {
    let env = Env {
        policies: Some(" fleet-commands ,fleet-connect,, ".to_owned()),
        ..Env::default()
    };
    for variant in VARIANTS {
        invoke_legitimately(variant, &env)
            .assert_attached(ME, &["fleet-commands", "fleet-connect"]);
    }
}

#[test]
fn identity_ids_in_the_request_are_ignored() {
    for variant in VARIANTS {
        // With a trusted identity, the smuggled one changes nothing.
        let outcome = invoke_as(variant, LEGITIMATE, true);
        outcome.assert_attached(ME, &POLICIES);
        assert!(!outcome.logs[0].contains(VICTIM), "{outcome:?}");

        // Without one, the smuggled identity does not stand in for it.
        let outcome = invoke_as(variant, NOBODY, true);
        let log = outcome.assert_refused();
        assert_eq!(log["identityId"], Value::Null, "{outcome:?}");
        assert!(!outcome.logs[0].contains(VICTIM), "{outcome:?}");
    }
}

#[test]
fn a_caller_from_another_pool_is_refused() {
    for variant in VARIANTS {
        let outcome = invoke_as(variant, STRANGER, false);
        let log = outcome.assert_refused();
        assert_eq!(log["identityId"], ME, "{outcome:?}");
        assert_eq!(
            log["reason"], "identity belongs to another identity pool",
            "{outcome:?}"
        );
    }
}

#[test]
fn a_call_without_identity_is_refused() {
    let empty = Caller {
        identity_id: Some(""),
        ..LEGITIMATE
    };
    for variant in VARIANTS {
        for caller in [NOBODY, empty] {
            let outcome = invoke_as(variant, caller, false);
            let log = outcome.assert_refused();
            assert_eq!(log["identityId"], Value::Null, "{outcome:?}");
        }
    }
}

#[test]
fn api_gateway_refuses_unauthenticated_identities() {
    let guest = Caller {
        authenticated: false,
        ..LEGITIMATE
    };
    for variant in VARIANTS.into_iter().filter(|variant| variant.api_gateway()) {
        let outcome = invoke_as(variant, guest, false);
        let log = outcome.assert_refused();
        assert_eq!(
            log["reason"], "identity is not authenticated",
            "{outcome:?}"
        );
    }
}

/// A direct invoke of an API Gateway mode function: the caller wrote the whole event, `requestContext`
/// included, and Lambda put the caller's own Cognito identity (if any) in the context.
fn forged_direct_invoke(
    variant: Variant,
    claimed: Caller,
    invoker: (Option<&str>, Option<&str>),
) -> Value {
    let mut forged = invocation(variant, claimed, false);
    forged["context"] = lambda_context(variant.language, invoker.0, invoker.1);
    forged
}

const DIRECT_INVOKE: &str = "direct invoke: the Lambda context carries a Cognito identity";

#[test]
fn api_gateway_refuses_a_direct_invoke_with_a_forged_request_context() {
    for variant in VARIANTS.into_iter().filter(|variant| variant.api_gateway()) {
        // The caller invokes the function itself, with its own Cognito credentials, and writes a
        // requestContext naming the victim.
        let victim = Caller {
            identity_id: Some(VICTIM),
            ..LEGITIMATE
        };
        let forged = forged_direct_invoke(variant, victim, (Some(ME), Some(POOL_ID)));
        let outcome = invoke(variant, &Env::default(), &forged);
        let log = outcome.assert_refused();
        assert_eq!(log["identityId"], ME, "{outcome:?}");
        assert_eq!(log["reason"], DIRECT_INVOKE, "{outcome:?}");
    }
}

#[test]
fn api_gateway_refuses_every_invocation_with_a_cognito_identity_in_the_lambda_context() {
    // API Gateway invokes with its own service principal, so a Cognito identity in the Lambda context
    // means the caller invoked the function directly and wrote requestContext itself, the
    // "authenticated" flag included: refused whatever the event says, even when it names the invoker.
    let guest = "eu-west-1:33333333-eeee-4fff-8aaa-333333333333";
    let claims_to_be_authenticated = Caller {
        identity_id: Some(guest),
        ..LEGITIMATE
    };
    for variant in VARIANTS.into_iter().filter(|variant| variant.api_gateway()) {
        for (claimed, invoker, logged) in [
            // Its own identity, exactly as API Gateway would have written it.
            (LEGITIMATE, (Some(ME), Some(POOL_ID)), json!(ME)),
            // A guest identity that claims to be authenticated.
            (
                claims_to_be_authenticated,
                (Some(guest), Some(POOL_ID)),
                json!(guest),
            ),
            // An identity of another pool naming one of this pool.
            (LEGITIMATE, (Some(ME), Some(OTHER_POOL_ID)), json!(ME)),
            // Half an identity is still one.
            (LEGITIMATE, (None, Some(POOL_ID)), Value::Null),
            (LEGITIMATE, (Some(ME), None), json!(ME)),
        ] {
            let forged = forged_direct_invoke(variant, claimed, invoker);
            let outcome = invoke(variant, &Env::default(), &forged);
            let log = outcome.assert_refused();
            assert_eq!(log["reason"], DIRECT_INVOKE, "{outcome:?}");
            assert_eq!(log["identityId"], logged, "{outcome:?}");
        }
    }
}

#[test]
fn api_gateway_trusts_only_events_for_its_own_api_and_route() {
    const NOT_OUR_ROUTE: &str = "requestContext is not from POST /attach of this API";
    for variant in VARIANTS.into_iter().filter(|variant| variant.api_gateway()) {
        let genuine = invocation(variant, LEGITIMATE, false);
        let edits: [(&str, Value); 7] = [
            ("apiId", json!(OTHER_API_ID)),
            ("apiId", Value::Null),
            ("apiId", json!("")),
            ("resourcePath", json!("/other")),
            ("resourcePath", Value::Null),
            ("httpMethod", json!("GET")),
            ("httpMethod", Value::Null),
        ];
        for (field, value) in edits {
            let mut event = genuine.clone();
            event["event"]["requestContext"][field] = value;
            let outcome = invoke(variant, &Env::default(), &event);
            let log = outcome.assert_refused();
            assert_eq!(log["reason"], NOT_OUR_ROUTE, "{field}: {outcome:?}");
            // Nothing in an event from elsewhere is trusted, not even for the log.
            assert_eq!(log["identityId"], Value::Null, "{field}: {outcome:?}");
        }
        for request_context in [Value::Null, json!("requestContext"), json!([API_ID])] {
            let mut event = genuine.clone();
            event["event"]["requestContext"] = request_context;
            let outcome = invoke(variant, &Env::default(), &event);
            assert_eq!(
                outcome.assert_refused()["reason"],
                NOT_OUR_ROUTE,
                "{outcome:?}"
            );
        }
        // The route and API are checked as written, not as the event's own top-level copy says.
        let mut event = genuine.clone();
        event["event"]["requestContext"]["resourcePath"] = json!("/attach/");
        event["event"]["resource"] = json!("/attach");
        invoke(variant, &Env::default(), &event).assert_refused();

        // The trust boundary README describes: without a Cognito identity in the Lambda context, an
        // invoker that is allowed lambda:InvokeFunction (an IAM principal, not API Gateway) and writes
        // this API's id and route into a hand-made event cannot be told apart from API Gateway.
        // Nothing in the event is signed; the Lambda permission is what keeps such invokers out.
        let victim = Caller {
            identity_id: Some(VICTIM),
            ..LEGITIMATE
        };
        let forged = forged_direct_invoke(variant, victim, (None, None));
        let outcome = invoke(variant, &Env::default(), &forged);
        let targets: Vec<&Value> = outcome.calls.iter().map(|call| &call["target"]).collect();
        assert_eq!(targets, [VICTIM; 3], "{outcome:?}");
    }
}

#[test]
fn api_gateway_needs_its_api_id_and_direct_invoke_does_not() {
    for api_id in [None, Some("  ".to_owned())] {
        let env = Env {
            api_id,
            ..Env::default()
        };
        for variant in VARIANTS {
            let outcome = invoke_legitimately(variant, &env);
            if variant.api_gateway() {
                outcome.assert_misconfigured();
            } else {
                outcome.assert_attached(ME, &POLICIES);
            }
        }
    }
}

#[test]
fn already_attached_counts_as_success() {
    for variant in VARIANTS {
        for fail in [
            json!({ "*": "ResourceAlreadyExistsException" }),
            json!({ "fleet-telemetry": "ResourceAlreadyExistsException" }),
        ] {
            invoke_legitimately(variant, &Env::failing(fail)).assert_attached(ME, &POLICIES);
        }
    }
}

#[test]
fn other_sdk_failures_answer_an_error_and_log_failed() {
    for variant in VARIANTS {
        for (fail, attempted) in [
            (json!({ "*": "ThrottlingException" }), &POLICIES[..1]),
            (
                json!({ "fleet-telemetry": "LimitExceededException" }),
                &POLICIES[..2],
            ),
        ] {
            let outcome = invoke_legitimately(variant, &Env::failing(fail.clone()));
            // Calls stop at the first failure; the earlier ones were made for the caller's identity.
            let expected: Vec<Value> = attempted
                .iter()
                .map(|policy| attach_call(policy, ME))
                .collect();
            assert_eq!(outcome.calls, expected, "{outcome:?}");

            let body = outcome.expect_status(502);
            assert_eq!(body["ok"], false, "{outcome:?}");
            assert_eq!(body["error"], "attach_failed", "{outcome:?}");
            assert!(body["message"].is_string(), "{outcome:?}");
            outcome.assert_nothing_leaks();

            let log = outcome.log_line();
            assert_eq!(log["outcome"], "failed", "{outcome:?}");
            assert_eq!(log["identityId"], ME, "{outcome:?}");
            let reason = log["reason"].as_str().expect("a reason");
            let (policy, code) = fail
                .as_object()
                .and_then(|map| map.iter().next())
                .expect("one failure");
            let policy = if policy == "*" { POLICIES[0] } else { policy };
            assert!(reason.contains(policy), "{reason}");
            assert!(reason.contains(code.as_str().expect("code")), "{reason}");
            assert!(
                !reason.contains('\n') && !reason.contains(" at "),
                "{reason}"
            );
        }
    }
}

#[test]
fn missing_configuration_is_reported_not_guessed() {
    let broken = [
        Env {
            pool_id: None,
            ..Env::default()
        },
        Env {
            pool_id: Some("  ".to_owned()),
            ..Env::default()
        },
        Env {
            policies: None,
            ..Env::default()
        },
        Env {
            policies: Some(" , ".to_owned()),
            ..Env::default()
        },
    ];
    for variant in VARIANTS {
        for env in &broken {
            invoke_legitimately(variant, env).assert_misconfigured();
        }
    }
}

#[test]
fn every_call_logs_exactly_one_json_line() {
    for variant in VARIANTS {
        let deployed = deploy(variant);
        // One warm execution environment serving a mix of callers; the client is reused (see `run`).
        let invocations = [
            invocation(variant, LEGITIMATE, false),
            invocation(variant, NOBODY, true),
            invocation(variant, STRANGER, false),
            invocation(variant, LEGITIMATE, true),
        ];
        let warm = run(&deployed, &Env::default(), &invocations);
        let outcomes: Vec<String> = warm
            .invocations
            .iter()
            .map(|outcome| {
                outcome.log_line()["outcome"]
                    .as_str()
                    .expect("outcome")
                    .to_owned()
            })
            .collect();
        assert_eq!(
            outcomes,
            ["attached", "refused", "refused", "attached"],
            "{variant:?}"
        );

        let failing = invoke_legitimately(
            variant,
            &Env::failing(json!({ "*": "InternalFailureException" })),
        );
        assert_eq!(failing.log_line()["outcome"], "failed");
        let misconfigured = invoke_legitimately(
            variant,
            &Env {
                pool_id: None,
                ..Env::default()
            },
        );
        assert_eq!(misconfigured.log_line()["outcome"], "misconfigured");
    }
}

#[test]
fn stack_and_pool_labels_round_trip_into_the_log() {
    for variant in VARIANTS {
        let deployed = deploy_named(variant, HOSTILE_STACK, HOSTILE_POOL);
        let call = invocation(variant, LEGITIMATE, false);
        let outcome = &run(&deployed, &Env::default(), &[call]).invocations[0];
        // Every field and label, the hostile ones included, as `log_line` checks the usual ones.
        let line = LOG_LINE
            .labelled(HOSTILE_STACK, HOSTILE_POOL)
            .parse_only(&outcome.logs, outcome);
        assert_eq!(line["outcome"], "attached", "{variant:?}");
    }
}

/// The Lambda functions in the template `synth` writes for the spec `text` (stack `stack`): logical id and
/// `Properties`, as JSON.
fn synthesized_functions(stack: &str, text: &str) -> Vec<(String, Value)> {
    let scratch = Scratch::new().file(&format!("stacks/{stack}.yaml"), text);
    let ran = scratch.run(&[]);
    assert_eq!(ran.code, 0, "{stack}: {ran:?}");
    let template = scratch.read(&format!("out/{stack}.template.yaml"));
    let template: Value = serde_saphyr::from_str(&template).expect("the template is YAML");
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, resource)| resource["Type"] == "AWS::Lambda::Function")
        .map(|(id, resource)| (id.clone(), resource["Properties"].clone()))
        .collect()
}

/// Calls the Node.js function synth wrote to `file` once, through the harness for its kind, with a request
/// it completes: a Create for the detach function, a legitimate caller for the attach function. The report.
fn call_synthesized(file: &Path, detach: bool, invoke: InvokeMode, label: &str) -> Value {
    if detach {
        // The stub's defaults do: a Create makes no SDK call.
        let (command, stub_root) = harness::command(Language::NodeJs, "detach-harness", file);
        let create = detach_runtime::invocation(detach_runtime::create(POLICIES[0]));
        return harness::run(command, file, &stub_root, &[create], label);
    }
    let variant = Variant {
        language: Language::NodeJs,
        invoke,
    };
    let call = invocation(variant, LEGITIMATE, false);
    harness_report(Language::NodeJs, file, &Env::default(), &[call], label)
}

/// AWS Lambda's nodejs24.x runtime no longer supports callback-style handlers `(event, context, callback)`
/// (aws/aws-lambda-nodejs-runtime-interface-client issue #137; aws-cdk v2.259.0 release notes: "Node.js 24
/// removes support for callback-style asynchronous handlers"). It tells them apart by `handler.length` and
/// refuses one with three parameters at init, with `Runtime.CallbackHandlerDeprecated`; the handler answers
/// through the Promise it returns. The `node` the tests run is older and still accepts both styles, so this
/// pins the shape itself, on the code synth writes for a nodejs24.x spec: the attach function in both invoke
/// modes, and the detach function.
#[test]
fn nodejs24_handlers_take_no_callback_and_return_a_promise() {
    let good = repo().join("tests/fixtures/good");
    let read = |name: &str| std::fs::read_to_string(good.join(name)).expect("a good spec");
    let direct = read("nodejs24-parameters.yaml");
    assert!(direct.contains("runtime: nodejs24.x"));
    // The API Gateway spec is Python; the same spec on nodejs24.x renders the API Gateway flavour for Node.js.
    let api_gateway = read("api-gateway.yaml");
    assert!(api_gateway.contains("runtime: python3.14"));
    let api_gateway = api_gateway.replace("runtime: python3.14", "runtime: nodejs24.x");

    let mut detach_functions = 0;
    let mut attach_functions = 0;
    for (stack, text, invoke) in [
        ("nodejs24-parameters", direct, InvokeMode::Direct),
        ("api-gateway", api_gateway, InvokeMode::ApiGateway),
    ] {
        for (id, properties) in synthesized_functions(stack, &text) {
            let label = format!("{stack} {id}");
            assert_eq!(properties["Runtime"], "nodejs24.x", "{label}");
            assert_eq!(properties["Handler"], "index.handler", "{label}");
            let code = properties["Code"]["ZipFile"].as_str().expect("inline code");
            let detach = code.contains("DetachPolicyCommand");
            let deployed = Deployed::new(id, Language::NodeJs, code);
            let report = call_synthesized(&deployed.file, detach, invoke, &label);

            // Called as nodejs24.x calls it, with (event, context) and no callback.
            let parameters = report["handlerLength"].as_u64().expect("handler.length");
            assert!(
                parameters <= 2,
                "{label}: exports.handler declares {parameters} parameters; nodejs24.x refuses a callback"
            );
            let outcome = &report["invocations"][0];
            assert_eq!(
                outcome["thenable"], true,
                "{label}: exports.handler must return a Promise: {outcome}"
            );
            assert_eq!(outcome["threw"], Value::Null, "{label}: {outcome}");
            // The Promise settles once the work is done: CloudFormation answered, or the policies attached.
            if detach {
                detach_functions += 1;
                let requests = outcome["requests"].as_array().map(Vec::len);
                assert_eq!(requests, Some(1), "{label}: {outcome}");
            } else {
                attach_functions += 1;
                let expected: Vec<Value> = POLICIES
                    .iter()
                    .map(|policy| attach_call(policy, ME))
                    .collect();
                assert_eq!(outcome["calls"], json!(expected), "{label}: {outcome}");
            }
        }
    }
    // One attach function per identity pool (two in the first spec, one in the second), one detach function.
    assert_eq!((attach_functions, detach_functions), (3, 1));
}
