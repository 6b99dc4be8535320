//! The app side of a stack, as data: per identity pool, how an app gets in (the stack outputs it
//! reads, the attach call, the client id rule) and what each of its roles may do over MQTT, in
//! MQTT terms (the spec's own topics and filters) and as the policy resources synth emitted for
//! them. `synth client STACK --lang manifest` prints it as JSON (shape below); the TypeScript kit
//! (`client`) and `synth explain` are built on it.
//!
//! JSON shape (`version` 1; every list sorted or in spec order, so the text is deterministic):
//!
//! ```text
//! { "version": 1, "stack": "fleet", "source": "stacks/fleet.yaml",
//!   "region": { "from": "AWS::Region", "note": "..." },
//!   "mqtt": { "transport": "wss", "port": 443, "path": "/mqtt",
//!             "signing": { "service": "iotdevicegateway", "session_token": "appended after signing" },
//!             "endpoint": { "from": "aws iot describe-endpoint --endpoint-type iot:Data-ATS" } },
//!   "pools": [ { "name": "fleet",
//!     "outputs": { "identity_pool_id": "FleetIdentityPoolId", "attach_function_name": "FleetAttachFunctionName",
//!                  "attach_url": null, "iot_policy_names": "FleetIotPolicyNames", ... },
//!     "attach": { "invoke": "direct" | "api-gateway", "output": "FleetAttachFunctionName",
//!                 "request": "lambda:InvokeFunction, empty payload" | "POST /attach, SigV4 (execute-api), empty body",
//!                 "answer": { "ok": true, "identityId": "<identity id>", "attached": ["<policy name>"] },
//!                 "who": "signed-in identities only" },
//!     "roles": [ { "identities": "signed-in" | "guest", "role": "member",
//!                  "layers": ["IAM role policy", "IoT policy"], "needs_attach": true,
//!                  "client_id": { "rule": "client id = identity id", "allowed": ["${identity}"] },
//!                  "grants": [ { "action": "publish", "target": "devices/${identity}/telemetry",
//!                                "scope": "own-device", "exact": true } ],
//!                  "policy": { "connect": ["${identity}"], "publish": ["devices/${identity}/telemetry"],
//!                              "retain": [], "subscribe": [...], "receive": [...] } } ] } ] }
//! ```
//!
//! `grants[].action` is `connect`, `publish`, `publish-retained` (next to the `publish` of a
//! publish entry with `retain: true`), `subscribe` (the filter and every narrower one; it
//! implies `receive` on the matching topics) or `receive`; a `shadows` entry gives a `publish` or
//! `subscribe` grant per exact Device Shadow topic it opens; `target` keeps `${identity}`, the
//! caller's Cognito identity id. `exact` is false where a policy cannot say the MQTT wildcard
//! exactly and allows more (README, "MQTT wildcards in policies"). `policy` holds the resource
//! names after `client/`, `topic/` and `topicfilter/` that the generated policies allow, matched
//! as AWS matches them: `*` any run of characters including `/`, `?` one character, `+` and `#`
//! literal, `${identity}` the caller's identity id.
//!
//! Must not: write files, or know how a kit is printed.

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use crate::compile::{Compiled, compile};
use crate::diag::{Class, Severity};
use crate::error::Error;
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::mqtt::{IDENTITY, ShadowAccess, shadow_topics, translate};
use crate::policy::Grants;
use crate::policy::eval::Verb;
use crate::source::escape_token;
use crate::spec::{Access, Invoke, Spec};

/// One spec that compiled, with the name it was read under.
#[derive(Debug, Clone)]
pub struct Stack {
    /// The spec file as shown (`stacks/fleet.yaml`).
    pub file: String,
    /// The compiled spec and template.
    pub compiled: Compiled,
}

/// Compiles every `*.yaml`/`*.yml` spec in `dir` (relative to `cwd`). Rule findings and failed
/// expectations do not matter here; a spec with an input error makes the whole load fail, with
/// every unusable spec's error ([`Error::Several`], in file order).
pub fn load_stacks(cwd: &Path, dir: &Path) -> Result<Vec<Stack>, Error> {
    let shown_dir = crate::layout::display(dir);
    let mut names: Vec<String> = fs::read_dir(cwd.join(dir))
        .map_err(|e| Error::io(&shown_dir, "cannot read the stacks directory", &e))?
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            let ext = Path::new(n)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or_default()
                .to_ascii_lowercase();
            !n.starts_with('.') && (ext == "yaml" || ext == "yml")
        })
        .collect();
    names.sort();
    if names.is_empty() {
        return Err(Error::Missing {
            path: shown_dir,
            what: "no *.yaml specs found".to_owned(),
        });
    }
    let mut stacks = Vec::new();
    let mut errors = Vec::new();
    for name in names {
        let path = dir.join(&name);
        match load_one(cwd, &path) {
            Ok(s) => stacks.push(s),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(stacks)
    } else {
        Err(Error::Several(errors))
    }
}

/// Compiles one spec file; see [`load_stacks`]. Its error is the spec's input errors
/// ([`Error::Spec`]) or why it cannot be read.
pub fn load_one(cwd: &Path, path: &Path) -> Result<Stack, Error> {
    let shown = crate::layout::display(path);
    let bytes = read_bounded(&cwd.join(path), SPEC_MAX_BYTES)
        .map_err(|e| Error::io(&shown, "cannot read the spec", &e))?;
    let (compiled, diags) = compile(&shown, &bytes);
    let errors: Vec<_> = diags
        .into_iter()
        .filter(|d| d.class == Class::Input && d.severity == Severity::Error)
        .collect();
    match compiled {
        Some(compiled) if errors.is_empty() => Ok(Stack {
            file: shown,
            compiled,
        }),
        _ => Err(Error::Spec {
            diagnostics: errors,
            source: String::from_utf8_lossy(&bytes).into_owned(),
        }),
    }
}

/// A grant as the spec writes it, with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecGrant {
    /// What it allows.
    pub verb: Verb,
    /// The client id, topic or filter as written, `${identity}` kept.
    pub target: String,
    /// The topic scope it is in; `None` for the default connect grant of a role.
    pub scope: Option<String>,
    /// JSON pointer into the spec (for a position).
    pub pointer: String,
    /// False when the policy allows more than the MQTT wildcard says.
    pub exact: bool,
}

/// The grants of role `role` in spec order, the default `connect ${identity}` included where the
/// role lists no client ids (as `policy::Grants` emits it).
pub fn role_grants(spec: &Spec, role: &str) -> Vec<SpecGrant> {
    let mut out = Vec::new();
    let Some(r) = spec.roles.get(role) else {
        return out;
    };
    for scope_name in &r.scopes {
        let Some(scope) = spec.topic_scopes.get(scope_name) else {
            continue;
        };
        let at = |field: &str, i: usize| {
            format!("/topic_scopes/{}/{field}/{i}", escape_token(scope_name))
        };
        let grant = |verb: Verb, target: &str, pointer: String| SpecGrant {
            verb,
            target: target.to_owned(),
            scope: Some(scope_name.clone()),
            pointer,
            exact: verb == Verb::Connect || translate(target).iter().all(|t| !t.broadened),
        };
        for (i, c) in scope.connect.iter().enumerate() {
            out.push(grant(Verb::Connect, c, at("connect", i)));
        }
        for (i, p) in scope.publish.iter().enumerate() {
            let pointer = format!("{}{}", at("publish", i), p.topic_suffix());
            out.push(grant(Verb::Publish, p.topic(), pointer.clone()));
            if p.retain() {
                out.push(grant(Verb::PublishRetained, p.topic(), pointer));
            }
        }
        for (field, verb, list) in [
            ("subscribe", Verb::Subscribe, &scope.subscribe),
            ("receive", Verb::Receive, &scope.receive),
        ] {
            for (i, target) in list.iter().enumerate() {
                out.push(grant(verb, target, at(field, i)));
            }
        }
        // A shadow entry is its exact topics (`mqtt::shadow_topics`): requests to publish,
        // answers to subscribe to.
        for (i, shadow) in scope.shadows.iter().enumerate() {
            let access = match shadow.access {
                Access::Read => ShadowAccess::Read,
                Access::ReadWrite => ShadowAccess::ReadWrite,
            };
            let (publish, subscribe) = shadow_topics(&shadow.thing, shadow.name.as_deref(), access);
            for t in &publish {
                out.push(grant(Verb::Publish, t, at("shadows", i)));
            }
            for f in &subscribe {
                out.push(grant(Verb::Subscribe, f, at("shadows", i)));
            }
        }
    }
    let connects = out.iter().any(|g| g.verb == Verb::Connect);
    if !connects && !out.is_empty() {
        out.insert(
            0,
            SpecGrant {
                verb: Verb::Connect,
                target: IDENTITY.to_owned(),
                scope: None,
                pointer: format!("/roles/{}", escape_token(role)),
                exact: true,
            },
        );
    }
    out
}

/// The manifest of one stack.
#[derive(Debug, Clone, Serialize)]
pub struct Manifest {
    /// Shape version (1).
    pub version: u32,
    /// Stack name (`stack:`).
    pub stack: String,
    /// The spec it was made from.
    pub source: String,
    /// Where the region comes from.
    pub region: Region,
    /// How apps reach the broker.
    pub mqtt: Mqtt,
    /// One entry per identity pool, in name order.
    pub pools: Vec<Pool>,
}

/// The region: the stack's, chosen at deploy time.
#[derive(Debug, Clone, Serialize)]
pub struct Region {
    /// `AWS::Region`.
    pub from: &'static str,
    /// What follows for an app.
    pub note: &'static str,
}

/// MQTT over WebSocket with SigV4 (docs/aws-facts.md §10.4).
#[derive(Debug, Clone, Serialize)]
pub struct Mqtt {
    /// `wss`.
    pub transport: &'static str,
    /// 443.
    pub port: u16,
    /// `/mqtt`.
    pub path: &'static str,
    /// How the URL is signed.
    pub signing: Signing,
    /// Where the endpoint comes from.
    pub endpoint: Endpoint,
}

/// SigV4 query signing of the WebSocket URL.
#[derive(Debug, Clone, Serialize)]
pub struct Signing {
    /// `iotdevicegateway`.
    pub service: &'static str,
    /// How the session token travels.
    pub session_token: &'static str,
}

/// The account's data endpoint, which no stack output can carry (docs/aws-facts.md §8).
#[derive(Debug, Clone, Serialize)]
pub struct Endpoint {
    /// The command that prints it.
    pub from: &'static str,
}

/// One identity pool.
#[derive(Debug, Clone, Serialize)]
pub struct Pool {
    /// Spec name.
    pub name: String,
    /// Stack output names an app reads.
    pub outputs: Outputs,
    /// The attach call.
    pub attach: Attach,
    /// Signed-in roles first (each role a mapping gives), then guests.
    pub roles: Vec<Role>,
}

/// Output names (the stack exports each as `<stack name>-<output>`).
#[derive(Debug, Clone, Serialize)]
pub struct Outputs {
    /// The identity pool id.
    pub identity_pool_id: String,
    /// The attach function's name (direct invoke).
    pub attach_function_name: String,
    /// `POST` URL of the attach route (API Gateway only).
    pub attach_url: Option<String>,
    /// Comma-separated IoT policy names.
    pub iot_policy_names: String,
    /// Role ARN of signed-in identities.
    pub authenticated_role_arn: String,
    /// Role ARN of guests, when the pool has guests.
    pub unauthenticated_role_arn: Option<String>,
}

/// How the app calls the attach function.
#[derive(Debug, Clone, Serialize)]
pub struct Attach {
    /// `direct` or `api-gateway`.
    pub invoke: &'static str,
    /// The output that names what to call.
    pub output: String,
    /// The call.
    pub request: &'static str,
    /// What a successful call answers.
    pub answer: Value,
    /// Who may call it.
    pub who: &'static str,
}

/// One role of one pool.
#[derive(Debug, Clone, Serialize)]
pub struct Role {
    /// `signed-in` or `guest`.
    pub identities: &'static str,
    /// Spec name.
    pub role: String,
    /// The layers whose intersection decides.
    pub layers: Vec<&'static str>,
    /// True when the IoT policy must be attached (attach call) before MQTT works.
    pub needs_attach: bool,
    /// Which client ids it may connect with.
    pub client_id: ClientId,
    /// MQTT grants as the spec writes them.
    pub grants: Vec<Grant>,
    /// Resource names the generated policies allow.
    pub policy: Policy,
}

/// The client id rule.
#[derive(Debug, Clone, Serialize)]
pub struct ClientId {
    /// In words.
    pub rule: String,
    /// Client ids (`${identity}` kept).
    pub allowed: Vec<String>,
}

/// One grant in MQTT terms.
#[derive(Debug, Clone, Serialize)]
pub struct Grant {
    /// `connect`, `publish`, `subscribe`, `receive`.
    pub action: String,
    /// Client id, topic or filter.
    pub target: String,
    /// Topic scope (none for the default connect grant).
    pub scope: Option<String>,
    /// False when the policy allows more than the wildcard says.
    pub exact: bool,
}

/// Policy resource names per action (after `client/`, `topic/`, `topicfilter/`).
#[derive(Debug, Clone, Serialize)]
pub struct Policy {
    /// `iot:Connect` on `client/...`.
    pub connect: Vec<String>,
    /// `iot:Publish` on `topic/...`.
    pub publish: Vec<String>,
    /// `iot:RetainPublish` on `topic/...`: where a retained message may be published.
    pub retain: Vec<String>,
    /// `iot:Subscribe` on `topicfilter/...`.
    pub subscribe: Vec<String>,
    /// `iot:Receive` on `topic/...`.
    pub receive: Vec<String>,
}

fn strip(set: &BTreeSet<String>, prefix: &str) -> Vec<String> {
    set.iter()
        .map(|r| r.strip_prefix(prefix).unwrap_or(r).to_owned())
        .collect()
}

fn output_name(json: &Value, pool_prefix: &str, suffix: &str) -> Option<String> {
    let name = format!("{pool_prefix}{suffix}");
    json.get("Outputs").and_then(|o| o.get(&name)).map(|_| name)
}

/// The manifest of a compiled spec. Output names are read from the template, so the manifest
/// names what was emitted.
pub fn manifest(stack: &Stack) -> Manifest {
    let spec = &stack.compiled.loaded.spec;
    let json = &stack.compiled.json;
    let pools = spec
        .identity_pools
        .iter()
        .map(|(name, pool)| {
            let prefix = crate::cfn::ids::pascal(name);
            let out = |suffix: &str| output_name(json, &prefix, suffix);
            let api = spec.attach.invoke == Invoke::ApiGateway;
            let outputs = Outputs {
                identity_pool_id: out("IdentityPoolId").unwrap_or_default(),
                attach_function_name: out("AttachFunctionName").unwrap_or_default(),
                attach_url: out("AttachUrl"),
                iot_policy_names: out("IotPolicyNames").unwrap_or_default(),
                authenticated_role_arn: out("AuthenticatedRoleArn").unwrap_or_default(),
                unauthenticated_role_arn: out("UnauthenticatedRoleArn"),
            };
            let attach = Attach {
                invoke: if api { "api-gateway" } else { "direct" },
                output: if api {
                    outputs.attach_url.clone().unwrap_or_default()
                } else {
                    outputs.attach_function_name.clone()
                },
                request: if api {
                    "POST to the AttachUrl output, SigV4-signed for execute-api with the identity's credentials, empty body"
                } else {
                    "lambda:Invoke of the function the output names, with the identity's credentials, empty payload"
                },
                answer: serde_json::json!({"ok": true, "identityId": "<the caller's identity id>", "attached": ["<IoT policy name>"]}),
                who: "signed-in identities of this pool only; the function reads the identity from the invocation, never from the request",
            };
            let mut roles: Vec<Role> = pool
                .signed_in_roles()
                .into_iter()
                .map(|r| role(spec, r, true))
                .collect();
            if let Some(guests) = &pool.unauthenticated {
                roles.push(role(spec, &guests.role, false));
            }
            Pool {
                name: name.clone(),
                outputs,
                attach,
                roles,
            }
        })
        .collect();
    Manifest {
        version: 1,
        stack: spec.stack.clone(),
        source: stack.file.clone(),
        region: Region {
            from: "AWS::Region",
            note: "the region the stack is deployed to; the identity pool id and every identity id begin with it",
        },
        mqtt: Mqtt {
            transport: "wss",
            port: 443,
            path: "/mqtt",
            signing: Signing {
                service: "iotdevicegateway",
                session_token: "X-Amz-Security-Token is appended to the query after signing, not signed",
            },
            endpoint: Endpoint {
                from: "aws iot describe-endpoint --endpoint-type iot:Data-ATS (once per account and region; no stack output can carry it)",
            },
        },
        pools,
    }
}

fn role(spec: &Spec, name: &str, signed_in: bool) -> Role {
    let g = Grants::of_role(spec, name);
    let grants: Vec<Grant> = role_grants(spec, name)
        .into_iter()
        .map(|g| Grant {
            action: g.verb.to_string(),
            target: g.target,
            scope: g.scope,
            exact: g.exact,
        })
        .collect();
    let allowed = strip(&g.connect, "client/");
    let rule = if allowed == [IDENTITY] {
        "client id = the caller's Cognito identity id".to_owned()
    } else {
        format!(
            "client id is one of: {}",
            allowed
                .iter()
                .map(|c| format!("`{c}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Role {
        identities: if signed_in { "signed-in" } else { "guest" },
        role: name.to_owned(),
        layers: if signed_in {
            vec!["IAM role policy", "IoT policy"]
        } else {
            vec!["IAM role policy"]
        },
        needs_attach: signed_in,
        client_id: ClientId { rule, allowed },
        grants,
        policy: Policy {
            connect: strip(&g.connect, "client/"),
            publish: strip(&g.publish, "topic/"),
            retain: strip(&g.retain, "topic/"),
            subscribe: strip(&g.subscribe, "topicfilter/"),
            receive: strip(&g.receive, "topic/"),
        },
    }
}

/// The manifest as pretty JSON with a final newline.
pub fn to_json(m: &Manifest) -> String {
    let mut s = serde_json::to_string_pretty(m).expect("a manifest always serializes");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    const SPEC: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"d/${identity}/t\", \"d/${identity}/s/+\"]\n    subscribe: [\"d/${identity}/c/#\"]\n  kiosk:\n    connect: [\"kiosk-${identity}\"]\n    receive: [lobby]\nroles:\n  member: { scopes: [own] }\n  kiosk: { scopes: [kiosk] }\nidentity_pools:\n  p:\n    user_pools: [{ user_pool_id: us-east-1_x, client_id: c }]\n    authenticated: member\n    unauthenticated: { role: kiosk, reason: kiosks in the lobby }\nwaivers:\n  - { rule: CIP-POOL-001, reason: reviewed for the test }\n";

    fn stack() -> Stack {
        let (compiled, _) = compile("t.yaml", SPEC.as_bytes());
        Stack {
            file: "t.yaml".into(),
            compiled: compiled.expect("compiles"),
        }
    }

    #[test]
    fn role_grants_add_the_default_connect_and_keep_spec_order() {
        let s = spec::load("t.yaml", SPEC.as_bytes()).unwrap().spec;
        let g = role_grants(&s, "member");
        let shown: Vec<String> = g
            .iter()
            .map(|g| format!("{} {}", g.verb, g.target))
            .collect();
        assert_eq!(
            shown,
            [
                "connect ${identity}",
                "publish d/${identity}/t",
                "publish d/${identity}/s/+",
                "subscribe d/${identity}/c/#"
            ]
        );
        assert_eq!(g[0].pointer, "/roles/member");
        assert_eq!(g[2].pointer, "/topic_scopes/own/publish/1");
        assert!(!g[2].exact, "`+` is broadened");
        assert!(g[3].exact, "`#` is exact");
        let k = role_grants(&s, "kiosk");
        assert_eq!(k[0].target, "kiosk-${identity}");
        assert_eq!(k.len(), 2, "no default connect next to an explicit one");
    }

    #[test]
    fn retained_publishes_and_shadows_are_grants_too() {
        let text = SPEC.replace(
            "    publish: [\"d/${identity}/t\", \"d/${identity}/s/+\"]",
            "    publish: [\"d/${identity}/t\", { topic: \"d/${identity}/state\", retain: true }]\n    shadows: [{ thing: \"${identity}\", access: read }]",
        );
        let s = spec::load("t.yaml", text.as_bytes()).unwrap().spec;
        let g = role_grants(&s, "member");
        let shown: Vec<String> = g
            .iter()
            .map(|g| format!("{} {} {}", g.verb, g.target, g.pointer))
            .collect();
        assert_eq!(
            &shown[..4],
            [
                "connect ${identity} /roles/member",
                "publish d/${identity}/t /topic_scopes/own/publish/0",
                "publish d/${identity}/state /topic_scopes/own/publish/1/topic",
                "publish-retained d/${identity}/state /topic_scopes/own/publish/1/topic",
            ]
        );
        assert!(shown.contains(
            &"publish $aws/things/${identity}/shadow/get /topic_scopes/own/shadows/0".to_owned()
        ));
        assert!(shown.contains(
            &"subscribe $aws/things/${identity}/shadow/update/documents /topic_scopes/own/shadows/0"
                .to_owned()
        ));
        assert!(
            !shown.iter().any(|g| g.contains("shadow/update ")),
            "read only"
        );
        let (compiled, _) = compile("t.yaml", text.as_bytes());
        let m = manifest(&Stack {
            file: "t.yaml".into(),
            compiled: compiled.expect("compiles"),
        });
        assert_eq!(m.pools[0].roles[0].policy.retain, ["d/${identity}/state"]);
    }

    #[test]
    fn manifest_names_outputs_attach_call_and_policy_resources() {
        let m = manifest(&stack());
        assert_eq!(m.pools.len(), 1);
        let p = &m.pools[0];
        assert_eq!(p.outputs.identity_pool_id, "PIdentityPoolId");
        assert_eq!(p.outputs.attach_function_name, "PAttachFunctionName");
        assert_eq!(p.outputs.attach_url, None);
        assert_eq!(
            p.outputs.unauthenticated_role_arn.as_deref(),
            Some("PUnauthenticatedRoleArn")
        );
        assert_eq!(p.attach.invoke, "direct");
        assert_eq!(p.attach.output, "PAttachFunctionName");
        let member = &p.roles[0];
        assert_eq!(
            (member.identities, member.needs_attach),
            ("signed-in", true)
        );
        assert_eq!(member.client_id.allowed, ["${identity}"]);
        assert_eq!(
            member.policy.publish,
            ["d/${identity}/s/*", "d/${identity}/t"]
        );
        assert_eq!(
            member.policy.subscribe,
            ["d/${identity}/c", "d/${identity}/c/*"]
        );
        let kiosk = &p.roles[1];
        assert_eq!((kiosk.identities, kiosk.needs_attach), ("guest", false));
        assert_eq!(
            kiosk.client_id.rule,
            "client id is one of: `kiosk-${identity}`"
        );
        let json = to_json(&m);
        assert_eq!(json, to_json(&manifest(&stack())), "deterministic");
        assert!(json.ends_with("}\n"));
    }
}
