//! `expect:` in a spec: permission tests run on the generated policies (through
//! `policy::eval`, the same evaluation `synth simulate` prints). A request that is not decided
//! as written is a finding at its spec position, explained by the simulator.

use crate::compile::Compiled;
use crate::diag::{Class, Diagnostic, Pos, Severity};
use crate::policy::doc::{Identities, RoleView, role_views};
use crate::policy::eval::{Request, evaluate};
use crate::spec::IdentityKind;

/// The role view an expectation or a simulation is about.
pub fn find_role<'a>(
    views: &'a [RoleView],
    role: &str,
    pool: Option<&str>,
    kind: Option<IdentityKind>,
) -> Result<&'a RoleView, String> {
    let kind = kind.map(|k| match k {
        IdentityKind::SignedIn => Identities::Authenticated,
        IdentityKind::Guest => Identities::Unauthenticated,
    });
    let found: Vec<&RoleView> = views
        .iter()
        .filter(|v| {
            v.role == role
                && pool.is_none_or(|p| v.pool == p)
                && kind.is_none_or(|k| v.identities == k)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => match (pool, kind) {
            (Some(p), Some(k)) => Err(format!(
                "identity pool `{p}` does not use role `{role}` for {} identities",
                kind_word(k)
            )),
            (Some(p), None) => Err(format!("identity pool `{p}` does not use role `{role}`")),
            (None, Some(k)) => Err(format!(
                "no identity pool uses role `{role}` for {} identities",
                kind_word(k)
            )),
            (None, None) => Err(format!("no identity pool uses role `{role}`")),
        },
        [a, b] if a.pool == b.pool => Err(format!(
            "identity pool `{}` uses role `{role}` for both signed-in and guest identities: say which with `as` (signed-in or guest)",
            a.pool
        )),
        many => Err(format!(
            "role `{role}` is used by several identity pools ({}): say which with `pool`",
            many.iter()
                .map(|v| format!("{} as {}", v.pool, kind_word(v.identities)))
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

/// "signed-in" / "guest".
pub fn kind_word(i: Identities) -> &'static str {
    match i {
        Identities::Authenticated => "signed-in",
        Identities::Unauthenticated => "guest",
    }
}

/// Runs every expectation of the spec.
pub fn run(c: &Compiled) -> Vec<Diagnostic> {
    let views = role_views(&c.json);
    let file = &c.loaded.file;
    let doc = &c.loaded.doc;
    let mut out = Vec::new();
    for (i, e) in c.loaded.spec.expect.iter().enumerate() {
        let view = match find_role(&views, &e.role, e.pool.as_deref(), e.kind) {
            Ok(v) => v,
            Err(message) => {
                out.push(
                    Diagnostic::input("spec-expect", file, doc.locate(&format!("/expect/{i}/role")), message)
                        .with_help("expectations name a role that an identity pool uses as `authenticated` or `unauthenticated.role`"),
                );
                continue;
            }
        };
        for (field, want) in [("allow", true), ("deny", false)] {
            let list = if want { &e.allow } else { &e.deny };
            for (j, text) in list.iter().enumerate() {
                let pos: Pos = doc.locate(&format!("/expect/{i}/{field}/{j}"));
                let Some(request) = Request::parse(text) else {
                    out.push(Diagnostic::input("spec-expect", file, pos, format!("`{text}` is not a request")).with_help(
                        "write `<connect|publish|subscribe|receive> <client id, topic or filter>`",
                    ));
                    continue;
                };
                let verdict = evaluate(view, &e.identity, &request);
                if verdict.allowed != want {
                    let (expected, got) = if want {
                        ("ALLOW", "DENY")
                    } else {
                        ("DENY", "ALLOW")
                    };
                    out.push(Diagnostic {
                        code: "expect-failed",
                        severity: Severity::Error,
                        class: Class::Finding,
                        file: file.clone(),
                        pos: Some(pos),
                        message: format!(
                            "expected {expected} for `{request}` by {} identity {} (role {} of pool {}), got {got}",
                            kind_word(view.identities),
                            e.identity,
                            view.role,
                            view.pool
                        ),
                        help: Some(verdict.explain().replace('\n', "; ")),
                    });
                }
            }
        }
    }
    out
}
