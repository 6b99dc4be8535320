//! Policy statements back into MQTT terms: `iot:Publish` on `…:topic/X` is `publish X`,
//! `topicfilter/` is subscribe, `client/` is connect, `iot:Receive` is receive, and
//! `iot:RetainPublish` is `publish-retained`. The caller's
//! identity id (`${cognito-identity.amazonaws.com:sub}`) is shown as the spec writes it,
//! `${identity}`. Policy wildcards stay as they are (`*` matches across levels, it is not MQTT
//! `#`): the reverse of `mqtt::translate` is ambiguous, and a reviewer must see what the policy
//! allows, not what the spec meant.
//! Must not: judge whether a change broadens (that is `compare`).

use crate::arn::Arn;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::eval::{Verb, glob};

/// The verbs in display order, with the IoT action and resource kind of each
/// (docs/aws-facts.md §3.2); `publish-retained` is the iot:RetainPublish grant
/// (docs/aws-facts.md §3.6).
const VERBS: [Verb; 5] = [
    Verb::Connect,
    Verb::Publish,
    Verb::PublishRetained,
    Verb::Subscribe,
    Verb::Receive,
];

/// One grant in MQTT terms: the verbs an action allows on a resource, and the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mqtt {
    /// Verbs, in connect/publish/subscribe/receive order; more than one only for wildcard
    /// actions such as `iot:*`.
    pub verbs: Vec<Verb>,
    /// Client id, topic or topic filter, with `${identity}` for the caller's identity id.
    pub target: String,
}

impl Mqtt {
    /// `subscribe fleet/news/*`, `publish, receive a/b`.
    pub fn text(&self) -> String {
        let verbs: Vec<String> = self.verbs.iter().map(ToString::to_string).collect();
        format!("{} {}", verbs.join(", "), self.target)
    }

    /// Sort rank of the first verb (connect < publish < subscribe < receive).
    pub fn rank(&self) -> usize {
        self.verbs
            .first()
            .and_then(|v| VERBS.iter().position(|x| x == v))
            .unwrap_or(VERBS.len())
    }
}

/// The MQTT meaning of `action` on `resource` (resource text as `policy::doc` reads it), or
/// `None` when the action is not an MQTT action or does not apply to that kind of resource
/// (e.g. `lambda:InvokeFunction`, or `iot:Publish` on a `topicfilter/`).
pub fn translate(action: &str, resource: &str) -> Option<Mqtt> {
    let (kind, name) = split_resource(resource)?;
    let action = action.to_ascii_lowercase();
    let verbs: Vec<Verb> = VERBS
        .into_iter()
        .filter(|v| {
            let (iot_action, iot_kind) = v.action_and_kind();
            // Action names are patterns too (`iot:*`, `iot:Pub*`); no policy variables in them.
            glob(&action, &iot_action.to_ascii_lowercase(), "")
                && (kind == "*" || iot_kind.trim_end_matches('/') == kind)
        })
        .collect();
    if verbs.is_empty() {
        return None;
    }
    Some(Mqtt {
        verbs,
        target: name.replace(POLICY_IDENTITY, IDENTITY),
    })
}

/// `arn:<partition>:iot:<region>:<account>:topic/a/b` → `("topic", "a/b")`; `*`, or an IoT
/// ARN whose resource is `*`, → `("*", "*")`.
fn split_resource(resource: &str) -> Option<(&str, &str)> {
    if resource == "*" {
        return Some(("*", "*"));
    }
    let arn = Arn::parse(resource).filter(|a| a.service == "iot")?;
    if arn.resource == "*" {
        return Some(("*", "*"));
    }
    arn.iot_resource()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::arn::IOT_PREFIX as ARN;

    fn text(action: &str, resource: &str) -> Option<String> {
        translate(action, &format!("{ARN}{resource}")).map(|m| m.text())
    }

    #[test]
    fn each_action_reads_back_as_its_verb() {
        assert_eq!(
            text("iot:Publish", "topic/devices/telemetry").as_deref(),
            Some("publish devices/telemetry")
        );
        assert_eq!(
            text("iot:Subscribe", "topicfilter/fleet/news/*").as_deref(),
            Some("subscribe fleet/news/*")
        );
        assert_eq!(
            text("iot:Receive", "topic/fleet/news").as_deref(),
            Some("receive fleet/news")
        );
        assert_eq!(
            text("iot:Connect", "client/kiosk-1").as_deref(),
            Some("connect kiosk-1")
        );
        assert_eq!(
            text("iot:RetainPublish", "topic/devices/state").as_deref(),
            Some("publish-retained devices/state")
        );
    }

    #[test]
    fn the_identity_variable_is_shown_as_the_spec_writes_it() {
        assert_eq!(
            text(
                "iot:Publish",
                "topic/devices/${cognito-identity.amazonaws.com:sub}/status/*"
            )
            .as_deref(),
            Some("publish devices/${identity}/status/*")
        );
        assert_eq!(
            text(
                "iot:Connect",
                "client/${cognito-identity.amazonaws.com:sub}"
            )
            .as_deref(),
            Some("connect ${identity}")
        );
    }

    #[test]
    fn shadow_topics_read_back_exactly() {
        assert_eq!(
            text(
                "iot:Subscribe",
                "topicfilter/$aws/things/${cognito-identity.amazonaws.com:sub}/shadow/name/schedule/update/delta"
            )
            .as_deref(),
            Some("subscribe $aws/things/${identity}/shadow/name/schedule/update/delta")
        );
    }

    #[test]
    fn actions_are_case_insensitive_patterns() {
        assert_eq!(text("IOT:publish", "topic/a").as_deref(), Some("publish a"));
        assert_eq!(
            text("iot:*", "topic/a").as_deref(),
            Some("publish, publish-retained, receive a")
        );
        assert_eq!(
            text("iot:*", "topicfilter/a").as_deref(),
            Some("subscribe a")
        );
        assert_eq!(
            translate("iot:*", "*").map(|m| m.text()).as_deref(),
            Some("connect, publish, publish-retained, subscribe, receive *")
        );
    }

    #[test]
    fn mismatched_kinds_and_other_services_have_no_mqtt_meaning() {
        assert_eq!(text("iot:Publish", "topicfilter/a"), None);
        assert_eq!(text("iot:Subscribe", "topic/a"), None);
        assert_eq!(text("iot:AttachPolicy", "topic/a"), None);
        assert_eq!(translate("lambda:InvokeFunction", "{GetAtt Fn.Arn}"), None);
        assert_eq!(
            translate("iot:Publish", "arn:aws:s3:::bucket/topic/a"),
            None
        );
    }

    #[test]
    fn literal_arns_and_colons_in_names_are_read() {
        assert_eq!(
            translate(
                "iot:Publish",
                "arn:aws:iot:us-east-1:123456789012:topic/d/us-east-1:1111"
            )
            .map(|m| m.text())
            .as_deref(),
            Some("publish d/us-east-1:1111")
        );
        assert_eq!(
            text("iot:Publish", "*").as_deref(),
            Some("publish *"),
            "an ARN ending in `*` covers every resource kind"
        );
    }

    #[test]
    fn ranks_follow_connect_publish_subscribe_receive() {
        let rank = |a: &str, r: &str| translate(a, &format!("{ARN}{r}")).unwrap().rank();
        assert!(rank("iot:Connect", "client/a") < rank("iot:Publish", "topic/a"));
        assert!(rank("iot:Publish", "topic/a") < rank("iot:Subscribe", "topicfilter/a"));
        assert!(rank("iot:Subscribe", "topicfilter/a") < rank("iot:Receive", "topic/a"));
    }
}
