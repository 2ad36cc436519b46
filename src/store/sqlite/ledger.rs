//! What every write to a ticket shares, below tickets, messages and the outbox:
//! reading a ticket row, bumping its version, the audit log, and the reply ledger
//! derived from the thread. Its own file so those three can each use it without
//! importing one another.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::{from_ts, opt_ts, parse_col, status_list, tags_from_col, to_ts, Result, StoreError};
use crate::model::{Escalation, Event, Status, Ticket, TicketId};

/// The outbox rows (columns of `outbox`, unqualified) whose reply has not reached the
/// customer and is no longer on its first try: it does not answer them. One
/// definition for the ledger ([`recompute_ledger`]), the thread's
/// marker and the report.
pub(crate) const UNDELIVERED: &str = "(state IN ('failed', 'unknown', 'saved')
    OR (state IN ('queued', 'sending') AND last_error IS NOT NULL))";

/// Named with `AS`: SQLite leaves a bare `t.id`'s result name unspecified, and rows
/// are read by name. Queries may add columns after these (a list row's extras).
pub(crate) const TICKET_COLUMNS: &str = "t.id AS id, t.subject AS subject, \
    t.status AS status, t.priority AS priority, t.channel AS channel, t.tags AS tags, \
    t.assignee AS assignee, t.customer_id AS customer_id, t.created_at AS created_at, \
    t.updated_at AS updated_at, t.first_response_at AS first_response_at, \
    t.resolved_at AS resolved_at, t.snoozed_until AS snoozed_until, \
    t.escalated_to AS escalated_to, t.escalation_reason AS escalation_reason, \
    t.escalated_at AS escalated_at, t.awaiting_reply_since AS awaiting_reply_since, \
    t.unread AS unread, t.version AS version";

/// One ticket, selected with [`TICKET_COLUMNS`].
pub(crate) fn ticket_from_row(row: &Row<'_>) -> rusqlite::Result<Ticket> {
    let escalation = match (
        row.get::<_, Option<String>>("escalated_to")?,
        row.get::<_, Option<i64>>("escalated_at")?,
    ) {
        (Some(target), Some(at)) => Some(Escalation {
            target,
            reason: row
                .get::<_, Option<String>>("escalation_reason")?
                .unwrap_or_default(),
            at: from_ts(at),
        }),
        _ => None,
    };
    Ok(Ticket {
        id: row.get("id")?,
        subject: row.get("subject")?,
        status: parse_col(2, row.get("status")?)?,
        priority: parse_col(3, row.get("priority")?)?,
        channel: parse_col(4, row.get("channel")?)?,
        tags: tags_from_col(&row.get::<_, String>("tags")?),
        assignee: row.get("assignee")?,
        customer_id: row.get("customer_id")?,
        created_at: from_ts(row.get("created_at")?),
        updated_at: from_ts(row.get("updated_at")?),
        first_response_at: opt_ts(row.get("first_response_at")?),
        resolved_at: opt_ts(row.get("resolved_at")?),
        snoozed_until: opt_ts(row.get("snoozed_until")?),
        escalation,
        awaiting_reply_since: opt_ts(row.get("awaiting_reply_since")?),
        unread: row.get("unread")?,
        version: row.get("version")?,
    })
}

/// Named with `AS`: SQLite leaves a bare `e.id`'s result name unspecified, and rows
/// are read by name.
pub(crate) const EVENT_COLUMNS: &str = "e.id AS id, e.ticket_id AS ticket_id, e.at AS at, \
    e.actor AS actor, e.kind AS kind, e.old AS old, e.new AS new";

/// One audit-log row, selected with [`EVENT_COLUMNS`].
pub(crate) fn event_from_row(r: &Row<'_>) -> rusqlite::Result<Event> {
    Ok(Event {
        id: r.get("id")?,
        ticket_id: r.get("ticket_id")?,
        at: from_ts(r.get("at")?),
        actor: r.get("actor")?,
        kind: r.get("kind")?,
        old: r.get("old")?,
        new: r.get("new")?,
    })
}

pub(crate) fn load_ticket(conn: &Connection, id: TicketId) -> Result<Ticket> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = ?1");
    conn.prepare_cached(&sql)?
        .query_row([id], ticket_from_row)
        .optional()?
        .ok_or(StoreError::NotFound { what: "ticket", id })
}

/// Appends one line to the audit log inside the caller's transaction.
pub(crate) fn write_event(
    conn: &Connection,
    ticket: Option<TicketId>,
    actor: &str,
    kind: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO events(ticket_id, at, actor, kind, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![ticket, to_ts(Utc::now()), actor, kind, old, new])?;
    Ok(())
}

/// Derives the reply ledger from the thread itself: the customer waits since their
/// first message after our last reply; first response is our earliest reply. A reply
/// the outbox could not deliver (see [`UNDELIVERED`]) answers nobody. Only an
/// active ticket waits: a solved, closed or spam ticket keeps its ledger (solving
/// ends the wait). The one definition for every path that changes a thread: merge,
/// reopening, an import that delivered a message out of order (a Maildir read out of
/// order, a Sent folder imported after the Inbox), an undone reply.
pub(crate) fn recompute_ledger(conn: &Connection, id: TicketId) -> Result<()> {
    let answer = format!(
        "direction = 'outbound' AND id NOT IN (SELECT message_id FROM outbox WHERE {})",
        UNDELIVERED
    );
    let (first_msg, first_out, last_out): (Option<i64>, Option<i64>, Option<i64>) = conn
        .prepare_cached(&format!(
            "SELECT min(sent_at),
                min(CASE WHEN {answer} THEN sent_at END),
                max(CASE WHEN {answer} THEN sent_at END)
             FROM messages WHERE ticket_id = ?1"
        ))?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
    let awaiting: Option<i64> = conn
        .prepare_cached(
            "SELECT min(sent_at) FROM messages
             WHERE ticket_id = ?1 AND direction = 'inbound' AND sent_at >= ?2",
        )?
        .query_row(params![id, last_out.unwrap_or(i64::MIN)], |r| r.get(0))?;
    conn.prepare_cached(&format!(
        "UPDATE tickets SET first_response_at = ?2,
            awaiting_reply_since = CASE WHEN status IN {active} THEN ?3
                ELSE awaiting_reply_since END,
            created_at = min(created_at, coalesce(?4, created_at))
         WHERE id = ?1",
        active = status_list(Status::ACTIVE)
    ))?
    .execute(params![id, first_out, awaiting, first_msg])?;
    Ok(())
}

/// Bumps version and updated_at; every change to a ticket goes through here.
pub(crate) fn touch(conn: &Connection, id: TicketId, at: DateTime<Utc>) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET version = version + 1, updated_at = max(updated_at, ?2) WHERE id = ?1",
    )?
    .execute(params![id, to_ts(at)])?;
    Ok(())
}
