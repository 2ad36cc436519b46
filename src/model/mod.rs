//! Plain domain types shared by every other module: tickets, messages, customers,
//! drafts, events. They carry the rules that need no storage or terminal (parsing a
//! status name, telling what "needs a reply"), and nothing here knows of SQLite or ratatui.

mod assignment;
mod canned;
mod collision;
mod enums;
pub mod text;

pub use assignment::ASSIGNEE_EVENT;
pub use canned::{CannedKind, CannedResponse, NewCanned, TAG_GREETING, TAG_SIGNOFF, TAG_SNIPPET};
pub use collision::Collision;
pub use enums::{Channel, Direction, Formality, Language, ParseEnumError, Priority, Status};
pub use text::{normalize_subject, parse_address, NO_SUBJECT};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Row id of a ticket. A newtype would be nicer, but plain `i64` keeps the JSON and
/// the CLI arguments obvious for scripts.
pub type TicketId = i64;
/// Row id of a customer.
pub type CustomerId = i64;
/// Row id of a message.
pub type MessageId = i64;

/// A person who writes to support. One customer may reach us from several addresses
/// and chat handles; all of them resolve to this record so history stays together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Customer {
    pub id: CustomerId,
    pub name: String,
    pub emails: Vec<String>,
    pub handles: Vec<String>,
    pub phone: Option<String>,
    pub language: Language,
    pub formality: Formality,
    pub notes: String,
    pub created_at: DateTime<Utc>,
}

impl Customer {
    /// The name to greet the customer with: the first word of the display name, or
    /// `None` when all we know is an address (greeting "Dear info@" is worse than none).
    pub fn first_name(&self) -> Option<&str> {
        let first = self.name.split_whitespace().next()?;
        if first.contains('@') || first.is_empty() {
            None
        } else {
            Some(first)
        }
    }
}

/// Where a ticket was handed to the second line, and why. Kept on the ticket so the
/// Escalated view can show its age without reading the event log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    pub target: String,
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// One conversation with one customer about one problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: TicketId,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub channel: Channel,
    pub tags: Vec<String>,
    pub assignee: Option<String>,
    pub customer_id: CustomerId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub snoozed_until: Option<DateTime<Utc>>,
    pub escalation: Option<Escalation>,
    /// Time of the newest inbound message that has not been answered yet; `None` when
    /// the customer spoke last and we replied, or never wrote. Drives "needs reply".
    pub awaiting_reply_since: Option<DateTime<Utc>>,
    /// Whether the user has opened the ticket since its last inbound message.
    pub unread: bool,
    /// Optimistic-concurrency counter: bumped on every change so a second process
    /// editing a stale copy is detected instead of silently overwriting.
    pub version: i64,
}

impl Ticket {
    /// A ticket needs a reply when the customer is waiting on us and it is still live:
    /// the "never ignore a message" rule in one predicate.
    pub fn needs_reply(&self, now: DateTime<Utc>) -> bool {
        self.awaiting_reply_since.is_some()
            && self.status.is_active()
            && self.snoozed_until.is_none_or(|until| until <= now)
    }
}

/// A ticket row as the inbox shows it: the ticket plus the few customer and message
/// facts a list needs, fetched in one query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketSummary {
    #[serde(flatten)]
    pub ticket: Ticket,
    pub customer_name: String,
    pub customer_email: Option<String>,
    pub message_count: i64,
    pub last_message_at: Option<DateTime<Utc>>,
    pub preview: String,
}

/// A file that came with a message. Content lives outside the database, addressed by
/// its SHA-256, so the DB stays small and identical files are stored once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub size: u64,
    pub sha256: Option<String>,
}

/// One entry in a ticket's thread: something the customer said, something we sent, or
/// an internal note the customer must never see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub id: MessageId,
    pub ticket_id: TicketId,
    pub direction: Direction,
    pub author: String,
    pub body: String,
    pub html_body: Option<String>,
    pub sent_at: DateTime<Utc>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
}

/// What a caller supplies to add a message; the store fills the id and ticket.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NewMessage {
    pub direction: Direction,
    pub author: String,
    pub body: String,
    pub html_body: Option<String>,
    /// Defaults to now when absent.
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub attachments: Vec<Attachment>,
}

/// Who opened a ticket, as far as the intake knows. The store upserts a customer
/// from it by address, handle or phone.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct NewCustomer {
    pub name: String,
    pub email: Option<String>,
    pub handle: Option<String>,
    pub phone: Option<String>,
}

/// Everything needed to open a ticket with its first message in one transaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewTicket {
    pub subject: String,
    pub customer: NewCustomer,
    pub channel: Channel,
    pub priority: Priority,
    pub status: Status,
    pub tags: Vec<String>,
    pub first_message: NewMessage,
}

/// The reply being written for a ticket, saved as the user types so a crash, a
/// suspend or a closed laptop never costs a word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Draft {
    pub ticket_id: TicketId,
    pub body: String,
    pub updated_at: DateTime<Utc>,
    /// The console writing it right now (a process id with its start time), `None`
    /// when nobody is. Which process holds a draft is no part of the data: it is
    /// neither exported nor shown in JSON.
    #[serde(skip)]
    pub owner: Option<String>,
}

/// One line of the audit log: what changed, from what to what, when and by whom.
/// Reports and "undo" read it; nothing ever rewrites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: i64,
    pub ticket_id: Option<TicketId>,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub kind: String,
    pub old: Option<String>,
    pub new: Option<String>,
}

/// A ticket with everything `show` prints: its customer, thread, draft and history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TicketDetail {
    pub ticket: Ticket,
    pub customer: Customer,
    pub messages: Vec<Message>,
    pub draft: Option<Draft>,
    pub events: Vec<Event>,
}

/// A change to a ticket's fields. Each variant is one audited event; the store applies
/// it in one transaction and bumps the version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum TicketChange {
    Status(Status),
    Priority(Priority),
    /// Tags to add and tags to remove, applied in that order.
    Tags {
        add: Vec<String>,
        remove: Vec<String>,
    },
    Subject(String),
    Assignee(Option<String>),
    Escalate {
        target: String,
        reason: String,
    },
    Deescalate,
    Snooze(Option<DateTime<Utc>>),
    /// Mark the waiting inbound message as handled without a reply, with a reason
    /// ("no reply needed: auto-reply"), so the ledger stays honest.
    NoReplyNeeded(String),
    MarkRead,
}
