//! The whole compile, spec text → templates in both formats: `cogsynth::fuzzing::compile`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cogsynth::fuzzing::compile(data);
});
