//! The signed-in side of an identity pool: one role, or Cognito role mapping (rules on token
//! claims, in order, and what happens when none matches), with the match types Cognito offers.
//! Must not: decide what a mapping grants (that is `policy`), or check Cognito's limits (that is
//! `check`).

use serde::Deserialize;

/// Which role a signed-in identity gets.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SignedIn {
    /// `authenticated: member`: one role for every signed-in identity.
    Role(String),
    /// `authenticated: { rules: [...], default: member }`: Cognito's rule-based role mapping.
    Mapped(RoleMapping),
}

/// Rule-based role mapping (docs/aws-facts.md §2.5): the first rule whose claim matches gives the
/// role; identities no rule matches get `default`, or no credentials (`unmatched: deny`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleMapping {
    /// Rules, in the order Cognito evaluates them.
    pub rules: Vec<MappingRule>,
    /// The role of identities no rule matches.
    pub default: Option<String>,
    /// `deny`: identities no rule matches get no credentials.
    pub unmatched: Option<Unmatched>,
}

/// What happens to identities no rule matches, when there is no default role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Unmatched {
    /// No credentials (Cognito's `AmbiguousRoleResolution: Deny`).
    Deny,
}

/// One mapping rule: a token claim, how its value must compare to `value`, and the role.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingRule {
    /// The claim, e.g. `cognito:groups` or `custom:tier`.
    pub claim: String,
    /// `equals: V`.
    pub equals: Option<String>,
    /// `contains: V`.
    pub contains: Option<String>,
    /// `starts_with: V`.
    pub starts_with: Option<String>,
    /// `not_equal: V`.
    pub not_equal: Option<String>,
    /// The role the rule gives.
    pub role: String,
}

/// Cognito's match types (docs/aws-facts.md §2.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MatchType {
    /// `Equals`.
    Equals,
    /// `Contains`.
    Contains,
    /// `StartsWith`.
    StartsWith,
    /// `NotEqual`.
    NotEqual,
}

impl MatchType {
    /// Cognito's name (`MatchType` of a mapping rule).
    pub fn cognito(self) -> &'static str {
        match self {
            MatchType::Equals => "Equals",
            MatchType::Contains => "Contains",
            MatchType::StartsWith => "StartsWith",
            MatchType::NotEqual => "NotEqual",
        }
    }

    /// The spec's key.
    pub fn key(self) -> &'static str {
        match self {
            MatchType::Equals => "equals",
            MatchType::Contains => "contains",
            MatchType::StartsWith => "starts_with",
            MatchType::NotEqual => "not_equal",
        }
    }

    /// From Cognito's name.
    pub fn from_cognito(name: &str) -> Option<MatchType> {
        [
            MatchType::Equals,
            MatchType::Contains,
            MatchType::StartsWith,
            MatchType::NotEqual,
        ]
        .into_iter()
        .find(|m| m.cognito() == name)
    }
}

impl MappingRule {
    /// The match type and value (the schema admits exactly one of the four keys).
    pub fn test(&self) -> (MatchType, &str) {
        let pairs = [
            (MatchType::Equals, &self.equals),
            (MatchType::Contains, &self.contains),
            (MatchType::StartsWith, &self.starts_with),
            (MatchType::NotEqual, &self.not_equal),
        ];
        pairs
            .into_iter()
            .find_map(|(m, v)| v.as_deref().map(|v| (m, v)))
            .unwrap_or((MatchType::Equals, ""))
    }
}
