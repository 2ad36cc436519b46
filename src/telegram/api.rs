//! The few Bot API calls firstline makes (`getUpdates`, `getFile`, `sendMessage`,
//! `deleteWebhook`, and the file download), over a blocking ureq agent, with
//! Telegram's answers turned into [`ApiError`]s that say what to do.
//!
//! The token is part of every URL (`/bot<token>/method`), and HTTP errors name
//! their URL: every message leaving this module goes through [`Client::redact`], so
//! the token never reaches the screen, a log or a ticket.

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::time::Duration;

/// Longest JSON answer read (a getUpdates page of 100 long messages fits easily).
const MAX_JSON_BYTES: u64 = 16 * 1024 * 1024;

/// A Bot API call that did not give what was asked, in plain words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApiError {
    /// 401: the token is wrong or was revoked.
    #[error("Telegram refused the bot token (401 Unauthorized): check [telegram] token_env / token_command; a token from @BotFather's /token replaces a revoked one")]
    BadToken,
    /// 403: the customer blocked the bot (or never started it).
    #[error("the customer blocked the bot or never started it (403: {0}); Telegram will not deliver to them until they unblock it — reach them another way")]
    Blocked(String),
    /// 409: a webhook is set, so updates are not handed out by polling.
    #[error("a webhook is set for this bot, so Telegram will not hand out updates by polling (409); remove it with `firstline fetch --delete-webhook` (or open https://api.telegram.org/bot<token>/deleteWebhook)")]
    WebhookSet,
    /// 409: another program polls the same bot at the same time.
    #[error("another program is reading this bot's updates at the same time (409); keep one reader: the console or `firstline fetch --watch`, not both, and no other tool with this token")]
    OtherReader,
    /// 429: too many requests; Telegram says how long to wait.
    #[error("Telegram asked to slow down (429); retry after {0} s")]
    TooMany(u64),
    /// Another answer with `ok: false` (400 chat not found, message too long, …).
    #[error("Telegram said {status}: {description}")]
    Refused { status: u16, description: String },
    /// The server could not be reached or the connection broke.
    #[error("cannot reach the Bot API at {url}: {detail}")]
    Network { url: String, detail: String },
    /// An answer that is not the Bot API's JSON.
    #[error("the Bot API at {url} answered something unreadable: {detail}")]
    Garbled { url: String, detail: String },
}

impl ApiError {
    /// Whether trying again later can help (a network hiccup, rate limit, a server
    /// error), as opposed to a refusal that stays until someone acts.
    pub fn is_transient(&self) -> bool {
        match self {
            ApiError::Network { .. } | ApiError::TooMany(_) | ApiError::Garbled { .. } => true,
            ApiError::Refused { status, .. } => *status >= 500,
            // A fixed token makes the reply go out: keep it queued.
            ApiError::BadToken => true,
            ApiError::OtherReader => true,
            ApiError::Blocked(_) | ApiError::WebhookSet => false,
        }
    }
}

/// The envelope of every Bot API answer.
#[derive(Debug, Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    result: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    parameters: Option<ResponseParameters>,
}

#[derive(Debug, Deserialize)]
struct ResponseParameters {
    #[serde(default)]
    retry_after: Option<u64>,
}

/// `getFile`'s answer: where the file can be downloaded, and its size.
#[derive(Debug, Clone, Deserialize)]
pub struct FileInfo {
    #[serde(default)]
    pub file_path: Option<String>,
    #[serde(default)]
    pub file_size: Option<u64>,
}

/// A Bot API client for one bot.
pub struct Client {
    agent: ureq::Agent,
    base: String,
    token: String,
}

impl Client {
    /// A client for `token` at `api_url` (validated by [`super::check_api_url`]).
    /// Calls time out `poll_seconds` plus a margin after they are made, so a long
    /// poll is never cut short and a dead server never hangs the caller for good.
    pub fn new(api_url: &str, token: &str, poll_seconds: u64) -> Client {
        let base = api_url.trim().trim_end_matches('/').to_string();
        let mut config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(poll_seconds + 60)))
            .max_redirects(0);
        if super::is_loopback_url(&base) {
            // A proxy from the environment must not carry local traffic.
            config = config.proxy(None);
        }
        Client {
            agent: config.build().into(),
            base,
            token: token.to_string(),
        }
    }

    /// The bot's numeric id: the part of the token before the colon, which Telegram
    /// publishes anyway (it is the bot's user id). Empty for a malformed token.
    pub fn bot_id(&self) -> &str {
        self.token.split(':').next().unwrap_or("")
    }

    /// `text` with the token replaced, wherever it appears.
    pub fn redact(&self, text: &str) -> String {
        super::redact(text, &self.token)
    }

    /// The URL to show in messages: the server, never the token.
    fn shown_url(&self) -> String {
        self.base.clone()
    }

    /// Calls `method` with a JSON body and decodes its `result`.
    pub fn call<T: DeserializeOwned>(&self, method: &str, body: &Value) -> Result<T, ApiError> {
        let url = format!("{}/bot{}/{method}", self.base, self.token);
        let payload = serde_json::to_vec(body).map_err(|e| self.garbled(e.to_string()))?;
        let response = self
            .agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(&payload[..]);
        let mut response = response.map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(MAX_JSON_BYTES)
            .read_to_vec()
            .map_err(|e| self.network(e))?;
        let envelope: Envelope = serde_json::from_slice(&bytes).map_err(|e| {
            self.garbled(format!(
                "HTTP {status}, {e} ({})",
                crate::display::sanitize_line(&String::from_utf8_lossy(
                    &bytes[..bytes.len().min(120)]
                ))
            ))
        })?;
        if !envelope.ok {
            let description =
                self.redact(envelope.description.as_deref().unwrap_or("no reason given"));
            return Err(match status {
                401 => ApiError::BadToken,
                403 => ApiError::Blocked(description),
                409 if description.contains("getUpdates request") => ApiError::OtherReader,
                409 => ApiError::WebhookSet,
                429 => {
                    ApiError::TooMany(envelope.parameters.and_then(|p| p.retry_after).unwrap_or(5))
                }
                other => ApiError::Refused {
                    status: other,
                    description,
                },
            });
        }
        let result = envelope.result.unwrap_or(Value::Null);
        serde_json::from_value(result).map_err(|e| self.garbled(format!("{method}: {e}")))
    }

    /// Downloads a file named by `getFile`, refusing more than `limit` bytes.
    pub fn download(&self, file_path: &str, limit: u64) -> Result<Vec<u8>, ApiError> {
        let path: String = file_path
            .split('/')
            .filter(|part| !part.is_empty() && *part != "..")
            .collect::<Vec<_>>()
            .join("/");
        let url = format!("{}/file/bot{}/{path}", self.base, self.token);
        let mut response = self.agent.get(&url).call().map_err(|e| self.network(e))?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(ApiError::Refused {
                status,
                description: "the file could not be downloaded".into(),
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(limit)
            .read_to_vec()
            .map_err(|e| self.network(e))
    }

    fn network(&self, e: impl std::fmt::Display) -> ApiError {
        ApiError::Network {
            url: self.shown_url(),
            detail: self.redact(&e.to_string()),
        }
    }

    fn garbled(&self, detail: String) -> ApiError {
        ApiError::Garbled {
            url: self.shown_url(),
            detail: self.redact(&detail),
        }
    }
}
