//! The plain types the store API speaks besides `model`'s: queries (`View`,
//! `SortOrder`, `TicketFilter`), what importers hand over (`IngestMessage`) and the
//! outcomes of writes. Backend-neutral: nothing here knows SQL, so the SQLite backend
//! and any later one read and return exactly these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::model::{
    Channel, Customer, Draft, Event, Formality, Language, Message, MessageId, NewCustomer,
    NewMessage, Priority, Status, Ticket, TicketId,
};

// --- The inbox: views, order and filters.

/// The inbox's saved views. Each is a question the support person asks of the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum View {
    /// Live tickets where the customer is waiting on us and not snoozed.
    #[default]
    NeedsReply,
    All,
    Pending,
    Snoozed,
    Escalated,
    Solved,
}

impl View {
    /// Every view in tab order.
    pub const ALL: [View; 6] = [
        View::NeedsReply,
        View::All,
        View::Pending,
        View::Snoozed,
        View::Escalated,
        View::Solved,
    ];

    /// The label on the inbox tab.
    pub fn label(self) -> &'static str {
        match self {
            View::NeedsReply => "Needs reply",
            View::All => "All",
            View::Pending => "Pending",
            View::Snoozed => "Snoozed",
            View::Escalated => "Escalated",
            View::Solved => "Solved",
        }
    }
}

/// How the inbox is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SortOrder {
    /// Longest-waiting customer first, urgent before low at equal wait.
    #[default]
    Due,
    /// Most recently changed first.
    Updated,
    /// Urgent first, then by wait.
    Priority,
    /// Newest ticket first.
    Created,
}

/// A query over the queue. Fields combine with AND; `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketFilter {
    pub view: Option<View>,
    pub statuses: Vec<Status>,
    pub tag: Option<String>,
    /// Matches the customer's name or any of their addresses, case-insensitively.
    pub customer: Option<String>,
    pub customer_id: Option<i64>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    /// Restrict to these ids (from a full-text search).
    pub ids: Option<Vec<TicketId>>,
    pub sort: SortOrder,
    /// Reply targets in minutes per priority, in `Priority::ALL` order (low, normal,
    /// high, urgent), so the due sort agrees with the configured SLA. `None` uses the
    /// defaults (24 h, 8 h, 4 h, 1 h).
    pub reply_targets_minutes: Option<[i64; 4]>,
    pub limit: Option<usize>,
    pub offset: usize,
    /// Whose tickets: a team splits one queue by who answers each ticket.
    #[serde(default)]
    pub assignee: AssigneeFilter,
}

/// Which tickets by assignee: "Mine" is `Agent` with this agent's name.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssigneeFilter {
    /// Assigned or not, to anyone.
    #[default]
    Anyone,
    /// Nobody has taken it yet.
    Unassigned,
    /// Assigned to this agent (names compare exactly, after trimming).
    Agent(String),
}

/// The name a ticket is assigned to, as the store keeps it: trimmed, `None` for
/// nobody. A blank name is refused: it would look assigned and match no one.
pub fn assignee_name(who: &Option<String>) -> Result<Option<String>, StoreError> {
    match who {
        None => Ok(None),
        Some(name) if name.trim().is_empty() => Err(StoreError::Invalid(
            "assign to whom? give an agent's name".into(),
        )),
        Some(name) => Ok(Some(name.trim().to_string())),
    }
}

// --- Intake: what importers hand over and what became of it.

/// One message as an importer hands it to the store.
#[derive(Debug, Clone, PartialEq)]
pub struct IngestMessage {
    /// The message itself. `message_id` is the dedupe key when present.
    pub message: NewMessage,
    /// The subject a new ticket gets, and the key of subject threading.
    pub subject: String,
    /// The customer side of the conversation: the sender of an inbound message, the
    /// recipient of one we sent.
    pub customer: NewCustomer,
    pub channel: Channel,
    /// The bytes as they came, kept so mail can be re-parsed after a parser fix.
    pub raw: Vec<u8>,
    /// SHA-256 (hex) of the raw bytes: the dedupe key when there is no Message-ID. A
    /// chat reader's raw record says who wrote when as well as what (the same words
    /// from two people, or on two days, are two messages).
    pub sha256: String,
    /// Language and formality detected in the text, recorded on the customer.
    pub profile: Option<(Language, Formality)>,
    /// The user has already read it (Maildir `S` flag): it does not mark the ticket unread.
    pub seen: bool,
    /// Put the message into this ticket instead of threading (a pasted transcript).
    pub ticket: Option<TicketId>,
    /// How far apart in time a message may be from a ticket's thread and still join it
    /// by subject and customer alone.
    pub thread_window: chrono::Duration,
}

/// What happened to one message of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "outcome")]
pub enum IngestOutcome {
    /// Stored in `ticket`; `new_ticket` when it opened the ticket.
    Added {
        ticket: TicketId,
        message: MessageId,
        new_ticket: bool,
    },
    /// A message with the same Message-ID is already stored (a re-import, or the same
    /// mail in two folders).
    DuplicateMessageId { ticket: TicketId },
    /// Byte-identical content is already stored.
    DuplicateContent,
}

/// How far one import source got, committed with the batch it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceProgress {
    /// A stable key for the source (format and canonical path).
    pub source: String,
    /// Importer-defined position (JSON), opaque to the store.
    pub position: String,
}

// --- Chats: edits and customer facts that come with chat messages.

/// A customer changed a message they sent: its text is replaced, the earlier text
/// kept in the ticket's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageEdit {
    /// The Message-ID of the edited message.
    pub message_id: String,
    pub body: String,
    pub edited_at: DateTime<Utc>,
}

/// What a chat tells about its customer beyond the message itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerFacts {
    /// The handle the customer is known by (`telegram:user42`).
    pub handle: String,
    /// A phone number they shared themselves.
    pub phone: Option<String>,
    /// Another handle of theirs (`telegram:@olena_k`), so search finds them by it.
    pub alias: Option<String>,
}

/// What one chat batch did.
#[derive(Debug, Default)]
pub struct ChatBatchOutcome {
    /// One per item, as [`IngestStore::ingest_batch`](super::api::IngestStore::ingest_batch) reports them.
    pub items: Vec<std::result::Result<IngestOutcome, StoreError>>,
    /// One per edit: the ticket of the message it changed, `None` when that message
    /// is not stored or already read so.
    pub edits: Vec<Option<TicketId>>,
}

// --- The outbox: queued -> sending -> sent, or failed / unknown (in doubt) / saved
// (the state machine in full: `OutboxStore` and the SQLite backend's `outbox.rs`).

/// Where a reply is on its way out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OutboxState {
    /// Waiting for its undo window or a retry.
    Queued,
    /// Handed to the transport right now.
    Sending,
    /// Accepted by the transport.
    Sent,
    /// Gave up after repeated failures; `firstline send` tries again.
    Failed,
    /// A crash interrupted sending: it may or may not have gone out.
    Unknown,
    /// Written as an `.eml` file because no mail transport is set: not delivered
    /// until the user sends it and says so (`outbox mark-sent`).
    Saved,
}

impl OutboxState {
    /// What a thread says beside a reply in this state that has not reached the
    /// customer, in the console and in `firstline show` alike: such a reply must never
    /// pass for an answer the customer has.
    pub fn undelivered_phrase(self) -> &'static str {
        match self {
            OutboxState::Saved => "NOT SENT: saved as .eml, no mail transport",
            OutboxState::Unknown => "MAY NOT HAVE GONE OUT",
            _ => "NOT DELIVERED",
        }
    }

    /// The name stored in the database and shown on the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxState::Queued => "queued",
            OutboxState::Sending => "sending",
            OutboxState::Sent => "sent",
            OutboxState::Failed => "failed",
            OutboxState::Unknown => "unknown",
            OutboxState::Saved => "saved",
        }
    }

    /// The state named `text`; a name this version does not know reads as in doubt,
    /// so a reply is never retried on a guess.
    pub fn parse(text: &str) -> OutboxState {
        match text {
            "queued" => OutboxState::Queued,
            "sending" => OutboxState::Sending,
            "sent" => OutboxState::Sent,
            "failed" => OutboxState::Failed,
            "saved" => OutboxState::Saved,
            _ => OutboxState::Unknown,
        }
    }
}

/// One reply in the outbox, as `outbox list` and the status bar show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    pub id: i64,
    pub message: MessageId,
    pub ticket: TicketId,
    pub state: OutboxState,
    /// Not delivered before this (the end of the undo window, or the next retry).
    pub not_before: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub updated_at: DateTime<Utc>,
    /// The reply's RFC 5322 Message-ID.
    pub message_id: Option<String>,
}

/// A reply claimed for delivery: the exact bytes to hand to the transport.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub id: i64,
    pub message: MessageId,
    pub ticket: TicketId,
    pub raw: Vec<u8>,
    pub message_id: Option<String>,
    pub attempts: i64,
}

/// Which queued replies to claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimScope {
    /// Those whose undo window or retry delay has passed.
    Due(DateTime<Utc>),
    /// Every queued one, now (`outbox flush`).
    AllQueued,
    /// Every queued, failed or unknown reply of one ticket (`firstline send ID`).
    Ticket(TicketId),
    /// One queued reply, now: a console sending its own replies on quit, never
    /// another console's that still wait in their undo window.
    Message(MessageId),
}

// --- Drafts.

/// What became of a draft write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DraftSave {
    /// Written (or deleted, for an empty body).
    Saved,
    /// Not written: another console that still runs is writing this draft.
    HeldElsewhere { owner: String },
}

// --- Follow-ups.

/// Where a follow-up came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FollowupKind {
    /// Read from a sent reply ("by Friday").
    Promise,
    /// Set by hand.
    Manual,
}

impl FollowupKind {
    /// The name stored in the database and shown in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupKind::Promise => "promise",
            FollowupKind::Manual => "manual",
        }
    }
}

/// A follow-up on a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Followup {
    pub id: i64,
    pub ticket_id: TicketId,
    pub kind: FollowupKind,
    pub due_at: DateTime<Utc>,
    /// The promise as written ("до п'ятниці"), or the user's note.
    pub phrase: String,
    /// The reply that made the promise.
    pub message_id: Option<MessageId>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

/// What a caller supplies to record a follow-up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewFollowup {
    pub ticket_id: TicketId,
    pub kind: FollowupKind,
    pub due_at: DateTime<Utc>,
    pub phrase: String,
    pub message_id: Option<MessageId>,
}

// --- Canned replies.

/// What happened to the starter library when it was brought up to date.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StarterSync {
    /// Starter replies new to this database.
    pub added: usize,
    /// Replies the user never edited, updated to the new wording.
    pub updated: usize,
    /// Replies left alone because the user edited or deleted them.
    pub kept: usize,
}

// --- Site watch.

/// One probe of one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCheck {
    pub url: String,
    pub at: DateTime<Utc>,
    /// Answered with a 2xx/3xx status in time.
    pub ok: bool,
    /// Answered, but slower than the threshold.
    pub slow: bool,
    pub status: Option<u16>,
    pub ms: Option<u64>,
    pub error: Option<String>,
}

/// A site's incident ticket and where its latest outage stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteIncident {
    pub url: String,
    pub ticket_id: TicketId,
    /// When the latest outage began.
    pub down_since: DateTime<Utc>,
    /// When the watch last wrote on the ticket (the recovery, while the site is up).
    pub last_note_at: DateTime<Utc>,
    /// What is wrong now ("down: HTTP 503"); `None` once the site recovered.
    pub problem: Option<String>,
}

// --- Reports.

/// Tickets relevant to a period, with their messages and events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub tickets: Vec<Ticket>,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
}

// --- Export and import of a whole queue.

/// The format version of [`Dump`]; bumped when a field changes meaning.
pub const DUMP_FORMAT: u32 = 1;

/// Everything in a queue, ids included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dump {
    pub format: u32,
    pub exported_at: DateTime<Utc>,
    pub customers: Vec<Customer>,
    pub tickets: Vec<Ticket>,
    pub messages: Vec<Message>,
    pub drafts: Vec<Draft>,
    pub events: Vec<Event>,
    /// Promises and reminders, done ones included. Absent in exports written before
    /// `copy` carried them: those load with none.
    #[serde(default)]
    pub followups: Vec<Followup>,
    /// How far each import source (a mailbox, a bot, a file) has been read, so a
    /// copied queue's next fetch goes on where the old one stopped instead of taking
    /// everything in again. Absent in older exports.
    #[serde(default)]
    pub import_positions: Vec<ImportPosition>,
    /// The canned-reply library as the user left it: their own replies, starter
    /// replies they edited or deleted, usage counters. Absent in older exports.
    #[serde(default)]
    pub canned: Vec<CannedRecord>,
    /// Which sent reply came from which canned reply, and the customer message it
    /// answered: what usage figures, the tone checker and suggestions learn from.
    #[serde(default)]
    pub canned_uses: Vec<CannedUse>,
    /// The outbox: what each reply's delivery came to (sent, failed, saved as a file,
    /// in doubt), so the copy's thread marks the same replies undelivered. Absent in
    /// older exports.
    #[serde(default)]
    pub outbox: Vec<OutboxRecord>,
}

/// One message's raw bytes as stored: what it was parsed from, and the dedupe key of
/// a message without a Message-ID (so a copied queue does not import it twice).
#[derive(Debug, Clone, PartialEq)]
pub struct RawMessageRecord {
    pub message: MessageId,
    /// The message's content key ([`IngestMessage::sha256`]).
    pub sha256: String,
    pub raw: Vec<u8>,
}

/// One outbox row as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutboxRecord {
    pub id: i64,
    pub message: MessageId,
    pub state: OutboxState,
    pub not_before: DateTime<Utc>,
    pub attempts: i64,
    pub last_error: Option<String>,
    /// The exact bytes handed to the transport.
    pub raw: Option<Vec<u8>>,
    pub updated_at: DateTime<Utc>,
    /// The ticket's state before the reply, which undo puts back.
    pub ledger: Option<String>,
}

/// One canned reply as stored, deleted ones included (a deleted starter reply must
/// stay deleted in the copy, or the next library update brings it back).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedRecord {
    pub reply: crate::model::CannedResponse,
    /// The starter library's hash of the wording, for starter replies.
    pub builtin_hash: Option<String>,
    /// Edited by the user: library updates leave it alone.
    pub user_modified: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub deleted_at: Option<DateTime<Utc>>,
}

/// One use of a canned reply in a sent message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedUse {
    pub canned_id: i64,
    /// `None` once the message is gone (an undone reply).
    pub message_id: Option<MessageId>,
    pub edited: bool,
    pub at: DateTime<Utc>,
    /// The customer message it answered (truncated as stored).
    pub answered: String,
}

/// How far one import source has been read (`Store::ingest_batch` keeps it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportPosition {
    pub source: String,
    pub position: String,
    pub updated_at: DateTime<Utc>,
}
