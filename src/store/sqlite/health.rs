//! Backups and the health report behind `firstline doctor`.

use rusqlite::backup::Backup;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::Duration;

use super::{schema, Result, SqliteStore, StoreError};
use crate::fs::{Overwrite, PrivateFile, WriteError};

/// What `doctor` tells the user about their queue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Health {
    pub path: Option<String>,
    pub schema_version: i64,
    pub supported_version: i64,
    pub integrity: String,
    pub journal_mode: String,
    pub tickets: i64,
    pub messages: i64,
    pub customers: i64,
    pub drafts: i64,
    pub events: i64,
    pub canned_responses: i64,
    pub size_bytes: Option<u64>,
}

impl Health {
    /// Whether nothing in the report needs the user's attention.
    pub fn is_ok(&self) -> bool {
        self.integrity == "ok" && self.schema_version == self.supported_version
    }
}

impl SqliteStore {
    /// Checks the file's integrity and counts what is in it.
    pub fn health(&self) -> Result<Health> {
        let count = |table: &str| -> Result<i64> {
            Ok(self
                .conn
                .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?)
        };
        let integrity: Vec<String> = {
            let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
            let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        Ok(Health {
            path: self.path.as_ref().map(|p| p.display().to_string()),
            schema_version: schema::version(&self.conn)?,
            supported_version: schema::CURRENT_VERSION,
            integrity: integrity.join("; "),
            journal_mode: self
                .conn
                .query_row("PRAGMA journal_mode", [], |r| r.get(0))?,
            tickets: count("tickets")?,
            messages: count("messages")?,
            customers: count("customers")?,
            drafts: count("drafts")?,
            events: count("events")?,
            canned_responses: count("canned_responses")?,
            size_bytes: self
                .path
                .as_ref()
                .and_then(|p| std::fs::metadata(p).ok())
                .map(|m| m.len()),
        })
    }

    /// Replaces this store's contents with the backup at `src`, page by page through
    /// the backup API inside SQLite's own locking, so a concurrent reader never sees a
    /// half-restored file. The backup is checked first; a bad one changes nothing.
    pub fn restore_from(&mut self, src: &Path) -> Result<()> {
        let source = SqliteStore::open(src)?;
        let health = source.health()?;
        if health.integrity != "ok" {
            return Err(StoreError::Invalid(format!(
                "{} fails its integrity check ({}); not restoring from it",
                src.display(),
                health.integrity
            )));
        }
        {
            let backup = Backup::new(&source.conn, &mut self.conn)?;
            backup.run_to_completion(256, Duration::from_millis(5), None)?;
        }
        schema::migrate(&mut self.conn)?;
        Ok(())
    }

    /// Copies the live database to `dest` with SQLite's online backup API, safe while
    /// other firstline processes keep writing. The copy is written into a private
    /// (0600) temp file beside `dest` and moved into place, so a half-written backup
    /// never replaces a good one and the customers' mail is never world-readable.
    /// An existing `dest` is kept unless `overwrite` says to replace it.
    pub fn backup(&self, dest: &Path, overwrite: Overwrite) -> Result<()> {
        if overwrite == Overwrite::Refuse && dest.symlink_metadata().is_ok() {
            return Err(WriteError::Exists(dest.to_path_buf()).into());
        }
        let file = PrivateFile::begin(dest)?;
        {
            // SQLite writes into the existing empty file and keeps its mode; its
            // journal takes the same mode.
            let mut out = Connection::open(file.path())?;
            let backup = Backup::new(&self.conn, &mut out)?;
            backup.run_to_completion(256, Duration::from_millis(5), None)?;
        }
        file.finish(overwrite)?;
        Ok(())
    }
}

/// Takes today's backup into `dir` unless one exists, then deletes all but the newest
/// `keep`. Returns the path written, if any. Files are named `firstline-YYYY-MM-DD.db`
/// so a listing sorts by age.
pub fn daily_backup(
    store: &SqliteStore,
    dir: &Path,
    keep: usize,
    today: chrono::NaiveDate,
) -> Result<Option<std::path::PathBuf>> {
    let io = |context: String| move |source| StoreError::Io { context, source };
    crate::fs::create_private_dir(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    let dest = dir.join(format!("firstline-{}.db", today.format("%Y-%m-%d")));
    // Two consoles started together both try; whoever comes second finds it taken.
    let written = match store.backup(&dest, Overwrite::Refuse) {
        Ok(()) => Some(dest),
        Err(StoreError::Write(WriteError::Exists(_))) => None,
        Err(e) => return Err(e),
    };
    let mut existing: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .map_err(io(format!("cannot list {}", dir.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("firstline-") && n.ends_with(".db"))
        })
        .collect();
    existing.sort();
    let excess = existing.len().saturating_sub(keep.max(1));
    for old in existing.into_iter().take(excess) {
        std::fs::remove_file(&old)
            .map_err(io(format!("cannot remove old backup {}", old.display())))?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn daily_backup_once_a_day_and_rotates() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("q.db")).unwrap();
        let backups = dir.path().join("backups");
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(daily_backup(&store, &backups, 3, day(1)).unwrap().is_some());
        assert!(
            daily_backup(&store, &backups, 3, day(1)).unwrap().is_none(),
            "once a day"
        );
        for d in 2..=5 {
            daily_backup(&store, &backups, 3, day(d)).unwrap();
        }
        let mut names: Vec<String> = std::fs::read_dir(&backups)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(
            names,
            [
                "firstline-2026-11-03.db",
                "firstline-2026-11-04.db",
                "firstline-2026-11-05.db"
            ]
        );
    }
}
