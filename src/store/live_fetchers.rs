//! One fetcher per account, backend-neutral: what a mail or Telegram fetcher holds
//! while it reads an account, so two consoles (or a console and a `fetch --watch`)
//! on one shared queue do not both fetch it. On a server queue it is a session
//! advisory lock (`postgres::fetchers`); a queue file takes no lock — two fetchers
//! of one mailbox on a file both fetch, and the import skips what it already has.

use super::postgres::fetchers::{PgClaim, PgFetcherLock};
use super::{Location, Result};

/// An account as the fetcher lock knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedAccount {
    /// What the lock is keyed by (`imap:user@host:port`, `telegram:<bot id>`); never
    /// a password or token.
    pub key: String,
    /// The account in the words the user knows it by (`user@host`, `Telegram bot
    /// 123`), for "another firstline is fetching …".
    pub label: String,
}

/// A held claim on an account. Dropping it lets the account go.
pub enum FetcherLock {
    /// A queue file: nothing to hold.
    Unshared,
    /// A server queue: the connection holding the lock.
    Held(Box<PgFetcherLock>),
}

/// What a try to claim an account found.
pub enum Claim {
    Ours(FetcherLock),
    /// Another fetcher reads the account; `holder` says who, when known.
    Busy {
        holder: Option<String>,
    },
}

impl FetcherLock {
    /// Claims `account` on the queue at `location` for `who` (an agent's name and
    /// machine, shown to others); a queue in memory or in a file takes no lock.
    pub fn claim(
        location: Option<&Location>,
        account: &FetchedAccount,
        who: &str,
    ) -> Result<Claim> {
        match location {
            Some(Location::Server(url)) => Ok(
                match PgFetcherLock::try_take(url, &account.key, &account.label, who)? {
                    PgClaim::Ours(lock) => Claim::Ours(FetcherLock::Held(Box::new(lock))),
                    PgClaim::Busy { holder } => Claim::Busy { holder },
                },
            ),
            _ => Ok(Claim::Ours(FetcherLock::Unshared)),
        }
    }

    /// Whether the claim still holds: on a server, the holding connection is alive.
    pub fn still_held(&mut self) -> bool {
        match self {
            FetcherLock::Unshared => true,
            FetcherLock::Held(lock) => lock.still_held(),
        }
    }
}

impl FetchedAccount {
    /// "another firstline is fetching user@host (waiting)": the one line a waiting
    /// fetcher says, in the CLI and on the console's status bar.
    pub fn waiting_line(&self) -> String {
        format!("another firstline is fetching {} (waiting)", self.label)
    }
}

/// Who a fetcher is, for the others' "who holds it": the agent's name (or the
/// login) and this machine's name.
pub fn fetcher_name(agent: &str) -> String {
    let who = if agent.trim().is_empty() {
        std::env::var("USER").unwrap_or_else(|_| "someone".into())
    } else {
        agent.trim().to_string()
    };
    match host_name() {
        Some(host) => format!("{who} on {host}"),
        None => who,
    }
}

#[cfg(unix)]
fn host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname writes at most that.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
    let name = String::from_utf8_lossy(&buf[..end]).trim().to_string();
    (!name.is_empty()).then_some(name)
}

#[cfg(not(unix))]
fn host_name() -> Option<String> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_queue_file_takes_no_lock() {
        let account = FetchedAccount {
            key: "imap:a@b:993".into(),
            label: "a@b".into(),
        };
        let file = Location::File("/nonexistent/q.db".into());
        for location in [None, Some(&file)] {
            let Claim::Ours(mut lock) = FetcherLock::claim(location, &account, "me").unwrap()
            else {
                panic!("a file is never busy");
            };
            assert!(lock.still_held());
        }
        assert_eq!(
            account.waiting_line(),
            "another firstline is fetching a@b (waiting)"
        );
    }
}
