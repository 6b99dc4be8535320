//! Whether a directory holds exactly what the specs of a stacks directory generate now
//! ([`stale_files`]: each spec compiled and its files emitted by `compile`, in memory, on every
//! core, without the findings, which never change a file), which `synth diff` asks before it
//! describes that directory.
//! Must not: write anything, or print anything.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::num::NonZero;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use crate::cfn::emit::Format;
use crate::compile::{compile_files_only, emit_files};
use crate::diag::{Class, Severity};
use crate::input::{SPEC_MAX_BYTES, read_bounded};
use crate::layout::{self, display};

/// How a file in the directory differs from what the specs generate now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaleFile {
    /// The file, as shown (relative to the working directory).
    pub path: String,
    /// `stale: stacks/a.yaml generates other content`, `missing: …`, `orphaned: …`.
    pub why: String,
}

/// Why [`stale_files`] could not tell.
#[derive(Debug)]
pub enum Unknown {
    /// The stacks directory does not exist: nothing to compare with.
    NoSpecs,
    /// A spec or the directory could not be read: (path as shown, what was done, the error).
    Io(String, &'static str, io::Error),
    /// These specs have input errors (nothing is generated from them): their files as shown.
    Unusable(Vec<String>),
}

/// The files of `out` that differ from what the specs in `stacks` generate now (both relative
/// to `cwd`): each spec is compiled in memory and its files compared byte for byte with those
/// in `out`, in the template format found there (YAML unless only the JSON template exists);
/// generated files in `out` that no spec generates are orphaned. Empty when `out` is current.
pub fn stale_files(cwd: &Path, stacks: &Path, out: &Path) -> Result<Vec<StaleFile>, Unknown> {
    let dir = cwd.join(stacks);
    // An empty stacks directory generates nothing: whatever out/ holds is orphaned.
    let specs = match layout::spec_entries(&dir) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Unknown::NoSpecs),
        Err(e) => return Err(Unknown::Io(display(stacks), "cannot list the specs", e)),
    };
    let out_dir = cwd.join(out);
    // Specs are independent: compiled on every core, then taken in spec order, so the answer
    // does not depend on which thread took which spec.
    let next = AtomicUsize::new(0);
    let workers = thread::available_parallelism().map_or(1, NonZero::get);
    let mut results: Vec<(usize, Result<Checked, Unknown>)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers.clamp(1, specs.len().max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((name, _)) = specs.get(index) else {
                            break;
                        };
                        mine.push((index, check_one(cwd, stacks, name, &out_dir)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stale-check thread panicked"))
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    let mut stale = Vec::new();
    let mut unusable = Vec::new();
    let mut planned = BTreeSet::new();
    for (_, checked) in results {
        match checked? {
            Checked::Unusable(source) => unusable.push(source),
            Checked::Files(files) => {
                for (path, why) in files {
                    if let Some(why) = why {
                        stale.push(StaleFile {
                            path: shown(cwd, &path),
                            why,
                        });
                    }
                    planned.insert(path);
                }
            }
        }
    }
    if !unusable.is_empty() {
        return Err(Unknown::Unusable(unusable));
    }
    let orphans: Vec<PathBuf> = layout::generated_files(&out_dir, |p| !planned.contains(p))
        .map_err(|e| Unknown::Io(display(out), "cannot list", e))?;
    for p in orphans {
        stale.push(StaleFile {
            path: shown(cwd, &p),
            why: "orphaned: no spec generates it".to_owned(),
        });
    }
    stale.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(stale)
}

/// One spec's answer: its files (path, and why it is stale when it is), or unusable.
enum Checked {
    Files(Vec<(PathBuf, Option<String>)>),
    Unusable(String),
}

/// A path as shown: relative to the working directory.
fn shown(cwd: &Path, p: &Path) -> String {
    display(p.strip_prefix(cwd).unwrap_or(p))
}

/// Compiles the spec `name` in `stacks` and compares its files with those in `out_dir`.
fn check_one(cwd: &Path, stacks: &Path, name: &str, out_dir: &Path) -> Result<Checked, Unknown> {
    let file = stacks.join(name);
    let source = display(&file);
    let bytes = read_bounded(&cwd.join(&file), SPEC_MAX_BYTES)
        .map_err(|e| Unknown::Io(source.clone(), "cannot read the spec", e))?;
    let (compiled, diags) = compile_files_only(&source, &bytes);
    let usable = !diags
        .iter()
        .any(|d| d.severity == Severity::Error && d.class == Class::Input);
    let Some(c) = compiled.filter(|_| usable) else {
        return Ok(Checked::Unusable(source));
    };
    let stack = &c.loaded.spec.stack;
    let json_only = !out_dir
        .join(layout::template_name(stack, Format::Yaml))
        .exists()
        && out_dir
            .join(layout::template_name(stack, Format::Json))
            .exists();
    let format = if json_only {
        Format::Json
    } else {
        Format::Yaml
    };
    let mut files = Vec::new();
    for (name, text) in emit_files(&c, format).0 {
        let path = out_dir.join(&name);
        let why = match fs::read(&path) {
            Ok(old) if old == text.as_bytes() => None,
            Ok(_) => Some(format!("stale: {source} generates other content")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                Some(format!("missing: {source} generates it"))
            }
            Err(e) => return Err(Unknown::Io(shown(cwd, &path), "cannot read", e)),
        };
        files.push((path, why));
    }
    Ok(Checked::Files(files))
}
