//! Evaluates generated policy statements as AWS does, for one MQTT request of one identity
//! (docs/aws-facts.md §3.3, §4): an explicit Deny wins; otherwise an Allow is needed — in the IAM role
//! policy alone for guests, in both the IAM role policy and the IoT policy for signed-in
//! identities. `*` matches any run of characters (across `/`), `?` one character; MQTT `+` and `#`
//! are literal. `${cognito-identity.amazonaws.com:sub}` is the caller's identity id; `${*}`,
//! `${?}`, `${$}` are literal `*`, `?`, `$` (docs/aws-facts.md §3.3).

use std::fmt;

use super::doc::{Effect, Identities, Layer, RoleView, Stmt};
use crate::arn::IOT_PREFIX;
use crate::mqtt::POLICY_IDENTITY;

/// An MQTT request in spec terms: `publish devices/x/telemetry`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `connect`, `publish`, `publish-retained`, `subscribe` or `receive`.
    pub verb: Verb,
    /// Client id, topic or topic filter.
    pub target: String,
}

/// The MQTT verbs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    /// iot:Connect on `client/`.
    Connect,
    /// iot:Publish on `topic/`.
    Publish,
    /// A PUBLISH with the RETAIN flag: iot:RetainPublish on `topic/`, and iot:Publish too
    /// (docs/aws-facts.md §3.6). As a policy grant it is the iot:RetainPublish half.
    PublishRetained,
    /// iot:Subscribe on `topicfilter/`.
    Subscribe,
    /// iot:Receive on `topic/`.
    Receive,
}

impl Verb {
    /// Parses `publish` etc. (case-insensitive).
    pub fn parse(word: &str) -> Option<Verb> {
        match word.to_ascii_lowercase().as_str() {
            "connect" => Some(Verb::Connect),
            "publish" => Some(Verb::Publish),
            "publish-retained" => Some(Verb::PublishRetained),
            "subscribe" => Some(Verb::Subscribe),
            "receive" => Some(Verb::Receive),
            _ => None,
        }
    }

    /// The IoT actions a request of this verb needs, each with its resource kind: one, but two
    /// for a retained publish (iot:Publish and iot:RetainPublish on the same topic).
    pub fn needs(self) -> Vec<(&'static str, &'static str)> {
        match self {
            Verb::PublishRetained => vec![
                Verb::Publish.action_and_kind(),
                Verb::PublishRetained.action_and_kind(),
            ],
            other => vec![other.action_and_kind()],
        }
    }

    /// The IoT action and resource kind of the verb's own grant (docs/aws-facts.md §3.2).
    pub fn action_and_kind(self) -> (&'static str, &'static str) {
        match self {
            Verb::Connect => ("iot:Connect", "client/"),
            Verb::Publish => ("iot:Publish", "topic/"),
            Verb::PublishRetained => ("iot:RetainPublish", "topic/"),
            Verb::Subscribe => ("iot:Subscribe", "topicfilter/"),
            Verb::Receive => ("iot:Receive", "topic/"),
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verb::Connect => "connect",
            Verb::Publish => "publish",
            Verb::PublishRetained => "publish-retained",
            Verb::Subscribe => "subscribe",
            Verb::Receive => "receive",
        })
    }
}

impl Request {
    /// Parses `"publish devices/a/b"`.
    pub fn parse(text: &str) -> Option<Request> {
        let (verb, target) = text.trim().split_once(char::is_whitespace)?;
        let target = target.trim();
        if target.is_empty() || target.contains(char::is_whitespace) {
            return None;
        }
        Some(Request {
            verb: Verb::parse(verb)?,
            target: target.to_owned(),
        })
    }

    /// The request's IoT action and resource ARN text.
    pub fn action_and_resource(&self) -> (&'static str, String) {
        let (action, kind) = self.verb.action_and_kind();
        // As `doc` reads resources from a template: pseudo parameters unresolved, which is
        // fine, since the policies hold the same text.
        (action, format!("{IOT_PREFIX}{kind}{}", self.target))
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.verb, self.target)
    }
}

/// How one layer decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerDecision {
    /// A Deny statement matched.
    Denied(Stmt),
    /// An Allow statement matched and no Deny did.
    Allowed(Stmt),
    /// Nothing matched.
    NoMatch,
}

/// How one IoT action of a request was decided, layer by layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionCheck {
    /// `iot:Publish`, ...
    pub action: &'static str,
    /// The IAM layer.
    pub iam: LayerDecision,
    /// The IoT layer (signed-in identities only).
    pub iot: Option<LayerDecision>,
}

impl ActionCheck {
    fn allowed(&self) -> bool {
        let allows = |d: &LayerDecision| matches!(d, LayerDecision::Allowed(_));
        allows(&self.iam) && self.iot.as_ref().is_none_or(allows)
    }
}

/// The outcome of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// ALLOW or DENY.
    pub allowed: bool,
    /// Each action the request needs (one, or two for a retained publish), in order.
    pub checks: Vec<ActionCheck>,
}

impl Verdict {
    /// One line per layer (and per action, when the request needs several) saying what decided.
    pub fn explain(&self) -> String {
        let several = self.checks.len() > 1;
        let mut lines = Vec::new();
        for c in &self.checks {
            let prefix = if several {
                format!("{}: ", c.action)
            } else {
                String::new()
            };
            lines.push(format!("{prefix}{}", explain_layer(Layer::Iam, &c.iam)));
            match &c.iot {
                Some(iot) => {
                    let mut line = format!("{prefix}{}", explain_layer(Layer::Iot, iot));
                    if c.action == RETAIN_PUBLISH {
                        line.push_str(RETAIN_IOT_NOTE);
                    }
                    lines.push(line);
                }
                None => lines.push(format!(
                    "{prefix}IoT policy: not consulted (guests get the IAM role alone)"
                )),
            }
        }
        lines.join("\n")
    }
}

/// iot:RetainPublish is not in AWS's list of actions IoT intersects with the IoT policy for
/// signed-in identities; whether IoT checks it there is UNCONFIRMED (docs/aws-facts.md §3.6).
/// synth grants it in both layers alike, so either way the verdict is the same.
const RETAIN_IOT_NOTE: &str = " [UNCONFIRMED whether AWS IoT checks this layer for iot:RetainPublish; synth grants it in both layers alike]";

const RETAIN_PUBLISH: &str = "iot:RetainPublish";

fn explain_layer(layer: Layer, d: &LayerDecision) -> String {
    match d {
        LayerDecision::Denied(s) => format!("{}: DENY by {}", layer.words(), s.describe()),
        LayerDecision::Allowed(s) => format!("{}: allow by {}", layer.words(), s.describe()),
        LayerDecision::NoMatch => {
            format!("{}: no statement matches (implicit deny)", layer.words())
        }
    }
}

/// Evaluates `request` for identity `identity` holding `role`: every action the request needs
/// must be allowed.
pub fn evaluate(role: &RoleView, identity: &str, request: &Request) -> Verdict {
    let checks: Vec<ActionCheck> = request
        .verb
        .needs()
        .into_iter()
        .map(|(action, kind)| {
            let resource = format!("{IOT_PREFIX}{kind}{}", request.target);
            let iam = decide(&role.iam, action, &resource, identity);
            let iot = (role.identities == Identities::Authenticated)
                .then(|| decide(&role.iot, action, &resource, identity));
            ActionCheck { action, iam, iot }
        })
        .collect();
    let allowed = checks.iter().all(ActionCheck::allowed);
    Verdict { allowed, checks }
}

/// One layer: explicit deny, else allow, else implicit deny.
pub fn decide(statements: &[Stmt], action: &str, resource: &str, identity: &str) -> LayerDecision {
    // Action names are case-insensitive; most carry no wildcard and need no lowercased copies.
    let action_matches = |a: &str| {
        if a.contains(['*', '?']) {
            glob(
                &a.to_ascii_lowercase(),
                &action.to_ascii_lowercase(),
                identity,
            )
        } else {
            a.eq_ignore_ascii_case(action)
        }
    };
    let matches = |s: &Stmt| {
        s.actions.iter().any(|a| action_matches(a))
            && s.resources.iter().any(|r| glob(r, resource, identity))
    };
    if let Some(s) = statements
        .iter()
        .find(|s| s.effect == Effect::Deny && matches(s))
    {
        return LayerDecision::Denied(s.clone());
    }
    if let Some(s) = statements
        .iter()
        .find(|s| s.effect == Effect::Allow && matches(s))
    {
        return LayerDecision::Allowed(s.clone());
    }
    LayerDecision::NoMatch
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Char(char),
    Any,
    One,
}

/// The pattern as tokens, policy variables substituted with literal text.
fn tokens(pattern: &str, identity: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut rest = pattern;
    while let Some(c) = rest.chars().next() {
        if rest.starts_with("${") {
            if let Some(end) = rest.find('}') {
                let var = &rest[..=end];
                let literal = match var {
                    "${*}" => Some("*".to_owned()),
                    "${?}" => Some("?".to_owned()),
                    "${$}" => Some("$".to_owned()),
                    v if v == POLICY_IDENTITY => Some(identity.to_owned()),
                    _ => None,
                };
                if let Some(text) = literal {
                    out.extend(text.chars().map(Token::Char));
                    rest = &rest[end + 1..];
                    continue;
                }
            }
        }
        out.push(match c {
            '*' => Token::Any,
            '?' => Token::One,
            other => Token::Char(other),
        });
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// True when `text` cannot match `pattern` because they differ before the pattern's first
/// wildcard or substituted policy variable (compared byte by byte, which for UTF-8 is the same
/// as character by character).
fn differs_before_wildcard(pattern: &str, text: &str) -> bool {
    let (p, t) = (pattern.as_bytes(), text.as_bytes());
    for (i, &b) in p.iter().enumerate() {
        if b == b'*'
            || b == b'?'
            || (b == b'$'
                && ["${*}", "${?}", "${$}", POLICY_IDENTITY]
                    .iter()
                    .any(|v| p[i..].starts_with(v.as_bytes())))
        {
            return false;
        }
        if t.get(i) != Some(&b) {
            return true;
        }
    }
    false
}

/// IAM-style wildcard match of `text` against `pattern` (iterative, with one backtrack point).
pub fn glob(pattern: &str, text: &str, identity: &str) -> bool {
    // Most pairs differ before the first wildcard: refuse those without tokenizing.
    if differs_before_wildcard(pattern, text) {
        return false;
    }
    let p = tokens(pattern, identity);
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Token::Char(c)) if *c == t[ti] => {
                pi += 1;
                ti += 1;
            }
            Some(Token::One) => {
                pi += 1;
                ti += 1;
            }
            Some(Token::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|t| *t == Token::Any)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ME: &str = "us-east-1:1111";

    #[test]
    fn wildcards_follow_iam_not_mqtt() {
        assert!(glob("a/*", "a/b/c", ME), "* crosses levels");
        assert!(glob("a/?", "a/b", ME));
        assert!(!glob("a/?", "a/bc", ME));
        assert!(!glob("a/+", "a/b", ME), "+ is literal");
        assert!(glob("a/+", "a/+", ME));
        assert!(!glob("a/#", "a/b", ME), "# is literal");
        assert!(glob("*", "", ME));
        assert!(glob("a*b*c", "a-x-b-y-c", ME));
        assert!(!glob("a*b*c", "a-x-b-y", ME));
    }

    #[test]
    fn variables_are_substituted_as_literal_text() {
        let p = "d/${cognito-identity.amazonaws.com:sub}/x";
        assert!(glob(p, "d/us-east-1:1111/x", ME));
        assert!(!glob(p, "d/us-east-1:2222/x", ME));
        // An identity id is text, never a wildcard.
        assert!(!glob(p, "d/anything/x", "*"));
        assert!(glob("a/${*}", "a/*", ME));
        assert!(!glob("a/${*}", "a/b", ME));
        assert!(glob("${$}aws/x", "$aws/x", ME));
    }

    #[test]
    fn parses_requests() {
        let r = Request::parse("publish  devices/a/b").unwrap();
        assert_eq!(r.verb, Verb::Publish);
        assert_eq!(
            r.action_and_resource().1,
            format!("{IOT_PREFIX}topic/devices/a/b")
        );
        assert_eq!(
            Request::parse("subscribe fleet/#")
                .unwrap()
                .action_and_resource()
                .1,
            format!("{IOT_PREFIX}topicfilter/fleet/#")
        );
        assert!(Request::parse("shout x").is_none());
        assert!(Request::parse("publish").is_none());
    }

    fn stmt(layer: Layer, effect: Effect, action: &str, resource: &str) -> Stmt {
        Stmt {
            layer,
            resource: "R".into(),
            policy: "p".into(),
            index: 0,
            sid: None,
            effect,
            actions: vec![action.into()],
            resources: vec![format!("{IOT_PREFIX}{resource}")],
        }
    }

    fn member(iam: Vec<Stmt>, iot: Vec<Stmt>) -> RoleView {
        RoleView {
            pool: "p".into(),
            role: "r".into(),
            identities: Identities::Authenticated,
            role_id: "R".into(),
            iam,
            iot,
        }
    }

    #[test]
    fn signed_in_identities_need_both_layers_and_deny_wins() {
        let own = "topic/d/${cognito-identity.amazonaws.com:sub}/*";
        let allow_iam = stmt(Layer::Iam, Effect::Allow, "iot:Publish", own);
        let allow_iot = stmt(Layer::Iot, Effect::Allow, "iot:Publish", own);
        let req = Request::parse("publish d/us-east-1:1111/t").unwrap();
        assert!(
            evaluate(
                &member(vec![allow_iam.clone()], vec![allow_iot.clone()]),
                ME,
                &req
            )
            .allowed
        );
        assert!(
            !evaluate(&member(vec![allow_iam.clone()], vec![]), ME, &req).allowed,
            "IoT layer missing"
        );
        assert!(
            !evaluate(&member(vec![], vec![allow_iot.clone()]), ME, &req).allowed,
            "IAM layer missing"
        );
        let deny = stmt(Layer::Iot, Effect::Deny, "iot:*", "topic/d/*");
        let v = evaluate(
            &member(vec![allow_iam.clone()], vec![allow_iot.clone(), deny]),
            ME,
            &req,
        );
        assert!(!v.allowed);
        assert!(matches!(v.checks[0].iot, Some(LayerDecision::Denied(_))));
        assert!(
            v.explain().contains("IoT policy: DENY by"),
            "{}",
            v.explain()
        );
        // Someone else's topic.
        let other = Request::parse("publish d/us-east-1:2222/t").unwrap();
        assert!(!evaluate(&member(vec![allow_iam], vec![allow_iot]), ME, &other).allowed);
    }

    #[test]
    fn a_retained_publish_needs_publish_and_retain_publish_in_both_layers() {
        let own = "topic/d/${cognito-identity.amazonaws.com:sub}/state";
        let both = |layer| {
            vec![
                stmt(layer, Effect::Allow, "iot:Publish", own),
                stmt(layer, Effect::Allow, "iot:RetainPublish", own),
            ]
        };
        let req = Request::parse("publish-retained d/us-east-1:1111/state").unwrap();
        let v = evaluate(&member(both(Layer::Iam), both(Layer::Iot)), ME, &req);
        assert!(v.allowed, "{}", v.explain());
        assert_eq!(
            v.checks.iter().map(|c| c.action).collect::<Vec<_>>(),
            ["iot:Publish", "iot:RetainPublish"]
        );
        let text = v.explain();
        assert!(
            text.contains("iot:RetainPublish: IoT policy: allow by"),
            "{text}"
        );
        assert!(text.contains("UNCONFIRMED"), "{text}");
        // Publish alone does not retain; RetainPublish alone does not publish.
        let publish_only = |layer| vec![stmt(layer, Effect::Allow, "iot:Publish", own)];
        assert!(
            !evaluate(
                &member(publish_only(Layer::Iam), publish_only(Layer::Iot)),
                ME,
                &req
            )
            .allowed
        );
        let retain_only = |layer| vec![stmt(layer, Effect::Allow, "iot:RetainPublish", own)];
        assert!(
            !evaluate(
                &member(retain_only(Layer::Iam), retain_only(Layer::Iot)),
                ME,
                &req
            )
            .allowed
        );
        // A plain publish does not need RetainPublish.
        let plain = Request::parse("publish d/us-east-1:1111/state").unwrap();
        assert!(
            evaluate(
                &member(publish_only(Layer::Iam), publish_only(Layer::Iot)),
                ME,
                &plain
            )
            .allowed
        );
        // Someone else's topic.
        let other = Request::parse("publish-retained d/us-east-1:2222/state").unwrap();
        assert!(!evaluate(&member(both(Layer::Iam), both(Layer::Iot)), ME, &other).allowed);
    }

    #[test]
    fn guests_get_the_iam_role_alone() {
        let mut guest = member(
            vec![stmt(
                Layer::Iam,
                Effect::Allow,
                "iot:Publish",
                "topic/lobby",
            )],
            vec![],
        );
        guest.identities = Identities::Unauthenticated;
        let v = evaluate(&guest, ME, &Request::parse("publish lobby").unwrap());
        assert!(v.allowed);
        assert!(v.checks[0].iot.is_none());
    }
}
