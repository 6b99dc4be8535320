//! Parameter values against their `allowed_pattern`: the default and every environment's value
//! must match the whole pattern, as CloudFormation requires (docs/aws-facts.md §1.11), so a
//! value the deploy would refuse is an error here, at its line, before anything is written.
//! Must not: claim a pattern is wrong. CloudFormation reads Java regular expressions; a pattern
//! that the engine here (fancy-regex: backtracking, lookaround, backreferences) cannot compile
//! on its own, that uses an escape Java reads differently, or that it cannot decide within its
//! backtracking budget, gets a warning saying it was not checked.

use fancy_regex::Regex;

use crate::diag::{Diagnostic, Severity};
use crate::spec::Loaded;

use super::at;

pub(super) fn check(l: &Loaded, out: &mut Vec<Diagnostic>) {
    for (name, p) in &l.spec.parameters {
        let Some(pattern) = &p.allowed_pattern else {
            continue;
        };
        // Escapes whose meaning differs between Java and this engine (`\p{Punct}`, `\h`, `\v`
        // and the other `\p` classes): a value could be refused that CloudFormation accepts.
        if JAVA_ONLY.iter().any(|e| pattern.contains(e)) {
            out.push(unchecked(
                l,
                name,
                "it uses an escape Java reads differently",
            ));
            continue;
        }
        // The pattern must stand on its own first, so `a)|(b` cannot leave the group below.
        // Then anchored around a group: `a|b` must match all of `a` or all of `b`.
        let whole = Regex::new(pattern).and_then(|_| Regex::new(&format!("^(?:{pattern})$")));
        let Ok(whole) = whole else {
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

/// Escapes Java gives another meaning (POSIX and Java classes under `\p`, horizontal and
/// vertical whitespace `\h` and `\v`): checked here, they could refuse a value CloudFormation
/// takes, so a pattern holding one is not checked. Differences the other way (`\d` and `\w`
/// are Unicode here, ASCII in Java) can only let through a value CloudFormation then refuses.
const JAVA_ONLY: [&str; 6] = ["\\p", "\\P", "\\h", "\\H", "\\v", "\\V"];

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
