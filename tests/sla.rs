//! SLA behaviour as the support person relies on it: business-hours arithmetic across
//! weekends, holidays, DST and time zones; clocks that pause while pending; promises
//! read from replies in English, Ukrainian and Russian; the reply ledger; and
//! `firstline check` exit codes for cron.

#[path = "support/shared_data.rs"]
mod shared_data;
mod support;

use assert_cmd::Command;
use chrono::{DateTime, Duration, TimeZone, Timelike, Utc};
use chrono_tz::Europe::Kyiv;
use firstline::config::SlaConfig;
use firstline::model::{Channel, Direction, Event, Message, Priority, Status, Ticket};
use firstline::sla::{
    self, extract_promise, ticket_clocks, ticket_ledger, BusinessCalendar, ClockState, LedgerState,
};

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn kyiv(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Kyiv.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .with_timezone(&Utc)
}

fn office(tz: &str) -> SlaConfig {
    SlaConfig {
        timezone: tz.into(),
        hours: "09:00-18:00".into(),
        days: vec![1, 2, 3, 4, 5],
        ..SlaConfig::default()
    }
}

fn cal(config: &SlaConfig) -> BusinessCalendar {
    BusinessCalendar::from_config(config).unwrap()
}

// ---- business hours -------------------------------------------------------------

#[test]
fn friday_evening_target_runs_over_the_weekend_to_monday() {
    let c = cal(&office("Europe/Kyiv"));
    // Fri 17:00 + 4 working hours = 1 h on Friday + 3 h on Monday → Mon 12:00.
    assert_eq!(
        c.add(kyiv(2026, 11, 27, 17, 0), Duration::hours(4)),
        Some(kyiv(2026, 11, 30, 12, 0))
    );
    assert_eq!(
        c.between(kyiv(2026, 11, 27, 17, 0), kyiv(2026, 11, 30, 12, 0)),
        Duration::hours(4)
    );
}

#[test]
fn a_message_on_saturday_waits_for_monday_opening() {
    let c = cal(&office("Europe/Kyiv"));
    assert_eq!(
        c.add(kyiv(2026, 11, 28, 11, 0), Duration::hours(1)),
        Some(kyiv(2026, 11, 30, 10, 0))
    );
}

#[test]
fn holidays_are_skipped_like_weekends() {
    let mut cfg = office("Europe/Kyiv");
    cfg.holidays = vec!["2026-11-30".into()];
    assert_eq!(
        cal(&cfg).add(kyiv(2026, 11, 27, 17, 0), Duration::hours(4)),
        Some(kyiv(2026, 12, 1, 12, 0))
    );
}

#[test]
fn spring_dst_change_in_kyiv_keeps_local_office_hours() {
    let c = cal(&office("Europe/Kyiv"));
    // Clocks go forward on Sun 2026-03-29. Fri 16:00 (UTC+2) + 4h → Mon 11:00 (UTC+3).
    let due = c.add(kyiv(2026, 3, 27, 16, 0), Duration::hours(4)).unwrap();
    assert_eq!(due, utc(2026, 3, 30, 8, 0));
    assert_eq!(due.with_timezone(&Kyiv).hour(), 11);
}

#[test]
fn round_the_clock_days_across_dst_are_23_and_25_hours_long() {
    let cfg = SlaConfig {
        timezone: "Europe/Kyiv".into(),
        ..SlaConfig::default()
    };
    let c = cal(&cfg);
    assert_eq!(
        c.between(kyiv(2026, 3, 29, 0, 0), kyiv(2026, 3, 30, 0, 0)),
        Duration::hours(23)
    );
    assert_eq!(
        c.between(kyiv(2026, 10, 25, 0, 0), kyiv(2026, 10, 26, 0, 0)),
        Duration::hours(25)
    );
    // 24 real hours from Saturday noon end at 13:00 local on Sunday: one hour vanished.
    let due = c
        .add(kyiv(2026, 3, 28, 12, 0), Duration::hours(24))
        .unwrap();
    assert_eq!(due.with_timezone(&Kyiv).hour(), 13);
}

#[test]
fn the_same_instant_is_early_morning_in_new_york_and_night_in_tokyo() {
    let created = utc(2026, 11, 26, 12, 0); // Thursday
                                            // New York 07:00 → opens 09:00 → +2h = 11:00 EST = 16:00 UTC.
    assert_eq!(
        cal(&office("America/New_York")).add(created, Duration::hours(2)),
        Some(utc(2026, 11, 26, 16, 0))
    );
    // Tokyo 21:00 → Friday 09:00 → +2h = 11:00 JST = 02:00 UTC.
    assert_eq!(
        cal(&office("Asia/Tokyo")).add(created, Duration::hours(2)),
        Some(utc(2026, 11, 27, 2, 0))
    );
}

#[test]
fn reply_due_counts_in_business_time() {
    let cfg = office("Europe/Kyiv");
    let t = ticket(kyiv(2026, 11, 27, 17, 0), Priority::High); // 4 h target
    assert_eq!(sla::reply_due(&cfg, &t), Some(kyiv(2026, 11, 30, 12, 0)));
    assert!(!sla::first_response_overdue(
        &cfg,
        &t,
        kyiv(2026, 11, 28, 12, 0)
    ));
    assert!(sla::first_response_overdue(
        &cfg,
        &t,
        kyiv(2026, 11, 30, 12, 1)
    ));
}

#[test]
fn chat_override_tightens_the_first_response_target() {
    let mut cfg = SlaConfig::default();
    let chat: firstline::config::Config =
        firstline::config::Config::parse("[sla.channels.chat]\nfirst_response_minutes = { urgent = 5, high = 10, normal = 15, low = 60 }\n")
            .unwrap();
    cfg.channels = chat.sla.channels;
    let mut t = ticket(utc(2026, 1, 1, 10, 0), Priority::Normal);
    assert_eq!(sla::reply_due(&cfg, &t), Some(utc(2026, 1, 1, 18, 0)));
    t.channel = Channel::Chat;
    assert_eq!(sla::reply_due(&cfg, &t), Some(utc(2026, 1, 1, 10, 15)));
}

// ---- clocks ---------------------------------------------------------------------

fn ticket(created: DateTime<Utc>, priority: Priority) -> Ticket {
    Ticket {
        id: 1,
        subject: "Оплата не пройшла".into(),
        status: Status::New,
        priority,
        channel: Channel::Email,
        tags: vec![],
        assignee: None,
        customer_id: 1,
        created_at: created,
        updated_at: created,
        first_response_at: None,
        resolved_at: None,
        snoozed_until: None,
        escalation: None,
        awaiting_reply_since: Some(created),
        unread: true,
        version: 1,
    }
}

fn status_event(id: i64, at: DateTime<Utc>, old: &str, new: &str) -> Event {
    Event {
        id,
        ticket_id: Some(1),
        at,
        actor: "t".into(),
        kind: "status".into(),
        old: Some(old.into()),
        new: Some(new.into()),
    }
}

#[test]
fn resolution_clock_pauses_while_pending_and_resumes() {
    let cfg = office("Europe/Kyiv"); // normal resolution 4320 min = 72 working hours
    let cfg = SlaConfig {
        resolution_minutes: firstline::config::PriorityMinutes {
            urgent: 60,
            high: 240,
            normal: 480,
            low: 1440,
        },
        ..cfg
    };
    let c = cal(&cfg);
    let mut t = ticket(kyiv(2026, 11, 23, 9, 0), Priority::Normal); // Monday
    t.first_response_at = Some(kyiv(2026, 11, 23, 9, 30));
    t.awaiting_reply_since = None;
    t.status = Status::Pending;
    let mut events = vec![status_event(
        1,
        kyiv(2026, 11, 23, 10, 0),
        "open",
        "pending",
    )];

    // While pending, the clock stands still with 7 of 8 working hours left.
    let clocks = ticket_clocks(&cfg, &c, &t, &events, kyiv(2026, 11, 24, 9, 30));
    assert_eq!(
        clocks.resolution.state,
        ClockState::Paused { left_minutes: 420 }
    );
    assert!(clocks.resolution.due().is_none());

    // The customer answers on Tuesday 10:00: 1 h Monday + 7 h Tuesday → Tue 17:00.
    t.status = Status::Open;
    events.push(status_event(
        2,
        kyiv(2026, 11, 24, 10, 0),
        "pending",
        "open",
    ));
    let clocks = ticket_clocks(&cfg, &c, &t, &events, kyiv(2026, 11, 24, 10, 30));
    assert_eq!(clocks.resolution.due(), Some(kyiv(2026, 11, 24, 17, 0)));
    assert!(!clocks.resolution.is_overdue(kyiv(2026, 11, 24, 16, 59)));
    assert!(clocks.resolution.is_overdue(kyiv(2026, 11, 24, 17, 1)));
    assert!(matches!(
        clocks.first_response.state,
        ClockState::Stopped {
            breached: false,
            ..
        }
    ));
}

#[test]
fn time_spent_solved_before_a_customer_reopens_does_not_count() {
    let cfg = SlaConfig::default(); // 24/7; urgent resolution 8 h
    let c = cal(&cfg);
    let mut t = ticket(utc(2026, 1, 1, 9, 0), Priority::Urgent);
    t.status = Status::Open;
    t.first_response_at = Some(utc(2026, 1, 1, 9, 10));
    t.awaiting_reply_since = Some(utc(2026, 1, 2, 9, 0));
    let events = [
        status_event(1, utc(2026, 1, 1, 11, 0), "open", "solved"),
        status_event(2, utc(2026, 1, 2, 9, 0), "solved", "open"),
    ];
    // 2 h before solving + 6 h after the reopening = 8 h → Jan 2 15:00.
    let clocks = ticket_clocks(&cfg, &c, &t, &events, utc(2026, 1, 2, 10, 0));
    assert_eq!(clocks.resolution.due(), Some(utc(2026, 1, 2, 15, 0)));
}

#[test]
fn next_response_clock_starts_at_the_customers_new_message() {
    let cfg = SlaConfig::default();
    let c = cal(&cfg);
    let mut t = ticket(utc(2026, 1, 1, 10, 0), Priority::Urgent);
    t.status = Status::Open;
    t.first_response_at = Some(utc(2026, 1, 1, 10, 20));
    t.awaiting_reply_since = Some(utc(2026, 1, 1, 12, 0));
    let clocks = ticket_clocks(&cfg, &c, &t, &[], utc(2026, 1, 1, 12, 30));
    let next = clocks.next_response.unwrap();
    assert_eq!(next.due(), Some(utc(2026, 1, 1, 13, 0)));
    assert_eq!(clocks.nearest().unwrap().kind, sla::ClockKind::NextResponse);
}

#[test]
fn warnings_fire_at_the_configured_marks() {
    let cfg = SlaConfig::default();
    let due = utc(2026, 1, 1, 12, 0);
    assert_eq!(
        sla::urgency(&cfg, due, utc(2026, 1, 1, 11, 50)),
        sla::Urgency::Warning { mark_minutes: 15 }
    );
    assert_eq!(
        sla::urgency(&cfg, due, utc(2026, 1, 1, 10, 0)),
        sla::Urgency::Ok
    );
}

// ---- promises -------------------------------------------------------------------

/// Wednesday 2026-11-25 10:00 UTC; the default desk is 24/7 in UTC, so a day-level
/// promise falls due at 18:00.
fn sent() -> DateTime<Utc> {
    utc(2026, 11, 25, 10, 0)
}

fn due_of(text: &str, cfg: &SlaConfig) -> Option<DateTime<Utc>> {
    let p = extract_promise(text, sent(), cfg)?;
    assert_eq!(&text[p.span.clone()], p.phrase, "span points at the phrase");
    Some(p.due)
}

#[test]
fn reads_english_promises() {
    let cfg = SlaConfig::default();
    let cases = [
        ("I'll get back to you tomorrow.", utc(2026, 11, 26, 18, 0)),
        ("We will have it fixed by Friday.", utc(2026, 11, 27, 18, 0)),
        (
            "You will hear from me within an hour.",
            utc(2026, 11, 25, 11, 0),
        ),
        ("I'll check again in 30 minutes.", utc(2026, 11, 25, 10, 30)),
        (
            "Expect an answer the day after tomorrow.",
            utc(2026, 11, 27, 18, 0),
        ),
        ("I'll confirm by 5pm.", utc(2026, 11, 25, 17, 0)),
        ("We'll update you later today.", utc(2026, 11, 25, 18, 0)),
    ];
    for (text, want) in cases {
        assert_eq!(due_of(text, &cfg), Some(want), "{text}");
    }
    assert_eq!(
        due_of("The fix ships by the end of the week.", &office("UTC")),
        Some(utc(2026, 11, 27, 18, 0)),
        "end of week is the last working day"
    );
}

#[test]
fn reads_ukrainian_promises() {
    let cfg = SlaConfig::default();
    let cases = [
        ("Дякую! Відповімо завтра.", utc(2026, 11, 26, 18, 0)),
        (
            "Перевіримо і відповімо до п'ятниці.",
            utc(2026, 11, 27, 18, 0),
        ),
        (
            "Перевіримо і відповімо до пʼятниці.",
            utc(2026, 11, 27, 18, 0),
        ),
        ("Напишу за годину.", utc(2026, 11, 25, 11, 0)),
        ("Повернемо кошти протягом дня.", utc(2026, 11, 25, 18, 0)),
        ("Передзвоню через 2 години.", utc(2026, 11, 25, 12, 0)),
        ("Надішлю післязавтра.", utc(2026, 11, 27, 18, 0)),
    ];
    for (text, want) in cases {
        assert_eq!(due_of(text, &cfg), Some(want), "{text}");
    }
    assert_eq!(
        due_of("Виправимо до кінця тижня.", &office("UTC")),
        Some(utc(2026, 11, 27, 18, 0))
    );
}

#[test]
fn reads_russian_promises() {
    let cfg = SlaConfig::default();
    let cases = [
        ("Ответим в течение дня.", utc(2026, 11, 25, 18, 0)),
        ("Проверю и напишу через час.", utc(2026, 11, 25, 11, 0)),
        ("Исправим до пятницы.", utc(2026, 11, 27, 18, 0)),
        ("Завтра всё заработает.", utc(2026, 11, 26, 18, 0)),
        (
            "Вернусь с ответом в течение 15 минут.",
            utc(2026, 11, 25, 10, 15),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(due_of(text, &cfg), Some(want), "{text}");
    }
    assert_eq!(
        due_of("Сделаем до конца недели.", &office("UTC")),
        Some(utc(2026, 11, 27, 18, 0))
    );
}

#[test]
fn ignores_words_that_promise_nothing() {
    let cfg = SlaConfig::default();
    for text in [
        "We received your payment today.",
        "Your order shipped yesterday.",
        "Thanks for waiting an hour, sorry about that.",
        "Ми отримали ваш лист у п'ятницю.",
        "Дякую за гроші, все надійшло.",
        "Сбой начался за час до обновления.",
        "Спасибо за ожидание!",
        "Thanks!\n\n> Can you fix it tomorrow?\n",
        "Done, it works now.\n\nOn Tue, 24 Nov 2026, Ann wrote:\n> please call me tomorrow\n",
        "Done.\n\n-----Original Message-----\nFrom: Ann\nSent: Tuesday\n\nCan you call me tomorrow?\n",
    ] {
        assert_eq!(extract_promise(text, sent(), &cfg), None, "{text}");
    }
}

/// Real replies from 12 mail clients (talon's fixtures, Apache-2.0, read in place):
/// a "tomorrow" put into the quoted original is never our promise, one put into the
/// reply itself is — whatever the client's quoting style (`>`, "Original Message",
/// Outlook headers, Russian "написал:", top or bottom posting).
#[test]
fn promises_in_quoted_originals_of_real_mail_clients_are_ignored() {
    let dir = shared_data::path("mail/talon-fixtures/fixtures/standard_replies");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let cfg = SlaConfig::default();
    let mut checked = 0;
    for entry in entries {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "eml") {
            continue;
        }
        let raw = std::fs::read(&path).unwrap();
        let message = mail_parser::MessageParser::default().parse(&raw).unwrap();
        let body = message.body_text(0).unwrap_or_default().to_string();
        assert!(body.contains("Hello"), "{}", path.display());
        let quoted = body.replace("Hi", "Please fix it tomorrow");
        assert_eq!(
            extract_promise(&quoted, sent(), &cfg),
            None,
            "{}: {quoted}",
            path.display()
        );
        let own = body.replacen("Hello", "I will fix it tomorrow", 1);
        assert_eq!(
            extract_promise(&own, sent(), &cfg).map(|p| p.phrase),
            Some("tomorrow".to_string()),
            "{}: {own}",
            path.display()
        );
        checked += 1;
    }
    assert_eq!(checked, 12, "every standard reply fixture was read");
}

#[test]
fn the_earliest_of_several_promises_wins() {
    let cfg = SlaConfig::default();
    let p = extract_promise(
        "I'll look into it within an hour and have the fix by Friday.",
        sent(),
        &cfg,
    )
    .unwrap();
    assert_eq!(p.phrase, "within an hour");
}

#[test]
fn still_working_reply_speaks_the_customers_language_and_you() {
    use firstline::model::{Formality, Language};
    use firstline::sla::promises::still_working_reply;
    let uk = still_working_reply("Добрий день, Олено!", Language::Uk, Formality::Formal);
    assert!(
        uk.starts_with("Добрий день, Олено!\n\n") && uk.contains("Ваше"),
        "{uk}"
    );
    let ru = still_working_reply("Привет!", Language::Ru, Formality::Informal);
    assert!(ru.contains("твоём") && !ru.contains("Вашем"), "{ru}");
    let en = still_working_reply("Hi there,", Language::En, Formality::Unknown);
    assert!(en.contains("still working on it"), "{en}");
}

// ---- ledger ---------------------------------------------------------------------

fn message(id: i64, direction: Direction, at: DateTime<Utc>, body: &str) -> Message {
    Message {
        id,
        ticket_id: 1,
        direction,
        author: String::new(),
        body: body.into(),
        html_body: None,
        sent_at: at,
        message_id: None,
        in_reply_to: None,
        references: vec![],
        attachments: vec![],
    }
}

#[test]
fn ledger_marks_each_inbound_message_replied_or_unanswered() {
    let t = ticket(utc(2026, 1, 1, 9, 0), Priority::Normal);
    let msgs = [
        message(1, Direction::Inbound, utc(2026, 1, 1, 9, 0), "help"),
        message(2, Direction::Inbound, utc(2026, 1, 1, 9, 5), "hello?"),
        message(3, Direction::Outbound, utc(2026, 1, 1, 9, 30), "on it"),
        message(4, Direction::Note, utc(2026, 1, 1, 9, 40), "note"),
        message(5, Direction::Inbound, utc(2026, 1, 1, 10, 0), "thanks, but"),
    ];
    let lines = ticket_ledger(&t, &msgs, &[], utc(2026, 1, 1, 11, 0));
    assert_eq!(lines.len(), 3, "notes and replies are not ledger lines");
    assert_eq!(
        lines[0].state,
        LedgerState::Replied {
            at: utc(2026, 1, 1, 9, 30)
        }
    );
    assert_eq!(lines[1].state, lines[0].state, "one reply answers both");
    assert_eq!(
        lines[2].state,
        LedgerState::Unanswered {
            since: utc(2026, 1, 1, 10, 0)
        }
    );
}

#[test]
fn ledger_accepts_no_reply_needed_and_snooze_and_spam() {
    let mut t = ticket(utc(2026, 1, 1, 9, 0), Priority::Normal);
    let msgs = [message(
        1,
        Direction::Inbound,
        utc(2026, 1, 1, 9, 0),
        "auto-reply",
    )];
    let ev = |kind: &str, new: &str| Event {
        id: 9,
        ticket_id: Some(1),
        at: utc(2026, 1, 1, 9, 10),
        actor: "t".into(),
        kind: kind.into(),
        old: None,
        new: Some(new.into()),
    };
    let now = utc(2026, 1, 1, 10, 0);
    let lines = ticket_ledger(&t, &msgs, &[ev("no-reply-needed", "auto-reply")], now);
    assert_eq!(
        lines[0].state,
        LedgerState::NoReplyNeeded {
            reason: "auto-reply".into()
        }
    );
    t.snoozed_until = Some(utc(2026, 1, 2, 9, 0));
    let lines = ticket_ledger(&t, &msgs, &[ev("snooze", "x")], now);
    assert_eq!(
        lines[0].state,
        LedgerState::Snoozed {
            until: utc(2026, 1, 2, 9, 0)
        }
    );
    assert!(
        ticket_ledger(&t, &msgs, &[ev("snooze", "x")], utc(2026, 1, 3, 0, 0))[0]
            .state
            .is_open(),
        "an expired snooze owes the reply again"
    );
    t.status = Status::Spam;
    assert_eq!(
        ticket_ledger(&t, &msgs, &[], now)[0].state,
        LedgerState::Spam
    );
}

#[test]
fn unanswered_counts_waiting_customers_and_the_oldest_wait() {
    let now = utc(2026, 1, 1, 12, 0);
    let a = ticket(utc(2026, 1, 1, 9, 0), Priority::Normal);
    let mut b = ticket(utc(2026, 1, 1, 8, 0), Priority::Normal);
    b.snoozed_until = Some(utc(2026, 1, 2, 0, 0));
    let mut c = ticket(utc(2026, 1, 1, 10, 0), Priority::Normal);
    c.awaiting_reply_since = None;
    let u = sla::unanswered([&a, &b, &c], now);
    assert_eq!(u.count, 1);
    assert_eq!(u.oldest_since, Some(utc(2026, 1, 1, 9, 0)));
    assert_eq!(u.summary(now), "1 unanswered · oldest waits 3h");
    assert_eq!(
        sla::unanswered([&c], now).summary(now),
        "nobody is waiting for a reply"
    );
}

// ---- firstline check ------------------------------------------------------------

struct Queue {
    dir: tempfile::TempDir,
}

impl Queue {
    fn new(config: &str) -> Queue {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("c.toml"), config).unwrap();
        Queue { dir }
    }

    fn cmd(&self) -> Command {
        let (db, config) = (self.dir.path().join("q.db"), self.dir.path().join("c.toml"));
        let mut c = Command::from_std(crate::support::cli(&db, &config));
        c.arg("--no-demo");
        c
    }

    fn run(&self, args: &[&str]) -> std::process::Output {
        self.cmd().args(args).output().unwrap()
    }

    fn new_ticket(&self, priority: &str) {
        let out = self.run(&[
            "new",
            "--from",
            "Ann <ann@example.com>",
            "--subject",
            "Site is down",
            "--priority",
            priority,
            "--body",
            "help",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn check_is_silent_and_exits_zero_when_nothing_is_due() {
    let q = Queue::new("");
    q.new_ticket("low"); // 24 h target
    let out = q.run(&["check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty(), "cron mails any output");
}

#[test]
fn check_exits_three_with_one_line_per_overdue_or_warned_ticket() {
    let q = Queue::new(
        "[sla]\nfirst_response_minutes = { urgent = 0, high = 30, normal = 480, low = 1440 }\n",
    );
    q.new_ticket("urgent"); // overdue at once
    q.new_ticket("high"); // due in 30 min: inside the 60 min mark
    q.new_ticket("low"); // fine
    let out = q.run(&["check"]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(lines[0].starts_with("#1 OVERDUE first response"), "{text}");
    assert!(
        lines[1].starts_with("#2 WARN first response due in"),
        "{text}"
    );
    let json = q.run(&["check", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(v[1]["mark_minutes"], 60);
}

#[test]
fn check_reports_a_broken_promise_as_a_due_follow_up() {
    let q = Queue::new("[agent]\nemail = \"help@shop.example\"\n");
    q.new_ticket("low");
    let out = q.run(&[
        "reply",
        "1",
        "--body",
        "Перевіримо і напишемо через 3 години.",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(q.run(&["check"]).status.code(), Some(0));
    let list = String::from_utf8(q.run(&["followups"]).stdout).unwrap();
    assert!(list.contains("через 3 години"), "{list}");
    let later = (Utc::now() + Duration::minutes(200)).to_rfc3339();
    let out = q.run(&["check", "--now", &later]);
    assert_eq!(out.status.code(), Some(3));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("follow-up 1 \"через 3 години\""), "{text}");
    let draft = String::from_utf8(q.run(&["followups", "--draft", "1"]).stdout).unwrap();
    assert!(draft.contains("still working on it"), "{draft}");
    assert!(q.run(&["followups", "--done", "1"]).status.success());
    assert_eq!(
        q.run(&["check", "--now", &later]).status.code(),
        Some(0),
        "a done follow-up is quiet; the low ticket's resolution clock has days left"
    );
}

#[test]
fn check_refuses_a_broken_calendar_with_exit_one() {
    let q = Queue::new("[sla]\nhours = \"nine to five\"\n");
    let out = q.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("hours"));
}

// ---- site watch -----------------------------------------------------------------

mod site_watch {
    use super::*;
    use firstline::store::Store;
    use firstline::watch::{self, Health, Probe, WatchOutcome, WatchPolicy};
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
    use std::sync::Arc;
    use std::thread::JoinHandle;
    use std::time::Duration as StdDuration;

    const UP: u8 = 0;
    const ERROR: u8 = 1;
    const SLOW: u8 = 2;
    const HANG_UP: u8 = 3;
    const KEEP_OPEN: u8 = 4;
    /// `/health` redirects to `/health/ok`, which answers 200.
    const REDIRECT: u8 = 5;
    /// Every path redirects to itself.
    const REDIRECT_LOOP: u8 = 6;
    /// A chunked answer, then the connection held open like KEEP_OPEN.
    const CHUNKED_KEEP_OPEN: u8 = 7;

    /// A loopback HTTP server whose behaviour the test switches between requests.
    struct TestSite {
        addr: SocketAddr,
        mode: Arc<AtomicU8>,
        /// The path of every request the site was asked, in order.
        requests: Arc<Mutex<Vec<String>>>,
        stop: Arc<AtomicBool>,
        handle: Option<JoinHandle<()>>,
    }

    impl TestSite {
        fn start() -> TestSite {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            let addr = listener.local_addr().unwrap();
            let mode = Arc::new(AtomicU8::new(UP));
            let requests = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (m, r, s) = (mode.clone(), requests.clone(), stop.clone());
            // Bounded: at most ~60 s of polling even if the test forgets to stop it.
            let handle = std::thread::spawn(move || {
                for _ in 0..12_000 {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    match listener.accept() {
                        Ok((stream, _)) => serve(stream, m.load(Ordering::SeqCst), &r, &s),
                        Err(_) => std::thread::sleep(StdDuration::from_millis(5)),
                    }
                }
            });
            TestSite {
                addr,
                mode,
                requests,
                stop,
                handle: Some(handle),
            }
        }

        fn set(&self, mode: u8) {
            self.mode.store(mode, Ordering::SeqCst);
        }

        fn url(&self) -> String {
            format!("http://{}/health", self.addr)
        }
    }

    impl Drop for TestSite {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(h) = self.handle.take() {
                let _ = h.join();
            }
        }
    }

    /// Answers one request the way `mode` says. `stop` ends a held connection when the
    /// site is dropped.
    fn serve(mut stream: TcpStream, mode: u8, requests: &Mutex<Vec<String>>, stop: &AtomicBool) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(StdDuration::from_secs(2)));
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let path = String::from_utf8_lossy(&request)
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string();
        requests.lock().unwrap().push(path.clone());
        let hold_open = |stream: &mut TcpStream, answer: &[u8]| {
            let _ = stream.write_all(answer);
            for _ in 0..12_000 {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                std::thread::sleep(StdDuration::from_millis(5));
            }
        };
        let reply: &[u8] = match mode {
            REDIRECT if path == "/health" => {
                b"HTTP/1.1 302 Found\r\nLocation: /health/ok\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            REDIRECT_LOOP => {
                b"HTTP/1.1 302 Found\r\nLocation: /health\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            }
            CHUNKED_KEEP_OPEN => {
                // Only a client that reads the chunked framing to its last chunk
                // returns before its own timeout.
                hold_open(
                    &mut stream,
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n3\r\n!!!\r\n0\r\n\r\n",
                );
                return;
            }
            ERROR => b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\ndown",
            SLOW => {
                std::thread::sleep(StdDuration::from_millis(900));
                b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
            }
            HANG_UP => return,
            KEEP_OPEN => {
                // Answers, then holds the connection open for as long as the site
                // lives (bounded, ~60 s): only a probe that ends the read at the
                // Content-Length returns before its own timeout.
                hold_open(
                    &mut stream,
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
                );
                return;
            }
            _ => b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
        };
        let _ = stream.write_all(reply);
    }

    /// The SLOW server answers after 900 ms, so with this policy its answer is slow
    /// whatever the machine: a sleep only ever makes it later.
    fn policy() -> WatchPolicy {
        WatchPolicy {
            slow_ms: 500,
            note_every: chrono::Duration::minutes(15),
            timezone: chrono_tz::UTC,
        }
    }

    /// For answers that must count as up: no threshold a loaded machine could cross
    /// by luck, the same size as the hang guard.
    fn patient() -> WatchPolicy {
        WatchPolicy {
            slow_ms: HANG_GUARD.as_millis() as u64,
            ..policy()
        }
    }

    /// Probe timeout for answers that do come: it only guards against a hang. Tests
    /// of the timeout itself configure a short one against a server that never
    /// answers in time.
    const HANG_GUARD: StdDuration = StdDuration::from_secs(30);

    #[test]
    fn probe_tells_up_slow_error_and_hang_up_apart() {
        let site = TestSite::start();
        let url = watch::parse_url(&site.url()).unwrap();
        let timeout = HANG_GUARD;
        let p = watch::probe(&url, timeout);
        assert_eq!(
            (p.status, watch::health(&p, &patient())),
            (Some(200), Health::Up)
        );
        site.set(SLOW);
        let p = watch::probe(&url, timeout);
        assert!(p.elapsed_ms >= 900, "{p:?}");
        assert!(matches!(watch::health(&p, &policy()), Health::Slow { .. }));
        site.set(ERROR);
        let p = watch::probe(&url, timeout);
        assert_eq!(
            watch::health(&p, &policy()),
            Health::Down {
                problem: "HTTP 503".into()
            }
        );
        site.set(HANG_UP);
        let p = watch::probe(&url, timeout);
        assert!(p.error.is_some(), "{p:?}");
        site.set(SLOW);
        let p = watch::probe(&url, StdDuration::from_millis(150));
        assert!(
            p.error.as_deref().unwrap_or("").contains("timed out"),
            "{p:?}"
        );
        // Last: this mode holds the server thread until the site is dropped. (The
        // server takes connections one at a time, so this one waits, queued, until
        // the slow answer above is out of the way; the mode is read when it is taken.)
        site.set(KEEP_OPEN);
        let p = watch::probe(&url, timeout);
        assert_eq!((p.status, p.error.as_deref()), (Some(200), None), "{p:?}");
        assert!(
            p.elapsed_ms < timeout.as_millis() as u64,
            "a complete answer ends the read, not the probe's timeout: {p:?}"
        );
    }

    #[test]
    fn probe_reports_a_refused_connection() {
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let url = watch::parse_url(&format!("http://{addr}/")).unwrap();
        let p = watch::probe(&url, StdDuration::from_secs(2));
        assert!(p.error.unwrap().contains("cannot connect"));
    }

    #[test]
    fn probe_follows_a_redirect_to_the_page_that_answers() {
        let site = TestSite::start();
        site.set(REDIRECT);
        let url = watch::parse_url(&site.url()).unwrap();
        let p = watch::probe(&url, HANG_GUARD);
        assert_eq!((p.status, p.error.as_deref()), (Some(200), None), "{p:?}");
        assert_eq!(watch::health(&p, &patient()), Health::Up);
        assert_eq!(*site.requests.lock().unwrap(), ["/health", "/health/ok"]);
    }

    #[test]
    fn probe_stops_a_redirect_loop_and_calls_the_site_down() {
        let site = TestSite::start();
        site.set(REDIRECT_LOOP);
        let url = watch::parse_url(&site.url()).unwrap();
        let p = watch::probe(&url, HANG_GUARD);
        assert_eq!(p.status, None, "{p:?}");
        let problem = match watch::health(&p, &patient()) {
            Health::Down { problem } => problem,
            other => panic!("a redirect loop is down, got {other:?}"),
        };
        assert!(problem.contains("redirects"), "{problem}");
        assert_eq!(
            site.requests.lock().unwrap().len(),
            watch::MAX_REDIRECTS as usize + 1,
            "the first request and one per redirect followed"
        );
    }

    #[test]
    fn probe_reads_a_chunked_answer_to_its_last_chunk() {
        let site = TestSite::start();
        site.set(CHUNKED_KEEP_OPEN);
        let url = watch::parse_url(&site.url()).unwrap();
        let p = watch::probe(&url, HANG_GUARD);
        assert_eq!((p.status, p.error.as_deref()), (Some(200), None), "{p:?}");
        assert!(
            p.elapsed_ms < HANG_GUARD.as_millis() as u64,
            "the last chunk ends the read, not the probe's timeout: {p:?}"
        );
    }

    #[test]
    fn one_outage_is_one_ticket_with_notes_and_a_recovery() {
        let mut store = Store::open_in_memory().unwrap();
        let url = "http://shop.example/";
        let t0 = utc(2026, 11, 26, 10, 0);
        let up = Probe {
            status: Some(200),
            elapsed_ms: 80,
            error: None,
        };
        let err = Probe {
            status: Some(502),
            elapsed_ms: 30,
            error: None,
        };
        let rec = |store: &mut Store, p: &Probe, mins: i64| {
            watch::record(store, url, p, &policy(), t0 + Duration::minutes(mins)).unwrap()
        };
        assert_eq!(rec(&mut store, &up, 0), WatchOutcome::Up);
        assert_eq!(rec(&mut store, &err, 1), WatchOutcome::Opened { ticket: 1 });
        assert_eq!(
            rec(&mut store, &err, 2),
            WatchOutcome::StillDown {
                ticket: 1,
                noted: false
            },
            "same problem within 15 min: no note spam"
        );
        assert_eq!(
            rec(&mut store, &err, 17),
            WatchOutcome::StillDown {
                ticket: 1,
                noted: true
            }
        );
        assert_eq!(
            rec(&mut store, &up, 20),
            WatchOutcome::Recovered {
                ticket: 1,
                down_seconds: 19 * 60
            }
        );
        let t = store.ticket(1).unwrap();
        assert_eq!((t.priority, t.channel), (Priority::Urgent, Channel::Web));
        assert!(t.subject.starts_with("Site down: "));
        let notes: Vec<_> = store
            .messages(1)
            .unwrap()
            .into_iter()
            .filter(|m| m.direction == Direction::Note)
            .collect();
        assert_eq!(notes.len(), 2);
        assert!(
            notes[1].body.starts_with("Recovered at"),
            "{}",
            notes[1].body
        );
        assert_eq!(store.site_checks(url).unwrap().len(), 5);
        assert_eq!(
            rec(&mut store, &err, 30),
            WatchOutcome::Reopened { ticket: 1 },
            "a new outage of the same site reopens its ticket"
        );
    }

    #[test]
    fn watch_command_against_a_site_that_goes_up_down_slow_and_back() {
        let site = TestSite::start();
        let q = Queue::new("");
        let url = site.url();
        // Only the SLOW step uses a threshold below the server's 900 ms delay; the
        // others a threshold (and timeout) no answer reaches by luck.
        let watch = |mode: u8| {
            site.set(mode);
            let slow_ms = if mode == SLOW { "500" } else { "30000" };
            let out = q.run(&[
                "watch",
                &url,
                "--once",
                "--slow-ms",
                slow_ms,
                "--note-every",
                "0s",
                "--timeout",
                "30s",
            ]);
            (out.status.code(), String::from_utf8(out.stdout).unwrap())
        };
        let (code, text) = watch(UP);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("HTTP 200"), "{text}");
        let (code, text) = watch(ERROR);
        assert_eq!(code, Some(3));
        assert!(text.contains("opened ticket #1"), "{text}");
        let (code, text) = watch(ERROR);
        assert_eq!(code, Some(3));
        assert!(text.contains("still a problem, #1 (noted)"), "{text}");
        let (code, text) = watch(SLOW);
        assert_eq!(code, Some(3));
        assert!(
            text.contains("SLOW") && text.contains("#1 (noted)"),
            "{text}"
        );
        let (code, text) = watch(UP);
        assert_eq!(code, Some(0));
        assert!(
            text.contains("recovered after 0 min") && text.contains("solved #1"),
            "{text}"
        );
        let (code, text) = watch(HANG_UP);
        assert_eq!(code, Some(3));
        assert!(text.contains("reopened ticket #1"), "{text}");

        let out = q.run(&["show", "1", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let messages = v["messages"].as_array().unwrap();
        assert_eq!(
            messages.len(),
            5,
            "report, two notes, recovery, the second outage's report"
        );
        assert!(messages[3]["body"]
            .as_str()
            .unwrap()
            .starts_with("Recovered"));
        assert!(messages[4]["body"]
            .as_str()
            .unwrap()
            .starts_with("Down again"));
        assert!(
            q.run(&["watch", "ftp://shop.example/", "--once"])
                .status
                .code()
                == Some(1)
        );
    }

    // ---- https ----------------------------------------------------------------------

    use rcgen::{
        date_time_ymd, BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair,
    };
    use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use std::sync::Mutex;

    /// A private certificate authority made for one test, like an office's own CA.
    struct TestCa {
        pem: String,
        issuer: Issuer<'static, KeyPair>,
    }

    impl TestCa {
        fn new() -> TestCa {
            let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
            params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            params
                .distinguished_name
                .push(DnType::CommonName, "firstline test CA");
            let key = KeyPair::generate().unwrap();
            let pem = params.self_signed(&key).unwrap().pem();
            TestCa {
                pem,
                issuer: Issuer::new(params, key),
            }
        }

        /// A server setup whose certificate names `names`; `expired` puts its
        /// validity in 2020.
        fn server(&self, names: &[&str], expired: bool) -> Arc<rustls::ServerConfig> {
            let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
            let mut params = CertificateParams::new(names).unwrap();
            if expired {
                params.not_before = date_time_ymd(2020, 1, 1);
                params.not_after = date_time_ymd(2020, 12, 31);
            }
            let key = KeyPair::generate().unwrap();
            let cert = params.signed_by(&key, &self.issuer).unwrap();
            let key = PrivateKeyDer::from(PrivatePkcs8KeyDer::from(key.serialize_der()));
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ServerConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .unwrap()
                .with_no_client_auth()
                .with_single_cert(vec![cert.der().clone()], key)
                .unwrap();
            Arc::new(config)
        }

        fn trust(&self) -> watch::Trust {
            watch::Trust::with_ca_pem(self.pem.as_bytes(), std::path::Path::new("test-ca.pem"))
                .unwrap()
        }
    }

    /// A loopback https server: answers `/health` with a redirect to `/health/` and
    /// that with 200, with the given certificate, or
    /// (without one) accepts connections and never says a word, like a wedged TLS
    /// terminator.
    struct TlsSite {
        addr: SocketAddr,
        /// The SNI name of each finished handshake.
        names: Arc<Mutex<Vec<Option<String>>>>,
        stop: Arc<AtomicBool>,
        handle: Option<JoinHandle<()>>,
    }

    impl TlsSite {
        fn start(config: Option<Arc<rustls::ServerConfig>>) -> TlsSite {
            TlsSite::start_with(config, false)
        }

        /// `abrupt`: answer 200 with neither a length nor a TLS close_notify and hang
        /// up, as many real servers do.
        fn start_with(config: Option<Arc<rustls::ServerConfig>>, abrupt: bool) -> TlsSite {
            let listener = TcpListener::bind("127.0.0.1:0").unwrap();
            listener.set_nonblocking(true).unwrap();
            let addr = listener.local_addr().unwrap();
            let names = Arc::new(Mutex::new(Vec::new()));
            let stop = Arc::new(AtomicBool::new(false));
            let (n, s) = (names.clone(), stop.clone());
            let handle = std::thread::spawn(move || {
                let mut stalled = Vec::new();
                for _ in 0..12_000 {
                    if s.load(Ordering::SeqCst) {
                        return;
                    }
                    match (listener.accept(), &config) {
                        (Ok((stream, _)), Some(config)) => {
                            serve_tls(stream, config.clone(), &n, abrupt)
                        }
                        (Ok((stream, _)), None) => stalled.push(stream),
                        (Err(_), _) => std::thread::sleep(StdDuration::from_millis(5)),
                    }
                }
            });
            TlsSite {
                addr,
                names,
                stop,
                handle: Some(handle),
            }
        }

        fn url(&self, host: &str) -> String {
            format!("https://{host}:{}/health", self.addr.port())
        }
    }

    impl Drop for TlsSite {
        fn drop(&mut self) {
            self.stop.store(true, Ordering::SeqCst);
            if let Some(h) = self.handle.take() {
                let _ = h.join();
            }
        }
    }

    fn serve_tls(
        stream: TcpStream,
        config: Arc<rustls::ServerConfig>,
        names: &Mutex<Vec<Option<String>>>,
        abrupt: bool,
    ) {
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(StdDuration::from_secs(2)));
        let _ = stream.set_write_timeout(Some(StdDuration::from_secs(2)));
        let Ok(conn) = rustls::ServerConnection::new(config) else {
            return;
        };
        let mut tls = rustls::StreamOwned::new(conn, stream);
        let mut request = Vec::new();
        let mut buf = [0u8; 1024];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match tls.read(&mut buf) {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        names
            .lock()
            .unwrap()
            .push(tls.conn.server_name().map(str::to_string));
        if abrupt {
            let _ = tls.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nok");
            return;
        }
        let redirect = request.starts_with(b"GET /health ");
        let _ = tls.write_all(if redirect {
            b"HTTP/1.1 301 Moved Permanently\r\nLocation: /health/\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        } else {
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        });
        tls.conn.send_close_notify();
        let _ = tls.flush();
    }

    fn problem(p: &Probe) -> String {
        match watch::health(p, &policy()) {
            Health::Down { problem } => problem,
            other => panic!("expected down, got {other:?} from {p:?}"),
        }
    }

    #[test]
    fn https_probe_is_up_with_the_private_ca_and_sends_the_host_name() {
        let ca = TestCa::new();
        let site = TlsSite::start(Some(ca.server(&["localhost"], false)));
        let url = watch::parse_url(&site.url("localhost")).unwrap();
        let p = watch::probe_with(&url, HANG_GUARD, &ca.trust());
        assert_eq!(p.status, Some(200), "the redirect was followed: {p:?}");
        assert_eq!(watch::health(&p, &patient()), Health::Up, "{p:?}");
        assert_eq!(
            *site.names.lock().unwrap(),
            vec![Some("localhost".to_string()); 2],
            "SNI carries the host name, on the redirect's hop too"
        );
    }

    #[test]
    fn https_probe_accepts_an_answer_ended_by_a_hang_up_without_close_notify() {
        let ca = TestCa::new();
        let site = TlsSite::start_with(Some(ca.server(&["localhost"], false)), true);
        let url = watch::parse_url(&site.url("localhost")).unwrap();
        let p = watch::probe_with(&url, HANG_GUARD, &ca.trust());
        assert_eq!((p.status, p.error.as_deref()), (Some(200), None), "{p:?}");
        assert!(
            p.elapsed_ms < HANG_GUARD.as_millis() as u64,
            "the hang-up ends the read, not the probe's timeout: {p:?}"
        );
    }

    #[test]
    fn https_probe_without_the_private_ca_is_down_for_an_untrusted_certificate() {
        let ca = TestCa::new();
        let site = TlsSite::start(Some(ca.server(&["localhost"], false)));
        let url = watch::parse_url(&site.url("localhost")).unwrap();
        let p = watch::probe(&url, HANG_GUARD);
        assert_eq!(p.status, None);
        let problem = problem(&p);
        assert!(
            problem.starts_with("TLS: certificate not trusted"),
            "{problem}"
        );
        assert!(site.names.lock().unwrap().is_empty(), "no request was sent");
    }

    #[test]
    fn https_probe_is_down_for_a_certificate_naming_another_host() {
        let ca = TestCa::new();
        let site = TlsSite::start(Some(ca.server(&["other.example"], false)));
        let url = watch::parse_url(&site.url("127.0.0.1")).unwrap();
        let p = watch::probe_with(&url, HANG_GUARD, &ca.trust());
        assert_eq!(
            problem(&p),
            "TLS: certificate is for other.example, not 127.0.0.1"
        );
    }

    #[test]
    fn https_probe_is_down_for_an_expired_certificate() {
        let ca = TestCa::new();
        let site = TlsSite::start(Some(ca.server(&["localhost"], true)));
        let url = watch::parse_url(&site.url("localhost")).unwrap();
        let p = watch::probe_with(&url, HANG_GUARD, &ca.trust());
        assert_eq!(problem(&p), "TLS: certificate expired");
    }

    #[test]
    fn https_probe_gives_up_on_a_server_that_never_finishes_the_handshake() {
        let ca = TestCa::new();
        let site = TlsSite::start(None);
        let url = watch::parse_url(&site.url("localhost")).unwrap();
        // The server never says a word: only the configured 300 ms can end the
        // probe. If it ignored the limit it would hang, which the guard turns into a
        // failure instead of a stuck test.
        let (tx, rx) = std::sync::mpsc::channel();
        let trust = ca.trust();
        std::thread::spawn(move || {
            let _ = tx.send(watch::probe_with(
                &url,
                StdDuration::from_millis(300),
                &trust,
            ));
        });
        let p = rx
            .recv_timeout(HANG_GUARD)
            .expect("the probe gave up within its hang guard");
        assert_eq!(
            problem(&p),
            "timed out after 300 ms in the TLS handshake",
            "{p:?}"
        );
        assert!(p.elapsed_ms >= 300, "held to the limit: {p:?}");
    }

    #[test]
    fn watch_command_trusts_a_ca_file_and_refuses_a_bad_one() {
        let ca = TestCa::new();
        let site = TlsSite::start(Some(ca.server(&["localhost", "127.0.0.1"], false)));
        let q = Queue::new("");
        let ca_path = q.dir.path().join("office-ca.pem");
        std::fs::write(&ca_path, &ca.pem).unwrap();
        let ca_arg = ca_path.to_str().unwrap();
        let url = site.url("127.0.0.1");
        let watch = |extra: &[&str]| {
            // Hang guards: a trusted answer is up however long the machine takes.
            let mut args = vec![
                "watch",
                url.as_str(),
                "--once",
                "--timeout",
                "30s",
                "--slow-ms",
                "30000",
            ];
            args.extend_from_slice(extra);
            let out = q.run(&args);
            (
                out.status.code(),
                String::from_utf8(out.stdout).unwrap(),
                String::from_utf8(out.stderr).unwrap(),
            )
        };
        let (code, text, _) = watch(&["--ca-file", ca_arg]);
        assert_eq!(code, Some(0), "{text}");
        assert!(text.contains("HTTP 200") && text.contains(" ms"), "{text}");

        let (code, text, _) = watch(&[]);
        assert_eq!(code, Some(3), "{text}");
        assert!(
            text.contains("DOWN TLS: certificate not trusted") && text.contains("opened ticket #1"),
            "{text}"
        );

        let not_pem = q.dir.path().join("notes.txt");
        std::fs::write(&not_pem, "call the hosting on Monday\n").unwrap();
        for bad in [not_pem.to_str().unwrap(), "/nonexistent/office-ca.pem"] {
            let (code, _, err) = watch(&["--ca-file", bad]);
            assert_eq!(code, Some(1), "{err}");
            assert!(
                err.contains("CA file") && !err.contains("panicked"),
                "{err}"
            );
        }
    }
}

// ---- follow-ups from promises ---------------------------------------------------

mod followups {
    use super::*;
    use firstline::model::{NewCustomer, NewMessage, NewTicket, TicketChange};
    use firstline::sla::promises::{followup_settled, owes_solved_notice, scan_replies};
    use firstline::store::Store;

    fn open_ticket(store: &mut Store, at: DateTime<Utc>) -> i64 {
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
                    body: "Where is my refund?".into(),
                    sent_at: Some(at),
                    ..Default::default()
                },
            })
            .unwrap()
    }

    fn reply(store: &mut Store, ticket: i64, at: DateTime<Utc>, body: &str) {
        store
            .add_message(
                ticket,
                &NewMessage {
                    direction: Direction::Outbound,
                    body: body.into(),
                    sent_at: Some(at),
                    ..Default::default()
                },
            )
            .unwrap();
    }

    #[test]
    fn scan_turns_recent_promises_into_follow_ups_once() {
        let mut store = Store::open_in_memory().unwrap();
        let cfg = SlaConfig::default();
        let now = Utc::now();
        let old = open_ticket(&mut store, now - Duration::days(40));
        reply(
            &mut store,
            old,
            now - Duration::days(30),
            "We'll refund it tomorrow.",
        );
        let fresh = open_ticket(&mut store, now - Duration::hours(2));
        reply(
            &mut store,
            fresh,
            now - Duration::hours(1),
            "Повернемо кошти до п'ятниці.",
        );
        assert_eq!(
            scan_replies(&mut store, &cfg, now).unwrap(),
            1,
            "the 30-day-old promise is history"
        );
        assert_eq!(
            scan_replies(&mut store, &cfg, now).unwrap(),
            0,
            "idempotent"
        );
        let open = store.followups(true, None).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(
            (open[0].ticket_id, open[0].phrase.as_str()),
            (fresh, "до п'ятниці")
        );

        let ticket = store.ticket(fresh).unwrap();
        assert!(!followup_settled(
            &open[0],
            &ticket,
            &store.messages(fresh).unwrap()
        ));
        reply(&mut store, fresh, now, "Кошти повернено.");
        assert!(
            followup_settled(&open[0], &ticket, &store.messages(fresh).unwrap()),
            "a later reply is the update"
        );
    }

    #[test]
    fn a_solved_ticket_whose_customer_last_heard_a_delay_owes_a_notice() {
        let mut store = Store::open_in_memory().unwrap();
        let cfg = SlaConfig::default();
        let now = Utc::now();
        let id = open_ticket(&mut store, now - Duration::hours(3));
        reply(
            &mut store,
            id,
            now - Duration::hours(2),
            "Sorry for the delay, we are still working on it.",
        );
        let t = store
            .change_ticket(id, &TicketChange::Status(Status::Solved), None)
            .unwrap();
        assert!(owes_solved_notice(&t, &store.messages(id).unwrap(), &cfg));
        reply(
            &mut store,
            id,
            now + Duration::minutes(1),
            "All done: the refund is on its way.",
        );
        assert!(!owes_solved_notice(&t, &store.messages(id).unwrap(), &cfg));
    }
}

// ---- issue #15 item 9: one incident ticket per watched site ------------------------

mod issue15_site_incidents {
    use super::*;
    use firstline::store::{Store, TicketFilter, View};
    use firstline::watch::{self, Probe, WatchOutcome, WatchPolicy};

    fn kyiv_policy() -> WatchPolicy {
        WatchPolicy {
            slow_ms: 5_000,
            note_every: Duration::minutes(15),
            timezone: Kyiv,
        }
    }

    fn up() -> Probe {
        Probe {
            status: Some(200),
            elapsed_ms: 80,
            error: None,
        }
    }

    fn down() -> Probe {
        Probe {
            status: Some(503),
            elapsed_ms: 30,
            error: None,
        }
    }

    fn needs_reply_count(store: &Store) -> i64 {
        store
            .count_tickets(&TicketFilter {
                view: Some(View::NeedsReply),
                ..Default::default()
            })
            .unwrap()
    }

    /// Issue #15 item 9: after recovery the incident stayed new/urgent in Needs reply,
    /// and each new outage of the site opened another "Site down" ticket.
    #[test]
    fn issue15_item9_one_incident_per_site_recovery_solves_it_and_a_new_outage_reopens_it() {
        let mut store = Store::open_in_memory().unwrap();
        let url = "http://shop.example/";
        let t0 = utc(2026, 11, 26, 10, 0);
        let at = |seconds: i64| t0 + Duration::seconds(seconds);
        let rec = |store: &mut Store, probe: Probe, seconds: i64| {
            watch::record(store, url, &probe, &kyiv_policy(), at(seconds)).unwrap()
        };

        assert_eq!(
            rec(&mut store, down(), 0),
            WatchOutcome::Opened { ticket: 1 }
        );
        assert_eq!(needs_reply_count(&store), 1, "an outage needs attention");
        let first = &store.messages(1).unwrap()[0];
        assert!(
            first.body.contains("2026-11-26 12:00:00 Europe/Kyiv"),
            "the console's zone, named: {}",
            first.body
        );

        assert_eq!(
            rec(&mut store, up(), 205),
            WatchOutcome::Recovered {
                ticket: 1,
                down_seconds: 205
            }
        );
        let t = store.ticket(1).unwrap();
        assert_eq!(t.status, Status::Solved, "recovery solves the incident");
        assert!(!t.needs_reply(at(205)));
        assert_eq!(needs_reply_count(&store), 0, "out of Needs reply");
        let recovery = store.messages(1).unwrap().pop().unwrap();
        assert_eq!(recovery.direction, Direction::Note);
        assert!(
            recovery.body.contains("12:03:25 Europe/Kyiv")
                && recovery.body.contains("after 3 min 25 s"),
            "{}",
            recovery.body
        );

        assert_eq!(rec(&mut store, up(), 600), WatchOutcome::Up);
        assert_eq!(
            rec(&mut store, down(), 3_600),
            WatchOutcome::Reopened { ticket: 1 }
        );
        let t = store.ticket(1).unwrap();
        assert_eq!(t.status, Status::Open, "a new outage reopens it");
        assert_eq!(
            t.awaiting_reply_since,
            Some(at(3_600)),
            "the wait starts at this outage, not the first one"
        );
        assert_eq!(needs_reply_count(&store), 1);
        let report = store.messages(1).unwrap().pop().unwrap();
        assert!(
            report
                .body
                .starts_with("Down again at 2026-11-26 13:00:00 Europe/Kyiv"),
            "{}",
            report.body
        );

        assert_eq!(
            rec(&mut store, up(), 3_610),
            WatchOutcome::Recovered {
                ticket: 1,
                down_seconds: 10
            }
        );
        assert_eq!(
            rec(&mut store, down(), 7_200),
            WatchOutcome::Reopened { ticket: 1 }
        );
        let tickets = store.tickets().unwrap();
        assert_eq!(tickets.len(), 1, "three outages, one ticket: {tickets:?}");
    }

    /// Solving the incident by hand while the site is still down does not hide the
    /// outage: the next failing check reopens the same ticket.
    #[test]
    fn issue15_item9_an_incident_solved_while_still_down_is_reopened_not_duplicated() {
        let mut store = Store::open_in_memory().unwrap();
        let url = "http://shop.example/";
        let t0 = utc(2026, 11, 26, 10, 0);
        let policy = kyiv_policy();
        watch::record(&mut store, url, &down(), &policy, t0).unwrap();
        store
            .change_ticket(
                1,
                &firstline::model::TicketChange::Status(Status::Solved),
                None,
            )
            .unwrap();
        assert_eq!(
            watch::record(&mut store, url, &down(), &policy, t0 + Duration::minutes(1)).unwrap(),
            WatchOutcome::Reopened { ticket: 1 }
        );
        assert_eq!(store.ticket(1).unwrap().status, Status::Open);
        assert_eq!(
            watch::record(&mut store, url, &up(), &policy, t0 + Duration::minutes(2)).unwrap(),
            WatchOutcome::Recovered {
                ticket: 1,
                down_seconds: 120
            },
            "the outage is counted from its start"
        );
        assert_eq!(store.tickets().unwrap().len(), 1);
    }

    /// A site's ticket marked spam is given up on: its next problem opens a new one.
    #[test]
    fn issue15_item9_an_incident_marked_spam_is_not_reopened() {
        let mut store = Store::open_in_memory().unwrap();
        let url = "http://shop.example/";
        let t0 = utc(2026, 11, 26, 10, 0);
        let policy = kyiv_policy();
        watch::record(&mut store, url, &down(), &policy, t0).unwrap();
        watch::record(&mut store, url, &up(), &policy, t0 + Duration::minutes(1)).unwrap();
        store
            .change_ticket(
                1,
                &firstline::model::TicketChange::Status(Status::Spam),
                None,
            )
            .unwrap();
        assert_eq!(
            watch::record(&mut store, url, &down(), &policy, t0 + Duration::hours(1)).unwrap(),
            WatchOutcome::Opened { ticket: 2 }
        );
        assert_eq!(store.ticket(1).unwrap().status, Status::Spam);
    }

    /// The `watch` command against a real socket: refused while the site is down, a
    /// one-request-at-a-time loopback server while it is up. Its lines show the
    /// console's zone by name.
    #[test]
    fn issue15_item9_watch_command_reopens_the_sites_ticket_and_shows_local_times() {
        use std::io::{Read, Write};
        let q = Queue::new("[sla]\ntimezone = \"Europe/Kyiv\"\n");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        drop(listener);
        let url = format!("http://{addr}/health");
        let watch = || {
            let out = q.run(&["watch", &url, "--once", "--timeout", "30s"]);
            (out.status.code(), String::from_utf8(out.stdout).unwrap())
        };
        let (code, text) = watch();
        assert_eq!(code, Some(3), "{text}");
        assert!(
            text.contains("opened ticket #1") && text.contains("Europe/Kyiv"),
            "{text}"
        );

        let listener = std::net::TcpListener::bind(addr).expect("the same port again");
        let server = std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut buf = [0u8; 1024];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
        });
        let (code, text) = watch();
        server.join().unwrap();
        assert_eq!(code, Some(0), "{text}");
        assert!(
            text.contains("recovered after 0 min") && text.contains("solved #1"),
            "{text}"
        );
        let show = |id: &str| -> serde_json::Value {
            serde_json::from_slice(&q.run(&["show", id, "--json"]).stdout).unwrap()
        };
        assert_eq!(show("1")["ticket"]["status"], "solved", "{}", show("1"));

        let (code, text) = watch();
        assert_eq!(code, Some(3), "{text}");
        assert!(text.contains("reopened ticket #1"), "{text}");
        assert_eq!(show("1")["ticket"]["status"], "open");
        let out = q.run(&["list", "--view", "all", "--json"]);
        let all: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(all.as_array().map(Vec::len), Some(1), "{all}");
    }

    /// Issue #15: merging a site-incident ticket into another (the customer who
    /// wrote "your shop is down" and the watch's ticket are one story) dropped the
    /// incident link, so the next outage opened a new "Site down" ticket and the
    /// recovery was noted nowhere. The link, and any follow-up, moves with the thread.
    #[test]
    fn issue15_item9_merging_an_incident_ticket_keeps_the_site_watch_link() {
        use firstline::model::{NewCustomer, NewMessage, NewTicket};
        let mut store = Store::open_in_memory().unwrap();
        let url = "http://shop.example/";
        let t0 = utc(2026, 11, 26, 10, 0);
        let at = |seconds: i64| t0 + Duration::seconds(seconds);
        let rec = |store: &mut Store, probe: Probe, seconds: i64| {
            watch::record(store, url, &probe, &kyiv_policy(), at(seconds)).unwrap()
        };
        let WatchOutcome::Opened { ticket: incident } = rec(&mut store, down(), 0) else {
            panic!("the outage opens an incident");
        };
        let customer = store
            .create_ticket(&NewTicket {
                subject: "Your shop is down".into(),
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
                    body: "I cannot open the shop.".into(),
                    sent_at: Some(at(60)),
                    ..Default::default()
                },
            })
            .unwrap();
        store
            .create_followup(&firstline::store::NewFollowup {
                ticket_id: incident,
                kind: firstline::store::FollowupKind::Manual,
                due_at: at(3_600),
                phrase: "call the host".into(),
                message_id: None,
            })
            .unwrap();
        store.merge_tickets(incident, customer).unwrap();
        assert_eq!(
            store.site_incident(url).unwrap().map(|i| i.ticket_id),
            Some(customer),
            "the watch still knows where its incident is"
        );
        assert_eq!(
            rec(&mut store, up(), 205),
            WatchOutcome::Recovered {
                ticket: customer,
                down_seconds: 205
            }
        );
        assert_eq!(
            store.tickets().unwrap().len(),
            1,
            "no second incident ticket"
        );
        let followups = store.followups(true, Some(customer)).unwrap();
        assert_eq!(followups.len(), 1, "the follow-up moved too: {followups:?}");
    }
}

// ---- issue #15 item 7: the follow-up a logged call's notes promise -----------------

mod issue15_logged_calls {
    use super::*;
    use firstline::sla::calls::{call_template, log_call, promised_followup, CallFollowup};
    use firstline::store::Store;

    fn kyiv_desk() -> SlaConfig {
        SlaConfig {
            timezone: "Europe/Kyiv".into(),
            ..SlaConfig::default()
        }
    }

    fn due(notes: &str, at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        match promised_followup(notes, at, &kyiv_desk()) {
            CallFollowup::Recorded { due, .. } => Some(due),
            other => panic!("no follow-up read from {notes:?}: {other:?}"),
        }
    }

    /// Issue #15 item 7: "Follow-up by: tomorrow 10:00" / "передзвоню завтра о 10:00"
    /// in call notes become a follow-up, in the console's zone.
    #[test]
    fn issue15_item7_follow_up_line_of_call_notes_is_read_in_the_consoles_zone() {
        let at = kyiv(2026, 11, 26, 12, 0);
        let template = call_template("Ivan Petrenko", at, Kyiv);
        assert!(
            template.starts_with("Call with Ivan Petrenko, 2026-11-26 12:00 Europe/Kyiv"),
            "{template}"
        );
        assert_eq!(
            promised_followup(&template, at, &kyiv_desk()),
            CallFollowup::None,
            "the empty template promises nothing"
        );
        let filled = template.replace("Follow-up by: ", "Follow-up by: tomorrow 10:00");
        assert_eq!(due(&filled, at), Some(kyiv(2026, 11, 27, 10, 0)));
        let ukrainian =
            template.replace("Follow-up by: ", "Follow-up by: передзвоню завтра о 10:00");
        let due_uk = due(&ukrainian, at).unwrap();
        assert_eq!(
            due_uk.with_timezone(&Kyiv).date_naive(),
            kyiv(2026, 11, 27, 10, 0).with_timezone(&Kyiv).date_naive(),
            "завтра is tomorrow"
        );
        assert!(matches!(
            promised_followup("Follow-up by: when the courier answers", at, &kyiv_desk()),
            CallFollowup::Unreadable { .. }
        ));
    }

    /// The call is our contact: it ends the customer's wait, is filed as ours, and its
    /// follow-up is tied to it so the promise scan does not book it twice.
    #[test]
    fn issue15_item7_a_logged_call_answers_the_customer_and_books_one_follow_up() {
        let mut store = Store::open_in_memory().unwrap();
        let called = kyiv(2026, 11, 26, 12, 0);
        let id = store
            .create_ticket(&firstline::model::NewTicket {
                subject: "Where is my order?".into(),
                customer: firstline::model::NewCustomer {
                    name: "Ivan Petrenko".into(),
                    phone: Some("+380501234567".into()),
                    ..Default::default()
                },
                channel: Channel::Phone,
                priority: Priority::Normal,
                status: Status::New,
                tags: Vec::new(),
                first_message: firstline::model::NewMessage {
                    direction: Direction::Inbound,
                    author: "Ivan Petrenko".into(),
                    body: "Order 4512 has not arrived.".into(),
                    sent_at: Some(called - Duration::hours(1)),
                    ..Default::default()
                },
            })
            .unwrap();
        let notes = call_template("Ivan Petrenko", called, Kyiv)
            .replace("Follow-up by: ", "Follow-up by: tomorrow 10:00");
        let logged = log_call(&mut store, &kyiv_desk(), id, "Oleh", &notes, called).unwrap();
        let t = store.ticket(id).unwrap();
        assert_eq!(t.status, Status::Open);
        assert_eq!(t.awaiting_reply_since, None, "nobody waits after the call");
        assert_eq!(t.first_response_at, Some(called));
        let call = store.messages(id).unwrap().pop().unwrap();
        assert_eq!(
            (call.id, call.direction),
            (logged.message, Direction::Outbound)
        );
        firstline::sla::promises::scan_replies(&mut store, &kyiv_desk(), called).unwrap();
        let followups = store.followups(true, Some(id)).unwrap();
        assert_eq!(followups.len(), 1, "{followups:?}");
        assert_eq!(followups[0].due_at, kyiv(2026, 11, 27, 10, 0));
    }
}

// ---- issue #15: promises are read right and kept apart --------------------------

/// Issue #15 item 3: a day and a time of day compose ("tomorrow by noon", "завтра до
/// 12:00", "к полудню", "до 15") in all three languages, and a time phrase without a
/// commitment ("воно діє 24 години", "оформлено сьогодні") is no promise (#20).
/// Sent Wednesday 2026-11-25 10:00 in Kyiv, office hours 09:00-18:00 Mon-Fri.
#[test]
fn issue_15_item_3_days_and_times_of_day_compose_and_only_commitments_promise() {
    let cfg = office("Europe/Kyiv");
    let sent = kyiv(2026, 11, 25, 10, 0);
    let cases: [(&str, Option<DateTime<Utc>>); 30] = [
        // English.
        (
            "I'll get back to you tomorrow by noon.",
            Some(kyiv(2026, 11, 26, 12, 0)),
        ),
        (
            "I will reply by noon tomorrow.",
            Some(kyiv(2026, 11, 26, 12, 0)),
        ),
        (
            "We'll have it fixed by Friday at 3pm.",
            Some(kyiv(2026, 11, 27, 15, 0)),
        ),
        ("I'll call you at midday.", Some(kyiv(2026, 11, 25, 12, 0))),
        ("I will confirm by 5pm.", Some(kyiv(2026, 11, 25, 17, 0))),
        (
            "You will hear from me tomorrow.",
            Some(kyiv(2026, 11, 26, 18, 0)),
        ),
        (
            "I'll call you on Monday at 9:30am.",
            Some(kyiv(2026, 11, 30, 9, 30)),
        ),
        // A time written straight after the day, with no "at" (found by the
        // new-user trial: "by Monday 10:00" was due Monday 18:00).
        (
            "I will reply by Monday 10:00 with our answer.",
            Some(kyiv(2026, 11, 30, 10, 0)),
        ),
        (
            "You'll have it tomorrow, 4pm at the latest.",
            Some(kyiv(2026, 11, 26, 16, 0)),
        ),
        (
            "Відповімо до понеділка 10:00.",
            Some(kyiv(2026, 11, 30, 10, 0)),
        ),
        (
            "Ответим до понедельника 10:00.",
            Some(kyiv(2026, 11, 30, 10, 0)),
        ),
        // Ukrainian.
        (
            "Напишу Вам завтра до 12:00.",
            Some(kyiv(2026, 11, 26, 12, 0)),
        ),
        (
            "Відповімо завтра до обіду.",
            Some(kyiv(2026, 11, 26, 12, 0)),
        ),
        (
            "Передзвоню сьогодні до 15.",
            Some(kyiv(2026, 11, 25, 15, 0)),
        ),
        (
            "Надішлю до п'ятниці, до 12.00.",
            Some(kyiv(2026, 11, 27, 12, 0)),
        ),
        (
            "Перевіримо і напишемо післязавтра о 10:00.",
            Some(kyiv(2026, 11, 27, 10, 0)),
        ),
        (
            "Зателефоную в понеділок о 14:00.",
            Some(kyiv(2026, 11, 30, 14, 0)),
        ),
        // Russian.
        ("Напишу завтра к полудню.", Some(kyiv(2026, 11, 26, 12, 0))),
        (
            "Сделаем послезавтра к 15:00.",
            Some(kyiv(2026, 11, 27, 15, 0)),
        ),
        ("Перезвоню в 16:30.", Some(kyiv(2026, 11, 25, 16, 30))),
        (
            "Ответим в пятницу до обеда.",
            Some(kyiv(2026, 11, 27, 12, 0)),
        ),
        (
            "Проверю завтра до 15 часов.",
            Some(kyiv(2026, 11, 26, 15, 0)),
        ),
        // Time phrases that promise nothing (#20).
        ("Воно діє 24 години.", None),
        ("Посилання для входу діє протягом 24 годин.", None),
        ("Замовлення оформлено сьогодні до 12:00.", None),
        ("The code expires in 24 hours.", None),
        ("Працюємо до 18:00, у суботу до 15.", None),
        ("Ми отримали оплату до 15 листопада.", None),
        ("Ссылка действует в течение суток.", None),
        ("Заказ оформлен сегодня к 12:00.", None),
    ];
    let mut wrong = Vec::new();
    for (text, want) in cases {
        let got = extract_promise(text, sent, &cfg);
        if let Some(p) = &got {
            assert_eq!(&text[p.span.clone()], p.phrase, "span points at the phrase");
        }
        let got_due = got.as_ref().map(|p| p.due.with_timezone(&Kyiv));
        if got_due != want.map(|w| w.with_timezone(&Kyiv)) {
            wrong.push(format!(
                "{text:?}: got {:?} ({:?}), want {:?}",
                got_due.map(|d| d.format("%a %d %H:%M").to_string()),
                got.map(|p| p.phrase),
                want.map(|w| w.with_timezone(&Kyiv).format("%a %d %H:%M").to_string())
            ));
        }
    }
    assert!(wrong.is_empty(), "misread:\n{}", wrong.join("\n"));
}

/// Issue #15 item 3: snooze and promises read day and time words with the same
/// reader, so "завтра 12:00" and "tomorrow noon" are one moment wherever typed.
#[test]
fn issue_15_item_3_snooze_reads_the_same_days_and_times_as_promises() {
    let cfg = office("Europe/Kyiv");
    let now = kyiv(2026, 11, 25, 10, 0);
    for (text, want) in [
        ("завтра 12:00", kyiv(2026, 11, 26, 12, 0)),
        ("tomorrow noon", kyiv(2026, 11, 26, 12, 0)),
        ("пʼятниця обід", kyiv(2026, 11, 27, 12, 0)),
        ("fri 5pm", kyiv(2026, 11, 27, 17, 0)),
        ("day after tomorrow 10:00", kyiv(2026, 11, 27, 10, 0)),
    ] {
        assert_eq!(sla::parse_snooze(text, now, &cfg), Some(want), "{text}");
    }
    assert_eq!(
        extract_promise("Напишу завтра о 12:00.", now, &cfg).map(|p| p.due),
        sla::parse_snooze("завтра 12:00", now, &cfg)
    );
}

/// Issue #15 item 4: `firstline reply` records the promise at once, on an e-mail
/// ticket (queued in the outbox) as on a chat one (recorded without), through the one
/// call every sender makes; no later scan is needed for the follow-up to exist.
#[test]
fn issue_15_item_4_cli_reply_records_its_promise_on_email_and_chat_tickets() {
    use firstline::store::{FollowupKind, Store};
    let (_dir, db, config) = support::temp_paths();
    let mut ids = Vec::new();
    for (from, channel) in [("Ann <ann@example.com>", "email"), ("Bob", "chat")] {
        let out = support::run_ok(support::cli(&db, &config).args([
            "new",
            "--no-demo",
            "--from",
            from,
            "--channel",
            channel,
            "--subject",
            "Refund",
            "--body",
            "Where is my refund?",
        ]));
        ids.push(String::from_utf8_lossy(&out.stdout).trim().to_string());
    }
    for id in &ids {
        support::run_ok(support::cli(&db, &config).args([
            "reply",
            id,
            "--body",
            "Thanks for waiting. I'll get back to you tomorrow by noon.",
        ]));
    }
    let store = Store::open(&db).unwrap();
    for id in &ids {
        let ticket: i64 = id.parse().unwrap();
        let reply = store
            .messages(ticket)
            .unwrap()
            .into_iter()
            .find(|m| m.direction == Direction::Outbound)
            .expect("the reply is in the thread");
        let open = store.followups(true, Some(ticket)).unwrap();
        assert_eq!(open.len(), 1, "ticket {id}: {open:?}");
        let f = &open[0];
        assert_eq!(f.kind, FollowupKind::Promise);
        assert_eq!(f.phrase, "tomorrow by noon");
        assert_eq!(f.message_id, Some(reply.id));
        let noon_next_day = (reply.sent_at.date_naive() + Duration::days(1))
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc();
        assert_eq!(f.due_at, noon_next_day, "ticket {id}");
    }
}

/// Issue #15 item 5: a later reply settles the customer promise it answers, never a
/// follow-up set by hand ("1m call the bank"), which ends only when marked done.
#[test]
fn issue_15_item_5_a_reply_settles_customer_promises_not_hand_set_followups() {
    use firstline::model::{NewCustomer, NewMessage, NewTicket};
    use firstline::sla::promises::{followup_settled, record_reply_promise};
    use firstline::store::{FollowupKind, NewFollowup, Store};
    let mut store = Store::open_in_memory().unwrap();
    let cfg = SlaConfig::default();
    let now = Utc::now();
    let id = store
        .create_ticket(&NewTicket {
            subject: "Refund".into(),
            customer: NewCustomer {
                name: "Ann".into(),
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::Open,
            tags: vec![],
            first_message: NewMessage {
                body: "Where is my refund?".into(),
                sent_at: Some(now - Duration::hours(3)),
                ..Default::default()
            },
        })
        .unwrap();
    let reply = |store: &mut Store, at: DateTime<Utc>, body: &str| {
        store
            .add_message(
                id,
                &NewMessage {
                    direction: Direction::Outbound,
                    body: body.into(),
                    sent_at: Some(at),
                    ..Default::default()
                },
            )
            .unwrap()
    };
    store
        .create_followup(&NewFollowup {
            ticket_id: id,
            kind: FollowupKind::Manual,
            due_at: now + Duration::minutes(1),
            phrase: "call the bank".into(),
            message_id: None,
        })
        .unwrap();
    let promised = reply(
        &mut store,
        now - Duration::hours(2),
        "I'll check with the bank within an hour.",
    );
    record_reply_promise(&mut store, &cfg, id, promised).unwrap();
    // Sent after both follow-ups were recorded (their created_at is the real now).
    reply(
        &mut store,
        Utc::now() + Duration::minutes(1),
        "The bank confirmed; the refund is on its way.",
    );
    let ticket = store.ticket(id).unwrap();
    let messages = store.messages(id).unwrap();
    let open = store.followups(true, Some(id)).unwrap();
    let settled: Vec<(FollowupKind, bool)> = open
        .iter()
        .map(|f| (f.kind, followup_settled(f, &ticket, &messages)))
        .collect();
    assert_eq!(
        settled,
        vec![(FollowupKind::Promise, true), (FollowupKind::Manual, false)],
        "{open:?}"
    );
}

/// Issue #15 item 5: solving a ticket settles its customer promise (no more "you
/// promised" due on a solved ticket) and asks to tell the customer it is solved; a
/// hand-set to-do on it stays due until marked done.
#[test]
fn issue_15_item_5_solving_settles_the_promise_and_asks_to_tell_the_customer() {
    use firstline::model::{NewCustomer, NewMessage, NewTicket, TicketChange};
    use firstline::sla::promises::{
        due_followups, followup_settled, owes_solved_notice, record_reply_promise,
    };
    use firstline::store::{FollowupKind, NewFollowup, Store};
    let mut store = Store::open_in_memory().unwrap();
    let cfg = SlaConfig::default();
    let now = Utc::now();
    let id = store
        .create_ticket(&NewTicket {
            subject: "Refund".into(),
            customer: NewCustomer {
                name: "Ann".into(),
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::Open,
            tags: vec![],
            first_message: NewMessage {
                body: "Where is my refund?".into(),
                sent_at: Some(now - Duration::hours(3)),
                ..Default::default()
            },
        })
        .unwrap();
    let promised = store
        .add_message(
            id,
            &NewMessage {
                direction: Direction::Outbound,
                body: "I will check with the bank within an hour.".into(),
                sent_at: Some(now - Duration::hours(2)),
                ..Default::default()
            },
        )
        .unwrap();
    record_reply_promise(&mut store, &cfg, id, promised).unwrap();
    store
        .create_followup(&NewFollowup {
            ticket_id: id,
            kind: FollowupKind::Manual,
            due_at: now - Duration::minutes(5),
            phrase: "call the bank".into(),
            message_id: None,
        })
        .unwrap();
    let solved = store
        .change_ticket(id, &TicketChange::Status(Status::Solved), None)
        .unwrap();
    let messages = store.messages(id).unwrap();
    let promise = store
        .followups(true, Some(id))
        .unwrap()
        .into_iter()
        .find(|f| f.kind == FollowupKind::Promise)
        .expect("the promise was recorded");
    assert!(
        followup_settled(&promise, &solved, &messages),
        "solving settles the promise"
    );
    assert!(
        owes_solved_notice(&solved, &messages, &cfg),
        "and asks to tell the customer"
    );
    let due: Vec<FollowupKind> = due_followups(&store, &cfg, now)
        .unwrap()
        .into_iter()
        .map(|d| d.followup.kind)
        .collect();
    assert_eq!(due, vec![FollowupKind::Manual], "the to-do is still due");
}

/// Issue #15 item 6: the "still working on it" reply greets through the one greeting
/// path (the library's greeting, with the Ukrainian vocative: "Ігоре", not "Ігор")
/// and needs no guess at the agent's grammatical gender ("обіцяв(-ла)", "обещал(а)").
#[test]
fn issue_15_item_6_still_working_reply_greets_in_the_vocative_without_a_gender_guess() {
    let (_dir, db, config) = support::temp_paths();
    let mut drafts = Vec::new();
    for (from, body, promise) in [
        (
            "Ігор Петренко <igor@example.com>",
            "Добрий день! Не можу увійти в кабінет, пишу вже вдруге. Допоможіть, будь ласка.",
            "Перевіримо і напишемо Вам протягом години.",
        ),
        (
            "Игорь Смирнов <igor@example.ru>",
            "Здравствуйте! Не могу войти в личный кабинет, пишу уже второй раз. Помогите, пожалуйста.",
            "Проверим и напишем Вам в течение часа.",
        ),
    ] {
        let out = support::run_ok(support::cli(&db, &config).args([
            "new", "--no-demo", "--from", from, "--subject", "Вхід", "--body", body,
        ]));
        let ticket = String::from_utf8_lossy(&out.stdout).trim().to_string();
        support::run_ok(support::cli(&db, &config).args(["reply", &ticket, "--body", promise]));
        let listed = support::run_ok(support::cli(&db, &config).args(["followups", "--json"]));
        let json: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
        let followup = json["followups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["ticket_id"].as_i64() == ticket.parse().ok())
            .unwrap_or_else(|| panic!("no follow-up for ticket {ticket}: {json}"))["id"]
            .to_string();
        let draft = support::run_ok(support::cli(&db, &config).args(["followups", "--draft", &followup]));
        drafts.push(String::from_utf8_lossy(&draft.stdout).to_string());
    }
    let (uk, ru) = (&drafts[0], &drafts[1]);
    assert!(
        uk.lines().next().unwrap_or_default().contains("Ігоре!"),
        "{uk}"
    );
    assert!(
        ru.lines().next().unwrap_or_default().contains("Игорь!"),
        "{ru}"
    );
    for text in [uk, ru] {
        assert!(
            !text.contains("(-ла)") && !text.contains("(а)"),
            "no guessed gender: {text}"
        );
    }
}

/// A promise recorded at send (issue #15 item 4) binds nothing once its reply is
/// taken back within the undo window: the customer never got it.
#[test]
fn issue_15_item_4_an_undone_reply_leaves_no_promise_due() {
    use firstline::config::Config;
    use firstline::mail::{cancel_reply, queue_reply};
    use firstline::model::{NewCustomer, NewMessage, NewTicket};
    use firstline::sla::promises::{due_followups, followup_settled, record_reply_promise};
    use firstline::store::Store;
    let mut store = Store::open_in_memory().unwrap();
    let mut cfg = Config::default();
    cfg.agent.email = "help@shop.example".into();
    cfg.mail.undo_seconds = 600;
    let id = store
        .create_ticket(&NewTicket {
            subject: "Refund".into(),
            customer: NewCustomer {
                name: "Ann".into(),
                email: Some("ann@example.com".into()),
                ..Default::default()
            },
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::Open,
            tags: vec![],
            first_message: NewMessage {
                body: "Where is my refund?".into(),
                sent_at: Some(Utc::now() - Duration::hours(3)),
                ..Default::default()
            },
        })
        .unwrap();
    let reply = queue_reply(&mut store, &cfg, id, "I will check within 5 minutes.").unwrap();
    record_reply_promise(&mut store, &cfg.sla, id, reply).unwrap();
    assert_eq!(store.followups(true, Some(id)).unwrap().len(), 1);
    assert!(cancel_reply(&mut store, reply).unwrap());
    let ticket = store.ticket(id).unwrap();
    let messages = store.messages(id).unwrap();
    for f in store.followups(true, Some(id)).unwrap() {
        assert!(followup_settled(&f, &ticket, &messages), "{f:?}");
    }
    let later = Utc::now() + Duration::minutes(10);
    assert!(due_followups(&store, &cfg.sla, later).unwrap().is_empty());
}

/// Cut-off and odd text around day and time words never panics the reader (byte
/// slicing around matches, a bare hour at the very end, a dot after an hour).
#[test]
fn issue_15_item_3_truncated_and_odd_phrases_never_panic() {
    let cfg = office("Europe/Kyiv");
    let sent = kyiv(2026, 11, 25, 10, 0);
    let texts = [
        "Напишу Вам завтра до 12:00. Передзвоню сьогодні до 15.",
        "I'll get back to you tomorrow by noon, or by Friday at 3pm…",
        "Ответим в пятницу до обеда! Сделаем послезавтра к 15:00?",
        "Зателефоную в понеділок о 14:00 😀 до 15.х до 15.5 до 1",
    ];
    for text in texts {
        for (cut, _) in text.char_indices() {
            let part = &text[..cut];
            let _ = extract_promise(part, sent, &cfg);
            let _ = sla::parse_snooze(part, sent, &cfg);
            let _ = extract_promise(&text[cut..], sent, &cfg);
        }
    }
}

/// Found by a new-user trial: "within 2 business days" written on a Thursday fell due
/// on Saturday. Business (working) days skip the days the desk is closed, and on a
/// desk with no working week set, Saturday and Sunday; plain "days" stay calendar days.
#[test]
fn business_days_in_a_promise_skip_the_weekend() {
    let thursday = kyiv(2026, 12, 3, 10, 0);
    let kyiv_desk = SlaConfig {
        timezone: "Europe/Kyiv".into(),
        ..SlaConfig::default()
    };
    for cfg in [office("Europe/Kyiv"), kyiv_desk] {
        for text in [
            "I will get back to you within 2 business days.",
            "We'll sort it out within 2 working days.",
            "Відповімо протягом 2 робочих днів.",
            "Ответим в течение 2 рабочих дней.",
        ] {
            let due = extract_promise(text, thursday, &cfg)
                .unwrap_or_else(|| panic!("no promise read in {text:?}"))
                .due
                .with_timezone(&Kyiv);
            assert_eq!(
                due.date_naive(),
                chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(),
                "{text:?} on Thursday is due Monday (hours {:?})",
                cfg.hours
            );
        }
    }
    let calendar_days = extract_promise(
        "I will get back to you within 2 days.",
        thursday,
        &office("Europe/Kyiv"),
    )
    .unwrap();
    assert_eq!(
        calendar_days.due.with_timezone(&Kyiv).date_naive(),
        chrono::NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
        "plain days are calendar days"
    );
}

/// New-user trial: `firstline snooze 14 --until "завтра о 10:00"` was refused while a
/// call note "передзвоню завтра о 10:00" was read. Snooze, promises and call notes
/// read days, times and the words joining them through one reader: every phrase a
/// person types for "when", in en/uk/ru, with the connecting words each language uses
/// (at/by/on, о/в/до/на, в/к/до/на) and prepositions before days.
#[test]
fn snooze_reads_days_and_times_joined_the_way_people_write_them() {
    let cfg = office("Europe/Kyiv");
    // Thursday 2026-11-26 15:30 in Kyiv.
    let now = kyiv(2026, 11, 26, 15, 30);
    let table: &[(&str, DateTime<Utc>)] = &[
        // English.
        ("tomorrow at 9", kyiv(2026, 11, 27, 9, 0)),
        ("tomorrow at 9:30", kyiv(2026, 11, 27, 9, 30)),
        ("tomorrow by noon", kyiv(2026, 11, 27, 12, 0)),
        ("tomorrow, 4pm", kyiv(2026, 11, 27, 16, 0)),
        ("by 18:00 today", kyiv(2026, 11, 26, 18, 0)),
        ("today at 5pm", kyiv(2026, 11, 26, 17, 0)),
        ("at 17:00", kyiv(2026, 11, 26, 17, 0)),
        ("on Friday", kyiv(2026, 11, 27, 9, 0)),
        ("on Friday at 3pm", kyiv(2026, 11, 27, 15, 0)),
        ("by Monday", kyiv(2026, 11, 30, 9, 0)),
        ("Monday at 10:00", kyiv(2026, 11, 30, 10, 0)),
        ("10:00 on Monday", kyiv(2026, 11, 30, 10, 0)),
        ("next friday 11:00", kyiv(2026, 11, 27, 11, 0)),
        ("December 16", kyiv(2026, 12, 16, 9, 0)),
        ("on December 16th at 14:00", kyiv(2026, 12, 16, 14, 0)),
        ("Dec 1, 2026", kyiv(2026, 12, 1, 9, 0)),
        ("no later than 17:30 today", kyiv(2026, 11, 26, 17, 30)),
        // Ukrainian.
        ("завтра о 10:00", kyiv(2026, 11, 27, 10, 0)),
        ("завтра о 10", kyiv(2026, 11, 27, 10, 0)),
        ("завтра об 11", kyiv(2026, 11, 27, 11, 0)),
        ("завтра в 10:00", kyiv(2026, 11, 27, 10, 0)),
        ("завтра до обіду", kyiv(2026, 11, 27, 12, 0)),
        ("сьогодні до 18:00", kyiv(2026, 11, 26, 18, 0)),
        ("сьогодні о 17", kyiv(2026, 11, 26, 17, 0)),
        ("у п'ятницю", kyiv(2026, 11, 27, 9, 0)),
        ("у пʼятницю о 14:00", kyiv(2026, 11, 27, 14, 0)),
        ("в понеділок", kyiv(2026, 11, 30, 9, 0)),
        ("до понеділка 12:00", kyiv(2026, 11, 30, 12, 0)),
        ("на понеділок о 9:30", kyiv(2026, 11, 30, 9, 30)),
        ("післязавтра о 15:00", kyiv(2026, 11, 28, 15, 0)),
        ("16 грудня", kyiv(2026, 12, 16, 9, 0)),
        ("16 грудня о 10:00", kyiv(2026, 12, 16, 10, 0)),
        ("16.12", kyiv(2026, 12, 16, 9, 0)),
        ("до 16.12", kyiv(2026, 12, 16, 9, 0)),
        ("16.12.2026 о 11:00", kyiv(2026, 12, 16, 11, 0)),
        ("16/12", kyiv(2026, 12, 16, 9, 0)),
        ("наступного тижня", kyiv(2026, 11, 30, 9, 0)),
        ("не пізніше 17:00 сьогодні", kyiv(2026, 11, 26, 17, 0)),
        // Russian.
        ("сегодня в 18:00", kyiv(2026, 11, 26, 18, 0)),
        ("сегодня к 17:00", kyiv(2026, 11, 26, 17, 0)),
        ("завтра к 10", kyiv(2026, 11, 27, 10, 0)),
        ("завтра в 9:15", kyiv(2026, 11, 27, 9, 15)),
        ("завтра до полудня", kyiv(2026, 11, 27, 12, 0)),
        ("в пятницу", kyiv(2026, 11, 27, 9, 0)),
        ("в пятницу в 15:00", kyiv(2026, 11, 27, 15, 0)),
        ("во вторник", kyiv(2026, 12, 1, 9, 0)),
        ("к понедельнику", kyiv(2026, 11, 30, 9, 0)),
        ("до понедельника в 11:00", kyiv(2026, 11, 30, 11, 0)),
        ("на среду", kyiv(2026, 12, 2, 9, 0)),
        ("послезавтра в 10", kyiv(2026, 11, 28, 10, 0)),
        ("16 декабря", kyiv(2026, 12, 16, 9, 0)),
        ("16 декабря в 12:00", kyiv(2026, 12, 16, 12, 0)),
        ("на следующей неделе", kyiv(2026, 11, 30, 9, 0)),
        ("не позднее 17:00 сегодня", kyiv(2026, 11, 26, 17, 0)),
    ];
    let mut wrong = Vec::new();
    for (text, want) in table {
        let got = sla::parse_snooze(text, now, &cfg);
        if got != Some(*want) {
            wrong.push(format!("{text}: got {got:?}, want {want}"));
        }
    }
    assert!(wrong.is_empty(), "misread:\n{}", wrong.join("\n"));
    // What still means nothing stays refused, with its reason.
    for text in [
        "someday",
        "завтра о",
        "в",
        "tomorrow at noonish",
        "3",
        "32.12",
    ] {
        assert_eq!(sla::parse_snooze(text, now, &cfg), None, "{text}");
    }
}

/// "by 18:00 today" typed after 18:00 is in the past, not silently tomorrow; and the
/// refusal names the time on the desk's clock.
#[test]
fn a_day_and_time_already_past_is_named_past() {
    let cfg = office("Europe/Kyiv");
    let now = kyiv(2026, 11, 26, 19, 0);
    for text in ["by 18:00 today", "сьогодні до 18:00", "сегодня в 18:00"] {
        assert_eq!(sla::parse_snooze(text, now, &cfg), None, "{text}");
        let why = sla::unreadable_time(text, now, &cfg, "3h");
        assert!(
            why.contains("in the past (2026-11-26 18:00)"),
            "{text}: {why}"
        );
    }
    // A time alone is the next time the clock shows it.
    assert_eq!(
        sla::parse_snooze("18:00", now, &cfg),
        Some(kyiv(2026, 11, 27, 18, 0))
    );
}

/// The call note and the reply promise read the same phrases as snooze.
#[test]
fn call_notes_promises_and_snooze_agree_on_a_day_and_time() {
    let cfg = office("Europe/Kyiv");
    let now = kyiv(2026, 11, 26, 15, 30);
    for (snooze, promise) in [
        ("завтра о 10:00", "Передзвоню завтра о 10:00."),
        ("завтра до 12:00", "Я напишу вам завтра до 12:00."),
        ("tomorrow at 9", "I will call you tomorrow at 9am."),
        ("16.12", "Я напишу до 16.12."),
        ("в пятницу в 15:00", "Перезвоню в пятницу в 15:00."),
    ] {
        let snoozed = sla::parse_snooze(snooze, now, &cfg).expect(snooze);
        let promised = extract_promise(promise, now, &cfg).expect(promise).due;
        assert_eq!(
            snoozed.with_timezone(&Kyiv).date_naive(),
            promised.with_timezone(&Kyiv).date_naive(),
            "{snooze} / {promise}"
        );
        let notes = format!("Call with Ann\n\nFollow-up by: {snooze}\n");
        match sla::calls::promised_followup(&notes, now, &cfg) {
            sla::calls::CallFollowup::Recorded { due, .. } => assert_eq!(due, snoozed, "{snooze}"),
            other => panic!("{snooze}: {other:?}"),
        }
    }
}

/// The tone checker's "You promised a time (…)" hint and the follow-up sending
/// records come from one reading: the hint names exactly the phrase
/// `extract_promise` will record, or nothing. New-user trial: "Якщо до 16.12 вони не
/// надійдуть, напишіть мені" was hinted but recorded nothing (a dotted date was not
/// read as a day), and an English reply's hint named "within 3 business days" while
/// the follow-up was "tomorrow by 12:00".
#[test]
fn the_tone_hint_names_the_promise_sending_records() {
    use firstline::tone::{Checker, ToneContext};
    let checker = Checker::builtin();
    let config = SlaConfig::default();
    let table: &[(&str, Option<&str>)] = &[
        (
            "Кошти мають надійти протягом 3 робочих днів. Якщо до 16.12 вони не надійдуть, напишіть мені.",
            Some("до 16.12"),
        ),
        (
            "Деньги придут на карту. Если до 16.12 они не поступят, напишите мне.",
            Some("до 16.12"),
        ),
        (
            "I will check the logs within 3 business days. I'll write to you tomorrow by 12:00 with a first update.",
            Some("tomorrow by 12:00"),
        ),
        (
            "We will ship the replacement by December 16. I'll confirm the tracking number then.",
            Some("by December 16"),
        ),
        ("I will send the invoice on 16/12.", Some("on 16/12")),
        ("Надішлю рахунок до 16.12.2099.", Some("до 16.12.2099")),
        ("Повернемо кошти 16 грудня.", Some("16 грудня")),
        ("Вернём деньги до 16 декабря.", Some("до 16 декабря")),
        ("Я напишу вам завтра до 12:00.", Some("завтра до 12:00")),
        ("Передзвоню завтра о 10:00.", Some("завтра о 10:00")),
        ("Перезвоню в пятницу в 15:00.", Some("в пятницу в 15:00")),
        (
            "I'll get back to you within 2 hours. The full fix will be ready next week.",
            Some("within 2 hours"),
        ),
        ("The link is valid for 24 hours.", None),
        ("Посилання надіслано, воно діє 24 години.", None),
        ("Оплата на 16.12 грн пройде завтра, я перевірю.", Some("завтра")),
    ];
    let mut wrong = Vec::new();
    for (reply, want) in table {
        let now = Utc::now();
        let recorded = extract_promise(reply, now, &config).map(|p| p.phrase);
        let report = checker.check(reply, &ToneContext::default());
        let hinted = report
            .findings
            .iter()
            .find(|f| f.rule == "expectations.follow-up")
            .map(|f| reply[f.span.clone()].to_string());
        if recorded.as_deref() != *want || hinted != recorded {
            wrong.push(format!(
                "{reply}\n  want {want:?}, recorded {recorded:?}, hinted {hinted:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Dates written as people write them are days a promise falls due on.
#[test]
fn promised_dates_fall_due_at_the_end_of_that_day() {
    let cfg = office("Europe/Kyiv");
    let sent = kyiv(2026, 12, 6, 11, 0);
    for reply in [
        "Якщо до 16.12 вони не надійдуть, напишіть мені.",
        "Если до 16.12 они не поступят, напишите мне.",
        "Надішлю до 16.12.2026.",
        "I will send it by 16/12.",
        "Повернемо кошти 16 грудня.",
        "Вернём деньги к 16 декабря.",
        "We will ship on December 16th.",
        "We will ship by Dec 16, 2026.",
    ] {
        let p = extract_promise(reply, sent, &cfg).unwrap_or_else(|| panic!("{reply}"));
        assert_eq!(p.due, kyiv(2026, 12, 16, 18, 0), "{reply}");
    }
    let with_time = extract_promise("Напишу 16 грудня о 10:00.", sent, &cfg).unwrap();
    assert_eq!(with_time.due, kyiv(2026, 12, 16, 10, 0));
    assert_eq!(with_time.phrase, "16 грудня о 10:00");
    // A day-level promise sent after closing time is due at the end of the next
    // working day, not dropped (the hint named it, so the follow-up must exist).
    let late = kyiv(2026, 11, 26, 23, 0); // Thursday night
    let p = extract_promise("Напишу вам в течение дня.", late, &cfg).unwrap();
    assert_eq!(p.due, kyiv(2026, 11, 27, 18, 0));
    // A date already past promises nothing.
    assert_eq!(extract_promise("Надішлю до 16.12.2025.", sent, &cfg), None);
}
