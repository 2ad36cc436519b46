//! One fetcher per account on a shared queue: a session advisory lock per mail or
//! Telegram account, held on a connection of its own for as long as a fetcher reads
//! that account. A second fetcher of the same account (another agent's console, a
//! `fetch --watch` on another machine) finds the lock taken and waits; when the
//! holder stops — or crashes, since the server ends a dead session and its locks
//! with it — the next try takes it.
//!
//! The lock key is `(FETCHER_LOCKS, hashtext(account key))` in PostgreSQL's
//! two-integer lock space, apart from the one-integer key the schema upgrade locks.
//! The account key names the account (`imap:user@host:port`, `telegram:<bot id>`),
//! never its password or token. The holding connection's `application_name` says
//! which account and who holds it (`support@shop.example by Olena on laptop`), so
//! `doctor` can say who fetches which account.

use postgres::{Client, NoTls};

use super::{parse_url, unreachable_error, Server};
use crate::store::Result;

/// The first half of every fetcher lock's key: firstline's fetcher locks, apart from
/// any other advisory lock an application on the same database takes.
const FETCHER_LOCKS: i32 = 7_203_012;

/// What every holding connection's `application_name` starts with.
const NAME_PREFIX: &str = "firstline ";

/// PostgreSQL keeps 63 bytes of an `application_name`.
const NAME_LIMIT: usize = 63;

/// A held fetcher lock: the connection that holds it. Dropping it ends the session,
/// which lets the lock go.
pub struct PgFetcherLock {
    client: Box<Client>,
}

/// What a try to take an account's lock found.
pub enum PgClaim {
    Ours(PgFetcherLock),
    /// Another session holds it; who, when the server says.
    Busy {
        holder: Option<String>,
    },
}

/// One held lock, as `doctor` lists it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FetcherHold {
    /// The account key and who holds it, as the holder wrote them.
    pub holder: String,
    /// The holding session's client address (none on a unix socket).
    pub client: Option<String>,
    /// When the holding session connected (Unix seconds).
    pub since: i64,
}

impl PgFetcherLock {
    /// Tries to take the lock for `key` on a new connection to `url`, naming the
    /// account `label` and the holder `who` for others to read.
    pub fn try_take(url: &str, key: &str, label: &str, who: &str) -> Result<PgClaim> {
        let mut config = parse_url(url)?;
        let server = Server::of(&config);
        config.application_name(&application_name(label, who));
        let mut client = config
            .connect(NoTls)
            .map_err(|e| unreachable_error(&server, &e))?;
        let taken: bool = client
            .query_one(
                "SELECT pg_try_advisory_lock($1, hashtext($2))",
                &[&FETCHER_LOCKS, &key],
            )
            .map_err(|e| unreachable_error(&server, &e))?
            .get(0);
        if taken {
            return Ok(PgClaim::Ours(PgFetcherLock {
                client: Box::new(client),
            }));
        }
        let holder = client
            .query_opt(
                "SELECT a.application_name FROM pg_locks l
                 JOIN pg_stat_activity a ON a.pid = l.pid
                 WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
                   AND l.classid::bigint = $1::bigint
                   AND l.objid::bigint = (hashtext($2)::bigint & 4294967295)
                 LIMIT 1",
                &[&i64::from(FETCHER_LOCKS), &key],
            )
            .ok()
            .flatten()
            .and_then(|row| row.get::<_, Option<String>>(0))
            .and_then(|name| name.strip_prefix(NAME_PREFIX).map(str::to_string));
        Ok(PgClaim::Busy { holder })
    }

    /// Whether the lock is still ours: the holding connection is alive (a server
    /// restart ends it, and the lock with it).
    pub fn still_held(&mut self) -> bool {
        !self.client.is_closed() && self.client.simple_query("SELECT 1").is_ok()
    }
}

/// Every fetcher lock held on the queue behind `client`, oldest first.
pub(crate) fn held(client: &mut Client) -> Result<Vec<FetcherHold>> {
    let rows = client.query(
        "SELECT a.application_name, host(a.client_addr),
                extract(epoch FROM a.backend_start)::bigint
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
           AND l.classid::bigint = $1::bigint
         ORDER BY a.backend_start",
        &[&i64::from(FETCHER_LOCKS)],
    )?;
    Ok(rows
        .iter()
        .map(|row| {
            let name: Option<String> = row.get(0);
            FetcherHold {
                holder: name
                    .map(|n| n.strip_prefix(NAME_PREFIX).unwrap_or(&n).to_string())
                    .unwrap_or_else(|| "(hidden by the server)".into()),
                client: row.get(1),
                since: row.get::<_, Option<i64>>(2).unwrap_or_default(),
            }
        })
        .collect())
}

/// `firstline <account> by <who>`, cut to what the server keeps, on a character
/// boundary.
fn application_name(label: &str, who: &str) -> String {
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).collect() };
    let mut name = format!("{NAME_PREFIX}{} by {}", clean(label), clean(who));
    while name.len() > NAME_LIMIT {
        name.pop();
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_holder_name_fits_the_server_and_keeps_whole_characters() {
        let name = application_name("підтримка@пошта.example", "Олена on laptop");
        assert!(name.len() <= NAME_LIMIT, "{name}");
        assert!(name.starts_with("firstline підтримка@"), "{name}");
        let short = application_name("Telegram bot 123", "Olena\n on box");
        assert_eq!(short, "firstline Telegram bot 123 by Olena on box");
    }
}
