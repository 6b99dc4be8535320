//! Prints a [`Report`] as plain text (terminals, CI logs) or GitHub-flavoured Markdown (a PR
//! comment: a heading per stack, a table of grant changes per role, a table of resource changes).
//! JSON is the report serialized as is (see `model`). Output depends only on the report, which is
//! sorted, so the same templates always print the same bytes. Must not: decide anything.

use std::fmt::Write as _;

use super::model::{
    Change, GrantChange, Kind, Leaf, Report, ResourceChange, ResourceStatus, RoleDiff, StackDiff,
    Status, Summary,
};
use crate::markdown::{code, md};
use crate::policy::doc::Identities;
use crate::text;

/// What a signed-in or guest identity's effective grant is (docs/aws-facts.md §4).
fn identities_words(identities: &str) -> &'static str {
    if Identities::from_amr(identities) == Some(Identities::Authenticated) {
        "signed-in identities (effective grant: IAM role policy ∩ IoT policy)"
    } else {
        "guests (effective grant: the IAM role policy alone)"
    }
}

fn counts(s: &Summary) -> (String, String) {
    let stacks = format!(
        "{} stack(s) changed, {} unchanged",
        s.stacks_changed, s.stacks_unchanged
    );
    let mut detail = format!(
        "grants: {} broadening, {} narrowing; resources: {} added, {} removed, {} replaced, {} modified",
        s.broadening,
        s.narrowing,
        s.resources_added,
        s.resources_removed,
        s.resources_replaced,
        s.resources_modified
    );
    if s.cross_identity > 0 {
        let _ = write!(
            detail,
            "; {} CROSS-IDENTITY (reaching another identity's subtree)",
            s.cross_identity
        );
    }
    if s.trust_changes > 0 {
        let _ = write!(detail, "; {} trust policy change(s)", s.trust_changes);
    }
    (stacks, detail)
}

/// How a grant change is labelled: a broadening that reaches another identity's subtree is
/// cross-identity, the strongest word a reviewer can be shown.
fn kind_word(g: &GrantChange) -> &'static str {
    if g.cross_identity.is_some() {
        "CROSS-IDENTITY"
    } else {
        g.kind.word()
    }
}

/// Where a cross-identity grant reaches, or `None`.
fn cross_words(g: &GrantChange) -> Option<String> {
    g.cross_identity.as_ref().map(|t| {
        format!(
            "reaches `{t}`: another identity's topic (identity us-east-1:1111 reaching us-east-1:2222's subtree)"
        )
    })
}

/// The grant as a reviewer reads it: `subscribe fleet/news/*`, `deny publish a`, or the action
/// itself when it has no MQTT meaning.
fn grant_words(g: &GrantChange) -> String {
    let what = g.mqtt.clone().unwrap_or_else(|| g.action.clone());
    if g.effect == "Deny" {
        format!("deny {what}")
    } else {
        what
    }
}

fn sign(change: Change) -> &'static str {
    match change {
        Change::Added => "+",
        Change::Removed => "-",
    }
}

/// Why a one-layer change does nothing yet, or `None`.
fn ineffective_words(g: &GrantChange) -> Option<String> {
    if g.effective {
        return None;
    }
    let other = if g.layers.iter().any(|l| l.layer == "iam") {
        "the IoT policy"
    } else {
        "the IAM role policy"
    };
    let when = match g.change {
        Change::Added => "does not allow it",
        Change::Removed => "did not allow it",
    };
    Some(format!(
        "no effect on identities: {other} {when}, and signed-in identities need both"
    ))
}

fn role_title(r: &RoleDiff) -> String {
    let mut title = format!("pool {}", r.pool);
    if let Some(old) = &r.pool_renamed_from {
        let _ = write!(title, " (was {old})");
    }
    let _ = write!(title, ", role {}", r.role);
    if let Some(old) = &r.renamed_from {
        let _ = write!(title, " (was {old})");
    }
    if r.status != Status::Changed {
        let _ = write!(title, " [{}]", r.status.word());
    }
    title
}

fn replacement_words(r: &ResourceChange, arrow: &str, code: &dyn Fn(&str) -> String) -> String {
    match &r.replacement {
        Some(rep) if rep.cause == "logical-id" => {
            format!(
                "logical id renamed: {} {arrow} {}",
                code(&rep.old),
                code(&rep.new)
            )
        }
        Some(rep) if rep.cause == "type" => {
            format!(
                "type changed: {} {arrow} {}",
                code(&rep.old),
                code(&rep.new)
            )
        }
        Some(rep) => format!(
            "{} changed: {} {arrow} {}",
            rep.property.as_deref().unwrap_or("a create-only property"),
            code(&rep.old),
            code(&rep.new)
        ),
        None => String::new(),
    }
}

/// `Policies, Metadata, DependsOn`.
fn changed_parts(r: &ResourceChange) -> Vec<String> {
    let mut parts = r.properties.clone();
    if r.metadata {
        parts.push("Metadata".to_owned());
    }
    parts.extend(r.attributes.iter().cloned());
    parts
}

fn leaf_words(l: &Leaf, arrow: &str, code: &dyn Fn(&str) -> String) -> String {
    match (&l.old, &l.new) {
        (Some(o), Some(n)) => format!("{}: {} {arrow} {}", code(&l.path), code(o), code(n)),
        (Some(o), None) => format!("{}: {} removed", code(&l.path), code(o)),
        (None, Some(n)) => format!("{}: {} added", code(&l.path), code(n)),
        (None, None) => code(&l.path),
    }
}

fn unchanged(report: &Report) -> Vec<&str> {
    report
        .stacks
        .iter()
        .filter(|s| s.status == Status::Unchanged)
        .map(|s| s.stack.as_str())
        .collect()
}

fn changed(report: &Report) -> impl Iterator<Item = &StackDiff> {
    report
        .stacks
        .iter()
        .filter(|s| s.status != Status::Unchanged)
}

// ---------------------------------------------------------------------------------------------
// Text

/// Plain text. Unchanged stacks are counted; `verbose` lists them by name too.
pub fn text(report: &Report, verbose: bool) -> String {
    let mut out = String::new();
    let base = report.base.describe();
    let same = unchanged(report);
    if report.summary.is_empty() {
        put(
            &mut out,
            &format!(
                "synth diff: {} against {base}: no changes ({} stack(s))",
                report.out,
                report.stacks.len()
            ),
        );
        if verbose && !same.is_empty() {
            put(&mut out, &format!("unchanged: {}", same.join(", ")));
        }
        return out;
    }
    let (stacks, detail) = counts(&report.summary);
    put(
        &mut out,
        &format!("synth diff: {} against {base}: {stacks}", report.out),
    );
    put(&mut out, &format!("  {detail}"));
    for s in changed(report) {
        text_stack(s, &mut out);
    }
    if !same.is_empty() {
        out.push('\n');
        if verbose {
            put(&mut out, &format!("unchanged: {}", same.join(", ")));
        } else {
            put(
                &mut out,
                &format!(
                    "unchanged: {} stack(s) (`synth diff --verbose` lists them)",
                    same.len()
                ),
            );
        }
    }
    out
}

fn text_stack(s: &StackDiff, out: &mut String) {
    let file = s.file.as_ref().or(s.base_file.as_ref());
    let file = file.map_or_else(String::new, |f| format!(" ({f})"));
    out.push('\n');
    put(
        out,
        &format!("stack {}: {}{file}", s.stack, s.status.word()),
    );
    if !s.sections.is_empty() {
        put(out, &format!("  also changed: {}", s.sections.join(", ")));
    }
    for r in &s.roles {
        put(
            out,
            &format!("  {}: {}", role_title(r), identities_words(r.identities)),
        );
        if r.grants.is_empty() {
            put(out, "    grants unchanged");
        }
        let width = r
            .grants
            .iter()
            .map(|g| grant_words(g).len())
            .max()
            .unwrap_or(0);
        for g in &r.grants {
            let layers: Vec<String> = g
                .layers
                .iter()
                .map(super::model::LayerRef::describe)
                .collect();
            put(
                out,
                &format!(
                    "    {} {:<10}  {:<width$}  in {}",
                    sign(g.change),
                    kind_word(g),
                    grant_words(g),
                    layers.join(", ")
                ),
            );
            put(out, &format!("                  {}", g.resource));
            if let Some(why) = ineffective_words(g) {
                put(out, &format!("                  ({why})"));
            }
            if let Some(reach) = cross_words(g) {
                put(out, &format!("                  ({reach})"));
            }
        }
        for b in &r.broadened {
            put(out, &format!("    note: {b}"));
        }
    }
    for m in &s.mappings {
        let kind = m.kind.map_or("same access", Kind::word);
        put(
            out,
            &format!("  pool {}, role mapping: {:<11} {}", m.pool, kind, m.words),
        );
    }
    if s.resources.is_empty() {
        return;
    }
    put(out, "  resources:");
    let plain = |s: &str| s.to_owned();
    for r in &s.resources {
        let mark = match r.change {
            ResourceStatus::Added => "+",
            ResourceStatus::Removed => "-",
            ResourceStatus::Replaced => "!",
            ResourceStatus::Modified => "~",
        };
        let what = match r.change {
            ResourceStatus::Replaced => {
                format!("REPLACED: {}", replacement_words(r, "->", &plain))
            }
            ResourceStatus::Modified => format!("modified: {}", changed_parts(r).join(", ")),
            other => other.word().to_owned(),
        };
        put(
            out,
            &format!("    {mark} {} ({}): {what}", r.logical_id, r.kind),
        );
        if r.change == ResourceStatus::Replaced && !changed_parts(r).is_empty() {
            put(
                out,
                &format!("        also changed: {}", changed_parts(r).join(", ")),
            );
        }
        if let Some(d) = &r.danger {
            put(out, &format!("        danger: {d}"));
        }
        for l in &r.trust {
            put(
                out,
                &format!("        trust policy: {}", leaf_words(l, "->", &plain)),
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
/// Appends `line` and a line feed, with every control character, line separator or bidi control
/// in it escaped: template text (topics, names) cannot end a line early or drive a terminal.
fn put(out: &mut String, line: &str) {
    out.push_str(&text::escape(line));
    out.push('\n');
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// The most a GitHub comment body may hold: the API refuses a longer one with "Body is too long
/// (maximum is 65536 characters)". Counted here in UTF-8 bytes, never fewer than characters, so
/// the limit holds whether GitHub counts characters or bytes.
pub const COMMENT_MAX_BYTES: usize = 65_536;

/// GitHub-flavoured Markdown for a PR comment, at most [`COMMENT_MAX_BYTES`] long: the summary
/// first, then a section per changed stack; when they would not fit, the stacks with broadening
/// or trust changes come first, the last sections are left out whole, and a note says how many
/// and how to get the full report. Unchanged stacks are
/// counted; `verbose` lists them by name too (when that fits).
pub fn markdown(report: &Report, verbose: bool) -> String {
    markdown_within(report, verbose, COMMENT_MAX_BYTES)
}

/// [`markdown`] within `max` bytes (as long as the summary and the note fit at all).
pub fn markdown_within(report: &Report, verbose: bool, max: usize) -> String {
    let mut head = String::new();
    let base = match &report.base {
        super::model::Base::Git { rev, commit } => {
            let short: String = commit.chars().take(7).collect();
            // The revision as typed is unbounded (`HEAD~0~0…`): the heading shows at most 80
            // characters of it, so it cannot push the comment past the limit.
            let rev = if rev.chars().count() > 80 {
                format!("{}…", rev.chars().take(80).collect::<String>())
            } else {
                rev.clone()
            };
            if rev.starts_with(&short) {
                code(&short)
            } else {
                format!("{} ({})", md(&rev), code(&short))
            }
        }
        super::model::Base::Dir { dir } => code(dir),
    };
    let _ = writeln!(
        head,
        "## Permission diff: {} against {base}\n",
        code(&report.out)
    );
    let same = unchanged(report);
    if report.summary.is_empty() {
        let _ = writeln!(
            head,
            "No changes: {} stack(s) unchanged.",
            report.stacks.len()
        );
        if verbose && !same.is_empty() {
            let list = md_unchanged(&same, true);
            if head.len() + list.len() < max {
                let _ = write!(head, "\n{list}");
            }
        }
        return head;
    }
    let _ = writeln!(head, "{}", md_summary(&report.summary));
    let sections: Vec<(String, bool)> = changed(report)
        .map(|s| {
            let mut text = String::new();
            md_stack(s, &mut text);
            (text, broadens(s))
        })
        .collect();
    let tail = |note: &str, list: bool| {
        let mut tail = String::from("\n");
        tail.push_str(note);
        if !same.is_empty() {
            tail.push_str(&md_unchanged(&same, list));
        }
        tail.push_str(FOOTNOTE);
        tail
    };
    let all: usize = sections.iter().map(|(t, _)| t.len()).sum();
    let whole = tail("", verbose);
    if head.len() + all + whole.len() <= max {
        let mut out = head;
        for (t, _) in &sections {
            out.push_str(t);
        }
        out.push_str(&whole);
        return out;
    }
    // Too long: whole stack sections while they fit beside the longest note this can need, the
    // ones a reviewer must look at (broadening, trust changes) first, so a cut drops the rest.
    let mut sections = sections;
    sections.sort_by_key(|(_, broadening)| !*broadening);
    let total = sections.len();
    let room = max.saturating_sub(head.len() + tail(&cut_note(total, total, total), false).len());
    let mut used = 0;
    let shown = sections
        .iter()
        .take_while(|(t, _)| {
            used += t.len();
            used <= room
        })
        .count();
    let left = total - shown;
    let broadening = sections[shown..].iter().filter(|(_, b)| *b).count();
    let mut out = head;
    for (t, _) in &sections[..shown] {
        out.push_str(t);
    }
    out.push_str(&tail(&cut_note(left, total, broadening), false));
    out
}

const FOOTNOTE: &str = "<sub>Grants are read from the generated policies. `*` is a policy wildcard (any characters, across topic levels); `${identity}` is the caller's Cognito identity id. Broadening: an added Allow or a removed Deny.</sub>\n";

/// Why the comment stops early, and where the rest is.
fn cut_note(left: usize, total: usize, broadening: usize) -> String {
    format!(
        "**{left} of {total} changed stack(s) not shown** ({broadening} of them with broadening changes): this comment would pass GitHub's limit of 65,536 characters. The full report: `synth diff --format json`, or the text report (`synth diff`) kept as a CI artifact.\n\n"
    )
}

/// The unchanged stacks, listed or counted.
fn md_unchanged(same: &[&str], list: bool) -> String {
    if list {
        let same: Vec<String> = same.iter().map(|s| code(s)).collect();
        format!("Unchanged: {}.\n\n", same.join(", "))
    } else {
        format!(
            "Unchanged: {} stack(s) (`synth diff --verbose` lists them).\n\n",
            same.len()
        )
    }
}

/// True when a stack has a change a reviewer must look at: a broadening grant or role mapping,
/// or a trust policy change.
fn broadens(s: &StackDiff) -> bool {
    s.roles
        .iter()
        .flat_map(|r| &r.grants)
        .any(|g| g.kind == Kind::Broadening)
        || s.mappings.iter().any(|m| m.kind == Some(Kind::Broadening))
        || s.resources.iter().any(|r| !r.trust.is_empty())
}

/// `1 stack(s) changed, 2 unchanged · grants: **2 broadening**, 0 narrowing · resources: ...`,
/// the counts a reviewer must not miss in bold when they are not zero.
fn md_summary(s: &Summary) -> String {
    let bold = |n: usize, words: &str| {
        if n > 0 {
            format!("**{n} {words}**")
        } else {
            format!("{n} {words}")
        }
    };
    let mut line = format!(
        "{} stack(s) changed, {} unchanged · grants: {}, {} narrowing · resources: {} added, {}, {}, {} modified",
        s.stacks_changed,
        s.stacks_unchanged,
        bold(s.broadening, "broadening"),
        s.narrowing,
        s.resources_added,
        bold(s.resources_removed, "removed"),
        bold(s.resources_replaced, "replaced"),
        s.resources_modified
    );
    if s.cross_identity > 0 {
        let _ = write!(line, " · {}", bold(s.cross_identity, "cross-identity"));
    }
    if s.trust_changes > 0 {
        let _ = write!(
            line,
            " · {}",
            bold(s.trust_changes, "trust policy change(s)")
        );
    }
    line
}

fn md_stack(s: &StackDiff, out: &mut String) {
    let _ = writeln!(out, "\n### Stack {}: {}\n", code(&s.stack), s.status.word());
    if let Some(f) = s.file.as_ref().or(s.base_file.as_ref()) {
        let _ = writeln!(out, "Template: {}\n", code(f));
    }
    if !s.sections.is_empty() {
        let sections: Vec<String> = s.sections.iter().map(|x| code(x)).collect();
        let _ = writeln!(out, "Also changed: {}.\n", sections.join(", "));
    }
    for r in &s.roles {
        md_role(r, out);
    }
    if !s.mappings.is_empty() {
        let _ = writeln!(
            out,
            "**Role mapping**\n\n| Pool | Change | Kind |\n|---|---|---|"
        );
        for m in &s.mappings {
            let kind = match m.kind {
                Some(Kind::Broadening) => "**broadening**",
                Some(Kind::Narrowing) => "narrowing",
                None => "same access",
            };
            let _ = writeln!(out, "| {} | {} | {kind} |", code(&m.pool), md(&m.words));
        }
        out.push('\n');
    }
    if !s.resources.is_empty() {
        md_resources(&s.resources, out);
    }
}

fn md_role(r: &RoleDiff, out: &mut String) {
    let mut title = format!("Pool {}", code(&r.pool));
    if let Some(old) = &r.pool_renamed_from {
        let _ = write!(title, " (was {})", code(old));
    }
    let _ = write!(title, ", role {}", code(&r.role));
    if let Some(old) = &r.renamed_from {
        let _ = write!(title, " (was {})", code(old));
    }
    if r.status != Status::Changed {
        let _ = write!(title, " ({})", r.status.word());
    }
    let _ = writeln!(out, "**{title}**: {}\n", identities_words(r.identities));
    for b in &r.broadened {
        let _ = writeln!(out, "> Note: {}\n", md(b));
    }
    if r.grants.is_empty() {
        let _ = writeln!(out, "Grants unchanged.\n");
        return;
    }
    let _ = writeln!(out, "| Change | Grant | Layer | Policy resource |");
    let _ = writeln!(out, "|---|---|---|---|");
    for g in &r.grants {
        let kind = match g.kind {
            Kind::Broadening if g.cross_identity.is_some() => "**broadening**, **cross-identity**",
            Kind::Broadening => "**broadening**",
            Kind::Narrowing => "narrowing",
        };
        let change = match g.change {
            Change::Added => "added",
            Change::Removed => "removed",
        };
        let layers: Vec<String> = g
            .layers
            .iter()
            .map(|l| match &l.policy {
                Some(p) => format!("IAM role policy {}", code(p)),
                None => format!("IoT policy {}", code(&l.resource)),
            })
            .collect();
        let mut grant = code(&grant_words(g));
        if let Some(why) = ineffective_words(g) {
            let _ = write!(grant, "<br>_{}_", md(&why));
        }
        if let Some(t) = &g.cross_identity {
            let _ = write!(
                grant,
                "<br>**reaches {}**, another identity's topic",
                code(t)
            );
        }
        let _ = writeln!(
            out,
            "| {change}, {kind} | {grant} | {} | {} |",
            layers.join("<br>"),
            code(&g.resource)
        );
    }
    let _ = writeln!(out);
}

fn md_resources(resources: &[ResourceChange], out: &mut String) {
    let _ = writeln!(out, "**Resources**\n");
    let _ = writeln!(out, "| Change | Logical id | Type | Details |");
    let _ = writeln!(out, "|---|---|---|---|");
    for r in resources {
        let mut details: Vec<String> = Vec::new();
        match r.change {
            ResourceStatus::Replaced => {
                details.push(replacement_words(r, "→", &code));
                if !changed_parts(r).is_empty() {
                    details.push(format!(
                        "also changed: {}",
                        md(&changed_parts(r).join(", "))
                    ));
                }
            }
            ResourceStatus::Modified => details.push(md(&changed_parts(r).join(", "))),
            _ => {}
        }
        if let Some(d) = &r.danger {
            details.push(format!("**Danger:** {}", md(d)));
        }
        for l in &r.trust {
            details.push(format!("trust policy: {}", leaf_words(l, "→", &code)));
        }
        let change = match r.change {
            ResourceStatus::Replaced => "**replaced**".to_owned(),
            ResourceStatus::Removed if r.danger.is_some() => "**removed**".to_owned(),
            other => other.word().to_owned(),
        };
        let _ = writeln!(
            out,
            "| {change} | {} | {} | {} |",
            code(&r.logical_id),
            code(&r.kind),
            details.join("<br>")
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::model::{Base, JSON_VERSION, LayerRef};

    /// A report of `changed` stacks with `grants` broadening grants each, and `same` unchanged.
    fn report(changed: usize, grants: usize, same: usize) -> Report {
        let grant = |i: usize| GrantChange {
            change: Change::Added,
            kind: Kind::Broadening,
            effect: "Allow",
            action: "iot:Subscribe".into(),
            resource: format!("topicfilter/t/{i}"),
            mqtt: Some(format!("subscribe t/{i}")),
            layers: vec![LayerRef {
                layer: "iot",
                resource: "P".into(),
                policy: None,
            }],
            effective: true,
            cross_identity: None,
            sort: (String::new(), 0),
        };
        let stack = |name: String, status: Status, n: usize| StackDiff {
            stack: name,
            status,
            base_file: None,
            file: None,
            roles: if n == 0 {
                Vec::new()
            } else {
                vec![RoleDiff {
                    pool: "p".into(),
                    pool_renamed_from: None,
                    identities: "authenticated",
                    role: "member".into(),
                    renamed_from: None,
                    status: Status::Changed,
                    role_id: "R".into(),
                    grants: (0..n).map(grant).collect(),
                    broadened: Vec::new(),
                }]
            },
            resources: Vec::new(),
            mappings: Vec::new(),
            sections: Vec::new(),
        };
        let mut stacks: Vec<StackDiff> = (0..changed)
            .map(|i| stack(format!("c{i:03}"), Status::Changed, grants))
            .collect();
        stacks.extend((0..same).map(|i| stack(format!("u{i:03}"), Status::Unchanged, 0)));
        Report {
            version: JSON_VERSION,
            base: Base::Dir { dir: "old".into() },
            out: "out".into(),
            summary: Summary {
                stacks_changed: changed,
                stacks_unchanged: same,
                broadening: changed * grants,
                ..Summary::default()
            },
            stacks,
        }
    }

    #[test]
    fn a_report_that_fits_is_whole() {
        let r = report(3, 2, 2);
        let md = markdown(&r, false);
        assert_eq!(md.matches("### Stack").count(), 3);
        assert!(!md.contains("not shown"));
        assert!(md.contains("Unchanged: 2 stack(s) (`synth diff --verbose` lists them)."));
        let md = markdown(&r, true);
        assert!(md.contains("Unchanged: `u000`, `u001`."));
    }

    #[test]
    fn a_long_report_is_cut_between_stacks_within_the_limit() {
        let r = report(50, 20, 3);
        let whole = markdown_within(&r, true, usize::MAX);
        for max in [4_000, 10_000, 30_000, whole.len() - 1] {
            let md = markdown_within(&r, true, max);
            assert!(md.len() <= max, "{} > {max}", md.len());
            let shown = md.matches("### Stack").count();
            assert!(shown < 50, "{max}");
            // Cut at a boundary: what is shown is the whole report's first `shown` sections.
            let end = md.rfind("\n\n**").unwrap();
            assert!(whole.starts_with(&md[..end]), "{max}");
            assert!(
                md.contains(&format!(
                    "**{} of 50 changed stack(s) not shown** ({} of them with broadening changes)",
                    50 - shown,
                    50 - shown
                )),
                "{md}"
            );
            // The unchanged stacks are counted, no longer listed, and the footnote stays.
            assert!(md.contains("Unchanged: 3 stack(s)"));
            assert!(md.ends_with("</sub>\n"));
            // Nearly full: one more section would not have fitted.
            if shown < 49 {
                let next = whole
                    .split("\n### Stack")
                    .nth(shown + 1)
                    .map_or(0, |s| s.len() + "\n### Stack".len());
                assert!(md.len() + next > max, "{max}: room for one more");
            }
        }
        // A limit of exactly the whole report's size keeps it whole.
        assert_eq!(markdown_within(&r, true, whole.len()), whole);
    }

    /// A cut keeps the stacks a reviewer must see: one broadening stack named last, behind 50
    /// narrowing ones, is still shown when only a few sections fit.
    #[test]
    fn a_cut_shows_broadening_stacks_first() {
        let mut r = report(50, 20, 0);
        for stack in &mut r.stacks {
            for role in &mut stack.roles {
                for g in &mut role.grants {
                    g.change = Change::Removed;
                    g.kind = Kind::Narrowing;
                }
            }
        }
        let mut z = report(1, 1, 0).stacks.remove(0);
        z.stack = "zz-last".into();
        r.stacks.push(z);
        r.summary.stacks_changed = 51;
        r.summary.broadening = 1;
        let md = markdown_within(&r, false, 10_000);
        assert!(md.len() <= 10_000);
        assert!(md.contains("zz-last"), "{md}");
        let shown = md.matches("### Stack").count();
        assert!(shown < 51, "not cut");
        assert!(
            md.contains(&format!(
                "**{} of 51 changed stack(s) not shown** (0 of them with broadening changes)",
                51 - shown
            )),
            "{md}"
        );
        // Uncut, the order stays by name.
        let whole = markdown_within(&r, false, usize::MAX);
        assert!(whole.find("c000").unwrap() < whole.find("zz-last").unwrap());
    }

    /// The revision as typed is shown cut short: `--base HEAD~0~0…` (33,000 times) cannot
    /// make the comment pass the limit, with or without changes.
    #[test]
    fn a_huge_revision_does_not_pass_the_limit() {
        for changed in [0, 3] {
            let mut r = report(changed, 2, 1);
            r.base = Base::Git {
                rev: format!("HEAD{}", "~0".repeat(33_000)),
                commit: "0123456789abcdef0123456789abcdef01234567".into(),
            };
            let md = markdown(&r, false);
            assert!(
                md.len() < 1_000 + changed * 1_000,
                "{changed}: {} bytes",
                md.len()
            );
            assert!(md.contains("…"), "{md}");
        }
    }

    #[test]
    fn unchanged_stacks_are_counted_in_text_and_listed_when_verbose() {
        let r = report(1, 1, 2);
        assert!(
            text(&r, false)
                .ends_with("\nunchanged: 2 stack(s) (`synth diff --verbose` lists them)\n")
        );
        assert!(text(&r, true).ends_with("\nunchanged: u000, u001\n"));
    }
}
