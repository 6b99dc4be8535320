//! Meaning checks after the schema: references resolve, topics are well formed, derived names
//! are unique and fit AWS patterns. Each check is a pure function from the loaded spec to
//! diagnostics, located through the spec's JSON pointers.
//! Must not: judge security (that is for the rules), or build templates.

mod environments;
mod mapping;
mod names;
mod parameters;
mod refs;
mod text;
mod topics;

use crate::diag::{Diagnostic, Pos};
use crate::source::escape_token;
use crate::spec::Loaded;

/// Every meaning problem in one spec.
pub fn run(loaded: &Loaded) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    text::check(loaded, &mut out);
    refs::check(loaded, &mut out);
    topics::check(loaded, &mut out);
    names::check(loaded, &mut out);
    parameters::check(loaded, &mut out);
    environments::check(loaded, &mut out);
    mapping::check(loaded, &mut out);
    out
}

/// `/a/b~1c/0` from tokens.
pub(crate) fn pointer(tokens: &[&str]) -> String {
    tokens.iter().fold(String::new(), |mut p, t| {
        p.push('/');
        p.push_str(&escape_token(t));
        p
    })
}

/// Where a diagnostic about `tokens` goes.
pub(crate) fn at(loaded: &Loaded, tokens: &[&str]) -> Pos {
    loaded.doc.locate(&pointer(tokens))
}

/// Where a diagnostic about the key naming `tokens` goes.
pub(crate) fn at_key(loaded: &Loaded, tokens: &[&str]) -> Pos {
    loaded.doc.locate_key(&pointer(tokens))
}
