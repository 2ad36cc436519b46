//! The import driver: plans sources, reads items from each, turns them into
//! [`IngestMessage`]s, and hands them to the store in batches together with how far
//! the source got, so a killed import resumes where its last batch ended.
//!
//! Nothing here aborts on one message: unreadable items, parse failures and
//! refusals from the store become [`Problem`]s with a location (`file`, `file@offset`,
//! `file#item`), and the import goes on.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::time::Instant;

use super::attachments::AttachmentStore;
use super::automatic::Automatic;
use super::chat::ChatMessage;
use super::detect::{plan, Format, Source};
use super::parse::{parse_mail, ParsedMail};
use super::sources::{open_source, Item, Payload, Position};
use super::{profile_of, sha256_hex, MailError};
use crate::config::Config;
use crate::model::{Channel, Direction, Formality, Language, NewCustomer, NewMessage};
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
    /// The tickets this import opened, each with the location of the message that
    /// opened it: a live channel answers these (the away reply), nothing else does.
    #[serde(skip)]
    pub opened: Vec<(String, crate::model::TicketId)>,
    /// Every ticket a message was added to, each once, in order: the console names
    /// them when mail arrives.
    #[serde(skip)]
    pub touched: Vec<crate::model::TicketId>,
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
    /// A batch was committed: this many items of the import are now safely stored
    /// (with the source's position). Live fetches wait on this, and tests that cut a
    /// connection mid-fetch decide when by it.
    Committed(usize),
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
    run.report.formats.entry(format).or_default().sources += 1;
    let items = messages.into_iter().enumerate().map(|(i, m)| Item {
        location: format!("{}#{}", format.as_str(), i + 1),
        position: Position::default(),
        payload: Payload::Chat(Box::new(m)),
    });
    let outcome = run
        .items(
            format,
            None,
            Position::default(),
            Box::new(items),
            &mut |_| {},
        )
        .map(|_| ());
    run.finish(outcome)
}

/// An import fed by live sources (IMAP folders) instead of paths: the caller opens
/// each source itself, hands its items over with the position to keep when none
/// come, and may talk to the server between sources (after the commit). Threading,
/// deduplication, attachments and batching are exactly those of `import`.
pub(crate) struct Importer<'a> {
    run: Run<'a>,
}

impl<'a> Importer<'a> {
    pub(crate) fn new(
        store: &'a mut Store,
        config: &'a Config,
        options: &'a ImportOptions,
    ) -> Result<Importer<'a>, MailError> {
        Ok(Importer {
            run: Run::new(store, config, options)?,
        })
    }

    /// Imports one source's items under `key`; every batch commits the position of
    /// its last item, so what was committed survives an error that ends `items`.
    pub(crate) fn source(
        &mut self,
        format: Format,
        key: String,
        start: Position,
        items: Box<dyn Iterator<Item = Item> + Send + '_>,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<(), MailError> {
        self.run.report.formats.entry(format).or_default().sources += 1;
        self.run
            .items(format, Some(key), start, items, progress)
            .map(|_| ())
    }

    /// The store, between sources (to read what was committed).
    pub(crate) fn store(&mut self) -> &mut Store {
        self.run.store
    }

    /// Ends the import (bulk mode off) and returns its report.
    pub(crate) fn finish(self, outcome: Result<(), MailError>) -> Result<ImportReport, MailError> {
        self.run.finish(outcome)
    }
}

/// A batch is also committed once it holds this many bytes of mail, whatever
/// `batch_size` says: 500 messages of 20 MB each must not sit in memory at once, so
/// the importer's memory depends on this cap, not on the archive (tests/resources.rs).
const BATCH_BYTES: usize = 16 * 1024 * 1024;

/// Messages waiting for the next transaction, with where each came from.
#[derive(Default)]
struct Batch {
    locations: Vec<String>,
    items: Vec<IngestMessage>,
    /// Raw and decoded text held, for the [`BATCH_BYTES`] cap.
    bytes: usize,
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
        ours.extend(config.sender_address().map(|a| a.to_lowercase()));
        let mut me: Vec<String> = options.me.iter().map(|m| m.trim().to_lowercase()).collect();
        if !config.agent.name.trim().is_empty() {
            me.push(config.agent.name.trim().to_lowercase());
        }
        let blobs = match options.dry_run {
            false => store.blobs(crate::store::Bucket::Attachments),
            true => None,
        };
        let attachments = AttachmentStore {
            blobs,
            limit_bytes: config.mail.attachment_limit_mb.saturating_mul(1024 * 1024),
        };
        // A dry run and bulk mode are SQLite's: another backend has no transaction
        // to hold open across a whole import, and no durability to trade.
        match (options.dry_run, store.sqlite()) {
            (true, Some(sqlite)) => sqlite.begin_dry_run()?,
            (true, None) => {
                return Err(crate::store::StoreError::Invalid(
                    "a dry run needs a SQLite queue (--db FILE)".into(),
                )
                .into())
            }
            (false, Some(sqlite)) => sqlite.set_bulk_mode(true)?,
            (false, None) => {}
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
        let cleanup = match store.sqlite() {
            Some(sqlite) if options.dry_run => sqlite.end_dry_run(),
            Some(sqlite) => sqlite.set_bulk_mode(false),
            None => Ok(()),
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
        let items = match open_source(source, resume.as_ref(), self.options.timezone, &self.me) {
            Ok(items) => items,
            Err(reason) => {
                self.report.skipped.push(Problem {
                    location: source.path().display().to_string(),
                    reason,
                });
                return Ok(true);
            }
        };
        let before = self.items_seen;
        let go_on = self.items(
            source.format(),
            Some(key),
            Position::default(),
            items,
            progress,
        )?;
        if go_on
            && resume.is_none()
            && self.items_seen == before
            && source.format() != Format::Maildir
        {
            self.report.skipped.push(Problem {
                location: source.path().display().to_string(),
                reason: format!("no {} messages found in it", source.format().as_str()),
            });
        }
        Ok(go_on)
    }

    /// Imports `items`; `start` is the position stored if the source yields nothing
    /// (a live folder keeps its state even when no mail came).
    fn items(
        &mut self,
        format: Format,
        key: Option<String>,
        start: Position,
        items: Box<dyn Iterator<Item = Item> + Send + '_>,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<bool, MailError> {
        // Reading, hashing, MIME parsing and language detection need nothing from the
        // database, so they run ahead (up to a batch) on a second thread while this one
        // writes: on two cores the import takes the longer of the two, not the sum.
        let ours = self.ours.clone();
        let in_flight = InFlight::default();
        let (sender, received) = std::sync::mpsc::sync_channel::<(Item, usize)>(PIPELINE_ITEMS);
        std::thread::scope(|scope| {
            scope.spawn(|| {
                for item in items {
                    let item = prepare(item, &ours);
                    let size = item.payload.size();
                    in_flight.acquire(size);
                    if sender.send((item, size)).is_err() {
                        break;
                    }
                }
                drop(sender);
            });
            let result = self.consume(format, key, start, received.iter(), &in_flight, progress);
            // Dropping the receiver lets the reader stop at its next item.
            drop(received);
            in_flight.close();
            result
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn consume(
        &mut self,
        format: Format,
        key: Option<String>,
        start: Position,
        items: impl Iterator<Item = (Item, usize)>,
        in_flight: &InFlight,
        progress: &mut dyn FnMut(ProgressEvent),
    ) -> Result<bool, MailError> {
        let mut batch = Batch::default();
        let mut last = start;
        for (item, size) in items {
            in_flight.release(size);
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
                batch.bytes += ingest.raw.len()
                    + ingest.message.body.len()
                    + ingest.message.html_body.as_ref().map_or(0, String::len);
                batch.locations.push(item.location);
                batch.items.push(ingest);
            }
            if batch.items.len() >= self.options.batch_size.max(1) || batch.bytes >= BATCH_BYTES {
                self.flush(format, &mut batch, key.as_deref(), &last)?;
                progress(ProgressEvent::Committed(self.items_seen));
            }
        }
        last.complete = true;
        self.flush(format, &mut batch, key.as_deref(), &last)?;
        progress(ProgressEvent::Items(self.items_seen));
        progress(ProgressEvent::Committed(self.items_seen));
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
            raw @ Payload::Raw { .. } => {
                let prepared = prepare_payload(raw, &self.ours);
                self.convert(format, location, prepared)
            }
            Payload::Parsed {
                bytes,
                sha256,
                parsed,
                profile,
                fallback_date,
                seen,
            } => {
                if self.store.has_raw(&sha256)? {
                    self.report.duplicate_content += 1;
                    self.report.formats.entry(format).or_default().duplicates += 1;
                    return Ok(None);
                }
                let parsed = match parsed {
                    Ok(p) => *p,
                    Err(reason) => {
                        self.fail(format, location, reason);
                        return Ok(None);
                    }
                };
                let mail = Mail {
                    parsed,
                    raw: bytes,
                    sha256,
                    profile,
                    fallback_date,
                    seen,
                };
                let ingest = self.mail_to_ingest(mail, format, &location)?;
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
        mail: Mail,
        format: Format,
        location: &str,
    ) -> Result<IngestMessage, MailError> {
        let Mail {
            mut parsed,
            raw,
            sha256,
            profile,
            fallback_date,
            seen,
        } = mail;
        let outbound = is_ours(&parsed, &self.ours);
        let mut warnings = std::mem::take(&mut parsed.warnings);
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
            let (name, addr) = customer_of(&parsed, &self.ours).unzip();
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
        // Mail no person wrote: an auto-reply joins its ticket as a note (no new wait);
        // a bounce lands on the ticket of the reply it reports on, as the customer's
        // side of the thread (the reply did not reach them: the ticket needs you again),
        // and never opens a ticket of its own to MAILER-DAEMON.
        let mut direction = direction;
        let mut customer = customer;
        let mut author = author;
        let mut body = parsed.body;
        let mut in_reply_to = parsed.in_reply_to;
        let mut ticket = None;
        match (direction, super::automatic::classify(&raw)) {
            (Direction::Inbound, Some(Automatic::Reply)) => {
                direction = Direction::Note;
                author = format!("Automatic reply from {author}");
                body = format!("[automatic reply]\n\n{body}");
            }
            (Direction::Inbound, Some(Automatic::Bounce { original, reason })) => {
                let found = match &original {
                    Some(id) => self.store.ticket_of_message_id(id)?,
                    None => None,
                };
                match found {
                    Some(found) => {
                        ticket = Some(found);
                        in_reply_to = original;
                        customer = NewCustomer::default();
                        author = "Mail delivery failed".into();
                        body = format!(
                            "bounced: {reason}\n\nThe reply above did not reach the customer.\n\n{body}"
                        );
                    }
                    // A bounce for mail that is not in the queue (an old archive, mail
                    // sent elsewhere) is kept, as a note nobody has to answer.
                    None => {
                        direction = Direction::Note;
                        author = format!("Mail delivery failed ({author})");
                        body = format!("bounced: {reason}\n\n{body}");
                    }
                }
            }
            _ => {}
        }
        let mut attachments = Vec::with_capacity(parsed.attachments.len());
        for part in &parsed.attachments {
            attachments.push(self.attachments.keep(part, &mut warnings)?);
        }
        let sent_at = thread_time(
            parsed.date,
            fallback_date,
            format == Format::Imap && direction == Direction::Inbound,
            Utc::now(),
        );
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
                body,
                html_body: parsed.html_body,
                sent_at,
                message_id: parsed.message_id,
                in_reply_to,
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
            ticket,
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
        batch.bytes = 0;
        for (location, outcome) in batch.locations.drain(..).zip(outcomes) {
            let counts = self.report.formats.entry(format).or_default();
            match outcome {
                Ok(IngestOutcome::Added {
                    new_ticket, ticket, ..
                }) => {
                    counts.added += 1;
                    self.report.added += 1;
                    if !self.report.touched.contains(&ticket) {
                        self.report.touched.push(ticket);
                    }
                    if new_ticket {
                        counts.new_tickets += 1;
                        self.report.new_tickets += 1;
                        self.report.opened.push((location, ticket));
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
/// Items read ahead of the writer at most: more than a batch, so the reader keeps
/// working while the writer commits one (the long step). With [`IN_FLIGHT_BYTES`]
/// this bounds what the reading thread holds.
const PIPELINE_ITEMS: usize = 1024;

/// Bytes read ahead of the writer at most (one bigger item is always let through):
/// a batch of ordinary mail (500 × 5 KB) fits, so the reader keeps pace, while a
/// mailbox of 50 MB messages holds only one ahead (tests/resources.rs).
const IN_FLIGHT_BYTES: usize = 4 * 1024 * 1024;

/// Mail prepared off the writer's thread, as `mail_to_ingest` takes it.
struct Mail {
    parsed: ParsedMail,
    raw: Vec<u8>,
    sha256: String,
    profile: Option<(Language, Formality)>,
    fallback_date: Option<DateTime<Utc>>,
    seen: bool,
}

/// The time a mail takes its place in the thread and starts (or ends) a wait.
///
/// The sender's `Date:` is their clock, not ours: a clock running an hour slow, or mail
/// held up on the way, put a customer's message that arrived after our reply *before*
/// it — the ticket never came back to Needs reply — and a clock running fast made waits
/// negative (`-59m ago`; a new-user trial against Dovecot). So:
/// - mail fetched live from a mailbox (`live_arrival`) is placed at the moment the server
///   received it (IMAP INTERNALDATE), which is what "it arrived after your reply" means;
/// - files (mbox, Maildir, `.eml`) at their Date, else the file's own time: an mbox
///   envelope or a copied Maildir's file times say little about when mail arrived;
/// - never later than now, so no wait is negative.
fn thread_time(
    date: Option<DateTime<Utc>>,
    arrived: Option<DateTime<Utc>>,
    live_arrival: bool,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let at = match (date, arrived) {
        (_, Some(arrived)) if live_arrival => Some(arrived),
        (date, arrived) => date.or(arrived),
    };
    at.map(|t| t.min(now))
}

/// The person an incoming mail is from: the `Reply-To` person when it names someone
/// other than `From` (a web form or a shop system mails From its own robot address with
/// the customer in Reply-To — Help Scout and Zendesk read it the same way), else `From`.
/// Taking `From` merged everyone who used the form into one "Shop website" customer,
/// whose tickets then threaded together by subject and whose replies went to whoever
/// wrote last (a new-user trial).
fn customer_of(parsed: &ParsedMail, ours: &HashSet<String>) -> Option<(String, String)> {
    match (&parsed.reply_to, &parsed.from) {
        (Some((_, reply)), Some((_, from))) if reply == from => parsed.from.clone(),
        (Some((_, reply)), _) if ours.contains(reply) => parsed.from.clone(),
        (Some(person), _) => Some(person.clone()),
        (None, from) => from.clone(),
    }
}

/// Whether the sender is one of our own addresses (a Sent folder).
fn is_ours(parsed: &ParsedMail, ours: &HashSet<String>) -> bool {
    parsed
        .from
        .as_ref()
        .is_some_and(|(_, addr)| ours.contains(addr))
}

/// The store-free work on one item: hash, parse, and the customer's language.
fn prepare(item: Item, ours: &HashSet<String>) -> Item {
    Item {
        payload: prepare_payload(item.payload, ours),
        ..item
    }
}

fn prepare_payload(payload: Payload, ours: &HashSet<String>) -> Payload {
    let Payload::Raw {
        bytes,
        fallback_date,
        seen,
    } = payload
    else {
        return payload;
    };
    let sha256 = sha256_hex(&bytes);
    let parsed = parse_mail(&bytes).map(Box::new);
    let profile = match &parsed {
        Ok(p) if !is_ours(p, ours) => Some(profile_of(&p.body)),
        _ => None,
    };
    Payload::Parsed {
        bytes,
        sha256,
        parsed,
        profile,
        fallback_date,
        seen,
    }
}

impl Payload {
    /// Memory an item holds, for the read-ahead bound.
    fn size(&self) -> usize {
        match self {
            Payload::Raw { bytes, .. } => bytes.len(),
            Payload::Parsed { bytes, parsed, .. } => {
                bytes.len()
                    + parsed.as_ref().map_or(0, |p| {
                        p.body.len()
                            + p.html_body.as_ref().map_or(0, String::len)
                            + p.attachments.iter().map(|a| a.content.len()).sum::<usize>()
                    })
            }
            Payload::Chat(c) => c.text.len(),
            Payload::Service | Payload::Failed(_) => 0,
        }
    }
}

/// A byte budget shared by the reading thread and the writer: the reader waits while
/// the writer has more than [`IN_FLIGHT_BYTES`] to catch up on.
#[derive(Default)]
struct InFlight {
    state: std::sync::Mutex<(usize, bool)>,
    changed: std::sync::Condvar,
}

impl InFlight {
    fn acquire(&self, bytes: usize) {
        let Ok(mut state) = self.state.lock() else {
            return;
        };
        while !state.1 && state.0 > 0 && state.0 + bytes > IN_FLIGHT_BYTES {
            state = match self.changed.wait(state) {
                Ok(s) => s,
                Err(_) => return,
            };
        }
        state.0 += bytes;
    }

    fn release(&self, bytes: usize) {
        if let Ok(mut state) = self.state.lock() {
            state.0 = state.0.saturating_sub(bytes);
        }
        self.changed.notify_all();
    }

    /// The writer is done: never make the reader wait again.
    fn close(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.1 = true;
        }
        self.changed.notify_all();
    }
}
