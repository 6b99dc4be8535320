//! Cognito's rule-based role mapping, read back out of a generated template (the
//! `RoleMappings` of each `AWS::Cognito::IdentityPoolRoleAttachment`) and applied to a signed-in
//! identity's token claims as Cognito applies it (docs/aws-facts.md §2.5): rules in order, the
//! first whose claim matches gives the role; no match gives the default authenticated role, or
//! no credentials (`Deny`). `simulate`, `expect` and `diff` use it, so they judge what was
//! emitted.
//!
//! Two readings are this module's, not AWS's words, and README says so: a claim with several
//! values (`cognito:groups`) matches `Equals`, `Contains` and `StartsWith` when one of its values
//! does, and `NotEqual` when none equals the value (UNCONFIRMED); and an identity that several
//! rules match may also obtain the other rules' roles by asking for them (`CustomRoleArn`,
//! "unless CustomRoleArn is specified to override the order"), so a `deny:` expectation must hold
//! for every role it can obtain.
//! Must not: know the spec (roles are matched to the template's role resources).

use std::collections::BTreeMap;

use serde_json::Value;

use super::doc::{Identities, RoleView, text_of};
use crate::spec::MatchType;

/// One mapping rule as emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Token claim.
    pub claim: String,
    /// How its value must compare.
    pub match_type: MatchType,
    /// The value.
    pub value: String,
    /// Spec name of the role it gives (from the role resource's note), or the logical id when
    /// the resource has none.
    pub role: String,
}

impl Rule {
    /// True when a token with `claims` satisfies the rule.
    pub fn matches(&self, claims: &BTreeMap<String, Vec<String>>) -> bool {
        let Some(values) = claims.get(&self.claim) else {
            // "If the match type is NotEqual and the claim doesn't exist, the rule is not
            // evaluated"; the other types need the claim to compare.
            return false;
        };
        let v = self.value.as_str();
        match self.match_type {
            MatchType::Equals => values.iter().any(|x| x == v),
            MatchType::Contains => values.iter().any(|x| x.contains(v)),
            MatchType::StartsWith => values.iter().any(|x| x.starts_with(v)),
            MatchType::NotEqual => !values.is_empty() && values.iter().all(|x| x != v),
        }
    }

    /// `` `cognito:groups` contains `installers` `` for people.
    pub fn words(&self) -> String {
        let op = match self.match_type {
            MatchType::Equals => "equals",
            MatchType::Contains => "contains",
            MatchType::StartsWith => "starts with",
            MatchType::NotEqual => "is not",
        };
        format!("`{}` {op} `{}`", self.claim, self.value)
    }
}

/// A pool's role mapping, as emitted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolMapping {
    /// Spec name of the pool.
    pub pool: String,
    /// The rules of its first user pool (synth gives every user pool the same rules).
    pub rules: Vec<Rule>,
    /// The role of identities no rule matches (`AmbiguousRoleResolution: AuthenticatedRole`),
    /// or `None` for `Deny`.
    pub default: Option<String>,
}

/// What Cognito gives an identity with some claims.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Choice {
    /// The role it gets, `None` when it gets no credentials.
    pub role: Option<String>,
    /// The rule (0-based) that chose it; `None` for the default role or a denial.
    pub rule: Option<usize>,
    /// Other roles it may obtain by asking for them (`CustomRoleArn`): those of the other rules
    /// it matches, each with its first rule.
    pub also: Vec<(usize, String)>,
}

impl PoolMapping {
    /// Cognito's choice for a token with `claims`.
    pub fn choose(&self, claims: &BTreeMap<String, Vec<String>>) -> Choice {
        let matched: Vec<(usize, &Rule)> = self
            .rules
            .iter()
            .enumerate()
            .filter(|(_, r)| r.matches(claims))
            .collect();
        let Some(&(first, rule)) = matched.first() else {
            return Choice {
                role: self.default.clone(),
                rule: None,
                also: Vec::new(),
            };
        };
        let mut also: Vec<(usize, String)> = Vec::new();
        for &(i, r) in &matched[1..] {
            if r.role != rule.role && !also.iter().any(|(_, a)| *a == r.role) {
                also.push((i, r.role.clone()));
            }
        }
        Choice {
            role: Some(rule.role.clone()),
            rule: Some(first),
            also,
        }
    }

    /// How `choice` came about, in words.
    pub fn explain(&self, choice: &Choice) -> String {
        match (&choice.role, choice.rule) {
            (Some(role), Some(i)) => format!(
                "role {role} by mapping rule {} ({})",
                i + 1,
                self.rules[i].words()
            ),
            (Some(role), None) => format!("role {role}: no mapping rule matches, the default"),
            (None, _) => {
                "no credentials: no mapping rule matches and unmatched identities are denied"
                    .to_owned()
            }
        }
    }
}

/// The role mappings of every pool of a template (as JSON), in template order. `views` names
/// the role resources.
pub fn pool_mappings(template: &Value, views: &[RoleView]) -> Vec<PoolMapping> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    // (the view's pool, its role) for a role ARN; the logical id when no view has it.
    let role_of = |arn: &Value| -> (Option<String>, String) {
        let text = text_of(arn);
        let id = text
            .strip_prefix("{GetAtt ")
            .and_then(|t| t.strip_suffix(".Arn}"))
            .unwrap_or(&text);
        views
            .iter()
            .find(|v| v.role_id == id && v.identities == Identities::Authenticated)
            .map_or_else(
                || (None, id.to_owned()),
                |v| (Some(v.pool.clone()), v.role.clone()),
            )
    };
    let mut out = Vec::new();
    for r in resources.values() {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::Cognito::IdentityPoolRoleAttachment")
        {
            continue;
        }
        let Some(props) = r.get("Properties") else {
            continue;
        };
        let pool_id = props.get("IdentityPoolId").map(text_of).unwrap_or_default();
        let Some(mapping) = props
            .get("RoleMappings")
            .and_then(Value::as_object)
            .and_then(|m| m.values().next())
        else {
            continue;
        };
        // The pool's spec name is the one its role resources' notes carry.
        let mut pool = None;
        let rules: Vec<Rule> = mapping
            .pointer("/RulesConfiguration/Rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|rule| {
                let (p, role) = role_of(rule.get("RoleARN")?);
                pool = pool.take().or(p);
                Some(Rule {
                    claim: rule.get("Claim")?.as_str()?.to_owned(),
                    match_type: MatchType::from_cognito(rule.get("MatchType")?.as_str()?)?,
                    value: rule.get("Value")?.as_str()?.to_owned(),
                    role,
                })
            })
            .collect();
        let deny = mapping
            .get("AmbiguousRoleResolution")
            .and_then(Value::as_str)
            == Some("Deny");
        let default = if deny {
            None
        } else {
            props.pointer("/Roles/authenticated").map(|arn| {
                let (p, role) = role_of(arn);
                pool = pool.take().or(p);
                role
            })
        };
        out.push(PoolMapping {
            pool: pool.unwrap_or(pool_id),
            rules,
            default,
        });
    }
    out
}

/// Claims whose tokens carry several values (docs/aws-facts.md §2.5): a user's groups, and the
/// roles of those groups.
pub const MULTI_VALUED: [&str; 2] = ["cognito:groups", "cognito:roles"];

/// True when every token that satisfies `later` satisfies `earlier` too, so that `later` can
/// never be the first match: `(claim, match type, value)` each. Decided for single values, and
/// for a multi-valued claim also under this module's reading of several values (one value
/// matching is enough; `NotEqual` needs every value to differ), so a `true` holds either way.
pub fn covers(earlier: (&str, MatchType, &str), later: (&str, MatchType, &str)) -> bool {
    use MatchType::{Contains, Equals, NotEqual, StartsWith};
    let ((ca, a, x), (cb, b, y)) = (earlier, later);
    if ca != cb {
        return false;
    }
    match (a, b) {
        (Equals, Equals) | (NotEqual, NotEqual) => x == y,
        (Contains, Equals | Contains | StartsWith) => y.contains(x),
        (StartsWith, Equals | StartsWith) => y.starts_with(x),
        // A value that passes `later` differs from `x`: for one value, `earlier` matches too;
        // with several, another value may equal `x`.
        (NotEqual, Equals) => !MULTI_VALUED.contains(&ca) && x != y,
        (NotEqual, Contains) => !MULTI_VALUED.contains(&ca) && !x.contains(y),
        (NotEqual, StartsWith) => !MULTI_VALUED.contains(&ca) && !x.starts_with(y),
        _ => false,
    }
}

/// Claims as `key=value` pairs (a key given twice has two values).
pub fn claims_from_pairs<'a>(
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, Vec<String>> {
    let mut claims: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (k, v) in pairs {
        claims.entry(k.to_owned()).or_default().push(v.to_owned());
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(claim: &str, m: MatchType, value: &str, role: &str) -> Rule {
        Rule {
            claim: claim.into(),
            match_type: m,
            value: value.into(),
            role: role.into(),
        }
    }

    fn claims(pairs: &[(&str, &str)]) -> BTreeMap<String, Vec<String>> {
        claims_from_pairs(pairs.iter().copied())
    }

    #[test]
    fn match_types_compare_as_cognito_describes() {
        let c = claims(&[("cognito:groups", "installers-eu"), ("custom:tier", "gold")]);
        assert!(rule("custom:tier", MatchType::Equals, "gold", "r").matches(&c));
        assert!(!rule("custom:tier", MatchType::Equals, "Gold", "r").matches(&c));
        assert!(rule("cognito:groups", MatchType::Contains, "install", "r").matches(&c));
        assert!(rule("cognito:groups", MatchType::StartsWith, "installers", "r").matches(&c));
        assert!(!rule("cognito:groups", MatchType::StartsWith, "eu", "r").matches(&c));
        assert!(rule("custom:tier", MatchType::NotEqual, "silver", "r").matches(&c));
        assert!(!rule("custom:tier", MatchType::NotEqual, "gold", "r").matches(&c));
        // A claim the token lacks matches nothing, NotEqual included.
        assert!(!rule("custom:dept", MatchType::NotEqual, "x", "r").matches(&c));
        // Several values: one matching value matches; NotEqual needs none equal.
        let many = claims(&[("cognito:groups", "owners"), ("cognito:groups", "support")]);
        assert!(rule("cognito:groups", MatchType::Equals, "support", "r").matches(&many));
        assert!(!rule("cognito:groups", MatchType::NotEqual, "support", "r").matches(&many));
        assert!(rule("cognito:groups", MatchType::NotEqual, "admins", "r").matches(&many));
    }

    /// `covers` against brute force: over small alphabets of values, an earlier rule covers a
    /// later one exactly when every claim set the later matches, the earlier matches too.
    #[test]
    fn covers_agrees_with_brute_force() {
        use MatchType::{Contains, Equals, NotEqual, StartsWith};
        let values = ["a", "b", "ab", "ba", "abc", "bab"];
        let types = [
            MatchType::Equals,
            MatchType::Contains,
            MatchType::StartsWith,
            MatchType::NotEqual,
        ];
        // Single values, and (for the multi-valued claim) every set of one or two values.
        let mut sets: Vec<Vec<&str>> = values.iter().map(|v| vec![*v]).collect();
        for (i, a) in values.iter().enumerate() {
            for b in &values[i + 1..] {
                sets.push(vec![*a, *b]);
            }
        }
        for claim in ["custom:tier", "cognito:groups"] {
            let multi = MULTI_VALUED.contains(&claim);
            let tokens: Vec<BTreeMap<String, Vec<String>>> = sets
                .iter()
                .filter(|s| multi || s.len() == 1)
                .map(|s| claims(&s.iter().map(|v| (claim, *v)).collect::<Vec<_>>()))
                .collect();
            for ta in types {
                for x in values {
                    for tb in types {
                        for y in values {
                            let a = rule(claim, ta, x, "a");
                            let b = rule(claim, tb, y, "b");
                            let brute = tokens.iter().all(|t| !b.matches(t) || a.matches(t));
                            let said = covers((claim, ta, x), (claim, tb, y));
                            // Sound: a cover it claims holds for every token here. (It may
                            // miss one that only these few values make true.)
                            assert!(!said || brute, "{claim}: {ta:?} {x} over {tb:?} {y}");
                        }
                    }
                }
            }
        }
        assert!(!covers(
            ("custom:a", MatchType::Equals, "x"),
            ("custom:b", MatchType::Equals, "x")
        ));
        let c = |a: MatchType, x: &str, b: MatchType, y: &str, claim: &str| {
            covers((claim, a, x), (claim, b, y))
        };
        for claim in ["custom:tier", "cognito:groups"] {
            assert!(c(Equals, "admins", Equals, "admins", claim));
            assert!(c(Contains, "admin", Equals, "admins", claim));
            assert!(c(Contains, "admin", StartsWith, "sysadmin", claim));
            assert!(c(Contains, "admin", Contains, "superadmin", claim));
            assert!(c(StartsWith, "inst", Equals, "installers", claim));
            assert!(c(StartsWith, "inst", StartsWith, "installers", claim));
            assert!(c(NotEqual, "x", NotEqual, "x", claim));
            assert!(!c(Equals, "admins", Contains, "admins", claim));
            assert!(!c(StartsWith, "a", Contains, "a", claim));
        }
        // One value that is not `x` passes `NotEqual x`; several values may include `x`.
        assert!(c(NotEqual, "gold", Equals, "silver", "custom:tier"));
        assert!(!c(NotEqual, "gold", Equals, "silver", "cognito:groups"));
    }

    #[test]
    fn the_first_matching_rule_wins_and_the_rest_stay_obtainable() {
        let m = PoolMapping {
            pool: "p".into(),
            rules: vec![
                rule("cognito:groups", MatchType::Equals, "support", "support"),
                rule(
                    "cognito:groups",
                    MatchType::Equals,
                    "installers",
                    "installer",
                ),
                rule("cognito:groups", MatchType::Contains, "s", "support"),
            ],
            default: Some("owner".into()),
        };
        let both = claims(&[
            ("cognito:groups", "installers"),
            ("cognito:groups", "support"),
        ]);
        let c = m.choose(&both);
        assert_eq!(c.role.as_deref(), Some("support"));
        assert_eq!(c.rule, Some(0));
        assert_eq!(c.also, [(1, "installer".to_owned())]);
        assert_eq!(
            m.explain(&c),
            "role support by mapping rule 1 (`cognito:groups` equals `support`)"
        );
        let none = m.choose(&claims(&[("cognito:groups", "x")]));
        assert_eq!((none.role.as_deref(), none.rule), (Some("owner"), None));
        let denying = PoolMapping {
            default: None,
            ..m.clone()
        };
        let denied = denying.choose(&claims(&[]));
        assert_eq!(denied.role, None);
        assert!(denying.explain(&denied).starts_with("no credentials"));
    }
}
