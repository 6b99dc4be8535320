//! `synth simulate`: ALLOW or DENY for one MQTT request of one identity, evaluated on the
//! policies synth generates for the spec (not on the spec itself), with the statement of each
//! layer that decided. Exit 0 for ALLOW, 1 for DENY, 2 for unusable input. The request is
//! checked as `synth` checks a spec: a role, pool or action that does not exist gets a "did you
//! mean"; a publish, retained publish or receive to a filter (`a/#`) or a subscribe to a
//! malformed filter (`a/#/x`) is refused (`mqtt::check_request`); an identity id not of the form
//! `REGION:GUID` gets a warning on stderr (the simulation still runs: policies compare it as a
//! string).
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
use crate::spec::{IdentityKind, Spec, schema_suggest};
use crate::style::Paint;
use crate::{mqtt, text};

use super::Streams;

/// Runs `synth simulate`: the verdict on stdout, warnings about the request on stderr.
pub fn run(args: &SimulateArgs, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    // The verdict is gathered, then printed once: a failed write is an error, not a lost line.
    let mut verdict = Vec::new();
    let exit = {
        let mut buffered = Streams {
            out: &mut verdict,
            err: &mut *io.err,
            out_paint: io.out_paint,
            err_paint: io.err_paint,
        };
        simulate(args, cwd, &mut buffered)?
    };
    super::print(io.out, &String::from_utf8_lossy(&verdict), "the verdict")?;
    Ok(exit)
}

fn simulate(args: &SimulateArgs, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    let shown = display(&args.spec);
    let bytes = read_bounded(&cwd.join(&args.spec), SPEC_MAX_BYTES).map_err(|e| {
        let error = Error::io(&shown, "cannot read the spec", &e);
        if cwd.join(&args.spec).is_dir() {
            error.with_help("simulate reads one spec file, e.g. stacks/fleet.yaml")
        } else {
            error
        }
    })?;
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
    let verb = checked_request(args, &compiled.loaded.spec)?;
    let request = Request {
        verb,
        target: args.topic.clone(),
    };
    let views = role_views(&compiled.json);
    if !args.claims.is_empty() {
        return with_claims(args, &compiled, &views, &request, io);
    }
    let role = args.role.as_deref().unwrap_or_default();
    let view = find_role(
        &views,
        role,
        args.pool.as_deref(),
        args.kind.map(|k| IdentityKind::from(k).into()),
    )
    .map_err(|none| usage(none.to_string(), None))?;
    warn_identity(&args.identity, io.err, io.err_paint);
    let stdout = &mut *io.out;
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
    io: &mut Streams<'_>,
) -> Result<Exit, Error> {
    let usage = |message: String| usage(message, None);
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
    warn_identity(&args.identity, io.err, io.err_paint);
    let stdout = &mut *io.out;
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

/// A command-line mistake in `synth simulate`.
fn usage(message: String, help: Option<String>) -> Error {
    Error::Usage {
        command: "simulate",
        message,
        help,
    }
}

/// The request's verb, once the action, the target, the role and the pool are checked against
/// MQTT and the spec.
fn checked_request(args: &SimulateArgs, spec: &Spec) -> Result<Verb, Error> {
    let verbs = [
        "connect",
        "publish",
        "publish-retained",
        "subscribe",
        "receive",
    ]
    .map(str::to_owned);
    let verb = Verb::parse(&args.action).ok_or_else(|| {
        usage(
            format!("`{}` is not an action", text::escape(&args.action)),
            Some(match schema_suggest(&args.action, &verbs) {
                Some(near) => format!(
                    "did you mean `{near}`? The actions are connect, publish, publish-retained, subscribe and receive"
                ),
                None => "use connect, publish, publish-retained, subscribe or receive".to_owned(),
            }),
        )
    })?;
    let kind = match verb {
        Verb::Connect => mqtt::Kind::ClientId,
        Verb::Subscribe => mqtt::Kind::Filter,
        Verb::Publish | Verb::PublishRetained | Verb::Receive => mqtt::Kind::Topic,
    };
    mqtt::check_request(&args.topic, kind).map_err(|e| {
        usage(
            format!(
                "`{} {}`: {}",
                args.action.to_ascii_lowercase(),
                text::escape(&args.topic),
                e.message
            ),
            Some(e.help.to_owned()),
        )
    })?;
    let roles: Vec<String> = spec.roles.keys().cloned().collect();
    if let Some(role) = &args.role
        && !roles.contains(role)
    {
        return Err(usage(
            format!("unknown role `{}`", text::escape(role)),
            Some(near_or_list(role, &roles, "roles")),
        ));
    }
    let pools: Vec<String> = spec.identity_pools.keys().cloned().collect();
    if let Some(pool) = &args.pool
        && !pools.contains(pool)
    {
        return Err(usage(
            format!("unknown identity pool `{}`", text::escape(pool)),
            Some(near_or_list(pool, &pools, "identity pools")),
        ));
    }
    Ok(verb)
}

/// A warning on stderr when `id` is not of the form `REGION:GUID`: the simulation still runs.
fn warn_identity(id: &str, stderr: &mut dyn Write, paint: Paint) {
    if !is_identity_id(id) {
        let _ = writeln!(
            stderr,
            "synth simulate: {} identity `{}` is not a Cognito identity id (REGION:GUID, e.g. us-east-1:7d3c2e4b-0f1a-4c5d-9e8f-112233445566; docs/aws-facts.md §1.1); the policies are evaluated for it as written",
            paint.warning("warning:"),
            text::escape(id)
        );
    }
}

/// "did you mean `x`?", or the names there are.
fn near_or_list(word: &str, names: &[String], what: &str) -> String {
    match schema_suggest(word, names) {
        Some(near) => format!("did you mean `{near}`?"),
        None => format!("the spec's {what}: {}", names.join(", ")),
    }
}

/// `REGION:GUID`, the form of every Cognito identity id (docs/aws-facts.md §1.1): a region such
/// as `us-east-1` or `us-gov-west-1`, a colon, and a lowercase GUID.
fn is_identity_id(id: &str) -> bool {
    let Some((region, guid)) = id.split_once(':') else {
        return false;
    };
    let region_ok = {
        let parts: Vec<&str> = region.split('-').collect();
        parts.len() >= 3
            && parts[..parts.len() - 1]
                .iter()
                .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_lowercase()))
            && parts[parts.len() - 1].bytes().all(|b| b.is_ascii_digit())
            && !parts[parts.len() - 1].is_empty()
    };
    let groups: Vec<&str> = guid.split('-').collect();
    let guid_ok = groups.iter().map(|g| g.len()).eq([8, 4, 4, 4, 12])
        && groups.iter().all(|g| {
            g.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        });
    region_ok && guid_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ids_are_region_colon_guid() {
        assert!(is_identity_id(
            "us-east-1:7d3c2e4b-0f1a-4c5d-9e8f-112233445566"
        ));
        assert!(is_identity_id(
            "us-gov-west-1:00000000-0000-4000-8000-000000000001"
        ));
        assert!(!is_identity_id("us-east-1:1111"));
        assert!(!is_identity_id("7d3c2e4b-0f1a-4c5d-9e8f-112233445566"));
        assert!(!is_identity_id(
            "us-east-1:7D3C2E4B-0F1A-4C5D-9E8F-112233445566"
        ));
        assert!(!is_identity_id(
            "useast1:7d3c2e4b-0f1a-4c5d-9e8f-112233445566"
        ));
    }
}
