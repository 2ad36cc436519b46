//! Mail no person wrote to us: out-of-office answers and other auto-replies (RFC 3834),
//! and bounces (RFC 3464 delivery-status reports). A new-user trial saw an out-of-office
//! put its ticket back in Needs reply and a MAILER-DAEMON bounce open a ticket of its own.
//! Only the header block and, for a bounce, the report's text are read.

use super::imap::away::header_fields;

/// What an incoming message is, when no person wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Automatic {
    /// An auto-reply: it joins its ticket as a note, never bringing it back to Needs reply.
    Reply,
    /// A delivery failure: which of our messages it reports on, and why.
    Bounce {
        original: Option<String>,
        reason: String,
    },
}

/// Classifies raw mail; `None` for mail a person wrote.
pub(crate) fn classify(raw: &[u8]) -> Option<Automatic> {
    let headers = header_fields(raw);
    let get = |name: &'static str| {
        headers
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_ascii_lowercase())
    };
    let report = get("Content-Type").any(|v| {
        v.starts_with("multipart/report")
            && v.replace(' ', "").contains("report-type=delivery-status")
    });
    if report {
        return Some(bounce(raw));
    }
    let auto_submitted = get("Auto-Submitted").any(|v| {
        let word = v.split(';').next().unwrap_or("").trim().to_string();
        !word.is_empty() && word != "no"
    });
    let precedence =
        get("Precedence").any(|v| matches!(v.as_str(), "auto_reply" | "bulk" | "junk"));
    let flagged = get("X-Autoreply").next().is_some() || get("X-Autorespond").next().is_some();
    (auto_submitted || precedence || flagged).then_some(Automatic::Reply)
}

/// The Message-ID the report quotes (from its returned headers) and the reason the
/// receiving server gave (`Diagnostic-Code`, else `Status`).
fn bounce(raw: &[u8]) -> Automatic {
    let text = String::from_utf8_lossy(raw);
    let body = text
        .split_once("\r\n\r\n")
        .or_else(|| text.split_once("\n\n"))
        .map_or("", |(_, b)| b);
    let mut original = None;
    let mut diagnostic = None;
    let mut status = None;
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "message-id" if original.is_none() => {
                let id = value.trim_start_matches('<').trim_end_matches('>').trim();
                if !id.is_empty() && !id.contains(char::is_whitespace) {
                    original = Some(id.to_string());
                }
            }
            "diagnostic-code" if diagnostic.is_none() => {
                let code = value.split_once(';').map_or(value, |(_, c)| c).trim();
                diagnostic = Some(code.to_string());
            }
            "status" if status.is_none() => status = Some(value.to_string()),
            _ => {}
        }
    }
    let reason = diagnostic
        .or(status.map(|s| format!("status {s}")))
        .unwrap_or_else(|| "the receiving server refused it".into());
    Automatic::Bounce {
        original,
        reason: crate::model::text::truncate_chars(&crate::display::sanitize_line(&reason), 200)
            .to_string(),
    }
}
