//! The manifest loader and `jobset-sim validate`'s admission report on arbitrary text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jobset_sim::fuzzing::manifest(data);
});
