//! Telegram Desktop "Export chat history" in JSON (`result.json`): one chat, or a full
//! export with `chats.list`. Service messages (joins, calls, pins) are counted and
//! left out; photos, files, voice messages and stickers become attachment metadata
//! (the export's media folders are not copied).

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;
use std::path::Path;

use super::{local_to_utc, ChatEntry, ChatMessage};
use crate::model::{Attachment, Channel, Direction, NewCustomer};

/// Reads an export into payloads, one per message, in file order.
pub(crate) fn read(path: &Path, tz: chrono_tz::Tz) -> Result<Vec<ChatEntry>, String> {
    let text = std::fs::read(path).map_err(|e| format!("cannot read: {e}"))?;
    let root: Value = serde_json::from_slice(&text).map_err(|e| format!("not valid JSON: {e}"))?;
    let me = root
        .pointer("/personal_information/user_id")
        .and_then(id_text)
        .map(|id| format!("user{id}"));
    let chats: Vec<&Value> = match root.pointer("/chats/list").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None if root.get("messages").is_some() => vec![&root],
        None => return Err("JSON without \"messages\" or \"chats\": not a Telegram export".into()),
    };
    let telegram_like = chats.iter().all(|c| {
        c.get("messages")
            .and_then(Value::as_array)
            .is_some_and(|m| m.is_empty() || m.iter().any(|m| m.get("date").is_some()))
    });
    if !telegram_like {
        return Err("JSON with \"messages\" that are not Telegram messages (no dates)".into());
    }
    let mut out = Vec::new();
    for chat in chats {
        read_chat(chat, me.as_deref(), tz, &mut out);
    }
    Ok(out)
}

fn id_text(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

fn read_chat(chat: &Value, me: Option<&str>, tz: chrono_tz::Tz, out: &mut Vec<ChatEntry>) {
    let chat_id = chat.get("id").and_then(id_text).unwrap_or_default();
    let chat_type = chat.get("type").and_then(Value::as_str).unwrap_or("");
    let name = chat
        .get("name")
        .and_then(Value::as_str)
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("Telegram chat")
        .to_string();
    let personal = chat_type == "personal_chat" || chat_type.is_empty();
    let customer = NewCustomer {
        name: name.clone(),
        handle: Some(if personal {
            format!("telegram:user{chat_id}")
        } else {
            format!("telegram:chat{chat_id}")
        }),
        ..Default::default()
    };
    let Some(messages) = chat.get("messages").and_then(Value::as_array) else {
        return;
    };
    for m in messages {
        if m.get("type").and_then(Value::as_str) != Some("message") {
            out.push(ChatEntry::Service);
            continue;
        }
        let Some(sent_at) = date_of(m, tz) else {
            out.push(ChatEntry::Failed("message without a readable date".into()));
            continue;
        };
        let msg_id = m.get("id").and_then(id_text).unwrap_or_default();
        let from_id = m.get("from_id").and_then(Value::as_str).unwrap_or("");
        let outbound = match me {
            Some(me) => from_id == me,
            None => personal && !from_id.is_empty() && from_id != format!("user{chat_id}"),
        };
        let author = m
            .get("from")
            .and_then(Value::as_str)
            .unwrap_or(if outbound { "me" } else { name.as_str() })
            .to_string();
        let (text, attachments) = content_of(m);
        let reply_to = m
            .get("reply_to_message_id")
            .and_then(id_text)
            .map(|r| synthetic_id(&chat_id, &r));
        out.push(ChatEntry::Message(Box::new(ChatMessage {
            channel: Channel::Chat,
            subject: format!("Telegram: {name}"),
            customer: customer.clone(),
            author,
            direction: if outbound {
                Direction::Outbound
            } else {
                Direction::Inbound
            },
            sent_at,
            text,
            id: synthetic_id(&chat_id, &msg_id),
            reply_to,
            attachments,
            raw: serde_json::to_vec(m).unwrap_or_default(),
            ticket: None,
        })));
    }
}

fn synthetic_id(chat: &str, message: &str) -> String {
    format!("tg-{chat}-{message}@telegram.firstline")
}

/// `date_unixtime` (newer exports, UTC) or `date` (local time of the exporting machine).
fn date_of(m: &Value, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
    if let Some(ts) = m
        .get("date_unixtime")
        .and_then(id_text)
        .and_then(|s| s.parse::<i64>().ok())
    {
        return DateTime::from_timestamp(ts, 0);
    }
    let date = m.get("date").and_then(Value::as_str)?;
    let naive = NaiveDateTime::parse_from_str(date, "%Y-%m-%dT%H:%M:%S").ok()?;
    Some(local_to_utc(naive, tz))
}

/// The text (plain string or a list of styled fragments) and any media.
fn content_of(m: &Value) -> (String, Vec<Attachment>) {
    let mut text = match m.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .map(|p| match p {
                Value::String(s) => s.clone(),
                other => other
                    .get("text")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string(),
            })
            .collect(),
        _ => String::new(),
    };
    if let Some(from) = m.get("forwarded_from").and_then(Value::as_str) {
        text = format!("[forwarded from {from}]\n{text}");
    }
    let mut attachments = Vec::new();
    let size = m.get("file_size").and_then(Value::as_u64).unwrap_or(0);
    if let Some(photo) = m.get("photo").and_then(Value::as_str) {
        attachments.push(Attachment {
            filename: file_name(photo),
            content_type: "image/jpeg".into(),
            size: m
                .get("photo_file_size")
                .and_then(Value::as_u64)
                .unwrap_or(size),
            sha256: None,
        });
    }
    if let Some(file) = m.get("file").and_then(Value::as_str) {
        let name = m
            .get("file_name")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| file_name(file));
        attachments.push(Attachment {
            filename: name,
            content_type: m
                .get("mime_type")
                .and_then(Value::as_str)
                .unwrap_or("application/octet-stream")
                .to_string(),
            size,
            sha256: None,
        });
    }
    if text.trim().is_empty() {
        let media = m.get("media_type").and_then(Value::as_str);
        text = match media {
            Some("sticker") => format!(
                "[sticker {}]",
                m.get("sticker_emoji").and_then(Value::as_str).unwrap_or("")
            ),
            Some(kind) => format!("[{}]", kind.replace('_', " ")),
            None if m.get("photo").is_some() => "[photo]".into(),
            None if !attachments.is_empty() => "[file]".into(),
            None => String::new(),
        };
    }
    (text, attachments)
}

/// The export names media by relative path, or says it was not downloaded.
fn file_name(path: &str) -> String {
    if path.starts_with("(File not included") {
        return "(not included in export)".into();
    }
    path.rsplit('/').next().unwrap_or(path).to_string()
}
