//! Admission (defaulting, then create validation) on arbitrary JobSet objects, given as JSON.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    jobset_sim::fuzzing::admission(data);
});
