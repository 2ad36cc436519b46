//! Follow-ups in the console: the promise the open ticket waits on, a ready "still
//! working on it" reply when it comes due, the reminder to tell a customer who
//! heard "it is delayed" that their ticket is solved, and follow-ups set by hand.
//! What is due and what settles a follow-up is decided in `sla::promises`, the same
//! rules `firstline followups` and `check` use; this file only wires them to keys.

use super::*;
use crate::sla::promises;
use crate::store::{Followup, FollowupKind, NewFollowup};
use crate::tui::runner::{Command, Prefill, PrefillFacts};
use std::time::Instant;

impl App {
    /// The moment a snooze or follow-up prompt's words name, for the line under
    /// the prompt before Enter ("until Tue 8 Dec 09:00"): read by the same parser
    /// Enter uses. After midnight "tomorrow" is the day after the new calendar
    /// date, which a tired user at 00:30 may not mean, so then the line also says
    /// what today is. `None` for other prompts and words that name no time yet.
    pub fn prompt_preview(&self, kind: PromptKind, input: &str) -> Option<String> {
        let now = self.now();
        let sla = &self.config.sla;
        let (word, at) = match kind {
            PromptKind::Snooze => ("until", crate::sla::parse_snooze(input, now, sla)?),
            PromptKind::Followup => ("due", split_due_and_note(input, now, sla)?.0),
            _ => return None,
        };
        let tz = crate::sla::timezone(sla);
        let local_now = now.with_timezone(&tz);
        let local_at = at.with_timezone(&tz);
        let mut line = format!("{word} {}", local_at.format("%a %-d %b %H:%M"));
        let small_hours = chrono::Timelike::hour(&local_now) < 5;
        if small_hours && local_at.date_naive() == local_now.date_naive().succ_opt()? {
            line.push_str(&format!(
                " · it is past midnight: today is {}",
                local_now.format("%a %-d %b")
            ));
        }
        Some(line)
    }

    /// Asks the runner for the open ticket's follow-up again (a count on the worker
    /// may have just recorded one for a reply sent from here).
    pub(super) fn refresh_open_followup(&mut self) -> Result<(), ConsoleError> {
        let Some(id) = self.open.as_ref().map(|o| o.detail.ticket.id) else {
            return Ok(());
        };
        self.run_unseen(Command::OpenFollowup(id))
    }

    /// Takes the open ticket's follow-up, if that ticket is still on screen. A
    /// ticket gone meanwhile (merged, deleted) is no error here: the reload that
    /// follows says what became of it.
    pub(super) fn open_followup_read(
        &mut self,
        ticket: TicketId,
        result: Result<Option<Followup>, crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        let followup = match result {
            Err(crate::store::StoreError::NotFound { .. }) => return Ok(()),
            other => other?,
        };
        if let Some(open) = self.open.as_mut().filter(|o| o.detail.ticket.id == ticket) {
            open.followup = followup;
        }
        Ok(())
    }

    /// Opens the reply composer on the open ticket prefilled with a "still working
    /// on it" reply in the customer's language and register, for the customer
    /// promise the ticket waits on. Sending it settles that promise by the usual
    /// rule (a later reply went out); nothing else is marked. A follow-up set by hand
    /// promised the customer nothing, so it gets no such reply. The promise and the
    /// greeting are read on the runner; keys typed meanwhile wait for the composer.
    pub fn still_working_reply(&mut self) -> Result<(), ConsoleError> {
        let Some(id) = self.open.as_ref().map(|o| o.detail.ticket.id) else {
            self.error("no ticket selected");
            return Ok(());
        };
        self.ask_prefill(id, Prefill::StillWorking)
    }

    /// Asks the runner for what a reply the console writes itself needs; every
    /// key waits for its answer (see `update::waits_for_the_load`), so what the
    /// user types next lands in the composer after the prefilled words, as it would
    /// had the composer opened at once.
    fn ask_prefill(&mut self, ticket: TicketId, kind: Prefill) -> Result<(), ConsoleError> {
        self.awaited += 1;
        self.pending_info(format!("writing the reply on #{ticket}…"));
        self.run(Command::Prefill { ticket, kind })
    }

    /// Takes what a prefilled reply needs and opens the composer with it, if the
    /// ticket is still the one on screen.
    pub(super) fn prefill_read(
        &mut self,
        ticket: TicketId,
        kind: Prefill,
        result: Result<PrefillFacts, crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        self.awaited = self.awaited.saturating_sub(1);
        let facts = result?;
        self.canned_items = Some(facts.canned.clone());
        let Some(open) = self.open.as_ref().filter(|o| o.detail.ticket.id == ticket) else {
            self.info(format!(
                "#{ticket} is no longer on screen; no reply was started"
            ));
            return Ok(());
        };
        let c = open.detail.customer.clone();
        let greeting =
            crate::canned::greeting_line(&facts.canned, &c, &self.config.agent, self.now());
        match kind {
            Prefill::Solved => {
                let text = promises::solved_notice_reply(&greeting, c.language, c.formality);
                if self.prefill_reply(&text)? {
                    self.info(format!("tell #{ticket} it is solved · edit, Ctrl-S sends"));
                }
            }
            Prefill::StillWorking => {
                self.still_working_read(ticket, facts.promise, &greeting, &c)?
            }
        }
        Ok(())
    }

    /// The "still working on it" reply once its promise is read: none promised
    /// (or only the user's own follow-up) is said instead.
    fn still_working_read(
        &mut self,
        ticket: TicketId,
        promise: Option<Followup>,
        greeting: &str,
        c: &crate::model::Customer,
    ) -> Result<(), ConsoleError> {
        let own = self.open.as_ref().and_then(|o| o.followup.clone());
        if let (None, Some(own)) = (&promise, own) {
            let done = self
                .keymap
                .key_for(
                    crate::tui::keymap::Context::Conversation,
                    &crate::tui::action::Action::FollowupDone,
                )
                .map(|k| format!("; {k} marks it done"))
                .unwrap_or_default();
            self.info(format!(
                "“{}” on #{} is your own follow-up, not a promise to the customer{done}",
                crate::display::sanitize_line(&own.phrase),
                own.ticket_id
            ));
            return Ok(());
        }
        let Some(followup) = promise else {
            let hint = self
                .keymap
                .key_for(
                    crate::tui::keymap::Context::Conversation,
                    &crate::tui::action::Action::AddFollowup,
                )
                .map(|k| format!("; {k} sets one"))
                .unwrap_or_default();
            self.info(format!("#{ticket} has no open follow-up{hint}"));
            return Ok(());
        };
        let text = promises::still_working_reply(greeting, c.language, c.formality);
        if self.prefill_reply(&text)? {
            self.info(format!(
                "still-working reply for “{}” ({}) · edit, Ctrl-S sends",
                crate::display::sanitize_line(&followup.phrase),
                crate::sla::due_text(followup.due_at, self.now())
            ));
        }
        Ok(())
    }

    /// After solving `ids`: if a customer among them last heard "still working on
    /// it", asks (without holding anything up) whether to tell them it is solved.
    pub(super) fn offer_solved_notice(&mut self, owed: &[TicketId]) {
        let Some(first) = owed.first() else {
            return;
        };
        // The answer came while the user types in another popup: never replace it.
        if self.popup.is_some() {
            self.info(format!(
                "#{first} solved; its customer last heard \"still working on it\" — tell them it is solved"
            ));
            return;
        }
        self.popup = Some(Popup::Confirm {
            kind: ConfirmKind::TellSolved(*first),
        });
        if owed.len() > 1 {
            self.info(format!(
                "{} solved tickets owe the customer a word; `firstline followups` lists them",
                owed.len()
            ));
        }
    }

    /// Opens the reply composer on ticket `id` with a ready "it is solved" reply:
    /// the ticket is loaded and the greeting read on the runner, keys typed
    /// meanwhile wait for the composer.
    pub fn tell_solved(&mut self, id: TicketId) -> Result<(), ConsoleError> {
        self.show(id, false)?;
        self.ask_prefill(id, Prefill::Solved)
    }

    /// Opens the reply composer with `text` when it is empty; a draft already
    /// there is kept and the user told. Returns whether the text went in.
    fn prefill_reply(&mut self, text: &str) -> Result<bool, ConsoleError> {
        self.compose(ComposeMode::Reply)?;
        if self.composer.mode != ComposeMode::Reply {
            return Ok(false);
        }
        if !self.composer.is_empty() {
            let discard = self.discard_key();
            self.error(format!(
                "a reply draft is already open: send it (Ctrl-S) or discard it ({discard}, u brings it back)"
            ));
            return Ok(false);
        }
        self.composer.set_text(text);
        self.composer.canned_text = None;
        self.composer.canned_id = None;
        self.composer.dirty_since = Some(Instant::now());
        self.recheck_tone();
        Ok(true)
    }

    /// Adds a follow-up by hand to the open ticket: a time as for snooze, then an
    /// optional note (`3h call back`, `fri 10:00 check the refund`). An unreadable
    /// time keeps the prompt open.
    pub fn add_followup(&mut self, text: &str) -> Result<bool, ConsoleError> {
        let Some(id) = self.open.as_ref().map(|o| o.detail.ticket.id) else {
            self.error("no ticket selected");
            return Ok(true);
        };
        let Some((due, note)) = split_due_and_note(text, self.now(), &self.config.sla) else {
            self.error(format!(
                "cannot read '{}' as a time; try 3h, tomorrow 10:00, fri, 2026-12-01",
                crate::display::sanitize_line(text)
            ));
            return Ok(false);
        };
        let tz = crate::sla::timezone(&self.config.sla);
        let said = format!(
            "#{id} follow-up {}",
            due.with_timezone(&tz).format("%a %d %b %H:%M")
        );
        self.run(crate::tui::runner::Command::Followup {
            ticket: id,
            add: Some(NewFollowup {
                ticket_id: id,
                kind: FollowupKind::Manual,
                due_at: due,
                phrase: note,
                message_id: None,
            }),
            done: None,
            said: said.clone(),
        })?;
        self.pending_info(format!("{said}…"));
        Ok(true)
    }

    /// Marks the open ticket's pending follow-up done (the customer was updated
    /// some other way, or it no longer applies).
    pub fn followup_done(&mut self) -> Result<(), ConsoleError> {
        let Some(open) = &self.open else {
            self.error("no ticket selected");
            return Ok(());
        };
        let Some(followup) = open.followup.clone() else {
            self.info(format!("#{} has no open follow-up", open.detail.ticket.id));
            return Ok(());
        };
        let said = format!(
            "follow-up “{}” on #{} done",
            crate::display::sanitize_line(&followup.phrase),
            followup.ticket_id
        );
        self.pending_info(format!("{said}…"));
        self.run(crate::tui::runner::Command::Followup {
            ticket: followup.ticket_id,
            add: None,
            done: Some(followup.id),
            said,
        })
    }

    /// Takes the answer to a follow-up added or marked done: the ticket shows its
    /// new follow-up if it is still on screen, the counts and list follow, and the
    /// status line drops its "…" (or says why it failed).
    pub(super) fn followup_written(
        &mut self,
        ticket: TicketId,
        said: String,
        result: Result<Box<crate::tui::runner::LoadedTicket>, crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        let loaded = result?;
        if let Some(open) = self.open.as_mut().filter(|o| o.detail.ticket.id == ticket) {
            open.followup = loaded.followup;
        }
        self.info(said);
        self.reload()
    }
}

/// Splits `3h call back` into the time (read as snooze reads it, the longest
/// leading run of words that is a time) and the note after it.
pub fn split_due_and_note(
    text: &str,
    now: DateTime<Utc>,
    config: &crate::config::SlaConfig,
) -> Option<(DateTime<Utc>, String)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    (1..=words.len()).rev().find_map(|n| {
        crate::sla::parse_snooze(&words[..n].join(" "), now, config)
            .map(|due| (due, words[n..].join(" ")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority};
    use crate::tui::action::Action;
    use crate::tui::inline::Console;
    use crate::tui::update::apply_action;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    /// A console on an in-memory queue with one ticket: the customer wrote, and
    /// when `promise` is given we answered with it an hour ago.
    fn console(promise: Option<&str>) -> (Console, TicketId) {
        let mut store = Store::open_in_memory().unwrap();
        let id = store
            .create_ticket(&NewTicket {
                subject: "Export is empty".into(),
                customer: NewCustomer {
                    name: "Ivan Petrenko".into(),
                    email: Some("ivan@example.com".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::Open,
                tags: Vec::new(),
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Ivan Petrenko".into(),
                    body: "The CSV export downloads an empty file.".into(),
                    sent_at: Some(now() - chrono::Duration::hours(3)),
                    ..Default::default()
                },
            })
            .unwrap();
        if let Some(body) = promise {
            store
                .add_message(
                    id,
                    &NewMessage {
                        direction: Direction::Outbound,
                        author: "Agent".into(),
                        body: body.into(),
                        sent_at: Some(now() - chrono::Duration::hours(1)),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        // A named agent with an address: the first send without either asks instead.
        let mut config = Config::default();
        config.agent.name = "Olena Test".into();
        config.agent.email = "olena@shop.example".into();
        let mut app = Console::new(store, config).unwrap();
        app.clock = Some(now());
        app.set_view(crate::store::View::All).unwrap();
        app.show(id, false).unwrap();
        app.settle();
        (app, id)
    }

    #[test]
    fn still_working_action_prefills_the_reply_for_a_late_promise() {
        let (mut app, id) = console(Some("We will fix it within 30 minutes."));
        assert_eq!(app.counts.followups_due, 1);
        assert_eq!(app.counts.followups_overdue, 1);
        assert!(app.counts.followup_tickets.contains_key(&id));
        assert_eq!(apply_action(&mut app, Action::StillWorkingReply), None);
        app.settle();
        assert_eq!(app.focus, Focus::Composer);
        assert_eq!(
            app.composer.text(),
            promises::still_working_reply(
                "Hi Ivan,",
                crate::model::Language::Other,
                crate::model::Formality::Unknown,
            )
        );
    }

    #[test]
    fn still_working_action_without_a_followup_only_says_so() {
        let (mut app, id) = console(None);
        apply_action(&mut app, Action::StillWorkingReply);
        app.settle();
        assert!(app.composer.is_empty());
        assert_ne!(app.focus, Focus::Composer);
        let message = app.message.clone().unwrap();
        assert_eq!(
            message.text,
            format!("#{id} has no open follow-up; f sets one")
        );
    }

    #[test]
    fn followup_done_action_completes_the_pending_followup() {
        let (mut app, id) = console(Some("I will check it by 11:00 and write back."));
        assert!(app.open.as_ref().unwrap().followup.is_some());
        apply_action(&mut app, Action::FollowupDone);
        app.settle();
        assert!(app.open.as_ref().unwrap().followup.is_none());
        assert!(app.store.followups(true, Some(id)).unwrap().is_empty());
        assert_eq!(app.counts.followups_due, 0);
    }

    /// Issue #15 item 5: `W` on a hand-set to-do drafts no "taking longer than I
    /// promised" reply (the customer was promised nothing), and a reply sent
    /// afterwards leaves the to-do open.
    #[test]
    fn issue_15_item_5_w_is_offered_only_for_customer_promises() {
        let (mut app, id) = console(None);
        assert!(app.add_followup("1m call the bank").unwrap());
        app.settle();
        let own = app.open.as_ref().unwrap().followup.clone().unwrap();
        assert_eq!(own.kind, FollowupKind::Manual);
        apply_action(&mut app, Action::StillWorkingReply);
        app.settle();
        assert!(app.composer.is_empty(), "{}", app.composer.text());
        assert_ne!(app.focus, Focus::Composer);
        let message = app.message.clone().unwrap().text;
        assert!(message.contains("your own follow-up"), "{message}");
        app.store
            .add_message(
                id,
                &NewMessage {
                    direction: Direction::Outbound,
                    author: "Agent".into(),
                    body: "Thanks, we are looking into it.".into(),
                    sent_at: Some(now()),
                    ..Default::default()
                },
            )
            .unwrap();
        app.show(id, false).unwrap();
        app.settle();
        assert_eq!(
            app.open.as_ref().unwrap().followup.as_ref().map(|f| f.id),
            Some(own.id),
            "a reply does not end a hand-set follow-up"
        );
    }

    /// Issue #15 item 4: a reply sent from the console has its promise recorded by
    /// the time the send returns (the console did before too, through its recount's
    /// scan; it now makes the same call `firstline reply` makes). Pins the console
    /// side of "one code path for every way a reply is sent".
    #[test]
    fn issue_15_item_4_console_send_records_the_promise_at_once() {
        let (mut app, id) = console(None);
        app.compose(ComposeMode::Reply).unwrap();
        app.composer
            .set_text("Thanks, Ivan. I'll get back to you tomorrow by noon.");
        app.send(true).unwrap();
        app.settle();
        let open = app.store.followups(true, Some(id)).unwrap();
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0].kind, FollowupKind::Promise);
        assert_eq!(open[0].phrase, "tomorrow by noon");
    }

    #[test]
    fn add_followup_action_asks_for_the_time() {
        let (mut app, _) = console(None);
        apply_action(&mut app, Action::AddFollowup);
        app.settle();
        assert!(matches!(
            app.popup,
            Some(Popup::Prompt {
                kind: PromptKind::Followup,
                ..
            })
        ));
    }

    #[test]
    fn manual_followup_reads_the_longest_time_and_keeps_the_rest_as_note() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap();
        let config = crate::config::SlaConfig::default();
        let (due, note) = split_due_and_note("3h call back about the refund", now, &config)
            .expect("3h is a time");
        assert_eq!(due, now + chrono::Duration::hours(3));
        assert_eq!(note, "call back about the refund");
        assert!(split_due_and_note("call back", now, &config).is_none());
        assert!(split_due_and_note("", now, &config).is_none());
    }
}
