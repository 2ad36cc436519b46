//! Site watch, the seed's "tireless monitoring of the site's availability and
//! speed": probe a URL, keep the history, and turn an outage into exactly one
//! incident ticket that collects notes while the site stays down and records the
//! recovery. The probe is a minimal blocking HTTP/1.1 client over `std::net` (plain
//! `http://` only: no TLS stack is linked for this).

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use crate::model::{
    Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status, TicketId,
};
use crate::store::{SiteCheck, SiteIncident, Store, StoreError};

/// Most bytes of a response body read (the time to read them counts as response time).
const BODY_LIMIT: usize = 512 * 1024;

/// What one probe saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Probe {
    pub status: Option<u16>,
    pub elapsed_ms: u64,
    pub error: Option<String>,
}

/// Thresholds of a watch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WatchPolicy {
    /// Slower than this (ms) counts as a problem.
    pub slow_ms: u64,
    /// While a site stays down with the same problem, add a note at most this often.
    pub note_every: chrono::Duration,
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
    /// A problem began: this ticket was opened.
    Opened { ticket: TicketId },
    /// Still a problem; `noted` when a note was added to the ticket.
    StillDown { ticket: TicketId, noted: bool },
    /// The site is back; the recovery was noted on the ticket.
    Recovered { ticket: TicketId, down_minutes: i64 },
}

/// A URL the built-in client cannot fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not an http:// URL; the built-in watch speaks plain HTTP only (put an http:// health URL or a local TLS proxy in front)")]
    Unsupported(String),
    #[error("'{0}' has no host")]
    NoHost(String),
}

/// The parts of an `http://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Splits an `http://` URL.
pub fn parse_url(url: &str) -> Result<HttpUrl, UrlError> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| UrlError::Unsupported(url.to_string()))?;
    let (authority, path) = match rest.find(['/', '?']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (authority, 80),
        },
        _ => (authority, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(UrlError::NoHost(url.to_string()));
    }
    Ok(HttpUrl {
        host: host.to_string(),
        port,
        path,
    })
}

/// Fetches `url` once with a GET, giving up after `timeout`. Never panics; every
/// failure is an `error` with the time it took to fail.
pub fn probe(url: &HttpUrl, timeout: Duration) -> Probe {
    let start = Instant::now();
    let result = fetch(url, timeout, start);
    let elapsed_ms = start.elapsed().as_millis() as u64;
    match result {
        Ok(status) => Probe {
            status: Some(status),
            elapsed_ms,
            error: None,
        },
        Err(error) => Probe {
            status: None,
            elapsed_ms,
            error: Some(error),
        },
    }
}

fn fetch(url: &HttpUrl, timeout: Duration, start: Instant) -> Result<u16, String> {
    let addr = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
        .next()
        .ok_or_else(|| format!("cannot resolve {}", url.host))?;
    let mut stream =
        TcpStream::connect_timeout(&addr, timeout).map_err(|e| format!("cannot connect: {e}"))?;
    let left = |start: Instant| {
        timeout
            .saturating_sub(start.elapsed())
            .max(Duration::from_millis(1))
    };
    stream
        .set_write_timeout(Some(left(start)))
        .map_err(|e| e.to_string())?;
    let host_header = if url.port == 80 {
        url.host.clone()
    } else {
        format!("{}:{}", url.host, url.port)
    };
    let request = format!(
        "GET {} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: firstline-watch/{}\r\nAccept: */*\r\nConnection: close\r\n\r\n",
        url.path,
        env!("CARGO_PKG_VERSION")
    );
    stream
        .write_all(request.as_bytes())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if start.elapsed() >= timeout {
            return status_of(&received).ok_or_else(|| timed_out(timeout));
        }
        stream
            .set_read_timeout(Some(left(start)))
            .map_err(|e| e.to_string())?;
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                received.extend_from_slice(&buf[..n]);
                if received.len() >= BODY_LIMIT || response_complete(&received) {
                    break;
                }
            }
            // A server that keeps the connection open after answering has answered.
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return status_of(&received).ok_or_else(|| timed_out(timeout));
            }
            Err(e) if !received.is_empty() && e.kind() == std::io::ErrorKind::ConnectionReset => {
                break
            }
            Err(e) => return Err(format!("connection failed: {e}")),
        }
    }
    match status_of(&received) {
        Some(code) => Ok(code),
        None if received.is_empty() => {
            Err("the server closed the connection without answering".into())
        }
        None => Err("the answer is not HTTP".into()),
    }
}

fn timed_out(timeout: Duration) -> String {
    format!("timed out after {} ms", timeout.as_millis())
}

/// The status code of a response whose status line has fully arrived.
fn status_of(received: &[u8]) -> Option<u16> {
    let line_end = received.windows(2).position(|w| w == b"\r\n")?;
    let line = String::from_utf8_lossy(&received[..line_end]);
    let mut parts = line.split_whitespace();
    let version = parts.next()?;
    let code = parts.next()?.parse().ok()?;
    version.starts_with("HTTP/").then_some(code)
}

/// Whether the whole response is in: headers plus `Content-Length` bytes, or the
/// last chunk of a chunked body. Without either, the server's close ends it.
fn response_complete(received: &[u8]) -> bool {
    let Some(head_end) = received.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&received[..head_end]).to_ascii_lowercase();
    let body = &received[head_end + 4..];
    for line in head.lines() {
        if let Some(v) = line.strip_prefix("content-length:") {
            return v.trim().parse::<usize>().is_ok_and(|n| body.len() >= n);
        }
        if line.starts_with("transfer-encoding:") && line.contains("chunked") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    false
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

/// Records a probe and keeps the incident ticket in step: one ticket per outage,
/// notes while it lasts (when the problem changes, or every `note_every`), and a
/// recovery note when the site answers well again.
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
    let incident = match store.site_incident(url)? {
        // Someone closed the ticket while the site was still down: start afresh.
        Some(i)
            if store
                .ticket(i.ticket_id)
                .is_ok_and(|t| !t.status.is_resolved()) =>
        {
            Some(i)
        }
        Some(_) => {
            store.clear_site_incident(url)?;
            None
        }
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
    let when = now.format("%Y-%m-%d %H:%M:%S UTC");
    match (incident, problem) {
        (None, None) => Ok(WatchOutcome::Up),
        (None, Some(problem)) => {
            let down = matches!(health, Health::Down { .. });
            let ticket = store.create_ticket(&NewTicket {
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
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "firstline watch".into(),
                    body: format!(
                        "{url} is {problem} (checked {when}).\n\nCheck the hosting, tell affected customers, and note what you find here. \
                         firstline watch adds notes while it lasts and records the recovery."
                    ),
                    sent_at: Some(now),
                    ..Default::default()
                },
            })?;
            store.set_site_incident(&SiteIncident {
                url: url.to_string(),
                ticket_id: ticket,
                down_since: now,
                last_note_at: now,
                last_problem: problem,
            })?;
            Ok(WatchOutcome::Opened { ticket })
        }
        (Some(incident), Some(problem)) => {
            let changed = kind_of(&problem) != kind_of(&incident.last_problem);
            let due = now - incident.last_note_at >= policy.note_every;
            if !(changed || due) {
                return Ok(WatchOutcome::StillDown {
                    ticket: incident.ticket_id,
                    noted: false,
                });
            }
            let minutes = (now - incident.down_since).num_minutes();
            note(
                store,
                incident.ticket_id,
                format!("Still a problem at {when} ({minutes} min so far): {url} is {problem}."),
                now,
            )?;
            store.set_site_incident(&SiteIncident {
                last_note_at: now,
                last_problem: problem,
                ..incident.clone()
            })?;
            Ok(WatchOutcome::StillDown {
                ticket: incident.ticket_id,
                noted: true,
            })
        }
        (Some(incident), None) => {
            let down_minutes = (now - incident.down_since).num_minutes();
            note(
                store,
                incident.ticket_id,
                format!(
                    "Recovered at {when}: {url} answers again (HTTP {}, {} ms) after {down_minutes} min. \
                     Tell the customers who wrote about it.",
                    probe.status.unwrap_or_default(),
                    probe.elapsed_ms
                ),
                now,
            )?;
            store.clear_site_incident(url)?;
            Ok(WatchOutcome::Recovered {
                ticket: incident.ticket_id,
                down_minutes,
            })
        }
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
    store.add_message(
        ticket,
        &NewMessage {
            direction: Direction::Note,
            author: "firstline watch".into(),
            body,
            sent_at: Some(now),
            ..Default::default()
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls_and_refuses_others() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/health?x=1").unwrap(),
            HttpUrl {
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/health?x=1".into()
            }
        );
        assert_eq!(parse_url("http://shop.ua").unwrap().path, "/");
        assert_eq!(parse_url("http://shop.ua").unwrap().port, 80);
        assert!(matches!(
            parse_url("https://shop.ua"),
            Err(UrlError::Unsupported(_))
        ));
        assert!(parse_url("http:///x").is_err());
    }
}
