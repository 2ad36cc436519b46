//! Changing tickets from the console, one or many at once, and taking changes
//! back: every change remembers its inverse on the undo stack.

use super::*;
use crate::model::{TicketChange, TicketId};

impl App {
    /// The tickets an action applies to: the marked ones, else the one under the
    /// inbox cursor when the inbox has the keyboard, else the open one.
    pub fn targets(&self) -> Vec<(TicketId, Option<i64>)> {
        if !self.inbox.marked.is_empty() {
            return self
                .inbox
                .marked
                .iter()
                .map(|id| {
                    let version = (0..self.inbox.len())
                        .filter_map(|i| self.inbox.row(i))
                        .find(|r| r.ticket.id == *id)
                        .map(|r| r.ticket.version);
                    (*id, version)
                })
                .collect();
        }
        if self.focus == Focus::Inbox {
            if let Some(row) = self.selected_ticket() {
                return vec![(row.ticket.id, Some(row.ticket.version))];
            }
        }
        // Away from the list the action is for the thread on screen; while the
        // next one loads there is none (never the one that just left).
        if self.loading().is_some() {
            return Vec::new();
        }
        match &self.open {
            Some(o) => vec![(o.detail.ticket.id, Some(o.detail.ticket.version))],
            None => Vec::new(),
        }
    }

    /// Applies `change` to every target on the runner, after the changes asked
    /// before it; the undo entry goes on the stack now, so `u` pressed before the
    /// answer comes undoes exactly this change. The targets are fixed here, at the
    /// key press: the rows the user saw, never the rows a later answer brings.
    pub fn apply_change(&mut self, label: &str, change: TicketChange) -> Result<(), ConsoleError> {
        let targets = self.targets();
        if targets.is_empty() {
            self.say_nothing_to_act_on();
            return Ok(());
        }
        self.next_seq += 1;
        let seq = self.next_seq;
        self.undo.push(UndoEntry::Changes {
            label: label.to_string(),
            seq,
        });
        self.inbox.marked.clear();
        let on: Vec<String> = targets.iter().map(|(id, _)| format!("#{id}")).collect();
        self.pending_info(format!("{}: {label}…", on.join(", ")));
        self.run(crate::tui::runner::Command::Change {
            seq,
            label: label.to_string(),
            targets,
            change,
        })?;
        self.reload()
    }

    /// Takes the answer of a change: the status line says what happened.
    pub(super) fn changed(
        &mut self,
        done: crate::tui::runner::Changed,
    ) -> Result<(), ConsoleError> {
        let crate::tui::runner::Changed {
            seq,
            label,
            targets,
            changed,
            unchanged,
            failure,
            owe_notice,
        } = done;
        let wrote = failure.is_none() && unchanged < targets.len();
        if changed == 0 {
            let at = self
                .undo
                .iter()
                .position(|e| matches!(e, UndoEntry::Changes { seq: s, .. } if *s == seq));
            if let Some(at) = at {
                if wrote {
                    // Written, but with nothing that takes it back (no reply needed on
                    // a ticket that stays open): `u` says so rather than reaching past.
                    let on: Vec<String> = targets.iter().map(|id| format!("#{id}")).collect();
                    self.undo[at] = UndoEntry::Final {
                        what: format!("{label} on {}", on.join(", ")),
                    };
                } else {
                    // Nothing written: `u` goes on to the change before it.
                    self.undo.remove(at);
                }
            }
        }
        let undo_hint = if changed == 0 { "" } else { " · u to undo" };
        match failure {
            Some(e) => self.store_error(e.into()),
            None if unchanged == targets.len() && targets.len() == 1 => {
                self.info(format!("#{} unchanged: already {label}", targets[0]))
            }
            None if unchanged == targets.len() => {
                self.info(format!("{unchanged} tickets unchanged: already {label}"))
            }
            None if targets.len() == 1 => self.info(format!("#{} {label}{undo_hint}", targets[0])),
            None => self.info(format!(
                "{} tickets {label}{undo_hint}",
                targets.len().max(changed)
            )),
        }
        self.offer_solved_notice(&owe_notice);
        Ok(())
    }

    /// Where a status or priority menu opens: on the value the (first) target has
    /// now, so Enter keeps it instead of silently setting the first option.
    pub fn current_choice(&self, kind: ChoiceKind) -> Result<usize, ConsoleError> {
        let Some((id, _)) = self.targets().into_iter().next() else {
            return Ok(0);
        };
        // The row or the thread on screen: what the user sees is what Enter keeps.
        let row = (0..self.inbox.len())
            .filter_map(|i| self.inbox.row(i))
            .find(|r| r.ticket.id == id)
            .map(|r| &r.ticket);
        let shown = self
            .open
            .as_ref()
            .map(|o| &o.detail.ticket)
            .filter(|t| t.id == id);
        let Some(ticket) = shown.or(row) else {
            return Ok(0);
        };
        Ok(kind
            .options()
            .iter()
            .position(|(_, _, v)| match v {
                ChoiceValue::Status(s) => *s == ticket.status,
                ChoiceValue::Priority(p) => *p == ticket.priority,
            })
            .unwrap_or(0))
    }

    /// Marks every ticket the applied search found, for one bulk action.
    pub fn mark_all_found(&mut self) {
        let Some(hits) = &self.inbox.hits else {
            self.error("search first (/), then * marks every ticket it found");
            return;
        };
        self.inbox.marked.extend(hits.iter().map(|r| r.ticket.id));
        let n = self.inbox.marked.len();
        self.info(format!(
            "{n} ticket{} marked · s status, p priority, t tags… apply to all · M clears",
            if n == 1 { "" } else { "s" }
        ));
    }

    /// Takes back the newest undoable action.
    pub fn undo_last(&mut self) -> Result<(), ConsoleError> {
        let Some(entry) = self.undo.pop() else {
            self.error("nothing to undo");
            return Ok(());
        };
        match entry {
            UndoEntry::Recorded { to } => self.error(format!(
                "the reply to {} was only recorded (no e-mail address); nothing to take back",
                crate::display::sanitize_line(&to)
            )),
            UndoEntry::Draft { ticket, mode, body } => self.restore_draft(ticket, mode, &body)?,
            UndoEntry::Merged { into } => self.error(format!(
                "the merge into #{into} cannot be undone; nothing was taken back"
            )),
            UndoEntry::Final { what } => {
                self.error(format!("{what} cannot be undone; nothing was taken back"))
            }
            UndoEntry::Settled { what } => self.error(format!("{what}; nothing was taken back")),
            UndoEntry::Changes { label, seq } => {
                self.pending_info(format!("undoing {label}…"));
                self.run(crate::tui::runner::Command::Undo { seq, label })?;
                self.reload()?;
            }
            UndoEntry::Reply {
                ticket,
                message,
                body,
                ..
            } => {
                self.pending_info("taking the reply back…");
                self.run(crate::tui::runner::Command::CancelReply {
                    ticket,
                    message,
                    body,
                })?;
            }
        }
        Ok(())
    }

    /// Takes the answer to taking a reply back: its ticket, with the words back as
    /// its draft, goes on screen with the keyboard in the composer, unless the user
    /// has meanwhile started writing on another ticket (the words are that
    /// ticket's stored draft either way, so nothing is lost).
    pub(super) fn reply_cancelled(
        &mut self,
        ticket: TicketId,
        body: String,
        result: Result<Option<Box<crate::tui::runner::LoadedTicket>>, ConsoleError>,
    ) -> Result<(), ConsoleError> {
        let Some(loaded) = result? else {
            self.error("too late to undo: the reply has already left");
            return self.reload();
        };
        let writing_elsewhere = self.composer.ticket != Some(ticket)
            && (self.composer.dirty_since.is_some() || !self.composer.is_empty());
        if writing_elsewhere {
            self.info(format!(
                "reply cancelled; its words are the draft of #{ticket} again"
            ));
            return self.reload();
        }
        // Reload first, then open: the reply's ticket is back in the view, and it,
        // not the row under the cursor, gets the composer; the cursor goes to it
        // when the reloaded rows come (they are not in yet on the runner).
        self.reload_keeping(Some(ticket))?;
        self.follow_selected(Some(ticket));
        if self.open.as_ref().map(|o| o.detail.ticket.id) != Some(ticket) {
            self.leave_ticket();
        }
        self.asked = None;
        self.show_ticket(*loaded);
        self.composer.mode = ComposeMode::Reply;
        if self.composer.text() != body {
            self.composer.set_text(&body);
        }
        self.composer.saved_here = true;
        self.composer.held_elsewhere = false;
        self.composer.seen_up_to = self.newest_message_on_screen();
        self.focus = Focus::Composer;
        self.recheck_tone();
        self.info("reply cancelled; it is back in the composer");
        Ok(())
    }

    /// Snoozes the targets until the time typed; an unreadable time keeps the prompt.
    pub fn snooze(&mut self, text: &str) -> Result<bool, ConsoleError> {
        let Some(until) = crate::sla::parse_snooze(text, self.now(), &self.config.sla) else {
            self.error(crate::sla::unreadable_time(
                text,
                self.now(),
                &self.config.sla,
                "15:00, 3h, in 2 hours, tomorrow 9:00, next week, 2026-12-01",
            ));
            return Ok(false);
        };
        let tz = crate::sla::timezone(&self.config.sla);
        let label = format!(
            "snoozed until {}",
            until.with_timezone(&tz).format("%a %d %b %H:%M")
        );
        self.apply_change(&label, TicketChange::Snooze(Some(until)))?;
        Ok(true)
    }

    /// Adds `+tag`/`tag` and removes `-tag`.
    pub fn tags(&mut self, text: &str) -> Result<(), ConsoleError> {
        let (mut add, mut remove) = (Vec::new(), Vec::new());
        for word in text.split([' ', ',']).filter(|w| !w.is_empty()) {
            match word.strip_prefix('-') {
                Some(t) => remove.push(t.to_string()),
                None => add.push(word.trim_start_matches('+').to_string()),
            }
        }
        if add.is_empty() && remove.is_empty() {
            return Ok(());
        }
        self.apply_change("tagged", TicketChange::Tags { add, remove })
    }

    /// Escalates with `team: reason` (no team means "second line").
    pub fn escalate(&mut self, text: &str) -> Result<bool, ConsoleError> {
        let (target, reason) = match text.split_once(':') {
            Some((t, r)) if !t.trim().is_empty() => (t.trim().to_string(), r.trim().to_string()),
            _ => ("second line".to_string(), text.trim().to_string()),
        };
        if reason.is_empty() {
            self.error("say why: escalation needs a reason the second line can act on");
            return Ok(false);
        }
        let label = format!("escalated to {target}");
        self.apply_change(&label, TicketChange::Escalate { target, reason })?;
        Ok(true)
    }

    /// Where attachments are saved unless the user types another folder.
    pub fn default_download_dir(&self) -> String {
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let downloads = home.as_ref().map(|h| h.join("Downloads"));
        match (downloads, home) {
            (Some(d), _) if d.is_dir() => d.display().to_string(),
            (_, Some(h)) => h.display().to_string(),
            _ => ".".into(),
        }
    }

    /// Why an action found no ticket: none selected, or the one asked for is still
    /// loading.
    pub fn say_nothing_to_act_on(&mut self) {
        match self.loading() {
            Some(id) => self.error(format!(
                "#{id} is still loading; nothing was changed — try again when it shows"
            )),
            None => self.error("no ticket selected"),
        }
    }

    /// Copies every attachment of the open ticket into `folder`, with cleaned names
    /// and without overwriting anything already there (on the runner when there is
    /// one: the prompt stays until the files are written, and closes then).
    pub fn save_attachments(&mut self, folder: &str) -> Result<bool, ConsoleError> {
        let Some(open) = &self.open else {
            self.error("open a ticket first");
            return Ok(true);
        };
        let attachments: Vec<_> = open
            .detail
            .messages
            .iter()
            .flat_map(|m| m.attachments.iter().cloned())
            .collect();
        if attachments.is_empty() {
            self.info("this ticket has no attachments");
            return Ok(true);
        }
        if !self.keeps_attachments {
            self.error("this queue keeps no attachment files");
            return Ok(true);
        }
        let folder = folder.trim();
        let dest = match folder.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(rest))
                .unwrap_or_else(|| folder.into()),
            None => folder.into(),
        };
        self.run(crate::tui::runner::Command::SaveAttachments { attachments, dest })?;
        self.info("saving the attachments…");
        Ok(false)
    }

    /// What the merge prompt offers: the customer's other tickets (newest first),
    /// never one of the tickets being merged.
    pub fn merge_candidates(&self) -> Vec<&TicketSummary> {
        let targets: Vec<TicketId> = self.targets().into_iter().map(|(id, _)| id).collect();
        self.open
            .as_ref()
            .map(|o| {
                o.history
                    .iter()
                    .filter(|t| !targets.contains(&t.ticket.id))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Merges the targets into the ticket whose number was typed. Not undoable (the
    /// source tickets are gone), so the status line says where everything went.
    pub fn merge_into(&mut self, text: &str) -> Result<bool, ConsoleError> {
        let Ok(into) = text.trim().trim_start_matches('#').parse::<TicketId>() else {
            self.error("type the number of the ticket to merge into, e.g. 12");
            return Ok(false);
        };
        let sources: Vec<TicketId> = self
            .targets()
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| *id != into)
            .collect();
        if sources.is_empty() {
            self.error("pick a different ticket to merge into");
            return Ok(false);
        }
        // The question (it reads both tickets and their customers) is asked of the
        // runner; `merge_asked` opens it when the answer comes.
        self.pending_info(format!("reading #{into}…"));
        self.run(crate::tui::runner::Command::MergeQuestion { sources, into })?;
        Ok(true)
    }

    /// Takes the merge question's answer: asked every time, since the merged
    /// tickets are gone and a merge cannot be undone. A ticket that cannot be read
    /// (a wrong number) puts the prompt back with the number, and says why.
    pub(super) fn merge_asked(
        &mut self,
        into: TicketId,
        result: Result<(String, bool), crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        if self.message.as_ref().is_some_and(|m| m.text.ends_with('…')) {
            self.message = None;
        }
        match result {
            Ok((question, across)) if self.popup.is_none() => {
                self.merge_question = Some(question);
                self.popup = Some(Popup::Confirm {
                    kind: ConfirmKind::Merge { into, across },
                });
            }
            // Something else opened meanwhile: the user moved on.
            Ok(_) => {}
            Err(e) => {
                if self.popup.is_none() {
                    self.popup = Some(Popup::Prompt {
                        kind: PromptKind::Merge,
                        input: into.to_string(),
                    });
                }
                self.error(e.to_string());
            }
        }
        Ok(())
    }

    /// Merges the targets into `into`, after any question about customers was
    /// answered yes.
    pub fn merge_confirmed(&mut self, into: TicketId) -> Result<(), ConsoleError> {
        self.merge_question = None;
        let sources: Vec<TicketId> = self
            .targets()
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| *id != into)
            .collect();
        self.undo.push(UndoEntry::Merged { into });
        self.inbox.marked.clear();
        let list: Vec<String> = sources.iter().map(|id| format!("#{id}")).collect();
        self.pending_info(format!("merging {} into #{into}…", list.join(", ")));
        self.run(crate::tui::runner::Command::Merge { sources, into })
    }

    /// Takes a merge's answer: the combined thread is what the user wants to see
    /// next, not whatever row slid under the cursor when the source left the list.
    pub(super) fn merged(
        &mut self,
        merged: Vec<TicketId>,
        into: TicketId,
        failure: Option<crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        self.reload_keeping(Some(into))?;
        if self.selected_ticket().map(|r| r.ticket.id) != Some(into) {
            self.focus = Focus::Conversation;
        }
        self.show(into, false)?;
        let list: Vec<String> = merged.iter().map(|id| format!("#{id}")).collect();
        match failure {
            Some(e) => {
                if merged.is_empty() {
                    // Nothing happened: `u` goes on to the change before it.
                    self.undo
                        .retain(|e| !matches!(e, UndoEntry::Merged { into: i } if *i == into));
                }
                self.store_error(e.into());
            }
            None => self.info(format!("merged {} into #{into}", list.join(", "))),
        }
        Ok(())
    }

    /// Marks the waiting message handled without an answer, with the reason on
    /// record so the "never ignore a message" ledger stays honest.
    pub fn no_reply(&mut self, reason: &str) -> Result<bool, ConsoleError> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            self.error("give a reason (auto-reply, thank-you, duplicate…)");
            return Ok(false);
        }
        self.apply_change(
            "marked no reply needed",
            TicketChange::NoReplyNeeded(reason),
        )?;
        Ok(true)
    }
}
