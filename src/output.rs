//! The files synth would write, compared with or written to the output directory. Writes are
//! atomic (a temporary file in the same directory, then rename), so a reader never sees half a
//! template, and an interrupted run leaves the old file; nothing is renamed into place until
//! every spec has passed.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use similar::TextDiff;

/// Every generated file starts with this (YAML) or carries it (JSON metadata); only such files
/// are ever removed as orphans.
const MARKER: &str = "cogsynth";

/// One file synth would write, set against the disk as soon as it is produced, so that only
/// differences are kept in memory (issue: scale).
#[derive(Debug)]
pub enum Staged {
    /// The file on disk already has this content.
    Same,
    /// `--check`: the file does not exist.
    Missing,
    /// `--check`: the file differs; a unified diff from disk to what synth would write.
    Stale(String),
    /// Writing: the new content sits in a hidden temporary file in the same directory, renamed
    /// over the target by [`commit`] once every spec has passed, deleted if dropped instead.
    Pending(tempfile::TempPath),
}

/// The output directory as this run found it. Writing makes sure it exists once, up front,
/// rather than once per file; if this run had to create it, nothing in it can differ from what
/// synth writes, so files are staged without reading the disk first (issue: scale).
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    /// The directories this run created (the output directory and any missing parents),
    /// innermost first, so that a failed run can leave no trace.
    created: Vec<PathBuf>,
    check: bool,
}

impl OutDir {
    /// `--check` (`check`) only reads; writing creates `dir` and any missing parents.
    pub fn open(dir: &Path, check: bool) -> io::Result<Self> {
        let mut created = Vec::new();
        if !check {
            let mut missing = Some(dir);
            while let Some(d) = missing.filter(|d| !d.as_os_str().is_empty() && !d.exists()) {
                created.push(d.to_path_buf());
                missing = d.parent();
            }
            fs::create_dir_all(dir)?;
        }
        Ok(Self {
            dir: dir.to_path_buf(),
            created,
            check,
        })
    }

    /// Where a file named `name` goes.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir.join(name)
    }

    /// Sets `content` for `path` (in this directory) against the disk: compared (`--check`) or
    /// staged for writing.
    pub fn stage(&self, path: &Path, content: &str) -> io::Result<Staged> {
        // A directory this run created holds nothing but its own staged files.
        if !self.created.is_empty() {
            return write_temp(path, content).map(Staged::Pending);
        }
        stage(path, content, self.check)
    }

    /// Removes the directories this run created, for a run that ends with nothing written
    /// (its staged files must be dropped first). Only empty directories are removed.
    pub fn abandon(self) {
        for dir in &self.created {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// Sets `content` for `path` against the disk: compared (`check`) or staged for writing.
fn stage(path: &Path, content: &str, check: bool) -> io::Result<Staged> {
    let old = match fs::read_to_string(path) {
        Ok(old) if old == content => return Ok(Staged::Same),
        Ok(old) => Some(old),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        // Not UTF-8 (or unreadable as text): it differs.
        Err(e) if e.kind() == io::ErrorKind::InvalidData => Some(String::new()),
        Err(e) => return Err(e),
    };
    if check {
        return Ok(match old {
            None => Staged::Missing,
            Some(old) => {
                let shown = path.display().to_string();
                let diff = TextDiff::from_lines(&old, content)
                    .unified_diff()
                    .context_radius(3)
                    .header(&shown, &format!("{shown} (generated)"))
                    .to_string();
                Staged::Stale(diff)
            }
        });
    }
    write_temp(path, content).map(Staged::Pending)
}

/// Writes `content` to a new hidden temporary file beside `path` (whose directory exists).
fn write_temp(path: &Path, content: &str) -> io::Result<tempfile::TempPath> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let mut builder = tempfile::Builder::new();
    builder.prefix(".synth-").suffix(".tmp");
    // Temporary files are created 0600; templates are ordinary files, readable by tools and
    // colleagues like anything else in the checkout.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        builder.permissions(fs::Permissions::from_mode(0o644));
    }
    let mut tmp = builder.tempfile_in(dir)?;
    tmp.write_all(content.as_bytes())?;
    // No fsync: the rename is what makes the write atomic for readers, and out/ can always be
    // regenerated; a sync per file would make a fleet-wide run disk-bound.
    Ok(tmp.into_temp_path())
}

/// Renames every staged file over its target.
pub fn commit(pending: Vec<(PathBuf, tempfile::TempPath)>) -> io::Result<()> {
    for (path, tmp) in pending {
        tmp.persist(&path).map_err(|e| e.error)?;
    }
    Ok(())
}

/// Generated files in `dir` that no spec produces any more.
pub fn orphans(dir: &Path, planned: &BTreeSet<PathBuf>) -> io::Result<Vec<PathBuf>> {
    generated_files(dir, |p| !planned.contains(p))
}

/// Generated files in `dir` for which `wanted` holds: templates (`*.template.yaml` /
/// `*.template.json` that carry the marker) and parameter files. Only wanted files are read,
/// so planned files are not read a second time.
fn generated_files(dir: &Path, wanted: impl Fn(&Path) -> bool) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if !wanted(&path) {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        let template = (name.ends_with(".template.yaml") || name.ends_with(".template.json"))
            && fs::read_to_string(&path).is_ok_and(|t| t.contains(MARKER));
        if template || (name.ends_with(".parameters.json") && is_parameter_file(&path)) {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

/// A CloudFormation parameter file (`[{"ParameterKey": ..., "ParameterValue": ...}]`), which
/// has no room for a marker: only such files are ever removed as orphans.
fn is_parameter_file(path: &Path) -> bool {
    let Ok(text) = fs::read_to_string(path) else {
        return false;
    };
    serde_json::from_str::<serde_json::Value>(&text).is_ok_and(|v| {
        v.as_array().is_some_and(|items| {
            items
                .iter()
                .all(|i| i.get("ParameterKey").is_some() && i.get("ParameterValue").is_some())
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staging_compares_then_commits_atomically() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let a = d.join("a.template.yaml");
        assert!(matches!(
            stage(&a, "# cogsynth\na: 1\n", true).unwrap(),
            Staged::Missing
        ));
        let Staged::Pending(tmp) = stage(&a, "# cogsynth\na: 1\n", false).unwrap() else {
            panic!("not staged")
        };
        assert!(!a.exists(), "nothing lands before commit");
        commit(vec![(a.clone(), tmp)]).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "# cogsynth\na: 1\n");
        assert!(matches!(
            stage(&a, "# cogsynth\na: 1\n", false).unwrap(),
            Staged::Same
        ));
        let Staged::Stale(diff) = stage(&a, "# cogsynth\na: 2\n", true).unwrap() else {
            panic!("not stale")
        };
        assert!(diff.contains("-a: 1\n+a: 2\n"), "{diff}");
        // A staged file that is dropped instead of committed leaves nothing behind.
        drop(stage(&a, "# cogsynth\na: 3\n", false).unwrap());
        assert_eq!(fs::read_to_string(&a).unwrap(), "# cogsynth\na: 1\n");
        let leftovers = fs::read_dir(d)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .count();
        assert_eq!(leftovers, 0);
    }

    #[test]
    fn a_created_directory_is_written_without_reading_and_abandoned_without_trace() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("build/cfn/out");
        assert!(
            OutDir::open(&out, true).is_ok() && !root.path().join("build").exists(),
            "--check creates nothing"
        );
        let dir = OutDir::open(&out, false).unwrap();
        assert!(out.is_dir());
        // What this run created, innermost first.
        assert_eq!(
            dir.created,
            [
                out.clone(),
                root.path().join("build/cfn"),
                root.path().join("build")
            ]
        );
        let a = dir.join("a.template.yaml");
        assert!(matches!(
            dir.stage(&a, "# cogsynth\n").unwrap(),
            Staged::Pending(_)
        ));
        // The pending file was dropped (deleted), so every directory is empty again.
        dir.abandon();
        assert!(!root.path().join("build").exists());

        // A directory that was already there is read, and never removed.
        fs::create_dir_all(&out).unwrap();
        fs::write(&a, "# cogsynth\n").unwrap();
        let dir = OutDir::open(&out, false).unwrap();
        assert!(dir.created.is_empty());
        assert!(matches!(
            dir.stage(&a, "# cogsynth\n").unwrap(),
            Staged::Same
        ));
        dir.abandon();
        assert!(a.exists());
    }

    #[test]
    fn abandon_keeps_directories_that_are_not_empty() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("build/out");
        let dir = OutDir::open(&out, false).unwrap();
        // Somebody else put a file in build/ meanwhile.
        fs::write(root.path().join("build/theirs.txt"), "x").unwrap();
        dir.abandon();
        assert!(!out.exists());
        assert!(root.path().join("build/theirs.txt").exists());
    }

    #[test]
    fn only_generated_files_are_orphans() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        fs::write(d.join("keep.template.yaml"), "# cogsynth\n").unwrap();
        fs::write(d.join("old.template.yaml"), "# cogsynth\n").unwrap();
        fs::write(d.join("notes.template.yaml"), "hand-written\n").unwrap();
        fs::write(
            d.join("old.dev.parameters.json"),
            "[{\"ParameterKey\": \"A\", \"ParameterValue\": \"b\"}]",
        )
        .unwrap();
        fs::write(d.join("other.parameters.json"), "{\"not\": \"ours\"}").unwrap();
        let planned: BTreeSet<PathBuf> = [d.join("keep.template.yaml")].into();
        assert_eq!(
            orphans(d, &planned).unwrap(),
            [
                d.join("old.dev.parameters.json"),
                d.join("old.template.yaml")
            ]
        );
    }
}
