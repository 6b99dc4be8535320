//! README claims that code can check: the wildcard translation table and the rule list.

use std::fs;

use cogsynth::mqtt::translate;
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
