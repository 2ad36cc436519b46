//! The whole queue as one document (SQLite's `dump.rs`): export, and loading into
//! an empty database with every id kept, in one transaction.

use chrono::Utc;

use super::ledger::tags_to_col;
use super::messages::index_ticket_messages;
use super::{to_ts, PgStore, Result};
use crate::model::{normalize_subject, MessageId};
use crate::store::api::*;
use crate::store::types::*;
use crate::store::StoreError;

/// Moves every id counter past the ids the rows and the audit log name, so an id a
/// merged ticket or an undone reply had is never handed out again (SQLite's
/// `RETIRE_AUDITED_IDS`).
const RETIRE_AUDITED_IDS: &str = "
SELECT setval(pg_get_serial_sequence('customers', 'id'),
    GREATEST(1, (SELECT coalesce(max(id), 0) FROM customers)));
SELECT setval(pg_get_serial_sequence('tickets', 'id'), GREATEST(1,
    (SELECT coalesce(max(id), 0) FROM tickets),
    (SELECT coalesce(max(ticket_id), 0) FROM events)));
SELECT setval(pg_get_serial_sequence('messages', 'id'), GREATEST(1,
    (SELECT coalesce(max(id), 0) FROM messages),
    (SELECT coalesce(max(CAST(old AS BIGINT)), 0) FROM events
        WHERE kind = 'reply-undone' AND old ~ '^[0-9]+$')));
SELECT setval(pg_get_serial_sequence('events', 'id'),
    GREATEST(1, (SELECT coalesce(max(id), 0) FROM events)));
SELECT setval(pg_get_serial_sequence('followups', 'id'),
    GREATEST(1, (SELECT coalesce(max(id), 0) FROM followups)));
SELECT setval(pg_get_serial_sequence('outbox', 'id'),
    GREATEST(1, (SELECT coalesce(max(id), 0) FROM outbox)));
SELECT setval(pg_get_serial_sequence('canned_responses', 'id'),
    GREATEST(1, (SELECT coalesce(max(id), 0) FROM canned_responses)));
";

impl DumpStore for PgStore {
    fn export(&self) -> Result<Dump> {
        let tickets = self.tickets()?;
        let mut messages = Vec::new();
        for t in &tickets {
            messages.extend(self.messages(t.id)?);
        }
        let (canned, canned_uses) = self.canned_export()?;
        Ok(Dump {
            format: DUMP_FORMAT,
            exported_at: Utc::now(),
            customers: self.customers()?,
            tickets,
            messages,
            drafts: self.drafts()?,
            events: self.events(None)?,
            followups: self.followups(false, None)?,
            import_positions: self.read(|c| {
                Ok(c.query(
                    "SELECT source, position, updated_at FROM import_sources ORDER BY source",
                    &[],
                )?
                .iter()
                .map(|r| ImportPosition {
                    source: r.get(0),
                    position: r.get(1),
                    updated_at: super::from_ts(r.get(2)),
                })
                .collect())
            })?,
            canned,
            canned_uses,
            outbox: self.read(|c| {
                Ok(c.query(
                    "SELECT id, message_id, state, not_before, attempts, last_error, raw,
                            updated_at, ledger
                     FROM outbox ORDER BY id",
                    &[],
                )?
                .iter()
                .map(|r| OutboxRecord {
                    id: r.get(0),
                    message: r.get(1),
                    state: OutboxState::parse(r.get(2)),
                    not_before: super::from_ts(r.get(3)),
                    attempts: r.get(4),
                    last_error: r.get(5),
                    raw: r.get(6),
                    updated_at: super::from_ts(r.get(7)),
                    ledger: r.get(8),
                })
                .collect())
            })?,
        })
    }

    fn import_dump(&mut self, dump: &Dump) -> Result<()> {
        if dump.format > DUMP_FORMAT {
            return Err(StoreError::Invalid(format!(
                "dump format {} is newer than this firstline reads ({DUMP_FORMAT})",
                dump.format
            )));
        }
        self.write(|tx, _| {
            // No one else may load into it at the same time.
            tx.batch_execute("LOCK TABLE customers, tickets IN EXCLUSIVE MODE")?;
            let existing: i64 = tx.query_one("SELECT count(*) FROM tickets", &[])?.get(0);
            let customers: i64 = tx.query_one("SELECT count(*) FROM customers", &[])?.get(0);
            if existing + customers > 0 {
                return Err(StoreError::Invalid(format!(
                    "import-json needs an empty database; this one has {existing} tickets \
                     (use --db with a new one)"
                )));
            }
            for c in &dump.customers {
                tx.execute(
                    "INSERT INTO customers(id, name, phone, language, formality, notes, created_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[
                        &c.id,
                        &c.name,
                        &c.phone,
                        &c.language.as_str(),
                        &c.formality.as_str(),
                        &c.notes,
                        &to_ts(c.created_at),
                    ],
                )?;
                let addresses = c
                    .emails
                    .iter()
                    .map(|e| ("email", e))
                    .chain(c.handles.iter().map(|h| ("handle", h)))
                    .chain(c.phone.iter().map(|p| ("phone", p)));
                for (kind, value) in addresses {
                    tx.execute(
                        "INSERT INTO customer_addresses(kind, value, customer_id) VALUES ($1, $2, $3)
                         ON CONFLICT DO NOTHING",
                        &[&kind, value, &c.id],
                    )?;
                }
            }
            for t in &dump.tickets {
                let esc = t.escalation.as_ref();
                tx.execute(
                    "INSERT INTO tickets(id, subject, status, priority, channel, tags, assignee,
                        customer_id, created_at, updated_at, first_response_at, resolved_at,
                        snoozed_until, escalated_to, escalation_reason, escalated_at,
                        awaiting_reply_since, unread, version, thread_subject)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15,
                        $16, $17, $18, $19, $20)",
                    &[
                        &t.id,
                        &t.subject,
                        &t.status.as_str(),
                        &t.priority.as_str(),
                        &t.channel.as_str(),
                        &tags_to_col(&t.tags),
                        &t.assignee,
                        &t.customer_id,
                        &to_ts(t.created_at),
                        &to_ts(t.updated_at),
                        &t.first_response_at.map(to_ts),
                        &t.resolved_at.map(to_ts),
                        &t.snoozed_until.map(to_ts),
                        &esc.map(|e| e.target.clone()),
                        &esc.map(|e| e.reason.clone()),
                        &esc.map(|e| to_ts(e.at)),
                        &t.awaiting_reply_since.map(to_ts),
                        &t.unread,
                        &t.version,
                        &normalize_subject(&t.subject),
                    ],
                )?;
            }
            for m in &dump.messages {
                let attachments = serde_json::to_string(&m.attachments)
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                tx.execute(
                    "INSERT INTO messages(id, ticket_id, direction, author, body, html_body,
                        sent_at, message_id, in_reply_to, refs, attachments)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                    &[
                        &m.id,
                        &m.ticket_id,
                        &m.direction.as_str(),
                        &m.author,
                        &m.body,
                        &m.html_body,
                        &to_ts(m.sent_at),
                        &m.message_id,
                        &m.in_reply_to,
                        &m.references.join(" "),
                        &attachments,
                    ],
                )?;
            }
            for t in &dump.tickets {
                index_ticket_messages(tx, t.id)?;
            }
            for d in &dump.drafts {
                tx.execute(
                    "INSERT INTO drafts(ticket_id, body, updated_at) VALUES ($1, $2, $3)",
                    &[&d.ticket_id, &d.body, &to_ts(d.updated_at)],
                )?;
            }
            for e in &dump.events {
                tx.execute(
                    "INSERT INTO events(id, ticket_id, at, actor, kind, old, new)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    &[&e.id, &e.ticket_id, &to_ts(e.at), &e.actor, &e.kind, &e.old, &e.new],
                )?;
            }
            for f in &dump.followups {
                tx.execute(
                    "INSERT INTO followups(id, ticket_id, kind, due_at, phrase, message_id,
                        created_at, done_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    &[
                        &f.id,
                        &f.ticket_id,
                        &f.kind.as_str(),
                        &to_ts(f.due_at),
                        &f.phrase,
                        &f.message_id,
                        &to_ts(f.created_at),
                        &f.done_at.map(to_ts),
                    ],
                )?;
            }
            for p in &dump.import_positions {
                tx.execute(
                    "INSERT INTO import_sources(source, position, updated_at) VALUES ($1, $2, $3)",
                    &[&p.source, &p.position, &to_ts(p.updated_at)],
                )?;
            }
            super::canned::import_canned(tx, &dump.canned, &dump.canned_uses)?;
            for o in &dump.outbox {
                tx.execute(
                    "INSERT INTO outbox(id, message_id, state, not_before, attempts, last_error,
                        raw, updated_at, ledger)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    &[
                        &o.id,
                        &o.message,
                        &o.state.as_str(),
                        &to_ts(o.not_before),
                        &o.attempts,
                        &o.last_error,
                        &o.raw,
                        &to_ts(o.updated_at),
                        &o.ledger,
                    ],
                )?;
            }
            tx.batch_execute(RETIRE_AUDITED_IDS)?;
            Ok(())
        })
    }

    fn raw_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<RawMessageRecord>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|c| {
            Ok(c.query(
                "SELECT message_id, sha256, raw FROM raw_messages WHERE message_id > $1
                 ORDER BY message_id LIMIT $2",
                &[&after, &limit],
            )?
            .iter()
            .map(|r| RawMessageRecord {
                message: r.get(0),
                sha256: r.get(1),
                raw: r.get(2),
            })
            .collect())
        })
    }

    fn put_raw_messages(&mut self, page: &[RawMessageRecord]) -> Result<()> {
        self.write(|tx, _| {
            for r in page {
                tx.execute(
                    "INSERT INTO raw_messages(message_id, sha256, raw) VALUES ($1, $2, $3)
                     ON CONFLICT (message_id) DO NOTHING",
                    &[&r.message, &r.sha256, &r.raw],
                )?;
            }
            Ok(())
        })
    }
}
