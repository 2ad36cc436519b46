//! Reading sources into items: mbox messages with their byte offsets, Maildir and
//! `.eml` files in sorted order, chat exports by index. Each item carries the position
//! just after it, which intake stores with the batch that commits it, so a resumed
//! import starts exactly where the last commit left off.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::chat::{ChatEntry, ChatMessage};
use super::detect::Source;
use super::mbox::MboxReader;
use super::parse::ParsedMail;
use crate::model::{Formality, Language};

/// Where a source stopped, stored as JSON in `import_sources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    pub complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<usize>,
    /// An IMAP folder's sync state (UIDVALIDITY, last UID committed, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imap: Option<FolderState>,
}

/// An IMAP folder's sync state, kept as its import position. It lives here, beside
/// [`Position`], so the import driver's types need nothing from `imap` (which needs
/// the driver): no import loop.
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
    pub(crate) fn next_uid(&self) -> u32 {
        self.last_uid.max(self.floor.saturating_sub(1)) + 1
    }
}

/// One thing read from a source.
pub(crate) struct Item {
    pub location: String,
    pub position: Position,
    pub payload: Payload,
}

/// What an item holds.
pub(crate) enum Payload {
    /// RFC 5322 bytes, with a date to fall back on and the Maildir seen flag.
    Raw {
        bytes: Vec<u8>,
        fallback_date: Option<DateTime<Utc>>,
        seen: bool,
    },
    /// Mail already hashed and parsed off the writer's thread (see `intake`), with
    /// the sender's language when it is a customer's message.
    Parsed {
        bytes: Vec<u8>,
        sha256: String,
        parsed: Result<Box<ParsedMail>, String>,
        profile: Option<(Language, Formality)>,
        fallback_date: Option<DateTime<Utc>>,
        seen: bool,
    },
    /// A chat message, already structured.
    Chat(Box<ChatMessage>),
    /// A chat service message (join, call, pin): counted, not imported.
    Service,
    /// Could not be read at all.
    Failed(String),
}

pub(crate) fn open_source<'s>(
    source: &'s Source,
    resume: Option<&Position>,
    timezone: chrono_tz::Tz,
    me: &[String],
) -> Result<Box<dyn Iterator<Item = Item> + Send + 's>, String> {
    match source {
        Source::Mbox(path) => mbox_items(path, resume.and_then(|p| p.offset)),
        Source::Maildir(dir) => {
            let mut files = Vec::new();
            for sub in ["cur", "new"] {
                if let Ok(entries) = std::fs::read_dir(dir.join(sub)) {
                    files.extend(entries.filter_map(|e| e.ok().map(|e| e.path())));
                }
            }
            // Maildir readers ignore dot files (`.noindex`, editor and lock files).
            files.retain(|f| {
                f.is_file()
                    && !f
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            });
            files.sort();
            Ok(file_items(files, resume.and_then(|p| p.last.clone()), true))
        }
        Source::EmlFiles(_, files) => {
            let mut files = files.clone();
            files.sort();
            Ok(file_items(
                files,
                resume.and_then(|p| p.last.clone()),
                false,
            ))
        }
        Source::Telegram(path) => {
            let msgs = super::chat::telegram::read(path, timezone)?;
            Ok(chat_items(path, msgs, resume))
        }
        Source::Whatsapp(path) => {
            let msgs = super::chat::whatsapp::read(path, timezone, me)?;
            Ok(chat_items(path, msgs, resume))
        }
        Source::Csv(path) => {
            let msgs = super::chat::csv::read(path, timezone)?;
            Ok(chat_items(path, msgs, resume))
        }
    }
}

fn chat_items(
    path: &Path,
    msgs: Vec<ChatEntry>,
    resume: Option<&Position>,
) -> Box<dyn Iterator<Item = Item> + Send> {
    let skip = resume.and_then(|p| p.next).unwrap_or(0);
    let shown = path.display().to_string();
    Box::new(
        msgs.into_iter()
            .enumerate()
            .skip(skip)
            .map(move |(i, entry)| Item {
                location: format!("{shown}#{}", i + 1),
                position: Position {
                    next: Some(i + 1),
                    ..Default::default()
                },
                payload: entry.into(),
            }),
    )
}

impl From<ChatEntry> for Payload {
    fn from(entry: ChatEntry) -> Payload {
        match entry {
            ChatEntry::Message(m) => Payload::Chat(m),
            ChatEntry::Service => Payload::Service,
            ChatEntry::Failed(reason) => Payload::Failed(reason),
        }
    }
}

fn file_items(
    files: Vec<PathBuf>,
    after: Option<String>,
    maildir: bool,
) -> Box<dyn Iterator<Item = Item> + Send> {
    Box::new(
        files
            .into_iter()
            .filter(move |f| {
                after
                    .as_deref()
                    .is_none_or(|a| f.display().to_string().as_str() > a)
            })
            .map(move |f| {
                let location = f.display().to_string();
                let position = Position {
                    last: Some(location.clone()),
                    ..Default::default()
                };
                let payload = match std::fs::read(&f) {
                    Ok(bytes) if bytes.is_empty() => Payload::Failed("empty file".into()),
                    Ok(bytes) => Payload::Raw {
                        bytes,
                        fallback_date: modified(&f),
                        seen: maildir && maildir_seen(&f),
                    },
                    Err(e) => Payload::Failed(format!("cannot read: {e}")),
                };
                Item {
                    location,
                    position,
                    payload,
                }
            }),
    )
}

fn modified(path: &Path) -> Option<DateTime<Utc>> {
    let t = std::fs::metadata(path).ok()?.modified().ok()?;
    Some(DateTime::<Utc>::from(t))
}

/// Maildir flags follow `:2,` in the file name (`!2,` on filesystems without colons);
/// `S` means the user has read it.
fn maildir_seen(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let flags = name
        .rsplit_once(":2,")
        .or_else(|| name.rsplit_once("!2,"))
        .map(|(_, f)| f.to_string())
        .unwrap_or_default();
    flags.contains('S')
}

fn mbox_items(
    path: &Path,
    resume_at: Option<u64>,
) -> Result<Box<dyn Iterator<Item = Item> + Send>, String> {
    let mut file = std::fs::File::open(path).map_err(|e| format!("cannot open: {e}"))?;
    let start = resume_at
        .filter(|&off| starts_with_from(&mut file, off))
        .unwrap_or(0);
    file.seek(SeekFrom::Start(start))
        .map_err(|e| format!("cannot seek: {e}"))?;
    let shown = path.display().to_string();
    let reader = MboxReader::new(BufReader::with_capacity(256 * 1024, file), start);
    Ok(Box::new(reader.map(move |m| match m {
        Ok(m) => Item {
            location: format!("{shown}@{}", m.offset),
            position: Position {
                offset: Some(m.end),
                ..Default::default()
            },
            payload: if m.raw.iter().all(|b| b.is_ascii_whitespace()) {
                Payload::Failed("empty message between two From lines".into())
            } else {
                Payload::Raw {
                    bytes: m.raw,
                    fallback_date: m.envelope_date,
                    seen: false,
                }
            },
        },
        Err(e) => Item {
            location: shown.clone(),
            position: Position::default(),
            payload: Payload::Failed(format!("read error: {e}")),
        },
    })))
}

/// A resume offset is trusted only if a message still starts there (the mbox was
/// appended to, not rewritten).
fn starts_with_from(file: &mut std::fs::File, offset: u64) -> bool {
    use std::io::Read;
    let mut head = [0u8; 5];
    file.seek(SeekFrom::Start(offset)).is_ok()
        && file.read_exact(&mut head).is_ok()
        && &head == b"From "
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_maildir_seen_flag() {
        assert!(maildir_seen(Path::new("cur/123.host:2,FS")));
        assert!(maildir_seen(Path::new("cur/123.host!2,S")));
        assert!(!maildir_seen(Path::new("new/123.host")));
        assert!(!maildir_seen(Path::new("cur/123.host:2,F")));
    }
}
