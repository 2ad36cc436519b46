//! cargo-fuzz target: `entry::sanitizer` (see ../entry.rs for what it checks).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::sanitizer(data));
