//! `firstline send` and `firstline outbox`: placeholders until delivery lands.
use super::Context;
use std::process::ExitCode;

/// Arguments of `firstline send`.
#[derive(Debug, clap::Args)]
pub struct SendArgs {}

/// Arguments of `firstline outbox`.
#[derive(Debug, clap::Args)]
pub struct OutboxArgs {}

/// Not built yet.
pub fn send(_ctx: &Context, _args: SendArgs) -> anyhow::Result<ExitCode> {
    Err(super::user_error("`firstline send` is not built yet"))
}

/// Not built yet.
pub fn run(_ctx: &Context, _args: OutboxArgs) -> anyhow::Result<ExitCode> {
    Err(super::user_error("`firstline outbox` is not built yet"))
}
