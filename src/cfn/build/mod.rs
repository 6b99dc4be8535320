//! Spec → template. A pure function: the same spec gives the same template, whatever the order
//! of keys in the file. Every AWS fact used here cites docs/aws-facts.md. One file per family of
//! resources; this one assembles them and holds what several families share (policy documents,
//! a function's logs, trust and role metadata, waivers).
//! Must not: read files, judge the template (that is `limits` and `rules`), or name out/ files.

mod api;
mod attach;
mod detach;
mod iot_policy;
mod outputs;
mod pool;
mod roles;

use super::ids::PoolIds;
use super::model::{Node, Template};
use super::suppress::{self, Suppressions};
use crate::spec::{IdentityPool, Invoke, Spec};

use api::attach_api;
use attach::attach_function;
use detach::{detach_cleanups, detach_function};
use outputs::outputs;
use pool::identity_pool;
use roles::{guest_role, member_roles};

/// Builds the template of one spec. `source` is the spec's path as shown in the header.
pub fn build(spec: &Spec, source: &str) -> Template {
    let mut t = Template {
        description: Some(
            spec.description
                .clone()
                .unwrap_or_else(|| format!("cogsynth stack {}", spec.stack)),
        ),
        metadata: Some(Node::map([(
            "cogsynth",
            Node::map([
                ("source", Node::s(source)),
                ("spec_version", Node::Int(i64::from(spec.version))),
            ]),
        )])),
        ..Template::default()
    };
    for (name, p) in &spec.parameters {
        let mut body = vec![
            ("Type".to_owned(), Node::s("String")),
            ("Description".into(), Node::s(&p.description)),
        ];
        if let Some(d) = &p.default {
            body.push(("Default".into(), Node::s(d)));
        }
        if let Some(a) = &p.allowed_pattern {
            body.push(("AllowedPattern".into(), Node::s(a)));
        }
        t.parameters.push((name.clone(), Node::Map(body)));
    }
    for (name, pool) in &spec.identity_pools {
        build_pool(spec, name, pool, &mut t);
    }
    if spec.attach.detach_on_delete {
        detach_function(spec, &mut t);
    }
    t
}

fn build_pool(spec: &Spec, name: &str, pool: &IdentityPool, t: &mut Template) {
    let ids = PoolIds::new(name);
    identity_pool(spec, name, pool, &ids, t);
    let policies = member_roles(spec, name, pool, &ids, t);
    if let Some(g) = &pool.unauthenticated {
        guest_role(spec, name, g, &ids, t);
    }
    attach_function(spec, name, &ids, policies, t);
    if spec.attach.invoke == Invoke::ApiGateway {
        attach_api(name, &ids, t);
    }
    if spec.attach.detach_on_delete {
        detach_cleanups(name, &ids, policies, t);
    }
    outputs(
        name,
        pool,
        &ids,
        spec.attach.invoke == Invoke::ApiGateway,
        policies,
        t,
    );
}

fn document(statements: Vec<Node>) -> Node {
    Node::map([
        ("Version", Node::s("2012-10-17")),
        ("Statement", Node::List(statements)),
    ])
}

fn inline_policy(name: &str, statements: Vec<Node>) -> Node {
    Node::map([
        ("PolicyName", Node::s(name)),
        ("PolicyDocument", document(statements)),
    ])
}

/// A function may write its own log group's streams, nothing else. The log group's `Arn`
/// attribute ends in `:*`, covering its streams (docs/aws-facts.md §1.8).
fn own_logs(log_group: &str) -> Node {
    Node::map([
        ("Sid", Node::s("WriteOwnLogs")),
        ("Effect", Node::s("Allow")),
        (
            "Action",
            Node::list([
                Node::s("logs:CreateLogStream"),
                Node::s("logs:PutLogEvents"),
            ]),
        ),
        ("Resource", Node::get_att(log_group, "Arn")),
    ])
}

fn lambda_trust() -> Node {
    document(vec![Node::map([
        ("Effect", Node::s("Allow")),
        (
            "Principal",
            Node::map([("Service", Node::s("lambda.amazonaws.com"))]),
        ),
        ("Action", Node::s("sts:AssumeRole")),
    ])])
}

/// A function role's metadata: why `Resource: "*"` (`long` in the note, `short` in each tool's
/// entry), and its inline policy.
fn function_role_metadata(long: &str, short: &str) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::WILDCARD_RESOURCE, short)
        .add(&suppress::INLINE_POLICY, suppress::INLINE_POLICY_REASON);
    s.metadata(vec![("wildcard_resource_reason".to_owned(), Node::s(long))])
}

/// The metadata of a role with an inline policy: its `note`, and the inline policy's reason.
fn inline_role_metadata(note: Vec<(String, Node)>) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::INLINE_POLICY, suppress::INLINE_POLICY_REASON);
    s.metadata(note)
}

/// A function's log group: no customer managed key (never needed: CloudWatch Logs encrypts at
/// rest), and a retention under a year when the spec chose one.
fn log_group_metadata(retention_days: u32) -> Option<Node> {
    let mut s = Suppressions::default();
    s.add(&suppress::LOG_GROUP_KEY, suppress::LOG_GROUP_KEY_REASON);
    if retention_days < suppress::YEAR_OF_RETENTION {
        s.add(
            &suppress::SHORT_RETENTION,
            &suppress::short_retention_reason(retention_days),
        );
    }
    s.metadata(Vec::new())
}

/// The reason of the spec's waiver of `rule`, if any.
fn waiver_reason<'a>(spec: &'a Spec, rule: &str) -> Option<&'a str> {
    spec.waivers
        .iter()
        .find(|w| w.rule == rule)
        .map(|w| w.reason.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;
    use std::collections::BTreeSet;

    fn built(text: &str) -> serde_json::Value {
        let loaded = spec::load("t.yaml", text.as_bytes()).expect("valid spec");
        serde_json::to_value(build(&loaded.spec, "t.yaml").to_node()).unwrap()
    }

    const SPEC: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\"]\nroles:\n  member: { scopes: [own] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: eu-west-1_Abc, client_id: abc }]\n    authenticated: member\n";

    #[test]
    fn trust_is_pinned_to_the_pool_and_the_kind_of_identity() {
        let t = built(SPEC);
        let st = &t["Resources"]["AppAuthenticatedRole"]["Properties"]["AssumeRolePolicyDocument"]
            ["Statement"][0];
        assert_eq!(
            st["Principal"]["Federated"],
            "cognito-identity.amazonaws.com"
        );
        assert_eq!(st["Action"], "sts:AssumeRoleWithWebIdentity");
        assert_eq!(
            st["Condition"]["StringEquals"]["cognito-identity.amazonaws.com:aud"]["Ref"],
            "AppIdentityPool"
        );
        assert_eq!(
            st["Condition"]["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"],
            "authenticated"
        );
        assert_eq!(
            t["Resources"]["AppIdentityPool"]["Properties"]["AllowClassicFlow"],
            false
        );
        assert_eq!(
            t["Resources"]["AppIdentityPool"]["Properties"]["AllowUnauthenticatedIdentities"],
            false
        );
        assert!(
            t["Resources"].get("AppUnauthenticatedRole").is_none(),
            "no guest role without guests"
        );
    }

    #[test]
    fn identity_placeholders_are_escaped_inside_sub() {
        let t = built(SPEC);
        let r = &t["Resources"]["AppIotPolicy"]["Properties"]["PolicyDocument"]["Statement"][1]["Resource"]
            [0]["Fn::Sub"];
        assert_eq!(
            r,
            "arn:${AWS::Partition}:iot:${AWS::Region}:${AWS::AccountId}:topic/d/${!cognito-identity.amazonaws.com:sub}/t"
        );
    }

    #[test]
    fn provider_names_follow_the_user_pool_id() {
        let literal = built(SPEC);
        assert_eq!(
            literal["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"][0]["ProviderName"],
            "cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc"
        );
        let region =
            built(&SPEC.replace("client_id: abc }", "client_id: abc, region: us-west-2 }"));
        assert_eq!(
            region["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"][0]["ProviderName"],
            "cognito-idp.us-west-2.amazonaws.com/eu-west-1_Abc"
        );
        let imported = built(&SPEC.replace(
            "user_pool_id: eu-west-1_Abc",
            "user_pool_id: { import: auth-PoolId }",
        ));
        let sub = &imported["Resources"]["AppIdentityPool"]["Properties"]["CognitoIdentityProviders"]
            [0]["ProviderName"]["Fn::Sub"];
        assert_eq!(sub[0], "cognito-idp.${Region}.amazonaws.com/${UserPoolId}");
        assert_eq!(
            sub[1]["Region"]["Fn::Select"][1]["Fn::Split"][1]["Fn::ImportValue"],
            "auth-PoolId"
        );
    }

    #[test]
    fn by_design_and_waived_findings_carry_suppressions_with_their_reason() {
        let guests = "    authenticated: member\n    unauthenticated: { role: member, reason: the lobby is public by design }\n";
        let t = built(&SPEC.replace("    authenticated: member\n", guests));
        let role = &t["Resources"]["AppAttachFunctionRole"]["Metadata"];
        assert_eq!(role["cfn_nag"]["rules_to_suppress"][0]["id"], "W11");
        assert_eq!(role["checkov"]["skip"][0]["id"], "CKV_AWS_109");
        assert_eq!(
            role["cdk_nag"]["rules_to_suppress"][0]["applies_to"][0],
            "Resource::*"
        );
        assert_eq!(
            role["guard"]["SuppressedRules"][0],
            "IAM_POLICYDOCUMENT_NO_WILDCARD_RESOURCE"
        );
        let pool = &t["Resources"]["AppIdentityPool"]["Metadata"];
        assert_eq!(
            pool["checkov"]["skip"][0]["comment"],
            "the lobby is public by design"
        );
        // A waiver's reason replaces the guest reason in what the other tools read.
        let waived = format!(
            "{}waivers:\n  - {{ rule: CIP-POOL-001, reason: reviewed by the security team }}\n",
            SPEC.replace("    authenticated: member\n", guests)
        );
        let t = built(&waived);
        let pool = &t["Resources"]["AppIdentityPool"]["Metadata"];
        assert_eq!(
            pool["cfn_nag"]["rules_to_suppress"][0],
            serde_json::json!({ "id": "W57", "reason": "reviewed by the security team" })
        );
        assert_eq!(
            pool["cdk_nag"]["rules_to_suppress"][0]["id"],
            "AwsSolutions-COG7"
        );
        assert_eq!(
            pool["cogsynth"]["guest_access_reason"],
            "the lobby is public by design"
        );
        // Without guests there is nothing to suppress on the pool.
        assert!(
            built(SPEC)["Resources"]["AppIdentityPool"]
                .get("Metadata")
                .is_none()
        );
    }

    fn skipped(t: &serde_json::Value, id: &str) -> Vec<(String, String)> {
        t["Resources"][id]["Metadata"]["checkov"]["skip"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|e| {
                (
                    e["id"].as_str().unwrap().to_owned(),
                    e["comment"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    fn guarded(t: &serde_json::Value, id: &str) -> Vec<String> {
        t["Resources"][id]["Metadata"]["guard"]["SuppressedRules"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }

    #[test]
    fn reserved_concurrency_is_the_specs_and_its_absence_is_explained() {
        // Unset: no reservation (a default fails deploys on small accounts), and the scanners'
        // finding is suppressed with a reason that names the option.
        let t = built(SPEC);
        assert!(
            t["Resources"]["AppAttachFunction"]["Properties"]
                .get("ReservedConcurrentExecutions")
                .is_none()
        );
        let skip = skipped(&t, "AppAttachFunction");
        let (_, reason) = skip.iter().find(|(id, _)| id == "CKV_AWS_115").unwrap();
        assert!(reason.contains("attach.reserved_concurrency"), "{reason}");
        assert!(guarded(&t, "AppAttachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));

        // Set: the reservation, and nothing to suppress for it (the rest stays).
        let t = built(&format!("{SPEC}attach: {{ reserved_concurrency: 5 }}\n"));
        assert_eq!(
            t["Resources"]["AppAttachFunction"]["Properties"]["ReservedConcurrentExecutions"],
            5
        );
        let skip = skipped(&t, "AppAttachFunction");
        assert!(!skip.iter().any(|(id, _)| id == "CKV_AWS_115"), "{skip:?}");
        assert!(skip.iter().any(|(id, _)| id == "CKV_AWS_116"), "{skip:?}");
        assert!(!guarded(&t, "AppAttachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));

        // The detach function never has one: only CloudFormation invokes it.
        for t in [&built(SPEC), &t] {
            assert!(
                t["Resources"]["DetachFunction"]["Properties"]
                    .get("ReservedConcurrentExecutions")
                    .is_none()
            );
            let skip = skipped(t, "DetachFunction");
            let (_, reason) = skip.iter().find(|(id, _)| id == "CKV_AWS_115").unwrap();
            assert!(
                reason.starts_with("Only CloudFormation invokes it"),
                "{reason}"
            );
            assert!(guarded(t, "DetachFunction").contains(&"LAMBDA_CONCURRENCY_CHECK".into()));
        }
    }

    #[test]
    fn a_year_of_retention_needs_no_retention_suppression() {
        let short = built(SPEC);
        for id in ["AppAttachFunctionLogs", "DetachFunctionLogs"] {
            assert_eq!(
                short["Resources"][id]["Metadata"]["cogsynth"]["retention_reason"],
                "Kept 90 days as attach.log_retention_days says (365 satisfies this rule)"
            );
        }
        let year = built(&format!("{SPEC}attach: {{ log_retention_days: 365 }}\n"));
        for id in ["AppAttachFunctionLogs", "DetachFunctionLogs"] {
            let m = &year["Resources"][id]["Metadata"];
            assert!(m["cogsynth"].get("retention_reason").is_none(), "{m}");
            assert_eq!(
                guarded(&year, id),
                [
                    "CLOUDWATCH_LOG_GROUP_ENCRYPTED",
                    "CLOUDWATCH_LOG_GROUP_ENCRYPTED_CHECK"
                ]
            );
        }
    }

    #[test]
    fn the_attach_function_learns_its_api_id_in_api_gateway_mode_only() {
        let variables = |t: &serde_json::Value| {
            t["Resources"]["AppAttachFunction"]["Properties"]["Environment"]["Variables"].clone()
        };
        let direct = built(SPEC);
        assert!(variables(&direct).get("ATTACH_API_ID").is_none());
        assert!(direct["Resources"].get("AppAttachApi").is_none());

        let api = built(&format!("{SPEC}attach: {{ invoke: api-gateway }}\n"));
        assert_eq!(
            variables(&api)["ATTACH_API_ID"],
            serde_json::json!({ "Ref": "AppAttachApi" })
        );
        assert_eq!(
            api["Resources"]["AppAttachApi"]["Type"],
            "AWS::ApiGateway::RestApi"
        );
        // The API references nothing of the function's, so the Ref above closes no dependency cycle.
        let rest_api = api["Resources"]["AppAttachApi"].to_string();
        assert!(!rest_api.contains("AppAttachFunction"), "{rest_api}");
    }

    #[test]
    fn only_the_authenticated_role_may_invoke_the_attach_function() {
        let t = built(&SPEC.replace("    authenticated: member\n", "    authenticated: member\n    unauthenticated: { role: member, reason: everyone may do what members do }\n"));
        let invokes = |role: &str| {
            t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["Action"] == "lambda:InvokeFunction")
        };
        assert!(invokes("AppAuthenticatedRole"));
        assert!(!invokes("AppUnauthenticatedRole"));
    }

    /// A pool with `n` broadened subscriptions (`a/+/tNNN`: a `topicfilter/` and a `topic/`
    /// resource each) over roles `member` and, when mapped, `other`.
    fn broadened_spec(n: usize, mapped: bool) -> String {
        let filters: Vec<String> = (0..n).map(|i| format!("\"a/+/t{i:03}\"")).collect();
        let authenticated = if mapped {
            "\n      rules: [{ claim: \"cognito:groups\", equals: o, role: other }]\n      default: member"
        } else {
            " member"
        };
        format!(
            "version: 1\nstack: s\ntopic_scopes:\n  own:\n    subscribe: [{}]\n  lobby:\n    subscribe: [\"b/+/c\"]\nroles:\n  member: {{ scopes: [own] }}\n  other: {{ scopes: [lobby] }}\nidentity_pools:\n  app:\n    user_pools: [{{ user_pool_id: eu-west-1_Abc, client_id: abc }}]\n    authenticated:{authenticated}\n",
            filters.join(", ")
        )
    }

    /// The IoT policies of the template: (policy document, `Metadata.cogsynth.broadened` texts).
    fn iot_policies(t: &serde_json::Value) -> Vec<(serde_json::Value, Vec<String>)> {
        t["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Type"] == "AWS::IoT::Policy")
            .map(|r| {
                let notes = r["Metadata"]["cogsynth"]["broadened"]
                    .as_array()
                    .map(|l| l.iter().map(|n| n.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default();
                (r["Properties"]["PolicyDocument"].clone(), notes)
            })
            .collect()
    }

    #[test]
    fn each_split_iot_policy_names_the_broadened_grants_it_holds() {
        for mapped in [false, true] {
            let t = built(&broadened_spec(60, mapped));
            let policies = iot_policies(&t);
            assert!(policies.len() >= 3, "split: {}", policies.len());
            let mut seen = BTreeSet::new();
            for (doc, notes) in &policies {
                // Every resource this policy widens, as `<action> <resource>`.
                let widened: BTreeSet<String> = doc["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|s| {
                        let action = s["Action"].as_str().unwrap().to_owned();
                        s["Resource"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .filter_map(move |r| {
                                let arn = r["Fn::Sub"].as_str().unwrap();
                                let resource = arn.strip_prefix(crate::arn::IOT_PREFIX).unwrap();
                                resource
                                    .contains("/*/")
                                    .then(|| format!("{action} {resource}"))
                            })
                    })
                    .collect();
                let named: BTreeSet<String> = notes
                    .iter()
                    .map(|n| {
                        let (grant, rest) = n.split_once(" is granted as ").unwrap();
                        let resource = rest.split_once(": ").unwrap().0;
                        assert!(seen.insert(n.clone()), "named twice: {n}");
                        assert!(grant.starts_with("subscribe "), "{grant}");
                        let action = if resource.starts_with("topicfilter/") {
                            "iot:Subscribe"
                        } else {
                            "iot:Receive"
                        };
                        format!("{action} {resource}")
                    })
                    .collect();
                assert_eq!(named, widened, "mapped: {mapped}");
            }
            // Every broadened grant of the pool is named once: 2 resources per `+` filter.
            let grants = 60 + usize::from(mapped);
            assert_eq!(seen.len(), 2 * grants, "mapped: {mapped}");
        }
    }

    #[test]
    fn one_iot_policy_names_every_broadened_grant_as_its_role_does() {
        let t = built(&broadened_spec(3, false));
        let policies = iot_policies(&t);
        assert_eq!(policies.len(), 1);
        let role = &t["Resources"]["AppAuthenticatedRole"]["Metadata"]["cogsynth"]["broadened"];
        assert_eq!(role.as_array().unwrap().len(), 6);
        assert_eq!(serde_json::json!(policies[0].1), *role);
    }
}
