//! One probe of a watched site: a GET through `ureq` (rustls, so the same TLS stack
//! and trust store lettre already links for SMTP), following redirects within
//! [`MAX_REDIRECTS`], with one time budget for the whole exchange. What goes wrong
//! comes back as a reason a person can act on ("TLS: certificate expired"), not as a
//! library's debug output.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
use ureq::unversioned::resolver::DefaultResolver;
use ureq::unversioned::transport::{
    ConnectionDetails, Connector, RustlsConnector, TcpConnector, Transport,
};

use super::Probe;

/// Most bytes of a response body read (the time to read them counts as response time).
const BODY_LIMIT: u64 = 512 * 1024;

/// Redirects followed before a probe gives up: a site that answers `/` with a hop
/// to `/en/` and from http to https is up; one that redirects in a circle is down.
pub const MAX_REDIRECTS: u32 = 5;

/// A URL the watch cannot fetch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("'{0}' is not an http:// or https:// URL; the watch checks web sites only")]
    Unsupported(String),
    #[error("'{0}' has no host")]
    NoHost(String),
}

/// A parsed `http://` or `https://` URL (the `url` crate's WHATWG parser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpUrl(url::Url);

impl HttpUrl {
    /// Whether the site is reached over TLS.
    pub fn is_https(&self) -> bool {
        self.0.scheme() == "https"
    }

    /// The host name or address, IPv6 without brackets.
    pub fn host(&self) -> String {
        match self.0.host() {
            Some(url::Host::Ipv6(addr)) => addr.to_string(),
            Some(host) => host.to_string(),
            None => String::new(),
        }
    }

    /// The port, the scheme's default when the URL names none.
    pub fn port(&self) -> u16 {
        self.0.port_or_known_default().unwrap_or(80)
    }

    /// Path and query, what the request line asks for.
    pub fn path(&self) -> String {
        match self.0.query() {
            Some(q) => format!("{}?{q}", self.0.path()),
            None => self.0.path().to_string(),
        }
    }

    /// The URL without its fragment, as it is fetched.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// Reads an `http://` or `https://` URL; anything else is refused.
pub fn parse_url(text: &str) -> Result<HttpUrl, UrlError> {
    let mut url = url::Url::parse(text.trim()).map_err(|e| match e {
        url::ParseError::EmptyHost => UrlError::NoHost(text.to_string()),
        _ => UrlError::Unsupported(text.to_string()),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(UrlError::Unsupported(text.to_string()));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(UrlError::NoHost(text.to_string()));
    }
    url.set_fragment(None);
    Ok(HttpUrl(url))
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

/// The certificate authorities an `https://` probe believes: the public web's (the
/// Mozilla list of webpki-roots) plus, for internal sites, any private CA the user
/// names. Built once per watch and shared by every probe.
#[derive(Clone)]
pub struct Trust {
    roots: RootCerts,
}

impl std::fmt::Debug for Trust {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Trust")
    }
}

impl Trust {
    /// The public web's authorities only.
    pub fn public() -> Trust {
        Trust {
            roots: RootCerts::WebPki,
        }
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
        // ureq takes the roots as certificates, so the public set comes from
        // webpki-root-certs (the same Mozilla list as webpki-roots, as certificates).
        let mut roots: Vec<Certificate<'static>> = webpki_root_certs::TLS_SERVER_ROOT_CERTS
            .iter()
            .map(|c| Certificate::from_der(c.as_ref()).to_owned())
            .collect();
        // A check store, so a block that is PEM but no certificate is refused here
        // rather than silently skipped when the connection is made.
        let mut check = rustls::RootCertStore::empty();
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| TrustError::BadPem {
                path: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            check
                .add(cert.clone())
                .map_err(|_| TrustError::BadCertificate {
                    path: path.to_path_buf(),
                })?;
            roots.push(Certificate::from_der(cert.as_ref()).to_owned());
            added += 1;
        }
        if added == 0 {
            return Err(TrustError::NoCertificate {
                path: path.to_path_buf(),
            });
        }
        Ok(Trust {
            roots: RootCerts::Specific(Arc::new(roots)),
        })
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

/// How far the latest connection got, so a timeout can say where it struck.
const NOT_CONNECTED: u8 = 0;
const TCP_CONNECTED: u8 = 1;
const TLS_DONE: u8 = 2;

/// A link in ureq's connector chain that only notes how far the connection got:
/// ureq reports a timeout as "the time is up", not where it struck, and the user
/// should hear "in the TLS handshake" when the TCP connection stood but TLS did not.
#[derive(Debug)]
struct Milestone {
    stage: Arc<AtomicU8>,
    reached: u8,
}

impl<In: Transport> Connector<In> for Milestone {
    type Out = In;

    fn connect(
        &self,
        _: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<In>, ureq::Error> {
        self.stage.store(self.reached, Ordering::SeqCst);
        Ok(chained)
    }
}

/// The one crypto provider lettre already compiles; naming it (rather than relying
/// on a process-wide default) keeps this independent of lettre's setup.
fn ring() -> Arc<rustls::crypto::CryptoProvider> {
    static RING: OnceLock<Arc<rustls::crypto::CryptoProvider>> = OnceLock::new();
    RING.get_or_init(|| Arc::new(rustls::crypto::ring::default_provider()))
        .clone()
}

fn fetch(url: &HttpUrl, timeout: Duration, trust: &Trust, start: Instant) -> Result<u16, String> {
    let stage = Arc::new(AtomicU8::new(NOT_CONNECTED));
    let milestone = |reached| Milestone {
        stage: stage.clone(),
        reached,
    };
    // TCP, then TLS for https (rustls passes plain http through); no proxies: a
    // watch checks the site itself. Every new connection starts the stages over.
    let connector =
        ().chain(milestone(NOT_CONNECTED))
            .chain(TcpConnector::default())
            .chain(milestone(TCP_CONNECTED))
            .chain(RustlsConnector::default())
            .chain(milestone(TLS_DONE));
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout.max(Duration::from_millis(1))))
        .max_redirects(MAX_REDIRECTS)
        .http_status_as_error(false)
        .proxy(None)
        .user_agent(format!("firstline-watch/{}", env!("CARGO_PKG_VERSION")))
        .tls_config(
            TlsConfig::builder()
                .provider(TlsProvider::Rustls)
                .root_certs(trust.roots.clone())
                .unversioned_rustls_crypto_provider(ring())
                .build(),
        )
        .build();
    let agent = ureq::Agent::with_parts(config, connector, DefaultResolver::default());
    let timed_out = || format!("timed out after {} ms", timeout.as_millis());
    let mut response = match agent.get(url.as_str()).call() {
        Ok(response) => response,
        Err(ureq::Error::Timeout(_)) => {
            let in_handshake = stage.load(Ordering::SeqCst) == TCP_CONNECTED;
            return Err(if in_handshake {
                format!(
                    "timed out after {} ms in the TLS handshake",
                    timeout.as_millis()
                )
            } else {
                timed_out()
            });
        }
        Err(e) => return Err(reason(e, url, stage.load(Ordering::SeqCst))),
    };
    let status = response.status().as_u16();
    // Read the body (within the limit): its time counts as response time. A body cut
    // off by the time limit or a dropped connection still leaves the answer given.
    let mut sink = [0u8; 8192];
    let mut body = response.body_mut().as_reader().take(BODY_LIMIT);
    while start.elapsed() < timeout {
        match body.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
    Ok(status)
}

/// A ureq error as one line a person can act on.
fn reason(error: ureq::Error, url: &HttpUrl, stage: u8) -> String {
    let host = url.host();
    match error {
        ureq::Error::Rustls(e) => tls_reason(&e, &host),
        ureq::Error::Io(e) => {
            if let Some(tls) = e.get_ref().and_then(|inner| inner.downcast_ref()) {
                return tls_reason(tls, &host);
            }
            let closed = matches!(
                e.kind(),
                std::io::ErrorKind::UnexpectedEof
                    | std::io::ErrorKind::ConnectionReset
                    | std::io::ErrorKind::ConnectionAborted
            );
            match stage {
                NOT_CONNECTED => format!("cannot connect: {e}"),
                TCP_CONNECTED if closed => "TLS: the server hung up during the handshake".into(),
                _ if closed => "the server closed the connection without answering".into(),
                _ => format!("connection failed: {e}"),
            }
        }
        ureq::Error::HostNotFound => format!("cannot resolve {host}"),
        ureq::Error::ConnectionFailed => "cannot connect".into(),
        ureq::Error::TooManyRedirects => {
            format!("more than {MAX_REDIRECTS} redirects (does the site redirect in a loop?)")
        }
        ureq::Error::RedirectFailed => "a redirect points nowhere a browser could follow".into(),
        ureq::Error::Http(_) | ureq::Error::Protocol(_) => "the answer is not HTTP".into(),
        ureq::Error::Tls(e) => format!("TLS: {e}"),
        other => other.to_string(),
    }
}

/// "TLS: certificate expired" rather than `InvalidCertificate(Expired)`.
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

#[cfg(test)]
mod tests {
    use super::*;
    use rustls::pki_types::ServerName;

    #[test]
    fn parses_http_urls_and_refuses_others() {
        let url = parse_url("http://127.0.0.1:8080/health?x=1").unwrap();
        assert_eq!(
            (url.is_https(), url.host(), url.port(), url.path()),
            (false, "127.0.0.1".into(), 8080, "/health?x=1".into())
        );
        assert_eq!(parse_url("http://shop.ua").unwrap().path(), "/");
        assert_eq!(parse_url("http://shop.ua").unwrap().port(), 80);
        assert!(matches!(
            parse_url("ftp://shop.ua"),
            Err(UrlError::Unsupported(_))
        ));
        assert!(matches!(
            parse_url("shop.ua"),
            Err(UrlError::Unsupported(_))
        ));
        assert!(parse_url("http://").is_err());
    }

    #[test]
    fn parses_https_urls_with_port_443_by_default() {
        let url = parse_url("https://shop.ua/health").unwrap();
        assert_eq!(
            (url.is_https(), url.host(), url.port(), url.path()),
            (true, "shop.ua".into(), 443, "/health".into())
        );
        assert_eq!(parse_url("HTTPS://shop.ua:8443").unwrap().port(), 8443);
        assert_eq!(parse_url("https://[::1]:9443/").unwrap().host(), "::1");
        assert_eq!(parse_url("https://shop.ua/#top").unwrap().path(), "/");
        assert_eq!(
            parse_url("https://shop.ua/#top").unwrap().as_str(),
            "https://shop.ua/"
        );
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
