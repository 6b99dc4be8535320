//! How a refused request relates to one grant of the spec, in MQTT terms: covered, another
//! identity's or a wildcard where the grant has `${identity}`, a client id not of the grant's
//! form, the same topic for another action, a filter wider than the grant, one level changed,
//! added or missing; compared level by level (`+`, `#` and `${identity}` as MQTT and the spec
//! mean them). Also the request written back in spec terms (`${identity}` for the caller's id).
//! Must not: evaluate policies, read log entries, or word an explanation or verdict (`judge`
//! does).

use crate::manifest::SpecGrant;
use crate::mqtt::IDENTITY;
use crate::policy::eval::{Request, Verb};

use super::principal::identity_shaped;

/// The request with the caller's identity id written as `${identity}`, as a spec would grant it.
pub fn generalise(request: &Request, id: Option<&str>) -> String {
    let target = match id {
        Some(id) if request.verb == Verb::Connect => request.target.replace(id, IDENTITY),
        Some(id) => request
            .target
            .split('/')
            .map(|l| if l == id { IDENTITY } else { l })
            .collect::<Vec<_>>()
            .join("/"),
        None => request.target.clone(),
    };
    format!("{} {target}", request.verb)
}

/// How a request relates to one grant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Relation {
    /// The grant covers it (MQTT terms).
    Matches,
    /// Level `level` (1-based; 0 for a client id) holds identity `found`, not the caller's.
    AnotherIdentity { level: usize, found: String },
    /// Level `level` holds `+` or `#` where the grant has `${identity}`.
    WildcardForIdentity { level: usize, wildcard: String },
    /// The client id is not of the grant's form.
    ClientIdNotIdentity,
    /// The same topic is granted for `granted` only.
    ActionNotGranted { granted: Verb },
    /// A filter wider than the granted filter or topic.
    FilterOverGrant { topics_only: bool },
    /// One level differs.
    DiffersByALevel { how: String },
    /// A level where the grant has `${identity}` names an identity, and the caller is unknown.
    IdentityUnknown { found: String },
}

impl Relation {
    /// How close the relation is: the lowest rank explains a refusal best.
    pub fn rank(&self) -> u8 {
        match self {
            Relation::Matches => 0,
            Relation::AnotherIdentity { .. } => 1,
            Relation::WildcardForIdentity { .. } => 2,
            Relation::ClientIdNotIdentity => 3,
            Relation::ActionNotGranted { .. } => 4,
            Relation::FilterOverGrant { .. } => 5,
            Relation::DiffersByALevel { .. } => 6,
            Relation::IdentityUnknown { .. } => 7,
        }
    }
}

fn verbs_fit(request: Verb, grant: Verb) -> bool {
    request == grant || (request == Verb::Receive && grant == Verb::Subscribe)
}

/// One level of a grant against one level of the request.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Level {
    Same,
    Other,
    AnotherIdentity(String),
    Wildcard(String),
    Unknown(String),
}

fn level(grant: &str, got: &str, id: Option<&str>) -> Level {
    if grant == "+" || grant == got {
        return Level::Same;
    }
    let Some((prefix, suffix)) = grant.split_once(IDENTITY) else {
        return Level::Other;
    };
    if got == "+" || got == "#" {
        return Level::Wildcard(got.to_owned());
    }
    let middle = got
        .strip_prefix(prefix)
        .and_then(|r| r.strip_suffix(suffix));
    match (middle, id) {
        (Some(m), Some(id)) if m == id => Level::Same,
        (Some(m), Some(_)) if identity_shaped(m) => Level::AnotherIdentity(m.to_owned()),
        (Some(m), None) if identity_shaped(m) => Level::Unknown(m.to_owned()),
        _ => Level::Other,
    }
}

/// Compares `request` with grant `g` in MQTT terms; `None` when they have nothing in common.
pub fn relate(request: &Request, id: Option<&str>, g: &SpecGrant) -> Option<Relation> {
    if request.verb == Verb::Connect {
        if g.verb != Verb::Connect {
            return None;
        }
        return match level(&g.target, &request.target, id) {
            Level::Same => Some(Relation::Matches),
            Level::AnotherIdentity(found) => Some(Relation::AnotherIdentity { level: 0, found }),
            Level::Unknown(found) => Some(Relation::IdentityUnknown { found }),
            _ if g.target.contains(IDENTITY) => Some(Relation::ClientIdNotIdentity),
            _ => None,
        };
    }
    if g.verb == Verb::Connect {
        return None;
    }
    let want: Vec<&str> = g.target.split('/').collect();
    let got: Vec<&str> = request.target.split('/').collect();
    let fits = verbs_fit(request.verb, g.verb);
    if !fits {
        // The same topic granted for another action only.
        return (compare(&want, &got, id).is_full())
            .then_some(Relation::ActionNotGranted { granted: g.verb });
    }
    let cmp = compare(&want, &got, id);
    if cmp.is_full() {
        return Some(Relation::Matches);
    }
    if let Some(r) = cmp.single_special() {
        return Some(r);
    }
    if request.verb == Verb::Subscribe
        && request.target.split('/').any(|l| l == "+" || l == "#")
        && overlaps(&got, &want, id)
    {
        let topics_only = !g.target.split('/').any(|l| l == "+" || l == "#");
        return Some(Relation::FilterOverGrant { topics_only });
    }
    differs_by_a_level(&want, &got, id).map(|how| Relation::DiffersByALevel { how })
}

/// Level-by-level comparison of a grant with a request of the same length (or covered by `#`).
struct Compared {
    levels: Vec<(usize, Level)>,
    length_ok: bool,
}

impl Compared {
    fn is_full(&self) -> bool {
        self.length_ok && self.levels.iter().all(|(_, l)| *l == Level::Same)
    }

    fn single_special(&self) -> Option<Relation> {
        if !self.length_ok {
            return None;
        }
        let odd: Vec<&(usize, Level)> = self
            .levels
            .iter()
            .filter(|(_, l)| *l != Level::Same)
            .collect();
        match odd.as_slice() {
            [(i, Level::AnotherIdentity(found))] => Some(Relation::AnotherIdentity {
                level: *i,
                found: found.clone(),
            }),
            [(i, Level::Wildcard(w))] => Some(Relation::WildcardForIdentity {
                level: *i,
                wildcard: w.clone(),
            }),
            [(_, Level::Unknown(found))] => Some(Relation::IdentityUnknown {
                found: found.clone(),
            }),
            _ => None,
        }
    }
}

fn compare(want: &[&str], got: &[&str], id: Option<&str>) -> Compared {
    let mut levels = Vec::new();
    for (i, w) in want.iter().enumerate() {
        if *w == "#" && i + 1 == want.len() {
            // `a/#` covers `a` and everything below; a request `#` at the same place is equal.
            return Compared {
                levels,
                length_ok: got.len() >= i,
            };
        }
        match got.get(i) {
            Some(g) => levels.push((i + 1, level(w, g, id))),
            None => {
                return Compared {
                    levels,
                    length_ok: false,
                };
            }
        }
    }
    Compared {
        levels,
        length_ok: got.len() == want.len(),
    }
}

/// True when some topic matches both filters (MQTT terms; `${identity}` levels match the
/// caller's id or a wildcard).
fn overlaps(first: &[&str], second: &[&str], id: Option<&str>) -> bool {
    let mut at = 0;
    loop {
        match (first.get(at), second.get(at)) {
            (Some(&"#"), _) | (_, Some(&"#")) | (None, None) => return true,
            (Some(x), Some(y)) => {
                let same = *x == "+"
                    || *y == "+"
                    || x == y
                    || matches!(level(y, x, id), Level::Same | Level::Wildcard(_))
                    || matches!(level(x, y, id), Level::Same | Level::Wildcard(_));
                if !same {
                    return false;
                }
            }
            _ => return false,
        }
        at += 1;
    }
}

/// `level 3 is "telemetri", the grant has "telemetry"` and the like, when exactly one level is
/// changed, added or missing.
fn differs_by_a_level(want: &[&str], got: &[&str], id: Option<&str>) -> Option<String> {
    let same = |w: &[&str], g: &[&str]| compare(w, g, id).is_full();
    if want.len() == got.len() {
        let c = compare(want, got, id);
        let odd: Vec<&(usize, Level)> =
            c.levels.iter().filter(|(_, l)| *l != Level::Same).collect();
        if let [(i, Level::Other)] = odd.as_slice() {
            return Some(format!(
                "level {i} is `{}` where the grant has `{}`",
                got[i - 1],
                want[i - 1]
            ));
        }
        return None;
    }
    if got.len() == want.len() + 1 && !want.contains(&"#") {
        for i in 0..got.len() {
            let mut fewer = got.to_vec();
            fewer.remove(i);
            if same(want, &fewer) {
                return Some(format!(
                    "level {} (`{}`) is not in the grant",
                    i + 1,
                    got[i]
                ));
            }
        }
    }
    if got.len() + 1 == want.len() {
        for i in 0..want.len() {
            let mut fewer = want.to_vec();
            fewer.remove(i);
            if !fewer.contains(&"#") && same(&fewer, got) {
                return Some(format!(
                    "the grant has one more level: `{}` at level {}",
                    want[i],
                    i + 1
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(verb: Verb, target: &str) -> SpecGrant {
        SpecGrant {
            verb,
            target: target.into(),
            scope: Some("s".into()),
            pointer: "/topic_scopes/s".into(),
            exact: true,
        }
    }

    fn rel(verb: Verb, target: &str, id: Option<&str>, g: &SpecGrant) -> Option<Relation> {
        relate(
            &Request {
                verb,
                target: target.into(),
            },
            id,
            g,
        )
    }

    #[test]
    fn relations_name_the_common_causes() {
        let me = Some("us-east-1:1111");
        let tele = grant(Verb::Publish, "devices/${identity}/telemetry");
        assert_eq!(
            rel(Verb::Publish, "devices/us-east-1:1111/telemetry", me, &tele),
            Some(Relation::Matches)
        );
        assert_eq!(
            rel(Verb::Publish, "devices/us-east-1:2222/telemetry", me, &tele),
            Some(Relation::AnotherIdentity {
                level: 2,
                found: "us-east-1:2222".into()
            })
        );
        assert!(matches!(
            rel(
                Verb::Publish,
                "devices/us-east-1:1111/telemetry/extra",
                me,
                &tele
            ),
            Some(Relation::DiffersByALevel { .. })
        ));
        assert!(matches!(
            rel(Verb::Publish, "devices/us-east-1:1111/telemetri", me, &tele),
            Some(Relation::DiffersByALevel { .. })
        ));
        assert!(matches!(
            rel(Verb::Publish, "devices/telemetry", me, &tele),
            Some(Relation::DiffersByALevel { .. })
        ));
        assert_eq!(rel(Verb::Publish, "chat/room", me, &tele), None);
        assert_eq!(
            rel(
                Verb::Subscribe,
                "devices/us-east-1:1111/telemetry",
                me,
                &tele
            ),
            Some(Relation::ActionNotGranted {
                granted: Verb::Publish
            })
        );
        let cmds = grant(Verb::Subscribe, "devices/${identity}/commands/#");
        assert_eq!(
            rel(Verb::Subscribe, "devices/+/commands/#", me, &cmds),
            Some(Relation::WildcardForIdentity {
                level: 2,
                wildcard: "+".into()
            })
        );
        assert_eq!(
            rel(
                Verb::Receive,
                "devices/us-east-1:1111/commands/x",
                me,
                &cmds
            ),
            Some(Relation::Matches),
            "subscribe implies receive"
        );
        let news = grant(Verb::Subscribe, "fleet/news/outage");
        assert_eq!(
            rel(Verb::Subscribe, "fleet/news/#", me, &news),
            Some(Relation::FilterOverGrant { topics_only: true })
        );
        let all_news = grant(Verb::Subscribe, "fleet/news/#");
        assert_eq!(
            rel(Verb::Subscribe, "fleet/#", me, &all_news),
            Some(Relation::FilterOverGrant { topics_only: false })
        );
        let connect = grant(Verb::Connect, "${identity}");
        assert_eq!(
            rel(Verb::Connect, "mqttjs_abc", None, &connect),
            Some(Relation::ClientIdNotIdentity)
        );
        assert_eq!(
            rel(Verb::Connect, "us-east-1:2222", me, &connect),
            Some(Relation::AnotherIdentity {
                level: 0,
                found: "us-east-1:2222".into()
            })
        );
        assert_eq!(
            rel(
                Verb::Publish,
                "devices/us-east-1:2222/telemetry",
                None,
                &tele
            ),
            Some(Relation::IdentityUnknown {
                found: "us-east-1:2222".into()
            })
        );
    }

    #[test]
    fn generalising_puts_the_placeholder_back() {
        let r = Request {
            verb: Verb::Publish,
            target: "d/us-east-1:1/x/us-east-1:1".into(),
        };
        assert_eq!(
            generalise(&r, Some("us-east-1:1")),
            "publish d/${identity}/x/${identity}"
        );
        assert_eq!(generalise(&r, None), "publish d/us-east-1:1/x/us-east-1:1");
    }
}
