//! What a shop owner hit on a real mailbox (a new-user trial against Dovecot and an SMTP
//! server): web-form mail with the customer in Reply-To, mail arriving after a reply,
//! auto-replies and bounces, HTML-only mail, replies to mail without a subject. Each
//! test builds its `.eml` text here and imports it the way `import`/`fetch` do.

mod support;

use chrono::{Duration, Utc};
use std::path::{Path, PathBuf};

use firstline::config::Config;
use firstline::mail::{deliver_due, import_paths, queue_reply, ImportOptions};
use firstline::store::Store;

fn config(dir: &Path) -> (Config, PathBuf) {
    let captured = dir.join("captured.eml");
    let mut c = Config::default();
    c.agent.name = "Олена Коваль".into();
    c.agent.email = "shop@example.com".into();
    c.agent.company = "Shop".into();
    c.mail.addresses = vec!["shop@example.com".into()];
    c.mail.undo_seconds = 0;
    c.mail.sendmail = Some(format!("cat > '{}'", captured.display()));
    c.mail.outbox_dir = Some(dir.join("outbox"));
    (c, captured)
}

/// Imports each text as its own `.eml` file, in order.
fn import(store: &mut Store, cfg: &Config, dir: &Path, mails: &[&str]) {
    let mut paths = Vec::new();
    for (i, text) in mails.iter().enumerate() {
        let path = dir.join(format!(
            "m{:03}-{}.eml",
            i,
            Utc::now().timestamp_nanos_opt().unwrap()
        ));
        std::fs::write(&path, text.replace('\n', "\r\n")).unwrap();
        paths.push(path);
    }
    import_paths(store, cfg, &paths, &ImportOptions::default(), &mut |_| {}).unwrap();
}

/// Sends the reply queued on `ticket` now and returns the delivered bytes.
fn reply_and_capture(
    store: &mut Store,
    cfg: &Config,
    captured: &Path,
    ticket: i64,
    body: &str,
) -> String {
    let _ = std::fs::remove_file(captured);
    queue_reply(store, cfg, ticket, body).unwrap();
    let report = deliver_due(store, cfg, Utc::now() + Duration::seconds(1)).unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    String::from_utf8(std::fs::read(captured).unwrap()).unwrap()
}

fn header(raw: &str, name: &str) -> String {
    let raw = raw.replace("\r\n", "\n");
    raw.split("\n\n")
        .next()
        .unwrap()
        .split('\n')
        .find(|l| {
            l.to_lowercase()
                .starts_with(&format!("{}:", name.to_lowercase()))
        })
        .unwrap_or_else(|| panic!("no {name} in\n{raw}"))
        .to_string()
}

const FORM_OLGA: &str = "From: Shop website <forms@example.com>
Reply-To: =?utf-8?B?0J7Qu9GM0LPQsCDQkdC+0LnQutC+?= <olga.b@ukr.test>
To: shop@example.com
Subject: New message from the contact form
Message-ID: <form-x0@example.com>
Date: Mon, 7 Dec 2026 04:50:00 +0000
Content-Type: text/plain; charset=utf-8

Чи є у вас подарункові сертифікати?
";

const FORM_JOHN: &str = "From: Shop website <forms@example.com>
Reply-To: John Carter <john.c@custmail.test>
To: shop@example.com
Subject: New message from the contact form
Message-ID: <form-x1@example.com>
Date: Mon, 7 Dec 2026 04:55:00 +0000
Content-Type: text/plain; charset=utf-8

Do you ship to Canada?
";

#[test]
fn web_form_mail_from_two_people_is_two_tickets_and_each_reply_goes_to_its_person() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, captured) = config(dir.path());
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &cfg, dir.path(), &[FORM_OLGA, FORM_JOHN]);

    let tickets = store.tickets().unwrap();
    assert_eq!(tickets.len(), 2, "two people, two tickets: {tickets:?}");
    let mut by_email = std::collections::HashMap::new();
    for t in &tickets {
        let c = store.customer(t.customer_id).unwrap();
        assert_ne!(
            c.name, "Shop website",
            "the form robot is nobody's customer"
        );
        by_email.insert(c.emails[0].clone(), (t.id, c.name.clone()));
    }
    let (olga_ticket, olga_name) = by_email["olga.b@ukr.test"].clone();
    assert_eq!(olga_name, "Ольга Бойко");
    let (john_ticket, john_name) = by_email["john.c@custmail.test"].clone();
    assert_eq!(john_name, "John Carter");

    let raw = reply_and_capture(&mut store, &cfg, &captured, olga_ticket, "Так, є!");
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some("olga.b@ukr.test"), "{raw}");
    assert_eq!(to.name(), Some("Ольга Бойко"), "{raw}");

    let raw = reply_and_capture(&mut store, &cfg, &captured, john_ticket, "Yes, we do.");
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.address(), Some("john.c@custmail.test"), "{raw}");
    assert_eq!(to.name(), Some("John Carter"), "{raw}");
}

#[test]
fn show_names_the_reply_to_person_of_a_web_form() {
    let (dir, db, config) = support::temp_paths();
    let a = dir.path().join("a.eml");
    let b = dir.path().join("b.eml");
    std::fs::write(&a, FORM_OLGA.replace('\n', "\r\n")).unwrap();
    std::fs::write(&b, FORM_JOHN.replace('\n', "\r\n")).unwrap();
    support::run_ok(
        support::cli(&db, &config)
            .args(["--no-demo", "import"])
            .arg(&a)
            .arg(&b),
    );
    let store = Store::open(&db).unwrap();
    let tickets = store.tickets().unwrap();
    assert_eq!(tickets.len(), 2);
    for t in tickets {
        let out = support::run_ok(support::cli(&db, &config).args([
            "--no-demo",
            "show",
            &t.id.to_string(),
        ]));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(!text.contains("Shop website"), "{text}");
        assert!(
            text.contains("Ольга Бойко") ^ text.contains("John Carter"),
            "each ticket shows its own person:\n{text}"
        );
    }
}

/// RFC 2047 §5: an encoded word is never inside a quoted string. A strict client shows
/// `"=?utf-8?B?…?="` as it stands (a new-user trial's sent mail had it in From and To).
#[test]
fn sent_mail_names_are_encoded_words_outside_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, captured) = config(dir.path());
    cfg.agent.name = "Олена Коваль-Петрищенко, магазин «Шоп» — служба підтримки".into();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &cfg, dir.path(), &[FORM_OLGA]);
    let ticket = store.tickets().unwrap()[0].id;
    let raw = reply_and_capture(&mut store, &cfg, &captured, ticket, "Так, є!");
    for name in ["From", "To"] {
        let line = header(&raw, name);
        assert!(!line.contains("\"=?"), "{line}");
        assert!(line.contains("=?utf-8?B?"), "{line}");
    }
    for line in raw
        .replace("\r\n", "\n")
        .split("\n\n")
        .next()
        .unwrap()
        .lines()
    {
        for word in line.split_whitespace().filter(|w| w.starts_with("=?")) {
            assert!(word.len() <= 75, "encoded word over 75 characters: {word}");
        }
    }
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.name(), Some(cfg.agent.name.as_str()), "{raw}");
    assert_eq!(from.address(), Some("shop@example.com"));
    let to = parsed.to().and_then(|a| a.first()).unwrap();
    assert_eq!(to.name(), Some("Ольга Бойко"), "{raw}");
}

#[test]
fn an_ascii_name_with_a_comma_is_still_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let (mut cfg, captured) = config(dir.path());
    cfg.agent.name = "Carter, John \"JC\"".into();
    let mut store = Store::open_in_memory().unwrap();
    import(&mut store, &cfg, dir.path(), &[FORM_JOHN]);
    let ticket = store.tickets().unwrap()[0].id;
    let raw = reply_and_capture(&mut store, &cfg, &captured, ticket, "Yes.");
    let parsed = mail_parser::MessageParser::default()
        .parse(raw.as_bytes())
        .unwrap();
    let from = parsed.from().and_then(|a| a.first()).unwrap();
    assert_eq!(from.name(), Some("Carter, John \"JC\""), "{raw}");
}

/// A reply to mail without a subject went out as `Re: (no subject)`, the placeholder
/// title shown as if the customer had written it (a new-user trial).
#[test]
fn a_reply_to_mail_without_a_subject_does_not_say_re_no_subject() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, captured) = config(dir.path());
    let mut store = Store::open_in_memory().unwrap();
    let mail = "From: Igor <igor@customer.test>\nTo: shop@example.com\nMessage-ID: <nosubj-1@customer.test>\nDate: Mon, 7 Dec 2026 04:50:00 +0000\n\nWhere is my parcel?\n";
    import(&mut store, &cfg, dir.path(), &[mail]);
    let ticket = store.tickets().unwrap()[0].id;
    let raw = reply_and_capture(&mut store, &cfg, &captured, ticket, "On its way.");
    assert!(!raw.contains("(no subject)"), "{raw}");
    assert!(
        !header_opt(&raw, "Subject").is_some_and(|s| s.contains("Re:")),
        "{raw}"
    );
}

fn header_opt(raw: &str, name: &str) -> Option<String> {
    let raw = raw.replace("\r\n", "\n");
    raw.split("\n\n")
        .next()
        .unwrap()
        .split('\n')
        .find(|l| {
            l.to_lowercase()
                .starts_with(&format!("{}:", name.to_lowercase()))
        })
        .map(str::to_string)
}

fn customer_mail(id: &str, body: &str) -> String {
    format!(
        "From: Ivan Petrenko <ivan@customer.test>\nTo: shop@example.com\nSubject: Order 10281\nMessage-ID: <{id}>\nDate: Mon, 7 Dec 2026 04:00:00 +0000\n\n{body}\n"
    )
}

/// An out-of-office answer to our reply put the ticket back in Needs reply (a new-user
/// trial): it joins the ticket marked as an automatic reply and leaves the wait alone.
#[test]
fn an_auto_reply_joins_its_ticket_without_bringing_it_back_to_needs_reply() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, captured) = config(dir.path());
    let mut store = Store::open_in_memory().unwrap();
    import(
        &mut store,
        &cfg,
        dir.path(),
        &[&customer_mail("q1@customer.test", "Where is it?")],
    );
    let ticket = store.tickets().unwrap()[0].id;
    let sent = reply_and_capture(&mut store, &cfg, &captured, ticket, "It ships today.");
    let ours = header(&sent, "Message-ID");
    let ours = ours
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .trim_matches(['<', '>'])
        .to_string();
    assert!(!store.ticket(ticket).unwrap().needs_reply(Utc::now()));

    for extra in [
        "Auto-Submitted: auto-replied\n",
        "X-Autoreply: yes\n",
        "Precedence: auto_reply\n",
    ] {
        let ooo = format!(
            "From: Ivan Petrenko <ivan@customer.test>\nTo: shop@example.com\nSubject: Out of office: Re: Order 10281\nMessage-ID: <ooo-{}@customer.test>\nIn-Reply-To: <{ours}>\n{extra}Date: {}\n\nI am away until Monday.\n",
            extra.len(),
            later()
        );
        import(&mut store, &cfg, dir.path(), &[&ooo]);
        assert_eq!(store.tickets().unwrap().len(), 1, "{extra}");
        let t = store.ticket(ticket).unwrap();
        assert!(!t.needs_reply(Utc::now()), "{extra}: {t:?}");
        let last = store.messages(ticket).unwrap().pop().unwrap();
        assert!(last.body.contains("away until Monday"), "{last:?}");
        assert!(
            last.body.contains("automatic reply") || last.author.contains("Automatic reply"),
            "{last:?}"
        );
    }
}

/// A MAILER-DAEMON bounce for our reply opened a ticket of its own and the reply still
/// looked delivered (a new-user trial): it lands on the reply's ticket saying
/// "bounced: <reason>", and the ticket needs a reply again.
#[test]
fn a_bounce_for_our_reply_marks_its_ticket_and_opens_no_ticket() {
    let dir = tempfile::tempdir().unwrap();
    let (cfg, captured) = config(dir.path());
    let mut store = Store::open_in_memory().unwrap();
    import(
        &mut store,
        &cfg,
        dir.path(),
        &[&customer_mail("q2@customer.test", "Where is it?")],
    );
    let ticket = store.tickets().unwrap()[0].id;
    let sent = reply_and_capture(&mut store, &cfg, &captured, ticket, "It ships today.");
    let ours = header(&sent, "Message-ID");
    let ours = ours
        .split_once(':')
        .unwrap()
        .1
        .trim()
        .trim_matches(['<', '>'])
        .to_string();
    let bounce = format!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.com>\nTo: shop@example.com\nSubject: Undelivered Mail Returned to Sender\nMessage-ID: <bounce-1@mx.example.com>\nDate: {}\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nI'm sorry to have to inform you that your message could not be delivered.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822; ivan@customer.test\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 User unknown\n\n--B\nContent-Type: text/rfc822-headers\n\nFrom: shop@example.com\nTo: ivan@customer.test\nSubject: Re: Order 10281\nMessage-ID: <{ours}>\n\n--B--\n",
        later()
    );
    import(&mut store, &cfg, dir.path(), &[&bounce]);
    let tickets = store.tickets().unwrap();
    assert_eq!(tickets.len(), 1, "no ticket to MAILER-DAEMON: {tickets:?}");
    let t = store.ticket(ticket).unwrap();
    assert!(t.needs_reply(Utc::now()), "the reply did not arrive: {t:?}");
    let last = store.messages(ticket).unwrap().pop().unwrap();
    assert!(
        last.body.contains("bounced: 550 5.1.1 User unknown"),
        "{last:?}"
    );
}

/// A Date a minute from now: intake places it at the import (never in the future), so
/// it comes after a reply just sent.
fn later() -> String {
    (Utc::now() + Duration::minutes(1)).to_rfc2822()
}
