//! A logged phone call (`L` in the console): the agent's own contact with the
//! customer, so it answers them (the wait ends, the first response is recorded) and
//! is filed as ours, never as the customer's message. What the notes promise
//! ("Follow-up by: tomorrow 10:00", "передзвоню завтра о 10:00") becomes a follow-up
//! on the ticket, read by the same time-phrase and promise readers as snoozes and
//! sent replies. Owns the call-notes template and its labels; the store keeps rows.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::config::SlaConfig;
use crate::model::{Direction, MessageId, NewMessage, TicketId};
use crate::store::{FollowupKind, NewFollowup, Store, StoreError};

/// The template's line for when we get back to the customer.
pub const FOLLOW_UP_LABEL: &str = "Follow-up by:";

/// The template the console opens for "log a call": who, when (in the console's zone,
/// named), what they needed, what was promised, and when we follow up.
pub fn call_template(customer: &str, at: DateTime<Utc>, timezone: Tz) -> String {
    format!(
        "Call with {customer}, {} {}\n\nWhat they need:\n\nWhat I did / promised:\n\n{FOLLOW_UP_LABEL} \n",
        at.with_timezone(&timezone).format("%Y-%m-%d %H:%M"),
        timezone.name()
    )
}

/// What the notes said about following up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallFollowup {
    /// Nothing promised.
    None,
    /// A follow-up was recorded, due then, for these words.
    Recorded { due: DateTime<Utc>, phrase: String },
    /// A "Follow-up by:" line whose time could not be read; nothing was recorded, so
    /// the caller tells the user to add it by hand.
    Unreadable { phrase: String },
}

/// A call on a ticket, filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedCall {
    pub message: MessageId,
    pub followup: CallFollowup,
}

/// Files call notes on ticket `ticket` as our (outbound) contact by `agent` at `at`,
/// and records the follow-up the notes promise.
pub fn log_call(
    store: &mut Store,
    config: &SlaConfig,
    ticket: TicketId,
    agent: &str,
    notes: &str,
    at: DateTime<Utc>,
) -> Result<LoggedCall, StoreError> {
    let message = store.add_message(ticket, &call_message(agent, notes, at))?;
    let followup = book_followup(store, config, ticket, message, notes, at)?;
    Ok(LoggedCall { message, followup })
}

/// The message a call is filed as: ours, by the agent, at the time of the call.
pub fn call_message(agent: &str, notes: &str, at: DateTime<Utc>) -> NewMessage {
    NewMessage {
        direction: Direction::Outbound,
        author: agent.to_string(),
        body: notes.trim_end().to_string(),
        sent_at: Some(at),
        ..Default::default()
    }
}

/// Records the follow-up the notes of call `message` promise. It is tied to that
/// message, so the promise scan of sent replies does not record it a second time.
pub fn book_followup(
    store: &mut Store,
    config: &SlaConfig,
    ticket: TicketId,
    message: MessageId,
    notes: &str,
    at: DateTime<Utc>,
) -> Result<CallFollowup, StoreError> {
    let followup = promised_followup(notes, at, config);
    if let CallFollowup::Recorded { due, phrase } = &followup {
        store.create_followup(&NewFollowup {
            ticket_id: ticket,
            kind: FollowupKind::Promise,
            due_at: *due,
            phrase: phrase.clone(),
            message_id: Some(message),
        })?;
    }
    Ok(followup)
}

/// Reads the follow-up the notes promise: the "Follow-up by:" line as a time phrase
/// (`tomorrow 10:00`, `3h`, `monday`) or, failing that, as a promise ("передзвоню
/// завтра о 10:00"); without such a line, the first promise anywhere in the notes.
pub fn promised_followup(notes: &str, at: DateTime<Utc>, config: &SlaConfig) -> CallFollowup {
    let line = notes.lines().find_map(|l| {
        let l = l.trim();
        l.get(..FOLLOW_UP_LABEL.len())
            .filter(|head| head.eq_ignore_ascii_case(FOLLOW_UP_LABEL))
            .map(|_| l[FOLLOW_UP_LABEL.len()..].trim())
    });
    match line.filter(|phrase| !phrase.is_empty()) {
        Some(phrase) => {
            let due = super::parse_snooze(phrase, at, config)
                .or_else(|| super::extract_promise(phrase, at, config).map(|p| p.due));
            match due {
                Some(due) => CallFollowup::Recorded {
                    due,
                    phrase: phrase.to_string(),
                },
                None => CallFollowup::Unreadable {
                    phrase: phrase.to_string(),
                },
            }
        }
        None => match super::extract_promise(notes, at, config) {
            Some(p) => CallFollowup::Recorded {
                due: p.due,
                phrase: p.phrase,
            },
            None => CallFollowup::None,
        },
    }
}
