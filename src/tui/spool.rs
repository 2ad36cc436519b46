//! Drafts kept on this machine while the queue cannot take them.
//!
//! On a team's PostgreSQL queue the server can go away (a restart, a dropped VPN)
//! while someone is typing. The console autosaves a draft every second; when the
//! queue does not answer, those words must not live only in the terminal. They are
//! written here instead — one private (0600) file in the data folder, beside the
//! default queue — and written back to the queue by the runner once it answers
//! again, or on the next start. Entries are per queue (named as
//! [`Location`](crate::store::Location) shows it, never with a password) and per
//! ticket; the newest words for a ticket replace older ones.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::model::TicketId;

/// One kept draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeptDraft {
    /// The queue it belongs to, as `Location` displays it.
    pub queue: String,
    pub ticket: TicketId,
    pub body: String,
    pub kept_at: DateTime<Utc>,
}

/// The file of kept drafts. Reading a missing file gives none; a damaged one is
/// never overwritten (it may hold the only copy of someone's words): writes fail
/// with the reason instead.
#[derive(Debug, Clone)]
pub struct DraftSpool {
    path: PathBuf,
}

impl DraftSpool {
    /// The spool at `path` (tests, or a folder of one's own).
    pub fn at(path: impl Into<PathBuf>) -> DraftSpool {
        DraftSpool { path: path.into() }
    }

    /// The spool beside the default queue: `$XDG_DATA_HOME/firstline/unsaved-drafts.json`.
    pub fn default_place() -> DraftSpool {
        let dir = crate::paths::default_db_path()
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        DraftSpool::at(dir.join("unsaved-drafts.json"))
    }

    /// Where the file is, for the line that tells the user their words are safe.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Keeps `body` as ticket `ticket`'s draft on `queue` (an empty body forgets it).
    pub fn keep(
        &self,
        queue: &str,
        ticket: TicketId,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<(), String> {
        let mut all = self.read()?;
        all.retain(|d| !(d.queue == queue && d.ticket == ticket));
        if !body.trim().is_empty() {
            all.push(KeptDraft {
                queue: queue.to_string(),
                ticket,
                body: body.to_string(),
                kept_at: now,
            });
        }
        self.write(&all)
    }

    /// The drafts kept for `queue`, oldest first.
    pub fn pending(&self, queue: &str) -> Result<Vec<KeptDraft>, String> {
        let mut mine: Vec<KeptDraft> = self
            .read()?
            .into_iter()
            .filter(|d| d.queue == queue)
            .collect();
        mine.sort_by_key(|d| d.kept_at);
        Ok(mine)
    }

    /// Forgets ticket `ticket`'s kept draft on `queue` if it is still `body` (newer
    /// words kept meanwhile stay).
    pub fn forget(&self, queue: &str, ticket: TicketId, body: &str) -> Result<(), String> {
        let mut all = self.read()?;
        let before = all.len();
        all.retain(|d| !(d.queue == queue && d.ticket == ticket && d.body == body));
        if all.len() == before {
            return Ok(());
        }
        self.write(&all)
    }

    fn read(&self) -> Result<Vec<KeptDraft>, String> {
        match std::fs::read(&self.path) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                format!(
                    "{} is damaged ({e}); move it aside to keep drafts again",
                    self.path.display()
                )
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(format!("cannot read {}: {e}", self.path.display())),
        }
    }

    fn write(&self, all: &[KeptDraft]) -> Result<(), String> {
        if all.is_empty() {
            return match std::fs::remove_file(&self.path) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    Err(format!("cannot remove {}: {e}", self.path.display()))
                }
                _ => Ok(()),
            };
        }
        let dir = crate::fs::folder_of(&self.path);
        crate::fs::create_private_dir(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let json = serde_json::to_vec_pretty(all).map_err(|e| e.to_string())?;
        crate::fs::write_private(&self.path, &json, crate::fs::Overwrite::Replace)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-06T10:00:00Z".parse().unwrap()
    }

    #[test]
    fn kept_drafts_come_back_per_queue_and_the_newest_words_win() {
        let dir = tempfile::tempdir().unwrap();
        let spool = DraftSpool::at(dir.path().join("sub").join("unsaved-drafts.json"));
        assert!(
            spool.pending("q").unwrap().is_empty(),
            "no file is no drafts"
        );
        spool.keep("q", 7, "Hello", now()).unwrap();
        spool.keep("q", 7, "Hello there", now()).unwrap();
        spool.keep("other", 7, "Elsewhere", now()).unwrap();
        let mine = spool.pending("q").unwrap();
        assert_eq!(mine.len(), 1);
        assert_eq!(mine[0].body, "Hello there");
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(spool.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "customer words are private");
        // Forgetting older words keeps newer ones typed meanwhile.
        spool.forget("q", 7, "Hello").unwrap();
        assert_eq!(spool.pending("q").unwrap().len(), 1);
        spool.forget("q", 7, "Hello there").unwrap();
        assert!(spool.pending("q").unwrap().is_empty());
        assert_eq!(spool.pending("other").unwrap().len(), 1);
        spool.keep("other", 7, "  ", now()).unwrap();
        assert!(!spool.path().exists(), "the last draft gone, the file goes");
    }

    #[test]
    fn a_damaged_spool_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("unsaved-drafts.json");
        std::fs::write(&path, b"{ not json").unwrap();
        let spool = DraftSpool::at(&path);
        let err = spool.keep("q", 1, "words", now()).unwrap_err();
        assert!(err.contains("damaged"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), b"{ not json");
    }
}
