//! The reply ledger: "never ignore a message" as bookkeeping. Every inbound message
//! must end as a reply, a snooze, a merge, or "no reply needed" with a reason; this
//! module says which, per message, from the thread and the audit log. Pure.

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{Direction, Event, Message, MessageId, Status, Ticket};

/// How one inbound message was (or was not yet) handled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum LedgerState {
    /// Answered by an outbound message at `at`.
    Replied { at: DateTime<Utc> },
    /// Deliberately put off until `until`; the customer is still owed an answer then.
    Snoozed { until: DateTime<Utc> },
    /// Marked as needing no answer (an auto-reply, a "thanks!"), with the reason.
    NoReplyNeeded { reason: String },
    /// Folded into another ticket, which now owes the answer.
    Merged { note: String },
    /// Thrown out as spam.
    Spam,
    /// The ticket was solved or closed without a reply to this message: nobody is
    /// owed an answer any more (the report counts it as "closed without reply").
    Closed,
    /// Nobody has dealt with it: the customer has been waiting since `since`.
    Unanswered { since: DateTime<Utc> },
}

impl LedgerState {
    /// Whether the message still counts against "never ignore".
    pub fn is_open(&self) -> bool {
        matches!(self, LedgerState::Unanswered { .. })
    }
}

/// One line of a ticket's ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerLine {
    pub message: MessageId,
    pub received: DateTime<Utc>,
    #[serde(flatten)]
    pub state: LedgerState,
}

/// The ledger of one ticket: each inbound message with how it ended. A reply covers
/// every inbound message before it, unless the outbox could not deliver it (see
/// [`undelivered`]); a handling event (snooze, no-reply, merge) covers the messages
/// received before the event.
pub fn ticket_ledger(
    ticket: &Ticket,
    messages: &[Message],
    events: &[Event],
    now: DateTime<Utc>,
) -> Vec<LedgerLine> {
    let undelivered = undelivered(events);
    let mut lines = Vec::new();
    for m in messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound)
    {
        let reply = messages
            .iter()
            .filter(|r| r.direction == Direction::Outbound && r.sent_at >= m.sent_at)
            .filter(|r| !undelivered.contains(&r.id))
            .map(|r| r.sent_at)
            .min();
        let state = if let Some(at) = reply {
            LedgerState::Replied { at }
        } else if ticket.status == Status::Spam {
            LedgerState::Spam
        } else if ticket.status.ends_the_wait() {
            LedgerState::Closed
        } else if let Some(state) = handled_by_event(ticket, m.sent_at, events, now) {
            state
        } else {
            LedgerState::Unanswered { since: m.sent_at }
        };
        lines.push(LedgerLine {
            message: m.id,
            received: m.sent_at,
            state,
        });
    }
    lines
}

/// Replies the outbox has not delivered, read from their delivery events (the outbox
/// logs each with the reply's message id as `old`; the latest one decides): a reply
/// whose sending failed or that was only saved as a file answers nobody until it is
/// delivered or the user records that it was sent.
fn undelivered(events: &[Event]) -> std::collections::HashSet<MessageId> {
    let mut latest: std::collections::HashMap<MessageId, &Event> = Default::default();
    for e in events.iter().filter(|e| {
        matches!(
            e.kind.as_str(),
            "delivery-failed" | "saved-not-sent" | "resend-asked" | "delivered" | "marked-sent"
        )
    }) {
        let Some(id) = e.old.as_deref().and_then(|o| o.parse().ok()) else {
            continue;
        };
        let newer = latest.get(&id).is_none_or(|l| (e.at, e.id) >= (l.at, l.id));
        if newer {
            latest.insert(id, e);
        }
    }
    latest
        .into_iter()
        .filter(|(_, e)| !matches!(e.kind.as_str(), "delivered" | "marked-sent"))
        .map(|(id, _)| id)
        .collect()
}

fn handled_by_event(
    ticket: &Ticket,
    received: DateTime<Utc>,
    events: &[Event],
    now: DateTime<Utc>,
) -> Option<LedgerState> {
    let latest = events
        .iter()
        .filter(|e| e.at >= received)
        .filter(|e| matches!(e.kind.as_str(), "no-reply-needed" | "snooze" | "merged"))
        .max_by_key(|e| (e.at, e.id))?;
    match latest.kind.as_str() {
        "no-reply-needed" => Some(LedgerState::NoReplyNeeded {
            reason: latest.new.clone().unwrap_or_default(),
        }),
        "merged" => Some(LedgerState::Merged {
            note: latest.new.clone().unwrap_or_default(),
        }),
        _ => match ticket.snoozed_until {
            Some(until) if until > now => Some(LedgerState::Snoozed { until }),
            _ => None,
        },
    }
}

/// What the status bar shows: how many customers wait on us, and since when the
/// longest-waiting one has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Unanswered {
    pub count: usize,
    pub oldest_since: Option<DateTime<Utc>>,
}

impl Unanswered {
    /// The status bar's words: "3 unanswered · oldest waits 2h10m", or that nobody waits.
    pub fn summary(&self, now: DateTime<Utc>) -> String {
        match self.oldest_since {
            Some(since) if self.count > 0 => format!(
                "{} unanswered · oldest waits {}",
                self.count,
                super::human_duration(now - since)
            ),
            _ => "nobody is waiting for a reply".to_string(),
        }
    }
}

/// Counts tickets that need a reply now (snoozed ones are not counted until they wake).
pub fn unanswered<'a>(
    tickets: impl IntoIterator<Item = &'a Ticket>,
    now: DateTime<Utc>,
) -> Unanswered {
    let mut out = Unanswered::default();
    for t in tickets.into_iter().filter(|t| t.needs_reply(now)) {
        out.count += 1;
        let since = t.awaiting_reply_since;
        if out.oldest_since.is_none() || since < out.oldest_since {
            out.oldest_since = since;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn issue13_5_a_closed_ticket_owes_no_answer_in_the_ledger() {
        let at = Utc.with_ymd_and_hms(1993, 5, 4, 10, 0, 0).unwrap();
        let ticket = Ticket {
            id: 1,
            subject: "old".into(),
            status: Status::Closed,
            priority: crate::model::Priority::Normal,
            channel: crate::model::Channel::Email,
            tags: vec![],
            assignee: None,
            customer_id: 1,
            created_at: at,
            updated_at: at,
            first_response_at: None,
            resolved_at: Some(at),
            snoozed_until: None,
            escalation: None,
            awaiting_reply_since: None,
            unread: false,
            version: 1,
        };
        let message = Message {
            id: 1,
            ticket_id: 1,
            direction: Direction::Inbound,
            author: "c@example.com".into(),
            body: "hello?".into(),
            html_body: None,
            sent_at: at,
            message_id: None,
            in_reply_to: None,
            references: vec![],
            attachments: vec![],
        };
        let lines = ticket_ledger(&ticket, &[message], &[], Utc::now());
        assert_eq!(lines[0].state, LedgerState::Closed);
        assert!(!lines[0].state.is_open());
    }

    #[test]
    fn issue15_1_an_undelivered_reply_does_not_answer_in_the_ledger() {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let ticket = Ticket {
            id: 1,
            subject: "login".into(),
            status: Status::Open,
            priority: crate::model::Priority::Normal,
            channel: crate::model::Channel::Email,
            tags: vec![],
            assignee: None,
            customer_id: 1,
            created_at: at,
            updated_at: at,
            first_response_at: None,
            resolved_at: None,
            snoozed_until: None,
            escalation: None,
            awaiting_reply_since: Some(at),
            unread: false,
            version: 1,
        };
        let message = |id, direction, minutes| Message {
            id,
            ticket_id: 1,
            direction,
            author: "x".into(),
            body: "text".into(),
            html_body: None,
            sent_at: at + chrono::Duration::minutes(minutes),
            message_id: None,
            in_reply_to: None,
            references: vec![],
            attachments: vec![],
        };
        let thread = [
            message(1, Direction::Inbound, 0),
            message(2, Direction::Outbound, 5),
        ];
        let event = |id, kind: &str, minutes| Event {
            id,
            ticket_id: Some(1),
            at: at + chrono::Duration::minutes(minutes),
            actor: "test".into(),
            kind: kind.into(),
            old: Some("2".into()),
            new: None,
        };
        let failed = [event(1, "delivery-failed", 6)];
        let lines = ticket_ledger(&ticket, &thread, &failed, at);
        assert_eq!(lines[0].state, LedgerState::Unanswered { since: at });
        let saved = [event(1, "saved-not-sent", 6)];
        assert!(ticket_ledger(&ticket, &thread, &saved, at)[0]
            .state
            .is_open());
        let delivered = [event(1, "delivery-failed", 6), event(2, "delivered", 7)];
        assert_eq!(
            ticket_ledger(&ticket, &thread, &delivered, at)[0].state,
            LedgerState::Replied {
                at: at + chrono::Duration::minutes(5)
            }
        );
    }
}
