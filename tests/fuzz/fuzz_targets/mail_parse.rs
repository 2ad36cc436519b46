//! cargo-fuzz target: `entry::mail_parse` (see ../entry.rs for what it checks).
#![no_main]

#[path = "../entry.rs"]
mod entry;

libfuzzer_sys::fuzz_target!(|data: &[u8]| entry::mail_parse(data));
