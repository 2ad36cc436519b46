//! Web-form submissions as CSV. The header names the columns (any order, any case):
//!
//! | column | required | meaning |
//! |---|---|---|
//! | `message` (or `body`, `text`) | yes | what the customer wrote |
//! | `email` | one of email/phone/name | the customer's address |
//! | `name`, `phone` | | who wrote |
//! | `subject` | | ticket subject (default: first line of the message) |
//! | `submitted_at` (or `date`, `created_at`, `timestamp`) | | RFC 3339, `YYYY-MM-DD HH:MM[:SS]` or `DD.MM.YYYY HH:MM`, local time |
//! | `id` | | the form's own id: makes re-imports of an edited file safe |
//! | `channel` | | email, phone, web, chat (default web) |

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::collections::HashMap;
use std::path::Path;

use super::{local_to_utc, short_hash, ChatEntry, ChatMessage};
use crate::model::{Channel, Direction, NewCustomer};

/// Reads a CSV file into one payload per row.
pub(crate) fn read(path: &Path, tz: chrono_tz::Tz) -> Result<Vec<ChatEntry>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| format!("cannot read: {e}"))?;
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("no header row: {e}"))?
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_lowercase())
        .collect();
    let col = |names: &[&str]| headers.iter().position(|h| names.contains(&h.as_str()));
    let message = col(&["message", "body", "text"]).ok_or_else(|| {
        format!(
            "CSV header needs a message column (message, body or text); found: {}",
            headers.join(", ")
        )
    })?;
    let cols = Columns {
        message,
        email: col(&["email", "e-mail", "mail"]),
        name: col(&["name", "full_name"]),
        phone: col(&["phone", "tel"]),
        subject: col(&["subject", "topic"]),
        date: col(&["submitted_at", "date", "created_at", "timestamp", "time"]),
        id: col(&["id", "submission_id"]),
        channel: col(&["channel"]),
    };
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut out = Vec::new();
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        match record {
            Ok(r) => out.push(row(&r, &cols, tz, &stem, i + 2, &mut occurrences)),
            Err(e) => out.push(ChatEntry::Failed(format!("row {}: {e}", i + 2))),
        }
    }
    Ok(out)
}

struct Columns {
    message: usize,
    email: Option<usize>,
    name: Option<usize>,
    phone: Option<usize>,
    subject: Option<usize>,
    date: Option<usize>,
    id: Option<usize>,
    channel: Option<usize>,
}

fn row(
    r: &csv::StringRecord,
    c: &Columns,
    tz: chrono_tz::Tz,
    stem: &str,
    line: usize,
    occurrences: &mut HashMap<String, usize>,
) -> ChatEntry {
    let get = |i: Option<usize>| {
        i.and_then(|i| r.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    let Some(text) = get(Some(c.message)) else {
        return ChatEntry::Failed(format!("row {line}: empty message"));
    };
    let email = get(c.email).map(|e| e.to_lowercase());
    let phone = get(c.phone);
    let name = get(c.name).unwrap_or_default();
    if email.is_none() && phone.is_none() && name.is_empty() {
        return ChatEntry::Failed(format!("row {line}: no email, phone or name"));
    }
    let sent_at = match get(c.date) {
        Some(d) => match parse_date(&d, tz) {
            Some(t) => t,
            None => return ChatEntry::Failed(format!("row {line}: date '{d}' cannot be read")),
        },
        None => Utc::now(),
    };
    let subject = get(c.subject).unwrap_or_else(|| {
        let first = text.lines().next().unwrap_or("Web form");
        crate::model::text::truncate_at_char(first, 80).to_string()
    });
    let channel = get(c.channel)
        .and_then(|ch| ch.parse::<Channel>().ok())
        .unwrap_or(Channel::Web);
    let fields: Vec<String> = r.iter().map(str::to_string).collect();
    let id = match get(c.id) {
        Some(id) => format!("form-{}-{id}@web.firstline", short_hash(&[stem])),
        None => {
            let parts: Vec<&str> = fields.iter().map(String::as_str).collect();
            let base = short_hash(&parts);
            let n = occurrences.entry(base.clone()).or_insert(0);
            *n += 1;
            format!("form-{base}-{n}@web.firstline")
        }
    };
    let author = if name.is_empty() {
        email.clone().or(phone.clone()).unwrap_or_default()
    } else {
        name.clone()
    };
    ChatEntry::Message(Box::new(ChatMessage {
        channel,
        subject,
        customer: NewCustomer {
            name,
            email,
            phone,
            handle: None,
        },
        author,
        direction: Direction::Inbound,
        sent_at,
        text,
        id,
        reply_to: None,
        attachments: Vec::new(),
        raw: fields.join("\u{1f}").into_bytes(),
        ticket: None,
    }))
}

/// The date formats forms and spreadsheets write.
pub(crate) fn parse_date(text: &str, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%d.%m.%Y %H:%M:%S",
        "%d.%m.%Y %H:%M",
        "%d/%m/%Y %H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(text, f) {
            return Some(local_to_utc(n, tz));
        }
    }
    for f in ["%Y-%m-%d", "%d.%m.%Y"] {
        if let Ok(d) = NaiveDate::parse_from_str(text, f) {
            return Some(local_to_utc(d.and_hms_opt(12, 0, 0)?, tz));
        }
    }
    None
}
