//! firstline: a terminal ticket console for the person who *is* the support department.
//!
//! The crate is one library with a thin binary on top. Dependencies point one way:
//! `tui`, `cli` → `canned`, `tone`, `sla`, `watch`, `report`, `mail` → `store` → `model`.
//! No SQL outside `store`, no terminal I/O outside `tui`.

pub mod canned;
pub mod cli;
pub mod config;
pub mod demo;
pub mod display;
pub mod fs;
pub mod mail;
pub mod model;
pub mod paths;
pub mod report;
pub mod sla;
pub mod store;
#[cfg(feature = "dev")]
pub mod synth;
pub mod telegram;
pub mod tone;
pub mod tui;
pub mod watch;
