//! The handle itself: who writes, the key/value table, the change counter and where
//! blobs live.

use std::path::Path;

use super::{PgBlobs, PgStore, Result};
use crate::store::api::QueueMeta;
use crate::store::blobs::{BlobStore, Bucket};

impl QueueMeta for PgStore {
    fn was_created(&self) -> bool {
        self.created
    }

    // On a server: background threads open their own handle from the URL instead.
    fn path(&self) -> Option<&Path> {
        None
    }

    fn location(&self) -> Option<crate::store::Location> {
        Some(crate::store::Location::Server(self.url.clone()))
    }

    // Every commit bumps `queue_clock`; this handle's own commits are taken out, so
    // the number moves exactly when someone else wrote.
    fn data_version(&self) -> Result<i64> {
        let changes: i64 =
            self.read(|c| Ok(c.query_one("SELECT changes FROM queue_clock", &[])?.get(0)))?;
        Ok(changes - self.own_writes)
    }

    fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    fn meta(&self, key: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.query_opt("SELECT value FROM meta WHERE key = $1", &[&key])?
                    .map(|r| r.get(0)),
            )
        })
    }

    fn set_meta(&mut self, key: &str, value: &str) -> Result<()> {
        self.write(|tx, _| {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )?;
            Ok(())
        })
    }

    // In the database: every console of the team reads the same attachments.
    fn blobs(&self, bucket: Bucket) -> Option<Box<dyn BlobStore>> {
        Some(Box::new(PgBlobs::new(
            self.config.clone(),
            self.server.clone(),
            bucket,
        )))
    }
}
