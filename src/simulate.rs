//! `synth simulate`: ALLOW or DENY for one MQTT request of one identity, evaluated on the
//! policies synth generates for the spec (not on the spec itself), with the statement of each
//! layer that decided. Exit 0 for ALLOW, 1 for DENY, 2 for unusable input.

use std::io::Write;
use std::path::Path;

use crate::cli::SimulateArgs;
use crate::compile::compile;
use crate::diag::{self, Class, Severity, io_words};
use crate::error::{EXIT_FINDINGS, EXIT_INPUT, EXIT_OK};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::display;
use crate::policy::doc::{find_role, role_views};
use crate::policy::eval::{Request, Verb, evaluate};
use crate::spec::IdentityKind;

/// Runs `synth simulate`; returns the exit code.
pub fn run(args: &SimulateArgs, cwd: &Path, stdout: &mut dyn Write, stderr: &mut dyn Write) -> i32 {
    let shown = display(&args.spec);
    let bytes = match read_bounded(&cwd.join(&args.spec), SPEC_MAX_BYTES) {
        Ok(b) => b,
        Err(e) => {
            let _ = writeln!(
                stderr,
                "{shown}: error[io]: cannot read the spec: {}",
                io_words(&e)
            );
            return EXIT_INPUT;
        }
    };
    let (compiled, mut diags) = compile(&shown, &bytes);
    // Rule findings do not stop a simulation: it is how one looks into them.
    diags.retain(|d| d.class == Class::Input && d.severity == Severity::Error);
    let Some(compiled) = compiled.filter(|_| diags.is_empty()) else {
        diag::sort(&mut diags);
        let text = String::from_utf8_lossy(&bytes);
        for d in &diags {
            let _ = write!(stderr, "{}", d.render(Some(&text)));
        }
        return EXIT_INPUT;
    };
    let Some(verb) = Verb::parse(&args.action) else {
        let _ = writeln!(
            stderr,
            "synth simulate: error: `{}` is not an action; use connect, publish, subscribe or receive",
            args.action
        );
        return EXIT_INPUT;
    };
    let request = Request {
        verb,
        target: args.topic.clone(),
    };
    let views = role_views(&compiled.json);
    let view = match find_role(
        &views,
        &args.role,
        args.pool.as_deref(),
        args.kind.map(|k| IdentityKind::from(k).into()),
    ) {
        Ok(v) => v,
        Err(message) => {
            let _ = writeln!(stderr, "synth simulate: error: {message}");
            return EXIT_INPUT;
        }
    };
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
    if verdict.allowed {
        EXIT_OK
    } else {
        EXIT_FINDINGS
    }
}
