//! Delivery through a real SMTP server (aiosmtpd, started per test on a free
//! 127.0.0.1 port): a reply the server accepts is marked sent, one it refuses (a
//! rejected recipient) or never answers (the connection dropped mid-message) stays
//! not sent, with the server's reason, and is retried later.

#![cfg(unix)]

use chrono::{Duration, Utc};
use std::path::Path;

use firstline::config::Config;
use firstline::mail::{deliver_due, import_paths, queue_reply, ImportOptions};
use firstline::store::{OutboxState, Store};

#[path = "support/smtp.rs"]
mod smtp;
use smtp::SmtpServer;

fn config(server: &SmtpServer) -> Config {
    let mut c = Config::default();
    c.agent.name = "Olena Test".into();
    c.agent.email = "help@shop.example".into();
    c.mail.addresses = vec!["help@shop.example".into()];
    c.mail.undo_seconds = 10;
    c.mail.smtp_server = Some(format!("127.0.0.1:{}", server.port));
    c
}

/// A queue with one ticket from `customer`.
fn queue_with_ticket(dir: &Path, cfg: &Config, customer: &str) -> (Store, i64) {
    let mail = dir.join("question.eml");
    std::fs::write(
        &mail,
        format!(
            "From: Customer <{customer}>\r\nTo: help@shop.example\r\nSubject: Where is my order?\r\n\
             Date: Mon, 30 Nov 2026 10:00:00 +0200\r\nMessage-ID: <q1@customer.example>\r\n\r\nPlease help.\r\n"
        ),
    )
    .unwrap();
    let mut store = Store::open(&dir.join("queue.db")).unwrap();
    import_paths(
        &mut store,
        cfg,
        &[mail],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let ticket = store.tickets().unwrap()[0].id;
    (store, ticket)
}

fn after_undo() -> chrono::DateTime<Utc> {
    Utc::now() + Duration::seconds(11)
}

#[test]
fn a_reply_the_server_accepts_is_marked_sent() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server);
    let (mut store, ticket) = queue_with_ticket(dir.path(), &cfg, "ivan@customer.example");
    let id = queue_reply(&mut store, &cfg, ticket, "Привіт! It left today.").unwrap();
    let report = deliver_due(&mut store, &cfg, after_undo()).unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 1);
    assert!(
        accepted[0].contains("In-Reply-To: <q1@customer.example>"),
        "{}",
        accepted[0]
    );
    let envelope = server.envelope(1);
    assert!(
        envelope.contains("MAIL FROM:help@shop.example"),
        "{envelope}"
    );
    assert!(
        envelope.contains("RCPT TO:ivan@customer.example"),
        "{envelope}"
    );
    assert_eq!(
        store.outbox_entry(id).unwrap().unwrap().state,
        OutboxState::Sent
    );
}

#[test]
fn a_rejected_recipient_is_not_marked_sent() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server);
    let (mut store, ticket) = queue_with_ticket(dir.path(), &cfg, "reject-me@customer.example");
    let id = queue_reply(&mut store, &cfg, ticket, "Hello").unwrap();
    let report = deliver_due(&mut store, &cfg, after_undo()).unwrap();
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_ne!(entry.state, OutboxState::Sent);
    let error = entry.last_error.unwrap_or_default();
    assert!(error.contains("no such mailbox"), "{error}");
    assert!(server.accepted().is_empty());
}

#[test]
fn a_connection_dropped_before_the_server_answers_is_not_marked_sent() {
    let server = SmtpServer::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(&server);
    let (mut store, ticket) = queue_with_ticket(dir.path(), &cfg, "ivan@customer.example");
    let id = queue_reply(&mut store, &cfg, ticket, "DROP-CONNECTION").unwrap();
    let report = deliver_due(&mut store, &cfg, after_undo()).unwrap();
    assert!(report.sent.is_empty(), "{report:?}");
    assert_eq!(report.failed.len(), 1, "{report:?}");
    let entry = store.outbox_entry(id).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Queued, "retried later: {entry:?}");
    assert!(server.accepted().is_empty());

    // The same server takes the next reply: the dropped one did not wedge anything.
    let next = queue_reply(&mut store, &cfg, ticket, "A second try").unwrap();
    let report = deliver_due(&mut store, &cfg, after_undo()).unwrap();
    assert!(report.sent.iter().any(|(m, _)| *m == next), "{report:?}");
    assert_eq!(server.accepted().len(), 1);
}
