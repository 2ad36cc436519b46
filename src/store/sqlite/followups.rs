//! Follow-ups: things we owe a customer at a time — a promise read from a sent reply
//! ("by Friday") or one set by hand. The SLA module decides what is due; this file
//! only keeps the rows.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Row};

use super::ledger::write_event;
use super::{from_ts, opt_ts, to_ts, Result, SqliteStore, StoreError};
use crate::model::{Direction, Message, MessageId, TicketId};
use crate::store::api::*;
use crate::store::types::*;

/// A stored follow-up kind; an unknown one means a foreign or damaged file.
fn kind_from_column(idx: usize, text: &str) -> rusqlite::Result<FollowupKind> {
    match text {
        "promise" => Ok(FollowupKind::Promise),
        "manual" => Ok(FollowupKind::Manual),
        other => Err(rusqlite::Error::FromSqlConversionFailure(
            idx,
            rusqlite::types::Type::Text,
            format!("unknown follow-up kind '{other}'").into(),
        )),
    }
}

const COLUMNS: &str = "id, ticket_id, kind, due_at, phrase, message_id, created_at, done_at";

fn from_row(r: &Row<'_>) -> rusqlite::Result<Followup> {
    Ok(Followup {
        id: r.get(0)?,
        ticket_id: r.get(1)?,
        kind: kind_from_column(2, &r.get::<_, String>(2)?)?,
        due_at: from_ts(r.get(3)?),
        phrase: r.get(4)?,
        message_id: r.get(5)?,
        created_at: from_ts(r.get(6)?),
        done_at: opt_ts(r.get(7)?),
    })
}

impl FollowupStore for SqliteStore {
    fn create_followup(&mut self, new: &NewFollowup) -> Result<Option<i64>> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let exists: bool = tx
            .query_row(
                "SELECT 1 FROM tickets WHERE id = ?1",
                [new.ticket_id],
                |_| Ok(true),
            )
            .optional()?
            .unwrap_or(false);
        if !exists {
            return Err(StoreError::NotFound {
                what: "ticket",
                id: new.ticket_id,
            });
        }
        let inserted = tx.execute(
            "INSERT INTO followups(ticket_id, kind, due_at, phrase, message_id, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT DO NOTHING",
            params![
                new.ticket_id,
                new.kind.as_str(),
                to_ts(new.due_at),
                new.phrase,
                new.message_id,
                to_ts(Utc::now())
            ],
        )?;
        if inserted == 0 {
            return Ok(None);
        }
        let id = tx.last_insert_rowid();
        write_event(
            &tx,
            Some(new.ticket_id),
            &actor,
            "followup",
            None,
            Some(&format!("{} {}", new.due_at.to_rfc3339(), new.phrase)),
        )?;
        tx.commit()?;
        Ok(Some(id))
    }

    fn followups(&self, open_only: bool, ticket: Option<TicketId>) -> Result<Vec<Followup>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM followups
             WHERE (?1 = 0 OR done_at IS NULL) AND (?2 IS NULL OR ticket_id = ?2)
             ORDER BY due_at, id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params![open_only, ticket], from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn open_followups_due_by(&self, due_by: DateTime<Utc>) -> Result<Vec<Followup>> {
        let resolved: Vec<&str> = crate::model::Status::ALL
            .iter()
            .filter(|s| s.is_resolved())
            .map(|s| s.as_str())
            .collect();
        let placeholders = vec!["?"; resolved.len()].join(", ");
        let columns = COLUMNS
            .split(", ")
            .map(|c| format!("f.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT {columns} FROM followups f JOIN tickets t ON t.id = f.ticket_id
             WHERE f.done_at IS NULL AND f.due_at <= ?
               AND (f.kind = ? OR t.status NOT IN ({placeholders}))
             ORDER BY f.due_at, f.id"
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let mut values: Vec<rusqlite::types::Value> = vec![
            to_ts(due_by).into(),
            FollowupKind::Manual.as_str().to_string().into(),
        ];
        values.extend(
            resolved
                .iter()
                .map(|s| rusqlite::types::Value::from(s.to_string())),
        );
        let rows = stmt.query_map(rusqlite::params_from_iter(values), from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn complete_followup(&mut self, id: i64) -> Result<Followup> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let sql = format!("SELECT {COLUMNS} FROM followups WHERE id = ?1");
        let f = tx
            .query_row(&sql, [id], from_row)
            .optional()?
            .ok_or(StoreError::NotFound {
                what: "follow-up",
                id,
            })?;
        let now = Utc::now();
        tx.execute(
            "UPDATE followups SET done_at = coalesce(done_at, ?2) WHERE id = ?1",
            params![id, to_ts(now)],
        )?;
        write_event(
            &tx,
            Some(f.ticket_id),
            &actor,
            "followup-done",
            None,
            Some(&f.phrase),
        )?;
        tx.commit()?;
        Ok(Followup {
            done_at: f.done_at.or(Some(now)),
            ..f
        })
    }

    fn outbound_scan_floor(&self, since: DateTime<Utc>) -> Result<MessageId> {
        let first_recent: Option<MessageId> = self.conn.query_row(
            "SELECT min(id) FROM messages WHERE direction = ?1 AND sent_at >= ?2",
            params![Direction::Outbound.as_str(), to_ts(since)],
            |r| r.get(0),
        )?;
        Ok(match first_recent {
            Some(id) => id - 1,
            None => self
                .conn
                .query_row("SELECT coalesce(max(id), 0) FROM messages", [], |r| {
                    r.get(0)
                })?,
        })
    }

    fn outbound_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<Message>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, ticket_id FROM messages WHERE id > ?1 AND direction = ?2 ORDER BY id LIMIT ?3",
        )?;
        let ids: Vec<(MessageId, TicketId)> = stmt
            .query_map(
                params![after, Direction::Outbound.as_str(), limit as i64],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?
            .collect::<rusqlite::Result<_>>()?;
        let wanted: std::collections::HashSet<MessageId> = ids.iter().map(|(id, _)| *id).collect();
        let mut tickets: Vec<TicketId> = ids.iter().map(|(_, t)| *t).collect();
        tickets.sort_unstable();
        tickets.dedup();
        let mut out = Vec::with_capacity(ids.len());
        for ticket in tickets {
            out.extend(
                self.messages(ticket)?
                    .into_iter()
                    .filter(|m| wanted.contains(&m.id)),
            );
        }
        out.sort_by_key(|m| m.id);
        Ok(out)
    }
}
