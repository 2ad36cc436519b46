//! Live updates, backend-neutral: what a console listens to for other agents'
//! changes. A server queue pushes them (PostgreSQL `LISTEN`, see
//! `postgres::listen`); a queue file has nothing to listen to, and consoles keep
//! asking its `data_version` instead.

use std::time::Duration;

pub use super::postgres::listen::Change;
use super::{Location, Result};

/// One listening connection to a queue that pushes its changes.
pub struct Listener {
    inner: super::postgres::listen::PgListener,
}

impl Listener {
    /// A listener on `location`, or `None` when that queue pushes nothing (a file).
    pub fn open(location: &Location) -> Option<Result<Listener>> {
        match location {
            Location::File(_) => None,
            Location::Server(url) => Some(
                super::postgres::listen::PgListener::connect(url).map(|inner| Listener { inner }),
            ),
        }
    }

    /// Waits up to `timeout` for changes; each kind at most once, empty when none
    /// came. An error means the connection is gone: open a new listener.
    pub fn wait(&mut self, timeout: Duration) -> Result<Vec<Change>> {
        self.inner.wait(timeout)
    }
}
