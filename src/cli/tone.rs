//! `firstline tone`: placeholder until the tone checker lands.
use super::Context;
use std::process::ExitCode;

/// Arguments of `firstline tone`.
#[derive(Debug, clap::Args)]
pub struct ToneArgs {}

/// Not built yet.
pub fn run(_ctx: &Context, _args: ToneArgs) -> anyhow::Result<ExitCode> {
    Err(super::user_error("`firstline tone` is not built yet"))
}
