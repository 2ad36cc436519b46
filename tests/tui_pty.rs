//! End to end: the real `firstline` binary in a pseudo-terminal, read back through
//! a vt100 emulator, on a temporary database. Tests poll the screen (and the
//! database) for what they expect instead of sleeping fixed times, with generous
//! deadlines so a loaded machine does not make them flaky.

#![cfg(unix)]

use std::path::Path;
use std::time::Duration;

use firstline::model::{Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status};
use firstline::store::Store;

#[path = "support/mod.rs"]
mod support;
use support::{temp_paths, Console};

fn outbound_bodies(db: &Path) -> Vec<String> {
    let store = Store::open(db).unwrap();
    store
        .tickets()
        .unwrap()
        .iter()
        .flat_map(|t| store.messages(t.id).unwrap())
        .filter(|m| m.direction == Direction::Outbound)
        .map(|m| m.body)
        .collect()
}

#[test]
fn opens_a_ticket_sends_a_reply_and_quits() {
    let (_dir, db, config) = temp_paths();
    let mut console = Console::start(&db, &config);
    console.wait_for("Needs reply");
    console.wait_for("Charged twice");
    console.send("\r");
    console.send("r");
    console.wait_for("Reply to");
    let reply = "Refund done, thanks.";
    console.type_text(reply);
    console.wait_for(reply);
    console.send("\x13"); // Ctrl-S
    let screen = console.wait_for("sent · u to undo");
    assert!(
        screen.contains("(reply)"),
        "the sent reply is shown:\n{screen}"
    );
    assert!(screen.contains(reply), "{screen}");
    console.send("q");
    let status = console.wait_exit();
    assert!(status.success(), "{status:?}");
    assert!(
        outbound_bodies(&db).iter().any(|b| b == reply),
        "the reply is stored"
    );
    let parser = console.parser.lock().unwrap();
    assert!(
        !parser.screen().alternate_screen(),
        "the terminal left the alternate screen"
    );
    assert_eq!(
        parser.screen().mouse_protocol_mode(),
        vt100::MouseProtocolMode::None,
        "mouse reporting is switched off again"
    );
    assert!(
        !parser.screen().hide_cursor(),
        "the cursor is visible again"
    );
}

#[test]
fn draft_survives_the_process_being_killed_mid_reply() {
    let (_dir, db, config) = temp_paths();
    let mut console = Console::start(&db, &config);
    console.wait_for("Needs reply");
    console.send("r");
    console.wait_for("Reply to");
    let draft = "Half-written answer that must survive";
    console.type_text(draft);
    console.wait_for(draft);
    // Past the autosave debounce (1 s after typing stops), then no goodbye at all.
    std::thread::sleep(Duration::from_millis(1800));
    console.kill_hard();

    let store = Store::open(&db).unwrap();
    let drafts = store.drafts().unwrap();
    assert!(
        drafts.iter().any(|d| d.body == draft),
        "draft in the store: {drafts:?}"
    );
    drop(store);

    let mut again = Console::start(&db, &config);
    let screen = again.wait_for(draft);
    assert!(screen.contains("Reply to"), "{screen}");
    again.send("q");
    again.wait_exit();
}

#[test]
fn escape_sequences_in_a_message_change_neither_title_nor_screen() {
    let (_dir, db, config) = temp_paths();
    {
        let mut store = Store::open(&db).unwrap();
        store
            .create_ticket(&NewTicket {
                subject: "Printer on fire".into(),
                customer: NewCustomer {
                    name: "Mallory\u{1b}]0;evil\u{7}".into(),
                    email: Some("mallory@example.net".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Urgent,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Mallory".into(),
                    body:
                        "Look:\u{1b}]0;pwned\u{7} and \u{1b}[2J and \u{1b}]52;c;ZXZpbA==\u{7} done"
                            .into(),
                    ..Default::default()
                },
            })
            .unwrap();
    }
    let mut console = Console::start(&db, &config);
    console.wait_for("Printer on fire");
    console.send("\r");
    let screen = console.wait_for("pwned");
    assert!(screen.contains("␛]0;pwned␇"), "{screen}");
    assert!(screen.contains("␛[2J"), "{screen}");
    assert!(screen.contains("␛]52;c;ZXZpbA=="), "{screen}");
    assert!(
        screen.contains("Needs reply") && screen.contains("done"),
        "the screen was not cleared:\n{screen}"
    );
    {
        let parser = console.parser.lock().unwrap();
        let rec = parser.callbacks();
        assert!(rec.titles.is_empty(), "title changed: {:?}", rec.titles);
        assert_eq!(rec.clipboard, 0, "clipboard written");
        assert_eq!(rec.bells, 0, "bell rung");
    }
    console.send("q");
    assert!(console.wait_exit().success());
}

#[test]
fn ctrl_e_round_trips_the_draft_through_the_editor() {
    let (dir, db, config) = temp_paths();
    let editor = dir.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nprintf '\\nAdded in the editor.' >> \"$1\"\n",
    )
    .unwrap();
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let mut console = Console::start_env(&db, &config, &[("EDITOR", &editor)]);
    console.wait_for("Needs reply");
    console.send("r");
    console.wait_for("Reply to");
    console.type_text("Typed here.");
    console.wait_for("Typed here.");
    console.send("\x05"); // Ctrl-E
    let screen = console.wait_for("Added in the editor.");
    assert!(screen.contains("Typed here."), "{screen}");
    assert!(screen.contains("draft updated from the editor"), "{screen}");
    console.send("\x03"); // Ctrl-C quits from the composer too, saving the draft
    assert!(console.wait_exit().success());
    let drafts = Store::open(&db).unwrap().drafts().unwrap();
    assert!(
        drafts
            .iter()
            .any(|d| d.body == "Typed here.\nAdded in the editor."),
        "{drafts:?}"
    );
}

#[test]
fn slash_searches_as_you_type_in_the_background() {
    let (_dir, db, config) = temp_paths();
    let mut console = Console::start(&db, &config);
    console.wait_for("Needs reply");
    console.send("/");
    console.type_text("пароль");
    let screen = console.wait_until("only the password ticket listed", |s| {
        s.contains("Search “пароль” · 1 found") && !s.contains("Charged twice")
    });
    assert!(screen.contains("Олена Коваль"), "{screen}");
    console.send("\x1b");
    console.wait_until("the view is back", |s| {
        s.contains("Needs reply ·") && s.contains("Charged twice")
    });
    console.send("q");
    assert!(console.wait_exit().success());
}

#[test]
fn ctrl_z_hands_the_terminal_back_and_redraws_on_return() {
    let (_dir, db, config) = temp_paths();
    let mut console = Console::start(&db, &config);
    console.wait_for("Charged twice");
    console.send("r");
    console.wait_for("Reply to");
    console.type_text("Before the break.");
    console.wait_for("Before the break.");
    // In this test the console leads its own session, so the stop signal is
    // discarded by the kernel and it resumes at once: what is checked is that
    // suspending saved the draft and the screen comes back whole.
    console.send("\x1a");
    let screen = console.wait_until("the console redrawn after resuming", |s| {
        s.contains("welcome back") && s.contains("Before the break.") && s.contains("Needs reply")
    });
    assert!(screen.contains("Tone"), "{screen}");
    let drafts = Store::open(&db).unwrap().drafts().unwrap();
    assert!(
        drafts.iter().any(|d| d.body == "Before the break."),
        "{drafts:?}"
    );
    console.send("\x03");
    assert!(console.wait_exit().success());
}

fn write_mail(dir: &Path, name: &str, subject: &str, id: &str) {
    let text = format!(
        "From: Ivan Petrenko <ivan@example.com>\r\nTo: help@shop.example\r\nSubject: {subject}\r\nMessage-ID: <{id}@example.com>\r\nDate: Thu, 26 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nДобрий день! {subject}\r\n"
    );
    let tmp = dir.join("tmp").join(name);
    std::fs::write(&tmp, text).unwrap();
    std::fs::rename(&tmp, dir.join("new").join(name)).unwrap();
}

#[test]
fn watched_maildir_is_imported_at_start_and_new_mail_appears_live() {
    let (dir, db, config) = temp_paths();
    let maildir = dir.path().join("Maildir");
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    write_mail(&maildir, "1.eml", "Waiting since morning", "first");
    std::fs::write(
        &config,
        format!("[mail]\nwatch = [{:?}]\n", maildir.display().to_string()),
    )
    .unwrap();
    let console = Console::start(&db, &config);
    console.wait_for("Waiting since morning");
    write_mail(&maildir, "2.eml", "Arrived while open", "second");
    let screen = console.wait_for("Arrived while open");
    assert!(
        screen.contains("new message"),
        "the status bar says mail arrived:\n{screen}"
    );
}

/// Issue #13 item 8: a WhatsApp customer who writes only Ukrainian, whose last
/// message is "[Media omitted]", is Ukrainian: the sidebar says so, the canned
/// picker offers Ukrainian first, and a Ukrainian reply draws no language warning.
#[test]
fn language_from_the_customers_words_not_a_media_placeholder() {
    let (dir, db, config) = temp_paths();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/mail/WhatsApp Chat with Іван Сидоренко.txt");
    let export = std::fs::read_to_string(&fixture)
        .unwrap_or_else(|e| panic!("missing fixture {}: {e}", fixture.display()));
    // The export as it is when the customer's last message is a photo.
    let ends_with_media: Vec<&str> = export
        .lines()
        .take_while(|l| !l.ends_with("Дякую!"))
        .collect();
    assert!(ends_with_media.last().unwrap().ends_with("<Media omitted>"));
    let chat = dir.path().join("WhatsApp Chat with Іван Сидоренко.txt");
    std::fs::write(&chat, ends_with_media.join("\n") + "\n").unwrap();
    support::run_ok(
        support::cli(&db, &config)
            .arg("import")
            .arg(&chat)
            .arg("--me")
            .arg("Taras"),
    );
    let mut console = Console::start(&db, &config);
    console.wait_for("Іван Сидоренко");
    console.send("\r");
    let screen = console.wait_for("[Media omitted]");
    assert!(
        screen.contains("Іван Сидоренко · uk ·"),
        "the customer line says Ukrainian:\n{screen}"
    );
    console.send("c");
    let picker = console.wait_for("Canned responses");
    assert!(
        picker.contains("★ uk"),
        "the picker suggests Ukrainian replies:\n{picker}"
    );
    assert!(!picker.contains("★ en"), "no English suggestion:\n{picker}");
    console.send("\x1b");
    console.wait_until("the picker closed", |s| !s.contains("Canned responses"));
    console.send("r");
    console.wait_for("Reply to");
    console.type_text("Добрий день, Іване! Заміну відправимо сьогодні, номер ТТН надішлю ввечері.");
    let screen = console.wait_for("ввечері.");
    assert!(
        !screen.contains("customer writes"),
        "no language warning on a Ukrainian reply:\n{screen}"
    );
}

/// Issue #13 item 7, end to end: a line longer than the pane does not swallow the
/// short line after it ("Проверьте, пожалуйста." stays above the sign-off).
#[test]
fn thread_view_keeps_hard_line_breaks_after_a_long_line() {
    let (_dir, db, config) = temp_paths();
    {
        let mut store = Store::open(&db).unwrap();
        store
            .create_ticket(&NewTicket {
                subject: "Оплата счёта".into(),
                customer: NewCustomer {
                    name: "Виктория Ремизова".into(),
                    email: Some("vr@example.ru".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Виктория Ремизова".into(),
                    body: "Я оплатила заказ, но в личном кабинете он до сих пор не отображается, хотя деньги списаны.\nПроверьте, пожалуйста.\nС уважением, Виктория Ремизова".into(),
                    ..Default::default()
                },
            })
            .unwrap();
    }
    let mut console = Console::start(&db, &config);
    console.wait_for("Оплата счёта");
    console.send("\r");
    let screen = console.wait_for("Проверьте");
    let own_row = |text: &str| {
        screen.lines().any(|row| {
            row.find(text)
                .is_some_and(|at| row[..at].chars().all(|c| c == ' ' || c == '│'))
        })
    };
    assert!(own_row("Проверьте, пожалуйста."), "{screen}");
    assert!(own_row("С уважением, Виктория Ремизова"), "{screen}");
    console.send("q");
    assert!(console.wait_exit().success());
}

/// Issue #13 item 7, end to end in the composer: a wrapped reply never starts a
/// row with the space it broke at or with the punctuation of the word before
/// ("24 години" / ". Якщо").
#[test]
fn composer_wraps_without_leading_spaces_or_orphaned_punctuation() {
    let (_dir, db, config) = temp_paths();
    let mut console = Console::start(&db, &config);
    console.wait_for("Needs reply");
    console.send("\r");
    console.send("r");
    console.wait_for("Reply to");
    // At 120 columns the composer is 37 wide: the first sentence fills a row
    // exactly, so a wrapper that breaks before punctuation starts row two with ".".
    let reply = "Ми перевіримо замовлення за 24 години. Якщо щось зміниться, ми напишемо вам одразу, добре? Дякуємо за терпіння.";
    console.type_text(reply);
    let screen = console.wait_for("терпіння.");
    let rows: Vec<String> = screen
        .lines()
        .filter_map(|row| {
            let start = row
                .find("││")
                .map(|i| i + "││".len())
                .or_else(|| row.starts_with('│').then_some('│'.len_utf8()))?;
            let inside = row[start..].split('│').next()?;
            reply
                .split(' ')
                .any(|w| w.len() > 6 && inside.contains(w))
                .then(|| inside.trim_end().to_string())
        })
        .collect();
    assert!(rows.len() > 1, "the reply wraps:\n{screen}");
    for row in &rows {
        assert!(
            !row.starts_with([' ', '.', ',', '?']),
            "a composer row starts with '{}':\n{screen}",
            row.chars().next().unwrap_or(' ')
        );
    }
    assert_eq!(rows.join(" "), reply, "{screen}");
}
