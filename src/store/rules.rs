//! Rules about queue data that do not depend on the backend: both SQLite and
//! PostgreSQL apply them, so they are written once here and a queue copied from one
//! to the other keeps the same tags, phones and "nothing changed" answers.

use crate::model::{Ticket, TicketChange};

use super::{assignee_name, normalize_tag};

/// A ticket's tags after adding `add` and removing `remove` (normalized).
pub(crate) fn tags_after(tags: &[String], add: &[String], remove: &[String]) -> Vec<String> {
    let mut tags = tags.to_vec();
    for t in add
        .iter()
        .map(|t| normalize_tag(t))
        .filter(|t| !t.is_empty())
    {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    let remove: Vec<String> = remove.iter().map(|t| normalize_tag(t)).collect();
    tags.retain(|t| !remove.contains(t));
    tags
}

/// Whether `change` would leave `ticket` exactly as it is (a status it already has,
/// tags it already carries): such a change is not made and not logged.
pub(crate) fn changes_nothing(ticket: &Ticket, change: &TicketChange) -> bool {
    match change {
        TicketChange::Status(s) => ticket.status == *s,
        TicketChange::Priority(p) => ticket.priority == *p,
        TicketChange::Tags { add, remove } => tags_after(&ticket.tags, add, remove) == ticket.tags,
        TicketChange::Subject(subject) => ticket.subject == subject.trim(),
        TicketChange::Assignee(who) => {
            assignee_name(who).is_ok_and(|who| ticket.assignee.as_deref() == who.as_deref())
        }
        TicketChange::Snooze(until) => ticket.snoozed_until == *until,
        TicketChange::Deescalate => ticket.escalation.is_none(),
        TicketChange::Escalate { .. } | TicketChange::NoReplyNeeded(_) | TicketChange::MarkRead => {
            false
        }
    }
}

/// Tags as one space-separated, space-padded string (` a b `): a `LIKE '% tag %'`
/// finds them without a join table, and a dump moves between backends as is.
pub(crate) fn tags_to_col(tags: &[String]) -> String {
    if tags.is_empty() {
        String::new()
    } else {
        format!(" {} ", tags.join(" "))
    }
}

/// A phone number as a customer key: digits only, with a leading `+` kept.
pub(crate) fn normalize_phone(phone: &str) -> String {
    phone
        .trim()
        .chars()
        .enumerate()
        .filter(|(i, c)| c.is_ascii_digit() || (*i == 0 && *c == '+'))
        .map(|(_, c)| c)
        .collect()
}

/// The name the audit log records when nobody set one: the OS user.
pub(crate) fn default_actor() -> String {
    std::env::var("FIRSTLINE_AGENT")
        .or_else(|_| std::env::var("USER"))
        .unwrap_or_else(|_| "agent".into())
}

/// A search's answer from its matches, best first as `(ticket, message to jump to)`:
/// the first `limit` tickets' rows, read through `list` (the backend's
/// `list_tickets`), and the count of every match. The same for both backends, so the
/// "50 of 732" line and the hits cannot drift apart between them.
pub(crate) fn search_page(
    matched: &[(crate::model::TicketId, Option<i64>)],
    limit: usize,
    list: impl FnOnce(&super::TicketFilter) -> super::Result<Vec<crate::model::TicketSummary>>,
) -> super::Result<super::SearchResults> {
    let page = &matched[..limit.min(matched.len())];
    let found = list(&super::TicketFilter {
        ids: Some(page.iter().map(|(t, _)| *t).collect()),
        ..Default::default()
    })?;
    let hits = page
        .iter()
        .filter_map(|(t, m)| {
            found
                .iter()
                .find(|s| s.ticket.id == *t)
                .map(|s| super::SearchHit {
                    summary: s.clone(),
                    message_id: *m,
                })
        })
        .collect();
    Ok(super::SearchResults {
        hits,
        total: matched.len(),
    })
}
