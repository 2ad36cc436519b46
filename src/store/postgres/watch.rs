//! The site watch's check history and incident tickets (SQLite's `watch.rs`).

use chrono::{DateTime, Utc};
use postgres::GenericClient;

use super::ledger::{lock_ticket, touch, write_event};
use super::messages::insert_message;
use super::tickets::insert_ticket;
use super::{from_ts, to_ts, PgStore, Result};
use crate::model::{NewMessage, NewTicket, Status, TicketId};
use crate::store::api::*;
use crate::store::types::*;

impl WatchStore for PgStore {
    fn record_site_check(&mut self, check: &SiteCheck) -> Result<()> {
        self.write(|tx, _| {
            tx.execute(
                "INSERT INTO site_checks(url, at, ok, slow, status, ms, error)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[
                    &check.url,
                    &to_ts(check.at),
                    &check.ok,
                    &check.slow,
                    &check.status.map(i32::from),
                    &check.ms.map(|m| i64::try_from(m).unwrap_or(i64::MAX)),
                    &check.error,
                ],
            )?;
            Ok(())
        })
    }

    fn site_checks(&self, url: &str) -> Result<Vec<SiteCheck>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT url, at, ok, slow, status, ms, error FROM site_checks
                 WHERE url = $1 ORDER BY at, id",
                &[&url],
            )?
            .iter()
            .map(|r| SiteCheck {
                url: r.get(0),
                at: from_ts(r.get(1)),
                ok: r.get(2),
                slow: r.get(3),
                status: r
                    .get::<_, Option<i32>>(4)
                    .and_then(|s| u16::try_from(s).ok()),
                ms: r.get::<_, Option<i64>>(5).map(|m| m.max(0) as u64),
                error: r.get(6),
            })
            .collect())
        })
    }

    fn site_incident(&self, url: &str) -> Result<Option<SiteIncident>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT url, ticket_id, down_since, last_note_at, last_problem
                 FROM site_incidents WHERE url = $1",
                &[&url],
            )?
            .map(|r| {
                let problem: String = r.get(4);
                SiteIncident {
                    url: r.get(0),
                    ticket_id: r.get(1),
                    down_since: from_ts(r.get(2)),
                    last_note_at: from_ts(r.get(3)),
                    problem: (!problem.is_empty()).then_some(problem),
                }
            }))
        })
    }

    fn set_site_incident(&mut self, incident: &SiteIncident) -> Result<()> {
        self.write(|tx, _| upsert_incident(tx, incident))
    }

    fn clear_site_incident(&mut self, url: &str) -> Result<()> {
        self.write(|tx, _| {
            tx.execute("DELETE FROM site_incidents WHERE url = $1", &[&url])?;
            Ok(())
        })
    }

    fn open_site_incident(
        &mut self,
        url: &str,
        ticket: &NewTicket,
        problem: &str,
        at: DateTime<Utc>,
    ) -> Result<TicketId> {
        self.write(|tx, w| {
            let id = insert_ticket(tx, ticket, &w.actor)?;
            upsert_incident(
                tx,
                &SiteIncident {
                    url: url.to_string(),
                    ticket_id: id,
                    down_since: at,
                    last_note_at: at,
                    problem: Some(problem.to_string()),
                },
            )?;
            Ok(id)
        })
    }

    fn reopen_site_incident(&mut self, incident: &SiteIncident, report: &NewMessage) -> Result<()> {
        self.write(|tx, w| {
            insert_message(tx, incident.ticket_id, report, &w.actor)?;
            upsert_incident(tx, incident)
        })
    }

    fn recover_site_incident(
        &mut self,
        incident: &SiteIncident,
        note: &NewMessage,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.write(|tx, w| {
            let ticket = incident.ticket_id;
            let before = lock_ticket(tx, ticket)?;
            insert_message(tx, ticket, note, &w.actor)?;
            tx.execute(
                "UPDATE tickets SET status = 'solved', awaiting_reply_since = NULL,
                    resolved_at = coalesce(resolved_at, $2)
                 WHERE id = $1",
                &[&ticket, &to_ts(at)],
            )?;
            if before.status != Status::Solved {
                write_event(
                    tx,
                    Some(ticket),
                    &w.actor,
                    "status",
                    Some(before.status.as_str()),
                    Some(Status::Solved.as_str()),
                )?;
            }
            touch(tx, ticket, at)?;
            upsert_incident(
                tx,
                &SiteIncident {
                    last_note_at: at,
                    problem: None,
                    ..incident.clone()
                },
            )
        })
    }
}

fn upsert_incident(c: &mut impl GenericClient, incident: &SiteIncident) -> Result<()> {
    c.execute(
        "INSERT INTO site_incidents(url, ticket_id, down_since, last_note_at, last_problem)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (url) DO UPDATE SET ticket_id = excluded.ticket_id,
            down_since = excluded.down_since, last_note_at = excluded.last_note_at,
            last_problem = excluded.last_problem",
        &[
            &incident.url,
            &incident.ticket_id,
            &to_ts(incident.down_since),
            &to_ts(incident.last_note_at),
            &incident.problem.as_deref().unwrap_or_default(),
        ],
    )?;
    Ok(())
}
