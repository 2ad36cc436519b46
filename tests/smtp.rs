//! Delivery through a real SMTP server (aiosmtpd, started per test on a free
//! 127.0.0.1 port): a reply the server accepts is marked sent, one it refuses (a
//! rejected recipient) or never answers (the connection dropped mid-message) stays
//! not sent, with the server's reason, and is retried later. STARTTLS with a private
//! CA (`smtp_ca_file`) delivers; a certificate for another name or from an unknown CA
//! is one line and the reply is never marked sent.

#![cfg(unix)]

use chrono::{Duration, Utc};
use std::path::Path;

use firstline::config::Config;
use firstline::mail::{deliver_due, import_paths, queue_reply, ImportOptions};
use firstline::store::{OutboxState, Store};

#[path = "support/smtp.rs"]
mod smtp;
use smtp::{ServerCert, SmtpServer};

#[path = "support/test_ca.rs"]
mod test_ca;
use test_ca::TestCa;

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

fn tls_server(ca: &TestCa) -> SmtpServer {
    SmtpServer::start_tls(ServerCert {
        cert_pem: &ca.cert_pem,
        key_pem: &ca.key_pem,
    })
}

/// Queues one reply and delivers it; returns the outbox entry afterwards.
fn deliver_one(cfg: &Config, dir: &Path) -> firstline::store::OutboxEntry {
    let (mut store, ticket) = queue_with_ticket(dir, cfg, "ivan@customer.example");
    let id = queue_reply(&mut store, cfg, ticket, "It left today.").unwrap();
    deliver_due(&mut store, cfg, after_undo()).unwrap();
    store.outbox_entry(id).unwrap().unwrap()
}

#[test]
fn starttls_with_a_private_ca_delivers() {
    let ca = TestCa::new();
    let server = tls_server(&ca);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server);
    // To 127.0.0.1 the default is plain text; a CA file asks for STARTTLS, and the
    // server refuses mail before it, so an accepted message went over TLS.
    cfg.mail.smtp_ca_file = Some(ca.write_ca(dir.path(), "office-ca.pem"));
    let entry = deliver_one(&cfg, dir.path());
    assert_eq!(entry.state, OutboxState::Sent, "{entry:?}");
    assert_eq!(server.accepted().len(), 1);

    // Without STARTTLS the server says so and nothing is sent.
    let plain = config(&server);
    let dir = tempfile::tempdir().unwrap();
    let entry = deliver_one(&plain, dir.path());
    assert_ne!(entry.state, OutboxState::Sent, "{entry:?}");
    assert_eq!(server.accepted().len(), 1);
}

/// The reply stays unsent with one line naming the certificate problem.
fn refused_with(entry: &firstline::store::OutboxEntry, words: &str) {
    assert_eq!(entry.state, OutboxState::Queued, "retried later: {entry:?}");
    let error = entry.last_error.clone().unwrap_or_default();
    assert!(error.contains(words), "{error}");
    assert!(!error.contains('\n'), "one line: {error}");
}

#[test]
fn a_certificate_for_another_name_is_refused_in_one_line_and_not_sent() {
    let ca = TestCa::for_names(&["mail.other.example"]);
    let server = tls_server(&ca);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server);
    cfg.mail.smtp_ca_file = Some(ca.write_ca(dir.path(), "office-ca.pem"));
    let entry = deliver_one(&cfg, dir.path());
    refused_with(
        &entry,
        "TLS: certificate is for mail.other.example, not 127.0.0.1",
    );
    assert!(server.accepted().is_empty());
}

#[test]
fn a_certificate_from_an_unknown_ca_is_refused_in_one_line_and_not_sent() {
    let ca = TestCa::new();
    let server = tls_server(&ca);
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(&server);
    cfg.mail.smtp_security = Some("starttls".into());
    let entry = deliver_one(&cfg, dir.path());
    refused_with(&entry, "TLS: certificate not trusted");
    assert!(
        entry
            .last_error
            .unwrap_or_default()
            .contains("set smtp_ca_file"),
        "the line says what to do"
    );
    // Another CA's file does not make it trusted either (both test CAs have the same
    // name, so rustls finds the wrong key's signature instead of no issuer).
    let other = TestCa::new();
    let dir = tempfile::tempdir().unwrap();
    cfg.mail.smtp_ca_file = Some(other.write_ca(dir.path(), "other-ca.pem"));
    let entry = deliver_one(&cfg, dir.path());
    refused_with(&entry, "TLS: certificate");
    assert!(server.accepted().is_empty());
}
