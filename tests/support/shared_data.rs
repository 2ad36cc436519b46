//! `../shared/data`: real mail and text that nobody on this project wrote, read in
//! place (its README lists each corpus, origin and licence). A test that needs it and
//! returns early without it passes having checked nothing, so a missing file fails
//! the test, naming exactly what is missing.
//!
//! Included with `#[path = "support/shared_data.rs"] mod shared_data;` so test files
//! that do not use the pty helpers in `support/mod.rs` can have it too.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared data folder, beside the project checkout.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data")
}

/// `../shared/data/<relative>`; fails the test when it does not exist.
pub fn path(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(
        path.exists(),
        "{} is missing: this test reads the shared sample data ({relative}) in place; \
         check out ../shared/data beside the project (its README says where each corpus comes from)",
        path.display()
    );
    path
}
