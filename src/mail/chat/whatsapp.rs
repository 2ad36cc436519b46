//! WhatsApp "Export chat" text, in the date formats phones actually write:
//! Android `26/11/2026, 14:03 - Name: text`, `11/26/26, 2:03 PM - Name: text`,
//! `26.11.26, 14:03 - Name: text`, and iOS `[26.11.2026, 14:03:15] Name: text`.
//! Lines that do not start with a timestamp continue the previous message; lines with
//! a timestamp and no author are system notices (encryption, "you changed the number").

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use regex::Regex;
use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use super::{customer_from_name, local_to_utc, short_hash, ChatEntry, ChatMessage};
use crate::model::{Attachment, Channel, Direction};

fn line_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^[\u{200e}\u{200f}\u{feff}]?\[?(\d{1,4})[./-](\d{1,2})[./-](\d{1,4}),?\s+(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?(?:\s*([AaPp])\.?\s?[Mm]\.?)?\]?\s*(?:[-–]\s+)?(.*)$",
        )
        .expect("static regex")
    })
}

/// Whether text looks like a WhatsApp export (its first non-empty line is a timestamped one).
pub(crate) fn looks_like_whatsapp(text: &str) -> bool {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| line_re().is_match(l.trim_start_matches('\u{feff}')))
}

struct Raw {
    line: usize,
    a: u32,
    b: u32,
    c: u32,
    time: NaiveTime,
    rest: String,
}

/// Reads an export. `me` are the lowercase names that are us.
pub(crate) fn read(
    path: &Path,
    tz: chrono_tz::Tz,
    me: &[String],
) -> Result<Vec<ChatEntry>, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    let chat_name = chat_name_from_file(path);
    Ok(parse(&text, tz, me, chat_name.as_deref()))
}

/// "WhatsApp Chat with Олена.txt", "WhatsApp Chat - Олена.txt", "Чат WhatsApp с Олена.txt".
fn chat_name_from_file(path: &Path) -> Option<String> {
    let stem = path.file_stem()?.to_string_lossy().into_owned();
    for prefix in [
        "WhatsApp Chat with ",
        "WhatsApp Chat - ",
        "Чат WhatsApp с ",
        "Чат WhatsApp з ",
    ] {
        if let Some(name) = stem.strip_prefix(prefix) {
            return Some(name.trim().to_string());
        }
    }
    None
}

/// Parses the text of an export.
pub(crate) fn parse(
    text: &str,
    tz: chrono_tz::Tz,
    me: &[String],
    chat_name: Option<&str>,
) -> Vec<ChatEntry> {
    let mut raws: Vec<Raw> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        match line_re().captures(line) {
            Some(c) => {
                let num = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
                let (Some(a), Some(b), Some(cc), Some(mut h), Some(min)) =
                    (num(1), num(2), num(3), num(4), num(5))
                else {
                    continue;
                };
                if let Some(ampm) = c.get(7) {
                    let pm = ampm.as_str().eq_ignore_ascii_case("p");
                    h = match (h, pm) {
                        (12, false) => 0,
                        (12, true) => 12,
                        (h, true) => h + 12,
                        (h, false) => h,
                    };
                }
                let Some(time) = NaiveTime::from_hms_opt(h, min, num(6).unwrap_or(0)) else {
                    continue;
                };
                raws.push(Raw {
                    line: i + 1,
                    a,
                    b,
                    c: cc,
                    time,
                    rest: c.get(8).map(|m| m.as_str().to_string()).unwrap_or_default(),
                });
            }
            None => {
                if let Some(last) = raws.last_mut() {
                    last.rest.push('\n');
                    last.rest.push_str(line);
                }
            }
        }
    }
    let order = date_order(&raws);
    let mut entries = Vec::new();
    for r in &raws {
        let date = match order {
            Order::Ymd => ymd(r.a, r.b, r.c),
            Order::Dmy => ymd(r.c, r.b, r.a),
            Order::Mdy => ymd(r.c, r.a, r.b),
        };
        let (author, body) = split_author(&r.rest);
        entries.push((r, date, author, body));
    }
    let participants: Vec<String> = {
        let mut seen: Vec<String> = Vec::new();
        for (_, _, author, _) in &entries {
            if let Some(a) = author {
                if !seen.contains(a) {
                    seen.push(a.clone());
                }
            }
        }
        seen
    };
    let is_me = |name: &str| me.contains(&name.to_lowercase());
    let customer_name = chat_name
        .filter(|n| participants.iter().any(|p| p == n))
        .map(str::to_string)
        .or_else(|| participants.iter().find(|p| !is_me(p)).cloned())
        .unwrap_or_else(|| chat_name.unwrap_or("WhatsApp contact").to_string());
    let two_party = participants.len() <= 2;
    let customer = customer_from_name(&customer_name, "whatsapp");
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    let mut out = Vec::new();
    for (r, date, author, body) in entries {
        let Some(author) = author else {
            out.push(ChatEntry::Service);
            continue;
        };
        let Some(date) = date else {
            out.push(ChatEntry::Failed(format!(
                "line {}: date {}/{}/{} cannot be read",
                r.line, r.a, r.b, r.c
            )));
            continue;
        };
        let sent_at = local_to_utc(NaiveDateTime::new(date, r.time), tz);
        let outbound = is_me(&author) || (two_party && author != customer_name);
        let (text, attachments) = media(&body);
        let stamp = sent_at.timestamp().to_string();
        let base = short_hash(&[&customer_name, &stamp, &author, &body]);
        let n = occurrences.entry(base.clone()).or_insert(0);
        *n += 1;
        let id = format!("wa-{base}-{n}@whatsapp.firstline");
        out.push(ChatEntry::Message(Box::new(ChatMessage {
            channel: Channel::Chat,
            subject: format!("WhatsApp: {customer_name}"),
            customer: customer.clone(),
            author: author.clone(),
            direction: if outbound {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            sent_at,
            text,
            id,
            reply_to: None,
            attachments,
            raw: format!("{}\t{author}\t{body}", sent_at.to_rfc3339()).into_bytes(),
            ticket: None,
        })));
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Dmy,
    Mdy,
    Ymd,
}

/// Day-first unless some line proves month-first (a second field over 12); a
/// four-digit first field is year-first.
fn date_order(raws: &[Raw]) -> Order {
    if raws.iter().any(|r| r.a > 31) {
        return Order::Ymd;
    }
    if raws.iter().any(|r| r.a > 12) {
        return Order::Dmy;
    }
    if raws.iter().any(|r| r.b > 12) {
        return Order::Mdy;
    }
    Order::Dmy
}

fn ymd(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    let y = if y < 100 { 2000 + y } else { y };
    NaiveDate::from_ymd_opt(y as i32, m, d)
}

/// "Name: text" → (Some(name), text); a notice without an author → (None, text).
fn split_author(rest: &str) -> (Option<String>, String) {
    let first_line = rest.lines().next().unwrap_or("");
    match first_line
        .find(": ")
        .or_else(|| first_line.ends_with(':').then(|| first_line.len() - 1))
    {
        Some(i) if i > 0 && i <= 60 => {
            let author = rest[..i]
                .trim()
                .trim_matches(|c| c == '\u{200e}' || c == '\u{202a}' || c == '\u{202c}')
                .to_string();
            let body = rest[(i + 1).min(rest.len())..].trim_start().to_string();
            (Some(author), body)
        }
        _ => (None, rest.to_string()),
    }
}

/// Media lines: `<attached: 0001-PHOTO.jpg>`, `IMG-2020.jpg (file attached)`,
/// `<Media omitted>`, `image omitted`.
fn media(body: &str) -> (String, Vec<Attachment>) {
    let clean = body.trim_start_matches('\u{200e}').trim();
    let named = clean
        .strip_prefix("<attached: ")
        .and_then(|r| r.strip_suffix('>'))
        .or_else(|| clean.strip_suffix(" (file attached)"))
        .map(|n| n.lines().next().unwrap_or(n).trim().to_string());
    if let Some(name) = named {
        return (
            format!("[attached: {name}]"),
            vec![Attachment {
                content_type: guess_type(&name).into(),
                filename: name,
                size: 0,
                sha256: None,
            }],
        );
    }
    let omitted = [
        "<media omitted>",
        "<медиафайлы отсутствуют>",
        "<без медіафайлів>",
    ];
    if omitted.contains(&clean.to_lowercase().as_str()) || clean.ends_with(" omitted") {
        return (
            format!("[{}]", clean.trim_matches(['<', '>'])),
            vec![Attachment {
                filename: "(media omitted from export)".into(),
                content_type: "application/octet-stream".into(),
                size: 0,
                sha256: None,
            }],
        );
    }
    (body.to_string(), Vec::new())
}

fn guess_type(name: &str) -> &'static str {
    let lower = name.to_lowercase();
    match lower.rsplit('.').next().unwrap_or("") {
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "webp" => "image/webp",
        "opus" | "ogg" => "audio/ogg",
        "mp4" => "video/mp4",
        "pdf" => "application/pdf",
        "vcf" => "text/vcard",
        _ => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chats(payloads: Vec<ChatEntry>) -> Vec<ChatMessage> {
        payloads
            .into_iter()
            .filter_map(|p| match p {
                ChatEntry::Message(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn reads_android_day_first_with_multiline_and_notice() {
        let text = "26/11/2026, 14:03 - Messages and calls are end-to-end encrypted.\n26/11/2026, 14:03 - Олена: Доброго дня!\nЗамовлення 123 не прийшло.\n26/11/2026, 14:10 - Me: Перевіряю\n";
        let p = parse(text, chrono_tz::UTC, &["me".into()], None);
        assert!(matches!(p[0], ChatEntry::Service));
        let c = chats(p);
        assert_eq!(c.len(), 2);
        assert_eq!(c[0].text, "Доброго дня!\nЗамовлення 123 не прийшло.");
        assert_eq!(c[0].direction, Direction::Inbound);
        assert_eq!(c[1].direction, Direction::Outbound);
        assert_eq!(c[0].sent_at.to_rfc3339(), "2026-11-26T14:03:00+00:00");
    }

    #[test]
    fn reads_us_month_first_with_am_pm_and_ios_brackets() {
        let us = "11/26/26, 2:03 PM - Bob: hi\n11/26/26, 2:05 PM - Ann: hello\n";
        let c = chats(parse(us, chrono_tz::UTC, &[], Some("Bob")));
        assert_eq!(c[0].sent_at.to_rfc3339(), "2026-11-26T14:03:00+00:00");
        assert_eq!(c[1].direction, Direction::Outbound);
        let ios = "[26.11.2026, 09:15:30] Bob: <attached: 00000012-PHOTO-2026-11-26.jpg>\n";
        let c = chats(parse(ios, chrono_tz::UTC, &[], None));
        assert_eq!(
            c[0].attachments[0].filename,
            "00000012-PHOTO-2026-11-26.jpg"
        );
        assert_eq!(c[0].sent_at.to_rfc3339(), "2026-11-26T09:15:30+00:00");
    }
}
