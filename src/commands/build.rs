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

use crate::cfn::emit::Format;
use crate::cli::{Cli, DiagFormat, TemplateFormat};
use crate::compile::{compile, emit_files};
use crate::diag::{self, Class, Diagnostic, Pos, Severity, io_words};
use crate::error::{Error, Exit};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::{self, display};
use crate::output::{OutDir, Staged};

/// A spec that passed every check, with its template text.
struct Built {
    source: String,
    path: PathBuf,
    staged: Staged,
}

/// Builds (or with `--check` checks) out/ from the specs the command line names, relative to
/// `cwd`.
pub fn run(
    cli: &Cli,
    cwd: &Path,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Exit, Error> {
    let named = !cli.specs.is_empty();
    let files = if named {
        cli.specs.clone()
    } else {
        match layout::spec_entries(&cwd.join(&cli.stacks)) {
            Ok(f) if !f.is_empty() => f.into_iter().map(|(f, _)| cli.stacks.join(f)).collect(),
            Ok(_) => {
                return Err(Error::Missing {
                    path: display(&cli.stacks),
                    what: "no *.yaml specs found".to_owned(),
                });
            }
            Err(e) => {
                return Err(Error::io(
                    display(&cli.stacks),
                    "cannot read the stacks directory",
                    &e,
                ));
            }
        }
    };

    let format = match cli.template_format {
        TemplateFormat::Yaml => Format::Yaml,
        TemplateFormat::Json => Format::Json,
    };
    // Writing stages files in out/ as specs finish; directories this run creates go again if
    // it fails, so a failed run leaves no trace.
    let out_dir = OutDir::open(&cwd.join(&cli.out), cli.check)
        .map_err(|e| Error::io(display(&cli.out), "cannot create the output directory", &e))?;
    let (built, mut diags, sources) = compile_all(cwd, &files, format, &out_dir);

    diag::sort(&mut diags);
    render(&diags, &sources, cli.format, stdout, stderr);
    let unusable = diags
        .iter()
        .any(|d| d.severity == Severity::Error && d.class == Class::Input);
    let built = match built {
        Ok(built) if !diag::has_errors(&diags) => built,
        built => {
            let ended = match &built {
                Err(e) => Err(Error::io_on(display(&cli.out), e)),
                Ok(_) if unusable => Err(Error::Diagnosed),
                Ok(_) => Ok(Exit::Findings),
            };
            // Dropping the staged files deletes them.
            drop(built);
            out_dir.abandon();
            return ended;
        }
    };
    if cli.check {
        check_out(cli, cwd, &out_dir, &built, !named, stdout, stderr)
    } else {
        write_out(cli, cwd, out_dir, built, !named, stderr)
    }
}

/// Reads, compiles and emits every file, on every core; one spec's compiled model is dropped
/// as soon as its files are emitted. Returns the files to write in spec order, every
/// diagnostic, and the source texts (for snippets).
fn compile_all(
    cwd: &Path,
    files: &[PathBuf],
    format: Format,
    out_dir: &OutDir,
) -> (
    io::Result<Vec<Built>>,
    Vec<Diagnostic>,
    BTreeMap<String, String>,
) {
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
    let mut io_error = None;
    for one in results {
        // Source texts are kept only to show snippets of diagnostics.
        if let Some(text) = one.source.filter(|_| !one.diags.is_empty()) {
            sources.insert(one.shown.clone(), text);
        }
        diags.extend(one.diags);
        if let Some((stack, pos)) = one.stack {
            stacks.push((stack, one.shown, pos));
        }
        match one.built {
            Ok(b) => built.extend(b),
            Err(e) => io_error = io_error.or(Some(e)),
        }
    }
    check_unique_stacks(&stacks, &mut diags);
    (io_error.map_or(Ok(built), Err), diags, sources)
}

/// What one spec gives.
struct One {
    index: usize,
    shown: String,
    source: Option<String>,
    stack: Option<(String, Pos)>,
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
    let bytes = match read_bounded(&cwd.join(file), SPEC_MAX_BYTES) {
        Ok(b) => b,
        Err(e) => {
            one.diags.push(
                Diagnostic::input(
                    "io",
                    &shown,
                    None,
                    format!("cannot read the spec: {}", io_words(&e)),
                )
                .with_help(
                    "check the path; with no arguments synth builds every *.yaml in stacks/",
                ),
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
    one.stack = Some((c.loaded.spec.stack.clone(), c.loaded.doc.locate("/stack")));
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
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<Exit, Error> {
    let shown = |p: &Path| display(p.strip_prefix(cwd).unwrap_or(p));
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
                diff.replace(&format!("{}/", cwd.display()), "")
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
        let _ = writeln!(
            stderr,
            "synth: {} file(s) in {} are up to date",
            built.len(),
            display(&cli.out)
        );
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
) -> Result<Exit, Error> {
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
        orphaned.iter().try_for_each(fs::remove_file)
    });
    result.map_err(|e| Error::io(display(&cli.out), "cannot write", &e))?;
    let _ = stderr.write_all(report.as_bytes());
    Ok(Exit::Ok)
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
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) {
    match format {
        DiagFormat::Text => {
            for d in diags {
                let _ = write!(
                    stderr,
                    "{}",
                    d.render(sources.get(&d.file).map(String::as_str))
                );
            }
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = diags.len() - errors;
            if errors + warnings > 0 {
                let _ = writeln!(stderr, "synth: {errors} error(s), {warnings} warning(s)");
            }
        }
        DiagFormat::Sarif => {
            let _ = writeln!(
                stdout,
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
                stdout,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
    }
}
