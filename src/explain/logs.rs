//! Reading AWS IoT log events (docs/aws-facts.md §10) from what people have at hand:
//!
//! - the JSON entries IoT writes to CloudWatch Logs, one per line or pretty-printed one after
//!   another (as the AWS documentation shows them), or a JSON array of them;
//! - the output of `aws logs filter-log-events` or `get-log-events`: `{"events": [{"message":
//!   "<entry as a JSON string>", ...}], ...}`;
//! - the output of `aws logs get-query-results` (Logs Insights): `{"results": [[{"field":
//!   "@message", "value": "<entry>"}, ...], ...]}`, or rows of discovered fields (`eventType`,
//!   `clientId`, ...) without `@message`; and an exported array of `{"@message": ...}` objects;
//! - `aws logs tail` lines: `<time> <stream> <entry>`, the entry from the first `{`.
//!
//! Anything else in a record (a `message` that is not JSON, an object of another shape) is
//! counted and skipped. A text that is not JSON at all, or not UTF-8, is unusable (an error at
//! line:column). Values that are not strings are treated as absent: the input is untrusted.
//! Must not: judge events, or print them.

use serde_json::{Map, Value};

/// The most `synth explain` reads: 64 MiB, which holds about 200,000 log entries.
pub const LOGS_MAX_BYTES: u64 = 64 << 20;

/// One AWS IoT log entry, the fields explain uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// 1-based line of the input where the entry (or its wrapper record) starts.
    pub line: usize,
    /// `events[3]`, `results[0]`, `[2]` when the entry came from inside a wrapper.
    pub entry: Option<String>,
    /// `Connect`, `Publish-In`, ...
    pub event_type: Option<String>,
    /// `Success` or `Failure`.
    pub status: Option<String>,
    /// `AUTHORIZATION_FAILURE`, ...
    pub reason: Option<String>,
    /// Free text.
    pub details: Option<String>,
    /// MQTT client id.
    pub client_id: Option<String>,
    /// The principal IoT authenticated.
    pub principal_id: Option<String>,
    /// Topic name (a filter for `Subscribe`).
    pub topic_name: Option<String>,
    /// As IoT wrote it.
    pub timestamp: Option<String>,
    /// `MQTT` or `HTTP`.
    pub protocol: Option<String>,
}

/// What was read.
#[derive(Debug, Clone, Default)]
pub struct Read {
    /// Entries, in input order.
    pub events: Vec<Event>,
    /// Records that were not IoT log entries.
    pub skipped: usize,
}

/// Why the input is unusable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub col: usize,
    /// What is wrong.
    pub message: String,
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary_compat(offset)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

trait FloorBoundary {
    fn floor_char_boundary_compat(&self, i: usize) -> usize;
}

impl FloorBoundary for str {
    fn floor_char_boundary_compat(&self, mut i: usize) -> usize {
        while i > 0 && !self.is_char_boundary(i) {
            i -= 1;
        }
        i
    }
}

/// Reads `bytes`.
pub fn read(bytes: &[u8]) -> Result<Read, Unusable> {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let (line, col) = line_col(
                &String::from_utf8_lossy(&bytes[..e.valid_up_to()]),
                e.valid_up_to(),
            );
            return Err(Unusable {
                line,
                col,
                message: "not UTF-8 text (CloudWatch Logs entries are UTF-8 JSON)".into(),
            });
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Read::default();
    match text.trim_start().chars().next() {
        None => {}
        Some('{' | '[') => read_json_stream(text, &mut out)?,
        Some(_) => read_lines(text, &mut out)?,
    }
    Ok(out)
}

fn json_error(text: &str, base: usize, e: &serde_json::Error) -> Unusable {
    // serde_json counts lines and columns from the start of what it was given.
    let (base_line, base_col) = line_col(text, base);
    let (line, col) = (e.line().max(1), e.column().max(1));
    let (line, col) = if line == 1 {
        (base_line, base_col + col - 1)
    } else {
        (base_line + line - 1, col)
    };
    Unusable {
        line,
        col,
        message: format!(
            "not JSON: {}",
            crate::text::escape(&strip_position(&e.to_string()))
        ),
    }
}

/// serde_json's message without its own " at line L column C" suffix.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

fn read_json_stream(text: &str, out: &mut Read) -> Result<(), Unusable> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    let mut start = 0;
    loop {
        // Where the next value starts: after the whitespace that follows the previous one.
        let rest = &text[start..];
        let value_start = start + (rest.len() - rest.trim_start().len());
        match stream.next() {
            None => break,
            Some(Ok(value)) => {
                let (line, _) = line_col(text, value_start);
                top_level(value, line, out);
                start = stream.byte_offset();
            }
            Some(Err(e)) => return Err(json_error(text, 0, &e)),
        }
    }
    Ok(())
}

fn read_lines(text: &str, out: &mut Read) -> Result<(), Unusable> {
    let mut offset = 0;
    for (i, line) in text.split('\n').enumerate() {
        let this = offset;
        offset += line.len() + 1;
        if line.trim().is_empty() {
            continue;
        }
        let Some(brace) = line.find('{') else {
            return Err(Unusable {
                line: i + 1,
                col: 1,
                message: "neither JSON nor a log line with a JSON entry".into(),
            });
        };
        let json = line[brace..].trim_end();
        match serde_json::from_str::<Value>(json) {
            Ok(value) => top_level(value, i + 1, out),
            Err(e) => return Err(json_error(text, this + brace, &e)),
        }
    }
    Ok(())
}

fn top_level(value: Value, line: usize, out: &mut Read) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(events)) = map.get("events") {
                for (i, e) in events.iter().enumerate() {
                    let entry = format!("events[{i}]");
                    match e.get("message") {
                        Some(Value::String(m)) => message(m, line, entry, out),
                        _ => out.skipped += 1,
                    }
                }
            } else if let Some(Value::Array(rows)) = map.get("results") {
                for (i, row) in rows.iter().enumerate() {
                    insights_row(row, line, format!("results[{i}]"), out);
                }
            } else {
                entry(&map, line, None, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let at = format!("[{i}]");
                match item {
                    Value::Object(m) => match m.get("@message") {
                        Some(Value::String(s)) => message(s, line, at, out),
                        _ => entry(m, line, Some(at), out),
                    },
                    _ => out.skipped += 1,
                }
            }
        }
        _ => out.skipped += 1,
    }
}

fn message(text: &str, line: usize, at: String, out: &mut Read) {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => entry(&map, line, Some(at), out),
        _ => out.skipped += 1,
    }
}

fn insights_row(row: &Value, line: usize, at: String, out: &mut Read) {
    let Value::Array(fields) = row else {
        out.skipped += 1;
        return;
    };
    let mut map = Map::new();
    for f in fields {
        if let (Some(Value::String(name)), Some(value)) = (f.get("field"), f.get("value")) {
            map.insert(name.clone(), value.clone());
        }
    }
    match map.get("@message") {
        Some(Value::String(m)) => {
            let m = m.clone();
            message(&m, line, at, out);
        }
        _ => entry(&map, line, Some(at), out),
    }
}

fn text(map: &Map<String, Value>, key: &str) -> Option<String> {
    match map.get(key) {
        Some(Value::String(s)) => Some(s.clone()),
        _ => None,
    }
}

fn entry(map: &Map<String, Value>, line: usize, at: Option<String>, out: &mut Read) {
    let event = Event {
        line,
        entry: at,
        event_type: text(map, "eventType"),
        status: text(map, "status"),
        reason: text(map, "reason"),
        details: text(map, "details"),
        client_id: text(map, "clientId"),
        principal_id: text(map, "principalId"),
        topic_name: text(map, "topicName"),
        timestamp: text(map, "timestamp"),
        protocol: text(map, "protocol"),
    };
    if event.event_type.is_none() {
        out.skipped += 1;
    } else {
        out.events.push(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ONE: &str = r#"{"timestamp": "2017-08-10 15:37:23.476", "logLevel": "ERROR", "status": "Failure", "eventType": "Connect", "protocol": "MQTT", "clientId": "c", "principalId": "p", "reason": "AUTHORIZATION_FAILURE"}"#;

    #[test]
    fn reads_lines_pretty_json_arrays_and_wrappers() {
        let lines = format!("{ONE}\n\n{ONE}\n");
        let r = read(lines.as_bytes()).unwrap();
        assert_eq!(r.events.len(), 2);
        assert_eq!((r.events[0].line, r.events[1].line), (1, 3));
        assert_eq!(r.events[0].client_id.as_deref(), Some("c"));
        assert_eq!(r.events[0].reason.as_deref(), Some("AUTHORIZATION_FAILURE"));

        let pretty = "{\n  \"eventType\": \"Subscribe\",\n  \"topicName\": \"a/#\"\n}\n{\n  \"eventType\": \"Connect\"\n}\n";
        let r = read(pretty.as_bytes()).unwrap();
        assert_eq!(r.events.len(), 2);
        assert_eq!(r.events[1].line, 5);

        let filtered = serde_json::json!({"events": [{"logStreamName": "s", "timestamp": 1, "message": ONE, "ingestionTime": 2, "eventId": "e"}, {"message": "not json"}], "searchedLogStreams": []});
        let r = read(filtered.to_string().as_bytes()).unwrap();
        assert_eq!(r.events.len(), 1);
        assert_eq!(r.events[0].entry.as_deref(), Some("events[0]"));
        assert_eq!(r.skipped, 1);

        let insights = serde_json::json!({"results": [[{"field": "@timestamp", "value": "t"}, {"field": "@message", "value": ONE}], [{"field": "eventType", "value": "Publish-In"}, {"field": "topicName", "value": "a/b"}]], "status": "Complete"});
        let r = read(insights.to_string().as_bytes()).unwrap();
        assert_eq!(r.events.len(), 2);
        assert_eq!(r.events[1].topic_name.as_deref(), Some("a/b"));
        assert_eq!(r.events[1].entry.as_deref(), Some("results[1]"));

        let array = format!(
            "[{ONE}, {{\"@message\": {}}}, 3]",
            serde_json::to_string(ONE).unwrap()
        );
        let r = read(array.as_bytes()).unwrap();
        assert_eq!((r.events.len(), r.skipped), (2, 1));

        let tail = format!("2017-08-10T15:37:23.476000+00:00 AWSIotLogsV2/stream {ONE}\n");
        assert_eq!(read(tail.as_bytes()).unwrap().events.len(), 1);
    }

    #[test]
    fn unusable_input_is_located() {
        let e = read(b"{\"eventType\": \"Connect\"}\n{\"eventType\": }\n").unwrap_err();
        assert_eq!((e.line, e.col), (2, 15), "{e:?}");
        assert!(e.message.starts_with("not JSON: "), "{e:?}");
        let e = read(b"hello\n").unwrap_err();
        assert_eq!((e.line, e.col), (1, 1));
        let e = read(b"{\"a\": \"\xff\"}").unwrap_err();
        assert_eq!((e.line, e.col), (1, 8));
        // Deep nesting is an error, not a stack overflow.
        let deep = "[".repeat(100_000);
        assert!(read(deep.as_bytes()).is_err());
    }

    #[test]
    fn values_of_the_wrong_type_are_absent() {
        let r = read(br#"{"eventType": "Connect", "clientId": 7, "topicName": ["x"]}"#).unwrap();
        assert_eq!(r.events[0].client_id, None);
        assert_eq!(r.events[0].topic_name, None);
        let r = read(br#"{"eventType": 1}"#).unwrap();
        assert_eq!((r.events.len(), r.skipped), (0, 1));
    }
}
