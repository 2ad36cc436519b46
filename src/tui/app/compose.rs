//! Writing: the composer (reply or note), autosaved drafts, the tone check that
//! follows the draft, sending, and canned responses with their placeholders.

use super::*;
use crate::canned::{self, RenderContext};
use crate::model::{CannedResponse, Formality, Language};
use crate::tone::{Commandment, ToneContext};
use crate::tui::runner::{Command, Filed, Filing};
use ratatui_textarea::CursorMove;
use std::time::Instant;

/// How much of the customer's message and of each note the live tone check reads.
pub(super) const TONE_CONTEXT_LIMIT: usize = 16 * 1024;
/// The status line right after a reply went into the outbox.
pub const SENT_UNDOABLE: &str = "queued to send · u to undo";

impl App {
    /// Opens the composer on the ticket on screen, in `mode`.
    pub fn compose(&mut self, mode: ComposeMode) -> Result<(), ConsoleError> {
        let Some(id) = self.open.as_ref().map(|o| o.detail.ticket.id) else {
            self.say_nothing_to_act_on();
            return Ok(());
        };
        let entering = self.focus != Focus::Composer || self.composer.seen_up_to.is_none();
        // Read again on the runner (marked read first): the composer opens now on
        // what the user sees, and the fresh copy follows without touching the words
        // being typed (see `show_ticket`).
        self.show(id, true)?;
        if entering {
            self.composer.seen_up_to = Some(self.newest_message_on_screen().unwrap_or_default());
        }
        // A teammate's reply draft only shown here (another console holds it, nothing
        // typed here) is theirs, kept in the queue: a note may be written beside it
        // (the team trial was told to discard their draft first).
        let theirs = self.composer.mode == ComposeMode::Reply
            && self.composer.held_elsewhere
            && self.composer.dirty_since.is_none();
        // A note beside this console's own reply draft: the draft is saved (the
        // store keeps it, untouched) and the composer takes the note; once the note
        // is filed or discarded the draft comes back from the store. Words another
        // console's hold kept out of the store are not set aside: they live only in
        // this composer, so that case is refused below.
        let reply_aside = mode == ComposeMode::Note
            && self.composer.mode == ComposeMode::Reply
            && !self.composer.held_elsewhere
            && !self.composer.is_empty();
        if self.composer.mode != mode {
            if theirs {
                self.composer = Composer {
                    ticket: Some(id),
                    seen_up_to: self.composer.seen_up_to,
                    ..Composer::default()
                };
            } else if reply_aside {
                self.flush_draft()?;
                self.release_draft()?;
                self.reply_aside = Some((id, self.composer.text()));
                self.composer = Composer {
                    ticket: Some(id),
                    seen_up_to: self.composer.seen_up_to,
                    ..Composer::default()
                };
                let key = self
                    .keymap
                    .key_for(Context::Conversation, &opening_action(ComposeMode::Reply))
                    .unwrap_or_else(|| "r".into());
                self.info(format!(
                    "a note beside the reply draft, which stays saved · Ctrl-S files the note, then {key} continues the reply"
                ));
            } else if !self.composer.is_empty() {
                let what = match self.composer.mode {
                    ComposeMode::Reply => "a reply draft",
                    ComposeMode::Note => "a note",
                    ComposeMode::Transcript => "a transcript",
                    ComposeMode::Call => "call notes",
                };
                // The keyboard stays where it was: moving it into the composer here
                // turned the rest of what the user typed into draft text.
                let key = self
                    .keymap
                    .key_for(Context::Conversation, &opening_action(self.composer.mode))
                    .unwrap_or_else(|| "r".into());
                let discard = self.discard_key();
                self.error(format!(
                    "finish or discard {what} first · Esc, {key} opens it; Ctrl-S saves, {discard} discards"
                ));
                // The user goes on typing the words meant for the composer: they
                // must never run as commands (`d` solved the ticket).
                self.typing_guard = Some(TypingGuard::Refused { what, key });
                return Ok(());
            }
            self.composer.mode = mode;
            if mode == ComposeMode::Reply {
                self.take_back_reply_aside(id);
            }
        }
        if !self.claim_draft()? {
            return Ok(());
        }
        self.focus = Focus::Composer;
        self.recheck_tone();
        Ok(())
    }

    /// Gives a key to the composer; a change schedules the autosave and reruns tone.
    pub fn composer_input(&mut self, key: ratatui::crossterm::event::KeyEvent) {
        if self.composer.textarea.input(key) {
            self.text_changed();
        }
    }

    /// Replaces `;;name` before the cursor with the canned response whose shortcut
    /// is `name`; without one before the cursor, Tab is just a tab.
    pub fn expand_or_tab(&mut self) -> Result<(), ConsoleError> {
        if !self.expand_shortcut()? && self.composer.textarea.insert_tab() {
            self.text_changed();
        }
        Ok(())
    }

    /// Expands `;;name` before the cursor. Returns whether there was one to expand.
    fn expand_shortcut(&mut self) -> Result<bool, ConsoleError> {
        let ratatui_textarea::DataCursor(row, col) = self.composer.textarea.cursor();
        let line = self
            .composer
            .textarea
            .lines()
            .get(row)
            .cloned()
            .unwrap_or_default();
        let before: String = line.chars().take(col).collect();
        let Some((_, name)) = canned::shortcut_before_cursor(&before) else {
            return Ok(false);
        };
        let (language, formality) = self
            .open
            .as_ref()
            .map_or((Language::Other, Formality::Unknown), |o| {
                (o.detail.customer.language, o.detail.customer.formality)
            });
        let Some(items) = self.canned_known()? else {
            // Expanded when they come (see `canned_read`); keys typed meanwhile wait
            // for it, so they land after the expansion, not before the `;;name`.
            if !self.expand_when_read {
                self.expand_when_read = true;
                self.awaited += 1;
            }
            self.pending_info(CANNED_LOADING);
            return Ok(true);
        };
        let Some((range, item)) = canned::expand_shortcut_for(&before, &items, language, formality)
        else {
            self.error(format!(
                "no canned response has the shortcut ;;{}",
                crate::display::sanitize_line(name)
            ));
            return Ok(true);
        };
        for _ in 0..before[range].chars().count() {
            self.composer.textarea.delete_char();
        }
        self.insert_canned(&item)?;
        Ok(true)
    }

    /// Pasted text goes into the composer when it has the keyboard, sanitized.
    pub fn paste(&mut self, text: &str) {
        if self.focus == Focus::Composer {
            self.composer
                .textarea
                .insert_str(crate::display::sanitize(text));
            self.text_changed();
        }
    }

    fn text_changed(&mut self) {
        self.composer.dirty_since = Some(Instant::now());
        self.recheck_tone();
    }

    /// The key that discards a draft, as the user's keymap has it (the palette's
    /// name when a key file unbound it), for messages that point to it.
    pub(super) fn discard_key(&self) -> String {
        self.keymap
            .key_for(
                Context::Composer,
                &super::super::action::Action::DiscardDraft,
            )
            .unwrap_or_else(|| ":discard-draft".into())
    }

    /// Throws the draft on the open ticket away (a reply draft in the store too),
    /// keeping its text on the undo stack: the documented way out of "a reply draft
    /// is already open".
    pub fn discard_draft(&mut self) -> Result<(), ConsoleError> {
        let Some(ticket) = self.composer.ticket else {
            self.error("no draft to discard");
            return Ok(());
        };
        if self.composer.is_empty() {
            self.error("no draft to discard: the composer is empty");
            return Ok(());
        }
        if self.composer.held_elsewhere && self.composer.dirty_since.is_none() {
            self.error("this draft is being edited in another console: discard it there, or take it over first");
            return Ok(());
        }
        let mode = self.composer.mode;
        let body = self.composer.text();
        if mode == ComposeMode::Reply {
            // On the runner, after any save still queued; the text is on the undo
            // stack either way.
            self.draft_saves += 1;
            self.run(Command::SaveDraft {
                ticket,
                body: String::new(),
            })?;
        }
        self.notes.remove(&ticket);
        self.undo.push(UndoEntry::Draft { ticket, mode, body });
        self.composer = Composer {
            ticket: Some(ticket),
            ..Composer::default()
        };
        self.focus = Focus::Conversation;
        self.recheck_tone();
        self.info("draft discarded · u brings it back");
        self.take_back_reply_aside(ticket);
        Ok(())
    }

    /// `Esc` out of the composer: a note opened beside a reply draft and left
    /// empty gives the composer back to the draft, as if `n` had not been pressed.
    pub fn left_composer(&mut self) {
        let Some(ticket) = self.composer.ticket else {
            return;
        };
        let aside_here = self.reply_aside.as_ref().is_some_and(|(t, _)| *t == ticket);
        if aside_here && self.composer.mode == ComposeMode::Note && self.composer.is_empty() {
            self.take_back_reply_aside(ticket);
        }
    }

    /// The reply draft set aside for a note on `ticket` back into the empty
    /// composer, as the store keeps it (nothing to save). A draft set aside on
    /// another ticket is forgotten: the store has it, and showing that ticket
    /// reads it from there.
    pub(super) fn take_back_reply_aside(&mut self, ticket: TicketId) {
        let Some((aside_on, words)) = self.reply_aside.take() else {
            return;
        };
        if aside_on == ticket && self.composer.ticket == Some(ticket) && self.composer.is_empty() {
            self.composer.mode = ComposeMode::Reply;
            self.composer.set_text(&words);
            self.recheck_tone();
        }
    }

    /// Puts a discarded draft back into the composer of its ticket: at once when
    /// that ticket is on screen; else the ticket is asked of the runner and the
    /// words go into its composer when it shows (every key waits for that, so what
    /// is typed next lands after them). They are never put into another ticket's
    /// composer, and a ticket gone meanwhile keeps them to print at the end.
    pub(super) fn restore_draft(
        &mut self,
        ticket: TicketId,
        mode: ComposeMode,
        body: &str,
    ) -> Result<(), ConsoleError> {
        // The ticket the user is looking at: when the draft was discarded on
        // another one, the line says so, since the screen changes under them (the
        // new-user trial saw another ticket come up with no word of why).
        let was_on = self.open.as_ref().map(|o| o.detail.ticket.id);
        self.restored_from = was_on.filter(|t| *t != ticket);
        self.follow_selected(Some(ticket));
        let on_screen = self.loading().is_none() && was_on == Some(ticket);
        if on_screen {
            return self.put_back_draft(ticket, mode, body);
        }
        self.restoring = Some((ticket, mode, body.to_string()));
        self.awaited += 1;
        self.pending_info(format!("restoring the draft on #{ticket}…"));
        self.show(ticket, false)
    }

    /// The discarded draft into the composer of the ticket on screen (`ticket`).
    fn put_back_draft(
        &mut self,
        ticket: TicketId,
        mode: ComposeMode,
        body: &str,
    ) -> Result<(), ConsoleError> {
        self.composer.mode = mode;
        self.composer.set_text(body);
        self.composer.seen_up_to = self.newest_message_on_screen();
        self.composer.dirty_since = Some(Instant::now());
        self.flush_draft()?;
        self.focus = Focus::Composer;
        self.recheck_tone();
        let what = match mode {
            ComposeMode::Reply => "reply draft",
            ComposeMode::Note => "note",
            ComposeMode::Transcript => "transcript",
            ComposeMode::Call => "call notes",
        };
        match self.restored_from.take() {
            Some(was_on) => self.info(format!(
                "{what} on #{ticket} restored: the screen moved from #{was_on} to #{ticket}"
            )),
            None => self.info(format!("{what} on #{ticket} restored")),
        }
        Ok(())
    }

    /// Ticket `id` came from the runner: the draft being restored on it goes into
    /// its composer (see [`App::restore_draft`]).
    pub(super) fn restored_on(&mut self, id: TicketId) -> Result<(), ConsoleError> {
        let Some((_, mode, body)) = self.restoring.take_if(|(t, ..)| *t == id) else {
            return Ok(());
        };
        self.awaited = self.awaited.saturating_sub(1);
        self.put_back_draft(id, mode, &body)
    }

    /// Ticket `id` could not be read while a draft was being restored on it: the
    /// words stay, printed at the end if it is gone, else kept for when it opens.
    pub(super) fn restore_failed(&mut self, id: TicketId, gone: bool) {
        let Some((_, mode, body)) = self.restoring.take_if(|(t, ..)| *t == id) else {
            return;
        };
        self.awaited = self.awaited.saturating_sub(1);
        if gone {
            self.ticket_went_away(id, &body);
        } else {
            self.notes.entry(id).or_insert((mode, body));
        }
    }

    /// Replaces the whole draft (after `$EDITOR`).
    pub fn set_composer_text(&mut self, text: &str) {
        let text = text.trim_end_matches('\n');
        if text != self.composer.text() {
            self.composer.set_text(text);
            self.text_changed();
        }
    }

    /// Periodic work: the debounced autosave, and fresh counts now and then.
    pub fn tick(&mut self, now: Instant) -> Result<(), ConsoleError> {
        // "u to undo" is not left on screen once the window is over.
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.text.ends_with(SENT_UNDOABLE))
            && self.waiting_reply().is_none()
        {
            self.info("reply on its way (the undo window is over)");
        }
        if self
            .composer
            .dirty_since
            .is_some_and(|t| now.duration_since(t) >= AUTOSAVE_AFTER)
            && !self.composer.held_elsewhere
        {
            self.flush_draft()?;
        }
        self.notice_changes_elsewhere(now)?;
        self.team_tick(now)?;
        if now.duration_since(self.last_refresh) >= REFRESH_EVERY {
            self.refresh_counts()?;
        }
        Ok(())
    }

    /// Reruns the tone checker on the draft (on every keystroke, so the customer's
    /// message and the notes it is compared with are capped).
    pub fn recheck_tone(&mut self) {
        let draft = self.composer.text();
        if draft.trim().is_empty() {
            // Nothing to read yet; skipping keeps opening a ticket instant even before
            // the checker's word lists have been compiled.
            self.tone.report = crate::tone::ToneReport {
                findings: Vec::new(),
                language: crate::model::Language::Other,
                formality: crate::model::Formality::Unknown,
            };
            return;
        }
        let Some(inputs) = self.tone_inputs() else {
            self.tone.report = self.tone.checker.check("", &ToneContext::default());
            return;
        };
        let unmodified = self.composer.canned_text.as_deref() == Some(draft.as_str());
        let ctx = inputs.context(unmodified);
        let text = match self.composer.mode {
            ComposeMode::Reply => draft.as_str(),
            ComposeMode::Note | ComposeMode::Transcript | ComposeMode::Call => "",
        };
        self.tone.report = self.tone.checker.check(text, &ctx);
    }

    /// The tone findings that make sending ask for a yes (`[tone] confirm`: by default
    /// anything blocking, and warnings under respect and ownership), worst first.
    pub fn tone_asks(&self) -> Vec<&crate::tone::Finding> {
        // Checked at start (`cli::settings`), so a bad list cannot reach here; the
        // default is the safe fallback all the same.
        crate::tone::ConfirmPolicy::parse(&self.config.tone.confirm)
            .unwrap_or_default()
            .asking(&self.tone.report)
    }

    /// Placeholder markers a canned response left that are still in the text.
    pub fn unfilled_placeholders(&self) -> Vec<String> {
        let text = self.composer.text();
        self.composer
            .placeholders
            .iter()
            .filter(|p| text.contains(p.as_str()))
            .cloned()
            .collect()
    }

    /// Sends the reply (or saves the note). A blocking tone finding asks first
    /// unless `confirmed`.
    pub fn send(&mut self, confirmed: bool) -> Result<(), ConsoleError> {
        let Some(id) = self.composer.ticket else {
            self.error("open a ticket and press r to reply");
            return Ok(());
        };
        let body = self.composer.text();
        if body.trim().is_empty() {
            self.error("nothing to send: the composer is empty");
            return Ok(());
        }
        match self.composer.mode {
            ComposeMode::Reply => {
                if self.composer.held_elsewhere {
                    // Sent from here and from there, the customer would get it twice.
                    self.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::TakeOverDraft,
                    });
                    return Ok(());
                }
                if self.config.agent.name.trim().is_empty() {
                    // Never "agent" or a login name: ask once, keep it in config.toml.
                    self.popup = Some(Popup::Prompt {
                        kind: PromptKind::AgentName,
                        input: String::new(),
                    });
                    self.info("who signs your replies? type your name once; Enter saves it");
                    return Ok(());
                }
                if !confirmed
                    && (!self.tone_asks().is_empty() || !self.unfilled_placeholders().is_empty())
                {
                    self.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::SendDespiteTone,
                    });
                    return Ok(());
                }
                // The words are in the store before they travel: if the runner gives
                // them back (a refusal) or the process ends, the draft still has them.
                self.flush_draft()?;
                let canned = self.composer.canned_id.map(|canned_id| {
                    let edited = self
                        .composer
                        .canned_text
                        .as_deref()
                        .is_none_or(|t| canned::was_edited(t, &body));
                    (canned_id, edited)
                });
                let to = self
                    .open
                    .as_ref()
                    .map(|o| o.detail.customer.name.clone())
                    .unwrap_or_default();
                let outgoing = crate::tui::runner::Outgoing {
                    ticket: id,
                    body,
                    to: to.clone(),
                    seen_up_to: self.composer.seen_up_to,
                    canned,
                    agent: self.config.agent.clone(),
                };
                self.sending += 1;
                self.pending_info(format!(
                    "queueing the reply to {}…",
                    crate::display::sanitize_line(&to)
                ));
                // On its way: the composer empties now (a refusal gives the words
                // back), and the list and thread are read again after the send. When
                // that reload comes, the pane follows the list's cursor: where the
                // answered ticket left the view (Needs reply) the cursor is on the
                // next one, and that one is shown — a solo desk answering a queue
                // goes on to it — and where it stayed, it is shown with the reply.
                // (The pane kept the answered ticket while the cursor had moved on,
                // so `Esc n` filed a note on a ticket the user was not looking at.)
                self.composer = Composer {
                    ticket: Some(id),
                    ..Composer::default()
                };
                self.focus = Focus::Conversation;
                self.run(crate::tui::runner::Command::SendReply(Box::new(outgoing)))?;
                self.after_send = Some(id);
                self.reload()?;
                self.show(id, false)?;
            }
            ComposeMode::Note => {
                self.pending_info("adding the note…");
                // As for a reply: the composer empties now, a failure gives the words back.
                self.composer = Composer {
                    ticket: Some(id),
                    ..Composer::default()
                };
                self.focus = Focus::Conversation;
                self.run(crate::tui::runner::Command::AddNote {
                    ticket: id,
                    author: self.config.agent.display_name(),
                    body,
                })?;
                self.take_back_reply_aside(id);
                self.reload()?;
                self.show(id, false)?;
            }
            ComposeMode::Transcript => self.file(id, Filing::Transcript, body)?,
            ComposeMode::Call => self.file(id, Filing::Call, body)?,
        }
        Ok(())
    }

    /// "Send anyway" after replies or notes were added elsewhere: what was added
    /// (up to `newest`, the newest message the refusal found) counts as read from
    /// now on, then the usual checks (tone, placeholders) run; anything added after
    /// that is asked about again.
    pub fn send_despite_added_elsewhere(&mut self, newest: MessageId) -> Result<(), ConsoleError> {
        if self.composer.ticket.is_none() {
            return Ok(());
        }
        self.composer.seen_up_to = Some(self.composer.seen_up_to.map_or(newest, |s| s.max(newest)));
        self.send(false)
    }

    /// "Not yet" to sending after replies or notes were added elsewhere: the draft is
    /// kept and what was added (up to `newest`, shown above the composer) counts as
    /// read, so the next Ctrl-S asks only about anything added after it.
    pub fn read_added_elsewhere(&mut self, newest: MessageId) {
        if self.composer.ticket.is_some() {
            self.composer.seen_up_to =
                Some(self.composer.seen_up_to.map_or(newest, |s| s.max(newest)));
        }
        self.info("not sent; the draft is kept — what was added is shown above it; Ctrl-S sends");
    }

    /// The newest reply still inside its undo window, for the status bar's countdown:
    /// whom it goes to, whole seconds left (rounded up), whether `u` takes it back
    /// (it is the newest undoable action), and how many more wait.
    pub fn waiting_reply(&self) -> Option<(String, i64, bool, usize)> {
        let now = self.now();
        let mut waiting = self
            .undo
            .iter()
            .enumerate()
            .rev()
            .filter_map(|(i, e)| match e {
                UndoEntry::Reply { to, until, .. } if *until > now => Some((i, to, *until)),
                _ => None,
            });
        let (i, to, until) = waiting.next()?;
        let secs = ((until - now).num_milliseconds() + 999) / 1000;
        Some((to.clone(), secs, i + 1 == self.undo.len(), waiting.count()))
    }

    /// The answer to the first-send prompt for the name replies are signed with or
    /// the address they come from: kept in config.toml, filled into the draft where a
    /// canned reply left it as a placeholder, then the send goes on. `false` keeps
    /// the prompt open.
    pub fn set_identity_field(
        &mut self,
        key: crate::config::AgentKey,
        input: &str,
    ) -> Result<bool, ConsoleError> {
        let value = crate::display::sanitize_line(input.trim())
            .trim()
            .to_string();
        if let Err(what) = key.check(&value) {
            self.error(what);
            return Ok(false);
        }
        key.set(&mut self.config, &value);
        self.fill_agent_placeholders();
        let saved = match &self.config.path {
            Some(path) => crate::config::save_agent_key(path, key, &value)
                .map(|()| None)
                .unwrap_or_else(Some),
            None => Some("no settings file".to_string()),
        };
        self.send(false)?;
        if let Some(why) = saved {
            let now = match key {
                crate::config::AgentKey::Name => format!("replies are signed {value}"),
                crate::config::AgentKey::Email => format!("replies come from {value}"),
            };
            self.error(format!(
                "{now} for now; not saved ({why}): add [agent] {} to config.toml",
                key.key()
            ));
        }
        Ok(true)
    }

    /// Fills `[agent.name]` / `[agent.email]` that a canned reply left in the draft
    /// while the value was unknown, once the user has given it.
    fn fill_agent_placeholders(&mut self) {
        let text = self.composer.text();
        let mut filled = text.clone();
        for key in [
            crate::config::AgentKey::Name,
            crate::config::AgentKey::Email,
        ] {
            let value = key.read(&self.config).to_string();
            let marker = format!("[agent.{}]", key.key());
            if value.is_empty() || !filled.contains(&marker) {
                continue;
            }
            filled = filled.replace(&marker, &value);
            self.composer.placeholders.retain(|p| *p != marker);
            if let Some(canned) = self.composer.canned_text.as_mut() {
                *canned = canned.replace(&marker, &value);
            }
        }
        if filled != text {
            self.composer.set_text(&filled);
            self.text_changed();
        }
    }

    /// Quitting (`q`, after the draft is saved): quits, or asks what to do with
    /// the queued replies this console answers for (see
    /// [`App::replies_to_decide_on_quit`]). Decided at once from what the console
    /// knows (its undo stack and the outbox as the last reload read it), so `q`
    /// answers even while the queue is slow or gone; "send now" and "take back"
    /// then go to the runner, which finds a reply already gone and skips it.
    pub fn quit(&mut self) {
        let decide = self.replies_to_decide_on_quit(&self.queued_replies);
        if decide.is_empty() {
            self.should_quit = true;
            return;
        }
        self.popup = Some(Popup::Confirm {
            kind: ConfirmKind::QuitWithQueued(decide.len()),
        });
        self.quit_replies = decide;
    }

    /// Of the replies `queued` (message, when it may leave) and this console's own
    /// on its undo stack, those this console answers for: its own and those past
    /// their undo window (a retry, a leftover from an earlier run). A reply inside
    /// the undo window of another console on the same queue is that console's to
    /// send or take back, never this one's. Pure: `tui::run` also uses it to say
    /// what is left queued after the console ends.
    pub fn replies_to_decide_on_quit(
        &self,
        queued: &[(MessageId, DateTime<Utc>)],
    ) -> Vec<MessageId> {
        let now = self.now();
        // Its own: still inside the undo window (the courier has not taken it), or
        // queued when the outbox was last read.
        let mut decide: Vec<MessageId> = self
            .undo
            .iter()
            .filter_map(|e| match e {
                UndoEntry::Reply { message, until, .. }
                    if *until > now || queued.iter().any(|(m, _)| m == message) =>
                {
                    Some(*message)
                }
                _ => None,
            })
            .collect();
        for (message, not_before) in queued {
            if *not_before <= now && !decide.contains(message) {
                decide.push(*message);
            }
        }
        decide
    }

    /// Quitting with replies waiting: hands the ones this console decides on (see
    /// [`App::replies_to_decide_on_quit`]) to the runner to deliver now;
    /// [`App::sent_now`] quits, or keeps the console open with the reason.
    pub fn quit_sending_now(&mut self) -> Result<(), ConsoleError> {
        let messages = std::mem::take(&mut self.quit_replies);
        self.pending_info(format!("sending {} now…", replies(messages.len())));
        self.run(Command::SendNow {
            messages,
            agent: self.config.agent.clone(),
        })
    }

    /// What sending the replies now did (see [`App::quit_sending_now`]).
    pub(super) fn sent_now(
        &mut self,
        result: Result<crate::mail::DeliveryReport, ConsoleError>,
    ) -> Result<(), ConsoleError> {
        let report = result?;
        if let Some((_, why)) = report.failed.first() {
            self.error(format!(
                "{} not sent ({why}); still queued — q again to choose",
                replies(report.failed.len())
            ));
            return self.reload();
        }
        if !report.saved.is_empty() {
            // Nothing left the machine: quitting now would let the user believe
            // "send now" sent it. (Saved replies leave the undo stack first, so no
            // later look at the outbox says it again over this.)
            let saved: Vec<_> = report
                .saved
                .iter()
                .map(|(m, _)| (*m, Some(crate::store::OutboxState::Saved)))
                .collect();
            self.settle_replies(&saved, false);
            self.error(format!(
                "{} not sent, only saved as .eml: no mail transport is set (see [mail] in the README; firstline doctor shows the folder) · q again quits",
                replies(report.saved.len()),
            ));
            return self.reload();
        }
        self.should_quit = true;
        Ok(())
    }

    /// Quitting with replies waiting: takes every queued one back (its text becomes
    /// the ticket's draft again) on the runner; [`App::taken_back`] quits.
    pub fn quit_taking_back(&mut self) -> Result<(), ConsoleError> {
        let messages = std::mem::take(&mut self.quit_replies);
        self.pending_info(format!("taking back {}…", replies(messages.len())));
        self.run(Command::TakeBack(messages))
    }

    /// Quitting with replies waiting, keeping them queued: they are marked not
    /// delivered yet on the runner (see `runner::keep_queued`); [`App::kept_queued`]
    /// quits.
    pub fn quit_keeping_queued(&mut self) -> Result<(), ConsoleError> {
        let messages = std::mem::take(&mut self.quit_replies);
        self.pending_info(format!("keeping {} queued…", replies(messages.len())));
        self.run(Command::KeepQueued(messages))
    }

    /// Ended by a signal (`kill`, a closed terminal window): nobody may be there to
    /// answer the quit question, so the replies this console answers for stay queued
    /// as `k` keeps them — marked not delivered yet, with what will send them — never
    /// left looking answered while no console runs to send them.
    pub fn keep_queued_on_signal(&mut self) -> Result<(), ConsoleError> {
        let decide = self.replies_to_decide_on_quit(&self.queued_replies);
        if decide.is_empty() {
            return Ok(());
        }
        self.quit_replies = decide;
        self.quit_keeping_queued()
    }

    /// The replies stay queued (see [`App::quit_keeping_queued`]): the console quits
    /// either way — they wait in the outbox all the same; only the mark failed.
    pub(super) fn kept_queued(&mut self, result: Result<(), ConsoleError>) {
        if let Err(e) = result {
            self.error(format!(
                "the replies stay queued, but marking them failed: {e}"
            ));
        }
        self.should_quit = true;
    }

    /// The replies were taken back (see [`App::quit_taking_back`]): the console
    /// quits — unless one had already left the outbox (delivered while the question
    /// was open): then it stays and says so, since "take back" did not do what it said.
    pub(super) fn taken_back(
        &mut self,
        result: Result<(usize, Vec<MessageId>), ConsoleError>,
    ) -> Result<(), ConsoleError> {
        let (taken, gone) = result?;
        self.undo
            .retain(|e| !matches!(e, UndoEntry::Reply { .. } | UndoEntry::Recorded { .. }));
        if !gone.is_empty() {
            self.error(format!(
                "{} had already left the outbox (delivered); nothing was taken back · firstline outbox lists {} · q quits",
                replies(gone.len()),
                if gone.len() == 1 { "it" } else { "them" }
            ));
            return self.reload();
        }
        self.farewell.push(format!(
            "firstline: {} taken back, nothing sent; the words are the ticket's draft again",
            replies(taken)
        ));
        self.should_quit = true;
        Ok(())
    }

    /// After something was filed from the composer: an empty composer on the same
    /// ticket, the keyboard back on the thread, and the thread re-read to show it.
    fn back_to_thread(&mut self, id: TicketId) -> Result<(), ConsoleError> {
        self.composer = Composer {
            ticket: Some(id),
            ..Composer::default()
        };
        self.focus = Focus::Conversation;
        self.reload()?;
        self.show(id, false)
    }

    /// Takes the runner's answer to a reply: on the undo stack when it waits in the
    /// outbox; refused, its words go back into the composer of its own ticket.
    pub(super) fn sent(
        &mut self,
        outgoing: crate::tui::runner::Outgoing,
        result: Result<crate::tui::runner::Sent, crate::tui::runner::NotSent>,
    ) -> Result<(), ConsoleError> {
        use crate::tui::runner::{NotSent, Sent};
        self.sending = self.sending.saturating_sub(1);
        let crate::tui::runner::Outgoing {
            ticket,
            body,
            to,
            seen_up_to,
            ..
        } = outgoing;
        let refusal = match result {
            Ok(Sent::Queued {
                message,
                not_before,
            }) => {
                // The line names the ticket answered: by now the pane may show the
                // next one (the countdown beside it names the customer).
                self.info(format!("#{ticket} reply {SENT_UNDOABLE}"));
                self.undo.push(UndoEntry::Reply {
                    ticket,
                    message,
                    body,
                    to,
                    until: not_before,
                });
                return Ok(());
            }
            Ok(Sent::Recorded(channel)) => {
                self.undo.push(UndoEntry::Recorded { to });
                let how = match channel {
                    crate::model::Channel::Phone => "tell them by phone yourself",
                    crate::model::Channel::Chat => "send it in their chat yourself",
                    _ => "pass it on to them yourself",
                };
                self.info(format!(
                    "#{ticket} reply recorded; no e-mail address, so {how} · no undo"
                ));
                return Ok(());
            }
            Err(why) => why,
        };
        self.give_back(ticket, &body, seen_up_to);
        let here = self.composer.ticket == Some(ticket) && self.popup.is_none();
        match refusal {
            NotSent::HeldElsewhere => {
                if here {
                    self.composer.held_elsewhere = true;
                    self.composer.saved_here = false;
                    self.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::TakeOverDraft,
                    });
                } else {
                    self.error(format!(
                        "#{ticket}: not sent, another console is editing its draft"
                    ));
                }
            }
            NotSent::NeedsAddress => {
                self.popup = Some(Popup::Prompt {
                    kind: PromptKind::AgentEmail,
                    input: String::new(),
                });
                self.info("which address do replies come from? type it once; Enter saves it");
            }
            NotSent::AddedElsewhere { added, newest } => {
                let n = added.count;
                self.team.collision = Some(added.sentence(self.now()));
                // Shown above the composer now, so the user reads them first.
                self.reload()?;
                if here {
                    self.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::SendDespiteAddedElsewhere { added: n, newest },
                    });
                } else {
                    self.error(format!(
                        "#{ticket}: not sent, {n} repl(ies) or notes were added elsewhere; the draft is kept"
                    ));
                }
            }
            NotSent::Failed(e) => self.store_error(e),
        }
        Ok(())
    }

    /// Takes the answer to a note: on failure its words go back to its composer.
    pub(super) fn note_added(
        &mut self,
        ticket: TicketId,
        body: String,
        result: Result<(), crate::store::StoreError>,
    ) {
        match result {
            Ok(()) => self.info("note added (internal: never sent to the customer)"),
            Err(e) => {
                self.give_words_back(ticket, ComposeMode::Note, body);
                self.store_error(e.into());
            }
        }
    }

    /// Words filed from the composer that did not land (a note, a transcript, call
    /// notes) go back into their ticket's composer when it is on screen and empty,
    /// with the keyboard, as a refused reply does (`give_back`): the user typing on
    /// types into them and Ctrl-S tries again — the keys must not act on the ticket
    /// (`?` help, `e` Escalate) under words that look like an open note. Else they
    /// wait in memory for that ticket to be opened again.
    fn give_words_back(&mut self, ticket: TicketId, mode: ComposeMode, body: String) {
        // A reply draft that came back when the note was filed (see `compose`)
        // steps aside again: it is in the store, the note's words are not.
        let stored_reply = self.composer.ticket == Some(ticket)
            && self.composer.mode == ComposeMode::Reply
            && self.composer.dirty_since.is_none()
            && !self.composer.held_elsewhere
            && mode != ComposeMode::Reply;
        if stored_reply && !self.composer.is_empty() {
            self.reply_aside = Some((ticket, self.composer.text()));
            self.composer = Composer {
                ticket: Some(ticket),
                seen_up_to: self.composer.seen_up_to,
                ..Composer::default()
            };
        }
        if self.composer.ticket == Some(ticket) && self.composer.is_empty() {
            self.composer.mode = mode;
            self.composer.set_text(&body);
            if self.focus == Focus::Conversation && self.popup.is_none() {
                self.focus = Focus::Composer;
            }
            self.recheck_tone();
        } else {
            self.notes.entry(ticket).or_insert((mode, body));
        }
    }

    /// Puts the words of a reply that was not sent back into ticket `id`'s composer
    /// when it is on screen and empty; otherwise they stay in the store's draft (saved
    /// before sending) and come back when the ticket is opened.
    fn give_back(&mut self, id: TicketId, body: &str, seen_up_to: Option<MessageId>) {
        if self.composer.ticket == Some(id) && self.composer.is_empty() {
            self.composer.mode = ComposeMode::Reply;
            self.composer.set_text(body);
            self.composer.seen_up_to = seen_up_to;
            self.composer.saved_here = true;
            if self.focus == Focus::Conversation && self.popup.is_none() {
                self.focus = Focus::Composer;
            }
            self.recheck_tone();
        }
    }

    /// Opens the composer for a pasted chat transcript or, with `call`, for call
    /// notes prefilled with the call-notes template.
    pub fn compose_transcript(&mut self, call: bool) -> Result<(), ConsoleError> {
        let mode = if call {
            ComposeMode::Call
        } else {
            ComposeMode::Transcript
        };
        self.compose(mode)?;
        if self.composer.mode != mode || !self.composer.is_empty() {
            return Ok(());
        }
        if call {
            let who = self
                .open
                .as_ref()
                .map(|o| o.detail.customer.name.clone())
                .unwrap_or_default();
            let timezone = crate::sla::timezone(&self.config.sla);
            let template = crate::sla::calls::call_template(&who, self.now(), timezone);
            self.composer.set_text(&template);
            self.info("log the call: fill in the template, Ctrl-S files it on the ticket");
        } else {
            self.info("paste the chat (or type it); Ctrl-S splits it into messages on this ticket");
        }
        Ok(())
    }

    /// Files the composer's transcript (split into timestamped messages, exactly
    /// as `firstline import --paste --ticket ID` does) or call notes (our contact
    /// with the customer, and the follow-up they promise, see `sla::calls`) on
    /// ticket `id`, on the runner. As for a note: the composer empties now, and a
    /// failure gives the words back to this ticket's composer.
    fn file(&mut self, id: TicketId, kind: Filing, body: String) -> Result<(), ConsoleError> {
        self.pending_info(match kind {
            Filing::Transcript => "filing the transcript…",
            Filing::Call => "logging the call…",
        });
        self.run(Command::File {
            ticket: id,
            kind,
            body,
            author: self.config.agent.display_name(),
            now: self.now(),
        })?;
        self.back_to_thread(id)
    }

    /// Takes the answer to a transcript or call notes filed from the composer.
    pub(super) fn filed(
        &mut self,
        ticket: TicketId,
        kind: Filing,
        body: String,
        result: Result<Filed, ConsoleError>,
    ) {
        let timezone = crate::sla::timezone(&self.config.sla);
        match result {
            Ok(Filed::Transcript { added }) => {
                self.info(format!("filed {added} message(s) from the transcript"))
            }
            Ok(Filed::Call(crate::sla::calls::CallFollowup::Recorded { due, .. })) => {
                self.info(format!(
                    "call logged · follow-up {} {}",
                    due.with_timezone(&timezone).format("%a %Y-%m-%d %H:%M"),
                    timezone.name()
                ))
            }
            Ok(Filed::Call(crate::sla::calls::CallFollowup::Unreadable { phrase })) => {
                self.error(format!(
                    "call logged, but '{phrase}' is not a time I can read; add the follow-up with f (tomorrow 10:00, 3h, monday)"
                ))
            }
            Ok(Filed::Call(crate::sla::calls::CallFollowup::None)) => self.info("call logged"),
            Err(e) => {
                let mode = match kind {
                    Filing::Transcript => ComposeMode::Transcript,
                    Filing::Call => ComposeMode::Call,
                };
                self.give_words_back(ticket, mode, body);
                self.store_error(e);
            }
        }
    }

    /// Opens the canned-response picker: its contents are asked of the runner
    /// ([`App::canned_read`] opens it), so a slow store never holds the keyboard.
    pub fn open_canned(&mut self) -> Result<(), ConsoleError> {
        let Some(open) = &self.open else {
            self.error("open a ticket first");
            return Ok(());
        };
        let detail = Box::new(open.detail.clone());
        self.canned_asked = Some(detail.ticket.id);
        self.pending_info(CANNED_LOADING);
        self.run(Command::Canned {
            detail: Some(detail),
        })
    }

    /// Takes the runner's canned responses: kept for `;;shortcut` and whole-letter
    /// templates, and shown in the picker if it was asked for on this ticket and the
    /// user has not gone on to something else meanwhile.
    pub(super) fn canned_read(
        &mut self,
        ticket: Option<TicketId>,
        result: Result<(Vec<CannedResponse>, Vec<i64>), crate::store::StoreError>,
    ) -> Result<(), ConsoleError> {
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.text == CANNED_LOADING)
        {
            self.message = None;
        }
        let asked = ticket.is_some() && self.canned_asked.take() == ticket;
        let expand = std::mem::take(&mut self.expand_when_read);
        if expand {
            self.awaited = self.awaited.saturating_sub(1);
        }
        let (items, suggested) = result?;
        self.canned_items = Some(items.clone());
        if expand {
            self.expand_shortcut()?;
        }
        let on_screen = self.open.as_ref().map(|o| o.detail.ticket.id);
        if !asked || on_screen != ticket || self.popup.is_some() {
            return Ok(());
        }
        let mut picker = CannedPicker {
            index: canned::RankIndex::new(&items),
            items,
            suggested,
            query: String::new(),
            ranked: Vec::new(),
            selected: 0,
        };
        self.rerank(&mut picker);
        if picker.items.is_empty() {
            self.info("no canned responses yet: add some with `firstline canned add`");
        }
        self.popup = Some(Popup::Canned(picker));
        Ok(())
    }

    /// The canned responses as last read (see [`App::canned_read`]); asked of the
    /// runner when none were read yet, and `None` until it answers.
    fn canned_known(&mut self) -> Result<Option<Vec<CannedResponse>>, ConsoleError> {
        if self.canned_items.is_none() && self.canned_asked.is_none() {
            self.run(Command::Canned { detail: None })?;
        }
        Ok(self.canned_items.clone())
    }

    /// Reranks the picker for its query, preferring the customer's language.
    pub fn rerank(&self, picker: &mut CannedPicker) {
        let (language, formality) = self.open.as_ref().map_or(
            (
                crate::model::Language::Other,
                crate::model::Formality::Unknown,
            ),
            |o| (o.detail.customer.language, o.detail.customer.formality),
        );
        picker.ranked = canned::rank_indexed(
            &picker.items,
            &picker.index,
            &picker.query,
            language,
            formality,
        );
        if picker.query.trim().is_empty() {
            let position = |i: &usize| {
                let id = picker.items[*i].id;
                picker
                    .suggested
                    .iter()
                    .position(|s| *s == id)
                    .unwrap_or(usize::MAX)
            };
            picker.ranked.sort_by_key(position);
        }
        picker.selected = picker.selected.min(picker.ranked.len().saturating_sub(1));
    }

    /// Renders a canned response for the open ticket.
    pub fn render_canned(&self, item: &CannedResponse) -> canned::Rendered {
        self.render_template(&item.body)
    }

    /// Renders template text for the open ticket.
    fn render_template(&self, body: &str) -> canned::Rendered {
        let (customer, ticket) = match &self.open {
            Some(o) => (Some(&o.detail.customer), Some(&o.detail.ticket)),
            None => (None, None),
        };
        canned::render(
            body,
            &RenderContext {
                customer,
                ticket,
                agent: &self.config.agent,
                now: self.now(),
            },
        )
    }

    /// Inserts the chosen canned response at the cursor and selects the first
    /// placeholder the user must fill (see [`canned::Rendered::first_to_type`]).
    pub fn insert_canned(&mut self, item: &CannedResponse) -> Result<(), ConsoleError> {
        if self.composer.mode == ComposeMode::Note && !self.composer.is_empty() {
            self.error("a note is open; canned responses go into replies");
            return Ok(());
        }
        self.compose(ComposeMode::Reply)?;
        if self.focus != Focus::Composer {
            // Not taken: another console is writing this draft (it asks first).
            return Ok(());
        }
        // Into an empty reply goes the whole letter (greeting, body, sign-off in the
        // response's language and register); into a started one, just the body.
        let rendered = if self.composer.is_empty() {
            let items = self.canned_known()?.unwrap_or_default();
            let whole = canned::full_template(&items, item);
            self.render_template(&whole)
        } else {
            self.render_canned(item)
        };
        self.composer.canned_id = Some(item.id);
        let ratatui_textarea::DataCursor(row, col) = self.composer.textarea.cursor();
        self.composer.textarea.insert_str(&rendered.text);
        self.composer.placeholders = rendered
            .unfilled
            .iter()
            .filter_map(|r| rendered.text.get(r.clone()).map(str::to_string))
            .collect();
        if let Some(first) = rendered.first_to_type().as_ref() {
            let prefix = rendered.text.get(..first.start).unwrap_or_default();
            let lines = prefix.matches('\n').count();
            let last = prefix
                .rsplit('\n')
                .next()
                .unwrap_or_default()
                .chars()
                .count();
            let target_col = if lines == 0 { col + last } else { last };
            let len = rendered
                .text
                .get(first.clone())
                .map_or(0, |s| s.chars().count());
            self.select_span(row + lines, target_col, len);
        }
        self.composer.canned_text = Some(self.composer.text());
        self.text_changed();
        // How many are left to fill is drawn live by the status bar, not frozen
        // into this message (it said "1 to fill" long after it was filled).
        self.info(format!(
            "inserted '{}'",
            crate::display::sanitize_line(&item.title)
        ));
        Ok(())
    }

    fn select_span(&mut self, row: usize, col: usize, len: usize) {
        let ta = &mut self.composer.textarea;
        ta.cancel_selection();
        ta.move_cursor(CursorMove::Jump(
            u16::try_from(row).unwrap_or(u16::MAX),
            u16::try_from(col).unwrap_or(u16::MAX),
        ));
        ta.start_selection();
        for _ in 0..len {
            ta.move_cursor(CursorMove::Forward);
        }
    }

    /// Selects the next unfilled placeholder after the cursor (wrapping around).
    pub fn next_placeholder(&mut self) {
        if self.composer.placeholders.is_empty() {
            self.info("no unfilled placeholders");
            return;
        }
        let lines: Vec<String> = self.composer.textarea.lines().to_vec();
        let ratatui_textarea::DataCursor(crow, ccol) = self.composer.textarea.cursor();
        let mut found: Vec<(usize, usize, usize)> = Vec::new();
        for (r, line) in lines.iter().enumerate() {
            for p in &self.composer.placeholders {
                for (byte, _) in line.match_indices(p.as_str()) {
                    let c = line[..byte].chars().count();
                    found.push((r, c, p.chars().count()));
                }
            }
        }
        found.sort();
        let next = found
            .iter()
            .find(|(r, c, _)| (*r, *c) > (crow, ccol))
            .or(found.first())
            .copied();
        match next {
            Some((r, c, len)) => self.select_span(r, c, len),
            None => {
                self.composer.placeholders.clear();
                self.info("all placeholders filled");
            }
        }
    }

    /// The tone pane's manual tick for commandment `n`.
    pub fn toggle_tick(&mut self, n: usize) {
        let Some(t) = self.tone.ticks.get_mut(n) else {
            return;
        };
        *t = !*t;
        let ticked = *t;
        let title = Commandment::ALL.get(n).map_or("", |c| c.title());
        self.info(format!(
            "{} {title}",
            if ticked { "ticked" } else { "unticked" }
        ));
    }
}

/// The action that opens (and so continues) a draft of `mode`, for hints that name
/// its key.
pub fn opening_action(mode: ComposeMode) -> crate::tui::action::Action {
    use crate::tui::action::Action;
    match mode {
        ComposeMode::Reply => Action::Reply,
        ComposeMode::Note => Action::Note,
        ComposeMode::Transcript => Action::PasteTranscript,
        ComposeMode::Call => Action::LogCall,
    }
}

/// The status line while the picker's contents are read.
const CANNED_LOADING: &str = "reading the canned responses…";
/// "1 reply", "3 replies".
fn replies(n: usize) -> String {
    format!("{n} {}", if n == 1 { "reply" } else { "replies" })
}
