//! `expect:` in a spec: permission tests run on the generated policies (through
//! `policy::eval`, the same evaluation `synth simulate` prints). A request that is not decided
//! as written is a finding at its spec position, explained by the simulator. An expectation with
//! `claims:` lets the pool's role mapping, as emitted, choose the role (`policy::mapping`):
//! `allow:` must hold for that role, `deny:` for it and for every other role the identity could
//! obtain by asking for it.

use std::collections::BTreeMap;

use crate::compiled::Compiled;
use crate::diag::{Class, Diagnostic, Pos, Severity};
use crate::policy::doc::{Identities, RoleView, find_role, role_views};
use crate::policy::eval::{Request, evaluate};
use crate::policy::mapping::{Choice, PoolMapping, pool_mappings};
use crate::spec::Expectation;

/// Which roles an expectation tests.
struct Subject<'a> {
    /// The role `allow:` is tested on; `None` when the identity gets no credentials.
    main: Option<&'a RoleView>,
    /// Every role `deny:` is tested on (`main` first).
    all: Vec<&'a RoleView>,
    /// How Cognito chose, for messages (empty without claims).
    how: String,
}

/// Runs every expectation of the spec.
pub fn run(c: &Compiled) -> Vec<Diagnostic> {
    let views = role_views(&c.json);
    let mappings = pool_mappings(&c.json, &views);
    let file = &c.loaded.file;
    let doc = &c.loaded.doc;
    let mut out = Vec::new();
    for (i, e) in c.loaded.spec.expect.iter().enumerate() {
        let unusable = |field: &str, message: String, help: &str| {
            Diagnostic::input(
                "spec-expect",
                file,
                doc.locate(&format!("/expect/{i}/{field}")),
                message,
            )
            .with_help(help.to_owned())
        };
        let subject = match subject(c, e, &views, &mappings) {
            Ok(s) => s,
            Err((field, message, help)) => {
                out.push(unusable(field, message, help));
                continue;
            }
        };
        check(c, i, e, &subject, &mut out);
    }
    out
}

/// Checks one expectation's role choice and requests against `subject`.
fn check(
    c: &Compiled,
    i: usize,
    e: &Expectation,
    subject: &Subject<'_>,
    out: &mut Vec<Diagnostic>,
) {
    let file = &c.loaded.file;
    let doc = &c.loaded.doc;
    let finding = |pos: Pos, message: String, help: String| Diagnostic {
        code: "expect-failed",
        severity: Severity::Error,
        class: Class::Finding,
        file: file.clone(),
        pos: Some(pos),
        message,
        help: Some(help),
    };
    if let (Some(want), Some(_)) = (&e.role, &e.claims) {
        let got = subject.main.map(|v| v.role.as_str());
        if got != Some(want.as_str()) {
            out.push(finding(
                doc.locate(&format!("/expect/{i}/role")),
                format!(
                    "expected the claims to give role {want}, got {}",
                    got.unwrap_or("no credentials")
                ),
                subject.how.clone(),
            ));
            return;
        }
    }
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
            let on: Vec<&RoleView> = if want {
                subject.main.into_iter().collect()
            } else {
                subject.all.clone()
            };
            if want && on.is_empty() {
                out.push(finding(
                    pos,
                    format!(
                        "expected ALLOW for `{request}` by signed-in identity {}, got DENY",
                        e.identity
                    ),
                    subject.how.clone(),
                ));
                continue;
            }
            for (k, view) in on.iter().enumerate() {
                let verdict = evaluate(view, &e.identity, &request);
                if verdict.allowed == want {
                    continue;
                }
                let (expected, got) = if want {
                    ("ALLOW", "DENY")
                } else {
                    ("DENY", "ALLOW")
                };
                let asked = if k > 0 {
                    " when it asks for that role (CustomRoleArn)"
                } else {
                    ""
                };
                let mut help = verdict.explain().replace('\n', "; ");
                if !subject.how.is_empty() {
                    help = format!("{}; {help}", subject.how);
                }
                out.push(finding(
                    pos,
                    format!(
                        "expected {expected} for `{request}` by {} identity {} (role {} of pool {}{asked}), got {got}",
                        view.identities.word(),
                        e.identity,
                        view.role,
                        view.pool
                    ),
                    help,
                ));
            }
        }
    }
}

/// The role views an expectation is about, or why it names none: `(field, message, help)`.
fn subject<'a>(
    c: &Compiled,
    e: &Expectation,
    views: &'a [RoleView],
    mappings: &[PoolMapping],
) -> Result<Subject<'a>, (&'static str, String, &'static str)> {
    let Some(claims) = &e.claims else {
        let role = e.role.as_deref().unwrap_or_default();
        let view = find_role(views, role, e.pool.as_deref(), e.kind.map(Into::into)).map_err(
            |none| {
                (
                    "role",
                    none.to_string(),
                    "expectations name a role that an identity pool uses as `authenticated` or `unauthenticated.role`",
                )
            },
        )?;
        return Ok(Subject {
            main: Some(view),
            all: vec![view],
            how: String::new(),
        });
    };
    if e.kind == Some(crate::spec::IdentityKind::Guest) {
        return Err((
            "claims",
            "guests have no token claims".to_owned(),
            "claims choose the role of signed-in identities; drop `as: guest` or `claims:`",
        ));
    }
    let pools = &c.loaded.spec.identity_pools;
    let pool = match (&e.pool, pools.len()) {
        (Some(p), _) => p.clone(),
        (None, 1) => pools.keys().next().cloned().unwrap_or_default(),
        (None, _) => {
            return Err((
                "claims",
                "several identity pools could read these claims: say which with `pool`".to_owned(),
                "add `pool: <name>`",
            ));
        }
    };
    let claims: BTreeMap<String, Vec<String>> = claims
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.values().into_iter().map(str::to_owned).collect(),
            )
        })
        .collect();
    let signed_in = |role: &str| {
        views
            .iter()
            .find(|v| v.pool == pool && v.role == role && v.identities == Identities::Authenticated)
    };
    let Some(mapping) = mappings.iter().find(|m| m.pool == pool) else {
        // A pool without mapping gives its one role whatever the token says.
        let view = views
            .iter()
            .find(|v| v.pool == pool && v.identities == Identities::Authenticated)
            .ok_or((
                "pool",
                format!("no identity pool `{pool}` has signed-in identities"),
                "name a pool of this spec",
            ))?;
        return Ok(Subject {
            main: Some(view),
            all: vec![view],
            how: format!(
                "identity pool {pool} maps no claims: every signed-in identity gets role {}",
                view.role
            ),
        });
    };
    let choice: Choice = mapping.choose(&claims);
    let how = mapping.explain(&choice);
    let main = choice.role.as_deref().and_then(signed_in);
    let mut all: Vec<&RoleView> = main.into_iter().collect();
    all.extend(choice.also.iter().filter_map(|(_, r)| signed_in(r)));
    Ok(Subject { main, all, how })
}
