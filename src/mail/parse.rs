//! Raw RFC 5322 bytes to the parts intake needs, with mail-parser doing the MIME work:
//! RFC 2047 words, every charset it knows (windows-1251, koi8-r, iso-8859-x, broken
//! UTF-8), nested multiparts, HTML-only mail turned into readable text.
//!
//! Parsing never fails on content: what cannot be read becomes a warning ("no From
//! header", "multipart never closed: truncated?") and the message is kept as far as it
//! could be read. Only bytes with no header block at all are refused.

use chrono::{DateTime, Utc};
use mail_parser::{HeaderValue, MessageParser, MimeHeaders, PartType};

use super::clean_text;
use crate::model::text::truncate_at_char;

/// The most text of one body that is stored. A 20 MB log pasted into a mail is kept
/// whole in the raw store; the thread shows the first megabyte and says so.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// The most HTML kept beside the text body.
pub const HTML_LIMIT: usize = 2 * 1024 * 1024;

/// An attachment with its content, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: Vec<u8>,
}

/// What intake reads from one mail.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedMail {
    /// Display name and lowercased address of the sender.
    pub from: Option<(String, String)>,
    /// Where replies should go, when the sender asked (Reply-To): display name and
    /// lowercased address. A web form's mail is From the shop's form robot with the
    /// person who filled it in here.
    pub reply_to: Option<(String, String)>,
    /// To and Cc recipients as (name, address).
    pub recipients: Vec<(String, String)>,
    pub subject: String,
    pub date: Option<DateTime<Utc>>,
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub body: String,
    pub html_body: Option<String>,
    pub attachments: Vec<ParsedAttachment>,
    /// What was wrong but did not stop the import.
    pub warnings: Vec<String>,
}

/// Parses raw mail. `Err` only when there is nothing that looks like a message.
pub fn parse_mail(raw: &[u8]) -> Result<ParsedMail, String> {
    if raw.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("empty message".into());
    }
    let (msg, fallback_body) = match guarded_parse(raw) {
        Ok(m) => (m, None),
        Err(why) => headers_only(raw, &why)?,
    };
    let msg = msg.ok_or_else(|| "no header block: not an RFC 5322 message".to_string())?;
    if msg.headers().is_empty() {
        return Err("no header block: not an RFC 5322 message".into());
    }
    let mut out = ParsedMail {
        from: msg.from().and_then(|a| a.first()).and_then(|a| {
            let addr = a.address()?.trim().to_lowercase();
            let name = a.name().map(clean_text).unwrap_or_default();
            (!addr.is_empty()).then_some((name.trim().to_string(), addr))
        }),
        ..Default::default()
    };
    if out.from.is_none() {
        out.warnings.push("no readable From header".into());
    }
    out.reply_to = msg.reply_to().and_then(|a| a.first()).and_then(|a| {
        let addr = a.address()?.trim().to_lowercase();
        let name = a.name().map(clean_text).unwrap_or_default();
        (!addr.is_empty()).then_some((name.trim().to_string(), addr))
    });
    for addr in msg.to().into_iter().chain(msg.cc()).flat_map(|a| a.iter()) {
        if let Some(address) = addr.address() {
            let name = addr.name().map(clean_text).unwrap_or_default();
            out.recipients
                .push((name.trim().to_string(), address.trim().to_lowercase()));
        }
    }
    out.subject = clean_text(msg.subject().unwrap_or("")).trim().to_string();
    out.date = msg
        .date()
        .filter(|d| d.is_valid())
        .and_then(|d| DateTime::from_timestamp(d.to_timestamp(), 0));
    if out.date.is_none() {
        out.warnings.push("no usable Date header".into());
    }
    out.message_id = msg.message_id().and_then(clean_id);
    out.in_reply_to = ids(msg.in_reply_to()).into_iter().next();
    out.references = ids(msg.references());

    let mut body = String::new();
    for i in 0..msg.text_body_count() {
        // mail-parser fills the text body with its own rendering of an HTML part when
        // there is no text one; that part is converted here instead (see html_to_text).
        let html_part = msg
            .text_part(i as u32)
            .filter(|p| p.is_text_html())
            .and_then(|p| p.text_contents());
        let text = match html_part {
            Some(h) => Some(std::borrow::Cow::Owned(html_to_text(h))),
            None => msg.body_text(i),
        };
        if let Some(text) = text {
            if !body.is_empty() && !text.trim().is_empty() {
                body.push_str("\n\n");
            }
            body.push_str(&text);
        }
    }
    let html = msg
        .html_part(0)
        .filter(|p| p.is_text_html())
        .and_then(|p| p.text_contents().map(str::to_string));
    if body.trim().is_empty() {
        if let Some(h) = &html {
            body = html_to_text(h);
        }
    }
    out.body = cap(clean_text(&body), BODY_LIMIT, &mut out.warnings, "body");
    out.html_body = html.map(|h| clean_text(&h)).filter(|h| {
        let keep = h.len() <= HTML_LIMIT;
        if !keep {
            out.warnings.push(format!(
                "HTML part of {} dropped (over 2 MB)",
                human(h.len())
            ));
        }
        keep
    });

    // A text part the parser filed as an attachment (a truncated multipart, a missing
    // disposition) is the body when there is no other.
    let mut body_from_attachment = None;
    if body.trim().is_empty() {
        body_from_attachment = msg
            .attachments()
            .position(|p| matches!(p.body, PartType::Text(_)) && p.attachment_name().is_none());
        if let Some(text) = body_from_attachment
            .and_then(|i| msg.attachments().nth(i))
            .and_then(|p| p.text_contents())
        {
            out.body = cap(clean_text(text), BODY_LIMIT, &mut out.warnings, "body");
        }
    }
    for (i, part) in msg.attachments().enumerate() {
        if Some(i) == body_from_attachment {
            continue;
        }
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into())
            .to_lowercase();
        let filename = part
            .attachment_name()
            .map(clean_text)
            .filter(|n| !n.trim().is_empty())
            .unwrap_or_else(|| match &part.body {
                PartType::Message(_) => "forwarded-message.eml".into(),
                _ => format!(
                    "attachment.{}",
                    content_type.rsplit('/').next().unwrap_or("bin")
                ),
            });
        out.attachments.push(ParsedAttachment {
            filename,
            content_type,
            content: part.contents().to_vec(),
        });
    }
    if let Some(w) = unclosed_multipart(&msg, raw) {
        out.warnings.push(w);
    }
    if let Some((body, why)) = fallback_body {
        out.body = cap(clean_text(&body), BODY_LIMIT, &mut out.warnings, "body");
        out.warnings
            .push(format!("{why}; headers read, body kept as raw text"));
    }
    Ok(out)
}

/// Lines as wide as this are never wrapped by the HTML conversion: the thread wraps text
/// to the pane itself, and a line broken here would stay broken at any width.
const HTML_TEXT_WIDTH: usize = 10_000;

/// HTML-only mail as text, with html2text (a maintained HTML-to-text renderer on
/// html5ever): block elements end a line, `<li>` gets a bullet, table cells stay apart.
/// mail-parser's own `html_to_text` ran `<li>`, `<div>` and `<tr>` together ("Item: Blue
/// kettleQty: 2Order10280Total$99.80", a shop's order mail in a new-user trial). If
/// html2text gives up (or panics on markup it cannot follow), mail-parser's plainer
/// conversion still keeps the words.
fn html_to_text(html: &str) -> String {
    if nesting_depth(html) > MAX_HTML_DEPTH {
        return mail_parser::decoders::html::html_to_text(html);
    }
    let rendered = std::panic::catch_unwind(|| {
        QUIET_PANICS.with(|q| q.set(true));
        let out = html2text::config::plain_no_decorate()
            .allow_width_overflow()
            .string_from_read(html.as_bytes(), HTML_TEXT_WIDTH)
            .ok();
        QUIET_PANICS.with(|q| q.set(false));
        out
    });
    QUIET_PANICS.with(|q| q.set(false));
    match rendered {
        Ok(Some(text)) => text
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string(),
        _ => mail_parser::decoders::html::html_to_text(html),
    }
}

/// Deeper markup than any real mail goes to mail-parser's flat conversion: html2text
/// takes tens of seconds on 20 000 nested `<div>`s (a hostile or broken message must
/// not stall an import).
const MAX_HTML_DEPTH: usize = 256;

/// How deep tags nest, roughly: opening tags minus closing ones, void elements and
/// self-closed tags aside. Enough to tell real mail from pathological markup.
fn nesting_depth(html: &str) -> usize {
    const VOID: &[&str] = &[
        "br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source",
    ];
    let (mut depth, mut deepest) = (0usize, 0usize);
    let bytes = html.as_bytes();
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let rest = &html[i..];
        if let Some(closing) = rest.strip_prefix('/') {
            if closing.starts_with(|c: char| c.is_ascii_alphabetic()) {
                depth = depth.saturating_sub(1);
            }
            continue;
        }
        if !rest.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let name = rest[..name_len].to_ascii_lowercase();
        let end = rest.find('>').unwrap_or(rest.len());
        if VOID.contains(&name.as_str()) || rest[..end].ends_with('/') {
            continue;
        }
        depth += 1;
        deepest = deepest.max(depth);
    }
    deepest
}

thread_local! {
    static QUIET_PANICS: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// mail-parser 0.11 panics on a few malformed MIME trees ("Invalid part ID"). One bad
/// message must not end an import, so parsing runs under `catch_unwind`, with the
/// panic message kept off the terminal (the previous hook still sees every other panic).
fn guarded_parse(raw: &[u8]) -> Result<Option<mail_parser::Message<'_>>, String> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET_PANICS.with(|q| q.get()) {
                previous(info);
            }
        }));
    });
    QUIET_PANICS.with(|q| q.set(true));
    let result = std::panic::catch_unwind(|| MessageParser::default().parse(raw));
    QUIET_PANICS.with(|q| q.set(false));
    result.map_err(|_| "MIME structure the parser cannot follow (mail-parser gave up)".to_string())
}

/// When the MIME tree defeats the parser, read the header block alone and keep the
/// rest as text: the customer's words still reach the queue.
#[allow(clippy::type_complexity)]
fn headers_only<'a>(
    raw: &'a [u8],
    why: &str,
) -> Result<(Option<mail_parser::Message<'a>>, Option<(String, String)>), String> {
    let split = find(raw, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(raw, b"\n\n").map(|i| i + 2))
        .unwrap_or(raw.len());
    let (head, body) = raw.split_at(split);
    let msg = guarded_parse(head).map_err(|_| why.to_string())?;
    Ok((
        msg,
        Some((String::from_utf8_lossy(body).into_owned(), why.to_string())),
    ))
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn cap(text: String, limit: usize, warnings: &mut Vec<String>, what: &str) -> String {
    if text.len() <= limit {
        return text;
    }
    let total = text.len();
    let mut kept = truncate_at_char(&text, limit).to_string();
    kept.push_str(&format!(
        "\n\n[firstline: {what} cut at {} of {}; the whole message is kept as it arrived]",
        human(limit),
        human(total)
    ));
    warnings.push(format!(
        "{what} of {} cut at {}",
        human(total),
        human(limit)
    ));
    kept
}

fn human(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", bytes.div_ceil(1024))
    }
}

/// A Message-ID without its angle brackets and whitespace; `None` when empty.
fn clean_id(id: &str) -> Option<String> {
    let id = clean_text(id);
    let id = id
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty() && !id.contains(char::is_whitespace)).then(|| id.to_string())
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => t.split_whitespace().filter_map(clean_id).collect(),
        HeaderValue::TextList(list) => list.iter().filter_map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
}

/// A multipart whose closing boundary never comes was cut off in transit or on disk.
fn unclosed_multipart(msg: &mail_parser::Message<'_>, raw: &[u8]) -> Option<String> {
    let ct = msg.root_part().content_type()?;
    if !ct.ctype().eq_ignore_ascii_case("multipart") {
        return None;
    }
    let boundary = ct.attribute("boundary")?;
    let closing = format!("--{boundary}--");
    // The closing boundary sits at the end; an epilogue longer than this is unheard of.
    let tail = &raw[raw.len().saturating_sub(64 * 1024)..];
    let found = find(tail, closing.as_bytes()).is_some();
    (!found).then(|| "multipart never closed: the message looks truncated".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_encoded_word_subject_and_koi8r_body() {
        let mut raw = b"From: =?koi8-r?B?4M3J0s/O?= <y@example.ru>\r\nSubject: =?utf-8?B?0J/RgNC40LLQtdGC?=\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: 8bit\r\n\r\n".to_vec();
        raw.extend_from_slice(&[0xf0, 0xd2, 0xc9, 0xd7, 0xc5, 0xd4]); // "Привет" in KOI8-R
        let m = parse_mail(&raw).unwrap();
        assert_eq!(m.subject, "Привет");
        assert_eq!(m.body.trim(), "Привет");
        assert_eq!(m.from.as_ref().unwrap().1, "y@example.ru");
    }

    #[test]
    fn html_only_mail_becomes_readable_text() {
        let raw = b"From: a@b.c\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello <b>there</b></p><p>Second</p>";
        let m = parse_mail(raw).unwrap();
        assert!(m.body.contains("Hello there"), "{:?}", m.body);
        assert!(!m.body.contains('<'));
        assert!(m.html_body.is_some());
    }

    /// A shop's order mail, HTML only: every item, row and cell on its own (a new-user
    /// trial read "Item: Blue kettleQty: 2Order10280Total$99.80").
    #[test]
    fn html_only_mail_keeps_its_lines_list_items_and_table_cells_apart() {
        let raw = "From: orders@shop.test\r\nContent-Type: text/html; charset=utf-8\r\n\r\n\
<html><body><div>Thank you for your order!</div><div>Order details:</div>\
<ul><li>Item: Blue kettle</li><li>Qty: 2</li></ul>\
<table><tr><td>Order</td><td>10280</td></tr><tr><td>Total</td><td>$99.80</td></tr></table>\
<p>First line<br>second line</p><p>Next paragraph</p></body></html>";
        let body = parse_mail(raw.as_bytes()).unwrap().body;
        let lines: Vec<&str> = body.lines().map(str::trim).collect();
        let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
        assert!(!body.contains("kettleQty"), "{body}");
        assert!(!body.contains("Order10280"), "{body}");
        assert!(!body.contains("10280Total"), "{body}");
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with('*') || l.starts_with('•') || l.starts_with('-'))
                && has("Item: Blue kettle"),
            "{body}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Qty: 2") && !l.contains("kettle")),
            "{body}"
        );
        assert!(
            lines
                .iter()
                .any(|l| l.contains("Order") && l.contains("10280") && !l.contains("Total")),
            "{body}"
        );
        assert!(has("First line") && !has("First linesecond"), "{body}");
        assert!(lines.iter().any(|l| l.starts_with("second line")), "{body}");
        assert!(lines.contains(&"Thank you for your order!"), "{body}");
    }

    #[test]
    fn deeply_nested_html_neither_crashes_nor_loses_the_words() {
        let mut html = "<div>".repeat(20_000);
        html.push_str("deep words");
        html.push_str(&"</div>".repeat(20_000));
        let raw = format!("From: a@b.c\r\nContent-Type: text/html\r\n\r\n{html}");
        let body = parse_mail(raw.as_bytes()).unwrap().body;
        assert!(body.contains("deep words"), "{body:.200}");
    }

    #[test]
    fn nul_bytes_never_reach_the_store() {
        let raw = b"From: a@b.c\r\nSubject: nul\0here\r\n\r\nbody\0with nul";
        let m = parse_mail(raw).unwrap();
        assert!(!m.body.contains('\0') && !m.subject.contains('\0'));
    }

    #[test]
    fn a_truncated_multipart_is_kept_with_a_warning() {
        let raw = b"From: a@b.c\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\nContent-Type: text/plain\r\n\r\nhalf a mess";
        let m = parse_mail(raw).unwrap();
        assert!(m.body.contains("half a mess"));
        assert!(m.warnings.iter().any(|w| w.contains("truncated")));
    }

    #[test]
    fn refuses_bytes_without_headers() {
        assert!(parse_mail(b"").is_err());
        assert!(parse_mail(b"   \n").is_err());
    }
}
