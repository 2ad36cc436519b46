//! SMTP delivery with lettre over rustls: implicit TLS on port 465, STARTTLS on any
//! other port, and plain SMTP only to a relay on this machine (localhost). The
//! password is read from the environment variable the settings name, never from the
//! settings file.

use lettre::address::{Address, Envelope};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{SmtpTransport, Transport as _};
use std::time::Duration;

/// Sends raw RFC 5322 bytes; the envelope comes from the message's From and To/Cc.
pub(crate) fn send(
    server: &str,
    user: Option<&str>,
    password_env: Option<&str>,
    raw: &[u8],
) -> Result<(), String> {
    let (host, port) = match server.rsplit_once(':') {
        Some((h, p)) => (
            h.to_string(),
            p.parse::<u16>()
                .map_err(|_| format!("smtp_server '{server}': port must be a number"))?,
        ),
        None => (server.to_string(), 587),
    };
    let local = matches!(host.as_str(), "localhost" | "127.0.0.1" | "::1");
    let builder = if local {
        SmtpTransport::builder_dangerous(&host)
    } else if port == 465 {
        SmtpTransport::relay(&host).map_err(|e| format!("SMTP {server}: {e}"))?
    } else {
        SmtpTransport::starttls_relay(&host).map_err(|e| format!("SMTP {server}: {e}"))?
    };
    let mut builder = builder.port(port).timeout(Some(Duration::from_secs(30)));
    if let Some(user) = user.filter(|u| !u.trim().is_empty()) {
        let var = password_env.unwrap_or("FIRSTLINE_SMTP_PASSWORD");
        let password = std::env::var(var)
            .map_err(|_| format!("SMTP login as {user} needs the password in ${var}"))?;
        builder = builder.credentials(Credentials::new(user.to_string(), password));
    }
    let envelope = envelope(raw)?;
    builder
        .build()
        .send_raw(&envelope, raw)
        .map(|_| ())
        .map_err(|e| format!("SMTP {server}: {e}"))
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
