//! All SQL of intake: deciding whether an incoming message is new, which ticket it
//! threads into, opening tickets for new conversations, keeping the raw bytes for
//! re-parsing, and recording how far an import got so a killed one resumes.
//!
//! Importers in `crate::mail` parse and hand over [`IngestMessage`]s in batches; this
//! module knows nothing of MIME or chat formats. One batch is one transaction (or one
//! savepoint inside a dry run), and every message in it has its own savepoint, so one
//! message the database refuses never takes the rest of the batch with it.

use chrono::{DateTime, Utc};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use super::customers::upsert;
use super::ledger::{load_ticket, recompute_ledger, write_event};
use super::messages::insert_message;
use super::{to_ts, Result, SqliteStore, StoreError};
use crate::model::{
    normalize_subject, CustomerId, Direction, Formality, Language, MessageId, NewCustomer, TicketId,
};
use crate::store::api::*;
use crate::store::types::*;

impl IngestStore for SqliteStore {
    fn ingest_batch(
        &mut self,
        items: &[IngestMessage],
        progress: Option<&SourceProgress>,
    ) -> Result<Vec<std::result::Result<IngestOutcome, StoreError>>> {
        let actor = self.actor.clone();
        let run = |conn: &Connection| -> Result<Vec<_>> {
            let outcomes = ingest_items(conn, items, &actor)?;
            if let Some(p) = progress {
                save_progress(conn, p)?;
            }
            Ok(outcomes)
        };
        if self.conn.is_autocommit() {
            let tx = self.write()?;
            let out = run(&tx)?;
            tx.commit()?;
            Ok(out)
        } else {
            // Inside a dry run: the outer transaction is rolled back at the end.
            run(&self.conn)
        }
    }

    fn import_progress(&self, source: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .prepare_cached("SELECT position FROM import_sources WHERE source = ?1")?
            .query_row([source], |r| r.get(0))
            .optional()?)
    }

    fn set_import_progress(&mut self, progress: &SourceProgress) -> Result<()> {
        if self.conn.is_autocommit() {
            let tx = self.write()?;
            save_progress(&tx, progress)?;
            tx.commit()?;
        } else {
            save_progress(&self.conn, progress)?;
        }
        Ok(())
    }

    fn has_raw(&self, sha256: &str) -> Result<bool> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM raw_messages WHERE sha256 = ?1 LIMIT 1")?
            .query_row([sha256], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn raw_message(&self, message: MessageId) -> Result<Option<Vec<u8>>> {
        Ok(self
            .conn
            .prepare_cached("SELECT raw FROM raw_messages WHERE message_id = ?1")?
            .query_row([message], |r| r.get(0))
            .optional()?)
    }
}

impl SqliteStore {
    /// Opens the transaction a dry run works in; [`Store::end_dry_run`] throws it away.
    /// Everything in between sees its own writes, so the report is exact.
    pub fn begin_dry_run(&mut self) -> Result<()> {
        self.conn.execute_batch("BEGIN IMMEDIATE")?;
        Ok(())
    }

    /// Rolls back everything since [`Store::begin_dry_run`].
    pub fn end_dry_run(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            self.conn.execute_batch("ROLLBACK")?;
        }
        Ok(())
    }
}

/// Stores `items` inside the caller's transaction; see [`Store::ingest_batch`].
pub(crate) fn ingest_items(
    conn: &Connection,
    items: &[IngestMessage],
    actor: &str,
) -> Result<Vec<std::result::Result<IngestOutcome, StoreError>>> {
    // Fast path: the whole batch under one savepoint. A savepoint per message
    // made FTS5 flush its pending terms to a new segment every message, and
    // merging those segments was half of import time.
    conn.execute_batch("SAVEPOINT ingest_batch")?;
    let fast: Result<Vec<IngestOutcome>> = items
        .iter()
        .map(|item| ingest_one(conn, item, actor))
        .collect();
    if let Ok(done) = fast {
        conn.execute_batch("RELEASE ingest_batch")?;
        return Ok(done.into_iter().map(Ok).collect());
    }
    // Something was refused: undo the batch and redo it message by message, so
    // the one bad message fails alone and the rest still commit.
    conn.execute_batch("ROLLBACK TO ingest_batch; RELEASE ingest_batch")?;
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        conn.execute_batch("SAVEPOINT ingest_item")?;
        match ingest_one(conn, item, actor) {
            Ok(o) => {
                conn.execute_batch("RELEASE ingest_item")?;
                outcomes.push(Ok(o));
            }
            Err(e) => {
                conn.execute_batch("ROLLBACK TO ingest_item; RELEASE ingest_item")?;
                outcomes.push(Err(e));
            }
        }
    }
    Ok(outcomes)
}

pub(crate) fn save_progress(conn: &Connection, p: &SourceProgress) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO import_sources(source, position, updated_at) VALUES (?1, ?2, ?3)
         ON CONFLICT(source) DO UPDATE SET position = excluded.position, updated_at = excluded.updated_at",
    )?
    .execute(
        params![p.source, p.position, to_ts(Utc::now())],
    )?;
    Ok(())
}

fn ingest_one(conn: &Connection, item: &IngestMessage, actor: &str) -> Result<IngestOutcome> {
    if let Some(mid) = item.message.message_id.as_deref() {
        if let Some(ticket) = ticket_of_message_id(conn, mid)? {
            return Ok(IngestOutcome::DuplicateMessageId { ticket });
        }
    }
    let seen_before: bool = conn
        .prepare_cached("SELECT 1 FROM raw_messages WHERE sha256 = ?1 LIMIT 1")?
        .query_row([&item.sha256], |_| Ok(()))
        .optional()?
        .is_some();
    if seen_before {
        return Ok(IngestOutcome::DuplicateContent);
    }
    let at = item.message.sent_at.unwrap_or_else(Utc::now);
    let mut message = item.message.clone();
    message.sent_at = Some(at);

    let existing = match item.ticket {
        Some(t) => {
            load_ticket(conn, t)?;
            Some(t)
        }
        None => find_thread(conn, item, at)?,
    };
    let (ticket, new_ticket) = match existing {
        Some(t) => (t, false),
        None => (open_ticket(conn, item, at, actor)?, true),
    };
    let latest_before: Option<i64> = conn
        .prepare_cached("SELECT max(sent_at) FROM messages WHERE ticket_id = ?1")?
        .query_row([ticket], |r| r.get(0))?;
    let id = insert_message(conn, ticket, &message, actor)?;
    let out_of_order = latest_before.is_some_and(|latest| to_ts(at) < latest);
    if out_of_order {
        recompute_ledger(conn, ticket)?;
    }
    if item.message.direction == Direction::Inbound {
        let customer = if new_ticket {
            Some(ticket_customer(conn, ticket)?)
        } else if has_key(&item.customer) {
            Some(upsert(conn, &item.customer)?)
        } else {
            None
        };
        if let (Some(c), Some((lang, formality))) = (customer, item.profile) {
            set_profile(conn, c, lang, formality)?;
        }
        if item.seen && !out_of_order {
            conn.execute("UPDATE tickets SET unread = 0 WHERE id = ?1", [ticket])?;
        }
    }
    conn.prepare_cached("INSERT INTO raw_messages(message_id, sha256, raw) VALUES (?1, ?2, ?3)")?
        .execute(params![id, item.sha256, item.raw])?;
    Ok(IngestOutcome::Added {
        ticket,
        message: id,
        new_ticket,
    })
}

fn has_key(c: &NewCustomer) -> bool {
    [&c.email, &c.handle, &c.phone]
        .iter()
        .any(|k| k.as_deref().is_some_and(|v| !v.trim().is_empty()))
}

fn ticket_of_message_id(conn: &Connection, mid: &str) -> Result<Option<TicketId>> {
    Ok(conn
        .prepare_cached("SELECT ticket_id FROM messages WHERE message_id = ?1")?
        .query_row([mid], |r| r.get(0))
        .optional()?)
}

/// Threading, strongest evidence first: the parent named in In-Reply-To, any message
/// named in References (nearest first), a reply to this message that arrived before
/// it, then the same normalised subject from the same customer close in time.
fn find_thread(
    conn: &Connection,
    item: &IngestMessage,
    at: DateTime<Utc>,
) -> Result<Option<TicketId>> {
    let m = &item.message;
    let parents = m
        .in_reply_to
        .iter()
        .chain(m.references.iter().rev())
        .filter(|id| Some(id.as_str()) != m.message_id.as_deref());
    for parent in parents {
        if let Some(t) = ticket_of_message_id(conn, parent)? {
            return Ok(Some(t));
        }
    }
    if let Some(mid) = m.message_id.as_deref() {
        let child: Option<TicketId> = conn
            .prepare_cached("SELECT ticket_id FROM messages WHERE in_reply_to = ?1 LIMIT 1")?
            .query_row([mid], |r| r.get(0))
            .optional()?;
        if child.is_some() {
            return Ok(child);
        }
    }
    let subject = normalize_subject(&item.subject);
    if subject.is_empty() {
        return Ok(None);
    }
    let Some(customer) = find_customer(conn, &item.customer)? else {
        return Ok(None);
    };
    let window = item.thread_window.num_seconds();
    let ts = to_ts(at);
    // created_at is the first message's time and updated_at never less than the last
    // one's, so the window is checked without reading the thread.
    let mut stmt = conn.prepare_cached(
        "SELECT id, created_at, updated_at FROM tickets
         WHERE customer_id = ?1 AND thread_subject = ?2 AND status != 'spam' AND channel = ?3
         ORDER BY updated_at DESC",
    )?;
    let rows = stmt.query_map(params![customer, subject, item.channel.as_str()], |r| {
        Ok((
            r.get::<_, TicketId>(0)?,
            r.get::<_, i64>(1)?,
            r.get::<_, i64>(2)?,
        ))
    })?;
    for row in rows {
        let (id, first, last) = row?;
        if ts >= first - window && ts <= last + window {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

/// The customer an address or handle already belongs to, without creating one.
fn find_customer(conn: &Connection, who: &NewCustomer) -> Result<Option<CustomerId>> {
    let keys = [
        ("email", who.email.as_ref().map(|e| e.trim().to_lowercase())),
        ("handle", who.handle.as_ref().map(|h| h.trim().to_string())),
    ];
    for (kind, value) in keys {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        let found: Option<CustomerId> = conn
            .prepare_cached(
                "SELECT customer_id FROM customer_addresses WHERE kind = ?1 AND value = ?2",
            )?
            .query_row(params![kind, value], |r| r.get(0))
            .optional()?;
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

fn ticket_customer(conn: &Connection, ticket: TicketId) -> Result<CustomerId> {
    Ok(conn
        .prepare_cached("SELECT customer_id FROM tickets WHERE id = ?1")?
        .query_row([ticket], |r| r.get(0))?)
}

/// Opens a ticket for a conversation we have not seen; its clock starts at the
/// message's own time, not at the import.
fn open_ticket(
    conn: &Connection,
    item: &IngestMessage,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<TicketId> {
    let customer_id = if has_key(&item.customer) || !item.customer.name.trim().is_empty() {
        upsert(conn, &item.customer)?
    } else {
        upsert(
            conn,
            &NewCustomer {
                name: "Unknown sender".into(),
                handle: Some("unknown-sender".into()),
                ..Default::default()
            },
        )?
    };
    let subject = match item.subject.trim() {
        "" => crate::model::NO_SUBJECT,
        s => s,
    };
    conn.prepare_cached(
        "INSERT INTO tickets(subject, status, priority, channel, tags, customer_id, created_at, updated_at,
            thread_subject)
         VALUES (?1, 'new', 'normal', ?2, '', ?3, ?4, ?4, ?5)",
    )?
    .execute(
        params![subject, item.channel.as_str(), customer_id, to_ts(at), normalize_subject(subject)],
    )?;
    let id = conn.last_insert_rowid();
    write_event(conn, Some(id), actor, "created", None, Some(subject))?;
    Ok(id)
}

/// Same rule as `Store::set_customer_profile`, inside the batch's transaction:
/// `Other`/`Unknown` never overwrite what we knew.
fn set_profile(
    conn: &Connection,
    customer: CustomerId,
    language: Language,
    formality: Formality,
) -> Result<()> {
    if language != Language::Other {
        conn.prepare_cached("UPDATE customers SET language = ?2 WHERE id = ?1")?
            .execute(params![customer, language.as_str()])?;
    }
    if formality != Formality::Unknown {
        conn.prepare_cached("UPDATE customers SET formality = ?2 WHERE id = ?1")?
            .execute(params![customer, formality.as_str()])?;
    }
    Ok(())
}

/// The ticket fields an undone reply must put back: a snapshot taken when it was
/// queued, stored as JSON on its outbox row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub(crate) struct LedgerSnapshot {
    pub status: String,
    pub awaiting_reply_since: Option<i64>,
    pub first_response_at: Option<i64>,
}

pub(crate) fn snapshot_ledger(conn: &Connection, ticket: TicketId) -> Result<LedgerSnapshot> {
    Ok(conn
        .prepare_cached(
            "SELECT status, awaiting_reply_since, first_response_at FROM tickets WHERE id = ?1",
        )?
        .query_row([ticket], |r| {
            Ok(LedgerSnapshot {
                status: r.get(0)?,
                awaiting_reply_since: r.get(1)?,
                first_response_at: r.get(2)?,
            })
        })?)
}

pub(crate) fn restore_ledger(
    conn: &Connection,
    ticket: TicketId,
    snap: &LedgerSnapshot,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET status = ?2, awaiting_reply_since = ?3, first_response_at = ?4 WHERE id = ?1",
    )?
    .execute(
        params![
            ticket,
            snap.status,
            snap.awaiting_reply_since,
            snap.first_response_at
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, NewMessage};

    fn mail(n: u32, subject: &str, email: &str) -> IngestMessage {
        IngestMessage {
            message: NewMessage {
                direction: Direction::Inbound,
                author: "Customer".into(),
                body: format!("message {n}"),
                sent_at: Some(Utc::now() - chrono::Duration::minutes(i64::from(100 - n))),
                message_id: Some(format!("<m{n}@example.com>")),
                ..Default::default()
            },
            subject: subject.into(),
            customer: NewCustomer {
                name: "Customer".into(),
                email: Some(email.into()),
                ..Default::default()
            },
            channel: Channel::Email,
            raw: format!("raw {n}").into_bytes(),
            sha256: format!("sha-{n}"),
            profile: None,
            seen: false,
            ticket: None,
            thread_window: chrono::Duration::days(30),
        }
    }

    #[test]
    fn one_refused_message_fails_alone_and_the_rest_of_its_batch_commits() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let mut refused = mail(2, "Lost", "b@example.com");
        refused.ticket = Some(9_999); // no such ticket
        let batch = [
            mail(1, "First", "a@example.com"),
            refused,
            mail(3, "Third", "c@example.com"),
        ];
        let out = store.ingest_batch(&batch, None).unwrap();
        assert!(matches!(out[0], Ok(IngestOutcome::Added { .. })));
        assert!(matches!(out[1], Err(StoreError::NotFound { .. })));
        assert!(matches!(out[2], Ok(IngestOutcome::Added { .. })));
        assert!(store.has_raw("sha-1").unwrap() && store.has_raw("sha-3").unwrap());
        assert!(
            !store.has_raw("sha-2").unwrap(),
            "nothing of the refused one stays"
        );
    }

    #[test]
    fn subject_threading_finds_the_right_ticket_among_many_of_one_sender() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let many: Vec<_> = (0..50)
            .map(|n| mail(n, &format!("Digest {n}"), "list@example.com"))
            .collect();
        store.ingest_batch(&many, None).unwrap();
        let mut reply = mail(77, "RE:  Digest   17", "list@example.com");
        reply.message.message_id = Some("<other@example.com>".into());
        let out = store.ingest_batch(&[reply], None).unwrap();
        let Ok(IngestOutcome::Added {
            ticket, new_ticket, ..
        }) = out[0]
        else {
            panic!("not added: {:?}", out[0]);
        };
        assert!(!new_ticket);
        assert_eq!(store.ticket(ticket).unwrap().subject, "Digest 17");
    }
}
