//! The PostgreSQL backend: one queue on a server a team shares, the only module that
//! names the `postgres` crate (synchronous; it runs tokio-postgres on a runtime of
//! its own, so the rest of firstline stays free of async).
//!
//! [`PgStore`] implements the store API (`store::api`) with the behaviour the SQLite
//! backend defines: every write one transaction that also writes its audit event,
//! keeps the search vectors in step and bumps the queue's change counter; a ticket
//! write locks the ticket's row (`FOR UPDATE`) and refuses a stale version; an
//! outbox claim takes its row with `FOR UPDATE SKIP LOCKED`, so two couriers never
//! both get one reply. Timestamps are Unix seconds in `BIGINT` columns, as in
//! SQLite, so a queue copies between the two unchanged.
//!
//! A connection that drops mid-session becomes one line naming the server
//! ([`StoreError::Unreachable`]); the URL's password is never kept in anything that
//! is displayed (see [`Server`]).

mod blobs;
mod canned;
mod chat;
mod customers;
mod demo;
mod drafts;
mod dump;
pub mod fetchers;
mod followups;
mod ingest;
mod ledger;
pub mod listen;
mod messages;
mod meta;
mod outbox;
mod presence;
mod report;
mod schema;
pub mod search;
mod text_search;
mod tickets;
mod watch;

pub use blobs::PgBlobs;
#[doc(hidden)]
pub use schema::migrate_to;
pub use schema::CURRENT_VERSION as SCHEMA_VERSION;

use chrono::{DateTime, TimeZone, Utc};
use postgres::{Client, NoTls, Transaction};
use std::cell::RefCell;

use super::{Result, StoreError};

/// Whether `text` names a PostgreSQL queue rather than a file: the URL schemes
/// libpq accepts.
pub fn is_url(text: &str) -> bool {
    text.starts_with("postgres://") || text.starts_with("postgresql://")
}

/// A URL's queue in words safe to print ("PostgreSQL queue on db.example:5432"),
/// `None` when `text` is not a PostgreSQL URL.
pub fn describe_url(text: &str) -> Option<String> {
    if !is_url(text) {
        return None;
    }
    Some(match parse_url(text) {
        Ok(config) => {
            let server = Server::of(&config);
            format!("PostgreSQL {} on {server}", server.database)
        }
        Err(_) => "a PostgreSQL URL".into(),
    })
}

/// Whether `url` can name a queue, or what is expected instead: for settings
/// validation (`[store] url`), saying what is wrong without repeating the URL.
pub fn check_url(url: &str) -> std::result::Result<(), String> {
    if !is_url(url) {
        return Err(
            "[store] url: expected a PostgreSQL URL, postgres://user@host[:port]/database".into(),
        );
    }
    parse_url(url).map(|_| ()).map_err(|_| {
        "[store] url: not a valid PostgreSQL URL; expected postgres://user@host[:port]/database"
            .into()
    })
}

/// Where a queue lives, in words safe to show: host, port, database and user, never
/// the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
    pub database: String,
    pub user: String,
}

impl std::fmt::Display for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.host, self.port)
    }
}

impl Server {
    fn of(config: &postgres::Config) -> Server {
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(name)) => name.clone(),
            #[cfg(unix)]
            Some(postgres::config::Host::Unix(path)) => path.display().to_string(),
            None => "localhost".into(),
        };
        let user = config
            .get_user()
            .map(str::to_string)
            .unwrap_or_else(|| std::env::var("USER").unwrap_or_default());
        Server {
            host,
            port: config.get_ports().first().copied().unwrap_or(5432),
            database: config
                .get_dbname()
                .map(str::to_string)
                .unwrap_or_else(|| user.clone()),
            user,
        }
    }
}

/// Parses a `postgres://` URL. The parser's own message is kept out of the error:
/// it may quote the URL, password and all.
fn parse_url(url: &str) -> Result<postgres::Config> {
    let mut config = url.parse::<postgres::Config>().map_err(|_| {
        StoreError::Invalid(
            "not a valid PostgreSQL URL; expected postgres://user[:password]@host[:port]/database"
                .into(),
        )
    })?;
    // A server that does not answer (a host that is down drops packets) is a
    // one-line error in seconds, not a console frozen for the system's TCP timeout.
    if config.get_connect_timeout().is_none() {
        config.connect_timeout(std::time::Duration::from_secs(10));
    }
    Ok(config)
}

/// How many rows of each kind a queue holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub tickets: i64,
    pub messages: i64,
    pub customers: i64,
    pub drafts: i64,
    pub events: i64,
    pub canned_responses: i64,
}

/// A ticket queue in a PostgreSQL database.
pub struct PgStore {
    /// `RefCell`: the client needs `&mut` even to read, and reads take `&self`.
    conn: RefCell<Client>,
    /// The URL this handle was opened with, for background threads' own handles
    /// ([`crate::store::Location`]); it may carry a password, so it is never printed.
    url: String,
    config: postgres::Config,
    server: Server,
    created: bool,
    actor: String,
    draft_holder: Option<String>,
    /// How many commits this handle made: `data_version` counts only the others'.
    own_writes: i64,
    /// Statements prepared on this connection, by their SQL (see [`PgStore::prepared`]).
    statements: RefCell<std::collections::HashMap<String, postgres::Statement>>,
}

impl PgStore {
    /// Connects to the database `url` names and brings its schema up to date.
    pub fn open(url: &str) -> Result<PgStore> {
        let config = parse_url(url)?;
        let server = Server::of(&config);
        let mut client = config
            .connect(NoTls)
            .map_err(|e| unreachable_error(&server, &e))?;
        let created = schema::migrate(&mut client).map_err(|e| relabel(&server, &client, e))?;
        Ok(PgStore {
            conn: RefCell::new(client),
            url: url.to_string(),
            config,
            server,
            created,
            actor: crate::store::rules::default_actor(),
            draft_holder: None,
            own_writes: 0,
            statements: RefCell::default(),
        })
    }

    /// The server this handle talks to (for `doctor`, and error messages).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The server's version string (`15.4 (Debian 15.4-1)`).
    pub fn server_version(&self) -> Result<String> {
        self.read(|c| Ok(c.query_one("SHOW server_version", &[])?.get(0)))
    }

    /// The schema version recorded in the database.
    pub fn schema_version(&self) -> Result<i64> {
        self.read(schema::version)
    }

    /// How much the queue holds, for `doctor`.
    pub fn counts(&self) -> Result<Counts> {
        self.read(|c| {
            let r = c.query_one(
                "SELECT (SELECT count(*) FROM tickets), (SELECT count(*) FROM messages),
                    (SELECT count(*) FROM customers), (SELECT count(*) FROM drafts),
                    (SELECT count(*) FROM events),
                    (SELECT count(*) FROM canned_responses WHERE deleted_at IS NULL)",
                &[],
            )?;
            Ok(Counts {
                tickets: r.get(0),
                messages: r.get(1),
                customers: r.get(2),
                drafts: r.get(3),
                events: r.get(4),
                canned_responses: r.get(5),
            })
        })
    }

    /// Who holds which account's fetcher lock (see [`fetchers`]), for `doctor`.
    pub fn fetcher_locks(&self) -> Result<Vec<fetchers::FetcherHold>> {
        self.read(fetchers::held)
    }

    /// A connection the server dropped (a restart, a network cut) is replaced by a
    /// new one before the next operation, so a console outlives a server restart;
    /// while the server is still away this is the one-line "unreachable" error.
    fn reconnect_if_closed(&self, client: &mut Client) -> Result<()> {
        if client.is_closed() {
            self.statements.borrow_mut().clear();
            *client = self
                .config
                .connect(NoTls)
                .map_err(|e| unreachable_error(&self.server, &e))?;
        }
        Ok(())
    }

    /// `sql` prepared once on this connection and kept: the console's frequent
    /// reads (an inbox page, a count, search steps) then cost one round trip
    /// instead of two (parse, then run) and the server plans them from its cache.
    /// Forgotten when the connection is replaced, since statements die with it.
    fn prepared(&self, client: &mut Client, sql: &str) -> Result<postgres::Statement> {
        if let Some(statement) = self.statements.borrow().get(sql) {
            return Ok(statement.clone());
        }
        let statement = client.prepare(sql)?;
        let mut statements = self.statements.borrow_mut();
        // Filters make many texts; a handful are the console's.
        if statements.len() >= 256 {
            statements.clear();
        }
        statements.insert(sql.to_string(), statement.clone());
        Ok(statement)
    }

    /// Runs `f` on the connection, naming the server when the connection is gone.
    /// A connection the server closed since the last call (a restart, an idle
    /// timeout) is only found out by the call that uses it: then `f` runs once more
    /// on a new connection — a read changes nothing, so asking again is safe.
    fn read<T>(&self, mut f: impl FnMut(&mut Client) -> Result<T>) -> Result<T> {
        let mut client = self.conn.borrow_mut();
        self.reconnect_if_closed(&mut client)?;
        let result = match f(&mut client) {
            Err(StoreError::Database(_)) if client.is_closed() => {
                self.reconnect_if_closed(&mut client)?;
                f(&mut client)
            }
            other => other,
        };
        result.map_err(|e| relabel(&self.server, &client, e))
    }

    /// Runs `f` in one transaction that commits when it returns `Ok` and also bumps
    /// the queue's change counter, so other handles see that something changed.
    fn write<T>(
        &mut self,
        f: impl FnOnce(&mut Transaction<'_>, &Writer) -> Result<T>,
    ) -> Result<T> {
        let writer = Writer {
            actor: self.actor.clone(),
            holder: self.draft_holder.clone(),
        };
        let result: Result<T> = self.in_transaction(|tx| {
            let value = f(tx, &writer)?;
            tx.execute("UPDATE queue_clock SET changes = changes + 1", &[])?;
            Ok(value)
        });
        if result.is_ok() {
            self.own_writes += 1;
        }
        result
    }

    /// Runs `f` in a transaction that commits when it returns `Ok`. When the
    /// connection turns out closed at `BEGIN` — nothing of the write was sent yet —
    /// the transaction is begun once more on a new connection; a connection lost
    /// after that is an error, since the server may or may not have committed.
    fn in_transaction<T, F: FnOnce(&mut Transaction<'_>) -> Result<T>>(
        &mut self,
        f: F,
    ) -> Result<T> {
        let server = self.server.clone();
        {
            let mut client = self.conn.borrow_mut();
            self.reconnect_if_closed(&mut client)?;
        }
        let config = &self.config;
        let statements = self.statements.get_mut();
        let client = self.conn.get_mut();
        let result: Result<T> = (|| {
            let run = |mut tx: Transaction<'_>, f: F| {
                let value = f(&mut tx)?;
                tx.commit()?;
                Ok(value)
            };
            let refused = match client.transaction() {
                Ok(tx) => return run(tx, f),
                Err(e) => e,
            };
            if !client.is_closed() {
                return Err(refused.into());
            }
            statements.clear();
            *client = config
                .connect(NoTls)
                .map_err(|e| unreachable_error(&server, &e))?;
            run(client.transaction()?, f)
        })();
        result.map_err(|e| relabel(&server, self.conn.get_mut(), e))
    }
}

/// Who is writing: what a write records besides its data.
pub(crate) struct Writer {
    pub actor: String,
    pub holder: Option<String>,
}

/// The one line a lost or refused connection becomes.
fn unreachable_error(server: &Server, e: &postgres::Error) -> StoreError {
    StoreError::Unreachable {
        server: format!("PostgreSQL at {server}"),
        detail: first_line(e),
    }
}

/// A database error on a connection that has closed is the server going away.
fn relabel(server: &Server, client: &Client, e: StoreError) -> StoreError {
    match e {
        StoreError::Database(detail) if client.is_closed() => StoreError::Unreachable {
            server: format!("PostgreSQL at {server}"),
            detail,
        },
        other => other,
    }
}

/// The error's message and its cause on one line (the crate splits them).
fn first_line(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    if let Some(source) = std::error::Error::source(e) {
        let cause = source.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text.lines().next().unwrap_or_default().to_string()
}

/// A conflict with another writer (serialization, deadlock) reads as the lock it
/// is; everything else keeps the server's message, not the crate's type.
impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        match e.code() {
            Some(code)
                if *code == SqlState::T_R_SERIALIZATION_FAILURE
                    || *code == SqlState::T_R_DEADLOCK_DETECTED
                    || *code == SqlState::LOCK_NOT_AVAILABLE =>
            {
                StoreError::Locked
            }
            _ => match e.as_db_error() {
                Some(db) => StoreError::Database(db.message().to_string()),
                None => StoreError::Database(first_line(&e)),
            },
        }
    }
}

/// Timestamps are Unix seconds, as in the SQLite backend.
pub(crate) fn to_ts(t: DateTime<Utc>) -> i64 {
    t.timestamp()
}

pub(crate) fn from_ts(secs: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(secs, 0).single().unwrap_or_default()
}

pub(crate) fn opt_ts(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.map(from_ts)
}

/// Parses an enum stored as text; an unknown value means a foreign or damaged row.
pub(crate) fn parse_col<T: std::str::FromStr>(column: &str, text: String) -> Result<T>
where
    T::Err: std::fmt::Display,
{
    text.parse::<T>()
        .map_err(|e| StoreError::Database(format!("column {column}: {e}")))
}

/// A set of statuses as an SQL list, built from `model::Status` (never typed again).
pub(crate) fn status_list(set: &[crate::model::Status]) -> String {
    let names: Vec<String> = set.iter().map(|s| format!("'{}'", s.as_str())).collect();
    format!("({})", names.join(", "))
}
