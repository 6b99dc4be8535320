//! The spec reader on any bytes: `cogsynth::fuzzing::spec_reader`.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    cogsynth::fuzzing::spec_reader(data);
});
