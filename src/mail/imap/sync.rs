//! One folder's sync, by UID only. The folder's state (UIDVALIDITY, the last UID
//! committed, the lowest UID the account reads, how far `after_fetch` got) is the
//! import position of the folder's source in `import_sources`, so every batch of
//! messages commits the UID it reached in the same transaction.
//!
//! A run: SELECT; a changed UIDVALIDITY starts the folder over (the store's
//! Message-ID / content-hash dedup keeps that from adding anything twice); the first
//! sync finds its lowest UID with `UID SEARCH SINCE`; then `UID FETCH last+1:*` for
//! sizes, and the bodies in chunks bounded by count and bytes (a 20 MB message is
//! one chunk of its own), peeked so nothing is marked read; then, only for what is
//! committed, `after_fetch` on the server. Sequence numbers are never used: they shift
//! under every expunge, and helpdesks that fetch by them open duplicate tickets.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Mutex;

use super::account::{Account, AfterFetch};
use super::connect::{lost, server_words, Connected, Stream};
use super::{FetchError, FolderReport};
use crate::mail::detect::Format;
use crate::mail::intake::{Importer, ProgressEvent};
use crate::mail::sources::{Item, Payload, Position};

/// A folder's sync state, kept as its import position.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderState {
    pub uidvalidity: u32,
    /// The highest UID committed locally.
    pub last_uid: u32,
    /// The lowest UID read at all: the first sync's `since` bound.
    pub floor: u32,
    /// The highest UID whose `after_fetch` the server has done.
    pub after_done: u32,
    /// When the folder was first synced (Unix seconds): mail that reached the server
    /// before it is a backlog, never answered by the away reply. Absent in states
    /// kept before it existed; the next fetch sets it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_sync: Option<i64>,
}

impl FolderState {
    /// The first UID not yet committed.
    fn next_uid(&self) -> u32 {
        self.last_uid.max(self.floor.saturating_sub(1)) + 1
    }
}

/// Messages per FETCH (the default of `FetchOptions::chunk_messages`), and bytes:
/// small enough that a dropped connection loses little and memory stays bounded,
/// big enough for few round trips.
pub(crate) const CHUNK_MESSAGES: usize = 200;
const CHUNK_BYTES: u64 = 8 * 1024 * 1024;

/// What the folder is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    /// New mail here becomes tickets; `after_fetch` applies.
    Incoming,
    /// The user's own sent mail: threads their replies; never changed on the server.
    Sent,
}

/// One folder to sync and how.
pub(crate) struct FolderPlan<'a> {
    pub folder: &'a str,
    pub role: Role,
    /// The first sync's lower bound (`since`), read against the clock once per round.
    pub cutoff: Option<DateTime<Utc>>,
    pub chunk_messages: usize,
    /// Note what the away reply needs of each message (`[mail] away_reply`).
    pub away: bool,
}

/// One message fetched in this run, as `after_fetch` checks it was stored.
#[derive(Debug, Clone)]
pub(crate) struct Fetched {
    pub uid: u32,
    pub message_id: Option<String>,
    pub sha256: String,
}

/// What a run notes about the messages it fetched, for after the commit.
#[derive(Debug, Default)]
pub(crate) struct Noted {
    /// (folder key, message) for `after_fetch`.
    pub fetched: Vec<(String, Fetched)>,
    pub away: Vec<super::away::Candidate>,
}

/// Syncs one folder on a logged-in connection.
pub(crate) fn sync_folder(
    importer: &mut Importer<'_>,
    conn: &mut Connected,
    account: &Account,
    plan: &FolderPlan<'_>,
    noted: &mut Noted,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<FolderReport, FetchError> {
    let FolderPlan {
        folder,
        role,
        cutoff,
        chunk_messages,
        away,
    } = *plan;
    let mailbox = conn
        .session
        .select(folder)
        .map_err(|e| select_error(conn, account, folder, e))?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let key = account.folder_key(folder);
    let stored = stored_state(importer, &key)?;
    let mut report = FolderReport {
        folder: folder.to_string(),
        uid_next: mailbox.uid_next,
        ..Default::default()
    };
    let state = match stored {
        Some(s) if s.uidvalidity == validity && s.first_sync.is_some() => s,
        Some(s) if s.uidvalidity == validity => {
            let s = FolderState {
                first_sync: Some(Utc::now().timestamp()),
                ..s
            };
            save_state(importer, &key, s)?;
            s
        }
        previous => {
            report.uidvalidity_changed = previous.is_some();
            let floor = match cutoff {
                Some(at) => first_uid_since(conn, account, at, mailbox.uid_next)?,
                None => 1,
            };
            let fresh = FolderState {
                uidvalidity: validity,
                last_uid: 0,
                floor,
                after_done: floor.saturating_sub(1),
                // A re-read after a UIDVALIDITY change is not a first sync.
                first_sync: previous
                    .and_then(|p| p.first_sync)
                    .or(Some(Utc::now().timestamp())),
            };
            // Kept before any mail: a first sync cut short resumes with the same bound.
            save_state(importer, &key, fresh)?;
            fresh
        }
    };
    let start = state.next_uid();
    let sizes = if mailbox.exists == 0 || mailbox.uid_next.is_some_and(|next| start >= next) {
        Vec::new()
    } else {
        uid_sizes(conn, account, start)?
    };
    report.new_messages = sizes.len();
    progress(ProgressEvent::Source {
        path: PathBuf::from(format!("{}/{folder}", account.name)),
        format: Format::Imap,
    });
    if !sizes.is_empty() {
        let error = Mutex::new(None);
        let items = FolderItems {
            session: &mut conn.session,
            account,
            label: format!("{}/{folder}", account.name),
            chunks: chunks(&sizes, chunk_messages),
            ready: VecDeque::new(),
            state,
            error: &error,
            notes: Notes {
                key: &key,
                after_fetch: role == Role::Incoming && account.after_fetch != AfterFetch::Keep,
                away: away && role == Role::Incoming,
                noted: &mut *noted,
            },
        };
        let start_position = Position {
            imap: Some(state),
            ..Default::default()
        };
        importer
            .source(
                Format::Imap,
                key.clone(),
                start_position,
                Box::new(items),
                progress,
            )
            .map_err(FetchError::Store)?;
        if let Some(e) = error.into_inner().ok().flatten() {
            return Err(e);
        }
    }
    if role == Role::Incoming {
        crash_point("after-commit");
        report.after_fetch = after_fetch(importer, conn, account, &key, &noted.fetched)?;
    }
    Ok(report)
}

/// A fault-injection point for the crash tests (tests/imap.rs): with
/// `FIRSTLINE_CRASH_AT` naming it, the process dies here as a crash would.
fn crash_point(name: &str) {
    if std::env::var_os("FIRSTLINE_CRASH_AT").is_some_and(|v| v == name) {
        std::process::abort();
    }
}

fn stored_state(importer: &mut Importer<'_>, key: &str) -> Result<Option<FolderState>, FetchError> {
    let text = importer
        .store()
        .import_progress(key)
        .map_err(|e| FetchError::Store(e.into()))?;
    Ok(text
        .and_then(|t| serde_json::from_str::<Position>(&t).ok())
        .and_then(|p| p.imap))
}

fn save_state(
    importer: &mut Importer<'_>,
    key: &str,
    state: FolderState,
) -> Result<(), FetchError> {
    let position = Position {
        imap: Some(state),
        ..Default::default()
    };
    importer
        .store()
        .set_import_progress(&crate::store::SourceProgress {
            source: key.to_string(),
            position: serde_json::to_string(&position).unwrap_or_default(),
        })
        .map_err(|e| FetchError::Store(e.into()))
}

/// A SELECT that failed: a folder that does not exist is named with the ones that
/// do, anything else is a broken connection.
fn select_error(
    conn: &mut Connected,
    account: &Account,
    folder: &str,
    e: imap::Error,
) -> FetchError {
    match e {
        imap::Error::No(_) => {
            let known: Vec<String> = conn
                .session
                .list(None, Some("*"))
                .map(|names| {
                    names
                        .iter()
                        .map(|n| crate::display::sanitize_line(n.name()))
                        .take(12)
                        .collect()
                })
                .unwrap_or_default();
            let hint = if known.is_empty() {
                String::new()
            } else {
                format!(" (it has: {})", known.join(", "))
            };
            FetchError::Folder(format!(
                "folder '{}' does not exist on {}{hint}; fix folders or sent_folder",
                crate::display::sanitize_line(folder),
                account.host
            ))
        }
        other => lost(account, other),
    }
}

/// The lowest UID that arrived on or after `at` (INTERNALDATE), or the next UID
/// when nothing did: the first sync reads from there up.
fn first_uid_since(
    conn: &mut Connected,
    account: &Account,
    at: DateTime<Utc>,
    uid_next: Option<u32>,
) -> Result<u32, FetchError> {
    let query = format!("SINCE {}", at.format("%d-%b-%Y"));
    let found = conn
        .session
        .uid_search(query)
        .map_err(|e| lost(account, e))?;
    Ok(match found.iter().min() {
        Some(min) => *min,
        None => uid_next.unwrap_or(1),
    })
}

/// UIDs from `start` up with their sizes, in UID order. `start:*` also answers with
/// the last message when every UID is below `start`; that one is dropped.
fn uid_sizes(
    conn: &mut Connected,
    account: &Account,
    start: u32,
) -> Result<Vec<(u32, u64)>, FetchError> {
    let fetches = conn
        .session
        .uid_fetch(format!("{start}:*"), "(UID RFC822.SIZE)")
        .map_err(|e| lost(account, e))?;
    let mut sizes: Vec<(u32, u64)> = fetches
        .iter()
        .filter_map(|f| Some((f.uid?, f.size.unwrap_or(0) as u64)))
        .filter(|(uid, _)| *uid >= start)
        .collect();
    sizes.sort_unstable();
    sizes.dedup_by_key(|(uid, _)| *uid);
    Ok(sizes)
}

/// UIDs grouped for FETCH by [`CHUNK_MESSAGES`] and [`CHUNK_BYTES`].
fn chunks(sizes: &[(u32, u64)], max_messages: usize) -> VecDeque<Vec<u32>> {
    let mut out = VecDeque::new();
    let mut current = Vec::new();
    let mut bytes = 0u64;
    for &(uid, size) in sizes {
        if !current.is_empty()
            && (current.len() >= max_messages.max(1) || bytes + size > CHUNK_BYTES)
        {
            out.push_back(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(uid);
        bytes += size;
    }
    if !current.is_empty() {
        out.push_back(current);
    }
    out
}

/// A UID set in IMAP syntax with runs collapsed: `3:7,9,12:13`.
pub(crate) fn uid_set(uids: &[u32]) -> String {
    let mut parts = Vec::new();
    let mut i = 0;
    while i < uids.len() {
        let first = uids[i];
        let mut last = first;
        while i + 1 < uids.len() && uids[i + 1] == last + 1 {
            i += 1;
            last = uids[i];
        }
        parts.push(if first == last {
            first.to_string()
        } else {
            format!("{first}:{last}")
        });
        i += 1;
    }
    parts.join(",")
}

/// The folder's messages as import items, fetched a chunk at a time while the
/// importer stores the previous ones. A failed FETCH ends the items and leaves the
/// error in `error`: what came before it is still committed.
struct FolderItems<'s> {
    session: &'s mut imap::Session<Stream>,
    account: &'s Account,
    label: String,
    chunks: VecDeque<Vec<u32>>,
    ready: VecDeque<Item>,
    state: FolderState,
    error: &'s Mutex<Option<FetchError>>,
    notes: Notes<'s>,
}

/// What [`FolderItems`] notes about each message on its way to the import.
struct Notes<'s> {
    key: &'s str,
    /// For `after_fetch`: its Message-ID and content hash.
    after_fetch: bool,
    /// For the away reply: its headers and arrival.
    away: bool,
    noted: &'s mut Noted,
}

impl Notes<'_> {
    fn note(
        &mut self,
        uid: u32,
        location: &str,
        body: &[u8],
        arrived: Option<DateTime<Utc>>,
        state: &FolderState,
    ) {
        if self.after_fetch {
            self.noted.fetched.push((
                self.key.to_string(),
                Fetched {
                    uid,
                    message_id: message_id_of(body),
                    sha256: crate::mail::sha256_hex(body),
                },
            ));
        }
        if self.away {
            if let (Some(arrived), Some(first)) = (
                arrived,
                state
                    .first_sync
                    .and_then(|t| DateTime::from_timestamp(t, 0)),
            ) {
                self.noted.away.push(super::away::Candidate {
                    location: location.to_string(),
                    facts: super::away::mail_facts(body),
                    arrived,
                    first_sync: first,
                });
            }
        }
    }
}

/// The Message-ID header's value without its angle brackets, as the store keeps it.
fn message_id_of(raw: &[u8]) -> Option<String> {
    super::away::header_fields(raw)
        .into_iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("Message-ID"))
        .map(|(_, v)| {
            v.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .trim()
                .to_string()
        })
        .filter(|v| !v.is_empty())
}

impl FolderItems<'_> {
    fn fetch_chunk(&mut self, uids: Vec<u32>) -> Result<(), FetchError> {
        let fetches = self
            .session
            .uid_fetch(uid_set(&uids), "(UID FLAGS INTERNALDATE BODY.PEEK[])")
            .map_err(|e| lost(self.account, e))?;
        let mut got: Vec<(u32, Item)> = Vec::with_capacity(fetches.len());
        for f in fetches.iter() {
            let (Some(uid), Some(body)) = (f.uid, f.body()) else {
                // Unsolicited flag updates of other messages, or a message expunged
                // between the size and the body fetch.
                continue;
            };
            if uids.binary_search(&uid).is_err() {
                continue;
            }
            let seen = f
                .flags()
                .iter()
                .any(|flag| matches!(flag, imap::types::Flag::Seen));
            let mut state = self.state;
            state.last_uid = uid;
            let location = format!("{} UID {uid}", self.label);
            let arrived = f.internal_date().map(|d| d.with_timezone(&Utc));
            if !body.is_empty() {
                self.notes.note(uid, &location, body, arrived, &state);
            }
            let payload = if body.is_empty() {
                Payload::Failed("the server sent an empty message".into())
            } else {
                Payload::Raw {
                    bytes: body.to_vec(),
                    fallback_date: f.internal_date().map(|d| d.with_timezone(&Utc)),
                    seen,
                }
            };
            got.push((
                uid,
                Item {
                    location,
                    position: Position {
                        imap: Some(state),
                        ..Default::default()
                    },
                    payload,
                },
            ));
        }
        got.sort_by_key(|(uid, _)| *uid);
        self.ready.extend(got.into_iter().map(|(_, item)| item));
        Ok(())
    }
}

impl Iterator for FolderItems<'_> {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.ready.pop_front() {
                return Some(item);
            }
            let uids = self.chunks.pop_front()?;
            if let Err(e) = self.fetch_chunk(uids) {
                if let Ok(mut slot) = self.error.lock() {
                    *slot = Some(e);
                }
                self.chunks.clear();
                return None;
            }
        }
    }
}

/// Does `after_fetch` for the committed UIDs it has not been done for, then records
/// that it was. Only mail the queue holds is touched: a message the import refused
/// (or could not read) stays unread where it is on the server, so it is not lost
/// from the user's view. Returns how many UIDs it acted on (0 for `keep`).
fn after_fetch(
    importer: &mut Importer<'_>,
    conn: &mut Connected,
    account: &Account,
    key: &str,
    fetched: &[(String, Fetched)],
) -> Result<usize, FetchError> {
    let Some(mut state) = stored_state(importer, key)? else {
        return Ok(0);
    };
    let first = state.after_done.max(state.floor.saturating_sub(1)) + 1;
    if state.last_uid < first {
        return Ok(0);
    }
    if account.after_fetch == AfterFetch::Keep {
        // Kept mail counts as handled: switching to `seen` or `move` later acts on
        // mail fetched from then on, not on everything kept before.
        state.after_done = state.last_uid;
        save_state(importer, key, state)?;
        return Ok(0);
    }
    let uids = stored_uids(importer, conn, account, key, first, state.last_uid, fetched)?;
    if !uids.is_empty() {
        act_on(conn, account, &uid_set(&uids))?;
    }
    state.after_done = state.last_uid;
    save_state(importer, key, state)?;
    Ok(uids.len())
}

/// The UIDs from `first` to `last` whose message the queue holds. Those fetched in
/// this run are known by their content hash or Message-ID; the others (fetched by a
/// run that died before `after_fetch`) are asked for their Message-ID, and one
/// without a Message-ID is left alone rather than risked.
fn stored_uids(
    importer: &mut Importer<'_>,
    conn: &mut Connected,
    account: &Account,
    key: &str,
    first: u32,
    last: u32,
    fetched: &[(String, Fetched)],
) -> Result<Vec<u32>, FetchError> {
    let store_error = |e: crate::store::StoreError| FetchError::Store(e.into());
    let mut known: std::collections::BTreeMap<u32, (Option<String>, Option<String>)> = fetched
        .iter()
        .filter(|(k, f)| k == key && (first..=last).contains(&f.uid))
        .map(|(_, f)| (f.uid, (f.message_id.clone(), Some(f.sha256.clone()))))
        .collect();
    if (known.len() as u64) < u64::from(last - first) + 1 {
        let answers = conn
            .session
            .uid_fetch(format!("{first}:{last}"), "(UID BODY.PEEK[HEADER])")
            .map_err(|e| lost(account, e))?;
        for f in answers.iter() {
            let Some(uid) = f.uid.filter(|u| (first..=last).contains(u)) else {
                continue;
            };
            known
                .entry(uid)
                .or_insert_with(|| (f.header().and_then(message_id_of), None));
        }
    }
    let mut out = Vec::new();
    for (uid, (message_id, sha256)) in known {
        let store = importer.store();
        let by_hash = match &sha256 {
            Some(sha) => store.has_raw(sha).map_err(store_error)?,
            None => false,
        };
        let by_id = !by_hash
            && match &message_id {
                Some(id) => store
                    .ticket_of_message_id(id)
                    .map_err(store_error)?
                    .is_some(),
                None => false,
            };
        if by_hash || by_id {
            out.push(uid);
        }
    }
    Ok(out)
}

/// `seen` or `move:` on the server for `set`.
fn act_on(conn: &mut Connected, account: &Account, set: &str) -> Result<(), FetchError> {
    let session = &mut conn.session;
    match &account.after_fetch {
        AfterFetch::Keep => {}
        AfterFetch::Seen => {
            session
                .uid_store(set, "+FLAGS.SILENT (\\Seen)")
                .map_err(|e| lost(account, e))?;
        }
        AfterFetch::Move(target) => {
            let moved = if conn.can_move {
                session.uid_mv(set, target)
            } else {
                session.uid_copy(set, target).and_then(|()| {
                    session
                        .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
                        .map(|_| ())
                })
            };
            moved.map_err(|e| match e {
                imap::Error::No(no) => FetchError::Folder(format!(
                    "after_fetch = \"move:{target}\" failed: {} (does the folder {target} exist on {}?)",
                    server_words(&no.information),
                    account.host
                )),
                other => lost(account, other),
            })?;
            if !conn.can_move && conn.uidplus {
                session.uid_expunge(set).map_err(|e| lost(account, e))?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uid_sets_collapse_runs() {
        assert_eq!(uid_set(&[3, 4, 5, 6, 7, 9, 12, 13]), "3:7,9,12:13");
        assert_eq!(uid_set(&[1]), "1");
        assert_eq!(uid_set(&[]), "");
    }

    #[test]
    fn a_big_message_gets_a_chunk_of_its_own() {
        let sizes = [(1, 1000), (2, 20 * 1024 * 1024), (3, 1000), (4, 1000)];
        let c: Vec<Vec<u32>> = chunks(&sizes, CHUNK_MESSAGES).into_iter().collect();
        assert_eq!(c, vec![vec![1], vec![2], vec![3, 4]]);
    }

    #[test]
    fn chunks_hold_at_most_the_message_limit() {
        let sizes: Vec<(u32, u64)> = (1..=450).map(|u| (u, 100)).collect();
        let lens: Vec<usize> = chunks(&sizes, CHUNK_MESSAGES)
            .iter()
            .map(Vec::len)
            .collect();
        assert_eq!(lens, vec![200, 200, 50]);
    }

    #[test]
    fn resume_starts_after_the_last_uid_or_at_the_floor() {
        let s = FolderState {
            uidvalidity: 1,
            last_uid: 0,
            floor: 40,
            after_done: 39,
            first_sync: None,
        };
        assert_eq!(s.next_uid(), 40);
        assert_eq!(FolderState { last_uid: 57, ..s }.next_uid(), 58);
    }
}
