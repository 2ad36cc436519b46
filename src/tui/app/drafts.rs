//! Who writes the reply draft. Two consoles on one queue share one draft per ticket;
//! the store names the console writing it (see `store::drafts`). This console writes
//! a draft only while it holds it: the first keystroke (or `r` on a saved draft)
//! claims it, leaving the ticket lets it go. A draft another running console holds is
//! shown here as "being edited in another console" and follows that console's
//! saves; `r` or a send asks to take it over. Words typed here are never replaced:
//! text not saved because another console took the draft stays in this composer
//! until the user takes it back or discards it.

use super::*;
use crate::model::{Direction, Draft};
use crate::store::DraftSave;

pub(crate) use crate::tui::runner::held_by_other;

impl App {
    /// Writes the reply draft to the store if it changed. Notes stay in memory. A
    /// write another console's hold refuses keeps the words here, unsaved, and says so.
    pub fn flush_draft(&mut self) -> Result<(), ConsoleError> {
        if self.composer.dirty_since.is_none() {
            return Ok(());
        }
        if let (Some(id), ComposeMode::Reply) = (self.composer.ticket, self.composer.mode) {
            // Asked of the runner, after the commands before it; until it answers the
            // words count as this console's, so no reload replaces them with an older
            // stored copy (see `follow_stored_draft`).
            self.composer.dirty_since = None;
            self.composer.saved_here = true;
            self.draft_saves += 1;
            return self.run(crate::tui::runner::Command::SaveDraft {
                ticket: id,
                body: self.composer.text(),
            });
        }
        self.composer.dirty_since = None;
        Ok(())
    }

    /// Takes the answer to a draft write.
    pub(super) fn draft_saved(
        &mut self,
        ticket: TicketId,
        body: String,
        result: Result<DraftSave, crate::store::StoreError>,
        kept: Option<Result<std::path::PathBuf, String>>,
    ) -> Result<(), ConsoleError> {
        self.draft_saves = self.draft_saves.saturating_sub(1);
        let here = self.composer.ticket == Some(ticket) && self.composer.mode == ComposeMode::Reply;
        match result {
            Ok(DraftSave::Saved) => {
                if here {
                    self.composer.held_elsewhere = false;
                }
            }
            Ok(DraftSave::HeldElsewhere { owner }) => {
                if here {
                    self.team.draft_owner = Some(owner);
                    self.composer.saved_here = false;
                    self.composer.held_elsewhere = true;
                    // Not in the store: the words stay unsaved here.
                    self.composer.dirty_since.get_or_insert_with(Instant::now);
                    if matches!(self.focus, Focus::Composer | Focus::Tone) && self.popup.is_none() {
                        self.popup = Some(Popup::Confirm {
                            kind: ConfirmKind::TakeOverDraft,
                        });
                        // The user was typing: a "y" in their words must not answer.
                        self.typing_guard = Some(super::TypingGuard::DraftTakenElsewhere);
                    }
                    let key = self.reply_key();
                    self.error(format!(
                        "not saved: this draft is being edited in {}; your words stay here · {key} takes it over",
                        self.draft_holder()
                    ));
                } else {
                    // Left behind with the ticket: kept for it (quitting asks first).
                    self.notes
                        .entry(ticket)
                        .or_insert((ComposeMode::Reply, body));
                    self.error(format!(
                        "#{ticket}: the draft was not saved, another console is editing it"
                    ));
                }
            }
            Err(e) => match kept {
                // Safe on this machine; the runner writes them back once the queue
                // answers, so nothing is retried from here.
                Some(Ok(path)) => {
                    self.drafts_kept = true;
                    self.error(format!(
                        "draft of #{ticket} kept on this machine ({}) until the queue answers · {e}",
                        path.display()
                    ));
                }
                Some(Err(why)) => {
                    if here {
                        self.composer.dirty_since.get_or_insert_with(Instant::now);
                    }
                    self.error(format!(
                        "{e} · the draft of #{ticket} is only on screen: {why}"
                    ));
                }
                None if matches!(e, crate::store::StoreError::NotFound { .. }) => {
                    // Merged or deleted in another console while being written on: no
                    // retry can save it.
                    self.ticket_went_away(ticket, &body);
                }
                None => {
                    if here {
                        // Tried again at the next pause.
                        self.composer.dirty_since.get_or_insert_with(Instant::now);
                    }
                    self.store_error(e.into());
                }
            },
        }
        Ok(())
    }

    /// Words typed here that the store does not have because another console holds
    /// the draft: quitting must not drop them.
    pub fn unsaved_held_words(&self) -> bool {
        let here = self.composer.held_elsewhere
            && self.composer.dirty_since.is_some()
            && !self.composer.is_empty();
        here || self
            .notes
            .values()
            .any(|(mode, text)| *mode == ComposeMode::Reply && !text.trim().is_empty())
    }

    /// Makes this console the draft's writer for the first keystroke or `r` on a
    /// saved draft. `false` when another console holds it (the question is asked).
    pub(super) fn claim_draft(&mut self) -> Result<bool, ConsoleError> {
        if self.composer.mode != ComposeMode::Reply || self.composer.saved_here {
            return Ok(true);
        }
        if self.composer.held_elsewhere {
            self.popup = Some(Popup::Confirm {
                kind: ConfirmKind::TakeOverDraft,
            });
            return Ok(false);
        }
        if self.composer.is_empty() && self.composer.dirty_since.is_none() {
            return Ok(true);
        }
        self.composer.dirty_since.get_or_insert_with(Instant::now);
        self.flush_draft()?;
        if self.composer.held_elsewhere {
            self.popup = Some(Popup::Confirm {
                kind: ConfirmKind::TakeOverDraft,
            });
            return Ok(false);
        }
        Ok(true)
    }

    /// The answer "take it over" to [`ConfirmKind::TakeOverDraft`]: this console
    /// holds the draft from now on (the other one stops saving it) and the keyboard
    /// goes into it. Words typed here and never saved are written over the stored
    /// text, since the user chose this console's copy.
    pub fn take_over_draft(&mut self) -> Result<(), ConsoleError> {
        let Some(id) = self.composer.ticket else {
            return Ok(());
        };
        self.pending_info("taking the draft over…");
        self.run(crate::tui::runner::Command::TakeOverDraft(id))?;
        if self.composer.dirty_since.is_some() {
            // Saved right after the take-over (the runner keeps the order).
            self.composer.held_elsewhere = false;
            self.flush_draft()?;
        }
        Ok(())
    }

    /// Takes the answer to a take-over: the keyboard goes into the draft, with the
    /// stored text unless words typed here are on their way to the store.
    pub(super) fn draft_taken_over(
        &mut self,
        ticket: TicketId,
        result: Result<String, crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        let stored = result?;
        self.team.kept_words = None;
        if self.composer.ticket != Some(ticket) || self.composer.mode != ComposeMode::Reply {
            self.info(format!("the draft of #{ticket} is written here now"));
            return Ok(());
        }
        self.composer.held_elsewhere = false;
        if self.composer.dirty_since.is_none() && self.draft_saves == 0 {
            // The other console may have typed since this one last looked.
            if stored != self.composer.text() {
                self.composer.set_text(&stored);
            }
            self.composer.saved_here = !stored.trim().is_empty();
        }
        self.compose(ComposeMode::Reply)?;
        self.info(
            "draft taken over: it is written here now, and the other console stops saving it",
        );
        Ok(())
    }

    /// Lets go of the draft this console holds (leaving its ticket, quitting): it
    /// stays saved, and another console may continue it without asking.
    pub(super) fn release_draft(&mut self) -> Result<(), ConsoleError> {
        if let (Some(id), true) = (self.composer.ticket, self.composer.saved_here) {
            self.composer.saved_here = false;
            self.run(crate::tui::runner::Command::ReleaseDraft(id))?;
        }
        Ok(())
    }

    /// Saves what is being written and lets go of the draft, for the end of a session.
    pub fn leave_console(&mut self) -> Result<(), ConsoleError> {
        self.flush_draft()?;
        self.release_draft()
    }

    /// The reply draft of the ticket on screen after the store changed (here or
    /// elsewhere): a draft another console holds is followed read-only (the keyboard
    /// leaves it); a draft nobody holds that this console only loaded follows the
    /// store; words this console typed are never replaced, and if their stored copy
    /// went missing (a reply recorded elsewhere cleared it) they are saved again.
    pub(super) fn follow_stored_draft(&mut self, stored: Option<&Draft>) {
        if self.composer.mode != ComposeMode::Reply {
            return;
        }
        let held = held_by_other(stored, self.holder.as_deref());
        let body = stored.map_or("", |d| d.body.as_str());
        // A save still on its way counts as typing: the stored copy is older.
        let typing = self.composer.dirty_since.is_some() || self.draft_saves > 0;
        if held {
            let was_held = self.composer.held_elsewhere;
            // Written here until now: the other console took it over.
            let taken_from_here = self.composer.saved_here;
            self.composer.held_elsewhere = true;
            self.composer.saved_here = false;
            self.team.draft_owner = stored.and_then(|d| d.owner.clone());
            if typing {
                return;
            }
            if taken_from_here && !self.composer.is_empty() {
                self.team.kept_words = self.composer.ticket;
            }
            if self.team.kept_words.is_some() && self.team.kept_words == self.composer.ticket {
                // The words written here stay on screen, never replaced by the other
                // console's as they type on (they were saved before the take-over,
                // so nothing is lost either way); taking the draft back shows the
                // draft as it stands then.
                if !taken_from_here {
                    return;
                }
                let key = self.reply_key();
                if matches!(self.focus, Focus::Composer | Focus::Tone) {
                    self.focus = Focus::Conversation;
                    self.typing_guard = Some(super::TypingGuard::DraftTakenElsewhere);
                }
                self.error(format!(
                    "the draft moved to {}: your words stay here · Esc, then {key} takes it back",
                    self.draft_holder()
                ));
                return;
            }
            if body.trim() != self.composer.text().trim() {
                self.composer.set_text(body);
            }
            if !was_held && matches!(self.focus, Focus::Composer | Focus::Tone) {
                self.focus = Focus::Conversation;
                self.typing_guard = Some(super::TypingGuard::DraftTakenElsewhere);
                let key = self.reply_key();
                self.info(format!(
                    "this draft is now being edited in {} · Esc, then {key} takes it over",
                    self.draft_holder()
                ));
            }
            return;
        }
        self.team.draft_owner = None;
        self.team.kept_words = None;
        self.composer.held_elsewhere = false;
        if typing {
            return;
        }
        if !self.composer.saved_here {
            // The store keeps no whitespace-only draft; that is no change.
            if body.trim() != self.composer.text().trim() {
                self.composer.set_text(body);
            }
        } else if !self.composer.is_empty() && body.trim() != self.composer.text().trim() {
            self.composer.dirty_since = Some(Instant::now());
        }
    }

    /// The first sentence of the draft that a reply added elsewhere since the
    /// composer opened already says, for the "Changed elsewhere" question: the
    /// customer would read it twice.
    pub fn repeated_in_sent_reply(&self) -> Option<String> {
        let open = self.open.as_ref()?;
        let baseline = self.composer.seen_up_to?;
        let sent: Vec<&str> = open
            .detail
            .messages
            .iter()
            .filter(|m| m.id > baseline && m.direction == Direction::Outbound)
            .map(|m| m.body.as_str())
            .collect();
        let draft = self.composer.text();
        draft
            .split_inclusive(['.', '!', '?', '\n'])
            .map(str::trim)
            .filter(|s| s.chars().count() >= 12)
            .find(|s| sent.iter().any(|body| body.contains(s)))
            .map(str::to_string)
    }

    /// The key that opens a reply, as the user's keymap has it.
    fn reply_key(&self) -> String {
        self.keymap
            .key_for(Context::Conversation, &super::super::action::Action::Reply)
            .unwrap_or_else(|| "r".into())
    }
}
