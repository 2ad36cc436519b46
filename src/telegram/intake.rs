//! One round of the bot channel: a `getUpdates` long poll from the stored offset, the
//! updates read into messages, edits and customer facts, their files fetched, and all
//! of it committed with the next offset in one transaction. Telegram forgets updates
//! only when the *next* call asks for a higher offset, so a crash anywhere before the
//! commit means the same updates come again, and the Message-IDs make a replay that
//! did commit a duplicate rather than a second message.
//!
//! Then the away reply, at most once per ticket (see `sla::away`).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::api::{ApiError, Client, FileInfo};
use super::update::{self, ChatMessage, Incoming, MediaRef};
use super::{load_position, message_id_for, resolve_token, Position, TelegramError, SOURCE_KEY};
use crate::config::{Config, TelegramConfig};
use crate::model::{Attachment, Channel, Direction, Language, NewCustomer, NewMessage, TicketId};
use crate::store::live_fetchers::{fetcher_name, Claim, FetchedAccount, FetcherLock};
use crate::store::{
    CustomerFacts, IngestMessage, IngestOutcome, MessageEdit, SourceProgress, Store,
};

/// A reply on the ticket this recent means a person is around: no away reply.
const PRESENT_HOURS: i64 = 2;

/// Telegram's cloud Bot API hands out files up to this size.
const BOT_API_FILE_LIMIT: u64 = 20 * 1024 * 1024;

/// How a round runs.
#[derive(Debug, Clone, Default)]
pub struct FetchOptions {
    /// Long-poll this many seconds instead of `[telegram] poll_seconds`.
    pub poll_seconds: Option<u64>,
    /// Set while a poll is in flight (the console quitting): what it brings is not
    /// committed, so Telegram hands it out again next time.
    pub stop: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
}

/// What one round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FetchSummary {
    /// Updates Telegram handed over.
    pub updates: usize,
    /// New messages stored.
    pub added: usize,
    pub new_tickets: usize,
    /// Earlier messages the customer edited.
    pub edited: usize,
    /// Updates that are not a customer's message (groups, service messages).
    pub skipped: usize,
    /// Messages already stored (a replay after a crash).
    pub duplicates: usize,
    /// Files kept in the attachment store.
    pub files_kept: usize,
    /// Files only listed: over the size limit or not downloadable.
    pub files_listed: usize,
    pub away_replies: usize,
    /// What went wrong with single messages or files (the round still committed).
    pub problems: Vec<String>,
    /// The next update asked for.
    pub offset: i64,
}

thread_local! {
    /// The bot fetcher locks this thread holds, by queue and bot: a poller calls
    /// [`fetch_once`] round after round on one thread, and keeps the bot between
    /// rounds; the locks go when the thread ends (the console's poller stopping,
    /// the process exiting).
    static HELD_BOTS: RefCell<HashMap<String, FetcherLock>> = RefCell::new(HashMap::new());
}

/// One poller per bot on a shared queue: takes (or keeps) the bot's fetcher lock for
/// this thread, or says another firstline polls it ([`TelegramError::Busy`]). The key
/// is the bot's id, the token's public half, never the token.
fn hold_bot(store: &Store, config: &Config, bot_id: &str) -> Result<(), TelegramError> {
    let Some(location) = store.location() else {
        return Ok(());
    };
    let account = FetchedAccount {
        key: format!("telegram:{bot_id}"),
        label: format!("Telegram bot {bot_id}"),
    };
    let slot = match &location {
        crate::store::Location::Server(url) => format!("{url}\n{}", account.key),
        crate::store::Location::File(_) => return Ok(()),
    };
    HELD_BOTS.with(|held| {
        let mut held = held.borrow_mut();
        if let Some(lock) = held.get_mut(&slot) {
            if lock.still_held() {
                return Ok(());
            }
            held.remove(&slot);
        }
        let who = fetcher_name(&config.agent.name);
        match FetcherLock::claim(Some(&location), &account, &who)? {
            Claim::Ours(lock) => {
                held.insert(slot, lock);
                Ok(())
            }
            Claim::Busy { .. } => Err(TelegramError::Busy(account.waiting_line())),
        }
    })
}

/// Fetches and stores one round of updates. Only a store, token or Bot API failure
/// of the poll itself is an error; trouble with one message or file is a problem in
/// the summary.
pub fn fetch_once(
    store: &mut Store,
    config: &Config,
    options: &FetchOptions,
) -> Result<FetchSummary, TelegramError> {
    let tg = config
        .telegram
        .as_ref()
        .ok_or(TelegramError::NotConfigured)?;
    let token = resolve_token(tg)?;
    let poll = options.poll_seconds.unwrap_or(tg.poll_seconds).min(50);
    let client = Client::new(&tg.api_url, &token, poll);
    hold_bot(store, config, client.bot_id())?;
    let mut position = load_position(store)?;
    if position.bot != client.bot_id() {
        // Another bot (or the first run): its updates start from nothing.
        position = Position {
            bot: client.bot_id().to_string(),
            ..Position::default()
        };
    }
    let mut request = json!({
        "timeout": poll,
        "allowed_updates": ["message", "edited_message"],
    });
    if position.offset > 0 {
        request["offset"] = json!(position.offset);
    }
    // The first poll ever is the line between a backlog (no away reply) and new
    // messages: its request time, since what it brings back was sent before it.
    let asked_at = Utc::now().timestamp();
    let updates: Vec<Value> = client.call("getUpdates", &request)?;
    if options
        .stop
        .as_ref()
        .is_some_and(|s| s.load(std::sync::atomic::Ordering::Relaxed))
    {
        return Ok(FetchSummary {
            offset: position.offset,
            ..FetchSummary::default()
        });
    }
    let now = Utc::now();
    let first_poll_at = position.first_poll_at.unwrap_or(asked_at);
    let mut round = Round::new(store, config, tg, &client);
    for u in &updates {
        if let Some(id) = u.get("update_id").and_then(Value::as_i64) {
            position.offset = position.offset.max(id + 1);
        }
        round.take(u)?;
    }
    position.first_poll_at = Some(first_poll_at);
    position.last_poll_at = Some(now.timestamp());
    let progress = SourceProgress {
        source: SOURCE_KEY.into(),
        position: serde_json::to_string(&position).unwrap_or_default(),
    };
    let Round {
        items,
        senders,
        edits,
        facts,
        mut summary,
        ..
    } = round;
    summary.updates = updates.len();
    summary.offset = position.offset;
    let outcome = store.ingest_chat_batch(&items, &edits, &facts, &progress)?;
    let started = DateTime::from_timestamp(first_poll_at, 0).unwrap_or(now);
    let mut answered: HashSet<TicketId> = HashSet::new();
    for ((item, sender), result) in items.iter().zip(&senders).zip(outcome.items) {
        match result {
            Ok(IngestOutcome::Added {
                ticket, new_ticket, ..
            }) => {
                summary.added += 1;
                summary.new_tickets += usize::from(new_ticket);
                let at = item.message.sent_at.unwrap_or(now);
                if tg.away_reply && sender.private && answered.insert(ticket) {
                    match away_reply(store, config, &client, ticket, sender.chat_id, at, started) {
                        Ok(true) => summary.away_replies += 1,
                        Ok(false) => {}
                        Err(e) => summary
                            .problems
                            .push(format!("away reply on #{ticket}: {e}")),
                    }
                }
            }
            Ok(_) => summary.duplicates += 1,
            Err(e) => summary.problems.push(format!(
                "{}: not stored: {e}",
                item.message.message_id.as_deref().unwrap_or("?")
            )),
        }
    }
    summary.edited = outcome.edits.iter().flatten().count();
    Ok(summary)
}

/// Who a stored item came from, for the away reply.
struct SenderNote {
    chat_id: i64,
    private: bool,
}

/// The updates of one round, read and waiting for the commit.
struct Round<'a> {
    store: &'a Store,
    tg: &'a TelegramConfig,
    client: &'a Client,
    attachments: Option<Box<dyn crate::store::BlobStore>>,
    limit_bytes: u64,
    items: Vec<IngestMessage>,
    senders: Vec<SenderNote>,
    edits: Vec<MessageEdit>,
    facts: Vec<CustomerFacts>,
    summary: FetchSummary,
}

impl<'a> Round<'a> {
    fn new(
        store: &'a Store,
        config: &Config,
        tg: &'a TelegramConfig,
        client: &'a Client,
    ) -> Round<'a> {
        Round {
            store,
            tg,
            client,
            attachments: store.blobs(crate::store::Bucket::Attachments),
            limit_bytes: config
                .mail
                .attachment_limit_mb
                .saturating_mul(1024 * 1024)
                .min(BOT_API_FILE_LIMIT),
            items: Vec::new(),
            senders: Vec::new(),
            edits: Vec::new(),
            facts: Vec::new(),
            summary: FetchSummary::default(),
        }
    }

    fn take(&mut self, update: &Value) -> Result<(), TelegramError> {
        let private = update
            .pointer("/message/chat/type")
            .or_else(|| update.pointer("/edited_message/chat/type"))
            .and_then(Value::as_str)
            == Some("private");
        match update::read(update, self.tg.groups) {
            Incoming::Skipped(_) => self.summary.skipped += 1,
            Incoming::Message(m) => self.message(update, m, private, false)?,
            Incoming::Edit(m) => {
                let id = message_id_for(m.chat_id, m.message_id);
                let known = self.store.ticket_of_message_id(&id)?.is_some()
                    || self
                        .items
                        .iter()
                        .any(|i| i.message.message_id.as_deref() == Some(id.as_str()));
                if known {
                    self.edits.push(MessageEdit {
                        message_id: id,
                        body: m.text,
                        edited_at: m.date,
                    });
                } else {
                    // The original came before the bot was read: keep the new text
                    // as the message.
                    self.message(update, m, private, true)?;
                }
            }
        }
        Ok(())
    }

    fn message(
        &mut self,
        update: &Value,
        m: ChatMessage,
        private: bool,
        edited: bool,
    ) -> Result<(), TelegramError> {
        let id = message_id_for(m.chat_id, m.message_id);
        let stored = self.store.ticket_of_message_id(&id)?.is_some();
        let attachments = if stored {
            Vec::new() // a replay: the ingest reports the duplicate, no need to download
        } else {
            m.media.iter().map(|media| self.file(media)).collect()
        };
        let handle = format!("telegram:user{}", m.from.id);
        if m.own_phone.is_some() || m.from.username.is_some() {
            self.facts.push(CustomerFacts {
                handle: handle.clone(),
                phone: m.own_phone.clone(),
                alias: m.from.username.as_ref().map(|u| format!("telegram:@{u}")),
            });
        }
        let mut profile = crate::tone::customer_profile(&m.text);
        if profile.0 == Language::Other {
            // Their app's language says what the text could not (a photo, "ok").
            if let Some(hint) = m
                .from
                .language_code
                .as_deref()
                .and_then(|c| c.split('-').next())
                .and_then(|c| c.parse::<Language>().ok())
                .filter(|l| *l != Language::Other)
            {
                profile.0 = hint;
            }
        }
        let name = if m.from.name.is_empty() {
            format!("Telegram user {}", m.from.id)
        } else {
            m.from.name.clone()
        };
        let body = if edited {
            format!("{}\n[edited]", m.text)
        } else {
            m.text.clone()
        };
        let raw = serde_json::to_vec(update).unwrap_or_default();
        self.senders.push(SenderNote {
            chat_id: m.chat_id,
            private,
        });
        self.items.push(IngestMessage {
            sha256: crate::mail::sha256_hex(&raw),
            message: NewMessage {
                direction: Direction::Inbound,
                author: name.clone(),
                body,
                html_body: None,
                sent_at: Some(m.date),
                message_id: Some(id),
                in_reply_to: m.reply_to.map(|r| message_id_for(m.chat_id, r)),
                references: Vec::new(),
                attachments,
            },
            subject: format!("Telegram: {name}"),
            customer: NewCustomer {
                name,
                handle: Some(handle),
                ..Default::default()
            },
            channel: Channel::Chat,
            raw,
            profile: Some(profile),
            seen: false,
            ticket: None,
            thread_window: Duration::days(i64::from(self.tg.new_ticket_after_days)),
        });
        Ok(())
    }

    /// Fetches one file into the attachment store; listed only when too big, when
    /// Telegram will not hand it out, or when the queue has no folder for files.
    fn file(&mut self, media: &MediaRef) -> Attachment {
        let mut meta = Attachment {
            filename: media.file_name.clone(),
            content_type: media.content_type.clone(),
            size: media.size.unwrap_or(0),
            sha256: None,
        };
        let Some(blobs) = &self.attachments else {
            self.summary.files_listed += 1;
            return meta;
        };
        if media.size.is_some_and(|s| s > self.limit_bytes) {
            self.summary.files_listed += 1;
            self.summary.problems.push(format!(
                "{} ({} bytes) is over the size limit; only its name is kept",
                meta.filename, meta.size
            ));
            return meta;
        }
        match self.download(media) {
            Ok(content) => {
                let sha = crate::mail::sha256_hex(&content);
                meta.size = content.len() as u64;
                match blobs.put(&sha, &content) {
                    Ok(()) => {
                        meta.sha256 = Some(sha);
                        self.summary.files_kept += 1;
                    }
                    Err(e) => {
                        self.summary.files_listed += 1;
                        self.summary
                            .problems
                            .push(format!("{}: not saved: {e}", meta.filename));
                    }
                }
            }
            Err(e) => {
                self.summary.files_listed += 1;
                self.summary
                    .problems
                    .push(format!("{}: not downloaded: {e}", meta.filename));
            }
        }
        meta
    }

    fn download(&self, media: &MediaRef) -> Result<Vec<u8>, ApiError> {
        let info: FileInfo = self
            .client
            .call("getFile", &json!({ "file_id": media.file_id }))?;
        if info.file_size.is_some_and(|s| s > self.limit_bytes) {
            return Err(ApiError::Refused {
                status: 413,
                description: "over the size limit".into(),
            });
        }
        let path = info.file_path.ok_or_else(|| ApiError::Refused {
            status: 400,
            description: "Telegram gave no path for the file".into(),
        })?;
        self.client.download(&path, self.limit_bytes)
    }
}

/// Sends the ticket's away reply if the desk is closed and it has none yet, and
/// records it as a note (an automatic message answers nobody: the SLA clocks keep
/// running). `Ok(false)` when none was due.
fn away_reply(
    store: &mut Store,
    config: &Config,
    client: &Client,
    ticket: TicketId,
    chat_id: i64,
    message_at: DateTime<Utc>,
    channel_started: DateTime<Utc>,
) -> Result<bool, TelegramError> {
    let now = Utc::now();
    let calendar = crate::sla::BusinessCalendar::lenient(&config.sla);
    if !crate::sla::away::away_due(&calendar, now, message_at, channel_started) {
        return Ok(false);
    }
    // Someone answered this ticket in the last hours: a person is there tonight, and
    // "we will answer on Monday" would be wrong.
    let present = store.messages(ticket)?.iter().any(|m| {
        m.direction == Direction::Outbound && now - m.sent_at < Duration::hours(PRESENT_HOURS)
    });
    if present {
        return Ok(false);
    }
    let t = store.ticket(ticket)?;
    let customer = store.customer(t.customer_id)?;
    let greeting =
        crate::canned::greeting_line(&store.canned_list()?, &customer, &config.agent, now);
    let Some(text) = crate::sla::away::away_reply(
        &greeting,
        customer.language,
        customer.formality,
        &calendar,
        now,
    ) else {
        return Ok(false);
    };
    // Claimed before sending: a crash after this may lose the away reply, never
    // send it twice.
    if !store.claim_away_reply(ticket)? {
        return Ok(false);
    }
    let sent = client.call::<Value>("sendMessage", &json!({ "chat_id": chat_id, "text": text }));
    let note = match &sent {
        Ok(_) => {
            format!("Away reply sent in Telegram (automatic, outside business hours):\n\n{text}")
        }
        Err(e) => format!("Away reply not sent ({e}):\n\n{text}"),
    };
    store.add_message(
        ticket,
        &NewMessage {
            direction: Direction::Note,
            author: "firstline".into(),
            body: note,
            ..Default::default()
        },
    )?;
    sent.map(|_| true).map_err(TelegramError::from)
}
