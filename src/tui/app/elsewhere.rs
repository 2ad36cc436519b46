//! Changes made elsewhere: another console on the same queue, an import in another
//! shell, this process's own courier. SQLite's `data_version` moves whenever another
//! connection commits, so every half second the runner is asked that one cheap
//! pragma (`Command::Look`, on a connection of its own) and, when it moved, the
//! console reloads through its ordinary path (list, open ticket, counts on the worker).
//! The same answer settles replies on the undo stack against their outbox row, so
//! "u to undo" is never left on screen for a reply another process already delivered.

use super::*;
use crate::model::MessageId;
use crate::store::OutboxState;

/// How often the console asks whether the queue changed elsewhere: well inside the
/// two seconds a change may take to show, and one pragma each time.
pub(super) const CHANGE_CHECK_EVERY: Duration = Duration::from_millis(500);

impl App {
    /// Asks the runner, every [`CHANGE_CHECK_EVERY`], whether another connection
    /// committed since the last look; one look at a time, so a slow store does not
    /// pile them up. The answer ([`App::looked`]) reloads when something changed.
    pub(super) fn notice_changes_elsewhere(&mut self, now: Instant) -> Result<(), ConsoleError> {
        if now.duration_since(self.last_change_check) < CHANGE_CHECK_EVERY || self.looks_out > 0 {
            return Ok(());
        }
        self.last_change_check = now;
        self.look(false)
    }

    /// Asks where the queue and the replies on the undo stack stand; after a
    /// courier report the outbox is read even if nothing else changed.
    pub(super) fn look(&mut self, after_delivery: bool) -> Result<(), ConsoleError> {
        let replies = self
            .undo
            .iter()
            .filter_map(|e| match e {
                UndoEntry::Reply { message, .. } => Some(*message),
                _ => None,
            })
            .collect();
        self.looks_out += 1;
        // Not the user's work: no "…" line waits for it (see `expire_message`).
        self.run_unseen(crate::tui::runner::Command::Look {
            replies,
            after_delivery,
            deliveries: self.deliveries,
        })
    }

    /// A courier report came: the replies it settled leave the undo stack without a
    /// second sentence (the report says what happened), and the screen reloads.
    pub fn delivery_reported(&mut self) -> Result<(), ConsoleError> {
        self.deliveries += 1;
        self.look(true)?;
        self.reload()
    }

    /// This console's courier delivered replies on `tickets`: those leaving Needs
    /// reply for it are the console's own doing, never "changed elsewhere".
    pub fn delivered_from_here(&mut self, tickets: &[TicketId]) {
        self.own_departures.extend(tickets.iter().copied());
    }

    /// Takes a look's answer: settles the replies and reloads if the queue changed.
    pub(super) fn looked(
        &mut self,
        after_delivery: bool,
        deliveries: u64,
        result: Result<crate::tui::runner::Looked, crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        self.looks_out = self.looks_out.saturating_sub(1);
        let looked = match result {
            Ok(looked) => looked,
            Err(e) if self.drafts_kept => {
                self.error(format!(
                    "the queue does not answer; your draft is kept on this machine until it does · {e}"
                ));
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        // A courier report since the ask already said what became of them.
        let announce = !after_delivery && deliveries == self.deliveries;
        self.settle_replies(&looked.replies, announce);
        if !looked.restored.is_empty() {
            self.drafts_kept = false;
            let ids: Vec<String> = looked.restored.iter().map(|id| format!("#{id}")).collect();
            self.info(format!(
                "the queue answers again: the draft of {} typed while it was away is saved to it",
                ids.join(", ")
            ));
        }
        if looked.changed {
            self.reload()?;
        }
        Ok(())
    }

    /// Replies on the undo stack whose outbox row left the queue (delivered by any
    /// process's courier, or taken back elsewhere) can no longer be undone: they
    /// leave the stack and, if `announce`, the status bar says what happened to them.
    pub(crate) fn settle_replies(
        &mut self,
        states: &[(MessageId, Option<OutboxState>)],
        announce: bool,
    ) {
        let mut settled = Vec::new();
        for entry in &self.undo {
            if let UndoEntry::Reply { message, to, .. } = entry {
                let Some((_, state)) = states.iter().find(|(m, _)| m == message) else {
                    continue;
                };
                // "sending" is not an outcome: another process is handing the reply
                // over right now. Settling it here would drop it before its commit,
                // and the console would never say whether it was delivered.
                if !matches!(state, Some(OutboxState::Queued | OutboxState::Sending)) {
                    settled.push((*message, to.clone(), *state));
                }
            }
        }
        if settled.is_empty() {
            return;
        }
        let question_answered = self.quit_question_settled(&settled);
        // Each stays on the stack as what became of it, so `u` right after says
        // that instead of taking back an older change.
        for entry in &mut self.undo {
            let UndoEntry::Reply { message, .. } = entry else {
                continue;
            };
            if let Some((_, to, state)) = settled.iter().find(|(m, ..)| m == message) {
                let what = became_of(to, *state, "already ");
                *entry = UndoEntry::Settled { what };
            }
        }
        if question_answered {
            return;
        }
        let Some((_, to, state)) = settled.last().filter(|_| announce) else {
            return;
        };
        let to = crate::display::sanitize_line(to);
        match state {
            Some(OutboxState::Sent) => self.info(format!("reply to {to} delivered")),
            Some(OutboxState::Failed | OutboxState::Unknown) => self.error(format!(
                "reply to {to} needs a look: firstline outbox lists it"
            )),
            Some(OutboxState::Saved) => self.info(format!(
                "reply to {to} saved as .eml, not sent: no mail transport is set"
            )),
            Some(OutboxState::Queued | OutboxState::Sending) => {}
            None => self.info(format!("reply to {to} was taken back elsewhere")),
        }
    }

    /// The quit question asks about replies still waiting; one that left the outbox
    /// while it was open (the courier delivered it, another process took it back) is
    /// no longer the user's to decide. With none left the console quits, as asked, and
    /// says on the shell what became of them — never "1 reply is still waiting" over a
    /// delivered one, and never the question's own key landing on the list (a trial
    /// typed `t` as the question closed and opened Tags on another ticket). Whether it
    /// closed.
    fn quit_question_settled(
        &mut self,
        settled: &[(MessageId, String, Option<OutboxState>)],
    ) -> bool {
        if !matches!(
            self.popup,
            Some(Popup::Confirm {
                kind: ConfirmKind::QuitWithQueued(_)
            })
        ) {
            return false;
        }
        self.quit_replies
            .retain(|m| !settled.iter().any(|(s, ..)| s == m));
        if !self.quit_replies.is_empty() {
            self.popup = Some(Popup::Confirm {
                kind: ConfirmKind::QuitWithQueued(self.quit_replies.len()),
            });
            return false;
        }
        // The user asked to quit; the question was only about these replies. It quits
        // now (a key typed for the question must not land on the list), and the shell
        // is told what became of them.
        self.popup = None;
        let what: Vec<String> = settled
            .iter()
            .map(|(_, to, state)| became_of(to, *state, ""))
            .collect();
        self.farewell.push(format!(
            "firstline: {} while the quit question was open; nothing was waiting any more",
            what.join("; ")
        ));
        self.should_quit = true;
        true
    }

    /// The newest message on the open ticket, remembered when the composer opens so
    /// sending can tell whether a reply or note was added meanwhile.
    pub(super) fn newest_message_on_screen(&self) -> Option<MessageId> {
        let open = self.open.as_ref()?;
        open.detail.messages.iter().map(|m| m.id).max()
    }
}

/// What became of the reply to `to` that left the outbox in `state`, for the undo
/// stack ("the reply to Ann was already delivered", `already` = "already ") and the
/// quit question's farewell (`already` = ""): one wording for both.
fn became_of(to: &str, state: Option<OutboxState>, already: &str) -> String {
    let to = crate::display::sanitize_line(to);
    match state {
        Some(OutboxState::Sent) => format!("the reply to {to} was {already}delivered"),
        Some(OutboxState::Saved) => format!("the reply to {to} was {already}saved as .eml"),
        None => format!("the reply to {to} was {already}taken back elsewhere"),
        _ => format!("the reply to {to} {already}left the outbox (firstline outbox lists it)"),
    }
}
