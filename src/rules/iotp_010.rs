//! CIP-IOTP-010: a broadened grant (an MQTT `+` translated to a policy `*`, which also crosses
//! topic levels) must not match any topic inside another identity's `${identity}` subtree that
//! the pool grants anywhere: in any scope, any role, either layer. `rooms/${identity}/#` with
//! `subscribe rooms/+/public` lets identity A subscribe to `rooms/<B>/private/public`: the
//! `rooms/*/public` the policy holds reaches into B's private subtree. CIP-IOTP-007 (a wildcard
//! before the identity in one resource) and CIP-UNAUTH-003 (any wildcard spanning identities on
//! a guest role) report their own cases; this rule finds the reach that only shows when two
//! grants are read together, across roles and across the spec's identity pools (they share the
//! account's topic namespace). A grant that reaches such a topic exactly as written (`rooms/#`
//! beside `rooms/${identity}/#`) is a warning: the spec says so, but the subtree is not private.
//! Anchors: PRODUCT.md promise 1 (isolation by any route),
//! docs/security-rules.md M5 (translate, never copy, MQTT wildcards), docs/aws-facts.md §3.3
//! (`*` crosses levels).

use std::collections::BTreeMap;

use super::helpers::spans_identities;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::Grants;
use crate::policy::overlap::{ANOTHER, CALLER, Subtrees};

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-010",
    severity: Severity::Error,
    summary: "a broadened wildcard reaches into another identity's `${identity}` subtree",
    rationale: "A `+` becomes `*`, which also matches several levels: next to a per-identity subtree granted by any pool of the spec, it lets one identity use another's private topics (docs/security-rules.md M5; docs/aws-facts.md §3.3). A grant that reaches them as written warns.",
    check,
};

/// Every role any pool of the spec uses, with whether it serves guests.
fn pool_roles(ctx: &Context<'_>) -> Vec<(String, String, bool)> {
    let spec = &ctx.compiled.loaded.spec;
    let mut roles = Vec::new();
    for (pool_name, pool) in &spec.identity_pools {
        for role in pool.signed_in_roles() {
            roles.push((pool_name.clone(), role.to_owned(), false));
        }
        if let Some(g) = &pool.unauthenticated {
            roles.push((pool_name.clone(), g.role.clone(), true));
        }
    }
    roles
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let spec = &ctx.compiled.loaded.spec;
    let roles = pool_roles(ctx);
    let grants: BTreeMap<&str, Grants> = roles
        .iter()
        .map(|(_, r, _)| (r.as_str(), Grants::of_role(spec, r)))
        .collect();
    // Every per-identity topic or filter granted by any role of any pool (`rooms/${identity}/*`),
    // with the spec entry it came from: all pools of an account and region share one topic
    // namespace, so another pool's identities' topics count as much as this pool's.
    let mut named: BTreeMap<&str, String> = BTreeMap::new();
    for g in grants.values() {
        for r in g.publish.iter().chain(&g.subscribe).chain(&g.receive) {
            let Some((_, name)) = r.split_once('/').filter(|(_, n)| n.contains(IDENTITY)) else {
                continue;
            };
            // `+/${identity}` reaches across identities itself (CIP-IOTP-007): it is no one's
            // private subtree.
            if spans_identities(&name.replace(IDENTITY, POLICY_IDENTITY)) {
                continue;
            }
            if let Some(origin) = g
                .origins
                .get(r)
                .and_then(|o| o.iter().min_by_key(|p| ctx.at(p)))
            {
                named.entry(name).or_insert_with(|| ctx.cause_words(origin));
            }
        }
    }
    let subtrees = Subtrees::new(named.into_iter().map(|(n, from)| (n.to_owned(), from)));
    // One finding per spec entry, with every resource it reaches through.
    let mut found: BTreeMap<String, Finding> = BTreeMap::new();
    for (pool_name, role, guest) in &roles {
        let g = &grants[role.as_str()];
        let broadened: BTreeMap<&str, &str> = g
            .broadened
            .iter()
            .map(|b| (b.resource.as_str(), b.grant.as_str()))
            .collect();
        for resource in g.publish.iter().chain(&g.subscribe).chain(&g.receive) {
            let Some((_, name)) = resource
                .split_once('/')
                .filter(|(_, n)| n.contains(['*', '?']))
            else {
                continue;
            };
            let in_policy = name.replace(IDENTITY, POLICY_IDENTITY);
            // CIP-IOTP-002 (everything), CIP-IOTP-007 and CIP-UNAUTH-003 report these, each once.
            if name.chars().all(|c| matches!(c, '*' | '?')) {
                continue;
            }
            if spans_identities(&in_policy) && (*guest || in_policy.contains(POLICY_IDENTITY)) {
                continue;
            }
            // `subscribe rooms/+/public` → `rooms/+/public`: what the spec meant. An exact
            // translation (`rooms/#` → `rooms/*`) meant all of what it matches.
            let meant = broadened
                .get(resource.as_str())
                .map(|grant| grant.split_once(' ').map_or("", |(_, t)| t));
            let Some((leak, subtree)) = subtrees.reached(name, meant) else {
                continue;
            };
            let pointer = g
                .origins
                .get(resource)
                .and_then(|p| p.iter().min_by_key(|p| ctx.at(p)))
                .cloned()
                .unwrap_or_else(|| ctx.role_pointer(role));
            let place = format!("role {role} of identity pool {pool_name}");
            found
                .entry(pointer.clone())
                .or_insert_with(|| finding(ctx, &pointer, meant.is_some(), &leak, subtree))
                .places
                .push((resource.clone(), place));
        }
    }
    found.into_values().collect()
}

/// The finding for a spec entry that reaches another identity's topic `leak`: an error when a
/// broadening (`+` → `*`) is what reaches it, a warning when the entry grants it as written
/// (`rooms/#` over `rooms/${identity}/…`: the spec says so, but those topics are not private).
fn finding(
    ctx: &Context<'_>,
    pointer: &str,
    broadened: bool,
    leak: &str,
    subtree: &str,
) -> Finding {
    let cause = ctx.cause_words(pointer);
    if broadened {
        return Finding::new(
            pointer,
            format!(
                "{cause} also reaches another identity's topics: `*` crosses levels, so for identity {CALLER} it allows `{leak}`, which is identity {ANOTHER}'s by {subtree}"
            ),
            "name the level exactly instead of `+`, or move the shared topics out from under the per-identity prefix (e.g. `rooms/public/+` beside `rooms/${identity}/#`)",
        );
    }
    let mut f = Finding::new(
        pointer,
        format!(
            "{cause} grants, as written, other identities' topics: for identity {CALLER} it allows `{leak}`, which is identity {ANOTHER}'s by {subtree}"
        ),
        "move the per-identity topics out from under this grant if they are meant to be private; if every identity may use them, waive CIP-IOTP-010 with that reason",
    );
    f.severity = Some(Severity::Warning);
    f
}

#[cfg(test)]
mod tests {
    use super::super::fixture::findings;
    use super::*;

    const ROOMS: &str = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    publish: [\"rooms/${identity}/#\"]\n    subscribe: [\"rooms/${identity}/#\"]\n  shared:\n    subscribe: [\"rooms/+/public\"]\nroles:\n  member: { scopes: [own, shared] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\n";

    #[test]
    fn fires_when_a_shared_plus_reaches_a_per_identity_subtree() {
        let f = findings(&RULE, ROOMS, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].pointer, "/topic_scopes/shared/subscribe/0");
        assert_eq!(
            f[0].message,
            "`subscribe rooms/+/public` (topic scope `shared`) also reaches another identity's topics: `*` crosses levels, so for identity us-east-1:1111 it allows `rooms/us-east-1:2222/x/public`, which is identity us-east-1:2222's by `publish rooms/${identity}/#` (topic scope `own`)"
        );
        // The filter and the topics it delivers: one cause, both resources.
        let resources: Vec<&str> = f[0].places.iter().map(|(r, _)| r.as_str()).collect();
        assert_eq!(
            resources,
            ["topicfilter/rooms/*/public", "topic/rooms/*/public"]
        );
    }

    #[test]
    fn fires_across_roles_of_one_pool() {
        // The guest role's exact topic is another identity's... no: guests hold the subtree, the
        // members hold the `+`; the reach is there all the same.
        let spec = "version: 1\nstack: s\ntopic_scopes:\n  mine:\n    publish: [\"inbox/${identity}/#\"]\n  wide:\n    subscribe: [\"inbox/+/urgent\"]\nroles:\n  member: { scopes: [wide] }\n  guest: { scopes: [mine] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\n    unauthenticated: { role: guest, reason: Guests keep an inbox of their own }\n";
        let f = findings(&RULE, spec, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert!(
            f[0].message.contains("`inbox/us-east-1:2222/x/urgent`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn passes_when_the_overlap_is_only_what_the_spec_says() {
        // Each identity's `rooms/<id>/public` is one topic; `rooms/+/public` meant exactly
        // those, and `*` adds nothing inside any identity's subtree.
        let spec = ROOMS
            .replace(
                "publish: [\"rooms/${identity}/#\"]",
                "publish: [\"rooms/${identity}/public\"]",
            )
            .replace(
                "subscribe: [\"rooms/${identity}/#\"]",
                "subscribe: [\"rooms/${identity}/public\"]",
            );
        assert!(findings(&RULE, &spec, |_| {}).is_empty());
    }

    #[test]
    fn passes_when_shared_topics_live_apart_or_levels_are_named() {
        for shared in ["\"lobby/+/public\"", "\"rooms/public/+\""] {
            let spec = ROOMS.replace("\"rooms/+/public\"", shared);
            assert!(findings(&RULE, &spec, |_| {}).is_empty(), "{shared}");
        }
        // A `+` after the caller's own identity stays in the caller's subtree.
        let own = ROOMS.replace("\"rooms/+/public\"", "\"rooms/${identity}/+/public\"");
        assert!(findings(&RULE, &own, |_| {}).is_empty());
    }

    #[test]
    fn fires_across_identity_pools_which_share_one_topic_namespace() {
        let spec = "version: 1\nstack: s\ntopic_scopes:\n  own:\n    subscribe: [\"rooms/${identity}/#\"]\n  shared:\n    subscribe: [\"rooms/+/public\"]\nroles:\n  member: { scopes: [own] }\n  partner: { scopes: [shared] }\nidentity_pools:\n  app:\n    user_pools: [{ user_pool_id: us-east-1_Abc, client_id: abc }]\n    authenticated: member\n  partners:\n    user_pools: [{ user_pool_id: us-east-1_Def, client_id: def }]\n    authenticated: partner\n";
        let f = findings(&RULE, spec, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, None, "an error");
        assert_eq!(f[0].places[0].1, "role partner of identity pool partners");
    }

    #[test]
    fn warns_when_a_grant_reaches_other_identities_as_written() {
        let spec = ROOMS.replace("\"rooms/+/public\"", "\"rooms/#\"");
        let f = findings(&RULE, &spec, |_| {});
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Some(Severity::Warning));
        assert!(
            f[0].message.starts_with("`subscribe rooms/#` (topic scope `shared`) grants, as written, other identities' topics: for identity us-east-1:1111 it allows `rooms/us-east-1:2222`"),
            "{}",
            f[0].message
        );
    }

    #[test]
    fn leaves_a_wildcard_before_the_identity_to_cip_iotp_007() {
        let spec = ROOMS.replace("\"rooms/+/public\"", "\"+/${identity}/x\"");
        let f = findings(&RULE, &spec, |_| {});
        assert!(f.is_empty(), "{f:#?}");
    }
}
