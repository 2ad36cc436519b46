//! Team mode in the console, drawn with ratatui's `TestBackend` (issue 19): the
//! presence line over the thread, the Mine and Unassigned views, taking a ticket
//! with `T`, and what happens without `[agent] name`. The store is a file; a second
//! handle plays the teammate's console.

use chrono::{Duration, Utc};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use firstline::config::Config;
use firstline::model::{Channel, NewCustomer, NewMessage, NewTicket, Priority, Status, TicketId};
use firstline::store::{Activity, Presence, Store};
use firstline::tui::app::App;
use firstline::tui::inline::Console;
use firstline::tui::msg::Msg;
use firstline::tui::update::handle_key;

struct Queue {
    _dir: tempfile::TempDir,
    path: std::path::PathBuf,
    ids: Vec<TicketId>,
}

fn queue() -> Queue {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("queue.db");
    let mut store = Store::open(&path).unwrap();
    let mut ids = Vec::new();
    for (name, subject) in [("Ann", "Parcel lost"), ("Bob", "Refund please")] {
        ids.push(
            store
                .create_ticket(&NewTicket {
                    subject: subject.into(),
                    customer: NewCustomer {
                        name: name.into(),
                        email: Some(format!("{}@example.com", name.to_lowercase())),
                        ..Default::default()
                    },
                    channel: Channel::Email,
                    priority: Priority::Normal,
                    status: Status::New,
                    tags: vec![],
                    first_message: NewMessage {
                        body: "Hello?".into(),
                        author: name.into(),
                        sent_at: Some(Utc::now() - Duration::hours(1)),
                        ..Default::default()
                    },
                })
                .unwrap(),
        );
    }
    Queue {
        _dir: dir,
        path,
        ids,
    }
}

/// A console on the queue whose commands run on the test's thread, settled.
fn console(q: &Queue, name: &str) -> Console {
    let mut config = Config::default();
    config.agent.name = name.into();
    let mut app = Console::new(Store::open(&q.path).unwrap(), config).unwrap();
    app.size = (120, 30);
    app.reload().unwrap();
    app.settle();
    app
}

/// Presses each key, running what it asks of the queue before the next.
fn press(app: &mut Console, keys: &str) {
    for c in keys.chars() {
        let code = match c {
            '\r' => KeyCode::Enter,
            c => KeyCode::Char(c),
        };
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        handle_key(app, KeyEvent::new(code, mods));
        app.settle();
    }
}

fn shot(app: &App) -> String {
    firstline::tui::snapshot(app, 120, 30)
}

fn tick(app: &mut Console) {
    app.handle(Msg::Tick(std::time::Instant::now()));
}

#[test]
fn the_header_names_a_teammate_on_the_open_ticket_and_forgets_a_stale_one() {
    let q = queue();
    let mut app = console(&q, "Petro");
    let mut olena = Store::open(&q.path).unwrap();
    let first = app.selected_ticket().unwrap().ticket.id;
    assert!(q.ids.contains(&first));
    let on = |activity, heartbeat| Presence {
        console: "olena-console".into(),
        agent: "Olena".into(),
        ticket: first,
        activity,
        heartbeat,
    };
    olena
        .announce_presence(&on(Activity::Replying, Utc::now()))
        .unwrap();
    // Opening the ticket announces this console and reads the others' rows.
    press(&mut app, "\r");
    tick(&mut app);
    let screen = shot(&app);
    assert!(screen.contains("● Olena is replying"), "{screen}");
    let mine = app
        .store
        .presence(Utc::now() - Duration::seconds(30))
        .unwrap();
    assert!(
        mine.iter()
            .any(|p| p.agent == "Petro" && p.ticket == first && p.activity == Activity::Viewing),
        "{mine:?}"
    );
    // A console that stopped beating is not shown after its heartbeats ran out.
    olena
        .announce_presence(&on(Activity::Viewing, Utc::now() - Duration::minutes(5)))
        .unwrap();
    app.live_change(firstline::store::live::Change::Presence)
        .unwrap();
    app.settle();
    assert!(!shot(&app).contains("Olena is"), "{}", shot(&app));
    // Replying is announced as such.
    press(&mut app, "r");
    tick(&mut app);
    let rows = olena.presence(Utc::now() - Duration::seconds(30)).unwrap();
    assert!(
        rows.iter()
            .any(|p| p.agent == "Petro" && p.activity == Activity::Replying),
        "{rows:?}"
    );
}

#[test]
fn mine_and_unassigned_views_and_taking_a_ticket() {
    let q = queue();
    let mut app = console(&q, "Olena");
    press(&mut app, "8");
    let screen = shot(&app);
    assert!(
        screen.contains("Parcel lost") && screen.contains("Refund please"),
        "{screen}"
    );
    assert!(
        screen.contains("8 Unassigned"),
        "the tab shows while in use:\n{screen}"
    );
    // T takes the highlighted ticket; it leaves Unassigned and shows in Mine.
    let taken = app.selected_ticket().unwrap().ticket.id;
    press(&mut app, "T");
    assert_eq!(
        app.store.ticket(taken).unwrap().assignee.as_deref(),
        Some("Olena")
    );
    assert_eq!(app.inbox.len(), 1, "{}", shot(&app));
    assert_ne!(app.selected_ticket().unwrap().ticket.id, taken);
    press(&mut app, "7");
    let subject = app.store.ticket(taken).unwrap().subject;
    let screen = shot(&app);
    assert!(screen.contains(&subject), "{screen}");
    assert_eq!(app.selected_ticket().unwrap().ticket.id, taken);
    assert_eq!(app.inbox.len(), 1, "{screen}");
    // Again: everyone's tickets.
    press(&mut app, "7");
    assert_eq!(app.inbox.len(), 2);
    // u takes the assignment back.
    press(&mut app, "u");
    assert_eq!(app.store.ticket(taken).unwrap().assignee, None);
}

#[test]
fn without_a_name_mine_and_take_say_which_key_to_set() {
    let q = queue();
    let mut app = console(&q, "");
    press(&mut app, "7");
    let said = app.message.as_ref().unwrap().text.clone();
    assert!(said.contains("[agent] name"), "{said}");
    assert_eq!(app.inbox.len(), 2, "nothing narrowed");
    press(&mut app, "T");
    let said = app.message.as_ref().unwrap().text.clone();
    assert!(said.contains("[agent] name"), "{said}");
    assert_eq!(app.store.ticket(q.ids[0]).unwrap().assignee, None);
    assert!(!shot(&app).contains("7 Mine"), "no tabs without a name");
    // `?` lists the keys and says what they need.
    let help: Vec<String> = app
        .keymap
        .help(firstline::tui::keymap::Context::Inbox)
        .into_iter()
        .map(|(keys, action)| format!("{keys} {}", action.describe()))
        .collect();
    assert!(
        help.iter()
            .any(|l| l.starts_with("7 ") && l.contains("needs [agent] name")),
        "{help:?}"
    );
    assert!(help.iter().any(|l| l.starts_with("T ")), "{help:?}");
}

/// The team trial: a teammate's promise showed as "you promised" in everyone's
/// console. On a shared queue it names who promised.
#[test]
fn a_teammates_promise_names_the_teammate() {
    let q = queue();
    let mut teammate = Store::open(&q.path).unwrap();
    let reply = teammate
        .add_message(
            q.ids[0],
            &NewMessage {
                direction: firstline::model::Direction::Outbound,
                author: "Olena".into(),
                body: "I will call the courier and write back within an hour.".into(),
                sent_at: Some(Utc::now() - Duration::minutes(5)),
                ..Default::default()
            },
        )
        .unwrap();
    teammate
        .create_followup(&firstline::store::NewFollowup {
            ticket_id: q.ids[0],
            kind: firstline::store::FollowupKind::Promise,
            due_at: Utc::now() + Duration::minutes(55),
            phrase: "within an hour".into(),
            message_id: Some(reply),
        })
        .unwrap();
    let mut petro = console(&q, "Petro");
    petro.team.shared = Some(true);
    press(&mut petro, "2");
    let row = (0..petro.inbox.len())
        .find(|i| petro.inbox.row(*i).is_some_and(|r| r.ticket.id == q.ids[0]))
        .unwrap();
    petro.select(row).unwrap();
    press(&mut petro, "\r");
    let screen = shot(&petro);
    assert!(
        screen.contains("Olena promised “within an hour”"),
        "{screen}"
    );
    let mut olena = console(&q, "Olena");
    olena.team.shared = Some(true);
    press(&mut olena, "2");
    olena.select(row).unwrap();
    press(&mut olena, "\r");
    assert!(shot(&olena).contains("you promised “within an hour”"));
}

/// The team trial: with a teammate writing a reply on the ticket, `n` said "finish
/// or discard a reply draft first" — their draft — and the note typed next ran as
/// commands. A note opens beside a teammate's draft, which stays theirs.
#[test]
fn a_note_opens_while_a_teammate_writes_the_reply() {
    let q = queue();
    let mut olena = console(&q, "Olena");
    let first = olena.selected_ticket().unwrap().ticket.id;
    press(&mut olena, "\rr");
    for c in "Dear Ann, on it".chars() {
        handle_key(
            &mut olena,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    olena.flush_draft().unwrap();
    olena.settle();
    let mut petro = console(&q, "Petro");
    press(&mut petro, "\r");
    tick(&mut petro);
    assert!(
        petro.composer.held_elsewhere,
        "Petro sees Olena's draft as hers"
    );
    press(&mut petro, "n");
    assert_eq!(petro.focus, firstline::tui::app::Focus::Composer);
    assert_eq!(petro.composer.mode, firstline::tui::app::ComposeMode::Note);
    assert_eq!(
        Store::open(&q.path)
            .unwrap()
            .draft(first)
            .unwrap()
            .unwrap()
            .body,
        "Dear Ann, on it",
        "her draft stays"
    );
}

/// The team trial: `firstline reply` took an unassigned ticket but a reply from the
/// console did not, so "Unassigned" kept tickets someone had answered.
#[test]
fn a_reply_from_the_console_takes_an_unassigned_ticket() {
    let q = queue();
    let mut petro = console(&q, "Petro");
    petro.config.agent.email = "petro@shop.example".into();
    let first = petro.selected_ticket().unwrap().ticket.id;
    press(&mut petro, "\rr");
    for c in "Found it, refund today.".chars() {
        handle_key(
            &mut petro,
            KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE),
        );
    }
    handle_key(
        &mut petro,
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
    );
    petro.settle();
    if petro.popup.is_some() {
        press(&mut petro, "y");
    }
    let ticket = Store::open(&q.path).unwrap().ticket(first).unwrap();
    assert_eq!(ticket.assignee.as_deref(), Some("Petro"));
}

/// From the new-user trial: `T` on a ticket a teammate has took it without a word,
/// pulling it from under them. It asks first, naming who has it; `n` leaves it with
/// them, `y` takes it. Failed before the fix (the first `T` assigned it at once).
#[test]
fn taking_a_teammates_ticket_asks_first() {
    let q = queue();
    let mut app = console(&q, "Petro");
    let first = app.selected_ticket().unwrap().ticket.id;
    let mut olena = Store::open(&q.path).unwrap();
    olena
        .change_ticket(
            first,
            &firstline::model::TicketChange::Assignee(Some("Olena".into())),
            None,
        )
        .unwrap();
    app.reload().unwrap();
    app.settle();
    assert_eq!(app.selected_ticket().unwrap().ticket.id, first);
    let whose = |app: &Console| app.store.ticket(first).unwrap().assignee;
    press(&mut app, "T");
    let screen = shot(&app);
    assert!(
        screen.contains("Olena has this ticket — take it?"),
        "{screen}"
    );
    assert_eq!(whose(&app).as_deref(), Some("Olena"), "asked, not taken");
    press(&mut app, "n");
    assert_eq!(whose(&app).as_deref(), Some("Olena"));
    assert!(!shot(&app).contains("take it?"), "{}", shot(&app));
    press(&mut app, "T");
    press(&mut app, "y");
    assert_eq!(whose(&app).as_deref(), Some("Petro"));
    // A ticket nobody has is taken without a question.
    let second = q.ids.iter().copied().find(|id| *id != first).unwrap();
    app.store
        .change_ticket(
            second,
            &firstline::model::TicketChange::Assignee(None),
            None,
        )
        .unwrap();
    press(&mut app, "j");
    assert_eq!(app.selected_ticket().unwrap().ticket.id, second);
    press(&mut app, "T");
    assert_eq!(
        app.store.ticket(second).unwrap().assignee.as_deref(),
        Some("Petro")
    );
}

/// Types `text` into the composer (each character a key press).
fn type_text(app: &mut Console, text: &str) {
    for c in text.chars() {
        let mods = if c.is_ascii_uppercase() {
            KeyModifiers::SHIFT
        } else {
            KeyModifiers::NONE
        };
        handle_key(app, KeyEvent::new(KeyCode::Char(c), mods));
    }
    app.settle();
}

fn esc(app: &mut Console) {
    handle_key(app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.settle();
}

/// Makes `app` look at the queue now, as a pushed change does.
fn look(app: &mut Console) {
    app.live_change(firstline::store::live::Change::Queue)
        .unwrap();
    tick(app);
    app.settle();
}

/// From the new-user trial: the take-over question said "another console" — it names
/// the agent and their console; and the console whose draft was taken over kept
/// mirroring the other's words and ignored Ctrl-S without a word — it says the draft
/// moved (to whom), keeps its own words (never replaced by the other's typing), and
/// Ctrl-S says why nothing was sent. Failed before the fix (the question read
/// "another console"; Olena's composer showed Petro's added words).
#[test]
fn a_taken_over_draft_names_who_has_it_and_keeps_the_words_written_here() {
    let q = queue();
    let mut olena = console(&q, "Olena");
    let mut petro = console(&q, "Petro");
    let ticket = olena.selected_ticket().unwrap().ticket.id;
    press(&mut olena, "\rr");
    type_text(&mut olena, "Hello Ann, we found it");
    esc(&mut olena);
    tick(&mut olena);
    assert_eq!(
        olena.store.draft(ticket).unwrap().unwrap().body,
        "Hello Ann, we found it"
    );
    // Petro opens the same ticket: the draft is Olena's, and the question says so.
    while petro.selected_ticket().unwrap().ticket.id != ticket {
        press(&mut petro, "j");
    }
    press(&mut petro, "\r");
    tick(&mut petro);
    press(&mut petro, "r");
    let screen = shot(&petro);
    assert!(
        screen.contains("Being edited in another console (Olena's, process"),
        "{screen}"
    );
    press(&mut petro, "y");
    type_text(&mut petro, ". Sorry!");
    esc(&mut petro);
    assert_eq!(
        petro.store.draft(ticket).unwrap().unwrap().body,
        "Hello Ann, we found it. Sorry!"
    );
    // Olena's console: told where the draft went, her own words kept.
    tick(&mut petro);
    // Petro's presence reaches Olena's console (pushed on a server), then the change.
    olena
        .live_change(firstline::store::live::Change::Presence)
        .unwrap();
    olena.settle();
    look(&mut olena);
    let screen = shot(&olena);
    assert!(
        screen.contains("the draft moved to another console (Petro's"),
        "{screen}"
    );
    assert_eq!(olena.composer.text(), "Hello Ann, we found it");
    assert!(!screen.contains("Sorry!"), "{screen}");
    // Ctrl-S away from the composer says why nothing is sent.
    handle_key(
        &mut olena,
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
    );
    olena.settle();
    let screen = shot(&olena);
    assert!(screen.contains("not sent: the draft of #"), "{screen}");
    assert_eq!(olena.composer.text(), "Hello Ann, we found it");
}

/// New users: a console whose draft another console took over while it was being
/// typed refused every letter (and `r`) until Esc, even after that draft was gone
/// and the composer closed, under a stale "typing stopped: another console took this
/// draft" line. Once the composer no longer shows a draft held elsewhere the keys
/// act again and the line goes.
#[test]
fn keys_act_again_once_the_taken_over_draft_is_gone() {
    let q = queue();
    let mut olena = console(&q, "Olena");
    let mut petro = console(&q, "Petro");
    let ticket = olena.selected_ticket().unwrap().ticket.id;
    press(&mut olena, "\rr");
    type_text(&mut olena, "Hello Ann");
    olena.flush_draft().unwrap();
    olena.settle();
    while petro.selected_ticket().unwrap().ticket.id != ticket {
        press(&mut petro, "j");
    }
    press(&mut petro, "\r");
    tick(&mut petro);
    press(&mut petro, "ry");
    type_text(&mut petro, ", sorry");
    esc(&mut petro);
    tick(&mut petro);
    olena
        .live_change(firstline::store::live::Change::Presence)
        .unwrap();
    olena.settle();
    look(&mut olena);
    assert!(olena.typing_guard.is_some(), "the take-over stopped typing");
    type_text(&mut olena, "x");
    assert!(shot(&olena).contains("typing stopped"));
    // Petro throws the draft away: Olena's composer closes.
    press(&mut petro, "r");
    handle_key(
        &mut petro,
        KeyEvent::new(KeyCode::Char('g'), KeyModifiers::CONTROL),
    );
    petro.settle();
    assert_eq!(petro.store.draft(ticket).unwrap(), None);
    tick(&mut petro);
    olena
        .live_change(firstline::store::live::Change::Presence)
        .unwrap();
    olena.settle();
    look(&mut olena);
    tick(&mut olena);
    assert!(olena.composer.is_empty(), "{}", shot(&olena));
    let screen = shot(&olena);
    assert!(!screen.contains("typing stopped"), "{screen}");
    press(&mut olena, "r");
    assert_eq!(olena.focus, firstline::tui::app::Focus::Composer);
    type_text(&mut olena, "Hi again");
    assert_eq!(olena.composer.text(), "Hi again");
}

/// New users: pressing `7` (Mine) on a list whose highlighted ticket is not theirs
/// said "#1 left Needs reply (changed elsewhere) · the cursor is on #2" — nothing
/// changed elsewhere, the user's own filter hid it. The line says what `7` did.
#[test]
fn narrowing_to_mine_never_says_changed_elsewhere() {
    let q = queue();
    let mut app = console(&q, "Olena");
    // The second row becomes Olena's; the cursor stays on the first, nobody's.
    let first = app.selected_ticket().unwrap().ticket.id;
    let other = *q.ids.iter().find(|id| **id != first).unwrap();
    app.store.take_if_unassigned(other, "Olena").unwrap();
    app.reload().unwrap();
    app.settle();
    assert_eq!(app.selected_ticket().unwrap().ticket.id, first);
    press(&mut app, "7");
    assert_eq!(app.inbox.len(), 1, "{}", shot(&app));
    let text = app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(!text.contains("changed elsewhere"), "{text}");
    assert!(text.contains("Mine"), "{text}");
    press(&mut app, "7");
    press(&mut app, "8");
    let text = app
        .message
        .as_ref()
        .map(|m| m.text.clone())
        .unwrap_or_default();
    assert!(!text.contains("changed elsewhere"), "{text}");
}

/// A new-user trial in team mode: quitting with a reply kept queued said it "leaves
/// the next time firstline runs" (question and exit line), while a teammate's open
/// console delivered it twelve seconds later. On a shared queue the words say who
/// sends it. Failed before the fix (the file queue's words on a server queue).
#[test]
fn keeping_a_reply_queued_on_a_shared_queue_says_a_teammates_console_sends_it() {
    let q = queue();
    let mut petro = console(&q, "Petro");
    petro.config.agent.email = "petro@shop.example".into();
    // What a PostgreSQL queue with a mail transport looks like to the console.
    petro.location = Some(firstline::store::Location::Server(
        "postgres://team@db.example/support".into(),
    ));
    petro.replies_saved_to = None;
    press(&mut petro, "\rr");
    type_text(&mut petro, "Found it, refund today.");
    handle_key(
        &mut petro,
        KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL),
    );
    petro.settle();
    if petro.popup.is_some() {
        press(&mut petro, "y");
    }
    press(&mut petro, "q");
    assert!(!petro.should_quit, "q with a reply waiting asks first");
    let flat = shot(&petro)
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        flat.contains("a teammate's open console sends it") && !flat.contains("leaves"),
        "{flat}"
    );
    let line = firstline::tui::queued_line(1, None, true);
    assert!(
        line.contains("a teammate's open console sends it") && !line.contains("leaves"),
        "{line}"
    );
}
