//! Reading one Bot API `Update` into what a support queue needs: who wrote, in which
//! chat, the text a person would read (captions, media named in brackets, quoted
//! replies, links spelled out), and the files to fetch. Pure: no network, no store.
//!
//! Read from `serde_json::Value` rather than full typed structs, so a field Telegram
//! adds or a malformed one never costs the whole update: what cannot be read is left
//! out, and an update that is not a customer's message is skipped with the reason.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// The Telegram user who wrote.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sender {
    pub id: i64,
    pub name: String,
    pub username: Option<String>,
    /// The language of their Telegram app: a hint, used when their text says nothing.
    pub language_code: Option<String>,
    pub is_bot: bool,
}

/// A file the message carries, to be fetched with `getFile`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRef {
    pub file_id: String,
    pub file_name: String,
    pub content_type: String,
    /// As Telegram announced it; `None` when it did not say.
    pub size: Option<u64>,
}

/// A customer's message (or a new version of one).
#[derive(Debug, Clone, PartialEq)]
pub struct ChatMessage {
    pub chat_id: i64,
    pub message_id: i64,
    pub date: DateTime<Utc>,
    pub from: Sender,
    /// What a person reads, as plain text.
    pub text: String,
    /// The message this one answers, in the same chat.
    pub reply_to: Option<i64>,
    pub media: Vec<MediaRef>,
    /// The sender shared their own contact: their phone number.
    pub own_phone: Option<String>,
}

/// What one update is to the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// A new message from a customer.
    Message(ChatMessage),
    /// The customer edited an earlier message.
    Edit(ChatMessage),
    /// Not a customer's message (a group, a service message, a bot); why.
    Skipped(String),
}

/// Reads one update. `groups` lets group chats through.
pub fn read(update: &Value, groups: bool) -> Incoming {
    let (message, edit) = match (update.get("message"), update.get("edited_message")) {
        (Some(m), _) => (m, false),
        (None, Some(m)) => (m, true),
        _ => return Incoming::Skipped("not a message (another kind of update)".into()),
    };
    let chat_type = message
        .pointer("/chat/type")
        .and_then(Value::as_str)
        .unwrap_or("");
    if chat_type != "private" && !(groups && matches!(chat_type, "group" | "supergroup")) {
        return Incoming::Skipped(format!(
            "a message in a {chat_type} chat (private chats only)"
        ));
    }
    let Some(chat_id) = message.pointer("/chat/id").and_then(Value::as_i64) else {
        return Incoming::Skipped("a message without a chat id".into());
    };
    let Some(message_id) = message.get("message_id").and_then(Value::as_i64) else {
        return Incoming::Skipped("a message without an id".into());
    };
    let from = sender(message.get("from"));
    if from.is_bot {
        return Incoming::Skipped("a message from a bot".into());
    }
    let Some((text, media)) = content(message) else {
        return Incoming::Skipped("a service message (join, pin, title change…)".into());
    };
    let stamp = |key: &str| {
        message
            .get(key)
            .and_then(Value::as_i64)
            .and_then(|ts| DateTime::from_timestamp(ts, 0))
    };
    let date = stamp("date").unwrap_or_else(Utc::now);
    let own_phone = message.get("contact").and_then(|c| {
        let theirs = c.get("user_id").and_then(Value::as_i64) == Some(from.id);
        theirs
            .then(|| c.get("phone_number").and_then(Value::as_str))
            .flatten()
            .map(str::to_string)
    });
    let mut text = text;
    if let Some(quoted) = message.get("reply_to_message").map(quote) {
        text = format!("{quoted}\n{text}");
    }
    let chat = ChatMessage {
        chat_id,
        message_id,
        date: if edit {
            stamp("edit_date").unwrap_or(date)
        } else {
            date
        },
        from,
        text,
        reply_to: message
            .pointer("/reply_to_message/message_id")
            .and_then(Value::as_i64),
        media,
        own_phone,
    };
    if edit {
        Incoming::Edit(chat)
    } else {
        Incoming::Message(chat)
    }
}

fn sender(from: Option<&Value>) -> Sender {
    let Some(from) = from else {
        return Sender::default();
    };
    let s = |key: &str| {
        from.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    let username = s("username");
    let name = [s("first_name"), s("last_name")]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    let name = if name.is_empty() {
        username
            .clone()
            .map(|u| format!("@{u}"))
            .unwrap_or_default()
    } else {
        name
    };
    Sender {
        id: from.get("id").and_then(Value::as_i64).unwrap_or(0),
        name: crate::display::sanitize_line(&name),
        username,
        language_code: s("language_code"),
        is_bot: from.get("is_bot").and_then(Value::as_bool).unwrap_or(false),
    }
}

/// The text and files of a message; `None` for a service message.
fn content(m: &Value) -> Option<(String, Vec<MediaRef>)> {
    let id = m.get("message_id").and_then(Value::as_i64).unwrap_or(0);
    let mut media = Vec::new();
    let mut label: Option<String> = None;
    let s = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
    let size = |v: &Value| v.get("file_size").and_then(Value::as_u64);
    let file_id = |v: &Value| s(v, "file_id");
    if let Some(photo) = m
        .get("photo")
        .and_then(Value::as_array)
        .and_then(|sizes| sizes.last())
    {
        if let Some(fid) = file_id(photo) {
            media.push(MediaRef {
                file_id: fid,
                file_name: format!("photo-{id}.jpg"),
                content_type: "image/jpeg".into(),
                size: size(photo),
            });
        }
        label = Some("[photo]".into());
    }
    for (key, what, default_ext, default_type) in [
        ("document", "file", "bin", "application/octet-stream"),
        ("video", "video", "mp4", "video/mp4"),
        ("voice", "voice message", "ogg", "audio/ogg"),
        ("audio", "audio", "mp3", "audio/mpeg"),
        ("video_note", "video message", "mp4", "video/mp4"),
        ("animation", "GIF", "mp4", "video/mp4"),
    ] {
        let Some(doc) = m.get(key) else { continue };
        let name = s(doc, "file_name")
            .map(|n| crate::mail::safe_filename(&n))
            .unwrap_or_else(|| format!("{}-{id}.{default_ext}", key.replace('_', "-")));
        let seconds = doc.get("duration").and_then(Value::as_u64);
        let shown = match (key, seconds) {
            ("document", _) => format!("[file: {name}]"),
            (_, Some(secs)) => format!("[{what}, {}:{:02}]", secs / 60, secs % 60),
            _ => format!("[{what}]"),
        };
        label = Some(shown);
        if let Some(fid) = file_id(doc) {
            media.push(MediaRef {
                file_id: fid,
                file_name: name,
                content_type: s(doc, "mime_type").unwrap_or_else(|| default_type.into()),
                size: size(doc),
            });
        }
    }
    if let Some(sticker) = m.get("sticker") {
        label = Some(match s(sticker, "emoji") {
            Some(e) => format!("[sticker {e}]"),
            None => "[sticker]".into(),
        });
    }
    if let Some(loc) = m.get("location") {
        let lat = loc.get("latitude").and_then(Value::as_f64).unwrap_or(0.0);
        let lon = loc.get("longitude").and_then(Value::as_f64).unwrap_or(0.0);
        let venue = m
            .pointer("/venue/title")
            .and_then(Value::as_str)
            .map(|t| format!(" {t}"))
            .unwrap_or_default();
        label = Some(format!(
            "[location{venue} {lat:.5}, {lon:.5}] https://www.openstreetmap.org/?mlat={lat:.5}&mlon={lon:.5}"
        ));
    }
    if let Some(c) = m.get("contact") {
        let name = [s(c, "first_name"), s(c, "last_name")]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        let phone = s(c, "phone_number").unwrap_or_default();
        label = Some(format!("[contact: {name}, {phone}]").replace(": , ", ": "));
    }
    if let Some(poll) = m.get("poll") {
        label = Some(format!(
            "[poll: {}]",
            s(poll, "question").unwrap_or_default()
        ));
    }
    let text = m
        .get("text")
        .map(|t| (t, m.get("entities")))
        .or_else(|| m.get("caption").map(|c| (c, m.get("caption_entities"))))
        .and_then(|(t, entities)| t.as_str().map(|t| with_links(t, entities)));
    let mut body = match (label, text) {
        (Some(l), Some(t)) if !t.trim().is_empty() => format!("{l}\n{t}"),
        (Some(l), _) => l,
        (None, Some(t)) => t,
        (None, None) => return None,
    };
    if let Some(origin) = forwarded_from(m) {
        body = format!("[forwarded from {origin}]\n{body}");
    }
    Some((crate::mail::clean_text(&body), media))
}

/// The text with each hidden link written out after its words ("here (https://…)"):
/// formatting is dropped, but a link the customer sent must not be.
fn with_links(text: &str, entities: Option<&Value>) -> String {
    let Some(list) = entities.and_then(Value::as_array) else {
        return text.to_string();
    };
    // Entity offsets count UTF-16 code units.
    let units: Vec<u16> = text.encode_utf16().collect();
    let mut links: Vec<(usize, String)> = list
        .iter()
        .filter(|e| e.get("type").and_then(Value::as_str) == Some("text_link"))
        .filter_map(|e| {
            let start = e.get("offset")?.as_u64()? as usize;
            let end = start + e.get("length")?.as_u64()? as usize;
            let url = e.get("url")?.as_str()?;
            (end <= units.len()).then(|| (end, url.to_string()))
        })
        .collect();
    if links.is_empty() {
        return text.to_string();
    }
    links.sort();
    let mut out = String::new();
    let mut at = 0;
    for (end, url) in links {
        out.push_str(&String::from_utf16_lossy(&units[at..end]));
        out.push_str(&format!(" ({url})"));
        at = end;
    }
    out.push_str(&String::from_utf16_lossy(&units[at..]));
    out
}

fn forwarded_from(m: &Value) -> Option<String> {
    let origin = m.get("forward_origin")?;
    let name = origin
        .pointer("/sender_user/first_name")
        .or_else(|| origin.get("sender_user_name"))
        .or_else(|| origin.pointer("/chat/title"))
        .and_then(Value::as_str)
        .unwrap_or("someone");
    Some(crate::display::sanitize_line(name))
}

/// The message being answered, as quoted lines ("> …"), shortened.
fn quote(replied: &Value) -> String {
    let text = content(replied)
        .map(|(t, _)| t)
        .unwrap_or_else(|| "(a message)".into());
    let short: String = text.chars().take(200).collect();
    let ellipsis = if short.len() < text.len() { "…" } else { "" };
    format!("{short}{ellipsis}")
        .lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn private(message: Value) -> Value {
        let mut m = message;
        m["chat"] = json!({"id": 42, "type": "private"});
        m["from"] = json!({"id": 42, "first_name": "Олена", "last_name": "Коваль", "username": "olena_k", "language_code": "uk"});
        m["message_id"] = json!(7);
        m["date"] = json!(1_790_000_000);
        json!({"update_id": 1, "message": m})
    }

    fn message(u: &Value) -> ChatMessage {
        match read(u, false) {
            Incoming::Message(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn reads_the_sender_and_text() {
        let m = message(&private(json!({"text": "Добрий день!"})));
        assert_eq!(m.from.name, "Олена Коваль");
        assert_eq!(m.from.username.as_deref(), Some("olena_k"));
        assert_eq!(m.from.language_code.as_deref(), Some("uk"));
        assert_eq!((m.chat_id, m.message_id), (42, 7));
        assert_eq!(m.text, "Добрий день!");
    }

    #[test]
    fn hidden_links_are_spelled_out_with_utf16_offsets() {
        let m = message(&private(json!({
            "text": "Дивіться 👉 тут, будь ласка",
            "entities": [{"type": "text_link", "offset": 12, "length": 3, "url": "https://shop.ua/o/1"}]
        })));
        assert_eq!(m.text, "Дивіться 👉 тут (https://shop.ua/o/1), будь ласка");
    }

    #[test]
    fn a_photo_with_caption_names_the_largest_size() {
        let m = message(&private(json!({
            "photo": [{"file_id": "small", "file_size": 10}, {"file_id": "big", "file_size": 900}],
            "caption": "Ось чек"
        })));
        assert_eq!(m.text, "[photo]\nОсь чек");
        assert_eq!(m.media[0].file_id, "big");
        assert_eq!(m.media[0].size, Some(900));
    }

    #[test]
    fn a_shared_own_contact_gives_the_phone_but_someone_elses_does_not() {
        let own = message(&private(
            json!({"contact": {"phone_number": "+380501234567", "first_name": "Олена", "user_id": 42}}),
        ));
        assert_eq!(own.own_phone.as_deref(), Some("+380501234567"));
        assert_eq!(own.text, "[contact: Олена, +380501234567]");
        let other = message(&private(
            json!({"contact": {"phone_number": "+380", "first_name": "Ігор", "user_id": 9}}),
        ));
        assert_eq!(other.own_phone, None);
    }

    #[test]
    fn replies_quote_the_earlier_message() {
        let m = message(&private(json!({
            "text": "Так, саме це",
            "reply_to_message": {"message_id": 5, "text": "Номер замовлення 1234?\nЧи 1235?"}
        })));
        assert_eq!(m.reply_to, Some(5));
        assert_eq!(m.text, "> Номер замовлення 1234?\n> Чи 1235?\nТак, саме це");
    }

    #[test]
    fn groups_bots_and_service_messages_are_skipped() {
        let mut group = private(json!({"text": "hi"}));
        group["message"]["chat"]["type"] = json!("group");
        assert!(matches!(read(&group, false), Incoming::Skipped(_)));
        assert!(matches!(read(&group, true), Incoming::Message(_)));
        let service = private(json!({"new_chat_members": [{"id": 1}]}));
        assert!(matches!(read(&service, false), Incoming::Skipped(_)));
        let mut bot = private(json!({"text": "beep"}));
        bot["message"]["from"]["is_bot"] = json!(true);
        assert!(matches!(read(&bot, false), Incoming::Skipped(_)));
    }

    #[test]
    fn malformed_updates_are_skipped_not_fatal() {
        for bad in [
            json!({"update_id": 1}),
            json!({"update_id": 1, "message": 5}),
            json!({"update_id": 1, "message": {"chat": {"type": "private"}}}),
            json!({"update_id": 1, "message": {"chat": {"id": "x", "type": "private"}, "message_id": 1}}),
            json!({"update_id": 1, "message": {"chat": {"id": 1, "type": "private"}, "message_id": 1, "photo": "no"}}),
        ] {
            assert!(matches!(read(&bad, false), Incoming::Skipped(_)), "{bad}");
        }
    }

    #[test]
    fn an_edit_is_an_edit_dated_when_it_was_made() {
        let mut u = private(json!({"text": "new text", "edit_date": 1_790_000_100}));
        u["edited_message"] = u["message"].take();
        u.as_object_mut().unwrap().remove("message");
        match read(&u, false) {
            Incoming::Edit(m) => {
                assert_eq!(m.text, "new text");
                assert_eq!(m.date.timestamp(), 1_790_000_100);
            }
            other => panic!("{other:?}"),
        }
    }
}
