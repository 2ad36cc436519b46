//! The console's side of the runner (`tui/runner.rs`): asking for store work and
//! taking its answers. Every ask is queued for `update` to hand over and its answer
//! comes back later as a message: on the runner thread in the console, on the
//! calling thread in tests (`tui::inline`), the same `runner::execute` either way.

use super::*;
use crate::tui::runner::{Command, Done, LoadedTicket};

impl App {
    /// The commands queued since the last call, for the runner.
    pub fn take_commands(&mut self) -> Vec<Command> {
        std::mem::take(&mut self.commands)
    }

    /// Queues `command` for the runner; its answer comes back as a message.
    pub(super) fn run(&mut self, command: Command) -> Result<(), ConsoleError> {
        if let Some(what) = command.cannot_be_undone() {
            self.undo.push(UndoEntry::Final { what });
        }
        self.note_departures(&command);
        self.commands.push(command);
        self.in_flight += 1;
        Ok(())
    }

    /// Queues `command` like [`App::run`], but as background work the user did not
    /// ask for: it does not count as work under way (see [`App::expire_message`]).
    pub(super) fn run_unseen(&mut self, command: Command) -> Result<(), ConsoleError> {
        self.commands.push(command);
        Ok(())
    }

    /// Applies a command's answer.
    pub fn command_done(&mut self, done: Done) -> Result<(), ConsoleError> {
        if !matches!(
            done,
            Done::Looked { .. }
                | Done::OpenFollowup { .. }
                | Done::TelegramLastPoll(_)
                | Done::Worker(_)
        ) {
            self.in_flight = self.in_flight.saturating_sub(1);
        }
        match done {
            Done::Looked {
                after_delivery,
                deliveries,
                result,
            } => self.looked(after_delivery, deliveries, result)?,
            Done::Canned { ticket, result } => self.canned_read(ticket, result)?,
            Done::MergeQuestion { into, result } => self.merge_asked(into, result)?,
            Done::OpenFollowup { ticket, result } => self.open_followup_read(ticket, result)?,
            Done::DraftTakenOver { ticket, result } => self.draft_taken_over(ticket, result)?,
            Done::TelegramLastPoll(result) => self.telegram_last_poll(result),
            Done::ReplyCancelled {
                ticket,
                body,
                result,
            } => self.reply_cancelled(ticket, body, result)?,
            Done::Followup {
                ticket,
                said,
                result,
            } => self.followup_written(ticket, said, result)?,
            Done::Changed(changed) => self.changed(*changed)?,
            Done::DraftSaved {
                ticket,
                body,
                result,
                kept,
            } => self.draft_saved(ticket, body, result, kept)?,
            Done::DraftReleased(result) | Done::MarkedRead(result) => result?,
            Done::Merged {
                merged,
                into,
                failure,
            } => self.merged(merged, into, failure)?,
            Done::NoteAdded {
                ticket,
                body,
                result,
            } => self.note_added(ticket, body, result),
            Done::Sent { outgoing, result } => self.sent(*outgoing, result)?,
            Done::Undone { label, result } => match result {
                Ok(ids) => {
                    // Whatever the undo moved in or out of the view, the user asked.
                    self.own_departures.extend(ids.iter().copied());
                    let on: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
                    self.info(format!("undone on {}: {label}", on.join(", ")));
                    // An undone snooze or spam brings its ticket back into the list:
                    // the cursor goes to it, so the next key acts on what came back,
                    // not on the ticket that had moved up in its place.
                    if self.focus == Focus::Inbox {
                        self.reload_keeping(ids.first().copied())?;
                    }
                }
                Err(why) => self.error(why),
            },
            Done::Reloaded(result) => {
                // Failed or not, the list's first answer is in: keys stop waiting.
                if result.is_err() {
                    self.list_read = true;
                    self.switching_view = false;
                    self.after_send = None;
                }
                self.reloaded(*result?)?
            }
            Done::Presence(result) => self.presence_read(result?),
            Done::Worker(answer) => self.worker_answer(answer)?,
            Done::SentNow(result) => self.sent_now(result)?,
            Done::TakenBack(result) => self.taken_back(result)?,
            Done::KeptQueued(result) => self.kept_queued(result),
            Done::Filed {
                ticket,
                kind,
                body,
                result,
            } => self.filed(ticket, kind, body, result),
            Done::Prefill {
                ticket,
                kind,
                result,
            } => self.prefill_read(ticket, kind, result)?,
            Done::Window {
                generation,
                start,
                result,
            } => self.window_read(generation, start, result?)?,
            Done::Ticket { id, result } => {
                let restoring = self.restoring.as_ref().is_some_and(|(t, ..)| *t == id);
                if let (true, Err(e)) = (restoring, &result) {
                    self.restore_failed(id, matches!(e, StoreError::NotFound { .. }));
                }
                match &mut self.asked {
                    Some((asked, waiting)) if *asked == id => {
                        *waiting -= 1;
                        if *waiting == 0 {
                            self.asked = None;
                        }
                    }
                    // A draft being restored on it: shown whatever came since.
                    _ if restoring => {}
                    // The cursor moved on (or the ticket was opened directly) since.
                    _ => return Ok(()),
                }
                match result {
                    Ok(loaded) => {
                        self.show_ticket(*loaded);
                        self.restored_on(id)?;
                    }
                    // Merged away or deleted meanwhile: show the cursor's row instead.
                    Err(StoreError::NotFound { .. }) if self.open.is_none() => {
                        let row = self.selected_ticket().map(|r| r.ticket.id);
                        if row.is_some() && row != Some(id) {
                            self.load_selected(true)?;
                        }
                    }
                    // The ticket being written on went away elsewhere: the status line
                    // already says so (see `reloaded`).
                    Err(StoreError::NotFound { .. })
                        if self.composer.ticket == Some(id) && self.typing_guard.is_some() => {}
                    // The composer opened on a ticket merged or deleted elsewhere
                    // meanwhile: said, its words kept, the letters typed on refused
                    // (not run as commands), and the list read again without it.
                    Err(StoreError::NotFound { .. })
                        if self.composer.ticket == Some(id)
                            && matches!(self.focus, Focus::Composer | Focus::Tone) =>
                    {
                        let words = self.composer.text();
                        self.ticket_went_away(id, &words);
                        self.focus = Focus::Conversation;
                        self.reload()?;
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            Done::Report { days, result } => {
                if self.report_asked.take() != Some(days) {
                    return Ok(());
                }
                let (report, welcome_left_out) = result?;
                // Closed meanwhile (Esc while computing): not opened again.
                let wanted = matches!(self.popup, None | Some(Popup::Report(_)));
                if wanted {
                    self.popup = Some(Popup::Report(Box::new(ReportScreen {
                        days,
                        report: *report,
                        welcome_left_out,
                    })));
                    if self.message.as_ref().is_some_and(|m| m.text == COMPUTING) {
                        self.message = None;
                    }
                }
            }
            Done::Attachments { dest, result } => match result {
                Ok((saved, missing)) => {
                    let mut text = format!("saved {} file(s) to {}", saved.len(), dest.display());
                    if !missing.is_empty() {
                        text.push_str(&format!(
                            "; not kept (over the size limit): {}",
                            crate::display::sanitize_line(&missing.join(", "))
                        ));
                    }
                    if matches!(
                        self.popup,
                        Some(Popup::Prompt {
                            kind: PromptKind::SaveAttachments,
                            ..
                        })
                    ) {
                        self.popup = None;
                    }
                    self.info(text);
                }
                Err(why) => self.error(why),
            },
        }
        Ok(())
    }

    /// Whether keys that act on the ticket wait for an answer (see
    /// `update::waits_for_the_load`): the ticket loading, rows on their way, a
    /// reply being queued, a composer about to open with words the console writes,
    /// a search applied before its rows came, a view switch's rows or the reload
    /// after a send (which moves the cursor to the next ticket) on their way.
    pub fn holds_keys(&self) -> bool {
        self.loading().is_some()
            || self.rows_pending()
            || self.sending > 0
            || self.awaited > 0
            || self.search_pending()
            || self.rows_replaced_pending()
    }

    /// Whether the ticket on the right is not yet the one asked for.
    pub fn loading(&self) -> Option<TicketId> {
        self.asked
            .map(|(id, _)| id)
            .filter(|id| self.open.as_ref().map(|o| o.detail.ticket.id) != Some(*id))
    }

    /// Asks for ticket `id` to be shown: the conversation pane says "loading…"
    /// until the runner answers. A different ticket's draft is saved first and the
    /// old thread leaves the screen, so no key can act on it while the new one
    /// loads. `mark_read` when the user actually opened it (not when the cursor
    /// passed over it).
    pub fn show(&mut self, id: TicketId, mark_read: bool) -> Result<(), ConsoleError> {
        let same = self.open.as_ref().map(|o| o.detail.ticket.id) == Some(id);
        if !same {
            self.leave_ticket();
            self.open = None;
            self.composer = Composer::default();
        }
        if mark_read {
            self.mark_read(id)?;
        }
        self.asked = match self.asked {
            Some((asked, waiting)) if asked == id => Some((id, waiting + 1)),
            _ => Some((id, 1)),
        };
        self.run(Command::LoadTicket(id))
    }

    fn mark_read(&mut self, id: TicketId) -> Result<(), ConsoleError> {
        self.run(Command::MarkRead(id))
    }

    /// Puts a loaded ticket on the right: a different ticket gets its own composer
    /// (its unsaved note, or its stored draft); the same ticket keeps its scroll
    /// and follows a draft changed elsewhere.
    pub(super) fn show_ticket(&mut self, loaded: LoadedTicket) {
        let LoadedTicket {
            detail,
            history,
            followup,
            undelivered,
        } = loaded;
        let id = detail.ticket.id;
        let same = self.open.as_ref().map(|o| o.detail.ticket.id) == Some(id);
        let seen = self
            .open
            .as_ref()
            .filter(|_| same)
            .map(|o| (o.scroll, o.detail.messages.len()));
        let scroll = seen.map_or(0, |(s, _)| s);
        let grew = seen.is_none_or(|(_, n)| n != detail.messages.len());
        if !same {
            // A reply set aside for a note on the ticket left is in the store.
            self.reply_aside = None;
            self.composer = Composer {
                ticket: Some(id),
                ..Composer::default()
            };
            if let Some((mode, text)) = self.notes.remove(&id) {
                self.composer.mode = mode;
                self.composer.set_text(&text);
                if mode == ComposeMode::Reply {
                    // Reply words another console's hold kept out of the store.
                    self.composer.dirty_since = Some(Instant::now());
                    self.composer.held_elsewhere = true;
                }
            } else if let Some(draft) = &detail.draft {
                self.composer.set_text(&draft.body);
                self.composer.held_elsewhere =
                    super::drafts::held_by_other(Some(draft), self.holder.as_deref());
                // Already this console's (a reply it took back): leaving lets it go.
                self.composer.saved_here =
                    draft.owner.is_some() && draft.owner.as_deref() == self.holder.as_deref();
            }
            self.tone.ticks = [false; 5];
        } else {
            // A reply or a send elsewhere changed the stored draft: follow it unless
            // this console is writing it (see `drafts.rs`).
            self.follow_stored_draft(detail.draft.as_ref());
        }
        self.open = Some(OpenTicket {
            detail,
            history,
            scroll,
            followup,
            undelivered,
        });
        self.warm_up_tone();
        if grew {
            let (_, newest) = crate::tui::layout::conversation_scroll_limits(self);
            if let Some(open) = self.open.as_mut() {
                open.scroll = newest;
            }
        }
        self.recheck_tone();
    }
}

/// The status line while the report is being computed.
pub(super) const COMPUTING: &str = "computing the report…";
