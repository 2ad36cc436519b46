//! SMTP delivery with lettre over rustls: implicit TLS on port 465, STARTTLS on any
//! other port, and plain SMTP only to a relay on this machine (localhost), unless
//! `smtp_security` says otherwise. A private CA (`smtp_ca_file`) is trusted on top of
//! the public authorities, as `ca_file` is for IMAP. The password is read from the
//! environment variable the settings name, never from the settings file.
//!
//! A certificate the client refuses is one line in `watch`'s words ("TLS: certificate
//! is for X, not Y", "certificate not trusted … set smtp_ca_file"), and the reply is
//! not marked sent: lettre fails before any of the message is handed over.

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{SmtpTransport, Transport as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::config::{Invalid, MailConfig};

/// Where and how replies are handed to an SMTP server (`[mail] smtp_*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    /// `host:port` (587 when no port is given).
    pub server: String,
    pub user: Option<String>,
    /// The environment variable that holds the password.
    pub password_env: Option<String>,
    /// `tls`, `starttls` or `plain`; `None` means what the port implies.
    pub security: Option<String>,
    /// A private CA, already resolved against the settings file's folder.
    pub ca_file: Option<PathBuf>,
}

/// How the connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Security {
    Tls,
    StartTls,
    Plain,
}

fn parse_security(text: &str) -> Option<Security> {
    match text.trim().to_ascii_lowercase().as_str() {
        "tls" => Some(Security::Tls),
        "starttls" => Some(Security::StartTls),
        "plain" => Some(Security::Plain),
        _ => None,
    }
}

fn is_local(host: &str) -> bool {
    matches!(host, "localhost" | "127.0.0.1" | "::1" | "[::1]")
}

/// `[mail] smtp_security` and `smtp_ca_file`, checked at start: a word that is not a
/// security mode, plain text to another machine, or a CA file that cannot be used.
pub fn check_settings(mail: &MailConfig, settings_dir: Option<&Path>) -> Vec<Invalid> {
    let mut found = Vec::new();
    if let Some(text) = mail.smtp_security.as_deref() {
        match parse_security(text) {
            None => found.push(Invalid {
                key: "mail.smtp_security".into(),
                message: format!(
                    "[mail] smtp_security '{}' is not tls, starttls or plain",
                    crate::display::sanitize_line(text)
                ),
            }),
            Some(Security::Plain) => {
                let host = mail
                    .smtp_server
                    .as_deref()
                    .map(|s| split_server(s).0)
                    .unwrap_or_default();
                if !is_local(&host) {
                    found.push(Invalid {
                        key: "mail.smtp_security".into(),
                        message: format!(
                            "[mail] smtp_security = \"plain\" would send the password and mail in clear text to {host}; plain is only for 127.0.0.1 / localhost"
                        ),
                    });
                }
            }
            Some(_) => {}
        }
    }
    if let Some(ca) = &mail.smtp_ca_file {
        let path = resolve(ca, settings_dir);
        if let Err(e) = crate::watch::Trust::with_ca_file(&path) {
            found.push(Invalid {
                key: "mail.smtp_ca_file".into(),
                message: format!("[mail] smtp_ca_file: {e}"),
            });
        }
    }
    found
}

/// A path from the settings, relative to the settings file's folder.
pub(crate) fn resolve(path: &Path, settings_dir: Option<&Path>) -> PathBuf {
    match settings_dir {
        Some(dir) if path.is_relative() => dir.join(path),
        _ => path.to_path_buf(),
    }
}

fn split_server(server: &str) -> (String, Option<&str>) {
    let server = server.trim();
    // `[::1]:25`, `host:25`, or a bare host.
    match server.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() && (!h.contains(':') || h.ends_with(']')) => (
            h.trim_start_matches('[').trim_end_matches(']').to_string(),
            Some(p),
        ),
        _ => (server.to_string(), None),
    }
}

/// Sends raw RFC 5322 bytes; the envelope comes from the message's From and To/Cc.
pub(crate) fn send(settings: &SmtpSettings, raw: &[u8]) -> Result<(), String> {
    let server = settings.server.as_str();
    let (host, port) = match split_server(server) {
        (h, Some(p)) => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("smtp_server '{server}': port must be a number"))?,
        ),
        (h, None) => (h, 587),
    };
    let security = match settings.security.as_deref() {
        Some(text) => parse_security(text)
            .ok_or_else(|| format!("smtp_security '{text}' is not tls, starttls or plain"))?,
        None if port == 465 => Security::Tls,
        None if is_local(&host) && settings.ca_file.is_none() => Security::Plain,
        None => Security::StartTls,
    };
    let tls = match security {
        Security::Plain => Tls::None,
        Security::Tls => Tls::Wrapper(tls_parameters(&host, settings.ca_file.as_deref())?),
        Security::StartTls => Tls::Required(tls_parameters(&host, settings.ca_file.as_deref())?),
    };
    let mut builder = SmtpTransport::builder_dangerous(&host)
        .port(port)
        .tls(tls)
        .timeout(Some(Duration::from_secs(30)));
    if let Some(user) = settings.user.as_deref().filter(|u| !u.trim().is_empty()) {
        let var = settings
            .password_env
            .as_deref()
            .unwrap_or("FIRSTLINE_SMTP_PASSWORD");
        let password = std::env::var(var)
            .map_err(|_| format!("SMTP login as {user} needs the password in ${var}"))?;
        builder = builder.credentials(Credentials::new(user.to_string(), password));
    }
    let envelope = envelope(raw)?;
    builder
        .build()
        .send_raw(&envelope, raw)
        .map(|_| ())
        .map_err(|e| explain(&e, server, &host))
}

/// The trust for `host`: the public authorities, plus the private CA when set.
fn tls_parameters(host: &str, ca_file: Option<&Path>) -> Result<TlsParameters, String> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = ca_file {
        crate::watch::Trust::with_ca_file(path).map_err(|e| format!("smtp_ca_file: {e}"))?;
        let pem = std::fs::read(path)
            .map_err(|e| format!("smtp_ca_file: cannot read {}: {e}", path.display()))?;
        let cert = Certificate::from_pem(&pem)
            .map_err(|e| format!("smtp_ca_file {}: {e}", path.display()))?;
        builder = builder.add_root_certificate(cert);
    }
    builder
        .build_rustls()
        .map_err(|e| format!("TLS setup for {host}: {e}"))
}

/// One line for a failed delivery: a refused certificate in `watch`'s words, else
/// lettre's own (which carries the server's reply).
fn explain(e: &lettre::transport::smtp::Error, server: &str, host: &str) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(inner) = source {
        // rustls' error travels inside an io::Error, whose `source` skips it.
        let wrapped = inner
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|e| e.downcast_ref::<rustls::Error>());
        if let Some(tls) = inner.downcast_ref::<rustls::Error>().or(wrapped) {
            let reason = crate::watch::tls_reason(tls, host)
                .replace("pass --ca-file", "set smtp_ca_file")
                .replace("not meant for a web server", "not meant for a server");
            return format!("SMTP {server}: {reason}");
        }
        source = inner.source();
    }
    crate::display::sanitize_line(&format!("SMTP {server}: {e}"))
}

fn envelope(raw: &[u8]) -> Result<Envelope, String> {
    let parsed = super::parse_mail(raw)?;
    let parse = |a: &str| {
        a.parse::<Address>()
            .map_err(|e| format!("address {a} cannot be used for SMTP: {e}"))
    };
    let from = parsed.from.as_ref().map(|(_, a)| parse(a)).transpose()?;
    let to = parsed
        .recipients
        .iter()
        .map(|(_, a)| parse(a))
        .collect::<Result<Vec<_>, _>>()?;
    Envelope::new(from, to).map_err(|e| format!("no recipients: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_split_into_host_and_port() {
        assert_eq!(
            split_server("mail.example:465"),
            ("mail.example".into(), Some("465"))
        );
        assert_eq!(split_server("[::1]:25"), ("::1".into(), Some("25")));
        assert_eq!(split_server("mail.example"), ("mail.example".into(), None));
    }

    #[test]
    fn plain_text_is_only_for_this_machine() {
        let mut mail = MailConfig {
            smtp_server: Some("smtp.example.com:25".into()),
            smtp_security: Some("plain".into()),
            ..MailConfig::default()
        };
        let found = check_settings(&mail, None);
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(found[0].message.contains("clear text"), "{found:?}");
        mail.smtp_server = Some("127.0.0.1:2525".into());
        assert!(check_settings(&mail, None).is_empty());
        mail.smtp_security = Some("ssl".into());
        assert!(check_settings(&mail, None)[0]
            .message
            .contains("not tls, starttls or plain"));
    }
}
