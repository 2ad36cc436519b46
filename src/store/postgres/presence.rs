//! Presence rows on a server queue (see `store::presence`). An announcement is
//! its own transaction that leaves the queue's change counter alone (other
//! consoles must not reload their lists for a heartbeat) and notifies `presence`
//! on the live-update channel instead, so the others look at once.
//!
//! Each row keeps the server session (`pg_backend_pid`) that wrote it: a console
//! killed without a clean quit takes its sessions with it, and its row stops
//! counting at once instead of after [`STALE_AFTER`](crate::store::presence::STALE_AFTER)
//! — a live console's row never flickers, since every beat rewrites the pid of the
//! connection it went through.

use chrono::{DateTime, Utc};

use super::listen::CHANNEL;
use super::{from_ts, to_ts, PgStore, Result};
use crate::store::presence::{Activity, Presence, PresenceStore, SWEEP_AFTER};

impl PgStore {
    /// Runs `f` in a transaction that notifies `presence` on commit.
    fn presence_write(
        &mut self,
        f: impl FnOnce(&mut postgres::Transaction<'_>) -> Result<()>,
    ) -> Result<()> {
        self.in_transaction(|tx| {
            f(tx)?;
            tx.execute("SELECT pg_notify($1, 'presence')", &[&CHANNEL])?;
            Ok(())
        })
    }
}

impl PresenceStore for PgStore {
    fn announce_presence(&mut self, p: &Presence) -> Result<()> {
        self.presence_write(|tx| {
            tx.execute(
                "DELETE FROM presence WHERE heartbeat < $1",
                &[&to_ts(p.heartbeat - SWEEP_AFTER)],
            )?;
            tx.execute(
                "INSERT INTO presence(console, agent, ticket_id, activity, heartbeat, backend_pid)
                 VALUES ($1, $2, $3, $4, $5, pg_backend_pid())
                 ON CONFLICT (console) DO UPDATE SET agent = excluded.agent,
                    ticket_id = excluded.ticket_id, activity = excluded.activity,
                    heartbeat = excluded.heartbeat, backend_pid = excluded.backend_pid",
                &[
                    &p.console,
                    &p.agent,
                    &p.ticket,
                    &p.activity.as_str(),
                    &to_ts(p.heartbeat),
                ],
            )?;
            Ok(())
        })
    }

    fn withdraw_presence(&mut self, console: &str) -> Result<()> {
        self.presence_write(|tx| {
            tx.execute("DELETE FROM presence WHERE console = $1", &[&console])?;
            Ok(())
        })
    }

    fn presence(&self, fresh_since: DateTime<Utc>) -> Result<Vec<Presence>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT console, agent, ticket_id, activity, heartbeat FROM presence
                 WHERE heartbeat >= $1 AND (backend_pid IS NULL
                    OR backend_pid IN (SELECT pid FROM pg_stat_activity))
                 ORDER BY ticket_id, agent, console",
                &[&to_ts(fresh_since)],
            )?
            .iter()
            .map(|r| Presence {
                console: r.get(0),
                agent: r.get(1),
                ticket: r.get(2),
                activity: Activity::parse(r.get(3)),
                heartbeat: from_ts(r.get(4)),
            })
            .collect())
        })
    }
}
