//! Where synth's files are, and how their paths are shown: which files in the stacks directory
//! are specs, what each spec writes into out/ (its template, a parameter file per environment,
//! its StackSet template), which stack a template file belongs to, and which files in out/ are
//! synth's own (the only ones it ever removes as orphans). Every command asks this module; a new
//! output file is named here once.
//! Must not: write anything. It reads a directory's listing, and (to recognise its own files)
//! the files in out/ that may be synth's.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::cfn::emit::Format;

/// A path as shown to users and written into headers: relative, `/`-separated, no `./`, so
/// output does not depend on the machine.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_owned()
}

/// True when `a` and `b` name the same directory: by their real paths when both exist
/// (symbolic links, `..`), else by their spelling with `.` and `..` resolved.
pub fn same_dir(a: &Path, b: &Path) -> bool {
    match (fs::canonicalize(a), fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => lexical(a) == lexical(b),
    }
}

/// `path` with `.` dropped and `..` applied to the components before it.
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// True for a spec's file name: `*.yaml` or `*.yml` (any case), not hidden.
fn is_spec_name(name: &str) -> bool {
    let ext = Path::new(name)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default()
        .to_ascii_lowercase();
    !name.starts_with('.') && (ext == "yaml" || ext == "yml")
}

/// The entries of `dir` whose names are spec names, sorted by name.
pub fn spec_entries(dir: &Path) -> io::Result<Vec<(String, fs::DirEntry)>> {
    let mut entries: Vec<(String, fs::DirEntry)> = fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| (e.file_name().to_string_lossy().into_owned(), e))
        .filter(|(name, _)| is_spec_name(name))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(entries)
}

/// `<stack>.template.<yaml|json>`: a stack's template.
pub fn template_name(stack: &str, format: Format) -> String {
    format!("{stack}.template.{}", format.extension())
}

/// `<stack>.<env>.parameters.json`: an environment's parameter values, in CloudFormation's
/// parameter-file format.
pub fn parameters_name(stack: &str, env: &str) -> String {
    format!("{stack}.{env}.parameters.json")
}

/// `<stack>.stackset.template.<yaml|json>`: the StackSet that deploys a stack to its
/// environments' targets.
pub fn stackset_name(stack: &str, format: Format) -> String {
    format!("{stack}.stackset.template.{}", format.extension())
}

/// A stack's template files in the order a reader prefers them: YAML, then JSON (a format
/// switch may leave both behind until the next `synth`).
pub fn template_candidates(stack: &str) -> [String; 2] {
    [Format::Yaml, Format::Json].map(|f| template_name(stack, f))
}

/// `fleet.template.yaml` → `("fleet", true)`: the stack a template file belongs to (the name
/// before `.template.`), and whether it is YAML.
pub fn template_stack(name: &str) -> Option<(&str, bool)> {
    if let Some(stem) = name.strip_suffix(".template.yaml") {
        return Some((stem, true));
    }
    name.strip_suffix(".template.json").map(|s| (s, false))
}

/// Every generated file starts with this (YAML) or carries it (JSON metadata); only such files
/// are ever removed as orphans.
const MARKER: &str = "cogsynth";

/// Generated files in `dir` for which `wanted` holds: templates (`*.template.yaml` /
/// `*.template.json` that carry the marker) and parameter files. Only wanted files are read,
/// so planned files are not read a second time.
pub fn generated_files(dir: &Path, wanted: impl Fn(&Path) -> bool) -> io::Result<Vec<PathBuf>> {
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
        let template = template_stack(name).is_some()
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
    fn stack_names_come_from_template_file_names() {
        assert_eq!(template_stack("fleet.template.yaml"), Some(("fleet", true)));
        assert_eq!(template_stack("a.b.template.json"), Some(("a.b", false)));
        assert_eq!(template_stack("fleet.yaml"), None);
        assert_eq!(template_stack("fleet.template.yml"), None);
        assert_eq!(
            template_stack(&stackset_name("fleet", Format::Yaml)),
            Some(("fleet.stackset", true))
        );
    }

    #[test]
    fn specs_are_visible_yaml_files() {
        assert!(is_spec_name("fleet.yaml") && is_spec_name("Fleet.YML"));
        assert!(!is_spec_name(".fleet.yaml") && !is_spec_name("fleet.json"));
    }
}
