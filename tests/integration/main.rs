//! The one integration-test binary (one link on a two-core machine). Tests run the built
//! `synth` binary (`CARGO_BIN_EXE_synth`, never cargo) or call the library.

// Tests build specs by concatenating text; `push_str(&format!(..))` reads best there.
#![allow(clippy::format_push_string)]

mod ci_recipe;
mod cli;
mod client;
mod deploy_command;
mod detach_runtime;
mod diff;
mod environments;
mod explain;
mod fuzz_smoke;
mod golden;
mod harness;
mod imports;
mod lambda_runtime;
mod limits;
mod props;
mod readme;
mod resource_schemas;
mod rule_findings;
mod sarif;
mod simulate;
mod support;
mod suppressions;
