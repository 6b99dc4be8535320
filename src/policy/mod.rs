//! Turns a role's topic scopes into MQTT grants and then into policy statements, in symbolic form
//! (`${identity}` kept, ARNs as `topic/...` suffixes). The same statements feed the IAM role
//! policy and the IoT policy, as AWS's examples do (docs/aws-facts.md §4), so the two layers agree.
//! Must not: know CloudFormation syntax (that is `cfn`).

pub mod doc;
pub mod eval;
pub mod mapping;
pub mod overlap;

use std::collections::{BTreeMap, BTreeSet};

use crate::mqtt::{self, IDENTITY, ShadowAccess};
use crate::source::escape_token;
use crate::spec::{Access, Spec};

/// One IoT action and the resources it is allowed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// IAM-style statement id: `Connect`, `Publish`, `RetainPublish`, `Subscribe` or `Receive`.
    pub sid: &'static str,
    /// `iot:Connect`, ...
    pub action: &'static str,
    /// Resource names after the account, e.g. `topic/devices/${identity}/telemetry`, sorted.
    pub resources: Vec<String>,
}

/// A spec entry the policy allows more than, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Broadening {
    /// `publish devices/${identity}/status/+`.
    pub grant: String,
    /// The policy resource that broadens it.
    pub resource: String,
    /// The action of the statement that holds `resource` for this grant (`iot:Receive` for the
    /// `topic/` half of a subscription), so a split IoT policy can say which part widens it.
    pub action: &'static str,
}

/// What one role may do over MQTT.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grants {
    /// `client/<id>` resources.
    pub connect: BTreeSet<String>,
    /// `topic/<name>` resources for iot:Publish.
    pub publish: BTreeSet<String>,
    /// `topic/<name>` resources for iot:RetainPublish: publish entries with `retain: true`, a
    /// subset of `publish` (AWS needs both actions for a retained message, docs/aws-facts.md §3.6).
    pub retain: BTreeSet<String>,
    /// `topicfilter/<filter>` resources for iot:Subscribe.
    pub subscribe: BTreeSet<String>,
    /// `topic/<name>` resources for iot:Receive.
    pub receive: BTreeSet<String>,
    /// Every translation that allows more than the spec wrote.
    pub broadened: BTreeSet<Broadening>,
    /// For each resource (`topic/a/*`), the spec entries it was translated from, as JSON
    /// pointers (`/topic_scopes/own/publish/0`); the default connect points at the role. Rule
    /// findings about a resource point here: at their cause in the spec.
    pub origins: BTreeMap<String, BTreeSet<String>>,
}

impl Grants {
    /// The grants of role `role` of `spec`. Unknown names are skipped: `check` reports them.
    pub fn of_role(spec: &Spec, role_name: &str) -> Grants {
        let mut g = Grants::default();
        let Some(role) = spec.roles.get(role_name) else {
            return g;
        };
        for (name, scope) in role
            .scopes
            .iter()
            .filter_map(|s| spec.topic_scopes.get(s).map(|scope| (s, scope)))
        {
            let at =
                |field: &str, i: usize| format!("/topic_scopes/{}/{field}/{i}", escape_token(name));
            for (i, c) in scope.connect.iter().enumerate() {
                let resource = format!("client/{c}");
                g.origin(&resource, at("connect", i));
                g.connect.insert(resource);
            }
            for (i, entry) in scope.publish.iter().enumerate() {
                let at = format!("{}{}", at("publish", i), entry.topic_suffix());
                g.add("publish", entry.topic(), "topic/", Target::Publish, &at);
                if entry.retain() {
                    g.add(
                        "publish-retained",
                        entry.topic(),
                        "topic/",
                        Target::Retain,
                        &at,
                    );
                }
            }
            for (i, filter) in scope.subscribe.iter().enumerate() {
                let at = at("subscribe", i);
                g.add("subscribe", filter, "topicfilter/", Target::Subscribe, &at);
                // A subscription delivers nothing without iot:Receive on the matching topics.
                g.add("subscribe", filter, "topic/", Target::Receive, &at);
            }
            for (i, shadow) in scope.shadows.iter().enumerate() {
                let at = at("shadows", i);
                let access = match shadow.access {
                    Access::Read => ShadowAccess::Read,
                    Access::ReadWrite => ShadowAccess::ReadWrite,
                };
                let (publish, subscribe) =
                    mqtt::shadow_topics(&shadow.thing, shadow.name.as_deref(), access);
                // Exact topics: the translation keeps them as they are.
                for topic in &publish {
                    g.add("publish", topic, "topic/", Target::Publish, &at);
                }
                for filter in &subscribe {
                    g.add("subscribe", filter, "topicfilter/", Target::Subscribe, &at);
                    g.add("subscribe", filter, "topic/", Target::Receive, &at);
                }
            }
            for (i, topic) in scope.receive.iter().enumerate() {
                g.add(
                    "receive",
                    topic,
                    "topic/",
                    Target::Receive,
                    &at("receive", i),
                );
            }
        }
        let uses_mqtt = !(g.publish.is_empty() && g.subscribe.is_empty() && g.receive.is_empty());
        if g.connect.is_empty() && uses_mqtt {
            // PRODUCT.md: connect defaults to client id = the identity id, which also stops one
            // identity from knocking another off the broker (docs/security-rules.md M9).
            let resource = format!("client/{IDENTITY}");
            g.origin(&resource, format!("/roles/{}", escape_token(role_name)));
            g.connect.insert(resource);
        }
        g
    }

    /// The union of the grants of `roles`: what the IoT policies of a pool whose signed-in
    /// identities may get any of these roles hold. Each identity's IAM role bounds it to its own
    /// role's grants (docs/aws-facts.md §4; README "Roles for every kind of signed-in user").
    pub fn of_roles(spec: &Spec, roles: &[&str]) -> Grants {
        let mut g = Grants::default();
        for role in roles {
            let r = Grants::of_role(spec, role);
            g.connect.extend(r.connect);
            g.publish.extend(r.publish);
            g.retain.extend(r.retain);
            g.subscribe.extend(r.subscribe);
            g.receive.extend(r.receive);
            g.broadened.extend(r.broadened);
            for (resource, pointers) in r.origins {
                g.origins.entry(resource).or_default().extend(pointers);
            }
        }
        g
    }

    fn origin(&mut self, resource: &str, pointer: String) {
        self.origins
            .entry(resource.to_owned())
            .or_default()
            .insert(pointer);
    }

    fn add(&mut self, verb: &str, text: &str, prefix: &str, target: Target, at: &str) {
        for t in mqtt::translate(text) {
            let resource = format!("{prefix}{}", t.resource);
            self.origin(&resource, at.to_owned());
            if t.broadened {
                self.broadened.insert(Broadening {
                    grant: format!("{verb} {text}"),
                    resource: resource.clone(),
                    action: target.action(),
                });
            }
            match target {
                Target::Publish => self.publish.insert(resource),
                Target::Retain => self.retain.insert(resource),
                Target::Subscribe => self.subscribe.insert(resource),
                Target::Receive => self.receive.insert(resource),
            };
        }
    }

    /// The statements, one per action that has resources, in a fixed order.
    pub fn statements(&self) -> Vec<Statement> {
        [
            ("Connect", "iot:Connect", &self.connect),
            ("Publish", "iot:Publish", &self.publish),
            ("RetainPublish", "iot:RetainPublish", &self.retain),
            ("Subscribe", "iot:Subscribe", &self.subscribe),
            ("Receive", "iot:Receive", &self.receive),
        ]
        .into_iter()
        .filter(|(_, _, r)| !r.is_empty())
        .map(|(sid, action, r)| Statement {
            sid,
            action,
            resources: r.iter().cloned().collect(),
        })
        .collect()
    }

    /// True when the role grants nothing.
    pub fn is_empty(&self) -> bool {
        self.statements().is_empty()
    }
}

#[derive(Clone, Copy)]
enum Target {
    Publish,
    Retain,
    Subscribe,
    Receive,
}

impl Target {
    /// The action of the statement (see [`Grants::statements`]) that holds this target's resources.
    fn action(self) -> &'static str {
        match self {
            Target::Publish => "iot:Publish",
            Target::Retain => "iot:RetainPublish",
            Target::Subscribe => "iot:Subscribe",
            Target::Receive => "iot:Receive",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    fn spec(text: &str) -> Spec {
        spec::load("t.yaml", text.as_bytes())
            .expect("valid spec")
            .spec
    }

    const FLEET: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"devices/${identity}/telemetry\", \"devices/${identity}/status/+\"]\n    subscribe: [\"devices/${identity}/commands/#\"]\n  news:\n    subscribe: [\"fleet/news/#\"]\n  kiosk:\n    connect: [\"kiosk-${identity}\"]\n    receive: [lobby/hello]\nroles:\n  member: { scopes: [own, news] }\n  kiosk: { scopes: [kiosk] }\nidentity_pools:\n  p:\n    user_pools: [{ user_pool_id: us-east-1_x, client_id: c }]\n    authenticated: member\n";

    #[test]
    fn member_grants_follow_the_translation_table() {
        let g = Grants::of_role(&spec(FLEET), "member");
        let s = g.statements();
        let got: Vec<(&str, Vec<&str>)> = s
            .iter()
            .map(|s| (s.action, s.resources.iter().map(String::as_str).collect()))
            .collect();
        assert_eq!(
            got,
            [
                ("iot:Connect", vec!["client/${identity}"]),
                (
                    "iot:Publish",
                    vec![
                        "topic/devices/${identity}/status/*",
                        "topic/devices/${identity}/telemetry"
                    ]
                ),
                (
                    "iot:Subscribe",
                    vec![
                        "topicfilter/devices/${identity}/commands",
                        "topicfilter/devices/${identity}/commands/*",
                        "topicfilter/fleet/news",
                        "topicfilter/fleet/news/*",
                    ]
                ),
                (
                    "iot:Receive",
                    vec![
                        "topic/devices/${identity}/commands",
                        "topic/devices/${identity}/commands/*",
                        "topic/fleet/news",
                        "topic/fleet/news/*"
                    ]
                ),
            ]
        );
        assert_eq!(
            g.broadened.into_iter().collect::<Vec<_>>(),
            [Broadening {
                grant: "publish devices/${identity}/status/+".into(),
                resource: "topic/devices/${identity}/status/*".into(),
                action: "iot:Publish",
            }]
        );
    }

    #[test]
    fn explicit_connect_replaces_the_default() {
        let g = Grants::of_role(&spec(FLEET), "kiosk");
        assert_eq!(
            g.connect.into_iter().collect::<Vec<_>>(),
            ["client/kiosk-${identity}"]
        );
        assert_eq!(
            g.receive.into_iter().collect::<Vec<_>>(),
            ["topic/lobby/hello"]
        );
        assert!(g.subscribe.is_empty() && g.publish.is_empty());
    }

    #[test]
    fn retained_publish_entries_add_retain_publish_on_the_same_topics() {
        let text = FLEET.replace(
            "publish: [\"devices/${identity}/telemetry\", \"devices/${identity}/status/+\"]",
            "publish: [\"devices/${identity}/telemetry\", { topic: \"devices/${identity}/state/#\", retain: true }, { topic: \"devices/${identity}/log\" }]",
        );
        let g = Grants::of_role(&spec(&text), "member");
        assert_eq!(
            g.retain.iter().collect::<Vec<_>>(),
            [
                "topic/devices/${identity}/state",
                "topic/devices/${identity}/state/*"
            ]
        );
        assert!(g.retain.is_subset(&g.publish));
        assert!(g.publish.contains("topic/devices/${identity}/log"));
        let s = g.statements();
        let order: Vec<&str> = s.iter().map(|s| s.action).collect();
        assert_eq!(
            order,
            [
                "iot:Connect",
                "iot:Publish",
                "iot:RetainPublish",
                "iot:Subscribe",
                "iot:Receive"
            ]
        );
        // The long form points at its `topic`, for findings and errors.
        assert_eq!(
            g.origins["topic/devices/${identity}/state"],
            ["/topic_scopes/own/publish/1/topic".to_owned()].into()
        );
    }

    #[test]
    fn shadow_entries_grant_exact_shadow_topics_and_nothing_else_of_aws() {
        let text = FLEET.replace(
            "  news:\n",
            "  hub:\n    shadows: [{ thing: \"${identity}\", access: read }, { thing: lamp, name: timer, access: read-write }]\n  news:\n",
        )
        .replace("scopes: [own, news]", "scopes: [hub]");
        let g = Grants::of_role(&spec(&text), "member");
        let aws: Vec<&String> = g
            .publish
            .iter()
            .chain(&g.subscribe)
            .chain(&g.receive)
            .collect();
        assert_eq!(aws.len(), 1 + 3 + 2 * (6 + 8), "{aws:?}");
        for r in &aws {
            let name = r.split_once('/').unwrap().1;
            assert!(
                name.starts_with("$aws/things/${identity}/shadow/")
                    || name.starts_with("$aws/things/lamp/shadow/name/timer/"),
                "{r}"
            );
            assert!(!name.contains(['*', '?', '+', '#']), "{r}");
        }
        assert!(
            g.publish
                .contains("topic/$aws/things/lamp/shadow/name/timer/update")
        );
        assert!(
            !g.publish
                .contains("topic/$aws/things/${identity}/shadow/update")
        );
        assert!(
            g.subscribe
                .contains("topicfilter/$aws/things/${identity}/shadow/update/delta")
        );
        assert!(
            g.receive
                .contains("topic/$aws/things/${identity}/shadow/update/delta")
        );
        assert!(g.broadened.is_empty());
        assert_eq!(
            g.origins["topic/$aws/things/lamp/shadow/name/timer/delete"],
            ["/topic_scopes/hub/shadows/1".to_owned()].into()
        );
        // A scope with shadows alone still connects as the identity.
        assert_eq!(g.connect.iter().collect::<Vec<_>>(), ["client/${identity}"]);
    }

    #[test]
    fn unknown_roles_grant_nothing() {
        assert!(Grants::of_role(&spec(FLEET), "nobody").is_empty());
    }
}
