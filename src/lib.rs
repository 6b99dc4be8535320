//! cogsynth: synthesizes CloudFormation for browser and mobile apps on AWS IoT Core behind
//! Cognito identity pools.
//!
//! The pipeline, one module per stage: [`source`] (YAML with positions) → [`spec`] (schema and
//! typed model) → [`check`] (meaning) → [`policy`] (MQTT grants) → [`cfn`] (template model,
//! build, emit) → [`output`] (atomic writes, `--check`). [`commands`] runs it for the CLI, one
//! file per subcommand.

pub mod arn;
pub mod cfn;
pub mod check;
pub mod cli;
pub mod client;
pub mod commands;
pub mod compile;
pub mod compiled;
pub mod diag;
pub mod diff;
pub mod error;
pub mod expect;
pub mod explain;
pub mod fuzzing;
pub mod input;
pub mod lambda;
pub mod layout;
pub mod limits;
pub mod manifest;
pub mod markdown;
pub mod mqtt;
pub mod output;
pub mod policy;
pub mod rules;
pub mod sarif;
pub mod source;
pub mod spec;
pub mod text;
