//! Parameter values against their `allowed_pattern`: the default and every environment's value
//! must match the whole pattern, as CloudFormation requires (docs/aws-facts.md §1.11), so a
//! value the deploy would refuse is an error here, at its line, before anything is written.
//! Must not: claim a pattern is wrong. CloudFormation reads Java regular expressions; a pattern
//! that the engine here (fancy-regex: backtracking, lookaround, backreferences) cannot compile,
//! or cannot decide within its backtracking budget, gets a warning saying it was not checked.

use fancy_regex::Regex;

use crate::diag::{Diagnostic, Severity};
use crate::spec::Loaded;

use super::at;

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    for (name, p) in &l.spec.parameters {
        let Some(pattern) = &p.allowed_pattern else {
            continue;
        };
        // Anchored around a group: `a|b` must match all of `a` or all of `b`.
        let Ok(whole) = Regex::new(&format!("^(?:{pattern})$")) else {
            out.push(unchecked(l, name, "its syntax is not one this check reads"));
            continue;
        };
        let values = p
            .default
            .iter()
            .map(|v| (v, vec!["parameters", name.as_str(), "default"]))
            .chain(l.spec.environments.iter().filter_map(|(env, e)| {
                let v = e.parameters.get(name)?;
                Some((v, vec!["environments", env.as_str(), "parameters", name]))
            }));
        for (value, tokens) in values {
            match whole.is_match(value) {
                Ok(true) => {}
                Ok(false) => out.push(
                    Diagnostic::input(
                        "spec-value",
                        &l.file,
                        at(l, &tokens),
                        format!(
                            "`{}` does not match parameter `{name}`'s allowed_pattern `{}`",
                            crate::text::escape(value),
                            crate::text::escape(pattern)
                        ),
                    )
                    .with_help(
                        "CloudFormation would refuse the stack: the pattern must match the whole \
                         value, not a part of it; change the value or the pattern",
                    ),
                ),
                Err(_) => {
                    out.push(unchecked(l, name, "deciding a match took too many steps"));
                    break;
                }
            }
        }
    }
}

fn unchecked(l: &Loaded, name: &str, why: &str) -> Diagnostic {
    let mut d = Diagnostic::input(
        "spec-value",
        &l.file,
        at(l, &["parameters", name, "allowed_pattern"]),
        format!("parameter `{name}`'s allowed_pattern was not checked against its values: {why}"),
    )
    .with_help(
        "CloudFormation reads Java regular expressions (docs/aws-facts.md §1.11): check the \
         values yourself, or write the pattern without Java-only constructs such as \
         `\\p{javaLowerCase}`",
    );
    d.severity = Severity::Warning;
    d
}
