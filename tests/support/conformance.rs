//! The store conformance suite: what every queue backend must do, written against
//! the `Store` / `QueueStore` API only. A backend plugs in by implementing
//! [`Backend`] and invoking [`conformance_suite!`] in a test file
//! (`tests/store_conformance.rs` does it for SQLite), so PostgreSQL runs the very same
//! checks.

#![allow(dead_code)]

use chrono::{Duration, Utc};
use firstline::model::*;
use firstline::store::*;

/// One queue under test. Every `open` is another handle on the *same* queue, as two
/// consoles (or a console and an import) would hold.
pub trait Backend {
    fn open(&self) -> Store;

    /// Makes the reply claimed as `outbox_id` look like a crash interrupted its
    /// sending long ago: the only way into the in-doubt state, and a backend's own
    /// business how its clock is kept.
    fn interrupt_sending(&self, outbox_id: i64);
}

/// One `#[test]` per check for `$backend` (an expression building a fresh
/// [`Backend`]).
#[macro_export]
macro_rules! conformance_suite {
    ($backend:expr; $($check:ident),* $(,)?) => {
        $(
            #[test]
            fn $check() {
                let backend = $backend;
                $crate::conformance::$check(&backend);
            }
        )*
    };
    ($backend:expr) => {
        $crate::conformance_suite!($backend;
            creates_and_reads_a_ticket,
            threads_replies_by_message_id,
            merges_tickets_and_never_reuses_ids,
            a_merged_ticket_takes_status_and_assignee_from_both,
            searches_latin_text,
            searches_cyrillic_text_and_word_forms,
            searches_fold_latin_accents_and_keep_other_letters,
            keeps_a_ledger_of_events,
            outbox_delivers_fails_retries_and_saves,
            outbox_claims_are_exclusive_across_handles,
            outbox_interrupted_sending_is_in_doubt,
            undone_reply_leaves_the_thread,
            drafts_have_owners,
            a_reply_not_written_from_the_draft_keeps_the_draft,
            followups_open_and_complete,
            canned_replies_round_trip,
            a_stale_write_is_refused_with_conflict,
            changes_by_another_handle_are_seen,
            blobs_are_shared_by_every_handle,
            a_tickets_position_is_its_place_in_the_list,
            concurrent_claims_give_a_reply_to_exactly_one_courier,
            concurrent_edits_of_one_version_let_exactly_one_win,
            assigns_unassigns_and_filters_by_assignee,
            concurrent_assignments_let_exactly_one_agent_take_a_ticket,
            a_nul_in_a_query_is_searched_like_a_space,
            presence_is_shared_replaced_and_goes_stale,
        );
    };
}

fn customer(email: &str) -> NewCustomer {
    NewCustomer {
        name: String::new(),
        email: Some(email.into()),
        ..Default::default()
    }
}

pub fn open_ticket(store: &mut Store, email: &str, subject: &str, body: &str) -> TicketId {
    store
        .create_ticket(&NewTicket {
            subject: subject.into(),
            customer: customer(email),
            channel: Channel::Email,
            priority: Priority::Normal,
            status: Status::New,
            tags: vec![],
            // An hour ago: a reply in the same second as the question does not
            // end the wait (ties go to the customer), and tests reply "now".
            first_message: NewMessage {
                body: body.into(),
                author: email.into(),
                sent_at: Some(Utc::now() - Duration::hours(1)),
                ..Default::default()
            },
        })
        .unwrap()
}

fn found(store: &Store, query: &str) -> Vec<TicketId> {
    let mut ids: Vec<TicketId> = store
        .search(&SearchQuery::parse(query).unwrap(), 50)
        .unwrap()
        .into_iter()
        .map(|h| h.summary.ticket.id)
        .collect();
    ids.sort();
    ids
}

fn inbound(
    message_id: &str,
    in_reply_to: Option<&str>,
    subject: &str,
    body: &str,
) -> IngestMessage {
    IngestMessage {
        message: NewMessage {
            direction: Direction::Inbound,
            author: "olena@example.com".into(),
            body: body.into(),
            message_id: Some(message_id.into()),
            in_reply_to: in_reply_to.map(str::to_string),
            references: in_reply_to.map(str::to_string).into_iter().collect(),
            ..Default::default()
        },
        subject: subject.into(),
        customer: customer("olena@example.com"),
        channel: Channel::Email,
        raw: body.as_bytes().to_vec(),
        sha256: firstline::mail::sha256_hex(body.as_bytes()),
        profile: None,
        seen: false,
        ticket: None,
        thread_window: Duration::days(30),
    }
}

pub fn creates_and_reads_a_ticket(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "bob@example.com", "Login fails", "cannot log in");
    let t = s.ticket(id).unwrap();
    assert_eq!(t.subject, "Login fails");
    assert_eq!(t.status, Status::New);
    let detail = s.ticket_detail(id).unwrap();
    assert_eq!(detail.messages.len(), 1);
    assert_eq!(detail.messages[0].body, "cannot log in");
    assert!(detail
        .customer
        .emails
        .iter()
        .any(|e| e == "bob@example.com"));
    let inbox = s
        .list_tickets(&TicketFilter {
            view: Some(View::NeedsReply),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].ticket.id, id);
    assert!(matches!(
        s.ticket(id + 1000),
        Err(StoreError::NotFound { .. })
    ));
}

pub fn threads_replies_by_message_id(b: &dyn Backend) {
    let mut s = b.open();
    let first = inbound("<a1@example.com>", None, "Parcel", "where is my parcel");
    let reply = inbound(
        "<a2@example.com>",
        Some("<a1@example.com>"),
        "Re: something else",
        "still waiting",
    );
    let out = s.ingest_batch(&[first.clone(), reply], None).unwrap();
    let ticket_of = |o: &Result<IngestOutcome, StoreError>| match o {
        Ok(IngestOutcome::Added { ticket, .. }) => *ticket,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        ticket_of(&out[0]),
        ticket_of(&out[1]),
        "the reply joins its thread"
    );
    assert_eq!(s.messages(ticket_of(&out[0])).unwrap().len(), 2);
    let again = s.ingest_batch(&[first], None).unwrap();
    assert!(
        matches!(again[0], Ok(IngestOutcome::DuplicateMessageId { .. })),
        "{again:?}"
    );
    assert_eq!(
        s.ticket_by_message_id("<a1@example.com>").unwrap(),
        Some(ticket_of(&out[0]))
    );
}

pub fn merges_tickets_and_never_reuses_ids(b: &dyn Backend) {
    let mut s = b.open();
    let a = open_ticket(&mut s, "a@example.com", "Invoice", "no invoice");
    let dup = open_ticket(&mut s, "a@example.com", "Invoice again", "still no invoice");
    let merged = s.merge_tickets(dup, a).unwrap();
    assert_eq!(merged.id, a);
    assert_eq!(s.messages(a).unwrap().len(), 2);
    assert!(matches!(s.ticket(dup), Err(StoreError::NotFound { .. })));
    assert_eq!(found(&s, "still"), vec![a], "the index follows the merge");
    let next = open_ticket(&mut s, "c@example.com", "New", "hello");
    assert!(
        next > dup,
        "ticket {dup} was merged away; {next} must not reuse it"
    );
}

/// New-user trial: `firstline merge 12 19` left #19 "new" though its thread now held
/// a delivered reply, and dropped #12's assignee.
pub fn a_merged_ticket_takes_status_and_assignee_from_both(b: &dyn Backend) {
    let mut s = b.open();
    let answered = open_ticket(&mut s, "a@example.com", "Invoice", "no invoice");
    s.add_message(
        answered,
        &NewMessage {
            direction: Direction::Outbound,
            author: "Olena".into(),
            body: "Sending it now.".into(),
            ..Default::default()
        },
    )
    .unwrap();
    s.change_ticket(
        answered,
        &TicketChange::Assignee(Some("Olena".into())),
        None,
    )
    .unwrap();
    let fresh = open_ticket(&mut s, "a@example.com", "Invoice?", "still no invoice");
    assert_eq!(s.ticket(fresh).unwrap().status, Status::New);
    let merged = s.merge_tickets(answered, fresh).unwrap();
    assert!(merged.first_response_at.is_some());
    assert_eq!(merged.status, Status::Open, "an answered thread is not new");
    assert_eq!(
        merged.assignee.as_deref(),
        Some("Olena"),
        "the assignee is kept"
    );
    assert_eq!(s.ticket(fresh).unwrap(), merged, "as stored");

    // An open question merged into a solved ticket reopens it rather than hiding.
    let solved = open_ticket(&mut s, "b@example.com", "Login", "cannot log in");
    s.change_ticket(solved, &TicketChange::Status(Status::Solved), None)
        .unwrap();
    s.change_ticket(solved, &TicketChange::Assignee(Some("Petro".into())), None)
        .unwrap();
    let question = open_ticket(&mut s, "b@example.com", "Login again", "still cannot");
    s.change_ticket(
        question,
        &TicketChange::Assignee(Some("Olena".into())),
        None,
    )
    .unwrap();
    let merged = s.merge_tickets(question, solved).unwrap();
    assert_eq!(merged.status, Status::New);
    assert_eq!(merged.resolved_at, None);
    assert!(merged.awaiting_reply_since.is_some(), "the customer waits");
    assert_eq!(
        merged.assignee.as_deref(),
        Some("Petro"),
        "both had one: the target's stays"
    );
}

pub fn searches_latin_text(b: &dyn Backend) {
    let mut s = b.open();
    let refund = open_ticket(
        &mut s,
        "bob@example.com",
        "Refund please",
        "I was charged twice",
    );
    let login = open_ticket(
        &mut s,
        "eve@example.com",
        "Login",
        "password reset link expired",
    );
    assert_eq!(found(&s, "charged"), vec![refund]);
    assert_eq!(found(&s, "CHARGED"), vec![refund], "case-insensitive");
    assert_eq!(found(&s, "\"reset link\""), vec![login], "phrase");
    assert!(
        found(&s, "\"link reset\"").is_empty(),
        "a phrase keeps its order"
    );
    assert_eq!(found(&s, "pass*"), vec![login], "prefix");
    assert_eq!(found(&s, "subject:refund"), vec![refund]);
    assert_eq!(
        found(&s, "eve"),
        vec![login],
        "the customer's address is searched"
    );
    assert_eq!(found(&s, "charged OR expired"), vec![refund, login]);
    assert!(found(&s, "twice -refund").is_empty(), "excluded word");
    // A word is that word: no stemming (`charge` is not `charged`; `charg*` finds
    // it), and short common words are words too (no stop list).
    assert!(found(&s, "charge").is_empty(), "no English stemming");
    assert!(found(&s, "expire").is_empty(), "no English stemming");
    assert_eq!(found(&s, "charg*"), vec![refund]);
    assert_eq!(found(&s, "was"), vec![refund], "no stop words");
    assert_eq!(
        found(&s, "\"i was\""),
        vec![refund],
        "no stop words in a phrase"
    );
    let counted = s
        .search_counted(&SearchQuery::parse("charged OR expired").unwrap(), 1)
        .unwrap();
    assert_eq!((counted.hits.len(), counted.total), (1, 2));
}

pub fn searches_cyrillic_text_and_word_forms(b: &dyn Backend) {
    let mut s = b.open();
    let uk = open_ticket(
        &mut s,
        "olena@example.com",
        "Оплата не пройшла",
        "Картку відхилено двічі, прошу повернути кошти",
    );
    let ru = open_ticket(
        &mut s,
        "ivan@example.com",
        "Счёт",
        "Не пришёл счёт за подписку",
    );
    assert_eq!(found(&s, "оплата"), vec![uk]);
    assert_eq!(found(&s, "ОПЛАТА"), vec![uk], "Cyrillic case folds");
    assert_eq!(found(&s, "\"повернути кошти\""), vec![uk], "phrase");
    // Word forms: a stem with `*` finds every ending (оплата, оплати, оплату…).
    assert_eq!(found(&s, "відхил*"), vec![uk]);
    assert_eq!(found(&s, "оплат*"), vec![uk]);
    assert_eq!(found(&s, "подписк*"), vec![ru]);
    // Russian ё is typed as е more often than not.
    assert_eq!(found(&s, "счет"), vec![ru], "е finds ё");
    assert_eq!(found(&s, "пришел"), vec![ru]);
    assert!(found(&s, "посилка").is_empty());
    // Inflection without `*`: another form of a word is not that word, in Ukrainian
    // and Russian alike (SQLite has no stemmer; the suite holds every backend to it),
    // and a short word is a word (`не` is no stop word).
    assert!(found(&s, "оплати").is_empty(), "оплати is not оплата");
    assert!(found(&s, "оплату").is_empty(), "оплату is not оплата");
    assert!(found(&s, "картка").is_empty(), "картка is not картку");
    assert!(
        found(&s, "повернув").is_empty(),
        "повернув is not повернути"
    );
    assert!(found(&s, "подписка").is_empty(), "подписка is not подписку");
    assert!(found(&s, "счета").is_empty(), "счета is not счёт");
    assert_eq!(found(&s, "картк*"), vec![uk]);
    assert_eq!(found(&s, "не"), vec![uk, ru], "no stop words");
    assert_eq!(found(&s, "за"), vec![ru], "no stop words");
}

/// Accents on Latin letters fold (`cafe` finds `café`); letters that are letters of
/// their own do not (`ł`, Cyrillic `й`, `ї`): SQLite's `remove_diacritics 2`, which
/// every backend answers like.
pub fn searches_fold_latin_accents_and_keep_other_letters(b: &dyn Backend) {
    let mut s = b.open();
    let cafe = open_ticket(
        &mut s,
        "a@example.com",
        "Café",
        "naïve question about ĉapelo",
    );
    let lodz = open_ticket(&mut s, "b@example.com", "Łódź", "йод і їжак");
    assert_eq!(found(&s, "cafe"), vec![cafe]);
    assert_eq!(found(&s, "CAFÉ"), vec![cafe]);
    assert_eq!(found(&s, "naive"), vec![cafe]);
    assert_eq!(found(&s, "capelo"), vec![cafe]);
    assert_eq!(found(&s, "łodz"), vec![lodz]);
    assert!(found(&s, "lodz").is_empty(), "ł is not l with a mark");
    assert_eq!(found(&s, "йод"), vec![lodz]);
    assert!(found(&s, "иод").is_empty(), "й is a letter of its own");
    assert!(found(&s, "іжак").is_empty(), "ї is a letter of its own");
}

pub fn keeps_a_ledger_of_events(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    s.add_message(
        id,
        &NewMessage {
            direction: Direction::Outbound,
            body: "Reset link sent".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let t = s.ticket(id).unwrap();
    assert!(
        t.first_response_at.is_some(),
        "the reply is the first response"
    );
    assert!(!t.needs_reply(Utc::now()));
    assert_eq!(t.status, Status::Open, "answering a new ticket opens it");
    s.change_ticket(id, &TicketChange::Status(Status::Solved), None)
        .unwrap();
    assert!(s.ticket(id).unwrap().resolved_at.is_some());
    s.add_message(
        id,
        &NewMessage {
            body: "still broken".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let t = s.ticket(id).unwrap();
    assert_eq!(t.status, Status::Open, "a customer reply reopens it");
    assert!(t.needs_reply(Utc::now()));
    let events = s.events(Some(id)).unwrap();
    assert!(events.iter().any(|e| e.kind == "status"), "{events:?}");
    let ids: Vec<i64> = events.iter().map(|e| e.id).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), ids.len(), "event ids are unique");
}

fn queue_reply(
    s: &mut Store,
    ticket: TicketId,
    body: &str,
    not_before: chrono::DateTime<Utc>,
) -> (MessageId, i64) {
    let raw = format!("Subject: Re\r\n\r\n{body}\r\n");
    s.queue_outbound(
        ticket,
        &NewMessage {
            direction: Direction::Outbound,
            body: body.into(),
            ..Default::default()
        },
        raw.as_bytes(),
        &firstline::mail::sha256_hex(raw.as_bytes()),
        not_before,
    )
    .unwrap()
}

fn state(s: &Store, message: MessageId) -> OutboxState {
    s.outbox_entry(message).unwrap().unwrap().state
}

pub fn outbox_delivers_fails_retries_and_saves(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    let later = Utc::now() + Duration::minutes(5);
    let (msg, out) = queue_reply(&mut s, id, "Reset link sent", later);
    assert_eq!(state(&s, msg), OutboxState::Queued);
    assert!(
        s.outbound_due(ClaimScope::Due(Utc::now()))
            .unwrap()
            .is_empty(),
        "still in its undo window"
    );
    assert_eq!(s.outbound_due(ClaimScope::Due(later)).unwrap(), vec![out]);

    let claimed = s
        .claim_outbound(out, ClaimScope::AllQueued)
        .unwrap()
        .unwrap();
    assert_eq!(claimed.message, msg);
    assert!(String::from_utf8_lossy(&claimed.raw).contains("Reset link sent"));
    assert_eq!(state(&s, msg), OutboxState::Sending);
    s.mark_outbound_failed(out, "connection refused", Some(Utc::now()))
        .unwrap();
    let entry = s.outbox_entry(msg).unwrap().unwrap();
    assert_eq!(entry.state, OutboxState::Queued, "a failed try is retried");
    assert_eq!(entry.last_error.as_deref(), Some("connection refused"));
    assert!(
        s.ticket(id).unwrap().needs_reply(Utc::now()),
        "undelivered: still waiting"
    );

    s.claim_outbound(out, ClaimScope::AllQueued)
        .unwrap()
        .unwrap();
    s.mark_outbound_failed(out, "mailbox full", None).unwrap();
    assert_eq!(state(&s, msg), OutboxState::Failed);
    assert_eq!(s.undelivered_replies(id).unwrap().len(), 1);
    assert!(s.resolve_outbound(msg, true).unwrap(), "resend");
    assert_eq!(state(&s, msg), OutboxState::Queued);

    s.claim_outbound(out, ClaimScope::Ticket(id))
        .unwrap()
        .unwrap();
    s.mark_outbound_sent(out).unwrap();
    assert_eq!(state(&s, msg), OutboxState::Sent);
    assert!(!s.ticket(id).unwrap().needs_reply(Utc::now()));
    assert!(
        s.outbox_entries(false).unwrap().is_empty(),
        "sent rows are history"
    );

    let (saved_msg, saved) = queue_reply(&mut s, id, "Second reply", Utc::now());
    s.claim_outbound(saved, ClaimScope::Message(saved_msg))
        .unwrap()
        .unwrap();
    s.mark_outbound_saved(saved, "/tmp/x.eml").unwrap();
    assert_eq!(state(&s, saved_msg), OutboxState::Saved);
    assert!(s.resolve_outbound(saved_msg, false).unwrap(), "mark sent");
    assert_eq!(state(&s, saved_msg), OutboxState::Sent);
}

pub fn outbox_claims_are_exclusive_across_handles(b: &dyn Backend) {
    let mut first = b.open();
    let mut second = b.open();
    let id = open_ticket(&mut first, "a@example.com", "Login", "cannot log in");
    let (_, out) = queue_reply(&mut first, id, "Reset link sent", Utc::now());
    let a = first.claim_outbound(out, ClaimScope::AllQueued).unwrap();
    let b2 = second.claim_outbound(out, ClaimScope::AllQueued).unwrap();
    assert!(a.is_some(), "the first handle gets the reply");
    assert!(
        b2.is_none(),
        "the second never gets a reply already claimed"
    );
}

pub fn outbox_interrupted_sending_is_in_doubt(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    let (msg, out) = queue_reply(&mut s, id, "Reset link sent", Utc::now());
    s.claim_outbound(out, ClaimScope::AllQueued)
        .unwrap()
        .unwrap();
    drop(s);
    b.interrupt_sending(out);
    let mut s = b.open();
    assert!(
        s.outbound_due(ClaimScope::AllQueued).unwrap().is_empty(),
        "in doubt is never retried on its own"
    );
    assert_eq!(state(&s, msg), OutboxState::Unknown);
    assert!(
        s.ticket(id).unwrap().needs_reply(Utc::now()),
        "in doubt is not delivered"
    );
    assert!(
        s.resolve_outbound(msg, false).unwrap(),
        "the user says it went out"
    );
    assert_eq!(state(&s, msg), OutboxState::Sent);
}

pub fn undone_reply_leaves_the_thread(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    let (msg, _) = queue_reply(
        &mut s,
        id,
        "Oops, wrong ticket",
        Utc::now() + Duration::minutes(1),
    );
    assert_eq!(s.messages(id).unwrap().len(), 2);
    assert!(s.cancel_outbound(msg).unwrap());
    assert_eq!(s.messages(id).unwrap().len(), 1);
    assert!(
        s.ticket(id).unwrap().needs_reply(Utc::now()),
        "the wait is back"
    );
    let draft = s.draft(id).unwrap().unwrap();
    assert_eq!(
        draft.body, "Oops, wrong ticket",
        "the text returns as the draft"
    );
    assert!(!s.cancel_outbound(msg).unwrap(), "only once");
    let next = s
        .add_message(
            id,
            &NewMessage {
                body: "another".into(),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(
        next > msg,
        "message {msg} was undone; {next} must not reuse it"
    );
}

pub fn drafts_have_owners(b: &dyn Backend) {
    let mut a = b.open();
    let mut other = b.open();
    let id = open_ticket(&mut a, "a@example.com", "Login", "cannot log in");
    a.set_draft_holder(Some(new_holder_id()));
    other.set_draft_holder(Some(new_holder_id()));
    assert_eq!(a.save_draft(id, "Hello,").unwrap(), DraftSave::Saved);
    assert!(
        matches!(
            other.save_draft(id, "Hi").unwrap(),
            DraftSave::HeldElsewhere { .. }
        ),
        "a running console's draft is not written by another"
    );
    assert_eq!(other.draft(id).unwrap().unwrap().body, "Hello,");
    other.take_over_draft(id).unwrap();
    assert_eq!(other.save_draft(id, "Hi").unwrap(), DraftSave::Saved);
    assert!(matches!(
        a.save_draft(id, "Hello again").unwrap(),
        DraftSave::HeldElsewhere { .. }
    ));
    other.release_draft(id).unwrap();
    assert_eq!(a.save_draft(id, "Hello again").unwrap(), DraftSave::Saved);
    assert_eq!(a.drafts().unwrap().len(), 1);
    assert_eq!(a.save_draft(id, "").unwrap(), DraftSave::Saved);
    assert!(a.draft(id).unwrap().is_none(), "an empty draft is deleted");
}

/// A new-user trial: a draft kept when the console quit ("take back") was deleted,
/// silently, by `firstline reply ID --body "…"` — a reply with other words. A reply
/// takes the draft away only when it was written from it: by the console that holds
/// the draft, or with the draft's words in it.
pub fn a_reply_not_written_from_the_draft_keeps_the_draft(b: &dyn Backend) {
    let mut console = b.open();
    let mut cli = b.open();
    let id = open_ticket(
        &mut console,
        "a@example.com",
        "Payout",
        "where is my payout?",
    );
    // A console that has quit since: no process has this id (above the largest pid
    // Linux hands out), so its draft is nobody's running work.
    console.set_draft_holder(Some("4194305:1".into()));
    let words = "Hi Marco, finance confirmed the payout leaves on Wednesday.";
    assert_eq!(console.save_draft(id, words).unwrap(), DraftSave::Saved);
    let reply = |body: &str| NewMessage {
        direction: Direction::Outbound,
        author: "Agent".into(),
        body: body.into(),
        ..Default::default()
    };
    cli.add_message(id, &reply("Hi Marco, the payout was sent today."))
        .unwrap();
    assert_eq!(
        cli.draft(id).unwrap().map(|d| d.body).as_deref(),
        Some(words),
        "a reply with other words keeps the draft"
    );
    cli.add_message(id, &reply(&format!("{words}\n\nBest, Agent")))
        .unwrap();
    assert!(
        cli.draft(id).unwrap().is_none(),
        "a reply with the draft's words in it takes it away"
    );
    assert_eq!(
        console.save_draft(id, "Next words").unwrap(),
        DraftSave::Saved
    );
    console
        .add_message(
            id,
            &reply("Edited before sending, nothing like the saved words."),
        )
        .unwrap();
    assert!(
        console.draft(id).unwrap().is_none(),
        "the draft's own console sending takes it away"
    );
}

pub fn followups_open_and_complete(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    let due = Utc::now() + Duration::days(2);
    let fid = s
        .create_followup(&NewFollowup {
            ticket_id: id,
            kind: FollowupKind::Manual,
            due_at: due,
            phrase: "call back".into(),
            message_id: None,
        })
        .unwrap()
        .unwrap();
    assert!(s.open_followups_due_by(Utc::now()).unwrap().is_empty());
    let due_soon = s.open_followups_due_by(due + Duration::hours(1)).unwrap();
    assert_eq!(due_soon.len(), 1);
    assert_eq!(due_soon[0].phrase, "call back");
    let done = s.complete_followup(fid).unwrap();
    assert!(done.done_at.is_some());
    assert!(s.followups(true, Some(id)).unwrap().is_empty());
    assert_eq!(s.followups(false, Some(id)).unwrap().len(), 1);
}

pub fn canned_replies_round_trip(b: &dyn Backend) {
    let mut s = b.open();
    let item = NewCanned {
        slug: "reset-uk".into(),
        title: "Скидання пароля".into(),
        shortcut: None,
        language: Language::Uk,
        formality: Formality::Formal,
        tags: vec!["login".into()],
        keywords: vec!["пароль".into()],
        body: "Надіслали вам посилання для скидання пароля.".into(),
    };
    let id = s.canned_add(&item).unwrap();
    assert!(s.canned_slug_taken("reset-uk").unwrap());
    assert_eq!(s.canned_get(id).unwrap().title, "Скидання пароля");
    assert_eq!(s.canned_by_slug("reset-uk").unwrap().unwrap().id, id);
    let scores = s
        .canned_suggestion_scores("Не можу змінити пароль, допоможіть")
        .unwrap();
    assert!(scores.iter().any(|(c, _)| *c == id), "{scores:?}");
    s.canned_delete(id).unwrap();
    assert!(s.canned_list().unwrap().iter().all(|c| c.id != id));
    s.canned_restore(id).unwrap();
    assert!(s.canned_list().unwrap().iter().any(|c| c.id == id));
}

pub fn a_stale_write_is_refused_with_conflict(b: &dyn Backend) {
    let mut mine = b.open();
    let mut theirs = b.open();
    let id = open_ticket(&mut mine, "a@example.com", "Login", "cannot log in");
    let read = mine.ticket(id).unwrap();
    theirs
        .change_ticket(
            id,
            &TicketChange::Priority(Priority::High),
            Some(read.version),
        )
        .unwrap();
    let err = mine
        .change_ticket(
            id,
            &TicketChange::Status(Status::Solved),
            Some(read.version),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(err.is_user_error());
    let now = mine.ticket(id).unwrap();
    assert_eq!(now.priority, Priority::High, "their write stands");
    assert_eq!(now.status, Status::New, "mine changed nothing");
    assert!(now.version > read.version, "every write bumps the version");
    mine.change_ticket(id, &TicketChange::Status(Status::Solved), Some(now.version))
        .unwrap();
}

pub fn changes_by_another_handle_are_seen(b: &dyn Backend) {
    let watcher = b.open();
    let mut writer = b.open();
    let before = watcher.data_version().unwrap();
    open_ticket(&mut writer, "a@example.com", "Login", "cannot log in");
    assert_ne!(
        watcher.data_version().unwrap(),
        before,
        "another handle's commit changes the data version"
    );
    assert_eq!(watcher.count_tickets(&TicketFilter::default()).unwrap(), 1);
}

pub fn blobs_are_shared_by_every_handle(b: &dyn Backend) {
    let writer = b.open();
    let reader = b.open();
    let (Some(mine), Some(theirs)) = (
        writer.blobs(Bucket::Attachments),
        reader.blobs(Bucket::Attachments),
    ) else {
        panic!("a queue other handles can open keeps its attachments");
    };
    let sha = firstline::mail::sha256_hex(b"%PDF-1.4 invoice");
    mine.put(&sha, b"%PDF-1.4 invoice").unwrap();
    mine.put(&sha, b"written once").unwrap();
    assert_eq!(theirs.get(&sha).unwrap(), b"%PDF-1.4 invoice");
    assert_eq!(theirs.list().unwrap(), vec![sha.clone()]);
    let outbox = writer.blobs(Bucket::Outbox).unwrap();
    assert!(outbox.list().unwrap().is_empty(), "buckets are separate");
    assert!(theirs.remove(&sha).unwrap());
    assert!(mine.get(&sha).is_err());
}

/// `ticket_position` agrees with `list_tickets` for every sort, and says `None` for
/// a ticket the filter leaves out.
pub fn a_tickets_position_is_its_place_in_the_list(b: &dyn Backend) {
    let mut s = b.open();
    let ids: Vec<TicketId> = (0..5)
        .map(|i| {
            open_ticket(
                &mut s,
                &format!("p{i}@example.com"),
                &format!("P{i}"),
                "help",
            )
        })
        .collect();
    s.change_ticket(ids[1], &TicketChange::Priority(Priority::Urgent), None)
        .unwrap();
    s.change_ticket(ids[3], &TicketChange::Status(Status::Solved), None)
        .unwrap();
    for sort in [
        SortOrder::Due,
        SortOrder::Updated,
        SortOrder::Priority,
        SortOrder::Created,
    ] {
        for view in [View::All, View::NeedsReply] {
            let filter = TicketFilter {
                view: Some(view),
                sort,
                ..Default::default()
            };
            let listed: Vec<TicketId> = s
                .list_tickets(&filter)
                .unwrap()
                .iter()
                .map(|r| r.ticket.id)
                .collect();
            for id in &ids {
                assert_eq!(
                    s.ticket_position(&filter, *id).unwrap(),
                    listed.iter().position(|l| l == id),
                    "#{id} in {view:?} by {sort:?}: {listed:?}"
                );
            }
        }
    }
}

/// Handles racing for work: each runs `act` on its own thread, all released at once
/// by a barrier, so the store's own locking is what decides (no sleeps).
fn race<T: Send + 'static>(
    stores: Vec<Store>,
    act: impl Fn(&mut Store, usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let act = std::sync::Arc::new(act);
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(stores.len()));
    let threads: Vec<_> = stores
        .into_iter()
        .enumerate()
        .map(|(i, mut store)| {
            let (act, barrier) = (act.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                act(&mut store, i)
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// Couriers on several connections claim the same reply at the same moment (a
/// console and `outbox flush`, two consoles of a team): exactly one gets it.
pub fn concurrent_claims_give_a_reply_to_exactly_one_courier(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    for round in 0..5 {
        let (_, out) = queue_reply(&mut s, id, &format!("Reply {round}"), Utc::now());
        let couriers: Vec<Store> = (0..4).map(|_| b.open()).collect();
        let claims = race(couriers, move |store, _| {
            store
                .claim_outbound(out, ClaimScope::AllQueued)
                .unwrap()
                .map(|c| c.id)
        });
        let winners: Vec<i64> = claims.into_iter().flatten().collect();
        assert_eq!(winners, vec![out], "round {round}: one courier, one send");
        s.mark_outbound_sent(out).unwrap();
    }
}

/// Two people change the same ticket from the same version at the same moment:
/// one change stands, the other is refused as a conflict, never overwritten.
pub fn concurrent_edits_of_one_version_let_exactly_one_win(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    for round in 0..5 {
        let version = s.ticket(id).unwrap().version;
        let editors: Vec<Store> = (0..4).map(|_| b.open()).collect();
        let results = race(editors, move |store, i| {
            let tag = format!("r{round}-editor{i}");
            store
                .change_ticket(
                    id,
                    &TicketChange::Tags {
                        add: vec![tag.clone()],
                        remove: vec![],
                    },
                    Some(version),
                )
                .map(|_| tag)
        });
        let mut won = Vec::new();
        for result in results {
            match result {
                Ok(tag) => won.push(tag),
                Err(StoreError::Conflict { found, .. }) => assert!(found > version),
                Err(other) => panic!("round {round}: {other}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        let ticket = s.ticket(id).unwrap();
        assert_eq!(ticket.version, version + 1, "one write, one version");
        assert!(ticket.tags.contains(&won[0]));
        let round_tags = ticket
            .tags
            .iter()
            .filter(|t| t.starts_with(&format!("r{round}-")))
            .count();
        assert_eq!(
            round_tags, 1,
            "the losers changed nothing: {:?}",
            ticket.tags
        );
    }
}

/// Assignment: a ticket's assignee changes through its version like every ticket
/// change, is logged with who did it, and "mine" / "unassigned" filter the inbox,
/// its counts and a ticket's place in it.
pub fn assigns_unassigns_and_filters_by_assignee(b: &dyn Backend) {
    let mut petro = b.open();
    petro.set_actor("Petro");
    let first = open_ticket(&mut petro, "a@example.com", "Login", "cannot log in");
    let second = open_ticket(&mut petro, "b@example.com", "Refund", "money back");
    let third = open_ticket(&mut petro, "c@example.com", "Invoice", "need a copy");
    let version = petro.ticket(first).unwrap().version;
    let given = petro
        .change_ticket(
            first,
            &TicketChange::Assignee(Some(" Olena ".into())),
            Some(version),
        )
        .unwrap();
    assert_eq!(
        given.assignee.as_deref(),
        Some("Olena"),
        "the name is trimmed"
    );
    assert_eq!(
        given.version,
        version + 1,
        "an assignment bumps the version"
    );
    petro
        .change_ticket(second, &TicketChange::Assignee(Some("Petro".into())), None)
        .unwrap();

    let by = |assignee: AssigneeFilter| TicketFilter {
        assignee,
        sort: SortOrder::Created,
        ..Default::default()
    };
    let ids = |s: &Store, f: &TicketFilter| -> Vec<TicketId> {
        s.list_tickets(f)
            .unwrap()
            .iter()
            .map(|r| r.ticket.id)
            .collect()
    };
    let olenas = by(AssigneeFilter::Agent("Olena".into()));
    let nobodys = by(AssigneeFilter::Unassigned);
    assert_eq!(ids(&petro, &olenas), vec![first]);
    assert_eq!(ids(&petro, &nobodys), vec![third]);
    assert_eq!(ids(&petro, &by(AssigneeFilter::Anyone)).len(), 3);
    assert_eq!(petro.count_tickets(&olenas).unwrap(), 1);
    assert_eq!(petro.count_tickets(&nobodys).unwrap(), 1);
    assert_eq!(petro.ticket_position(&olenas, first).unwrap(), Some(0));
    assert_eq!(petro.ticket_position(&olenas, second).unwrap(), None);

    let history = petro.events(Some(first)).unwrap();
    let assigned = history
        .iter()
        .find(|e| e.kind == ASSIGNEE_EVENT)
        .expect("the assignment is in the ledger");
    assert_eq!(
        assigned.assignment_phrase().as_deref(),
        Some("assigned to Olena by Petro")
    );

    let blank = petro
        .change_ticket(first, &TicketChange::Assignee(Some("  ".into())), None)
        .unwrap_err();
    assert!(blank.is_user_error(), "{blank}");
    assert_eq!(
        petro.ticket(first).unwrap().assignee.as_deref(),
        Some("Olena")
    );

    let version = petro.ticket(first).unwrap().version;
    let back = petro
        .change_ticket(first, &TicketChange::Assignee(None), Some(version))
        .unwrap();
    assert_eq!(back.assignee, None);
    assert_eq!(ids(&petro, &nobodys), vec![third, first], "newest first");
    assert!(ids(&petro, &olenas).is_empty());
    let unassigned = petro.events(Some(first)).unwrap();
    assert_eq!(
        unassigned.last().unwrap().assignment_phrase().as_deref(),
        Some("unassigned by Petro (was Olena)")
    );
    let same = petro
        .change_ticket(first, &TicketChange::Assignee(None), None)
        .unwrap();
    assert_eq!(
        same.version, back.version,
        "unassigning nobody changes nothing"
    );
}

/// Two agents take the same ticket at the same moment from the version they both
/// read: one of them has it, the other is told it changed, never silently overruled.
pub fn concurrent_assignments_let_exactly_one_agent_take_a_ticket(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(&mut s, "a@example.com", "Login", "cannot log in");
    for round in 0..5 {
        let version = s.ticket(id).unwrap().version;
        let agents: Vec<Store> = (0..2).map(|_| b.open()).collect();
        let results = race(agents, move |store, i| {
            let name = format!("agent{i}-round{round}");
            store.set_actor(&name);
            store
                .change_ticket(
                    id,
                    &TicketChange::Assignee(Some(name.clone())),
                    Some(version),
                )
                .map(|_| name)
        });
        let mut won = Vec::new();
        for result in results {
            match result {
                Ok(name) => won.push(name),
                Err(err @ StoreError::Conflict { .. }) => {
                    assert!(err.is_user_error());
                    assert!(
                        err.to_string().contains("changed"),
                        "a clear conflict: {err}"
                    );
                }
                Err(other) => panic!("round {round}: {other}"),
            }
        }
        assert_eq!(won.len(), 1, "round {round}: {won:?}");
        let ticket = s.ticket(id).unwrap();
        assert_eq!(ticket.assignee.as_deref(), Some(won[0].as_str()));
        assert_eq!(ticket.version, version + 1, "one write, one version");
        let logged = s
            .events(Some(id))
            .unwrap()
            .into_iter()
            .filter(|e| {
                e.kind == ASSIGNEE_EVENT
                    && e.new
                        .as_deref()
                        .is_some_and(|n| n.ends_with(&format!("round{round}")))
            })
            .count();
        assert_eq!(logged, 1, "round {round}: only the winner is in the ledger");
    }
}

/// A NUL in a query (found by the fuzz test): SQLite's FTS5 read it as the end of
/// its expression and the search failed; PostgreSQL refuses NUL in any text value.
/// The mail path already drops NUL from what it stores (`model::text`).
pub fn a_nul_in_a_query_is_searched_like_a_space(b: &dyn Backend) {
    let mut s = b.open();
    let id = open_ticket(
        &mut s,
        "nul@example.com",
        "Broken upload",
        "zanzibar invoice attached",
    );
    for query in ["zanzibar\0invoice", "\"zanzibar\0\"", "zanz\0*"] {
        let hits = s
            .search(&SearchQuery::parse(query).unwrap(), 10)
            .unwrap_or_else(|e| panic!("{query:?}: {e}"));
        assert_eq!(hits.len(), 1, "{query:?}");
        assert_eq!(hits[0].summary.ticket.id, id, "{query:?}");
    }
    s.search(&SearchQuery::parse("-x\0y").unwrap(), 10)
        .unwrap_or_else(|e| panic!("-x NUL y: {e}"));
}

/// Presence (team mode): a console's row is seen through every handle, rewritten in
/// place, ignored once its heartbeat is stale, swept once a day old, and removed
/// by a clean quit.
pub fn presence_is_shared_replaced_and_goes_stale(b: &dyn Backend) {
    use firstline::store::presence::{STALE_AFTER, SWEEP_AFTER};
    let mut olena = b.open();
    let mut petro = b.open();
    let id = open_ticket(&mut olena, "p@example.com", "Refund", "where is it");
    let now = Utc::now();
    let at = |console: &str, agent: &str, activity, heartbeat| Presence {
        console: console.into(),
        agent: agent.into(),
        ticket: id,
        activity,
        heartbeat,
    };
    olena
        .announce_presence(&at("c-olena", "Olena", Activity::Viewing, now))
        .unwrap();
    olena
        .announce_presence(&at("c-olena", "Olena", Activity::Replying, now))
        .unwrap();
    // Two missed heartbeats ago is still there; four is gone.
    petro
        .announce_presence(&at(
            "c-old",
            "Ivan",
            Activity::Viewing,
            now - Duration::seconds(60),
        ))
        .unwrap();
    let fresh = petro.presence(now - STALE_AFTER).unwrap();
    assert_eq!(fresh.len(), 1, "{fresh:?}");
    assert_eq!(fresh[0].agent, "Olena");
    assert_eq!(fresh[0].activity, Activity::Replying, "rewritten in place");
    assert_eq!(fresh[0].ticket, id);
    assert_eq!(fresh[0].heartbeat.timestamp(), now.timestamp());
    // A console killed a day ago is swept by the next announcement.
    petro
        .announce_presence(&at(
            "c-dead",
            "Anna",
            Activity::Replying,
            now - SWEEP_AFTER - Duration::hours(1),
        ))
        .unwrap();
    petro
        .announce_presence(&at("c-petro", "Petro", Activity::Viewing, now))
        .unwrap();
    let all: Vec<String> = olena
        .presence(now - Duration::days(30))
        .unwrap()
        .into_iter()
        .map(|p| p.console)
        .collect();
    assert_eq!(all, vec!["c-old", "c-olena", "c-petro"], "c-dead was swept");
    olena.withdraw_presence("c-olena").unwrap();
    let left: Vec<String> = petro
        .presence(now - STALE_AFTER)
        .unwrap()
        .into_iter()
        .map(|p| p.agent)
        .collect();
    assert_eq!(left, vec!["Petro"], "a clean quit removes its own row only");
}
