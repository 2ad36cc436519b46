//! Outbound specs: a reply is a proper RFC 5322 message (threading headers, encoded
//! Cyrillic, signature), waits out its undo window, is delivered through a sendmail
//! command or as an .eml file, and a failed delivery stays queued with its error.

mod support;

use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};

use firstline::config::Config;
use firstline::mail::{cancel_reply, deliver_due, import_paths, queue_reply, ImportOptions};
use firstline::model::{Direction, Status};
use firstline::store::{OutboxState, Store};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail")
        .join(name)
}

fn config(dir: &Path, sendmail: Option<String>) -> Config {
    let mut c = Config::default();
    c.agent.name = "Тарас Шевчук".into();
    c.agent.email = "help@shop.example".into();
    c.agent.signature = "Тарас Шевчук\nShop support".into();
    c.mail.addresses = vec!["help@shop.example".into()];
    c.mail.undo_seconds = 10;
    c.mail.sendmail = sendmail;
    c.mail.outbox_dir = Some(dir.join("outbox"));
    c
}

/// A sendmail stand-in that saves the message it is given.
fn capturing_sendmail(dir: &Path) -> (String, PathBuf) {
    let captured = dir.join("captured.eml");
    (format!("cat > '{}'", captured.display()), captured)
}

/// A store holding the koi8-r thread (question, our answer, the follow-up).
fn store_with_thread(cfg: &Config) -> (Store, i64) {
    let mut store = Store::open_in_memory().unwrap();
    import_paths(
        &mut store,
        cfg,
        &[fixture("koi8r.mbox")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    (store, ticket)
}

#[test]
fn delivered_reply_threads_encodes_cyrillic_and_carries_the_signature() {
    let dir = tempfile::tempdir().unwrap();
    let (cmd, captured) = capturing_sendmail(dir.path());
    let cfg = config(dir.path(), Some(cmd));
    let (mut store, ticket) = store_with_thread(&cfg);

    let id = queue_reply(
        &mut store,
        &cfg,
        ticket,
        "Іване, дякуємо! Радий, що все працює.",
    )
    .unwrap();
    let early = deliver_due(&mut store, &cfg, Utc::now()).unwrap();
    assert!(
        early.sent.is_empty(),
        "nothing leaves inside the undo window"
    );
    assert!(!captured.exists());

    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let raw = std::fs::read(&captured).unwrap();
    let head = String::from_utf8_lossy(&raw);
    let header_block = head.split("\n\n").next().unwrap();
    assert!(
        header_block.is_ascii(),
        "headers are RFC 2047 encoded:\n{header_block}"
    );

    let parsed = mail_parser::MessageParser::default().parse(&raw).unwrap();
    assert_eq!(parsed.subject(), Some("Re: Оплата счёта"));
    assert_eq!(parsed.in_reply_to().as_text(), Some("koi8-q2@example.ru"));
    let refs: Vec<String> = match parsed.references() {
        mail_parser::HeaderValue::TextList(l) => l.iter().map(|s| s.to_string()).collect(),
        mail_parser::HeaderValue::Text(t) => vec![t.to_string()],
        _ => Vec::new(),
    };
    assert_eq!(
        refs,
        vec![
            "koi8-q1@example.ru",
            "answer-1@shop.example",
            "koi8-q2@example.ru"
        ],
        "the chain is rebuilt from the thread when the customer's client dropped it"
    );
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.name(), Some("Тарас Шевчук"));
    assert_eq!(from.address(), Some("help@shop.example"));
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some("ivan@example.ru"));
    let body = parsed.body_text(0).unwrap();
    assert!(body.contains("Іване, дякуємо!"));
    assert!(
        body.trim_end().ends_with("Тарас Шевчук\nShop support"),
        "{body}"
    );

    let stored = store.messages(ticket).unwrap();
    let reply = stored.iter().find(|m| m.id == id).unwrap();
    assert_eq!(reply.direction, Direction::Outbound);
    assert_eq!(
        parsed.message_id(),
        reply.message_id.as_deref(),
        "the Message-ID made at queue time is the one delivered"
    );
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Sent);
    assert_eq!(entry.attempts, 1);
}

#[test]
fn undo_within_the_window_sends_nothing_and_restores_the_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let (cmd, captured) = capturing_sendmail(dir.path());
    let cfg = config(dir.path(), Some(cmd));
    let (mut store, ticket) = store_with_thread(&cfg);
    let before = store.ticket(ticket).unwrap();
    assert!(before.awaiting_reply_since.is_some());

    let id = queue_reply(&mut store, &cfg, ticket, "Draft I regret").unwrap();
    assert!(store.ticket(ticket).unwrap().awaiting_reply_since.is_none());
    assert!(cancel_reply(&mut store, id).unwrap());

    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(60)).unwrap();
    assert!(report.sent.is_empty() && report.failed.is_empty());
    assert!(!captured.exists(), "nothing was handed to sendmail");
    assert!(store.messages(ticket).unwrap().iter().all(|m| m.id != id));
    let after = store.ticket(ticket).unwrap();
    assert_eq!(after.awaiting_reply_since, before.awaiting_reply_since);
    assert_eq!(after.status, before.status);
    assert_eq!(
        store.draft(ticket).unwrap().map(|d| d.body).as_deref(),
        Some("Draft I regret\n\nТарас Шевчук\nShop support\n"),
        "the text comes back as the draft"
    );
    assert!(
        !cancel_reply(&mut store, id).unwrap(),
        "second undo is a no-op"
    );
}

#[test]
fn a_sent_reply_cannot_be_undone() {
    let dir = tempfile::tempdir().unwrap();
    let (cmd, _) = capturing_sendmail(dir.path());
    let cfg = config(dir.path(), Some(cmd));
    let (mut store, ticket) = store_with_thread(&cfg);
    let id = queue_reply(&mut store, &cfg, ticket, "Done.").unwrap();
    deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert!(!cancel_reply(&mut store, id).unwrap());
}

#[test]
fn failed_delivery_stays_queued_with_the_error_and_is_retried() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        Some("echo 'msmtp: cannot connect to smtp.example' >&2; exit 75".into()),
    );
    let (mut store, ticket) = store_with_thread(&cfg);
    let id = queue_reply(&mut store, &cfg, ticket, "Hello").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.failed.len(), 1);
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Queued);
    assert_eq!(entry.attempts, 1);
    assert!(entry
        .last_error
        .as_deref()
        .unwrap_or("")
        .contains("cannot connect"));
    assert!(entry.not_before > Utc::now(), "retried later, with backoff");

    let (cmd, captured) = capturing_sendmail(dir.path());
    let fixed = config(dir.path(), Some(cmd));
    let report = deliver_due(&mut store, &fixed, Utc::now() + Duration::seconds(3600)).unwrap();
    assert_eq!(report.sent.len(), 1);
    assert!(captured.exists());
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Sent);
    assert_eq!(entry.attempts, 2);
}

#[test]
fn without_a_transport_replies_become_eml_files_in_the_outbox_folder() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let (mut store, ticket) = store_with_thread(&cfg);
    let id = queue_reply(&mut store, &cfg, ticket, "Written to disk").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.saved.len(), 1, "saved, not sent: {report:?}");
    let files: Vec<_> = std::fs::read_dir(dir.path().join("outbox"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1, "one file, no temp leftovers: {files:?}");
    assert!(files[0].extension().is_some_and(|e| e == "eml"));
    let parsed_raw = std::fs::read(&files[0]).unwrap();
    let parsed = mail_parser::MessageParser::default()
        .parse(&parsed_raw)
        .unwrap();
    let msg = store.messages(ticket).unwrap();
    let reply = msg.iter().find(|m| m.id == id).unwrap();
    assert_eq!(parsed.message_id(), reply.message_id.as_deref());
}

#[test]
fn a_chat_ticket_reply_is_recorded_without_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let mut store = Store::open_in_memory().unwrap();
    import_paths(
        &mut store,
        &cfg,
        &[fixture("telegram/result.json")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    let id = queue_reply(&mut store, &cfg, ticket, "Надішлю в Telegram").unwrap();
    assert!(store.outbox_entry(id).unwrap().is_none());
    assert_eq!(store.ticket(ticket).unwrap().status, Status::Open);
}

#[test]
fn replies_to_a_ticket_record_first_response_once() {
    let dir = tempfile::tempdir().unwrap();
    let (cmd, _) = capturing_sendmail(dir.path());
    let cfg = config(dir.path(), Some(cmd));
    let (mut store, ticket) = store_with_thread(&cfg);
    let first = store.ticket(ticket).unwrap().first_response_at;
    queue_reply(&mut store, &cfg, ticket, "Second answer").unwrap();
    assert_eq!(store.ticket(ticket).unwrap().first_response_at, first);
}

#[test]
fn cli_reply_is_queued_listed_sent_and_undoable() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let captured = dir.path().join("sent.eml");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[agent]\nname = \"Taras\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 600\nsendmail = \"cat > '{}'\"\n",
            captured.display()
        ),
    )
    .unwrap();
    let cli = || Command::from_std(support::cli(&db, &cfg));
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .assert()
        .success();
    cli()
        .args(["reply", "1", "--body", "First try"])
        .assert()
        .success()
        .stdout(predicates::str::contains("queued on ticket 1"))
        // Nothing in a one-shot command sends it later: it says what does (found by
        // the new-user trial, who waited for a reply that never left).
        .stdout(predicates::str::contains("firstline outbox flush"));
    cli()
        .arg("outbox")
        .assert()
        .success()
        .stdout(predicates::str::contains("queued"));
    cli().args(["outbox", "cancel", "4"]).assert().success();
    assert!(!captured.exists());
    cli().args(["send", "1"]).assert().code(1);
    cli()
        .args(["reply", "1", "--body", "Second try"])
        .assert()
        .success();
    cli()
        .args(["send", "1"])
        .assert()
        .success()
        .stdout(predicates::str::contains("sent reply"));
    let sent = std::fs::read_to_string(&captured).unwrap();
    assert!(sent.contains("In-Reply-To: <koi8-q2@example.ru>"), "{sent}");
}

/// A minimal SMTP server on localhost that accepts one message and hands back what it
/// received (envelope commands and data).
fn fake_smtp() -> (u16, std::thread::JoinHandle<String>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = std::thread::spawn(move || {
        let (stream, _) = listener.accept().unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut out = stream;
        let mut log = String::new();
        let say = |out: &mut std::net::TcpStream, line: &str| {
            out.write_all(line.as_bytes()).unwrap();
            out.write_all(b"\r\n").unwrap();
        };
        say(&mut out, "220 fake ESMTP");
        let mut in_data = false;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            log.push_str(&line);
            if in_data {
                if line == ".\r\n" {
                    in_data = false;
                    say(&mut out, "250 queued");
                }
                continue;
            }
            let cmd = line.to_ascii_uppercase();
            if cmd.starts_with("EHLO") || cmd.starts_with("HELO") {
                say(&mut out, "250 fake");
            } else if cmd.starts_with("DATA") {
                in_data = true;
                say(&mut out, "354 go on");
            } else if cmd.starts_with("QUIT") {
                say(&mut out, "221 bye");
                break;
            } else {
                say(&mut out, "250 ok");
            }
        }
        log
    });
    (port, handle)
}

#[test]
fn smtp_transport_delivers_with_the_right_envelope() {
    let dir = tempfile::tempdir().unwrap();
    let (port, server) = fake_smtp();
    let mut cfg = config(dir.path(), None);
    cfg.mail.smtp_server = Some(format!("localhost:{port}"));
    let (mut store, ticket) = store_with_thread(&cfg);
    let id = queue_reply(&mut store, &cfg, ticket, "Через SMTP").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let log = server.join().unwrap();
    assert!(log.contains("MAIL FROM:<help@shop.example>"), "{log}");
    assert!(log.contains("RCPT TO:<ivan@example.ru>"), "{log}");
    assert!(log.contains("In-Reply-To: <koi8-q2@example.ru>"), "{log}");
    assert_eq!(
        store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
}

#[test]
fn with_nowhere_to_send_replies_wait_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path(), None);
    cfg.mail.outbox_dir = None;
    let (mut store, ticket) = store_with_thread(&cfg);
    let idle = deliver_due(&mut store, &cfg, Utc::now()).unwrap();
    assert!(
        idle.sent.is_empty() && idle.failed.is_empty(),
        "nothing due, no error"
    );
    let id = queue_reply(&mut store, &cfg, ticket, "Hello").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.failed.len(), 1);
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Queued);
    assert!(entry.last_error.unwrap().contains("mail.sendmail"));
}

/// Issue #13 item 3: the courier used to mark the whole due batch `sending` before
/// delivering the first; quitting mid-batch stranded the rest as `unknown`. Replies
/// are claimed one at a time, so while one is being handed over the rest stay queued.
#[test]
fn stranded_replies_claim_one_reply_at_a_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.db");
    let (started, go) = (dir.path().join("started"), dir.path().join("go"));
    // Says it started, then waits for the test's go-ahead (hang guard: 60 s).
    let cmd = format!(
        "cat > /dev/null; touch '{s}'; i=0; while [ ! -f '{g}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; rm -f '{s}'",
        s = started.display(),
        g = go.display()
    );
    let cfg = config(dir.path(), Some(cmd));
    let mut store = Store::open(&db).unwrap();
    import_paths(
        &mut store,
        &cfg,
        &[fixture("koi8r.mbox")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    for text in ["one", "two", "three"] {
        queue_reply(&mut store, &cfg, ticket, text).unwrap();
    }
    let courier = {
        let (db, cfg) = (db.clone(), cfg.clone());
        std::thread::spawn(move || {
            let mut store = Store::open(&db).unwrap();
            deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(60)).unwrap()
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !started.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the sendmail stand-in never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let states: Vec<OutboxState> = store
        .outbox_entries(true)
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [
            OutboxState::Sending,
            OutboxState::Queued,
            OutboxState::Queued
        ],
        "only the reply being handed over is claimed"
    );
    std::fs::write(&go, "").unwrap();
    let report = courier.join().unwrap();
    assert_eq!(report.sent.len(), 3, "{report:?}");
}

/// Issue #13 item 3: a reply left `unknown` (interrupted while sending) is listed
/// with a choice, and `outbox resend` / `outbox mark-sent` settle it.
#[test]
fn stranded_replies_are_listed_with_a_choice_and_settled_by_resend_or_mark_sent() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let captured = dir.path().join("sent.eml");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        format!(
            "[agent]\nname = \"Taras\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 600\nsendmail = \"cat > '{}'\"\n",
            captured.display()
        ),
    )
    .unwrap();
    let cli = || {
        let mut c = Command::cargo_bin("firstline").unwrap();
        c.arg("--db").arg(&db).arg("--config").arg(&cfg);
        c
    };
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .assert()
        .success();
    for body in ["Went out?", "Or not?"] {
        cli()
            .args(["reply", "1", "--body", body])
            .assert()
            .success();
    }
    let messages: Vec<i64> = {
        let store = Store::open(&db).unwrap();
        store
            .outbox_entries(true)
            .unwrap()
            .iter()
            .map(|e| e.message)
            .collect()
    };
    assert_eq!(messages.len(), 2);
    // What a quit in the middle of a delivery leaves behind.
    firstline::store::SqliteStore::execute_for_tests(&db, "UPDATE outbox SET state = 'unknown'")
        .unwrap();
    assert_eq!(
        Store::open(&db).unwrap().outbox_attention().unwrap(),
        (2, 0)
    );
    cli()
        .arg("outbox")
        .assert()
        .success()
        .stdout(predicates::str::contains("unknown"))
        .stdout(predicates::str::contains(format!(
            "firstline outbox resend {}",
            messages[0]
        )));
    cli()
        .args(["outbox", "mark-sent", &messages[0].to_string()])
        .assert()
        .success()
        .stdout(predicates::str::contains("recorded as sent"));
    cli()
        .args(["outbox", "resend", &messages[1].to_string()])
        .assert()
        .success()
        .stdout(predicates::str::contains("sent reply"));
    let sent = std::fs::read_to_string(&captured).unwrap();
    assert!(sent.contains("Or not?"), "{sent}");
    assert!(!sent.contains("Went out?"), "{sent}");
    let store = Store::open(&db).unwrap();
    assert!(store
        .outbox_entries(true)
        .unwrap()
        .iter()
        .all(|e| e.state == OutboxState::Sent));
    assert_eq!(store.outbox_attention().unwrap(), (0, 0));
    cli()
        .args(["outbox", "resend", &messages[1].to_string()])
        .assert()
        .code(1);
}

/// Issue #13 item 3: a courier that cannot open the queue says so (the console puts
/// the sentence in the status bar) instead of silently sending nothing.
#[test]
fn stranded_replies_a_courier_that_cannot_start_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_db = dir.path().join("queue.db");
    std::fs::create_dir(&not_a_db).unwrap();
    let cfg = config(dir.path(), None);
    match firstline::tui::courier::Courier::start(
        &firstline::store::Location::File(not_a_db),
        cfg,
        |_| true,
    ) {
        Ok(_) => panic!("a courier started on a folder"),
        Err(why) => assert!(why.contains("replies are not being sent"), "{why}"),
    }
}

/// Issue #13 item 3: quitting mid-round (the courier's stop flag) finishes the reply
/// being handed over and leaves the rest `queued`, never `sending` or `unknown`.
#[test]
fn stranded_replies_a_stop_mid_round_leaves_the_rest_queued() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.db");
    let (started, go) = (dir.path().join("started"), dir.path().join("go"));
    let cmd = format!(
        "cat > /dev/null; touch '{s}'; i=0; while [ ! -f '{g}' ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done",
        s = started.display(),
        g = go.display()
    );
    let cfg = config(dir.path(), Some(cmd));
    let mut store = Store::open(&db).unwrap();
    import_paths(
        &mut store,
        &cfg,
        &[fixture("koi8r.mbox")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    for text in ["one", "two", "three"] {
        queue_reply(&mut store, &cfg, ticket, text).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let courier = {
        let (db, cfg, stop) = (db.clone(), cfg.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let mut store = Store::open(&db).unwrap();
            firstline::mail::deliver_until_stopped(
                &mut store,
                &cfg,
                firstline::store::ClaimScope::Due(Utc::now() + Duration::seconds(60)),
                &stop,
            )
            .unwrap()
        })
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !started.exists() {
        assert!(
            std::time::Instant::now() < deadline,
            "the sendmail stand-in never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    stop.store(true, Ordering::Relaxed); // the user quits while "one" is on its way
    std::fs::write(&go, "").unwrap();
    let report = courier.join().unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let states: Vec<OutboxState> = store
        .outbox_entries(true)
        .unwrap()
        .iter()
        .map(|e| e.state)
        .collect();
    assert_eq!(
        states,
        [OutboxState::Sent, OutboxState::Queued, OutboxState::Queued]
    );
}

/// A sendmail stand-in that refuses every message the way msmtp does without a
/// configuration: one line on stderr, exit 1. A script file, as the user would have.
fn refusing_sendmail(dir: &Path, stderr: &str) -> String {
    let script = dir.join("sendmail-refuses");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat > /dev/null\necho '{stderr}' >&2\nexit 1\n"),
    )
    .unwrap();
    format!("sh '{}'", script.display())
}

const MSMTP_REFUSAL: &str =
    "msmtp: account default not found: no configuration file available; run msmtp --configure";

/// Issue #15 item 1: a reply whose sendmail fails is undelivered — the customer is
/// still waiting (Needs reply), the report does not count it, the error keeps the
/// transport's words whole — until a later try delivers it.
#[test]
fn issue15_1_a_failed_send_leaves_the_reply_undelivered_and_the_ticket_in_needs_reply() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(
        dir.path(),
        Some(refusing_sendmail(dir.path(), MSMTP_REFUSAL)),
    );
    let (mut store, ticket) = store_with_thread(&cfg);
    let waiting_since = store.ticket(ticket).unwrap().awaiting_reply_since;
    assert!(waiting_since.is_some(), "the fixture's follow-up waits");
    let id = queue_reply(&mut store, &cfg, ticket, "Відповідь, що не дійде").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert!(report.failed[0].1.contains(MSMTP_REFUSAL), "{report:?}");

    let t = store.ticket(ticket).unwrap();
    assert_eq!(
        t.awaiting_reply_since, waiting_since,
        "an undelivered reply answers nobody"
    );
    assert!(t.needs_reply(Utc::now()), "the ticket stays in Needs reply");
    let undelivered = store.undelivered_replies(ticket).unwrap();
    assert_eq!(undelivered.len(), 1);
    assert_eq!(undelivered[0].message, id);
    assert!(
        undelivered[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains(MSMTP_REFUSAL),
        "outbox keeps the transport's stderr whole: {:?}",
        undelivered[0].last_error
    );
    let data = store
        .report_data(Utc::now() - Duration::days(365 * 100))
        .unwrap();
    assert!(
        data.messages.iter().all(|m| m.id != id),
        "the report does not count an undelivered reply"
    );

    let (cmd, captured) = capturing_sendmail(dir.path());
    let fixed = config(dir.path(), Some(cmd));
    let report = deliver_due(&mut store, &fixed, Utc::now() + Duration::seconds(3600)).unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    assert!(captured.exists());
    let t = store.ticket(ticket).unwrap();
    assert_eq!(t.awaiting_reply_since, None, "delivered: the wait is over");
    assert!(store.undelivered_replies(ticket).unwrap().is_empty());
    let data = store
        .report_data(Utc::now() - Duration::days(365 * 100))
        .unwrap();
    assert!(data.messages.iter().any(|m| m.id == id), "delivered counts");
}

/// Issue #15 item 2: with no mail transport the reply is only saved as an .eml file;
/// it is not delivered, the customer still waits, until the user says they sent it.
#[test]
fn issue15_2_without_a_transport_the_reply_is_saved_not_delivered_until_marked_sent() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let (mut store, ticket) = store_with_thread(&cfg);
    let waiting_since = store.ticket(ticket).unwrap().awaiting_reply_since;
    let id = queue_reply(&mut store, &cfg, ticket, "Saved for later").unwrap();
    let report = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert!(
        report.sent.is_empty(),
        "nothing left the machine: {report:?}"
    );
    assert_eq!(report.saved.len(), 1, "{report:?}");
    assert!(report.saved[0].1.ends_with(".eml"), "{report:?}");
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Saved);
    assert_eq!(
        store.ticket(ticket).unwrap().awaiting_reply_since,
        waiting_since
    );
    assert_eq!(store.undelivered_replies(ticket).unwrap().len(), 1);
    let again = deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(3600)).unwrap();
    assert!(again.saved.is_empty(), "a saved reply is not written again");

    assert!(store.resolve_outbound(id, false).unwrap(), "mark-sent");
    assert_eq!(
        store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
    assert_eq!(store.ticket(ticket).unwrap().awaiting_reply_since, None);
    assert!(store.undelivered_replies(ticket).unwrap().is_empty());
}

/// Issue #15 item 2 on the CLI: `outbox flush` says the reply was saved for the user to
/// send (not "sent"), `outbox` lists it as not delivered, `mark-sent` settles it, and
/// `doctor` shows the folder.
#[test]
fn issue15_2_cli_flush_says_saved_for_you_to_send_and_doctor_shows_the_folder() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let cfg = dir.path().join("config.toml");
    std::fs::write(
        &cfg,
        "[agent]\nname = \"Taras\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 600\n",
    )
    .unwrap();
    let cli = || Command::from_std(support::cli(&db, &cfg));
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .assert()
        .success();
    cli()
        .args(["reply", "1", "--body", "Saved"])
        .assert()
        .success();
    let out = cli().args(["outbox", "flush"]).assert().success();
    let text = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!text.contains("sent reply"), "{text}");
    assert!(text.contains("q.outbox"), "{text}");
    assert!(
        text.contains("for you to send — no mail transport is set (see [mail] in the README)"),
        "{text}"
    );
    let out = cli().arg("outbox").assert().success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(list.contains("saved"), "{list}");
    assert!(list.contains("mark-sent 4"), "{list}");
    let out = cli().arg("doctor").assert();
    let doctor = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(doctor.contains("q.outbox"), "{doctor}");
    assert!(doctor.contains("no mail transport is set"), "{doctor}");
    cli()
        .args(["send", "1"])
        .assert()
        .code(1)
        .stderr(predicates::str::contains("outbox mark-sent 4"));
    // `show` says so in the thread, and `--json` on the reply (found by a new-user
    // trial: the thread printed an ordinary "reply by" and the JSON had no delivery).
    let out = cli().args(["show", "1"]).assert().success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(
        shown.contains("reply by Taras") && shown.contains("NOT SENT: saved as .eml"),
        "{shown}"
    );
    let delivery = |json: &serde_json::Value| {
        json["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .map(|m| m["delivery"].as_str().unwrap_or("?").to_string())
            .collect::<Vec<_>>()
    };
    let out = cli().args(["show", "1", "--json"]).assert().success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(delivery(&json), ["sent", "saved"], "{json}");
    cli().args(["outbox", "mark-sent", "4"]).assert().success();
    let out = cli().arg("outbox").assert().success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(list.contains("outbox is empty"), "{list}");
    let out = cli().args(["show", "1"]).assert().success();
    let shown = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!shown.contains("NOT SENT"), "{shown}");
    let out = cli().args(["show", "1", "--json"]).assert().success();
    let json: serde_json::Value = serde_json::from_slice(&out.get_output().stdout).unwrap();
    assert_eq!(delivery(&json), ["sent", "sent"], "{json}");
}

/// Issue #15 item 1: `firstline outbox` shows the transport's stderr whole, however
/// long (it used to be cut at 300 bytes, mid-word in Cyrillic).
#[test]
fn issue15_1_outbox_lists_the_transports_whole_error() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let cfg = dir.path().join("config.toml");
    let long = "msmtp: сервер smtp.example.ua відхилив автентифікацію користувача help@shop.example; \
                перевірте пароль у ~/.msmtprc або змінну середовища, потім спробуйте ще раз; \
                відповідь сервера: 535 5.7.8 Username and Password not accepted — кінець повідомлення";
    let cmd = refusing_sendmail(dir.path(), long);
    std::fs::write(
        &cfg,
        format!(
            "[agent]\nname = \"Taras\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 600\nsendmail = \"{}\"\n",
            cmd.replace('\\', "\\\\").replace('"', "\\\"")
        ),
    )
    .unwrap();
    let cli = || Command::from_std(support::cli(&db, &cfg));
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .assert()
        .success();
    cli()
        .args(["reply", "1", "--body", "Спроба"])
        .assert()
        .success();
    cli().args(["outbox", "flush"]).assert().code(2);
    let out = cli().arg("outbox").assert().success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(list.contains("кінець повідомлення"), "{list}");
    assert!(list.contains(long), "{list}");
}

/// Issue #15 item 1: a reply a crash left in doubt (`unknown`) is not counted as the
/// answer either — the customer may still be waiting — until the user settles it.
#[test]
fn issue15_1_a_reply_in_doubt_keeps_the_customer_waiting_until_settled() {
    let dir = tempfile::tempdir().unwrap();
    let (cmd, _) = capturing_sendmail(dir.path());
    let cfg = config(dir.path(), Some(cmd));
    let db = dir.path().join("q.db");
    let mut store = Store::open(&db).unwrap();
    import_paths(
        &mut store,
        &cfg,
        &[fixture("koi8r.mbox")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    let waiting_since = store.ticket(ticket).unwrap().awaiting_reply_since;
    let id = queue_reply(&mut store, &cfg, ticket, "Went out?").unwrap();
    let outbox_id = store
        .outbound_due(firstline::store::ClaimScope::AllQueued)
        .unwrap()[0];
    store
        .claim_outbound(outbox_id, firstline::store::ClaimScope::AllQueued)
        .unwrap()
        .unwrap();
    // What a crash mid-send leaves: `sending`, long ago.
    firstline::store::SqliteStore::execute_for_tests(
        &db,
        "UPDATE outbox SET updated_at = updated_at - 3600",
    )
    .unwrap();
    store
        .outbound_due(firstline::store::ClaimScope::AllQueued)
        .unwrap();
    assert_eq!(
        store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Unknown
    );
    assert_eq!(
        store.ticket(ticket).unwrap().awaiting_reply_since,
        waiting_since
    );
    assert!(store.resolve_outbound(id, false).unwrap());
    assert_eq!(store.ticket(ticket).unwrap().awaiting_reply_since, None);
}

/// Found by the new-user trial: a reply that was only saved as .eml (no transport)
/// never reached the customer, yet it settled the promise an earlier, delivered reply
/// had made, so `followups` and `check` dropped a promise nobody kept. A reply counts
/// as an answer to a promise only once it is delivered or on its way.
#[test]
fn a_reply_only_saved_does_not_settle_an_earlier_promise() {
    use firstline::sla::promises::{due_followups, record_reply_promise};
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), None);
    let (mut store, ticket) = store_with_thread(&cfg);
    let promise = queue_reply(
        &mut store,
        &cfg,
        ticket,
        "I'll get back to you tomorrow by noon.",
    )
    .unwrap();
    deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert!(store.resolve_outbound(promise, false).unwrap(), "mark-sent");
    record_reply_promise(&mut store, &cfg.sla, ticket, promise)
        .unwrap()
        .expect("the delivered reply promised a time");
    let later = Utc::now() + Duration::days(3);
    assert_eq!(due_followups(&store, &cfg.sla, later).unwrap().len(), 1);

    // A second reply in a later second (the store keeps whole seconds), only saved
    // for the user to send.
    let promised_at = store
        .messages(ticket)
        .unwrap()
        .into_iter()
        .find(|m| m.id == promise)
        .unwrap()
        .sent_at;
    while Utc::now().timestamp() <= promised_at.timestamp() {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let saved = queue_reply(&mut store, &cfg, ticket, "Still checking with the bank.").unwrap();
    deliver_due(&mut store, &cfg, Utc::now() + Duration::seconds(11)).unwrap();
    assert_eq!(
        store.outbox_entry(saved).unwrap().unwrap().state,
        OutboxState::Saved
    );
    assert_eq!(
        due_followups(&store, &cfg.sla, later).unwrap().len(),
        1,
        "a reply that never left does not keep the promise"
    );
    // Once the user says it was sent, it does.
    assert!(store.resolve_outbound(saved, false).unwrap());
    assert!(due_followups(&store, &cfg.sla, later).unwrap().is_empty());
}

/// Found by the new-user trial: after a reply was saved as .eml (no transport) the user
/// set a transport, yet `outbox` still said "no mail transport is set", `outbox flush`
/// said only "nothing to deliver" and `send` blamed the missing transport. A saved
/// reply is never sent by itself (the user may have sent the file already), so every
/// command names `outbox resend N`, the way it now can go out.
#[test]
fn a_reply_saved_before_a_transport_was_set_is_offered_resend_not_blamed_on_no_transport() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let cfg = dir.path().join("config.toml");
    let base = "[agent]\nname = \"Taras\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 600\n";
    std::fs::write(&cfg, base).unwrap();
    let cli = || Command::from_std(support::cli(&db, &cfg));
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .assert()
        .success();
    cli()
        .args(["reply", "1", "--body", "Saved"])
        .assert()
        .success();
    cli().args(["outbox", "flush"]).assert().success();
    std::fs::write(&cfg, format!("{base}sendmail = \"cat > /dev/null\"\n")).unwrap();

    let out = cli().arg("outbox").assert().success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(!list.contains("no mail transport is set"), "{list}");
    assert!(list.contains("firstline outbox resend 4"), "{list}");

    let out = cli().args(["outbox", "flush"]).assert().success();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.get_output().stdout),
        String::from_utf8_lossy(&out.get_output().stderr)
    );
    assert!(all.contains("firstline outbox resend 4"), "{all}");

    let out = cli().args(["send", "1"]).assert().code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(!err.contains("no mail transport is set"), "{err}");
    assert!(err.contains("firstline outbox resend 4"), "{err}");

    cli().args(["outbox", "resend", "4"]).assert().success();
    cli().args(["outbox", "flush"]).assert().success();
    let out = cli().arg("outbox").assert().success();
    let list = String::from_utf8_lossy(&out.get_output().stdout).into_owned();
    assert!(list.contains("outbox is empty"), "{list}");
}
