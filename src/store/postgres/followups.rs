//! Follow-ups (promises and reminders) and the sent replies the promise scan reads
//! (SQLite's `followups.rs`).

use chrono::{DateTime, Utc};
use postgres::Row;

use super::ledger::{lock_ticket, write_event};
use super::messages::{message_from_row, MESSAGE_COLUMNS};
use super::{from_ts, opt_ts, to_ts, PgStore, Result};
use crate::model::{Direction, Message, MessageId, Status, TicketId};
use crate::store::api::*;
use crate::store::types::*;
use crate::store::StoreError;

const COLUMNS: &str =
    "f.id, f.ticket_id, f.kind, f.due_at, f.phrase, f.message_id, f.created_at, f.done_at";

fn from_row(r: &Row) -> Result<Followup> {
    let kind = match r.get::<_, &str>("kind") {
        "promise" => FollowupKind::Promise,
        "manual" => FollowupKind::Manual,
        other => {
            return Err(StoreError::Database(format!(
                "unknown follow-up kind '{other}'"
            )))
        }
    };
    Ok(Followup {
        id: r.get("id"),
        ticket_id: r.get("ticket_id"),
        kind,
        due_at: from_ts(r.get("due_at")),
        phrase: r.get("phrase"),
        message_id: r.get("message_id"),
        created_at: from_ts(r.get("created_at")),
        done_at: opt_ts(r.get("done_at")),
    })
}

impl FollowupStore for PgStore {
    fn create_followup(&mut self, new: &NewFollowup) -> Result<Option<i64>> {
        self.write(|tx, w| {
            lock_ticket(tx, new.ticket_id)?;
            let id: Option<i64> = tx
                .query_opt(
                    "INSERT INTO followups(ticket_id, kind, due_at, phrase, message_id, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6)
                     ON CONFLICT DO NOTHING RETURNING id",
                    &[
                        &new.ticket_id,
                        &new.kind.as_str(),
                        &to_ts(new.due_at),
                        &new.phrase,
                        &new.message_id,
                        &to_ts(Utc::now()),
                    ],
                )?
                .map(|r| r.get(0));
            if id.is_some() {
                write_event(
                    tx,
                    Some(new.ticket_id),
                    &w.actor,
                    "followup",
                    None,
                    Some(&format!("{} {}", new.due_at.to_rfc3339(), new.phrase)),
                )?;
            }
            Ok(id)
        })
    }

    fn followups(&self, open_only: bool, ticket: Option<TicketId>) -> Result<Vec<Followup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM followups f
             WHERE (NOT $1 OR f.done_at IS NULL) AND ($2::BIGINT IS NULL OR f.ticket_id = $2)
             ORDER BY f.due_at, f.id"
        );
        self.read(|c| {
            c.query(&sql, &[&open_only, &ticket])?
                .iter()
                .map(from_row)
                .collect()
        })
    }

    fn open_followups_due_by(&self, due_by: DateTime<Utc>) -> Result<Vec<Followup>> {
        let resolved: Vec<String> = Status::ALL
            .iter()
            .filter(|s| s.is_resolved())
            .map(|s| s.as_str().to_string())
            .collect();
        let sql = format!(
            "SELECT {COLUMNS} FROM followups f JOIN tickets t ON t.id = f.ticket_id
             WHERE f.done_at IS NULL AND f.due_at <= $1
               AND (f.kind = $2 OR t.status != ALL($3))
             ORDER BY f.due_at, f.id"
        );
        self.read(|c| {
            c.query(
                &sql,
                &[&to_ts(due_by), &FollowupKind::Manual.as_str(), &resolved],
            )?
            .iter()
            .map(from_row)
            .collect()
        })
    }

    fn complete_followup(&mut self, id: i64) -> Result<Followup> {
        let sql = format!("SELECT {COLUMNS} FROM followups f WHERE f.id = $1 FOR UPDATE");
        self.write(|tx, w| {
            let f = match tx.query_opt(&sql, &[&id])? {
                Some(row) => from_row(&row)?,
                None => {
                    return Err(StoreError::NotFound {
                        what: "follow-up",
                        id,
                    })
                }
            };
            let now = Utc::now();
            tx.execute(
                "UPDATE followups SET done_at = coalesce(done_at, $2) WHERE id = $1",
                &[&id, &to_ts(now)],
            )?;
            write_event(
                tx,
                Some(f.ticket_id),
                &w.actor,
                "followup-done",
                None,
                Some(&f.phrase),
            )?;
            Ok(Followup {
                done_at: f.done_at.or(Some(now)),
                ..f
            })
        })
    }

    fn outbound_scan_floor(&self, since: DateTime<Utc>) -> Result<MessageId> {
        self.read(|c| {
            let first_recent: Option<MessageId> = c
                .query_one(
                    "SELECT min(id) FROM messages WHERE direction = $1 AND sent_at >= $2",
                    &[&Direction::Outbound.as_str(), &to_ts(since)],
                )?
                .get(0);
            Ok(match first_recent {
                Some(id) => id - 1,
                None => c
                    .query_one("SELECT coalesce(max(id), 0) FROM messages", &[])?
                    .get(0),
            })
        })
    }

    fn outbound_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let sql = format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.id > $1 AND m.direction = $2
             ORDER BY m.id LIMIT $3"
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            c.query(&sql, &[&after, &Direction::Outbound.as_str(), &limit])?
                .iter()
                .map(message_from_row)
                .collect()
        })
    }
}
