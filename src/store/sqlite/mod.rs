//! The SQLite backend: the queue in one file, the only module that names `rusqlite`.
//!
//! [`SqliteStore`] implements the store API (`store::api`) with every write one
//! `BEGIN IMMEDIATE` transaction that also writes its audit event and keeps the FTS5
//! index in step. What only SQLite can do (backup, restore, bulk mode, dry run,
//! planner statistics, the health report) are inherent methods here, reached from a
//! `Store` through `Store::sqlite`. `schema` and the connection stay private.

mod canned;
mod chat;
mod customers;
mod demo;
mod drafts;
mod dump;
mod followups;
mod health;
mod ingest;
mod ledger;
mod messages;
mod outbox;
mod presence;
mod report;
mod schema;
mod search;
mod tickets;
mod watch;

/// The canned-reply suggestion terms, shared with the PostgreSQL backend (one list of
/// stop words and stems for both).
pub(crate) use canned::suggestion_query;
pub use health::{daily_backup, Health};
pub use schema::CURRENT_VERSION as SCHEMA_VERSION;
pub use schema::{last_upgrade_notice, set_upgrade_notice};

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::api::*;
use super::blobs::{BlobStore, Bucket, FsBlobs};
use super::{Result, StoreError};

/// Busy and locked mean another process holds the write lock: [`StoreError::Locked`].
/// Anything else keeps SQLite's own message, not its type, so the error is the same
/// whatever the backend.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked) => {
                StoreError::Locked
            }
            _ => StoreError::Database(e.to_string()),
        }
    }
}

/// How long a writer waits for another process's transaction before giving up. Long
/// enough that two TUIs and an importer never surface "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Rows SQLite samples per index when it refreshes statistics on open: a few
/// hundred, as SQLite recommends for `PRAGMA optimize` at connection start.
const OPEN_ANALYSIS_LIMIT: u32 = 400;

/// Rows sampled per index at the end of a bulk job (SQLite's own default for
/// `PRAGMA optimize`): still milliseconds on a million messages.
const BULK_ANALYSIS_LIMIT: u32 = 2000;

/// A ticket queue in one SQLite file (or in memory).
pub struct SqliteStore {
    conn: Connection,
    path: Option<PathBuf>,
    created: bool,
    actor: String,
    /// Who writes drafts through this connection (a console's id, see
    /// [`DraftStore::set_draft_holder`]); `None` for the CLI.
    draft_holder: Option<String>,
}

impl SqliteStore {
    /// Opens (creating if needed, mode 0600) the database at `path` and migrates it.
    /// The folder must exist: only the caller knows whether a missing one is the
    /// default data dir (create it) or a typo (say so), see `cli::Context`.
    pub fn open(path: &Path) -> Result<SqliteStore> {
        create_private_file(path)?;
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn = Connection::open_with_flags(path, flags)?;
        let corrupt = |e: StoreError| match e {
            StoreError::Database(detail) => StoreError::Corrupt {
                path: path.display().to_string(),
                detail,
                backups: path.with_file_name("backups").display().to_string(),
            },
            other => other,
        };
        Self::init(conn, Some(path.to_path_buf())).map_err(corrupt)
    }

    /// A throwaway queue in memory, for tests and benchmarks.
    pub fn open_in_memory() -> Result<SqliteStore> {
        Self::init(Connection::open_in_memory()?, None)
    }

    fn init(mut conn: Connection, path: Option<PathBuf>) -> Result<SqliteStore> {
        conn.busy_timeout(BUSY_TIMEOUT)?;
        if path.is_some() {
            let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StoreError::Invalid(format!(
                    "could not switch the database to WAL mode (got {mode})"
                )));
            }
        }
        // A 32 MB page cache: the full-text index of a big archive is read far more
        // than it is written. No memory map outside bulk mode: every page the console
        // ever touched would stay in its resident set (350 MB on a 1M-message archive).
        conn.execute_batch(
            "PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL;
             PRAGMA cache_size=-32768; PRAGMA mmap_size=0;",
        )?;
        // rusqlite caches 16 statements by default; one imported message runs about 25
        // distinct ones, so the cache thrashed and re-parsing SQL was a third of import.
        conn.set_prepared_statement_cache_capacity(128);
        register_functions(&conn)?;
        let created = schema::migrate(&mut conn)?;
        if path.is_some() {
            // Keeps planner statistics fresh: without them SQLite walks the status
            // index instead of the waiting-tickets index, 20x slower. Bounded, because
            // this runs on the console's way to its first frame and in every cron
            // `check`: unbounded, missing or stale statistics meant a full ANALYZE
            // (19 s on a fresh 1M-message `dev gen` archive). Bulk jobs leave full-size
            // statistics behind them (`refresh_statistics`), so this rarely has work.
            conn.execute_batch(&format!(
                "PRAGMA analysis_limit={OPEN_ANALYSIS_LIMIT}; PRAGMA optimize=0x10002;"
            ))?;
        }
        Ok(SqliteStore {
            conn,
            path,
            created,
            actor: crate::store::rules::default_actor(),
            draft_holder: None,
        })
    }

    /// Trades durability of the last transaction for speed, for bulk imports only:
    /// WAL with NORMAL never corrupts, it may lose the final commits on power loss.
    pub fn set_bulk_mode(&mut self, bulk: bool) -> Result<()> {
        let level = if bulk { "NORMAL" } else { "FULL" };
        self.conn.pragma_update(None, "synchronous", level)?;
        let cache_kib = if bulk { -131072 } else { -32768 };
        self.conn.pragma_update(None, "cache_size", cache_kib)?;
        // Bulk loads map the file: 100,000 messages import in 41 s instead of 56 s.
        // The mapped pages are the file's own (page cache the kernel can take back),
        // not memory the import holds; tests/resources.rs tells the two apart.
        let mmap_bytes: i64 = if bulk { 1 << 30 } else { 0 };
        self.conn.pragma_update(None, "mmap_size", mmap_bytes)?;
        // Plans that depend on a bound value (partial indexes, STAT4 samples) make
        // SQLite re-prepare the statement at every new binding: 14% of an import's
        // time went to re-parsing the same five statements. A bulk load wants one
        // stable plan per statement.
        self.conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            bulk,
        )?;
        if !bulk {
            // A bulk load changes the data's shape; refresh planner statistics now,
            // at the end of the job, so the next console start does not pay for them.
            self.refresh_statistics()?;
        }
        Ok(())
    }

    /// Analyzes every table that lacks planner statistics or grew or shrank tenfold
    /// since its last analysis, sampling up to [`BULK_ANALYSIS_LIMIT`] rows an index:
    /// what SQLite recommends after bulk changes, bounded so an import into a big
    /// archive ends in milliseconds rather than a full ANALYZE.
    pub fn refresh_statistics(&mut self) -> Result<()> {
        self.conn.execute_batch(&format!(
            "PRAGMA analysis_limit={BULK_ANALYSIS_LIMIT}; PRAGMA optimize=0x10002;
             PRAGMA analysis_limit={OPEN_ANALYSIS_LIMIT};"
        ))?;
        Ok(())
    }

    /// The tables that have planner statistics (`sqlite_stat1` rows), for `check`
    /// and for tests that a bulk job left them behind.
    pub fn analyzed_tables(&self) -> Result<Vec<String>> {
        analyzed_tables(&self.conn)
    }

    /// [`SqliteStore::analyzed_tables`] of the file at `path`, read without opening
    /// it as a queue (whose own bounded refresh would hide what a job left behind).
    pub fn analyzed_tables_in(path: &Path) -> Result<Vec<String>> {
        analyzed_tables(&Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?)
    }

    /// Test hook: runs `sql` on the file at `path`, for a state the store's API
    /// cannot make on purpose (a reply left in doubt by a crash mid-send, a time
    /// long past) — so tests outside this backend never name `rusqlite`
    /// (`tests/architecture.rs`). Like [`SqliteStore::create_at_version`].
    #[doc(hidden)]
    pub fn execute_for_tests(path: &Path, sql: &str) -> Result<usize> {
        Ok(Connection::open(path)?.execute(sql, [])?)
    }

    /// The schema version of the file at `path`, read without migrating it: what
    /// upgrade tests and `doctor` need to know about a file before opening it.
    pub fn schema_version_of(path: &Path) -> Result<i64> {
        schema::version(&Connection::open(path)?)
    }

    /// Writes a new file at `path` at an older schema `version`, as that release of
    /// firstline left it, so upgrade tests can start from one.
    #[doc(hidden)]
    pub fn create_at_version(path: &Path, version: i64) -> Result<()> {
        let mut conn = Connection::open(path)?;
        schema::migrate_to(&mut conn, version)?;
        Ok(())
    }

    fn write(&mut self) -> Result<Transaction<'_>> {
        Ok(self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?)
    }
}

/// The tables `conn` has planner statistics for (`sqlite_stat1` rows).
fn analyzed_tables(conn: &Connection) -> Result<Vec<String>> {
    let has_stats: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE name = 'sqlite_stat1'",
        [],
        |r| r.get(0),
    )?;
    if !has_stats {
        return Ok(Vec::new());
    }
    let mut stmt = conn.prepare("SELECT DISTINCT tbl FROM sqlite_stat1 ORDER BY tbl")?;
    let names = stmt
        .query_map([], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

impl QueueMeta for SqliteStore {
    fn was_created(&self) -> bool {
        self.created
    }

    fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn location(&self) -> Option<crate::store::Location> {
        self.path.clone().map(crate::store::Location::File)
    }

    // SQLite's `data_version` pragma: no table read.
    fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |row| row.get(0))?)
    }

    fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    // Folders beside the file, as every release so far kept them.
    fn blobs(&self, bucket: Bucket) -> Option<Box<dyn BlobStore>> {
        let db = self.path.as_deref()?;
        Some(Box::new(FsBlobs::beside(db, bucket)))
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        tx.commit()?;
        Ok(())
    }
}

/// SQLite's `lower()` folds ASCII only; customers named Олена must match "олена".
fn register_functions(conn: &Connection) -> Result<()> {
    use rusqlite::functions::FunctionFlags;
    conn.create_scalar_function(
        "fl_lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| t.to_lowercase()))
        },
    )?;
    conn.create_scalar_function(
        "fl_thread_subject",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(crate::model::normalize_subject(
                text.as_deref().unwrap_or(""),
            ))
        },
    )?;
    // The text of a full-text index row, as `messages::index_message` writes it, for
    // migration 15, which builds the index again in SQL.
    conn.create_scalar_function(
        "fl_index_text",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| messages::fold_for_index(&t)))
        },
    )?;
    conn.create_scalar_function(
        "fl_index_body",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let text: Option<String> = ctx.get(0)?;
            Ok(text.map(|t| messages::indexed_body(&t)))
        },
    )?;
    Ok(())
}

fn create_private_file(path: &Path) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Io {
            context: format!("cannot create {}", path.display()),
            source,
        }),
    }
}

/// Timestamps are stored as Unix seconds: compact, sortable, and what mail dates carry.
pub(crate) fn to_ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

pub(crate) fn opt_ts(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.map(from_ts)
}

/// Parses an enum stored as text; an unknown value means a foreign or damaged file.
pub(crate) fn parse_col<T: std::str::FromStr>(idx: usize, text: String) -> rusqlite::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    text.parse::<T>().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(idx, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// A set of statuses as an SQL list, `('new', 'open', 'on-hold')`. The sets are
/// written once, in `model::Status`; SQL is built from them, never typed again. The
/// order is the set's, so the list reads exactly as the one in the partial index
/// `tickets_waiting` (released migration SQL), which SQLite only uses when the
/// query's list matches it.
pub(crate) fn status_list(set: &[crate::model::Status]) -> String {
    let names: Vec<String> = set.iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}

pub(crate) use crate::store::rules::tags_to_col;

pub(crate) fn tags_from_col(col: &str) -> Vec<String> {
    col.split_whitespace().map(str::to_string).collect()
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
    use crate::model::Status;
    use crate::store::{Store, TicketFilter, View};

    #[test]
    fn status_sets_become_sql_lists_in_their_own_order() {
        assert_eq!(status_list(Status::ACTIVE), "('new', 'open', 'on-hold')");
        assert_eq!(
            status_list(Status::UNRESOLVED),
            "('new', 'open', 'pending', 'on-hold')"
        );
        assert_eq!(status_list(Status::RESOLVED), "('solved', 'closed')");
    }

    /// The partial index `tickets_waiting` is only used when a query's status list
    /// reads exactly as the index's; the list built from `Status::ACTIVE` must.
    #[test]
    fn needs_reply_still_walks_the_partial_waiting_index() {
        let store = SqliteStore::open_in_memory().unwrap();
        let filter = TicketFilter {
            view: Some(View::NeedsReply),
            ..Default::default()
        };
        let (where_sql, _) = tickets::filter_sql(&filter, Utc::now());
        // INDEXED BY fails to prepare ("no query solution") when the WHERE clause
        // does not imply the index's own.
        let usable = store.conn.prepare(&format!(
            "SELECT t.id FROM tickets t INDEXED BY tickets_waiting WHERE {where_sql}"
        ));
        assert!(usable.is_ok(), "{:?}", usable.err());
        let other_order =
            where_sql.replace(&status_list(Status::ACTIVE), "('open', 'new', 'on-hold')");
        assert!(
            store
                .conn
                .prepare(&format!(
                    "SELECT t.id FROM tickets t INDEXED BY tickets_waiting WHERE {other_order}"
                ))
                .is_err(),
            "the check can fail: a list in another order does not match the index"
        );
    }

    /// How SQLite would run the Needs-reply count on `store`, one line per step.
    fn needs_reply_plan(store: &SqliteStore) -> String {
        let filter = TicketFilter {
            view: Some(View::NeedsReply),
            ..Default::default()
        };
        let (where_sql, args) = tickets::filter_sql(&filter, Utc::now());
        let mut stmt = store
            .conn
            .prepare(&format!(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM tickets t WHERE {where_sql}"
            ))
            .unwrap();
        let steps = stmt
            .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        steps.map(|s| s.unwrap()).collect::<Vec<_>>().join("\n")
    }

    /// A bulk job leaves planner statistics behind it, so the next open (the
    /// console's first frame) has none to compute, and the bounded statistics still
    /// lead the planner to the waiting-tickets index.
    #[test]
    fn a_bulk_job_leaves_statistics_that_pick_the_waiting_index() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.db");
        let mut store = Store::open(&db).unwrap();
        let has_tickets = |store: &Store| {
            let analyzed = store.as_sqlite().unwrap().analyzed_tables().unwrap();
            analyzed.iter().any(|t| t == "tickets")
        };
        assert!(!has_tickets(&store), "an empty queue");
        store.sqlite().unwrap().set_bulk_mode(true).unwrap();
        let shape = crate::synth::Shape {
            tickets: 3000,
            messages: 6000,
            seed: 3,
        };
        crate::synth::generate(&mut store, shape, |_| {}).unwrap();
        assert!(!has_tickets(&store), "not yet");
        store.sqlite().unwrap().set_bulk_mode(false).unwrap();
        let analyzed = store.as_sqlite().unwrap().analyzed_tables().unwrap();
        for table in ["tickets", "messages"] {
            assert!(analyzed.iter().any(|t| t == table), "{table}: {analyzed:?}");
        }
        drop(store);
        let store = SqliteStore::open(&db).unwrap();
        let plan = needs_reply_plan(&store);
        assert!(plan.contains("tickets_waiting"), "{plan}");
    }
}
