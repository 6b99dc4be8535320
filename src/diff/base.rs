//! Finds the two sides of `synth diff`: the current templates in a directory, and the base's
//! templates in a directory or a git revision (read with the `git` command: `rev-parse`,
//! `merge-base`, `ls-tree`, `cat-file`; never the working tree, never a checkout). Templates are
//! `*.template.yaml` and `*.template.json`, keyed by stack name (the file name before
//! `.template.`), parsed to JSON. Must not: compare anything, or write anything.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use super::compare::Template;
use super::model::Base;
use crate::error::Error;
use crate::input::{TEMPLATE_MAX_BYTES, read_bounded};
use crate::layout::{self, display};

/// Git cannot give the base: `synth diff: error: …`, or `<place>: error: …`.
fn git_error(place: Option<String>, message: impl Into<String>, help: Option<&str>) -> Error {
    Error::Git {
        place,
        message: message.into(),
        help: help.map(str::to_owned),
    }
}

/// A file that is not a template.
fn not_a_template(place: impl Into<String>, why: impl Into<String>) -> Error {
    Error::Template {
        place: place.into(),
        why: why.into(),
    }
}

/// The templates of one side, by stack name.
pub type Side = BTreeMap<String, Template>;

/// Keeps one file per stack. When a stack has both a YAML and a JSON template (a format switch
/// left the old one behind), the YAML one is used and the choice is reported as a note.
fn pick(names: Vec<String>, notes: &mut Vec<String>, place: &str) -> BTreeMap<String, String> {
    let mut by_stack: BTreeMap<String, (Option<String>, Option<String>)> = BTreeMap::new();
    for name in names {
        if let Some((stack, yaml)) = layout::template_stack(&name) {
            if stack.is_empty() || stack.starts_with('.') {
                continue;
            }
            let entry = by_stack.entry(stack.to_owned()).or_default();
            if yaml {
                entry.0 = Some(name);
            } else {
                entry.1 = Some(name);
            }
        }
    }
    by_stack
        .into_iter()
        .filter_map(|(stack, pair)| match pair {
            (Some(y), Some(j)) => {
                notes.push(format!(
                    "{place} holds both {y} and {j}; comparing {y} (run `synth` to remove the stale one)"
                ));
                Some((stack, y))
            }
            (Some(f), None) | (None, Some(f)) => Some((stack, f)),
            (None, None) => None,
        })
        .collect()
}

/// Parses one template. YAML goes through `source::parse` (the reader synth trusts);
/// JSON through serde_json.
fn parse(file: &str, bytes: &[u8]) -> Result<Template, Error> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(not_a_template(file, "the template is empty"));
    }
    let value = if Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
    {
        serde_json::from_slice::<Value>(bytes)
            .map_err(|e| not_a_template(file, format!("not a JSON template: {e}")))?
    } else {
        crate::source::parse(file, bytes)
            .map_err(|d| {
                not_a_template(position(&d), format!("not a YAML template: {}", d.message))
            })?
            .value
    };
    if !value.is_object() {
        return Err(not_a_template(
            file,
            "not a CloudFormation template (expected a mapping)",
        ));
    }
    Ok(Template {
        file: file.to_owned(),
        value,
    })
}

fn position(d: &crate::diag::Diagnostic) -> String {
    match d.pos {
        Some(p) => format!("{}:{}:{}", d.file, p.line, p.col),
        None => d.file.clone(),
    }
}

/// The templates in directory `dir` (relative to `cwd`, shown as given).
pub fn from_dir(cwd: &Path, dir: &Path, notes: &mut Vec<String>) -> Result<Side, Error> {
    let shown_dir = display(dir);
    let entries = fs::read_dir(cwd.join(dir))
        .map_err(|e| Error::io(&shown_dir, "cannot read the template directory", &e))?;
    let mut names = Vec::new();
    for e in entries {
        let e = e.map_err(|e| Error::io_on(&shown_dir, &e))?;
        if e.file_type().is_ok_and(|t| t.is_file()) {
            names.push(e.file_name().to_string_lossy().into_owned());
        }
    }
    let mut side = Side::new();
    for (stack, name) in pick(names, notes, &shown_dir) {
        let path = dir.join(&name);
        let shown = display(&path);
        let bytes = read_bounded(&cwd.join(&path), TEMPLATE_MAX_BYTES)
            .map_err(|e| Error::io(&shown, "cannot read the template", &e))?;
        side.insert(stack, parse(&shown, &bytes)?);
    }
    Ok(side)
}

/// Runs git in `cwd`; stdout on success, git's first error line otherwise. The caller's git
/// configuration applies (as for any git command they run), but nothing interactive can start:
/// output goes to a pipe, and the terminal prompt is off.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_TERMINAL_PROMPT", "0")
        .output()
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => "git is not installed or not on PATH".to_owned(),
            _ => format!("cannot run git: {e}"),
        })?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        let err = String::from_utf8_lossy(&out.stderr);
        let line = err
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("git failed")
            .trim_start_matches("fatal: ")
            .trim_start_matches("error: ");
        Err(line.to_owned())
    }
}

fn git_text(cwd: &Path, args: &[&str]) -> Result<String, String> {
    git(cwd, args).map(|o| String::from_utf8_lossy(&o).trim().to_owned())
}

/// The commit `rev` names, or why it does not name one.
fn commit_of(cwd: &Path, rev: &str) -> Result<String, Error> {
    // A revision that starts with `-` would be read as an option.
    if rev.is_empty() || rev.starts_with('-') {
        return Err(git_error(
            None,
            format!("`{rev}` is not a git revision"),
            None,
        ));
    }
    git_text(
        cwd,
        &["rev-parse", "--verify", "--quiet", &format!("{rev}^{{commit}}")],
    )
    .ok()
    .filter(|c| !c.is_empty())
    .ok_or_else(|| {
        git_error(
            None,
            format!("`{rev}` is not a commit in this repository"),
            Some("pass a branch, tag or commit (`--base main`, `--base HEAD~1`), or compare with a directory (`--base-dir DIR`)"),
        )
    })
}

/// The default base: HEAD when HEAD is the main branch (committed vs working tree), otherwise
/// the merge base of HEAD with `origin/main`, or with `main` when there is no `origin/main`.
/// Returns (how it was found, commit).
fn default_base(cwd: &Path) -> Result<(String, String), Error> {
    let branch = git_text(cwd, &["symbolic-ref", "--quiet", "--short", "HEAD"]).ok();
    if branch.as_deref() == Some("main") {
        return Ok(("HEAD".to_owned(), commit_of(cwd, "HEAD")?));
    }
    let head = commit_of(cwd, "HEAD")?;
    for main in ["origin/main", "main"] {
        if let Ok(main_commit) = commit_of(cwd, main) {
            if main_commit == head {
                return Ok(("HEAD".to_owned(), head));
            }
            let base = git_text(cwd, &["merge-base", &head, &main_commit]).map_err(|e| {
                git_error(
                    None,
                    format!("no merge base of HEAD and {main}: {e}"),
                    Some("pass the revision to compare with: `--base REV`"),
                )
            })?;
            return Ok((format!("merge-base of HEAD and {main}"), base));
        }
    }
    Err(git_error(
        None,
        "no main branch to compare with (neither origin/main nor main exists)",
        Some("pass the revision to compare with (`--base REV`) or a directory (`--base-dir DIR`)"),
    ))
}

/// `a/./b/../c` → `a/c`, without touching the filesystem (the directory may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// `out`'s path inside the repository, `/`-separated (empty for the top level).
fn repo_path(cwd: &Path, out: &Path) -> Result<String, Error> {
    let top = git_text(cwd, &["rev-parse", "--show-toplevel"]).map_err(|e| {
        git_error(
            None,
            format!("not in a git repository: {e}"),
            Some(
                "run synth diff inside the repository, or compare with a directory: `--base-dir DIR`",
            ),
        )
    })?;
    // Canonical forms on both sides, so symlinked temp directories compare equal.
    let top = fs::canonicalize(&top).unwrap_or_else(|_| PathBuf::from(&top));
    let cwd = fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_owned());
    let full = normalize(&cwd.join(out));
    let full = fs::canonicalize(&full).unwrap_or(full);
    let rel = full.strip_prefix(&top).map_err(|_| {
        git_error(
            Some(display(out)),
            format!(
                "the template directory is outside the git repository {}",
                top.display()
            ),
            Some("compare with a directory instead: `--base-dir DIR`"),
        )
    })?;
    Ok(rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/"))
}

/// The templates under `out` at a git revision (`rev` given, or the default base), and the
/// base's description.
pub fn from_git(
    cwd: &Path,
    rev: Option<&str>,
    out: &Path,
    notes: &mut Vec<String>,
) -> Result<(Base, Side), Error> {
    // Fail on "not a repository" before complaining about revisions.
    let dir = repo_path(cwd, out)?;
    let (label, commit) = match rev {
        Some(r) => (r.to_owned(), commit_of(cwd, r)?),
        None => default_base(cwd)?,
    };
    let base = Base::Git {
        rev: label.clone(),
        commit: commit.clone(),
    };
    let tree = format!("{commit}:{dir}");
    let shown_dir = if dir.is_empty() {
        ".".to_owned()
    } else {
        dir.clone()
    };
    match git_text(cwd, &["cat-file", "-t", &tree]).as_deref() {
        Ok("tree") => {}
        Ok(_) => {
            return Err(git_error(
                None,
                format!("{shown_dir} is not a directory at {label}"),
                None,
            ));
        }
        Err(_) => {
            notes.push(format!(
                "{shown_dir}/ does not exist at {label}: every stack counts as added"
            ));
            return Ok((base, Side::new()));
        }
    }
    let listing = git(cwd, &["ls-tree", "-z", &tree]).map_err(|e| {
        git_error(
            None,
            format!("cannot list {shown_dir}/ at {label}: {e}"),
            None,
        )
    })?;
    // `<mode> SP <type> SP <object> TAB <name> NUL`, names unquoted thanks to -z.
    let mut blobs: BTreeMap<String, String> = BTreeMap::new();
    for entry in listing.split(|&b| b == 0).filter(|e| !e.is_empty()) {
        let entry = String::from_utf8_lossy(entry);
        let Some((meta, name)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        if let (Some(_), Some("blob"), Some(object)) = (meta.next(), meta.next(), meta.next()) {
            blobs.insert(name.to_owned(), object.to_owned());
        }
    }
    let mut side = Side::new();
    let place = format!("{shown_dir}/ at {label}");
    for (stack, name) in pick(blobs.keys().cloned().collect(), notes, &place) {
        let shown = if dir.is_empty() {
            name.clone()
        } else {
            format!("{dir}/{name}")
        };
        let bytes = git(cwd, &["cat-file", "blob", &blobs[&name]]).map_err(|why| Error::Io {
            path: shown.clone(),
            doing: Some(format!("cannot read the template at {label}")),
            why,
        })?;
        // Errors name the revision; reports show the path alone (the base names the revision).
        let mut template = parse(&format!("{label}:{shown}"), &bytes)?;
        template.file = shown;
        side.insert(stack, template);
    }
    Ok((base, side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_wins_when_both_formats_exist() {
        let mut notes = Vec::new();
        let picked = pick(
            vec![
                "b.template.json".into(),
                "a.template.json".into(),
                "a.template.yaml".into(),
                "README.md".into(),
            ],
            &mut notes,
            "out",
        );
        assert_eq!(
            picked.into_iter().collect::<Vec<_>>(),
            [
                ("a".to_owned(), "a.template.yaml".to_owned()),
                ("b".to_owned(), "b.template.json".to_owned())
            ]
        );
        assert_eq!(notes.len(), 1);
    }

    #[test]
    fn paths_normalize_without_the_filesystem() {
        assert_eq!(
            normalize(Path::new("/r/./x/../out")),
            PathBuf::from("/r/out")
        );
    }

    #[test]
    fn templates_parse_as_yaml_or_json_and_must_be_mappings() {
        let y = parse("t.template.yaml", b"Resources:\n  A:\n    Type: X\n").unwrap();
        let j = parse("t.template.json", br#"{"Resources":{"A":{"Type":"X"}}}"#).unwrap();
        assert_eq!(y.value, j.value);
        assert!(parse("t.template.yaml", b"- a\n").is_err());
        assert!(parse("t.template.json", b"{").is_err());
    }
}
