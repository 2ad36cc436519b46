//! Messages in a ticket's thread, the search index that follows them, and drafts.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};

use super::ledger::{load_ticket, touch, write_event};
use super::{from_ts, parse_col, to_ts, Result, SqliteStore, StoreError};
use crate::model::text::truncate_at_char;
use crate::model::{Direction, Message, MessageId, NewMessage, Status, TicketId};
use crate::store::api::*;

/// The most text of one message that goes into the search index. A 50 MB log pasted
/// into a ticket is kept whole in `messages` but indexing all of it would bloat FTS.
const INDEXED_BODY_LIMIT: usize = 256 * 1024;

/// Named with `AS`: SQLite leaves a bare `m.id`'s result name unspecified, and rows
/// are read by name.
pub(crate) const MESSAGE_COLUMNS: &str = "m.id AS id, m.ticket_id AS ticket_id, \
    m.direction AS direction, m.author AS author, m.body AS body, m.html_body AS html_body, \
    m.sent_at AS sent_at, m.message_id AS message_id, m.in_reply_to AS in_reply_to, \
    m.refs AS refs, m.attachments AS attachments";

/// One thread message, selected with [`MESSAGE_COLUMNS`].
pub(crate) fn message_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Message> {
    let refs: String = r.get("refs")?;
    let attachments: String = r.get("attachments")?;
    Ok(Message {
        id: r.get("id")?,
        ticket_id: r.get("ticket_id")?,
        direction: parse_col(2, r.get("direction")?)?,
        author: r.get("author")?,
        body: r.get("body")?,
        html_body: r.get("html_body")?,
        sent_at: from_ts(r.get("sent_at")?),
        message_id: r.get("message_id")?,
        in_reply_to: r.get("in_reply_to")?,
        references: refs.split_whitespace().map(str::to_string).collect(),
        attachments: serde_json::from_str(&attachments).unwrap_or_default(),
    })
}

/// Folds what the FTS tokenizer does not: Russian ё is written as е more often than
/// not, so "счет" must find "счёт". Applied to indexed text and to queries alike.
pub(crate) fn fold_for_index(text: &str) -> String {
    text.replace('ё', "е").replace('Ё', "Е")
}

/// A message body as the full-text index gets it: up to the indexed limit, folded.
pub(crate) fn indexed_body(body: &str) -> String {
    fold_for_index(truncate_at_char(body, INDEXED_BODY_LIMIT))
}

/// Adds the message's row to the full-text index with its ticket's subject and
/// customer, so one MATCH finds the ticket by any of them.
fn index_message(
    conn: &Connection,
    message: MessageId,
    ticket: TicketId,
    body: &str,
) -> Result<()> {
    let (subject, customer): (String, String) = conn
        .prepare_cached(
            "SELECT t.subject, c.name || ' ' || coalesce((SELECT group_concat(value, ' ')
             FROM customer_addresses a WHERE a.customer_id = c.id), '')
         FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = ?1",
        )?
        .query_row([ticket], |r| Ok((r.get(0)?, r.get(1)?)))?;
    conn.prepare_cached(
        "INSERT INTO search_index(rowid, subject, body, customer) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![
        message,
        fold_for_index(&subject),
        indexed_body(body),
        fold_for_index(&customer)
    ])?;
    Ok(())
}

/// Replaces one message's index row after its text changed (a customer's edit).
pub(crate) fn reindex_message(
    conn: &Connection,
    message: MessageId,
    ticket: TicketId,
    body: &str,
) -> Result<()> {
    conn.execute("DELETE FROM search_index WHERE rowid = ?1", [message])?;
    index_message(conn, message, ticket, body)
}

/// Rebuilds the index rows of one ticket after its subject or customer changed.
pub(crate) fn index_ticket_messages(conn: &Connection, ticket: TicketId) -> Result<()> {
    let mut stmt = conn.prepare("SELECT id, body FROM messages WHERE ticket_id = ?1")?;
    let rows: Vec<(MessageId, String)> = stmt
        .query_map([ticket], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (id, body) in rows {
        conn.execute("DELETE FROM search_index WHERE rowid = ?1", [id])?;
        index_message(conn, id, ticket, &body)?;
    }
    Ok(())
}

/// Inserts a message and updates the ticket's reply ledger inside the caller's
/// transaction: an inbound message reopens the ticket, cancels a snooze and starts
/// the wait; an outbound one ends the wait and records the first response.
pub(crate) fn insert_message(
    conn: &Connection,
    ticket: TicketId,
    message: &NewMessage,
    actor: &str,
) -> Result<MessageId> {
    let before = load_ticket(conn, ticket)?;
    let at = message.sent_at.unwrap_or_else(Utc::now);
    let attachments = serde_json::to_string(&message.attachments)
        .map_err(|e| StoreError::Invalid(format!("attachment list: {e}")))?;
    conn.prepare_cached(
        "INSERT INTO messages(ticket_id, direction, author, body, html_body, sent_at, message_id,
                              in_reply_to, refs, attachments)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        ticket,
        message.direction.as_str(),
        message.author,
        message.body,
        message.html_body,
        to_ts(at),
        message.message_id,
        message.in_reply_to,
        message.references.join(" "),
        attachments,
    ])?;
    let id = conn.last_insert_rowid();
    index_message(conn, id, ticket, &message.body)?;
    let ts = to_ts(at);
    match message.direction {
        Direction::Inbound => {
            let reopen = matches!(
                before.status,
                Status::Pending | Status::Solved | Status::Closed
            );
            conn.prepare_cached(
                "UPDATE tickets SET unread = 1, snoozed_until = NULL,
                    awaiting_reply_since = coalesce(awaiting_reply_since, ?2),
                    status = CASE WHEN ?3 THEN 'open' ELSE status END,
                    resolved_at = CASE WHEN ?3 THEN NULL ELSE resolved_at END
                 WHERE id = ?1",
            )?
            .execute(params![ticket, ts, reopen])?;
            if reopen {
                write_event(
                    conn,
                    Some(ticket),
                    actor,
                    "status",
                    Some(before.status.as_str()),
                    Some("open"),
                )?;
            }
        }
        Direction::Outbound => {
            let first_answer = before.status == Status::New;
            conn.prepare_cached(
                "UPDATE tickets SET awaiting_reply_since = NULL,
                    first_response_at = coalesce(first_response_at, ?2),
                    status = CASE WHEN ?3 THEN 'open' ELSE status END
                 WHERE id = ?1",
            )?
            .execute(params![ticket, ts, first_answer])?;
        }
        Direction::Note => {}
    }
    write_event(
        conn,
        Some(ticket),
        actor,
        message.direction.as_str(),
        None,
        Some(&id.to_string()),
    )?;
    touch(conn, ticket, at)?;
    Ok(id)
}

impl MessageStore for SqliteStore {
    fn add_message(&mut self, ticket: TicketId, message: &NewMessage) -> Result<MessageId> {
        let actor = self.actor.clone();
        let holder = self.draft_holder.clone();
        let tx = self.write()?;
        let id = insert_message(&tx, ticket, message, &actor)?;
        if message.direction == Direction::Outbound {
            super::drafts::clear_after_reply(&tx, ticket, holder.as_deref(), &message.body)?;
        }
        tx.commit()?;
        Ok(id)
    }

    fn messages(&self, ticket: TicketId) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.ticket_id = ?1 ORDER BY m.sent_at, m.id"
        ))?;
        let rows = stmt.query_map([ticket], message_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn ticket_by_message_id(&self, message_id: &str) -> Result<Option<TicketId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT ticket_id FROM messages WHERE message_id = ?1")?
            .query_row([message_id], |r| r.get(0))
            .optional()?)
    }
}
