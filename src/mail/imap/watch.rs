//! Keeping up with a mailbox: fetch every folder, then wait on the first folder with
//! IDLE (the server says "EXISTS" the moment mail arrives) or, where the server has
//! no IDLE, sleep a few minutes; fetch again; repeat. A dropped connection, a server
//! restart or a laptop waking up is met with a reconnect after a growing wait, and
//! the fetch resumes after what was committed.
//!
//! [`StopSignal`] ends the loop at once, even inside IDLE: it shuts the socket, so
//! the blocking read returns, and the thread can be joined on quit.

use std::net::{Shutdown, TcpStream};
use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::account::Account;
use super::connect::{self, lost, Connected};
use super::{sync_account, FetchError, FetchOptions, FetchSummary};
use crate::config::Config;
use crate::mail::intake::Importer;
use crate::store::live_fetchers::FetcherLock;
use crate::store::Store;

/// Tells a watching thread to stop, from any thread.
#[derive(Default)]
pub struct StopSignal {
    state: Mutex<StopState>,
    woken: Condvar,
}

#[derive(Default)]
struct StopState {
    stopped: bool,
    socket: Option<TcpStream>,
}

impl StopSignal {
    pub fn new() -> StopSignal {
        StopSignal::default()
    }

    /// Stops the watch: wakes its sleep and cuts its connection.
    pub fn stop(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.stopped = true;
            if let Some(socket) = state.socket.take() {
                let _ = socket.shutdown(Shutdown::Both);
            }
        }
        self.woken.notify_all();
    }

    pub fn is_stopped(&self) -> bool {
        self.state.lock().map(|s| s.stopped).unwrap_or(true)
    }

    /// Remembers the live connection so [`StopSignal::stop`] can cut it; `false`
    /// when already stopped (the caller should not start).
    fn register(&self, socket: &TcpStream) -> bool {
        let Ok(mut state) = self.state.lock() else {
            return false;
        };
        if state.stopped {
            return false;
        }
        state.socket = socket.try_clone().ok();
        true
    }

    fn forget_socket(&self) {
        if let Ok(mut state) = self.state.lock() {
            state.socket = None;
        }
    }

    /// Sleeps `wait` unless stopped first; `false` when stopped.
    fn sleep(&self, wait: Duration) -> bool {
        let Ok(state) = self.state.lock() else {
            return false;
        };
        match self.woken.wait_timeout_while(state, wait, |s| !s.stopped) {
            Ok((state, _)) => !state.stopped,
            Err(_) => false,
        }
    }
}

/// How the watch waits.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    pub fetch: FetchOptions,
    /// IDLE is ended and renewed this often (RFC 2177 asks for under 29 minutes);
    /// every renewal also reads the folders IDLE does not watch.
    pub idle_refresh: Duration,
    /// Without IDLE, the time between fetches.
    pub poll_every: Duration,
    /// The longest wait between reconnects.
    pub max_backoff: Duration,
    /// While another firstline fetches the account (it holds the fetcher lock on a
    /// shared queue), how often to try taking it over: the time a stopped holder's
    /// account goes unread at most.
    pub lock_retry: Duration,
}

impl Default for WatchOptions {
    fn default() -> Self {
        WatchOptions {
            fetch: FetchOptions::default(),
            idle_refresh: Duration::from_secs(10 * 60),
            poll_every: Duration::from_secs(3 * 60),
            max_backoff: Duration::from_secs(5 * 60),
            lock_retry: Duration::from_secs(2),
        }
    }
}

/// What the watch tells its owner.
#[derive(Debug)]
pub enum AccountEvent {
    /// A round of fetching finished.
    Fetched(Box<FetchSummary>),
    /// A round failed; the watch retries after a wait.
    Failed(FetchError),
}

/// Fetches `account` and keeps watching it until `stop`, reporting each round.
/// Returns only when stopped.
///
/// On a shared queue only one fetcher reads an account: this one first takes the
/// account's fetcher lock, and while another firstline holds it, reports
/// [`FetchError::Busy`] once and tries again every `lock_retry` — taking over when
/// the other stops (or dies: its session ends and the lock with it).
pub fn watch_account(
    store: &mut Store,
    config: &Config,
    account: &Account,
    options: &WatchOptions,
    stop: &StopSignal,
    on_event: &mut dyn FnMut(AccountEvent),
) {
    let config = super::with_account_address(config, account);
    let mut wait = options.fetch.backoff;
    let mut lock: Option<FetcherLock> = None;
    let mut said_busy = false;
    while !stop.is_stopped() {
        if !lock.as_mut().is_some_and(FetcherLock::still_held) {
            lock = None;
            match super::claim(store, &config, account) {
                Ok(held) => {
                    lock = Some(held);
                    said_busy = false;
                }
                Err(busy @ FetchError::Busy(_)) => {
                    if !std::mem::replace(&mut said_busy, true) {
                        on_event(AccountEvent::Failed(busy));
                    }
                    if !stop.sleep(options.lock_retry) {
                        return;
                    }
                    continue;
                }
                Err(e) => {
                    on_event(AccountEvent::Failed(e));
                    if !stop.sleep(wait) {
                        return;
                    }
                    wait = (wait * 2).min(options.max_backoff);
                    continue;
                }
            }
        }
        let held = lock.as_mut();
        let result = connect::connect(account).and_then(|mut conn| {
            if !stop.register(&conn.socket) {
                conn.logout();
                return Ok(());
            }
            let result = rounds(
                store,
                &config,
                &mut conn,
                account,
                options,
                stop,
                held,
                &mut |e| {
                    wait = options.fetch.backoff;
                    on_event(e)
                },
            );
            stop.forget_socket();
            conn.logout();
            result
        });
        if stop.is_stopped() {
            return;
        }
        if let Err(e) = result {
            on_event(AccountEvent::Failed(e));
        }
        if !stop.sleep(wait) {
            return;
        }
        wait = (wait * 2).min(options.max_backoff);
    }
}

/// Fetch rounds on one connection until it breaks, the watch stops, or the
/// account's fetcher lock is lost (the queue's server restarted: the caller takes
/// it again, or waits for whoever took it meanwhile).
#[allow(clippy::too_many_arguments)]
fn rounds(
    store: &mut Store,
    config: &Config,
    conn: &mut Connected,
    account: &Account,
    options: &WatchOptions,
    stop: &StopSignal,
    mut lock: Option<&mut FetcherLock>,
    on_event: &mut dyn FnMut(AccountEvent),
) -> Result<(), FetchError> {
    loop {
        if lock.as_mut().is_some_and(|l| !l.still_held()) {
            return Ok(());
        }
        let summary = round(store, config, conn, account, &options.fetch)?;
        let uid_next = account
            .folders
            .first()
            .and_then(|f| summary.folders.iter().find(|r| &r.folder == f))
            .and_then(|r| r.uid_next);
        on_event(AccountEvent::Fetched(Box::new(summary)));
        if stop.is_stopped() {
            return Ok(());
        }
        if conn.idle {
            idle(conn, account, options.idle_refresh, uid_next)?;
        } else {
            stop.sleep(options.poll_every);
        }
        if stop.is_stopped() {
            return Ok(());
        }
    }
}

/// One fetch of every folder, committed.
fn round(
    store: &mut Store,
    config: &Config,
    conn: &mut Connected,
    account: &Account,
    options: &FetchOptions,
) -> Result<FetchSummary, FetchError> {
    let mut importer = Importer::new(store, config, &options.import).map_err(FetchError::Store)?;
    let mut noted = super::sync::Noted::default();
    let outcome = sync_account(
        &mut importer,
        conn,
        config,
        account,
        options,
        &mut noted,
        &mut |_| {},
    );
    let finished = importer.finish(Ok(()));
    let (folders, problems) = outcome?;
    let import = finished.map_err(FetchError::Store)?;
    Ok(super::summarize(
        store, config, account, folders, import, problems, 0, &noted,
    ))
}

/// Waits on the first folder until the server reports new mail or `refresh` passes.
/// Mail that arrived since that folder was fetched (its UIDNEXT moved on since
/// `known_next`, or an EXISTS the session already heard) ends the wait at once.
fn idle(
    conn: &mut Connected,
    account: &Account,
    refresh: Duration,
    known_next: Option<u32>,
) -> Result<bool, FetchError> {
    let Some(folder) = account.folders.first() else {
        return Ok(false);
    };
    let mailbox = conn.session.select(folder).map_err(|e| lost(account, e))?;
    if known_next.is_some() && mailbox.uid_next != known_next {
        return Ok(true);
    }
    let pending = conn.session.take_all_unsolicited().any(|r| {
        matches!(
            r,
            imap::types::UnsolicitedResponse::Exists(_)
                | imap::types::UnsolicitedResponse::Recent(_)
        )
    });
    if pending {
        return Ok(true);
    }
    let outcome = conn
        .session
        .idle()
        .timeout(refresh)
        .keepalive(false)
        .wait_while(|response| {
            !matches!(
                response,
                imap::types::UnsolicitedResponse::Exists(_)
                    | imap::types::UnsolicitedResponse::Recent(_)
            )
        })
        .map_err(|e| lost(account, e))?;
    Ok(outcome == imap::extensions::idle::WaitOutcome::MailboxChanged)
}
