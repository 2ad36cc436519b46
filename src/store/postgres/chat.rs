//! What chat channels need beyond mail intake: edits, customer facts, away replies
//! (SQLite's `chat.rs`).

use chrono::Utc;
use postgres::GenericClient;

use super::customers::upsert;
use super::ingest::{ingest_items, save_progress, ticket_of_message_id};
use super::ledger::{lock_ticket, touch, write_event};
use super::messages::index_message;
use super::{to_ts, PgStore, Result};
use crate::model::{MessageId, NewCustomer, TicketId};
use crate::store::api::*;
use crate::store::types::*;

impl ChatStore for PgStore {
    fn ingest_chat_batch(
        &mut self,
        items: &[IngestMessage],
        edits: &[MessageEdit],
        facts: &[CustomerFacts],
        progress: &SourceProgress,
    ) -> Result<ChatBatchOutcome> {
        self.write(|tx, w| {
            let items = ingest_items(tx, items, &w.actor)?;
            let mut edited = Vec::with_capacity(edits.len());
            for edit in edits {
                edited.push(apply_edit(tx, edit, &w.actor)?);
            }
            for f in facts {
                record_facts(tx, f)?;
            }
            save_progress(tx, progress)?;
            Ok(ChatBatchOutcome {
                items,
                edits: edited,
            })
        })
    }

    fn ticket_of_message_id(&self, message_id: &str) -> Result<Option<TicketId>> {
        self.read(|c| ticket_of_message_id(c, message_id))
    }

    fn claim_away_reply(&mut self, ticket: TicketId) -> Result<bool> {
        self.write(|tx, w| {
            // The ticket's row lock makes the check and the record one step.
            lock_ticket(tx, ticket)?;
            let sent = tx
                .query_opt(
                    "SELECT 1 FROM events WHERE ticket_id = $1 AND kind = 'away-reply'",
                    &[&ticket],
                )?
                .is_some();
            if sent {
                return Ok(false);
            }
            write_event(tx, Some(ticket), &w.actor, "away-reply", None, None)?;
            Ok(true)
        })
    }

    fn set_outbound_raw(&mut self, outbox_id: i64, raw: &[u8]) -> Result<()> {
        self.write(|tx, _| {
            tx.execute(
                "UPDATE outbox SET raw = $2, updated_at = $3 WHERE id = $1",
                &[&outbox_id, &raw, &to_ts(Utc::now())],
            )?;
            Ok(())
        })
    }
}

/// Replaces an edited message's text, keeping the old one in the audit log.
fn apply_edit(
    c: &mut impl GenericClient,
    edit: &MessageEdit,
    actor: &str,
) -> Result<Option<TicketId>> {
    let row = c.query_opt(
        "SELECT id, ticket_id, body FROM messages WHERE message_id = $1",
        &[&edit.message_id],
    )?;
    let Some(row) = row else {
        return Ok(None);
    };
    let (id, ticket, old): (MessageId, TicketId, String) = (row.get(0), row.get(1), row.get(2));
    let body = format!("{}\n[edited]", edit.body.trim_end());
    if old == body {
        return Ok(None);
    }
    lock_ticket(c, ticket)?;
    c.execute("UPDATE messages SET body = $2 WHERE id = $1", &[&id, &body])?;
    index_message(c, id, ticket, &body)?;
    write_event(
        c,
        Some(ticket),
        actor,
        "message-edited",
        Some(&old),
        Some(&body),
    )?;
    c.execute("UPDATE tickets SET unread = TRUE WHERE id = $1", &[&ticket])?;
    touch(c, ticket, edit.edited_at)?;
    Ok(Some(ticket))
}

fn record_facts(c: &mut impl GenericClient, f: &CustomerFacts) -> Result<()> {
    let id = upsert(
        c,
        &NewCustomer {
            handle: Some(f.handle.clone()),
            phone: f.phone.clone(),
            ..Default::default()
        },
    )?;
    if let Some(phone) = f.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        c.execute(
            "UPDATE customers SET phone = $2 WHERE id = $1 AND coalesce(phone, '') = ''",
            &[&id, &phone.trim()],
        )?;
    }
    if let Some(alias) = f.alias.as_deref().filter(|a| !a.trim().is_empty()) {
        c.execute(
            "INSERT INTO customer_addresses(kind, value, customer_id) VALUES ('handle', $1, $2)
             ON CONFLICT DO NOTHING",
            &[&alias.trim(), &id],
        )?;
    }
    Ok(())
}
