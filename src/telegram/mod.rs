//! A Telegram bot as a live support channel: customers write to the business's bot,
//! their messages become tickets like mail, and replies typed in the console go
//! back to their chat through the outbox (with its undo window).
//!
//! - [`fetch_once`]: one `getUpdates` long poll, its messages, edits and files
//!   committed with the channel's offset in one transaction (`firstline fetch`, the
//!   console's poller).
//! - [`Outgoing`] / [`send_reply`]: a queued reply on a bot ticket, sent with
//!   `sendMessage` in parts of at most 4,096 characters (`mail::deliver` hands these
//!   over instead of mail).
//! - [`channel_state`]: when the channel was last read, for the status bar and
//!   `firstline check` (Telegram keeps undelivered updates for about a day).
//!
//! The client is ureq + serde_json (see the README's Telegram section for why), and
//! the token is redacted from every message this module produces.

mod api;
mod intake;
mod outgoing;
mod update;

pub use api::ApiError;
pub use intake::{fetch_once, FetchOptions, FetchSummary};
pub use outgoing::{
    build_reply, reply_chat, send_reply, split_message, Outgoing, SendOutcome, MAX_MESSAGE_UNITS,
};
pub use update::{read as read_update, ChatMessage, Incoming, MediaRef, Sender};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::config::TelegramConfig;
use crate::store::{Store, StoreError};

/// The `import_sources` key of the bot channel's position.
pub const SOURCE_KEY: &str = "telegram:bot";

/// Telegram drops updates nobody fetched after about a day; warn well before.
pub const STALE_AFTER_HOURS: i64 = 20;

/// Why the channel could not be read or written to, in words for the user.
#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    /// There is no `[telegram]` section.
    #[error("no Telegram bot is set up; add a [telegram] section to config.toml (see the README's Telegram section)")]
    NotConfigured,
    /// The token could not be had (never contains the token).
    #[error("{0}")]
    Token(String),
    #[error(transparent)]
    Api(#[from] ApiError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(#[from] crate::mail::MailError),
    /// Another firstline on the shared queue polls this bot (it holds the bot's
    /// fetcher lock); the line says so, and this one waits.
    #[error("{0}")]
    Busy(String),
}

/// Where the channel is: the next update to ask for, and when it was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// The bot's id (the token's public half): another bot starts afresh.
    pub bot: String,
    /// The next `update_id` to ask for; everything below it is stored.
    pub offset: i64,
    /// The first poll ever: messages older than this get no away reply.
    pub first_poll_at: Option<i64>,
    /// The last successful poll.
    pub last_poll_at: Option<i64>,
}

pub(crate) fn load_position(store: &Store) -> Result<Position, StoreError> {
    Ok(store
        .import_progress(SOURCE_KEY)?
        .and_then(|p| serde_json::from_str(&p).ok())
        .unwrap_or_default())
}

/// What the status bar and `check` say about the channel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChannelState {
    /// The last time updates were fetched; `None` when never.
    pub last_poll_at: Option<DateTime<Utc>>,
    /// Not read for [`STALE_AFTER_HOURS`]: messages may be lost.
    pub stale: bool,
}

impl ChannelState {
    /// The warning to show, if any.
    pub fn warning(&self, now: DateTime<Utc>) -> Option<String> {
        match self.last_poll_at {
            Some(at) if self.stale => Some(format!(
                "Telegram not read for {}: Telegram keeps messages about a day, some may be lost; run `firstline fetch` or keep the console open",
                crate::sla::human_duration(now - at)
            )),
            None => Some("Telegram has never been read: run `firstline fetch`".into()),
            _ => None,
        }
    }
}

/// The channel's state at `now`; `None` when no bot is set up.
pub fn channel_state(
    store: &Store,
    config: Option<&TelegramConfig>,
    now: DateTime<Utc>,
) -> Result<Option<ChannelState>, StoreError> {
    if config.is_none() {
        return Ok(None);
    }
    let last = load_position(store)?
        .last_poll_at
        .and_then(|ts| DateTime::from_timestamp(ts, 0));
    Ok(Some(ChannelState {
        last_poll_at: last,
        stale: last.is_some_and(|at| now - at >= Duration::hours(STALE_AFTER_HOURS)),
    }))
}

/// The bot token from `token_env` or `token_command`. Errors name where it was
/// looked for, never what was found.
pub fn resolve_token(config: &TelegramConfig) -> Result<String, TelegramError> {
    let (token, from) = if let Some(var) =
        config.token_env.as_deref().filter(|v| !v.trim().is_empty())
    {
        let value = std::env::var(var.trim()).map_err(|_| {
            TelegramError::Token(format!(
                "the environment variable {var} ([telegram] token_env) is not set; export it with your bot's token from @BotFather"
            ))
        })?;
        (value, format!("${var}"))
    } else if let Some(cmd) = config
        .token_command
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        let out = std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .output()
            .map_err(|e| {
                TelegramError::Token(format!("cannot run [telegram] token_command: {e}"))
            })?;
        if !out.status.success() {
            return Err(TelegramError::Token(format!(
                "[telegram] token_command failed ({}); run it yourself to see why",
                out.status
            )));
        }
        (
            String::from_utf8_lossy(&out.stdout).into_owned(),
            "[telegram] token_command".to_string(),
        )
    } else {
        return Err(TelegramError::Token(
            "[telegram] needs token_env or token_command".into(),
        ));
    };
    let token = token.trim().to_string();
    let well_formed = token.split_once(':').is_some_and(|(id, secret)| {
        !id.is_empty()
            && id.chars().all(|c| c.is_ascii_digit())
            && !secret.is_empty()
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    });
    if !well_formed {
        return Err(TelegramError::Token(format!(
            "the bot token from {from} does not look like one (digits, a colon, then letters, as @BotFather gives it)"
        )));
    }
    Ok(token)
}

/// Removes the bot's webhook, so its updates can be fetched by polling (a bot set up
/// for another tool once may still have one: `getUpdates` then answers 409).
pub fn delete_webhook(config: &TelegramConfig) -> Result<(), TelegramError> {
    let token = resolve_token(config)?;
    let client = api::Client::new(&config.api_url, &token, 0);
    client.call::<serde_json::Value>("deleteWebhook", &serde_json::json!({}))?;
    Ok(())
}

/// Whether `api_url` can carry a token: `https://`, or `http://` to this machine
/// only (a local Bot API server, a test server).
pub fn check_api_url(api_url: &str) -> Result<(), String> {
    let url = api_url.trim();
    if url.starts_with("https://") && url.len() > "https://".len() {
        return Ok(());
    }
    if url.starts_with("http://") {
        return if is_loopback_url(url) {
            Ok(())
        } else {
            Err(format!(
                "'{}' would send the bot token unencrypted; use https://, or http:// only to localhost",
                crate::display::sanitize_line(url)
            ))
        };
    }
    Err(format!(
        "'{}' is not a URL; expected e.g. \"https://api.telegram.org\"",
        crate::display::sanitize_line(url)
    ))
}

/// Whether a URL's host is this machine.
pub(crate) fn is_loopback_url(url: &str) -> bool {
    let rest = url
        .trim()
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let authority = rest.split('/').next().unwrap_or("");
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `text` with every occurrence of `token` replaced: the token must never be shown.
pub(crate) fn redact(text: &str, token: &str) -> String {
    if token.is_empty() {
        return text.to_string();
    }
    let mut out = text.replace(token, "<token>");
    // A URL-encoded colon hides the token from a plain search.
    let encoded = token.replace(':', "%3A");
    if encoded != token {
        out = out.replace(&encoded, "<token>");
    }
    out
}

/// The Message-ID of a bot chat's message: stable, so a replayed update is a
/// duplicate, and distinct from Telegram Desktop exports' (`@telegram.firstline`),
/// whose message numbers are another account's.
pub fn message_id_for(chat_id: i64, message_id: i64) -> String {
    format!("tg-{chat_id}-{message_id}{BOT_ID_SUFFIX}")
}

/// The domain of every bot chat Message-ID.
pub const BOT_ID_SUFFIX: &str = "@bot.telegram.firstline";

/// The chat a bot Message-ID belongs to.
pub fn chat_of_message_id(id: &str) -> Option<i64> {
    let inner = id.strip_suffix(BOT_ID_SUFFIX)?.strip_prefix("tg-")?;
    let (chat, _) = inner.rsplit_once('-')?;
    chat.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_is_redacted_plain_and_url_encoded() {
        let token = "123456:AAbbCC_dd-ee";
        let text = "POST http://127.0.0.1:9/bot123456:AAbbCC_dd-ee/getUpdates and bot123456%3AAAbbCC_dd-ee";
        let out = redact(text, token);
        assert!(!out.contains("AAbbCC"), "{out}");
        assert_eq!(out.matches("<token>").count(), 2);
    }

    #[test]
    fn only_https_or_local_http_may_carry_the_token() {
        assert!(check_api_url("https://api.telegram.org").is_ok());
        assert!(check_api_url("http://127.0.0.1:8081").is_ok());
        assert!(check_api_url("http://localhost:8081/").is_ok());
        assert!(check_api_url("http://[::1]:8081").is_ok());
        assert!(check_api_url("http://api.telegram.org").is_err());
        assert!(check_api_url("http://127.0.0.1.evil.com").is_err());
        assert!(check_api_url("api.telegram.org").is_err());
    }

    #[test]
    fn bot_message_ids_round_trip_their_chat() {
        let id = message_id_for(-100123, 77);
        assert_eq!(chat_of_message_id(&id), Some(-100123));
        assert_eq!(chat_of_message_id("tg-5-1@telegram.firstline"), None);
    }

    #[test]
    fn a_malformed_token_is_refused_without_showing_it() {
        let var = "FIRSTLINE_TEST_TOKEN_MALFORMED";
        std::env::set_var(var, "not a token secret-words");
        let config = TelegramConfig {
            token_env: Some(var.into()),
            ..TelegramConfig::default()
        };
        let err = resolve_token(&config).unwrap_err().to_string();
        assert!(err.contains(var), "{err}");
        assert!(!err.contains("secret-words"), "{err}");
    }
}
