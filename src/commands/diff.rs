//! `synth diff`: the permission diff of the generated templates against a base (a git revision
//! or a directory), printed as text, Markdown or JSON (the shape is documented in `diff`), and
//! the exit code `--fail-on` asks for. It describes out/ only when out/ is what the specs in
//! `--stacks` compile to now (`generate::stale_files`): a spec edited without running `synth`
//! makes it refuse (exit 2) naming the stale files, so a PR check never reports an old out/ as
//! "no changes". Without specs to compare with (no stacks directory), it says so in a note.
//! The stale check (compiling every spec) and reading the two sides run at the same time, on
//! two threads: at 1,000 stacks the check is most of the command's time.
//! Must not: print an error (it returns it), or compare anything itself (`diff` does).

use std::collections::BTreeMap;
use std::path::Path;
use std::thread;

use crate::cli::{DiffArgs, DiffFormat, FailOn};
use crate::diff::base;
use crate::diff::model::{Base, Report, StackDiff};
use crate::diff::{compare, render};
use crate::error::{Error, Exit};
use crate::generate::{Unknown, stale_files};
use crate::layout::display;

use super::Streams;

/// Runs `synth diff`: the report on stdout, notes on stderr.
pub fn run(args: &DiffArgs, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    let (stdout, stderr) = (&mut *io.out, &mut *io.err);
    // Directories that cannot be read are named first; then a stale out/ is refused. Both are
    // found at once: the stale check on a thread of its own.
    let (sides, mut notes, stale, stale_notes) = thread::scope(|scope| {
        let stale = scope.spawn(|| {
            let mut notes = Vec::new();
            (current(args, cwd, &mut notes), notes)
        });
        let mut notes = Vec::new();
        let sides = load(args, cwd, &mut notes);
        let (stale, stale_notes) = stale.join().expect("the stale check panicked");
        (sides, notes, stale, stale_notes)
    });
    notes.extend(stale_notes);
    for n in &notes {
        let _ = writeln!(stderr, "synth diff: note: {n}");
    }
    let (base, stacks) = sides?;
    stale?;
    let report = compare::report(base, display(&args.out), stacks);
    let text = match args.format {
        DiffFormat::Text => io.out_paint.diff(&render::text(&report, args.verbose)),
        DiffFormat::Markdown => render::markdown(&report, args.verbose),
        DiffFormat::Json => {
            let mut t = serde_json::to_string_pretty(&report).unwrap_or_default();
            t.push('\n');
            t
        }
    };
    super::print(stdout, &text, "the diff")?;
    match failure(&report, args.fail_on) {
        Some(why) => {
            let _ = writeln!(stderr, "synth diff: {why}");
            Ok(Exit::Findings)
        }
        None => Ok(Exit::Ok),
    }
}

/// Refuses a stale out/: the files of `--out` that differ from what the specs in `--stacks`
/// generate now.
fn current(args: &DiffArgs, cwd: &Path, notes: &mut Vec<String>) -> Result<(), Error> {
    let out = display(&args.out);
    let stacks = display(&args.stacks);
    let stale = match stale_files(cwd, &args.stacks, &args.out) {
        Ok(stale) => stale,
        Err(Unknown::NoSpecs) => {
            notes.push(format!(
                "no stacks directory {stacks}: cannot check that {out} is what the specs compile to; describing {out} as it is"
            ));
            return Ok(());
        }
        Err(Unknown::Io(path, doing, e)) => return Err(Error::io(path, doing, &e)),
        Err(Unknown::Unusable(specs)) => {
            return Err(Error::Stale {
                dir: out.clone(),
                specs: stacks,
                files: specs
                    .into_iter()
                    .map(|s| (s, "has errors, so nothing in it is generated".to_owned()))
                    .collect(),
                help: format!(
                    "run `synth` to see the errors and fix them; synth diff describes {out} only when it is what the specs compile to"
                ),
            });
        }
    };
    if stale.is_empty() {
        return Ok(());
    }
    Err(Error::Stale {
        dir: out.clone(),
        specs: stacks,
        files: stale.into_iter().map(|f| (f.path, f.why)).collect(),
        help: format!(
            "run `synth` (and commit {out}), then `synth diff` again: a diff of a stale {out} would describe permissions the specs no longer grant"
        ),
    })
}

/// The base, and each stack's diff: both sides read, and compared as soon as they are (only
/// one stack's parsed templates are held at a time).
fn load(
    args: &DiffArgs,
    cwd: &Path,
    notes: &mut Vec<String>,
) -> Result<(Base, BTreeMap<String, StackDiff>), Error> {
    let current = base::from_dir(cwd, &args.out, notes)?;
    let (base, old) = match &args.base_dir {
        Some(dir) => (
            Base::Dir { dir: display(dir) },
            base::from_dir(cwd, dir, notes)?,
        ),
        None => base::from_git(cwd, args.base.as_deref(), &args.out, notes)?,
    };
    let mut stacks = BTreeMap::new();
    base::read(cwd, &old, &current, |name, pair| {
        stacks.insert(name.to_owned(), compare::pair(name, &pair));
    })?;
    Ok((base, stacks))
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
