//! Reviewed snapshots of the templates of the good fixtures (the bundled stacks' templates are
//! the committed out/ files, checked by `synth --check`).

use std::fs;

use crate::support::{Scratch, repo};

#[test]
fn good_fixture_templates() {
    let dir = repo().join("tests/fixtures/good");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for name in names {
        let scratch = Scratch::new().file(
            &format!("stacks/{name}"),
            fs::read(dir.join(&name)).unwrap(),
        );
        let ran = scratch.run(&[]);
        assert_eq!(ran.code, 0, "{name}: {ran:?}");
        let stem = name.trim_end_matches(".yaml");
        let text = scratch.read(&format!("out/{stem}.template.yaml"));
        insta::assert_snapshot!(format!("template_{stem}"), text);
    }
}
