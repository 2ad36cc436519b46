//! The console without a terminal: render tests of every pane and popup at 80×24 and
//! 160×48 (TestBackend, insta snapshots), and key sequences → state. A fixed clock
//! and a fixture queue with fixed times keep the pictures stable.

use chrono::{DateTime, Duration, TimeZone, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tempfile::TempDir;

use firstline::config::Config;
use firstline::model::{
    Channel, Direction, Formality, Language, NewCanned, NewCustomer, NewMessage, NewTicket,
    Priority, Status, TicketChange,
};
use firstline::store::{Store, View};
use firstline::tui::action::Action;
use firstline::tui::app::{ComposeMode, Focus, Popup};
use firstline::tui::inline::Console;
use firstline::tui::keymap::{Context, Key, KeyMap};
use firstline::tui::update::{dispatch, handle_key};

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
}

struct Fixture {
    _dir: TempDir,
    path: std::path::PathBuf,
}

struct T<'a> {
    subject: &'a str,
    name: &'a str,
    email: Option<&'a str>,
    handle: Option<&'a str>,
    channel: Channel,
    priority: Priority,
    tags: &'a [&'a str],
    minutes_ago: i64,
    body: &'a str,
    status: Status,
}

fn ticket(store: &mut Store, t: T) -> i64 {
    store
        .create_ticket(&NewTicket {
            subject: t.subject.into(),
            customer: NewCustomer {
                name: t.name.into(),
                email: t.email.map(str::to_string),
                handle: t.handle.map(str::to_string),
                phone: None,
            },
            channel: t.channel,
            priority: t.priority,
            status: t.status,
            tags: t.tags.iter().map(|t| t.to_string()).collect(),
            first_message: NewMessage {
                direction: Direction::Inbound,
                author: t.name.into(),
                body: t.body.into(),
                sent_at: Some(now() - Duration::minutes(t.minutes_ago)),
                ..Default::default()
            },
        })
        .unwrap()
}

/// A small morning queue in three languages, with one hostile message, and two
/// canned responses (ids 1 and 2).
fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let mut store = Store::open(&path).unwrap();
    store.set_actor("test");
    // An old, solved conversation with the same customer (our answer came first,
    // so the store does not reopen it as an inbound message would).
    store
        .create_ticket(&NewTicket {
            subject: "Invoice for October".into(),
            customer: NewCustomer {
                name: "Sarah Mitchell".into(),
                email: Some("sarah.mitchell@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::Solved,
            tags: vec!["billing".into()],
            first_message: NewMessage {
                direction: Direction::Outbound,
                author: "Olena Test".into(),
                body: "Here is your October invoice.".into(),
                sent_at: Some(now() - Duration::days(30)),
                ..Default::default()
            },
        })
        .unwrap();
    ticket(
        &mut store,
        T {
            subject: "Charged twice for order #48213",
            name: "Sarah Mitchell",
            email: Some("sarah.mitchell@example.com"),
            handle: None,
            channel: Channel::Email,
            priority: Priority::High,
            tags: &["billing"],
            minutes_ago: 95,
            body: "Hello,\n\nI was charged twice for my order #48213 yesterday — two payments of $64.90 show on my card statement. I only placed one order. Can you please refund the duplicate charge?\n\nThanks,\nSarah",
            status: Status::New,
        },
    );
    let olena = ticket(
        &mut store,
        T {
            subject: "Не можу увійти в особистий кабінет",
            name: "Олена Коваль",
            email: None,
            handle: Some("@olena_koval"),
            channel: Channel::Chat,
            priority: Priority::Normal,
            tags: &["access"],
            minutes_ago: 40,
            body: "Добрий день! Не можу увійти в особистий кабінет: пишу пароль, а сайт каже, що він неправильний. Лист для відновлення пароля теж не приходить, перевіряла і спам.",
            status: Status::New,
        },
    );
    store
        .add_message(
            olena,
            &NewMessage {
                direction: Direction::Note,
                author: "test".into(),
                body: "Password reset mails to ukr.net bounce since Monday — ask ops.".into(),
                sent_at: Some(now() - Duration::minutes(30)),
                ..Default::default()
            },
        )
        .unwrap();
    ticket(
        &mut store,
        T {
            subject: "Где мой заказ? Уже неделя прошла",
            name: "Дмитрий Соколов",
            email: Some("d.sokolov@example.ru"),
            handle: None,
            channel: Channel::Email,
            priority: Priority::Urgent,
            tags: &["shipping"],
            minutes_ago: 150,
            body: "Здравствуйте. Заказ 51877 оплачен неделю назад, статус не меняется. Когда отправите?",
            status: Status::New,
        },
    );
    ticket(
        &mut store,
        T {
            subject: "Weird characters in my name",
            name: "Mallory",
            email: Some("mallory@example.net"),
            handle: None,
            channel: Channel::Web,
            priority: Priority::Low,
            tags: &[],
            minutes_ago: 20,
            body:
                "Hi\u{1b}]0;pwned\u{7} there\u{1b}[2J — my name shows as 日本語テキスト in the app.",
            status: Status::New,
        },
    );
    for (slug, title, lang, body) in [
        (
            "refund-en",
            "Refund a duplicate charge",
            "en",
            "Dear {{customer.first_name}},\n\nI am sorry you were charged twice. I have refunded the duplicate payment of [AMOUNT]; it will show on your card within 5 business days.\n\nBest regards,\n{{agent.name}}",
        ),
        (
            "password-uk",
            "Відновлення пароля",
            "uk",
            "Добрий день!\n\nНадіслала вам посилання для відновлення пароля ще раз. Якщо лист не прийде за 10 хвилин, напишіть мені.",
        ),
    ]
    {
        store
            .canned_add(&NewCanned {
                slug: slug.into(),
                title: title.into(),
                shortcut: None,
                language: lang.parse().unwrap(),
                formality: Formality::Formal,
                tags: Vec::new(),
                keywords: Vec::new(),
                body: body.into(),
            })
            .unwrap();
    }
    Fixture { _dir: dir, path }
}

/// A console on `store` with `config`, the test clock and a `width`×`height` screen,
/// its first list read.
fn console_at(store: Store, config: Config, width: u16, height: u16) -> Console {
    let mut app = Console::new(store, config).unwrap();
    app.clock = Some(now());
    app.size = (width, height);
    app.reload().unwrap();
    app.settle();
    app
}

fn app_at(fx: &Fixture, width: u16, height: u16) -> Console {
    let store = Store::open(&fx.path).unwrap();
    let mut config = Config::default();
    config.agent.name = "Olena Test".into();
    config.agent.email = "olena@shop.example".into();
    console_at(store, config, width, height)
}

/// Presses keys given like `j j Enter r ctrl-s`.
fn press(app: &mut Console, keys: &str) {
    for word in keys.split(' ').filter(|w| !w.is_empty()) {
        let (code, mut mods) = if word.eq_ignore_ascii_case("shift-tab") {
            (KeyCode::BackTab, KeyModifiers::SHIFT)
        } else {
            let key = Key::parse(word).unwrap_or_else(|e| panic!("{e}"));
            (key.code, key.mods)
        };
        if let KeyCode::Char(c) = code {
            if c.is_ascii_uppercase() {
                mods |= KeyModifiers::SHIFT;
            }
        }
        handle_key(app, KeyEvent::new(code, mods));
        app.settle();
    }
}

/// Types text character by character.
fn type_text(app: &mut Console, text: &str) {
    for c in text.chars() {
        let code = if c == '\n' {
            KeyCode::Enter
        } else {
            KeyCode::Char(c)
        };
        handle_key(app, KeyEvent::new(code, KeyModifiers::NONE));
        app.settle();
    }
}

fn shot(app: &Console, w: u16, h: u16) -> String {
    firstline::tui::snapshot(app, w, h)
}

macro_rules! both_sizes {
    ($name:ident, $setup:expr) => {
        #[test]
        fn $name() {
            for (w, h) in [(80u16, 24u16), (160, 48)] {
                let fx = fixture();
                let mut app = app_at(&fx, w, h);
                let setup: fn(&mut Console) = $setup;
                setup(&mut app);
                app.settle();
                let text = shot(&app, w, h);
                insta::assert_snapshot!(format!("{}_{}x{}", stringify!($name), w, h), text);
            }
        }
    };
}

both_sizes!(inbox_needs_reply, |_app| {});

/// The customer sidebar needs a conversation pane of 90 columns, so only a wide
/// terminal shows it (at 160 the pane is 80 and the customer facts go inline).
#[test]
fn conversation_with_customer_sidebar_200x50() {
    let fx = fixture();
    let mut app = app_at(&fx, 200, 50);
    press(&mut app, "j j Enter");
    let text = shot(&app, 200, 50);
    assert!(
        text.contains("┌ #3 Не можу увійти"),
        "Олена's ticket is open:\n{text}"
    );
    assert!(text.contains(" Customer "), "the sidebar is drawn:\n{text}");
    assert!(
        text.contains("@olena_koval"),
        "the sidebar shows her handle:\n{text}"
    );
    insta::assert_snapshot!("conversation_with_customer_sidebar_200x50", text);
}
// Needs reply sorts by due: Дмитрий's shipping ticket, Sarah's refund, Олена's login.
both_sizes!(conversation_with_note, |app| press(app, "j j Enter"));
both_sizes!(composer_and_tone_pane, |app| {
    press(app, "j Enter r");
    type_text(app, "Hi Sarah,\nI have refunded the duplicate charge.");
});
both_sizes!(note_composer, |app| {
    press(app, "j Enter n");
    type_text(app, "Checked Stripe: two captures.");
});
both_sizes!(canned_picker_with_preview, |app| {
    press(app, "j Enter c");
    type_text(app, "refund");
});
both_sizes!(help_for_inbox, |app| press(app, "?"));
both_sizes!(help_for_composer, |app| press(app, "Enter r F1"));
both_sizes!(command_palette, |app| {
    press(app, ":");
    type_text(app, "snz");
});
both_sizes!(snooze_prompt, |app| {
    press(app, "z");
    type_text(app, "tomorrow 9:00");
});
both_sizes!(status_menu, |app| press(app, "s"));
both_sizes!(search_results, |app| {
    press(app, "/");
    type_text(app, "пароль");
});
both_sizes!(all_view_sorted_by_priority, |app| press(app, "2 o o"));
both_sizes!(confirm_send_despite_tone, |app| {
    press(app, "Enter r");
    type_text(app, "whatever.");
    app.tone.report.findings.push(firstline::tone::Finding {
        rule: "test".into(),
        commandment: firstline::tone::Commandment::Respect,
        severity: firstline::tone::Severity::Block,
        span: 0..8,
        message: "Dismissive opener: 'whatever' tells the customer they do not matter".into(),
        suggestion: None,
    });
    press(app, "ctrl-s");
});
both_sizes!(hostile_message_is_shown_escaped, |app| press(
    app, "G Enter"
));

mod state {
    use super::*;

    #[test]
    fn j_j_enter_r_opens_the_composer_on_the_third_ticket() {
        let fx = fixture();
        let mut app = app_at(&fx, 160, 48);
        let third = app.inbox.row(2).unwrap().ticket.id;
        press(&mut app, "j j Enter r");
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(app.composer.mode, ComposeMode::Reply);
        assert_eq!(app.composer.ticket, Some(third));
        assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, third);
    }

    #[test]
    fn shift_j_in_a_conversation_opens_the_next_ticket() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let second = app.inbox.row(1).unwrap().ticket.id;
        press(&mut app, "Enter J");
        assert_eq!(app.focus, Focus::Conversation);
        assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, second);
        assert!(
            !app.store.ticket(second).unwrap().unread,
            "opened means read"
        );
        press(&mut app, "K");
        assert_eq!(app.inbox.selected, 0);
    }

    #[test]
    fn typing_q_in_the_composer_types_instead_of_quitting() {
        let fx = fixture();
        let mut app = app_at(&fx, 80, 24);
        press(&mut app, "r");
        type_text(&mut app, "quick question");
        assert!(!app.should_quit);
        assert_eq!(app.composer.text(), "quick question");
        press(&mut app, "Esc q");
        assert!(app.should_quit);
    }

    #[test]
    fn draft_is_saved_on_leaving_the_composer_and_restored_on_reopening() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "r");
        type_text(&mut app, "Half a thought");
        press(&mut app, "Esc Esc j");
        let store = Store::open(&fx.path).unwrap();
        assert_eq!(store.draft(id).unwrap().unwrap().body, "Half a thought");
        press(&mut app, "k");
        assert_eq!(app.composer.text(), "Half a thought");
    }

    #[test]
    fn autosave_waits_for_a_pause_in_typing() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "r");
        type_text(&mut app, "Saved after a pause");
        let started = std::time::Instant::now();
        app.tick(started).unwrap();
        app.settle();
        assert_eq!(app.store.draft(id).unwrap(), None, "not while typing");
        app.tick(started + firstline::tui::app::AUTOSAVE_AFTER * 2)
            .unwrap();
        app.settle();
        assert_eq!(
            app.store.draft(id).unwrap().unwrap().body,
            "Saved after a pause"
        );
    }

    #[test]
    fn sending_stores_the_reply_and_u_offers_undo() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "Your refund is on its way.");
        press(&mut app, "ctrl-s");
        let msgs = app.store.messages(id).unwrap();
        let last = msgs.last().unwrap();
        assert_eq!(last.direction, Direction::Outbound);
        assert_eq!(last.body.trim_end(), "Your refund is on its way.");
        assert!(app.composer.is_empty());
        assert_eq!(
            app.message.as_ref().unwrap().text,
            format!("#{id} reply queued to send · u to undo")
        );
        assert_eq!(app.store.draft(id).unwrap(), None);
    }

    /// Another process (`outbox flush`, a second console's courier) claims this
    /// console's reply and delivers it. A look that falls between the claim and the
    /// delivery sees it "sending": the console must still end the countdown with
    /// "delivered" once it is, not stop at "being handed over" for good. (Under load
    /// the pty test `two_consoles_a_reply_delivered_elsewhere_stops_offering_undo`
    /// hit that moment now and then; this test makes it happen every time.)
    #[test]
    fn a_reply_another_process_is_handing_over_ends_in_delivered() {
        use firstline::store::ClaimScope;
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "Your refund is on its way.");
        press(&mut app, "ctrl-s");
        let reply = app.store.messages(id).unwrap().last().unwrap().id;
        let mut other = Store::open(&fx.path).unwrap();
        let outbox = other.outbox_entry(reply).unwrap().unwrap().id;
        let start = std::time::Instant::now();
        other
            .claim_outbound(outbox, ClaimScope::AllQueued)
            .unwrap()
            .expect("the queued reply is claimed");
        app.tick(start + Duration::seconds(1).to_std().unwrap())
            .unwrap();
        app.settle();
        other.mark_outbound_sent(outbox).unwrap();
        app.tick(start + Duration::seconds(2).to_std().unwrap())
            .unwrap();
        app.settle();
        let text = &app.message.as_ref().unwrap().text;
        assert!(text.contains("delivered"), "{text}");
        assert!(!shot(&app, 120, 40).contains("u undo"));
    }

    /// The courier's own report and the console's look at the outbox both see one
    /// delivery; whichever comes second must not replace the first with another
    /// sentence (the pty test a_telegram_message_is_answered_from_the_console_in_the_customers_chat
    /// waited for "1 reply delivered" (now "reply to … (#N) delivered") and, under
    /// load, saw it overwritten by
    /// "reply to … delivered" before it could read it).
    #[test]
    fn one_delivery_is_announced_once_whichever_report_comes_first() {
        use firstline::tui::courier::Delivery;
        use firstline::tui::msg::Msg;
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "Your refund is on its way.");
        press(&mut app, "ctrl-s");
        let reply = app.store.messages(id).unwrap().last().unwrap().id;
        let mut courier = Store::open(&fx.path).unwrap();
        let outbox = courier.outbox_entry(reply).unwrap().unwrap().id;
        courier
            .claim_outbound(outbox, firstline::store::ClaimScope::AllQueued)
            .unwrap()
            .expect("the queued reply is claimed");
        courier.mark_outbound_sent(outbox).unwrap();
        let start = std::time::Instant::now();
        app.handle(Msg::Delivery(Delivery::Sent {
            count: 1,
            tickets: vec![],
            first: "reply to Sarah".into(),
        }));
        assert_eq!(
            app.message.as_ref().unwrap().text,
            "reply to Sarah delivered"
        );
        for second in 1..4 {
            app.handle(Msg::Tick(
                start + Duration::seconds(second).to_std().unwrap(),
            ));
            assert_eq!(
                app.message.as_ref().map(|m| m.text.as_str()),
                Some("reply to Sarah delivered"),
                "tick {second}"
            );
        }
        assert!(!shot(&app, 120, 40).contains("u undo"));
    }

    /// Issue #13 item 1: after a send the ticket leaves "Needs reply" and another row
    /// is under the cursor; undo must still reopen the ticket the reply was for.
    #[test]
    fn undo_reopens_the_ticket_the_reply_was_for_with_its_text() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "Your refund is on its way.");
        press(&mut app, "ctrl-s");
        assert_ne!(
            app.selected_ticket().map(|r| r.ticket.id),
            Some(id),
            "the fixture must move the cursor off the answered ticket for this test to mean anything"
        );
        app.settle();
        press(&mut app, "u");
        assert_eq!(
            app.message.as_ref().unwrap().text,
            "reply cancelled; it is back in the composer"
        );
        assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, id);
        assert_eq!(app.composer.ticket, Some(id));
        assert_eq!(app.composer.mode, ComposeMode::Reply);
        assert_eq!(app.composer.text(), "Your refund is on its way.");
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(id));
        assert!(
            app.store
                .messages(id)
                .unwrap()
                .iter()
                .all(|m| m.direction != Direction::Outbound),
            "the reply left the thread"
        );
        assert!(app.store.outbox_entries(true).unwrap().is_empty());
        // The next thing typed goes to the same customer.
        type_text(&mut app, " Sorry!");
        app.flush_draft().unwrap();
        app.settle();
        assert_eq!(
            app.store.draft(id).unwrap().unwrap().body,
            "Your refund is on its way. Sorry!"
        );
    }

    /// Sends `text` as a reply on the open ticket, answering the tone question yes.
    pub(super) fn send_reply(app: &mut Console, text: &str) {
        press(app, "r");
        type_text(app, text);
        press(app, "ctrl-s");
        if matches!(app.popup, Some(Popup::Confirm { .. })) {
            press(app, "y");
        }
    }

    fn reply_until(app: &Console) -> DateTime<Utc> {
        match app.undo.last() {
            Some(firstline::tui::app::UndoEntry::Reply { until, .. }) => *until,
            other => panic!("no reply on the undo stack: {other:?}"),
        }
    }

    /// Issue #13 item 2: the undo window shows whom the reply goes to and how long
    /// is left, and stops offering `u` once it is over.
    #[test]
    fn undo_window_countdown_shows_whom_and_seconds_left() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter");
        let name = app.open.as_ref().unwrap().detail.customer.name.clone();
        send_reply(&mut app, "Your refund is on its way.");
        assert_eq!(app.store.outbox_entries(false).unwrap().len(), 1);
        let until = reply_until(&app);
        app.clock = Some(until - Duration::seconds(7));
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains(&format!("to {name} in 7 s · u undo")),
            "{screen}"
        );
        app.clock = Some(until + Duration::seconds(1));
        app.tick(std::time::Instant::now()).unwrap();
        app.settle();
        let screen = shot(&app, 120, 40);
        assert!(!screen.contains("u undo"), "{screen}");
        assert!(!screen.contains("u to undo"), "{screen}");
        assert!(screen.contains("undo window is over"), "{screen}");
    }

    /// Issue #13 item 2: a reply with no e-mail address is recorded at once; the
    /// console says so and offers no undo it could not keep.
    #[test]
    fn undo_window_is_not_offered_for_a_chat_reply_recorded_at_once() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let row = (0..app.inbox.len())
            .find(|i| app.inbox.row(*i).unwrap().customer_name == "Олена Коваль")
            .expect("the fixture has Олена's chat ticket");
        app.select(row).unwrap();
        app.settle();
        press(&mut app, "Enter");
        send_reply(&mut app, "Добрий день! Надіслала посилання ще раз.");
        let message = app.message.clone().unwrap().text;
        assert!(message.contains("no undo"), "{message}");
        assert!(!message.contains("u to undo"), "{message}");
        assert!(app.waiting_reply().is_none());
        assert!(!shot(&app, 120, 40).contains("u undo"));
        let status = app
            .store
            .ticket(app.open.as_ref().unwrap().detail.ticket.id)
            .unwrap()
            .status;
        press(&mut app, "u");
        let message = app.message.clone().unwrap();
        assert!(
            message.error && message.text.contains("only recorded"),
            "{message:?}"
        );
        assert_eq!(
            app.store
                .ticket(app.open.as_ref().unwrap().detail.ticket.id)
                .unwrap()
                .status,
            status,
            "u changed nothing"
        );
    }

    /// Issue #13 item 2: quitting while a reply waits asks; Esc stays, `k` keeps it
    /// queued, `t` takes it back into the draft, `s` sends it now.
    #[test]
    fn undo_window_quit_asks_send_now_keep_queued_or_take_back() {
        use firstline::store::OutboxState;
        for (key, state) in [
            ("k", Some(OutboxState::Queued)),
            ("t", None),
            // No transport in the fixture: "send now" saves the .eml (issue #15 item 2)
            // and says so before quitting.
            ("s", Some(OutboxState::Saved)),
        ] {
            let fx = fixture();
            let mut app = app_at(&fx, 120, 40);
            press(&mut app, "Enter");
            let id = app.open.as_ref().unwrap().detail.ticket.id;
            send_reply(&mut app, "Your refund is on its way.");
            press(&mut app, "q");
            assert!(!app.should_quit, "q with a reply waiting asks first");
            let screen = shot(&app, 120, 40);
            // No mail transport in the fixture: nothing leaves, now or later — the
            // question says the reply is only saved as .eml, and where (a new
            // user's trial read "it leaves the next time firstline runs").
            let folder = app.replies_saved_to.clone().expect("no transport is set");
            assert!(folder.ends_with("queue.outbox"), "{folder}");
            let flat = screen
                .replace('│', " ")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ");
            assert!(
                flat.contains("save as .eml now")
                    && flat.contains("keep queued")
                    && flat.contains("take back")
                    && flat.contains("only saved as .eml in")
                    && !flat.contains("leaves"),
                "{screen}"
            );
            press(&mut app, "Esc");
            assert!(!app.should_quit && app.popup.is_none(), "Esc stays");
            press(&mut app, "q");
            press(&mut app, key);
            if key == "s" {
                // Nothing left the machine: it says so and stays; q then quits.
                assert!(!app.should_quit, "s without a transport stays");
                let text = app.message.as_ref().unwrap().text.clone();
                assert!(text.contains("only saved as .eml"), "{text}");
                press(&mut app, "q");
            }
            assert!(app.should_quit, "{key} quits");
            let entries = app.store.outbox_entries(true).unwrap();
            assert_eq!(entries.first().map(|e| e.state), state, "after {key}");
            if key == "k" {
                // A new user's trial: kept queued, the reply took the ticket out of
                // Needs reply while nothing was sending it. Not delivered yet, with
                // what will send it; the customer is waiting again.
                let kept = &entries[0];
                assert!(
                    kept.last_error
                        .as_deref()
                        .is_some_and(|e| e.contains("outbox flush")),
                    "{kept:?}"
                );
                assert!(app.store.ticket(id).unwrap().awaiting_reply_since.is_some());
            }
            if key == "t" {
                // A trial: `t` quit and said nothing; the shell now hears it.
                let said = app.farewell.join("\n");
                assert!(said.contains("1 reply taken back, nothing sent"), "{said}");
                assert!(app
                    .store
                    .draft(id)
                    .unwrap()
                    .is_some_and(|d| d.body.starts_with("Your refund is on its way.")));
            }
        }
    }

    /// A new-user trial: the quit question stayed up saying "1 reply is still waiting"
    /// after the courier had delivered it, and `t` then quit saying nothing. A reply
    /// delivered while the question is open leaves it: with nothing left to decide the
    /// console quits, as asked, and says so on the shell.
    #[test]
    fn the_quit_question_follows_a_reply_delivered_while_it_is_open() {
        use firstline::tui::courier::Delivery;
        use firstline::tui::msg::Msg;
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter");
        send_reply(&mut app, "Your refund is on its way.");
        press(&mut app, "q");
        assert!(
            matches!(app.popup, Some(Popup::Confirm { .. })),
            "q with a reply waiting asks"
        );
        let entry = app.store.outbox_entries(true).unwrap().remove(0);
        app.store.mark_outbound_sent(entry.id).unwrap();
        app.handle(Msg::Delivery(Delivery::Sent {
            count: 1,
            tickets: vec![],
            first: "reply to Sarah".into(),
        }));
        app.settle();
        assert!(app.popup.is_none(), "nothing waits: {:?}", app.popup);
        // The user asked to quit; nothing is left to decide, so it quits (a key typed
        // for the question must never land on the list — a trial's `t` opened Tags on
        // another ticket), and the shell hears what happened.
        assert!(app.should_quit, "quits as asked");
        let said = app.farewell.join("\n");
        assert!(said.contains("was delivered"), "{said}");

        // The same race one step later: delivered after `t` was pressed, before the
        // runner took it back. The console stays and says nothing was taken back.
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter");
        send_reply(&mut app, "Your refund is on its way.");
        press(&mut app, "q");
        let entry = app.store.outbox_entries(true).unwrap().remove(0);
        app.store.mark_outbound_sent(entry.id).unwrap();
        press(&mut app, "t");
        assert!(
            !app.should_quit,
            "t took nothing back: the user is told first"
        );
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(text.contains("nothing was taken back"), "{text}");
        press(&mut app, "q");
        assert!(app.should_quit);
    }

    /// A new-user trial: a reply kept queued at quit went out from the next console,
    /// which then said "#16 left Needs reply (changed elsewhere)" — its own courier
    /// sent it. A delivery by this console is its own doing, said as a delivery to
    /// the customer by name.
    #[test]
    fn a_reply_this_console_delivers_is_not_changed_elsewhere() {
        use firstline::tui::courier::Delivery;
        use firstline::tui::msg::Msg;
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter");
        let id = app.open.as_ref().unwrap().detail.ticket.id;
        let customer = app.open.as_ref().unwrap().detail.customer.name.clone();
        send_reply(&mut app, "Your refund is on its way.");
        press(&mut app, "q k");
        assert!(app.should_quit);
        drop(app);
        // The next morning: the kept reply is back in Needs reply, the cursor on it.
        let mut app = app_at(&fx, 120, 40);
        select_ticket(&mut app, id);
        app.message = None;
        let mut cfg = Config::default();
        cfg.agent.name = "Olena Test".into();
        cfg.agent.email = "olena@shop.example".into();
        let dir = tempfile::tempdir().unwrap();
        cfg.mail.sendmail = Some(format!("cat > '{}'", dir.path().join("sent.eml").display()));
        let round = firstline::mail::deliver_now(
            &mut app.store,
            &cfg,
            firstline::store::ClaimScope::AllQueued,
        );
        let delivery = Delivery::of_round(round, &app.store).expect("a round that sent");
        assert!(
            matches!(&delivery, Delivery::Sent { tickets, .. } if tickets == &vec![id]),
            "{delivery:?}"
        );
        app.handle(Msg::Delivery(delivery));
        app.settle();
        let text = app
            .message
            .as_ref()
            .map(|m| m.text.clone())
            .unwrap_or_default();
        assert!(!text.contains("changed elsewhere"), "{text}");
        assert!(
            text.contains(&customer) && text.contains("delivered"),
            "{text}"
        );
    }

    /// A new-user trial: "shop: 1 new message arrived" never said which ticket, so a
    /// customer's answer had to be hunted for in the list. The line names the tickets
    /// the fetch added to (up to three).
    #[test]
    fn new_mail_names_the_tickets_it_arrived_on() {
        use firstline::tui::mailboxes::{MailboxNews, MailboxState};
        use firstline::tui::msg::Msg;
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        app.handle(Msg::Mailbox(MailboxNews {
            account: "shop".into(),
            state: MailboxState::Fetched { at: now() },
            added: 1,
            tickets: vec![id],
        }));
        app.settle();
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(text.contains(&format!("#{id}")), "{text}");
        app.handle(Msg::Mailbox(MailboxNews {
            account: "shop".into(),
            state: MailboxState::Fetched { at: now() },
            added: 5,
            tickets: vec![1, 2, 3, 4],
        }));
        app.settle();
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(text.contains("#1, #2, #3 and 1 more"), "{text}");
    }

    /// A new-user trial: `kill -TERM` (or a closed terminal window) inside a reply's
    /// undo window left it queued with nothing to say so — no "not delivered" mark,
    /// and the ticket out of Needs reply while no console ran to send it. A signal
    /// keeps the reply queued as `k` does: marked, and the customer waiting again.
    #[test]
    fn a_signal_inside_the_undo_window_keeps_the_reply_queued_as_k_does() {
        use firstline::store::OutboxState;
        use firstline::tui::msg::Msg;
        use firstline::tui::signals::Ending;
        for ending in [Ending::Terminate, Ending::HangUp] {
            let fx = fixture();
            let mut app = app_at(&fx, 120, 40);
            press(&mut app, "Enter");
            let id = app.open.as_ref().unwrap().detail.ticket.id;
            send_reply(&mut app, "Your refund is on its way.");
            app.handle(Msg::Signal(ending));
            app.settle();
            assert!(app.should_quit, "{ending:?} quits");
            let entries = app.store.outbox_entries(true).unwrap();
            let kept = entries.first().expect("the reply is still in the outbox");
            assert_eq!(kept.state, OutboxState::Queued, "{ending:?}");
            assert!(
                kept.last_error
                    .as_deref()
                    .is_some_and(|e| e.contains("outbox flush")),
                "{ending:?}: {kept:?}"
            );
            assert!(
                app.store.ticket(id).unwrap().awaiting_reply_since.is_some(),
                "{ending:?}: the customer waits again"
            );
        }
    }

    /// Issue #13 item 4: with no `[agent] name` the first send asks for it once,
    /// writes it to config.toml (keeping the rest) and signs the reply with it.
    #[test]
    fn no_identity_first_send_asks_for_the_name_once_and_saves_it() {
        let fx = fixture();
        let dir = tempfile::tempdir().unwrap();
        let config_path = dir.path().join("config.toml");
        std::fs::write(&config_path, "# my settings\n[ui]\ntheme = \"dark\"\n").unwrap();
        let store = Store::open(&fx.path).unwrap();
        let mut config = Config {
            path: Some(config_path.clone()),
            ..Config::default()
        };
        config.mail.addresses = vec!["help@shop.example".into()];
        let mut app = Console::new(store, config).unwrap();
        app.clock = Some(now());
        app.size = (120, 40);
        press(&mut app, "Enter");
        let id = app.open.as_ref().unwrap().detail.ticket.id;
        send_reply(&mut app, "Your refund is on its way.");
        assert!(
            matches!(
                app.popup,
                Some(Popup::Prompt {
                    kind: firstline::tui::app::PromptKind::AgentName,
                    ..
                })
            ),
            "asks for the name: {:?}",
            app.popup
        );
        assert!(
            app.store.outbox_entries(true).unwrap().is_empty(),
            "nothing sent as agent"
        );
        press(&mut app, "Enter");
        assert!(app.popup.is_some(), "an empty name is not accepted");
        type_text(&mut app, "Олена Коваль");
        press(&mut app, "Enter");
        if matches!(app.popup, Some(Popup::Confirm { .. })) {
            press(&mut app, "y");
        }
        let last = app.store.messages(id).unwrap().pop().unwrap();
        assert_eq!(last.direction, Direction::Outbound);
        assert_eq!(last.author, "Олена Коваль");
        let text = std::fs::read_to_string(&config_path).unwrap();
        assert!(
            text.contains("# my settings") && text.contains("theme = \"dark\""),
            "{text}"
        );
        let loaded = firstline::config::Config::load(&config_path).unwrap();
        assert_eq!(loaded.agent.name, "Олена Коваль");
        assert_eq!(loaded.ui.theme.as_deref(), Some("dark"));
        // Asked once: the next reply goes straight out.
        send_reply(&mut app, "Thanks for waiting.");
        assert!(!matches!(app.popup, Some(Popup::Prompt { .. })));
        assert_eq!(app.store.outbox_entries(true).unwrap().len(), 2);
    }

    /// Issue #13 item 3: a reply given up on (or left in doubt, `unknown`: the same
    /// line) is shown in the status bar, pointing at `firstline outbox`. Given up
    /// through the store's own API (too many tries); an `unknown` claim can only be
    /// made with SQL, which stays in the SQLite backend's tests.
    #[test]
    fn stranded_replies_show_in_the_status_bar() {
        let fx = fixture();
        let mut app = app_at(&fx, 160, 48);
        press(&mut app, "Enter");
        send_reply(&mut app, "Your refund is on its way.");
        assert!(!shot(&app, 160, 48).contains("failed: firstline outbox"));
        let mut other = Store::open(&fx.path).unwrap();
        let outbox = other.outbox_entries(false).unwrap()[0].id;
        other
            .mark_outbound_failed(outbox, "550 no such user", None)
            .unwrap();
        app.reload().unwrap();
        app.settle();
        let screen = shot(&app, 160, 48);
        assert!(
            screen.contains("1 reply failed: firstline outbox"),
            "{screen}"
        );
    }

    /// Console small things (#13): `:` then Enter must not quit.
    #[test]
    fn palette_colon_then_enter_does_not_quit_and_destructive_actions_come_last() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let all = firstline::tui::update::palette_matches(&app, "");
        assert!(!all[0].is_destructive(), "first entry: {:?}", all[0]);
        let first_destructive = all.iter().position(|a| a.is_destructive()).unwrap();
        assert!(
            all[first_destructive..].iter().all(|a| a.is_destructive()),
            "destructive actions last: {all:?}"
        );
        press(&mut app, ": Enter");
        assert!(!app.should_quit, "`:` Enter quit the console");
        // Typed by name, quit is still there and first.
        assert_eq!(
            firstline::tui::update::palette_matches(&app, "quit").first(),
            Some(&Action::Quit)
        );
    }

    /// Console small things (#13): palette matching was loose ("new ticket" offered
    /// follow-up done); every word must begin a word of the action.
    #[test]
    fn palette_matching_is_by_word_not_scattered_letters() {
        let fx = fixture();
        let app = app_at(&fx, 120, 40);
        let m = |q: &str| firstline::tui::update::palette_matches(&app, q);
        assert!(
            !m("new ticket").contains(&Action::FollowupDone),
            "{:?}",
            m("new ticket")
        );
        assert_eq!(m("solve").first(), Some(&Action::Solve));
        assert!(m("follow").contains(&Action::FollowupDone));
        assert!(m("follow done").contains(&Action::FollowupDone));
        assert_eq!(m("snooze").first(), Some(&Action::Snooze));
        assert!(m("zzzz").is_empty());
    }

    /// Console small things (#13): the priority popup opened on "urgent" whatever the
    /// ticket had, so Enter silently made it urgent.
    #[test]
    fn priority_popup_starts_on_the_current_priority() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let row = (0..app.inbox.len())
            .find(|i| app.inbox.row(*i).unwrap().ticket.priority == Priority::Low)
            .expect("the fixture has a low-priority ticket");
        app.select(row).unwrap();
        app.settle();
        let id = app.selected_ticket().unwrap().ticket.id;
        press(&mut app, "p");
        match &app.popup {
            Some(Popup::Choice { selected, .. }) => assert_eq!(*selected, 3, "on low"),
            other => panic!("no priority popup: {other:?}"),
        }
        press(&mut app, "Enter");
        assert_eq!(app.store.ticket(id).unwrap().priority, Priority::Low);
    }

    /// Console small things (#13): "1 to fill" stayed in the status bar after the
    /// placeholder was filled.
    #[test]
    fn placeholder_count_goes_once_the_placeholder_is_filled() {
        let fx = fixture();
        let mut store = Store::open(&fx.path).unwrap();
        store
            .canned_add(&firstline::model::NewCanned {
                slug: "amount-en".into(),
                title: "Amount refunded".into(),
                shortcut: None,
                language: firstline::model::Language::En,
                formality: firstline::model::Formality::Unknown,
                tags: vec![],
                keywords: vec![],
                body: "We refunded {{ order.amount }} today.".into(),
            })
            .unwrap();
        drop(store);
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter c");
        type_text(&mut app, "amount refunded");
        press(&mut app, "Enter");
        let text = app.composer.text();
        assert!(text.contains("[order.amount]"), "{text}");
        assert!(shot(&app, 120, 40).contains("1 to fill"));
        // The placeholder is selected: typing replaces it.
        type_text(&mut app, "$64.90");
        let text = app.composer.text();
        assert!(
            !text.contains("[order.amount]") && text.contains("$64.90"),
            "{text}"
        );
        let screen = shot(&app, 120, 40);
        assert!(!screen.contains("to fill"), "{screen}");
    }

    /// Console small things (#13): `G` did nothing in help.
    #[test]
    fn help_g_jumps_to_the_last_keys() {
        let fx = fixture();
        let mut app = app_at(&fx, 80, 24);
        press(&mut app, "? G");
        let last =
            firstline::tui::panes::help_last_scroll(&app, firstline::tui::keymap::Context::Inbox);
        assert!(last > 0, "the inbox help is longer than one 80x24 page");
        match &app.popup {
            Some(Popup::Help { scroll, .. }) => assert_eq!(*scroll, last),
            other => panic!("help closed: {other:?}"),
        }
        press(&mut app, "j");
        assert!(
            matches!(app.popup, Some(Popup::Help { scroll, .. }) if scroll == last),
            "no scrolling past the last page"
        );
        press(&mut app, "g");
        assert!(matches!(app.popup, Some(Popup::Help { scroll: 0, .. })));
    }

    /// Console small things (#13): at 80 columns the Escalated tab read "Esc 1",
    /// like a key.
    #[test]
    fn tabs_at_80_columns_do_not_read_as_the_esc_key() {
        let fx = fixture();
        let app = app_at(&fx, 80, 24);
        let top = shot(&app, 80, 24)
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        assert!(!top.contains(" Esc "), "{top}");
        assert!(top.contains("Escal"), "{top}");
    }

    /// Console small things (#13): `*` marks every ticket the search found, and the
    /// next action applies to all of them.
    #[test]
    fn mark_all_marks_every_ticket_of_the_search_for_a_bulk_action() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "/");
        type_text(&mut app, "Sarah");
        press(&mut app, "Enter");
        let found: std::collections::BTreeSet<i64> = (0..app.inbox.len())
            .map(|i| app.inbox.row(i).unwrap().ticket.id)
            .collect();
        assert!(
            found.len() >= 2,
            "the search finds Sarah's two tickets: {found:?}"
        );
        press(&mut app, "*");
        assert_eq!(app.inbox.marked, found);
        press(&mut app, "s p");
        for id in &found {
            assert_eq!(
                app.store.ticket(*id).unwrap().status,
                Status::Pending,
                "#{id}"
            );
        }
    }

    #[test]
    fn a_note_is_stored_as_a_note_never_as_a_reply() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "n");
        type_text(&mut app, "Customer is a reseller.");
        press(&mut app, "ctrl-s");
        let last = app.store.messages(id).unwrap().pop().unwrap();
        assert_eq!(last.direction, Direction::Note);
        assert_eq!(app.store.draft(id).unwrap(), None);
    }

    #[test]
    fn tab_and_digits_switch_views() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        assert_eq!(app.inbox.view, View::NeedsReply);
        press(&mut app, "Tab");
        assert_eq!(app.inbox.view, View::All);
        press(&mut app, "6");
        assert_eq!(app.inbox.view, View::Solved);
        assert_eq!(app.inbox.len(), 1);
        press(&mut app, "shift-tab");
        assert_eq!(app.inbox.view, View::Escalated);
    }

    #[test]
    fn solve_then_undo_restores_the_status() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        let before = app.inbox.len();
        press(&mut app, "d");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::Solved);
        assert_eq!(app.inbox.len(), before - 1);
        press(&mut app, "u");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::New);
        assert_eq!(app.inbox.len(), before);
    }

    #[test]
    fn bulk_tagging_applies_to_marked_tickets_and_undoes_together() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let a = app.inbox.row(0).unwrap().ticket.id;
        let b = app.inbox.row(1).unwrap().ticket.id;
        press(&mut app, "Space Space t");
        type_text(&mut app, "+vip -billing");
        press(&mut app, "Enter");
        for id in [a, b] {
            let tags = app.store.ticket(id).unwrap().tags;
            assert!(tags.contains(&"vip".to_string()), "{tags:?}");
            assert!(!tags.contains(&"billing".to_string()), "{tags:?}");
        }
        assert!(app.inbox.marked.is_empty());
        press(&mut app, "u");
        for id in [a, b] {
            assert!(!app
                .store
                .ticket(id)
                .unwrap()
                .tags
                .contains(&"vip".to_string()));
        }
    }

    #[test]
    fn snooze_prompt_reads_tomorrow_and_refuses_nonsense() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "z");
        type_text(&mut app, "someday");
        press(&mut app, "Enter");
        assert!(
            matches!(app.popup, Some(Popup::Prompt { .. })),
            "prompt stays open"
        );
        assert!(app.message.as_ref().unwrap().error);
        press(&mut app, "ctrl-u");
        type_text(&mut app, "tomorrow 9:00");
        press(&mut app, "Enter");
        assert!(app.popup.is_none());
        let until = app.store.ticket(id).unwrap().snoozed_until.unwrap();
        assert_eq!(until, Utc.with_ymd_and_hms(2026, 11, 27, 9, 0, 0).unwrap());
    }

    #[test]
    fn escalate_takes_team_and_reason() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "e");
        type_text(&mut app, "billing: refund above my limit");
        press(&mut app, "Enter");
        let e = app.store.ticket(id).unwrap().escalation.unwrap();
        assert_eq!(e.target, "billing");
        assert_eq!(e.reason, "refund above my limit");
    }

    #[test]
    fn no_reply_needed_takes_a_reason_and_leaves_the_needs_reply_view() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        assert_eq!(app.store.ticket(id).unwrap().status, Status::New);
        press(&mut app, "N Enter");
        assert!(app.message.as_ref().unwrap().error, "a reason is required");
        type_text(&mut app, "auto-reply");
        press(&mut app, "Enter");
        assert_eq!(app.store.ticket(id).unwrap().awaiting_reply_since, None);
        assert_ne!(app.inbox.row(0).unwrap().ticket.id, id);
        // A new ticket is solved by it, and `u` reopens it (below, in
        // u_after_no_reply_needed_on_a_new_ticket_gives_the_wait_back).
        assert!(app.message.as_ref().unwrap().text.contains("u to undo"));
    }

    #[test]
    fn m_merges_the_ticket_under_the_cursor_into_the_typed_one() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let from = app.inbox.row(0).unwrap().ticket.id;
        let into = app.inbox.row(1).unwrap().ticket.id;
        let moved = app.store.messages(from).unwrap().len();
        let kept = app.store.messages(into).unwrap().len();
        press(&mut app, "m");
        type_text(&mut app, "nonsense");
        press(&mut app, "Enter");
        assert!(app.message.as_ref().unwrap().error, "a number is required");
        press(&mut app, "Esc m");
        type_text(&mut app, &format!("#{into}"));
        press(&mut app, "Enter");
        // A merge cannot be undone: asked first.
        assert!(matches!(app.popup, Some(Popup::Confirm { .. })));
        press(&mut app, "y");
        // Two different customers: the merge asks first (H12 item 3).
        press(&mut app, "y");
        assert!(app.store.ticket(from).is_err(), "the duplicate is gone");
        assert_eq!(app.store.messages(into).unwrap().len(), moved + kept);
        assert!(app
            .message
            .as_ref()
            .unwrap()
            .text
            .contains(&format!("merged #{from} into #{into}")));
    }

    #[test]
    fn shift_e_takes_an_escalation_back() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "e");
        type_text(&mut app, "ops: 502 on checkout");
        press(&mut app, "Enter E");
        assert_eq!(app.store.ticket(id).unwrap().escalation, None);
    }

    #[test]
    fn status_menu_hotkey_sets_pending() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "s p");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::Pending);
    }

    #[test]
    fn stale_version_is_reported_as_a_conflict_and_reloaded() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        let mut other = Store::open(&fx.path).unwrap();
        other
            .change_ticket(id, &TicketChange::Priority(Priority::Low), None)
            .unwrap();
        press(&mut app, "d");
        let msg = app.message.clone().unwrap();
        assert!(msg.error, "{msg:?}");
        assert!(msg.text.contains("changed elsewhere"), "{msg:?}");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::New);
        assert_eq!(
            app.open.as_ref().unwrap().detail.ticket.priority,
            Priority::Low,
            "reloaded"
        );
    }

    #[test]
    fn search_filters_as_you_type_and_esc_clears() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "/");
        type_text(&mut app, "заказ");
        assert_eq!(app.inbox.len(), 1);
        assert!(app.inbox.row(0).unwrap().ticket.subject.starts_with("Где"));
        press(&mut app, "Enter");
        assert!(!app.inbox.search_editing);
        assert_eq!(app.inbox.len(), 1);
        press(&mut app, "Esc");
        assert_eq!(app.inbox.search, None);
        assert!(app.inbox.len() > 1);
    }

    /// A new user's trial: Esc on an applied search put the cursor on the row at the
    /// same index in the whole list, and `r` then answered another customer. The
    /// ticket found stays under the cursor.
    #[test]
    fn esc_after_a_search_keeps_the_ticket_found_under_the_cursor() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let rows: Vec<(i64, String)> = (0..app.inbox.len())
            .filter_map(|i| app.inbox.row(i))
            .map(|r| (r.ticket.id, r.ticket.subject.clone()))
            .collect();
        let (found, subject) = rows
            .iter()
            .skip(1)
            .find(|(_, s)| s.starts_with("Weird") || s.starts_with("Где"))
            .cloned()
            .expect("a ticket below the first row");
        press(&mut app, "/");
        type_text(
            &mut app,
            if subject.starts_with("Weird") {
                "weird"
            } else {
                "заказ"
            },
        );
        press(&mut app, "Enter");
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(found));
        press(&mut app, "Esc");
        assert_eq!(app.inbox.search, None);
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(found));
    }

    #[test]
    fn canned_reply_is_inserted_into_the_reply() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter c");
        type_text(&mut app, "refund");
        press(&mut app, "Enter");
        assert!(app.popup.is_none());
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(app.composer.mode, ComposeMode::Reply);
        assert!(app
            .composer
            .text()
            .contains("refunded the duplicate payment"));
    }

    #[test]
    fn an_unfilled_placeholder_asks_before_sending_and_use_is_recorded() {
        let fx = fixture();
        let mut store = Store::open(&fx.path).unwrap();
        let canned = store
            .canned_add(&firstline::model::NewCanned {
                slug: "amount-en".into(),
                title: "Amount refunded".into(),
                shortcut: None,
                language: firstline::model::Language::En,
                formality: firstline::model::Formality::Unknown,
                tags: vec![],
                keywords: vec![],
                body: "We refunded {{ order.amount }} today.".into(),
            })
            .unwrap();
        drop(store);
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter c");
        type_text(&mut app, "amount refunded");
        press(&mut app, "Enter");
        assert!(
            app.composer.text().contains("[order.amount]"),
            "{}",
            app.composer.text()
        );
        press(&mut app, "ctrl-s");
        assert!(
            matches!(app.popup, Some(Popup::Confirm { .. })),
            "sending waits for a yes"
        );
        assert!(shot(&app, 120, 40).contains("Placeholders still to fill"));
        press(&mut app, "n");
        assert_eq!(
            app.store
                .messages(id)
                .unwrap()
                .iter()
                .filter(|m| m.direction == Direction::Outbound)
                .count(),
            0
        );
        press(&mut app, "ctrl-s y");
        let sent = app.store.canned_get(canned).unwrap();
        assert_eq!(sent.times_used, 1, "the canned response's use was recorded");
    }

    #[test]
    fn tab_after_a_shortcut_expands_the_canned_response() {
        let fx = fixture();
        let mut store = Store::open(&fx.path).unwrap();
        let pw = store.canned_by_slug("password-uk").unwrap().unwrap();
        store
            .canned_update(
                pw.id,
                &NewCanned {
                    slug: pw.slug.clone(),
                    title: pw.title.clone(),
                    shortcut: Some("pw".into()),
                    language: pw.language,
                    formality: pw.formality,
                    tags: pw.tags.clone(),
                    keywords: pw.keywords.clone(),
                    body: pw.body.clone(),
                },
            )
            .unwrap();
        drop(store);
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "r");
        type_text(&mut app, "Привіт! ;;pw");
        press(&mut app, "Tab");
        let text = app.composer.text();
        assert!(text.starts_with("Привіт! Добрий день!"), "{text}");
        assert!(!text.contains(";;pw"), "{text}");
        type_text(&mut app, " ;;nope");
        press(&mut app, "Tab");
        assert!(app.message.as_ref().unwrap().error);
        assert!(app.composer.text().ends_with(";;nope"));
    }

    #[test]
    fn palette_runs_an_action_by_name() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, ":");
        type_text(&mut app, "view-solved");
        press(&mut app, "Enter");
        assert_eq!(app.inbox.view, View::Solved);
    }

    /// The palette works out its matches when the input changes and keeps them in
    /// its state; drawing and moving the selection read them from there.
    #[test]
    fn palette_keeps_the_matches_of_its_input_in_its_state() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let stored = |app: &Console| match &app.popup {
            Some(Popup::Palette { matches, .. }) => matches.clone(),
            other => panic!("expected the palette, got {other:?}"),
        };
        press(&mut app, ":");
        assert_eq!(
            stored(&app),
            firstline::tui::update::palette_matches(&app, "")
        );
        type_text(&mut app, "solved");
        let matches = stored(&app);
        assert_eq!(
            matches,
            firstline::tui::update::palette_matches(&app, "solved")
        );
        assert!(matches.len() < firstline::tui::update::palette_matches(&app, "").len());
        press(&mut app, "Down");
        assert_eq!(stored(&app), matches, "moving the selection keeps them");
        let text = shot(&app, 120, 40);
        assert!(text.contains(&matches[0].name()), "{text}");
    }

    #[test]
    fn tone_pane_ticks_commandments_by_number_and_space() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "r ctrl-t 3 j Space");
        assert_eq!(app.focus, Focus::Tone);
        assert_eq!(app.tone.ticks, [false, true, true, false, false]);
        press(&mut app, "Esc");
        assert_eq!(app.focus, Focus::Composer);
    }

    #[test]
    fn help_lists_the_keys_of_the_pane_it_was_opened_from() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "r F1");
        let text = shot(&app, 120, 40);
        assert!(text.contains("Keys — Composer"), "{text}");
        assert!(text.contains("Ctrl-S"), "{text}");
        assert!(text.contains("Ctrl-E"), "{text}");
        press(&mut app, "Esc");
        assert!(app.popup.is_none());
    }

    #[test]
    fn hostile_escapes_render_as_visible_text() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "2");
        let idx = (0..app.inbox.len())
            .find(|i| app.inbox.row(*i).unwrap().customer_name == "Mallory")
            .unwrap();
        app.select(idx).unwrap();
        app.settle();
        dispatch(&mut app, Action::Open);
        app.settle();
        let text = shot(&app, 120, 40);
        assert!(text.contains("␛]0;pwned␇"), "{text}");
        assert!(text.contains("␛[2J"), "{text}");
        assert!(!text.contains('\u{1b}'));
    }

    #[test]
    fn blocking_tone_finding_asks_and_y_sends_anyway() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "whatever.");
        app.tone.report.findings.push(firstline::tone::Finding {
            rule: "test".into(),
            commandment: firstline::tone::Commandment::Respect,
            severity: firstline::tone::Severity::Block,
            span: 0..8,
            message: "Dismissive opener".into(),
            suggestion: None,
        });
        press(&mut app, "ctrl-s");
        assert!(matches!(app.popup, Some(Popup::Confirm { .. })));
        press(&mut app, "n");
        assert!(app.popup.is_none());
        assert_eq!(app.composer.text(), "whatever.", "kept for editing");
        app.tone.report.findings.push(firstline::tone::Finding {
            rule: "test".into(),
            commandment: firstline::tone::Commandment::Respect,
            severity: firstline::tone::Severity::Block,
            span: 0..8,
            message: "Dismissive opener".into(),
            suggestion: None,
        });
        press(&mut app, "ctrl-s y");
        let last = app.store.messages(id).unwrap().pop().unwrap();
        assert_eq!(last.body.trim_end(), "whatever.");
        assert_eq!(last.direction, Direction::Outbound);
    }

    /// Issue 20: a respect or ownership warning asks for a yes by default, like a
    /// block; `[tone] confirm` decides which severities ask.
    #[test]
    fn respect_warning_asks_by_default_and_the_setting_decides() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "As I already said, it is in Settings.");
        assert!(
            app.tone
                .report
                .findings
                .iter()
                .any(|f| f.rule == "respect.condescension"),
            "{:?}",
            app.tone.report.findings
        );
        press(&mut app, "ctrl-s");
        assert!(matches!(app.popup, Some(Popup::Confirm { .. })));
        let text = shot(&app, 120, 40);
        assert!(text.contains("Condescending phrase"), "{text}");
        press(&mut app, "n");
        app.config.tone.confirm = vec!["block".into()];
        press(&mut app, "ctrl-s");
        assert!(app.popup.is_none(), "only blocks ask now");
        let last = app.store.messages(id).unwrap().pop().unwrap();
        assert_eq!(
            last.body.trim_end(),
            "As I already said, it is in Settings."
        );
    }

    #[test]
    fn after_sending_actions_follow_the_inbox_cursor_not_the_shown_ticket() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let first = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(&mut app, "On it.");
        press(&mut app, "ctrl-s Esc");
        // The answered ticket left "Needs reply"; the cursor is on another one.
        let under_cursor = app.selected_ticket().unwrap().ticket.id;
        assert_ne!(under_cursor, first);
        assert_eq!(
            app.open.as_ref().unwrap().detail.ticket.id,
            under_cursor,
            "back in the inbox, the right pane follows the cursor again"
        );
        press(&mut app, "d");
        assert_eq!(
            app.store.ticket(under_cursor).unwrap().status,
            Status::Solved
        );
        assert_ne!(app.store.ticket(first).unwrap().status, Status::Solved);
    }

    #[test]
    fn a_long_thread_opens_on_its_newest_message_and_g_goes_to_the_top() {
        let fx = fixture();
        let mut app = app_at(&fx, 80, 24);
        let id = app.inbox.row(0).unwrap().ticket.id;
        for i in 1..=12 {
            app.store
                .add_message(
                    id,
                    &NewMessage {
                        direction: Direction::Inbound,
                        author: "Дмитрий Соколов".into(),
                        body: format!("Follow-up number {i}.\nStill waiting."),
                        sent_at: Some(now() - Duration::minutes(60 - i)),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        app.reload().unwrap();
        app.settle();
        press(&mut app, "Enter");
        let text = shot(&app, 80, 24);
        assert!(text.contains("Follow-up number 12."), "{text}");
        assert!(!text.contains("Заказ 51877"), "{text}");
        press(&mut app, "g");
        let text = shot(&app, 80, 24);
        assert!(text.contains("Заказ 51877"), "{text}");
        press(&mut app, "G k");
        let scroll = app.open.as_ref().unwrap().scroll;
        press(&mut app, "G G G j j");
        assert_eq!(
            app.open.as_ref().unwrap().scroll,
            scroll + 1,
            "clamped at the end"
        );
    }

    #[test]
    fn no_color_theme_draws_without_any_colour() {
        use firstline::tui::theme::{Theme, ThemeKind};
        use ratatui::style::Color;
        let fx = fixture();
        let mut app = app_at(&fx, 160, 48);
        app.theme = Theme::new(ThemeKind::Mono);
        press(&mut app, "j j Enter c");
        type_text(&mut app, "refund");
        press(&mut app, "Enter");
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).unwrap();
        terminal
            .draw(|f| firstline::tui::panes::draw(f, &app))
            .unwrap();
        let buffer = terminal.backend().buffer();
        for cell in buffer.content() {
            assert_eq!(cell.fg, Color::Reset, "{cell:?}");
            assert_eq!(cell.bg, Color::Reset, "{cell:?}");
        }
    }

    #[test]
    fn tiny_terminals_draw_without_panicking() {
        let fx = fixture();
        for keys in ["", "Enter", "Enter r", "Enter c", "?", ":", "z", "s"] {
            for (w, h) in [(1, 1), (10, 3), (30, 8), (45, 12), (109, 20), (110, 20)] {
                let mut app = app_at(&fx, w, h);
                press(&mut app, keys);
                type_text(&mut app, "Ω");
                let _ = shot(&app, w, h);
            }
        }
    }

    #[test]
    fn mouse_click_selects_a_row_and_the_wheel_scrolls() {
        use ratatui::crossterm::event::{MouseButton, MouseEvent, MouseEventKind};
        let fx = fixture();
        let mut app = app_at(&fx, 160, 48);
        let third = app.inbox.row(2).unwrap().ticket.id;
        let click = |row| MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        };
        // Row 0 is the tabs, 1 the border, 2 the column header, 3 the first ticket.
        firstline::tui::update::handle_mouse(&mut app, click(5));
        app.settle();
        assert_eq!(app.inbox.selected, 2);
        assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, third);
        firstline::tui::update::handle_mouse(
            &mut app,
            MouseEvent {
                kind: MouseEventKind::ScrollUp,
                column: 10,
                row: 10,
                modifiers: KeyModifiers::NONE,
            },
        );
        app.settle();
        assert_eq!(app.inbox.selected, 0);
    }

    #[test]
    fn keymap_override_from_config_changes_keys() {
        let fx = fixture();
        let store = Store::open(&fx.path).unwrap();
        let mut config = Config::default();
        config.ui.keys.insert("solve".into(), "D".into());
        let mut app = Console::new(store, config).unwrap();
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "d");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::New);
        press(&mut app, "D");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::Solved);
    }
}

/// The main screen a newcomer sees on the welcome queue; printed for the docs
/// (`cargo test --test tui_render welcome -- --nocapture`).
#[test]
fn welcome_queue_main_screen_120x40() {
    let mut store = Store::open_in_memory().unwrap();
    firstline::demo::seed(&mut store).unwrap();
    let mut app = Console::new(store, Config::default()).unwrap();
    app.size = (120, 40);
    app.reload().unwrap();
    app.settle();
    let text = shot(&app, 120, 40);
    println!("{text}");
    assert!(text.contains("Needs reply"), "{text}");
    assert!(text.contains("Charged twice"), "{text}");
    assert!(text.contains("? help · : commands"), "{text}");
}

/// The README's key table (`| where | keys |`), row by row: the panes the row speaks
/// for, and every key it names outside parentheses (those hold arguments such as
/// `3h` or `from:`). A backticked word that is not a key name (`$EDITOR`) is not a
/// claim about keys.
fn readme_key_rows() -> Vec<(String, Vec<Key>)> {
    let readme = include_str!("../README.md");
    let table = readme
        .split_once("| where | keys |\n|---|---|\n")
        .expect("README.md has the `| where | keys |` table")
        .1;
    let mut rows = Vec::new();
    for line in table.lines().take_while(|l| l.starts_with('|')) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let (place, keys) = (cells[1], cells[2]);
        let mut depth = 0;
        let outside: String = keys
            .chars()
            .filter(|c| {
                match c {
                    '(' => depth += 1,
                    ')' => depth -= 1,
                    _ => return depth == 0,
                }
                false
            })
            .collect();
        // Odd pieces are inside backticks; "`1`–`6`" names the keys between too.
        let pieces: Vec<&str> = outside.split('`').collect();
        let mut named = Vec::new();
        for (i, piece) in pieces.iter().enumerate().skip(1).step_by(2) {
            named.extend(Key::parse(piece).ok());
            let range_end = pieces.get(i + 2).filter(|_| pieces[i + 1] == "–");
            if let Some((from, to)) = piece
                .parse::<u32>()
                .ok()
                .zip(range_end.and_then(|e| e.parse::<u32>().ok()))
            {
                for n in from + 1..to {
                    named.extend(Key::parse(&n.to_string()).ok());
                }
            }
        }
        rows.push((place.to_string(), named));
    }
    rows
}

/// The panes a README row's "where" stands for.
fn readme_contexts(place: &str) -> Vec<Context> {
    match place {
        "everywhere" | "ticket actions (inbox and conversation)" => {
            vec![Context::Inbox, Context::Conversation]
        }
        "inbox" => vec![Context::Inbox],
        "conversation" => vec![Context::Conversation],
        "composer" => vec![Context::Composer],
        "tone checklist" => vec![Context::Tone],
        "canned, palette, search" => vec![Context::Canned, Context::Palette, Context::Search],
        "mouse" => vec![],
        other => panic!("README key table: unknown row {other:?}; say which panes it means"),
    }
}

/// Every key the README's table names is bound in the panes its row speaks for, and
/// every action those panes bind has a key in the table: the README cannot drift
/// from the keymap `?` and the palette read.
#[test]
fn readme_key_table_matches_the_keymap() {
    let map = KeyMap::default();
    let keys_of = |context: Context| -> Vec<(Key, Action)> {
        map.help(context)
            .into_iter()
            .flat_map(|(keys, action)| {
                keys.split(' ')
                    .map(|k| {
                        (
                            Key::parse(k).expect("help shows key names that parse"),
                            action.clone(),
                        )
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    };
    let rows = readme_key_rows();
    assert!(rows.len() >= 8, "README key table rows: {rows:?}");
    let mut documented: Vec<(Context, Key)> = Vec::new();
    let mut wrong = Vec::new();
    for (place, named) in &rows {
        for context in readme_contexts(place) {
            let bound = keys_of(context);
            for key in named {
                if bound.iter().any(|(k, _)| k == key) {
                    documented.push((context, *key));
                } else {
                    wrong.push(format!(
                        "{place}: {key:?} is not bound in {}",
                        context.label()
                    ));
                }
            }
        }
    }
    let inbox = map.help(Context::Inbox);
    for context in [
        Context::Inbox,
        Context::Conversation,
        Context::Composer,
        Context::Tone,
    ] {
        for (keys, action) in map.help(context) {
            // A key doing the same as in the inbox is a global, which the README's
            // "everywhere" and "ticket actions" rows cover once, for every pane.
            let any_documented = keys.split(' ').any(|k| {
                let key = Key::parse(k).unwrap();
                let same_in_inbox = inbox.iter().any(|(ks, a)| {
                    *a == action && ks.split(' ').any(|i| Key::parse(i).unwrap() == key)
                });
                documented.iter().any(|(c, d)| {
                    *d == key && (*c == context || (same_in_inbox && *c == Context::Inbox))
                })
            });
            if !any_documented {
                wrong.push(format!(
                    "{}: `{keys}` ({}) is not in the README",
                    context.label(),
                    action.name()
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "README key table:\n{}", wrong.join("\n"));
}

/// A 50 MB body (a pasted log) is drawn cut short with a note, not wrapped whole.
#[test]
fn a_fifty_megabyte_body_is_shown_truncated_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.db");
    let mut store = Store::open(&path).unwrap();
    let body = "ERROR 500 at checkout, stack trace follows\n".repeat(50 * 1024 * 1024 / 43);
    ticket(
        &mut store,
        T {
            subject: "Huge log",
            name: "Ops",
            email: Some("ops@example.com"),
            handle: None,
            channel: Channel::Email,
            priority: Priority::High,
            tags: &[],
            minutes_ago: 5,
            body: &body,
            status: Status::New,
        },
    );
    drop(store);
    let mut app = console_at(Store::open(&path).unwrap(), Config::default(), 120, 40);
    press(&mut app, "Enter G");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("more not shown"), "{screen}");
    // `show` alone cuts at 1 MB too: the hint names only --raw (a new-user trial).
    assert!(screen.contains("--raw"), "{screen}");
    assert!(!screen.contains("prints it all"), "{screen}");
    press(&mut app, "r");
    type_text(&mut app, "Looking at it now.");
    assert_eq!(app.composer.text(), "Looking at it now.");
}

/// `a` offers a folder; saving copies the files under clean names, never over
/// an existing file.
#[test]
fn a_saves_attachments_with_clean_names() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("att.db");
    let mut store = Store::open(&path).unwrap();
    let id = store
        .create_ticket(&NewTicket {
            subject: "Invoice attached".into(),
            customer: NewCustomer {
                email: Some("a@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::New,
            tags: vec![],
            first_message: NewMessage {
                body: "see attached".into(),
                attachments: vec![firstline::model::Attachment {
                    filename: "../../evil\u{1b}[2J.pdf".into(),
                    content_type: "application/pdf".into(),
                    size: 3,
                    sha256: Some(
                        "abc123abc123abc123abc123abc123abc123abc123abc123abc123abc123abcd".into(),
                    ),
                }],
                ..Default::default()
            },
        })
        .unwrap();
    drop(store);
    let files = firstline::store::FsBlobs::beside(&path, firstline::store::Bucket::Attachments)
        .dir()
        .to_path_buf();
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("abc123abc123abc123abc123abc123abc123abc123abc123abc123abc123abcd"),
        b"PDF",
    )
    .unwrap();
    let mut app = Console::new(Store::open(&path).unwrap(), Config::default()).unwrap();
    app.size = (120, 40);
    app.reload().unwrap();
    app.settle();
    app.show(id, true).unwrap();
    app.settle();
    press(&mut app, "a");
    assert!(matches!(app.popup, Some(Popup::Prompt { .. })));
    press(&mut app, "Esc");
    let dest = dir.path().join("out");
    // The prompt waits for the runner's answer (false: not closed yet).
    assert!(!app.save_attachments(dest.to_str().unwrap()).unwrap());
    app.settle();
    let saved: Vec<String> = std::fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(saved, vec!["evil_[2J.pdf"]);
    assert!(app.message.as_ref().unwrap().text.contains("saved 1 file"));
}

/// `P` takes a pasted chat into the open ticket as timestamped messages; `L` opens
/// the call-notes template.
#[test]
fn pasted_transcript_and_logged_call_become_messages() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = app.inbox.row(0).unwrap().ticket.id;
    let before = app.store.messages(id).unwrap().len();
    press(&mut app, "Enter P");
    assert_eq!(app.composer.mode, ComposeMode::Transcript);
    app.paste("[14:03] Client: the page still shows 502\n[14:05] me: checking the server now\n");
    app.settle();
    press(&mut app, "ctrl-s");
    let msgs = app.store.messages(id).unwrap();
    assert_eq!(
        msgs.len(),
        before + 2,
        "two timestamped lines, two messages"
    );
    assert_eq!(
        msgs.iter()
            .filter(|m| m.body.contains("still shows 502"))
            .count(),
        1
    );
    assert!(app
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("filed 2 message"));

    press(&mut app, "L");
    assert_eq!(app.composer.mode, ComposeMode::Call);
    assert!(
        app.composer.text().starts_with("Call with"),
        "{}",
        app.composer.text()
    );
    press(&mut app, "ctrl-s");
    assert_eq!(app.store.messages(id).unwrap().len(), before + 3);
}

both_sizes!(report_screen_last_30_days, |app| press(app, "F2"));
both_sizes!(report_screen_last_7_days, |app| press(app, "F2 7"));

/// The report's counts, worked out by hand from `fixture()` (not by the report code
/// under test): five tickets, the solved October invoice 30 days old (its only
/// message our answer), four open ones from the last three hours, each opened by one
/// inbound message. The invoice was filed already solved, so nothing was resolved in
/// any period.
fn expected_totals(days: i64) -> firstline::report::Totals {
    let month = days >= 30;
    firstline::report::Totals {
        tickets_created: if month { 5 } else { 4 },
        tickets_resolved: 0,
        closed_without_reply: 0,
        inbound_messages: 4,
        replies_sent: usize::from(month),
        backlog: 4,
    }
}

/// The report's tickets per tag, by hand from `fixture()`, sorted by label.
fn expected_tags(days: i64) -> Vec<(String, usize)> {
    let billing = if days >= 30 { 2 } else { 1 };
    vec![
        ("access".into(), 1),
        ("billing".into(), billing),
        ("shipping".into(), 1),
    ]
}

fn tags_of(report: &firstline::report::Report) -> Vec<(String, usize)> {
    let mut tags: Vec<_> = report
        .by_tag
        .iter()
        .map(|c| (c.label.clone(), c.count))
        .collect();
    tags.sort();
    tags
}

fn report_screen(app: &Console) -> &firstline::tui::app::ReportScreen {
    match &app.popup {
        Some(Popup::Report(screen)) => screen,
        other => panic!("report screen not open: {other:?}"),
    }
}

#[test]
fn f2_opens_the_report_and_period_keys_recompute_it_and_esc_closes() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "F2");
    let screen = report_screen(&app);
    assert_eq!(screen.days, 30);
    // The solved invoice thread of 30 days ago is in the month, not in the week.
    assert_eq!(screen.report.totals, expected_totals(30));
    assert_eq!(tags_of(&screen.report), expected_tags(30));

    press(&mut app, "7");
    let screen = report_screen(&app);
    assert_eq!(screen.days, 7);
    assert_eq!(screen.report.totals, expected_totals(7));
    assert_eq!(tags_of(&screen.report), expected_tags(7));
    assert_eq!(
        screen.report.volume.len(),
        8,
        "7 days ending mid-day span 8 dates"
    );

    press(&mut app, "9");
    assert_eq!(report_screen(&app).days, 90);
    // Keys that mean something on the inbox do nothing here.
    press(&mut app, "j d");
    assert_eq!(report_screen(&app).days, 90);

    press(&mut app, "Esc");
    assert!(app.popup.is_none());
    assert_eq!(app.focus, Focus::Inbox);
    press(&mut app, "F2 q");
    assert!(app.popup.is_none(), "q closes the report, it does not quit");
    assert!(!app.should_quit);
}

#[test]
fn the_palette_opens_the_report_for_a_named_period() {
    let fx = fixture();
    let mut app = app_at(&fx, 80, 24);
    press(&mut app, ":");
    type_text(&mut app, "report-90d");
    press(&mut app, "Enter");
    assert_eq!(report_screen(&app).days, 90);
    assert_eq!(report_screen(&app).report.totals, expected_totals(90));
    assert_eq!(tags_of(&report_screen(&app).report), expected_tags(90));
}

/// The report screen at a common terminal size, printed for the docs
/// (`cargo test --test tui_render report_screen_120x40 -- --nocapture`).
#[test]
fn report_screen_120x40() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "F2");
    let text = shot(&app, 120, 40);
    println!("{text}");
    for part in [
        "[30d]",
        "Inbound messages per day",
        "First contact",
        "target 90%",
        "Busiest hours",
        "Mon ",
        "Backlog by age",
        "By channel",
        "By tag",
    ] {
        assert!(text.contains(part), "{part}\n{text}");
    }
}

/// Ninety days of traffic with many tags still fits 80×24: the chart keeps the
/// newest days that fit and says so, long lists end with "+N more", the heatmap
/// shades several cells.
#[test]
fn a_busy_quarter_fits_the_report_at_80x24() {
    let fx = fixture();
    {
        let mut store = Store::open(&fx.path).unwrap();
        let tags = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
        for i in 0..120i64 {
            ticket(
                &mut store,
                T {
                    subject: &format!("Question {i}"),
                    name: &format!("Customer {}", i % 17),
                    email: Some(&format!("c{}@example.com", i % 17)),
                    handle: None,
                    channel: Channel::Email,
                    priority: Priority::Normal,
                    tags: &[tags[(i % 10) as usize]],
                    minutes_ago: i * 17 * 60 + (i % 5) * 60 + 30,
                    body: "Where is my parcel?",
                    status: Status::Open,
                },
            );
        }
    }
    let mut app = app_at(&fx, 80, 24);
    press(&mut app, "F2 9");
    let report = &report_screen(&app).report;
    assert_eq!(report.volume.len(), 91);
    assert_eq!(report.totals.tickets_created, 125);
    let text = shot(&app, 80, 24);
    assert!(text.contains("last 78 of 91 days"), "{text}");
    assert!(text.contains("more"), "{text}");
    assert!(text.contains("Sun "), "{text}");
    assert!(text.contains('█') && text.contains('░'), "{text}");
    insta::assert_snapshot!("report_busy_quarter_80x24", text);
    // For the docs: `cargo test --test tui_render busy_quarter -- --nocapture`.
    press(&mut app, "3");
    println!("{}", shot(&app, 120, 40));
}

/// Sarah's ticket after we promised "within an hour" 90 minutes ago and she wrote
/// again since: the promise is 30 minutes overdue and the ticket needs a reply.
fn promise_made_to_sarah(app: &mut Console) -> i64 {
    let id = (0..app.inbox.len())
        .filter_map(|i| app.inbox.row(i))
        .find(|r| r.customer_name == "Sarah Mitchell")
        .unwrap()
        .ticket
        .id;
    for (direction, author, body, minutes_ago) in [
        (
            Direction::Outbound,
            "Olena Test",
            "Hello Sarah,\n\nI have asked our payments team to look at the two charges and will get back to you within an hour.",
            90,
        ),
        (Direction::Inbound, "Sarah Mitchell", "Any news?", 20),
    ] {
        app.store
            .add_message(
                id,
                &NewMessage {
                    direction,
                    author: author.into(),
                    body: body.into(),
                    sent_at: Some(now() - Duration::minutes(minutes_ago)),
                    ..Default::default()
                },
            )
            .unwrap();
    }
    app.reload().unwrap();
    app.settle();
    id
}

/// Selects the inbox row of ticket `id`.
fn select_ticket(app: &mut Console, id: i64) {
    let i = (0..app.inbox.len())
        .find(|i| app.inbox.row(*i).is_some_and(|r| r.ticket.id == id))
        .unwrap();
    app.select(i).unwrap();
    app.settle();
}

both_sizes!(inbox_marks_a_due_followup, |app| {
    promise_made_to_sarah(app);
});
both_sizes!(conversation_shows_the_promise_and_its_time, |app| {
    let id = promise_made_to_sarah(app);
    select_ticket(app, id);
    press(app, "Enter");
});
both_sizes!(tell_solved_reminder_after_solving, |app| {
    let id = promise_made_to_sarah(app);
    select_ticket(app, id);
    press(app, "d");
});

mod followups {
    use super::*;
    use firstline::model::{Formality, Language};
    use firstline::tui::app::ConfirmKind;

    #[test]
    fn a_promise_in_a_sent_reply_is_counted_marked_and_shown() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        assert_eq!(app.counts.followups_due, 0);
        let id = promise_made_to_sarah(&mut app);
        assert_eq!(app.counts.followups_due, 1);
        assert_eq!(app.counts.followups_overdue, 1);
        assert_eq!(
            app.counts.followup_tickets.get(&id),
            Some(&(now() - Duration::minutes(30)))
        );
        select_ticket(&mut app, id);
        let f = app.open.as_ref().unwrap().followup.clone().unwrap();
        assert_eq!(f.phrase, "within an hour");
        let screen = shot(&app, 120, 40);
        assert!(screen.contains("1 follow-up overdue"), "{screen}");
        assert!(
            screen.contains("you promised “within an hour” · overdue 30m"),
            "{screen}"
        );
    }

    /// One follow-up late and one only inside its warning mark read as such, not as
    /// "2 follow-ups due" (found by the new-user trial: one was 57 minutes ahead).
    #[test]
    fn the_status_bar_tells_late_follow_ups_from_ones_due_soon() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        app.counts.followups_due = 2;
        app.counts.followups_overdue = 1;
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains("1 follow-up overdue, 1 due soon"),
            "{screen}"
        );
        app.counts.followups_overdue = 0;
        let screen = shot(&app, 120, 40);
        assert!(screen.contains("2 follow-ups due soon"), "{screen}");
        assert!(!screen.contains("overdue,"), "{screen}");
    }

    #[test]
    fn the_worker_records_and_counts_a_new_promise_in_the_background() {
        let fx = fixture();
        let store = Store::open(&fx.path).unwrap();
        let (tx, answers) = std::sync::mpsc::channel();
        let mut app = Console::new(store, Config::default()).unwrap();
        app.start_worker(move |a| tx.send(a).is_ok());
        app.settle();
        app.clock = Some(now());
        app.reload().unwrap();
        app.settle();
        let id = promise_made_to_sarah(&mut app);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while app.counts.followups_due == 0 && std::time::Instant::now() < deadline {
            if let Ok(answer) = answers.recv_timeout(std::time::Duration::from_millis(200)) {
                app.handle(firstline::tui::msg::Msg::Worker(answer));
            }
        }
        assert_eq!(app.counts.followups_due, 1);
        assert!(app.counts.followup_tickets.contains_key(&id));
        let f = app.store.followups(true, Some(id)).unwrap();
        assert_eq!(f.len(), 1, "recorded by the worker's scan");
    }

    #[test]
    fn shift_w_prefills_the_still_working_reply_and_sending_settles_the_followup() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        let customer = app.store.ticket(id).unwrap().customer_id;
        app.store
            .set_customer_profile(customer, Language::Uk, Formality::Formal)
            .unwrap();
        select_ticket(&mut app, id);
        press(&mut app, "W");
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(app.composer.mode, ComposeMode::Reply);
        assert_eq!(
            app.composer.text(),
            "Добрий день, Sarah!\n\nКоротко про Ваше звернення: ми ще працюємо над ним і не \
             забули про Вас. Рішення займає трохи більше часу, ніж ми обіцяли. Щойно буде \
             результат, одразу напишу."
        );
        press(&mut app, "ctrl-s");
        if matches!(app.popup, Some(Popup::Confirm { .. })) {
            press(&mut app, "y");
        }
        let last = app.store.messages(id).unwrap().pop().unwrap();
        assert_eq!(last.direction, Direction::Outbound);
        assert!(
            last.body.starts_with("Добрий день, Sarah!"),
            "{}",
            last.body
        );
        // Settled by the later reply (the rule `followups` uses), not marked done:
        // unsending the reply would bring it back.
        assert_eq!(app.counts.followups_due, 0);
        assert!(app.open.as_ref().unwrap().followup.is_none());
        let open = app.store.followups(true, Some(id)).unwrap();
        assert_eq!(open.len(), 1);
    }

    #[test]
    fn still_working_reply_from_the_palette_by_name() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        select_ticket(&mut app, id);
        press(&mut app, ":");
        type_text(&mut app, "still working reply");
        press(&mut app, "Enter");
        assert_eq!(app.focus, Focus::Composer);
        assert!(app.composer.text().contains("still working on it"));
    }

    #[test]
    fn shift_w_without_a_followup_says_so_and_opens_nothing() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "W");
        assert!(app.composer.is_empty());
        assert_ne!(app.focus, Focus::Composer);
        let m = app.message.clone().unwrap();
        assert!(m.text.contains("has no open follow-up"), "{}", m.text);
    }

    #[test]
    fn shift_w_keeps_a_started_draft() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        select_ticket(&mut app, id);
        press(&mut app, "r");
        type_text(&mut app, "Dear Sarah");
        press(&mut app, "Esc W");
        assert_eq!(app.composer.text(), "Dear Sarah");
        assert!(app.message.as_ref().unwrap().error);
    }

    #[test]
    fn solving_after_a_delay_notice_offers_to_tell_the_customer() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        select_ticket(&mut app, id);
        press(&mut app, "d");
        assert_eq!(app.store.ticket(id).unwrap().status, Status::Solved);
        assert!(matches!(
            app.popup,
            Some(Popup::Confirm {
                kind: ConfirmKind::TellSolved(t)
            }) if t == id
        ));
        press(&mut app, "y");
        assert!(app.popup.is_none());
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(app.composer.ticket, Some(id));
        assert!(app.composer.text().contains("your request is solved"));
    }

    #[test]
    fn the_solved_reminder_never_blocks_other_keys() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        select_ticket(&mut app, id);
        press(&mut app, "d");
        assert!(app.popup.is_some());
        press(&mut app, "2");
        assert!(app.popup.is_none());
        assert_eq!(app.inbox.view, View::All, "the key did its own work");

        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = promise_made_to_sarah(&mut app);
        select_ticket(&mut app, id);
        press(&mut app, "d Esc");
        assert!(app.popup.is_none());
        assert!(app.composer.is_empty());
        assert_ne!(app.focus, Focus::Composer);
        let m = app.message.clone().unwrap();
        assert!(m.text.contains("not told"), "{}", m.text);
    }

    #[test]
    fn solving_without_a_promise_asks_nothing() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "d");
        assert!(app.popup.is_none());
    }

    #[test]
    fn f_adds_a_followup_by_hand_and_shift_f_marks_it_done() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.inbox.row(0).unwrap().ticket.id;
        press(&mut app, "f");
        type_text(&mut app, "soon-ish");
        press(&mut app, "Enter");
        assert!(
            matches!(app.popup, Some(Popup::Prompt { .. })),
            "an unreadable time keeps the prompt"
        );
        press(&mut app, "ctrl-u");
        type_text(&mut app, "30m call the bank");
        press(&mut app, "Enter");
        assert!(app.popup.is_none());
        let f = app.open.as_ref().unwrap().followup.clone().unwrap();
        assert_eq!(f.ticket_id, id);
        assert_eq!(f.phrase, "call the bank");
        assert_eq!(f.due_at, now() + Duration::minutes(30));
        assert_eq!(app.counts.followups_due, 1, "30m is inside a warning mark");
        assert_eq!(app.counts.followups_overdue, 0);
        press(&mut app, "F");
        assert!(app.open.as_ref().unwrap().followup.is_none());
        assert!(app.store.followups(true, Some(id)).unwrap().is_empty());
        assert_eq!(app.counts.followups_due, 0);
    }
}

/// Issue #13 item 7: a hard line break survives wrapping, in the thread and in the
/// composer. The thread holds a long line followed by short ones (a sign-off, a
/// KOI8-R customer's "Проверьте, пожалуйста.\nС уважением, …").
mod text_reads_as_written {
    use super::*;

    const SIGNED: &str = "Я оплатила заказ, но в личном кабинете он до сих пор не отображается.\nПроверьте, пожалуйста.\nС уважением, Виктория Ремизова";
    const THANKS: &str = "I have tried every single thing you suggested last week and nothing helped at all…\nThanks,\nSarah";

    fn store_with(body: &str) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("text.db");
        let mut store = Store::open(&path).unwrap();
        ticket(
            &mut store,
            T {
                subject: "Оплата счёта",
                name: "Виктория Ремизова",
                email: Some("vr@example.ru"),
                handle: None,
                channel: Channel::Email,
                priority: Priority::Normal,
                tags: &[],
                minutes_ago: 30,
                body,
                status: Status::New,
            },
        );
        Fixture { _dir: dir, path }
    }

    /// Whether some screen row holds `text` with only frame, bar and blanks before it.
    fn starts_a_row(screen: &str, text: &str) -> bool {
        screen.lines().any(|row| {
            row.find(text).is_some_and(|at| {
                row[..at]
                    .chars()
                    .all(|c| c == ' ' || c == '│' || c == '┃' || c == '║')
            })
        })
    }

    #[test]
    fn thread_view_keeps_a_short_line_after_a_long_one_on_its_own_row() {
        for body in [SIGNED, THANKS] {
            for (w, h) in [(80u16, 24u16), (120, 40), (160, 48)] {
                let fx = store_with(body);
                let mut app = app_at(&fx, w, h);
                press(&mut app, "Enter");
                let screen = shot(&app, w, h);
                for line in body.lines().skip(1) {
                    assert!(
                        starts_a_row(&screen, line),
                        "{w}x{h}: '{line}' is not on its own row:\n{screen}"
                    );
                }
            }
        }
    }

    #[test]
    fn composer_wraps_at_spaces_never_before_punctuation_or_with_a_leading_space() {
        let reply = "Вибачте за затримку. Ми перевіримо замовлення протягом 24 години. Якщо щось зміниться, напишемо вам одразу, добре? Дякуємо за терпіння, гарного дня.";
        for w in 80u16..=120 {
            let fx = store_with(SIGNED);
            let mut app = app_at(&fx, w, 40);
            press(&mut app, "Enter r");
            type_text(&mut app, reply);
            let screen = shot(&app, w, 40);
            let rows = composer_rows(&screen, "Вибачте");
            assert!(rows.len() > 1, "{w}: the reply wraps:\n{screen}");
            for row in &rows {
                assert!(
                    !row.starts_with([' ', '.', ',', '?']),
                    "{w}: a composer row starts with '{}':\n{screen}",
                    row.chars().next().unwrap_or(' ')
                );
            }
            let joined: Vec<&str> = rows.iter().map(|r| r.trim_end()).collect();
            assert_eq!(
                joined.join(" "),
                reply,
                "{w}: the rows are the reply:\n{screen}"
            );
        }
    }

    /// The composer's rows, from the one starting with `first` down to its bottom
    /// border: the text between the box's side borders.
    fn composer_rows(screen: &str, first: &str) -> Vec<String> {
        let rows: Vec<&str> = screen.lines().collect();
        let Some((top, col)) = rows.iter().enumerate().find_map(|(i, r)| {
            r.find(&format!("│{first}"))
                .map(|b| (i, r[..b].chars().count()))
        }) else {
            return Vec::new();
        };
        rows[top..]
            .iter()
            .map(|r| {
                let inside: String = r.chars().skip(col + 1).collect();
                inside.split('│').next().unwrap_or("").to_string()
            })
            .take_while(|r| !r.starts_with('─') && !r.trim().is_empty())
            .collect()
    }
}

/// Issue #13 small items on text and rendering: the year on old messages, facts
/// that never split across rows, earlier tickets in the narrow layout, and a tone
/// pane that shows blocking findings first and scrolls.
mod small_rendering_items {
    use super::*;

    fn open_sarah(app: &mut Console) {
        let id = (0..app.inbox.len())
            .find_map(|i| {
                app.inbox
                    .row(i)
                    .filter(|r| r.customer_name == "Sarah Mitchell")
                    .map(|r| r.ticket.id)
            })
            .expect("the fixture has Sarah's ticket");
        let i = (0..app.inbox.len())
            .find(|i| app.inbox.row(*i).is_some_and(|r| r.ticket.id == id))
            .unwrap();
        app.select(i).unwrap();
        app.settle();
        press(app, "Enter");
    }

    #[test]
    fn old_messages_show_their_year() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let mut store = Store::open(&path).unwrap();
        ticket(
            &mut store,
            T {
                subject: "Warranty from last year",
                name: "Ann Old",
                email: Some("ann@example.com"),
                handle: None,
                channel: Channel::Email,
                priority: Priority::Normal,
                tags: &[],
                minutes_ago: 400 * 24 * 60,
                body: "The kettle stopped working.",
                status: Status::New,
            },
        );
        drop(store);
        let fx = Fixture { _dir: dir, path };
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "Enter");
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains("▼ Ann Old  22 Oct 2025 "),
            "the header of a message from last year names the year:\n{screen}"
        );
    }

    #[test]
    fn ticket_header_never_splits_a_fact_across_rows() {
        for w in [80u16, 100, 120] {
            let fx = fixture();
            let mut app = app_at(&fx, w, 40);
            press(&mut app, "Enter");
            let screen = shot(&app, w, 40);
            for row in screen.lines() {
                let text = row.trim_start_matches(['│', ' ']);
                assert!(
                    !text.starts_with("ticket") && !text.starts_with("other ticket"),
                    "{w}: a row starts with the end of a fact:\n{screen}"
                );
            }
        }
    }

    #[test]
    fn earlier_tickets_are_listed_at_120_columns() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        open_sarah(&mut app);
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains("Invoice for October"),
            "Sarah's earlier ticket is named, not only counted:\n{screen}"
        );
    }

    const CARELESS: &str = "whatever. It is not our fault, calm down!!! We cannot do anything, it is company policy. Send your card 4111 1111 1111 1111 again.";

    #[test]
    fn a_blocking_tone_finding_is_visible_at_120x40_and_the_pane_scrolls() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        open_sarah(&mut app);
        press(&mut app, "r");
        type_text(&mut app, CARELESS);
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains("✗ A payment card number"),
            "the card-number block shows without Ctrl-S:\n{screen}"
        );
        press(&mut app, "ctrl-t PageDown");
        assert!(app.tone.scroll > 0, "PgDn scrolls the findings");
        let scrolled = shot(&app, 120, 40);
        assert_ne!(scrolled, screen, "the findings moved");
        assert!(
            scrolled.contains("[ ] "),
            "the checklist stays on screen:\n{scrolled}"
        );
        press(&mut app, "PageUp PageUp PageUp");
        assert_eq!(app.tone.scroll, 0);
    }
}

// ---- a new user's trial: dates on the desk's clock, pasted lines under our name ---

/// The customer sidebar's "first contact" was the UTC date: a customer who first
/// wrote at 00:43 in Kyiv showed the day before. README: every date shown is on
/// `[sla] timezone`.
#[test]
fn first_contact_is_the_date_on_the_desks_clock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let mut store = Store::open(&path).unwrap();
    let late = Utc.with_ymd_and_hms(2026, 11, 25, 22, 43, 0).unwrap(); // 00:43 in Kyiv
    let id = store
        .create_ticket(&NewTicket {
            subject: "Where is my parcel".into(),
            customer: NewCustomer {
                name: "Ірина Мельник".into(),
                email: Some("iryna@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::New,
            tags: Vec::new(),
            first_message: NewMessage {
                direction: Direction::Inbound,
                author: "Ірина Мельник".into(),
                body: "Добрий вечір, де моя посилка?".into(),
                sent_at: Some(late),
                ..Default::default()
            },
        })
        .unwrap();
    let mut config = Config::default();
    config.agent.name = "Olena Test".into();
    config.sla.timezone = "Europe/Kyiv".into();
    let mut app = console_at(store, config, 160, 48);
    select_ticket(&mut app, id);
    press(&mut app, "Enter");
    let screen = shot(&app, 160, 48);
    assert!(screen.contains("2026-11-26"), "{screen}");
    assert!(!screen.contains("2026-11-25"), "{screen}");
}

/// A transcript pasted in the console (`P`) filed our lines under "я" (as written)
/// instead of the agent's name, as `import --paste` now does.
#[test]
fn a_pasted_transcript_files_our_lines_under_the_agents_name() {
    let fx = fixture();
    let mut app = app_at(&fx, 160, 48);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter P");
    type_text(
        &mut app,
        "[09:10] Sarah Mitchell: still charged twice\n[09:12] я: checking with the bank now",
    );
    press(&mut app, "ctrl-s");
    let thread = Store::open(&fx.path).unwrap().messages(sarah).unwrap();
    let ours = thread
        .iter()
        .find(|m| m.body.contains("checking with the bank"))
        .expect("the pasted line is filed");
    assert_eq!(ours.author, "Olena Test");
}

// ---- issue #15 item 7: a logged call is our contact with the customer -------------

/// Issue #15 item 7: a call logged with `L` was filed as an inbound customer message,
/// so the ticket stayed "new" in Needs reply with its clock running right after the
/// call, the "Follow-up by:" line was just text, and the template's time was UTC.
#[test]
fn issue15_item7_logged_call_answers_the_customer_and_books_its_follow_up() {
    let fx = fixture();
    let mut config = Config::default();
    config.agent.name = "Olena Test".into();
    config.sla.timezone = "Europe/Kyiv".into();
    let mut app = console_at(Store::open(&fx.path).unwrap(), config, 160, 48);
    let id = app
        .store
        .tickets()
        .unwrap()
        .into_iter()
        .find(|t| t.subject.starts_with("Charged twice"))
        .expect("Sarah's ticket in the fixture")
        .id;
    assert!(app.store.ticket(id).unwrap().needs_reply(now()));
    select_ticket(&mut app, id);
    press(&mut app, "Enter L");
    assert_eq!(app.composer.mode, ComposeMode::Call);
    let template = app.composer.text();
    assert!(
        template.starts_with("Call with Sarah Mitchell, 2026-11-26 12:00 Europe/Kyiv"),
        "the console's zone, named: {template}"
    );
    press(&mut app, "Up End");
    type_text(&mut app, "tomorrow 10:00");
    press(&mut app, "ctrl-s");

    let t = app.store.ticket(id).unwrap();
    assert_eq!(
        t.status,
        Status::Open,
        "answered by the call, no longer new"
    );
    assert!(!t.needs_reply(now()), "out of Needs reply: {t:?}");
    assert_eq!(t.first_response_at, Some(now()));
    let call = app.store.messages(id).unwrap().pop().unwrap();
    assert_eq!(
        (call.direction, call.author.as_str()),
        (Direction::Outbound, "Olena Test")
    );
    assert!(
        call.body.contains("Follow-up by: tomorrow 10:00"),
        "{}",
        call.body
    );
    let followups = app.store.followups(true, Some(id)).unwrap();
    assert_eq!(followups.len(), 1, "{followups:?}");
    assert_eq!(
        followups[0].due_at,
        Utc.with_ymd_and_hms(2026, 11, 27, 8, 0, 0).unwrap(),
        "tomorrow 10:00 in Kyiv"
    );
    assert_eq!(followups[0].message_id, Some(call.id));
    let screen = shot(&app, 160, 48);
    assert!(
        screen.contains("follow-up Fri 2026-11-27 10:00 Europe/Kyiv"),
        "{screen}"
    );
}

/// Issue #15 item 1: a reply the transport refused is marked in the thread as not
/// delivered (never an ordinary "(reply)"), the ticket stays in Needs reply, and the
/// status bar's error shows the transport's stderr whole at 120 columns.
#[test]
fn issue15_1_an_undelivered_reply_is_marked_in_the_thread_and_its_error_fits_the_status_bar() {
    use firstline::tui::courier::Delivery;
    const STDERR: &str = "msmtp: account default not found: no configuration file available";
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = (0..app.inbox.len())
        .filter_map(|i| app.inbox.row(i))
        .find(|r| r.customer_name == "Sarah Mitchell")
        .unwrap()
        .ticket
        .id;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("sendmail-refuses");
    std::fs::write(
        &script,
        format!("#!/bin/sh\ncat > /dev/null\necho '{STDERR}' >&2\nexit 1\n"),
    )
    .unwrap();
    let mut cfg = Config::default();
    cfg.agent.name = "Olena Test".into();
    cfg.agent.email = "olena@shop.example".into();
    cfg.mail.undo_seconds = 0;
    cfg.mail.sendmail = Some(format!("sh '{}'", script.display()));
    firstline::mail::queue_reply(&mut app.store, &cfg, id, "I have refunded the duplicate.")
        .unwrap();
    let round =
        firstline::mail::deliver_due(&mut app.store, &cfg, Utc::now() + Duration::seconds(1));
    let Some(Delivery::Failed(text)) = Delivery::of_round(round, &app.store) else {
        panic!("the refused delivery must be reported as failed");
    };
    app.delivery_failed(text.clone());
    app.settle();
    app.reload().unwrap();
    app.settle();
    select_ticket(&mut app, id);
    press(&mut app, "Enter");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("NOT DELIVERED"), "{screen}");
    assert!(!screen.contains("Olena Test (reply)"), "{screen}");
    assert!(
        screen.contains(STDERR),
        "stderr readable in the status bar: {screen}"
    );
    assert!(app.store.ticket(id).unwrap().needs_reply(Utc::now()));
    assert!(
        screen.contains("Sarah Mitc… reply not delivered"),
        "the inbox row says why it is back in Needs reply: {screen}"
    );
    app.message = None;
    let screen = shot(&app, 120, 40);
    assert!(
        screen.contains("1 reply not delivered: firstline outbox"),
        "the status bar keeps it in view after the message goes: {screen}"
    );

    // Delivered on a later try: the error, the marker and the row's words go.
    app.delivery_failed(text);
    app.settle();
    let captured = dir.path().join("sent.eml");
    cfg.mail.sendmail = Some(format!("cat > '{}'", captured.display()));
    let report =
        firstline::mail::deliver_due(&mut app.store, &cfg, Utc::now() + Duration::seconds(7200))
            .unwrap();
    assert_eq!(report.sent.len(), 1, "{report:?}");
    app.reload().unwrap();
    app.settle();
    assert_eq!(
        app.message, None,
        "the delivery error clears once delivered"
    );
    let screen = shot(&app, 120, 40);
    assert!(!screen.contains("not delivered"), "{screen}");
    assert!(!screen.contains("NOT DELIVERED"), "{screen}");
    assert!(screen.contains("Olena Test (reply)"), "{screen}");
}

/// Issue #15 item 2: with no mail transport the console says the reply was saved for
/// the user to send (not "1 reply delivered"), the thread marks it not sent, the
/// ticket stays in Needs reply and the status bar keeps it in view.
#[test]
fn issue15_2_without_a_transport_the_console_says_saved_for_you_to_send() {
    use firstline::tui::courier::Delivery;
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = (0..app.inbox.len())
        .filter_map(|i| app.inbox.row(i))
        .find(|r| r.customer_name == "Sarah Mitchell")
        .unwrap()
        .ticket
        .id;
    let mut cfg = Config::default();
    cfg.agent.name = "Olena Test".into();
    cfg.agent.email = "olena@shop.example".into();
    cfg.mail.undo_seconds = 0;
    firstline::mail::queue_reply(&mut app.store, &cfg, id, "Refund is on its way.").unwrap();
    let round =
        firstline::mail::deliver_due(&mut app.store, &cfg, Utc::now() + Duration::seconds(1));
    let Some(Delivery::Saved(text)) = Delivery::of_round(round, &app.store) else {
        panic!("a reply with no transport must be reported as saved, not delivered");
    };
    assert!(
        text.contains(".eml for you to send — no mail transport is set (see [mail] in the README)")
            // "not sent" first: a trial read the line cut at 120 columns as a success.
            && text
                .find("not sent")
                .is_some_and(|n| text.find("saved as").is_some_and(|s| n < s)),
        "{text}"
    );
    assert!(!text.contains("delivered"), "{text}");
    let folder = fx.path.with_file_name("queue.outbox");
    assert_eq!(std::fs::read_dir(&folder).unwrap().count(), 1, "{folder:?}");
    app.reload().unwrap();
    app.settle();
    select_ticket(&mut app, id);
    press(&mut app, "Enter");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("NOT SENT: saved as .eml"), "{screen}");
    assert!(screen.contains("1 reply saved, not sent"), "{screen}");
    assert!(app.store.ticket(id).unwrap().needs_reply(Utc::now()));
}

/// Sarah's open "Charged twice" ticket and her solved October invoice ticket.
fn sarah_tickets(app: &Console) -> (i64, i64) {
    let find = |subject: &str| {
        app.store
            .tickets()
            .unwrap()
            .into_iter()
            .find(|t| t.subject == subject)
            .unwrap()
            .id
    };
    (
        find("Charged twice for order #48213"),
        find("Invoice for October"),
    )
}

/// #15 small thing: `m` lists the customer's other tickets by number, and never
/// the ticket being merged.
#[test]
fn merge_prompt_lists_the_customers_other_tickets_never_the_current_one() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (current, invoice) = sarah_tickets(&app);
    select_ticket(&mut app, current);
    press(&mut app, "m");
    let screen = shot(&app, 120, 40);
    let hint = screen
        .lines()
        .find(|l| l.contains("their other tickets:"))
        .unwrap_or_else(|| panic!("no list of Sarah's other tickets:\n{screen}"));
    assert!(
        hint.contains(&format!("#{invoice} Invoice for October")),
        "{hint}"
    );
    assert!(!hint.contains(&format!("#{current} ")), "{hint}");
    assert!(!screen.contains("e.g. 12"), "no made-up number:\n{screen}");
}

/// #15 small thing: after a merge the cursor and the open ticket are the ticket
/// merged into, not whichever row slid under the cursor.
#[test]
fn after_a_merge_the_cursor_stays_on_the_ticket_merged_into() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (current, invoice) = sarah_tickets(&app);
    press(&mut app, "2"); // All: the solved invoice ticket is listed too
    select_ticket(&mut app, current);
    press(&mut app, "m");
    type_text(&mut app, &invoice.to_string());
    press(&mut app, "Enter y");
    assert!(app.store.ticket(current).is_err(), "merged away");
    assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(invoice));
    assert_eq!(app.open.as_ref().map(|o| o.detail.ticket.id), Some(invoice));
}

/// #15 small thing: a draft can be thrown away with a key, and `u` brings it back
/// (reply drafts in the store too).
#[test]
fn ctrl_g_discards_the_draft_and_u_brings_it_back() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = app.inbox.row(0).unwrap().ticket.id;
    press(&mut app, "Enter r");
    type_text(&mut app, "A draft I no longer want.");
    app.flush_draft().unwrap();
    app.settle();
    press(&mut app, "ctrl-g");
    assert!(app.composer.is_empty(), "{:?}", app.composer.text());
    assert_eq!(app.store.draft(id).unwrap().map(|d| d.body), None);
    assert!(app
        .message
        .as_ref()
        .unwrap()
        .text
        .contains("u brings it back"));
    assert_eq!(app.focus, Focus::Conversation);
    press(&mut app, "u");
    assert_eq!(app.composer.text(), "A draft I no longer want.");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(
        app.store.draft(id).unwrap().map(|d| d.body),
        Some("A draft I no longer want.".into())
    );
}

/// #15 small thing: a promised time in a reply becomes a follow-up by itself when
/// sent, so the tone hint never tells the user to snooze the ticket instead.
#[test]
fn tone_hint_for_a_promised_time_points_to_the_automatic_follow_up() {
    let checker = firstline::tone::Checker::builtin();
    for reply in [
        "I'll write back tomorrow morning.",
        "Напишу вам за годину.",
        "Напишу вам в течение дня.",
    ] {
        let report = checker.check(reply, &firstline::tone::ToneContext::default());
        let finding = report
            .findings
            .iter()
            .find(|f| f.rule == "expectations.follow-up")
            .unwrap_or_else(|| panic!("no follow-up hint for {reply:?}"));
        let text = format!(
            "{} {}",
            finding.message,
            finding.suggestion.as_deref().unwrap_or("")
        );
        for snooze in ["Snooze", "snooze", "Відкладіть", "Отложите"] {
            assert!(!text.contains(snooze), "{reply:?}: {text}");
        }
        assert!(text.contains("firstline"), "{reply:?}: {text}");
    }
}

/// Issue #15 item 14: what another connection commits (a second console, an import
/// in another shell) reaches the list and the open ticket at the next ticks, with
/// no `R`: here a snooze, then the customer's reply that wakes the ticket, so the
/// open ticket stops saying "snoozed".
#[test]
fn a_change_made_elsewhere_shows_without_r_and_a_woken_ticket_stops_saying_snoozed() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (id, _) = sarah_tickets(&app);
    select_ticket(&mut app, id);
    press(&mut app, "Enter");
    let mut elsewhere = Store::open(&fx.path).unwrap();
    elsewhere
        .change_ticket(
            id,
            &TicketChange::Snooze(Some(now() + Duration::days(1))),
            None,
        )
        .unwrap();
    // Ticks a second apart: past the check interval, on the program's own clock.
    let mut at = std::time::Instant::now();
    let mut tick_until = |app: &mut Console, what: &str, ok: &dyn Fn(&str) -> bool| {
        for _ in 0..10 {
            at += std::time::Duration::from_secs(1);
            app.tick(at).unwrap();
            app.settle();
            if ok(&shot(app, 120, 40)) {
                return;
            }
        }
        panic!("{what} never showed:\n{}", shot(app, 120, 40));
    };
    tick_until(&mut app, "the snooze from elsewhere", &|s| {
        s.contains("☾ snoozed until")
    });
    elsewhere
        .add_message(
            id,
            &NewMessage {
                direction: Direction::Inbound,
                author: "Sarah Mitchell".into(),
                body: "Any news on the refund?".into(),
                sent_at: Some(now()),
                ..Default::default()
            },
        )
        .unwrap();
    tick_until(&mut app, "Sarah's new message", &|s| {
        s.contains("Any news on the refund?")
    });
    assert!(
        !shot(&app, 120, 40).contains("snoozed"),
        "{}",
        shot(&app, 120, 40)
    );
}

/// Issue #15 item 14: a note added to the ticket elsewhere (another console, `note`
/// from a script) after the composer opened makes sending ask first; `n` keeps the
/// draft unsent, `y` sends it.
#[test]
fn a_note_added_elsewhere_after_the_composer_opened_makes_sending_ask() {
    use firstline::tui::app::ConfirmKind;
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (id, _) = sarah_tickets(&app);
    select_ticket(&mut app, id);
    press(&mut app, "Enter r");
    type_text(
        &mut app,
        "Hello Sarah, the duplicate charge is refunded today. Olena",
    );
    let outbound = |app: &Console| {
        app.store
            .messages(id)
            .unwrap()
            .iter()
            .filter(|m| m.direction == Direction::Outbound)
            .count()
    };
    let before = outbound(&app);
    Store::open(&fx.path)
        .unwrap()
        .add_message(
            id,
            &NewMessage {
                direction: Direction::Note,
                author: "Olena Test".into(),
                body: "Refunded already from the other laptop.".into(),
                ..Default::default()
            },
        )
        .unwrap();
    press(&mut app, "ctrl-s");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("Changed elsewhere"), "{screen}");
    assert!(
        screen.contains("Refunded already from the other laptop."),
        "{screen}"
    );
    press(&mut app, "n");
    assert_eq!(outbound(&app), before, "not sent");
    assert!(app.composer.text().starts_with("Hello Sarah"));
    // `n` showed what was added: it counts as read. Only something newer still asks
    // (a new-user trial answered `n`, edited, and was asked about the same note
    // again).
    Store::open(&fx.path)
        .unwrap()
        .add_message(
            id,
            &NewMessage {
                direction: Direction::Note,
                author: "Olena Test".into(),
                body: "And the customer phoned, too.".into(),
                ..Default::default()
            },
        )
        .unwrap();
    press(&mut app, "ctrl-s");
    assert!(
        matches!(
            app.popup,
            Some(Popup::Confirm {
                kind: ConfirmKind::SendDespiteAddedElsewhere { added: 1, .. }
            })
        ),
        "asked about the newer note only: {:?}",
        app.popup
    );
    press(&mut app, "n");
    press(&mut app, "ctrl-s");
    assert!(
        !matches!(
            app.popup,
            Some(Popup::Confirm {
                kind: ConfirmKind::SendDespiteAddedElsewhere { .. }
            })
        ),
        "not asked about what n already showed: {:?}",
        app.popup
    );
    if matches!(app.popup, Some(Popup::Confirm { .. })) {
        press(&mut app, "y"); // the tone question, if it has one
    }
    assert_eq!(outbound(&app), before + 1, "{:?}", app.message);
}

/// A new user's trial: the customer wrote again ("never mind the invoice, but the
/// refund…") while the reply about the invoice was being written; the new message
/// showed in the thread, and Ctrl-S sent at once. It asks first, naming them.
#[test]
fn the_customer_writing_again_while_the_reply_is_written_makes_sending_ask() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (id, _) = sarah_tickets(&app);
    select_ticket(&mut app, id);
    press(&mut app, "Enter r");
    type_text(
        &mut app,
        "Hello Sarah, here is the invoice you asked for. Olena",
    );
    let store = Store::open(&fx.path).unwrap();
    let outbound = || {
        store
            .messages(id)
            .unwrap()
            .iter()
            .filter(|m| m.direction == Direction::Outbound)
            .count()
    };
    let before = outbound();
    Store::open(&fx.path)
        .unwrap()
        .add_message(
            id,
            &NewMessage {
                direction: Direction::Inbound,
                author: "Sarah Mitchell".into(),
                body: "Never mind the invoice, I found it. But the refund still has not arrived!"
                    .into(),
                ..Default::default()
            },
        )
        .unwrap();
    press(&mut app, "ctrl-s");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("Changed elsewhere"), "{screen}");
    assert!(screen.contains("Sarah Mitchell wrote again"), "{screen}");
    press(&mut app, "n");
    assert_eq!(outbound(), before, "not sent");
    assert!(app.composer.text().starts_with("Hello Sarah"));
}

/// Issue #15 item 14: a reply draft loaded from the store and not edited here
/// follows the store when another console changes it (here: sends it, which clears
/// it), so this console never offers the other's draft for sending a second time.
#[test]
fn a_draft_cleared_by_another_console_is_cleared_here_too() {
    let fx = fixture();
    let (id, _) = {
        let app = app_at(&fx, 120, 40);
        sarah_tickets(&app)
    };
    let mut other = Store::open(&fx.path).unwrap();
    other.save_draft(id, "Refund on its way, Sarah.").unwrap();
    let mut app = app_at(&fx, 120, 40);
    select_ticket(&mut app, id);
    press(&mut app, "Enter");
    assert_eq!(app.composer.text(), "Refund on its way, Sarah.");
    other.save_draft(id, "").unwrap();
    let mut at = std::time::Instant::now();
    for _ in 0..10 {
        at += std::time::Duration::from_secs(1);
        app.tick(at).unwrap();
        app.settle();
    }
    assert!(app.composer.is_empty(), "{:?}", app.composer.text());
}

/// #15 small thing: `W` on a started draft names the documented way out (Ctrl-G
/// discards it), and after Ctrl-G the still-working reply goes in.
#[test]
fn shift_w_on_a_started_draft_says_ctrl_g_discards_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = promise_made_to_sarah(&mut app);
    select_ticket(&mut app, id);
    press(&mut app, "r");
    type_text(&mut app, "Dear Sarah");
    press(&mut app, "Esc W");
    let m = app.message.clone().unwrap();
    assert!(m.text.contains("Ctrl-G"), "{}", m.text);
    press(&mut app, "ctrl-g Esc W");
    assert!(
        app.composer.text().contains("still working on it"),
        "{}",
        app.composer.text()
    );
}

/// The other side of the test above: words typed in this console are never
/// replaced by another console's change to the stored draft.
#[test]
fn a_draft_typed_here_is_kept_when_another_console_clears_the_stored_one() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (id, _) = sarah_tickets(&app);
    select_ticket(&mut app, id);
    press(&mut app, "Enter r");
    type_text(&mut app, "My own words for Sarah.");
    app.flush_draft().unwrap();
    app.settle();
    Store::open(&fx.path).unwrap().save_draft(id, "").unwrap();
    let mut at = std::time::Instant::now();
    for _ in 0..10 {
        at += std::time::Duration::from_secs(1);
        app.tick(at).unwrap();
        app.settle();
    }
    assert_eq!(app.composer.text(), "My own words for Sarah.");
}

fn id_of(app: &Console, name: &str) -> i64 {
    (0..app.inbox.len())
        .filter_map(|i| app.inbox.row(i))
        .find(|r| r.customer_name == name)
        .unwrap_or_else(|| panic!("no ticket of {name} in the view"))
        .ticket
        .id
}

#[test]
fn h12_4_coming_back_to_a_view_keeps_the_same_ticket_selected() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, olena);
    press(&mut app, "4 1");
    assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
    press(&mut app, "d");
    assert_eq!(app.store.ticket(olena).unwrap().status, Status::Solved);
}

#[test]
fn h12_2_undo_is_refused_when_the_ticket_changed_elsewhere_and_names_the_ticket() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "p");
    press(&mut app, "Enter");
    press(&mut app, "d");
    // Someone (the CLI) changes the ticket after the console did.
    let mut other = Store::open(&fx.path).unwrap();
    other
        .change_ticket(sarah, &TicketChange::Status(Status::Pending), None)
        .unwrap();
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.contains(&format!("#{sarah}")), "{text}");
    assert!(text.contains("changed since"), "{text}");
    assert_eq!(app.store.ticket(sarah).unwrap().status, Status::Pending);
    // The older change on the stack is not walked back silently either.
    press(&mut app, "u");
    assert_eq!(app.store.ticket(sarah).unwrap().status, Status::Pending);
}

#[test]
fn h12_2_undo_names_the_ticket_it_took_back() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "d u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.starts_with(&format!("undone on #{sarah}: status solved")),
        "{text}"
    );
    assert_eq!(app.store.ticket(sarah).unwrap().status, Status::New);
}

/// An older change on another ticket (Olena's snoozed), then the cursor on Sarah's:
/// what `u` after an action that cannot be undone must leave alone.
fn olena_snoozed_then_sarah(app: &mut Console) -> (i64, i64) {
    let sarah = id_of(app, "Sarah Mitchell");
    let olena = id_of(app, "Олена Коваль");
    select_ticket(app, olena);
    press(app, "z");
    type_text(app, "3h\n");
    select_ticket(app, sarah);
    (sarah, olena)
}

#[test]
fn h12_3_u_right_after_a_merge_says_the_merge_cannot_be_undone() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let dmitry = id_of(&app, "Дмитрий Соколов");
    let (_, olena) = olena_snoozed_then_sarah(&mut app);
    press(&mut app, "m");
    type_text(&mut app, &format!("{dmitry}\n"));
    press(&mut app, "y");
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.contains("cannot be undone"), "{text}");
    assert!(app.store.ticket(olena).unwrap().snoozed_until.is_some());
}

/// A new user's trial: `u` right after a note undid an older change on another
/// ticket (a tag, a thrown-away draft brought back). A note cannot be taken back:
/// `u` says so and leaves the older change alone.
#[test]
fn u_right_after_a_note_says_so_and_never_reaches_past_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (sarah, olena) = olena_snoozed_then_sarah(&mut app);
    press(&mut app, "n");
    type_text(&mut app, "called her bank, refund is on its way");
    press(&mut app, "ctrl-s");
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains(&format!("the note on #{sarah} cannot be undone")),
        "{text}"
    );
    let store = Store::open(&fx.path).unwrap();
    assert!(store.ticket(olena).unwrap().snoozed_until.is_some());
    let notes = store.messages(sarah).unwrap();
    assert!(notes
        .iter()
        .any(|m| m.direction == Direction::Note && m.body.contains("refund is on its way")));
}

/// The trial's second case: `N` (no reply needed) was not undoable, so `u` after it
/// said "not undone: #11 changed since" about an older change on another ticket.
/// On a new ticket `N` solved it; `u` reopens it with the customer waiting again.
#[test]
fn u_after_no_reply_needed_on_a_new_ticket_gives_the_wait_back() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (sarah, olena) = olena_snoozed_then_sarah(&mut app);
    let store = Store::open(&fx.path).unwrap();
    assert_eq!(store.ticket(sarah).unwrap().status, Status::New);
    let waiting = store.ticket(sarah).unwrap().awaiting_reply_since;
    assert!(waiting.is_some());
    press(&mut app, "N");
    type_text(&mut app, "a thank-you\n");
    assert_eq!(store.ticket(sarah).unwrap().status, Status::Solved);
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.starts_with(&format!("undone on #{sarah}")), "{text}");
    let back = store.ticket(sarah).unwrap();
    assert_eq!(back.status, Status::New);
    assert_eq!(back.awaiting_reply_since, waiting);
    assert!(store.ticket(olena).unwrap().snoozed_until.is_some());
}

/// A new user's trial: after undoing a snooze the ticket came back, but the cursor
/// stayed on the one that had moved up in its place, and the next key (`N`) hit it.
#[test]
fn undoing_a_snooze_puts_the_cursor_on_the_ticket_that_came_back() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, olena);
    press(&mut app, "z");
    // Far ahead: the list hides a ticket by the real clock, not the test's.
    type_text(&mut app, "2030-06-01\n");
    assert_ne!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
    press(&mut app, "u");
    assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
}

#[test]
fn h12_3_merging_into_another_customers_ticket_asks_first_naming_both() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    let dmitry = id_of(&app, "Дмитрий Соколов");
    select_ticket(&mut app, sarah);
    press(&mut app, "m");
    type_text(&mut app, &format!("{dmitry}\n"));
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("Sarah Mitchell"), "{screen}");
    assert!(screen.contains("Дмитрий Соколов"), "{screen}");
    assert!(screen.contains("Merge anyway?"), "{screen}");
    press(&mut app, "n");
    assert!(app.popup.is_none());
    assert!(
        app.store.ticket(sarah).is_ok(),
        "the ticket must not be merged away"
    );
    assert_eq!(app.store.messages(sarah).unwrap().len(), 1);
}

#[test]
fn h12_1_a_saved_draft_on_screen_is_marked_not_active_and_typing_never_enters_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    app.store
        .save_draft(olena, "Добрий день, перевіряю.")
        .unwrap();
    app.reload().unwrap();
    app.settle();
    select_ticket(&mut app, olena);
    press(&mut app, "Enter");
    assert_eq!(app.focus, Focus::Conversation);
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("└ not active · r continues it"), "{screen}");
    assert!(screen.contains("r continues it"), "{screen}");
    // `n` on a reply draft writes a note beside it; the draft stays saved.
    press(&mut app, "n");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.mode, ComposeMode::Note);
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.contains("r continues the reply"), "{text}");
    press(&mut app, "Esc");
    assert_eq!(app.composer.mode, ComposeMode::Reply, "an empty note left");
    assert!(shot(&app, 120, 40).contains("r continues it"));
    press(&mut app, "r");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.text(), "Добрий день, перевіряю.");
}

/// New users: a note whose save failed (the store refused it) stayed on screen, but
/// the next keys acted on the ticket (`?` opened help, `e` Escalate) and the status
/// line said the draft was not active. As for a reply, the keyboard stays in the
/// note and Ctrl-S tries again.
#[test]
fn a_note_whose_save_failed_keeps_the_keyboard_and_ctrl_s_retries() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    firstline::store::SqliteStore::execute_for_tests(
        &fx.path,
        "CREATE TRIGGER no_notes BEFORE INSERT ON messages WHEN NEW.direction = 'note'
         BEGIN SELECT RAISE(ABORT, 'disk I/O error'); END;",
    )
    .unwrap();
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter n");
    type_text(&mut app, "Reseller");
    press(&mut app, "ctrl-s");
    let notes = |app: &Console| {
        app.store
            .messages(sarah)
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == Direction::Note)
            .count()
    };
    assert_eq!(notes(&app), 0, "the store refused the note");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.mode, ComposeMode::Note);
    let before = app.store.ticket(sarah).unwrap();
    type_text(&mut app, " ?e");
    assert!(app.popup.is_none(), "no popup opened: {:?}", app.popup);
    assert_eq!(app.composer.text(), "Reseller ?e");
    assert_eq!(app.store.ticket(sarah).unwrap().status, before.status);
    firstline::store::SqliteStore::execute_for_tests(&fx.path, "DROP TRIGGER no_notes").unwrap();
    press(&mut app, "ctrl-s");
    let last = app.store.messages(sarah).unwrap().pop().unwrap();
    assert_eq!(
        (last.direction, last.body.as_str()),
        (Direction::Note, "Reseller ?e")
    );
}

/// New users: on a ticket with a saved reply draft `n` was refused, and the note
/// typed right after ran as console keys (`d` solved the ticket, `e` opened
/// Escalate, `p` Priority). Now `n` opens the note beside the draft and the letters
/// are the note's; where a composer is still refused (`r` beside an unsent note)
/// the letters are refused until Esc, which the status line names.
#[test]
fn a_note_typed_after_a_refused_n_never_acts_on_the_ticket() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    app.store.save_draft(olena, "Добрий день.").unwrap();
    app.reload().unwrap();
    app.settle();
    select_ticket(&mut app, olena);
    press(&mut app, "Enter");
    let before = app.store.ticket(olena).unwrap();
    let unchanged = |app: &Console| {
        let after = app.store.ticket(olena).unwrap();
        assert_eq!(
            (after.status, after.priority, &after.tags),
            (before.status, before.priority, &before.tags)
        );
        assert_eq!(
            app.store.draft(olena).unwrap().unwrap().body,
            "Добрий день.",
            "the reply draft took none of the typing"
        );
    };
    press(&mut app, "n");
    type_text(&mut app, "dup of 12");
    press(&mut app, "Backspace");
    type_text(&mut app, "2 merge, escalate\n");
    assert!(app.popup.is_none(), "no popup opened: {:?}", app.popup);
    unchanged(&app);
    assert_eq!(app.composer.mode, ComposeMode::Note);
    assert_eq!(app.composer.text(), "dup of 12 merge, escalate\n");
    // `r` beside that unsent note is refused: the reply typed on is held back.
    press(&mut app, "Esc r");
    assert_ne!(app.focus, Focus::Composer);
    type_text(&mut app, "dear customer, escalated\n");
    assert!(app.popup.is_none(), "no popup opened: {:?}", app.popup);
    unchanged(&app);
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(text.contains("Esc"), "{text}");
    press(&mut app, "Esc");
    press(&mut app, "n");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.text(), "dup of 12 merge, escalate\n");
}

#[test]
fn h12_1_slash_in_the_conversation_starts_the_search() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter");
    assert_eq!(app.focus, Focus::Conversation);
    let tags = app.store.ticket(sarah).unwrap().tags;
    press(&mut app, "/");
    type_text(&mut app, "Motörhead");
    assert!(app.inbox.search_editing);
    assert_eq!(app.inbox.search.as_deref(), Some("Motörhead"));
    assert!(app.popup.is_none());
    assert_eq!(app.store.ticket(sarah).unwrap().tags, tags);
}

#[test]
fn h12_5_no_reply_needed_solves_a_new_ticket_and_stops_its_clocks() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let dmitry = id_of(&app, "Дмитрий Соколов");
    select_ticket(&mut app, dmitry);
    press(&mut app, "N");
    type_text(&mut app, "auto-reply\n");
    let ticket = app.store.ticket(dmitry).unwrap();
    assert_eq!(ticket.status, Status::Solved);
    assert_eq!(ticket.awaiting_reply_since, None);
    let events = app.store.events(Some(dmitry)).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.new.as_deref() == Some("auto-reply")),
        "the reason is on record: {events:?}"
    );
    let config = firstline::config::Config::default().sla;
    let calendar = firstline::sla::BusinessCalendar::from_config(&config).unwrap();
    let years_later = now() + Duration::days(20 * 365);
    let clocks = firstline::sla::ticket_clocks(&config, &calendar, &ticket, &events, years_later);
    for clock in [
        Some(clocks.first_response),
        clocks.next_response,
        Some(clocks.resolution),
    ]
    .into_iter()
    .flatten()
    {
        assert!(clock.due().is_none(), "{clock:?} still runs");
    }
}

/// The new-user trial: nothing on screen said whose a ticket was, so a teammate's
/// was taken or answered unawares. The ticket's facts line names the assignee.
#[test]
fn the_open_ticket_says_whose_it_is() {
    let fx = fixture();
    let mut elsewhere = Store::open(&fx.path).unwrap();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    elsewhere
        .change_ticket(
            sarah,
            &firstline::model::TicketChange::Assignee(Some("Petro".into())),
            None,
        )
        .unwrap();
    app.reload().unwrap();
    app.settle();
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("assigned to Petro"), "{screen}");
}

/// Merges `id` into another ticket of the list from a second handle, as a teammate's
/// console would, without this console reloading; returns where it went.
fn merge_away_elsewhere(app: &Console, fx: &Fixture, id: i64) -> i64 {
    let other = (0..app.inbox.len())
        .filter_map(|i| app.inbox.row(i))
        .map(|r| r.ticket.id)
        .find(|t| *t != id)
        .unwrap();
    Store::open(&fx.path)
        .unwrap()
        .merge_tickets(id, other)
        .unwrap();
    other
}

/// The status line, or "" when there is none.
fn status_line(app: &Console) -> String {
    app.message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default()
}

/// The new-user trial: with the queue failing the composer (the server down; here
/// the ticket merged away in another console, not yet reloaded), the words typed on
/// after `r` ran as commands — "Important" opened the merge prompt on its `m`. They
/// are refused until Esc.
#[test]
fn letters_typed_after_a_composer_that_did_not_open_run_no_command() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter");
    merge_away_elsewhere(&app, &fx, sarah);
    press(&mut app, "r");
    assert_ne!(app.focus, Focus::Composer, "the ticket is gone");
    type_text(&mut app, "Important");
    assert!(app.popup.is_none(), "a letter opened {:?}", app.popup);
    let line = status_line(&app);
    assert!(line.contains("typing stopped"), "{line}");
    press(&mut app, "Esc");
    press(&mut app, "m");
    assert!(app.popup.is_some(), "after Esc keys act again");
}

/// The new-user trial: a teammate merged the ticket being replied to; the console
/// moved to another ticket without a word and the next letters acted on it (`T`
/// took it). The user is told, and letters are refused until Esc.
#[test]
fn a_ticket_merged_elsewhere_while_replying_is_said_and_stops_the_letters() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter r");
    type_text(&mut app, "Hi Sarah, second try");
    merge_away_elsewhere(&app, &fx, sarah);
    if let Err(e) = app.reload() {
        app.store_error(e);
    }
    app.settle();
    let line = status_line(&app);
    assert!(line.contains(&format!("#{sarah} is gone")), "{line}");
    assert_eq!(
        app.orphaned_words,
        vec![(sarah, "Hi Sarah, second try".to_string())],
        "the words not saved are kept to print"
    );
    type_text(&mut app, "Th");
    assert!(app.popup.is_none(), "{:?}", app.popup);
    let line = status_line(&app);
    assert!(line.contains("typing stopped"), "{line}");
}

#[test]
fn h12_2_two_undos_in_a_row_on_one_ticket_both_apply() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "t");
    type_text(&mut app, "+refund\n");
    press(&mut app, "d u");
    assert_eq!(app.store.ticket(sarah).unwrap().status, Status::New);
    select_ticket(&mut app, sarah);
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.starts_with(&format!("undone on #{sarah}: tagged")),
        "{text}"
    );
    assert!(!app
        .store
        .ticket(sarah)
        .unwrap()
        .tags
        .contains(&"refund".to_string()));
}

/// H13 item 1: with neither `[agent] email` nor `[mail] addresses`, the first send
/// asks for the From address once (after the name), writes it to config.toml, and the
/// reply goes out From it, never from a made-up `@localhost`.
#[test]
fn no_sender_address_first_send_asks_for_it_once_and_saves_it() {
    let fx = fixture();
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, "[agent]\nname = \"Ігор Тестер\"\n").unwrap();
    let store = Store::open(&fx.path).unwrap();
    let config = Config::load(&config_path).unwrap();
    let mut app = Console::new(store, config).unwrap();
    app.clock = Some(now());
    app.size = (120, 40);
    press(&mut app, "Enter");
    state::send_reply(&mut app, "Your refund is on its way.");
    assert!(
        matches!(
            app.popup,
            Some(Popup::Prompt {
                kind: firstline::tui::app::PromptKind::AgentEmail,
                ..
            })
        ),
        "asks for the address: {:?}",
        app.popup
    );
    assert!(app.store.outbox_entries(true).unwrap().is_empty());
    type_text(&mut app, "not an address");
    press(&mut app, "Enter");
    assert!(app.popup.is_some(), "a non-address is not accepted");
    while matches!(&app.popup, Some(Popup::Prompt { input, .. }) if !input.is_empty()) {
        press(&mut app, "Backspace");
    }
    type_text(&mut app, "help@shop.example");
    press(&mut app, "Enter");
    if matches!(app.popup, Some(Popup::Confirm { .. })) {
        press(&mut app, "y");
    }
    let entries = app.store.outbox_entries(true).unwrap();
    assert_eq!(entries.len(), 1, "sent after the answer");
    let raw = app.store.raw_message(entries[0].message).unwrap().unwrap();
    let raw = String::from_utf8_lossy(&raw);
    let from = raw.lines().find(|l| l.starts_with("From:")).unwrap_or("");
    assert!(from.contains("<help@shop.example>"), "{from}");
    let loaded = Config::load(&config_path).unwrap();
    assert_eq!(loaded.agent.email, "help@shop.example");
    assert_eq!(loaded.agent.name, "Ігор Тестер");
    state::send_reply(&mut app, "Thanks for waiting.");
    assert!(
        !matches!(app.popup, Some(Popup::Prompt { .. })),
        "asked once"
    );
}

/// A phone ticket goes by no mail, so its first reply is only recorded: asking for a
/// sender address then is a question with no use, and "their chat" is the wrong way to
/// reach a caller (found by the new-user trial).
#[test]
fn a_phone_ticket_reply_needs_no_sender_address_and_says_to_call() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let mut store = Store::open(&path).unwrap();
    let caller = ticket(
        &mut store,
        T {
            subject: "Called about a late delivery",
            name: "Mykola Caller",
            email: None,
            handle: None,
            channel: Channel::Phone,
            priority: Priority::Normal,
            tags: &[],
            minutes_ago: 10,
            body: "The parcel has not arrived, please call back.",
            status: Status::New,
        },
    );
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, "[agent]\nname = \"Olena Test\"\n").unwrap();
    let config = Config::load(&config_path).unwrap();
    let mut app = console_at(store, config, 120, 40);
    select_ticket(&mut app, caller);
    press(&mut app, "Enter");
    state::send_reply(
        &mut app,
        "Your parcel leaves the warehouse today; we will call you.",
    );
    assert!(
        !matches!(app.popup, Some(Popup::Prompt { .. })),
        "asked for a sender address: {:?}",
        app.popup
    );
    let line = status_line(&app);
    assert!(line.contains("by phone"), "{line}");
    let check = Store::open(&path).unwrap();
    assert!(check
        .messages(caller)
        .unwrap()
        .iter()
        .any(|m| m.direction == Direction::Outbound && m.body.contains("leaves the warehouse")));
}

/// H13 item 2: `;;access` + Tab for a formal Ukrainian customer inserts the formal
/// Ukrainian variant, as the picker ranks them, not the first (English) one; English
/// only when there is none in their language.
#[test]
fn shortcut_tab_picks_the_customers_language_and_formality() {
    let fx = fixture();
    let mut store = Store::open(&fx.path).unwrap();
    for (slug, lang, formality, body) in [
        (
            "access-en",
            "en",
            "formal",
            "Hello, your access is restored.",
        ),
        (
            "access-uk-ty",
            "uk",
            "informal",
            "Привіт! Доступ тобі повернули.",
        ),
        (
            "access-uk",
            "uk",
            "formal",
            "Добрий день! Доступ вам відновлено.",
        ),
        ("only-en", "en", "formal", "English only text."),
    ] {
        let shortcut = if slug == "only-en" { "only" } else { "access" };
        store
            .canned_add(&NewCanned {
                slug: slug.into(),
                title: slug.into(),
                shortcut: Some(shortcut.into()),
                language: lang.parse().unwrap(),
                formality: formality.parse().unwrap(),
                tags: Vec::new(),
                keywords: Vec::new(),
                body: body.into(),
            })
            .unwrap();
    }
    for customer in store.tickets().unwrap().iter().map(|t| t.customer_id) {
        store
            .set_customer_profile(customer, Language::Uk, Formality::Formal)
            .unwrap();
    }
    drop(store);
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "r");
    type_text(&mut app, ";;access");
    press(&mut app, "Tab");
    let text = app.composer.text();
    assert!(text.contains("Доступ вам відновлено"), "{text}");
    assert!(!text.contains("access is restored"), "{text}");
    type_text(&mut app, "\n;;only");
    press(&mut app, "Tab");
    let text = app.composer.text();
    assert!(
        text.contains("English only text."),
        "the English fallback: {text}"
    );
}

/// H13 item 3: a placeholder firstline fills itself (`[agent.name]`) is filled on
/// insert when the value is known; when it is not, it stays visible but the cursor
/// goes to the first placeholder the user must fill, so typing never replaces it.
#[test]
fn canned_insert_puts_the_cursor_on_the_users_placeholder_not_agent_name() {
    let fx = fixture();
    let mut store = Store::open(&fx.path).unwrap();
    for (slug, title, body) in [
        (
            "sig-amount",
            "Signed amount",
            "{{ agent.name }} here. We refunded {{ order.amount }} today.",
        ),
        (
            "sig-only",
            "Signed only",
            "Thanks for waiting, {{ agent.name }}.",
        ),
    ] {
        store
            .canned_add(&firstline::model::NewCanned {
                slug: slug.into(),
                title: title.into(),
                shortcut: None,
                language: firstline::model::Language::En,
                formality: firstline::model::Formality::Unknown,
                tags: vec![],
                keywords: vec![],
                body: body.into(),
            })
            .unwrap();
    }
    drop(store);
    let unnamed = |fx: &Fixture| {
        let mut config = Config::default();
        config.agent.email = "olena@shop.example".into();
        console_at(Store::open(&fx.path).unwrap(), config, 120, 40)
    };

    // Unknown name, a placeholder of the user's after it: typing fills the user's.
    let mut app = unnamed(&fx);
    press(&mut app, "Enter c");
    type_text(&mut app, "signed amount");
    press(&mut app, "Enter");
    type_text(&mut app, "42 EUR");
    let text = app.composer.text();
    assert!(text.contains("[agent.name] here."), "{text}");
    assert!(text.contains("We refunded 42 EUR today."), "{text}");

    // Unknown name and nothing else to fill: typing does not replace it.
    let mut app = unnamed(&fx);
    press(&mut app, "Enter c");
    type_text(&mut app, "signed only");
    press(&mut app, "Enter");
    type_text(&mut app, "Hello");
    let text = app.composer.text();
    assert!(text.contains("[agent.name]"), "{text}");
    assert!(text.contains("Hello"), "{text}");

    // Known name: filled on insert.
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "Enter c");
    type_text(&mut app, "signed only");
    press(&mut app, "Enter");
    let text = app.composer.text();
    assert!(text.contains("Thanks for waiting, Olena Test."), "{text}");
}

/// Issue #18: the status bar follows the Telegram channel — live, failing with what to
/// do, or unread for long enough that Telegram may have dropped messages — and a
/// warning stays in view on a narrow terminal where "live" gives way.
#[test]
fn the_status_bar_shows_the_telegram_channel_state() {
    use firstline::tui::telegram::ChannelView;
    let fx = fixture();
    let mut app = app_at(&fx, 160, 48);
    let last_row =
        |app: &Console, w: u16| shot(app, w, 48).lines().nth(47).unwrap_or("").to_string();
    app.telegram = Some(ChannelView {
        last_poll: Some(now() - Duration::minutes(1)),
        error: None,
    });
    assert!(
        last_row(&app, 160).contains("telegram live"),
        "{}",
        last_row(&app, 160)
    );
    app.telegram = Some(ChannelView {
        last_poll: Some(now() - Duration::hours(21)),
        error: None,
    });
    let stale = last_row(&app, 160);
    assert!(
        stale.contains("telegram not read for 21h: messages may be lost"),
        "{stale}"
    );
    app.telegram = Some(ChannelView {
        last_poll: Some(now() - Duration::minutes(3)),
        error: Some("webhook set (409): firstline fetch --delete-webhook".into()),
    });
    let failing = last_row(&app, 120);
    assert!(failing.contains("telegram: webhook set (409)"), "{failing}");
}

/// Issue #15, second trial: keys typed while a saved draft is on screen but not
/// active went nowhere without a word. The status bar now says how to continue the
/// draft, with the key from the live keymap; the draft itself is untouched.
#[test]
fn issue15_14_typing_beside_an_inactive_draft_says_how_to_continue_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, olena);
    press(&mut app, "Enter r");
    type_text(&mut app, "Добрий день");
    press(&mut app, "Esc");
    assert_eq!(app.focus, Focus::Conversation);
    app.message = None;
    // Cyrillic letters mean nothing in the thread: the user thinks they are typing.
    type_text(&mut app, "ще");
    let message = app.message.clone().map(|m| m.text).unwrap_or_default();
    assert!(message.contains("r continues it"), "{message:?}");
    assert_eq!(app.composer.text(), "Добрий день");
}

/// Issue #15, second trial: `[agent.name]` a canned reply left in the draft (the
/// name was not known yet) stayed in the sent reply after the first-send prompt for
/// the name was answered. It is filled in with the answer.
#[test]
fn issue15_14_agent_name_left_by_a_canned_reply_is_filled_after_the_name_prompt() {
    let fx = fixture();
    let mut store = Store::open(&fx.path).unwrap();
    store
        .canned_add(&firstline::model::NewCanned {
            slug: "sig-only".into(),
            title: "Signed only".into(),
            shortcut: None,
            language: firstline::model::Language::En,
            formality: firstline::model::Formality::Unknown,
            tags: vec![],
            keywords: vec![],
            body: "Thanks for waiting, {{ agent.name }}.".into(),
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config_path = dir.path().join("config.toml");
    std::fs::write(&config_path, "[agent]\nemail = \"help@shop.example\"\n").unwrap();
    let mut app = Console::new(store, Config::load(&config_path).unwrap()).unwrap();
    app.clock = Some(now());
    app.size = (120, 40);
    app.reload().unwrap();
    app.settle();
    press(&mut app, "Enter c");
    type_text(&mut app, "signed only");
    press(&mut app, "Enter");
    assert!(app.composer.text().contains("[agent.name]"));
    press(&mut app, "ctrl-s");
    assert!(
        matches!(
            app.popup,
            Some(Popup::Prompt {
                kind: firstline::tui::app::PromptKind::AgentName,
                ..
            })
        ),
        "{:?}",
        app.popup
    );
    type_text(&mut app, "Olena Kovalenko");
    press(&mut app, "Enter");
    if matches!(app.popup, Some(Popup::Confirm { .. })) {
        press(&mut app, "y");
    }
    let sent: Vec<String> = app
        .store
        .outbox_entries(true)
        .unwrap()
        .iter()
        .map(|e| {
            String::from_utf8_lossy(&app.store.raw_message(e.message).unwrap().unwrap())
                .into_owned()
        })
        .collect();
    assert_eq!(sent.len(), 1, "{:?}", app.message);
    assert!(sent[0].contains("Olena Kovalenko."), "{}", sent[0]);
    assert!(!sent[0].contains("[agent.name]"), "{}", sent[0]);
}

/// Issue #15, second trial: `/` on an applied search reopened it and typing was
/// added to the old query. The old query now comes back selected: typing starts a
/// new one, an arrow key keeps it to edit, and `Esc` still clears the search.
#[test]
fn issue15_14_slash_again_types_a_new_query_over_the_old_one() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "/");
    type_text(&mut app, "charged");
    press(&mut app, "Enter");
    assert_eq!(app.inbox.search.as_deref(), Some("charged"));
    press(&mut app, "/");
    type_text(&mut app, "заказ");
    assert_eq!(app.inbox.search.as_deref(), Some("заказ"));
    press(&mut app, "Enter /");
    press(&mut app, "Right");
    type_text(&mut app, "*");
    assert_eq!(app.inbox.search.as_deref(), Some("заказ*"));
    press(&mut app, "Esc");
    assert_eq!(app.inbox.search, None);
    press(&mut app, "/");
    type_text(&mut app, "x");
    assert_eq!(app.inbox.search.as_deref(), Some("x"));
}

/// Issue #15, second trial: the selection was still lost after `4` then `1` when
/// the ticket was open in the thread: the view came back with the cursor on the
/// right ticket but another ticket shown beside it, and `d` acted on the cursor's.
/// The ticket shown is now always the one under the cursor.
#[test]
fn issue15_14_four_then_one_from_the_thread_keeps_the_ticket_shown_and_selected() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    for start in ["", "Enter"] {
        select_ticket(&mut app, olena);
        press(&mut app, start);
        press(&mut app, "4 1");
        let shown = app.open.as_ref().map(|o| o.detail.ticket.id);
        assert_eq!(
            app.selected_ticket().map(|r| r.ticket.id),
            Some(olena),
            "after {start:?} 4 1"
        );
        app.settle();
        assert_eq!(shown, Some(olena), "after {start:?} 4 1");
    }
    press(&mut app, "d");
    assert_eq!(app.store.ticket(olena).unwrap().status, Status::Solved);
}

/// Issue #15, second trial: a merge (which cannot be undone) happened without a
/// confirmation. Every merge now asks, naming both tickets; `n` keeps them apart,
/// `y` merges and says so.
#[test]
fn issue15_14_a_merge_asks_first_and_says_it_merged() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let (current, invoice) = sarah_tickets(&app);
    press(&mut app, "2");
    select_ticket(&mut app, current);
    press(&mut app, "m");
    type_text(&mut app, &invoice.to_string());
    press(&mut app, "Enter");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("Merge?"), "{screen}");
    assert!(screen.contains("cannot be undone"), "{screen}");
    assert!(
        screen.contains(&format!("#{current} into #{invoice}")),
        "{screen}"
    );
    press(&mut app, "n");
    assert!(app.store.ticket(current).is_ok(), "n keeps them apart");
    press(&mut app, "m");
    type_text(&mut app, &invoice.to_string());
    press(&mut app, "Enter y");
    assert!(app.store.ticket(current).is_err(), "merged");
    let said = app.message.as_ref().unwrap().text.clone();
    assert_eq!(said, format!("merged #{current} into #{invoice}"));
}

/// Issue #15 (first trial, left open): help and palette descriptions were cut at
/// 120 columns. At 120 they fit whole; help wraps them on a narrower screen.
#[test]
fn issue15_14_help_and_palette_descriptions_are_whole_at_120_columns() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let merge = Action::Merge.describe();
    press(&mut app, "?");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains(&merge), "help at 120:\n{screen}");
    press(&mut app, "Esc :");
    type_text(&mut app, "merge");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains(&merge), "palette at 120:\n{screen}");
    press(&mut app, "Esc");
    let mut narrow = app_at(&fx, 60, 40);
    press(&mut narrow, "?");
    let screen = shot(&narrow, 60, 40);
    let joined: String = screen
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c == ' '))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        joined.contains("Snooze until… (tomorrow 9:00, 3h, monday)"),
        "help wraps on a narrow screen:\n{screen}"
    );
}

/// Issue #15 (first trial, left open): F2 on a first run showed a report of zeros
/// (the welcome tickets do not count) without a word why. It says so.
#[test]
fn issue15_14_f2_on_the_welcome_queue_says_why_it_is_all_zeros() {
    let mut store = Store::open_in_memory().unwrap();
    let seeded = firstline::demo::seed(&mut store).unwrap();
    let mut app = Console::new(store, Config::default()).unwrap();
    app.size = (120, 40);
    app.reload().unwrap();
    app.settle();
    press(&mut app, "F2");
    let screen = shot(&app, 120, 40);
    assert!(
        screen.contains(&format!(
            "the {seeded} welcome tickets are examples and do not count"
        )),
        "{screen}"
    );
    // With work of one's own in the period, the usual busiest-hours line is back.
    let mut store = Store::open_in_memory().unwrap();
    firstline::demo::seed(&mut store).unwrap();
    store
        .create_ticket(&NewTicket {
            subject: "Refund".into(),
            customer: NewCustomer {
                name: "Ann".into(),
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::New,
            tags: vec![],
            first_message: NewMessage {
                direction: Direction::Inbound,
                author: "Ann".into(),
                body: "Where is my refund?".into(),
                ..Default::default()
            },
        })
        .unwrap();
    let mut app = Console::new(store, Config::default()).unwrap();
    app.size = (120, 40);
    app.reload().unwrap();
    app.settle();
    press(&mut app, "F2");
    let screen = shot(&app, 120, 40);
    assert!(!screen.contains("welcome tickets"), "{screen}");
    assert!(screen.contains("Busiest: "), "{screen}");
}

/// Issue #15, second trial, in the console: choosing the status a ticket already
/// has is no change: nothing logged, no undo entry, and the status bar says so.
#[test]
fn issue15_14_the_same_status_again_in_the_console_is_unchanged() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    press(&mut app, "2"); // All: a pending ticket stays in the list
    select_ticket(&mut app, sarah);
    press(&mut app, "s p");
    select_ticket(&mut app, sarah);
    let events = |app: &Console| app.store.events(Some(sarah)).unwrap().len();
    let (before, undo) = (events(&app), app.undo.len());
    press(&mut app, "s p");
    assert_eq!(events(&app), before, "nothing logged");
    assert_eq!(app.undo.len(), undo, "nothing to undo");
    let said = app.message.as_ref().unwrap().text.clone();
    assert!(said.contains("unchanged"), "{said}");
}

/// Issue #15 item 14: a reply taken back with `u` is this console's draft again;
/// leaving its ticket lets it go, so another console may continue it without being
/// told it is "being edited in another console".
#[test]
fn issue15_14_a_reply_taken_back_is_let_go_on_leaving_the_ticket() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter");
    state::send_reply(&mut app, "Your refund is on its way.");
    press(&mut app, "u");
    let draft = app
        .store
        .draft(sarah)
        .unwrap()
        .expect("taken back into the draft");
    assert!(
        draft.owner.is_some(),
        "held by this console while it is open here"
    );
    press(&mut app, "Esc Esc Esc");
    let other = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, other);
    let draft = app.store.draft(sarah).unwrap().expect("still saved");
    assert_eq!(draft.owner, None, "let go on leaving");
    assert!(draft.body.starts_with("Your refund is on its way."));
}

/// Found by the new-user trial: `g j Enter d` solved the open ticket, the list then
/// highlighted the ticket that took its place while the thread still showed the
/// solved one, and the next `n` or `d` hit the thread's ticket, not the highlighted
/// one; `J` skipped the ticket in its place.
#[test]
fn once_the_open_ticket_leaves_the_view_no_other_row_looks_selected_and_j_opens_the_one_in_its_place(
) {
    use ratatui::style::Modifier;
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "g j Enter");
    let solved = app.open.as_ref().unwrap().detail.ticket.id;
    press(&mut app, "d");
    let in_place = app.selected_ticket().unwrap().ticket.id;
    assert_ne!(in_place, solved);
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, solved);
    let mut terminal = ratatui::Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    terminal
        .draw(|f| firstline::tui::panes::draw(f, &app))
        .unwrap();
    let buffer = terminal.backend().buffer();
    let areas = firstline::tui::layout::layout(ratatui::layout::Rect::new(0, 0, 120, 40), &app);
    let inbox = areas.inbox.expect("the list is on screen at 120x40");
    for y in inbox.y..inbox.y + inbox.height {
        for x in inbox.x..inbox.x + inbox.width {
            let cell = &buffer[(x, y)];
            assert!(
                !cell.modifier.contains(Modifier::REVERSED),
                "row {y} of the list is drawn selected while the thread shows #{solved}"
            );
        }
    }
    press(&mut app, "J");
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, in_place);
    assert!(app.cursor_is_the_pane());
}

/// Found by the new-user trial: a big import from another shell sorted ahead of the
/// ticket under the cursor, pushed it out of the rows the console holds, and the
/// cursor stayed on its old row — now an unrelated ticket — with no key pressed.
#[test]
fn a_reload_that_pushes_the_cursors_ticket_far_down_keeps_the_cursor_on_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "G");
    let kept = app.selected_ticket().unwrap().ticket.id;
    let mut store = Store::open(&fx.path).unwrap();
    for i in 0..400 {
        // Older than anything in the fixture: each sorts ahead in Needs reply.
        ticket(
            &mut store,
            T {
                subject: &format!("Imported {i}"),
                name: &format!("Customer {i}"),
                email: Some(&format!("c{i}@example.com")),
                handle: None,
                channel: Channel::Email,
                priority: Priority::Urgent,
                tags: &[],
                minutes_ago: 100_000 + i,
                body: "Where is my order?",
                status: Status::New,
            },
        );
    }
    app.reload().unwrap();
    app.settle();
    assert_eq!(
        app.selected_ticket().map(|r| r.ticket.id),
        Some(kept),
        "the cursor stays on its ticket"
    );
    app.settle();
    assert!(app.inbox.selected >= 400, "{}", app.inbox.selected);
}

/// The cursor follows the ticket, never the row (a new user's trial: an import or a
/// reload landing between a key and its answer put the cursor on a ticket just
/// imported into the same row, and the next `d` solved a ticket never looked at).
mod cursor_follows_the_ticket {
    use super::*;

    /// A ticket that sorts in Needs reply right after Sarah's (2h25m left): normal
    /// priority, waiting 4 hours (4 h left of 8).
    fn import_between_sarah_and_olena(store: &mut Store) -> i64 {
        ticket(
            store,
            T {
                subject: "Just imported",
                name: "Nobody Seen",
                email: Some("nobody@example.com"),
                handle: None,
                channel: Channel::Email,
                priority: Priority::Normal,
                tags: &[],
                minutes_ago: 240,
                body: "A ticket the user never looked at.",
                status: Status::New,
            },
        )
    }

    fn row_ids(app: &Console) -> Vec<i64> {
        (0..app.inbox.len())
            .filter_map(|i| app.inbox.row(i))
            .map(|r| r.ticket.id)
            .collect()
    }

    fn key(app: &mut Console, word: &str) {
        let k = Key::parse(word).unwrap();
        handle_key(app, KeyEvent::new(k.code, k.mods));
    }

    /// `d` on Sarah's ticket, and an import lands before the answer: the cursor goes
    /// to the ticket that was after Sarah's (Olena's), not to the new one that slid
    /// into her row. Failed before: the cursor sat on "Just imported".
    #[test]
    fn an_import_between_a_solve_and_its_answer_does_not_take_the_cursor() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "j");
        let sarah = app.selected_ticket().unwrap().ticket.id;
        let olena = app.inbox.row(2).unwrap().ticket.id;
        assert!(app
            .selected_ticket()
            .unwrap()
            .customer_name
            .contains("Sarah"));
        // The key is handled; its change and reload have not run yet.
        key(&mut app, "d");
        let mut other = Store::open(&fx.path).unwrap();
        let new = import_between_sarah_and_olena(&mut other);
        app.settle();
        assert_eq!(app.store.ticket(sarah).unwrap().status, Status::Solved);
        assert_eq!(
            app.inbox.row(1).map(|r| r.ticket.id),
            Some(new),
            "{:?}",
            row_ids(&app)
        );
        assert_eq!(
            app.selected_ticket().map(|r| r.ticket.id),
            Some(olena),
            "the cursor is on the ticket after the solved one"
        );
        assert_eq!(app.open.as_ref().map(|o| o.detail.ticket.id), Some(olena));
        // The user solved it: no word about it having left.
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(!text.contains("left"), "{text}");
        // The next `d` solves what the user saw next, never the import.
        press(&mut app, "d");
        assert_eq!(app.store.ticket(new).unwrap().status, Status::New);
        assert_eq!(app.store.ticket(olena).unwrap().status, Status::Solved);
    }

    /// The cursor's ticket solved in another console while an import lands: on the
    /// next reload the cursor goes to its neighbour, and the status line says so,
    /// since the user did nothing. Failed before: the cursor went to the import,
    /// without a word.
    #[test]
    fn a_ticket_solved_elsewhere_moves_the_cursor_to_its_neighbour_and_says_so() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "j");
        let sarah = app.selected_ticket().unwrap().ticket.id;
        let olena = app.inbox.row(2).unwrap().ticket.id;
        let mut other = Store::open(&fx.path).unwrap();
        other
            .change_ticket(sarah, &TicketChange::Status(Status::Solved), None)
            .unwrap();
        import_between_sarah_and_olena(&mut other);
        app.reload().unwrap();
        app.settle();
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
        assert_eq!(app.open.as_ref().map(|o| o.detail.ticket.id), Some(olena));
        let text = app.message.as_ref().unwrap().text.clone();
        assert_eq!(
            text,
            format!("#{sarah} left Needs reply (changed elsewhere) · the cursor is on #{olena}")
        );
    }

    /// A plain reload (new mail) that sorts a ticket ahead of the cursor's keeps the
    /// cursor on its ticket, with nothing said.
    #[test]
    fn new_mail_sorted_ahead_keeps_the_cursor_on_its_ticket() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "j j");
        let olena = app.selected_ticket().unwrap().ticket.id;
        key(&mut app, "R");
        let mut other = Store::open(&fx.path).unwrap();
        import_between_sarah_and_olena(&mut other);
        app.settle();
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
        assert_eq!(app.inbox.selected, 3);
    }

    /// `o` re-sorts the list: the cursor stays on the ticket it was on. Failed
    /// before: it went to whatever ticket the first row had held.
    #[test]
    fn sorting_keeps_the_cursor_on_its_ticket() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "2 j j j");
        let on = app.selected_ticket().unwrap().ticket.id;
        for _ in 0..3 {
            press(&mut app, "o");
            assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(on));
            assert_eq!(app.open.as_ref().map(|o| o.detail.ticket.id), Some(on));
        }
    }

    /// After a reply the ticket on the right and the ticket every key acts on are
    /// one: the answered ticket left Needs reply, the cursor is on the next one, and
    /// the pane shows that one (a new user's `Esc n` filed a note on the next
    /// ticket while the pane still showed the answered one). The status line names
    /// the ticket answered. Failed before: the pane kept the answered ticket.
    #[test]
    fn after_a_reply_the_pane_shows_the_ticket_the_cursor_is_on() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        press(&mut app, "j");
        let sarah = app.selected_ticket().unwrap().ticket.id;
        let olena = app.inbox.row(2).unwrap().ticket.id;
        press(&mut app, "Enter r");
        type_text(
            &mut app,
            "Refunded the second payment today; it shows in 3-5 days.",
        );
        press(&mut app, "ctrl-s");
        if matches!(app.popup, Some(Popup::Confirm { .. })) {
            press(&mut app, "y");
        }
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(
            text.starts_with(&format!("#{sarah} reply queued to send")),
            "{text}"
        );
        assert_eq!(app.selected_ticket().map(|r| r.ticket.id), Some(olena));
        assert_eq!(
            app.open.as_ref().map(|o| o.detail.ticket.id),
            Some(olena),
            "the pane shows the ticket the cursor is on"
        );
        assert!(app.cursor_is_the_pane());
        let screen = shot(&app, 120, 40);
        assert!(
            screen.contains(&format!("#{olena} Не можу увійти")),
            "{screen}"
        );
        // Esc n: the note goes on the ticket shown.
        press(&mut app, "Esc n");
        type_text(&mut app, "Asked ops about ukr.net bounces.");
        press(&mut app, "ctrl-s");
        let noted = |id| {
            app.store
                .messages(id)
                .unwrap()
                .iter()
                .any(|m| m.body.contains("ukr.net bounces."))
        };
        assert!(noted(olena) && !noted(sarah));
    }

    /// A reply to an unassigned ticket takes it for the agent (as `firstline reply`
    /// does); `u` takes the reply back and gives the ticket back unassigned. Failed
    /// before: it stayed assigned to the agent who had replied.
    #[test]
    fn undoing_a_reply_gives_the_assignment_back() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.selected_ticket().unwrap().ticket.id;
        assert_eq!(app.store.ticket(id).unwrap().assignee, None);
        press(&mut app, "Enter");
        state::send_reply(&mut app, "Your parcel left the warehouse today.");
        assert_eq!(
            app.store.ticket(id).unwrap().assignee.as_deref(),
            Some("Olena Test")
        );
        press(&mut app, "u");
        let text = app.message.as_ref().unwrap().text.clone();
        assert!(text.contains("reply cancelled"), "{text}");
        assert_eq!(app.store.ticket(id).unwrap().assignee, None);
    }

    /// …unless someone changed the assignment since: then theirs stands.
    #[test]
    fn undoing_a_reply_keeps_an_assignment_changed_since() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        let id = app.selected_ticket().unwrap().ticket.id;
        press(&mut app, "Enter");
        state::send_reply(&mut app, "Your parcel left the warehouse today.");
        let mut other = Store::open(&fx.path).unwrap();
        other
            .change_ticket(id, &TicketChange::Assignee(Some("Boris".into())), None)
            .unwrap();
        press(&mut app, "u");
        assert_eq!(
            app.store.ticket(id).unwrap().assignee.as_deref(),
            Some("Boris")
        );
    }

    /// Issue 16: the first letter of a reply paid for the tone checker's lazily
    /// built patterns (22–35 ms key to frame at 1M). Showing the first ticket starts
    /// a warm-up on a thread of its own, and the UI thread's own checks run one at
    /// a time while the loop is idle — both before the first key. Failed before: no warm-up ran
    /// when a ticket showed (the console's start-up thread compiled word lists only).
    #[test]
    fn the_tone_checker_is_warmed_up_off_the_ui_thread_before_the_first_key() {
        let fx = fixture();
        let mut app = app_at(&fx, 120, 40);
        assert!(app.open.is_some());
        assert!(
            app.wait_warm_up(std::time::Duration::from_secs(60)),
            "the warm-up ends"
        );
        let warmed_on = app.tone_warmed_on().expect("the warm-up ran");
        assert_ne!(
            warmed_on,
            std::thread::current().id(),
            "not on the UI thread"
        );
        assert!(!app.tone_warm_here(), "nothing ran on the UI thread yet");
        // A tick follows every batch of messages, keys too: it must not do the
        // warm-up, or the first key after the thread ends pays for it.
        app.tick(std::time::Instant::now()).unwrap();
        app.settle();
        assert!(!app.tone_warm_here(), "the tick does no idle work");
        let mut steps = 1;
        while app.idle_step() {
            steps += 1;
        }
        assert!(steps > 1, "one short check per idle step, not all at once");
        assert!(
            app.tone_warm_here(),
            "idle steps warmed the UI thread's caches"
        );
        press(&mut app, "r");
        type_text(&mut app, "H");
        assert_eq!(app.composer.text(), "H");
    }
}

/// New users: after another process (`outbox flush`, a teammate's console) delivered
/// this console's reply, `u` took back an older thing — a note draft discarded before
/// the reply. It says what became of the reply and never reaches past it.
#[test]
fn u_after_a_reply_delivered_elsewhere_says_so_and_reaches_no_further() {
    use firstline::store::ClaimScope;
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let id = app.inbox.row(0).unwrap().ticket.id;
    press(&mut app, "Enter n");
    type_text(&mut app, "Thrown away note");
    press(&mut app, "ctrl-g");
    assert!(app.composer.is_empty());
    press(&mut app, "r");
    type_text(&mut app, "Your refund is on its way.");
    press(&mut app, "ctrl-s");
    let reply = app.store.messages(id).unwrap().last().unwrap().id;
    let mut other = Store::open(&fx.path).unwrap();
    let outbox = other.outbox_entry(reply).unwrap().unwrap().id;
    other
        .claim_outbound(outbox, ClaimScope::AllQueued)
        .unwrap()
        .expect("the queued reply is claimed");
    other.mark_outbound_sent(outbox).unwrap();
    let start = std::time::Instant::now();
    app.tick(start + Duration::seconds(1).to_std().unwrap())
        .unwrap();
    app.settle();
    press(&mut app, "u");
    let text = app.message.as_ref().unwrap().text.clone();
    assert!(
        text.contains("was already delivered; nothing was taken back"),
        "{text}"
    );
    assert!(text.contains("the reply to"), "{text}");
    assert!(
        !app.composer.text().contains("Thrown away note"),
        "the discarded note stays discarded: {}",
        app.composer.text()
    );
    assert_eq!(app.store.messages(id).unwrap().last().unwrap().id, reply);
}

/// The last row of a screen: the status bar.
fn status_bar(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_string()
}

/// Item 1 of the between-features trial: after Ctrl-S in Needs reply the pane showed
/// the next ticket but the keyboard stayed in the conversation, so `j` scrolled the
/// new thread instead of moving down the list. The keyboard is on the list with
/// the cursor; where the answered ticket stays in the view (All), on its thread.
#[test]
fn after_a_send_the_keyboard_is_on_the_list_with_the_next_ticket() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let first = app.inbox.row(0).unwrap().ticket.id;
    press(&mut app, "Enter r");
    type_text(&mut app, "On it.");
    press(&mut app, "ctrl-s");
    let next = app.selected_ticket().unwrap().ticket.id;
    assert_ne!(next, first, "the answered ticket left Needs reply");
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, next);
    assert_eq!(app.focus, Focus::Inbox, "the keyboard went with the cursor");
    press(&mut app, "j");
    let below = app.selected_ticket().unwrap().ticket.id;
    assert_ne!(below, next, "j moved down the list");
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, below);

    // In All the answered ticket stays: its thread keeps the keyboard.
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "2");
    let shown = app.inbox.row(0).unwrap().ticket.id;
    press(&mut app, "Enter r");
    type_text(&mut app, "On it.");
    press(&mut app, "ctrl-s");
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, shown);
    assert_eq!(app.focus, Focus::Conversation);
}

/// Item 2: `u` brought back a draft discarded on another ticket and the screen
/// silently showed that ticket. It goes there with the cursor and the line names
/// the ticket and the one the user was on.
#[test]
fn u_restoring_a_draft_discarded_on_another_ticket_names_it() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let sarah = id_of(&app, "Sarah Mitchell");
    let olena = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, olena);
    press(&mut app, "Enter r");
    type_text(&mut app, "Перевіряю пошту.");
    press(&mut app, "ctrl-g Esc");
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter u");
    assert_eq!(app.open.as_ref().unwrap().detail.ticket.id, olena);
    assert_eq!(app.selected_ticket().unwrap().ticket.id, olena);
    assert_eq!(app.composer.text(), "Перевіряю пошту.");
    let line = status_line(&app);
    assert!(line.contains(&format!("on #{olena} restored")), "{line}");
    assert!(line.contains(&format!("from #{sarah}")), "{line}");
    // On the same ticket the line names it too.
    press(&mut app, "ctrl-g u");
    let line = status_line(&app);
    assert!(line.contains(&format!("on #{olena} restored")), "{line}");
    assert!(!line.contains("from #"), "{line}");
}

/// Item 3: the status line from before a dialog stayed under it while the dialog
/// asked something else ("tags: …" under the snooze prompt), and the question's own
/// line stayed after Esc closed it.
#[test]
fn a_dialog_clears_the_status_line_from_before_and_esc_clears_its_own() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "Enter");
    app.info("tags: billing vip");
    press(&mut app, "z");
    assert!(matches!(app.popup, Some(Popup::Prompt { .. })));
    assert_eq!(status_line(&app), "", "the line from before the dialog");
    press(&mut app, "Esc");
    assert!(app.popup.is_none());
    // The name question writes its own line; Esc takes it away with the dialog.
    app.config.agent.name = String::new();
    press(&mut app, "r");
    type_text(&mut app, "Thanks for waiting.");
    press(&mut app, "ctrl-s");
    assert!(matches!(app.popup, Some(Popup::Prompt { .. })));
    assert!(
        status_line(&app).contains("who signs"),
        "the dialog's own line"
    );
    press(&mut app, "Esc");
    assert!(app.popup.is_none());
    assert_eq!(status_line(&app), "", "the question's line after Esc");
    // A line the closing key writes itself stays ("not merged").
    app.config.agent.name = "Olena Test".into();
    press(&mut app, "Esc Esc");
    let (sarah, other) = sarah_tickets(&app);
    select_ticket(&mut app, sarah);
    press(&mut app, "Enter m");
    type_text(&mut app, &other.to_string());
    press(&mut app, "Enter");
    assert!(matches!(app.popup, Some(Popup::Confirm { .. })));
    press(&mut app, "Esc");
    assert_eq!(status_line(&app), "not merged");
}

/// Item 4: a long status line lost its key hint at its end at 120 columns (and at
/// 80). The words are shortened; the keys stay.
#[test]
fn a_long_status_line_keeps_its_key_hint_at_80_and_120_columns() {
    for (w, h) in [(80u16, 24u16), (120, 40)] {
        let fx = fixture();
        let mut app = app_at(&fx, w, h);
        press(&mut app, "Enter n");
        type_text(&mut app, "Call the bank first");
        press(&mut app, "Esc r");
        let bar = status_bar(&shot(&app, w, h));
        assert!(bar.contains("Esc, n opens it"), "{w}: {bar}");
        assert!(bar.contains("Ctrl-G discards"), "{w}: {bar}");
        press(&mut app, "Esc");
        app.info(format!(
            "#4 {} was not saved, the queue is busy · u brings it back",
            "very long words ".repeat(12)
        ));
        let bar = status_bar(&shot(&app, w, h));
        assert!(bar.contains("… · u brings it back"), "{w}: {bar}");
        assert!(bar.contains("need reply"), "{w}: {bar}");
    }
}

/// Item 5 (team mode): narrowed to Unassigned, the list's title still said "Needs
/// reply" alone, as if it were the whole queue.
#[test]
fn the_list_title_names_the_team_view_it_is_narrowed_to() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    press(&mut app, "8");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains(" Unassigned · Needs reply · "), "{screen}");
    press(&mut app, "7");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains(" Mine · Needs reply · "), "{screen}");
    press(&mut app, "7");
    let screen = shot(&app, 120, 40);
    assert!(!screen.contains(" Mine · Needs reply"), "{screen}");
}

/// Item 6: `n` beside a saved reply draft opens the note composer; the reply draft
/// stays saved, untouched, and comes back once the note is filed. Nothing typed
/// into the note acts on the ticket (the held-keys guard's case).
#[test]
fn n_beside_a_reply_draft_writes_a_note_and_keeps_the_draft() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    let olena = id_of(&app, "Олена Коваль");
    select_ticket(&mut app, olena);
    press(&mut app, "Enter r");
    type_text(&mut app, "Добрий день, перевіряю.");
    press(&mut app, "Esc n");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.mode, ComposeMode::Note);
    assert!(app.composer.is_empty());
    type_text(&mut app, "dup of 12 merge, escalate");
    press(&mut app, "ctrl-s");
    let last = app.store.messages(olena).unwrap().pop().unwrap();
    assert_eq!(
        (last.direction, last.body.as_str()),
        (Direction::Note, "dup of 12 merge, escalate")
    );
    assert_eq!(
        app.store.draft(olena).unwrap().unwrap().body,
        "Добрий день, перевіряю.",
        "the reply draft is untouched"
    );
    assert_eq!(app.composer.mode, ComposeMode::Reply);
    assert_eq!(app.composer.text(), "Добрий день, перевіряю.");
    press(&mut app, "r");
    assert_eq!(app.focus, Focus::Composer);
    assert_eq!(app.composer.text(), "Добрий день, перевіряю.");
    // A note discarded beside it brings the draft back too.
    press(&mut app, "Esc n");
    type_text(&mut app, "never mind");
    press(&mut app, "ctrl-g");
    assert_eq!(app.composer.mode, ComposeMode::Reply);
    assert_eq!(app.composer.text(), "Добрий день, перевіряю.");
}

/// Item 11: "tomorrow" typed after midnight is the day after the new calendar date;
/// the prompt shows the moment it resolves to before Enter, and says what today is.
#[test]
fn the_snooze_and_follow_up_prompts_show_the_moment_before_enter() {
    let fx = fixture();
    let mut app = app_at(&fx, 120, 40);
    app.config.sla.timezone = "UTC".into();
    app.clock = Some(Utc.with_ymd_and_hms(2026, 12, 7, 0, 30, 0).unwrap());
    press(&mut app, "Enter z");
    type_text(&mut app, "tomorrow 9:00");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("until Tue 8 Dec 09:00"), "{screen}");
    assert!(screen.contains("today is Mon 7 Dec"), "{screen}");
    press(&mut app, "Esc");
    press(&mut app, "f");
    type_text(&mut app, "3h call the bank");
    let screen = shot(&app, 120, 40);
    assert!(screen.contains("due Mon 7 Dec 03:30"), "{screen}");
    assert!(!screen.contains("past midnight"), "{screen}");
}
