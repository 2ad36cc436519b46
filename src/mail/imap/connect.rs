//! Reaching the mailbox: DNS, TCP, TLS (from the first byte on 993, STARTTLS
//! otherwise, plain text only to this machine), then the login with a password or an
//! XOAUTH2 token. Every failure becomes one sentence a person can act on, worded
//! like `firstline watch` words a site's certificate problem; the secret never
//! appears in one.
//!
//! TLS is rustls 0.23 (the one lettre and `watch` already use) handed to the `imap`
//! crate as a stream, instead of the crate's own `rustls-tls` feature, which would
//! link a second rustls.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::Duration;

use rustls::pki_types::ServerName;

use super::account::{Account, Security};
use super::FetchError;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// How long one read or write may block before the server counts as gone. IDLE
/// sets its own, longer wait.
pub(crate) const IO_TIMEOUT: Duration = Duration::from_secs(60);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a server may take to greet. An IMAP server greets at once; a port that
/// stays silent is some other service (or a firewall), and waiting the whole
/// [`IO_TIMEOUT`] per retry would leave a cron `fetch` hanging for minutes.
const GREETING_TIMEOUT: Duration = Duration::from_secs(15);

/// The byte stream under the IMAP session.
pub(crate) enum Stream {
    Plain(TcpStream),
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>),
}

impl Stream {
    fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(tcp) => tcp,
            Stream::Tls(tls) => &tls.sock,
        }
    }
}

impl std::fmt::Debug for Stream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stream::Plain(_) => "Stream::Plain",
            Stream::Tls(_) => "Stream::Tls",
        })
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.read(buf),
            Stream::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Stream::Plain(tcp) => tcp.write(buf),
            Stream::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Stream::Plain(tcp) => tcp.flush(),
            Stream::Tls(tls) => tls.flush(),
        }
    }
}

impl imap::extensions::idle::SetReadTimeout for Stream {
    /// `None` (what IDLE restores when it ends) means the ordinary [`IO_TIMEOUT`],
    /// never "block forever": a server that vanished must not hang the fetcher.
    fn set_read_timeout(&mut self, timeout: Option<Duration>) -> imap::Result<()> {
        self.tcp()
            .set_read_timeout(Some(timeout.unwrap_or(IO_TIMEOUT)))
            .map_err(imap::Error::Io)
    }
}

/// A logged-in session and what the server can do.
pub(crate) struct Connected {
    pub session: imap::Session<Stream>,
    /// A handle on the socket, to cut the connection from another thread on quit.
    pub socket: TcpStream,
    pub idle: bool,
    pub can_move: bool,
    pub uidplus: bool,
}

impl Connected {
    /// Ends the session politely; errors do not matter any more.
    pub fn logout(mut self) {
        let _ = self.session.logout();
        let _ = self.socket.shutdown(Shutdown::Both);
    }
}

/// Connects, secures and logs in to `account`.
pub(crate) fn connect(account: &Account) -> Result<Connected, FetchError> {
    let trust = client_config(account.ca_file.as_deref())?;
    let tcp = open_tcp(&account.host, account.port)?;
    let socket = tcp
        .try_clone()
        .map_err(|e| FetchError::Connect(format!("cannot use the connection: {e}")))?;
    let client = match account.security {
        Security::Tls => {
            let mut tls = handshake(account, tcp, &trust)?;
            greet(account, &mut tls, &socket)?;
            let mut client = imap::Client::new(Stream::Tls(Box::new(tls)));
            client.greeting_read = true;
            client
        }
        Security::StartTls => starttls(account, tcp, &socket, &trust)?,
        Security::Plain => {
            let mut tcp = tcp;
            greet(account, &mut tcp, &socket)?;
            let mut client = imap::Client::new(Stream::Plain(tcp));
            client.greeting_read = true;
            client
        }
    };
    let session = login(account, client)?;
    let mut connected = Connected {
        session,
        socket,
        idle: false,
        can_move: false,
        uidplus: false,
    };
    let caps = connected
        .session
        .capabilities()
        .map_err(|e| lost(account, e))?;
    connected.idle = caps.has_str("IDLE");
    connected.can_move = caps.has_str("MOVE");
    connected.uidplus = caps.has_str("UIDPLUS");
    Ok(connected)
}

fn open_tcp(host: &str, port: u16) -> Result<TcpStream, FetchError> {
    let addrs: Vec<SocketAddr> = (host, port)
        .to_socket_addrs()
        .map_err(|e| FetchError::Connect(format!("cannot find the server {host}: {e}")))?
        .collect();
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, CONNECT_TIMEOUT) {
            Ok(tcp) => {
                let _ = tcp.set_read_timeout(Some(IO_TIMEOUT));
                let _ = tcp.set_write_timeout(Some(IO_TIMEOUT));
                let _ = tcp.set_nodelay(true);
                return Ok(tcp);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(FetchError::Connect(match last {
        Some(e) => format!("cannot connect to {host}:{port}: {e}"),
        None => format!("cannot find the server {host}"),
    }))
}

/// The greeting, CAPABILITY and STARTTLS spoken on the bare socket (the `imap`
/// crate has no public command before the login), then the TLS handshake. Lines are
/// read a byte at a time so nothing meant for TLS is swallowed by a buffer.
fn starttls(
    account: &Account,
    mut tcp: TcpStream,
    socket: &TcpStream,
    trust: &Arc<rustls::ClientConfig>,
) -> Result<imap::Client<Stream>, FetchError> {
    let broken = |e: std::io::Error| lost(account, imap::Error::Io(e));
    greet(account, &mut tcp, socket)?;
    let capabilities = command(&mut tcp, "fl0 CAPABILITY", "fl0 ").map_err(broken)?;
    let offered = capabilities.0.iter().any(|l| {
        l.to_ascii_uppercase()
            .split_whitespace()
            .any(|w| w == "STARTTLS")
    });
    if !offered {
        if account.is_loopback() && !account.security_named {
            // A server on this machine: nothing crosses a network.
            let mut client = imap::Client::new(Stream::Plain(tcp));
            client.greeting_read = true;
            return Ok(client);
        }
        return Err(FetchError::Connect(format!(
            "{}:{} offers no STARTTLS, and firstline does not send a password unencrypted; use port 993 (TLS)",
            account.host, account.port
        )));
    }
    let (_, done) = command(&mut tcp, "fl1 STARTTLS", "fl1 ").map_err(broken)?;
    if !done.to_ascii_uppercase().starts_with("FL1 OK") {
        return Err(FetchError::Connect(format!(
            "{} refused STARTTLS ({})",
            account.host,
            server_words(&done)
        )));
    }
    let tls = handshake(account, tcp, trust)?;
    let mut client = imap::Client::new(Stream::Tls(Box::new(tls)));
    // No second greeting after STARTTLS.
    client.greeting_read = true;
    Ok(client)
}

/// Reads the server's greeting within [`GREETING_TIMEOUT`] (set on `socket`, a handle
/// on the same connection as `stream`) and checks it is an IMAP
/// one (`* OK`, `* PREAUTH`). Anything else — an SMTP or web server on the port, a
/// silent port, a `* BYE` — is one line naming what answered, and is not retried:
/// the next attempt would meet the same server.
fn greet(account: &Account, stream: &mut impl Read, socket: &TcpStream) -> Result<(), FetchError> {
    let _ = socket.set_read_timeout(Some(GREETING_TIMEOUT));
    let line = read_line(stream);
    let _ = socket.set_read_timeout(Some(IO_TIMEOUT));
    let at = format!("{}:{}", account.host, account.port);
    let line = match line {
        Ok(line) => line,
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            return Err(FetchError::Connect(format!(
                "{at} did not greet as an IMAP server within {} s; check the port (IMAP is 993 with TLS, 143 with STARTTLS)",
                GREETING_TIMEOUT.as_secs()
            )))
        }
        Err(e) => return Err(lost(account, imap::Error::Io(e))),
    };
    check_greeting(&at, &line)
}

/// Whether `line` is an IMAP greeting; if not, what to tell the user.
fn check_greeting(at: &str, line: &str) -> Result<(), FetchError> {
    let upper = line.to_ascii_uppercase();
    if upper.starts_with("* OK") || upper.starts_with("* PREAUTH") {
        return Ok(());
    }
    if let Some(why) = upper.strip_prefix("* BYE").map(|_| &line[5..]) {
        return Err(FetchError::Connect(format!(
            "{at} refused the connection ({})",
            server_words(why)
        )));
    }
    let said = crate::model::text::truncate_chars(&server_words(line), 60).to_string();
    Err(FetchError::Connect(format!(
        "{at} is not an IMAP server (it answered \"{said}\"); check the port (IMAP is 993 with TLS, 143 with STARTTLS)"
    )))
}

/// Sends `line` and reads until the line starting with `tag`: (untagged lines, the
/// tagged one).
fn command(tcp: &mut TcpStream, line: &str, tag: &str) -> std::io::Result<(Vec<String>, String)> {
    tcp.write_all(format!("{line}\r\n").as_bytes())?;
    tcp.flush()?;
    let mut untagged = Vec::new();
    loop {
        let got = read_line(tcp)?;
        if got.starts_with(tag) {
            return Ok((untagged, got));
        }
        untagged.push(got);
    }
}

/// One CRLF-terminated line (at most 64 KiB), without the line end.
fn read_line(tcp: &mut impl Read) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if tcp.read(&mut byte)? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if byte[0] == b'\n' {
            break;
        }
        line.push(byte[0]);
        if line.len() > 64 * 1024 {
            return Err(std::io::Error::other("a line of more than 64 KiB"));
        }
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(String::from_utf8_lossy(&line).into_owned())
}

/// The authorities a mailbox's certificate may come from: the public web's
/// (webpki-root-certs, the Mozilla list `watch` uses) plus a private CA from
/// `ca_file`, whose problems are worded as `watch --ca-file` words them.
fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, FetchError> {
    static PUBLIC: OnceLock<Arc<rustls::ClientConfig>> = OnceLock::new();
    let Some(path) = ca_file else {
        return Ok(PUBLIC.get_or_init(|| build_config(Vec::new())).clone());
    };
    // The watch's checks first: unreadable, not PEM, no certificate in it.
    crate::watch::Trust::with_ca_file(path).map_err(|e| FetchError::Connect(e.to_string()))?;
    use rustls::pki_types::pem::PemObject;
    let pem = std::fs::read(path)
        .map_err(|e| FetchError::Connect(format!("cannot read {}: {e}", path.display())))?;
    let extra = rustls::pki_types::CertificateDer::pem_slice_iter(&pem)
        .filter_map(Result::ok)
        .collect();
    Ok(build_config(extra))
}

fn build_config(
    extra: Vec<rustls::pki_types::CertificateDer<'static>>,
) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in webpki_root_certs::TLS_SERVER_ROOT_CERTS
        .iter()
        .cloned()
        .chain(extra)
    {
        // A public root rustls cannot use is skipped, as ureq skips it.
        let _ = roots.add(cert);
    }
    // ring is the provider lettre already compiles; naming it keeps this
    // independent of a process-wide default.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports rustls' default protocol versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    Arc::new(config)
}

/// The TLS handshake, with a refused certificate turned into a reason.
fn handshake(
    account: &Account,
    mut tcp: TcpStream,
    trust: &Arc<rustls::ClientConfig>,
) -> Result<rustls::StreamOwned<rustls::ClientConnection, TcpStream>, FetchError> {
    let host = account.host.trim_start_matches('[').trim_end_matches(']');
    let name = ServerName::try_from(host.to_string())
        .map_err(|_| FetchError::Connect(format!("TLS: '{host}' is not a valid server name")))?;
    let mut tls = rustls::ClientConnection::new(trust.clone(), name)
        .map_err(|e| FetchError::Connect(format!("TLS: {e}")))?;
    while tls.is_handshaking() {
        if let Err(e) = tls.complete_io(&mut tcp) {
            let _ = tls.write_tls(&mut tcp);
            let reason = match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
                    "TLS: the server did not finish the handshake in time".to_string()
                }
                std::io::ErrorKind::UnexpectedEof => {
                    "TLS: the server hung up during the handshake".to_string()
                }
                _ => match e.get_ref().and_then(|inner| inner.downcast_ref()) {
                    Some(tls_error) => crate::watch::tls_reason(tls_error, host),
                    None => format!("TLS handshake failed: {e}"),
                },
            };
            return Err(FetchError::Connect(
                reason
                    .replace("pass --ca-file", "set ca_file")
                    .replace("not meant for a web server", "not meant for a server")
                    .replace(
                        "(is it an http:// address?)",
                        "(is it the STARTTLS port 143? then set security = \"starttls\")",
                    ),
            ));
        }
    }
    Ok(rustls::StreamOwned::new(tls, tcp))
}

/// XOAUTH2 as Gmail and Microsoft 365 take it.
struct OAuth2<'a> {
    user: &'a str,
    token: &'a str,
}

impl imap::Authenticator for OAuth2<'_> {
    type Response = String;
    fn process(&self, _challenge: &[u8]) -> String {
        format!("user={}\x01auth=Bearer {}\x01\x01", self.user, self.token)
    }
}

fn login(
    account: &Account,
    client: imap::Client<Stream>,
) -> Result<imap::Session<Stream>, FetchError> {
    let secret = account.read_secret().map_err(FetchError::Login)?;
    if secret.value.contains(['\r', '\n', '\0']) {
        return Err(FetchError::Login(format!(
            "the secret from {} contains a line break; check it",
            account.secret.describe()
        )));
    }
    let result = if secret.oauth2 {
        client.authenticate(
            "XOAUTH2",
            &OAuth2 {
                user: &account.user,
                token: &secret.value,
            },
        )
    } else {
        client.login(&account.user, &secret.value)
    };
    // A server that echoes the command back must not put the secret on screen.
    let words = |text: &str| server_words(text).replace(secret.value.as_str(), "[secret]");
    result.map_err(|(e, _client)| match e {
        imap::Error::No(no) => FetchError::Login(format!(
            "login failed for {} ({}) — check {}",
            account.user,
            words(&no.information),
            account.secret.describe()
        )),
        imap::Error::Bad(bad) => FetchError::Login(format!(
            "the server refused the login for {} ({}) — check {}",
            account.user,
            words(&bad.information),
            account.secret.describe()
        )),
        // Validation errors quote the offending input: never show them.
        imap::Error::Validate(_) => FetchError::Login(format!(
            "the user name or the secret from {} has characters IMAP cannot send",
            account.secret.describe()
        )),
        other => lost(account, other),
    })
}

/// What the server said, on one line and safe to show.
pub(crate) fn server_words(text: &str) -> String {
    let line = crate::display::sanitize_line(text.trim());
    let short: String = line.chars().take(200).collect();
    if short.is_empty() {
        "no reason given".into()
    } else {
        short
    }
}

/// A protocol or I/O failure on an established connection: the connection is gone
/// or unusable, and the next try starts over.
pub(crate) fn lost(account: &Account, e: imap::Error) -> FetchError {
    let what = match e {
        imap::Error::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                format!("{} stopped answering", account.host)
            }
            _ => format!("connection to {} lost: {io}", account.host),
        },
        imap::Error::ConnectionLost => format!("connection to {} lost", account.host),
        imap::Error::Bye(bye) => format!(
            "{} closed the connection ({})",
            account.host,
            server_words(&bye.information)
        ),
        imap::Error::No(no) => format!("the server refused: {}", server_words(&no.information)),
        imap::Error::Bad(bad) => format!(
            "the server did not understand: {}",
            server_words(&bad.information)
        ),
        imap::Error::Parse(_) => format!("{} sent an answer firstline cannot read", account.host),
        other => format!("IMAP error: {}", server_words(&other.to_string())),
    };
    FetchError::Lost(what)
}
