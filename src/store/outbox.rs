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
use serde::{Deserialize, Serialize};

use super::ingest::{restore_ledger, snapshot_ledger, LedgerSnapshot};
use super::messages::insert_message;
use super::tickets::{recompute_ledger, touch, write_event};
use super::{from_ts, to_ts, Result, Store, StoreError};
use crate::model::{MessageId, NewMessage, TicketId};

/// A row that sat in `sending` this long was interrupted by a crash.
const STALE_SENDING_SECS: i64 = 600;

/// The outbox rows (columns of `outbox`, unqualified) whose reply has not reached the
/// customer and is no longer on its first try: it does not answer them. One
/// definition for the ledger ([`super::tickets::recompute_ledger`]), the thread's
/// marker and the report.
pub(crate) const UNDELIVERED: &str = "(state IN ('failed', 'unknown', 'saved')
    OR (state IN ('queued', 'sending') AND last_error IS NOT NULL))";

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

    fn parse(text: &str) -> OutboxState {
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

const ENTRY_COLUMNS: &str = "o.id, o.message_id, m.ticket_id, o.state, o.not_before, o.attempts,
    o.last_error, o.updated_at, m.message_id";

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxEntry> {
    Ok(OutboxEntry {
        id: r.get(0)?,
        message: r.get(1)?,
        ticket: r.get(2)?,
        state: OutboxState::parse(&r.get::<_, String>(3)?),
        not_before: from_ts(r.get(4)?),
        attempts: r.get(5)?,
        last_error: r.get(6)?,
        updated_at: from_ts(r.get(7)?),
        message_id: r.get(8)?,
    })
}

impl Store {
    /// Records an outbound reply and queues its RFC 5322 bytes for delivery at
    /// `not_before`, in one transaction. The draft goes: the reply is in the thread now.
    pub fn queue_outbound(
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
        super::drafts::clear_after_reply(&tx, ticket, holder.as_deref())?;
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

    /// Undoes a queued reply: deletes it from the thread, puts its text back as the
    /// draft and the ticket's ledger as it was. `false` when it is no longer queued
    /// (already sending or sent) or was never in the outbox.
    pub fn cancel_outbound(&mut self, message: MessageId) -> Result<bool> {
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

    /// The outbox ids of the replies `scope` selects, in delivery order; nothing is
    /// claimed yet (see [`Store::claim_outbound`]). Rows a crash left in `sending`
    /// become `unknown` first.
    pub fn outbound_due(&mut self, scope: ClaimScope) -> Result<Vec<i64>> {
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

    /// Marks one reply `sending` and returns its bytes, if `scope` still selects it
    /// (it was not undone, claimed by another process or delivered meanwhile). One
    /// at a time, just before its delivery, so quitting mid-round strands nothing:
    /// the replies not yet handed over are still plain `queued`.
    pub fn claim_outbound(&mut self, outbox_id: i64, scope: ClaimScope) -> Result<Option<Claimed>> {
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

    /// Settles a reply in doubt (`unknown`), given up on (`failed`) or only saved
    /// (`saved`): send it again now, or record that it did go out. `false` when the
    /// message is in none of these states.
    pub fn resolve_outbound(&mut self, message: MessageId, resend: bool) -> Result<bool> {
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

    /// How many replies wait for the user: (in doubt, given up on). The status bar
    /// shows them so a reply that may not have gone out is never silent.
    pub fn outbox_attention(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state = 'unknown'), 0), coalesce(sum(state = 'failed'), 0)
             FROM outbox WHERE state IN ('unknown', 'failed')",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// Replies that have not reached the customer and are not in doubt or given up
    /// on: (failing and retrying, saved as a file for the user to send). The status bar
    /// keeps them in view until they are delivered, marked sent or taken back.
    pub fn outbox_undelivered(&self) -> Result<(i64, i64)> {
        Ok(self.conn.query_row(
            "SELECT coalesce(sum(state IN ('queued', 'sending')), 0), coalesce(sum(state = 'saved'), 0)
             FROM outbox WHERE (state IN ('queued', 'sending') AND last_error IS NOT NULL)
                OR state = 'saved'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?)
    }

    /// The tickets with a reply not delivered ([`UNDELIVERED`]): the inbox says so on
    /// their rows, since they are back in Needs reply for that reason.
    pub fn tickets_with_undelivered_reply(&self) -> Result<std::collections::BTreeSet<TicketId>> {
        let sql = format!(
            "SELECT DISTINCT m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The transport accepted the reply.
    pub fn mark_outbound_sent(&mut self, outbox_id: i64) -> Result<()> {
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

    /// No transport is set: the reply was written to `place` (an `.eml` file) for the
    /// user to send. It stays undelivered, and the customer waiting, until
    /// [`Store::resolve_outbound`] records that it went out.
    pub fn mark_outbound_saved(&mut self, outbox_id: i64, place: &str) -> Result<()> {
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

    /// The transport refused or failed: back to `queued` until `retry_at`, or
    /// `failed` when `retry_at` is `None` (too many tries).
    pub fn mark_outbound_failed(
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

    /// Replies in the outbox, oldest first; sent ones only when asked.
    pub fn outbox_entries(&self, include_sent: bool) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE ?1 OR o.state != 'sent' ORDER BY o.not_before, o.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([include_sent], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A ticket's replies that have not reached the customer ([`UNDELIVERED`]), with
    /// their outbox rows: the thread marks them so none passes for an answer.
    pub fn undelivered_replies(&self, ticket: TicketId) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE m.ticket_id = ?1 AND o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})
             ORDER BY o.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([ticket], entry_from_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The outbox row of one message (the console's countdown reads this).
    pub fn outbox_entry(&self, message: MessageId) -> Result<Option<OutboxEntry>> {
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
