//! CloudFormation: the template model, `build` (spec → template), `emit` (template → text) and
//! `size` (policy documents measured as AWS counts them).
//! Must not: read or write files.

pub mod build;
pub mod emit;
pub mod ids;
pub mod model;
pub mod size;
pub mod stackset;
pub mod suppress;
