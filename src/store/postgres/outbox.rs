//! The outbox state machine (SQLite's `outbox.rs`): queued -> sending -> sent /
//! failed / unknown / saved. A claim takes its row with `FOR UPDATE SKIP LOCKED`:
//! of two couriers (two consoles, a console and `outbox flush`) asking for the same
//! reply at once exactly one gets it, and the other moves on without waiting.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::{GenericClient, Row};
use serde::{Deserialize, Serialize};

use super::drafts::clear_after_reply;
use super::ledger::{lock_ticket, recompute_ledger, touch, write_event, UNDELIVERED};
use super::messages::insert_message;
use super::{from_ts, to_ts, PgStore, Result};
use crate::model::{MessageId, NewMessage, TicketId};
use crate::store::api::*;
use crate::store::types::*;
use crate::store::StoreError;

/// A reply left in `sending` for this long was interrupted (as in SQLite).
const STALE_SENDING_SECS: i64 = 600;

const ENTRY_COLUMNS: &str = "o.id, o.message_id AS message, m.ticket_id AS ticket, o.state, \
    o.not_before, o.attempts, o.last_error, o.updated_at, m.message_id AS rfc_message_id";

fn entry_from_row(r: &Row) -> OutboxEntry {
    OutboxEntry {
        id: r.get("id"),
        message: r.get("message"),
        ticket: r.get("ticket"),
        state: OutboxState::parse(r.get("state")),
        not_before: from_ts(r.get("not_before")),
        attempts: r.get("attempts"),
        last_error: r.get("last_error"),
        updated_at: from_ts(r.get("updated_at")),
        message_id: r.get("rfc_message_id"),
    }
}

/// The ticket's ledger as it was before a reply was queued, so undoing the reply
/// puts it back exactly (the same JSON SQLite keeps in `outbox.ledger`).
#[derive(Debug, Serialize, Deserialize)]
struct LedgerSnapshot {
    status: String,
    awaiting_reply_since: Option<i64>,
    first_response_at: Option<i64>,
}

fn snapshot_ledger(c: &mut impl GenericClient, ticket: TicketId) -> Result<LedgerSnapshot> {
    let r = c.query_one(
        "SELECT status, awaiting_reply_since, first_response_at FROM tickets WHERE id = $1",
        &[&ticket],
    )?;
    Ok(LedgerSnapshot {
        status: r.get(0),
        awaiting_reply_since: r.get(1),
        first_response_at: r.get(2),
    })
}

fn restore_ledger(c: &mut impl GenericClient, ticket: TicketId, s: &LedgerSnapshot) -> Result<()> {
    c.execute(
        "UPDATE tickets SET status = $2, awaiting_reply_since = $3, first_response_at = $4
         WHERE id = $1",
        &[
            &ticket,
            &s.status,
            &s.awaiting_reply_since,
            &s.first_response_at,
        ],
    )?;
    Ok(())
}

/// The ticket of an outbox row, whose ledger a delivery outcome changes.
fn settle_wait(c: &mut impl GenericClient, outbox_id: i64) -> Result<()> {
    let ticket: TicketId = c
        .query_one(
            "SELECT m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.id = $1",
            &[&outbox_id],
        )?
        .get(0);
    lock_ticket(c, ticket)?;
    recompute_ledger(c, ticket)
}

/// A delivery outcome in the ticket's audit log.
fn log_delivery(
    c: &mut impl GenericClient,
    outbox_id: i64,
    actor: &str,
    kind: &str,
    detail: Option<&str>,
) -> Result<()> {
    let r = c.query_one(
        "SELECT m.ticket_id, m.id FROM outbox o JOIN messages m ON m.id = o.message_id
         WHERE o.id = $1",
        &[&outbox_id],
    )?;
    let (ticket, message): (TicketId, MessageId) = (r.get(0), r.get(1));
    write_event(
        c,
        Some(ticket),
        actor,
        kind,
        Some(&message.to_string()),
        detail,
    )
}

/// Which rows a scope selects, with its one bound value as `$1`.
fn scope_filter(scope: ClaimScope) -> (&'static str, i64) {
    match scope {
        ClaimScope::Due(at) => ("o.state = 'queued' AND o.not_before <= $1", to_ts(at)),
        ClaimScope::AllQueued => ("o.state = 'queued' AND $1::BIGINT = $1", 0),
        ClaimScope::Ticket(t) => (
            "o.state IN ('queued', 'failed', 'unknown') AND m.ticket_id = $1",
            t,
        ),
        ClaimScope::Message(id) => ("o.state = 'queued' AND m.id = $1", id),
    }
}

impl OutboxStore for PgStore {
    fn queue_outbound(
        &mut self,
        ticket: TicketId,
        message: &NewMessage,
        raw: &[u8],
        sha256: &str,
        not_before: DateTime<Utc>,
    ) -> Result<(MessageId, i64)> {
        self.write(|tx, w| {
            lock_ticket(tx, ticket)?;
            let snap = snapshot_ledger(tx, ticket)?;
            let id = insert_message(tx, ticket, message, &w.actor)?;
            clear_after_reply(tx, ticket, w.holder.as_deref(), &message.body)?;
            let ledger = serde_json::to_string(&snap)
                .map_err(|e| StoreError::Invalid(format!("ledger snapshot: {e}")))?;
            let outbox_id: i64 = tx
                .query_one(
                    "INSERT INTO outbox(message_id, state, not_before, attempts, raw, updated_at, ledger)
                     VALUES ($1, 'queued', $2, 0, $3, $4, $5) RETURNING id",
                    &[&id, &to_ts(not_before), &raw, &to_ts(Utc::now()), &ledger],
                )?
                .get(0);
            tx.execute(
                "INSERT INTO raw_messages(message_id, sha256, raw) VALUES ($1, $2, $3)",
                &[&id, &sha256, &raw],
            )?;
            Ok((id, outbox_id))
        })
    }

    fn cancel_outbound(&mut self, message: MessageId) -> Result<bool> {
        self.write(|tx, w| {
            // The row lock keeps a courier from claiming the reply while it is undone.
            let row = tx.query_opt(
                "SELECT m.ticket_id, o.ledger, m.body FROM outbox o
                 JOIN messages m ON m.id = o.message_id
                 WHERE o.message_id = $1 AND o.state = 'queued' FOR UPDATE OF o",
                &[&message],
            )?;
            let Some(row) = row else {
                return Ok(false);
            };
            let (ticket, ledger, body): (TicketId, Option<String>, String) =
                (row.get(0), row.get(1), row.get(2));
            lock_ticket(tx, ticket)?;
            tx.execute("DELETE FROM messages WHERE id = $1", &[&message])?;
            if let Some(snap) = ledger.and_then(|l| serde_json::from_str::<LedgerSnapshot>(&l).ok())
            {
                restore_ledger(tx, ticket, &snap)?;
            }
            tx.execute(
                "INSERT INTO drafts(ticket_id, body, updated_at, owner) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (ticket_id) DO UPDATE SET body = excluded.body,
                     updated_at = excluded.updated_at, owner = excluded.owner",
                &[&ticket, &body, &to_ts(Utc::now()), &w.holder],
            )?;
            write_event(
                tx,
                Some(ticket),
                &w.actor,
                "reply-undone",
                Some(&message.to_string()),
                None,
            )?;
            touch(tx, ticket, Utc::now())?;
            Ok(true)
        })
    }

    fn outbound_due(&mut self, scope: ClaimScope) -> Result<Vec<i64>> {
        let now = to_ts(Utc::now());
        self.write(|tx, _| {
            let stale = tx.query(
                "SELECT id FROM outbox WHERE state = 'sending' AND updated_at < $1
                 ORDER BY id FOR UPDATE SKIP LOCKED",
                &[&(now - STALE_SENDING_SECS)],
            )?;
            for row in stale {
                let id: i64 = row.get(0);
                tx.execute(
                    "UPDATE outbox SET state = 'unknown', updated_at = $2,
                        last_error = coalesce(last_error,
                            'interrupted while sending; check your Sent folder')
                     WHERE id = $1",
                    &[&id, &now],
                )?;
                settle_wait(tx, id)?;
            }
            let (filter, arg) = scope_filter(scope);
            let sql = format!(
                "SELECT o.id FROM outbox o JOIN messages m ON m.id = o.message_id
                 WHERE {filter} ORDER BY o.not_before, o.id"
            );
            Ok(tx.query(&sql, &[&arg])?.iter().map(|r| r.get(0)).collect())
        })
    }

    fn claim_outbound(&mut self, outbox_id: i64, scope: ClaimScope) -> Result<Option<Claimed>> {
        let now = to_ts(Utc::now());
        let (filter, arg) = scope_filter(scope);
        let sql = format!(
            "SELECT o.id, o.message_id, m.ticket_id, o.raw, m.message_id, o.attempts
             FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE {filter} AND o.id = $2 FOR UPDATE OF o SKIP LOCKED"
        );
        self.write(|tx, _| {
            let params: [&(dyn ToSql + Sync); 2] = [&arg, &outbox_id];
            let claimed = tx.query_opt(&sql, &params)?.map(|r| Claimed {
                id: r.get(0),
                message: r.get(1),
                ticket: r.get(2),
                raw: r.get::<_, Option<Vec<u8>>>(3).unwrap_or_default(),
                message_id: r.get(4),
                attempts: r.get(5),
            });
            if let Some(c) = &claimed {
                tx.execute(
                    "UPDATE outbox SET state = 'sending', attempts = attempts + 1, updated_at = $2
                     WHERE id = $1",
                    &[&c.id, &now],
                )?;
            }
            Ok(claimed)
        })
    }

    fn resolve_outbound(&mut self, message: MessageId, resend: bool) -> Result<bool> {
        let now = to_ts(Utc::now());
        self.write(|tx, w| {
            let outbox_id: Option<i64> = tx
                .query_opt(
                    "SELECT id FROM outbox WHERE message_id = $1
                     AND state IN ('unknown', 'failed', 'saved') FOR UPDATE",
                    &[&message],
                )?
                .map(|r| r.get(0));
            let Some(outbox_id) = outbox_id else {
                return Ok(false);
            };
            if resend {
                tx.execute(
                    "UPDATE outbox SET state = 'queued', not_before = $2, updated_at = $2
                     WHERE id = $1",
                    &[&outbox_id, &now],
                )?;
                log_delivery(tx, outbox_id, &w.actor, "resend-asked", None)?;
            } else {
                tx.execute(
                    "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = $2
                     WHERE id = $1",
                    &[&outbox_id, &now],
                )?;
                log_delivery(tx, outbox_id, &w.actor, "marked-sent", None)?;
            }
            settle_wait(tx, outbox_id)?;
            Ok(true)
        })
    }

    fn outbox_attention(&self) -> Result<(i64, i64)> {
        self.read(|c| {
            let r = c.query_one(
                "SELECT count(*) FILTER (WHERE state = 'unknown'),
                        count(*) FILTER (WHERE state = 'failed')
                 FROM outbox WHERE state IN ('unknown', 'failed')",
                &[],
            )?;
            Ok((r.get(0), r.get(1)))
        })
    }

    fn outbox_undelivered(&self) -> Result<(i64, i64)> {
        self.read(|c| {
            let r = c.query_one(
                "SELECT count(*) FILTER (WHERE state IN ('queued', 'sending')),
                        count(*) FILTER (WHERE state = 'saved')
                 FROM outbox WHERE (state IN ('queued', 'sending') AND last_error IS NOT NULL)
                    OR state = 'saved'",
                &[],
            )?;
            Ok((r.get(0), r.get(1)))
        })
    }

    fn tickets_with_undelivered_reply(&self) -> Result<std::collections::BTreeSet<TicketId>> {
        let sql = format!(
            "SELECT DISTINCT m.ticket_id FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})"
        );
        self.read(|c| Ok(c.query(&sql, &[])?.iter().map(|r| r.get(0)).collect()))
    }

    fn mark_outbound_sent(&mut self, outbox_id: i64) -> Result<()> {
        self.write(|tx, w| {
            tx.execute(
                "UPDATE outbox SET state = 'sent', last_error = NULL, updated_at = $2 WHERE id = $1",
                &[&outbox_id, &to_ts(Utc::now())],
            )?;
            log_delivery(tx, outbox_id, &w.actor, "delivered", None)?;
            settle_wait(tx, outbox_id)
        })
    }

    fn mark_outbound_saved(&mut self, outbox_id: i64, place: &str) -> Result<()> {
        self.write(|tx, w| {
            tx.execute(
                "UPDATE outbox SET state = 'saved', last_error = $3, updated_at = $2 WHERE id = $1",
                &[&outbox_id, &to_ts(Utc::now()), &format!("saved as {place}")],
            )?;
            log_delivery(tx, outbox_id, &w.actor, "saved-not-sent", Some(place))?;
            settle_wait(tx, outbox_id)
        })
    }

    fn mark_outbound_failed(
        &mut self,
        outbox_id: i64,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let (state, not_before) = match retry_at {
            Some(at) => ("queued", Some(to_ts(at))),
            None => ("failed", None),
        };
        self.write(|tx, w| {
            tx.execute(
                "UPDATE outbox SET state = $2, last_error = $3, updated_at = $4,
                    not_before = coalesce($5, not_before)
                 WHERE id = $1",
                &[&outbox_id, &state, &error, &to_ts(Utc::now()), &not_before],
            )?;
            log_delivery(tx, outbox_id, &w.actor, "delivery-failed", Some(error))?;
            settle_wait(tx, outbox_id)
        })
    }

    fn outbox_entries(&self, include_sent: bool) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE $1 OR o.state != 'sent' ORDER BY o.not_before, o.id"
        );
        self.read(|c| {
            Ok(c.query(&sql, &[&include_sent])?
                .iter()
                .map(entry_from_row)
                .collect())
        })
    }

    fn undelivered_replies(&self, ticket: TicketId) -> Result<Vec<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE m.ticket_id = $1 AND o.id IN (SELECT id FROM outbox WHERE {UNDELIVERED})
             ORDER BY o.id"
        );
        self.read(|c| {
            Ok(c.query(&sql, &[&ticket])?
                .iter()
                .map(entry_from_row)
                .collect())
        })
    }

    fn outbox_entry(&self, message: MessageId) -> Result<Option<OutboxEntry>> {
        let sql = format!(
            "SELECT {ENTRY_COLUMNS} FROM outbox o JOIN messages m ON m.id = o.message_id
             WHERE o.message_id = $1"
        );
        self.read(|c| Ok(c.query_opt(&sql, &[&message])?.map(|r| entry_from_row(&r))))
    }
}
