//! Why AWS IoT refused what an app asked for, as data and as text: reads AWS IoT log entries
//! (`logs`), judges every failed `Connect`, `Publish-In`, `Subscribe` and `Publish-Out` against
//! the generated policies and the spec's grants of every stack given (`judge`), and renders one
//! explanation per failure and a summary of the rest as text, JSON or Markdown. `synth explain`
//! (`commands::explain`) reads the input and the specs, and prints what this module renders.
//!
//! [`Report::exit_code`]: 0 when every failure is one the spec means (working as intended), 1
//! when some failure contradicts the spec or cannot be explained by it.
//!
//! JSON shape (`--format json`): `{"version": 1, "input": "logs.json", "entries": N,
//! "skipped": N, "succeeded": {"Connect": N, ...}, "not_judged": [{"eventType", "reason",
//! "count"}], "failures": [{"line", "entry", "eventType", "status", "reason", "timestamp",
//! "clientId", "principalId", "principal", "request", "identity": {"id", "from"} | null,
//! "tried": [{"stack", "pool", "role", "identities", "allowed", "iam", "iot"}], "cause", "why",
//! "grant": {"text", "scope", "file", "line", "col"} | null, "change": {"grant", "into", "file",
//! "line", "col"} | null, "app": "..." | null, "verdict": "intended" | "contradicts" |
//! "unexplained"}], "verdicts": {"intended": N, "contradicts": N, "unexplained": N}}`. Text from
//! the log is escaped as in the text output.
//!
//! Must not: read or write files, print, or know the command line.

pub mod judge;
pub mod logs;
pub mod principal;
pub mod relation;

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::error::Exit;
use crate::manifest::Stack;
use crate::markdown::{code, md};
use crate::policy::doc::Identities;
use crate::text::escape;

use judge::{Judged, Verdict, candidates, judge, verb_of};

/// Everything `explain` found.
#[derive(Debug, Clone)]
pub struct Report {
    /// The input as named.
    pub input: String,
    /// Log entries read.
    pub entries: usize,
    /// Records that were not IoT log entries.
    pub skipped: usize,
    /// Successful entries per event type (and reason, when the entry gives one).
    pub succeeded: BTreeMap<String, usize>,
    /// Failed entries of other event types, per (event type, reason).
    pub not_judged: BTreeMap<(String, String), usize>,
    /// Judged failures, in input order.
    pub failures: Vec<Judged>,
}

impl Report {
    /// How many failures have `verdict`.
    pub fn count(&self, verdict: Verdict) -> usize {
        self.failures
            .iter()
            .filter(|f| f.verdict == verdict)
            .count()
    }

    /// The exit code: 0 when every judged failure is intended.
    pub fn exit_code(&self) -> Exit {
        if self.failures.iter().all(|f| f.verdict == Verdict::Intended) {
            Exit::Ok
        } else {
            Exit::Findings
        }
    }
}

/// Judges `events` against `stacks`.
pub fn explain(input: &str, read: &logs::Read, stacks: &[Stack]) -> Report {
    let cands = candidates(stacks);
    let mut report = Report {
        input: input.to_owned(),
        entries: read.events.len(),
        skipped: read.skipped,
        succeeded: BTreeMap::new(),
        not_judged: BTreeMap::new(),
        failures: Vec::new(),
    };
    for e in &read.events {
        let event_type = e.event_type.clone().unwrap_or_default();
        let failed = e
            .status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("failure"));
        if !failed {
            let key = match e.reason.as_deref() {
                Some(reason) => format!("{event_type} ({reason})"),
                None => event_type,
            };
            *report.succeeded.entry(key).or_default() += 1;
        } else if verb_of(&event_type).is_some() {
            report.failures.push(judge(e, &cands));
        } else {
            *report
                .not_judged
                .entry((event_type, e.reason.clone().unwrap_or_default()))
                .or_default() += 1;
        }
    }
    report
}

fn put(out: &mut String, line: &str) {
    out.push_str(&escape(line));
    out.push('\n');
}

fn kind(i: Identities) -> &'static str {
    match i {
        Identities::Authenticated => "signed-in identities",
        Identities::Unauthenticated => "guests",
    }
}

fn summary_line(r: &Report) -> String {
    let succeeded: usize = r.succeeded.values().sum();
    let not_judged: usize = r.not_judged.values().sum();
    let mut s = format!(
        "synth explain: {} log entr{} in {}: {succeeded} succeeded, {} failed",
        r.entries,
        if r.entries == 1 { "y" } else { "ies" },
        r.input,
        r.failures.len() + not_judged
    );
    if !r.failures.is_empty() {
        let _ = write!(
            s,
            " ({} working as intended, {} contradict the spec, {} not explained)",
            r.count(Verdict::Intended),
            r.count(Verdict::Contradicts),
            r.count(Verdict::Unexplained)
        );
    }
    s
}

/// Plain text.
pub fn render_text(r: &Report) -> String {
    let mut out = String::new();
    put(&mut out, &summary_line(r));
    if !r.succeeded.is_empty() {
        let parts: Vec<String> = r
            .succeeded
            .iter()
            .map(|(t, n)| format!("{t} {n}"))
            .collect();
        put(&mut out, &format!("  succeeded: {}", parts.join(", ")));
        if r.succeeded
            .keys()
            .any(|k| k.contains("DUPLICATE_CLIENT_ID"))
        {
            put(
                &mut out,
                "  note: DUPLICATE_CLIENT_ID: a second connection with the same client id closed the first (AWS IoT keeps one connection per client id); with client id = identity id that is the same identity twice, e.g. two tabs",
            );
        }
    }
    if !r.not_judged.is_empty() {
        let parts: Vec<String> = r
            .not_judged
            .iter()
            .map(|((t, reason), n)| {
                if reason.is_empty() {
                    format!("{t} {n}")
                } else {
                    format!("{t} {n} ({reason})")
                }
            })
            .collect();
        put(
            &mut out,
            &format!(
                "  failed, not an MQTT request (not judged): {}",
                parts.join(", ")
            ),
        );
    }
    if r.skipped > 0 {
        put(
            &mut out,
            &format!(
                "  skipped: {} record(s) that are not AWS IoT log entries",
                r.skipped
            ),
        );
    }
    for f in &r.failures {
        text_failure(&mut out, &r.input, f);
    }
    out
}

fn text_failure(out: &mut String, input: &str, f: &Judged) {
    out.push('\n');
    let e = &f.event;
    let mut head = format!("{}:{}", input, e.line);
    if let Some(entry) = &e.entry {
        let _ = write!(head, " {entry}");
    }
    for v in [&e.event_type, &e.status, &e.reason, &e.timestamp]
        .into_iter()
        .flatten()
    {
        let _ = write!(head, "  {v}");
    }
    put(out, &head);
    let field = |out: &mut String, name: &str, value: &str| {
        put(out, &format!("  {name:<10} {value}"));
    };
    if let Some(req) = &f.request {
        field(out, "request", &req.to_string());
    }
    if let Some(c) = &e.client_id {
        field(out, "client id", c);
    }
    if let Some(p) = &e.principal_id {
        let what = f.principal.as_deref().unwrap_or_default();
        field(out, "principal", &format!("{p}: {what}"));
    }
    match &f.identity {
        Some(i) => field(out, "identity", &format!("{} (from the {})", i.id, i.from)),
        None if f.request.is_some() => field(out, "identity", "unknown"),
        None => {}
    }
    for (n, t) in f.tried.iter().enumerate() {
        let mut line = format!(
            "{} of pool {}, role {} (stack {}): {}; IAM role policy: {}",
            kind(t.identities),
            t.pool,
            t.role,
            t.stack,
            if t.allowed { "ALLOW" } else { "DENY" },
            t.iam
        );
        if let Some(iot) = &t.iot {
            let _ = write!(line, "; IoT policy: {iot}");
        }
        field(out, if n == 0 { "decided" } else { "" }, &line);
    }
    field(out, "cause", &format!("{}: {}", f.cause, f.why));
    if let Some(g) = &f.grant {
        let scope = g
            .scope
            .as_deref()
            .map_or("the role's default".to_owned(), |s| {
                format!("topic scope {s}")
            });
        field(
            out,
            "grant",
            &format!(
                "{} ({scope}, {}:{}:{})",
                g.text, g.place.file, g.place.pos.line, g.place.pos.col
            ),
        );
    }
    if let Some(a) = &f.app {
        field(out, "app", a);
    }
    match &f.change {
        Some(c) => field(
            out,
            "spec",
            &format!(
                "{}add `{}` to {} ({}:{}:{})",
                if f.verdict == Verdict::Intended {
                    "only if it should be allowed: "
                } else {
                    ""
                },
                c.grant,
                c.into,
                c.place.file,
                c.place.pos.line,
                c.place.pos.col
            ),
        ),
        None if f.verdict == Verdict::Intended => field(
            out,
            "spec",
            "no change: allowing it would break the isolation the spec sets up",
        ),
        None => {}
    }
    field(out, "verdict", f.verdict.words());
}

fn esc(s: Option<&String>) -> Value {
    s.map_or(Value::Null, |s| Value::String(escape(s).into_owned()))
}

/// JSON (shape in the module doc).
pub fn render_json(r: &Report) -> String {
    let failures: Vec<Value> = r
        .failures
        .iter()
        .map(|f| {
            let e = &f.event;
            json!({
                "line": e.line,
                "entry": e.entry,
                "eventType": esc(e.event_type.as_ref()),
                "status": esc(e.status.as_ref()),
                "reason": esc(e.reason.as_ref()),
                "timestamp": esc(e.timestamp.as_ref()),
                "clientId": esc(e.client_id.as_ref()),
                "principalId": esc(e.principal_id.as_ref()),
                "principal": f.principal,
                "request": f.request.as_ref().map(|r| escape(&r.to_string()).into_owned()),
                "identity": f.identity.as_ref().map(|i| json!({"id": escape(&i.id), "from": i.from})),
                "tried": f.tried.iter().map(|t| json!({
                    "stack": t.stack, "pool": t.pool, "role": t.role,
                    "identities": match t.identities { Identities::Authenticated => "signed-in", Identities::Unauthenticated => "guest" },
                    "allowed": t.allowed, "iam": t.iam, "iot": t.iot,
                })).collect::<Vec<_>>(),
                "cause": f.cause,
                "why": escape(&f.why),
                "grant": f.grant.as_ref().map(|g| json!({
                    "text": g.text, "scope": g.scope, "file": g.place.file,
                    "line": g.place.pos.line, "col": g.place.pos.col,
                })),
                "change": f.change.as_ref().map(|c| json!({
                    "grant": escape(&c.grant), "into": c.into, "file": c.place.file,
                    "line": c.place.pos.line, "col": c.place.pos.col,
                })),
                "app": f.app.as_deref().map(|a| escape(a).into_owned()),
                "verdict": f.verdict.id(),
            })
        })
        .collect();
    let doc = json!({
        "version": 1,
        "input": escape(&r.input),
        "entries": r.entries,
        "skipped": r.skipped,
        "succeeded": r.succeeded.iter().map(|(k, v)| (escape(k).into_owned(), json!(v))).collect::<serde_json::Map<_, _>>(),
        "not_judged": r.not_judged.iter().map(|((t, reason), n)| json!({"eventType": escape(t), "reason": escape(reason), "count": n})).collect::<Vec<_>>(),
        "failures": failures,
        "verdicts": {
            "intended": r.count(Verdict::Intended),
            "contradicts": r.count(Verdict::Contradicts),
            "unexplained": r.count(Verdict::Unexplained),
        },
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("serializes");
    s.push('\n');
    s
}

/// GitHub-flavoured Markdown: the summary, a table of failures, then one section each.
pub fn render_markdown(r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "### {}\n", md(&summary_line(r)));
    if r.failures.is_empty() {
        return out;
    }
    out.push_str("| line | event | request | cause | verdict |\n|---|---|---|---|---|\n");
    for f in &r.failures {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            f.event.line,
            code(f.event.event_type.as_deref().unwrap_or_default()),
            f.request
                .as_ref()
                .map_or(String::new(), |q| code(&q.to_string())),
            code(f.cause),
            md(f.verdict.words())
        );
    }
    for f in &r.failures {
        let _ = writeln!(
            out,
            "\n#### line {}: {}\n",
            f.event.line,
            md(f.event.event_type.as_deref().unwrap_or_default())
        );
        if let Some(i) = &f.identity {
            let _ = writeln!(out, "- identity {} (from the {})", code(&i.id), md(&i.from));
        }
        let _ = writeln!(out, "- cause {}: {}", code(f.cause), md(&f.why));
        if let Some(g) = &f.grant {
            let _ = writeln!(
                out,
                "- grant {} at {}",
                code(&g.text),
                code(&format!(
                    "{}:{}:{}",
                    g.place.file, g.place.pos.line, g.place.pos.col
                ))
            );
        }
        if let Some(a) = &f.app {
            let _ = writeln!(out, "- app: {}", md(a));
        }
        if let Some(c) = &f.change {
            let _ = writeln!(
                out,
                "- spec: add {} to {} ({})",
                code(&c.grant),
                md(&c.into),
                code(&format!(
                    "{}:{}:{}",
                    c.place.file, c.place.pos.line, c.place.pos.col
                ))
            );
        }
        let _ = writeln!(out, "- verdict: **{}**", md(f.verdict.words()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::logs::Event;
    use super::*;

    #[test]
    fn markdown_escapes_log_text() {
        let r = Report {
            input: "x".into(),
            entries: 1,
            skipped: 0,
            succeeded: BTreeMap::new(),
            not_judged: BTreeMap::new(),
            failures: vec![Judged {
                event: Event {
                    line: 1,
                    event_type: Some("Publish-In".into()),
                    ..Event::default()
                },
                request: Some(crate::policy::eval::Request {
                    verb: crate::policy::eval::Verb::Publish,
                    target: "a|b`<script>\u{1b}[31m".into(),
                }),
                identity: None,
                principal: None,
                tried: Vec::new(),
                cause: "not-granted",
                why: "*bold* [link](x) \u{202e}".into(),
                grant: None,
                change: None,
                app: None,
                verdict: Verdict::Contradicts,
            }],
        };
        let md = render_markdown(&r);
        assert!(
            !md.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'),
            "{md}"
        );
        assert!(md.contains("\\*bold\\* \\[link\\](x)"), "{md}");
        assert!(md.contains("a\\|b`<script>"), "{md}");
        let text = render_text(&r);
        assert!(
            !text.chars().any(|c| c == '\u{1b}' || c == '\u{202e}'),
            "{text}"
        );
    }
}
