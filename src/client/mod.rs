//! The app side of a stack as code: generators that turn a stack's permission manifest
//! (`manifest`) into a module an app imports. `synth client` (`commands::client`) picks one and
//! prints or writes its text.
//!
//! | language | module |
//! |---|---|
//! | TypeScript, for browser and Node apps | [`typescript`] |
//!
//! Must not: read or write files, print, or know the command line (a generator returns text).

pub mod typescript;
