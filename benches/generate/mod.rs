//! The benchmark workload: N equivalent but distinct specs. Each has one identity pool with
//! guests (a reason and a CIP-POOL-001 waiver), two roles, five topic scopes using
//! `${identity}`, `+` and `#`, the attach function, and `expect:` tests, so every stage of
//! `synth` (schema, meaning checks, build, rules, expectations, emit, write) does its usual
//! work. Spec `i` is `stack.yaml.in` with `@N@` replaced by `i` as four digits; the stack name
//! (`bench-0042`), user pool, client and topic prefixes differ, so the templates differ too.
//! `whole-process.sh` makes the same files with bash's `${text//@N@/NNNN}`, so there is one
//! description of the workload.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// The spec text with `@N@` where the number goes.
pub(crate) const TEMPLATE: &str = include_str!("stack.yaml.in");

/// Spec number `i` (1-based).
pub(crate) fn spec(i: usize) -> String {
    TEMPLATE.replace("@N@", &format!("{i:04}"))
}

/// The file name of spec number `i`, relative to the stacks directory.
pub(crate) fn file_name(i: usize) -> String {
    format!("bench-{i:04}.yaml")
}

/// Writes specs 1..=`n` into `dir` (created if missing). Returns their paths, in order.
pub(crate) fn write_specs(dir: &Path, n: usize) -> io::Result<Vec<PathBuf>> {
    fs::create_dir_all(dir)?;
    (1..=n)
        .map(|i| {
            let path = dir.join(file_name(i));
            fs::write(&path, spec(i))?;
            Ok(path)
        })
        .collect()
}
