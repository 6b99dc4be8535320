//! Where synth's files are, and how their paths are shown.
//! Must not: read or write files.

use std::path::Path;

/// A path as shown to users and written into headers: relative, `/`-separated, no `./`, so
/// output does not depend on the machine.
pub fn display(path: &Path) -> String {
    let s = path.to_string_lossy().replace('\\', "/");
    s.strip_prefix("./").unwrap_or(&s).to_owned()
}
