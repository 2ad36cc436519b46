//! Messages in a ticket's thread, and the search vector each carries (SQLite's
//! `messages.rs`, with a `tsvector` in place of the FTS5 row).

use chrono::Utc;
use postgres::{GenericClient, Row};

use super::drafts::clear_after_reply;
use super::ledger::{lock_ticket, touch, write_event};
use super::{from_ts, parse_col, to_ts, PgStore, Result};
use crate::model::text::truncate_at_char;
use crate::model::{Direction, Message, MessageId, NewMessage, Status, TicketId};
use crate::store::api::*;
use crate::store::StoreError;

/// The most text of one message that goes into the search vector (as in SQLite).
const INDEXED_BODY_LIMIT: usize = 256 * 1024;

pub(crate) const MESSAGE_COLUMNS: &str = "m.id, m.ticket_id, m.direction, m.author, m.body, \
    m.html_body, m.sent_at, m.message_id, m.in_reply_to, m.refs, m.attachments";

pub(crate) fn message_from_row(r: &Row) -> Result<Message> {
    let refs: String = r.get("refs");
    let attachments: String = r.get("attachments");
    Ok(Message {
        id: r.get("id"),
        ticket_id: r.get("ticket_id"),
        direction: parse_col("direction", r.get("direction"))?,
        author: r.get("author"),
        body: r.get("body"),
        html_body: r.get("html_body"),
        sent_at: from_ts(r.get("sent_at")),
        message_id: r.get("message_id"),
        in_reply_to: r.get("in_reply_to"),
        references: refs.split_whitespace().map(str::to_string).collect(),
        attachments: serde_json::from_str(&attachments).unwrap_or_default(),
    })
}

/// Text as SQLite's `unicode61 remove_diacritics 2` tokenizer sees it, for the
/// `simple` configuration to take word by word: lowercase (in Rust, so a database
/// created with a C locale still folds Олена), ё as е, and every character that is
/// not a letter or digit a separator. PostgreSQL's own parser would keep
/// `olena@example.com` as one e-mail token, where SQLite finds it by `olena`.
pub(crate) fn search_words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().flat_map(char::to_lowercase) {
        let ch = if ch == 'ё' { 'е' } else { ch };
        if ch.is_alphanumeric() {
            out.push(without_diacritic(ch));
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    out.trim_end().to_string()
}

/// A Latin letter with diacritics reads as its base letter, as SQLite's tokenizer
/// folds it (`café` is found by `cafe`, `ĉ` by `c`): the letter's canonical
/// decomposition is an ASCII letter plus combining marks. Letters that do not
/// decompose so stay themselves, as there: `ł` and `ø` (a stroke is not a mark),
/// Cyrillic `й`, `ї`, `ё` (their base is not Latin; ё is folded on its own above).
fn without_diacritic(ch: char) -> char {
    if ch.is_ascii() {
        return ch;
    }
    let mut parts = Vec::with_capacity(3);
    unicode_normalization::char::decompose_canonical(ch, |c| parts.push(c));
    match parts.split_first() {
        Some((base, marks))
            if base.is_ascii_alphabetic()
                && !marks.is_empty()
                && marks.iter().all(|m| ('\u{300}'..='\u{36f}').contains(m)) =>
        {
            *base
        }
        _ => ch,
    }
}

/// Writes (or rewrites) the message's search vector: its ticket's subject (weight
/// A), its body (B) and its customer's name and addresses (C), so one query finds
/// the ticket by any of them and `subject:` is a weight filter.
pub(crate) fn index_message(
    c: &mut impl GenericClient,
    message: MessageId,
    ticket: TicketId,
    body: &str,
) -> Result<()> {
    let row = c.query_one(
        "SELECT t.subject, c.name || ' ' || coalesce((SELECT string_agg(value, ' ' ORDER BY pos)
             FROM customer_addresses a WHERE a.customer_id = c.id), '')
         FROM tickets t JOIN customers c ON c.id = t.customer_id WHERE t.id = $1",
        &[&ticket],
    )?;
    let (subject, customer): (String, String) = (row.get(0), row.get(1));
    let config = super::text_search::text_config().name();
    c.execute(
        &format!(
            "INSERT INTO search_index(message_id, doc) VALUES ($1,
                setweight(to_tsvector('{config}', $2), 'A')
                || setweight(to_tsvector('{config}', $3), 'B')
                || setweight(to_tsvector('{config}', $4), 'C'))
             ON CONFLICT (message_id) DO UPDATE SET doc = excluded.doc"
        ),
        &[
            &message,
            &search_words(&subject),
            &search_words(truncate_at_char(body, INDEXED_BODY_LIMIT)),
            &search_words(&customer),
        ],
    )?;
    Ok(())
}

/// Re-indexes every message of a ticket (its subject or customer changed).
pub(crate) fn index_ticket_messages(c: &mut impl GenericClient, ticket: TicketId) -> Result<()> {
    let rows = c.query(
        "SELECT id, body FROM messages WHERE ticket_id = $1",
        &[&ticket],
    )?;
    for row in rows {
        index_message(c, row.get(0), ticket, row.get(1))?;
    }
    Ok(())
}

/// Adds a message to a thread inside the caller's transaction and moves the ticket's
/// ledger the way SQLite's `insert_message` does: a customer's message reopens a
/// settled ticket and starts the wait; our reply ends it.
pub(crate) fn insert_message(
    c: &mut impl GenericClient,
    ticket: TicketId,
    message: &NewMessage,
    actor: &str,
) -> Result<MessageId> {
    let before = lock_ticket(c, ticket)?;
    let at = message.sent_at.unwrap_or_else(Utc::now);
    let attachments = serde_json::to_string(&message.attachments)
        .map_err(|e| StoreError::Invalid(format!("attachment list: {e}")))?;
    let id: MessageId = c
        .query_one(
            "INSERT INTO messages(ticket_id, direction, author, body, html_body, sent_at,
                message_id, in_reply_to, refs, attachments)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            &[
                &ticket,
                &message.direction.as_str(),
                &message.author,
                &message.body,
                &message.html_body,
                &to_ts(at),
                &message.message_id,
                &message.in_reply_to,
                &message.references.join(" "),
                &attachments,
            ],
        )?
        .get(0);
    index_message(c, id, ticket, &message.body)?;
    let ts = to_ts(at);
    match message.direction {
        Direction::Inbound => {
            let reopen = matches!(
                before.status,
                Status::Pending | Status::Solved | Status::Closed
            );
            c.execute(
                "UPDATE tickets SET unread = TRUE, snoozed_until = NULL,
                    awaiting_reply_since = coalesce(awaiting_reply_since, $2),
                    status = CASE WHEN $3 THEN 'open' ELSE status END,
                    resolved_at = CASE WHEN $3 THEN NULL ELSE resolved_at END
                 WHERE id = $1",
                &[&ticket, &ts, &reopen],
            )?;
            if reopen {
                write_event(
                    c,
                    Some(ticket),
                    actor,
                    "status",
                    Some(before.status.as_str()),
                    Some("open"),
                )?;
            }
        }
        Direction::Outbound => {
            let first_answer = before.status == Status::New;
            c.execute(
                "UPDATE tickets SET awaiting_reply_since = NULL,
                    first_response_at = coalesce(first_response_at, $2),
                    status = CASE WHEN $3 THEN 'open' ELSE status END
                 WHERE id = $1",
                &[&ticket, &ts, &first_answer],
            )?;
        }
        Direction::Note => {}
    }
    write_event(
        c,
        Some(ticket),
        actor,
        message.direction.as_str(),
        None,
        Some(&id.to_string()),
    )?;
    touch(c, ticket, at)?;
    Ok(id)
}

/// A thread, oldest first.
pub(crate) fn load_messages(c: &mut impl GenericClient, ticket: TicketId) -> Result<Vec<Message>> {
    c.query(
        &format!(
            "SELECT {MESSAGE_COLUMNS} FROM messages m WHERE m.ticket_id = $1
             ORDER BY m.sent_at, m.id"
        ),
        &[&ticket],
    )?
    .iter()
    .map(message_from_row)
    .collect()
}

impl MessageStore for PgStore {
    fn add_message(&mut self, ticket: TicketId, message: &NewMessage) -> Result<MessageId> {
        self.write(|tx, w| {
            let id = insert_message(tx, ticket, message, &w.actor)?;
            if message.direction == Direction::Outbound {
                clear_after_reply(tx, ticket, w.holder.as_deref(), &message.body)?;
            }
            Ok(id)
        })
    }

    fn messages(&self, ticket: TicketId) -> Result<Vec<Message>> {
        self.read(|c| load_messages(c, ticket))
    }

    fn ticket_by_message_id(&self, message_id: &str) -> Result<Option<TicketId>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT ticket_id FROM messages WHERE message_id = $1",
                &[&message_id],
            )?
            .map(|r| r.get(0)))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_words_split_like_sqlites_tokenizer() {
        assert_eq!(search_words("Olena@Example.com"), "olena example com");
        assert_eq!(search_words("Счёт за ОКТЯБРЬ!"), "счет за октябрь");
        assert_eq!(search_words("café  déjà-vu"), "cafe deja vu");
        assert_eq!(search_words("Їжак й ґанок"), "їжак й ґанок");
        assert_eq!(search_words("Łódź ĉapelo Ørsted"), "łodz capelo ørsted");
    }
}
