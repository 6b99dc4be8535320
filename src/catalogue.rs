//! The rule catalogue of `docs/security-rules.md` §9 (embedded), read for `synth rules`: per
//! rule id, its severity as documented, what it checks, and its anchors (the document's
//! mechanisms `M<n>` and the checks of other tools it mirrors), with the titles of those
//! mechanisms. The document is the one place anchors are written; a test holds it and
//! `rules::RULES` equal.
//! Must not: judge anything (the rules do).

/// `docs/security-rules.md`, as built into synth.
const DOC: &str = include_str!("../docs/security-rules.md");

/// One row of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The rule id.
    pub id: &'static str,
    /// `error`, `warning`, or `error / warning`.
    pub severity: &'static str,
    /// What it checks, in the document's words.
    pub checks: &'static str,
    /// Its anchors, as the row writes them: `M3; AwsSolutions-COG7, CKV_AWS_366, W57`, then the
    /// sections of docs/security-rules.md that say more.
    pub anchors: &'static str,
}

/// The catalogue row of rule `id`.
pub fn entry(id: &str) -> Option<Entry> {
    let start = DOC.find("## 9. The rule catalogue")?;
    DOC[start..].lines().find_map(|line| {
        let cells: Vec<&'static str> = line
            .strip_prefix("| ")?
            .strip_suffix(" |")?
            .split(" | ")
            .collect();
        match cells.as_slice() {
            [rule, severity, checks, anchors] if *rule == id => Some(Entry {
                id: rule,
                severity,
                checks,
                anchors,
            }),
            _ => None,
        }
    })
}

/// The mechanisms an anchor list names (`M1`, `M4`), each with the title of its heading.
pub fn mechanisms(anchors: &str) -> Vec<(String, &'static str)> {
    let mut out: Vec<(String, &'static str)> = Vec::new();
    for word in anchors.split(|c: char| !c.is_ascii_alphanumeric()) {
        let Some(n) = word.strip_prefix('M') else {
            continue;
        };
        if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let heading = format!("### {word}. ");
        let Some(title) = DOC.lines().find_map(|l| l.strip_prefix(heading.as_str())) else {
            continue;
        };
        if !out.iter().any(|(m, _)| m == word) {
            out.push((word.to_owned(), title));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_catalogue_row_with_anchors() {
        for rule in crate::rules::RULES {
            let e = entry(rule.id)
                .unwrap_or_else(|| panic!("{} has no row in docs/security-rules.md §9", rule.id));
            assert!(!e.anchors.is_empty() && !e.checks.is_empty(), "{e:?}");
            let word = match rule.severity {
                crate::diag::Severity::Error => "error",
                crate::diag::Severity::Warning => "warning",
            };
            assert!(e.severity.contains(word), "{e:?}");
        }
        assert_eq!(entry("CIP-NOPE-001"), None);
    }

    #[test]
    fn mechanisms_come_with_their_titles() {
        assert_eq!(
            mechanisms("M1, M4; Device Defender, M4"),
            [
                (
                    "M1".to_owned(),
                    "Guests get the IAM role alone; members get IAM ∩ IoT for seven actions"
                ),
                (
                    "M4".to_owned(),
                    "The guest scope-down policy does not protect IoT; classic flow skips it"
                )
            ]
        );
        assert!(mechanisms("CKV_AWS_62/63, Molekule, M, Mx1").is_empty());
    }
}
