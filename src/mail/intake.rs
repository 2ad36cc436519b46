//! The import driver: plans sources, reads items from each, turns them into
//! [`IngestMessage`]s, and hands them to the store in batches together with how far
//! the source got, so a killed import resumes where its last batch ended.
//!
//! Nothing here aborts on one message: unreadable items, parse failures and
//! refusals from the store become [`Problem`]s with a location (`file`, `file@offset`,
//! `file#item`), and the import goes on.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use std::io::{BufReader, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::Instant;

use super::attachments::AttachmentStore;
use super::chat::ChatMessage;
use super::detect::{plan, Format, Source};
use super::mbox::MboxReader;
use super::parse::{parse_mail, ParsedMail};
use super::{sha256_hex, MailError};
use crate::config::Config;
use crate::model::{Channel, Direction, NewCustomer, NewMessage};
use crate::store::{IngestMessage, IngestOutcome, SourceProgress, Store};

/// How an import runs.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Force one format instead of sniffing each path.
    pub format: Option<Format>,
    /// Report what would happen; the database is left as it was.
    pub dry_run: bool,
    /// Messages per transaction.
    pub batch_size: usize,
    /// Stop after this many items as if killed: the unfinished batch is dropped.
    /// For testing resume; `None` in normal use.
    pub stop_after: Option<usize>,
    /// The zone of chat exports' local timestamps.
    pub timezone: chrono_tz::Tz,
    /// Names that are us in chat exports (the agent's name is always included).
    pub me: Vec<String>,
    /// How far apart mail may be and still thread by subject and customer.
    pub mail_window: chrono::Duration,
    /// A chat silent for longer than this starts a new ticket.
    pub chat_window: chrono::Duration,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            format: None,
            dry_run: false,
            batch_size: 500,
            stop_after: None,
            timezone: chrono_tz::UTC,
            me: Vec::new(),
            mail_window: chrono::Duration::days(30),
            chat_window: chrono::Duration::days(3),
        }
    }
}

/// Something that went wrong with one file or message, and where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// `path`, `path@byte-offset` (mbox) or `path#n` (chat exports, CSV rows).
    pub location: String,
    pub reason: String,
}

/// Counts for one format.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FormatCounts {
    pub sources: usize,
    /// Items read (messages, chat lines, rows).
    pub messages: usize,
    pub added: usize,
    pub new_tickets: usize,
    pub duplicates: usize,
    pub failed: usize,
}

/// The end-of-import summary.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportReport {
    pub dry_run: bool,
    pub formats: BTreeMap<Format, FormatCounts>,
    pub added: usize,
    pub new_tickets: usize,
    /// Skipped because a message with the same Message-ID is stored.
    pub duplicate_message_ids: usize,
    /// Skipped because byte-identical content is stored.
    pub duplicate_content: usize,
    /// Messages that could not be imported, with why.
    pub failures: Vec<Problem>,
    /// Messages imported as far as they could be read, with what was wrong.
    pub warnings: Vec<Problem>,
    /// Files and folders that are not mail (or unreadable), with why.
    pub skipped: Vec<Problem>,
    /// Service messages of chat exports (joins, calls, pins) left out on purpose.
    pub service_messages: usize,
    pub seconds: f64,
    pub messages_per_second: f64,
    /// The run stopped at `stop_after`.
    pub stopped_early: bool,
}

impl ImportReport {
    /// Items read across all formats.
    pub fn messages(&self) -> usize {
        self.formats.values().map(|c| c.messages).sum()
    }
}

/// What the progress bar hears about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgressEvent {
    /// A new source starts.
    Source { path: PathBuf, format: Format },
    /// Items read so far in the whole import.
    Items(usize),
}

/// Where a source stopped, stored as JSON in `import_sources`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    complete: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    next: Option<usize>,
}

/// One thing read from a source.
pub(crate) struct Item {
    pub location: String,
    position: Position,
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
    /// A chat message, already structured.
    Chat(Box<ChatMessage>),
    /// A chat service message (join, call, pin): counted, not imported.
    Service,
    /// Could not be read at all.
    Failed(String),
}

/// Imports every path. Per-message trouble lands in the report; only a store that
/// cannot be written stops the run.
pub fn import_paths(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    options: &ImportOptions,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<ImportReport, MailError> {
    let (sources, skipped) = plan(paths, options.format);
    let mut run = Run::new(store, config, options)?;
    run.report.skipped = skipped
        .into_iter()
        .map(|s| Problem {
            location: s.path.display().to_string(),
            reason: s.reason,
        })
        .collect();
    let outcome = (|| {
        for source in &sources {
            progress(ProgressEvent::Source {
                path: source.path().to_path_buf(),
                format: source.format(),
            });
            if !run.source(source, progress)? {
                break;
            }
        }
        Ok(())
    })();
    run.finish(outcome)
}

/// Imports items that did not come from a file (a pasted transcript), as one source
/// with no resume progress.
pub fn import_items(
    store: &mut Store,
    config: &Config,
    format: Format,
    messages: Vec<ChatMessage>,
    options: &ImportOptions,
) -> Result<ImportReport, MailError> {
    let mut run = Run::new(store, config, options)?;
    let items = messages.into_iter().enumerate().map(|(i, m)| Item {
        location: format!("{}#{}", format.as_str(), i + 1),
        position: Position::default(),
        payload: Payload::Chat(Box::new(m)),
    });
    let outcome = run
        .items(format, None, Box::new(items), &mut |_| {})
        .map(|_| ());
    run.finish(outcome)
}

/// Messages waiting for the next transaction, with where each came from.
#[derive(Default)]
struct Batch {
    locations: Vec<String>,
    items: Vec<IngestMessage>,
}

/// State of one import run.
struct Run<'a> {
    store: &'a mut Store,
    options: &'a ImportOptions,
    ours: HashSet<String>,
    me: Vec<String>,
    attachments: AttachmentStore,
    report: ImportReport,
    started: Instant,
    items_seen: usize,
}

impl<'a> Run<'a> {
    fn new(
        store: &'a mut Store,
        config: &'a Config,
        options: &'a ImportOptions,
    ) -> Result<Run<'a>, MailError> {
        let mut ours: HashSet<String> = config
            .mail
            .addresses
            .iter()
            .map(|a| a.trim().to_lowercase())
            .collect();
        ours.insert(config.agent.email.trim().to_lowercase());
        let mut me: Vec<String> = options.me.iter().map(|m| m.trim().to_lowercase()).collect();
        if !config.agent.name.trim().is_empty() {
            me.push(config.agent.name.trim().to_lowercase());
        }
        let dir = match (options.dry_run, store.path()) {
            (false, Some(db)) => Some(crate::paths::attachments_dir(db)),
            _ => None,
        };
        let attachments = AttachmentStore {
            dir,
            limit_bytes: config.mail.attachment_limit_mb.saturating_mul(1024 * 1024),
        };
        if options.dry_run {
            store.begin_dry_run()?;
        } else {
            store.set_bulk_mode(true)?;
        }
        Ok(Run {
            store,
            options,
            ours,
            me,
            attachments,
            report: ImportReport {
                dry_run: options.dry_run,
                ..Default::default()
            },
            started: Instant::now(),
            items_seen: 0,
        })
    }

    fn finish(self, outcome: Result<(), MailError>) -> Result<ImportReport, MailError> {
        let Run {
            store,
            options,
            mut report,
            started,
            ..
        } = self;
        let cleanup = if options.dry_run {
            store.end_dry_run()
        } else {
            store.set_bulk_mode(false)
        };
        outcome?;
        cleanup?;
        report.seconds = started.elapsed().as_secs_f64();
        report.messages_per_second = if report.seconds > 0.0 {
            report.messages() as f64 / report.seconds
        } else {
            0.0
        };
        Ok(report)
    }

    /// Imports one source; `false` when the run must stop (stop_after reached).
    fn source(
        &mut self,
        source: &Source,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<bool, MailError> {
        let key = source.key();
        let resume = self
            .store
            .import_progress(&key)?
            .and_then(|p| serde_json::from_str::<Position>(&p).ok())
            .filter(|p| !p.complete);
        self.report
            .formats
            .entry(source.format())
            .or_default()
            .sources += 1;
        let items = match open_source(source, resume.as_ref(), self.options, &self.me) {
            Ok(items) => items,
            Err(reason) => {
                self.report.skipped.push(Problem {
                    location: source.path().display().to_string(),
                    reason,
                });
                return Ok(true);
            }
        };
        self.items(source.format(), Some(key), items, progress)
    }

    fn items(
        &mut self,
        format: Format,
        key: Option<String>,
        items: Box<dyn Iterator<Item = Item> + '_>,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<bool, MailError> {
        let mut batch = Batch::default();
        let mut last = Position::default();
        for item in items {
            if self
                .options
                .stop_after
                .is_some_and(|n| self.items_seen >= n)
            {
                // Simulated kill: what is not committed is lost.
                self.report.stopped_early = true;
                return Ok(false);
            }
            self.items_seen += 1;
            if self.items_seen.is_multiple_of(64) {
                progress(ProgressEvent::Items(self.items_seen));
            }
            let counts = self.report.formats.entry(format).or_default();
            counts.messages += 1;
            last = item.position.clone();
            if let Some(ingest) = self.convert(format, item.location.clone(), item.payload)? {
                batch.locations.push(item.location);
                batch.items.push(ingest);
            }
            if batch.items.len() >= self.options.batch_size.max(1) {
                self.flush(format, &mut batch, key.as_deref(), &last)?;
            }
        }
        last.complete = true;
        self.flush(format, &mut batch, key.as_deref(), &last)?;
        progress(ProgressEvent::Items(self.items_seen));
        Ok(true)
    }

    /// Turns one item into something the store can take, or records why not.
    fn convert(
        &mut self,
        format: Format,
        location: String,
        payload: Payload,
    ) -> Result<Option<IngestMessage>, MailError> {
        match payload {
            Payload::Failed(reason) => {
                self.fail(format, location, reason);
                Ok(None)
            }
            Payload::Service => {
                self.report.service_messages += 1;
                Ok(None)
            }
            Payload::Chat(chat) => Ok(Some(chat.into_ingest(self.options.chat_window))),
            Payload::Raw {
                bytes,
                fallback_date,
                seen,
            } => {
                let sha = sha256_hex(&bytes);
                if self.store.has_raw(&sha)? {
                    self.report.duplicate_content += 1;
                    self.report.formats.entry(format).or_default().duplicates += 1;
                    return Ok(None);
                }
                let parsed = match parse_mail(&bytes) {
                    Ok(p) => p,
                    Err(reason) => {
                        self.fail(format, location, reason);
                        return Ok(None);
                    }
                };
                let ingest =
                    self.mail_to_ingest(parsed, bytes, sha, fallback_date, seen, &location)?;
                Ok(Some(ingest))
            }
        }
    }

    fn fail(&mut self, format: Format, location: String, reason: String) {
        self.report.formats.entry(format).or_default().failed += 1;
        self.report.failures.push(Problem { location, reason });
    }

    fn mail_to_ingest(
        &mut self,
        parsed: ParsedMail,
        raw: Vec<u8>,
        sha256: String,
        fallback_date: Option<DateTime<Utc>>,
        seen: bool,
        location: &str,
    ) -> Result<IngestMessage, MailError> {
        let mut warnings = parsed.warnings;
        let outbound = parsed
            .from
            .as_ref()
            .is_some_and(|(_, addr)| self.ours.contains(addr));
        let (direction, customer, author) = if outbound {
            let to = parsed
                .recipients
                .iter()
                .find(|(_, addr)| !self.ours.contains(addr));
            let customer = to
                .map(|(name, addr)| NewCustomer {
                    name: name.clone(),
                    email: Some(addr.clone()),
                    ..Default::default()
                })
                .unwrap_or_default();
            let author = parsed
                .from
                .as_ref()
                .map(|(n, a)| if n.is_empty() { a.clone() } else { n.clone() })
                .unwrap_or_default();
            (Direction::Outbound, customer, author)
        } else {
            let (name, addr) = parsed.from.clone().unzip();
            let name = name.unwrap_or_default();
            let author = if name.is_empty() {
                addr.clone().unwrap_or_else(|| "Unknown sender".into())
            } else {
                name.clone()
            };
            (
                Direction::Inbound,
                NewCustomer {
                    name,
                    email: addr,
                    ..Default::default()
                },
                author,
            )
        };
        let mut attachments = Vec::with_capacity(parsed.attachments.len());
        for part in &parsed.attachments {
            attachments.push(self.attachments.keep(part, &mut warnings)?);
        }
        let sent_at = parsed.date.or(fallback_date);
        let profile = (direction == Direction::Inbound).then(|| profile_of(&parsed.body));
        for w in warnings {
            self.report.warnings.push(Problem {
                location: location.to_string(),
                reason: w,
            });
        }
        Ok(IngestMessage {
            message: NewMessage {
                direction,
                author,
                body: parsed.body,
                html_body: parsed.html_body,
                sent_at,
                message_id: parsed.message_id,
                in_reply_to: parsed.in_reply_to,
                references: parsed.references,
                attachments,
            },
            subject: parsed.subject,
            customer,
            channel: Channel::Email,
            raw,
            sha256,
            profile,
            seen,
            ticket: None,
            thread_window: self.options.mail_window,
        })
    }

    fn flush(
        &mut self,
        format: Format,
        batch: &mut Batch,
        key: Option<&str>,
        position: &Position,
    ) -> Result<(), MailError> {
        let progress = key.map(|k| SourceProgress {
            source: k.to_string(),
            position: serde_json::to_string(position).unwrap_or_default(),
        });
        if batch.items.is_empty() {
            if let Some(p) = &progress {
                self.store.set_import_progress(p)?;
            }
            return Ok(());
        }
        let outcomes = self.store.ingest_batch(&batch.items, progress.as_ref())?;
        batch.items.clear();
        for (location, outcome) in batch.locations.drain(..).zip(outcomes) {
            let counts = self.report.formats.entry(format).or_default();
            match outcome {
                Ok(IngestOutcome::Added { new_ticket, .. }) => {
                    counts.added += 1;
                    self.report.added += 1;
                    if new_ticket {
                        counts.new_tickets += 1;
                        self.report.new_tickets += 1;
                    }
                }
                Ok(IngestOutcome::DuplicateMessageId { .. }) => {
                    counts.duplicates += 1;
                    self.report.duplicate_message_ids += 1;
                }
                Ok(IngestOutcome::DuplicateContent) => {
                    counts.duplicates += 1;
                    self.report.duplicate_content += 1;
                }
                Err(e) => {
                    counts.failed += 1;
                    self.report.failures.push(Problem {
                        location,
                        reason: format!("not stored: {e}"),
                    });
                }
            }
        }
        Ok(())
    }
}

/// Language and formality of a customer's text, from the tone module.
pub(crate) fn profile_of(body: &str) -> (crate::model::Language, crate::model::Formality) {
    let sample = super::truncate_at_char(body, 8192);
    let lang = crate::tone::detect_language(sample);
    (lang, crate::tone::detect_formality(sample, lang))
}

fn open_source<'s>(
    source: &'s Source,
    resume: Option<&Position>,
    options: &ImportOptions,
    me: &[String],
) -> Result<Box<dyn Iterator<Item = Item> + 's>, String> {
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
            let msgs = super::chat::telegram::read(path, options.timezone)?;
            Ok(chat_items(path, msgs, resume))
        }
        Source::Whatsapp(path) => {
            let msgs = super::chat::whatsapp::read(path, options.timezone, me)?;
            Ok(chat_items(path, msgs, resume))
        }
        Source::Csv(path) => {
            let msgs = super::chat::csv::read(path, options.timezone)?;
            Ok(chat_items(path, msgs, resume))
        }
    }
}

fn chat_items(
    path: &Path,
    msgs: Vec<Payload>,
    resume: Option<&Position>,
) -> Box<dyn Iterator<Item = Item>> {
    let skip = resume.and_then(|p| p.next).unwrap_or(0);
    let shown = path.display().to_string();
    Box::new(
        msgs.into_iter()
            .enumerate()
            .skip(skip)
            .map(move |(i, payload)| Item {
                location: format!("{shown}#{}", i + 1),
                position: Position {
                    next: Some(i + 1),
                    ..Default::default()
                },
                payload,
            }),
    )
}

fn file_items(
    files: Vec<PathBuf>,
    after: Option<String>,
    maildir: bool,
) -> Box<dyn Iterator<Item = Item>> {
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
) -> Result<Box<dyn Iterator<Item = Item>>, String> {
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
