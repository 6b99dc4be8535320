//! Finds and reads the two sides of `synth diff`: the current templates in a directory, and the
//! base's templates in a directory or a git revision (read with the `git` command: `rev-parse`,
//! `cat-file -t`, one `ls-tree` for names and blob ids, and one `cat-file --batch` fed only the
//! blobs that are needed; never the working tree, never a checkout). Templates are
//! `*.template.yaml` and `*.template.json`, keyed by stack name (the file name before
//! `.template.`), parsed to JSON.
//!
//! Time and memory grow with the stacks that changed, not with the stacks there are: a template
//! whose bytes are the same on both sides is [`Pair::Same`] and is never parsed (a git base: the
//! working file's blob id — SHA-1 of `blob <len>\0<bytes>`, what git names the blob by — equals
//! the base's, so the base's bytes are never read; a SHA-256 repository or a directory base: the
//! bytes are compared). So an identical malformed template on both sides is unchanged, not an
//! error; one that changed is parsed, and an error if malformed. Templates are read one at a time,
//! and only changed ones are kept (parsed). Must not: compare anything, or write anything.

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use serde_json::Value;

use super::compare::{Pair, Template};
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

/// The templates of one side, listed but not read yet.
#[derive(Debug, Default)]
pub struct Side {
    /// Each stack's template.
    stacks: BTreeMap<String, Listed>,
    /// For a git revision: how errors name it, and whether its object ids are SHA-1.
    revision: Option<Revision>,
}

#[derive(Debug)]
struct Revision {
    /// `HEAD`, `main`, or how the default base was found.
    label: String,
    /// SHA-1 object ids (40 hex digits), which [`blob_id`] computes; else SHA-256.
    sha1: bool,
}

/// One template, not read yet.
#[derive(Debug)]
struct Listed {
    /// As reports show it: `out/fleet.template.yaml` (inside the revision, for a git base).
    file: String,
    /// Where its bytes are.
    at: At,
}

#[derive(Debug)]
enum At {
    /// A file, relative to the working directory.
    File(PathBuf),
    /// A git blob id in the base revision.
    Blob(String),
}

/// Git's id of a blob holding `bytes` in a SHA-1 repository: the SHA-1 of `blob <len>\0` and
/// the bytes, in hex (what `git hash-object` prints).
pub fn blob_id(bytes: &[u8]) -> String {
    let mut h = sha1_smol::Sha1::new();
    h.update(format!("blob {}\0", bytes.len()).as_bytes());
    h.update(bytes);
    h.digest().to_string()
}

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

/// The templates in directory `dir` (relative to `cwd`, shown as given), listed, not read.
pub fn from_dir(cwd: &Path, dir: &Path, notes: &mut Vec<String>) -> Result<Side, Error> {
    let shown_dir = display(dir);
    let entries = fs::read_dir(cwd.join(dir))
        .map_err(|e| Error::io(&shown_dir, "cannot read the template directory", &e))?;
    let mut names = Vec::new();
    for e in entries {
        let e = e.map_err(|e| Error::io_on(&shown_dir, &e))?;
        // Files, and symbolic links to files, as `synth --check` reads them.
        if !fs::metadata(e.path()).is_ok_and(|m| m.is_file()) {
            continue;
        }
        match e.file_name().into_string() {
            Ok(name) => names.push(name),
            // synth names every file it writes after a stack: ASCII, so never this one.
            Err(name) => notes.push(format!(
                "{}: skipped: its name is not UTF-8, so synth did not write it",
                crate::text::escape(&display(&dir.join(name)))
            )),
        }
    }
    let stacks = pick(names, notes, &shown_dir)
        .into_iter()
        .map(|(stack, name)| {
            let path = dir.join(&name);
            let file = display(&path);
            (
                stack,
                Listed {
                    file,
                    at: At::File(path),
                },
            )
        })
        .collect();
    Ok(Side {
        stacks,
        revision: None,
    })
}

/// Runs git in `cwd`; stdout on success, git's first error line otherwise. The caller's git
/// configuration applies (as for any git command they run), but nothing interactive can start:
/// output goes to a pipe, and the terminal prompt is off. Replacement objects (`git replace`)
/// are ignored: the blob ids `ls-tree` lists must be the objects `cat-file` reads, or a template
/// skipped by its id could differ from the one read.
fn git(cwd: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .output()
        .map_err(|e| spawn_words(&e))?;
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(first_line(&out.stderr))
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
            return Ok((base, Side::default()));
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
        match (meta.next(), meta.next(), meta.next()) {
            // A symbolic link's blob is its target's path, not a template: git does not follow it.
            (Some("120000"), _, _) => notes.push(format!(
                "{shown_dir}/{}: skipped at {label}: a symbolic link in git (its target is not read)",
                crate::text::escape(name)
            )),
            (Some(_), Some("blob"), Some(object)) => {
                blobs.insert(name.to_owned(), object.to_owned());
            }
            _ => {}
        }
    }
    let place = format!("{shown_dir}/ at {label}");
    let revision = Some(Revision {
        sha1: commit.len() == 40,
        label,
    });
    let stacks = pick(blobs.keys().cloned().collect(), notes, &place)
        .into_iter()
        .map(|(stack, name)| {
            let file = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            let at = At::Blob(blobs[&name].clone());
            (stack, Listed { file, at })
        })
        .collect();
    Ok((base, Side { stacks, revision }))
}

/// What [`read`] still has to do for one stack once the base's blob arrives.
enum Waiting {
    /// The current template differs (its blob id does): parse both.
    Changed,
    /// Compare the base's bytes with the current file first (SHA-256 repository).
    Compare,
    /// No current template: the stack was removed.
    Removed,
}

/// Reads both sides and hands each stack's pair to `each`, parsing only the templates whose
/// bytes differ (see the module docs); a pair is dropped by `each` before the next template is
/// parsed, so at most one stack's templates are held at once. Pairs come in no set order.
/// Errors name the first template that cannot be read or parsed (the current side's first).
pub fn read(
    cwd: &Path,
    old: &Side,
    new: &Side,
    mut each: impl FnMut(&str, Pair),
) -> Result<(), Error> {
    // Base blobs still to read, in stack order: (stack, blob id, what then).
    let mut wanted: Vec<(&str, &str, Waiting)> = Vec::new();
    let sha1 = old.revision.as_ref().is_some_and(|r| r.sha1);
    let mut stacks: Vec<&String> = old.stacks.keys().chain(new.stacks.keys()).collect();
    stacks.sort();
    stacks.dedup();
    for stack in stacks {
        let pair = match (old.stacks.get(stack), new.stacks.get(stack)) {
            (Some(o), Some(n)) => match &o.at {
                At::File(_) => {
                    let nb = read_file(cwd, n)?;
                    let ob = read_file(cwd, o)?;
                    if ob == nb {
                        same(o, n)
                    } else {
                        let n = parse_listed(n, None, &nb)?;
                        drop(nb);
                        Pair::Differ(Some(parse_listed(o, None, &ob)?), Some(n))
                    }
                }
                At::Blob(id) if sha1 => {
                    if blob_id(&read_file(cwd, n)?) == *id {
                        same(o, n)
                    } else {
                        // Read again when the base's blob arrives: held, 1,000 changed
                        // templates would be 1,000 parsed ones.
                        wanted.push((stack, id, Waiting::Changed));
                        continue;
                    }
                }
                At::Blob(id) => {
                    wanted.push((stack, id, Waiting::Compare));
                    continue;
                }
            },
            (Some(o), None) => match &o.at {
                At::File(_) => {
                    Pair::Differ(Some(parse_listed(o, None, &read_file(cwd, o)?)?), None)
                }
                At::Blob(id) => {
                    wanted.push((stack, id, Waiting::Removed));
                    continue;
                }
            },
            (None, Some(n)) => {
                Pair::Differ(None, Some(parse_listed(n, None, &read_file(cwd, n)?)?))
            }
            (None, None) => continue,
        };
        each(stack, pair);
    }
    let Some(revision) = &old.revision else {
        return Ok(());
    };
    let asked: Vec<(&str, &str)> = wanted
        .iter()
        .map(|(stack, id, _)| (*id, old.stacks[*stack].file.as_str()))
        .collect();
    let mut wanted = wanted.into_iter();
    cat_blobs(cwd, &asked, &revision.label, |bytes| {
        let (stack, _, then) = wanted.next().expect("one blob per id asked for");
        let o = &old.stacks[stack];
        let base = |bytes: &[u8]| parse_listed(o, Some(revision), bytes);
        let pair = match then {
            Waiting::Removed => Pair::Differ(Some(base(&bytes)?), None),
            Waiting::Changed | Waiting::Compare => {
                let n = &new.stacks[stack];
                let nb = read_file(cwd, n)?;
                if matches!(then, Waiting::Compare) && nb == bytes {
                    same(o, n)
                } else {
                    let n = parse_listed(n, None, &nb)?;
                    Pair::Differ(Some(base(&bytes)?), Some(n))
                }
            }
        };
        each(stack, pair);
        Ok(())
    })
}

fn same(o: &Listed, n: &Listed) -> Pair {
    Pair::Same {
        base_file: o.file.clone(),
        file: n.file.clone(),
    }
}

/// The bytes of a template file (not a git blob).
fn read_file(cwd: &Path, t: &Listed) -> Result<Vec<u8>, Error> {
    let At::File(path) = &t.at else {
        unreachable!("only files are read from disk")
    };
    read_bounded(&cwd.join(path), TEMPLATE_MAX_BYTES)
        .map_err(|e| Error::io(&t.file, "cannot read the template", &e))
}

/// Parses a template read from its file, or from `revision` (errors then name the revision:
/// `HEAD:out/fleet.template.yaml:3:1`; reports show the path alone, the base names the
/// revision).
fn parse_listed(t: &Listed, revision: Option<&Revision>, bytes: &[u8]) -> Result<Template, Error> {
    let mut template = match revision {
        Some(r) => parse(&format!("{}:{}", r.label, t.file), bytes)?,
        None => parse(&t.file, bytes)?,
    };
    template.file.clone_from(&t.file);
    Ok(template)
}

/// Reads the blobs `asked` names (`(blob id, file as shown)`) with one `git cat-file --batch`,
/// handing each one's bytes to `each`, in order. Stops at the first error, `each`'s or git's.
fn cat_blobs(
    cwd: &Path,
    asked: &[(&str, &str)],
    label: &str,
    mut each: impl FnMut(Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    if asked.is_empty() {
        return Ok(());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(cwd)
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("GIT_NO_REPLACE_OBJECTS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| git_error(None, spawn_words(&e), None))?;
    let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        unreachable!("all three streams are piped")
    };
    let mut input = String::new();
    for (id, _) in asked {
        input.push_str(id);
        input.push('\n');
    }
    thread::scope(|scope| {
        // Written from a thread: git answers while it reads, and a full pipe either way would
        // otherwise stop both. Closing stdin (the drop) tells git there is nothing more.
        scope.spawn(move || {
            let _ = stdin.write_all(input.as_bytes());
        });
        let errors = scope.spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        });
        let read = read_batch(BufReader::new(stdout), asked, label, &mut each);
        if read.is_err() {
            // Unblocks the writer, and stops git reading what is no longer wanted.
            let _ = child.kill();
        }
        let status = child.wait();
        let errors = errors.join().unwrap_or_default();
        read?;
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(_) => Err(git_error(
                None,
                format!(
                    "cannot read the templates at {label}: {}",
                    first_line(&errors)
                ),
                None,
            )),
            Err(e) => Err(git_error(None, format!("cannot run git: {e}"), None)),
        }
    })
}

/// `git cat-file --batch`'s answers: per blob asked for, `<id> blob <size> LF <bytes> LF`, or
/// `<id> missing LF`.
fn read_batch(
    mut from: impl BufRead,
    asked: &[(&str, &str)],
    label: &str,
    each: &mut impl FnMut(Vec<u8>) -> Result<(), Error>,
) -> Result<(), Error> {
    for (id, file) in asked {
        let failed = |why: String| Error::Io {
            path: (*file).to_owned(),
            doing: Some(format!("cannot read the template at {label}")),
            why,
            help: None,
        };
        let mut header = Vec::new();
        from.read_until(b'\n', &mut header)
            .map_err(|e| failed(format!("git cat-file: {e}")))?;
        let header = String::from_utf8_lossy(&header);
        let mut words = header.trim_end().split(' ');
        let size = match (words.next(), words.next(), words.next()) {
            (Some(got), Some("blob"), Some(size)) if got == *id => size.parse::<u64>().ok(),
            _ => None,
        }
        .ok_or_else(|| {
            let said = header.trim_end();
            failed(if said.is_empty() {
                "git cat-file ended early".to_owned()
            } else {
                format!("git cat-file answered `{said}` for blob {id}")
            })
        })?;
        if size > TEMPLATE_MAX_BYTES {
            return Err(failed(format!(
                "larger than {} KiB, the most synth reads (is it the right file?)",
                TEMPLATE_MAX_BYTES / 1024
            )));
        }
        let mut bytes = vec![0; usize::try_from(size).unwrap_or(usize::MAX)];
        let mut end = [0u8; 1];
        from.read_exact(&mut bytes)
            .and_then(|()| from.read_exact(&mut end))
            .map_err(|e| failed(format!("git cat-file: {e}")))?;
        each(bytes)?;
    }
    Ok(())
}

/// Why git could not be started.
fn spawn_words(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::NotFound => "git is not installed or not on PATH".to_owned(),
        _ => format!("cannot run git: {e}"),
    }
}

/// Git's first error line, without its `fatal: ` or `error: `.
fn first_line(stderr: &[u8]) -> String {
    let err = String::from_utf8_lossy(stderr);
    err.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("git failed")
        .trim_start_matches("fatal: ")
        .trim_start_matches("error: ")
        .to_owned()
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
    fn blob_ids_are_what_git_hash_object_prints() {
        // `git hash-object` of an empty file, and of "hello\n" (SHA-1 repositories).
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(
            blob_id(b"hello\n"),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn batch_answers_are_read_in_order_and_refused_when_wrong() {
        let ids = [("a1", "out/a.template.yaml"), ("b2", "out/b.template.yaml")];
        let mut got = Vec::new();
        read_batch(
            &b"a1 blob 3\nabc\nb2 blob 0\n\n"[..],
            &ids,
            "HEAD",
            &mut |b| {
                got.push(b);
                Ok(())
            },
        )
        .unwrap();
        assert_eq!(got, [b"abc".to_vec(), Vec::new()]);
        for (answer, why) in [
            (&b"a1 missing\n"[..], "answered `a1 missing`"),
            (b"a1 tree 3\nabc\n", "answered `a1 tree 3`"),
            (b"a1 blob 9\nabc\n", "failed to fill whole buffer"),
            (b"", "ended early"),
            (b"a1 blob 99999999\n", "larger than 2048 KiB"),
        ] {
            let e = read_batch(answer, &ids, "HEAD", &mut |_| Ok(())).unwrap_err();
            let text = e.to_string();
            assert!(
                text.starts_with("out/a.template.yaml: error") && text.contains(why),
                "{text}"
            );
        }
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
