//! Chat exports and web forms: Telegram Desktop JSON, WhatsApp "Export chat" text, and
//! CSV form submissions. Each reader turns its file into [`ChatMessage`]s (or service
//! lines and failures, with their position); intake does the rest as for mail.
//!
//! Chats have no Message-IDs, so each message gets a stable synthetic one built from
//! what identifies it in the export; importing the same export twice adds nothing.

pub(crate) mod csv;
pub(crate) mod telegram;
pub(crate) mod whatsapp;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::model::{Attachment, Channel, Direction, NewCustomer, NewMessage, TicketId};
use crate::store::IngestMessage;

/// One entry of a chat export as its reader found it. The readers' own type, so
/// they know nothing of how `sources` carries items to intake.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ChatEntry {
    /// A message, structured.
    Message(Box<ChatMessage>),
    /// A service line (join, call, pin): counted, not imported.
    Service,
    /// An entry that could not be read, with why.
    Failed(String),
}

/// One message of a chat, structured by its reader.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub channel: Channel,
    /// Subject of the ticket it opens ("Telegram: Олена").
    pub subject: String,
    /// The customer side of the chat.
    pub customer: NewCustomer,
    pub author: String,
    pub direction: Direction,
    pub sent_at: DateTime<Utc>,
    pub text: String,
    /// Stable synthetic Message-ID: the dedupe key.
    pub id: String,
    /// The synthetic id of the message this one answers, when the export says.
    pub reply_to: Option<String>,
    /// Media named in the export (content is not part of these exports' text).
    pub attachments: Vec<Attachment>,
    /// The source record, kept as the raw message.
    pub raw: Vec<u8>,
    /// Put it into this ticket instead of threading (pasted transcripts).
    pub ticket: Option<TicketId>,
}

impl ChatMessage {
    /// What the store takes.
    pub(crate) fn into_ingest(self, window: chrono::Duration) -> IngestMessage {
        let profile = (self.direction == Direction::Inbound).then(|| super::profile_of(&self.text));
        let raw = if self.raw.is_empty() {
            self.text.as_bytes().to_vec()
        } else {
            self.raw
        };
        IngestMessage {
            sha256: super::sha256_hex(&raw),
            message: NewMessage {
                direction: self.direction,
                author: self.author,
                body: super::clean_text(&self.text),
                html_body: None,
                sent_at: Some(self.sent_at),
                message_id: Some(self.id),
                in_reply_to: self.reply_to,
                references: Vec::new(),
                attachments: self.attachments,
            },
            subject: self.subject,
            customer: self.customer,
            channel: self.channel,
            raw,
            profile,
            seen: false,
            ticket: self.ticket,
            thread_window: window,
        }
    }
}

/// A local wall-clock time in `tz` as UTC; the earlier instant when a DST change
/// makes it ambiguous.
pub(crate) fn local_to_utc(naive: NaiveDateTime, tz: chrono_tz::Tz) -> DateTime<Utc> {
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| naive.and_utc())
}

/// Short stable hash for synthetic ids.
pub(crate) fn short_hash(parts: &[&str]) -> String {
    let joined = parts.join("\u{1f}");
    super::sha256_hex(joined.as_bytes())[..20].to_string()
}

/// A chat handle or name that is really a phone number goes into `phone`, so the
/// same person calling later is recognised.
pub(crate) fn customer_from_name(name: &str, prefix: &str) -> NewCustomer {
    let digits = name.chars().filter(|c| c.is_ascii_digit()).count();
    let phone_like = digits >= 7
        && name
            .chars()
            .all(|c| c.is_ascii_digit() || " +-()\u{a0}\u{202a}\u{202c}".contains(c));
    if phone_like {
        NewCustomer {
            name: name.trim().to_string(),
            phone: Some(name.trim().to_string()),
            ..Default::default()
        }
    } else {
        NewCustomer {
            name: name.trim().to_string(),
            handle: Some(format!("{prefix}:{}", name.trim())),
            ..Default::default()
        }
    }
}
