//! Presence rows on a queue file (see `store::presence`). Each announcement is one
//! small transaction; on a file every commit moves the other consoles'
//! `data_version`, which is how they learn of it.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::{from_ts, to_ts, Result, SqliteStore};
use crate::store::presence::{Activity, Presence, PresenceStore, SWEEP_AFTER};

impl PresenceStore for SqliteStore {
    fn announce_presence(&mut self, p: &Presence) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "DELETE FROM presence WHERE heartbeat < ?1",
            [to_ts(p.heartbeat - SWEEP_AFTER)],
        )?;
        tx.execute(
            "INSERT INTO presence(console, agent, ticket_id, activity, heartbeat)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(console) DO UPDATE SET agent = excluded.agent,
                ticket_id = excluded.ticket_id, activity = excluded.activity,
                heartbeat = excluded.heartbeat",
            params![
                p.console,
                p.agent,
                p.ticket,
                p.activity.as_str(),
                to_ts(p.heartbeat)
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn withdraw_presence(&mut self, console: &str) -> Result<()> {
        let tx = self.write()?;
        tx.execute("DELETE FROM presence WHERE console = ?1", [console])?;
        tx.commit()?;
        Ok(())
    }

    fn presence(&self, fresh_since: DateTime<Utc>) -> Result<Vec<Presence>> {
        let mut stmt = self.conn.prepare(
            "SELECT console, agent, ticket_id, activity, heartbeat FROM presence
             WHERE heartbeat >= ?1 ORDER BY ticket_id, agent, console",
        )?;
        let rows = stmt.query_map([to_ts(fresh_since)], |r| {
            Ok(Presence {
                console: r.get(0)?,
                agent: r.get(1)?,
                ticket: r.get(2)?,
                activity: Activity::parse(&r.get::<_, String>(3)?),
                heartbeat: from_ts(r.get(4)?),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
