//! A whole queue as one JSON document: the escape hatch from firstline, and the way
//! into a second backend. Export then import into an empty store loses nothing.

use chrono::Utc;
use rusqlite::params;

use super::{tags_to_col, to_ts, Result, SqliteStore, StoreError};
use crate::model::{normalize_subject, MessageId};
use crate::store::api::*;
use crate::store::types::*;

impl DumpStore for SqliteStore {
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
            import_positions: self.import_positions()?,
            canned,
            canned_uses,
            outbox: self.outbox_records()?,
        })
    }

    fn import_dump(&mut self, dump: &Dump) -> Result<()> {
        if dump.format > DUMP_FORMAT {
            return Err(StoreError::Invalid(format!(
                "dump format {} is newer than this firstline reads ({DUMP_FORMAT})",
                dump.format
            )));
        }
        let tx = self.write()?;
        let existing: i64 = tx.query_row("SELECT count(*) FROM tickets", [], |r| r.get(0))?;
        let customers: i64 = tx.query_row("SELECT count(*) FROM customers", [], |r| r.get(0))?;
        if existing + customers > 0 {
            return Err(StoreError::Invalid(format!(
                "import-json needs an empty database; this one has {existing} tickets (use --db with a new file)"
            )));
        }
        for c in &dump.customers {
            tx.execute(
                "INSERT INTO customers(id, name, phone, language, formality, notes, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    c.id,
                    c.name,
                    c.phone,
                    c.language.as_str(),
                    c.formality.as_str(),
                    c.notes,
                    to_ts(c.created_at)
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
                    "INSERT OR IGNORE INTO customer_addresses(kind, value, customer_id) VALUES (?1, ?2, ?3)",
                    params![kind, value, c.id],
                )?;
            }
        }
        for t in &dump.tickets {
            let esc = t.escalation.as_ref();
            tx.execute(
                "INSERT INTO tickets(id, subject, status, priority, channel, tags, assignee, customer_id,
                    created_at, updated_at, first_response_at, resolved_at, snoozed_until, escalated_to,
                    escalation_reason, escalated_at, awaiting_reply_since, unread, version, thread_subject)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,
                    ?20)",
                params![
                    t.id, t.subject, t.status.as_str(), t.priority.as_str(), t.channel.as_str(),
                    tags_to_col(&t.tags), t.assignee, t.customer_id, to_ts(t.created_at),
                    to_ts(t.updated_at), t.first_response_at.map(to_ts), t.resolved_at.map(to_ts),
                    t.snoozed_until.map(to_ts), esc.map(|e| &e.target), esc.map(|e| &e.reason),
                    esc.map(|e| to_ts(e.at)), t.awaiting_reply_since.map(to_ts), t.unread, t.version,
                    normalize_subject(&t.subject)
                ],
            )?;
        }
        for m in &dump.messages {
            let attachments = serde_json::to_string(&m.attachments)
                .map_err(|e| StoreError::Invalid(e.to_string()))?;
            tx.execute(
                "INSERT INTO messages(id, ticket_id, direction, author, body, html_body, sent_at,
                    message_id, in_reply_to, refs, attachments)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    m.id,
                    m.ticket_id,
                    m.direction.as_str(),
                    m.author,
                    m.body,
                    m.html_body,
                    to_ts(m.sent_at),
                    m.message_id,
                    m.in_reply_to,
                    m.references.join(" "),
                    attachments
                ],
            )?;
        }
        for t in &dump.tickets {
            super::messages::index_ticket_messages(&tx, t.id)?;
        }
        for d in &dump.drafts {
            tx.execute(
                "INSERT INTO drafts(ticket_id, body, updated_at) VALUES (?1, ?2, ?3)",
                params![d.ticket_id, d.body, to_ts(d.updated_at)],
            )?;
        }
        for e in &dump.events {
            tx.execute(
                "INSERT INTO events(id, ticket_id, at, actor, kind, old, new) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![e.id, e.ticket_id, to_ts(e.at), e.actor, e.kind, e.old, e.new],
            )?;
        }
        for f in &dump.followups {
            tx.execute(
                "INSERT INTO followups(id, ticket_id, kind, due_at, phrase, message_id, created_at, done_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    f.id,
                    f.ticket_id,
                    f.kind.as_str(),
                    to_ts(f.due_at),
                    f.phrase,
                    f.message_id,
                    to_ts(f.created_at),
                    f.done_at.map(to_ts)
                ],
            )?;
        }
        for p in &dump.import_positions {
            tx.execute(
                "INSERT INTO import_sources(source, position, updated_at) VALUES (?1, ?2, ?3)",
                params![p.source, p.position, to_ts(p.updated_at)],
            )?;
        }
        super::canned::import_canned(&tx, &dump.canned, &dump.canned_uses)?;
        for o in &dump.outbox {
            tx.execute(
                "INSERT INTO outbox(id, message_id, state, not_before, attempts, last_error, raw,
                    updated_at, ledger)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    o.id,
                    o.message,
                    o.state.as_str(),
                    to_ts(o.not_before),
                    o.attempts,
                    o.last_error,
                    o.raw,
                    to_ts(o.updated_at),
                    o.ledger
                ],
            )?;
        }
        // The dump's history may name ids that no row holds any more (a merged ticket,
        // an undone reply); they stay retired here too.
        tx.execute_batch(super::schema::RETIRE_AUDITED_IDS)?;
        tx.commit()?;
        Ok(())
    }

    fn raw_messages_after(&self, after: MessageId, limit: usize) -> Result<Vec<RawMessageRecord>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT message_id, sha256, raw FROM raw_messages WHERE message_id > ?1
             ORDER BY message_id LIMIT ?2",
        )?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt.query_map(params![after, limit], |r| {
            Ok(RawMessageRecord {
                message: r.get(0)?,
                sha256: r.get(1)?,
                raw: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn put_raw_messages(&mut self, page: &[RawMessageRecord]) -> Result<()> {
        let tx = self.write()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO raw_messages(message_id, sha256, raw) VALUES (?1, ?2, ?3)
                 ON CONFLICT(message_id) DO NOTHING",
            )?;
            for r in page {
                insert.execute(params![r.message, r.sha256, r.raw])?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl SqliteStore {
    /// Every outbox row, for the dump.
    fn outbox_records(&self) -> Result<Vec<OutboxRecord>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, message_id, state, not_before, attempts, last_error, raw, updated_at,
                    ledger
             FROM outbox ORDER BY id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(OutboxRecord {
                id: r.get(0)?,
                message: r.get(1)?,
                state: OutboxState::parse(&r.get::<_, String>(2)?),
                not_before: super::from_ts(r.get(3)?),
                attempts: r.get(4)?,
                last_error: r.get(5)?,
                raw: r.get(6)?,
                updated_at: super::from_ts(r.get(7)?),
                ledger: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Every import source's position, for the dump.
    fn import_positions(&self) -> Result<Vec<ImportPosition>> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, position, updated_at FROM import_sources ORDER BY source")?;
        let rows = stmt.query_map([], |r| {
            Ok(ImportPosition {
                source: r.get(0)?,
                position: r.get(1)?,
                updated_at: super::from_ts(r.get(2)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An export written before dumps carried follow-ups has no `followups` key; it
    /// must still load, with none.
    #[test]
    fn an_export_without_followups_still_loads() {
        use crate::model::{Channel, NewCustomer, NewMessage, NewTicket, Priority, Status};
        let mut source = SqliteStore::open_in_memory().unwrap();
        source
            .create_ticket(&NewTicket {
                subject: "Login".into(),
                customer: NewCustomer {
                    email: Some("ann@example.com".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    body: "cannot log in".into(),
                    ..Default::default()
                },
            })
            .unwrap();
        let mut value = serde_json::to_value(source.export().unwrap()).unwrap();
        value.as_object_mut().unwrap().remove("followups");
        let old: Dump = serde_json::from_value(value).unwrap();
        assert!(old.followups.is_empty());
        assert!(old.import_positions.is_empty());
        let mut target = SqliteStore::open_in_memory().unwrap();
        target.import_dump(&old).unwrap();
        assert_eq!(target.tickets().unwrap(), source.tickets().unwrap());
    }
}
