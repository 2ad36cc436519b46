//! What every write to a ticket shares: reading (and locking) a ticket row, bumping
//! its version, the audit log, and the reply ledger derived from the thread. The
//! same rules as SQLite's `ledger.rs`, in PostgreSQL's dialect.

use chrono::{DateTime, Utc};
use postgres::{GenericClient, Row};

use super::{from_ts, opt_ts, parse_col, status_list, to_ts, Result};
use crate::model::{Escalation, Event, Status, Ticket, TicketId};
use crate::store::StoreError;

/// The outbox rows whose reply has not reached the customer and is no longer on its
/// first try: it does not answer them (SQLite's `UNDELIVERED`, the same states).
pub(crate) const UNDELIVERED: &str = "(state IN ('failed', 'unknown', 'saved')
    OR (state IN ('queued', 'sending') AND last_error IS NOT NULL))";

pub(crate) const TICKET_COLUMNS: &str = "t.id, t.subject, t.status, t.priority, t.channel, \
    t.tags, t.assignee, t.customer_id, t.created_at, t.updated_at, t.first_response_at, \
    t.resolved_at, t.snoozed_until, t.escalated_to, t.escalation_reason, t.escalated_at, \
    t.awaiting_reply_since, t.unread, t.version";

/// One ticket, selected with [`TICKET_COLUMNS`] first.
pub(crate) fn ticket_from_row(row: &Row) -> Result<Ticket> {
    let escalation = match (
        row.get::<_, Option<String>>("escalated_to"),
        row.get::<_, Option<i64>>("escalated_at"),
    ) {
        (Some(target), Some(at)) => Some(Escalation {
            target,
            reason: row
                .get::<_, Option<String>>("escalation_reason")
                .unwrap_or_default(),
            at: from_ts(at),
        }),
        _ => None,
    };
    Ok(Ticket {
        id: row.get("id"),
        subject: row.get("subject"),
        status: parse_col("status", row.get("status"))?,
        priority: parse_col("priority", row.get("priority"))?,
        channel: parse_col("channel", row.get("channel"))?,
        tags: tags_from_col(row.get("tags")),
        assignee: row.get("assignee"),
        customer_id: row.get("customer_id"),
        created_at: from_ts(row.get("created_at")),
        updated_at: from_ts(row.get("updated_at")),
        first_response_at: opt_ts(row.get("first_response_at")),
        resolved_at: opt_ts(row.get("resolved_at")),
        snoozed_until: opt_ts(row.get("snoozed_until")),
        escalation,
        awaiting_reply_since: opt_ts(row.get("awaiting_reply_since")),
        unread: row.get("unread"),
        version: row.get("version"),
    })
}

pub(crate) const EVENT_COLUMNS: &str = "e.id, e.ticket_id, e.at, e.actor, e.kind, e.old, e.new";

pub(crate) fn event_from_row(r: &Row) -> Event {
    Event {
        id: r.get("id"),
        ticket_id: r.get("ticket_id"),
        at: from_ts(r.get("at")),
        actor: r.get("actor"),
        kind: r.get("kind"),
        old: r.get("old"),
        new: r.get("new"),
    }
}

pub(crate) use crate::store::rules::tags_to_col;

pub(crate) fn tags_from_col(col: String) -> Vec<String> {
    col.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn load_ticket(c: &mut impl GenericClient, id: TicketId) -> Result<Ticket> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = $1");
    match c.query_opt(&sql, &[&id])? {
        Some(row) => ticket_from_row(&row),
        None => Err(StoreError::NotFound { what: "ticket", id }),
    }
}

/// Reads a ticket and locks its row until the transaction ends: what SQLite's
/// `BEGIN IMMEDIATE` gives every write, here per ticket, so two writers of one
/// ticket take turns and the second sees the first's version.
pub(crate) fn lock_ticket(c: &mut impl GenericClient, id: TicketId) -> Result<Ticket> {
    let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id = $1 FOR UPDATE");
    match c.query_opt(&sql, &[&id])? {
        Some(row) => ticket_from_row(&row),
        None => Err(StoreError::NotFound { what: "ticket", id }),
    }
}

/// Appends one line to the audit log inside the caller's transaction.
pub(crate) fn write_event(
    c: &mut impl GenericClient,
    ticket: Option<TicketId>,
    actor: &str,
    kind: &str,
    old: Option<&str>,
    new: Option<&str>,
) -> Result<()> {
    c.execute(
        "INSERT INTO events(ticket_id, at, actor, kind, old, new) VALUES ($1, $2, $3, $4, $5, $6)",
        &[&ticket, &to_ts(Utc::now()), &actor, &kind, &old, &new],
    )?;
    Ok(())
}

/// Derives the reply ledger from the thread (SQLite's `recompute_ledger`): the
/// customer waits since their first message after our last delivered reply; first
/// response is our earliest delivered reply; only an active ticket waits.
pub(crate) fn recompute_ledger(c: &mut impl GenericClient, id: TicketId) -> Result<()> {
    let answer = format!(
        "direction = 'outbound' AND id NOT IN (SELECT message_id FROM outbox WHERE {UNDELIVERED})"
    );
    let row = c.query_one(
        &format!(
            "SELECT min(sent_at),
                min(CASE WHEN {answer} THEN sent_at END),
                max(CASE WHEN {answer} THEN sent_at END)
             FROM messages WHERE ticket_id = $1"
        ),
        &[&id],
    )?;
    let (first_msg, first_out, last_out): (Option<i64>, Option<i64>, Option<i64>) =
        (row.get(0), row.get(1), row.get(2));
    let awaiting: Option<i64> = c
        .query_one(
            "SELECT min(sent_at) FROM messages
             WHERE ticket_id = $1 AND direction = 'inbound' AND sent_at >= $2",
            &[&id, &last_out.unwrap_or(i64::MIN)],
        )?
        .get(0);
    c.execute(
        &format!(
            "UPDATE tickets SET first_response_at = $2,
                awaiting_reply_since = CASE WHEN status IN {active} THEN $3
                    ELSE awaiting_reply_since END,
                created_at = LEAST(created_at, coalesce($4, created_at))
             WHERE id = $1",
            active = status_list(Status::ACTIVE)
        ),
        &[&id, &first_out, &awaiting, &first_msg],
    )?;
    Ok(())
}

/// Bumps version and updated_at; every change to a ticket goes through here.
pub(crate) fn touch(c: &mut impl GenericClient, id: TicketId, at: DateTime<Utc>) -> Result<()> {
    c.execute(
        "UPDATE tickets SET version = version + 1, updated_at = GREATEST(updated_at, $2)
         WHERE id = $1",
        &[&id, &to_ts(at)],
    )?;
    Ok(())
}
