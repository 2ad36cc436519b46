//! Reading the queue into the console: counts, the inbox window, the open ticket,
//! search (on the worker, or the runner without one) and moving the cursor.

use super::super::runner::{Command, ReloadAsk, Reloaded};
use super::super::worker::{Answer, Job};
use super::*;
use crate::model::{TicketId, TicketSummary};
use crate::store::{SortOrder, TicketFilter, View};
use std::time::Instant;

impl App {
    fn view_filter(&self) -> TicketFilter {
        TicketFilter {
            view: Some(self.inbox.view),
            sort: self.inbox.sort,
            reply_targets_minutes: Some(crate::sla::reply_targets_minutes(&self.config.sla)),
            assignee: self.team_filter(),
            ..Default::default()
        }
    }

    /// Re-reads counts, the visible rows and the open ticket: asked of the runner,
    /// applied by [`App::reloaded`] when it answers (at once without a runner).
    ///
    /// Away from the list the user is reading or writing on the open ticket, so a
    /// reload (new mail, a change, an undo) keeps that ticket open even when it left
    /// the view: swapping it for whatever row is under the cursor now is how typed
    /// text ends up with the wrong customer. From the list, the cursor's row shows.
    pub fn reload(&mut self) -> Result<(), ConsoleError> {
        self.reload_keeping(None)
    }

    /// Like [`App::reload`], with the cursor going to ticket `keep` once the rows
    /// come (a view switch going back to the ticket it left).
    pub fn reload_keeping(&mut self, keep: Option<TicketId>) -> Result<(), ConsoleError> {
        self.reload_keeping_or(keep, None)
    }

    /// Like [`App::reload_keeping`], with the cursor going to `fallback` when `keep`
    /// is not in the rows (a view switch: the ticket on screen when it is in the new
    /// view, else the one the cursor left there).
    fn reload_keeping_or(
        &mut self,
        keep: Option<TicketId>,
        fallback: Option<TicketId>,
    ) -> Result<(), ConsoleError> {
        if keep.is_some() {
            self.reload_keep = keep;
            self.reload_fallback = fallback.filter(|f| keep != Some(*f));
        }
        // A ticket named to go back to is not the cursor's: no neighbours of its,
        // only the fallback named with it.
        let (keep, neighbours) = match self.reload_keep {
            Some(id) => (Some(id), self.reload_fallback.into_iter().collect()),
            None => match self.cursor_mark() {
                Some(mark) => (Some(mark.id), mark.neighbours),
                None => (None, Vec::new()),
            },
        };
        let reading = self
            .open
            .as_ref()
            .map(|o| o.detail.ticket.id)
            .filter(|_| self.focus != Focus::Inbox);
        self.refresh_counts()?;
        if let Some(text) = self.inbox.search.clone() {
            if text.trim().is_empty() {
                self.inbox.hits = None;
            } else {
                self.refresh_search_in_background(&text)?;
            }
        }
        self.list_generation += 1;
        self.window_asked = None;
        self.run(Command::Reload(Box::new(ReloadAsk {
            generation: self.list_generation,
            filter: self.view_filter(),
            searching: self.inbox.hits.is_some(),
            keep,
            neighbours,
            reading,
            top: self.inbox.top,
            page: self.page(),
            window: WINDOW,
        })))
    }

    /// Applies a reload's answer (only the newest reload's; an older one is stale).
    pub(super) fn reloaded(&mut self, r: Reloaded) -> Result<(), ConsoleError> {
        if r.generation != self.list_generation {
            return Ok(());
        }
        self.list_read = true;
        let named = self.reload_keep.take();
        let fallback = self.reload_fallback.take();
        // The ticket under the cursor now (the user may have moved since the reload
        // was asked), marked by id before the rows change under it.
        let mark = match named {
            Some(id) => Some(cursor::CursorMark {
                id,
                neighbours: fallback.into_iter().collect(),
            }),
            None => self.cursor_mark(),
        };
        self.outbox_attention = r.outbox_attention;
        self.outbox_undelivered = r.outbox_undelivered;
        self.undelivered_tickets = r.undelivered_tickets;
        self.queued_replies = r.queued;
        if self.undelivered_tickets.is_empty() && self.outbox_attention == (0, 0) {
            // Every reply the courier complained about is settled: its error goes.
            if let Some(text) = self.delivery_error.take() {
                if self.message.as_ref().is_some_and(|m| m.text == text) {
                    self.message = None;
                }
            }
        }
        let mut landing = cursor::Landing::Stayed;
        if let Some((total, start, rows)) = r.list.filter(|_| self.inbox.hits.is_none()) {
            // The user moved to a ticket this reload did not look for, and it is not
            // in the rows read: where it went is unknown, so the rows stay as they
            // are (the cursor on it) and the list is read again around it.
            let unknown = mark.as_ref().is_some_and(|m| {
                Some(m.id) != r.keep && !rows.iter().any(|row| row.ticket.id == m.id)
            });
            if unknown {
                return self.reload();
            }
            // The view's rows are in: keys typed after the switch act on them.
            self.switching_view = false;
            self.inbox.total = total;
            self.inbox.window_start = start;
            self.inbox.rows = rows;
            // The runner found where the cursor's ticket went (a big import from
            // another shell sorted ahead of it), or its neighbour when it left.
            if let Some(at) = r.keep_at.filter(|_| mark.as_ref().map(|m| m.id) == r.keep) {
                self.inbox.selected = at;
            }
            self.clamp_selection()?;
            if let Some(m) = &mark {
                landing = self.land(m);
            }
        } else {
            self.switching_view = false;
            self.clamp_selection()?;
            if let Some(m) = &mark {
                self.land(m);
            }
        }
        if named.is_none() {
            self.say_where_it_landed(landing);
        }
        self.own_departures.clear();
        let reading_now = self
            .open
            .as_ref()
            .map(|o| o.detail.ticket.id)
            .filter(|_| self.focus != Focus::Inbox);
        // Right after a reply, read from its thread: the pane goes where the cursor
        // is (the next ticket when the answered one left the view), so the ticket
        // shown and the ticket keys act on are one. Not when the user has started
        // writing again (a note on the answered ticket) or a popup is open.
        let answered = self.after_send.take();
        let follow = answered.is_some()
            && answered == reading_now
            && self.focus == Focus::Conversation
            && self.popup.is_none();
        if let Some(next) = self
            .selected_ticket()
            .map(|r| r.ticket.id)
            .filter(|_| follow)
        {
            if Some(next) != answered {
                // The answered ticket left the view and the cursor is on the next
                // one: the keyboard goes back to the list with it, so `j` moves on
                // and `d` solves the ticket shown, as after any ticket leaving the
                // view (the new-user trial's `j` scrolled the new thread instead).
                self.focus = Focus::Inbox;
            }
            return self.load_selected(false);
        }
        match (reading_now, r.reading) {
            (Some(id), Some((asked, exists))) if id == asked => {
                if exists {
                    self.show(id, false)
                } else {
                    // Merged away or deleted elsewhere: show the cursor's row instead —
                    // but a user writing on it is told, and the letters they type on
                    // do not act on the ticket that came up in its place.
                    if self.composer.ticket == Some(id)
                        && matches!(self.focus, Focus::Composer | Focus::Tone)
                    {
                        let words = self.composer.text();
                        self.ticket_went_away(id, &words);
                    }
                    self.load_selected(true)
                }
            }
            (Some(id), _) => self.show(id, false),
            (None, _) => self.load_selected(true),
        }
    }

    /// Applies rows read for the list, unless the list changed since they were asked.
    pub(super) fn window_read(
        &mut self,
        generation: u64,
        start: usize,
        rows: Vec<TicketSummary>,
    ) -> Result<(), ConsoleError> {
        if self.window_asked == Some((generation, start)) {
            self.window_asked = None;
        }
        if generation != self.list_generation || self.inbox.hits.is_some() {
            return Ok(());
        }
        // No rows where the list said there were some: it shrank since it was
        // counted (tickets solved or merged elsewhere). It ends here, then, and the
        // cursor comes back inside it, instead of asking for the same rows forever.
        if rows.is_empty() && start < self.inbox.total {
            self.inbox.total = start;
        }
        let mark = self.cursor_mark();
        self.inbox.rows = rows;
        self.inbox.window_start = start;
        self.clamp_selection()?;
        if let Some(m) = mark.filter(|m| self.row_of(m.id).is_some()) {
            // Read while the list changed: the cursor stays on its ticket.
            self.land(&m);
        }
        if self.focus == Focus::Inbox {
            self.load_selected(false)?;
        }
        Ok(())
    }

    /// Whether the cursor's row is on its way from the runner (moved past the rows
    /// in memory, or the list not read yet at start): ticket actions wait for it,
    /// like for a ticket being loaded.
    pub fn rows_pending(&self) -> bool {
        !self.list_read
            || (self.window_asked.is_some()
                && self.selected_ticket().is_none()
                && !self.inbox.is_empty())
    }

    /// Puts the cursor back on ticket `id` if a reload moved it (a re-sort after a
    /// priority change) and the ticket is still in the rows in memory.
    pub(super) fn follow_selected(&mut self, id: Option<TicketId>) {
        let Some(id) = id else { return };
        if self.selected_ticket().map(|r| r.ticket.id) == Some(id) {
            return;
        }
        if let Some(i) = self.row_of(id) {
            self.inbox.selected = i;
            self.fix_top();
        }
    }

    /// Tab counts and the overdue count: asked of the worker (of the runner when
    /// there is no worker thread); one count at a time.
    pub fn refresh_counts(&mut self) -> Result<(), ConsoleError> {
        self.last_refresh = Instant::now();
        let now = self.now();
        if self.counts_pending {
            self.counts_stale = true;
            return Ok(());
        }
        self.counts_pending = true;
        self.ask_worker(Job::Counts { now })
    }

    /// Hands `job` to the worker thread, or (none, or it has stopped) to the
    /// runner, which does the same work; the answer comes to [`App::worker_answer`]
    /// either way.
    fn ask_worker(&mut self, job: Job) -> Result<(), ConsoleError> {
        if let Some(worker) = &self.worker {
            if worker.ask(job.clone()) {
                return Ok(());
            }
        }
        self.run_unseen(Command::Worker(job))
    }

    fn clamp_selection(&mut self) -> Result<(), ConsoleError> {
        let len = self.inbox.len();
        self.inbox.selected = self.inbox.selected.min(len.saturating_sub(1));
        self.fix_top();
        self.ensure_window()
    }

    pub(super) fn fix_top(&mut self) {
        let page = self.page();
        let sel = self.inbox.selected;
        if sel < self.inbox.top {
            self.inbox.top = sel;
        } else if sel >= self.inbox.top + page {
            self.inbox.top = sel + 1 - page;
        }
    }

    /// Makes sure the visible rows are in memory, fetching a window around them.
    fn ensure_window(&mut self) -> Result<(), ConsoleError> {
        let (from, to) = (self.inbox.top, self.inbox.top + self.page());
        if self.inbox.covers(from, to) && !(self.inbox.rows.is_empty() && self.inbox.total > 0) {
            return Ok(());
        }
        let start = from.saturating_sub(WINDOW / 4);
        let generation = self.list_generation;
        if self.window_asked == Some((generation, start)) {
            return Ok(());
        }
        self.window_asked = Some((generation, start));
        self.run(Command::Window {
            generation,
            filter: Box::new(TicketFilter {
                limit: Some(WINDOW),
                offset: start,
                ..self.view_filter()
            }),
            start,
        })
    }

    /// The ticket under the inbox cursor.
    pub fn selected_ticket(&self) -> Option<&TicketSummary> {
        self.inbox.row(self.inbox.selected)
    }

    /// Shows the selected ticket on the right. The draft of the previous one is saved
    /// first; `force` re-reads even when it is the same ticket.
    pub fn load_selected(&mut self, force: bool) -> Result<(), ConsoleError> {
        let id = self.selected_ticket().map(|r| r.ticket.id);
        let current = self.open.as_ref().map(|o| o.detail.ticket.id);
        if id == current && !force {
            return Ok(());
        }
        match id {
            Some(id) => self.show(id, false),
            None => {
                self.asked = None;
                self.leave_ticket();
                self.open = None;
                Ok(())
            }
        }
    }

    /// Saves what is being written before the ticket on the right changes.
    pub(super) fn leave_ticket(&mut self) {
        if let Err(e) = self.flush_draft().and_then(|()| self.release_draft()) {
            self.store_error(e);
        }
        let unsaved_reply = self.unsaved_held_words();
        if let (Some(id), ComposeMode::Note | ComposeMode::Transcript | ComposeMode::Call, _)
        | (Some(id), ComposeMode::Reply, true) =
            (self.composer.ticket, self.composer.mode, unsaved_reply)
        {
            if !self.composer.is_empty() {
                self.notes
                    .insert(id, (self.composer.mode, self.composer.text()));
            }
        }
        if matches!(self.focus, Focus::Composer | Focus::Tone) {
            self.focus = Focus::Conversation;
        }
    }

    /// Moves the inbox cursor to row `i` (clamped) and shows that ticket.
    pub fn select(&mut self, i: usize) -> Result<(), ConsoleError> {
        self.inbox.selected = i.min(self.inbox.len().saturating_sub(1));
        self.fix_top();
        self.ensure_window()?;
        self.load_selected(false)
    }

    /// Moves by `delta` rows.
    pub fn move_selection(&mut self, delta: isize) -> Result<(), ConsoleError> {
        let i = self.inbox.selected.saturating_add_signed(delta);
        self.select(i)
    }

    /// Switches the inbox to `view`, dropping any search.
    ///
    /// The cursor stays on the ticket on screen when it is in the new view (a
    /// new-user trial's `1 g 2` put it back on the ticket last selected in All,
    /// though the one on screen was there too); only when it is not does it go back
    /// to the ticket it left in that view. Keys typed before the rows come wait for
    /// them (see `update::waits_for_the_load`).
    pub fn set_view(&mut self, view: View) -> Result<(), ConsoleError> {
        let leaving = self.inbox.view;
        let current = self.selected_ticket().map(|r| r.ticket.id);
        self.inbox.last_selected.retain(|(v, _)| *v != leaving);
        if let Some(id) = current {
            self.inbox.last_selected.push((leaving, id));
        }
        let remembered = self
            .inbox
            .last_selected
            .iter()
            .find(|(v, _)| *v == view)
            .map(|(_, id)| *id);
        let (back_to, fallback) = match current {
            Some(id) => (Some(id), remembered),
            None => (remembered, None),
        };
        self.inbox.view = view;
        self.inbox.search = None;
        self.inbox.search_editing = false;
        self.inbox.search_selected = false;
        self.inbox.hits = None;
        self.inbox.selected = 0;
        self.inbox.top = 0;
        // A view is a list: the keyboard goes to it, and the ticket on the right is
        // the one under the cursor. (Reloading from the thread kept the ticket read
        // there on screen while the cursor sat on another, so `d` solved a ticket
        // that was not the one shown.)
        if matches!(
            self.focus,
            Focus::Conversation | Focus::Composer | Focus::Tone
        ) {
            self.focus = Focus::Inbox;
        }
        // The old view's rows are not this view's: "…" until the runner answers.
        self.inbox.rows.clear();
        self.switching_view = true;
        self.reload_keeping_or(back_to, fallback)
    }

    /// Whether the rows the keys act on are about to be replaced: a view switch's
    /// rows on their way, or the reload after a send that moves the cursor (and the
    /// pane) to the next ticket. Every key waits for them: `2 j d` or `Ctrl-S d`
    /// typed in one burst act as they would typed slowly, on the ticket then shown.
    pub fn rows_replaced_pending(&self) -> bool {
        self.switching_view || self.after_send.is_some()
    }

    /// Next sort order: due → updated → priority → due.
    pub fn cycle_sort(&mut self) -> Result<(), ConsoleError> {
        self.inbox.sort = match self.inbox.sort {
            SortOrder::Due => SortOrder::Updated,
            SortOrder::Updated => SortOrder::Priority,
            _ => SortOrder::Due,
        };
        // The cursor's ticket, read before the cursor goes to the top: it is where
        // the cursor stays once the rows come in their new order.
        let keep = self.selected_ticket().map(|r| r.ticket.id);
        self.inbox.selected = 0;
        self.inbox.top = 0;
        self.inbox.rows.clear();
        self.reload_keeping(keep)?;
        self.info(format!("sorted by {}", sort_label(self.inbox.sort)));
        Ok(())
    }

    /// Moves searching and counting to a worker thread with its own connection,
    /// so a slow query never freezes the screen; its answers go to `answers` and
    /// come back through [`App::worker_answer`]. Without it (tests, in-memory
    /// queues) the runner does the same jobs.
    pub fn start_worker(&mut self, answers: impl Fn(Answer) -> bool + Send + 'static) {
        if let Some(at) = &self.location {
            match crate::tui::worker::Worker::start(
                at,
                self.config.sla.clone(),
                crate::tui::worker::SEARCH_LIMIT,
                answers,
            ) {
                Ok(w) => self.worker = Some(w),
                Err(e) => self.error(format!("working in the foreground: {e}")),
            }
        }
    }

    /// Takes one piece of finished background work: the newest search, fresh counts.
    pub fn worker_answer(&mut self, answer: Answer) -> Result<(), ConsoleError> {
        match answer {
            Answer::Counts(Ok(counts)) => {
                self.counts = counts;
                self.counts_pending = false;
                self.refresh_open_followup()?;
                if std::mem::take(&mut self.counts_stale) {
                    self.refresh_counts()?;
                }
            }
            Answer::Counts(Err(msg)) => {
                self.counts_pending = false;
                self.error(msg);
            }
            Answer::Search { generation, result } => {
                if generation != self.search_generation || self.inbox.search.is_none() {
                    return Ok(());
                }
                self.searching = false;
                let mark = self.cursor_mark();
                match result {
                    Ok(rows) => {
                        self.inbox.hits = Some(rows);
                        if matches!(&self.message, Some(m) if m.error) {
                            self.message = None;
                        }
                    }
                    Err(msg) => self.error(msg),
                }
                if self.search_refresh.take() == Some(generation) {
                    self.clamp_selection()?;
                    if let Some(m) = &mark {
                        self.land(m);
                    }
                    // Away from the list the open ticket stays, as in `reload`.
                    if self.focus == Focus::Inbox {
                        self.load_selected(false)?;
                    }
                } else {
                    self.inbox.selected = 0;
                    self.inbox.top = 0;
                    self.load_selected(false)?;
                }
            }
        }
        Ok(())
    }

    /// Whether a search was applied (Enter) and its rows have not come yet: the
    /// list still shows the view's rows, which the answer replaces.
    pub fn search_pending(&self) -> bool {
        self.searching && !self.inbox.search_editing && self.inbox.search.is_some()
    }

    /// Whether the queue's counts have not come yet (the first frame is drawn
    /// before they are read): the tabs and the status bar say so instead of
    /// showing zeros. A queue really empty shows "…" only while it is re-counted.
    pub fn counts_unknown(&self) -> bool {
        self.counts_pending && self.counts == Counts::default()
    }

    /// Whether background work is running (for the status bar).
    pub fn busy(&self) -> bool {
        self.searching || self.counts_pending
    }

    /// Re-runs the applied search in the background after a reload (a change here
    /// or elsewhere), keeping the rows shown until the answer: a busy import in
    /// another shell must not put a full-text search on the UI thread at every
    /// commit.
    fn refresh_search_in_background(&mut self, text: &str) -> Result<(), ConsoleError> {
        self.search_generation += 1;
        self.search_refresh = Some(self.search_generation);
        let job = Job::Search {
            generation: self.search_generation,
            text: text.to_string(),
            now: self.now(),
        };
        self.ask_worker(job)
    }

    /// Applies a change of the search text: new results, cursor on the best (when
    /// the answer comes, see [`App::worker_answer`]).
    pub fn search_changed(&mut self) -> Result<(), ConsoleError> {
        let text = self.inbox.search.clone().unwrap_or_default();
        if text.trim().is_empty() {
            self.searching = false;
            self.inbox.hits = None;
            self.reload()?;
            self.inbox.selected = 0;
            self.inbox.top = 0;
            self.ensure_window()?;
            return self.load_selected(false);
        }
        self.search_generation += 1;
        self.searching = true;
        let job = Job::Search {
            generation: self.search_generation,
            text,
            now: self.now(),
        };
        self.ask_worker(job)
    }

    /// Marks or unmarks the selected ticket for a bulk action.
    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_ticket().map(|r| r.ticket.id) {
            if !self.inbox.marked.remove(&id) {
                self.inbox.marked.insert(id);
            }
        }
    }
}
