//! The ticket queue: the only module that speaks SQL, behind a backend-neutral seam.
//!
//! The rest of firstline holds a [`Store`], a thin handle over one backend that
//! implements [`QueueStore`] (the traits in `api.rs`). Arguments and results are
//! `model` types and the plain types beside the traits (`types.rs`, `query.rs`);
//! errors are [`StoreError`]s, which name no backend's types. Two backends: SQLite
//! (`sqlite/`, a queue in one file, the default) and PostgreSQL (`postgres/`, a queue
//! a team shares, opened by URL); each is the only place that names its SQL library
//! and both pass the same conformance suite. Operations only SQLite has (backup,
//! restore, bulk mode, dry run) are reached through [`Store::sqlite`], what only the
//! server reports through [`Store::as_postgres`]. Attachments and outbox files are
//! reached through a [`BlobStore`] the queue hands out, never by deriving folders
//! from a database path.

pub mod api;
pub mod blobs;
pub mod holders;
pub mod live;
pub mod live_fetchers;
mod location;
pub mod postgres;
pub mod presence;
pub mod query;
mod rules;
pub mod sqlite;
pub mod types;

pub use api::QueueStore;
pub use blobs::{BlobStore, Bucket, FsBlobs};
pub use holders::{holder_is_running, new_holder_id};
pub use location::Location;
pub use presence::{Activity, Presence};
pub use query::{parse_when, SearchHit, SearchOrder, SearchQuery, SearchResults, Term};
pub use sqlite::{daily_backup, Health, SqliteStore};
pub use types::*;

use std::path::Path;

use crate::model::TicketId;

/// What can go wrong with the queue, each with a message that says what to do next.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// An id the user typed does not exist (exit code 1, not a crash).
    #[error("{what} {id} not found")]
    NotFound { what: &'static str, id: i64 },
    /// Another process changed the ticket after we read it; nothing was overwritten.
    #[error("ticket {ticket} was changed elsewhere (version {found}, expected {expected}); reload and try again")]
    Conflict {
        ticket: TicketId,
        expected: i64,
        found: i64,
    },
    /// The queue was written by a newer firstline.
    #[error("database schema version {found} is newer than this firstline understands ({supported}); upgrade firstline or open a backup")]
    NewerSchema { found: i64, supported: i64 },
    /// The file is not a firstline database or is damaged.
    /// `backups` is where the daily copies go by default (`backups/` beside it).
    #[error("{path} is not a readable firstline database ({detail}); it was left untouched. Restore a backup with `firstline restore BACKUP --yes` (the damaged file is kept beside it); daily backups are in {backups} unless `[backup] dir` names another folder")]
    Corrupt {
        path: String,
        detail: String,
        backups: String,
    },
    /// Another process held the write lock for longer than the busy timeout.
    #[error("database is locked by another process for too long; close other firstline windows or pass --db")]
    Locked,
    /// The database server cannot be reached, or dropped the connection (`server`
    /// names it without any password: "PostgreSQL at db.example:5432").
    #[error("{server} is unreachable: {detail}")]
    Unreachable { server: String, detail: String },
    /// A value the user gave cannot be applied (an empty subject, a bad dump).
    #[error("{0}")]
    Invalid(String),
    /// The backend failed in a way none of the above names (its own message).
    #[error("database error: {0}")]
    Database(String),
    /// A private file (a backup) could not be written, or would replace one.
    #[error(transparent)]
    Write(#[from] crate::fs::WriteError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

impl StoreError {
    /// Whether the error is the user's to fix (exit 1) rather than data or I/O (exit 2).
    pub fn is_user_error(&self) -> bool {
        matches!(
            self,
            StoreError::NotFound { .. }
                | StoreError::Invalid(_)
                | StoreError::Conflict { .. }
                | StoreError::Write(crate::fs::WriteError::Exists(_))
        )
    }
}

/// Shorthand for store results.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// An open ticket queue: a handle over one backend. Every operation of
/// [`QueueStore`] is called on it directly (`store.ticket(id)`), through `Deref`.
/// `Send`, so a console can hand it to its runner thread.
pub struct Store {
    backend: Box<dyn QueueStore>,
}

impl Store {
    /// Opens (creating if needed, mode 0600) the SQLite queue at `path` and migrates
    /// it. The folder must exist: only the caller knows whether a missing one is the
    /// default data dir (create it) or a typo (say so), see `cli::Context`.
    pub fn open(path: &Path) -> Result<Store> {
        Ok(Store::from_backend(SqliteStore::open(path)?))
    }

    /// Opens the PostgreSQL queue a `postgres://` (or `postgresql://`) URL names and
    /// brings its schema up to date. The password in the URL is used to log in and
    /// never shown: errors name the server as host:port.
    pub fn open_url(url: &str) -> Result<Store> {
        Ok(Store::from_backend(postgres::PgStore::open(url)?))
    }

    /// A throwaway SQLite queue in memory, for tests and benchmarks.
    pub fn open_in_memory() -> Result<Store> {
        Ok(Store::from_backend(SqliteStore::open_in_memory()?))
    }

    /// A handle over any backend: how a second backend (or a test double) plugs in.
    pub fn from_backend(backend: impl QueueStore) -> Store {
        Store {
            backend: Box::new(backend),
        }
    }

    /// The SQLite backend, for what only it can do (backup, restore, bulk mode, dry
    /// run); `None` on any other backend, where the caller says the operation is
    /// SQLite's.
    pub fn sqlite(&mut self) -> Option<&mut SqliteStore> {
        let any: &mut dyn std::any::Any = &mut *self.backend;
        any.downcast_mut()
    }

    /// [`Store::sqlite`] for reading (a backup, the health report).
    pub fn as_sqlite(&self) -> Option<&SqliteStore> {
        let any: &dyn std::any::Any = &*self.backend;
        any.downcast_ref()
    }

    /// The PostgreSQL backend, for what only it can report (the server, its
    /// version, the schema version); `None` on any other backend.
    pub fn as_postgres(&self) -> Option<&postgres::PgStore> {
        let any: &dyn std::any::Any = &*self.backend;
        any.downcast_ref()
    }
}

/// What [`Store::take_if_unassigned`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taken {
    /// The ticket was nobody's; now it is this agent's.
    Now,
    /// A teammate took it in between: it stays theirs.
    ByOther(String),
}

impl Store {
    /// After a reply: an unassigned ticket becomes agent `name`'s, so "Mine" and
    /// "Unassigned" stay true whoever replied, from the CLI or a console. `None` when
    /// it was already someone's (a teammate's ticket stays theirs). Through the
    /// version counter, so two agents replying at once never overrule each other.
    pub fn take_if_unassigned(&mut self, id: TicketId, name: &str) -> Result<Option<Taken>> {
        let ticket = self.ticket(id)?;
        if ticket.assignee.is_some() {
            return Ok(None);
        }
        let change = crate::model::TicketChange::Assignee(Some(name.to_string()));
        match self.change_ticket(id, &change, Some(ticket.version)) {
            Ok(_) => Ok(Some(Taken::Now)),
            Err(StoreError::Conflict { .. }) => Ok(self.ticket(id)?.assignee.map(Taken::ByOther)),
            Err(e) => Err(e),
        }
    }
}

impl std::ops::Deref for Store {
    type Target = dyn QueueStore;

    fn deref(&self) -> &Self::Target {
        &*self.backend
    }
}

impl std::ops::DerefMut for Store {
    fn deref_mut(&mut self) -> &mut Self::Target {
        &mut *self.backend
    }
}

/// Cleans a user-typed tag: lowercase, no whitespace, no leading `#`/`+`.
pub fn normalize_tag(tag: &str) -> String {
    tag.trim()
        .trim_start_matches(['#', '+'])
        .to_lowercase()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    /// The console moves its store into a runner thread.
    #[test]
    fn a_store_handle_is_send() {
        assert_send::<Store>();
    }

    #[test]
    fn the_sqlite_backend_is_reachable_from_the_handle() {
        let mut store = Store::open_in_memory().unwrap();
        assert!(store.as_sqlite().is_some());
        assert!(store.sqlite().is_some());
    }
}
