//! CIP-IOTP-010: a broadened grant (an MQTT `+` translated to a policy `*`, which also crosses
//! topic levels) must not match any topic inside another identity's `${identity}` subtree that
//! the pool grants anywhere: in any scope, any role, either layer. `rooms/${identity}/#` with
//! `subscribe rooms/+/public` lets identity A subscribe to `rooms/<B>/private/public`: the
//! `rooms/*/public` the policy holds reaches into B's private subtree. CIP-IOTP-007 (a wildcard
//! before the identity in one resource) and CIP-UNAUTH-003 (any wildcard spanning identities on
//! a guest role) report their own cases; this rule finds the reach that only shows when two
//! grants are read together. Anchors: PRODUCT.md promise 1 (isolation by any route),
//! docs/security-rules.md M5 (translate, never copy, MQTT wildcards), docs/aws-facts.md §3.3
//! (`*` crosses levels).

use std::collections::BTreeMap;

use super::helpers::spans_identities;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::mqtt::{IDENTITY, POLICY_IDENTITY};
use crate::policy::Grants;
use crate::policy::overlap::{ANOTHER, CALLER, leaked_topic};

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-010",
    severity: Severity::Error,
    summary: "a broadened wildcard reaches into another identity's `${identity}` subtree",
    rationale: "A `+` becomes `*`, which also matches several levels: next to a per-identity subtree granted anywhere in the pool, it lets one identity use another's private topics (docs/security-rules.md M5; docs/aws-facts.md §3.3).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let spec = &ctx.compiled.loaded.spec;
    let mut out = Vec::new();
    for (pool_name, pool) in &spec.identity_pools {
        let mut roles: Vec<(&str, bool)> = pool
            .signed_in_roles()
            .into_iter()
            .map(|r| (r, false))
            .collect();
        if let Some(g) = &pool.unauthenticated {
            roles.push((g.role.as_str(), true));
        }
        let grants: Vec<(&str, bool, Grants)> = roles
            .iter()
            .map(|&(r, guest)| (r, guest, Grants::of_role(spec, r)))
            .collect();
        // Every per-identity topic or filter the pool grants, by any role (`rooms/${identity}/*`),
        // with the spec entry it came from.
        let subtrees: Vec<(&str, String)> = grants
            .iter()
            .flat_map(|(_, _, g)| {
                g.publish
                    .iter()
                    .chain(&g.subscribe)
                    .chain(&g.receive)
                    .filter_map(move |r| {
                        let (_, name) = r.split_once('/')?;
                        let origin = g.origins.get(r)?.iter().min_by_key(|p| ctx.at(p))?;
                        name.contains(IDENTITY)
                            .then(|| (name, ctx.cause_words(origin)))
                    })
            })
            .collect();
        // One finding per broadened spec entry, with every resource it reaches through.
        let mut found: BTreeMap<String, Finding> = BTreeMap::new();
        for (role, guest, g) in &grants {
            for b in &g.broadened {
                let Some((_, name)) = b.resource.split_once('/') else {
                    continue;
                };
                let in_policy = name.replace(IDENTITY, POLICY_IDENTITY);
                // CIP-IOTP-007 and CIP-UNAUTH-003 report these, each once.
                if spans_identities(&in_policy) && (*guest || in_policy.contains(POLICY_IDENTITY)) {
                    continue;
                }
                // `subscribe rooms/+/public` → `rooms/+/public`: what the spec meant.
                let meant = b.grant.split_once(' ').map_or("", |(_, t)| t);
                let Some((leak, subtree)) = subtrees.iter().find_map(|(s, from)| {
                    leaked_topic(name, s, Some(meant)).map(|leak| (leak, from))
                }) else {
                    continue;
                };
                let pointer = g
                    .origins
                    .get(&b.resource)
                    .and_then(|p| p.iter().min_by_key(|p| ctx.at(p)))
                    .cloned()
                    .unwrap_or_else(|| ctx.role_pointer(role));
                let place = format!("role {role} of identity pool {pool_name}");
                found
                    .entry(pointer.clone())
                    .or_insert_with(|| {
                        Finding::new(
                            pointer.clone(),
                            format!(
                                "{} also reaches another identity's topics: `*` crosses levels, so for identity {CALLER} it allows `{leak}`, which is identity {ANOTHER}'s by {subtree}",
                                ctx.cause_words(&pointer)
                            ),
                            "name the level exactly instead of `+`, or move the shared topics out from under the per-identity prefix (e.g. `rooms/public/+` beside `rooms/${identity}/#`)",
                        )
                    })
                    .places
                    .push((b.resource.clone(), place));
            }
        }
        out.extend(found.into_values());
    }
    out
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
            ["topic/rooms/*/public", "topicfilter/rooms/*/public"]
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
        for shared in ["\"lobby/+/public\"", "\"rooms/public/+\"", "\"rooms/#\""] {
            let spec = ROOMS.replace("\"rooms/+/public\"", shared);
            assert!(findings(&RULE, &spec, |_| {}).is_empty(), "{shared}");
        }
        // A `+` after the caller's own identity stays in the caller's subtree.
        let own = ROOMS.replace("\"rooms/+/public\"", "\"rooms/${identity}/+/public\"");
        assert!(findings(&RULE, &own, |_| {}).is_empty());
    }

    #[test]
    fn leaves_a_wildcard_before_the_identity_to_cip_iotp_007() {
        let spec = ROOMS.replace("\"rooms/+/public\"", "\"+/${identity}/x\"");
        assert!(findings(&RULE, &spec, |_| {}).is_empty());
    }
}
