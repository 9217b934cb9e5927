//! The scenario loader on arbitrary text: it returns a scenario or errors, never panics.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jobset_sim::fuzzing::scenario(data);
});
