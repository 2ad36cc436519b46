//! The site watch's memory: each check's result, and the one incident ticket per
//! site. The `site_incidents` row outlives an outage: it is how the next outage of
//! the same site finds (and reopens) the same ticket instead of opening another.
//! While the site is up its `last_problem` column is empty; callers see that as
//! [`SiteIncident::problem`] `None`. Each transition (open, reopen, recover) is one
//! transaction with the ticket change it belongs to.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension, Transaction};

use super::ledger::{load_ticket, touch, write_event};
use super::messages::insert_message;
use super::tickets::insert_ticket;
use super::{from_ts, to_ts, Result, SqliteStore};
use crate::model::{NewMessage, NewTicket, Status, TicketId};
use crate::store::api::*;
use crate::store::types::*;

impl WatchStore for SqliteStore {
    fn record_site_check(&mut self, check: &SiteCheck) -> Result<()> {
        let tx = self.write()?;
        tx.execute(
            "INSERT INTO site_checks(url, at, ok, slow, status, ms, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                check.url,
                to_ts(check.at),
                check.ok,
                check.slow,
                check.status,
                check.ms.map(|m| m as i64),
                check.error
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn site_checks(&self, url: &str) -> Result<Vec<SiteCheck>> {
        let mut stmt = self.conn.prepare(
            "SELECT url, at, ok, slow, status, ms, error FROM site_checks WHERE url = ?1 ORDER BY at, id",
        )?;
        let rows = stmt.query_map([url], |r| {
            Ok(SiteCheck {
                url: r.get(0)?,
                at: from_ts(r.get(1)?),
                ok: r.get(2)?,
                slow: r.get(3)?,
                status: r.get(4)?,
                ms: r.get::<_, Option<i64>>(5)?.map(|m| m.max(0) as u64),
                error: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn site_incident(&self, url: &str) -> Result<Option<SiteIncident>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, ticket_id, down_since, last_note_at, last_problem FROM site_incidents WHERE url = ?1",
                [url],
                |r| {
                    let problem: String = r.get(4)?;
                    Ok(SiteIncident {
                        url: r.get(0)?,
                        ticket_id: r.get(1)?,
                        down_since: from_ts(r.get(2)?),
                        last_note_at: from_ts(r.get(3)?),
                        problem: (!problem.is_empty()).then_some(problem),
                    })
                },
            )
            .optional()?)
    }

    fn set_site_incident(&mut self, incident: &SiteIncident) -> Result<()> {
        let tx = self.write()?;
        upsert_incident(&tx, incident)?;
        tx.commit()?;
        Ok(())
    }

    fn clear_site_incident(&mut self, url: &str) -> Result<()> {
        let tx = self.write()?;
        tx.execute("DELETE FROM site_incidents WHERE url = ?1", [url])?;
        tx.commit()?;
        Ok(())
    }

    fn open_site_incident(
        &mut self,
        url: &str,
        ticket: &NewTicket,
        problem: &str,
        at: DateTime<Utc>,
    ) -> Result<TicketId> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let id = insert_ticket(&tx, ticket, &actor)?;
        upsert_incident(&tx, &down(url, id, problem, at))?;
        tx.commit()?;
        Ok(id)
    }

    fn reopen_site_incident(&mut self, incident: &SiteIncident, report: &NewMessage) -> Result<()> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        insert_message(&tx, incident.ticket_id, report, &actor)?;
        upsert_incident(&tx, incident)?;
        tx.commit()?;
        Ok(())
    }

    fn recover_site_incident(
        &mut self,
        incident: &SiteIncident,
        note: &NewMessage,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let ticket = incident.ticket_id;
        let before = load_ticket(&tx, ticket)?;
        insert_message(&tx, ticket, note, &actor)?;
        tx.execute(
            "UPDATE tickets SET status = 'solved', awaiting_reply_since = NULL,
                resolved_at = coalesce(resolved_at, ?2)
             WHERE id = ?1",
            params![ticket, to_ts(at)],
        )?;
        if before.status != Status::Solved {
            write_event(
                &tx,
                Some(ticket),
                &actor,
                "status",
                Some(before.status.as_str()),
                Some(Status::Solved.as_str()),
            )?;
        }
        touch(&tx, ticket, at)?;
        upsert_incident(
            &tx,
            &SiteIncident {
                last_note_at: at,
                problem: None,
                ..incident.clone()
            },
        )?;
        tx.commit()?;
        Ok(())
    }
}

fn down(url: &str, ticket_id: TicketId, problem: &str, at: DateTime<Utc>) -> SiteIncident {
    SiteIncident {
        url: url.to_string(),
        ticket_id,
        down_since: at,
        last_note_at: at,
        problem: Some(problem.to_string()),
    }
}

fn upsert_incident(tx: &Transaction<'_>, incident: &SiteIncident) -> Result<()> {
    tx.execute(
        "INSERT INTO site_incidents(url, ticket_id, down_since, last_note_at, last_problem)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT(url) DO UPDATE SET ticket_id = excluded.ticket_id,
            down_since = excluded.down_since, last_note_at = excluded.last_note_at,
            last_problem = excluded.last_problem",
        params![
            incident.url,
            incident.ticket_id,
            to_ts(incident.down_since),
            to_ts(incident.last_note_at),
            incident.problem.as_deref().unwrap_or_default()
        ],
    )?;
    Ok(())
}
