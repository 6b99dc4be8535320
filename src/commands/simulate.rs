//! `synth simulate`: ALLOW or DENY for one MQTT request of one identity, evaluated on the
//! policies synth generates for the spec (not on the spec itself), with the statement of each
//! layer that decided. Exit 0 for ALLOW, 1 for DENY, 2 for unusable input.
//! Must not: print an error (it returns it), or evaluate policies itself (`policy::eval` does).

use std::io::Write;
use std::path::Path;

use crate::cli::SimulateArgs;
use crate::compile::compile;
use crate::diag::{self, Class, Severity};
use crate::error::{Error, Exit};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::display;
use crate::policy::doc::{find_role, role_views};
use crate::policy::eval::{Request, Verb, evaluate};
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
    let view = find_role(
        &views,
        &args.role,
        args.pool.as_deref(),
        args.kind.map(|k| IdentityKind::from(k).into()),
    )
    .map_err(|none| usage(none.to_string()))?;
    let verdict = evaluate(view, &args.identity, &request);
    let word = if verdict.allowed { "ALLOW" } else { "DENY" };
    let _ = writeln!(
        stdout,
        "{word} {request}\n  as {} identity {} (role {} of identity pool {})",
        view.identities.word(),
        args.identity,
        view.role,
        view.pool
    );
    for line in verdict.explain().lines() {
        let _ = writeln!(stdout, "  {line}");
    }
    Ok(if verdict.allowed {
        Exit::Ok
    } else {
        Exit::Findings
    })
}
