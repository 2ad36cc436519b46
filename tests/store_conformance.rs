//! The store conformance suite (`tests/support/conformance.rs`) run against the SQLite
//! backend: a fresh queue file per test, each `open` another handle on it. A second
//! backend adds its own file like this one, with its own [`Backend`].

#[path = "support/conformance.rs"]
mod conformance;

use conformance::Backend;
use firstline::store::Store;

/// A queue in a temp file; each `open` is another connection to it.
struct SqliteFile {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
}

fn sqlite_file() -> SqliteFile {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    SqliteFile { _dir: dir, path }
}

impl Backend for SqliteFile {
    fn open(&self) -> Store {
        Store::open(&self.path).unwrap()
    }

    fn interrupt_sending(&self, outbox_id: i64) {
        let conn = rusqlite::Connection::open(&self.path).unwrap();
        let changed = conn
            .execute(
                "UPDATE outbox SET updated_at = updated_at - 3600 WHERE id = ?1 AND state = 'sending'",
                [outbox_id],
            )
            .unwrap();
        assert_eq!(changed, 1, "outbox row {outbox_id} is not being sent");
    }
}

conformance_suite!(sqlite_file());
