//! CIP-TRUST-002: each pool role must be pinned to its kind of identity with
//! `ForAnyValue:StringLike cognito-identity.amazonaws.com:amr` = `authenticated` or
//! `unauthenticated`, matching how the pool's role attachment uses it, and no role may serve both
//! kinds: otherwise a guest token can assume the signed-in role (classic flow, role confusion).
//! Anchors: Cognito role trust docs; docs/security-rules.md §6.7.

use serde_json::Value;

use super::helpers::cognito_trust;
use super::{Context, Finding, Rule};
use crate::diag::Severity;
use crate::policy::doc::{AMR_KEY, Identities};

/// The rule.
pub(super) static RULE: Rule = Rule {
    id: "CIP-TRUST-002",
    severity: Severity::Error,
    summary: "role trust not pinned to one kind of identity (amr), or one role for both kinds",
    rationale: "A guest token carries amr unauthenticated; a signed-in role whose trust lacks the amr condition can be assumed by guests (Cognito trust docs; role-confusion write-ups).",
    check,
};

/// How role attachments use each role: logical id → kinds.
fn attached_as(ctx: &Context<'_>) -> Vec<(String, &'static str)> {
    let mut out = Vec::new();
    for (_, r) in ctx.resources("AWS::Cognito::IdentityPoolRoleAttachment") {
        for kind in Identities::ALL.map(Identities::amr) {
            if let Some(role) = r
                .pointer(&format!("/Properties/Roles/{kind}/Fn::GetAtt/0"))
                .and_then(Value::as_str)
            {
                out.push((role.to_owned(), kind));
            }
        }
        // Roles the mapping rules give go to signed-in identities.
        let rules = r
            .pointer("/Properties/RoleMappings")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|m| m.values())
            .filter_map(|m| {
                m.pointer("/RulesConfiguration/Rules")
                    .and_then(Value::as_array)
            })
            .flatten();
        for rule in rules {
            if let Some(role) = rule
                .pointer("/RoleARN/Fn::GetAtt/0")
                .and_then(Value::as_str)
            {
                let entry = (role.to_owned(), Identities::Authenticated.amr());
                if !out.contains(&entry) {
                    out.push(entry);
                }
            }
        }
    }
    out
}

fn check(ctx: &Context<'_>) -> Vec<Finding> {
    let uses = attached_as(ctx);
    let mut out = Vec::new();
    for (id, statement) in cognito_trust(ctx) {
        let amr = statement
            .pointer(&format!("/Condition/ForAnyValue:StringLike/{AMR_KEY}"))
            .and_then(Value::as_str);
        let kinds: Vec<&str> = uses
            .iter()
            .filter(|(r, _)| r == id)
            .map(|(_, k)| *k)
            .collect();
        let problem = match (amr, kinds.as_slice()) {
            (_, [_, _, ..]) => Some(format!(
                "role {id} serves both signed-in identities and guests"
            )),
            (None, _) => Some(format!(
                "role {id} trusts Cognito identities without an `amr` condition"
            )),
            (Some(a), [k]) if a != *k => Some(format!(
                "role {id} is attached for {k} identities but its trust admits amr `{a}`"
            )),
            (Some(a), _) if Identities::from_amr(a).is_none() => {
                Some(format!("role {id} trusts amr `{a}`"))
            }
            _ => None,
        };
        if let Some(message) = problem {
            out.push(Finding::new(
                ctx.pointer_of(id),
                message,
                "give each kind its own role with `ForAnyValue:StringLike: { cognito-identity.amazonaws.com:amr: authenticated }` (or `unauthenticated`)",
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{SPEC, findings, props};
    use super::*;

    #[test]
    fn fires_without_amr_on_a_mismatch_and_for_one_role_for_both() {
        let f = findings(&RULE, SPEC, |t| {
            let c = &mut props(t, "AppAuthenticatedRole")["AssumeRolePolicyDocument"]["Statement"]
                [0]["Condition"];
            c.as_object_mut().unwrap().remove("ForAnyValue:StringLike");
        });
        assert_eq!(f.len(), 1, "{f:?}");
        let f = findings(&RULE, SPEC, |t| {
            let c = &mut props(t, "AppAuthenticatedRole")["AssumeRolePolicyDocument"]["Statement"]
                [0]["Condition"];
            c["ForAnyValue:StringLike"]["cognito-identity.amazonaws.com:amr"] =
                "unauthenticated".into();
        });
        assert_eq!(
            f[0].message,
            "role AppAuthenticatedRole is attached for authenticated identities but its trust admits amr `unauthenticated`"
        );
        let f = findings(&RULE, SPEC, |t| {
            props(t, "AppRoleAttachment")["Roles"]["unauthenticated"]["Fn::GetAtt"][0] =
                "AppAuthenticatedRole".into();
        });
        assert!(
            f.iter().any(|f| f.message
                == "role AppAuthenticatedRole serves both signed-in identities and guests"),
            "{f:?}"
        );
    }

    #[test]
    fn passes_on_what_synth_emits() {
        assert!(findings(&RULE, SPEC, |_| {}).is_empty());
    }
}
