//! Intake specs: every format and hard case on the project's own fixtures
//! (`tests/fixtures/mail`), plus the real corpora in `../shared/data/mail` (a failure naming it when missing).

#[path = "support/shared_data.rs"]
mod shared_data;
mod support;

use std::path::{Path, PathBuf};

use firstline::config::Config;
use firstline::mail::{export_mbox, import_paths, Format, ImportOptions, ImportReport};
use firstline::model::{Channel, Direction, Message, Status, Ticket};
use firstline::store::Store;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail")
        .join(name)
}

fn config() -> Config {
    let mut c = Config::default();
    c.agent.name = "Taras".into();
    c.agent.email = "help@shop.example".into();
    c.mail.addresses = vec!["help@shop.example".into()];
    c
}

fn import(store: &mut Store, paths: &[PathBuf], options: &ImportOptions) -> ImportReport {
    import_paths(store, &config(), paths, options, &mut |_| {}).expect("import runs")
}

fn import_one(store: &mut Store, name: &str) -> ImportReport {
    import(store, &[fixture(name)], &ImportOptions::default())
}

fn all_tickets(store: &Store) -> Vec<Ticket> {
    store.tickets().unwrap()
}

fn thread(store: &Store, ticket: i64) -> Vec<Message> {
    store.messages(ticket).unwrap()
}

#[test]
fn imports_windows1251_body_and_encoded_word_subject() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "cp1251.eml");
    assert_eq!(report.added, 1, "{report:?}");
    let t = &all_tickets(&store)[0];
    assert_eq!(t.subject, "Замовлення не прийшло");
    assert_eq!(t.channel, Channel::Email);
    let m = &thread(&store, t.id)[0];
    assert!(
        m.body.contains("перевірити моє замовлення №4512"),
        "{}",
        m.body
    );
    assert_eq!(m.author, "Олена Коваль");
    let customer = store.customer(t.customer_id).unwrap();
    assert_eq!(customer.emails, vec!["olena@example.com.ua"]);
    assert_eq!(m.sent_at.to_rfc3339(), "2026-11-24T07:15:00+00:00");
}

#[test]
fn imports_koi8r_mbox_unescapes_from_lines_and_links_our_sent_answer() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "koi8r.mbox");
    assert_eq!(report.added, 3, "{report:?}");
    assert_eq!(
        report.new_tickets, 1,
        "answer and follow-up thread into one ticket"
    );
    let t = &all_tickets(&store)[0];
    assert_eq!(t.subject, "Оплата счёта");
    let msgs = thread(&store, t.id);
    assert_eq!(
        msgs.iter().map(|m| m.direction).collect::<Vec<_>>(),
        vec![Direction::Inbound, Direction::Outbound, Direction::Inbound]
    );
    assert!(msgs[0].body.contains("Не могу оплатить счёт."));
    assert!(
        msgs[0]
            .body
            .contains("\n>From the bank I got an error.\nFrom now on"),
        "mboxrd unescaping: {:?}",
        msgs[0].body
    );
    assert_eq!(msgs[0].author, "Иван Петров");
    assert_eq!(
        t.first_response_at.map(|t| t.to_rfc3339()).as_deref(),
        Some("2026-11-23T08:30:00+00:00"),
        "true first-response time from the Sent mail"
    );
    assert_eq!(
        store.customer(t.customer_id).unwrap().emails,
        vec!["ivan@example.ru"]
    );
}

#[test]
fn nested_multipart_keeps_plain_text_and_stores_attachments_by_hash() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let mut store = Store::open(&db).unwrap();
    let report = import_one(&mut store, "nested.eml");
    assert_eq!(report.added, 1, "{report:?}");
    let t = &all_tickets(&store)[0];
    let m = &thread(&store, t.id)[0];
    assert!(m.body.contains("Grüße, Anna"), "{:?}", m.body);
    assert!(!m.body.contains("<p>"));
    assert!(m.html_body.as_deref().unwrap_or("").contains("<p>"));
    let names: Vec<&str> = m.attachments.iter().map(|a| a.filename.as_str()).collect();
    assert!(names.contains(&"рахунок.pdf"), "{names:?}");
    assert!(
        names.contains(&"logo.png"),
        "inline image listed: {names:?}"
    );
    let pdf = m
        .attachments
        .iter()
        .find(|a| a.filename == "рахунок.pdf")
        .unwrap();
    assert_eq!(pdf.content_type, "application/pdf");
    let sha = pdf.sha256.as_deref().expect("content kept");
    let stored = std::fs::read(
        firstline::store::FsBlobs::beside(&db, firstline::store::Bucket::Attachments)
            .dir()
            .to_path_buf()
            .join(sha),
    )
    .unwrap();
    assert!(stored.starts_with(b"%PDF-1.4"));
    assert_eq!(stored.len() as u64, pdf.size);
}

#[test]
fn attachment_over_the_limit_keeps_only_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let mut store = Store::open(&db).unwrap();
    let mut cfg = config();
    cfg.mail.attachment_limit_mb = 0;
    let report = import_paths(
        &mut store,
        &cfg,
        &[fixture("nested.eml")],
        &ImportOptions::default(),
        &mut |_| {},
    )
    .unwrap();
    let t = &all_tickets(&store)[0];
    let m = &thread(&store, t.id)[0];
    assert!(m.attachments.iter().all(|a| a.sha256.is_none()));
    assert!(report
        .warnings
        .iter()
        .any(|w| w.reason.contains("over the size limit")));
}

#[test]
fn malformed_headers_and_truncated_multipart_import_with_a_warning() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "malformed.eml");
    assert_eq!(report.added, 1, "{report:?}");
    assert!(report.failures.is_empty());
    let t = &all_tickets(&store)[0];
    let m = &thread(&store, t.id)[0];
    assert!(
        m.body.contains("before the connection dropped"),
        "{:?}",
        m.body
    );
    let reasons: Vec<&str> = report.warnings.iter().map(|w| w.reason.as_str()).collect();
    assert!(
        reasons.iter().any(|r| r.contains("truncated")),
        "{reasons:?}"
    );
    assert!(reasons.iter().any(|r| r.contains("Date")), "{reasons:?}");
    assert!(report.warnings[0].location.ends_with("malformed.eml"));
}

#[test]
fn nul_bytes_are_dropped_not_fatal() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "nul.eml");
    assert_eq!(report.added, 1, "{report:?}");
    let t = &all_tickets(&store)[0];
    assert!(!t.subject.contains('\0'));
    let m = &thread(&store, t.id)[0];
    assert_eq!(m.body.trim(), "Beforeafter the NUL byte.");
}

#[test]
fn html_only_mail_is_readable_text() {
    let mut store = Store::open_in_memory().unwrap();
    import_one(&mut store, "html-only.eml");
    let t = &all_tickets(&store)[0];
    let m = &thread(&store, t.id)[0];
    assert!(m.body.contains("New order"), "{:?}", m.body);
    assert!(m.body.contains("kettle & cups"), "{:?}", m.body);
    assert!(!m.body.contains("<b>"));
}

#[test]
fn twenty_megabyte_message_is_stored_with_a_capped_body() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.eml");
    let mut raw = b"From: big@example.com\nSubject: Huge log\nDate: Thu, 26 Nov 2026 08:00:00 +0000\nMessage-ID: <big-1@example.com>\n\n".to_vec();
    let line = b"2026-11-26 08:00:00 ERROR something failed in the payment module\n";
    while raw.len() < 20 * 1024 * 1024 {
        raw.extend_from_slice(line);
    }
    std::fs::write(&path, &raw).unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let report = import(&mut store, &[path], &ImportOptions::default());
    assert_eq!(report.added, 1, "{:?}", report.failures);
    let t = &all_tickets(&store)[0];
    let m = &thread(&store, t.id)[0];
    assert!(m.body.len() < 2 * 1024 * 1024);
    assert!(m.body.contains("[firstline: body cut at 1.0 MB of 20.0 MB"));
    assert_eq!(
        store.raw_message(m.id).unwrap().map(|r| r.len()),
        Some(raw.len()),
        "the whole message is kept raw"
    );
}

#[test]
fn maildir_threads_by_subject_and_honours_the_seen_flag() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "maildir");
    assert_eq!(report.formats[&Format::Maildir].added, 2, "{report:?}");
    let tickets = all_tickets(&store);
    assert_eq!(
        tickets.len(),
        1,
        "Re: from the same customer joins the ticket"
    );
    assert_eq!(thread(&store, tickets[0].id).len(), 2);
    assert!(tickets[0].unread, "the newest message is unseen");
    assert_eq!(
        tickets[0]
            .awaiting_reply_since
            .map(|t| t.to_rfc3339())
            .as_deref(),
        Some("2026-11-26T07:00:00+00:00")
    );
}

#[test]
fn reimporting_the_same_sources_adds_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let paths = vec![
        fixture("cp1251.eml"),
        fixture("koi8r.mbox"),
        fixture("maildir"),
        fixture("telegram/result.json"),
        fixture("WhatsApp Chat with Іван Сидоренко.txt"),
        fixture("forms.csv"),
    ];
    let first = import(&mut store, &paths, &ImportOptions::default());
    assert!(first.added > 10, "{first:?}");
    let before = store.export().unwrap();
    let second = import(&mut store, &paths, &ImportOptions::default());
    assert_eq!(second.added, 0, "{second:?}");
    assert_eq!(
        second.duplicate_message_ids + second.duplicate_content,
        first.added
    );
    let after = store.export().unwrap();
    assert_eq!(before.tickets, after.tickets);
    assert_eq!(before.messages, after.messages);
}

#[test]
fn dry_run_reports_exact_counts_and_changes_nothing() {
    let mut store = Store::open_in_memory().unwrap();
    let options = ImportOptions {
        dry_run: true,
        ..Default::default()
    };
    let report = import(&mut store, &[fixture("koi8r.mbox")], &options);
    assert!(report.dry_run);
    assert_eq!(report.added, 3);
    assert_eq!(report.new_tickets, 1);
    assert!(all_tickets(&store).is_empty());
}

#[test]
fn a_killed_import_resumes_to_exactly_the_uninterrupted_result() {
    let dir = tempfile::tempdir().unwrap();
    let mbox = dir.path().join("big.mbox");
    let mut data = Vec::new();
    for i in 0..40 {
        let reply = if i % 2 == 1 {
            format!("In-Reply-To: <q{}@example.com>\n", i - 1)
        } else {
            String::new()
        };
        let mail = support::mbox_message(&support::Mail {
            from: &format!("c{i}@example.com"),
            name: &format!("Customer {i}"),
            subject: &format!("Question {}", i / 2),
            date: chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 26, 8, i % 60, 0)
                .unwrap(),
            message_id: &format!("q{i}@example.com"),
            headers: &reply,
            body: &format!("Question number {i}\n"),
        });
        data.extend_from_slice(mail.as_bytes());
    }
    std::fs::write(&mbox, &data).unwrap();
    let small = ImportOptions {
        batch_size: 7,
        ..Default::default()
    };

    let mut whole = Store::open_in_memory().unwrap();
    import(&mut whole, std::slice::from_ref(&mbox), &small);

    let mut resumed = Store::open_in_memory().unwrap();
    let killed = import(
        &mut resumed,
        std::slice::from_ref(&mbox),
        &ImportOptions {
            stop_after: Some(17),
            ..small.clone()
        },
    );
    assert!(killed.stopped_early);
    assert_eq!(
        killed.added, 14,
        "two batches of 7 committed, the third lost"
    );
    let rest = import(&mut resumed, std::slice::from_ref(&mbox), &small);
    assert_eq!(
        rest.messages(),
        26,
        "resumed after the last committed batch"
    );
    assert_eq!(rest.duplicate_message_ids + rest.duplicate_content, 0);

    let (a, b) = (whole.export().unwrap(), resumed.export().unwrap());
    assert_eq!(a.tickets, b.tickets);
    assert_eq!(a.messages, b.messages);
    assert_eq!(a.customers.len(), b.customers.len());
}

#[test]
fn telegram_export_skips_service_messages_and_lists_media() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "telegram/result.json");
    assert_eq!(report.service_messages, 2);
    assert_eq!(report.added, 5, "{report:?}");
    let tickets = all_tickets(&store);
    assert_eq!(tickets.len(), 1);
    let t = &tickets[0];
    assert_eq!(t.channel, Channel::Chat);
    assert_eq!(t.subject, "Telegram: Олена Коваль");
    let msgs = thread(&store, t.id);
    assert_eq!(
        msgs[1].attachments[0].filename,
        "photo_1@20-11-2026_10-06-00.jpg"
    );
    assert_eq!(msgs[1].attachments[0].size, 48213);
    assert_eq!(msgs[2].direction, Direction::Outbound);
    assert_eq!(
        msgs[2].body,
        "Так, звісно. Надішліть, будь ласка, номер замовлення."
    );
    assert_eq!(msgs[2].in_reply_to, msgs[0].message_id);
    assert_eq!(msgs[3].attachments[0].content_type, "application/pdf");
    assert!(msgs[4].body.contains("sticker"));
    let customer = store.customer(t.customer_id).unwrap();
    assert_eq!(customer.handles, vec!["telegram:user5550001"]);
    assert!(t.first_response_at.is_some());
}

#[test]
fn whatsapp_export_joins_multiline_messages_and_finds_who_is_who() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "WhatsApp Chat with Іван Сидоренко.txt");
    assert_eq!(report.service_messages, 1);
    assert_eq!(report.added, 5, "{report:?}");
    let t = &all_tickets(&store)[0];
    assert_eq!(t.subject, "WhatsApp: Іван Сидоренко");
    let msgs = thread(&store, t.id);
    assert_eq!(
        msgs[0].body,
        "Добрий день!\nЗамовлення 7781 прийшло пошкодженим.\nКоробка мокра, чайник тріснув."
    );
    assert_eq!(msgs[1].attachments[0].filename, "IMG-20261126-WA0003.jpg");
    assert_eq!(msgs[2].direction, Direction::Outbound);
    assert_eq!(msgs[2].author, "Taras");
    assert!(msgs[2].body.ends_with("Номер ТТН надішлю ввечері."));
    assert_eq!(msgs[0].sent_at.to_rfc3339(), "2026-11-26T10:01:00+00:00");
}

#[test]
fn csv_forms_open_web_tickets_and_report_empty_rows() {
    let mut store = Store::open_in_memory().unwrap();
    let report = import_one(&mut store, "forms.csv");
    assert_eq!(report.added, 2, "{report:?}");
    assert_eq!(report.failures.len(), 1);
    assert!(report.failures[0].location.ends_with("forms.csv#3"));
    let tickets = all_tickets(&store);
    assert!(tickets.iter().all(|t| t.channel == Channel::Web));
    let refund = tickets
        .iter()
        .find(|t| t.subject == "Refund request")
        .unwrap();
    let m = &thread(&store, refund.id)[0];
    assert!(m
        .body
        .contains("charged twice for order 9921.\nPlease refund"));
    let petro = tickets.iter().find(|t| t.subject == "Доставка").unwrap();
    assert_eq!(
        store.customer(petro.customer_id).unwrap().phone.as_deref(),
        Some("+380 50 123 45 67")
    );
}

#[test]
fn not_mail_files_are_reported_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("notes.txt"),
        "just some notes\nnothing else\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("image.png"), b"\x89PNG\r\n\x1a\n\0\0\0").unwrap();
    std::fs::write(dir.path().join("data.json"), "{\"a\": 1}").unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let report = import(&mut store, &[dir.path().into()], &ImportOptions::default());
    assert_eq!(report.skipped.len(), 3, "{report:?}");
    assert!(report.skipped.iter().all(|s| !s.reason.is_empty()));
}

#[test]
fn mbox_round_trip_gives_the_same_tickets_and_messages() {
    let mut first = Store::open_in_memory().unwrap();
    import(
        &mut first,
        &[
            fixture("cp1251.eml"),
            fixture("koi8r.mbox"),
            fixture("nested.eml"),
            fixture("maildir"),
        ],
        &ImportOptions::default(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("export.mbox");
    let mut file = std::fs::File::create(&out).unwrap();
    let n = export_mbox(&first, &mut file).unwrap();
    drop(file);
    assert_eq!(n, 7);
    let mut second = Store::open_in_memory().unwrap();
    let report = import(&mut second, &[out], &ImportOptions::default());
    assert_eq!(report.added, 7, "{report:?}");
    let strip = |s: &Store| {
        s.tickets()
            .unwrap()
            .into_iter()
            .map(|t| {
                let msgs: Vec<_> = s
                    .messages(t.id)
                    .unwrap()
                    .into_iter()
                    .map(|m| {
                        (
                            m.direction,
                            m.author,
                            m.body,
                            m.sent_at,
                            m.message_id,
                            m.attachments,
                        )
                    })
                    .collect();
                (t.subject, t.status, t.first_response_at, msgs)
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&first), strip(&second));
    assert!(strip(&second).iter().all(|t| t.1 != Status::Spam));
}

/// Every message in `../shared/data/mail` imports or is reported with a reason; a
/// second import adds nothing.
#[test]
fn every_message_in_the_shared_corpora_imports_or_is_reported() {
    let data = shared_data::path("mail");
    let mut store = Store::open_in_memory().unwrap();
    let report = import(
        &mut store,
        std::slice::from_ref(&data),
        &ImportOptions::default(),
    );
    let read = report.messages();
    let accounted = report.added
        + report.duplicate_message_ids
        + report.duplicate_content
        + report.failures.len()
        + report.service_messages;
    assert_eq!(
        read, accounted,
        "every item is added, a duplicate, or a failure"
    );
    // Measured on the read-only corpus (the README quotes them): 640 read, 567 added,
    // 10 failures. Fewer read or added, or more failures, is a regression; more added
    // is an improvement that should update the README's figures.
    assert_eq!(read, 640, "messages read from the corpus");
    assert!(report.added >= 567, "{} added, 567 before", report.added);
    assert!(
        report.failures.len() <= 10,
        "{} failures, 10 before: {:?}",
        report.failures.len(),
        report.failures
    );
    assert!(report.failures.iter().all(|f| !f.reason.is_empty()));
    assert!(report.skipped.iter().all(|f| !f.reason.is_empty()));
    eprintln!(
        "corpus: {} read, {} added, {} duplicates, {} failed, {} non-mail files, {:.0} msg/s",
        read,
        report.added,
        report.duplicate_message_ids + report.duplicate_content,
        report.failures.len(),
        report.skipped.len(),
        report.messages_per_second
    );
    let again = import(&mut store, &[data], &ImportOptions::default());
    assert_eq!(again.added, 0);
}

#[test]
fn cli_import_prints_a_summary_and_paste_opens_a_ticket() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let cli = || Command::from_std(support::cli(&db, &dir.path().join("none.toml")));
    cli()
        .arg("import")
        .arg(fixture("koi8r.mbox"))
        .arg(fixture("forms.csv"))
        .assert()
        .success()
        .stdout(predicates::str::contains("imported 5 messages"))
        .stdout(predicates::str::contains("forms.csv#3"));
    let out = cli()
        .args(["import", "--json"])
        .arg(fixture("koi8r.mbox"))
        .output()
        .unwrap();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["added"], 0);
    let dups = json["duplicate_message_ids"].as_u64().unwrap()
        + json["duplicate_content"].as_u64().unwrap();
    assert_eq!(dups, 3);
    cli()
        .args([
            "import",
            "--paste",
            "--channel",
            "phone",
            "--customer",
            "Ola <ola@example.com>",
        ])
        .write_stdin("Called about invoice 42, wants a copy by mail.")
        .assert()
        .success()
        .stdout(predicates::str::contains("logged the call on ticket #"));
    cli()
        .args(["list", "--view", "all"])
        .assert()
        .success()
        .stdout(predicates::str::contains("Call: Ola"));
}

/// Delivers `fixture` into `maildir` the way an MDA does: written into tmp/, then
/// renamed into new/.
fn deliver(maildir: &Path, fixture_name: &str, name: &str) {
    let tmp = maildir.join("tmp").join(name);
    std::fs::copy(fixture(fixture_name), &tmp).unwrap();
    std::fs::rename(&tmp, maildir.join("new").join(name)).unwrap();
}

#[test]
fn watch_mode_imports_mail_delivered_before_it_started_and_while_it_runs() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    // Hang guard only: each import takes milliseconds.
    let hang_guard = std::time::Duration::from_secs(30);
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Inbox");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    // Arrives before the watch is set up: the watch's own scan must take it, or
    // mail delivered between a first import and the watcher registering is lost.
    deliver(&maildir, "cp1251.eml", "1764150000.M9P9.host");
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = std::sync::mpsc::channel();
    let watcher = {
        let (stop, maildir) = (stop.clone(), maildir.clone());
        std::thread::spawn(move || {
            let mut store = Store::open_in_memory().unwrap();
            firstline::mail::watch(
                &mut store,
                &config(),
                &[maildir],
                &ImportOptions::default(),
                &stop,
                &mut |r| {
                    let _ = tx.send(r.added);
                },
            )
            .unwrap();
            store
        })
    };
    let scanned = rx.recv_timeout(hang_guard);
    if scanned.is_err() {
        stop.store(true, Ordering::Relaxed);
    }
    assert_eq!(
        scanned,
        Ok(1),
        "the watch's first scan imports mail that was already there"
    );
    // The scan runs after the watcher registered, so this one is the watcher's.
    deliver(&maildir, "html-only.eml", "1764150001.M9P9.host");
    let live = rx.recv_timeout(hang_guard);
    stop.store(true, Ordering::Relaxed);
    let store = watcher.join().unwrap();
    assert_eq!(live, Ok(1), "the watcher imported the new mail");
    let mut subjects: Vec<String> = store
        .tickets()
        .unwrap()
        .into_iter()
        .map(|t| t.subject)
        .collect();
    subjects.sort();
    assert_eq!(subjects, ["Order form", "Замовлення не прийшло"]);
}

#[test]
fn a_killed_maildir_import_resumes_after_the_last_committed_file() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("Inbox");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for i in 0..9 {
        std::fs::write(
            maildir.join(format!("cur/17641{i:05}.M{i}P1.host:2,S")),
            format!(
                "From: c{i}@example.com\nSubject: Topic {i}\nDate: Thu, 26 Nov 2026 07:0{i}:00 +0000\nMessage-ID: <md{i}@example.com>\n\nBody {i}\n"
            ),
        )
        .unwrap();
    }
    let small = ImportOptions {
        batch_size: 2,
        ..Default::default()
    };
    let mut whole = Store::open_in_memory().unwrap();
    import(&mut whole, std::slice::from_ref(&maildir), &small);
    let mut resumed = Store::open_in_memory().unwrap();
    let killed = import(
        &mut resumed,
        std::slice::from_ref(&maildir),
        &ImportOptions {
            stop_after: Some(5),
            ..small.clone()
        },
    );
    assert_eq!(killed.added, 4);
    let rest = import(&mut resumed, std::slice::from_ref(&maildir), &small);
    assert_eq!((rest.messages(), rest.added), (5, 5));
    let (a, b) = (whole.export().unwrap(), resumed.export().unwrap());
    assert_eq!(a.tickets, b.tickets);
    assert_eq!(a.messages, b.messages);
    assert!(b.tickets.iter().all(|t| !t.unread), "seen flag honoured");
}

#[test]
fn telegram_full_export_knows_which_messages_are_ours() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("result.json");
    std::fs::write(
        &path,
        r#"{"about": "Here is the data you requested.",
            "personal_information": {"user_id": 777, "first_name": "Taras"},
            "chats": {"about": "chats", "list": [
              {"name": "Bob", "type": "personal_chat", "id": 42, "messages": [
                {"id": 1, "type": "message", "date": "2026-11-20T10:00:00", "from": "Bob", "from_id": "user42", "text": "hi"},
                {"id": 2, "type": "message", "date": "2026-11-20T10:01:00", "from": "Taras", "from_id": "user777", "text": "hello Bob"}
              ]},
              {"name": "Saved Messages", "type": "saved_messages", "id": 777, "messages": []}
            ]}}"#,
    )
    .unwrap();
    let mut store = Store::open_in_memory().unwrap();
    let report = import(&mut store, &[path], &ImportOptions::default());
    assert_eq!(report.added, 2, "{report:?}");
    let t = &all_tickets(&store)[0];
    let msgs = thread(&store, t.id);
    assert_eq!(msgs[0].direction, Direction::Inbound);
    assert_eq!(msgs[1].direction, Direction::Outbound);
}

// ---- pasted transcripts (issue #15 item 8) -----------------------------------------

mod pasted_transcripts {
    use super::*;
    use chrono::{DateTime, TimeZone, Utc};
    use chrono_tz::Europe::Kyiv;
    use firstline::mail::paste::{my_names, parse_transcript, PasteOptions};
    use firstline::model::NewCustomer;

    fn kyiv(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Kyiv.with_ymd_and_hms(2026, 12, d, h, mi, 0)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn options(now: DateTime<Utc>, me: Vec<String>) -> PasteOptions {
        PasteOptions {
            channel: Channel::Chat,
            ticket: None,
            customer: NewCustomer::default(),
            subject: None,
            me,
            now,
            timezone: Kyiv,
        }
    }

    /// Issue #15 item 8: "[10:02] Ivan Petrenko: …" pasted at 01:55 Kyiv time was
    /// filed at 10:02 *today*, eight hours in the future ("waits -8h07m").
    #[test]
    fn issue15_item8_transcript_times_later_than_now_are_the_previous_day() {
        let now = kyiv(3, 1, 55);
        let text = "[10:02] Ivan Petrenko: my order 4512 has not arrived\n\
                    [23:58] Ivan Petrenko: hello?\n\
                    [00:03] Ivan Petrenko: still waiting\n";
        let messages = parse_transcript(text, &options(now, Vec::new()));
        let at: Vec<DateTime<Utc>> = messages.iter().map(|m| m.sent_at).collect();
        assert_eq!(at, vec![kyiv(2, 10, 2), kyiv(2, 23, 58), kyiv(3, 0, 3)]);
        assert!(
            at.iter().all(|t| *t <= now),
            "nothing after the paste: {at:?}"
        );

        let mut store = Store::open_in_memory().unwrap();
        firstline::mail::import_items(
            &mut store,
            &config(),
            Format::Paste,
            messages,
            &ImportOptions::default(),
        )
        .unwrap();
        let t = &all_tickets(&store)[0];
        let waiting = t.awaiting_reply_since.expect("the customer waits");
        assert_eq!(
            waiting,
            kyiv(2, 10, 2),
            "the first unanswered line starts the wait"
        );
        assert!(waiting <= now);
    }

    /// Issue #15 item 8: the agent's own lines are told apart by the `[agent] name`,
    /// its first name (chats show "Oleh") and every `--me` name.
    #[test]
    fn issue15_item8_agent_lines_are_recognised_by_agent_name_first_name_and_me() {
        let me = my_names("Oleh Shevchenko", &["Support Desk".into()]);
        let text = "[10:02] Ivan Petrenko: my order has not arrived\n\
                    [10:03] Oleh: let me check\n\
                    [10:04] Oleh Shevchenko: it ships today\n\
                    [10:05] support desk: tracking number sent\n\
                    [10:06] Ivan Petrenko: thanks\n";
        let messages = parse_transcript(text, &options(kyiv(3, 12, 0), me));
        let directions: Vec<Direction> = messages.iter().map(|m| m.direction).collect();
        use Direction::{Inbound, Outbound};
        assert_eq!(
            directions,
            vec![Inbound, Outbound, Outbound, Outbound, Inbound]
        );
        assert_eq!(messages[0].customer.name, "Ivan Petrenko");
    }

    /// The CLI's `import --paste` takes the agent's name from the config file.
    #[test]
    fn issue15_item8_cli_paste_knows_the_agent_by_first_name_from_the_config() {
        use assert_cmd::Command;
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.db");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, "[agent]\nname = \"Oleh Shevchenko\"\n").unwrap();
        Command::from_std(support::cli(&db, &config))
            .args(["--no-demo", "import", "--paste", "--channel", "chat"])
            .write_stdin("[10:02] Ivan Petrenko: where is my order?\n[10:03] Oleh: checking now\n")
            .assert()
            .success();
        let store = Store::open(&db).unwrap();
        let t = &all_tickets(&store)[0];
        let msgs = thread(&store, t.id);
        let directions: Vec<Direction> = msgs.iter().map(|m| m.direction).collect();
        assert_eq!(directions, vec![Direction::Inbound, Direction::Outbound]);
        assert!(msgs.iter().all(|m| m.sent_at <= Utc::now()), "{msgs:?}");
        assert_eq!(store.customer(t.customer_id).unwrap().name, "Ivan Petrenko");
    }
}

/// A new user's trial: two customers' pasted chats both say "Hello" and "Thanks!".
/// The second paste kept only the line the first had not said — identical words from
/// another person (or another time) were taken for identical content and dropped.
#[test]
fn pasted_lines_another_customer_also_wrote_are_kept() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[agent]\nname = \"Oleh\"\n").unwrap();
    let paste = |customer: &str, text: &str| {
        Command::from_std(support::cli(&db, &config))
            .args(["--no-demo", "import", "--paste", "--channel", "chat"])
            .args(["--customer", customer])
            .write_stdin(text.to_string())
            .assert()
            .success();
    };
    paste(
        "Anna <anna@x.example>",
        "[10:00] Anna: Hello\n[10:05] Anna: Дякую!\n",
    );
    paste(
        "Boris <boris@x.example>",
        "[11:00] Boris: Hello\n[11:02] Boris: my parcel is lost\n[11:05] Boris: Дякую!\n",
    );
    // The same words again from Anna, later: a new message too.
    paste("Anna <anna@x.example>", "[12:00] Anna: Hello\n");
    let store = Store::open(&db).unwrap();
    let mut bodies: Vec<Vec<String>> = all_tickets(&store)
        .iter()
        .map(|t| thread(&store, t.id).into_iter().map(|m| m.body).collect())
        .collect();
    bodies.sort();
    let total: usize = bodies.iter().map(Vec::len).sum();
    assert_eq!(total, 6, "{bodies:?}");
    assert!(
        bodies
            .iter()
            .any(|b| b == &["Hello", "my parcel is lost", "Дякую!"]),
        "{bodies:?}"
    );
    // Pasting the very same transcript again still adds nothing.
    paste(
        "Boris <boris@x.example>",
        "[11:00] Boris: Hello\n[11:02] Boris: my parcel is lost\n[11:05] Boris: Дякую!\n",
    );
    let again: usize = all_tickets(&store)
        .iter()
        .map(|t| thread(&store, t.id).len())
        .sum();
    assert_eq!(again, 6);
}

// ---- call notes on stdin (issue #15 item 7, the CLI path) ---------------------------

/// Issue #15 item 7: typed call notes (`import --paste --channel phone`) were filed as
/// an inbound customer message, leaving the ticket in Needs reply right after the
/// call. They are our contact, and the "Follow-up by:" line is a follow-up.
#[test]
fn issue15_item7_cli_call_notes_answer_the_customer_and_book_the_follow_up() {
    use assert_cmd::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[agent]\nname = \"Oleh Shevchenko\"\n[sla]\ntimezone = \"Europe/Kyiv\"\n",
    )
    .unwrap();
    let cli = || Command::from_std(support::cli(&db, &config));
    cli()
        .args([
            "--no-demo",
            "new",
            "--from",
            "Ivan Petrenko <ivan@example.com>",
        ])
        .args(["--subject", "Order 4512", "--body", "Where is my order?"])
        .assert()
        .success();
    let out = cli()
        .args(["import", "--paste", "--channel", "phone", "--ticket", "1"])
        .write_stdin("Call with Ivan Petrenko\nWhat they need: order 4512\nFollow-up by: 3h\n")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("logged the call on ticket #1") && text.contains("Europe/Kyiv"),
        "{text}"
    );
    let store = Store::open(&db).unwrap();
    let t = store.ticket(1).unwrap();
    assert_eq!(t.status, Status::Open);
    assert_eq!(t.awaiting_reply_since, None, "nobody waits after the call");
    let call = thread(&store, 1).pop().unwrap();
    assert_eq!(
        (call.direction, call.author.as_str()),
        (Direction::Outbound, "Oleh Shevchenko")
    );
    let followups = store.followups(true, Some(1)).unwrap();
    assert_eq!(followups.len(), 1, "{followups:?}");
    assert_eq!(
        followups[0].due_at,
        call.sent_at + chrono::Duration::hours(3)
    );
}

/// The tables that have planner statistics in the file at `db`, read without
/// `Store::open` (whose own bounded refresh would hide what the job left behind).
fn analyzed_tables(db: &Path) -> Vec<String> {
    firstline::store::SqliteStore::analyzed_tables_in(db).unwrap()
}

/// Issue 21: a fresh `dev gen` archive had no planner statistics, so the first
/// console start ran a full ANALYZE before its first frame (19 s on 1M messages).
/// Bulk jobs now leave statistics behind them. Failed before the fix for `dev gen`
/// ("no such table: sqlite_stat1").
#[test]
fn dev_gen_and_import_leave_planner_statistics_behind() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("none.toml");
    let generated = dir.path().join("gen.db");
    support::run_ok(
        support::cli(&dir.path().join("unused.db"), &config)
            .args([
                "dev",
                "gen",
                "--tickets",
                "300",
                "--messages",
                "900",
                "--out",
            ])
            .arg(&generated),
    );
    let analyzed = analyzed_tables(&generated);
    for table in ["tickets", "messages", "customers"] {
        assert!(analyzed.iter().any(|t| t == table), "{table}: {analyzed:?}");
    }

    let imported = dir.path().join("import.db");
    support::run_ok(
        support::cli(&imported, &config)
            .args(["--no-demo", "import"])
            .arg(fixture("koi8r.mbox"))
            .arg(fixture("maildir")),
    );
    let analyzed = analyzed_tables(&imported);
    for table in ["tickets", "messages"] {
        assert!(analyzed.iter().any(|t| t == table), "{table}: {analyzed:?}");
    }
}
