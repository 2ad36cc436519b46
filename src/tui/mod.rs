//! The console. Placeholder until the TUI lands.
use crate::config::Config;
use crate::store::Store;

/// Opens the console on `store`.
pub fn run(_store: Store, _config: Config) -> anyhow::Result<()> {
    anyhow::bail!("the console is not built yet; try `firstline list`")
}
