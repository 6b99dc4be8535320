//! Runs the rendered detach function (the `Custom::DetachIotPolicyTargets` handler) under the real `node` and
//! `python3`, against the stub SDKs in `tests/fixtures/lambda/` (scripted through `STUB_IOT_*` variables: the
//! targets of each policy, a page size that splits them, errors to raise on list or detach).
//!
//! Each run renders the source into a fresh temporary directory as `index.js` / `index.py` and drives it
//! through `detach-harness.{js,py}`, which starts a local HTTP server on 127.0.0.1 (port 0) inside the harness
//! process and puts its address into each event's `ResponseURL`, so the response PUT is captured as
//! CloudFormation's pre-signed S3 URL would receive it. The harness prints one JSON object with the SDK calls,
//! the captured output and the requests the server received; every assertion is made here. No cargo.

use cogsynth::lambda::{Language, render_detach};
use serde_json::{Value, json};

use crate::harness;
use crate::support::{
    Deployed, HOSTILE_POOL, HOSTILE_STACK, LogLine, assert_compiles, reported_invocations,
    sorted_keys,
};

const STACK: &str = "fleet";
const POOL_NAME: &str = "devices";
const LANGUAGES: [Language; 2] = [Language::NodeJs, Language::Python];

const POLICY: &str = "fleet-connect";
/// The policy's name before a rename: the replaced `AWS::IoT::Policy`.
const OLD_POLICY: &str = "fleet-connect-v1";
const TARGETS: [&str; 3] = [
    "eu-west-1:11111111-aaaa-4bbb-8ccc-111111111111",
    "eu-west-1:22222222-dddd-4eee-8fff-222222222222",
    "eu-west-1:33333333-1111-4222-8333-333333333333",
];
const OLD_TARGETS: [&str; 2] = [
    "eu-west-1:44444444-aaaa-4bbb-8ccc-444444444444",
    "eu-west-1:55555555-dddd-4eee-8fff-555555555555",
];

const STACK_ID: &str = "arn:aws:cloudformation:eu-west-1:123456789012:stack/fleet/0f6c2a1e-7b3d-4c55-9e2a-1d2c3b4a5f60";
const LOGICAL_ID: &str = "FleetConnectDetachTargets";
const REQUEST_ID: &str = "5b1d0c8e-2f0a-4e57-9a33-6d2c1b0e9f11";
/// The path and query of the pre-signed response URL; `{server}` becomes the harness's server.
const RESPONSE_PATH: &str = "/cloudformation-custom-resource-response/euwest1/arn%3Aaws%3Acloudformation%3Aeu-west-1%3A123456789012%3Astack/fleet/0f6c2a1e%7CFleetConnectDetachTargets%7C5b1d0c8e";
const RESPONSE_QUERY: &str = "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=ASIAFAKEACCESSKEY%2F20261126%2Feu-west-1%2Fs3%2Faws4_request&X-Amz-Date=20261126T101500Z&X-Amz-Expires=7200&X-Amz-Security-Token=FAKESESSIONTOKEN&X-Amz-SignedHeaders=host&X-Amz-Signature=deadbeefsignature";
/// Parts of the pre-signed URL that must never reach a log line, a Reason or a thrown error.
const SECRETS: [&str; 5] = [
    "ASIAFAKEACCESSKEY",
    "FAKESESSIONTOKEN",
    "deadbeefsignature",
    "X-Amz-",
    "cloudformation-custom-resource-response",
];
/// The one line each request logs (a failed response adds a second): these fields, labelled with the stack
/// and pool.
const LOG_LINE: LogLine = LogLine {
    fields: &[
        "detached", "event", "outcome", "policy", "pool", "reason", "request", "stack",
    ],
    event: "detach-targets",
    stack: STACK,
    pool: POOL_NAME,
};

fn deploy(language: Language) -> Deployed<Language> {
    deploy_named(language, STACK, POOL_NAME)
}

fn deploy_named(language: Language, stack: &str, pool: &str) -> Deployed<Language> {
    Deployed::new(language, language, &render_detach(language, stack, pool))
}

/// How the stub SDK behaves (`STUB_IOT_*`).
#[derive(Clone)]
struct Stub {
    /// Policy name → targets.
    targets: Value,
    /// Largest page the stub returns, so three targets span two pages.
    page_size: u32,
    /// Policy name (or `*`) → error name ListTargetsForPolicy raises.
    list_fail: Value,
    /// Target (or `*`) → error name DetachPolicy raises.
    detach_fail: Value,
}

impl Default for Stub {
    fn default() -> Self {
        Self {
            targets: json!({ POLICY: TARGETS, OLD_POLICY: OLD_TARGETS }),
            page_size: 2,
            list_fail: json!({}),
            detach_fail: json!({}),
        }
    }
}

/// A CloudFormation custom resource request. `properties` is `ResourceProperties` (`None` leaves it out).
fn request(request_type: &str, properties: Option<Value>) -> Value {
    let mut event = json!({
        "RequestType": request_type,
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:fleet-detach-targets",
        "ResponseURL": format!("http://{{server}}{RESPONSE_PATH}?{RESPONSE_QUERY}"),
        "StackId": STACK_ID,
        "RequestId": REQUEST_ID,
        "LogicalResourceId": LOGICAL_ID,
        "ResourceType": "Custom::DetachIotPolicyTargets",
    });
    if let Some(properties) = properties {
        event["ResourceProperties"] = properties;
    }
    event
}

fn properties(policy: &str) -> Value {
    json!({
        "ServiceToken": "arn:aws:lambda:eu-west-1:123456789012:function:fleet-detach-targets",
        "PolicyName": policy,
    })
}

fn physical(policy: &str) -> String {
    format!("detach-targets:{policy}")
}

/// A Create of the resource for `policy` (also used by `lambda_runtime`'s Node.js 24 test).
pub(crate) fn create(policy: &str) -> Value {
    request("Create", Some(properties(policy)))
}

fn update(new_policy: &str, old_policy: &str) -> Value {
    let mut event = request("Update", Some(properties(new_policy)));
    event["PhysicalResourceId"] = json!(physical(old_policy));
    event["OldResourceProperties"] = properties(old_policy);
    event
}

fn delete(policy: &str) -> Value {
    let mut event = request("Delete", Some(properties(policy)));
    event["PhysicalResourceId"] = json!(physical(policy));
    event
}

/// One invocation for the harness: the event, the time left, and what the response server answers.
pub(crate) fn invocation(event: Value) -> Value {
    let mut invocation = json!({});
    invocation["event"] = event;
    invocation
}

/// What one invocation did.
#[derive(Debug)]
struct Outcome {
    language: Language,
    threw: Option<String>,
    threw_message: Option<String>,
    calls: Vec<Value>,
    logs: Vec<String>,
    response_url: String,
    requests: Vec<Value>,
}

/// Runs `invocations` in one process, the way a warm execution environment serves them.
fn run(deployed: &Deployed<Language>, stub: &Stub, invocations: &[Value]) -> Vec<Outcome> {
    let language = deployed.rendered;
    let (mut command, stub_root) = harness::command(language, "detach-harness", &deployed.file);
    command
        .env("STUB_IOT_TARGETS", stub.targets.to_string())
        .env("STUB_IOT_PAGE_SIZE", stub.page_size.to_string())
        .env("STUB_IOT_LIST_FAIL", stub.list_fail.to_string())
        .env("STUB_IOT_DETACH_FAIL", stub.detach_fail.to_string());
    let report = harness::run(
        command,
        &deployed.file,
        &stub_root,
        invocations,
        &format!("{language:?}"),
    );

    let text = |value: &Value| value.as_str().map(str::to_owned);
    reported_invocations(&report)
        .map(|(item, calls, logs)| {
            // The handler answers CloudFormation through the PUT; what it returns to Lambda is nothing.
            assert_eq!(item["answer"], Value::Null, "{language:?}");
            Outcome {
                language,
                threw: text(&item["threw"]),
                threw_message: text(&item["threwMessage"]),
                calls,
                logs,
                response_url: text(&item["responseUrl"]).unwrap_or_default(),
                requests: item["requests"].as_array().expect("requests array").clone(),
            }
        })
        .collect()
}

fn invoke(language: Language, stub: &Stub, event: Value) -> Outcome {
    invoke_with(language, stub, invocation(event))
}

fn invoke_with(language: Language, stub: &Stub, invocation: Value) -> Outcome {
    let deployed = deploy(language);
    let mut outcomes = run(&deployed, stub, &[invocation]);
    assert_eq!(outcomes.len(), 1);
    outcomes.pop().expect("one outcome")
}

fn list_call(policy: &str, marker: Option<&str>) -> Value {
    json!({ "op": "ListTargetsForPolicy", "policyName": policy, "marker": marker, "pageSize": 250, "extra": [] })
}

fn detach_call(policy: &str, target: &str) -> Value {
    json!({ "op": "DetachPolicy", "policyName": policy, "target": target, "extra": [] })
}

/// The calls a Delete of `policy` makes when `targets` span pages of two (the stub's page size).
fn delete_calls(policy: &str, targets: &[&str]) -> Vec<Value> {
    let mut calls = vec![list_call(policy, None)];
    let mut offset = 2;
    while offset < targets.len() {
        calls.push(list_call(policy, Some(&format!("stub-marker-{offset}"))));
        offset += 2;
    }
    calls.extend(targets.iter().map(|target| detach_call(policy, target)));
    calls
}

impl Outcome {
    /// The one response PUT, checked against what CloudFormation and the pre-signed URL require; its body.
    fn response(&self) -> Value {
        assert_eq!(self.requests.len(), 1, "exactly one response: {self:?}");
        let put = &self.requests[0];
        assert_eq!(put["method"], "PUT", "{self:?}");
        assert_eq!(
            put["url"].as_str(),
            Some(format!("{RESPONSE_PATH}?{RESPONSE_QUERY}").as_str()),
            "the PUT goes to the ResponseURL unchanged: {self:?}"
        );
        let headers: Vec<(&str, &str)> = put["headers"]
            .as_array()
            .expect("headers")
            .iter()
            .map(|pair| {
                (
                    pair[0].as_str().expect("header name"),
                    pair[1].as_str().expect("header value"),
                )
            })
            .collect();
        let values = |name: &str| -> Vec<&str> {
            headers
                .iter()
                .filter(|(key, _)| *key == name)
                .map(|(_, value)| *value)
                .collect()
        };
        // The pre-signed URL was signed without a content type: send an empty one, as cfn-response does.
        assert_eq!(values("content-type"), [""], "{self:?}");
        let body = put["body"].as_str().expect("body");
        assert_eq!(
            values("content-length"),
            [body.len().to_string().as_str()],
            "{self:?}"
        );
        assert_eq!(values("transfer-encoding"), Vec::<&str>::new(), "{self:?}");

        let body: Value = serde_json::from_str(body).expect("the response body is JSON");
        assert_eq!(
            sorted_keys(&body, "the body"),
            [
                "Data",
                "LogicalResourceId",
                "NoEcho",
                "PhysicalResourceId",
                "Reason",
                "RequestId",
                "StackId",
                "Status"
            ],
            "{self:?}"
        );
        assert_eq!(body["StackId"], STACK_ID, "{self:?}");
        assert_eq!(body["RequestId"], REQUEST_ID, "{self:?}");
        assert_eq!(body["LogicalResourceId"], LOGICAL_ID, "{self:?}");
        assert_eq!(body["NoEcho"], false, "{self:?}");
        assert!(
            body["PhysicalResourceId"]
                .as_str()
                .is_some_and(|id| !id.is_empty()),
            "{self:?}"
        );
        let reason = body["Reason"].as_str().expect("a Reason");
        assert_one_line(reason);
        self.assert_no_secret(reason);
        body
    }

    /// Exactly one log line, a JSON object with exactly the documented fields and labels.
    fn log_line(&self) -> Value {
        assert_eq!(self.logs.len(), 1, "one log line per call: {self:?}");
        self.parse_log(0)
    }

    fn parse_log(&self, index: usize) -> Value {
        let text = &self.logs[index];
        self.assert_no_secret(text);
        LOG_LINE.parse(text, self)
    }

    /// Neither the pre-signed URL nor any part of its credentials leaks into `text`.
    fn assert_no_secret(&self, text: &str) {
        assert!(
            !self.response_url.is_empty() && !text.contains(&self.response_url),
            "{:?}: ResponseURL leaked into {text:?}: {self:?}",
            self.language
        );
        for secret in SECRETS {
            assert!(
                !text.contains(secret),
                "{:?}: {secret} leaked into {text:?}",
                self.language
            );
        }
    }

    /// SUCCESS with `physical_id` and `Data.Detached`, logged as a success; returns the log line.
    fn assert_success(&self, request: &str, physical_id: &str, detached: u64) -> Value {
        assert_eq!(self.threw, None, "{self:?}");
        let body = self.response();
        assert_eq!(body["Status"], "SUCCESS", "{self:?}");
        assert_eq!(body["PhysicalResourceId"], physical_id, "{self:?}");
        assert_eq!(body["Data"], json!({ "Detached": detached }), "{self:?}");
        let log = self.log_line();
        assert_eq!(log["outcome"], "success", "{self:?}");
        assert_eq!(log["request"], request, "{self:?}");
        assert_eq!(log["detached"], detached, "{self:?}");
        assert_eq!(log["reason"], body["Reason"], "{self:?}");
        log
    }

    /// FAILED with `physical_id`, logged as a failure; returns the Reason.
    fn assert_failed(&self, physical_id: &str) -> String {
        assert_eq!(self.threw, None, "{self:?}");
        let body = self.response();
        assert_eq!(body["Status"], "FAILED", "{self:?}");
        assert_eq!(body["PhysicalResourceId"], physical_id, "{self:?}");
        let log = self.log_line();
        assert_eq!(log["outcome"], "failed", "{self:?}");
        assert_eq!(log["reason"], body["Reason"], "{self:?}");
        assert_eq!(log["detached"], body["Data"]["Detached"], "{self:?}");
        let reason = body["Reason"].as_str().expect("a Reason").to_owned();
        assert!(!reason.is_empty(), "{self:?}");
        reason
    }

    fn assert_no_calls(&self) {
        assert_eq!(self.calls, Vec::<Value>::new(), "no SDK call: {self:?}");
    }
}

/// One line, at most 300 characters, no stack trace or traceback.
fn assert_one_line(reason: &str) {
    assert!(reason.chars().count() <= 300, "{reason}");
    assert!(!reason.contains('\n') && !reason.contains('\r'), "{reason}");
    for trace in [" at ", "Traceback", "index.js:", "index.py", "File \""] {
        assert!(!reason.contains(trace), "{trace:?} in {reason}");
    }
}

#[test]
fn rendered_sources_pass_the_language_checkers() {
    for language in LANGUAGES {
        let deployed = deploy(language);
        assert_compiles(language, &deployed.file, &format!("{language:?}"));
    }
}

#[test]
fn create_succeeds_without_any_sdk_call() {
    for language in LANGUAGES {
        let outcome = invoke(language, &Stub::default(), create(POLICY));
        outcome.assert_no_calls();
        let log = outcome.assert_success("Create", &physical(POLICY), 0);
        assert_eq!(log["policy"], POLICY, "{outcome:?}");
    }
}

#[test]
fn update_answers_the_new_physical_id_and_detaches_nothing() {
    for language in LANGUAGES {
        // A rename: the id changes, so CloudFormation later deletes the old resource (next test).
        let outcome = invoke(language, &Stub::default(), update(POLICY, OLD_POLICY));
        outcome.assert_no_calls();
        let log = outcome.assert_success("Update", &physical(POLICY), 0);
        assert_eq!(log["policy"], POLICY, "{outcome:?}");

        // Any other change (the service token) keeps the id.
        let outcome = invoke(language, &Stub::default(), update(POLICY, POLICY));
        outcome.assert_no_calls();
        outcome.assert_success("Update", &physical(POLICY), 0);
    }
}

#[test]
fn delete_detaches_every_target_across_pages() {
    for language in LANGUAGES {
        let outcome = invoke(language, &Stub::default(), delete(POLICY));
        // Two pages (the stub returns two targets a page; the function asks for 250), then one detach each,
        // all from the right policy; the other policy's targets are untouched.
        assert_eq!(outcome.calls, delete_calls(POLICY, &TARGETS), "{outcome:?}");
        let log = outcome.assert_success("Delete", &physical(POLICY), 3);
        assert_eq!(log["policy"], POLICY, "{outcome:?}");
    }
}

#[test]
fn a_rename_detaches_the_old_policy_when_the_old_resource_is_deleted() {
    for language in LANGUAGES {
        let deployed = deploy(language);
        // The sequence CloudFormation sends when PolicyName changes, in one warm environment: the Update
        // answers the new id, then the cleanup phase deletes the old resource with the OLD properties.
        let outcomes = run(
            &deployed,
            &Stub::default(),
            &[
                invocation(update(POLICY, OLD_POLICY)),
                invocation(delete(OLD_POLICY)),
            ],
        );
        outcomes[0].assert_no_calls();
        outcomes[0].assert_success("Update", &physical(POLICY), 0);
        assert_eq!(
            outcomes[1].calls,
            delete_calls(OLD_POLICY, &OLD_TARGETS),
            "{:?}",
            outcomes[1]
        );
        let log = outcomes[1].assert_success("Delete", &physical(OLD_POLICY), 2);
        assert_eq!(log["policy"], OLD_POLICY, "{:?}", outcomes[1]);
    }
}

#[test]
fn a_policy_that_is_already_gone_counts_as_done() {
    let stub = Stub {
        list_fail: json!({ POLICY: "ResourceNotFoundException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let outcome = invoke(language, &stub, delete(POLICY));
        assert_eq!(outcome.calls, [list_call(POLICY, None)], "{outcome:?}");
        let log = outcome.assert_success("Delete", &physical(POLICY), 0);
        assert!(
            log["reason"]
                .as_str()
                .is_some_and(|r| r.contains("not found")),
            "{outcome:?}"
        );
    }
}

#[test]
fn an_attachment_that_is_already_gone_counts_as_done() {
    let stub = Stub {
        detach_fail: json!({ TARGETS[1]: "ResourceNotFoundException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let outcome = invoke(language, &stub, delete(POLICY));
        // Every target is still tried; only the two that were detached here are counted.
        assert_eq!(outcome.calls, delete_calls(POLICY, &TARGETS), "{outcome:?}");
        outcome.assert_success("Delete", &physical(POLICY), 2);
    }
}

#[test]
fn another_detach_error_fails_with_a_reason_naming_it() {
    let stub = Stub {
        detach_fail: json!({ TARGETS[1]: "ThrottlingException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let outcome = invoke(language, &stub, delete(POLICY));
        // Calls stop at the failure.
        let mut expected = delete_calls(POLICY, &TARGETS);
        expected.pop();
        assert_eq!(outcome.calls, expected, "{outcome:?}");
        let reason = outcome.assert_failed(&physical(POLICY));
        for needle in ["DetachPolicy", POLICY, TARGETS[1], "ThrottlingException"] {
            assert!(reason.contains(needle), "{needle} not in {reason}");
        }
        assert_eq!(outcome.log_line()["detached"], 1, "{outcome:?}");
    }
}

#[test]
fn another_list_error_fails_with_a_reason_naming_it() {
    for (fail, names) in [
        ("UnauthorizedException", ["UnauthorizedException", POLICY]),
        // Not an SDK error at all, with a line break in its message.
        (
            "raw:stub failure\nsecond line",
            ["stub failure second line", "ListTargetsForPolicy"],
        ),
    ] {
        let stub = Stub {
            list_fail: json!({ "*": fail }),
            ..Stub::default()
        };
        for language in LANGUAGES {
            let outcome = invoke(language, &stub, delete(POLICY));
            assert_eq!(outcome.calls, [list_call(POLICY, None)], "{outcome:?}");
            let reason = outcome.assert_failed(&physical(POLICY));
            for needle in names {
                assert!(reason.contains(needle), "{needle} not in {reason}");
            }
        }
    }
}

#[test]
fn a_long_error_is_cut_to_300_characters() {
    let long_target = format!("eu-west-1:{}", "9".repeat(400));
    let stub = Stub {
        targets: json!({ POLICY: [long_target] }),
        detach_fail: json!({ "*": "InvalidRequestException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let outcome = invoke(language, &stub, delete(POLICY));
        let reason = outcome.assert_failed(&physical(POLICY));
        assert_eq!(reason.chars().count(), 300, "{reason}");
        assert!(reason.starts_with("DetachPolicy fleet-connect from eu-west-1:999"));
    }
}

#[test]
fn an_unexpected_error_still_gets_exactly_one_response() {
    for language in LANGUAGES {
        // The context's remaining-time call throws: nothing the function anticipates.
        let mut broken = invocation(delete(POLICY));
        broken["remainingMs"] = json!("throw");
        let outcome = invoke_with(language, &Stub::default(), broken);
        outcome.assert_no_calls();
        let reason = outcome.assert_failed(&physical(POLICY));
        let name = match language {
            Language::NodeJs => "RangeError",
            Language::Python => "LookupError",
        };
        assert!(reason.contains(name), "{reason}");
        assert!(reason.contains("stub context failure"), "{reason}");
    }
}

#[test]
fn reasons_stay_on_one_line_whatever_the_input() {
    // Line breaks in names that reach the Reason outside any error message.
    let target = "eu-west-1:bad\ntarget\r\n\tend";
    let stub = Stub {
        targets: json!({ POLICY: [target], "bad\npolicy": [] }),
        detach_fail: json!({ "*": "InvalidRequestException" }),
        list_fail: json!({ "bad\npolicy": "UnauthorizedException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let outcome = invoke(language, &stub, delete(POLICY));
        let reason = outcome.assert_failed(&physical(POLICY));
        assert!(reason.contains("eu-west-1:bad target"), "{reason}");

        let outcome = invoke(language, &stub, delete("bad\npolicy"));
        let reason = outcome.assert_failed(&physical("bad\npolicy"));
        assert!(reason.contains("bad policy"), "{reason}");
    }
}

#[test]
fn a_delete_without_a_policy_name_succeeds_and_does_nothing() {
    // The rollback of a Create that failed for want of a PolicyName.
    let mut missing = request("Delete", Some(json!({ "ServiceToken": "arn" })));
    missing["PhysicalResourceId"] = json!("detach-targets:invalid:earlier");
    let mut empty = request("Delete", Some(json!({ "PolicyName": "" })));
    empty["PhysicalResourceId"] = json!("detach-targets:invalid:earlier");
    let mut absent = request("Delete", None);
    absent["PhysicalResourceId"] = json!("detach-targets:invalid:earlier");
    for language in LANGUAGES {
        for event in [&missing, &empty, &absent] {
            let outcome = invoke(language, &Stub::default(), event.clone());
            outcome.assert_no_calls();
            let log = outcome.assert_success("Delete", "detach-targets:invalid:earlier", 0);
            assert_eq!(log["policy"], Value::Null, "{outcome:?}");
        }
    }
}

#[test]
fn create_or_update_without_a_policy_name_fails() {
    let create = request("Create", Some(json!({ "PolicyName": 42 })));
    let mut update = request("Update", Some(json!({})));
    update["PhysicalResourceId"] = json!(physical(POLICY));
    for language in LANGUAGES {
        let outcome = invoke(language, &Stub::default(), create.clone());
        outcome.assert_no_calls();
        // A failed Create still needs an id: CloudFormation sends it back in the rollback's Delete.
        let reason = outcome.assert_failed(&format!("detach-targets:invalid:{REQUEST_ID}"));
        assert!(reason.contains("PolicyName"), "{reason}");

        // A failed Update keeps the current id, so nothing is replaced.
        let outcome = invoke(language, &Stub::default(), update.clone());
        outcome.assert_no_calls();
        let reason = outcome.assert_failed(&physical(POLICY));
        assert!(reason.contains("PolicyName"), "{reason}");
    }
}

#[test]
fn an_unknown_request_type_fails() {
    let mut event = request("Replace", Some(properties(POLICY)));
    event["PhysicalResourceId"] = json!(physical(POLICY));
    for language in LANGUAGES {
        let outcome = invoke(language, &Stub::default(), event.clone());
        outcome.assert_no_calls();
        let reason = outcome.assert_failed(&physical(POLICY));
        assert!(reason.contains("Replace"), "{reason}");
    }
}

#[test]
fn malformed_requests_still_get_exactly_one_response() {
    let mut strange = request("Delete", Some(json!("not an object")));
    strange["PhysicalResourceId"] = json!(physical(POLICY));
    let mut no_type = request("Delete", Some(properties(POLICY)));
    no_type
        .as_object_mut()
        .expect("an object")
        .remove("RequestType");
    for language in LANGUAGES {
        let outcome = invoke(language, &Stub::default(), strange.clone());
        outcome.assert_no_calls();
        outcome.assert_success("Delete", &physical(POLICY), 0);

        let outcome = invoke(language, &Stub::default(), no_type.clone());
        outcome.assert_no_calls();
        outcome.assert_failed(&physical(POLICY));
        assert_eq!(outcome.log_line()["request"], Value::Null);
    }
}

#[test]
fn running_out_of_time_answers_before_lambda_gives_up() {
    for language in LANGUAGES {
        let mut late = invocation(delete(POLICY));
        late["remainingMs"] = json!(1500);
        let outcome = invoke_with(language, &Stub::default(), late);
        outcome.assert_no_calls();
        let reason = outcome.assert_failed(&physical(POLICY));
        assert!(reason.contains("out of time"), "{reason}");
        assert!(reason.contains("delete again"), "{reason}");
    }
}

#[test]
fn a_failed_response_is_logged_and_thrown() {
    for language in LANGUAGES {
        // S3 refuses an expired pre-signed URL with 403.
        let mut refused = invocation(delete(POLICY));
        refused["serverStatus"] = json!(403);
        let outcome = invoke_with(language, &Stub::default(), refused);
        assert_eq!(outcome.calls, delete_calls(POLICY, &TARGETS), "{outcome:?}");
        assert_eq!(
            outcome.threw.as_deref(),
            Some("ResponseFailed"),
            "{outcome:?}"
        );
        let message = outcome.threw_message.as_deref().expect("a message");
        assert!(message.contains("403"), "{message}");
        outcome.assert_no_secret(message);
        // The one PUT was tried, as a good one would have been.
        let body = outcome.response();
        assert_eq!(body["Status"], "SUCCESS", "{outcome:?}");
        // The usual line, then one saying the response did not get through.
        assert_eq!(outcome.logs.len(), 2, "{outcome:?}");
        assert_eq!(outcome.parse_log(0)["outcome"], "success", "{outcome:?}");
        let second = outcome.parse_log(1);
        assert_eq!(second["outcome"], "response-failed", "{outcome:?}");
        assert!(
            second["reason"].as_str().is_some_and(|r| r.contains("403")),
            "{outcome:?}"
        );
    }
}

#[test]
fn a_missing_response_url_is_logged_and_thrown() {
    for language in LANGUAGES {
        let mut event = delete(POLICY);
        event
            .as_object_mut()
            .expect("an object")
            .remove("ResponseURL");
        let outcome = invoke(language, &Stub::default(), event);
        assert_eq!(
            outcome.threw.as_deref(),
            Some("ResponseFailed"),
            "{outcome:?}"
        );
        assert_eq!(outcome.requests, Vec::<Value>::new(), "{outcome:?}");
        assert_eq!(outcome.logs.len(), 2, "{outcome:?}");
    }
}

#[test]
fn the_response_url_never_reaches_a_log_line() {
    // A mix of every outcome in one warm environment; the checks live in `parse_log` / `response`.
    let stub = Stub {
        detach_fail: json!({ TARGETS[2]: "InternalFailureException" }),
        ..Stub::default()
    };
    for language in LANGUAGES {
        let deployed = deploy(language);
        let mut refused = invocation(create(POLICY));
        refused["serverStatus"] = json!(500);
        let outcomes = run(
            &deployed,
            &stub,
            &[
                invocation(create(POLICY)),
                invocation(update(POLICY, OLD_POLICY)),
                invocation(delete(OLD_POLICY)),
                invocation(delete(POLICY)),
                invocation(request("Bogus", None)),
                refused,
            ],
        );
        let mut lines = 0;
        for outcome in &outcomes {
            assert!(
                !outcome.response_url.contains("{server}"),
                "the harness filled in the server: {outcome:?}"
            );
            for index in 0..outcome.logs.len() {
                let line = outcome.parse_log(index);
                assert!(line["reason"].is_string(), "{outcome:?}");
                lines += 1;
            }
            outcome.response();
        }
        assert_eq!(lines, 7, "{language:?}");
        let statuses: Vec<String> = outcomes
            .iter()
            .map(|outcome| outcome.parse_log(0)["outcome"].to_string())
            .collect();
        assert_eq!(
            statuses,
            [
                "\"success\"",
                "\"success\"",
                "\"success\"",
                "\"failed\"",
                "\"failed\"",
                "\"success\""
            ],
            "{language:?}"
        );
    }
}

#[test]
fn stack_and_pool_labels_round_trip_into_the_log() {
    for language in LANGUAGES {
        let deployed = deploy_named(language, HOSTILE_STACK, HOSTILE_POOL);
        let outcome = &run(&deployed, &Stub::default(), &[invocation(create(POLICY))])[0];
        // Every field and label, the hostile ones included, as `parse_log` checks the usual ones.
        let line = LOG_LINE
            .labelled(HOSTILE_STACK, HOSTILE_POOL)
            .parse_only(&outcome.logs, outcome);
        assert_eq!(line["outcome"], "success", "{language:?}");
    }
}
