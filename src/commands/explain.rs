//! `synth explain [FILE|-] [--stacks DIR] [--stack NAME] [--format text|json|markdown]`: reads
//! AWS IoT log entries from FILE or stdin, loads the specs of `--stacks`, has `explain` judge
//! every failed MQTT request against them, and prints the report in `--format` (README "synth
//! explain"; the JSON shape is in `explain`'s module doc).
//!
//! Exit 0 when every failure is one the spec means (working as intended), 1 when some failure
//! contradicts the spec or cannot be explained by it, 2 on unusable input (unreadable or
//! malformed logs, no log entry at all, a spec with input errors, an unknown `--stack`).
//!
//! Must not: print an error (it returns it); write files; judge or render anything itself
//! (`explain` does).

use std::io::{Read as _, Write};
use std::path::Path;

use crate::cli::{ExplainArgs, ExplainFormat};
use crate::error::{Error, Exit};
use crate::explain::logs::{self, LOGS_MAX_BYTES};
use crate::explain::{explain, render_json, render_markdown, render_text};
use crate::input::read_bounded;
use crate::layout::display;
use crate::manifest::load_stacks;
use crate::text::escape;

/// Runs `synth explain`: the report on stdout.
pub fn run(args: &ExplainArgs, cwd: &Path, stdout: &mut dyn Write) -> Result<Exit, Error> {
    let doing = "cannot read the log entries";
    let (shown, bytes) = if let Some(file) = args.file.as_deref().filter(|f| *f != Path::new("-")) {
        let shown = display(file);
        let bytes = read_bounded(&cwd.join(file), LOGS_MAX_BYTES)
            .map_err(|e| Error::io(escape(&shown), doing, &e))?;
        (shown, bytes)
    } else {
        let shown = "<stdin>".to_owned();
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(LOGS_MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&shown, doing, &e))?;
        if bytes.len() as u64 > LOGS_MAX_BYTES {
            return Err(Error::Io {
                path: shown,
                doing: None,
                why: format!(
                    "more than {} MiB of log entries, the most synth reads; filter them first (aws logs filter-log-events --filter-pattern '{{ $.status = \"Failure\" }}')",
                    LOGS_MAX_BYTES >> 20
                ),
                help: None,
            });
        }
        (shown, bytes)
    };
    run_on(args, cwd, &shown, &bytes, stdout)
}

/// [`run`] on bytes already read from the input named `shown`.
pub fn run_on(
    args: &ExplainArgs,
    cwd: &Path,
    shown: &str,
    bytes: &[u8],
    stdout: &mut dyn Write,
) -> Result<Exit, Error> {
    let read = logs::read(bytes).map_err(|u| Error::LogInput {
        place: format!("{}:{}:{}", escape(shown), u.line, u.col),
        message: u.message,
        help: Some("give AWS IoT log entries as JSON: one per line, the output of `aws logs filter-log-events` or of `aws logs get-query-results`".to_owned()),
    })?;
    if read.events.is_empty() {
        return Err(Error::LogInput {
            place: escape(shown).into_owned(),
            message: format!(
                "no AWS IoT log entry found ({} record(s) without an `eventType`)",
                read.skipped
            ),
            help: Some("AWS IoT writes its entries to the log group AWSIotLogsV2; export them with `aws logs filter-log-events --log-group-name AWSIotLogsV2`".to_owned()),
        });
    }
    let usage = |message: String| Error::Usage {
        command: "explain",
        message,
        help: None,
    };
    let mut stacks = load_stacks(cwd, &args.stacks).map_err(|e| {
        Error::Several(vec![
            e,
            usage("the specs must be valid to explain against them".to_owned()),
        ])
    })?;
    if let Some(name) = &args.stack {
        stacks.retain(|s| &s.compiled.loaded.spec.stack == name);
        if stacks.is_empty() {
            return Err(usage(format!(
                "no spec in {} has `stack: {}`",
                display(&args.stacks),
                escape(name)
            )));
        }
    }
    let report = explain(shown, &read, &stacks);
    let text = match args.format {
        ExplainFormat::Text => render_text(&report),
        ExplainFormat::Json => render_json(&report),
        ExplainFormat::Markdown => render_markdown(&report),
    };
    super::print(stdout, &text, "the explanation")?;
    Ok(report.exit_code())
}
