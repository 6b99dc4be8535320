//! CloudFormation: the template model, `build` (spec → template) and `emit` (template → text).
//! Must not: read or write files.

pub mod build;
pub mod emit;
pub mod ids;
pub mod model;
pub mod stackset;
pub mod suppress;
