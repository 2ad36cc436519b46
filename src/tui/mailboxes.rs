//! Live mailboxes for the console: one thread per `[[mail.accounts]]` entry fetches
//! the account when the console starts and then keeps watching it (IDLE, or a poll
//! every few minutes), each with its own connection to the queue. The console hears
//! each account's state for the status bar ("shop ✓ 2 min ago", "shop: login
//! failed — check password_env") and how many messages arrived, and reloads.
//!
//! Quitting stops every thread (the stop signal cuts a connection waiting in IDLE)
//! and joins them, so no fetch is left half-way when the process ends.

use chrono::{DateTime, Utc};
use std::sync::Arc;
use std::thread::JoinHandle;

use crate::config::Config;
use crate::mail::imap::{self, Account, AccountEvent, StopSignal};
use crate::store::Location;

/// How long quitting waits for all account threads together.
const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// What the status bar says about one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MailboxState {
    /// The first fetch has not finished yet.
    Fetching,
    /// The last fetch worked, at this time.
    Fetched { at: DateTime<Utc> },
    /// The last try failed, with the short reason; the watch tries again.
    Failed(String),
}

/// One account's line in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxStatus {
    pub account: String,
    pub state: MailboxState,
}

impl MailboxStatus {
    /// `shop ✓ 2 min ago`, `shop …`, `shop: login failed — check password_env`.
    pub fn text(&self, now: DateTime<Utc>) -> String {
        match &self.state {
            MailboxState::Fetching => format!("{} …", self.account),
            MailboxState::Fetched { at } => format!("{} ✓ {}", self.account, ago(now - *at)),
            MailboxState::Failed(why) => format!("{}: {why}", self.account),
        }
    }
}

fn ago(d: chrono::Duration) -> String {
    let mins = d.num_minutes();
    if mins < 1 {
        "just now".into()
    } else if mins < 60 {
        format!("{mins} min ago")
    } else if mins < 48 * 60 {
        format!("{} h ago", mins / 60)
    } else {
        format!("{} days ago", mins / (24 * 60))
    }
}

/// News from an account's thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailboxNews {
    pub account: String,
    pub state: MailboxState,
    /// Messages stored by the fetch this news is about.
    pub added: usize,
    /// The tickets they were stored on, each once, in arrival order: the status line
    /// names them, so an answer is found without hunting for it in the list.
    pub tickets: Vec<crate::model::TicketId>,
}

/// The running account threads.
pub struct Mailboxes {
    stop: Arc<StopSignal>,
    threads: Vec<JoinHandle<()>>,
    /// Every account, in the settings' order, as the status bar starts them.
    pub accounts: Vec<String>,
}

impl Mailboxes {
    /// Starts a thread per account for the queue at `db`; `Ok(None)` when no account
    /// is set or the queue has no file. The error is a sentence for the status bar.
    pub fn start(
        db: Option<&Location>,
        config: &Config,
        news: Arc<dyn Fn(MailboxNews) -> bool + Send + Sync>,
    ) -> Result<Option<Mailboxes>, String> {
        Mailboxes::start_with(db, config, imap::WatchOptions::default(), news)
    }

    /// [`Mailboxes::start`] with explicit waits (tests shorten them).
    pub fn start_with(
        db: Option<&Location>,
        config: &Config,
        mut options: imap::WatchOptions,
        news: Arc<dyn Fn(MailboxNews) -> bool + Send + Sync>,
    ) -> Result<Option<Mailboxes>, String> {
        if config.mail.accounts.is_empty() {
            return Ok(None);
        }
        let Some(db) = db else {
            return Ok(None);
        };
        let dir = config.path.as_deref().and_then(std::path::Path::parent);
        let accounts = Account::all(&config.mail, dir)
            .map_err(|e| format!("mail accounts are not being read: {e}"))?;
        options.fetch.import.timezone = crate::sla::timezone(&config.sla);
        let stop = Arc::new(StopSignal::new());
        let mut threads = Vec::new();
        for account in &accounts {
            let mut store = db.open().map_err(|e| {
                format!(
                    "{}: new mail is not being read (cannot open the queue: {e}); restart firstline",
                    account.name
                )
            })?;
            store.set_actor("import");
            let (tx, stop, config, options) =
                (news.clone(), stop.clone(), config.clone(), options.clone());
            let name = account.name.clone();
            let account = account.clone();
            let handle = std::thread::Builder::new()
                .name(format!("firstline-mail-{name}"))
                .spawn(move || {
                    imap::watch_account(
                        &mut store,
                        &config,
                        &account,
                        &options,
                        &stop,
                        &mut |event| {
                            tx(news_of(&account, event));
                        },
                    );
                })
                .map_err(|e| {
                    format!("{name}: new mail is not being read (cannot start a thread: {e})")
                })?;
            threads.push(handle);
        }
        Ok(Some(Mailboxes {
            stop,
            threads,
            accounts: accounts.into_iter().map(|a| a.name).collect(),
        }))
    }

    /// Stops every account thread and waits for them to end.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.stop();
        // The stop signal cuts a connection waiting in IDLE; a login or fetch
        // stuck on a dead network is left behind after the wait.
        let deadline = std::time::Instant::now() + QUIT_WAIT;
        for handle in self.threads.drain(..) {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            super::threads::join_within(handle, left);
        }
    }
}

impl Drop for Mailboxes {
    fn drop(&mut self) {
        self.halt();
    }
}

fn news_of(account: &Account, event: AccountEvent) -> MailboxNews {
    match event {
        AccountEvent::Fetched(summary) => MailboxNews {
            account: account.name.clone(),
            state: match summary.problems.first() {
                Some(problem) => MailboxState::Failed(crate::display::sanitize_line(problem)),
                None => MailboxState::Fetched { at: Utc::now() },
            },
            added: summary.import.added,
            tickets: summary.import.touched.clone(),
        },
        AccountEvent::Failed(e) => MailboxNews {
            account: account.name.clone(),
            state: MailboxState::Failed(crate::display::sanitize_line(&e.short(account))),
            added: 0,
            tickets: Vec::new(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_texts() {
        let now = Utc::now();
        let ok = MailboxStatus {
            account: "shop".into(),
            state: MailboxState::Fetched {
                at: now - chrono::Duration::minutes(2),
            },
        };
        assert_eq!(ok.text(now), "shop ✓ 2 min ago");
        let bad = MailboxStatus {
            account: "shop".into(),
            state: MailboxState::Failed("login failed — check password_env".into()),
        };
        assert_eq!(bad.text(now), "shop: login failed — check password_env");
    }
}
