//! Pasted transcripts: text copied out of a chat window split into timestamped
//! messages for a new or existing ticket. Used by `firstline import --paste` and by
//! the console's paste action (a call logged with `L` is `sla::calls`).
//!
//! Recognised shapes, tried in order:
//! - WhatsApp lines: `[26.11.26, 14:03:15] Name: text` / `26/11/2026, 14:03 - Name: text`
//! - Telegram Desktop copy: a `Name, [26.11.2026 14:03]` line, then the text
//! - Time-stamped lines: `[14:03] Name: text` or `14:03 Name: text` (the latest such
//!   times before the paste: a time later than now was yesterday)
//!
//! Anything else is one message from the customer at the time of pasting (but
//! `import --paste --channel phone` files untimed notes as a call, `sla::calls`).

use chrono::{DateTime, NaiveDateTime, NaiveTime, Utc};
use regex::Regex;
use std::collections::HashMap;
use std::sync::OnceLock;

use super::chat::{local_to_utc, short_hash, whatsapp, ChatEntry, ChatMessage};
use crate::model::{Channel, Direction, NewCustomer, TicketId};

/// Who and where a pasted transcript belongs to.
#[derive(Debug, Clone)]
pub struct PasteOptions {
    pub channel: Channel,
    /// Append to this ticket; `None` opens a new one.
    pub ticket: Option<TicketId>,
    /// The customer; when empty, the first speaker who is not us.
    pub customer: NewCustomer,
    /// Subject of a new ticket (default: the channel and the customer's name).
    pub subject: Option<String>,
    /// Lowercase names that are us ("me", "я" always are; see [`my_names`]).
    pub me: Vec<String>,
    /// When the paste happened: the date of time-only lines, and the time of untimed text.
    pub now: DateTime<Utc>,
    pub timezone: chrono_tz::Tz,
}

struct Line {
    at: DateTime<Utc>,
    author: Option<String>,
    text: String,
}

fn telegram_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"^(.{1,60}), \[(\d{1,2})\.(\d{1,2})\.(\d{2,4}) (\d{1,2}):(\d{2})(?::(\d{2}))?\]\s*$",
        )
        .expect("static regex")
    })
}

fn time_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"^\[?(\d{1,2}):(\d{2})(?::(\d{2}))?\]?\s+([^:]{1,60}):\s?(.*)$")
            .expect("static regex")
    })
}

/// Splits a transcript into messages. Never empty for non-empty text.
pub fn parse_transcript(text: &str, options: &PasteOptions) -> Vec<ChatMessage> {
    let mut me: Vec<String> = options.me.clone();
    me.extend(["me", "я", "i", "agent", "support"].map(String::from));
    let text = text.trim_matches(|c: char| c == '\u{feff}' || c.is_whitespace());
    if text.is_empty() {
        return Vec::new();
    }
    let lines = timed_lines(text, options, &me);
    let lines = if lines.is_empty() {
        vec![Line {
            at: options.now,
            author: None,
            text: text.to_string(),
        }]
    } else {
        lines
    };
    to_messages(lines, options, &me)
}

/// `messages` with every line of ours filed under `agent` (`[agent] name`, see
/// `AgentConfig::display_name`): a transcript says "я", "me" or a first name, but the
/// thread shows who answered as every other reply of ours does. The message ids were
/// made from the lines as written, so pasting the same transcript again still finds
/// them.
pub fn filed_as(agent: &str, mut messages: Vec<ChatMessage>) -> Vec<ChatMessage> {
    let agent = agent.trim();
    if agent.is_empty() {
        return messages;
    }
    for m in messages
        .iter_mut()
        .filter(|m| m.direction == Direction::Outbound)
    {
        m.author = agent.to_string();
    }
    messages
}

/// Whether the text has time-stamped lines (a chat) rather than being one untimed
/// piece of writing (typed notes), which `parse_transcript` files as one message.
pub fn has_timestamps(text: &str, options: &PasteOptions) -> bool {
    !timed_lines(text.trim(), options, &options.me).is_empty()
}

fn timed_lines(text: &str, options: &PasteOptions, me: &[String]) -> Vec<Line> {
    if whatsapp::looks_like_whatsapp(text) {
        from_whatsapp(text, options, me)
    } else if text.lines().any(|l| telegram_re().is_match(l.trim_end())) {
        from_telegram_copy(text, options)
    } else if text
        .lines()
        .next()
        .is_some_and(|l| time_re().is_match(l.trim()))
    {
        from_timed_lines(text, options)
    } else {
        Vec::new()
    }
}

fn from_whatsapp(text: &str, options: &PasteOptions, me: &[String]) -> Vec<Line> {
    whatsapp::parse(text, options.timezone, me, None)
        .into_iter()
        .filter_map(|p| match p {
            ChatEntry::Message(c) => Some(Line {
                at: c.sent_at,
                author: Some(c.author),
                text: c.text,
            }),
            _ => None,
        })
        .collect()
}

fn from_telegram_copy(text: &str, options: &PasteOptions) -> Vec<Line> {
    let mut out: Vec<Line> = Vec::new();
    for line in text.lines() {
        if let Some(c) = telegram_re().captures(line.trim_end()) {
            let n = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
            let year = n(4).map(|y| if y < 100 { y + 2000 } else { y });
            let date = match (year, n(3), n(2)) {
                (Some(y), Some(m), Some(d)) => chrono::NaiveDate::from_ymd_opt(y as i32, m, d),
                _ => None,
            };
            let time =
                NaiveTime::from_hms_opt(n(5).unwrap_or(0), n(6).unwrap_or(0), n(7).unwrap_or(0));
            let at = match (date, time) {
                (Some(d), Some(t)) => local_to_utc(NaiveDateTime::new(d, t), options.timezone),
                _ => options.now,
            };
            out.push(Line {
                at,
                author: Some(c[1].trim().to_string()),
                text: String::new(),
            });
        } else if let Some(last) = out.last_mut() {
            if !last.text.is_empty() {
                last.text.push('\n');
            }
            last.text.push_str(line);
        }
    }
    out
}

fn from_timed_lines(text: &str, options: &PasteOptions) -> Vec<Line> {
    let mut out: Vec<(Option<NaiveTime>, Line)> = Vec::new();
    for line in text.lines() {
        match time_re().captures(line.trim()) {
            Some(c) => {
                let n = |k: usize| c.get(k).and_then(|m| m.as_str().parse::<u32>().ok());
                let time = NaiveTime::from_hms_opt(
                    n(1).unwrap_or(0),
                    n(2).unwrap_or(0),
                    n(3).unwrap_or(0),
                );
                out.push((
                    time,
                    Line {
                        at: options.now,
                        author: Some(c[4].trim().to_string()),
                        text: c[5].to_string(),
                    },
                ));
            }
            None => {
                if let Some((_, last)) = out.last_mut() {
                    last.text.push('\n');
                    last.text.push_str(line);
                }
            }
        }
    }
    // A transcript is pasted after the chat and reads oldest first, so the last line
    // is the latest such time before the paste and each line before it the latest
    // such time before the next one: a chat across midnight stays in order.
    let mut anchor = options.now;
    for (time, line) in out.iter_mut().rev() {
        if let Some(time) = time {
            line.at = latest_at_or_before(*time, anchor, options.timezone);
            anchor = line.at;
        }
    }
    out.into_iter().map(|(_, line)| line).collect()
}

/// The last moment at or before `anchor` when the clock in `timezone` showed `time`:
/// "[10:02]" pasted at 01:55 was yesterday's 10:02, never a time in the future.
fn latest_at_or_before(
    time: NaiveTime,
    anchor: DateTime<Utc>,
    timezone: chrono_tz::Tz,
) -> DateTime<Utc> {
    let day = anchor.with_timezone(&timezone).date_naive();
    let at = local_to_utc(NaiveDateTime::new(day, time), timezone);
    if at <= anchor {
        return at;
    }
    match day.pred_opt() {
        Some(before) => local_to_utc(NaiveDateTime::new(before, time), timezone).min(anchor),
        None => anchor,
    }
}

/// The lowercase names that mark the agent's own lines in a transcript: every
/// `--me` name, the `[agent] name` and its first name (chats show "Oleh", not
/// "Oleh Shevchenko"). Empty names are left out.
pub fn my_names(agent_name: &str, extra: &[String]) -> Vec<String> {
    let mut names: Vec<String> = extra.iter().map(|m| m.trim().to_lowercase()).collect();
    let agent = agent_name.trim().to_lowercase();
    if let Some(first) = agent.split_whitespace().next() {
        names.push(first.to_string());
    }
    names.push(agent);
    names.retain(|n| !n.is_empty());
    names.dedup();
    names
}

fn to_messages(lines: Vec<Line>, options: &PasteOptions, me: &[String]) -> Vec<ChatMessage> {
    let is_me = |a: &str| me.contains(&a.trim().to_lowercase());
    let mut customer = options.customer.clone();
    if customer.name.trim().is_empty() {
        customer.name = lines
            .iter()
            .filter_map(|l| l.author.as_deref())
            .find(|a| !is_me(a))
            .unwrap_or("Caller")
            .to_string();
    }
    let no_key = customer.email.is_none() && customer.phone.is_none() && customer.handle.is_none();
    if no_key && options.ticket.is_none() {
        customer.handle = Some(format!(
            "{}:{}",
            options.channel.as_str(),
            customer.name.trim()
        ));
    }
    let subject = options.subject.clone().unwrap_or_else(|| {
        let label = match options.channel {
            Channel::Phone => "Call",
            Channel::Chat => "Chat",
            Channel::Web => "Web",
            Channel::Email => "Mail",
            Channel::Other => "Note",
        };
        format!("{label}: {}", customer.name.trim())
    });
    let scope = options
        .ticket
        .map(|t| format!("ticket{t}"))
        .unwrap_or_else(|| subject.clone());
    let mut occurrences: HashMap<String, usize> = HashMap::new();
    lines
        .into_iter()
        .map(|l| {
            let outbound = l.author.as_deref().is_some_and(is_me);
            let author = l.author.clone().unwrap_or_else(|| customer.name.clone());
            let stamp = l.at.timestamp().to_string();
            let base = short_hash(&[&scope, &stamp, &author, &l.text]);
            let n = occurrences.entry(base.clone()).or_insert(0);
            *n += 1;
            // The line as a record — when, who (as written), what, and which
            // occurrence of the same line — like a WhatsApp line: the content key of a
            // pasted message. Its words alone made "Hello" from a second customer a
            // duplicate of the first's.
            let raw = format!("{}\t{author}\t{}\t{n}", l.at.to_rfc3339(), l.text).into_bytes();
            ChatMessage {
                channel: options.channel,
                subject: subject.clone(),
                customer: customer.clone(),
                author,
                direction: if outbound {
                    Direction::Outbound
                } else {
                    Direction::Inbound
                },
                sent_at: l.at,
                raw,
                text: l.text.trim().to_string(),
                id: format!("paste-{base}-{n}@paste.firstline"),
                reply_to: None,
                attachments: Vec::new(),
                ticket: options.ticket,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts() -> PasteOptions {
        PasteOptions {
            channel: Channel::Chat,
            ticket: None,
            customer: NewCustomer::default(),
            subject: None,
            me: vec!["олег".into()],
            now: DateTime::parse_from_rfc3339("2026-11-26T15:00:00Z")
                .unwrap()
                .with_timezone(&Utc),
            timezone: chrono_tz::UTC,
        }
    }

    #[test]
    fn splits_telegram_desktop_copy_into_messages() {
        let text = "Олена Коваль, [26.11.2026 14:03]\nДоброго дня!\nДе моє замовлення?\n\nОлег, [26.11.2026 14:05]\nЗараз перевірю.";
        let m = parse_transcript(text, &opts());
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].author, "Олена Коваль");
        assert_eq!(m[0].text, "Доброго дня!\nДе моє замовлення?");
        assert_eq!(m[0].direction, Direction::Inbound);
        assert_eq!(m[1].direction, Direction::Outbound);
        assert_eq!(m[1].sent_at.to_rfc3339(), "2026-11-26T14:05:00+00:00");
        assert_eq!(m[0].customer.name, "Олена Коваль");
    }

    #[test]
    fn time_only_lines_take_todays_date() {
        let m = parse_transcript("[14:03] Bob: hi\n[14:04] me: hello\nsecond line", &opts());
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].sent_at.to_rfc3339(), "2026-11-26T14:03:00+00:00");
        assert_eq!(m[1].text, "hello\nsecond line");
    }

    #[test]
    fn untimed_notes_are_one_message_now() {
        let m = parse_transcript("Customer called about invoice 42.\nWants a copy.", &opts());
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].sent_at, opts().now);
        assert_eq!(m[0].direction, Direction::Inbound);
    }
}
