//! Live mail: the user's own mailbox read over IMAP (`[[mail.accounts]]`), through
//! the same import pipeline as files, so threading, deduplication, attachments and
//! resume are the import's.
//!
//! - `account`: the settings, checked; where the secret comes from.
//! - `connect`: TLS / STARTTLS / plain-to-localhost, login, errors in words.
//! - `sync`: one folder by UID, its state committed with its messages, `after_fetch`
//!   only after the commit.
//! - `watch`: fetch, then wait with IDLE (or poll), reconnecting with backoff.
//! - `append`: replies sent from firstline into the Sent folder.
//!
//! The `imap` crate (3.0 alpha, pinned) is synchronous, which suits a program whose
//! background work runs on plain threads, and has IDLE, UID commands and XOAUTH2.

mod account;
mod append;
pub mod away;
mod connect;
mod sync;
mod watch;

pub use account::{check_accounts, Account, AfterFetch, SecretSource, Security};
pub use append::append_sent;
pub use sync::FolderState;
pub use watch::{watch_account, AccountEvent, StopSignal, WatchOptions};

use serde::Serialize;
use std::time::Duration;

use super::intake::{ImportOptions, Importer, ProgressEvent};
use super::{ImportReport, MailError};
use crate::config::Config;
use crate::store::live_fetchers::{fetcher_name, Claim, FetcherLock};
use crate::store::Store;
use sync::Role;

/// Why a fetch could not be done (or finish). Each says what to do in one line; the
/// account name is added by [`FetchError::for_account`].
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The server refused the login, or the secret could not be read.
    #[error("{0}")]
    Login(String),
    /// The server could not be reached or secured (DNS, TCP, TLS, no STARTTLS).
    #[error("{0}")]
    Connect(String),
    /// A folder named in the settings (or by `after_fetch`) is not on the server.
    #[error("{0}")]
    Folder(String),
    /// The connection broke or the server answered nonsense; what was committed
    /// stays, and the next fetch resumes after it.
    #[error("{0}")]
    Lost(String),
    /// The local queue could not be written.
    #[error(transparent)]
    Store(MailError),
    /// Another firstline on the shared queue fetches this account (it holds the
    /// account's fetcher lock): the line says so, and this one waits or skips.
    #[error("{0}")]
    Busy(String),
}

impl FetchError {
    /// A short form for the console's status bar: `login failed — check password_env`.
    pub fn short(&self, account: &Account) -> String {
        match self {
            FetchError::Login(_) => format!("login failed — check {}", account.secret.key()),
            FetchError::Connect(why) if why.starts_with("TLS") => why.clone(),
            FetchError::Connect(_) => format!("cannot reach {}", account.host),
            FetchError::Folder(why) => why.clone(),
            FetchError::Lost(_) => "connection lost; retrying".into(),
            FetchError::Store(e) => format!("cannot store mail: {e}"),
            FetchError::Busy(line) => line.clone(),
        }
    }

    /// Whether trying again soon may help (a dropped connection), rather than the
    /// user having to change something.
    pub fn is_transient(&self) -> bool {
        matches!(self, FetchError::Lost(_) | FetchError::Connect(_))
    }
}

/// How a fetch runs.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Batching, time zone and threading windows, as for `import`.
    pub import: ImportOptions,
    /// Reconnects after a dropped connection before giving up.
    pub retries: u32,
    /// The first wait before reconnecting; doubled each time.
    pub backoff: Duration,
    /// Messages per FETCH command (also bounded by bytes).
    pub chunk_messages: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            import: ImportOptions::default(),
            retries: 3,
            backoff: Duration::from_secs(1),
            chunk_messages: sync::CHUNK_MESSAGES,
        }
    }
}

/// One folder's part of a fetch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FolderReport {
    pub folder: String,
    /// Messages on the server past what was committed before.
    pub new_messages: usize,
    /// The server's UIDVALIDITY changed: the folder was read again from its start.
    pub uidvalidity_changed: bool,
    /// UIDs `after_fetch` was done for (0 for `keep`).
    pub after_fetch: usize,
    /// The folder's UIDNEXT when it was read: the watch compares it before IDLE, so
    /// mail that arrived in between is not left waiting for the next refresh.
    #[serde(skip)]
    pub uid_next: Option<u32>,
}

/// What one account's fetch did.
#[derive(Debug, Clone, Serialize)]
pub struct FetchSummary {
    pub account: String,
    pub folders: Vec<FolderReport>,
    /// The import's counts, as `firstline import` reports them.
    pub import: ImportReport,
    /// Folders that could not be read, each with why (the others were read).
    pub problems: Vec<String>,
    /// Reconnects after a dropped connection.
    pub reconnects: u32,
    /// Away replies queued for customers who opened a ticket outside business hours.
    pub away_replies: usize,
    /// Of those, the ones the transport has not accepted: they wait in the outbox.
    #[serde(skip_serializing_if = "is_zero")]
    pub away_replies_undelivered: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// Fetches every folder of `account` once: its folders, then its Sent folder (so
/// the user's replies find the customers' mail they answer). A dropped connection is
/// retried `options.retries` times with backoff, resuming after what was committed;
/// a folder that does not exist is reported in `problems` and the others are read.
pub fn fetch_account(
    store: &mut Store,
    config: &Config,
    account: &Account,
    options: &FetchOptions,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<FetchSummary, FetchError> {
    let config = with_account_address(config, account);
    // Held to the end of the fetch: another firstline fetching this account now
    // means this one skips it (the mail comes in there).
    let _lock = claim(store, &config, account)?;
    let mut importer = Importer::new(store, &config, &options.import).map_err(FetchError::Store)?;
    let mut reconnects = 0;
    let mut wait = options.backoff;
    let mut noted = sync::Noted::default();
    let outcome = loop {
        let attempt = connect::connect(account).and_then(|mut conn| {
            let result = sync_account(
                &mut importer,
                &mut conn,
                &config,
                account,
                options,
                &mut noted,
                progress,
            );
            conn.logout();
            result
        });
        match attempt {
            Err(FetchError::Lost(_)) if reconnects < options.retries => {
                reconnects += 1;
                std::thread::sleep(wait);
                wait = (wait * 2).min(Duration::from_secs(60));
            }
            other => break other,
        }
    };
    let (folders, problems) = match outcome {
        Ok(done) => done,
        Err(e) => {
            // What was committed stays, and the tickets it opened are answered now:
            // the next fetch finds their mail stored and opens nothing.
            if let Ok(import) = importer.finish(Ok(())) {
                away::answer(
                    store,
                    &config,
                    &import.opened,
                    &noted.away,
                    chrono::Utc::now(),
                );
            }
            return Err(e);
        }
    };
    let import = importer.finish(Ok(())).map_err(FetchError::Store)?;
    Ok(summarize(
        store, &config, account, folders, import, problems, reconnects, &noted,
    ))
}

/// Takes `account`'s fetcher lock on the queue (see `store::live_fetchers`): on a
/// shared queue one fetcher per account; [`FetchError::Busy`] with the line to say
/// when another firstline holds it.
pub(crate) fn claim(
    store: &Store,
    config: &Config,
    account: &Account,
) -> Result<FetcherLock, FetchError> {
    let fetched = account.fetched_account();
    let who = fetcher_name(&config.agent.name);
    match FetcherLock::claim(store.location().as_ref(), &fetched, &who) {
        Ok(Claim::Ours(lock)) => Ok(lock),
        Ok(Claim::Busy { .. }) => Err(FetchError::Busy(fetched.waiting_line())),
        Err(e) => Err(FetchError::Store(MailError::Store(e))),
    }
}

/// The summary of a fetch whose mail is committed, after the away replies it calls
/// for (they need the store out of the import's bulk mode).
#[allow(clippy::too_many_arguments)]
pub(crate) fn summarize(
    store: &mut Store,
    config: &Config,
    account: &Account,
    folders: Vec<FolderReport>,
    import: ImportReport,
    mut problems: Vec<String>,
    reconnects: u32,
    noted: &sync::Noted,
) -> FetchSummary {
    let answered = away::answer(
        store,
        config,
        &import.opened,
        &noted.away,
        chrono::Utc::now(),
    );
    problems.extend(answered.problems);
    FetchSummary {
        account: account.name.clone(),
        folders,
        import,
        problems,
        reconnects,
        away_replies: answered.queued.len(),
        away_replies_undelivered: answered.undelivered,
    }
}

/// Every folder once on a logged-in connection. Folder errors are collected; a
/// lost connection or a store failure ends the round.
pub(crate) fn sync_account(
    importer: &mut Importer<'_>,
    conn: &mut connect::Connected,
    config: &Config,
    account: &Account,
    options: &FetchOptions,
    noted: &mut sync::Noted,
    progress: &mut dyn FnMut(ProgressEvent),
) -> Result<(Vec<FolderReport>, Vec<String>), FetchError> {
    let cutoff = account.since_cutoff(chrono::Utc::now(), options.import.timezone);
    let mut folders = Vec::new();
    let mut problems = Vec::new();
    let plan = account
        .folders
        .iter()
        .map(|f| (f.as_str(), Role::Incoming))
        .chain(account.sent_folder.as_deref().map(|f| (f, Role::Sent)));
    for (folder, role) in plan {
        let plan = sync::FolderPlan {
            folder,
            role,
            cutoff,
            chunk_messages: options.chunk_messages,
            away: config.mail.away_reply,
        };
        let synced = sync::sync_folder(importer, conn, account, &plan, noted, progress);
        match synced {
            Ok(report) => folders.push(report),
            Err(FetchError::Folder(why)) => problems.push(why),
            Err(e) => return Err(e),
        }
    }
    Ok((folders, problems))
}

/// The settings with the account's login added to our own addresses when it is
/// one: mail from it (the Sent folder) is the user's reply, not a customer's.
fn with_account_address(config: &Config, account: &Account) -> Config {
    let mut config = config.clone();
    let user = account.user.to_lowercase();
    if user.contains('@')
        && !config
            .mail
            .addresses
            .iter()
            .any(|a| a.trim().eq_ignore_ascii_case(&user))
    {
        config.mail.addresses.push(user);
    }
    config
}
