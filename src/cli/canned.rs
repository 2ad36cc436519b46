//! `firstline canned`: placeholder until the canned-response library lands.
use super::Context;
use std::process::ExitCode;

/// Arguments of `firstline canned`.
#[derive(Debug, clap::Args)]
pub struct CannedArgs {}

/// Not built yet.
pub fn run(_ctx: &Context, _args: CannedArgs) -> anyhow::Result<ExitCode> {
    Err(super::user_error("`firstline canned` is not built yet"))
}
