//! cargo-fuzz target: `entry::csv_forms` (see ../entry.rs for what it checks).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::csv_forms(data));
