//! `synth diff`: the permission diff of the generated templates against a base (a git revision
//! or a directory), printed as text, Markdown or JSON (the shape is documented in `diff`), and
//! the exit code `--fail-on` asks for.
//! Must not: print an error (it returns it), or compare anything itself (`diff` does).

use std::io::Write;
use std::path::Path;

use crate::cli::{DiffArgs, DiffFormat, FailOn};
use crate::diff::base::{self, Side};
use crate::diff::model::{Base, Report};
use crate::diff::{compare, pair, render};
use crate::error::{Error, Exit};
use crate::layout::display;

/// Runs `synth diff`: the report on stdout, notes on stderr.
pub fn run(
    args: &DiffArgs,
    cwd: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Exit, Error> {
    let mut notes = Vec::new();
    let sides = load(args, cwd, &mut notes);
    for n in &notes {
        let _ = writeln!(stderr, "synth diff: note: {n}");
    }
    let (base, old, new) = sides?;
    let report = compare::report(base, display(&args.out), &pair(old, new));
    let text = match args.format {
        DiffFormat::Text => render::text(&report),
        DiffFormat::Markdown => render::markdown(&report),
        DiffFormat::Json => {
            let mut t = serde_json::to_string_pretty(&report).unwrap_or_default();
            t.push('\n');
            t
        }
    };
    let _ = stdout.write_all(text.as_bytes());
    match failure(&report, args.fail_on) {
        Some(why) => {
            let _ = writeln!(stderr, "synth diff: {why}");
            Ok(Exit::Findings)
        }
        None => Ok(Exit::Ok),
    }
}

/// Base, base templates, current templates.
fn load(args: &DiffArgs, cwd: &Path, notes: &mut Vec<String>) -> Result<(Base, Side, Side), Error> {
    let current = base::from_dir(cwd, &args.out, notes)?;
    let (base, old) = match &args.base_dir {
        Some(dir) => (
            Base::Dir { dir: display(dir) },
            base::from_dir(cwd, dir, notes)?,
        ),
        None => base::from_git(cwd, args.base.as_deref(), &args.out, notes)?,
    };
    Ok((base, old, current))
}

/// Why `--fail-on` fails, or `None`.
fn failure(report: &Report, fail_on: FailOn) -> Option<String> {
    let s = &report.summary;
    match fail_on {
        FailOn::Broadening if s.broadening > 0 || s.trust_changes > 0 => Some(format!(
            "failing (--fail-on broadening): {} broadening grant change(s), {} trust policy change(s)",
            s.broadening, s.trust_changes
        )),
        FailOn::Any if !s.is_empty() => Some(format!(
            "failing (--fail-on any): {} stack(s) changed",
            s.stacks_changed
        )),
        _ => None,
    }
}
