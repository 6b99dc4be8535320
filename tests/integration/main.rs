//! The one integration-test binary (one link on a two-core machine). Tests run the built
//! `synth` binary (`CARGO_BIN_EXE_synth`, never cargo) or call the library.

mod cli;
mod ci_recipe;
mod deploy_command;
mod diff;
mod golden;
mod lambda_runtime;
mod limits;
mod props;
mod readme;
mod resource_schemas;
mod sarif;
mod simulate;
mod support;
