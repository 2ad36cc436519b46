//! A fake Telegram Bot API on 127.0.0.1 for the tests: a small HTTP/1.1 server on
//! std's `TcpListener` (one thread per connection, `Connection: close`) that plays a
//! script of updates through `getUpdates` long polling (an offset confirms and drops
//! what is below it, as Telegram does), records every call (`sendMessage`, `getFile`,
//! …), serves files under `/file/bot<token>/…`, and on request answers 429, 409, 401
//! or 403, drops the connection, or holds a call until released (to kill the client
//! at a known point).
//!
//! Builders ([`text_from`], [`Customer`]) make updates shaped like Telegram's.

#![allow(dead_code)]

use serde_json::{json, Value};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The bot token every test uses; its secret half must never show in output.
pub const TOKEN: &str = "7012345678:AAFakeSecretPart_never-shown";
/// A substring of the token that gives it away if it appears anywhere.
pub const TOKEN_SECRET: &str = "AAFakeSecretPart";

/// Generous: the machine is shared and the client is a debug build.
const DEADLINE: Duration = Duration::from_secs(45);

/// What the server does instead of answering a call normally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// `ok: false` with this HTTP status and description.
    Status(u16, String),
    /// 429 with `retry_after`.
    TooMany(u64),
    /// Close the connection without a word.
    Drop,
    /// Hold the answer until [`FakeBotApi::release`].
    Hold,
    /// Answer normally (to let earlier calls through before a fault).
    Pass,
    /// Answer 200 with this body, which is not the Bot API's JSON.
    Garbage(String),
}

/// One recorded call.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: String,
    pub body: Value,
}

#[derive(Default)]
struct State {
    updates: Vec<Value>,
    next_update_id: i64,
    /// The highest offset a getUpdates asked for: everything below is confirmed.
    confirmed: i64,
    calls: Vec<Call>,
    faults: HashMap<String, VecDeque<Fault>>,
    /// file_id → (file_path, content)
    files: HashMap<String, (String, Vec<u8>)>,
    released: bool,
    next_message_id: i64,
}

/// The running fake. Dropping it stops the server.
pub struct FakeBotApi {
    port: u16,
    shared: Arc<(Mutex<State>, Condvar)>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl FakeBotApi {
    /// Starts on a free port of 127.0.0.1.
    pub fn start() -> FakeBotApi {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
        let port = listener.local_addr().unwrap().port();
        listener.set_nonblocking(true).unwrap();
        let shared = Arc::new((
            Mutex::new(State {
                next_update_id: 500_000,
                next_message_id: 9_000,
                ..State::default()
            }),
            Condvar::new(),
        ));
        let stop = Arc::new(AtomicBool::new(false));
        let (s, st) = (Arc::clone(&shared), Arc::clone(&stop));
        let thread = std::thread::spawn(move || {
            while !st.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = Arc::clone(&s);
                        let st = Arc::clone(&st);
                        std::thread::spawn(move || {
                            let _ = serve(stream, &s, &st);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        FakeBotApi {
            port,
            shared,
            stop,
            thread: Some(thread),
        }
    }

    /// The `api_url` to configure.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A `[telegram]` section pointing at this server, reading the token from
    /// `FIRSTLINE_TEST_BOT_TOKEN`, plus `extra` lines.
    pub fn config_section(&self, extra: &str) -> String {
        format!(
            "[telegram]\ntoken_env = \"FIRSTLINE_TEST_BOT_TOKEN\"\napi_url = \"{}\"\npoll_seconds = 1\n{extra}\n",
            self.url()
        )
    }

    /// Adds an update (the `update_id` is assigned here) and wakes long polls.
    pub fn push(&self, mut update: Value) -> i64 {
        let (lock, cv) = &*self.shared;
        let mut s = lock.lock().unwrap();
        s.next_update_id += 1;
        let id = s.next_update_id;
        update["update_id"] = json!(id);
        s.updates.push(update);
        cv.notify_all();
        id
    }

    /// Makes a file downloadable by `file_id`.
    pub fn add_file(&self, file_id: &str, file_path: &str, content: &[u8]) {
        let (lock, _) = &*self.shared;
        lock.lock()
            .unwrap()
            .files
            .insert(file_id.into(), (file_path.into(), content.to_vec()));
    }

    /// The next call of `method` gets `fault` instead of its answer (queued in order).
    pub fn fail_next(&self, method: &str, fault: Fault) {
        let (lock, _) = &*self.shared;
        lock.lock()
            .unwrap()
            .faults
            .entry(method.into())
            .or_default()
            .push_back(fault);
    }

    /// Lets held calls answer.
    pub fn release(&self) {
        let (lock, cv) = &*self.shared;
        lock.lock().unwrap().released = true;
        cv.notify_all();
    }

    /// Every call so far of `method`.
    pub fn calls(&self, method: &str) -> Vec<Value> {
        let (lock, _) = &*self.shared;
        lock.lock()
            .unwrap()
            .calls
            .iter()
            .filter(|c| c.method == method)
            .map(|c| c.body.clone())
            .collect()
    }

    /// `(chat_id, text)` of every `sendMessage` answered with success.
    pub fn sent(&self) -> Vec<(i64, String)> {
        self.calls("sendMessage")
            .iter()
            .filter(|b| b.get("accepted").is_some())
            .map(|b| {
                (
                    b["chat_id"].as_i64().unwrap_or(0),
                    b["text"].as_str().unwrap_or("").to_string(),
                )
            })
            .collect()
    }

    /// Waits (on the server's own record, with a hang guard) until `method` was called
    /// at least `n` times.
    pub fn wait_for_calls(&self, method: &str, n: usize) -> Vec<Value> {
        let (lock, cv) = &*self.shared;
        let start = Instant::now();
        let mut s = lock.lock().unwrap();
        loop {
            let found: Vec<Value> = s
                .calls
                .iter()
                .filter(|c| c.method == method)
                .map(|c| c.body.clone())
                .collect();
            if found.len() >= n {
                return found;
            }
            if start.elapsed() > DEADLINE {
                panic!("{method} was called {} times, never {n}", found.len());
            }
            s = cv.wait_timeout(s, Duration::from_millis(100)).unwrap().0;
        }
    }

    /// The offset the client last confirmed (everything below it Telegram forgets).
    pub fn confirmed(&self) -> i64 {
        self.shared.0.lock().unwrap().confirmed
    }
}

impl Drop for FakeBotApi {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        self.release();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    shared: &Arc<(Mutex<State>, Condvar)>,
    stop: &AtomicBool,
) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" || line == "\n" {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.trim().eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_string();
    let mut out = stream;
    if let Some(rest) = path.strip_prefix(&format!("/file/bot{TOKEN}/")) {
        let (lock, _) = &**shared;
        let content = {
            let mut s = lock.lock().unwrap();
            s.calls.push(Call {
                method: "download".into(),
                body: json!({ "path": rest }),
            });
            s.files
                .values()
                .find(|(p, _)| p == rest)
                .map(|(_, c)| c.clone())
        };
        return match content {
            Some(c) => respond(&mut out, 200, "application/octet-stream", &c),
            None => respond(&mut out, 404, "text/plain", b"not found"),
        };
    }
    let Some(method) = path
        .strip_prefix("/bot")
        .and_then(|p| p.split_once('/'))
        .filter(|(token, _)| *token == TOKEN)
        .map(|(_, m)| m.to_string())
    else {
        return respond_json(
            &mut out,
            401,
            &json!({"ok": false, "error_code": 401, "description": "Unauthorized"}),
        );
    };
    let params: Value = serde_json::from_slice(&body).unwrap_or(json!({}));
    let (lock, cv) = &**shared;
    let fault = {
        let mut s = lock.lock().unwrap();
        let fault = s.faults.get_mut(&method).and_then(VecDeque::pop_front);
        s.calls.push(Call {
            method: method.clone(),
            body: params.clone(),
        });
        cv.notify_all();
        fault
    };
    match fault {
        Some(Fault::Drop) => return Ok(()),
        Some(Fault::Status(code, description)) => {
            return respond_json(
                &mut out,
                code,
                &json!({"ok": false, "error_code": code, "description": description}),
            )
        }
        Some(Fault::TooMany(secs)) => {
            return respond_json(
                &mut out,
                429,
                &json!({"ok": false, "error_code": 429,
                        "description": format!("Too Many Requests: retry after {secs}"),
                        "parameters": {"retry_after": secs}}),
            )
        }
        Some(Fault::Garbage(text)) => {
            return respond(&mut out, 200, "text/html", text.as_bytes());
        }
        Some(Fault::Hold) => {
            let mut s = lock.lock().unwrap();
            while !s.released && !stop.load(Ordering::Relaxed) {
                s = cv.wait_timeout(s, Duration::from_millis(100)).unwrap().0;
            }
        }
        Some(Fault::Pass) | None => {}
    }
    let result = match method.as_str() {
        "getUpdates" => get_updates(shared, &params, stop),
        "getFile" => {
            let s = lock.lock().unwrap();
            let id = params["file_id"].as_str().unwrap_or("");
            match s.files.get(id) {
                Some((path, content)) => {
                    json!({"file_id": id, "file_size": content.len(), "file_path": path})
                }
                None => {
                    return respond_json(
                        &mut out,
                        400,
                        &json!({"ok": false, "error_code": 400, "description": "Bad Request: invalid file_id"}),
                    )
                }
            }
        }
        "sendMessage" => {
            let mut s = lock.lock().unwrap();
            s.next_message_id += 1;
            let id = s.next_message_id;
            if let Some(last) = s.calls.last_mut() {
                last.body["accepted"] = json!(true);
            }
            cv.notify_all();
            json!({"message_id": id, "chat": {"id": params["chat_id"], "type": "private"},
                   "date": chrono::Utc::now().timestamp(), "text": params["text"]})
        }
        "deleteWebhook" => json!(true),
        _ => {
            return respond_json(
                &mut out,
                404,
                &json!({"ok": false, "error_code": 404, "description": "Not Found"}),
            )
        }
    };
    respond_json(&mut out, 200, &json!({"ok": true, "result": result}))
}

fn get_updates(shared: &Arc<(Mutex<State>, Condvar)>, params: &Value, stop: &AtomicBool) -> Value {
    let offset = params["offset"].as_i64().unwrap_or(0);
    let timeout = params["timeout"].as_u64().unwrap_or(0).min(50);
    let (lock, cv) = &**shared;
    let until = Instant::now() + Duration::from_secs(timeout);
    let mut s = lock.lock().unwrap();
    if offset > s.confirmed {
        s.confirmed = offset;
        s.updates
            .retain(|u| u["update_id"].as_i64().unwrap_or(0) >= offset);
    }
    loop {
        let ready: Vec<Value> = s
            .updates
            .iter()
            .filter(|u| u["update_id"].as_i64().unwrap_or(0) >= offset)
            .take(100)
            .cloned()
            .collect();
        if !ready.is_empty() || Instant::now() >= until || stop.load(Ordering::Relaxed) {
            return Value::Array(ready);
        }
        s = cv.wait_timeout(s, Duration::from_millis(50)).unwrap().0;
    }
}

fn respond_json(out: &mut TcpStream, status: u16, body: &Value) -> std::io::Result<()> {
    respond(
        out,
        status,
        "application/json",
        &serde_json::to_vec(body).unwrap(),
    )
}

fn respond(
    out: &mut TcpStream,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    out.write_all(head.as_bytes())?;
    out.write_all(body)?;
    out.flush()
}

/// A Telegram user writing to the bot.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub first_name: &'static str,
    pub last_name: Option<&'static str>,
    pub username: Option<&'static str>,
    pub language_code: &'static str,
}

pub const OLENA: Customer = Customer {
    id: 1001,
    first_name: "Олена",
    last_name: Some("Коваль"),
    username: Some("olena_k"),
    language_code: "uk",
};
pub const DMITRY: Customer = Customer {
    id: 1002,
    first_name: "Дмитрий",
    last_name: None,
    username: None,
    language_code: "ru",
};
pub const JOHN: Customer = Customer {
    id: 1003,
    first_name: "John",
    last_name: Some("Smith"),
    username: Some("jsmith"),
    language_code: "en",
};

impl Customer {
    pub fn sender_json(&self) -> Value {
        let mut v = json!({"id": self.id, "is_bot": false, "first_name": self.first_name,
                           "language_code": self.language_code});
        if let Some(l) = self.last_name {
            v["last_name"] = json!(l);
        }
        if let Some(u) = self.username {
            v["username"] = json!(u);
        }
        v
    }

    /// A message in their private chat with the bot, with `fields` (text, photo, …).
    pub fn message(&self, message_id: i64, date: i64, fields: Value) -> Value {
        let mut m = json!({
            "message_id": message_id,
            "from": self.sender_json(),
            "chat": {"id": self.id, "type": "private", "first_name": self.first_name},
            "date": date,
        });
        if let Value::Object(extra) = fields {
            for (k, v) in extra {
                m[k] = v;
            }
        }
        json!({ "message": m })
    }

    /// The same message as an `edited_message` update.
    pub fn edit(&self, message_id: i64, date: i64, fields: Value) -> Value {
        let mut u = self.message(message_id, date, fields);
        let mut m = u["message"].take();
        m["edit_date"] = json!(date + 60);
        json!({ "edited_message": m })
    }
}

/// A plain text message from `who`, sent now.
pub fn text_from(who: &Customer, message_id: i64, text: &str) -> Value {
    who.message(
        message_id,
        chrono::Utc::now().timestamp(),
        json!({ "text": text }),
    )
}
