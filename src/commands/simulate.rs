//! `synth simulate`: ALLOW or DENY for one MQTT request of one identity, evaluated on the
//! policies synth generates for the spec (not on the spec itself), with the statement of each
//! layer that decided. Exit 0 for ALLOW, 1 for DENY, 2 for unusable input.
//! Must not: print an error (it returns it), or evaluate policies itself (`policy::eval` does).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use crate::cli::{Kind, SimulateArgs};
use crate::compile::{Compiled, compile};
use crate::diag::{self, Class, Severity};
use crate::error::{Error, Exit};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::display;
use crate::policy::doc::{Identities, RoleView, find_role, role_views};
use crate::policy::eval::{Request, Verb, Verdict, evaluate};
use crate::policy::mapping::{Choice, claims_from_pairs, pool_mappings};
use crate::spec::IdentityKind;

/// Runs `synth simulate`: the verdict on stdout.
pub fn run(args: &SimulateArgs, cwd: &Path, stdout: &mut dyn Write) -> Result<Exit, Error> {
    let shown = display(&args.spec);
    let bytes = read_bounded(&cwd.join(&args.spec), SPEC_MAX_BYTES)
        .map_err(|e| Error::io(&shown, "cannot read the spec", &e))?;
    let (compiled, mut diags) = compile(&shown, &bytes);
    // Rule findings do not stop a simulation: it is how one looks into them.
    diags.retain(|d| d.class == Class::Input && d.severity == Severity::Error);
    let Some(compiled) = compiled.filter(|_| diags.is_empty()) else {
        diag::sort(&mut diags);
        return Err(Error::Spec {
            diagnostics: diags,
            source: String::from_utf8_lossy(&bytes).into_owned(),
        });
    };
    let usage = |message: String| Error::Usage {
        command: "simulate",
        message,
        help: None,
    };
    let verb = Verb::parse(&args.action).ok_or_else(|| {
        usage(format!(
            "`{}` is not an action; use connect, publish, publish-retained, subscribe or receive",
            args.action
        ))
    })?;
    let request = Request {
        verb,
        target: args.topic.clone(),
    };
    let views = role_views(&compiled.json);
    if !args.claims.is_empty() {
        return with_claims(args, &compiled, &views, &request, stdout);
    }
    let role = args.role.as_deref().unwrap_or_default();
    let view = find_role(
        &views,
        role,
        args.pool.as_deref(),
        args.kind.map(|k| IdentityKind::from(k).into()),
    )
    .map_err(|none| usage(none.to_string()))?;
    let verdict = evaluate(view, &args.identity, &request);
    print_verdict(stdout, &request, view, &args.identity, &verdict, "");
    Ok(if verdict.allowed {
        Exit::Ok
    } else {
        Exit::Findings
    })
}

fn print_verdict(
    stdout: &mut dyn Write,
    request: &Request,
    view: &RoleView,
    identity: &str,
    verdict: &Verdict,
    how: &str,
) {
    let word = if verdict.allowed { "ALLOW" } else { "DENY" };
    let how = if how.is_empty() {
        format!("role {} of identity pool {}", view.role, view.pool)
    } else {
        format!("identity pool {}: {how}", view.pool)
    };
    let _ = writeln!(
        stdout,
        "{word} {request}\n  as {} identity {identity} ({how})",
        view.identities.word(),
    );
    for line in verdict.explain().lines() {
        let _ = writeln!(stdout, "  {line}");
    }
}

/// `--claim`: the pool's role mapping (as emitted) chooses the role; the verdict is the chosen
/// role's, and the roles the identity could also ask for (CustomRoleArn) are shown after it.
fn with_claims(
    args: &SimulateArgs,
    compiled: &Compiled,
    views: &[RoleView],
    request: &Request,
    stdout: &mut dyn Write,
) -> Result<Exit, Error> {
    let usage = |message: String| Error::Usage {
        command: "simulate",
        message,
        help: None,
    };
    if args.kind == Some(Kind::Guest) {
        return Err(usage(
            "guests have no token claims: `--claim` chooses the role of signed-in identities"
                .to_owned(),
        ));
    }
    let mut pairs = Vec::new();
    for c in &args.claims {
        let (k, v) = c
            .split_once('=')
            .filter(|(k, _)| !k.is_empty())
            .ok_or_else(|| {
                usage(format!(
                    "`--claim {c}`: write NAME=VALUE, e.g. `--claim cognito:groups=installers`"
                ))
            })?;
        pairs.push((k, v));
    }
    let claims = claims_from_pairs(pairs);
    let pools = &compiled.loaded.spec.identity_pools;
    let pool = match (&args.pool, pools.len()) {
        (Some(p), _) => p.clone(),
        (None, 1) => pools.keys().next().cloned().unwrap_or_default(),
        (None, _) => {
            return Err(usage(
                "several identity pools could read these claims: say which with `--pool`"
                    .to_owned(),
            ));
        }
    };
    let signed_in = |role: &str| {
        views
            .iter()
            .find(|v| v.pool == pool && v.role == role && v.identities == Identities::Authenticated)
    };
    let (choice, how) = choose(compiled, views, &pool, &claims).ok_or_else(|| {
        usage(format!(
            "no identity pool `{pool}` has signed-in identities"
        ))
    })?;
    if let (Some(want), got) = (&args.role, &choice.role)
        && got.as_deref() != Some(want.as_str())
    {
        let _ = writeln!(
            stdout,
            "DENY {request}\n  as signed-in identity {} (identity pool {pool}: {how}; not role {want})",
            args.identity
        );
        return Ok(Exit::Findings);
    }
    let Some(view) = choice.role.as_deref().and_then(signed_in) else {
        let _ = writeln!(
            stdout,
            "DENY {request}\n  as signed-in identity {} (identity pool {pool}: {how})",
            args.identity
        );
        return Ok(Exit::Findings);
    };
    let verdict = evaluate(view, &args.identity, request);
    print_verdict(stdout, request, view, &args.identity, &verdict, &how);
    for (rule, role) in &choice.also {
        if let Some(other) = signed_in(role) {
            let v = evaluate(other, &args.identity, request);
            let word = if v.allowed { "ALLOW" } else { "DENY" };
            let _ = writeln!(
                stdout,
                "  also {word} with role {role}, which mapping rule {} gives too, if the app asks for it (CustomRoleArn)",
                rule + 1
            );
        }
    }
    Ok(if verdict.allowed {
        Exit::Ok
    } else {
        Exit::Findings
    })
}

/// The role Cognito gives a token with `claims` in `pool`, and how, in words; `None` when the
/// pool has no signed-in identities.
fn choose(
    compiled: &Compiled,
    views: &[RoleView],
    pool: &str,
    claims: &BTreeMap<String, Vec<String>>,
) -> Option<(Choice, String)> {
    let mappings = pool_mappings(&compiled.json, views);
    if let Some(m) = mappings.iter().find(|m| m.pool == pool) {
        let c = m.choose(claims);
        let how = m.explain(&c);
        return Some((c, how));
    }
    let v = views
        .iter()
        .find(|v| v.pool == pool && v.identities == Identities::Authenticated)?;
    Some((
        Choice {
            role: Some(v.role.clone()),
            rule: None,
            also: Vec::new(),
        },
        format!("role {}: the pool maps no claims", v.role),
    ))
}
