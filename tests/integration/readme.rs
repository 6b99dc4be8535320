//! README claims that code can check: the wildcard translation table, the rule list, and that
//! every citation in the repository points inside it (`docs/<name>.md §N.N`, `M<n>`) at a section
//! that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;
use std::process::Command;

use cogsynth::mqtt::{SHADOW_TOPICS, ShadowAccess, shadow_topics, translate};
use cogsynth::rules::RULES;

use crate::support::repo;

fn section(readme: &str, start: &str, end: &str) -> Vec<Vec<String>> {
    let from = readme
        .find(start)
        .unwrap_or_else(|| panic!("README lacks {start}"));
    let to = readme[from..]
        .find(end)
        .unwrap_or_else(|| panic!("README lacks {end}"))
        + from;
    readme[from..to]
        .lines()
        .filter(|l| l.starts_with("| ") && !l.starts_with("|---"))
        .skip(1)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_owned())
                .collect()
        })
        .collect()
}

fn code_spans(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect()
}

#[test]
fn the_translation_table_is_what_synth_does() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let rows = section(
        &readme,
        "<!-- translation-table",
        "<!-- /translation-table -->",
    );
    assert!(rows.len() >= 6, "{rows:?}");
    for row in rows {
        let spec = &code_spans(&row[0])[0];
        let expected = code_spans(&row[1]);
        let got = translate(spec);
        let resources: Vec<&str> = got.iter().map(|t| t.resource.as_str()).collect();
        assert_eq!(resources, expected, "README row for `{spec}`");
        let broadened = got.iter().any(|t| t.broadened);
        assert_eq!(
            row[2].contains("broadened"),
            broadened,
            "README says {} for `{spec}`",
            row[2]
        );
    }
}

#[test]
fn the_shadow_table_is_what_synth_grants() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let rows = section(&readme, "<!-- shadow-table", "<!-- /shadow-table -->");
    let stubs: Vec<String> = rows.iter().map(|r| code_spans(&r[0])[0].clone()).collect();
    let known: Vec<&str> = SHADOW_TOPICS.iter().map(|(stub, _, _)| *stub).collect();
    assert_eq!(stubs, known, "one row per shadow topic, in order");
    for row in &rows {
        let stub = &code_spans(&row[0])[0];
        for (access, column) in [(ShadowAccess::Read, 3), (ShadowAccess::ReadWrite, 4)] {
            let (publish, subscribe) = shadow_topics("t", None, access);
            let topic = format!("$aws/things/t/shadow/{stub}");
            let granted = publish.contains(&topic) || subscribe.contains(&topic);
            assert_eq!(
                row[column] == "yes",
                granted,
                "README row `{stub}`, column {column}"
            );
            if granted {
                let actions = code_spans(&row[2]);
                let expected = if publish.contains(&topic) {
                    vec!["iot:Publish"]
                } else {
                    vec!["iot:Subscribe", "iot:Receive"]
                };
                assert_eq!(actions, expected, "README row `{stub}`");
                let by = if publish.contains(&topic) {
                    "the client"
                } else {
                    "AWS IoT"
                };
                assert_eq!(row[1], by, "README row `{stub}`");
            }
        }
    }
}

#[test]
fn the_rule_list_is_every_rule() {
    let readme = fs::read_to_string(repo().join("README.md")).unwrap();
    let rows = section(&readme, "<!-- rules", "<!-- /rules -->");
    let mut listed: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
    let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
    listed.sort_unstable();
    ids.sort_unstable();
    assert_eq!(listed, ids);
    for r in RULES {
        let row = rows.iter().find(|row| row[0] == r.id).unwrap();
        let severity = format!("{:?}", r.severity).to_lowercase();
        assert!(
            row[1].starts_with(&severity),
            "{}: README says {}, code says {severity}",
            r.id,
            row[1]
        );
    }
}

/// The section sign, spelled so that this file cites nothing itself.
const SECTION: char = '\u{a7}';

/// Section ids of a doc: the first word of each numbered heading (`### 1.1 ...` → `1.1`,
/// `### M5. ...` → `M5`).
fn sections(doc: &str) -> BTreeSet<String> {
    doc.lines()
        .filter_map(|line| {
            let heading = line.strip_prefix('#')?.trim_start_matches('#');
            let word = heading.split_whitespace().next()?.trim_end_matches('.');
            let numbered = word.starts_with(|c: char| c.is_ascii_digit())
                || (word.len() > 1
                    && word.starts_with('M')
                    && word[1..].chars().all(|c| c.is_ascii_digit()));
            numbered.then(|| word.to_owned())
        })
        .collect()
}

/// The id that starts at `text` (a section sign with a number such as 6.1, or `M11`), with its
/// length in bytes; a full stop after it ends the sentence, not the id.
fn reference(text: &str) -> Option<(String, usize)> {
    let (prefix, rest) = if let Some(rest) = text.strip_prefix(SECTION) {
        ("", rest)
    } else {
        ("M", text.strip_prefix('M')?)
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let id = rest[..end].trim_end_matches('.');
    if !id.starts_with(|c: char| c.is_ascii_digit()) || (prefix == "M" && id.contains('.')) {
        return None;
    }
    Some((format!("{prefix}{id}"), text.len() - rest.len() + id.len()))
}

/// An id as a reader would write it: `\u{a7}6.1`, `M5`.
fn shown(id: &str) -> String {
    if id.starts_with('M') {
        id.to_owned()
    } else {
        format!("{SECTION}{id}")
    }
}

/// A citation of a doc in this repository: where `docs/<name>.md` starts, the name, and each
/// id cited after it with its position (`docs/aws-facts.md §2.1, §2.3`; `… M1, M4`).
struct Citation<'a> {
    at: usize,
    name: &'a str,
    ids: Vec<(usize, String)>,
}

/// The citations of `docs/<name>.md` in `text`.
fn citations(text: &str) -> Vec<Citation<'_>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices("docs/") {
        // `…/main/docs/rules.md` is a path in another repository.
        let inside_longer_path = text[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '/' | '.' | '-' | '_'));
        let rest = &text[at + 5..];
        let Some(end) = rest.find(".md") else {
            continue;
        };
        let name = &rest[..end];
        let plain = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if inside_longer_path || !plain {
            continue;
        }
        let mut ids = Vec::new();
        let mut pos = at + 5 + end + 3;
        loop {
            let rest = &text[pos..];
            pos += rest.len()
                - rest
                    // Separators, and the comment leaders of a wrapped line (`///`, `#`, ` * `).
                    .trim_start_matches(|c: char| {
                        c.is_whitespace()
                            || matches!(c, '`' | ',' | '\u{2013}' | '-' | '/' | '!' | '#' | '*')
                    })
                    .trim_start_matches("and ")
                    .len();
            let Some((id, len)) = reference(&text[pos..]) else {
                break;
            };
            ids.push((pos, id));
            pos += len;
        }
        found.push(Citation { at, name, ids });
    }
    found
}

/// Every problem with the citations of `files` (`(repository path, text)`): a path outside the
/// repository, a fact doc named without `docs/`, a missing doc, a cited section or id the doc
/// lacks, or a section sign outside a doc that no `docs/` citation claims.
fn citation_problems(files: &[(String, String)]) -> Vec<String> {
    let docs: BTreeMap<&str, BTreeSet<String>> = files
        .iter()
        .filter_map(|(path, text)| {
            let name = path.strip_prefix("docs/")?.strip_suffix(".md")?;
            Some((name, sections(text)))
        })
        .collect();
    // Every doc here, and the fact files that once lived outside the repository.
    let mut names: BTreeSet<&str> = docs.keys().copied().collect();
    names.extend(["aws-facts", "security-rules", "rust-deps"]);
    let outside = [
        concat!("shared", "/reference"),
        concat!("../", "shared"),
        concat!("/work", "/"),
    ];
    let mut problems = Vec::new();
    for (path, text) in files {
        let line = |at: usize| text[..at].matches('\n').count() + 1;
        let mut report =
            |at: usize, what: String| problems.push(format!("{path}:{}: {what}", line(at)));
        for needle in outside {
            for (at, _) in text.match_indices(needle) {
                report(at, format!("`{needle}` is outside the repository"));
            }
        }
        for name in &names {
            for (at, _) in text.match_indices(&format!("{name}.md")) {
                let qualified = text[..at].ends_with("docs/");
                let part_of_longer_name = text[..at]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_alphanumeric() || c == '-' || c == '_');
                if !qualified && !part_of_longer_name {
                    report(at, format!("cite `{name}.md` as `docs/{name}.md`"));
                }
            }
        }
        let mut claimed = BTreeSet::new();
        for c in citations(text) {
            let Some(sections) = docs.get(c.name) else {
                report(c.at, format!("docs/{}.md does not exist", c.name));
                continue;
            };
            for (pos, id) in c.ids {
                if !sections.contains(&id) {
                    report(
                        pos,
                        format!("docs/{}.md has no section {}", c.name, shown(&id)),
                    );
                }
                claimed.insert(pos);
            }
        }
        let own = path
            .strip_prefix("docs/")
            .and_then(|p| p.strip_suffix(".md"))
            .and_then(|name| docs.get(name));
        for (at, _) in text.match_indices(SECTION) {
            let Some((id, _)) = reference(&text[at..]) else {
                continue;
            };
            match own {
                _ if claimed.contains(&at) => {}
                Some(sections) if sections.contains(&id) => {}
                Some(_) => report(at, format!("this doc has no section {}", shown(&id))),
                None => report(
                    at,
                    format!(
                        "{} names no document: cite it as `docs/<name>.md {}`",
                        shown(&id),
                        shown(&id)
                    ),
                ),
            }
        }
    }
    problems
}

/// The repository's tracked files, `(path, text)`; files that are not UTF-8 text are skipped.
fn tracked_files(root: &Path) -> Vec<(String, String)> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(listed.status.success(), "git ls-files failed");
    String::from_utf8(listed.stdout)
        .unwrap()
        .split('\0')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            let text = fs::read_to_string(root.join(p)).ok()?;
            Some((p.to_owned(), text))
        })
        .collect()
}

#[test]
fn every_citation_stays_in_the_repository_and_names_an_existing_section() {
    let files = tracked_files(&repo());
    let docs = ["docs/aws-facts.md", "docs/security-rules.md"];
    for doc in docs {
        assert!(files.iter().any(|(p, _)| p == doc), "{doc} is not tracked");
    }
    let problems = citation_problems(&files);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_citation_check_catches_each_kind_of_bad_citation() {
    // Built at run time, so that this file's own text cites nothing.
    let s = SECTION;
    let d = "docs";
    let facts = (
        format!("{d}/facts.md"),
        format!("# Facts\n## 1. One\n### 1.1 Sub\n### M2. Two\nSee {s}1.1.\n"),
    );
    let file = |text: String| ("src/x.rs".to_owned(), text);
    let good = file(format!(
        "// ({d}/facts.md {s}1, {s}1.1, M2) and `{d}/facts.md` {s}1.1\u{2013}{s}1\n\
         /// wrapped: ({d}/facts.md\n    /// {s}1.1)\n\
         # see `{d}/facts.md` {s}1.1.\n## M9. A heading, not a citation\n\
         // https://example.com/main/{d}/rules.md is another repository's file\n"
    ));
    assert_eq!(
        citation_problems(&[facts.clone(), good]),
        Vec::<String>::new()
    );
    let bad = [
        format!("// ({d}/facts.md {s}1.2)\n"),
        format!("// ({d}/facts.md {s}1.1, M3)\n"),
        format!("// ({d}/gone.md {s}1)\n"),
        format!("// (facts.md {s}1)\n"),
        format!("// see {s}1.1\n"),
        format!("// {}/facts.md\n", concat!("shared", "/reference")),
        format!("// {}/facts.md\n", concat!("../", "shared")),
    ];
    for text in bad {
        let problems = citation_problems(&[facts.clone(), file(text.clone())]);
        assert!(!problems.is_empty(), "not caught: {text}");
    }
    let stale = (
        format!("{d}/facts.md"),
        format!("# Facts\n## 1. One\nSee {s}4.\n"),
    );
    assert_eq!(citation_problems(&[stale]).len(), 1);
}
