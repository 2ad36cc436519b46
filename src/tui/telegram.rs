//! The Telegram bot channel for the console: long-polls `getUpdates` on a thread of
//! its own connection (a slow or dead network never freezes a key) and reports each
//! round, so the status bar can say whether the channel is live.
//!
//! A long poll cannot be interrupted, so on quit the thread is told to stop and
//! whatever it fetched after that is dropped uncommitted (Telegram hands it out again
//! next time); the console waits for it briefly and otherwise leaves: a thread blocked
//! in a poll holds nothing that is not safe in the database or at Telegram.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::Location;
use crate::telegram::{self, ApiError, FetchOptions, FetchSummary, TelegramError};

/// How long quitting waits for a poll in flight to end.
const QUIT_WAIT: Duration = Duration::from_secs(2);
/// How often a sleeping poller checks whether it should stop.
const NAP: Duration = Duration::from_millis(100);

/// News from the poller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChannelNews {
    /// A round finished (possibly with nothing new).
    Fetched(FetchSummary),
    /// A round failed: a short phrase for the status bar, and the whole sentence.
    Failed { short: String, full: String },
}

/// What the status bar shows about the channel.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChannelView {
    /// The last round that worked (from the database at start, then from the poller).
    pub last_poll: Option<DateTime<Utc>>,
    /// The last round's failure, until a round works again.
    pub error: Option<String>,
}

impl ChannelView {
    /// The words for the status bar, and whether they are a warning.
    pub fn status(&self, now: DateTime<Utc>) -> (String, bool) {
        if let Some(e) = &self.error {
            return (format!("telegram: {e}"), true);
        }
        match self.last_poll {
            None => ("telegram: connecting…".into(), false),
            Some(at) if now - at >= chrono::Duration::hours(telegram::STALE_AFTER_HOURS) => (
                format!(
                    "telegram not read for {}: messages may be lost",
                    crate::sla::human_duration(now - at)
                ),
                true,
            ),
            Some(_) => ("telegram live".into(), false),
        }
    }
}

/// The running poller. [`Poller::stop`] (or dropping it) asks the thread to end.
pub struct Poller {
    thread: super::threads::Stopper,
}

impl Poller {
    /// Starts polling for the queue at `path`; `Ok(None)` when no bot is set up. The
    /// error is a sentence for the status bar. Each round is told to `news`.
    pub fn start(
        at: &Location,
        config: Config,
        news: impl Fn(ChannelNews) -> bool + Send + 'static,
    ) -> Result<Option<Poller>, String> {
        if config.telegram.is_none() {
            return Ok(None);
        }
        let mut store = at.open().map_err(|e| {
            format!("Telegram is not being read (cannot open the queue: {e}); restart firstline")
        })?;
        store.set_actor("telegram");
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("firstline-telegram".into())
            .spawn(move || {
                // The first round does not wait: the status bar can say "live" (or
                // what is wrong) at once instead of after a whole long poll.
                let mut options = FetchOptions {
                    poll_seconds: Some(0),
                    stop: Some(Arc::clone(&stopping)),
                };
                let mut failures = 0u32;
                while !stopping.load(Ordering::Relaxed) {
                    let round = telegram::fetch_once(&mut store, &config, &options);
                    options.poll_seconds = None;
                    if stopping.load(Ordering::Relaxed) {
                        break;
                    }
                    let pause = match round {
                        Ok(summary) => {
                            failures = 0;
                            news(ChannelNews::Fetched(summary));
                            Duration::ZERO
                        }
                        Err(e) => {
                            // Another firstline polls the bot (team mode): not a
                            // failure to back off from — look again soon, so this
                            // console takes over within seconds when that one stops.
                            let busy = matches!(e, TelegramError::Busy(_));
                            if !busy {
                                failures += 1;
                            }
                            let wait = match &e {
                                TelegramError::Api(ApiError::TooMany(secs)) => *secs,
                                TelegramError::Busy(_) => 2,
                                _ => 5u64 << failures.min(4),
                            };
                            news(ChannelNews::Failed {
                                short: short_reason(&e),
                                full: format!("Telegram: {e}"),
                            });
                            Duration::from_secs(wait.min(120))
                        }
                    };
                    let until = Instant::now() + pause;
                    while Instant::now() < until && !stopping.load(Ordering::Relaxed) {
                        thread::sleep(NAP);
                    }
                }
            })
            .map_err(|e| format!("Telegram is not being read (cannot start a thread: {e})"))?;
        Ok(Some(Poller {
            thread: super::threads::Stopper::new(stop, thread, QUIT_WAIT),
        }))
    }

    /// Asks the thread to end and joins it, unless it is still inside a long poll
    /// after [`QUIT_WAIT`] (see the module notes).
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.thread.halt();
    }
}

/// A few words for the status bar; the whole sentence goes to the message line.
fn short_reason(e: &TelegramError) -> String {
    match e {
        TelegramError::Api(ApiError::WebhookSet) => {
            "webhook set (409): firstline fetch --delete-webhook".into()
        }
        TelegramError::Api(ApiError::BadToken) => "bad token (401): check [telegram]".into(),
        TelegramError::Api(ApiError::OtherReader) => {
            "another program reads this bot (409): keep one".into()
        }
        TelegramError::Api(ApiError::TooMany(s)) => format!("slowed down (429), retry in {s} s"),
        TelegramError::Api(ApiError::Network { .. }) => "offline, retrying".into(),
        TelegramError::Token(_) => "no token: check [telegram]".into(),
        // "another firstline is fetching the bot @shop_bot (waiting)".
        TelegramError::Busy(line) => line.clone(),
        _ => "failing: see the message".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, h, 0, 0).unwrap()
    }

    #[test]
    fn the_status_bar_says_live_failing_or_stale() {
        let mut view = ChannelView::default();
        assert_eq!(view.status(at(10)), ("telegram: connecting…".into(), false));
        view.last_poll = Some(at(9));
        assert_eq!(view.status(at(10)), ("telegram live".into(), false));
        let stale = view.status(at(9) + chrono::Duration::hours(21));
        assert_eq!(
            stale,
            (
                "telegram not read for 21h: messages may be lost".into(),
                true
            )
        );
        view.error = Some("bad token (401): check [telegram]".into());
        assert_eq!(
            view.status(at(10)),
            ("telegram: bad token (401): check [telegram]".into(), true)
        );
    }

    #[test]
    fn short_reasons_say_what_to_do() {
        let webhook = short_reason(&TelegramError::Api(ApiError::WebhookSet));
        assert!(webhook.contains("--delete-webhook"), "{webhook}");
        let slow = short_reason(&TelegramError::Api(ApiError::TooMany(7)));
        assert_eq!(slow, "slowed down (429), retry in 7 s");
        let busy = "another firstline is fetching the bot @shop_bot (waiting)";
        assert_eq!(short_reason(&TelegramError::Busy(busy.into())), busy);
    }
}
