//! The files synth would write, compared with or written to the output directory. Writes are
//! atomic, so a reader never sees half a template and an interrupted run leaves the old files:
//! into an existing directory, each file goes to a temporary file beside its target and is
//! renamed over it; a directory that does not exist yet is built whole under a hidden sibling
//! name and renamed into place in one step. Nothing is renamed until every spec has passed.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use similar::TextDiff;

use crate::layout;

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
    /// Writing into an existing directory: the new content sits in a hidden temporary file
    /// beside the target, renamed over it by [`OutDir::commit`] once every spec has passed,
    /// deleted if dropped instead.
    Pending(tempfile::TempPath),
    /// Writing a new directory: the file is written, under its own name, in the staging
    /// directory, and appears when [`OutDir::commit`] renames that into place.
    New,
}

/// The output directory as this run found it.
#[derive(Debug)]
pub struct OutDir {
    dir: PathBuf,
    /// When writing and `dir` does not exist: a hidden sibling that receives every file under
    /// its final name and becomes `dir` in one rename. One rename instead of one per file, no
    /// file to compare with, and a reader sees either no directory or all of it (issue: scale).
    staging: Option<tempfile::TempDir>,
    /// Missing parents of `dir` that this run created, outermost first, so that a failed run
    /// can leave no trace.
    created: Vec<PathBuf>,
    check: bool,
}

impl OutDir {
    /// `--check` (`check`) only reads. Writing creates any missing parents of `dir`, and, if
    /// `dir` itself is missing, its staging directory.
    pub fn open(dir: &Path, check: bool) -> io::Result<Self> {
        let mut out = Self {
            dir: dir.to_path_buf(),
            staging: None,
            created: Vec::new(),
            check,
        };
        if check {
            return Ok(out);
        }
        sweep_leftovers(dir);
        match fs::metadata(dir) {
            Ok(m) if m.is_dir() => return Ok(out),
            Ok(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "exists and is not a directory",
                ));
            }
            // A symbolic link to nothing: renaming the staging directory would replace the
            // link itself, not fill the place it points to.
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    && fs::symlink_metadata(dir).is_ok_and(|m| m.is_symlink()) =>
            {
                return Err(io::Error::new(
                    io::ErrorKind::NotFound,
                    "a symbolic link to a directory that does not exist",
                ));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let parent = match dir.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        let staged = out.create_parents(parent).and_then(|()| {
            let name = dir
                .file_name()
                .map_or_else(|| "out".into(), |n| n.to_string_lossy().into_owned());
            let prefix = format!(".{name}.synth-");
            let mut builder = tempfile::Builder::new();
            builder.prefix(&prefix).suffix(".tmp");
            // What a plain mkdir gives (the umask still applies), not tempfile's owner-only 0700.
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt as _;
                builder.permissions(fs::Permissions::from_mode(0o777));
            }
            builder.tempdir_in(parent)
        });
        match staged {
            Ok(staging) => {
                out.staging = Some(staging);
                Ok(out)
            }
            Err(e) => {
                out.abandon();
                Err(e)
            }
        }
    }

    /// Where a file named `name` goes.
    pub fn join(&self, name: impl AsRef<Path>) -> PathBuf {
        self.dir.join(name)
    }

    /// Generated files in the directory that no spec produces any more (`planned` holds every
    /// file synth makes this run). A directory this run builds from nothing has none.
    pub fn orphans(&self, planned: &BTreeSet<PathBuf>) -> io::Result<Vec<PathBuf>> {
        if self.staging.is_some() {
            return Ok(Vec::new());
        }
        layout::generated_files(&self.dir, |p| !planned.contains(p))
    }

    /// Sets `content` for `path` (a file in this directory) against the disk: compared
    /// (`--check`) or staged for writing.
    pub fn stage(&self, path: &Path, content: &str) -> io::Result<Staged> {
        if let Some(staging) = &self.staging {
            let name = path.file_name().unwrap_or(path.as_os_str());
            // Not `create_new`: two specs naming the same stack fail the run with their own
            // diagnostic, not with an I/O error about the second file.
            fs::write(staging.path().join(name), content)?;
            return Ok(Staged::New);
        }
        stage(path, content, self.check)
    }

    /// Puts every staged file in place: renames the staging directory to the output directory,
    /// or each temporary file over its target.
    pub fn commit(mut self, pending: Vec<(PathBuf, tempfile::TempPath)>) -> io::Result<()> {
        if let Some(staging) = self.staging.take() {
            // `TempDir` would delete it when dropped; after a failed rename, delete it here.
            let kept = staging.keep();
            return fs::rename(&kept, &self.dir).inspect_err(|_| {
                let _ = fs::remove_dir_all(&kept);
                self.remove_created();
            });
        }
        for (path, tmp) in pending {
            tmp.persist(&path).map_err(|e| e.error)?;
        }
        Ok(())
    }

    /// Removes what this run created, for a run that ends with nothing written (its pending
    /// files must be dropped first): the staging directory, and parents it had to create
    /// while they are empty.
    pub fn abandon(mut self) {
        drop(self.staging.take());
        self.remove_created();
    }

    /// Creates `parent` one component at a time, recording each directory this run made.
    /// Walking the path as written (not its ancestors by `Path::parent`) also finds what a
    /// `..` passes through: `x/../y` creates `x` and then `x/../y`, and both are recorded.
    fn create_parents(&mut self, parent: &Path) -> io::Result<()> {
        let mut path = PathBuf::new();
        for component in parent.components() {
            path.push(component);
            if matches!(
                component,
                std::path::Component::Normal(_) | std::path::Component::ParentDir
            ) && fs::symlink_metadata(&path).is_err()
            {
                match fs::create_dir(&path) {
                    Ok(()) => self.created.push(path.clone()),
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
            }
        }
        Ok(())
    }

    /// Removes the directories [`Self::create_parents`] made, innermost first, while they are
    /// empty.
    fn remove_created(&self) {
        for dir in self.created.iter().rev() {
            if fs::remove_dir(dir).is_err() {
                break;
            }
        }
    }
}

/// How old a temporary file or staging directory must be to count as left behind by an
/// interrupted run rather than in use by one going on now: a run of 1,000 stacks takes
/// a quarter of a second.
const LEFTOVER_AGE: Duration = Duration::from_secs(10 * 60);

/// Removes what an interrupted run (Ctrl-C, a killed CI job) left behind: temporary files in
/// `dir` and staging directories beside it, so that they are not committed by mistake. Only
/// names synth makes, and only when older than [`LEFTOVER_AGE`]. Best effort: a failure here
/// only leaves them for next time.
fn sweep_leftovers(dir: &Path) {
    let old = |entry: &fs::DirEntry| {
        entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age >= LEFTOVER_AGE)
    };
    let names = |dir: &Path| -> Vec<fs::DirEntry> {
        fs::read_dir(dir)
            .map(|entries| entries.filter_map(Result::ok).collect())
            .unwrap_or_default()
    };
    for entry in names(dir) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".synth-") && name.ends_with(".tmp") && old(&entry) {
            let _ = fs::remove_file(entry.path());
        }
    }
    let (Some(parent), Some(own)) = (dir.parent(), dir.file_name()) else {
        return;
    };
    let parent = if parent.as_os_str().is_empty() {
        Path::new(".")
    } else {
        parent
    };
    let prefix = format!(".{}.synth-", own.to_string_lossy());
    for entry in names(parent) {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(&prefix)
            && name.ends_with(".tmp")
            && entry.file_type().is_ok_and(|t| t.is_dir())
            && old(&entry)
        {
            let _ = fs::remove_dir_all(entry.path());
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
        OutDir::open(d, false)
            .unwrap()
            .commit(vec![(a.clone(), tmp)])
            .unwrap();
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

    fn names_in(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_new_directory_appears_whole_at_commit() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("build/cfn/out");
        assert!(
            OutDir::open(&out, true).is_ok() && !root.path().join("build").exists(),
            "--check creates nothing"
        );
        let dir = OutDir::open(&out, false).unwrap();
        assert!(dir.staging.is_some());
        // Missing parents are made now, outermost first in the record; out/ itself is not.
        assert_eq!(
            dir.created,
            [root.path().join("build"), root.path().join("build/cfn")]
        );
        assert!(!out.exists());
        let a = dir.join("a.template.yaml");
        let b = dir.join("b.template.yaml");
        assert!(matches!(
            dir.stage(&a, "# cogsynth\na\n").unwrap(),
            Staged::New
        ));
        assert!(matches!(
            dir.stage(&b, "# cogsynth\nb\n").unwrap(),
            Staged::New
        ));
        assert!(!out.exists(), "nothing is visible before commit");
        assert_eq!(
            dir.orphans(&BTreeSet::new()).unwrap(),
            Vec::<PathBuf>::new()
        );
        // The staging directory is a hidden sibling, made like any directory (not 0700).
        let staging = names_in(&root.path().join("build/cfn"));
        assert!(
            staging.len() == 1 && staging[0].starts_with(".out.synth-"),
            "{staging:?}"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode_of = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(
                mode_of(&root.path().join("build/cfn").join(&staging[0])),
                mode_of(&root.path().join("build"))
            );
        }
        dir.commit(Vec::new()).unwrap();
        assert_eq!(names_in(&out), ["a.template.yaml", "b.template.yaml"]);
        assert_eq!(fs::read_to_string(&b).unwrap(), "# cogsynth\nb\n");
        assert_eq!(names_in(&root.path().join("build/cfn")), ["out"]);
    }

    #[test]
    fn an_abandoned_new_directory_leaves_no_trace() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("build/cfn/out");
        let dir = OutDir::open(&out, false).unwrap();
        dir.stage(&dir.join("a.template.yaml"), "# cogsynth\n")
            .unwrap();
        dir.abandon();
        assert_eq!(names_in(root.path()), Vec::<String>::new());

        // Parents that somebody else put files in meanwhile stay.
        let dir = OutDir::open(&out, false).unwrap();
        fs::write(root.path().join("build/theirs.txt"), "x").unwrap();
        dir.abandon();
        assert_eq!(names_in(root.path()), ["build"]);
        assert_eq!(names_in(&root.path().join("build")), ["theirs.txt"]);
    }

    #[test]
    fn an_existing_directory_is_read_and_written_file_by_file() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        let a = out.join("a.template.yaml");
        fs::write(&a, "# cogsynth\n").unwrap();
        let dir = OutDir::open(&out, false).unwrap();
        assert!(dir.staging.is_none() && dir.created.is_empty());
        assert!(matches!(
            dir.stage(&a, "# cogsynth\n").unwrap(),
            Staged::Same
        ));
        let Staged::Pending(tmp) = dir.stage(&a, "# cogsynth\nnew\n").unwrap() else {
            panic!("not pending")
        };
        dir.commit(vec![(a.clone(), tmp)]).unwrap();
        assert_eq!(fs::read_to_string(&a).unwrap(), "# cogsynth\nnew\n");
        OutDir::open(&out, false).unwrap().abandon();
        assert!(
            a.exists(),
            "abandon never removes a directory it did not create"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_dangling_symbolic_link_is_refused_not_replaced() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        std::os::unix::fs::symlink(root.path().join("elsewhere/out"), &out).unwrap();
        let e = OutDir::open(&out, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        assert!(fs::symlink_metadata(&out).unwrap().is_symlink());
        assert_eq!(names_in(root.path()), ["out"]);
        // Pointing somewhere real, it is used like the directory it names.
        fs::create_dir_all(root.path().join("elsewhere/out")).unwrap();
        let dir = OutDir::open(&out, false).unwrap();
        assert!(dir.staging.is_none());
    }

    #[test]
    fn leftovers_of_an_interrupted_run_are_swept_when_old() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::create_dir(&out).unwrap();
        let age = |path: &Path, minutes: u64| {
            let then = std::time::SystemTime::now() - Duration::from_secs(minutes * 60);
            fs::File::open(path).unwrap().set_modified(then).unwrap();
        };
        // Left by a killed run: a temporary file in out/, a staging directory beside it.
        fs::write(out.join(".synth-AbC123.tmp"), "half").unwrap();
        age(&out.join(".synth-AbC123.tmp"), 11);
        fs::create_dir(root.path().join(".out.synth-XyZ789.tmp")).unwrap();
        fs::write(
            root.path().join(".out.synth-XyZ789.tmp/a.template.yaml"),
            "x",
        )
        .unwrap();
        age(&root.path().join(".out.synth-XyZ789.tmp"), 11);
        // In use by a run going on now: young.
        fs::write(out.join(".synth-NeW000.tmp"), "writing").unwrap();
        // Not synth's: names it never makes, however old.
        fs::write(out.join("notes.tmp"), "mine").unwrap();
        age(&out.join("notes.tmp"), 60);
        fs::create_dir(root.path().join(".other.synth-OlD111.tmp")).unwrap();
        age(&root.path().join(".other.synth-OlD111.tmp"), 60);

        let dir = OutDir::open(&out, true).unwrap();
        assert!(
            out.join(".synth-AbC123.tmp").exists(),
            "--check changes nothing"
        );
        drop(dir);
        OutDir::open(&out, false).unwrap().abandon();
        assert_eq!(names_in(&out), [".synth-NeW000.tmp", "notes.tmp"]);
        assert_eq!(names_in(root.path()), [".other.synth-OlD111.tmp", "out"]);
    }

    #[test]
    fn an_output_path_that_is_a_file_is_refused_up_front() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        fs::write(&out, "not a directory").unwrap();
        let e = OutDir::open(&out, false).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotADirectory);
        assert_eq!(names_in(root.path()), ["out"]);
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
            OutDir::open(d, false).unwrap().orphans(&planned).unwrap(),
            [
                d.join("old.dev.parameters.json"),
                d.join("old.template.yaml")
            ]
        );
    }
}
