//! cogsynth: synthesizes CloudFormation for browser and mobile apps on AWS IoT Core behind
//! Cognito identity pools.
//!
//! The pipeline, one module per stage: [`source`] (YAML with positions) → [`spec`] (schema and
//! typed model) → [`check`] (meaning) → [`policy`] (MQTT grants) → [`cfn`] (template model,
//! build, emit) → [`output`] (atomic writes, `--check`). [`synth`] drives it for the CLI.

pub mod cfn;
pub mod check;
pub mod cli;
pub mod client;
pub mod compile;
pub mod deploy;
pub mod diag;
pub mod diff;
pub mod expect;
pub mod explain;
pub mod fuzzing;
pub mod input;
pub mod lambda;
pub mod limits;
pub mod manifest;
pub mod mqtt;
pub mod output;
pub mod policy;
pub mod rules;
pub mod sarif;
pub mod simulate;
pub mod source;
pub mod spec;
pub mod synth;
pub mod text;
