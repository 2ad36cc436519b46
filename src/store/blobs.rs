//! Files that belong to a queue but not in its tables: attachments (named by the
//! SHA-256 of their content) and replies saved as `.eml` when no transport is set.
//!
//! Callers reach them through [`BlobStore`], asked of the queue
//! (`QueueMeta::blobs`), never by deriving folders from a database path: a backend
//! on a server keeps them where its clients can all read them. [`FsBlobs`] is the
//! file-system implementation the SQLite backend uses, a folder beside the database
//! file (`queue.attachments/`, `queue.outbox/`), so a copy of the data dir carries
//! them and two queues never share files. Customers' documents: folders are created
//! 0700 and files 0600.

use std::path::{Path, PathBuf};

use super::{Result, StoreError};
use crate::fs::{Overwrite, WriteError};

/// Which of a queue's blob collections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    /// Attachments of stored messages, named by their content's SHA-256.
    Attachments,
    /// Replies written as `.eml` files for the user to send by hand.
    Outbox,
}

impl Bucket {
    fn suffix(self) -> &'static str {
        match self {
            Bucket::Attachments => "attachments",
            Bucket::Outbox => "outbox",
        }
    }
}

/// A flat collection of named blobs, written once: a name stands for one content (a
/// content hash, a Message-ID), so writing a name that exists changes nothing.
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Stores `content` as `name` unless that name exists. Never leaves half a blob
    /// under a real name.
    fn put(&self, name: &str, content: &[u8]) -> Result<()>;

    /// The content stored as `name`.
    fn get(&self, name: &str) -> Result<Vec<u8>>;

    /// Every stored name, sorted.
    fn list(&self) -> Result<Vec<String>>;

    /// Deletes `name`; `false` when there was nothing to delete.
    fn remove(&self, name: &str) -> Result<bool>;

    /// Where the collection (or one blob in it) is, in words the user can act on: a
    /// folder, for files.
    fn location(&self, name: Option<&str>) -> String;
}

/// Blobs as files in one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FsBlobs {
    dir: PathBuf,
}

impl FsBlobs {
    /// Blobs in `dir` (created on the first write).
    pub fn new(dir: impl Into<PathBuf>) -> FsBlobs {
        FsBlobs { dir: dir.into() }
    }

    /// The folder beside the database file `db` that holds `bucket`:
    /// `queue.db` → `queue.attachments/` and `queue.outbox/`.
    pub fn beside(db: &Path, bucket: Bucket) -> FsBlobs {
        let stem = db
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "firstline".into());
        FsBlobs::new(db.with_file_name(format!("{stem}.{}", bucket.suffix())))
    }

    /// The folder itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file `name` is kept in; refuses names that would leave the folder.
    fn file(&self, name: &str) -> Result<PathBuf> {
        let plain =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
        if !plain {
            return Err(StoreError::Invalid(format!(
                "{name:?} is not a plain blob name"
            )));
        }
        Ok(self.dir.join(name))
    }
}

fn io(context: String) -> impl FnOnce(std::io::Error) -> StoreError {
    move |source| StoreError::Io { context, source }
}

impl BlobStore for FsBlobs {
    fn put(&self, name: &str, content: &[u8]) -> Result<()> {
        let target = self.file(name)?;
        if target.exists() {
            return Ok(());
        }
        crate::fs::create_private_dir(&self.dir)
            .map_err(io(format!("cannot create {}", self.dir.display())))?;
        // A private temp file, fsync, no-clobber rename: a crash never leaves half a
        // file under a real name, and a racing writer of the same name wrote the same.
        match crate::fs::write_private(&target, content, Overwrite::Refuse) {
            Ok(_) | Err(WriteError::Exists(_)) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    fn get(&self, name: &str) -> Result<Vec<u8>> {
        let path = self.file(name)?;
        std::fs::read(&path).map_err(io(format!("cannot read {}", path.display())))
    }

    fn list(&self) -> Result<Vec<String>> {
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io(format!("cannot list {}", self.dir.display()))(e)),
        };
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .filter_map(|e| e.file_name().into_string().ok())
            // Temp files of a write in progress (or one a crash interrupted).
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        Ok(names)
    }

    fn remove(&self, name: &str) -> Result<bool> {
        let path = self.file(name)?;
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io(format!("cannot delete {}", path.display()))(e)),
        }
    }

    fn location(&self, name: Option<&str>) -> String {
        match name {
            Some(name) => self.dir.join(name).display().to_string(),
            None => self.dir.display().to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_live_beside_the_database_as_before() {
        let db = Path::new("/data/queue.db");
        assert_eq!(
            FsBlobs::beside(db, Bucket::Attachments).dir(),
            Path::new("/data/queue.attachments")
        );
        assert_eq!(
            FsBlobs::beside(db, Bucket::Outbox).dir(),
            Path::new("/data/queue.outbox")
        );
    }

    #[test]
    fn put_get_list_remove_with_private_files() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path().join("q.attachments"));
        assert!(
            blobs.list().unwrap().is_empty(),
            "no folder yet is no blobs"
        );
        blobs.put("b", b"second").unwrap();
        blobs.put("a", b"first").unwrap();
        blobs.put("a", b"ignored: written once").unwrap();
        assert_eq!(blobs.get("a").unwrap(), b"first");
        assert_eq!(blobs.list().unwrap(), vec!["a", "b"]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&blobs.dir().join("a")), 0o600);
            assert_eq!(mode(blobs.dir()), 0o700);
        }
        assert!(blobs.remove("a").unwrap());
        assert!(!blobs.remove("a").unwrap());
        assert!(blobs.get("a").is_err());
        assert_eq!(blobs.list().unwrap(), vec!["b"]);
    }

    #[test]
    fn names_cannot_leave_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = FsBlobs::new(dir.path().join("b"));
        for bad in ["", "..", "../x", "a/b", "a\\b"] {
            assert!(
                matches!(blobs.put(bad, b"x"), Err(StoreError::Invalid(_))),
                "{bad:?}"
            );
        }
    }
}
