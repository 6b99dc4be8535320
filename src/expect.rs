//! `expect:` in a spec: permission tests run on the generated policies (through
//! `policy::eval`, the same evaluation `synth simulate` prints). A request that is not decided
//! as written is a finding at its spec position, explained by the simulator.

use crate::compiled::Compiled;
use crate::diag::{Class, Diagnostic, Pos, Severity};
use crate::policy::doc::{find_role, role_views};
use crate::policy::eval::{Request, evaluate};

/// Runs every expectation of the spec.
pub fn run(c: &Compiled) -> Vec<Diagnostic> {
    let views = role_views(&c.json);
    let file = &c.loaded.file;
    let doc = &c.loaded.doc;
    let mut out = Vec::new();
    for (i, e) in c.loaded.spec.expect.iter().enumerate() {
        let view = match find_role(&views, &e.role, e.pool.as_deref(), e.kind.map(Into::into)) {
            Ok(v) => v,
            Err(none) => {
                out.push(
                    Diagnostic::input("spec-expect", file, doc.locate(&format!("/expect/{i}/role")), none.to_string())
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
                        "write `<connect|publish|publish-retained|subscribe|receive> <client id, topic or filter>`",
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
                            view.identities.word(),
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
