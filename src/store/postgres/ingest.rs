//! Intake: batches of incoming messages committed with their source's progress
//! (SQLite's `ingest.rs`: the same dedupe keys, threading and ledger rules). A batch
//! runs under one savepoint; when a message is refused, the batch is redone message
//! by message so only that one fails. Another importer storing the same message at
//! the same moment loses on the unique Message-ID and sees a duplicate on retry.

use chrono::{DateTime, Utc};
use postgres::GenericClient;

use super::customers::upsert;
use super::ledger::{lock_ticket, recompute_ledger, write_event};
use super::messages::insert_message;
use super::{to_ts, PgStore, Result};
use crate::model::{
    normalize_subject, CustomerId, Direction, Formality, Language, NewCustomer, TicketId,
};
use crate::store::api::*;
use crate::store::types::*;
use crate::store::StoreError;

type Outcomes = Vec<std::result::Result<IngestOutcome, StoreError>>;

impl IngestStore for PgStore {
    fn ingest_batch(
        &mut self,
        items: &[IngestMessage],
        progress: Option<&SourceProgress>,
    ) -> Result<Outcomes> {
        self.write(|tx, w| {
            let outcomes = ingest_items(tx, items, &w.actor)?;
            if let Some(p) = progress {
                save_progress(tx, p)?;
            }
            Ok(outcomes)
        })
    }

    fn import_progress(&self, source: &str) -> Result<Option<String>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT position FROM import_sources WHERE source = $1",
                &[&source],
            )?
            .map(|r| r.get(0)))
        })
    }

    fn set_import_progress(&mut self, progress: &SourceProgress) -> Result<()> {
        self.write(|tx, _| save_progress(tx, progress))
    }

    fn has_raw(&self, sha256: &str) -> Result<bool> {
        self.read(|c| seen_before(c, sha256))
    }

    fn raw_message(&self, message: crate::model::MessageId) -> Result<Option<Vec<u8>>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT raw FROM raw_messages WHERE message_id = $1",
                &[&message],
            )?
            .map(|r| r.get(0)))
        })
    }
}

fn seen_before(c: &mut impl GenericClient, sha256: &str) -> Result<bool> {
    Ok(c.query_opt(
        "SELECT 1 FROM raw_messages WHERE sha256 = $1 LIMIT 1",
        &[&sha256],
    )?
    .is_some())
}

/// Stores `items` inside the caller's transaction, one outcome per item.
pub(crate) fn ingest_items(
    tx: &mut postgres::Transaction<'_>,
    items: &[IngestMessage],
    actor: &str,
) -> Result<Outcomes> {
    let fast = {
        let mut batch = tx.transaction()?;
        let done: Result<Vec<IngestOutcome>> = items
            .iter()
            .map(|item| ingest_one(&mut batch, item, actor))
            .collect();
        match done {
            Ok(done) => {
                batch.commit()?;
                Some(done)
            }
            // Dropping the savepoint rolls it back.
            Err(_) => None,
        }
    };
    if let Some(done) = fast {
        return Ok(done.into_iter().map(Ok).collect());
    }
    let mut outcomes = Vec::with_capacity(items.len());
    for item in items {
        let mut one = tx.transaction()?;
        match ingest_one(&mut one, item, actor) {
            Ok(o) => {
                one.commit()?;
                outcomes.push(Ok(o));
            }
            Err(e) => outcomes.push(Err(e)),
        }
    }
    Ok(outcomes)
}

pub(crate) fn save_progress(c: &mut impl GenericClient, p: &SourceProgress) -> Result<()> {
    c.execute(
        "INSERT INTO import_sources(source, position, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (source) DO UPDATE SET position = excluded.position,
             updated_at = excluded.updated_at",
        &[&p.source, &p.position, &to_ts(Utc::now())],
    )?;
    Ok(())
}

pub(crate) fn ingest_one(
    c: &mut impl GenericClient,
    item: &IngestMessage,
    actor: &str,
) -> Result<IngestOutcome> {
    if let Some(mid) = item.message.message_id.as_deref() {
        if let Some(ticket) = ticket_of_message_id(c, mid)? {
            return Ok(IngestOutcome::DuplicateMessageId { ticket });
        }
    }
    if seen_before(c, &item.sha256)? {
        return Ok(IngestOutcome::DuplicateContent);
    }
    let at = item.message.sent_at.unwrap_or_else(Utc::now);
    let mut message = item.message.clone();
    message.sent_at = Some(at);

    let existing = match item.ticket {
        Some(t) => {
            lock_ticket(c, t)?;
            Some(t)
        }
        None => find_thread(c, item, at)?,
    };
    let (ticket, new_ticket) = match existing {
        Some(t) => (t, false),
        None => (open_ticket(c, item, at, actor)?, true),
    };
    let latest_before: Option<i64> = c
        .query_one(
            "SELECT max(sent_at) FROM messages WHERE ticket_id = $1",
            &[&ticket],
        )?
        .get(0);
    let id = insert_message(c, ticket, &message, actor)?;
    let out_of_order = latest_before.is_some_and(|latest| to_ts(at) < latest);
    if out_of_order {
        recompute_ledger(c, ticket)?;
    }
    if item.message.direction == Direction::Inbound {
        let customer = if new_ticket {
            Some(
                c.query_one("SELECT customer_id FROM tickets WHERE id = $1", &[&ticket])?
                    .get(0),
            )
        } else if has_key(&item.customer) {
            Some(upsert(c, &item.customer)?)
        } else {
            None
        };
        if let (Some(customer), Some((lang, formality))) = (customer, item.profile) {
            set_profile(c, customer, lang, formality)?;
        }
        if item.seen && !out_of_order {
            c.execute(
                "UPDATE tickets SET unread = FALSE WHERE id = $1",
                &[&ticket],
            )?;
        }
    }
    c.execute(
        "INSERT INTO raw_messages(message_id, sha256, raw) VALUES ($1, $2, $3)",
        &[&id, &item.sha256, &item.raw],
    )?;
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

pub(crate) fn ticket_of_message_id(
    c: &mut impl GenericClient,
    mid: &str,
) -> Result<Option<TicketId>> {
    Ok(c.query_opt(
        "SELECT ticket_id FROM messages WHERE message_id = $1",
        &[&mid],
    )?
    .map(|r| r.get(0)))
}

/// The ticket a message belongs to: by its parents' Message-IDs, by a reply that
/// arrived before it, or by subject and customer within the thread window.
fn find_thread(
    c: &mut impl GenericClient,
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
        if let Some(t) = ticket_of_message_id(c, parent)? {
            return Ok(Some(t));
        }
    }
    if let Some(mid) = m.message_id.as_deref() {
        let child: Option<TicketId> = c
            .query_opt(
                "SELECT ticket_id FROM messages WHERE in_reply_to = $1 LIMIT 1",
                &[&mid],
            )?
            .map(|r| r.get(0));
        if child.is_some() {
            return Ok(child);
        }
    }
    let subject = normalize_subject(&item.subject);
    if subject.is_empty() {
        return Ok(None);
    }
    let Some(customer) = find_customer(c, &item.customer)? else {
        return Ok(None);
    };
    let window = item.thread_window.num_seconds();
    let ts = to_ts(at);
    let rows = c.query(
        "SELECT id, created_at, updated_at FROM tickets
         WHERE customer_id = $1 AND thread_subject = $2 AND status != 'spam' AND channel = $3
         ORDER BY updated_at DESC",
        &[&customer, &subject, &item.channel.as_str()],
    )?;
    for row in rows {
        let (id, first, last): (TicketId, i64, i64) = (row.get(0), row.get(1), row.get(2));
        if ts >= first - window && ts <= last + window {
            return Ok(Some(id));
        }
    }
    Ok(None)
}

fn find_customer(c: &mut impl GenericClient, who: &NewCustomer) -> Result<Option<CustomerId>> {
    let keys = [
        ("email", who.email.as_ref().map(|e| e.trim().to_lowercase())),
        ("handle", who.handle.as_ref().map(|h| h.trim().to_string())),
    ];
    for (kind, value) in keys {
        let Some(value) = value.filter(|v| !v.is_empty()) else {
            continue;
        };
        let found: Option<CustomerId> = c
            .query_opt(
                "SELECT customer_id FROM customer_addresses WHERE kind = $1 AND value = $2",
                &[&kind, &value],
            )?
            .map(|r| r.get(0));
        if found.is_some() {
            return Ok(found);
        }
    }
    Ok(None)
}

fn open_ticket(
    c: &mut impl GenericClient,
    item: &IngestMessage,
    at: DateTime<Utc>,
    actor: &str,
) -> Result<TicketId> {
    let customer_id = if has_key(&item.customer) || !item.customer.name.trim().is_empty() {
        upsert(c, &item.customer)?
    } else {
        upsert(
            c,
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
    let id: TicketId = c
        .query_one(
            "INSERT INTO tickets(subject, status, priority, channel, tags, customer_id,
                created_at, updated_at, thread_subject)
             VALUES ($1, 'new', 'normal', $2, '', $3, $4, $4, $5) RETURNING id",
            &[
                &subject,
                &item.channel.as_str(),
                &customer_id,
                &to_ts(at),
                &normalize_subject(subject),
            ],
        )?
        .get(0);
    write_event(c, Some(id), actor, "created", None, Some(subject))?;
    Ok(id)
}

fn set_profile(
    c: &mut impl GenericClient,
    customer: CustomerId,
    language: Language,
    formality: Formality,
) -> Result<()> {
    if language != Language::Other {
        c.execute(
            "UPDATE customers SET language = $2 WHERE id = $1",
            &[&customer, &language.as_str()],
        )?;
    }
    if formality != Formality::Unknown {
        c.execute(
            "UPDATE customers SET formality = $2 WHERE id = $1",
            &[&customer, &formality.as_str()],
        )?;
    }
    Ok(())
}
