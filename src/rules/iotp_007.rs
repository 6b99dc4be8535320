//! CIP-IOTP-007: in a per-identity resource, no `*` or `?` may come before the identity id:
//! `a/*/${sub}` also matches `a/<someone else>/.../${sub}`, reaching into other identities'
//! subtrees; put wildcards after the identity (`a/${sub}/*`). In specs this is a `+` before
//! `${identity}`. Anchors: Device Defender compliant examples (wildcards only after the identity
//! variable), docs/security-rules.md M5.

use super::helpers::spans_identities;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::mqtt::POLICY_IDENTITY;

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-IOTP-007",
    severity: Severity::Error,
    summary: "a wildcard comes before the identity id in a per-identity resource",
    rationale: "`a/*/${sub}` matches topics inside other identities' subtrees; wildcards belong after the identity (Device Defender compliant examples).",
    check,
};

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    ctx.iot_resources()
        .filter(|(_, _, _, name)| name.contains(POLICY_IDENTITY) && spans_identities(name))
        .map(|(s, r, _, _)| {
            Finding::at_cause(
                ctx,
                s,
                r,
                "puts a wildcard before the identity id, so its policy resources also match other identities' topics",
                "move the identity level first, e.g. `rooms/${identity}/+` instead of `rooms/+/${identity}`",
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings};
    use super::*;

    #[test]
    fn fires_on_a_plus_before_the_identity() {
        let f = findings(
            &RULE,
            &SPEC.replace("[\"d/${identity}/t\"]", "[\"d/+/${identity}\"]"),
            |_| {},
        );
        assert_eq!(f.len(), 2, "IAM role and IoT policy: {f:?}");
    }

    #[test]
    fn passes_on_wildcards_after_the_identity() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
