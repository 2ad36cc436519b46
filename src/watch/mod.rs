//! Site watch, the seed's "tireless monitoring of the site's availability and
//! speed": probe a URL, keep the history, and turn an outage into exactly one
//! incident ticket that collects notes while the site stays down and records the
//! recovery. `probe` fetches the site (ureq over rustls, following redirects);
//! this file decides what a probe means for the queue. It is not SLA: nothing here
//! computes a deadline, it only opens and notes tickets.

mod probe;

/// Certificate problems in words, shared with the IMAP fetcher so a mailbox's reads
/// like a site's ("TLS: certificate expired").
pub(crate) use probe::tls_reason;
pub use probe::{
    parse_url, probe, probe_with, HttpUrl, Trust, TrustError, UrlError, MAX_REDIRECTS,
};

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::model::{
    Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status, TicketId,
};
use crate::sla::local_time_seconds;
use crate::store::{SiteCheck, SiteIncident, Store, StoreError};

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    pub error: Option<String>,
}

/// Thresholds of a watch, and the zone its notes tell the time in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchPolicy {
    /// Slower than this (ms) counts as a problem.
    pub slow_ms: u64,
    /// While a site stays down with the same problem, add a note at most this often.
    pub note_every: chrono::Duration,
    /// The console's zone (`sla.timezone`): notes and the watch's output show local
    /// times with the zone's name, as the rest of the console does.
    pub timezone: chrono_tz::Tz,
}

/// How a site stands after a check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Health {
    Up,
    Slow { ms: u64 },
    Down { problem: String },
}

/// What recording a check did to the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum WatchOutcome {
    /// All fine, nothing open.
    Up,
    /// The site's first problem: this ticket was opened.
    Opened { ticket: TicketId },
    /// A new problem of a site that has a ticket: it was reopened with a report.
    Reopened { ticket: TicketId },
    /// Still a problem; `noted` when a note was added to the ticket.
    StillDown { ticket: TicketId, noted: bool },
    /// The site is back: the recovery was noted and the ticket solved.
    Recovered { ticket: TicketId, down_seconds: i64 },
}

/// Classifies a probe: 2xx/3xx in time is up.
pub fn health(probe: &Probe, policy: &WatchPolicy) -> Health {
    match (probe.status, &probe.error) {
        (_, Some(e)) => Health::Down { problem: e.clone() },
        (Some(code), None) if !(200..400).contains(&code) => Health::Down {
            problem: format!("HTTP {code}"),
        },
        (Some(_), None) if probe.elapsed_ms > policy.slow_ms => Health::Slow {
            ms: probe.elapsed_ms,
        },
        (Some(_), None) => Health::Up,
        (None, None) => Health::Down {
            problem: "no answer".into(),
        },
    }
}

/// Records a probe and keeps the site's one incident ticket in step: opened at its
/// first problem, notes while the problem lasts (when it changes, or every
/// `note_every`), solved with a recovery note when the site answers well again, and
/// reopened with a report when it goes down again. Only a ticket marked spam is
/// given up on: the next problem opens a new one.
pub fn record(
    store: &mut Store,
    url: &str,
    probe: &Probe,
    policy: &WatchPolicy,
    now: DateTime<Utc>,
) -> Result<WatchOutcome, StoreError> {
    let health = health(probe, policy);
    store.record_site_check(&SiteCheck {
        url: url.to_string(),
        at: now,
        ok: health == Health::Up,
        slow: matches!(health, Health::Slow { .. }),
        status: probe.status,
        ms: Some(probe.elapsed_ms),
        error: probe.error.clone(),
    })?;
    // The site's ticket and whether it is resolved; a ticket marked spam (or gone)
    // is given up on.
    let incident = match store.site_incident(url)? {
        Some(i) => match store.ticket(i.ticket_id) {
            Ok(t) if t.status != Status::Spam => Some((i, t.status.is_resolved())),
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                store.clear_site_incident(url)?;
                None
            }
            Err(e) => return Err(e),
        },
        None => None,
    };
    let problem = match &health {
        Health::Up => None,
        Health::Slow { ms } => Some(format!(
            "slow: answered in {ms} ms (limit {} ms)",
            policy.slow_ms
        )),
        Health::Down { problem } => Some(format!("down: {problem}")),
    };
    let when = local_time_seconds(policy.timezone, now);
    let Some((incident, resolved)) = incident else {
        let Some(problem) = problem else {
            return Ok(WatchOutcome::Up);
        };
        let down = matches!(health, Health::Down { .. });
        let ticket = store.open_site_incident(
            url,
            &NewTicket {
                subject: format!("Site {}: {url}", if down { "down" } else { "slow" }),
                customer: NewCustomer {
                    name: "Site watch".into(),
                    handle: Some("firstline-watch".into()),
                    ..Default::default()
                },
                channel: Channel::Web,
                priority: if down { Priority::Urgent } else { Priority::High },
                status: Status::New,
                tags: vec!["site-watch".into(), "outage".into()],
                first_message: report(
                    format!(
                        "{url} is {problem} (checked {when}).\n\nCheck the hosting, tell affected customers, and note what you find here. \
                         firstline watch adds notes while it lasts, solves this ticket when the site recovers and reopens it if it goes down again."
                    ),
                    now,
                ),
            },
            &problem,
            now,
        )?;
        return Ok(WatchOutcome::Opened { ticket });
    };
    let ticket = incident.ticket_id;
    match (incident.problem.clone(), problem) {
        (None, None) => Ok(WatchOutcome::Up),
        (None, Some(problem)) => {
            let body = format!(
                "Down again at {when}: {url} is {problem}. The last outage began {}.",
                local_time_seconds(policy.timezone, incident.down_since)
            );
            store.reopen_site_incident(
                &SiteIncident {
                    down_since: now,
                    last_note_at: now,
                    problem: Some(problem),
                    ..incident
                },
                &report(body, now),
            )?;
            Ok(WatchOutcome::Reopened { ticket })
        }
        // Solved by hand while the site is still down: the problem is not over.
        (Some(_), Some(problem)) if resolved => {
            let so_far = minutes_and_seconds(now - incident.down_since);
            let body = format!("Still a problem at {when} ({so_far} so far): {url} is {problem}.");
            store.reopen_site_incident(
                &SiteIncident {
                    last_note_at: now,
                    problem: Some(problem),
                    ..incident
                },
                &report(body, now),
            )?;
            Ok(WatchOutcome::Reopened { ticket })
        }
        (Some(last_problem), Some(problem)) => {
            let changed = kind_of(&problem) != kind_of(&last_problem);
            let due = now - incident.last_note_at >= policy.note_every;
            if !(changed || due) {
                return Ok(WatchOutcome::StillDown {
                    ticket,
                    noted: false,
                });
            }
            let so_far = minutes_and_seconds(now - incident.down_since);
            note(
                store,
                ticket,
                format!("Still a problem at {when} ({so_far} so far): {url} is {problem}."),
                now,
            )?;
            store.set_site_incident(&SiteIncident {
                last_note_at: now,
                problem: Some(problem),
                ..incident.clone()
            })?;
            Ok(WatchOutcome::StillDown {
                ticket,
                noted: true,
            })
        }
        (Some(_), None) => {
            let down_for = now - incident.down_since;
            let body = format!(
                "Recovered at {when}: {url} answers again (HTTP {}, {} ms) after {}. \
                 Solved; tell the customers who wrote about it.",
                probe.status.unwrap_or_default(),
                probe.elapsed_ms,
                minutes_and_seconds(down_for)
            );
            store.recover_site_incident(
                &incident,
                &watch_message(Direction::Note, body, now),
                now,
            )?;
            Ok(WatchOutcome::Recovered {
                ticket,
                down_seconds: down_for.num_seconds(),
            })
        }
    }
}

/// An outage's length in minutes and seconds ("19 min 5 s"); the watch checks every
/// minute or so, so seconds matter for the short ones.
pub fn minutes_and_seconds(span: chrono::Duration) -> String {
    let seconds = span.num_seconds().max(0);
    format!("{} min {} s", seconds / 60, seconds % 60)
}

/// The watch's report of a problem: an inbound message, so the ticket needs a reply
/// (someone must act) exactly as when a customer writes.
fn report(body: String, now: DateTime<Utc>) -> NewMessage {
    watch_message(Direction::Inbound, body, now)
}

fn watch_message(direction: Direction, body: String, now: DateTime<Utc>) -> NewMessage {
    NewMessage {
        direction,
        author: "firstline watch".into(),
        body,
        sent_at: Some(now),
        ..Default::default()
    }
}

/// "down: HTTP 503" and "down: HTTP 503" are the same problem; "slow: … 812 ms" and
/// "slow: … 930 ms" too. Only a change of kind or code earns an early note.
fn kind_of(problem: &str) -> &str {
    if problem.starts_with("slow") {
        "slow"
    } else {
        problem
    }
}

fn note(
    store: &mut Store,
    ticket: TicketId,
    body: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    store.add_message(ticket, &watch_message(Direction::Note, body, now))?;
    Ok(())
}
