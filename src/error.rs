//! How a run of `synth` ends: its exit codes. Every command uses these; none imports another
//! command (or the application layer) for them.
//! Must not: print anything.

/// Exit code: success.
pub const EXIT_OK: i32 = 0;
/// Exit code: a rule or expectation failed, or out/ is stale.
pub const EXIT_FINDINGS: i32 = 1;
/// Exit code: unusable input (unreadable, malformed, meaningless) or an I/O failure.
pub const EXIT_INPUT: i32 = 2;
