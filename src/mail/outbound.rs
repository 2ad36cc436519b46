//! Building and queueing replies. A reply is an RFC 5322 message built once with
//! mail-builder: the agent's identity and signature, `Re:` subject, In-Reply-To the
//! customer's last message, References the chain, UTF-8 text (headers with Cyrillic
//! RFC 2047-encoded). Its Message-ID is made here, once, so a retried delivery is the
//! same message and the customer's client threads it.

use chrono::{DateTime, Duration, Utc};
use mail_builder::headers::address::Address;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::HeaderType;
use mail_builder::MessageBuilder;

use super::{parse_mail, sha256_hex, MailError};
use crate::config::Config;
use crate::model::{Direction, Message, MessageId, NewMessage, TicketId};
use crate::store::Store;

/// The most References a reply carries (the oldest are dropped first).
const MAX_REFERENCES: usize = 20;

/// A reply ready for the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct BuiltReply {
    /// The thread entry, with our Message-ID and threading headers.
    pub message: NewMessage,
    /// The RFC 5322 bytes (CRLF line ends) exactly as they will be delivered.
    pub raw: Vec<u8>,
    /// The address it goes to.
    pub to: String,
}

/// Records a reply and queues it for delivery after `config.mail.undo_seconds`.
///
/// The reply is in the thread at once (and ends the customer's wait); until the undo
/// window passes, [`cancel_reply`] takes it back. A ticket whose customer has no
/// e-mail address (a chat, a call) gets the reply recorded without an outbox entry:
/// it is sent by hand in that channel — unless it came from the Telegram bot, whose
/// replies are queued for its chat.
pub fn queue_reply(
    store: &mut Store,
    config: &Config,
    ticket: TicketId,
    body: &str,
) -> Result<MessageId, MailError> {
    let now = Utc::now();
    let not_before = now + Duration::seconds(config.mail.undo_seconds as i64);
    // A ticket from the Telegram bot is answered in its chat, through the same
    // outbox and undo window as mail.
    if let Some((message, raw)) = crate::telegram::build_reply(store, config, ticket, body, now)? {
        let (id, _) =
            store.queue_outbound(ticket, &message, &raw, &sha256_hex(&raw), not_before)?;
        return Ok(id);
    }
    match build_reply(store, config, ticket, body, now) {
        Ok(reply) => {
            let (id, _) = store.queue_outbound(
                ticket,
                &reply.message,
                &reply.raw,
                &sha256_hex(&reply.raw),
                not_before,
            )?;
            Ok(id)
        }
        Err(MailError::NoRecipient(_)) => Ok(store.add_message(
            ticket,
            &NewMessage {
                direction: Direction::Outbound,
                author: config.agent.display_name(),
                body: body.to_string(),
                sent_at: Some(now),
                ..Default::default()
            },
        )?),
        Err(e) => Err(e),
    }
}

/// Takes back a queued reply within its undo window (or any time before delivery
/// starts): it leaves the thread and its text becomes the draft again. `false` when
/// it is already being delivered or was delivered.
pub fn cancel_reply(store: &mut Store, message: MessageId) -> Result<bool, MailError> {
    Ok(store.cancel_outbound(message)?)
}

/// Builds the reply to `ticket` without storing anything.
pub fn build_reply(
    store: &Store,
    config: &Config,
    ticket: TicketId,
    body: &str,
    now: DateTime<Utc>,
) -> Result<BuiltReply, MailError> {
    let t = store.ticket(ticket)?;
    let customer = store.customer(t.customer_id)?;
    let messages = store.messages(ticket)?;
    let parent = last_mail_from_customer(&messages);
    let (to_name, to) =
        recipient(store, parent, &customer).ok_or(MailError::NoRecipient(ticket))?;
    let from_address = config.sender_address().ok_or(MailError::NoSender)?;

    let mut references: Vec<String> = Vec::new();
    if let Some(p) = parent {
        references.extend(p.references.iter().cloned());
        if references.is_empty() {
            references.extend(p.in_reply_to.iter().cloned());
        }
        if references.is_empty() {
            // The customer's client dropped the chain: rebuild it from the thread.
            references.extend(
                messages
                    .iter()
                    .take_while(|m| m.id != p.id)
                    .filter_map(|m| m.message_id.clone())
                    .filter(|id| !id.ends_with(".firstline")),
            );
        }
        references.extend(p.message_id.iter().cloned());
    }
    let mut seen = std::collections::HashSet::new();
    references.retain(|r| seen.insert(r.clone()));
    if references.len() > MAX_REFERENCES {
        references.drain(..references.len() - MAX_REFERENCES);
    }
    let in_reply_to = parent.and_then(|p| p.message_id.clone());
    let subject = reply_subject(&t.subject);
    let text = with_signature(body, &config.agent.signature);
    let message_id = new_message_id(&from_address, ticket, now);
    let from_name = config.agent.display_name();

    let mut builder = MessageBuilder::new()
        .header("From", mailbox(Some(from_name.clone()), from_address))
        .header(
            "To",
            mailbox(
                (!to_name.trim().is_empty() && !to_name.contains('@')).then(|| to_name.clone()),
                to.clone(),
            ),
        )
        .message_id(message_id.clone())
        .date(now.timestamp())
        .text_body(text.clone());
    if let Some(subject) = subject {
        builder = builder.subject(subject);
    }
    if let Some(parent_id) = &in_reply_to {
        builder = builder.in_reply_to(parent_id.clone());
    }
    if !references.is_empty() {
        builder = builder.references(references.clone());
    }
    if !config.agent.company.trim().is_empty() {
        builder = builder.header(
            "Organization",
            mail_builder::headers::text::Text::new(config.agent.company.clone()),
        );
    }
    let raw = builder
        .write_to_vec()
        .map_err(|e| MailError::Build(e.to_string()))?;
    Ok(BuiltReply {
        message: NewMessage {
            direction: Direction::Outbound,
            author: from_name,
            body: text,
            html_body: None,
            sent_at: Some(now),
            message_id: Some(message_id),
            in_reply_to,
            references,
            attachments: Vec::new(),
        },
        raw,
        to,
    })
}

/// The most bytes of a display name one encoded word carries: 45 bytes are 60 base64
/// characters, a 72-character word with `=?utf-8?B?` and `?=` (RFC 2047 allows 75).
const ENCODED_WORD_BYTES: usize = 45;

/// An address header value `Name <addr>`. mail-builder (0.4 and 2.0 alike) writes a
/// non-ASCII name as an encoded word inside quotes, `"=?utf-8?B?…?=" <addr>`, which RFC
/// 2047 §5 forbids: strict clients show the raw `=?utf-8?B?…` text (a new-user trial).
/// An ASCII name stays with mail-builder's quoting; any other is written here as bare
/// base64 encoded words of whole characters, separated by spaces the header may fold at.
pub(crate) fn mailbox(name: Option<String>, address: String) -> HeaderType<'static> {
    let name = name
        .map(|n| n.replace(['\r', '\n'], " "))
        .filter(|n| !n.trim().is_empty());
    match name {
        Some(name) if !name.is_ascii() => {
            let mut words: Vec<String> = Vec::new();
            let mut chunk = String::new();
            for ch in name.trim().chars() {
                if chunk.len() + ch.len_utf8() > ENCODED_WORD_BYTES {
                    words.push(encoded_word(&chunk));
                    chunk.clear();
                }
                chunk.push(ch);
            }
            words.push(encoded_word(&chunk));
            HeaderType::Raw(Raw::new(format!("{} <{address}>", words.join(" "))))
        }
        name => HeaderType::Address(Address::new_address(name, address)),
    }
}

fn encoded_word(text: &str) -> String {
    let mut b64 = Vec::new();
    mail_builder::encoders::base64::base64_encode_mime(text.as_bytes(), &mut b64, true)
        .expect("writing to a Vec cannot fail");
    format!("=?utf-8?B?{}?=", String::from_utf8_lossy(&b64))
}

/// Where a reply to `ticket` would be mailed, `None` when it goes by no mail at all
/// (a phone call or a pasted chat with no address): such a reply is only recorded, so it
/// needs no sender address either — asking for one would be a question with no use.
pub fn reply_recipient(store: &Store, ticket: TicketId) -> Result<Option<String>, MailError> {
    let t = store.ticket(ticket)?;
    let customer = store.customer(t.customer_id)?;
    let messages = store.messages(ticket)?;
    Ok(recipient(store, last_mail_from_customer(&messages), &customer).map(|(_, to)| to))
}

/// The name and address a reply goes to: the Reply-To or From of the customer's latest
/// mail, else the customer's first known address. The name is the one that came with
/// that address (the customer's name when the mail gave none), never the name of
/// another header: a web form's Reply-To person is not "Shop website".
fn recipient(
    store: &Store,
    parent: Option<&Message>,
    customer: &crate::model::Customer,
) -> Option<(String, String)> {
    parent
        .and_then(|p| store.raw_message(p.id).ok().flatten())
        .and_then(|raw| parse_mail(&raw).ok())
        .and_then(|h| h.reply_to.or(h.from))
        .or_else(|| customer.emails.first().map(|e| (String::new(), e.clone())))
        .map(|(name, addr)| {
            let known = customer
                .emails
                .iter()
                .any(|e| e.eq_ignore_ascii_case(&addr));
            match name.trim() {
                "" if known => (customer.name.clone(), addr),
                _ => (name, addr),
            }
        })
}

/// The customer's latest e-mail (synthetic chat ids are not mail to reply to).
fn last_mail_from_customer(messages: &[Message]) -> Option<&Message> {
    messages.iter().rev().find(|m| {
        m.direction == Direction::Inbound
            && m.message_id
                .as_deref()
                .is_some_and(|id| !id.ends_with(".firstline"))
    })
}

/// `Re: ` once, whatever prefix the customer's client used. A ticket whose mail had no
/// subject is titled "(no subject)" by intake: that placeholder is not the customer's
/// words, so the reply goes without a subject rather than as `Re: (no subject)` (unless
/// the ticket was renamed, whose title is then the subject).
fn reply_subject(subject: &str) -> Option<String> {
    let s = subject.trim();
    if s.is_empty() || s == crate::model::NO_SUBJECT {
        None
    } else if s.to_lowercase().starts_with("re:") {
        Some(s.to_string())
    } else {
        Some(format!("Re: {s}"))
    }
}

/// Appends the signature after a blank line unless the body already ends with it.
pub(crate) fn with_signature(body: &str, signature: &str) -> String {
    let body = body.trim_end();
    let sig = signature.trim();
    if sig.is_empty() || body.contains(sig) {
        return format!("{body}\n");
    }
    format!("{body}\n\n{sig}\n")
}

/// A Message-ID unique to this reply: time, ticket and a hash of the process and
/// clock, at the agent's domain (so the customer's server sees a sane right side).
fn new_message_id(email: &str, ticket: TicketId, now: DateTime<Utc>) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("firstline.invalid");
    let nanos = now.timestamp_nanos_opt().unwrap_or_default();
    let seed = format!(
        "{ticket}-{nanos}-{}-{}-{:?}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed),
        std::time::SystemTime::now()
    );
    let hash = &sha256_hex(seed.as_bytes())[..16];
    format!("fl.{}.{ticket}.{hash}@{domain}", now.format("%Y%m%d%H%M%S"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_is_added_once() {
        assert_eq!(with_signature("Hi", "Olena"), "Hi\n\nOlena\n");
        assert_eq!(with_signature("Hi\n\nOlena\n", "Olena"), "Hi\n\nOlena\n");
        assert_eq!(with_signature("Hi", ""), "Hi\n");
    }

    #[test]
    fn subject_gets_one_re() {
        assert_eq!(reply_subject("Оплата").unwrap(), "Re: Оплата");
        assert_eq!(reply_subject("RE: Оплата").unwrap(), "RE: Оплата");
    }
}
