//! `firstline import`: placeholder until intake lands.
use super::Context;
use std::process::ExitCode;

/// Arguments of `firstline import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {}

/// Not built yet.
pub fn run(_ctx: &Context, _args: ImportArgs) -> anyhow::Result<ExitCode> {
    Err(super::user_error("`firstline import` is not built yet"))
}
