//! Changing tickets from the console, one or many at once, and taking changes
//! back: every change remembers its inverse on the undo stack.

use super::*;
use crate::model::{Ticket, TicketChange, TicketId};
use std::time::Instant;

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

    /// Applies `make(ticket)` to every target, remembers how to undo it, and reloads.
    /// A stale version stops at that ticket with a conflict message.
    pub fn apply_change(
        &mut self,
        label: &str,
        make: impl Fn(&Ticket) -> TicketChange,
    ) -> Result<(), ConsoleError> {
        let targets = self.targets();
        if targets.is_empty() {
            self.say_nothing_to_act_on();
            return Ok(());
        }
        let mut inverses = Vec::new();
        let mut unchanged = 0;
        let mut failure = None;
        for (id, version) in &targets {
            let before = match self.store.ticket(*id) {
                Ok(t) => t,
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            };
            let change = make(&before);
            match self.store.change_ticket(*id, &change, *version) {
                // Already so: nothing was written or logged (see `changes_nothing`).
                Ok(after) if after.version == before.version => unchanged += 1,
                Ok(after) => {
                    if let Some(inv) = inverse(&before, &after, &change) {
                        inverses.push(UndoChange {
                            ticket: *id,
                            inverse: inv,
                            before: before.version,
                            after: after.version,
                        });
                    }
                }
                Err(e) => {
                    failure = Some(e);
                    break;
                }
            }
        }
        let done = inverses.len();
        let undo_hint = if inverses.is_empty() {
            ""
        } else {
            " · u to undo"
        };
        if !inverses.is_empty() {
            self.undo.push(UndoEntry::Changes {
                label: label.to_string(),
                changes: inverses,
            });
        }
        self.inbox.marked.clear();
        self.reload()?;
        match failure {
            Some(e) => self.store_error(e.into()),
            None if unchanged == targets.len() && targets.len() == 1 => {
                self.info(format!("#{} unchanged: already {label}", targets[0].0))
            }
            None if unchanged == targets.len() => {
                self.info(format!("{unchanged} tickets unchanged: already {label}"))
            }
            None if targets.len() == 1 => {
                self.info(format!("#{} {label}{undo_hint}", targets[0].0))
            }
            None => self.info(format!(
                "{} tickets {label}{undo_hint}",
                targets.len().max(done)
            )),
        }
        Ok(())
    }

    /// Where a status or priority menu opens: on the value the (first) target has
    /// now, so Enter keeps it instead of silently setting the first option.
    pub fn current_choice(&self, kind: ChoiceKind) -> Result<usize, ConsoleError> {
        let Some((id, _)) = self.targets().into_iter().next() else {
            return Ok(0);
        };
        let ticket = self.store.ticket(id)?;
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
            UndoEntry::Changes { label, changes } => {
                let ids: Vec<TicketId> = changes.iter().map(|c| c.ticket).collect();
                // Checked before anything is written: undo applies to all of the
                // tickets or to none, never half.
                for c in &changes {
                    if self.store.ticket(c.ticket)?.version != c.after {
                        self.error(format!(
                            "not undone: #{} changed since ({label}); change it by hand",
                            c.ticket
                        ));
                        return Ok(());
                    }
                }
                for c in &changes {
                    let restored = self
                        .store
                        .change_ticket(c.ticket, &c.inverse, Some(c.after))?;
                    self.undo_moved_version(c.ticket, c.before, restored.version);
                }
                self.reload()?;
                let on: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
                self.info(format!("undone on {}: {label}", on.join(", ")));
            }
            UndoEntry::Reply {
                ticket,
                message,
                body,
                ..
            } => {
                if crate::mail::cancel_reply(&mut self.store, message)? {
                    // Reload first, then open: the reply's ticket is back in the view,
                    // and it, not the row under the cursor, gets the composer.
                    self.reload()?;
                    self.follow_selected(Some(ticket));
                    self.open_ticket(ticket, false)?;
                    self.composer.mode = ComposeMode::Reply;
                    self.composer.set_text(&body);
                    self.composer.seen_up_to = self.newest_message_on_screen();
                    self.composer.dirty_since = Some(Instant::now());
                    self.flush_draft()?;
                    self.focus = Focus::Composer;
                    self.recheck_tone();
                    self.info("reply cancelled; it is back in the composer");
                } else {
                    self.error("too late to undo: the reply has already left");
                }
            }
        }
        Ok(())
    }

    /// After an undo restored `ticket` to the state it had at version `was` (now
    /// stored as `now`), the next older entry for it, which expects `was`, expects
    /// `now` instead: undoing twice in a row is not "changed since".
    fn undo_moved_version(&mut self, ticket: TicketId, was: i64, now: i64) {
        let older = self.undo.iter_mut().rev().find_map(|e| match e {
            UndoEntry::Changes { changes, .. } => changes.iter_mut().find(|c| c.ticket == ticket),
            _ => None,
        });
        if let Some(c) = older.filter(|c| c.after == was) {
            c.after = now;
        }
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
        self.apply_change(&label, |_| TicketChange::Snooze(Some(until)))?;
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
        self.apply_change("tagged", |_| TicketChange::Tags {
            add: add.clone(),
            remove: remove.clone(),
        })
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
        self.apply_change(&format!("escalated to {target}"), |_| {
            TicketChange::Escalate {
                target: target.clone(),
                reason: reason.clone(),
            }
        })?;
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
        if self
            .store
            .blobs(crate::store::Bucket::Attachments)
            .is_none()
        {
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
        let deferred = self.commands.is_some();
        self.run(crate::tui::runner::Command::SaveAttachments { attachments, dest })?;
        if deferred {
            self.info("saving the attachments…");
            return Ok(false);
        }
        // Inline: the answer is in; a failure keeps the prompt to type another folder.
        Ok(!self.message.as_ref().is_some_and(|m| m.error))
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
        let target = match self.store.ticket(into) {
            Ok(t) => t,
            Err(e) => {
                self.error(e.to_string());
                return Ok(false);
            }
        };
        let mut others = Vec::new();
        for id in &sources {
            let source = self.store.ticket(*id)?;
            if source.customer_id != target.customer_id {
                let name = self.store.customer(source.customer_id)?.name;
                others.push(format!("#{id} ({})", crate::display::sanitize_line(&name)));
            }
        }
        let sources_list: Vec<String> = sources.iter().map(|id| format!("#{id}")).collect();
        let across = !others.is_empty();
        // Asked every time: the merged tickets are gone, so a merge cannot be undone.
        self.merge_question = Some(if across {
            let name = self.store.customer(target.customer_id)?.name;
            format!(
                "{} and #{into} ({}) are different customers. Merge anyway? A merge cannot be undone.",
                others.join(", "),
                crate::display::sanitize_line(&name)
            )
        } else {
            format!(
                "Merge {} into #{into} ({})? The thread moves there; a merge cannot be undone.",
                sources_list.join(", "),
                crate::display::sanitize_line(&target.subject)
            )
        });
        self.popup = Some(Popup::Confirm {
            kind: ConfirmKind::Merge { into, across },
        });
        Ok(true)
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
        for id in &sources {
            self.store.merge_tickets(*id, into)?;
        }
        self.undo.push(UndoEntry::Merged { into });
        self.inbox.marked.clear();
        self.reload()?;
        // The combined thread is what the user wants to see next, not whatever row
        // slid under the cursor when the source left the list.
        self.follow_selected(Some(into));
        if self.selected_ticket().map(|r| r.ticket.id) != Some(into) {
            self.focus = Focus::Conversation;
        }
        self.open_ticket(into, false)?;
        let list: Vec<String> = sources.iter().map(|id| format!("#{id}")).collect();
        self.info(format!("merged {} into #{into}", list.join(", ")));
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
        self.apply_change("marked no reply needed (a new ticket is solved)", |_| {
            TicketChange::NoReplyNeeded(reason.clone())
        })?;
        Ok(true)
    }
}

/// The change that takes `change` back, given the ticket before and after it.
fn inverse(before: &Ticket, after: &Ticket, change: &TicketChange) -> Option<TicketChange> {
    Some(match change {
        TicketChange::Status(_) => TicketChange::Status(before.status),
        TicketChange::Priority(_) => TicketChange::Priority(before.priority),
        TicketChange::Tags { .. } => TicketChange::Tags {
            add: before
                .tags
                .iter()
                .filter(|t| !after.tags.contains(t))
                .cloned()
                .collect(),
            remove: after
                .tags
                .iter()
                .filter(|t| !before.tags.contains(t))
                .cloned()
                .collect(),
        },
        TicketChange::Snooze(_) => TicketChange::Snooze(before.snoozed_until),
        TicketChange::Escalate { .. } | TicketChange::Deescalate => match &before.escalation {
            Some(e) => TicketChange::Escalate {
                target: e.target.clone(),
                reason: e.reason.clone(),
            },
            None => TicketChange::Deescalate,
        },
        TicketChange::Subject(_) => TicketChange::Subject(before.subject.clone()),
        TicketChange::Assignee(_) => TicketChange::Assignee(before.assignee.clone()),
        TicketChange::NoReplyNeeded(_) | TicketChange::MarkRead => return None,
    })
}
