//! The console's state and the operations on it. `App` owns the store: every read and
//! write the console makes happens in a method here, so `update` stays a router and
//! drawing stays a pure function of `&App`. Nothing here touches the terminal; work
//! that needs it (suspend, `$EDITOR`) is left as a [`TerminalRequest`] for the loop.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

use super::keymap::{Context, KeyMap};
use super::theme::{Theme, ThemeKind};
use super::worker::{Answer, Job};
use crate::canned::{self, RenderContext};
use crate::config::Config;
use crate::model::{
    CannedResponse, Direction, MessageId, NewMessage, Priority, Status, Ticket, TicketChange,
    TicketDetail, TicketId, TicketSummary,
};
use crate::store::{SearchQuery, SortOrder, Store, StoreError, TicketFilter, View};
use crate::tone::{Checker, Commandment, ToneContext, ToneReport};

/// How long typing must pause before the draft is written to the store.
pub const AUTOSAVE_AFTER: Duration = Duration::from_secs(1);
/// How many inbox rows are fetched around the visible ones.
const WINDOW: usize = 200;
/// Search results shown at most.
const SEARCH_LIMIT: usize = 500;
/// How often counts and clocks are refreshed while idle.
const REFRESH_EVERY: Duration = Duration::from_secs(30);

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Inbox,
    Conversation,
    Composer,
    Tone,
}

/// What the composer is writing: a reply leaves the building, a note never does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeMode {
    Reply,
    Note,
}

/// A one-line answer being typed in a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Snooze,
    Tags,
    Escalate,
    NoReply,
}

impl PromptKind {
    /// The popup's title.
    pub fn title(self) -> &'static str {
        match self {
            PromptKind::Snooze => "Snooze until (tomorrow 9:00, 3h, monday, 2026-12-01)",
            PromptKind::Tags => "Tags: +add -remove",
            PromptKind::Escalate => "Escalate — team: reason",
            PromptKind::NoReply => "No reply needed because…",
        }
    }
}

/// A short menu of values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceKind {
    Status,
    Priority,
}

impl ChoiceKind {
    /// The options, each with its hotkey.
    pub fn options(self) -> Vec<(char, String, ChoiceValue)> {
        match self {
            ChoiceKind::Status => [
                ('o', Status::Open),
                ('p', Status::Pending),
                ('h', Status::OnHold),
                ('s', Status::Solved),
                ('c', Status::Closed),
                ('n', Status::New),
                ('x', Status::Spam),
            ]
            .into_iter()
            .map(|(k, s)| (k, s.to_string(), ChoiceValue::Status(s)))
            .collect(),
            ChoiceKind::Priority => [
                ('u', Priority::Urgent),
                ('h', Priority::High),
                ('n', Priority::Normal),
                ('l', Priority::Low),
            ]
            .into_iter()
            .map(|(k, p)| (k, p.to_string(), ChoiceValue::Priority(p)))
            .collect(),
        }
    }
}

/// What a menu option sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChoiceValue {
    Status(Status),
    Priority(Priority),
}

/// What a yes/no question is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfirmKind {
    SendDespiteTone,
}

/// The canned-response picker's state.
#[derive(Debug, Clone)]
pub struct CannedPicker {
    pub items: Vec<CannedResponse>,
    pub query: String,
    pub ranked: Vec<usize>,
    pub selected: usize,
}

/// A window on top of the panes; it takes every key while open.
#[derive(Debug, Clone)]
pub enum Popup {
    Help { context: Context, scroll: usize },
    Palette { input: String, selected: usize },
    Canned(CannedPicker),
    Prompt { kind: PromptKind, input: String },
    Choice { kind: ChoiceKind, selected: usize },
    Confirm { kind: ConfirmKind },
}

/// The list on the left: which tickets, in what order, and the slice in memory.
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    pub view: View,
    pub sort: SortOrder,
    /// The search being typed or applied; `None` shows the view.
    pub search: Option<String>,
    pub search_editing: bool,
    /// Search results replace the view's rows while a search is applied.
    pub hits: Option<Vec<TicketSummary>>,
    /// Rows `window_start..window_start + rows.len()` of the view.
    pub rows: Vec<TicketSummary>,
    pub window_start: usize,
    pub total: usize,
    pub selected: usize,
    /// First visible row (drawing keeps the selection visible regardless).
    pub top: usize,
    pub marked: BTreeSet<TicketId>,
}

impl Inbox {
    /// Row `i` of the list if it is in memory.
    pub fn row(&self, i: usize) -> Option<&TicketSummary> {
        match &self.hits {
            Some(hits) => hits.get(i),
            None => i
                .checked_sub(self.window_start)
                .and_then(|j| self.rows.get(j)),
        }
    }

    /// How many rows the list has in all.
    pub fn len(&self) -> usize {
        match &self.hits {
            Some(hits) => hits.len(),
            None => self.total,
        }
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn covers(&self, from: usize, to: usize) -> bool {
        self.hits.is_some()
            || (from >= self.window_start
                && to.min(self.total) <= self.window_start + self.rows.len())
    }
}

/// The ticket shown on the right.
#[derive(Debug, Clone)]
pub struct OpenTicket {
    pub detail: TicketDetail,
    /// The customer's other tickets, newest first.
    pub history: Vec<TicketSummary>,
    pub scroll: usize,
}

/// The reply or note being written.
#[derive(Debug)]
pub struct Composer {
    pub textarea: TextArea<'static>,
    pub mode: ComposeMode,
    pub ticket: Option<TicketId>,
    /// When the text last changed without being saved.
    pub dirty_since: Option<Instant>,
    /// The text as a canned response left it, to tell "sent unmodified".
    pub canned_text: Option<String>,
    /// Placeholders the template could not fill, to jump between.
    pub placeholders: Vec<String>,
}

impl Default for Composer {
    fn default() -> Self {
        Composer {
            textarea: new_textarea(""),
            mode: ComposeMode::Reply,
            ticket: None,
            dirty_since: None,
            canned_text: None,
            placeholders: Vec::new(),
        }
    }
}

impl Composer {
    /// The whole text.
    pub fn text(&self) -> String {
        self.textarea.lines().join("\n")
    }
    /// Whether nothing has been written.
    pub fn is_empty(&self) -> bool {
        self.textarea.lines().iter().all(|l| l.is_empty())
    }
    fn set_text(&mut self, text: &str) {
        self.textarea = new_textarea(text);
        self.textarea.move_cursor(CursorMove::Bottom);
        self.textarea.move_cursor(CursorMove::End);
    }
}

fn new_textarea(text: &str) -> TextArea<'static> {
    let lines: Vec<String> = text.split('\n').map(str::to_string).collect();
    let mut ta = TextArea::new(lines);
    ta.set_wrap_mode(WrapMode::WordOrGlyph);
    ta.set_cursor_line_style(ratatui::style::Style::default());
    // Reverse video reads on dark, light and NO_COLOR terminals alike.
    ta.set_selection_style(
        ratatui::style::Style::default().add_modifier(ratatui::style::Modifier::REVERSED),
    );
    ta
}

/// The tone checklist: the machine's verdicts plus the user's own ticks.
pub struct TonePane {
    pub checker: Checker,
    pub report: ToneReport,
    /// Manual ticks for the five commandments, for what no machine can judge.
    pub ticks: [bool; 5],
    pub selected: usize,
}

/// How to take an action back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoEntry {
    /// Changes that restore the tickets as they were.
    Changes {
        label: String,
        changes: Vec<(TicketId, TicketChange)>,
    },
    /// A reply that may still be in the outbox.
    Reply {
        ticket: TicketId,
        message: MessageId,
        body: String,
    },
}

/// Work the event loop must do with the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TerminalRequest {
    Suspend,
    Editor,
}

/// The status bar's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusMessage {
    pub text: String,
    pub error: bool,
}

/// Queue-wide numbers for the tabs and the status bar.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub per_view: [i64; 6],
    pub overdue: i64,
}

/// The whole console.
pub struct App {
    pub store: Store,
    pub config: Config,
    pub keymap: KeyMap,
    pub theme: Theme,
    /// Fixed "now" for tests and screenshots; `None` is the real clock.
    pub clock: Option<DateTime<Utc>>,
    /// Terminal size, for page sizes.
    pub size: (u16, u16),
    pub focus: Focus,
    pub popup: Option<Popup>,
    pub inbox: Inbox,
    pub open: Option<OpenTicket>,
    pub composer: Composer,
    pub tone: TonePane,
    pub counts: Counts,
    pub message: Option<StatusMessage>,
    pub undo: Vec<UndoEntry>,
    pub should_quit: bool,
    pub request: Option<TerminalRequest>,
    /// Searches and counts run here when the queue is a file (see [`App::start_worker`]).
    worker: Option<super::worker::Worker>,
    /// Whether counts were asked of the worker and not answered yet.
    counts_pending: bool,
    /// Whether the queue changed while counts were being computed (ask again).
    counts_stale: bool,
    /// Generation of the newest search asked of the worker.
    search_generation: u64,
    /// Whether a search is running in the background (shown in the status bar).
    pub searching: bool,
    /// Notes written but not saved, per ticket (drafts in the store are replies only).
    notes: HashMap<TicketId, String>,
    last_refresh: Instant,
}

impl App {
    /// Builds the console on an open store: loads the default view and its first
    /// ticket. A bad `[ui.keys]` falls back to the default keys with an error shown.
    pub fn new(store: Store, config: Config) -> Result<App, StoreError> {
        App::build(store, config, false)
    }

    /// Like [`App::new`], with searches and counts on a worker thread when the
    /// queue is a file: what the real console uses.
    pub fn with_worker(store: Store, config: Config) -> Result<App, StoreError> {
        App::build(store, config, true)
    }

    fn build(store: Store, config: Config, worker: bool) -> Result<App, StoreError> {
        let (keymap, key_error) = match KeyMap::with_overrides(&config.ui.keys) {
            Ok(map) => (map, None),
            Err(e) => (KeyMap::default(), Some(e.to_string())),
        };
        let no_color = std::env::var("NO_COLOR").ok();
        let theme = Theme::new(ThemeKind::choose(
            config.ui.theme.as_deref(),
            no_color.as_deref(),
        ));
        let checker = Checker::builtin();
        let report = checker.check("", &ToneContext::default());
        let mut app = App {
            store,
            config,
            keymap,
            theme,
            clock: None,
            size: (120, 40),
            focus: Focus::Inbox,
            popup: None,
            inbox: Inbox::default(),
            open: None,
            composer: Composer::default(),
            tone: TonePane {
                checker,
                report,
                ticks: [false; 5],
                selected: 0,
            },
            counts: Counts::default(),
            message: None,
            undo: Vec::new(),
            should_quit: false,
            request: None,
            worker: None,
            counts_pending: false,
            counts_stale: false,
            search_generation: 0,
            searching: false,
            notes: HashMap::new(),
            last_refresh: Instant::now(),
        };
        if worker {
            app.start_worker();
        }
        app.reload()?;
        if let Some(e) = key_error {
            app.error(e);
        }
        Ok(app)
    }

    /// The current time (fixed in tests).
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.unwrap_or_else(Utc::now)
    }

    /// Where keys go right now.
    pub fn context(&self) -> Context {
        match &self.popup {
            Some(Popup::Help { .. }) => Context::Help,
            Some(Popup::Palette { .. }) => Context::Palette,
            Some(Popup::Canned(_)) => Context::Canned,
            Some(Popup::Prompt { .. }) => Context::Prompt,
            Some(Popup::Choice { .. }) => Context::Choice,
            Some(Popup::Confirm { .. }) => Context::Confirm,
            None if self.inbox.search_editing => Context::Search,
            None => match self.focus {
                Focus::Inbox => Context::Inbox,
                Focus::Conversation => Context::Conversation,
                Focus::Composer => Context::Composer,
                Focus::Tone => Context::Tone,
            },
        }
    }

    /// Shows an informational message in the status bar.
    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(StatusMessage {
            text: text.into(),
            error: false,
        });
    }

    /// Shows an error in the status bar.
    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(StatusMessage {
            text: text.into(),
            error: true,
        });
    }

    /// Reports a store error; a conflict also reloads so the user sees fresh data.
    pub fn store_error(&mut self, e: StoreError) {
        let conflict = matches!(e, StoreError::Conflict { .. });
        self.error(e.to_string());
        if conflict {
            if let Err(e) = self.reload() {
                self.error(e.to_string());
            } else {
                self.error("the ticket was changed elsewhere; reloaded — look and try again");
            }
        }
    }

    /// Rows that fit in the inbox list at the current size.
    pub fn page(&self) -> usize {
        usize::from(self.size.1).saturating_sub(6).max(1)
    }

    // ----- loading -------------------------------------------------------------

    fn view_filter(&self) -> TicketFilter {
        TicketFilter {
            view: Some(self.inbox.view),
            sort: self.inbox.sort,
            ..Default::default()
        }
    }

    /// Re-reads counts, the visible rows and the open ticket.
    pub fn reload(&mut self) -> Result<(), StoreError> {
        let keep = self.selected_ticket().map(|r| r.ticket.id);
        self.refresh_counts()?;
        if let Some(text) = self.inbox.search.clone() {
            self.run_search(&text)?;
        } else {
            self.inbox.total = self.store.count_tickets(&self.view_filter())?.max(0) as usize;
            self.inbox.rows.clear();
            self.inbox.window_start = 0;
        }
        self.clamp_selection()?;
        self.follow_selected(keep);
        self.load_selected(true)
    }

    /// Puts the cursor back on ticket `id` if a reload moved it (a re-sort after a
    /// priority change) and the ticket is still in the rows in memory.
    fn follow_selected(&mut self, id: Option<TicketId>) {
        let Some(id) = id else { return };
        if self.selected_ticket().map(|r| r.ticket.id) == Some(id) {
            return;
        }
        let (from, to) = match &self.inbox.hits {
            Some(h) => (0, h.len()),
            None => (
                self.inbox.window_start,
                self.inbox.window_start + self.inbox.rows.len(),
            ),
        };
        if let Some(i) = (from..to).find(|i| self.inbox.row(*i).is_some_and(|r| r.ticket.id == id))
        {
            self.inbox.selected = i;
            self.fix_top();
        }
    }

    /// Tab counts and the overdue count: asked of the worker when there is one,
    /// else computed here.
    pub fn refresh_counts(&mut self) -> Result<(), StoreError> {
        self.last_refresh = Instant::now();
        let now = self.now();
        if let Some(worker) = &self.worker {
            if self.counts_pending {
                self.counts_stale = true;
                return Ok(());
            }
            if worker.ask(Job::Counts { now }) {
                self.counts_pending = true;
                return Ok(());
            }
        }
        self.counts = compute_counts(&self.store, &self.config.sla, now)?;
        Ok(())
    }

    fn clamp_selection(&mut self) -> Result<(), StoreError> {
        let len = self.inbox.len();
        self.inbox.selected = self.inbox.selected.min(len.saturating_sub(1));
        self.fix_top();
        self.ensure_window()
    }

    fn fix_top(&mut self) {
        let page = self.page();
        let sel = self.inbox.selected;
        if sel < self.inbox.top {
            self.inbox.top = sel;
        } else if sel >= self.inbox.top + page {
            self.inbox.top = sel + 1 - page;
        }
    }

    /// Makes sure the visible rows are in memory, fetching a window around them.
    fn ensure_window(&mut self) -> Result<(), StoreError> {
        let (from, to) = (self.inbox.top, self.inbox.top + self.page());
        if self.inbox.covers(from, to) && !(self.inbox.rows.is_empty() && self.inbox.total > 0) {
            return Ok(());
        }
        let start = from.saturating_sub(WINDOW / 4);
        self.inbox.rows = self.store.list_tickets(&TicketFilter {
            limit: Some(WINDOW),
            offset: start,
            ..self.view_filter()
        })?;
        self.inbox.window_start = start;
        Ok(())
    }

    /// The ticket under the inbox cursor.
    pub fn selected_ticket(&self) -> Option<&TicketSummary> {
        self.inbox.row(self.inbox.selected)
    }

    /// Shows the selected ticket on the right. The draft of the previous one is saved
    /// first; `force` re-reads even when it is the same ticket.
    pub fn load_selected(&mut self, force: bool) -> Result<(), StoreError> {
        let id = self.selected_ticket().map(|r| r.ticket.id);
        let current = self.open.as_ref().map(|o| o.detail.ticket.id);
        if id == current && !force {
            return Ok(());
        }
        match id {
            Some(id) => self.open_ticket(id, false),
            None => {
                self.leave_ticket();
                self.open = None;
                Ok(())
            }
        }
    }

    /// Loads ticket `id` into the conversation pane; `mark_read` when the user
    /// actually opened it (not when the cursor passed over it).
    pub fn open_ticket(&mut self, id: TicketId, mark_read: bool) -> Result<(), StoreError> {
        let same = self.open.as_ref().map(|o| o.detail.ticket.id) == Some(id);
        if !same {
            self.leave_ticket();
        }
        if mark_read && self.store.ticket(id)?.unread {
            self.store
                .change_ticket(id, &TicketChange::MarkRead, None)?;
        }
        // Not `ticket_detail`: the console does not show the audit log, and reading
        // it scans the events table, which costs more than the rest on a big queue.
        let ticket = self.store.ticket(id)?;
        let detail = TicketDetail {
            customer: self.store.customer(ticket.customer_id)?,
            messages: self.store.messages(id)?,
            draft: self.store.draft(id)?,
            events: Vec::new(),
            ticket,
        };
        let history = self
            .store
            .customer_tickets(detail.customer.id)?
            .into_iter()
            .filter(|t| t.ticket.id != id)
            .collect();
        let seen = self
            .open
            .as_ref()
            .filter(|_| same)
            .map(|o| (o.scroll, o.detail.messages.len()));
        let scroll = seen.map_or(0, |(s, _)| s);
        let grew = seen.is_none_or(|(_, n)| n != detail.messages.len());
        if !same {
            self.composer = Composer {
                ticket: Some(id),
                ..Composer::default()
            };
            if let Some(note) = self.notes.remove(&id) {
                self.composer.mode = ComposeMode::Note;
                self.composer.set_text(&note);
            } else if let Some(draft) = &detail.draft {
                self.composer.set_text(&draft.body);
            }
            self.tone.ticks = [false; 5];
        }
        self.open = Some(OpenTicket {
            detail,
            history,
            scroll,
        });
        if grew {
            let (_, newest) = super::panes::conversation_scroll_limits(self);
            if let Some(open) = self.open.as_mut() {
                open.scroll = newest;
            }
        }
        self.recheck_tone();
        Ok(())
    }

    /// Saves what is being written before the ticket on the right changes.
    fn leave_ticket(&mut self) {
        if let Err(e) = self.flush_draft() {
            self.store_error(e);
        }
        if let (Some(id), ComposeMode::Note) = (self.composer.ticket, self.composer.mode) {
            if !self.composer.is_empty() {
                self.notes.insert(id, self.composer.text());
            }
        }
        if matches!(self.focus, Focus::Composer | Focus::Tone) {
            self.focus = Focus::Conversation;
        }
    }

    // ----- inbox ----------------------------------------------------------------

    /// Moves the inbox cursor to row `i` (clamped) and shows that ticket.
    pub fn select(&mut self, i: usize) -> Result<(), StoreError> {
        self.inbox.selected = i.min(self.inbox.len().saturating_sub(1));
        self.fix_top();
        self.ensure_window()?;
        self.load_selected(false)
    }

    /// Moves by `delta` rows.
    pub fn move_selection(&mut self, delta: isize) -> Result<(), StoreError> {
        let i = self.inbox.selected.saturating_add_signed(delta);
        self.select(i)
    }

    /// Switches the inbox to `view`, dropping any search.
    pub fn set_view(&mut self, view: View) -> Result<(), StoreError> {
        self.inbox.view = view;
        self.inbox.search = None;
        self.inbox.search_editing = false;
        self.inbox.hits = None;
        self.inbox.selected = 0;
        self.inbox.top = 0;
        self.reload()
    }

    /// Next sort order: due → updated → priority → due.
    pub fn cycle_sort(&mut self) -> Result<(), StoreError> {
        self.inbox.sort = match self.inbox.sort {
            SortOrder::Due => SortOrder::Updated,
            SortOrder::Updated => SortOrder::Priority,
            _ => SortOrder::Due,
        };
        self.inbox.selected = 0;
        self.inbox.top = 0;
        self.reload()?;
        self.info(format!("sorted by {}", sort_label(self.inbox.sort)));
        Ok(())
    }

    /// Runs the search as typed; an unreadable filter keeps the last results.
    pub fn run_search(&mut self, text: &str) -> Result<(), StoreError> {
        if text.trim().is_empty() {
            self.inbox.hits = None;
            self.inbox.total = self.store.count_tickets(&self.view_filter())?.max(0) as usize;
            self.inbox.rows.clear();
            return Ok(());
        }
        let query = match SearchQuery::parse(text) {
            Ok(q) => q,
            Err(e) => {
                self.error(e.to_string());
                return Ok(());
            }
        };
        match self.store.search(&query, SEARCH_LIMIT) {
            Ok(hits) => {
                self.inbox.hits = Some(hits.into_iter().map(|h| h.summary).collect());
                if matches!(&self.message, Some(m) if m.error) {
                    self.message = None;
                }
            }
            Err(StoreError::Invalid(msg)) => self.error(msg),
            Err(e) => return Err(e),
        }
        Ok(())
    }

    /// Moves searching and counting to a worker thread with its own connection,
    /// so a slow query never freezes the screen. Without it (tests, in-memory
    /// queues) they run inline.
    pub fn start_worker(&mut self) {
        if let Some(path) = self.store.path().map(std::path::Path::to_path_buf) {
            match super::worker::Worker::start(&path, self.config.sla.clone(), SEARCH_LIMIT) {
                Ok(w) => self.worker = Some(w),
                Err(e) => self.error(format!("working in the foreground: {e}")),
            }
        }
    }

    /// Takes finished background work: the newest search, fresh counts.
    pub fn poll_worker(&mut self) -> Result<(), StoreError> {
        let answers = match &self.worker {
            Some(w) => w.poll(),
            None => return Ok(()),
        };
        for answer in answers {
            match answer {
                Answer::Counts(Ok(counts)) => {
                    self.counts = counts;
                    self.counts_pending = false;
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
                        continue;
                    }
                    self.searching = false;
                    match result {
                        Ok(rows) => {
                            self.inbox.hits = Some(rows);
                            if matches!(&self.message, Some(m) if m.error) {
                                self.message = None;
                            }
                        }
                        Err(msg) => self.error(msg),
                    }
                    self.inbox.selected = 0;
                    self.inbox.top = 0;
                    self.load_selected(false)?;
                }
            }
        }
        Ok(())
    }

    /// Whether background work is running (for the status bar).
    pub fn busy(&self) -> bool {
        self.searching || self.counts_pending
    }

    /// Applies a change of the search text: new results, cursor on the best.
    pub fn search_changed(&mut self) -> Result<(), StoreError> {
        let text = self.inbox.search.clone().unwrap_or_default();
        if let Some(worker) = self.worker.as_ref().filter(|_| !text.trim().is_empty()) {
            self.search_generation += 1;
            let job = Job::Search {
                generation: self.search_generation,
                text: text.clone(),
            };
            if worker.ask(job) {
                self.searching = true;
                return Ok(());
            }
        }
        self.searching = false;
        self.run_search(&text)?;
        self.inbox.selected = 0;
        self.inbox.top = 0;
        self.ensure_window()?;
        self.load_selected(false)
    }

    /// Marks or unmarks the selected ticket for a bulk action.
    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_ticket().map(|r| r.ticket.id) {
            if !self.inbox.marked.remove(&id) {
                self.inbox.marked.insert(id);
            }
        }
    }

    // ----- changes and undo -----------------------------------------------------

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
    ) -> Result<(), StoreError> {
        let targets = self.targets();
        if targets.is_empty() {
            self.error("no ticket selected");
            return Ok(());
        }
        let mut inverses = Vec::new();
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
                Ok(after) => {
                    if let Some(inv) = inverse(&before, &after, &change) {
                        inverses.push((*id, inv));
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
            Some(e) => self.store_error(e),
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

    /// Takes back the newest undoable action.
    pub fn undo_last(&mut self) -> Result<(), StoreError> {
        let Some(entry) = self.undo.pop() else {
            self.error("nothing to undo");
            return Ok(());
        };
        match entry {
            UndoEntry::Changes { label, changes } => {
                for (id, change) in &changes {
                    self.store.change_ticket(*id, change, None)?;
                }
                self.reload()?;
                self.info(format!("undone: {label}"));
            }
            UndoEntry::Reply {
                ticket,
                message,
                body,
            } => {
                if crate::mail::cancel_reply(&mut self.store, message)? {
                    self.open_ticket(ticket, false)?;
                    self.composer.mode = ComposeMode::Reply;
                    self.composer.set_text(&body);
                    self.composer.dirty_since = Some(Instant::now());
                    self.flush_draft()?;
                    self.reload()?;
                    self.focus = Focus::Composer;
                    self.info("reply cancelled; it is back in the composer");
                } else {
                    self.error("too late to undo: the reply has already left");
                }
            }
        }
        Ok(())
    }

    /// Snoozes the targets until the time typed; an unreadable time keeps the prompt.
    pub fn snooze(&mut self, text: &str) -> Result<bool, StoreError> {
        let Some(until) = crate::sla::parse_snooze(text, self.now(), &self.config.sla) else {
            self.error(format!(
                "cannot read '{}' as a time; try tomorrow 9:00, 3h, monday, 2026-12-01",
                crate::display::sanitize_line(text)
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
    pub fn tags(&mut self, text: &str) -> Result<(), StoreError> {
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
    pub fn escalate(&mut self, text: &str) -> Result<bool, StoreError> {
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

    /// Marks the waiting message handled without an answer, with the reason on
    /// record so the "never ignore a message" ledger stays honest.
    pub fn no_reply(&mut self, reason: &str) -> Result<bool, StoreError> {
        let reason = reason.trim().to_string();
        if reason.is_empty() {
            self.error("give a reason (auto-reply, thank-you, duplicate…)");
            return Ok(false);
        }
        self.apply_change("marked no reply needed", |_| {
            TicketChange::NoReplyNeeded(reason.clone())
        })?;
        Ok(true)
    }

    // ----- composer ---------------------------------------------------------------

    /// Opens the composer on the ticket on screen, in `mode`.
    pub fn compose(&mut self, mode: ComposeMode) -> Result<(), StoreError> {
        let Some(id) = self.open.as_ref().map(|o| o.detail.ticket.id) else {
            self.error("no ticket selected");
            return Ok(());
        };
        self.open_ticket(id, true)?;
        if self.composer.mode != mode {
            if !self.composer.is_empty() {
                let what = match self.composer.mode {
                    ComposeMode::Reply => "a reply draft",
                    ComposeMode::Note => "a note",
                };
                self.error(format!("finish or clear {what} first (Ctrl-S saves it)"));
                self.focus = Focus::Composer;
                return Ok(());
            }
            self.composer.mode = mode;
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
    pub fn expand_or_tab(&mut self) -> Result<(), StoreError> {
        if !self.expand_shortcut()? && self.composer.textarea.insert_tab() {
            self.text_changed();
        }
        Ok(())
    }

    /// Expands `;;name` before the cursor. Returns whether there was one to expand.
    fn expand_shortcut(&mut self) -> Result<bool, StoreError> {
        let ratatui_textarea::DataCursor(row, col) = self.composer.textarea.cursor();
        let line = self
            .composer
            .textarea
            .lines()
            .get(row)
            .cloned()
            .unwrap_or_default();
        let before: String = line.chars().take(col).collect();
        let Some(start) = before.rfind(";;") else {
            return Ok(false);
        };
        let name = &before[start + 2..];
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Ok(false);
        }
        let items = self.store.canned_list()?;
        let Some(item) = items.iter().find(|c| {
            c.shortcut
                .as_deref()
                .is_some_and(|s| s.trim_start_matches(";;") == name)
        }) else {
            self.error(format!(
                "no canned response has the shortcut ;;{}",
                crate::display::sanitize_line(name)
            ));
            return Ok(true);
        };
        for _ in 0..name.chars().count() + 2 {
            self.composer.textarea.delete_char();
        }
        let item = item.clone();
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

    /// Replaces the whole draft (after `$EDITOR`).
    pub fn set_composer_text(&mut self, text: &str) {
        let text = text.trim_end_matches('\n');
        if text != self.composer.text() {
            self.composer.set_text(text);
            self.text_changed();
        }
    }

    /// Writes the reply draft to the store if it changed. Notes stay in memory.
    pub fn flush_draft(&mut self) -> Result<(), StoreError> {
        if self.composer.dirty_since.is_none() {
            return Ok(());
        }
        self.composer.dirty_since = None;
        if let (Some(id), ComposeMode::Reply) = (self.composer.ticket, self.composer.mode) {
            self.store.save_draft(id, &self.composer.text())?;
        }
        Ok(())
    }

    /// Periodic work: the debounced autosave, and fresh counts now and then.
    pub fn tick(&mut self, now: Instant) -> Result<(), StoreError> {
        if self
            .composer
            .dirty_since
            .is_some_and(|t| now.duration_since(t) >= AUTOSAVE_AFTER)
        {
            self.flush_draft()?;
        }
        if now.duration_since(self.last_refresh) >= REFRESH_EVERY {
            self.refresh_counts()?;
        }
        Ok(())
    }

    /// Reruns the tone checker on the draft.
    pub fn recheck_tone(&mut self) {
        let draft = self.composer.text();
        let Some(open) = &self.open else {
            self.tone.report = self.tone.checker.check("", &ToneContext::default());
            return;
        };
        let d = &open.detail;
        let customer_message = d
            .messages
            .iter()
            .rev()
            .find(|m| m.direction == Direction::Inbound)
            .map(|m| m.body.as_str());
        let notes: Vec<String> = d
            .messages
            .iter()
            .filter(|m| m.direction == Direction::Note)
            .map(|m| m.body.clone())
            .collect();
        let agent = self.config.agent.display_name();
        let unmodified = self.composer.canned_text.as_deref() == Some(draft.as_str());
        let ctx = ToneContext {
            customer_message,
            customer: Some(&d.customer),
            ticket: Some(&d.ticket),
            internal_notes: &notes,
            other_contacts: &[],
            agent_name: &agent,
            from_canned_unmodified: unmodified,
        };
        let text = match self.composer.mode {
            ComposeMode::Reply => draft.as_str(),
            ComposeMode::Note => "",
        };
        self.tone.report = self.tone.checker.check(text, &ctx);
    }

    /// Sends the reply (or saves the note). A blocking tone finding asks first
    /// unless `confirmed`.
    pub fn send(&mut self, confirmed: bool) -> Result<(), StoreError> {
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
                if !confirmed && self.tone.report.has_blocking() {
                    self.popup = Some(Popup::Confirm {
                        kind: ConfirmKind::SendDespiteTone,
                    });
                    return Ok(());
                }
                let message = crate::mail::queue_reply(&mut self.store, &self.config, id, &body)?;
                self.store.save_draft(id, "")?;
                self.undo.push(UndoEntry::Reply {
                    ticket: id,
                    message,
                    body,
                });
                self.composer = Composer {
                    ticket: Some(id),
                    ..Composer::default()
                };
                self.focus = Focus::Conversation;
                self.reload()?;
                self.open_ticket(id, false)?;
                self.info("sent · u to undo");
            }
            ComposeMode::Note => {
                self.store.add_message(
                    id,
                    &NewMessage {
                        direction: Direction::Note,
                        author: self.config.agent.display_name(),
                        body,
                        ..Default::default()
                    },
                )?;
                self.composer = Composer {
                    ticket: Some(id),
                    ..Composer::default()
                };
                self.focus = Focus::Conversation;
                self.reload()?;
                self.open_ticket(id, false)?;
                self.info("note added (only you can see it)");
            }
        }
        Ok(())
    }

    // ----- canned -----------------------------------------------------------------

    /// Opens the canned-response picker.
    pub fn open_canned(&mut self) -> Result<(), StoreError> {
        if self.open.is_none() {
            self.error("open a ticket first");
            return Ok(());
        }
        let items = self.store.canned_list()?;
        let mut picker = CannedPicker {
            items,
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

    /// Reranks the picker for its query, preferring the customer's language.
    pub fn rerank(&self, picker: &mut CannedPicker) {
        let language = self
            .open
            .as_ref()
            .map_or(crate::model::Language::Other, |o| {
                o.detail.customer.language
            });
        picker.ranked = canned::rank(&picker.items, &picker.query, language);
        picker.selected = picker.selected.min(picker.ranked.len().saturating_sub(1));
    }

    /// Renders a canned response for the open ticket.
    pub fn render_canned(&self, item: &CannedResponse) -> canned::Rendered {
        let (customer, ticket) = match &self.open {
            Some(o) => (Some(&o.detail.customer), Some(&o.detail.ticket)),
            None => (None, None),
        };
        canned::render(
            &item.body,
            &RenderContext {
                customer,
                ticket,
                agent: &self.config.agent,
                now: self.now(),
            },
        )
    }

    /// Inserts the chosen canned response at the cursor and selects the first
    /// placeholder it could not fill.
    pub fn insert_canned(&mut self, item: &CannedResponse) -> Result<(), StoreError> {
        let rendered = self.render_canned(item);
        if self.composer.mode == ComposeMode::Note && !self.composer.is_empty() {
            self.error("a note is open; canned responses go into replies");
            return Ok(());
        }
        self.compose(ComposeMode::Reply)?;
        let ratatui_textarea::DataCursor(row, col) = self.composer.textarea.cursor();
        self.composer.textarea.insert_str(&rendered.text);
        self.composer.placeholders = rendered
            .unfilled
            .iter()
            .filter_map(|r| rendered.text.get(r.clone()).map(str::to_string))
            .collect();
        if let Some(first) = rendered.unfilled.first() {
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
        self.info(format!(
            "inserted '{}'{}",
            crate::display::sanitize_line(&item.title),
            if rendered.unfilled.is_empty() {
                String::new()
            } else {
                format!(" · {} to fill · Ctrl-N next", rendered.unfilled.len())
            }
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

/// Counts every view and the overdue tickets. Overdue is found per priority by
/// binary search over the due-ordered list (overdue tickets come first within one
/// priority), so it costs a few small queries instead of reading the queue.
pub fn compute_counts(
    store: &Store,
    sla: &crate::config::SlaConfig,
    now: DateTime<Utc>,
) -> Result<Counts, StoreError> {
    let mut counts = Counts::default();
    for (i, v) in View::ALL.iter().enumerate() {
        counts.per_view[i] = store.count_tickets(&TicketFilter {
            view: Some(*v),
            ..Default::default()
        })?;
    }
    for p in Priority::ALL {
        let filter = TicketFilter {
            view: Some(View::NeedsReply),
            priority: Some(*p),
            sort: SortOrder::Due,
            ..Default::default()
        };
        let (mut lo, mut hi) = (0usize, store.count_tickets(&filter)?.max(0) as usize);
        while lo < hi {
            let mid = (lo + hi) / 2;
            let row = store.list_tickets(&TicketFilter {
                limit: Some(1),
                offset: mid,
                ..filter.clone()
            })?;
            let late = row
                .first()
                .is_some_and(|r| crate::sla::reply_due(sla, &r.ticket).is_some_and(|d| d < now));
            if late {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        counts.overdue += lo as i64;
    }
    Ok(counts)
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

/// The sort order's name in the status bar.
pub fn sort_label(sort: SortOrder) -> &'static str {
    match sort {
        SortOrder::Due => "due",
        SortOrder::Updated => "updated",
        SortOrder::Priority => "priority",
        SortOrder::Created => "created",
    }
}
