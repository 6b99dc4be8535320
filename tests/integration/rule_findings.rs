//! One finding of every rule, as a user sees it (a reviewed snapshot per rule id): each is made
//! to fire once, from a spec or from a template edited the way a hand-made or broken template
//! would be, and must give exactly one finding, at the spec entry that causes it. A new rule
//! without a case here fails `every_rule_has_a_snapshot_case`.

use serde_json::{Value, json};

use cogsynth::compile::compile;
use cogsynth::rules::{self, RULES};

/// Members publish to their own subtree; guests say hello in the lobby.
const SPEC: &str = r#"version: 1
stack: s
topic_scopes:
  own:
    publish: ["d/${identity}/t"]
    subscribe: ["d/${identity}/c/#"]
  lobby:
    publish: [lobby/hello]
roles:
  member: { scopes: [own] }
  guest: { scopes: [lobby] }
identity_pools:
  app:
    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]
    authenticated: member
    unauthenticated: { role: guest, reason: Visitors say hello in the lobby }
"#;

fn resource<'a>(t: &'a mut Value, id: &str) -> &'a mut Value {
    &mut t["Resources"][id]["Properties"]
}

fn statements<'a>(t: &'a mut Value, role: &str) -> &'a mut Vec<Value> {
    resource(t, role)["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array_mut()
        .expect("statements")
}

fn arn(rest: &str) -> Value {
    json!({ "Fn::Sub": format!("arn:${{AWS::Partition}}:iot:${{AWS::Region}}:${{AWS::AccountId}}:{rest}") })
}

type Edit = fn(&mut Value);

/// Per rule id: the spec, and an edit of its template (or none).
fn cases() -> Vec<(&'static str, String, Option<Edit>)> {
    let spec = SPEC.to_owned();
    let with = |from: &str, to: &str| {
        assert!(SPEC.contains(from), "{from}");
        SPEC.replacen(from, to, 1)
    };
    vec![
        ("CIP-POOL-001", spec.clone(), None),
        (
            "CIP-POOL-002",
            spec.clone(),
            Some(|t| resource(t, "AppIdentityPool")["AllowClassicFlow"] = true.into()),
        ),
        (
            "CIP-TRUST-001",
            spec.clone(),
            Some(|t| {
                resource(t, "AppAuthenticatedRole")["AssumeRolePolicyDocument"]["Statement"][0]
                    ["Condition"]
                    .as_object_mut()
                    .expect("condition")
                    .remove("StringEquals");
            }),
        ),
        (
            "CIP-TRUST-002",
            spec.clone(),
            Some(|t| {
                resource(t, "AppAuthenticatedRole")["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]
                    ["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] =
                    "unauthenticated".into();
            }),
        ),
        (
            "CIP-UNAUTH-001",
            spec.clone(),
            Some(|t| {
                statements(t, "AppUnauthenticatedRole")[0]["Action"] =
                    json!(["iot:Connect", "iot:UpdateThingShadow"]);
            }),
        ),
        (
            "CIP-UNAUTH-002",
            spec.clone(),
            Some(|t| {
                statements(t, "AppUnauthenticatedRole")[0]["Resource"] = json!([arn("client/*")]);
            }),
        ),
        (
            "CIP-UNAUTH-003",
            with("publish: [lobby/hello]", "publish: [\"lobby/#\"]"),
            None,
        ),
        (
            "CIP-AUTH-001",
            spec.clone(),
            Some(|t| {
                statements(t, "AppAuthenticatedRole").push(
                    json!({"Effect": "Allow", "Action": ["iot:AttachPolicy"], "Resource": "*"}),
                );
            }),
        ),
        (
            "CIP-IAM-001",
            spec.clone(),
            Some(|t| {
                resource(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Action"] =
                    "iot:*".into();
            }),
        ),
        (
            "CIP-IOTP-002",
            with("[\"d/${identity}/t\"]", "[\"#\"]"),
            None,
        ),
        (
            "CIP-IOTP-003",
            spec.clone(),
            Some(|t| {
                resource(t, "AppIotPolicy")["PolicyDocument"]["Statement"][2]["Resource"][0] =
                    arn("topicfilter/d/#");
            }),
        ),
        (
            "CIP-IOTP-005",
            spec.clone(),
            Some(|t| {
                resource(t, "AppIotPolicy")["PolicyDocument"]["Statement"][2]["Resource"][0] =
                    arn("topic/d/x");
            }),
        ),
        // The issue's case: eight findings before, one now.
        (
            "CIP-IOTP-007",
            with("[\"d/${identity}/c/#\"]", "[\"+/${identity}/#\"]"),
            None,
        ),
        (
            "CIP-IOTP-010",
            with(
                "  lobby:\n",
                "  rooms:\n    subscribe: [\"d/+/t\"]\n  lobby:\n",
            )
            .replacen("scopes: [own] }", "scopes: [own, rooms] }", 1),
            None,
        ),
        (
            "CIP-ATTACH-001",
            spec.clone(),
            Some(|t| {
                let code = &mut resource(t, "AppAttachFunction")["Code"]["ZipFile"];
                let text = code.as_str().expect("code").to_owned();
                *code =
                    format!("{text}\nconst target = JSON.parse(event.body).identityId;\n").into();
            }),
        ),
        (
            "CIP-ATTACH-003",
            spec.clone(),
            Some(|t| {
                statements(t, "AppUnauthenticatedRole").push(json!({"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": ["AppAttachFunction", "Arn"]}}));
            }),
        ),
        (
            "CIP-ATTACH-004",
            spec.clone(),
            Some(|t| {
                t["Resources"]["AppAttachFunctionRole"]["Metadata"]["cogsynth"]
                    .as_object_mut()
                    .expect("note")
                    .remove("wildcard_resource_reason");
            }),
        ),
        (
            "CIP-ATTACH-005",
            format!("{SPEC}attach: {{ invoke: api-gateway }}\n"),
            Some(|t| resource(t, "AppAttachApiMethod")["AuthorizationType"] = "NONE".into()),
        ),
        (
            "CIP-LAMBDA-001",
            format!("{SPEC}attach: {{ runtime: nodejs24.x, detach_on_delete: false }}\n"),
            Some(|t| resource(t, "AppAttachFunction")["Runtime"] = "nodejs16.x".into()),
        ),
        (
            "CIP-MAP-001",
            with(
                "    authenticated: member\n",
                "    authenticated:\n      rules: [{ claim: \"custom:tier\", equals: staff, role: staff }]\n      default: member\n",
            )
            .replace(
                "  guest: { scopes: [lobby] }\n",
                "  guest: { scopes: [lobby] }\n  staff: { scopes: [own, lobby] }\n",
            ),
            None,
        ),
        (
            "CIP-MAP-002",
            with(
                "    authenticated: member\n",
                "    authenticated:\n      rules:\n        - { claim: \"cognito:groups\", starts_with: staff, role: staff }\n        - { claim: \"cognito:groups\", equals: staff-eu, role: member }\n      default: member\n",
            )
            .replace(
                "  guest: { scopes: [lobby] }\n",
                "  guest: { scopes: [lobby] }\n  staff: { scopes: [own] }\n",
            ),
            None,
        ),
        (
            "CIP-CFN-001",
            spec.clone(),
            Some(|t| {
                resource(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Resource"][0] =
                    arn("client/${cognito-identity.amazonaws.com:sub}");
            }),
        ),
        (
            "CIP-CFN-002",
            spec,
            Some(|t| {
                resource(t, "AppIotPolicy")["PolicyDocument"]["Statement"][0]["Resource"][0] =
                    "arn:aws:iot:us-east-1:123456789012:client/x".into();
            }),
        ),
    ]
}

#[test]
fn every_rule_has_a_snapshot_case() {
    let ids: Vec<&str> = cases().iter().map(|(id, _, _)| *id).collect();
    for r in RULES {
        assert!(
            ids.contains(&r.id),
            "no case for {} in rule_findings.rs",
            r.id
        );
    }
}

#[test]
fn each_rule_finds_one_cause_once_at_its_spec_entry() {
    for (id, spec, edit) in cases() {
        let (c, _) = compile("stacks/s.yaml", spec.as_bytes());
        let mut c = c.unwrap_or_else(|| panic!("{id}: spec unusable"));
        if let Some(edit) = edit {
            edit(&mut c.json);
        }
        let found: Vec<_> = rules::run(&c)
            .into_iter()
            .filter(|d| d.code == id)
            .collect();
        assert_eq!(found.len(), 1, "{id}: {found:#?}");
        let shown = found[0].render(Some(&spec));
        insta::assert_snapshot!(format!("rule_{id}"), shown);
    }
}

/// A subscribe grants a filter and the topics it delivers: one spec entry, one finding, naming
/// both resources (it was one per action).
#[test]
fn a_subscribe_is_one_cause_for_its_filter_and_its_topics() {
    for (id, from, to) in [
        (
            "CIP-IOTP-002",
            "subscribe: [\"d/${identity}/c/#\"]",
            "subscribe: [\"#\"]",
        ),
        (
            "CIP-UNAUTH-003",
            "publish: [lobby/hello]",
            "subscribe: [\"lobby/+/news\"]",
        ),
    ] {
        let spec = SPEC.replacen(from, to, 1);
        let (c, _) = compile("stacks/s.yaml", spec.as_bytes());
        let c = c.expect("usable");
        let found: Vec<_> = rules::run(&c)
            .into_iter()
            .filter(|d| d.code == id)
            .collect();
        assert_eq!(found.len(), 1, "{id}: {found:#?}");
        assert!(
            found[0].message.contains("topicfilter/") && found[0].message.contains("`topic/"),
            "{id}: {}",
            found[0].message
        );
    }
}
