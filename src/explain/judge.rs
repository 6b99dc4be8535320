//! Why one failed MQTT request was refused, judged on the generated policies of every role the
//! given stacks define (the same evaluator as `synth simulate` and `expect:`), and, when they all
//! refuse it, on the spec's grants in MQTT terms: which grant the request nearly matches and
//! what the smallest spec change would be, or why the refusal is the spec working as intended.
//! This module owns the verdict: it tries every role, picks the closest grant, and assembles the
//! cause, its words, the grant, the spec change and the app advice. Who the caller is comes from
//! `principal`, how the request relates to one grant from `relation`.
//!
//! The causes recognised by name (README, "synth explain"):
//!
//! | id | when | verdict |
//! |---|---|---|
//! | `iot-policy-not-attached` | a signed-in role's IAM role policy and IoT policy both allow it | contradicts the spec |
//! | `another-identity` | a level (or the client id) holds another identity's id where the grant has `${identity}` | intended |
//! | `wildcard-for-identity` | a `+`/`#` stands where the grant has `${identity}`: policies match it literally, never as "my id" | intended |
//! | `client-id-not-identity-id` | the client id is not the identity id (or not of the role's `connect` form) | intended |
//! | `action-not-granted` | the spec grants the same topic for another action only | intended |
//! | `filter-over-topics` | a wildcard filter where only topics (or narrower filters) were granted | contradicts the spec |
//! | `topic-differs-by-a-level` | one level changed, added or missing against a grant | contradicts the spec |
//! | `not-granted` | nothing near it is granted | contradicts the spec |
//! | `allowed-for-guests`, `not-authorization`, `not-cognito`, `identity-unknown`, `incomplete`, `granted` | cannot be explained by the spec | unexplained |
//!
//! Must not: read files or print; read identities or compare topics level by level itself.

use std::fmt::Write as _;

use crate::diag::Pos;
use crate::manifest::{SpecGrant, Stack, role_grants};
use crate::mqtt::IDENTITY;
use crate::policy::doc::{Identities, RoleView, role_views};
use crate::policy::eval::{LayerDecision, Request, Verb, evaluate};

use super::logs::Event;
use super::principal::{Identity, certificate_shaped, describe_principal, find_identity};
use super::relation::{Relation, generalise, relate};

/// What the refusal means for the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// The spec means to refuse it.
    Intended,
    /// The spec means to allow it, or app and spec disagree: something must change.
    Contradicts,
    /// The spec cannot explain it.
    Unexplained,
}

impl Verdict {
    /// `intended`, `contradicts`, `unexplained`.
    pub fn id(self) -> &'static str {
        match self {
            Verdict::Intended => "intended",
            Verdict::Contradicts => "contradicts",
            Verdict::Unexplained => "unexplained",
        }
    }

    /// In words.
    pub fn words(self) -> &'static str {
        match self {
            Verdict::Intended => "working as intended",
            Verdict::Contradicts => "contradicts the spec: change the app or the spec",
            Verdict::Unexplained => "not explained by the spec",
        }
    }
}

/// A place in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Spec file.
    pub file: String,
    /// Position.
    pub pos: Pos,
}

/// A grant the explanation refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantRef {
    /// `publish devices/${identity}/telemetry`.
    pub text: String,
    /// Topic scope, or none for a role's default connect grant.
    pub scope: Option<String>,
    /// Where it is written.
    pub place: Place,
}

/// A spec change that would allow the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The grant to add, in spec terms: `publish devices/${identity}/telemetry/extra`.
    pub grant: String,
    /// Where: `topic scope own-device` or `a topic scope of role member`.
    pub into: String,
    /// Position of that scope or role.
    pub place: Place,
}

/// How one role of one pool decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    /// Stack name.
    pub stack: String,
    /// Pool name.
    pub pool: String,
    /// Role name.
    pub role: String,
    /// Signed-in or guests.
    pub identities: Identities,
    /// ALLOW?
    pub allowed: bool,
    /// The IAM layer, in words.
    pub iam: String,
    /// The IoT layer, in words (signed-in identities only).
    pub iot: Option<String>,
}

/// The judgement of one failed event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    /// The event.
    pub event: Event,
    /// The request in MQTT terms, when the event names one.
    pub request: Option<Request>,
    /// The caller's identity, when it could be found.
    pub identity: Option<Identity>,
    /// What the principal is.
    pub principal: Option<String>,
    /// Every role tried.
    pub tried: Vec<Tried>,
    /// Cause id (table above).
    pub cause: &'static str,
    /// The cause in words.
    pub why: String,
    /// The grant the request was compared with.
    pub grant: Option<GrantRef>,
    /// The smallest spec change, when one makes sense.
    pub change: Option<Change>,
    /// What to change in the app, when that is the fix.
    pub app: Option<String>,
    /// Intended or not.
    pub verdict: Verdict,
}

/// The request an MQTT event type logs, or none for other event types.
pub fn verb_of(event_type: &str) -> Option<Verb> {
    match event_type {
        "Connect" => Some(Verb::Connect),
        "Publish-In" => Some(Verb::Publish),
        "Subscribe" => Some(Verb::Subscribe),
        "Publish-Out" => Some(Verb::Receive),
        _ => None,
    }
}

/// A role of a pool of a stack, with its grants in spec terms.
pub struct Candidate<'a> {
    stack: &'a Stack,
    view: RoleView,
    grants: Vec<SpecGrant>,
}

/// Every role of every pool of `stacks`.
pub fn candidates(stacks: &[Stack]) -> Vec<Candidate<'_>> {
    stacks
        .iter()
        .flat_map(|stack| {
            role_views(&stack.compiled.json)
                .into_iter()
                .map(move |view| Candidate {
                    grants: role_grants(&stack.compiled.loaded.spec, &view.role),
                    stack,
                    view,
                })
        })
        .collect()
}

fn place(stack: &Stack, pointer: &str) -> Place {
    Place {
        file: stack.file.clone(),
        pos: stack.compiled.loaded.doc.locate(pointer),
    }
}

fn grant_ref(c: &Candidate<'_>, g: &SpecGrant) -> GrantRef {
    GrantRef {
        text: format!("{} {}", g.verb, g.target),
        scope: g.scope.clone(),
        place: place(c.stack, &g.pointer),
    }
}

fn layer_words(d: &LayerDecision) -> String {
    match d {
        LayerDecision::Denied(s) => format!("denied by {}", s.describe()),
        LayerDecision::Allowed(s) => format!("allowed by {}", s.describe()),
        LayerDecision::NoMatch => "no statement allows it".to_owned(),
    }
}

/// A character no MQTT topic or client id holds (MQTT forbids U+0000), standing for an identity
/// the log does not name: a `${identity}` resource then matches nothing.
const NO_IDENTITY: &str = "\u{0}";

/// Judges one event with `status: Failure` whose type is one of [`verb_of`]'s.
pub fn judge(event: &Event, cands: &[Candidate<'_>]) -> Judged {
    let mut j = Judged {
        event: event.clone(),
        request: None,
        identity: None,
        principal: None,
        tried: Vec::new(),
        cause: "incomplete",
        why: String::new(),
        grant: None,
        change: None,
        app: None,
        verdict: Verdict::Unexplained,
    };
    let verb = event.event_type.as_deref().and_then(verb_of);
    let target = match verb {
        Some(Verb::Connect) => event.client_id.clone(),
        _ => event.topic_name.clone(),
    };
    let (Some(verb), Some(target)) = (verb, target.filter(|t| !t.is_empty())) else {
        j.why = "the entry names no client id or topic, so there is no request to judge".into();
        return j;
    };
    let request = Request { verb, target };
    j.request = Some(request.clone());

    let principal = event.principal_id.as_deref().unwrap_or_default();
    j.principal = describe_principal(principal);
    if certificate_shaped(principal) {
        j.cause = "not-cognito";
        j.why = "the principal is a certificate, not a Cognito identity: no spec of this project governs it".into();
        return j;
    }
    if let Some(reason) = event
        .reason
        .as_deref()
        .filter(|r| *r != "AUTHORIZATION_FAILURE")
    {
        j.cause = "not-authorization";
        j.why = format!(
            "IoT gave the reason `{reason}`, not AUTHORIZATION_FAILURE: synth explains authorization only"
        );
        return j;
    }

    j.identity = find_identity(
        event,
        cands.iter().flat_map(|c| {
            c.grants
                .iter()
                .filter(|g| g.verb == Verb::Connect)
                .map(|g| (c.view.role.as_str(), g.target.as_str()))
        }),
    );
    let id = j.identity.as_ref().map(|i| i.id.as_str());
    let eval_id = id.unwrap_or(NO_IDENTITY);
    let (tried, allowed_signed_in, allowed_guest) = try_all(cands, eval_id, &request);
    j.tried = tried;
    if let Some(c) = allowed_signed_in {
        not_attached(&mut j, c, &request, verb);
        return j;
    }
    if let Some(c) = allowed_guest {
        j.cause = "allowed-for-guests";
        j.why = format!(
            "the generated IAM role policy of role {} (guests of pool {}, stack {}) allows it: the deployed stack may differ from the spec (run `synth --check`, then deploy), or the caller is not a guest of this pool",
            c.view.role, c.view.pool, c.stack.compiled.loaded.spec.stack
        );
        return j;
    }

    // Every role refuses it: compare with the spec's grants.
    let mut best: Option<(Relation, &Candidate<'_>, &SpecGrant)> = None;
    for c in cands {
        for g in &c.grants {
            if let Some(r) = relate(&request, id, g) {
                if best.as_ref().is_none_or(|(b, _, _)| r.rank() < b.rank()) {
                    best = Some((r, c, g));
                }
            }
        }
    }
    let generalised = generalise(&request, id);
    match best {
        Some((relation, c, g)) => explain_relation(&mut j, &relation, c, g, &generalised, verb),
        None => not_granted(&mut j, cands, &generalised, verb),
    }
    if j.verdict == Verdict::Contradicts {
        if let Some(p) = expected_denial(cands, &generalised) {
            j.verdict = Verdict::Intended;
            let _ = write!(
                j.why,
                "; the spec's `expect:` says it must be denied ({}:{}:{})",
                p.file, p.pos.line, p.pos.col
            );
        }
    }
    j
}

/// Where an `expect:` of a spec in `cands` lists `generalised` (`publish d/${identity}/x`, the
/// expectation's identity read as `${identity}`) among the requests to deny.
fn expected_denial(cands: &[Candidate<'_>], generalised: &str) -> Option<Place> {
    let mut seen: Vec<&str> = Vec::new();
    for c in cands {
        let file = c.stack.file.as_str();
        if seen.contains(&file) {
            continue;
        }
        seen.push(file);
        for (i, e) in c.stack.compiled.loaded.spec.expect.iter().enumerate() {
            for (k, d) in e.deny.iter().enumerate() {
                let Some(r) = Request::parse(d) else { continue };
                if generalise(&r, Some(&e.identity)) == generalised {
                    return Some(place(c.stack, &format!("/expect/{i}/deny/{k}")));
                }
            }
        }
    }
    None
}

/// Both layers of a signed-in role allow it: IoT had no policy attached to the identity yet.
fn not_attached(j: &mut Judged, c: &Candidate<'_>, request: &Request, verb: Verb) {
    let id = j.identity.as_ref().map(|i| i.id.as_str());
    j.cause = "iot-policy-not-attached";
    j.verdict = Verdict::Contradicts;
    j.why = format!(
        "the IAM role policy and the IoT policy of role {} (pool {}, stack {}) both allow it, so IoT refused it because no IoT policy was attached to the identity yet: the app connected before its attach call finished, or before IoT had taken the attachment in",
        c.view.role, c.view.pool, c.stack.compiled.loaded.spec.stack
    );
    if let Some(g) = c
        .grants
        .iter()
        .find(|g| relate(request, id, g) == Some(Relation::Matches))
    {
        j.grant = Some(grant_ref(c, g));
    }
    j.app = Some(
        "call the attach function once per identity and wait for its answer (`{\"ok\": true}`) before connecting; retry the connection with backoff for a few seconds while IoT propagates the attachment".into(),
    );
    if verb == Verb::Connect && j.identity.as_ref().is_some_and(|i| i.from != "principal") {
        j.why.push_str(
            "; or the client id is not this caller's identity id (the log names the role session, not the identity, so synth took client id = identity id)",
        );
    }
}

/// Every candidate's verdict, and the first signed-in and guest candidates that allow it.
fn try_all<'c, 'a>(
    cands: &'c [Candidate<'a>],
    id: &str,
    request: &Request,
) -> (
    Vec<Tried>,
    Option<&'c Candidate<'a>>,
    Option<&'c Candidate<'a>>,
) {
    let mut tried = Vec::new();
    let (mut signed_in, mut guest) = (None, None);
    for c in cands {
        let v = evaluate(&c.view, id, request);
        if v.allowed {
            match c.view.identities {
                Identities::Authenticated => signed_in = signed_in.or(Some(c)),
                Identities::Unauthenticated => guest = guest.or(Some(c)),
            }
        }
        tried.push(Tried {
            stack: c.stack.compiled.loaded.spec.stack.clone(),
            pool: c.view.pool.clone(),
            role: c.view.role.clone(),
            identities: c.view.identities,
            allowed: v.allowed,
            // A logged request is one action (connect, publish, subscribe, receive).
            iam: layer_words(&v.checks[0].iam),
            iot: v.checks[0].iot.as_ref().map(layer_words),
        });
    }
    (tried, signed_in, guest)
}

fn explain_relation(
    j: &mut Judged,
    relation: &Relation,
    c: &Candidate<'_>,
    g: &SpecGrant,
    generalised: &str,
    verb: Verb,
) {
    let grant = grant_ref(c, g);
    let gtext = grant.text.clone();
    let role = format!(
        "role {} (pool {}, stack {})",
        c.view.role, c.view.pool, c.stack.compiled.loaded.spec.stack
    );
    j.grant = Some(grant);
    let scope_change = |j: &mut Judged| j.change = Some(scope_change(c, g, generalised));
    match relation {
        Relation::Matches => {
            j.cause = "granted";
            j.why = format!(
                "`{gtext}` of {role} covers it in MQTT terms, yet the generated policies refuse it: please report this to cogsynth with the spec"
            );
        }
        Relation::AnotherIdentity { level, found } => {
            j.cause = "another-identity";
            j.verdict = Verdict::Intended;
            j.why = if *level == 0 {
                format!(
                    "the client id is identity {found}'s id, not the caller's: `{gtext}` lets each identity connect only as itself, so one cannot knock another off the broker"
                )
            } else {
                format!(
                    "level {level} is identity {found}'s id where `{gtext}` has the caller's own: another identity's topic"
                )
            };
        }
        Relation::WildcardForIdentity { level, wildcard } => {
            j.cause = "wildcard-for-identity";
            j.verdict = Verdict::Intended;
            j.why = format!(
                "level {level} is `{wildcard}` where `{gtext}` has the caller's identity id: a policy matches `+` and `#` in a filter literally, never as \"my own id\", and the filter would reach every identity's topics"
            );
            j.app = Some(format!(
                "put the identity id in level {level}: `{generalised}`"
            ));
        }
        Relation::ClientIdNotIdentity => {
            j.cause = "client-id-not-identity-id";
            j.verdict = Verdict::Intended;
            j.why = format!(
                "the client id is not of the form `{}` that {role} connects with (`{gtext}`): the spec pins client ids to identity ids so that one identity cannot knock another off the broker",
                g.target
            );
            j.app = Some(if g.target == IDENTITY {
                "connect with the identity id as the client id".to_owned()
            } else {
                format!(
                    "connect with client id `{}`, the identity id in place of `${{identity}}`",
                    g.target
                )
            });
        }
        Relation::ActionNotGranted { granted } => {
            j.cause = "action-not-granted";
            j.verdict = Verdict::Intended;
            j.why = format!(
                "the spec grants this topic to {role} for `{granted}` only (`{gtext}`), not for `{verb}`"
            );
            scope_change(j);
        }
        Relation::FilterOverGrant { topics_only } => {
            j.cause = "filter-over-topics";
            j.verdict = Verdict::Contradicts;
            j.why = if *topics_only {
                format!(
                    "a wildcard filter where {role} was granted the topic only (`{gtext}`): a subscription is allowed for the granted filter and narrower ones, never a wider one"
                )
            } else {
                format!(
                    "a filter wider than `{gtext}` of {role}: a subscription is allowed for the granted filter and narrower ones, never a wider one"
                )
            };
            j.app = Some(format!("subscribe to `{}` itself", g.target));
            scope_change(j);
        }
        Relation::DiffersByALevel { how } => {
            j.cause = "topic-differs-by-a-level";
            j.verdict = Verdict::Contradicts;
            j.why = format!("it differs from `{gtext}` of {role} by one level: {how}");
            j.app = Some(format!("use the granted topic `{}`", g.target));
            scope_change(j);
        }
        Relation::IdentityUnknown { found } => {
            j.cause = "identity-unknown";
            j.why = format!(
                "it names identity {found} where `{gtext}` has the caller's own id, and the log does not say who the caller is (the principal is not an identity id and the client id does not name one)"
            );
        }
    }
}

/// Add `generalised` to the scope of grant `g` (or to the role, for its default grant).
fn scope_change(c: &Candidate<'_>, g: &SpecGrant, generalised: &str) -> Change {
    match &g.scope {
        Some(scope) => Change {
            grant: generalised.to_owned(),
            into: format!("topic scope {scope}"),
            place: place(
                c.stack,
                &format!("/topic_scopes/{}", crate::source::escape_token(scope)),
            ),
        },
        None => role_change(c, generalised),
    }
}

fn role_change(c: &Candidate<'_>, generalised: &str) -> Change {
    Change {
        grant: generalised.to_owned(),
        into: format!("a topic scope of role {}", c.view.role),
        place: place(
            c.stack,
            &format!(
                "/roles/{}/scopes",
                crate::source::escape_token(&c.view.role)
            ),
        ),
    }
}

fn not_granted(j: &mut Judged, cands: &[Candidate<'_>], generalised: &str, verb: Verb) {
    j.cause = "not-granted";
    j.verdict = Verdict::Contradicts;
    j.why = format!(
        "no role of the spec grants anything close to `{generalised}`: no statement allows it"
    );
    // Suggest the signed-in role when the request is about the caller's own topics, or when
    // there is no guest role.
    let pick = cands
        .iter()
        .find(|c| c.view.identities == Identities::Authenticated)
        .or(cands.first());
    if let Some(c) = pick {
        if verb != Verb::Connect {
            j.change = Some(role_change(c, generalised));
        }
    }
}
