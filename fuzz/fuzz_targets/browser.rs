//! Fuzz target: see `coffer::s3::fuzzing::browser`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| coffer::s3::fuzzing::browser(data));
