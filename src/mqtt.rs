//! MQTT topic names, topic filters and client ids as the spec writes them, and their translation
//! into AWS policy resource names. The translation table in README is pinned by the tests here.
//!
//! Facts (docs/aws-facts.md §3.3, IOT-PS): in IoT and IAM policies `*` matches any characters,
//! crossing `/`, and `?` one character; MQTT `+` and `#` are literal there. So MQTT wildcards
//! must be translated, never copied, and a `+` can only be translated by broadening.

use std::fmt;

/// The one placeholder a spec may use: the caller's Cognito identity id.
pub const IDENTITY: &str = "${identity}";

/// What IoT and IAM policies call the caller's identity id (docs/aws-facts.md §3.4).
pub const POLICY_IDENTITY: &str = "${cognito-identity.amazonaws.com:sub}";

/// Longest identity id (`REGION:GUID`, 1–55 characters, docs/aws-facts.md §1.1), used for limits.
const IDENTITY_MAX_BYTES: usize = 55;

/// Broker limits (docs/aws-facts.md §3.5, IOT-Q).
const TOPIC_MAX_BYTES: usize = 256;
const TOPIC_MAX_SLASHES: usize = 7;
const CLIENT_ID_MAX_BYTES: usize = 128;

/// What a string in a spec is used as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A publish or receive topic (wildcards mean "any matching topic").
    Topic,
    /// A subscribe topic filter.
    Filter,
    /// An MQTT client id.
    ClientId,
}

/// Why a topic, filter or client id is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicError {
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    pub help: &'static str,
}

impl fmt::Display for TopicError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

fn err(message: impl Into<String>, help: &'static str) -> TopicError {
    TopicError {
        message: message.into(),
        help,
    }
}

/// Checks a topic, filter or client id as written in the spec.
pub fn check(text: &str, kind: Kind) -> Result<(), TopicError> {
    if text.is_empty() {
        return Err(err(
            "empty",
            "write a topic such as `devices/${identity}/status`",
        ));
    }
    if let Some(c) = text.chars().find(|&c| !policy_char(c)) {
        return Err(if c.is_control() {
            err(
                format!(
                    "contains the control character {}",
                    crate::text::code_point(c)
                ),
                "MQTT forbids U+0000 and advises against every other control character in topics and client ids (MQTT 3.1.1 section 1.5.3), and IAM policies refuse them (docs/aws-facts.md §3.5)",
            )
        } else {
            err(
                format!(
                    "contains `{c}` ({}), which IAM policy documents cannot hold",
                    crate::text::code_point(c)
                ),
                "IAM policy documents take only tab, LF, CR and U+0020-U+00FF (docs/aws-facts.md §7), and this topic is written into the role's IAM policy: use ASCII or Latin-1 names",
            )
        });
    }
    check_placeholders(text)?;
    if let Some(c) = text.chars().find(|c| matches!(c, '*' | '?')) {
        return Err(err(
            format!("contains `{c}`, which AWS policies read as a wildcard"),
            "use MQTT wildcards (`+` for one level, `#` for the rest); cogsynth translates them",
        ));
    }
    let bytes = text.len() + text.matches(IDENTITY).count() * (IDENTITY_MAX_BYTES - IDENTITY.len());
    if kind == Kind::ClientId {
        if let Some(c) = text.chars().find(|c| matches!(c, '+' | '#')) {
            return Err(err(
                format!("client ids cannot contain `{c}`"),
                "client ids are literal; use `${identity}` so each identity connects with its own id",
            ));
        }
        if bytes > CLIENT_ID_MAX_BYTES {
            return Err(err(
                format!("client id may reach {bytes} bytes; IoT allows {CLIENT_ID_MAX_BYTES}"),
                "shorten it (an identity id can be 55 bytes)",
            ));
        }
        return Ok(());
    }
    if text.starts_with('$') && !text.starts_with(IDENTITY) && !text.starts_with("$aws/") {
        return Err(err(
            "topics starting with `$` are reserved for AWS IoT",
            "only `$aws/...` reserved topics can be granted; rename the topic",
        ));
    }
    misplaced_wildcard(text)?;
    if bytes > TOPIC_MAX_BYTES {
        return Err(err(
            format!(
                "may reach {bytes} bytes (counting 55 for `${{identity}}`); IoT allows {TOPIC_MAX_BYTES}"
            ),
            "shorten the topic",
        ));
    }
    if let Some(why) = too_many_levels(text) {
        return Err(err(why, "use fewer topic levels"));
    }
    Ok(())
}

/// Checks the target of one concrete request as a client would send it (`synth simulate`), not
/// a spec's grant: a topic name (publish, receive) holds no wildcard, since MQTT reserves `+` and
/// `#` for filters (MQTT 3.1.1 section 4.7.1); a filter (subscribe) has `#` last and alone in its
/// level and `+` alone in its level; neither is empty or passes IoT's size limits
/// (docs/aws-facts.md §3.5). Anything else a client may send (any character, `*`, a `$aws/`
/// topic) is left to the policies to allow or deny.
pub fn check_request(text: &str, kind: Kind) -> Result<(), TopicError> {
    if text.is_empty() {
        return Err(err("empty", "name a client id, a topic or a topic filter"));
    }
    match kind {
        Kind::ClientId => {
            if text.len() > CLIENT_ID_MAX_BYTES {
                return Err(err(
                    format!(
                        "client id has {} bytes; IoT allows {CLIENT_ID_MAX_BYTES}",
                        text.len()
                    ),
                    "shorten it",
                ));
            }
            return Ok(());
        }
        Kind::Topic => {
            if let Some(c) = text.chars().find(|c| matches!(c, '+' | '#')) {
                return Err(err(
                    format!("a topic name cannot hold `{c}`: that is a topic filter"),
                    "publish and receive name one topic (MQTT 3.1.1 section 4.7.1 reserves `+` and `#` for filters); to test a filter, use subscribe",
                ));
            }
        }
        Kind::Filter => {
            misplaced_wildcard(text)?;
        }
    }
    if text.len() > TOPIC_MAX_BYTES {
        return Err(err(
            format!("has {} bytes; IoT allows {TOPIC_MAX_BYTES}", text.len()),
            "shorten the topic",
        ));
    }
    if let Some(why) = too_many_levels(text) {
        return Err(err(why, "use fewer topic levels"));
    }
    Ok(())
}

/// A `#` that is not alone in the last level, or a `+` not alone in its level (MQTT 3.1.1
/// section 4.7.1): the same for a spec's filters and a simulated subscribe.
fn misplaced_wildcard(text: &str) -> Result<(), TopicError> {
    let levels: Vec<&str> = text.split('/').collect();
    for (i, level) in levels.iter().enumerate() {
        if level.contains('#') && (*level != "#" || i + 1 != levels.len()) {
            return Err(err(
                "`#` must be the last level and alone in it",
                "write `a/b/#`, not `a/#/b` or `a/b#`",
            ));
        }
        if level.contains('+') && *level != "+" {
            return Err(err(
                "`+` must be alone in its level",
                "write `a/+/c`, not `a/b+/c`",
            ));
        }
    }
    Ok(())
}

/// Why `text` has more topic levels than IoT allows (a Basic Ingest `$aws/rules/<rule>/`
/// prefix not counted), if it does.
fn too_many_levels(text: &str) -> Option<String> {
    let counted = strip_rules_prefix(text).matches('/').count();
    (counted > TOPIC_MAX_SLASHES).then(|| {
        format!(
            "has {} levels; IoT allows {} (at most {TOPIC_MAX_SLASHES} `/`)",
            counted + 1,
            TOPIC_MAX_SLASHES + 1
        )
    })
}

/// How far a spec's shadow entry reaches: read the shadow and watch it change, or also change
/// and delete it (docs/aws-facts.md §3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShadowAccess {
    /// Request the document (`get`) and receive it, its changes, deltas and deletion.
    Read,
    /// Read, and `update` and `delete` it, with their rejections.
    ReadWrite,
}

/// The Device Shadow topics, after the shadow's prefix: who publishes on each (the client, or
/// AWS IoT) and the least access that uses it. The one list synth grants shadows from; README's
/// shadow table is checked against it (docs/aws-facts.md §3.7).
pub const SHADOW_TOPICS: [(&str, ShadowPublisher, ShadowAccess); 11] = [
    ("get", ShadowPublisher::Client, ShadowAccess::Read),
    ("get/accepted", ShadowPublisher::Service, ShadowAccess::Read),
    ("get/rejected", ShadowPublisher::Service, ShadowAccess::Read),
    ("update", ShadowPublisher::Client, ShadowAccess::ReadWrite),
    (
        "update/accepted",
        ShadowPublisher::Service,
        ShadowAccess::Read,
    ),
    (
        "update/rejected",
        ShadowPublisher::Service,
        ShadowAccess::ReadWrite,
    ),
    ("update/delta", ShadowPublisher::Service, ShadowAccess::Read),
    (
        "update/documents",
        ShadowPublisher::Service,
        ShadowAccess::Read,
    ),
    ("delete", ShadowPublisher::Client, ShadowAccess::ReadWrite),
    (
        "delete/accepted",
        ShadowPublisher::Service,
        ShadowAccess::Read,
    ),
    (
        "delete/rejected",
        ShadowPublisher::Service,
        ShadowAccess::ReadWrite,
    ),
];

/// Who publishes on a shadow topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShadowPublisher {
    /// The client asks: it needs iot:Publish on the topic.
    Client,
    /// AWS IoT answers: the client needs iot:Subscribe and iot:Receive on it.
    Service,
}

/// The topics of one shadow a grant of `access` reaches: `(publish, subscribe)`, exact topic
/// names (no wildcards: AWS advises against wildcard subscriptions to shadow topics, and may add
/// topics under them). `thing` may hold `${identity}`; `name` is a named shadow, `None` the
/// classic one.
pub fn shadow_topics(
    thing: &str,
    name: Option<&str>,
    access: ShadowAccess,
) -> (Vec<String>, Vec<String>) {
    let prefix = match name {
        Some(n) => format!("$aws/things/{thing}/shadow/name/{n}"),
        None => format!("$aws/things/{thing}/shadow"),
    };
    let mut publish = Vec::new();
    let mut subscribe = Vec::new();
    for (stub, who, least) in SHADOW_TOPICS {
        if least == ShadowAccess::ReadWrite && access == ShadowAccess::Read {
            continue;
        }
        let topic = format!("{prefix}/{stub}");
        match who {
            ShadowPublisher::Client => publish.push(topic),
            ShadowPublisher::Service => subscribe.push(topic),
        }
    }
    (publish, subscribe)
}

/// Thing names (docs/aws-facts.md §3.7): 1–128 characters of `[a-zA-Z0-9:_-]`; `${identity}`
/// stands for the caller's identity id (whose characters all qualify) and counts 55.
const THING_NAME_MAX: usize = 128;
/// Named-shadow names: 1–64 characters; synth takes `[a-zA-Z0-9:_-]` (AWS also allows `$`).
const SHADOW_NAME_MAX: usize = 64;

fn shadow_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, ':' | '_' | '-')
}

/// Checks a shadow entry's thing name as written in the spec.
pub fn check_thing_name(thing: &str) -> Result<(), TopicError> {
    check_placeholders(thing)?;
    let literal = thing.replace(IDENTITY, "");
    if let Some(c) = literal.chars().find(|&c| !shadow_char(c)) {
        return Err(err(
            format!(
                "`{}` cannot be in a thing name",
                crate::text::escape(&c.to_string())
            ),
            "thing names are letters, digits, `:`, `_` and `-` (AWS IoT's pattern), with `${identity}` for the caller's identity id",
        ));
    }
    let bytes = literal.len() + thing.matches(IDENTITY).count() * IDENTITY_MAX_BYTES;
    if thing.is_empty() || bytes > THING_NAME_MAX {
        return Err(err(
            format!(
                "a thing name may reach {bytes} characters (counting 55 for `${{identity}}`); AWS IoT allows 1 to {THING_NAME_MAX}"
            ),
            "shorten the thing name",
        ));
    }
    Ok(())
}

/// Checks a named shadow's name as written in the spec.
pub fn check_shadow_name(name: &str) -> Result<(), TopicError> {
    if name.is_empty() || name.len() > SHADOW_NAME_MAX || !name.chars().all(shadow_char) {
        return Err(err(
            format!(
                "`{}` is not a shadow name synth takes",
                crate::text::escape(name)
            ),
            "shadow names are 1 to 64 letters, digits, `:`, `_` and `-`; omit `name` for the thing's classic shadow",
        ));
    }
    Ok(())
}

/// Whether MQTT topic filter `filter` matches topic `topic` as the broker reads it: `+` is one
/// level, `#` the remaining levels and the parent (`a/#` matches `a`), anything else itself.
/// The meaning a spec's topics and filters have, against which translations are judged.
pub fn matches(filter: &str, topic: &str) -> bool {
    let topic: Vec<&str> = topic.split('/').collect();
    let mut count = 0;
    for (k, want) in filter.split('/').enumerate() {
        match (want, topic.get(k)) {
            ("#", _) => return true,
            ("+", Some(_)) => {}
            (want, Some(got)) if want == *got => {}
            _ => return false,
        }
        count = k + 1;
    }
    count == topic.len()
}

/// True for a character a topic or client id may hold: one an IAM policy document can carry
/// (tab, LF, CR and U+0020-U+00FF; IAM quotas, docs/aws-facts.md §7) that is not a control
/// character (MQTT 3.1.1 section 1.5.3 forbids U+0000 and advises against U+0001-U+001F and
/// U+007F-U+009F; none has a meaning in a topic).
fn policy_char(c: char) -> bool {
    ('\u{20}'..='\u{ff}').contains(&c) && !c.is_control()
}

/// The `$aws/rules/<rule>/` prefix does not count towards the level limit (docs/aws-facts.md §3.5).
fn strip_rules_prefix(text: &str) -> &str {
    text.strip_prefix("$aws/rules/")
        .and_then(|rest| rest.find('/').map(|i| &rest[i + 1..]))
        .unwrap_or(text)
}

fn check_placeholders(text: &str) -> Result<(), TopicError> {
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        let after = &rest[i..];
        if !after.starts_with(IDENTITY) {
            let shown: String = after
                .chars()
                .take_while(|&c| c != '}')
                .chain(std::iter::once('}'))
                .collect();
            return Err(err(
                format!("`{shown}` is not a placeholder cogsynth knows"),
                "`${identity}` (the caller's Cognito identity id) is the only placeholder",
            ));
        }
        rest = &after[IDENTITY.len()..];
    }
    Ok(())
}

/// A policy resource name (after `topic/`, `topicfilter/` or `client/`) translated from a spec
/// string, with `${identity}` kept symbolic, and what the translation changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Translated {
    /// Resource name, e.g. `devices/${identity}/status/*`.
    pub resource: String,
    /// Set when the policy allows more than the MQTT pattern does.
    pub broadened: bool,
}

/// Translates a checked topic or filter into policy resource names (`topic/` or `topicfilter/`):
/// `+` → `*` (broadening: `*` also matches several levels); a trailing `#` → the parent itself
/// and `parent/*` (exact: `a/#` matches `a` and everything below it); `#` alone → `*`.
pub fn translate(text: &str) -> Vec<Translated> {
    let mut levels: Vec<&str> = text.split('/').collect();
    let broadened = levels.contains(&"+");
    let multi = levels.last() == Some(&"#");
    if multi {
        levels.pop();
    }
    let body = levels
        .iter()
        .map(|l| if *l == "+" { "*" } else { l })
        .collect::<Vec<_>>()
        .join("/");
    // `a/+/#` → `a/*` alone: `*` already crosses levels, so `a/*/*` would add nothing.
    if !multi || body.ends_with('*') {
        return vec![Translated {
            resource: body,
            broadened,
        }];
    }
    if levels.is_empty() {
        return vec![Translated {
            resource: "*".to_owned(),
            broadened,
        }];
    }
    if body.is_empty() {
        // `/#`: its parent would be the empty topic name, which MQTT does not allow (a topic
        // name has at least one character), so `/*` alone matches exactly what `/#` does.
        return vec![Translated {
            resource: "/*".to_owned(),
            broadened,
        }];
    }
    vec![
        Translated {
            resource: body.clone(),
            broadened,
        },
        Translated {
            resource: format!("{body}/*"),
            broadened,
        },
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bad(text: &str, kind: Kind) -> String {
        check(text, kind).expect_err(text).message
    }

    #[test]
    fn requests_name_a_topic_or_a_well_formed_filter() {
        for (text, kind) in [
            ("a/b", Kind::Topic),
            ("a/*", Kind::Topic),
            ("$aws/things/x/shadow/update", Kind::Topic),
            ("a/#", Kind::Filter),
            ("+/b/#", Kind::Filter),
            ("#", Kind::Filter),
            ("a+b", Kind::ClientId),
        ] {
            assert_eq!(check_request(text, kind), Ok(()), "{text}");
        }
        let refused = |text: &str, kind| check_request(text, kind).expect_err(text).message;
        assert_eq!(
            refused("a/#", Kind::Topic),
            "a topic name cannot hold `#`: that is a topic filter"
        );
        assert_eq!(
            refused("a/+/c", Kind::Topic),
            "a topic name cannot hold `+`: that is a topic filter"
        );
        assert_eq!(
            refused("a/#/x", Kind::Filter),
            "`#` must be the last level and alone in it"
        );
        assert_eq!(
            refused("a/b+", Kind::Filter),
            "`+` must be alone in its level"
        );
        assert_eq!(refused("", Kind::ClientId), "empty");
        assert_eq!(
            refused("a/b/c/d/e/f/g/h/i", Kind::Topic),
            "has 9 levels; IoT allows 8 (at most 7 `/`)"
        );
    }

    #[test]
    fn accepts_well_formed_topics_and_filters() {
        for t in [
            "a",
            "a/b",
            "devices/${identity}/status/+",
            "fleet/news/#",
            "#",
            "+",
            "a//b",
            "$aws/things/${identity}/shadow/update",
            "user-${identity}",
        ] {
            assert_eq!(check(t, Kind::Filter), Ok(()), "{t}");
        }
        assert_eq!(check("${identity}", Kind::ClientId), Ok(()));
        assert_eq!(check("web-${identity}", Kind::ClientId), Ok(()));
    }

    #[test]
    fn matches_as_the_broker_does() {
        for (filter, topic, want) in [
            ("a/b", "a/b", true),
            ("a/b", "a/b/c", false),
            ("a/+", "a/b", true),
            ("a/+", "a", false),
            ("a/+", "a/b/c", false),
            ("a/+/c", "a//c", true),
            ("a/#", "a", true),
            ("a/#", "a/b/c", true),
            ("a/#", "ab", false),
            ("#", "anything/at/all", true),
            ("/#", "/x", true),
            ("/#", "x", false),
            ("+/b", "/b", true),
        ] {
            assert_eq!(matches(filter, topic), want, "{filter} vs {topic}");
        }
    }

    #[test]
    fn refuses_misplaced_wildcards() {
        assert!(bad("a/#/b", Kind::Filter).contains("`#` must be the last level"));
        assert!(bad("a/b#", Kind::Filter).contains("`#` must be the last level"));
        assert!(bad("a/b+/c", Kind::Filter).contains("`+` must be alone"));
        assert!(bad("a/*", Kind::Topic).contains("wildcard"));
        assert!(bad("a/b?", Kind::Topic).contains("wildcard"));
        assert!(bad("client+", Kind::ClientId).contains("cannot contain `+`"));
    }

    #[test]
    fn refuses_unknown_placeholders_and_reserved_topics() {
        assert_eq!(
            bad("a/${iot:ClientId}", Kind::Topic),
            "`${iot:ClientId}` is not a placeholder cogsynth knows"
        );
        assert!(bad("a/${identityx}", Kind::Topic).contains("not a placeholder"));
        assert!(bad("$SYS/x", Kind::Topic).contains("reserved"));
        assert!(bad("", Kind::Topic).contains("empty"));
        assert!(bad("a\0b", Kind::Topic).contains("control character U+0000"));
    }

    #[test]
    fn refuses_what_iam_policies_cannot_hold_and_control_characters() {
        // IAM takes U+0020-U+00FF (and tab, LF, CR, which are control characters here).
        assert_eq!(check("räume/ÿ/£", Kind::Topic), Ok(()));
        assert_eq!(check("client-é", Kind::ClientId), Ok(()));
        let cjk = bad("räume/会议室", Kind::Topic);
        assert!(
            cjk.contains("`会` (U+4F1A)") && cjk.contains("IAM"),
            "{cjk}"
        );
        assert!(bad("a/\u{2028}", Kind::Topic).contains("U+2028"));
        assert!(bad("a/😀", Kind::Filter).contains("U+1F600"));
        for c in ['\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            let text = format!("a/{c}/b");
            assert!(
                bad(&text, Kind::Topic).contains("control character"),
                "{c:?}"
            );
            assert!(
                bad(&text, Kind::ClientId).contains("control character"),
                "{c:?}"
            );
        }
        assert_eq!(check("a/\u{a0}/b", Kind::Topic), Ok(()));
    }

    #[test]
    fn enforces_the_byte_limit_at_its_edge() {
        let at_limit = "a".repeat(256);
        assert_eq!(check(&at_limit, Kind::Topic), Ok(()));
        assert!(bad(&"a".repeat(257), Kind::Topic).contains("257 bytes"));
        // `${identity}` counts as the 55 bytes an identity id may take.
        let with_id = format!("{}/{IDENTITY}", "a".repeat(200));
        assert_eq!(check(&with_id, Kind::Topic), Ok(()));
        let too_long = format!("{}/{IDENTITY}", "a".repeat(201));
        assert!(bad(&too_long, Kind::Topic).contains("257 bytes"));
        assert_eq!(check(&"c".repeat(128), Kind::ClientId), Ok(()));
        assert!(bad(&"c".repeat(129), Kind::ClientId).contains("129 bytes"));
    }

    #[test]
    fn enforces_the_level_limit_outside_the_rules_prefix() {
        assert_eq!(check("1/2/3/4/5/6/7/8", Kind::Topic), Ok(()));
        assert!(bad("1/2/3/4/5/6/7/8/9", Kind::Topic).contains("9 levels"));
        assert_eq!(
            check("$aws/rules/myrule/1/2/3/4/5/6/7/8", Kind::Topic),
            Ok(())
        );
        assert!(bad("$aws/rules/myrule/1/2/3/4/5/6/7/8/9", Kind::Topic).contains("9 levels"));
    }

    #[test]
    fn shadow_grants_are_exact_topics_by_access() {
        let (p, s) = shadow_topics("${identity}", None, ShadowAccess::Read);
        assert_eq!(p, ["$aws/things/${identity}/shadow/get"]);
        assert_eq!(
            s,
            [
                "$aws/things/${identity}/shadow/get/accepted",
                "$aws/things/${identity}/shadow/get/rejected",
                "$aws/things/${identity}/shadow/update/accepted",
                "$aws/things/${identity}/shadow/update/delta",
                "$aws/things/${identity}/shadow/update/documents",
                "$aws/things/${identity}/shadow/delete/accepted",
            ]
        );
        let (p, s) = shadow_topics("lamp-1", Some("schedule"), ShadowAccess::ReadWrite);
        assert_eq!(
            p,
            [
                "$aws/things/lamp-1/shadow/name/schedule/get",
                "$aws/things/lamp-1/shadow/name/schedule/update",
                "$aws/things/lamp-1/shadow/name/schedule/delete",
            ]
        );
        assert_eq!(s.len(), 8);
        // Every topic is a well-formed, exact MQTT topic within the broker's limits, even at the
        // longest names.
        let thing = format!("{}{IDENTITY}", "t".repeat(THING_NAME_MAX - 55));
        let name = "n".repeat(SHADOW_NAME_MAX);
        for access in [ShadowAccess::Read, ShadowAccess::ReadWrite] {
            let (p, s) = shadow_topics(&thing, Some(&name), access);
            for t in p.iter().chain(&s) {
                assert_eq!(check(t, Kind::Filter), Ok(()), "{t}");
                assert!(!t.contains(['+', '#', '*', '?']), "{t}");
            }
        }
    }

    #[test]
    fn thing_and_shadow_names_follow_aws_patterns() {
        assert_eq!(check_thing_name("${identity}"), Ok(()));
        assert_eq!(check_thing_name("lamp-${identity}:1_a"), Ok(()));
        assert!(
            check_thing_name("lamp/1")
                .unwrap_err()
                .message
                .contains("`/` cannot be in a thing name")
        );
        assert!(check_thing_name("+").is_err());
        assert!(check_thing_name("${iot:ClientId}").is_err());
        assert_eq!(check_thing_name(&"t".repeat(128)), Ok(()));
        assert!(check_thing_name(&"t".repeat(129)).is_err());
        assert!(check_thing_name(&format!("{}{IDENTITY}", "t".repeat(74))).is_err());
        assert_eq!(check_shadow_name("schedule_v2:a-b"), Ok(()));
        assert!(check_shadow_name(&"n".repeat(65)).is_err());
        assert!(check_shadow_name("$package").is_err());
        assert!(check_shadow_name("a/b").is_err());
    }

    fn t(resource: &str, broadened: bool) -> Translated {
        Translated {
            resource: resource.to_owned(),
            broadened,
        }
    }

    /// The README translation table, row by row.
    #[test]
    fn translation_table() {
        assert_eq!(translate("a/b"), [t("a/b", false)]);
        assert_eq!(translate("a/+/c"), [t("a/*/c", true)]);
        assert_eq!(translate("a/+"), [t("a/*", true)]);
        assert_eq!(translate("a/#"), [t("a", false), t("a/*", false)]);
        assert_eq!(translate("a/+/#"), [t("a/*", true)]);
        assert_eq!(translate("#"), [t("*", false)]);
        // The parent of `/#` would be the empty topic name, which does not exist.
        assert_eq!(translate("/#"), [t("/*", false)]);
        assert_eq!(translate("a//#"), [t("a/", false), t("a//*", false)]);
        assert_eq!(translate("+"), [t("*", true)]);
        assert_eq!(
            translate("d/${identity}/#"),
            [t("d/${identity}", false), t("d/${identity}/*", false)]
        );
    }
}
