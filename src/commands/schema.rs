//! `synth schema`: prints the JSON Schema of a spec (`schemas/stack.schema.json`, embedded), so
//! that editors outside this repository can check and complete specs:
//! `synth schema > .cogsynth.schema.json`, then `# yaml-language-server: $schema=...` in a spec.
//! Must not: print anything but the schema.

use std::io::Write;

use crate::error::{Error, Exit};
use crate::spec::SCHEMA_TEXT;

/// Runs `synth schema`: the schema on stdout, byte for byte.
pub fn run(stdout: &mut dyn Write) -> Result<Exit, Error> {
    super::print(stdout, SCHEMA_TEXT, "the schema")?;
    Ok(Exit::Ok)
}
