//! `synth [SPEC...]` and `synth --check`, the default command: finds specs, compiles each
//! (`compile`: load → schema → meaning checks → build → limits → rules → expectations), emits,
//! then writes or checks out/ (names from `layout`, writes through `output`). All-or-nothing: if
//! any spec has an error, nothing is written. Its report is the diagnostics, in `--format`, and
//! one line per file.
//! Must not: print a fatal error (it returns it), or name an out/ file itself.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::fs;
use std::io::{self, Write};
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use super::Streams;
use crate::cfn::emit::Format;
use crate::cli::{Cli, DiagFormat, TemplateFormat, subcommand_names};
use crate::compile::{compile, emit_files};
use crate::diag::{self, Class, Diagnostic, Pos, Severity, io_words};
use crate::error::{Error, Exit};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::{self, display};
use crate::output::{OutDir, Staged};
use crate::spec::schema_suggest as did_you_mean;

/// A spec that passed every check, with its template text.
struct Built {
    source: String,
    path: PathBuf,
    staged: Staged,
}

/// Builds (or with `--check` checks) out/ from the specs the command line names, relative to
/// `cwd`.
pub fn run(cli: &Cli, cwd: &Path, io: &mut Streams<'_>) -> Result<Exit, Error> {
    let named = !cli.specs.is_empty();
    let files = if named {
        for spec in &cli.specs {
            mistyped_command(cwd, spec)?;
        }
        cli.specs.clone()
    } else {
        let start = "run `synth init` to write a starter spec there, or name spec files";
        match layout::spec_entries(&cwd.join(&cli.stacks)) {
            // The entry's own name, not its lossy spelling: a non-UTF-8 name is then refused
            // for what it is (`build_one`), not reported as a missing file.
            Ok(f) if !f.is_empty() => f
                .into_iter()
                .map(|(_, e)| cli.stacks.join(e.file_name()))
                .collect(),
            Ok(_) => {
                return Err(Error::Missing {
                    path: display(&cli.stacks),
                    what: format!("no *.yaml specs found; {start}"),
                });
            }
            Err(e) => {
                return Err(Error::io(
                    display(&cli.stacks),
                    "cannot read the stacks directory",
                    &e,
                )
                .with_help(start));
            }
        }
    };

    refuse_out_among_specs(cli, cwd, &files)?;

    let format = match cli.template_format {
        TemplateFormat::Yaml => Format::Yaml,
        TemplateFormat::Json => Format::Json,
    };
    // Writing stages files in out/ as specs finish; directories this run creates go again if
    // it fails, so a failed run leaves no trace.
    let out_dir = OutDir::open(&cwd.join(&cli.out), cli.check).map_err(|e| {
        Error::io(display(&cli.out), "cannot create the output directory", &e)
            .with_help(out_help(cli, &e))
    })?;
    let All {
        built,
        mut diags,
        sources,
        stats,
    } = compile_all(cwd, &files, format, &out_dir);

    diag::sort(&mut diags);
    render(&diags, &sources, cli.format, io);
    let unusable = diags
        .iter()
        .any(|d| d.severity == Severity::Error && d.class == Class::Input);
    let built = match built {
        Ok(built) if !diag::has_errors(&diags) => built,
        built => {
            let ended = match &built {
                Err(e) => Err(
                    Error::io(display(&cli.out), "cannot write the templates", e)
                        .with_help(out_help(cli, e)),
                ),
                Ok(_) if unusable => Err(Error::Diagnosed),
                Ok(_) => Ok(Exit::Findings),
            };
            // Dropping the staged files deletes them.
            drop(built);
            out_dir.abandon();
            return ended;
        }
    };
    let mut tally = Tally {
        files: built.len(),
        written: built
            .iter()
            .filter(|b| matches!(b.staged, Staged::Pending(_) | Staged::New))
            .count(),
        removed: 0,
        warnings: diags.len(),
    };
    if cli.check {
        let exit = check_out(cli, cwd, &out_dir, &built, !named, io)?;
        Ok(summary(cli, exit, &tally, &stats, io))
    } else {
        tally.removed = write_out(cli, cwd, out_dir, built, !named, io.err)?;
        Ok(summary(cli, Exit::Ok, &tally, &stats, io))
    }
}

/// What a passing run did, for its summary.
struct Tally {
    files: usize,
    written: usize,
    removed: usize,
    warnings: usize,
}

/// `synth dif`: a word that is no file, written like a subcommand's name (no extension, no
/// directory) and close to one, is a mistyped subcommand, not a spec.
fn mistyped_command(cwd: &Path, spec: &Path) -> Result<(), Error> {
    let word = spec.to_string_lossy();
    if spec.components().count() != 1 || spec.extension().is_some() || cwd.join(spec).exists() {
        return Ok(());
    }
    let names = subcommand_names();
    match did_you_mean(&word, &names) {
        Some(name) => Err(Error::UnknownCommand {
            word: word.into_owned(),
            suggestion: name.to_owned(),
        }),
        None => Ok(()),
    }
}

/// Templates written where specs are read from would be read as specs by the next run (and
/// fail it, or worse, be taken for one): `--out` may not be the directory of a spec being
/// built, nor the stacks directory (when it exists: with specs named and no stacks directory,
/// `--out stacks` is just a name).
fn refuse_out_among_specs(cli: &Cli, cwd: &Path, files: &[PathBuf]) -> Result<(), Error> {
    let out = cwd.join(&cli.out);
    let stacks = cwd.join(&cli.stacks);
    let stacks = (cli.specs.is_empty() || stacks.is_dir()).then_some(stacks);
    let spec_dirs = files
        .iter()
        .map(|f| cwd.join(f.parent().unwrap_or(Path::new(""))));
    if !stacks
        .into_iter()
        .chain(spec_dirs)
        .any(|d| layout::same_dir(&out, &d))
    {
        return Ok(());
    }
    Err(Error::Io {
        path: display(&cli.out),
        doing: Some("will not write templates here".into()),
        why: "specs are read from this directory".into(),
        help: Some(
            "the next run would read the templates as specs: write them elsewhere with \
             `--out DIR` (the default is out)"
                .into(),
        ),
    })
}

/// What to do when out/ cannot be written.
fn out_help(cli: &Cli, e: &io::Error) -> String {
    let out = display(&cli.out);
    match e.kind() {
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => format!(
            "synth writes the templates into {out}: make it writable, or write elsewhere with `--out DIR`"
        ),
        io::ErrorKind::NotADirectory | io::ErrorKind::AlreadyExists => format!(
            "{out} must be a directory (or not exist yet): move the file away, or write elsewhere with `--out DIR`"
        ),
        // create_dir_all makes every missing parent, so "not found" means a dangling symbolic
        // link on the way, or a file system that refuses new entries (/proc, /sys).
        io::ErrorKind::NotFound => format!(
            "{out} cannot be created: a directory above it is a symbolic link to nothing, or a file system that takes no new entries; fix the link, or write elsewhere with `--out DIR`"
        ),
        io::ErrorKind::StorageFull => {
            format!("free some space for {out}, or write elsewhere with `--out DIR`")
        }
        _ => format!("check that {out} is a directory synth can write, or pass `--out DIR`"),
    }
}

/// The closing lines of a passing run: what it proved. Stacks, files (written, unchanged,
/// removed; or up to date), warnings, and the `expect:` requests that passed per stack.
fn summary(
    cli: &Cli,
    exit: Exit,
    tally: &Tally,
    stats: &[(String, usize)],
    io: &mut Streams<'_>,
) -> Exit {
    if exit != Exit::Ok {
        return exit;
    }
    let who = if cli.check { "synth --check" } else { "synth" };
    let out = display(&cli.out);
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let stacks = plural(stats.len(), "stack", "stacks");
    let files = plural(tally.files, "file", "files");
    let warned = if tally.warnings == 0 {
        String::new()
    } else {
        format!(", {}", plural(tally.warnings, "warning", "warnings"))
    };
    let files_line = if cli.check {
        format!("{files} in {out} up to date")
    } else {
        let mut line = format!(
            "{files} in {out}: {} written, {} unchanged",
            tally.written,
            tally.files - tally.written
        );
        if tally.removed > 0 {
            let _ = write!(line, ", {} orphaned removed", tally.removed);
        }
        line
    };
    let ok = io.err_paint.ok("ok");
    let _ = writeln!(io.err, "{who}: {ok}: {stacks}, {files_line}{warned}");
    let passed: usize = stats.iter().map(|(_, n)| n).sum();
    let with: Vec<String> = stats
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(stack, n)| format!("{stack} {n}"))
        .collect();
    let without: Vec<&str> = stats
        .iter()
        .filter(|(_, n)| *n == 0)
        .map(|(stack, _)| stack.as_str())
        .collect();
    let mut line = format!(
        "{who}: expect: {} passed",
        plural(passed, "request", "requests")
    );
    if !with.is_empty() {
        let _ = write!(line, " ({})", with.join(", "));
    }
    if !without.is_empty() {
        let _ = write!(line, "; no `expect:` in {}", without.join(", "));
    }
    let _ = writeln!(io.err, "{line}");
    exit
}

/// Reads, compiles and emits every file, on every core; one spec's compiled model is dropped
/// as soon as its files are emitted. Returns the files to write in spec order, every
/// diagnostic, the source texts (for snippets), and per stack the number of `expect:`
/// requests it proved.
fn compile_all(cwd: &Path, files: &[PathBuf], format: Format, out_dir: &OutDir) -> All {
    // Specs are independent: compile them on every core, then put the results back in file
    // order, so nothing depends on which thread took which spec.
    let next = AtomicUsize::new(0);
    let workers = thread::available_parallelism().map_or(1, NonZero::get);
    let mut results: Vec<One> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, files.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(index) else { break };
                        mine.push(One {
                            index,
                            ..build_one(cwd, file, format, out_dir)
                        });
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a compile thread panicked"))
            .collect()
    });
    results.sort_by_key(|one| one.index);
    let mut diags = Vec::new();
    let mut sources = BTreeMap::new();
    let mut built = Vec::new();
    let mut stacks = Vec::new();
    let mut stats = Vec::new();
    let mut io_error = None;
    for one in results {
        // Source texts are kept only to show snippets of diagnostics.
        if let Some(text) = one.source.filter(|_| !one.diags.is_empty()) {
            sources.insert(one.shown.clone(), text);
        }
        diags.extend(one.diags);
        if let Some((stack, pos, requests)) = one.stack {
            stats.push((stack.clone(), requests));
            stacks.push((stack, one.shown, pos));
        }
        match one.built {
            Ok(b) => built.extend(b),
            Err(e) => io_error = io_error.or(Some(e)),
        }
    }
    check_unique_stacks(&stacks, &mut diags);
    All {
        built: io_error.map_or(Ok(built), Err),
        diags,
        sources,
        stats,
    }
}

/// What [`compile_all`] gives.
struct All {
    /// The files to write, in spec order (or the first I/O error staging them).
    built: io::Result<Vec<Built>>,
    /// Every diagnostic.
    diags: Vec<Diagnostic>,
    /// The source texts of specs with diagnostics, for snippets.
    sources: BTreeMap<String, String>,
    /// Per stack, the number of `expect:` requests it proved.
    stats: Vec<(String, usize)>,
}

/// What one spec gives.
struct One {
    index: usize,
    shown: String,
    source: Option<String>,
    /// The stack name, where the spec names it, and how many `expect:` requests it has.
    stack: Option<(String, Pos, usize)>,
    built: io::Result<Vec<Built>>,
    diags: Vec<Diagnostic>,
}

fn build_one(cwd: &Path, file: &Path, format: Format, out_dir: &OutDir) -> One {
    let shown = display(file);
    let mut one = One {
        index: 0,
        shown: shown.clone(),
        source: None,
        stack: None,
        built: Ok(Vec::new()),
        diags: Vec::new(),
    };
    if file.to_str().is_none() {
        one.diags.push(
            Diagnostic::input(
                "spec-file-name",
                &shown,
                None,
                "the file name is not valid UTF-8",
            )
            .with_help(
                "rename the file: its name is written into the templates synth makes from it",
            ),
        );
        return one;
    }
    let bytes = match read_bounded(&cwd.join(file), SPEC_MAX_BYTES) {
        Ok(b) => b,
        Err(e) => {
            let help = if cwd.join(file).is_dir() {
                format!(
                    "a spec is a file; to build every *.yaml in a directory: synth --stacks {shown}"
                )
            } else {
                "check the path; with no arguments synth builds every *.yaml in stacks/".to_owned()
            };
            one.diags.push(
                Diagnostic::input(
                    "io",
                    &shown,
                    None,
                    format!("cannot read the spec: {}", io_words(&e)),
                )
                .with_help(help),
            );
            return one;
        }
    };
    one.source = Some(String::from_utf8_lossy(&bytes).into_owned());
    let (compiled, found) = compile(&shown, &bytes);
    one.diags = found;
    let Some(c) = compiled else { return one };
    let source = c.loaded.file.clone();
    let (files, size_diags) = emit_files(&c, format);
    one.diags.extend(size_diags);
    // Set each file against the disk now, so no text outlives its spec.
    one.built = files
        .into_iter()
        .map(|(name, text)| {
            let path = out_dir.join(name);
            Ok(Built {
                source: source.clone(),
                staged: out_dir.stage(&path, &text)?,
                path,
            })
        })
        .collect();
    let requests = c
        .loaded
        .spec
        .expect
        .iter()
        .map(|e| e.allow.len() + e.deny.len())
        .sum();
    one.stack = Some((
        c.loaded.spec.stack.clone(),
        c.loaded.doc.locate("/stack"),
        requests,
    ));
    one
}

fn planned(built: &[Built]) -> BTreeSet<PathBuf> {
    built.iter().map(|b| b.path.clone()).collect()
}

fn check_out(
    cli: &Cli,
    cwd: &Path,
    out_dir: &OutDir,
    built: &[Built],
    orphans: bool,
    io: &mut Streams<'_>,
) -> Result<Exit, Error> {
    let (stdout, stderr, paint) = (&mut *io.out, &mut *io.err, io.out_paint);
    // out/ may have been edited by hand: its file names and the lines of a stale file are shown
    // with control and bidi characters escaped, so a file cannot drive the terminal or the CI log.
    let shown =
        |p: &Path| crate::text::escape(&display(p.strip_prefix(cwd).unwrap_or(p))).into_owned();
    let orphaned = if orphans {
        out_dir
            .orphans(&planned(built))
            .map_err(|e| Error::io_on(display(&cli.out), &e))?
    } else {
        Vec::new()
    };
    let mut stale = false;
    for b in built {
        if let Staged::Missing = b.staged {
            let _ = writeln!(stderr, "{}: missing: synth would write it", shown(&b.path));
            stale = true;
        }
    }
    for b in built {
        if let Staged::Stale(diff) = &b.staged {
            let _ = writeln!(
                stderr,
                "{}: stale: differs from what synth would write",
                shown(&b.path)
            );
            let _ = write!(
                stdout,
                "{}",
                paint.diff(&crate::text::escape_except(
                    &diff.replace(&format!("{}/", cwd.display()), ""),
                    &['\n', '\t']
                ))
            );
            stale = true;
        }
    }
    for p in &orphaned {
        let _ = writeln!(stderr, "{}: orphaned: no spec generates it", shown(p));
        stale = true;
    }
    if stale {
        let _ = writeln!(
            stderr,
            "synth --check: {} is stale; run `synth` and commit the result",
            display(&cli.out)
        );
        Ok(Exit::Findings)
    } else {
        Ok(Exit::Ok)
    }
}

fn write_out(
    cli: &Cli,
    cwd: &Path,
    out_dir: OutDir,
    built: Vec<Built>,
    orphans: bool,
    stderr: &mut dyn Write,
) -> Result<usize, Error> {
    let shown = |p: &Path| display(p.strip_prefix(cwd).unwrap_or(p));
    // One write to stderr at the end, not one per file.
    let mut report = String::new();
    let mut pending = Vec::new();
    let planned = planned(&built);
    for b in built {
        let state = match b.staged {
            Staged::Pending(tmp) => {
                pending.push((b.path.clone(), tmp));
                "wrote"
            }
            Staged::New => "wrote",
            _ => "unchanged",
        };
        let _ = writeln!(
            report,
            "synth: {state} {} (from {})",
            shown(&b.path),
            b.source
        );
    }
    // Found before the renames: the files they put in place are all planned.
    let result = if orphans {
        out_dir.orphans(&planned)
    } else {
        Ok(Vec::new())
    }
    .and_then(|orphaned| {
        out_dir.commit(pending)?;
        orphaned.iter().try_for_each(fs::remove_file)?;
        Ok(orphaned)
    });
    let orphaned = result.map_err(|e| {
        Error::io(display(&cli.out), "cannot write the templates", &e).with_help(out_help(cli, &e))
    })?;
    for p in &orphaned {
        let _ = writeln!(report, "synth: removed {} (no spec generates it)", shown(p));
    }
    let _ = stderr.write_all(report.as_bytes());
    Ok(orphaned.len())
}

fn check_unique_stacks(stacks: &[(String, String, Pos)], diags: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for (stack, file, pos) in stacks {
        if let Some(first) = seen.insert(stack, file) {
            diags.push(
                Diagnostic::input(
                    "spec-duplicate",
                    file,
                    Some(*pos),
                    format!("stack `{stack}` is also defined in {first}"),
                )
                .with_help("stack names are out/ file names: give each spec its own"),
            );
        }
    }
}

fn render(
    diags: &[Diagnostic],
    sources: &BTreeMap<String, String>,
    format: DiagFormat,
    io: &mut Streams<'_>,
) {
    match format {
        DiagFormat::Text => {
            for d in diags {
                let _ = write!(
                    io.err,
                    "{}",
                    d.render_with(sources.get(&d.file).map(String::as_str), io.err_paint)
                );
            }
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = diags.len() - errors;
            if errors + warnings > 0 {
                let _ = writeln!(io.err, "synth: {errors} error(s), {warnings} warning(s)");
            }
        }
        DiagFormat::Sarif => {
            let _ = writeln!(
                io.out,
                "{}",
                serde_json::to_string_pretty(&crate::sarif::log(diags)).unwrap_or_default()
            );
        }
        DiagFormat::Json => {
            // Messages are for people: what a spec put in them is escaped, as on a terminal.
            let shown: Vec<Diagnostic> = diags
                .iter()
                .map(|d| Diagnostic {
                    message: crate::text::escape(&d.message).into_owned(),
                    help: d
                        .help
                        .as_deref()
                        .map(|h| crate::text::escape(h).into_owned()),
                    ..d.clone()
                })
                .collect();
            let doc = serde_json::json!({ "diagnostics": shown });
            let _ = writeln!(
                io.out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
    }
}
