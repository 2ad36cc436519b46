//! The SQL of live chat channels (the Telegram bot): a batch of new messages, edits
//! of earlier ones and what was learned about the customers, committed in one
//! transaction with the channel's position, so a crash between fetching and
//! committing loses and doubles nothing; the once-per-ticket away reply; and the
//! progress of a reply sent in several parts.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};

use super::customers::upsert;
use super::ingest::{ingest_items, save_progress};
use super::ledger::{touch, write_event};
use super::messages::reindex_message;
use super::{to_ts, Result, SqliteStore};
use crate::model::{MessageId, NewCustomer, TicketId};
use crate::store::api::*;
use crate::store::types::*;

impl ChatStore for SqliteStore {
    fn ingest_chat_batch(
        &mut self,
        items: &[IngestMessage],
        edits: &[MessageEdit],
        facts: &[CustomerFacts],
        progress: &SourceProgress,
    ) -> Result<ChatBatchOutcome> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let items = ingest_items(&tx, items, &actor)?;
        let mut edited = Vec::with_capacity(edits.len());
        for edit in edits {
            edited.push(apply_edit(&tx, edit, &actor)?);
        }
        for f in facts {
            record_facts(&tx, f)?;
        }
        save_progress(&tx, progress)?;
        tx.commit()?;
        Ok(ChatBatchOutcome {
            items,
            edits: edited,
        })
    }

    fn ticket_of_message_id(&self, message_id: &str) -> Result<Option<TicketId>> {
        Ok(self
            .conn
            .prepare_cached("SELECT ticket_id FROM messages WHERE message_id = ?1")?
            .query_row([message_id], |r| r.get(0))
            .optional()?)
    }

    fn claim_away_reply(&mut self, ticket: TicketId) -> Result<bool> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let sent: bool = tx
            .prepare_cached("SELECT 1 FROM events WHERE ticket_id = ?1 AND kind = 'away-reply'")?
            .query_row([ticket], |_| Ok(()))
            .optional()?
            .is_some();
        if sent {
            return Ok(false);
        }
        write_event(&tx, Some(ticket), &actor, "away-reply", None, None)?;
        tx.commit()?;
        Ok(true)
    }

    fn set_outbound_raw(&mut self, outbox_id: i64, raw: &[u8]) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "UPDATE outbox SET raw = ?2, updated_at = ?3 WHERE id = ?1",
            params![outbox_id, raw, to_ts(Utc::now())],
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn apply_edit(conn: &Connection, edit: &MessageEdit, actor: &str) -> Result<Option<TicketId>> {
    let row: Option<(MessageId, TicketId, String)> = conn
        .prepare_cached("SELECT id, ticket_id, body FROM messages WHERE message_id = ?1")?
        .query_row([&edit.message_id], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((id, ticket, old)) = row else {
        return Ok(None);
    };
    let body = format!("{}\n[edited]", edit.body.trim_end());
    if old == body {
        return Ok(None);
    }
    conn.prepare_cached("UPDATE messages SET body = ?2 WHERE id = ?1")?
        .execute(params![id, body])?;
    reindex_message(conn, id, ticket, &body)?;
    write_event(
        conn,
        Some(ticket),
        actor,
        "message-edited",
        Some(&old),
        Some(&body),
    )?;
    conn.prepare_cached("UPDATE tickets SET unread = 1 WHERE id = ?1")?
        .execute([ticket])?;
    touch(conn, ticket, edit.edited_at)?;
    Ok(Some(ticket))
}

fn record_facts(conn: &Connection, f: &CustomerFacts) -> Result<()> {
    let id = upsert(
        conn,
        &NewCustomer {
            handle: Some(f.handle.clone()),
            phone: f.phone.clone(),
            ..Default::default()
        },
    )?;
    if let Some(phone) = f.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        conn.prepare_cached(
            "UPDATE customers SET phone = ?2 WHERE id = ?1 AND coalesce(phone, '') = ''",
        )?
        .execute(params![id, phone.trim()])?;
    }
    if let Some(alias) = f.alias.as_deref().filter(|a| !a.trim().is_empty()) {
        conn.prepare_cached(
            "INSERT OR IGNORE INTO customer_addresses(kind, value, customer_id) VALUES ('handle', ?1, ?2)",
        )?
        .execute(params![alias.trim(), id])?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Direction, NewMessage};

    fn chat(n: i64, text: &str) -> IngestMessage {
        IngestMessage {
            message: NewMessage {
                direction: Direction::Inbound,
                author: "Олена".into(),
                body: text.into(),
                sent_at: Some(Utc::now()),
                message_id: Some(format!("tg-1-{n}@bot.telegram.firstline")),
                ..Default::default()
            },
            subject: "Telegram: Олена".into(),
            customer: NewCustomer {
                name: "Олена".into(),
                handle: Some("telegram:user1".into()),
                ..Default::default()
            },
            channel: Channel::Chat,
            raw: text.as_bytes().to_vec(),
            sha256: format!("sha-{n}"),
            profile: None,
            seen: false,
            ticket: None,
            thread_window: chrono::Duration::days(3),
        }
    }

    fn progress(offset: i64) -> SourceProgress {
        SourceProgress {
            source: "telegram:bot".into(),
            position: format!("{{\"offset\":{offset}}}"),
        }
    }

    #[test]
    fn messages_edits_facts_and_the_offset_commit_together() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let edit = MessageEdit {
            message_id: "tg-1-1@bot.telegram.firstline".into(),
            body: "Замовлення 1235".into(),
            edited_at: Utc::now(),
        };
        let missing = MessageEdit {
            message_id: "tg-1-99@bot.telegram.firstline".into(),
            ..edit.clone()
        };
        let facts = CustomerFacts {
            handle: "telegram:user1".into(),
            phone: Some("+380 50 123 45 67".into()),
            alias: Some("telegram:@olena".into()),
        };
        let out = store
            .ingest_chat_batch(
                &[chat(1, "Замовлення 1234"), chat(2, "Дякую")],
                &[edit, missing],
                &[facts],
                &progress(11),
            )
            .unwrap();
        let ticket = match out.items[0] {
            Ok(IngestOutcome::Added { ticket, .. }) => ticket,
            ref other => panic!("{other:?}"),
        };
        assert_eq!(out.edits, vec![Some(ticket), None]);
        let thread = store.messages(ticket).unwrap();
        assert_eq!(thread.len(), 2, "an edit adds no message");
        assert_eq!(thread[0].body, "Замовлення 1235\n[edited]");
        let customer = store
            .customer(store.ticket(ticket).unwrap().customer_id)
            .unwrap();
        assert_eq!(customer.phone.as_deref(), Some("+380 50 123 45 67"));
        assert!(customer.handles.contains(&"telegram:@olena".to_string()));
        assert_eq!(
            store.import_progress("telegram:bot").unwrap().as_deref(),
            Some("{\"offset\":11}")
        );
        assert!(store.claim_away_reply(ticket).unwrap());
        assert!(!store.claim_away_reply(ticket).unwrap(), "at most once");
    }
}
