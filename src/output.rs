//! The files synth would write, compared with or written to the output directory. Writes are
//! atomic (a temporary file in the same directory, then rename), so a reader never sees half a
//! template, and an interrupted run leaves the old file.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use similar::TextDiff;

/// Every generated file starts with this (YAML) or carries it (JSON metadata); only such files
/// are ever removed as orphans.
const MARKER: &str = "cogsynth";

/// How out/ differs from what synth would write.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Drift {
    /// Files that would be written but do not exist.
    pub missing: Vec<PathBuf>,
    /// Files whose content differs, with a unified diff.
    pub stale: Vec<(PathBuf, String)>,
    /// Generated templates with no spec.
    pub orphaned: Vec<PathBuf>,
}

impl Drift {
    /// True when out/ is up to date.
    pub fn is_clean(&self) -> bool {
        self.missing.is_empty() && self.stale.is_empty() && self.orphaned.is_empty()
    }
}

/// Generated files in `dir`: templates (`*.template.yaml` / `*.template.json` that carry the
/// marker) and parameter files.
fn generated_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
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

/// Compares `planned` (path → content) with the disk. With `orphans`, generated templates in
/// `dir` that are not planned count as drift.
pub fn compare(
    planned: &BTreeMap<PathBuf, String>,
    dir: &Path,
    orphans: bool,
) -> io::Result<Drift> {
    let mut drift = Drift::default();
    for (path, content) in planned {
        match fs::read_to_string(path) {
            Ok(old) if old == *content => {}
            Ok(old) => {
                let shown = path.display().to_string();
                let diff = TextDiff::from_lines(&old, content)
                    .unified_diff()
                    .context_radius(3)
                    .header(&shown, &format!("{shown} (generated)"))
                    .to_string();
                drift.stale.push((path.clone(), diff));
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => drift.missing.push(path.clone()),
            Err(e) => return Err(e),
        }
    }
    if orphans {
        drift.orphaned = generated_files(dir)?
            .into_iter()
            .filter(|p| !planned.contains_key(p))
            .collect();
    }
    Ok(drift)
}

/// Writes every planned file atomically; with `orphans`, removes generated templates in `dir`
/// that are not planned. Returns the paths written (content changed or new).
pub fn write(
    planned: &BTreeMap<PathBuf, String>,
    dir: &Path,
    orphans: bool,
) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    let mut written = Vec::new();
    for (path, content) in planned {
        if fs::read_to_string(path).is_ok_and(|old| old == *content) {
            continue;
        }
        let parent = path.parent().unwrap_or(dir);
        let mut tmp = tempfile::Builder::new()
            .prefix(".synth-")
            .suffix(".tmp")
            .tempfile_in(parent)?;
        tmp.write_all(content.as_bytes())?;
        // Temporary files are created 0600; templates are ordinary files, readable by tools
        // and colleagues like anything else in the checkout.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            tmp.as_file()
                .set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        tmp.as_file().sync_all()?;
        tmp.persist(path).map_err(|e| e.error)?;
        written.push(path.clone());
    }
    if orphans {
        for orphan in generated_files(dir)?
            .into_iter()
            .filter(|p| !planned.contains_key(p))
        {
            fs::remove_file(orphan)?;
        }
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(dir: &Path, files: &[(&str, &str)]) -> BTreeMap<PathBuf, String> {
        files
            .iter()
            .map(|(n, c)| (dir.join(n), (*c).to_owned()))
            .collect()
    }

    #[test]
    fn write_then_compare_is_clean_and_drift_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let planned = plan(
            d,
            &[
                ("a.template.yaml", "# cogsynth\na: 1\n"),
                ("b.template.yaml", "# cogsynth\nb: 1\n"),
            ],
        );
        assert_eq!(write(&planned, d, true).unwrap().len(), 2);
        assert!(compare(&planned, d, true).unwrap().is_clean());
        // Unchanged files are not rewritten.
        assert!(write(&planned, d, true).unwrap().is_empty());

        fs::write(d.join("a.template.yaml"), "# cogsynth\na: 2\n").unwrap();
        fs::remove_file(d.join("b.template.yaml")).unwrap();
        fs::write(d.join("old.template.yaml"), "# cogsynth\n").unwrap();
        fs::write(d.join("notes.template.yaml"), "hand-written\n").unwrap();
        let drift = compare(&planned, d, true).unwrap();
        assert_eq!(drift.missing, [d.join("b.template.yaml")]);
        assert_eq!(drift.orphaned, [d.join("old.template.yaml")]);
        assert_eq!(drift.stale.len(), 1);
        assert!(
            drift.stale[0].1.contains("-a: 2\n+a: 1\n"),
            "{}",
            drift.stale[0].1
        );

        write(&planned, d, true).unwrap();
        assert!(compare(&planned, d, true).unwrap().is_clean());
        assert!(!d.join("old.template.yaml").exists(), "orphan removed");
        assert!(
            d.join("notes.template.yaml").exists(),
            "files synth did not generate are kept"
        );
        let leftovers: Vec<_> = fs::read_dir(d)
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
