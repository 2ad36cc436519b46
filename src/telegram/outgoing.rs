//! Replies on bot tickets: what the outbox holds for them ([`Outgoing`], JSON instead
//! of RFC 5322 bytes) and how they leave ([`send_reply`]: `sendMessage` as plain
//! text, so nothing the agent typed is mis-read as markup, in parts of at most 4,096
//! characters). Each part that Telegram accepts is recorded on the outbox row before
//! the next is sent, so a retry after a failure or a crash never repeats one.
//!
//! Nothing is marked sent that Telegram did not accept: a refusal keeps the reply
//! queued (rate limit, network, bad token) or fails it (blocked), with the reason in
//! plain words on the ticket.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicBool, Ordering};

use super::api::{ApiError, Client};
use super::{chat_of_message_id, resolve_token, TelegramError, BOT_ID_SUFFIX};
use crate::config::Config;
use crate::model::{Direction, NewMessage, TicketId};
use crate::store::{Store, StoreError};

/// Telegram's limit for one message's text, in UTF-16 code units (what it counts).
pub const MAX_MESSAGE_UNITS: usize = 4096;

/// A 429 asking to wait at most this long is waited out in place; a longer one puts
/// the reply back in the queue until then.
const WAIT_IN_PLACE_SECS: u64 = 30;

/// A reply waiting in the outbox for a Telegram chat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outgoing {
    /// The chat it goes to.
    pub telegram_chat: i64,
    /// The whole text, as the agent wrote it.
    pub text: String,
    /// How many parts Telegram has accepted so far.
    #[serde(default)]
    pub parts_sent: usize,
}

impl Outgoing {
    /// The outbox bytes of a Telegram reply, or `None` for mail.
    pub fn from_raw(raw: &[u8]) -> Option<Outgoing> {
        if raw.first() != Some(&b'{') {
            return None;
        }
        serde_json::from_slice(raw).ok()
    }

    /// The bytes stored in the outbox.
    pub fn to_raw(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// Where a handed-over reply ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// Telegram accepted every part (`via …`).
    Delivered(String),
    /// Not (wholly) delivered; try again at `at`.
    Retry { error: String, at: DateTime<Utc> },
    /// Will not be delivered without someone acting (the customer blocked the bot).
    GiveUp(String),
}

/// The chat a ticket's reply goes to: the chat of the customer's latest message to
/// the bot; `None` for a ticket that did not come from the bot.
pub fn reply_chat(store: &Store, ticket: TicketId) -> Result<Option<i64>, StoreError> {
    Ok(store
        .messages(ticket)?
        .iter()
        .rev()
        .filter(|m| m.direction == Direction::Inbound)
        .filter_map(|m| m.message_id.as_deref())
        .find(|id| id.ends_with(BOT_ID_SUFFIX))
        .and_then(chat_of_message_id))
}

/// The thread entry and outbox bytes of a reply on a bot ticket; `None` when the
/// ticket did not come from the bot (it is mail, or a chat answered elsewhere).
pub fn build_reply(
    store: &Store,
    config: &Config,
    ticket: TicketId,
    body: &str,
    now: DateTime<Utc>,
) -> Result<Option<(NewMessage, Vec<u8>)>, StoreError> {
    let Some(chat) = reply_chat(store, ticket)? else {
        return Ok(None);
    };
    let text = body.trim_end().to_string();
    let message = NewMessage {
        direction: Direction::Outbound,
        author: config.agent.display_name(),
        body: text.clone(),
        sent_at: Some(now),
        message_id: Some(format!(
            "tg-{chat}-r{}{BOT_ID_SUFFIX}",
            now.timestamp_nanos_opt().unwrap_or_default()
        )),
        ..Default::default()
    };
    let raw = Outgoing {
        telegram_chat: chat,
        text,
        parts_sent: 0,
    }
    .to_raw();
    Ok(Some((message, raw)))
}

/// Splits `text` into parts Telegram takes (at most [`MAX_MESSAGE_UNITS`] UTF-16
/// units each), at a paragraph, line or word break where one is near the limit, and
/// never inside a character.
pub fn split_message(text: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while !rest.is_empty() {
        let mut units = 0;
        let mut cut = rest.len();
        for (i, c) in rest.char_indices() {
            units += c.len_utf16();
            if units > MAX_MESSAGE_UNITS {
                cut = i;
                break;
            }
        }
        if cut < rest.len() {
            // Prefer a break in the last quarter of the part.
            let window_start = rest[..cut]
                .char_indices()
                .map(|(i, _)| i)
                .find(|i| *i >= cut * 3 / 4)
                .unwrap_or(0);
            let window = &rest[window_start..cut];
            let at = window
                .rfind("\n\n")
                .or_else(|| window.rfind('\n'))
                .or_else(|| window.rfind(' '))
                .map(|i| window_start + i);
            if let Some(at) = at.filter(|a| *a > 0) {
                cut = at;
            }
        }
        let (part, tail) = rest.split_at(cut);
        if !part.trim().is_empty() {
            parts.push(part.trim_end().to_string());
        }
        rest = tail.trim_start();
    }
    parts
}

/// Sends the parts of `out` not yet accepted, recording each on outbox row `outbox_id`.
/// A short 429 is waited out here (the wait ends early when `stop` is set).
pub fn send_reply(
    store: &mut Store,
    config: &Config,
    outbox_id: i64,
    mut out: Outgoing,
    attempts: i64,
    stop: &AtomicBool,
) -> Result<SendOutcome, StoreError> {
    let Some(tg) = config.telegram.as_ref() else {
        return Ok(retry(
            TelegramError::NotConfigured.to_string(),
            backoff(attempts),
        ));
    };
    let token = match resolve_token(tg) {
        Ok(t) => t,
        Err(e) => return Ok(retry(e.to_string(), backoff(attempts))),
    };
    let client = Client::new(&tg.api_url, &token, 0);
    let parts = split_message(&out.text);
    let total = parts.len();
    while out.parts_sent < total {
        let part = &parts[out.parts_sent];
        let which = if total > 1 {
            format!("part {} of {total}: ", out.parts_sent + 1)
        } else {
            String::new()
        };
        match send_part(&client, out.telegram_chat, part, stop) {
            Ok(()) => {
                out.parts_sent += 1;
                store.set_outbound_raw(outbox_id, &out.to_raw())?;
            }
            Err(ApiError::TooMany(secs)) => {
                return Ok(retry(
                    format!("{which}{}", ApiError::TooMany(secs)),
                    Duration::seconds(secs as i64),
                ))
            }
            Err(e) if e.is_transient() => {
                return Ok(retry(format!("{which}{e}"), backoff(attempts)));
            }
            Err(e) => return Ok(SendOutcome::GiveUp(format!("{which}{e}"))),
        }
    }
    Ok(SendOutcome::Delivered(format!(
        "via Telegram to chat {}{}",
        out.telegram_chat,
        if total > 1 {
            format!(" in {total} parts")
        } else {
            String::new()
        }
    )))
}

/// One `sendMessage`, waiting out short rate limits.
fn send_part(client: &Client, chat: i64, text: &str, stop: &AtomicBool) -> Result<(), ApiError> {
    let body = json!({ "chat_id": chat, "text": text });
    let mut waits = 0;
    loop {
        match client.call::<Value>("sendMessage", &body) {
            Err(ApiError::TooMany(secs)) if secs <= WAIT_IN_PLACE_SECS && waits < 3 => {
                waits += 1;
                let until = std::time::Instant::now() + std::time::Duration::from_secs(secs);
                while std::time::Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        return Err(ApiError::TooMany(secs));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
            }
            other => return other.map(|_| ()),
        }
    }
}

fn retry(error: String, after: Duration) -> SendOutcome {
    SendOutcome::Retry {
        error,
        at: Utc::now() + after,
    }
}

/// 30 s, doubling per attempt, at most an hour (as for mail).
fn backoff(attempts: i64) -> Duration {
    Duration::seconds((30i64 << attempts.clamp(0, 7)).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_reply_is_one_part() {
        assert_eq!(split_message("Дякую!"), vec!["Дякую!"]);
    }

    #[test]
    fn a_long_reply_splits_at_a_line_break_under_the_limit() {
        let line = "Рядок відповіді з кирилицею. ".repeat(10);
        let text = vec![line.trim(); 40].join("\n");
        let parts = split_message(&text);
        assert!(parts.len() > 1);
        for p in &parts {
            assert!(p.encode_utf16().count() <= MAX_MESSAGE_UNITS);
            assert!(
                p.ends_with('.'),
                "cut inside a line: {:?}",
                &p[p.len() - 20..]
            );
        }
        assert_eq!(parts.join("\n"), text);
    }

    #[test]
    fn emoji_count_as_two_units_and_are_never_cut() {
        let text = "😀".repeat(3000);
        let parts = split_message(&text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].chars().count(), 2048);
        assert_eq!(parts.concat(), text);
    }

    #[test]
    fn mail_bytes_are_not_a_telegram_reply() {
        assert_eq!(Outgoing::from_raw(b"From: a@b.c\r\n\r\nhi"), None);
        let out = Outgoing {
            telegram_chat: 42,
            text: "hi".into(),
            parts_sent: 0,
        };
        assert_eq!(Outgoing::from_raw(&out.to_raw()), Some(out));
    }
}
