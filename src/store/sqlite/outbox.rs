//! The outbox: replies waiting for their undo window to pass, being handed to a
//! transport, delivered, or failed. A state machine, so a crash never loses a reply
//! nor sends it twice:
//!
//! `queued` → `sending` → `sent`, or back to `queued` with `last_error` to retry, or
//! `failed` after too many tries. A row left in `sending` by a crash becomes
//! `unknown`: it may have gone out, so it is never retried without the user saying so.
//! With no mail transport set, `sending` ends in `saved`: the `.eml` file is written
//! but nothing left the machine, until the user says it was sent (`mark-sent`).
//!
//! The reply is a message in the thread from the moment it is queued (the console shows
//! it with a countdown); undo deletes it and puts the ticket's ledger back as it was.
//! Its first try counts as the answer; once a try fails (or it is only saved, or in
//! doubt) it is *undelivered* ([`UNDELIVERED`]): the customer is waiting again, the
//! reply does not end their wait nor count in reports, until it is delivered.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};

use super::ingest::{restore_ledger, snapshot_ledger, LedgerSnapshot};
use super::ledger::{recompute_ledger, touch, write_event, UNDELIVERED};
use super::messages::insert_message;
use super::{from_ts, to_ts, Result, SqliteStore, StoreError};
use crate::model::{MessageId, NewMessage, TicketId};
use crate::store::api::*;
use crate::store::types::*;

/// A row that sat in `sending` this long was interrupted by a crash.
const STALE_SENDING_SECS: i64 = 600;

/// Named with `AS` (rows are read by name), from `outbox o JOIN messages m`.
const ENTRY_COLUMNS: &str = "o.id AS id, o.message_id AS message, m.ticket_id AS ticket, \
    o.state AS state, o.not_before AS not_before, o.attempts AS attempts, \
    o.last_error AS last_error, o.updated_at AS updated_at, m.message_id AS rfc_message_id";

/// One outbox row, selected with [`ENTRY_COLUMNS`].
fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: r.get("id")?,
        message: r.get("message")?,
        ticket: r.get("ticket")?,
        state: OutboxState::parse(&r.get::<_, String>("state")?),
        not_before: from_ts(r.get("not_before")?),
        attempts: r.get("attempts")?,
        last_error: r.get("last_error")?,
        updated_at: from_ts(r.get("updated_at")?),
        message_id: r.get("rfc_message_id")?,
    })
}

impl OutboxStore for SqliteStore {
    fn queue_outbound(
        &mut self,
        ticket: TicketId,
        message: &NewMessage,
        raw: &[u8],
        sha256: &str,
        not_before: DateTime<Utc>,
    ) -> Result<(MessageId, i64)> {
        let actor = self.actor.clone();
        let holder = self.draft_holder.clone();
        let tx = self.write()?;
        let snap = snapshot_ledger(&tx, ticket)?;
        let id = insert_message(&tx, ticket, message, &actor)?;
        super::drafts::clear_after_reply(&tx, ticket, holder.as_deref(), &message.body)?;
        let ledger = serde_json::to_string(&snap)
            .map_err(|e| StoreError::Invalid(format!("ledger snapshot: {e}")))?;
        tx.execute(
            "INSERT INTO outbox(message_id, state, not_before, attempts, raw, updated_at, ledger)
             VALUES (?1, 'queued', ?2, 0, ?3, ?4, ?5)",
            params![id, to_ts(not_before), raw, to_ts(Utc::now()), ledger],
        )?;
        let outbox_id = tx.last_insert_rowid();
        tx.execute(
            "INSERT INTO raw_messages(message_id, sha256, raw) VALUES (?1, ?2, ?3)",
            params![id, sha256, raw],
        )?;
        tx.commit()?;
        Ok((id, outbox_id))
    }

    fn cancel_outbound(&mut self, message: MessageId) -> Result<bool> {
        let actor = self.actor.clone();
        let holder = self.draft_holder.clone();
        let tx = self.write()?;
        let row: Option<(TicketId, Option<String>, String)> = tx
            .query_row(
                "SELECT m.ticket_id, o.ledger, m.body FROM outbox o JOIN messages m ON m.id = o.message_id
                 WHERE o.message_id = ?1 AND o.state = 'queued'",
                [message],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((ticket, ledger, body)) = row else {
            return Ok(false);
        };
        tx.execute("DELETE FROM search_index WHERE rowid = ?1", [message])?;
        tx.execute("DELETE FROM messages WHERE id = ?1", [message])?;
        if let Some(snap) = ledger.and_then(|l| serde_json::from_str::<LedgerSnapshot>(&l).ok()) {
            restore_ledger(&tx, ticket, &snap)?;
        }
        // The console that took it back writes it from now on.
        tx.execute(
            "INSERT INTO drafts(ticket_id, body, updated_at, owner) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(ticket_id) DO UPDATE SET body = excluded.body,
                 updated_at = excluded.updated_at, owner = excluded.owner",
            params![ticket, body, to_ts(Utc::now()), holder],
        )?;
        write_event(
            &tx,
            Some(ticket),
            &actor,
            "reply-undone",
            Some(&message.to_string()),
            None,
        )?;
        touch(&tx, ticket, Utc::now())?;
        tx.commit()?;
        Ok(true)
    }

    fn outbound_due(&mut self, scope: ClaimScope) -> Result<Vec<i64>> {
        let now = to_ts(Utc::now());
        let tx = self.write()?;
        let stale: Vec<i64> = {
            let mut stmt =
                tx.prepare("SELECT id FROM outbox WHERE state = 'sending' AND updated_at < ?1")?;
            let rows = stmt.query_map([now - STALE_SENDING_SECS], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for id in &stale {
            tx.execute(
                "UPDATE outbox SET state = 'unknown', updated_at = ?2,
                    last_error = coalesce(last_error, 'interrupted while sending; check your Sent folder')
                 WHERE id = ?1",
                params![id, now],
            )?;
            // In doubt is not delivered: the customer may still be waiting.
            settle_wait(&tx, *id)?;
        }
        let (filter, arg) = scope_filter(scope);
        let sql = format!(
            "SELECT o.id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE {filter} ORDER BY o.not_before, o.id"
        );
        let ids: Vec<i64> = {
            let mut stmt = tx.prepare(&sql)?;
            let rows = stmt.query_map([arg], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        tx.commit()?;
        Ok(ids)
    }

    fn claim_outbound(&mut self, outbox_id: i64, scope: ClaimScope) -> Result<Option<Claimed>> {
        let now = to_ts(Utc::now());
        let tx = self.write()?;
        let (filter, arg) = scope_filter(scope);
        let sql = format!(
            "SELECT o.id, o.message_id, m.ticket_id, o.raw, m.message_id, o.attempts
             FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE {filter} AND o.id = ?2"
        );
        let claimed = tx
            .query_row(&sql, params![arg, outbox_id], |r| {
                Ok(Claimed {
                    id: r.get(0)?,
                    message: r.get(1)?,
                    ticket: r.get(2)?,
                    raw: r.get::<_, Option<Vec<u8>>>(3)?.unwrap_or_default(),
                    message_id: r.get(4)?,
                    attempts: r.get(5)?,
                })
            })
            .optional()?;
        if let Some(c) = &claimed {
            tx.execute(
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = ?2 WHERE id = ?1",
                params![c.id, now],
            )?;
        }
        tx.commit()?;
        Ok(claimed)
    }

    fn resolve_outbound(&mut self, message: MessageId, resend: bool) -> Result<bool> {
        let actor = self.actor.clone();
        let now = to_ts(Utc::now());
        let tx = self.write()?;
        let outbox_id: Option<i64> = tx
            .query_row(
                "SELECT id FROM outbox WHERE message_id = ?1 AND state IN ('unknown', 'failed', 'saved')",
                [message],
                |r| r.get(0),
            )
            .optional()?;
        let Some(outbox_id) = outbox_id else {
            return Ok(false);
        };
        if resend {
            tx.execute(
                "UPDATE outbox SET state = 'queued', not_before = ?2, updated_at = ?2 WHERE id = ?1",
                params![outbox_id, now],
            )?;
            log_delivery(&tx, outbox_id, &actor, "resend-asked", None)?;
        } else {
            tx.execute(
                "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = ?2 WHERE id = ?1",
                params![outbox_id, now],
            )?;
            log_delivery(&tx, outbox_id, &actor, "marked-sent", None)?;
        }
        settle_wait(&tx, outbox_id)?;
        tx.commit()?;
        Ok(true)
    }

    fn outbox_attention(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state = 'unknown'), 0), coalesce(sum(state = 'failed'), 0)
             FROM outbox WHERE state IN ('unknown', 'failed')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn outbox_undelivered(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state IN ('queued', 'sending')), 0), coalesce(sum(state = 'saved'), 0)
             FROM outbox WHERE (state IN ('queued', 'sending') AND last_error IS NOT NULL)
                OR state = 'saved'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    fn tickets_with_undelivered_reply(&self) -> Result<std::collections::BTreeSet<TicketId>> {
        let sql = format!(
            "SELECT DISTINCT m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn mark_outbound_sent(&mut self, outbox_id: i64) -> Result<()> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        tx.execute(
            "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = ?2 WHERE id = ?1",
            params![outbox_id, to_ts(Utc::now())],
        )?;
        log_delivery(&tx, outbox_id, &actor, "delivered", None)?;
        settle_wait(&tx, outbox_id)?;
        tx.commit()?;
        Ok(())
    }

    fn mark_outbound_saved(&mut self, outbox_id: i64, place: &str) -> Result<()> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        tx.execute(
            "UPDATE outbox SET state = 'saved', last_error = ?3, updated_at = ?2 WHERE id = ?1",
            params![outbox_id, to_ts(Utc::now()), format!("saved as {place}")],
        )?;
        log_delivery(&tx, outbox_id, &actor, "saved-not-sent", Some(place))?;
        settle_wait(&tx, outbox_id)?;
        tx.commit()?;
        Ok(())
    }

    fn mark_outbound_failed(
        &mut self,
        outbox_id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let (state, not_before) = match retry_at {
            Some(at) => ("queued", Some(to_ts(at))),
            None => ("failed", None),
        };
        tx.execute(
            "UPDATE outbox SET state = ?2, last_error = ?3, updated_at = ?4,
                not_before = coalesce(?5, not_before)
             WHERE id = ?1",
            params![outbox_id, state, error, to_ts(Utc::now()), not_before],
        )?;
        log_delivery(&tx, outbox_id, &actor, "delivery-failed", Some(error))?;
        settle_wait(&tx, outbox_id)?;
        tx.commit()?;
        Ok(())
    }

    fn outbox_entries(&self, include_sent: bool) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE ?1 OR o.state != 'sent' ORDER BY o.not_before, o.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([include_sent], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn undelivered_replies(&self, ticket: TicketId) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE m.ticket_id = ?1 AND o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})
             ORDER BY o.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([ticket], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn outbox_entry(&self, message: MessageId) -> Result<Option<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.message_id = ?1"
        );
        Ok(self
            .conn
            .query_row(&sql, [message], entry_from_row)
            .optional()?)
    }
}

/// Re-derives the ticket's wait after its reply's delivery changed: an undelivered
/// reply gives the customer their wait back, a delivered one ends it.
fn settle_wait(conn: &Connection, outbox_id: i64) -> Result<()> {
    let ticket: TicketId = conn.query_row(
        "SELECT m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.id = ?1",
        [outbox_id],
        |r| r.get(0),
    )?;
    recompute_ledger(conn, ticket)
}

/// The `WHERE` condition (with `?1`) selecting what `scope` delivers.
fn scope_filter(scope: ClaimScope) -> (&'static str, i64) {
    match scope {
        ClaimScope::Due(at) => ("o.state = 'queued' AND o.not_before <= ?1", to_ts(at)),
        ClaimScope::AllQueued => ("o.state = 'queued' AND ?1 = ?1", 0),
        ClaimScope::Ticket(t) => (
            "o.state IN ('queued', 'failed', 'unknown') AND m.ticket_id = ?1",
            t,
        ),
        ClaimScope::Message(id) => ("o.state = 'queued' AND m.id = ?1", id),
    }
}

fn log_delivery(
    conn: &Connection,
    outbox_id: i64,
    actor: &str,
    kind: &str,
    detail: Option<&str>,
) -> Result<()> {
    let (ticket, message): (TicketId, MessageId) = conn.query_row(
        "SELECT m.ticket_id, m.id FROM outbox o JOIN messages m ON m.id = o.message_id WHERE o.id = ?1",
        [outbox_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    write_event(
        conn,
        Some(ticket),
        actor,
        kind,
        Some(&message.to_string()),
        detail,
    )
}
