//! Site watch, the seed's "tireless monitoring of the site's availability and
//! speed": probe a URL, keep the history, and turn an outage into exactly one
//! incident ticket that collects notes while the site stays down and records the
//! recovery. The probe is a minimal blocking HTTP/1.1 client over `std::net`; for
//! `https://` it speaks TLS through rustls, the same TLS stack (and the same
//! webpki-roots trust store) that `lettre` already links for SMTP, so watching https
//! sites adds no second HTTP or TLS library. A private CA for internal sites is
//! trusted through [`Trust::with_ca_file`].

use chrono::{DateTime, Utc};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde::Serialize;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
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

/// A URL the built-in client cannot fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not an http:// or https:// URL; the watch checks web sites only")]
    Unsupported(String),
    #[error("'{0}' has no host")]
    NoHost(String),
}

/// Whether a watched URL is fetched in the clear or over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    /// The port a URL without one uses.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// The parts of an `http[s]://host[:port]/path` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl {
    pub scheme: Scheme,
    pub host: String,
    pub port: u16,
    pub path: String,
}

/// Splits an `http://` or `https://` URL.
pub fn parse_url(url: &str) -> Result<HttpUrl, UrlError> {
    let unsupported = || UrlError::Unsupported(url.to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(unsupported)?;
    let scheme = if scheme.eq_ignore_ascii_case("http") {
        Scheme::Http
    } else if scheme.eq_ignore_ascii_case("https") {
        Scheme::Https
    } else {
        return Err(unsupported());
    };
    let (authority, path) = match rest.find(['/', '?', '#']) {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split('#').next().unwrap_or_default();
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    let authority = authority.rsplit('@').next().unwrap_or(authority);
    let (host, port) = match authority.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || authority.starts_with('[') => match p.parse() {
            Ok(port) => (h, port),
            Err(_) => (authority, scheme.default_port()),
        },
        _ => (authority, scheme.default_port()),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(UrlError::NoHost(url.to_string()));
    }
    Ok(HttpUrl {
        scheme,
        host: host.to_string(),
        port,
        path,
    })
}

/// A CA file `--ca-file` named that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    #[error("cannot read the CA file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the CA file {} is not readable PEM ({reason}); export the CA certificate in PEM form", path.display())]
    BadPem { path: PathBuf, reason: String },
    #[error("the CA file {} holds no certificate; it needs one or more '-----BEGIN CERTIFICATE-----' blocks", path.display())]
    NoCertificate { path: PathBuf },
    #[error("the CA file {} has a block that is not a valid X.509 certificate", path.display())]
    BadCertificate { path: PathBuf },
}

/// The certificate authorities an `https://` probe believes: the public web's
/// (webpki-roots, the Mozilla list lettre already ships) plus, for internal sites,
/// any private CA the user names. Built once per watch and shared by every probe.
#[derive(Clone)]
pub struct Trust {
    config: Arc<rustls::ClientConfig>,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trust")
    }
}

impl Trust {
    /// The public web's authorities only.
    pub fn public() -> Trust {
        static PUBLIC: OnceLock<Trust> = OnceLock::new();
        PUBLIC
            .get_or_init(|| Trust::from_roots(public_roots()))
            .clone()
    }

    /// The public authorities plus every certificate in a PEM file (a private CA for
    /// an intranet shop or a staging server). An unreadable file, one that is not PEM,
    /// or one without a certificate is an error, never silently the public set.
    pub fn with_ca_file(path: &Path) -> Result<Trust, TrustError> {
        let pem = std::fs::read(path).map_err(|source| TrustError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Trust::with_ca_pem(&pem, path)
    }

    /// Like [`Trust::with_ca_file`] for PEM already in memory; `path` names it in errors.
    pub fn with_ca_pem(pem: &[u8], path: &Path) -> Result<Trust, TrustError> {
        let mut roots = public_roots();
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TrustError::BadPem {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            roots.add(cert).map_err(|_| TrustError::BadCertificate {
                path: path.to_path_buf(),
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(TrustError::NoCertificate {
                path: path.to_path_buf(),
            });
        }
        Ok(Trust::from_roots(roots))
    }

    /// The rustls settings for a client connection (the IMAP fetcher's too).
    pub(crate) fn client_config(&self) -> Arc<rustls::ClientConfig> {
        self.config.clone()
    }

    fn from_roots(roots: rustls::RootCertStore) -> Trust {
        // ring is the provider lettre already compiles; naming it (rather than relying
        // on a process-wide default) keeps this independent of lettre's setup.
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .expect("ring supports rustls' default protocol versions")
            .with_root_certificates(roots)
            .with_no_client_auth();
        Trust {
            config: Arc::new(config),
        }
    }
}

fn public_roots() -> rustls::RootCertStore {
    rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    }
}

/// Fetches `url` once with a GET, giving up after `timeout`, trusting the public
/// certificate authorities for `https://`. Never panics; every failure is an `error`
/// with the time it took to fail.
pub fn probe(url: &HttpUrl, timeout: Duration) -> Probe {
    probe_with(url, timeout, &Trust::public())
}

/// [`probe`] with the given certificate authorities.
pub fn probe_with(url: &HttpUrl, timeout: Duration, trust: &Trust) -> Probe {
    let start = Instant::now();
    let result = fetch(url, timeout, trust, start);
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

/// A connection to the site, in the clear or inside TLS.
enum Conn {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Conn {
    fn tcp(&self) -> &TcpStream {
        match self {
            Conn::Plain(tcp) => tcp,
            Conn::Tls(tls) => &tls.sock,
        }
    }
}

impl Read for Conn {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.read(buf),
            Conn::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Conn {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Conn::Plain(tcp) => tcp.write(buf),
            Conn::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Conn::Plain(tcp) => tcp.flush(),
            Conn::Tls(tls) => tls.flush(),
        }
    }
}

/// What is left of the time budget, never zero (a zero timeout means "block forever").
fn left(timeout: Duration, start: Instant) -> Duration {
    timeout
        .saturating_sub(start.elapsed())
        .max(Duration::from_millis(1))
}

fn fetch(url: &HttpUrl, timeout: Duration, trust: &Trust, start: Instant) -> Result<u16, String> {
    let tcp = connect(url, timeout, start)?;
    let mut stream = match url.scheme {
        Scheme::Http => Conn::Plain(tcp),
        Scheme::Https => Conn::Tls(Box::new(handshake(url, tcp, trust, timeout, start)?)),
    };
    stream
        .tcp()
        .set_write_timeout(Some(left(timeout, start)))
        .map_err(|e| e.to_string())?;
    let host_header = if url.port == url.scheme.default_port() {
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
        .and_then(|()| stream.flush())
        .map_err(|e| format!("cannot send the request: {e}"))?;
    let mut received = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        if start.elapsed() >= timeout {
            return status_of(&received).ok_or_else(|| timed_out(timeout));
        }
        stream
            .tcp()
            .set_read_timeout(Some(left(timeout, start)))
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
            // Many https servers hang up without a TLS close_notify once they answered;
            // with nothing received it is a plain "closed without answering" below.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
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

/// Resolves the host and connects to the first address that answers, so a site
/// whose IPv6 address is dead but IPv4 works still counts as up.
fn connect(url: &HttpUrl, timeout: Duration, start: Instant) -> Result<TcpStream, String> {
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve {}: {e}", url.host))?
        .collect();
    let mut last_error = None;
    for addr in &addrs {
        if start.elapsed() >= timeout {
            return Err(timed_out(timeout));
        }
        match TcpStream::connect_timeout(addr, left(timeout, start)) {
            Ok(tcp) => return Ok(tcp),
            Err(e) => last_error = Some(e),
        }
    }
    Err(match last_error {
        Some(e) if e.kind() == std::io::ErrorKind::TimedOut => timed_out(timeout),
        Some(e) => format!("cannot connect: {e}"),
        None => format!("cannot resolve {}", url.host),
    })
}

/// Runs the TLS handshake (with SNI for a host name) inside the time budget, and
/// turns a refused certificate into a reason a person can act on.
fn handshake(
    url: &HttpUrl,
    mut tcp: TcpStream,
    trust: &Trust,
    timeout: Duration,
    start: Instant,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, String> {
    let name = ServerName::try_from(url.host.clone())
        .map_err(|_| format!("TLS: '{}' is not a valid server name", url.host))?;
    let mut tls = rustls::ClientConnection::new(trust.config.clone(), name)
        .map_err(|e| format!("TLS: {e}"))?;
    while tls.is_handshaking() {
        if start.elapsed() >= timeout {
            return Err(handshake_timed_out(timeout));
        }
        let budget = Some(left(timeout, start));
        tcp.set_read_timeout(budget)
            .and_then(|()| tcp.set_write_timeout(budget))
            .map_err(|e| e.to_string())?;
        if let Err(e) = tls.complete_io(&mut tcp) {
            // Tell the server why (a bad_certificate alert) before hanging up.
            let _ = tls.write_tls(&mut tcp);
            return Err(match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    handshake_timed_out(timeout)
                }
                std::io::ErrorKind::UnexpectedEof => {
                    "TLS: the server hung up during the handshake".into()
                }
                _ => match e.get_ref().and_then(|inner| inner.downcast_ref()) {
                    Some(tls_error) => tls_reason(tls_error, &url.host),
                    None => format!("TLS handshake failed: {e}"),
                },
            });
        }
    }
    Ok(rustls::StreamOwned::new(tls, tcp))
}

fn handshake_timed_out(timeout: Duration) -> String {
    format!(
        "timed out after {} ms in the TLS handshake",
        timeout.as_millis()
    )
}

/// "TLS: certificate expired" rather than `InvalidCertificate(Expired)`. Shared with
/// the IMAP fetcher, so a mailbox's certificate problem reads like a site's.
pub(crate) fn tls_reason(error: &rustls::Error, host: &str) -> String {
    use rustls::{CertificateError as Cert, Error as Tls};
    let reason = match error {
        Tls::InvalidCertificate(cert) => match cert {
            Cert::Expired | Cert::ExpiredContext { .. } => "certificate expired".to_string(),
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => {
                "certificate not valid yet (check the clocks of the server and this machine)"
                    .to_string()
            }
            Cert::UnknownIssuer => "certificate not trusted: self-signed or issued by an unknown \
                                    authority (pass --ca-file for a private CA)"
                .to_string(),
            Cert::NotValidForNameContext { presented, .. } if !presented.is_empty() => {
                let names: Vec<String> = presented
                    .iter()
                    .take(4)
                    .map(|n| crate::display::sanitize_line(presented_name(n)))
                    .collect();
                format!("certificate is for {}, not {host}", names.join(", "))
            }
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => {
                format!("certificate is not valid for {host}")
            }
            Cert::Revoked => "certificate revoked".to_string(),
            Cert::BadSignature => "certificate signature is invalid".to_string(),
            Cert::BadEncoding => "certificate is malformed".to_string(),
            Cert::InvalidPurpose | Cert::InvalidPurposeContext { .. } => {
                "certificate is not meant for a web server".to_string()
            }
            other => format!("certificate rejected: {other}"),
        },
        Tls::InvalidMessage(_) => {
            "the server does not speak TLS on this port (is it an http:// address?)".to_string()
        }
        Tls::NoCertificatesPresented => "the server presented no certificate".to_string(),
        Tls::AlertReceived(alert) => format!("the server refused the handshake ({alert:?})"),
        Tls::PeerIncompatible(_) => {
            format!("no protocol version or cipher in common with the server ({error})")
        }
        other => other.to_string(),
    };
    format!("TLS: {reason}")
}

/// `DnsName("shop.example")` → `shop.example`, `IpAddress(10.0.0.5)` → `10.0.0.5`
/// (webpki hands the certificate's names over in that debug form).
fn presented_name(name: &str) -> &str {
    name.strip_prefix("DnsName(\"")
        .and_then(|n| n.strip_suffix("\")"))
        .or_else(|| {
            name.strip_prefix("IpAddress(")
                .and_then(|n| n.strip_suffix(')'))
        })
        .unwrap_or(name)
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
    let when = local_time(now, policy.timezone);
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
                local_time(incident.down_since, policy.timezone)
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

/// A moment as the watch writes it: local time in the console's zone, with the
/// zone's name ("2026-11-26 12:00:05 Europe/Kyiv").
pub fn local_time(at: DateTime<Utc>, timezone: chrono_tz::Tz) -> String {
    format!(
        "{} {}",
        at.with_timezone(&timezone).format("%Y-%m-%d %H:%M:%S"),
        timezone.name()
    )
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_http_urls_and_refuses_others() {
        assert_eq!(
            parse_url("http://127.0.0.1:8080/health?x=1").unwrap(),
            HttpUrl {
                scheme: Scheme::Http,
                host: "127.0.0.1".into(),
                port: 8080,
                path: "/health?x=1".into()
            }
        );
        assert_eq!(parse_url("http://shop.ua").unwrap().path, "/");
        assert_eq!(parse_url("http://shop.ua").unwrap().port, 80);
        assert!(matches!(
            parse_url("ftp://shop.ua"),
            Err(UrlError::Unsupported(_))
        ));
        assert!(matches!(
            parse_url("shop.ua"),
            Err(UrlError::Unsupported(_))
        ));
        assert!(parse_url("http:///x").is_err());
    }

    #[test]
    fn parses_https_urls_with_port_443_by_default() {
        let url = parse_url("https://shop.ua/health").unwrap();
        assert_eq!(
            (url.scheme, url.host.as_str(), url.port, url.path.as_str()),
            (Scheme::Https, "shop.ua", 443, "/health")
        );
        assert_eq!(parse_url("HTTPS://shop.ua:8443").unwrap().port, 8443);
        assert_eq!(parse_url("https://[::1]:9443/").unwrap().host, "::1");
        assert_eq!(parse_url("https://shop.ua/#top").unwrap().path, "/");
    }

    #[test]
    fn names_the_certificate_problem_instead_of_dumping_debug() {
        use rustls::CertificateError as Cert;
        let reason = |e: Cert| tls_reason(&rustls::Error::InvalidCertificate(e), "shop.ua");
        assert_eq!(reason(Cert::Expired), "TLS: certificate expired");
        assert!(reason(Cert::UnknownIssuer).contains("--ca-file"));
        assert!(tls_reason(
            &rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType),
            "shop.ua"
        )
        .contains("does not speak TLS"));
        assert_eq!(
            reason(Cert::NotValidForNameContext {
                expected: ServerName::try_from("shop.ua").unwrap(),
                presented: vec![
                    "DnsName(\"old-shop.ua\")".into(),
                    "IpAddress(10.0.0.5)".into()
                ],
            }),
            "TLS: certificate is for old-shop.ua, 10.0.0.5, not shop.ua"
        );
    }

    #[test]
    fn refuses_a_ca_file_without_certificates() {
        let path = Path::new("ca.pem");
        assert!(matches!(
            Trust::with_ca_pem(b"just some text\n", path),
            Err(TrustError::NoCertificate { .. })
        ));
        let missing = Trust::with_ca_file(Path::new("/nonexistent/ca.pem")).unwrap_err();
        assert!(
            missing.to_string().contains("cannot read the CA file"),
            "{missing}"
        );
    }
}
