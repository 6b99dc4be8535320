//! CIP-UNAUTH-003: guest publish, subscribe and receive must not span other identities' topics
//! (a `*` or `?` that is not after the guest's own identity id) or AWS-reserved `$aws/` topics
//! (shadows, jobs, rules). Anchors: Device Defender UNAUTHENTICATED check
//! (ALLOWS_BROAD_ACCESS_TO_IOT_DATA_PLANE_ACTIONS), the Molekule disclosure (docs/security-rules.md §6.5).

use super::helpers::spans_identities;
use super::{Context, Finding, Rule};
use crate::arn::iot_resource;
use crate::diag::Severity;
use crate::policy::doc::Identities;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-UNAUTH-003",
    severity: Severity::Error,
    summary: "guest role reaches topics across identities or AWS-reserved $aws/ topics",
    rationale: "Guests are strangers: a wildcard topic grant lets them read or write every device's data (Device Defender UNAUTHENTICATED check; Molekule 2026).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    for (v, s) in ctx.allows(Identities::Unauthenticated) {
        for r in &s.resources {
            let Some((_, name)) = iot_resource(r).filter(|(kind, _)| *kind != "client") else {
                continue;
            };
            let why = if name.starts_with("$aws/") {
                "an AWS-reserved topic"
            } else if spans_identities(name) {
                "a wildcard that spans every identity's topics"
            } else {
                continue;
            };
            out.push(Finding::at_cause(
                ctx,
                s,
                r,
                format!("gives guests of identity pool `{}` {why}", v.pool),
                "give guests exact topics, or topics under their own `${identity}`",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings};
    use super::*;

    #[test]
    fn fires_on_wildcards_and_reserved_topics() {
        let wide = SPEC.replace(
            "    publish: [lobby/hello]",
            "    publish: [\"lobby/#\", \"$aws/things/x/shadow/update\"]",
        );
        let f = findings(&RULE, &wide, |_| {});
        assert_eq!(f.len(), 2, "{f:?}");
        assert!(
            f.iter()
                .any(|f| f.message.ends_with("an AWS-reserved topic"))
        );
        assert!(f.iter().any(|f| {
            f.message
                .starts_with("`publish lobby/#` (topic scope `lobby`) gives guests")
                && f.message
                    .ends_with("a wildcard that spans every identity's topics")
                && f.pointer == "/topic_scopes/lobby/publish/0"
        }));
    }

    #[test]
    fn fires_on_guest_shadows_at_the_shadow_entry() {
        let shadows = SPEC.replace(
            "    publish: [lobby/hello]",
            "    shadows: [{ thing: lobby-screen, access: read }]",
        );
        let f = findings(&RULE, &shadows, |_| {});
        assert!(!f.is_empty());
        assert!(
            f.iter()
                .all(|f| f.pointer == "/topic_scopes/lobby/shadows/0"
                    && f.message.starts_with("the classic shadow of thing `lobby-screen` (topic scope `lobby`) gives guests of identity pool `app`")
                    && f.message.ends_with("an AWS-reserved topic")),
            "{f:?}"
        );
        // Every action shows in the statements the finding names (one finding once merged).
        let actions: Vec<&str> = ["\"Publish\"", "\"Subscribe\"", "\"Receive\""]
            .into_iter()
            .filter(|a| {
                f.iter()
                    .any(|f| f.places.iter().any(|(_, s)| s.contains(a)))
            })
            .collect();
        assert_eq!(actions.len(), 3, "{f:?}");
    }

    #[test]
    fn passes_on_exact_topics_and_own_subtrees() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
        let own = SPEC.replace(
            "    publish: [lobby/hello]",
            "    publish: [\"guests/${identity}/#\"]",
        );
        assert!(findings(&RULE, &own, |_| {}).is_empty());
        assert!(spans_identities(
            "a/*/${cognito-identity.amazonaws.com:sub}"
        ));
        assert!(!spans_identities(
            "a/${cognito-identity.amazonaws.com:sub}/*"
        ));
    }
}
