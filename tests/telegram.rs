//! The Telegram bot channel end to end: the real `firstline` binary (`fetch`, `reply`,
//! `outbox`) against a fake Bot API on 127.0.0.1 (`support/bot_api.rs`) that plays
//! scripted updates in Ukrainian, Russian and English and records what the client
//! sends. Tests wait on the server's record and the database, never on a clock.

#![cfg(unix)]

#[path = "support/bot_api.rs"]
mod bot_api;
mod support;

use std::path::Path;
use std::process::Output;

use bot_api::{text_from, FakeBotApi, Fault, DMITRY, JOHN, OLENA, TOKEN, TOKEN_SECRET};
use firstline::model::{Direction, Ticket};
use firstline::store::{OutboxState, Store};
use serde_json::json;

const TOKEN_VAR: &str = "FIRSTLINE_TEST_BOT_TOKEN";

/// A temp queue and a config with `[telegram]` pointing at `api`, plus `extra`.
fn setup(
    api: &FakeBotApi,
    extra: &str,
) -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let (dir, db, config) = support::temp_paths();
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        format!(
            "{base}\n[mail]\nundo_seconds = 0\n\n{}",
            api.config_section(extra)
        ),
    )
    .unwrap();
    (dir, db, config)
}

fn firstline(db: &Path, config: &Path, args: &[&str]) -> Output {
    let mut cmd = support::cli(db, config);
    cmd.env(TOKEN_VAR, TOKEN).arg("--no-demo").args(args);
    let out = cmd.output().unwrap();
    for stream in [&out.stdout, &out.stderr] {
        let text = String::from_utf8_lossy(stream);
        assert!(!text.contains(TOKEN_SECRET), "the token leaked: {text}");
    }
    out
}

fn fetch_ok(db: &Path, config: &Path) -> serde_json::Value {
    let out = firstline(db, config, &["fetch", "--json"]);
    assert!(
        out.status.success(),
        "fetch failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn tickets(db: &Path) -> Vec<Ticket> {
    Store::open(db).unwrap().tickets().unwrap()
}

fn inbound_bodies(db: &Path) -> Vec<String> {
    let store = Store::open(db).unwrap();
    let mut out = Vec::new();
    for t in store.tickets().unwrap() {
        for m in store.messages(t.id).unwrap() {
            if m.direction == Direction::Inbound {
                out.push(m.body);
            }
        }
    }
    out
}

#[test]
fn every_kind_of_update_becomes_part_of_a_ticket_and_the_offset_is_confirmed_next_time() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let now = chrono::Utc::now().timestamp();
    api.add_file("photo-big", "photos/file_1.jpg", b"\xff\xd8\xff jpeg bytes");
    api.add_file("doc-1", "documents/file_2.pdf", b"%PDF-1.4 invoice");
    api.add_file("voice-1", "voice/file_3.oga", b"OggS voice");
    api.add_file("video-1", "videos/file_4.mp4", b"....ftypmp4");
    api.push(text_from(
        &OLENA,
        1,
        "Доброго дня! Чи могли б Ви перевірити моє замовлення 1234?",
    ));
    api.push(OLENA.message(2, now, json!({
        "photo": [{"file_id": "photo-small", "file_size": 10}, {"file_id": "photo-big", "file_size": 18}],
        "caption": "Ось фото чека"
    })));
    api.push(OLENA.message(3, now, json!({
        "document": {"file_id": "doc-1", "file_name": "рахунок.pdf", "mime_type": "application/pdf", "file_size": 16}
    })));
    api.push(OLENA.message(
        4,
        now,
        json!({"voice": {"file_id": "voice-1", "duration": 12, "mime_type": "audio/ogg"}}),
    ));
    api.push(OLENA.message(
        5,
        now,
        json!({"sticker": {"file_id": "st-1", "emoji": "🙏"}}),
    ));
    api.push(OLENA.message(
        6,
        now,
        json!({"location": {"latitude": 50.4501, "longitude": 30.5234}}),
    ));
    api.push(OLENA.message(7, now, json!({"contact": {"phone_number": "+380501234567", "first_name": "Олена", "user_id": OLENA.id}})));
    api.push(OLENA.message(8, now, json!({
        "text": "Так, саме це замовлення",
        "reply_to_message": {"message_id": 1, "text": "Доброго дня! Чи могли б Ви перевірити моє замовлення 1234?"}
    })));
    api.push(OLENA.edit(
        1,
        now,
        json!({"text": "Доброго дня! Чи могли б Ви перевірити замовлення 1235?"}),
    ));
    api.push(text_from(
        &DMITRY,
        1,
        "Здравствуйте, не приходит код подтверждения, помогите пожалуйста",
    ));
    api.push(DMITRY.message(2, now, json!({"video": {"file_id": "video-1", "duration": 30, "mime_type": "video/mp4"}, "caption": "вот видео"})));
    api.push(text_from(
        &JOHN,
        1,
        "Hi, my parcel has not arrived yet. Could you check?",
    ));
    // Not customers' messages: a group, a service message.
    let mut group = text_from(&JOHN, 2, "hello group");
    group["message"]["chat"] = json!({"id": -100500, "type": "supergroup", "title": "Fans"});
    api.push(group);
    api.push(OLENA.message(9, now, json!({"new_chat_title": "x"})));

    let summary = fetch_ok(&db, &config);
    assert_eq!(summary["updates"], 14, "{summary}");
    assert_eq!(summary["added"], 11, "{summary}");
    assert_eq!(summary["new_tickets"], 3, "{summary}");
    assert_eq!(summary["edited"], 1, "{summary}");
    assert_eq!(summary["skipped"], 2, "{summary}");
    assert_eq!(summary["files_kept"], 4, "{summary}");

    let store = Store::open(&db).unwrap();
    let all = store.tickets().unwrap();
    assert_eq!(all.len(), 3);
    let olena = all
        .iter()
        .find(|t| t.subject == "Telegram: Олена Коваль")
        .unwrap();
    let thread = store.messages(olena.id).unwrap();
    assert_eq!(thread.len(), 8, "the edit changed a message, it added none");
    assert!(
        thread[0].body.contains("замовлення 1235?\n[edited]"),
        "{}",
        thread[0].body
    );
    assert!(thread[1].body.starts_with("[photo]\nОсь фото чека"));
    assert_eq!(thread[1].attachments[0].filename, "photo-2.jpg");
    assert!(
        thread[1].attachments[0].sha256.is_some(),
        "the photo was downloaded"
    );
    assert_eq!(thread[2].attachments[0].filename, "рахунок.pdf");
    assert_eq!(thread[3].body, "[voice message, 0:12]");
    assert_eq!(thread[4].body, "[sticker 🙏]");
    assert!(thread[5].body.starts_with("[location 50.45010, 30.52340]"));
    assert_eq!(thread[6].body, "[contact: Олена, +380501234567]");
    assert!(
        thread[7].body.starts_with("> Доброго дня!"),
        "{}",
        thread[7].body
    );
    let customer = store.customer(olena.customer_id).unwrap();
    assert_eq!(customer.phone.as_deref(), Some("+380501234567"));
    assert!(
        customer.handles.iter().any(|h| h == "telegram:@olena_k"),
        "{:?}",
        customer.handles
    );
    assert_eq!(customer.language, firstline::model::Language::Uk);
    assert_eq!(customer.formality, firstline::model::Formality::Formal);
    let attachments = db.with_file_name("queue.attachments");
    let sha = thread[2].attachments[0].sha256.clone().unwrap();
    assert_eq!(
        std::fs::read(attachments.join(sha)).unwrap(),
        b"%PDF-1.4 invoice"
    );
    let dmitry = all
        .iter()
        .find(|t| t.subject == "Telegram: Дмитрий")
        .unwrap();
    assert_eq!(
        store.customer(dmitry.customer_id).unwrap().language,
        firstline::model::Language::Ru
    );
    assert!(!inbound_bodies(&db)
        .iter()
        .any(|b| b.contains("hello group")));
    drop(store);

    // The second call confirms the first batch; nothing comes twice.
    let last = api.calls("getUpdates").len();
    let again = fetch_ok(&db, &config);
    assert_eq!(again["updates"], 0);
    let second = &api.calls("getUpdates")[last];
    assert_eq!(
        second["offset"], summary["offset"],
        "the stored offset is asked for"
    );
    assert_eq!(inbound_bodies(&db).len(), 11);
}

#[test]
fn a_file_over_the_size_limit_is_listed_and_never_downloaded() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        base.replace(
            "undo_seconds = 0",
            "undo_seconds = 0\nattachment_limit_mb = 1",
        ),
    )
    .unwrap();
    api.push(JOHN.message(
        1,
        chrono::Utc::now().timestamp(),
        json!({
            "document": {"file_id": "huge", "file_name": "backup.zip", "file_size": 5_000_000}
        }),
    ));
    let summary = fetch_ok(&db, &config);
    assert_eq!(summary["files_listed"], 1, "{summary}");
    assert!(api.calls("getFile").is_empty());
    let store = Store::open(&db).unwrap();
    let t = &store.tickets().unwrap()[0];
    let m = &store.messages(t.id).unwrap()[0];
    assert_eq!(m.attachments[0].filename, "backup.zip");
    assert_eq!(m.attachments[0].sha256, None);
}

#[test]
fn a_message_after_new_ticket_after_days_opens_a_new_ticket() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "new_ticket_after_days = 2");
    let day = 86_400;
    let now = chrono::Utc::now().timestamp();
    api.push(JOHN.message(
        1,
        now - 10 * day,
        json!({"text": "First question about my order"}),
    ));
    api.push(JOHN.message(2, now - 9 * day, json!({"text": "Any news on my order?"})));
    api.push(JOHN.message(3, now, json!({"text": "A new question about returns"})));
    fetch_ok(&db, &config);
    let all = tickets(&db);
    assert_eq!(
        all.len(),
        2,
        "a day apart joins, a week apart opens a new one"
    );
    let store = Store::open(&db).unwrap();
    let sizes: Vec<usize> = all
        .iter()
        .map(|t| store.messages(t.id).unwrap().len())
        .collect();
    assert!(sizes.contains(&2) && sizes.contains(&1), "{sizes:?}");
}

#[test]
fn a_crash_between_fetching_and_committing_loses_and_doubles_nothing() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    api.add_file("doc-1", "documents/file_1.pdf", b"%PDF-1.4 contract");
    api.push(text_from(&OLENA, 1, "Доброго дня! Надсилаю документи."));
    api.push(OLENA.message(
        2,
        chrono::Utc::now().timestamp(),
        json!({
            "document": {"file_id": "doc-1", "file_name": "договір.pdf", "file_size": 17}
        }),
    ));
    api.push(text_from(&DMITRY, 1, "Добрый день, где мой заказ?"));
    // The client will stop at the file download, mid-batch, and be killed there.
    api.fail_next("getFile", Fault::Hold);
    let mut child = support::cli(&db, &config)
        .env(TOKEN_VAR, TOKEN)
        .args(["--no-demo", "fetch"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    api.wait_for_calls("getFile", 1);
    child.kill().unwrap();
    child.wait().unwrap();
    api.release();
    assert!(
        !db.exists() || inbound_bodies(&db).is_empty(),
        "nothing was committed before the kill"
    );

    let summary = fetch_ok(&db, &config);
    assert_eq!(
        summary["added"], 3,
        "the same updates came again: {summary}"
    );
    let again = fetch_ok(&db, &config);
    assert_eq!(again["added"], 0);
    let bodies = inbound_bodies(&db);
    assert_eq!(bodies.len(), 3, "{bodies:?}");
    assert_eq!(bodies.iter().filter(|b| b.contains("договір")).count(), 1);
}

#[test]
fn a_replay_of_committed_updates_adds_nothing() {
    // Telegram may hand out an update again when the confirming call never reached
    // it; the Message-IDs make the replay a duplicate.
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let update = text_from(&JOHN, 1, "Hello, is anyone there?");
    api.push(update.clone());
    fetch_ok(&db, &config);
    api.push(update);
    let summary = fetch_ok(&db, &config);
    assert_eq!(summary["duplicates"], 1, "{summary}");
    assert_eq!(inbound_bodies(&db).len(), 1);
}

#[test]
fn poll_errors_say_what_to_do_and_never_show_the_token() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    api.fail_next(
        "getUpdates",
        Fault::Status(
            409,
            "Conflict: can't use getUpdates method while webhook is active".into(),
        ),
    );
    let out = firstline(&db, &config, &["fetch"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("webhook") && err.contains("--delete-webhook"),
        "{err}"
    );

    api.fail_next(
        "getUpdates",
        Fault::Status(
            409,
            "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running".into(),
        ),
    );
    let out = firstline(&db, &config, &["fetch"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("another program is reading this bot"), "{err}");

    let out = firstline(&db, &config, &["fetch", "--delete-webhook"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api.calls("deleteWebhook").len(), 1);

    api.fail_next("getUpdates", Fault::Status(401, "Unauthorized".into()));
    let out = firstline(&db, &config, &["fetch"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("refused the bot token"), "{err}");

    api.fail_next("getUpdates", Fault::Drop);
    let out = firstline(&db, &config, &["fetch"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("cannot reach the Bot API"), "{err}");

    let mut cmd = support::cli(&db, &config);
    let out = cmd.arg("--no-demo").arg("fetch").output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("FIRSTLINE_TEST_BOT_TOKEN") && err.contains("not set"),
        "{err}"
    );
}

#[test]
fn bad_telegram_settings_stop_the_start_with_line_and_key() {
    let (_dir, db, config) = support::temp_paths();
    for (section, expected) in [
        (
            "[telegram]\ntoken_env = \"A\"\ntoken_command = \"pass bot\"\n",
            "line 3: [telegram] has both",
        ),
        (
            "[telegram]\ntoken_env = \"A\"\napi_url = \"http://api.telegram.org\"\n",
            "line 3: [telegram] api_url",
        ),
        (
            "[telegram]\ntoken_env = \"A\"\nnew_ticket_after_days = 0\n",
            "line 3: [telegram] new_ticket_after_days is 0",
        ),
        (
            "[telegram]\ntoken_env = \"123:abc\"\n",
            "line 2: [telegram] token_env '123:abc' is not",
        ),
        (
            "[telegram]\napi_url = \"https://api.telegram.org\"\n",
            "[telegram] needs token_env",
        ),
    ] {
        std::fs::write(&config, section).unwrap();
        let out = support::cli(&db, &config)
            .args(["--no-demo", "fetch"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{section}: {err}");
        assert!(err.contains(expected), "{section}: {err}");
    }
}

/// Fetches one message from `who` and returns its ticket.
fn ticket_from(
    api: &FakeBotApi,
    db: &Path,
    config: &Path,
    who: &bot_api::Customer,
    text: &str,
) -> i64 {
    api.push(text_from(who, 1, text));
    fetch_ok(db, config);
    tickets(db)[0].id
}

fn reply(db: &Path, config: &Path, ticket: i64, body: &str) -> i64 {
    let out = firstline(db, config, &["reply", &ticket.to_string(), "--body", body]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let store = Store::open(db).unwrap();
    store
        .messages(ticket)
        .unwrap()
        .iter()
        .rfind(|m| m.direction == Direction::Outbound)
        .unwrap()
        .id
}

fn outbox_state(db: &Path, message: i64) -> (OutboxState, Option<String>) {
    let e = Store::open(db)
        .unwrap()
        .outbox_entry(message)
        .unwrap()
        .unwrap();
    (e.state, e.last_error)
}

#[test]
fn a_reply_goes_to_the_customers_chat_and_undo_sends_nothing() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(
        &api,
        &db,
        &config,
        &OLENA,
        "Доброго дня! Де моє замовлення?",
    );

    let undone = reply(&db, &config, ticket, "Ця відповідь не піде");
    let out = firstline(&db, &config, &["outbox", "cancel", &undone.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let message = reply(
        &db,
        &config,
        ticket,
        "Добрий день, Олено! Замовлення вже в дорозі.",
    );
    let out = firstline(&db, &config, &["outbox", "flush"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        api.sent(),
        vec![(
            OLENA.id,
            "Добрий день, Олено! Замовлення вже в дорозі.".to_string()
        )],
        "only the reply not taken back went out, to her chat"
    );
    assert_eq!(outbox_state(&db, message).0, OutboxState::Sent);
}

#[test]
fn a_long_reply_is_split_at_4096_characters_and_rejoins_whole() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(&api, &db, &config, &JOHN, "Please send me the full terms.");
    let paragraph = "These are the terms of service, clause by clause. ".repeat(20);
    let body = [paragraph.trim(); 9].join("\n\n");
    assert!(body.chars().count() > 8192);
    reply(&db, &config, ticket, &body);
    let out = firstline(&db, &config, &["outbox", "flush"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = api.sent();
    assert_eq!(
        sent.len(),
        3,
        "{:?}",
        sent.iter().map(|s| s.1.len()).collect::<Vec<_>>()
    );
    for (chat, text) in &sent {
        assert_eq!(*chat, JOHN.id);
        assert!(text.encode_utf16().count() <= 4096);
    }
    let rejoined = sent
        .iter()
        .map(|s| s.1.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    assert_eq!(rejoined, body);
}

#[test]
fn too_many_requests_waits_retry_after_then_sends_once() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(&api, &db, &config, &DMITRY, "Здравствуйте, где заказ?");
    api.fail_next("sendMessage", Fault::TooMany(1));
    let message = reply(
        &db,
        &config,
        ticket,
        "Здравствуйте, Дмитрий! Заказ отправлен.",
    );
    let out = firstline(&db, &config, &["outbox", "flush"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(api.calls("sendMessage").len(), 2, "refused once, then sent");
    assert_eq!(api.sent().len(), 1);
    assert_eq!(outbox_state(&db, message).0, OutboxState::Sent);
}

#[test]
fn a_blocked_bot_fails_the_reply_in_plain_words_and_marks_nothing_sent() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(&api, &db, &config, &JOHN, "Hi there");
    api.fail_next(
        "sendMessage",
        Fault::Status(403, "Forbidden: bot was blocked by the user".into()),
    );
    let message = reply(&db, &config, ticket, "Hello John!");
    firstline(&db, &config, &["outbox", "flush"]);
    let (state, error) = outbox_state(&db, message);
    assert_eq!(state, OutboxState::Failed);
    assert!(error.unwrap().contains("blocked the bot"));
    assert!(api.sent().is_empty());

    // A dropped connection keeps the reply queued to retry, not sent.
    api.push(text_from(&OLENA, 1, "Доброго дня"));
    fetch_ok(&db, &config);
    let second = tickets(&db)
        .into_iter()
        .find(|t| t.subject.contains("Олена"))
        .unwrap()
        .id;
    api.fail_next("sendMessage", Fault::Drop);
    let message = reply(&db, &config, second, "Вітаю!");
    firstline(&db, &config, &["outbox", "flush"]);
    let (state, error) = outbox_state(&db, message);
    assert_eq!(state, OutboxState::Queued, "{error:?}");
    assert!(error.unwrap().contains("cannot reach the Bot API"));
}

/// `[sla]` hours that exclude the present hour, so the desk is closed now.
fn closed_hours() -> String {
    use chrono::Timelike;
    let hour = chrono::Utc::now().hour();
    let start = match (hour + 2) % 24 {
        23 => 1,
        h => h,
    };
    format!(
        "[sla]\ntimezone = \"UTC\"\nhours = \"{start:02}:00-{:02}:00\"\n",
        start + 1
    )
}

#[test]
fn the_away_reply_goes_once_per_ticket_in_the_customers_language_never_for_old_messages() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "away_reply = true");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{}\n{base}", closed_hours())).unwrap();
    // Sent before the channel was first read: no robot answers it hours later.
    api.push(OLENA.message(
        1,
        chrono::Utc::now().timestamp() - 3600,
        json!({"text": "Доброго дня! Чи працюєте Ви сьогодні?"}),
    ));
    fetch_ok(&db, &config);
    assert!(api.sent().is_empty(), "{:?}", api.sent());

    api.push(DMITRY.message(
        1,
        chrono::Utc::now().timestamp() + 5,
        json!({"text": "Здравствуйте, подскажите пожалуйста, Вы работаете?"}),
    ));
    api.push(DMITRY.message(
        2,
        chrono::Utc::now().timestamp() + 6,
        json!({"text": "И ещё вопрос"}),
    ));
    let summary = fetch_ok(&db, &config);
    assert_eq!(summary["away_replies"], 1, "{summary}");
    api.push(DMITRY.message(
        3,
        chrono::Utc::now().timestamp() + 7,
        json!({"text": "Ау?"}),
    ));
    fetch_ok(&db, &config);
    let sent = api.sent();
    assert_eq!(sent.len(), 1, "once per ticket: {sent:?}");
    assert_eq!(sent[0].0, DMITRY.id);
    assert!(sent[0].1.contains("человек ответит Вам"), "{}", sent[0].1);
    let store = Store::open(&db).unwrap();
    let t = store
        .tickets()
        .unwrap()
        .into_iter()
        .find(|t| t.subject.contains("Дмитрий"))
        .unwrap();
    let notes: Vec<_> = store
        .messages(t.id)
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == Direction::Note)
        .collect();
    assert_eq!(notes.len(), 1);
    assert!(
        t.first_response_at.is_none(),
        "an automatic message answers nobody"
    );
}

#[test]
fn check_warns_when_the_channel_has_not_been_read_for_20_hours() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    fetch_ok(&db, &config);
    let out = firstline(&db, &config, &["check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = firstline(&db, &config, &["doctor"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("telegram      last read <1m ago"), "{text}");
    let later = (chrono::Utc::now() + chrono::Duration::hours(21)).to_rfc3339();
    let out = firstline(&db, &config, &["check", "--now", &later]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{text}");
    assert!(text.contains("Telegram not read for 21h"), "{text}");
    assert!(text.contains("may be lost"), "{text}");
}

#[test]
fn no_away_reply_on_a_ticket_someone_answered_in_the_last_hours() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "away_reply = true");
    let base = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{}\n{base}", closed_hours())).unwrap();
    let ticket = ticket_from(&api, &db, &config, &JOHN, "Hi, my parcel is late.");
    reply(&db, &config, ticket, "Hi John, checking it right now.");
    firstline(&db, &config, &["outbox", "flush"]);
    assert_eq!(api.sent().len(), 1);
    api.push(JOHN.message(
        2,
        chrono::Utc::now().timestamp() + 5,
        json!({"text": "Thanks, waiting"}),
    ));
    let summary = fetch_ok(&db, &config);
    assert_eq!(summary["away_replies"], 0, "{summary}");
    assert_eq!(
        api.sent().len(),
        1,
        "a person is there tonight: {:?}",
        api.sent()
    );
}

#[test]
fn a_reply_cut_off_after_its_first_part_resumes_without_repeating_it() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(
        &api,
        &db,
        &config,
        &OLENA,
        "Надішліть, будь ласка, умови повернення.",
    );
    let paragraph = "Умови повернення товару, пункт за пунктом. ".repeat(30);
    let body = [paragraph.trim(); 7].join("\n\n");
    let message = reply(&db, &config, ticket, &body);
    api.fail_next("sendMessage", Fault::Pass);
    api.fail_next("sendMessage", Fault::Drop);
    firstline(&db, &config, &["outbox", "flush"]);
    let (state, error) = outbox_state(&db, message);
    assert_eq!(state, OutboxState::Queued);
    assert!(error.unwrap().starts_with("part 2 of 3: cannot reach"));
    assert_eq!(api.sent().len(), 1);

    let out = firstline(&db, &config, &["send", &ticket.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let sent = api.sent();
    assert_eq!(sent.len(), 3, "parts 2 and 3 only, the first not again");
    let rejoined = sent
        .iter()
        .map(|s| s.1.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    assert_eq!(rejoined, body);
    assert_eq!(outbox_state(&db, message).0, OutboxState::Sent);
}

#[test]
fn a_long_rate_limit_puts_the_reply_back_in_the_queue_until_then() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let ticket = ticket_from(&api, &db, &config, &JOHN, "Hello?");
    api.fail_next("sendMessage", Fault::TooMany(600));
    let message = reply(&db, &config, ticket, "Hello John!");
    let before = chrono::Utc::now();
    firstline(&db, &config, &["outbox", "flush"]);
    let entry = Store::open(&db)
        .unwrap()
        .outbox_entry(message)
        .unwrap()
        .unwrap();
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.last_error.unwrap().contains("429"));
    assert!(entry.not_before >= before + chrono::Duration::seconds(590));
    assert!(api.sent().is_empty());
}

#[test]
fn hostile_names_and_garbled_answers_are_rendered_safely_or_refused_in_one_line() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    let mut update = text_from(&JOHN, 1, "title \u{1b}]0;pwned\u{7} and \u{1b}[2J clear");
    update["message"]["from"]["first_name"] = json!("Evil\u{1b}]52;c;Zm9v\u{7}Name");
    api.push(update);
    fetch_ok(&db, &config);
    let ticket = tickets(&db)[0].id;
    let out = firstline(&db, &config, &["show", &ticket.to_string()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );

    api.fail_next(
        "getUpdates",
        Fault::Garbage("<html>502 Bad Gateway</html>".into()),
    );
    let out = firstline(&db, &config, &["fetch"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("answered something unreadable"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn fetch_watch_waits_out_a_dropped_connection_and_goes_on() {
    let api = FakeBotApi::start();
    let (_dir, db, config) = setup(&api, "");
    api.fail_next("getUpdates", Fault::Drop);
    api.push(text_from(&JOHN, 1, "Hello, anyone?"));
    let out = firstline(
        &db,
        &config,
        &["fetch", "--watch", "--rounds", "2", "--poll-seconds", "0"],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("cannot reach the Bot API") && err.contains("trying again"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 new message"));
    assert_eq!(inbound_bodies(&db).len(), 1);
}
