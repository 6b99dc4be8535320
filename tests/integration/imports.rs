//! The module graph of `src/`, read from the code itself (what comes before `#[cfg(test)]`):
//! every `use` tree and every inline `crate::…` or `super::…` path is an edge from the file it is
//! in to the module it names. Three properties, each a reviewer would otherwise check by hand:
//!
//! - no cycle between files (a file's own ancestors do not count: a child module may use what
//!   its parent declares, and the parent dispatches to it);
//! - no import from a lower stage to a higher one ([`STAGES`]), and none between two top-level
//!   modules of the same stage;
//! - no rule file imports another rule file (shared rule code lives in `rules::helpers`).
//!
//! And two facts about where code lives: every rule is in the file its id names, and README
//! "Layout" has a line for every module.
//!
//! Run it alone with `cargo test --test integration imports`. A new top-level module needs a line
//! in [`STAGES`], which is the place to decide what it may use.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::Path;

use crate::support::repo;

/// Top-level modules, lowest stage first. A module may import modules of lower stages only.
const STAGES: &[&[&str]] = &[
    // Foundations: text, diagnostics as data, bounded reads.
    &["text"],
    &["diag", "input", "markdown"],
    // How a run ends, and YAML with positions.
    &["error", "source"],
    // The spec model, AWS facts about ARNs, MQTT ↔ policy translation.
    &["spec", "arn", "mqtt"],
    // Grants and policy evaluation; the attach and detach function sources.
    &["policy", "lambda"],
    // The template: model, ids, sizes, build, emit, StackSet.
    &["cfn"],
    // Meaning checks (they use the naming scheme of `cfn::ids`); what a compiled spec is; the
    // out/ layout.
    &["check", "compiled", "layout"],
    // The judges of a compiled spec.
    &["limits", "rules", "expect"],
    // One spec through everything; SARIF (it lists the rules); writing out/; the two sides of
    // a permission diff and their comparison.
    &["compile", "sarif", "output", "diff"],
    // A stack's app side as data (grants in MQTT terms, the attach call).
    &["manifest"],
    // On top of it: failed requests from AWS IoT logs judged against the specs, and the client
    // kit generators.
    &["explain", "client"],
    // Command-line arguments and the fuzz bodies (what `fuzz/` and the smoke test run); then
    // the command layer.
    &["cli", "fuzzing"],
    &["commands"],
];

/// A module path, `["rules", "helpers"]`; the crate root is empty.
type Module = Vec<String>;

/// Every module of the library: its path and the code before its tests.
fn modules() -> BTreeMap<Module, String> {
    fn walk(dir: &Path, prefix: &[String], out: &mut BTreeMap<Module, String>) {
        let mut entries: Vec<_> = fs::read_dir(dir)
            .expect("src")
            .map(|e| e.expect("entry").path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if path.is_dir() {
                let mut p = prefix.to_vec();
                p.push(name);
                walk(&path, &p, out);
                continue;
            }
            let Some(stem) = name.strip_suffix(".rs") else {
                continue;
            };
            // main.rs is another crate (the binary): it sees the library as `cogsynth::`.
            if prefix.is_empty() && stem == "main" {
                continue;
            }
            let mut module = prefix.to_vec();
            if !(stem == "mod" || (prefix.is_empty() && stem == "lib")) {
                module.push(stem.to_owned());
            }
            let text = fs::read_to_string(&path).expect("source");
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            out.insert(module, strip_comments(code));
        }
    }
    let mut out = BTreeMap::new();
    walk(&repo().join("src"), &[], &mut out);
    out
}

/// The code without `//` comments (doc comments name modules in prose).
fn strip_comments(code: &str) -> String {
    code.lines()
        .map(|l| l.find("//").map_or(l, |i| &l[..i]))
        .collect::<Vec<_>>()
        .join("\n")
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// The paths a `use` tree names: `crate::a::{b, c::{d as e}, self}` → `crate::a::b`,
/// `crate::a::c::d`, `crate::a`.
fn expand(tree: &str, prefix: &[String], out: &mut Vec<Vec<String>>) {
    let tree = tree.trim();
    if tree.is_empty() {
        return;
    }
    if let Some(open) = tree.find('{') {
        let mut base = prefix.to_vec();
        base.extend(segments(&tree[..open]));
        let inner = &tree[open + 1..tree.rfind('}').unwrap_or(tree.len())];
        // Split on commas at depth 0.
        let (mut depth, mut start) = (0, 0);
        for (i, c) in inner.char_indices() {
            match c {
                '{' => depth += 1,
                '}' => depth -= 1,
                ',' if depth == 0 => {
                    expand(&inner[start..i], &base, out);
                    start = i + 1;
                }
                _ => {}
            }
        }
        expand(&inner[start..], &base, out);
        return;
    }
    let path = tree.split(" as ").next().unwrap_or(tree);
    let mut full = prefix.to_vec();
    full.extend(segments(path));
    if full.last().is_some_and(|s| s == "self" || s == "*") {
        full.pop();
    }
    out.push(full);
}

fn segments(path: &str) -> Vec<String> {
    path.split("::")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Every path the code names that could be a module of this crate: `use` trees, and inline
/// `crate::…` and `super::…` paths.
fn paths(code: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let lines: Vec<&str> = code.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let line = line.trim_start();
        let line = ["pub(crate) ", "pub(super) ", "pub "]
            .iter()
            .find_map(|v| line.strip_prefix(v))
            .unwrap_or(line);
        let Some(tree) = line.strip_prefix("use ") else {
            continue;
        };
        // A `use` tree may span lines; it ends at `;`.
        let mut text = tree.to_owned();
        for next in &lines[i + 1..] {
            if text.contains(';') {
                break;
            }
            text.push_str(next);
        }
        expand(text.split(';').next().unwrap_or_default(), &[], &mut out);
    }
    for head in ["crate::", "super::"] {
        let mut rest = code;
        while let Some(i) = rest.find(head) {
            let starts_path = !rest[..i].ends_with(|c: char| is_ident(c) || c == ':');
            let tail = &rest[i..];
            let len = tail
                .find(|c: char| !(is_ident(c) || c == ':'))
                .unwrap_or(tail.len());
            if starts_path {
                out.push(segments(&tail[..len]));
            }
            rest = &tail[len..];
        }
    }
    out
}

/// The module a path names, seen from module `from`: the longest prefix that is a module.
fn resolve(from: &[String], path: &[String], known: &BTreeSet<Module>) -> Option<Module> {
    let mut rest = path.iter().peekable();
    let mut base: Module = match path.first()?.as_str() {
        "crate" => {
            rest.next();
            Vec::new()
        }
        "self" => {
            rest.next();
            from.to_vec()
        }
        "super" => {
            let mut b = from.to_vec();
            while rest.next_if(|s| *s == "super").is_some() {
                b.pop();
            }
            b
        }
        // A child module in scope (`mod helpers;`, then `helpers::x`); else another crate.
        first if known.contains(&[from, &[first.to_owned()]].concat()) => from.to_vec(),
        _ => return None,
    };
    base.extend(rest.cloned());
    while !base.is_empty() {
        if known.contains(&base) {
            return Some(base);
        }
        base.pop();
    }
    None
}

/// Edges of the file graph: module → modules it imports (its ancestors excepted).
fn graph() -> BTreeMap<Module, BTreeSet<Module>> {
    let modules = modules();
    let known: BTreeSet<Module> = modules.keys().cloned().collect();
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    for (module, code) in &modules {
        let targets = edges.entry(module.clone()).or_default();
        for path in paths(code) {
            if let Some(target) = resolve(module, &path, &known) {
                if !module.starts_with(&target) {
                    targets.insert(target);
                }
            }
        }
    }
    edges
}

fn name(m: &[String]) -> String {
    if m.is_empty() {
        "(crate root)".to_owned()
    } else {
        m.join("::")
    }
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(edges: &BTreeMap<Module, BTreeSet<Module>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<Module, BTreeSet<Module>>,
        index: BTreeMap<&'a Module, usize>,
        low: BTreeMap<&'a Module, usize>,
        stack: Vec<&'a Module>,
        on_stack: BTreeSet<&'a Module>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a Module) {
        let i = s.index.len();
        s.index.insert(v, i);
        s.low.insert(v, i);
        s.stack.push(v);
        s.on_stack.insert(v);
        for w in &s.edges[v] {
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on_stack.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut component = Vec::new();
            loop {
                let w = s.stack.pop().unwrap();
                s.on_stack.remove(w);
                component.push(name(w));
                if w == v {
                    break;
                }
            }
            if component.len() > 1 {
                component.sort();
                s.out.push(component);
            }
        }
    }
    let mut s = State {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for v in edges.keys() {
        if !s.index.contains_key(v) {
            visit(&mut s, v);
        }
    }
    s.out
}

fn stage(top: &str) -> Option<usize> {
    STAGES.iter().position(|s| s.contains(&top))
}

#[test]
fn the_reader_finds_the_imports_it_must() {
    let known: BTreeSet<Module> = [
        vec![],
        vec!["rules".to_owned()],
        vec!["rules".to_owned(), "helpers".to_owned()],
        vec!["policy".to_owned()],
        vec!["policy".to_owned(), "doc".to_owned()],
        vec!["cfn".to_owned()],
        vec!["cfn".to_owned(), "ids".to_owned()],
    ]
    .into();
    let code = "use super::helpers::{a, b as c};\nuse crate::{policy::{self, doc::X}, cfn::ids};\nlet x = crate::cfn::ids::pascal(y); super::super::policy::doc::f();";
    let from = vec!["rules".to_owned(), "one".to_owned()];
    let found: BTreeSet<String> = paths(code)
        .iter()
        .filter_map(|p| resolve(&from, p, &known))
        .map(|m| name(&m))
        .collect();
    assert_eq!(
        found,
        ["cfn::ids", "policy", "policy::doc", "rules::helpers"]
            .map(str::to_owned)
            .into()
    );
    // A cycle of three is found; a chain is not.
    let m = |s: &str| vec![s.to_owned()];
    let mut edges: BTreeMap<Module, BTreeSet<Module>> = BTreeMap::new();
    edges.insert(m("a"), [m("b")].into());
    edges.insert(m("b"), [m("c")].into());
    edges.insert(m("c"), [m("a")].into());
    edges.insert(m("d"), [m("a")].into());
    assert_eq!(
        cycles(&edges),
        [["a", "b", "c"].map(str::to_owned).to_vec()]
    );
}

#[test]
fn no_module_imports_in_a_cycle() {
    let found = cycles(&graph());
    assert!(found.is_empty(), "import cycles: {found:#?}");
}

#[test]
fn no_module_imports_from_a_higher_stage() {
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        let Some(top) = from.first() else { continue };
        let Some(rank) = stage(top) else {
            wrong.push(format!("{} is in no stage: add it to STAGES", name(&from)));
            continue;
        };
        for to in targets {
            let Some(other) = to.first().filter(|t| *t != top) else {
                continue;
            };
            match stage(other) {
                Some(r) if r < rank => {}
                _ => wrong.push(format!("{} → {}", name(&from), name(&to))),
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the stages: {wrong:#?}");
}

#[test]
fn no_rule_file_imports_another() {
    let shared: BTreeSet<Module> = [
        vec!["rules".to_owned()],
        vec!["rules".to_owned(), "helpers".to_owned()],
    ]
    .into();
    let mut wrong = Vec::new();
    for (from, targets) in graph() {
        if from.first().map(String::as_str) != Some("rules") || shared.contains(&from) {
            continue;
        }
        for to in targets {
            if to.first().map(String::as_str) == Some("rules") && !shared.contains(&to) {
                wrong.push(format!("{} → {}", name(&from), name(&to)));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "rule files importing rule files: {wrong:#?}"
    );
}

#[test]
fn every_rule_lives_in_the_file_its_id_names() {
    let dir = repo().join("src/rules");
    let mut files = 0;
    let mut wrong = Vec::new();
    for entry in fs::read_dir(&dir).expect("src/rules") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if matches!(name.as_str(), "mod.rs" | "helpers.rs") {
            continue;
        }
        files += 1;
        let text = fs::read_to_string(&path).expect("rule file");
        let ids: Vec<&str> = text
            .match_indices("id: \"CIP-")
            .map(|(i, m)| {
                let rest = &text[i + m.len()..];
                &rest[..rest.find('"').unwrap_or(0)]
            })
            .collect();
        // CIP-IOTP-007 → iotp_007.rs
        let expected: Vec<String> = ids
            .iter()
            .map(|id| format!("{}.rs", id.to_ascii_lowercase().replace('-', "_")))
            .collect();
        if expected != [name.clone()] {
            wrong.push(format!("{name}: declares {ids:?}"));
        }
    }
    assert!(
        wrong.is_empty(),
        "rule files not named by their id: {wrong:#?}"
    );
    assert_eq!(files, cogsynth::rules::RULES.len(), "one file per rule");
}

/// Every `.rs` file below `dir`, as `prefix` + its path from `dir`.
fn source_files(dir: &Path, prefix: &str, out: &mut Vec<String>) {
    for entry in fs::read_dir(dir).expect("src") {
        let path = entry.expect("entry").path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            source_files(&path, &format!("{prefix}{name}/"), out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(format!("{prefix}{name}"));
        }
    }
}

#[test]
fn readme_layout_lists_every_module() {
    let readme = fs::read_to_string(repo().join("README.md")).expect("README");
    let layout = readme
        .split("\n## Layout\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("a Layout section");
    let mut all = Vec::new();
    source_files(&repo().join("src"), "", &mut all);
    let rule_file = |f: &str| {
        f.strip_prefix("rules/").is_some_and(|n| {
            n.split_once('_')
                .is_some_and(|(_, num)| num.trim_end_matches(".rs").parse::<u32>().is_ok())
        })
    };
    let missing: Vec<&String> = all
        .iter()
        .filter(|f| !rule_file(f) && !layout.contains(&format!("`{f}`")))
        .collect();
    assert!(
        missing.is_empty(),
        "README \"Layout\" has no line for: {missing:?}"
    );
    assert!(layout.contains("`rules/<family>_<nnn>.rs`"));
}
