//! The queue as an mbox: every customer-visible message, raw bytes as they arrived
//! where intake kept them, a minimal RFC 5322 message otherwise. Importing the result
//! into an empty queue gives the same tickets and messages back.

use mail_builder::MessageBuilder;
use std::io::Write;

use super::mbox::write_message;
use super::MailError;
use crate::model::{Direction, Message, Ticket};
use crate::store::Store;

/// Writes all tickets' messages (notes excluded) to `out`; returns how many.
pub fn export_mbox(store: &Store, out: &mut impl Write) -> Result<usize, MailError> {
    let mut count = 0;
    for ticket in store.tickets()? {
        for m in store.messages(ticket.id)? {
            if m.direction == Direction::Note {
                continue;
            }
            let raw = match store.raw_message(m.id)? {
                Some(raw) if looks_like_mail(&raw) => raw,
                _ => synthesize(&ticket, &m)?,
            };
            write_message(out, "firstline@localhost", m.sent_at, &raw)
                .map_err(|e| MailError::io("mbox output", e))?;
            count += 1;
        }
    }
    Ok(count)
}

fn looks_like_mail(raw: &[u8]) -> bool {
    let head = String::from_utf8_lossy(&raw[..raw.len().min(4096)]);
    super::detect::looks_like_headers(&head)
}

fn synthesize(ticket: &Ticket, m: &Message) -> Result<Vec<u8>, MailError> {
    let mut b = MessageBuilder::new()
        .header(
            "From",
            super::outbound::mailbox(
                Some(m.author.clone()),
                "unknown@firstline.invalid".to_string(),
            ),
        )
        .subject(ticket.subject.clone())
        .date(m.sent_at.timestamp())
        .text_body(m.body.clone());
    if let Some(id) = &m.message_id {
        b = b.message_id(id.clone());
    }
    if let Some(parent) = &m.in_reply_to {
        b = b.in_reply_to(parent.clone());
    }
    if !m.references.is_empty() {
        b = b.references(m.references.clone());
    }
    b.write_to_vec()
        .map_err(|e| MailError::Build(e.to_string()))
}
