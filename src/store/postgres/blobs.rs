//! Blobs (attachments, saved replies) in the `blobs` table: a team's consoles share
//! the database, not a disk. Each [`PgBlobs`] opens its own connection on first use,
//! since a blob store outlives the call that asked for it and may move to another
//! thread.

use std::sync::Mutex;

use postgres::{Client, NoTls};

use super::{relabel, unreachable_error, Result, Server};
use crate::store::blobs::{BlobStore, Bucket};
use crate::store::StoreError;

pub struct PgBlobs {
    config: postgres::Config,
    server: Server,
    bucket: &'static str,
    conn: Mutex<Option<Client>>,
}

impl std::fmt::Debug for PgBlobs {
    // The config holds the password: show only where the blobs are.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PgBlobs({} {})", self.server, self.bucket)
    }
}

impl PgBlobs {
    pub(crate) fn new(config: postgres::Config, server: Server, bucket: Bucket) -> PgBlobs {
        PgBlobs {
            config,
            server,
            bucket: match bucket {
                Bucket::Attachments => "attachments",
                Bucket::Outbox => "outbox",
            },
            conn: Mutex::new(None),
        }
    }

    /// Runs `f` on this store's connection; a connection the server closed since
    /// the last call is found out by `f` failing, and `f` runs once more on a new
    /// one (every blob call is a read or a single idempotent statement).
    fn with<T>(&self, mut f: impl FnMut(&mut Client, &str) -> Result<T>) -> Result<T> {
        let mut slot = self.conn.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_none_or(|c| c.is_closed()) {
            let client = self
                .config
                .connect(NoTls)
                .map_err(|e| unreachable_error(&self.server, &e))?;
            *slot = Some(client);
        }
        let client = slot.as_mut().expect("connected above");
        let result = match f(client, self.bucket) {
            Err(StoreError::Database(_)) if client.is_closed() => {
                *client = self
                    .config
                    .connect(NoTls)
                    .map_err(|e| unreachable_error(&self.server, &e))?;
                f(client, self.bucket)
            }
            other => other,
        };
        result.map_err(|e| relabel(&self.server, client, e))
    }
}

impl BlobStore for PgBlobs {
    fn put(&self, name: &str, content: &[u8]) -> Result<()> {
        self.with(|c, bucket| {
            c.execute(
                "INSERT INTO blobs(bucket, name, content) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&bucket, &name, &content],
            )?;
            Ok(())
        })
    }

    fn get(&self, name: &str) -> Result<Vec<u8>> {
        self.with(|c, bucket| {
            c.query_opt(
                "SELECT content FROM blobs WHERE bucket = $1 AND name = $2",
                &[&bucket, &name],
            )?
            .map(|r| r.get(0))
            .ok_or_else(|| StoreError::Io {
                context: format!("cannot read {}", self.location(Some(name))),
                source: std::io::Error::from(std::io::ErrorKind::NotFound),
            })
        })
    }

    fn list(&self) -> Result<Vec<String>> {
        self.with(|c, bucket| {
            Ok(c.query(
                "SELECT name FROM blobs WHERE bucket = $1 ORDER BY name",
                &[&bucket],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    fn remove(&self, name: &str) -> Result<bool> {
        self.with(|c, bucket| {
            Ok(c.execute(
                "DELETE FROM blobs WHERE bucket = $1 AND name = $2",
                &[&bucket, &name],
            )? > 0)
        })
    }

    fn location(&self, name: Option<&str>) -> String {
        let db = &self.server.database;
        match name {
            Some(name) => format!("{} in {db} on {} (PostgreSQL)", name, self.server),
            None => format!("{} in {db} on {} (PostgreSQL)", self.bucket, self.server),
        }
    }
}
