//! The site watch's memory: each check's result, and the one open incident ticket per
//! site that is down. Opening the ticket itself goes through `create_ticket`.

use chrono::{DateTime, Utc};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::{from_ts, to_ts, Result, Store};
use crate::model::TicketId;

/// One probe of one URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteCheck {
    pub url: String,
    pub at: DateTime<Utc>,
    /// Answered with a 2xx/3xx status in time.
    pub ok: bool,
    /// Answered, but slower than the threshold.
    pub slow: bool,
    pub status: Option<u16>,
    pub ms: Option<u64>,
    pub error: Option<String>,
}

/// A site that is down now and the ticket collecting its story.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteIncident {
    pub url: String,
    pub ticket_id: TicketId,
    pub down_since: DateTime<Utc>,
    pub last_note_at: DateTime<Utc>,
    pub last_problem: String,
}

impl Store {
    /// Appends a check to the history.
    pub fn record_site_check(&mut self, check: &SiteCheck) -> Result<()> {
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

    /// The history of one site, oldest first.
    pub fn site_checks(&self, url: &str) -> Result<Vec<SiteCheck>> {
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

    /// The open incident of a site, if it is down.
    pub fn site_incident(&self, url: &str) -> Result<Option<SiteIncident>> {
        Ok(self
            .conn
            .query_row(
                "SELECT url, ticket_id, down_since, last_note_at, last_problem FROM site_incidents WHERE url = ?1",
                [url],
                |r| {
                    Ok(SiteIncident {
                        url: r.get(0)?,
                        ticket_id: r.get(1)?,
                        down_since: from_ts(r.get(2)?),
                        last_note_at: from_ts(r.get(3)?),
                        last_problem: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }

    /// Opens or updates a site's incident row.
    pub fn set_site_incident(&mut self, incident: &SiteIncident) -> Result<()> {
        let tx = self.write()?;
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
                incident.last_problem
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Closes a site's incident (it recovered).
    pub fn clear_site_incident(&mut self, url: &str) -> Result<()> {
        let tx = self.write()?;
        tx.execute("DELETE FROM site_incidents WHERE url = ?1", [url])?;
        tx.commit()?;
        Ok(())
    }
}
