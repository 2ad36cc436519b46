//! The console's state and the operations on it. `App` holds no store: every read
//! and write of the queue is asked of the runner (`commands.rs`, `tui/runner.rs`)
//! and applied when its answer comes. `update` stays a router and
//! drawing stays a pure function of `&App`. Nothing here touches the terminal; work
//! that needs it (suspend, `$EDITOR`) is left as a [`TerminalRequest`] for the loop.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ratatui_textarea::{CursorMove, TextArea, WrapMode};

mod changes;
mod channel;
mod commands;
mod compose;
mod cursor;
mod drafts;
mod elsewhere;
mod followups;
mod queue;
mod report;
mod team;
mod warm;

pub use super::action::TeamView;
pub use crate::sla::counts::{compute_counts, scan_then_count, Counts};
pub use compose::opening_action;
pub use report::ReportScreen;
pub use team::Team;

pub use super::error::ConsoleError;
use super::keymap::{Context, KeyMap};
use super::theme::{Theme, ThemeKind};
use crate::config::Config;
use crate::model::{
    CannedResponse, MessageId, Priority, Status, TicketDetail, TicketId, TicketSummary,
};
use crate::store::{SortOrder, Store, StoreError, View};
use crate::tone::{Checker, ToneReport};

/// How long typing must pause before the draft is written to the store.
pub const AUTOSAVE_AFTER: Duration = Duration::from_secs(1);
/// How many inbox rows are fetched around the visible ones.
const WINDOW: usize = 200;
/// How often counts and clocks are refreshed while idle.
const REFRESH_EVERY: Duration = Duration::from_secs(30);
/// How long a status line stays once shown (see [`App::expire_message`]).
pub const MESSAGE_STAYS: Duration = Duration::from_secs(8);
/// How often the screen's clocks (countdowns, "2 min ago") are redrawn while idle.
const CLOCK_EVERY: Duration = Duration::from_secs(1);

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Inbox,
    Conversation,
    Composer,
    Tone,
}

/// What the composer is writing: a reply leaves the building, a note never does, a
/// transcript (a pasted chat) becomes the conversation's messages, and call notes are
/// our contact with the customer (answering them) plus the follow-up they promise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComposeMode {
    Reply,
    Note,
    Transcript,
    Call,
}

/// A one-line answer being typed in a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromptKind {
    Snooze,
    Tags,
    Escalate,
    NoReply,
    Merge,
    SaveAttachments,
    Followup,
    /// The name replies are signed with, asked once on the first send without one.
    AgentName,
    /// The address replies go out from, asked once when config names none.
    AgentEmail,
}

impl PromptKind {
    /// The popup's title.
    pub fn title(self) -> &'static str {
        match self {
            PromptKind::Snooze => "Snooze until (15:00, 3h, in 2 hours, next week)",
            PromptKind::Tags => "Tags: +add -remove",
            PromptKind::Escalate => "Escalate — team: reason",
            PromptKind::NoReply => "No reply needed because…",
            PromptKind::Merge => "Merge into ticket # (this thread moves there)",
            PromptKind::SaveAttachments => "Save attachments into folder",
            PromptKind::Followup => "Follow up when? (3h, tomorrow 10:00, fri) and a note",
            PromptKind::AgentName => "Your name, as customers will see it (saved to config.toml)",
            PromptKind::AgentEmail => "Address replies come from (saved to config.toml)",
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
    /// Ticket `0` was solved, but its customer last heard "still working on it".
    TellSolved(TicketId),
    /// Quit while `0` replies still wait in the outbox: send now, keep, or take back.
    QuitWithQueued(usize),
    /// `0` replies or notes were added to the ticket (in another console, by a CLI)
    /// since the composer was opened: send this reply as well? `newest` is the
    /// newest message the refusal found, counted as read once the user says yes.
    SendDespiteAddedElsewhere {
        added: usize,
        newest: MessageId,
    },
    /// Merge the targets into ticket `into` (a merge cannot be undone); `across`
    /// when it belongs to another customer.
    Merge {
        into: TicketId,
        across: bool,
    },
    /// The reply draft on screen is being written in another console: take it over?
    TakeOverDraft,
    /// `T` on tickets a teammate has: take them anyway? (the sentence is in
    /// `App::team.take_question`).
    TakeFromTeammate,
}

/// The canned-response picker's state.
#[derive(Debug, Clone)]
pub struct CannedPicker {
    pub items: Vec<CannedResponse>,
    /// `items`' text prepared for the matcher once, not on every keystroke.
    pub index: crate::canned::RankIndex,
    /// Ids of the responses that fit the customer's latest message, best first; shown
    /// on top while the query is empty.
    pub suggested: Vec<i64>,
    pub query: String,
    pub ranked: Vec<usize>,
    pub selected: usize,
}

/// A window on top of the panes; it takes every key while open.
#[derive(Debug, Clone)]
pub enum Popup {
    Help {
        context: Context,
        scroll: usize,
    },
    /// The palette keeps the actions its input matches, worked out when the input
    /// changes, not on every frame.
    Palette {
        input: String,
        selected: usize,
        matches: Vec<super::action::Action>,
    },
    Canned(CannedPicker),
    Prompt {
        kind: PromptKind,
        input: String,
    },
    Choice {
        kind: ChoiceKind,
        selected: usize,
    },
    Confirm {
        kind: ConfirmKind,
    },
    Report(Box<ReportScreen>),
}

/// The list on the left: which tickets, in what order, and the slice in memory.
#[derive(Debug, Clone, Default)]
pub struct Inbox {
    pub view: View,
    pub sort: SortOrder,
    /// The search being typed or applied; `None` shows the view.
    pub search: Option<String>,
    pub search_editing: bool,
    /// `/` reopened an applied search: its query is selected, so typing starts a
    /// new one (as in a browser's address bar) and an arrow key edits the old one.
    pub search_selected: bool,
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
    /// The ticket last under the cursor in each view left, so coming back to a view
    /// lands on the same ticket (by id), not on whatever row now has its index.
    pub last_selected: Vec<(View, TicketId)>,
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
    /// The open follow-up the ticket waits on (a promise or a manual one), if no
    /// later reply has settled it.
    pub followup: Option<crate::store::Followup>,
    /// Replies in this thread the outbox has not delivered: the thread marks them so
    /// none passes for an answer the customer has.
    pub undelivered: Vec<crate::store::OutboxEntry>,
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
    /// The canned response the reply came from, for usage statistics and suggestions.
    pub canned_id: Option<i64>,
    /// Placeholders the template could not fill, to jump between.
    pub placeholders: Vec<String>,
    /// The newest message of the ticket when the composer was opened: a reply or
    /// note newer than this was written elsewhere meanwhile, and sending asks first.
    pub seen_up_to: Option<MessageId>,
    /// Whether this console holds the reply draft (wrote it to the store, which
    /// names it the draft's writer): a draft it only loaded is nobody's or another
    /// console's, and follows the store when that one changes it.
    pub saved_here: bool,
    /// Whether another running console is writing this reply draft: it is shown
    /// here, but typing into it (or sending it) first asks to take it over, so one
    /// customer never gets the same words from two consoles.
    pub held_elsewhere: bool,
}

impl Default for Composer {
    fn default() -> Self {
        Composer {
            textarea: new_textarea(""),
            mode: ComposeMode::Reply,
            ticket: None,
            dirty_since: None,
            canned_text: None,
            canned_id: None,
            placeholders: Vec::new(),
            seen_up_to: None,
            saved_here: false,
            held_elsewhere: false,
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
    ta.set_selection_style(SELECTION_STYLE);
    ta
}

/// How the composer shows selected text (a placeholder to fill): reverse video
/// reads on dark, light and NO_COLOR terminals alike. The composer pane draws the
/// draft itself, so it reads the style here rather than from the editor.
pub(crate) const SELECTION_STYLE: ratatui::style::Style =
    ratatui::style::Style::new().add_modifier(ratatui::style::Modifier::REVERSED);

/// The tone checklist: the machine's verdicts plus the user's own ticks.
pub struct TonePane {
    pub checker: Checker,
    pub report: ToneReport,
    /// Manual ticks for the five commandments, for what no machine can judge.
    pub ticks: [bool; 5],
    pub selected: usize,
    /// Rows the findings list is scrolled by (drawing clamps it).
    pub scroll: usize,
}

/// How to take an action back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UndoEntry {
    /// Change number `seq`, asked of the runner: the runner keeps its inverses
    /// (each with the versions the ticket had before and right after the change)
    /// and refuses the undo if a ticket moved on since (another window, the CLI),
    /// so it never overwrites a newer change.
    Changes { label: String, seq: u64 },
    /// A merge: it sits on the stack so `u` right after it says it cannot be
    /// taken back, instead of silently undoing an older change.
    Merged { into: TicketId },
    /// A reply that may still be in the outbox.
    Reply {
        ticket: TicketId,
        message: MessageId,
        body: String,
        /// Whom it goes to, for the countdown in the status bar.
        to: String,
        /// When its undo window ends and the courier may hand it over.
        until: DateTime<Utc>,
    },
    /// A reply recorded at once (no e-mail address). It sits on the stack so `u`
    /// right after it says so, instead of silently undoing an older change.
    Recorded { to: String },
    /// Something written that cannot be taken back (a note, a follow-up, a change
    /// with no inverse): `u` right after it says so, naming it, instead of reaching
    /// past it to an older change — maybe on another ticket.
    Final { what: String },
    /// A reply that left the outbox elsewhere (delivered by another console's or
    /// `outbox flush`'s courier, taken back elsewhere): `u` right after says so —
    /// "the reply to X was already delivered" — instead of reaching past it to an
    /// older change (a discarded note came back instead).
    Settled { what: String },
    /// A draft thrown away with the discard key: its text comes back into the
    /// composer of its ticket.
    Draft {
        ticket: TicketId,
        mode: ComposeMode,
        body: String,
    },
}

pub use super::runner::UndoChange;

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

/// Why letters are refused (see [`App::typing_guard`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypingGuard {
    /// Another console took the draft the user was typing into.
    DraftTakenElsewhere,
    /// The composer did not open or its ticket went away ("#11 is gone").
    Failed(String),
    /// `n` (or `r`) was refused because another draft waits on the ticket: the
    /// words the user goes on typing are a note, never commands (`d` solved the
    /// ticket, `e` opened Escalate). Every letter is refused until Esc; the key that
    /// opens the waiting draft is named (`r`).
    Refused {
        /// "a reply draft", "a note"…
        what: &'static str,
        /// The key that opens the waiting draft.
        key: String,
    },
}

/// The whole console. It holds no `Store`: every read and write of the queue is
/// a [`super::runner::Command`] answered by a message (see `commands.rs`), so the
/// compiler proves the UI thread never waits on the queue. What it knows of the
/// queue itself are plain values copied at start (`location`, `holder`).
pub struct App {
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
    /// The question a merge waits on (`ConfirmKind::Merge`),
    /// naming both customers; kept here because `ConfirmKind` is `Copy`.
    pub merge_question: Option<String>,
    /// Replies in the outbox that need the user: (in doubt after an interrupted
    /// delivery, given up on after repeated failures).
    pub outbox_attention: (i64, i64),
    /// Replies not delivered yet: (failing, retried with backoff; saved as `.eml`
    /// because no transport is set).
    pub outbox_undelivered: (i64, i64),
    /// Tickets whose reply has not been delivered: their inbox rows say so.
    pub undelivered_tickets: std::collections::BTreeSet<TicketId>,
    /// The courier's error on screen, if any: it goes once no reply is left
    /// undelivered (delivered, marked sent or taken back).
    pub delivery_error: Option<String>,
    /// Each live mailbox's state for the status bar (`tui::mailboxes`).
    pub mailboxes: Vec<crate::tui::mailboxes::MailboxStatus>,
    /// The Telegram bot channel, when one is set up: the status bar says whether it
    /// is live, failing, or has not been read for long enough to lose messages.
    pub telegram: Option<super::telegram::ChannelView>,
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
    /// Generation of a search re-run by a reload (not typed): its answer keeps the
    /// cursor on the same ticket instead of jumping to the best match.
    search_refresh: Option<u64>,
    /// Commands for the runner, taken by `update` (see `tui/runner.rs`).
    commands: Vec<super::runner::Command>,
    /// The ticket last asked of the runner and how many of its loads are still
    /// out: answers for any other ticket are stale and dropped. While it differs
    /// from the ticket on screen, the conversation pane says "loading…".
    asked: Option<(TicketId, usize)>,
    /// Keys typed after a ticket action while the cursor's ticket was still loading
    /// (`G` then `r` in one breath): kept in order and replayed once it shows, instead
    /// of refusing the action while the keys after it go on to act.
    pub deferred: Vec<ratatui::crossterm::event::KeyEvent>,
    /// Set when the keyboard left the composer (or never reached it) while the user
    /// was typing: the letters still coming are words, not commands (a capital X
    /// would mark the ticket spam). Until Esc or a key that is not a letter, letters
    /// are refused with a word in the status bar.
    pub typing_guard: Option<TypingGuard>,
    /// Words typed on a ticket that went away meanwhile (merged or deleted in another
    /// console) before they were saved: printed when the console ends.
    pub orphaned_words: Vec<(TicketId, String)>,
    /// Lines for the shell once the console has ended: what became of the replies the
    /// quit question asked about when it did not wait for an answer.
    pub farewell: Vec<String>,
    /// Replies handed to the runner and not answered yet: `u` waits for them.
    pub sending: usize,
    /// Answers every key waits for: a reply the console writes itself (`W`, "tell
    /// them it is solved"), a discarded draft's ticket (`u`), the canned responses
    /// a `;;shortcut` expands from.
    pub awaited: usize,
    /// Tab on a `;;shortcut` before the canned responses were read: it expands
    /// when they come (see `App::canned_read`).
    expand_when_read: bool,
    /// A discarded draft being put back (`u`) on a ticket still loading: its
    /// ticket, mode and words (see `App::restore_draft`).
    restoring: Option<(TicketId, ComposeMode, String)>,
    /// The ticket on screen when `u` brought back a draft discarded on another one:
    /// the restored line names both (see `App::restore_draft`).
    restored_from: Option<TicketId>,
    /// A reply draft set aside (saved, untouched) while a note is written beside
    /// it: its ticket and words, put back into the composer once the note is filed
    /// or discarded (see `App::compose`).
    reply_aside: Option<(TicketId, String)>,
    /// The queued replies the quit question is about (see `App::quit`).
    quit_replies: Vec<MessageId>,
    /// The replies waiting in the outbox and when each may leave, as the last
    /// reload read them (see `App::quit`).
    queued_replies: Vec<(MessageId, DateTime<Utc>)>,
    /// Draft writes handed to the runner and not answered yet.
    draft_saves: usize,
    /// Commands handed to the runner and not answered yet.
    pub in_flight: usize,
    /// The number of the newest change asked for (its undo entry names it).
    next_seq: u64,
    /// The newest reload asked for: older answers are dropped.
    list_generation: u64,
    /// Whether the list has been read once: until then (the first moments after
    /// start) ticket actions wait for it, as for rows on their way.
    list_read: bool,
    /// The rows asked of the runner (generation, first row), until they come.
    window_asked: Option<(u64, usize)>,
    /// The ticket a reload in flight must keep the cursor on, when it was named
    /// (a view switch going back to its ticket); else the cursor's row when the
    /// answer comes.
    reload_keep: Option<TicketId>,
    /// Where the cursor goes when `reload_keep` is not in the rows: a view switch
    /// keeps the ticket on screen, else goes back to the one it left in that view.
    reload_fallback: Option<TicketId>,
    /// A view switch asked for its rows and they have not come: every key waits
    /// for them (see `App::rows_replaced_pending`), as typed, never dropped.
    switching_view: bool,
    /// Tickets the user's own commands may have taken out of the view since the
    /// last reload was applied: the cursor leaving one is no surprise (`cursor.rs`).
    own_departures: BTreeSet<TicketId>,
    /// The ticket a reply was just sent on: when the reload after it comes, the
    /// pane follows the list's cursor instead of keeping that ticket (see `send`).
    after_send: Option<TicketId>,
    /// When the status line was first drawn as it is now (see [`App::expire_message`]).
    message_since: Option<(String, Instant)>,
    /// The report period asked of the runner, until the report comes.
    pub report_asked: Option<u32>,
    /// Notes written but not saved, per ticket (drafts in the store are replies only).
    notes: HashMap<TicketId, (ComposeMode, String)>,
    last_refresh: Instant,
    /// Looks for changes made elsewhere asked of the runner and not answered yet
    /// (see `elsewhere.rs`), and when the last was asked.
    looks_out: usize,
    /// A draft is kept on this machine because the queue did not answer (see
    /// `tui::spool`): every "does not answer" line says so until it is back.
    drafts_kept: bool,
    last_change_check: Instant,
    /// Team mode: presence, the Mine/Unassigned views (`team.rs`).
    pub team: Team,
    /// The canned responses as the runner last read them (`;;shortcut`, whole-letter
    /// templates), and the ticket whose picker was asked for and not shown yet.
    canned_items: Option<Vec<CannedResponse>>,
    canned_asked: Option<TicketId>,
    /// The name this console's drafts carry in the store (see `store::drafts`), the
    /// runner's too: kept here so telling "another console holds it" reads no store.
    pub holder: Option<String>,
    /// Where the queue is, copied at start (a plain value, no connection): the
    /// worker opens its own connection there, and a server means team mode.
    pub location: Option<crate::store::Location>,
    /// Whether the queue keeps attachment files (copied at start): saving them is
    /// refused at once on a queue that keeps none.
    keeps_attachments: bool,
    /// With no mail transport set (no `mail.sendmail`, no `mail.smtp_server`), the
    /// folder replies are only saved in as `.eml` files for the user to send
    /// (copied at start): what quitting says instead of "they leave".
    pub replies_saved_to: Option<String>,
    /// The tone checker's warm-up, started when the first ticket is shown
    /// (`warm.rs`): the first letter of a reply does not pay for it.
    warm: warm::WarmUp,
    /// How many courier reports came: a look asked before the latest one does not
    /// announce again what the report said.
    deliveries: u64,
}

impl App {
    /// Whether the queue is shared on a server (team mode): there a teammate's
    /// console delivers what this one keeps queued, and the words say so.
    pub fn queue_is_shared(&self) -> bool {
        matches!(self.location, Some(crate::store::Location::Server(_)))
    }

    /// The ticket the conversation pane is for: the one being loaded, else the one
    /// shown. Ticket actions act on it while the keyboard is away from the list.
    pub fn pane_ticket(&self) -> Option<TicketId> {
        self.asked
            .map(|(id, _)| id)
            .or_else(|| self.open.as_ref().map(|o| o.detail.ticket.id))
    }

    /// Whether the list's cursor row is the ticket actions would hit. Not so after the
    /// open ticket left the view (solved, snoozed, answered from the thread): the row
    /// that took its place is under the cursor, but the pane still shows the old
    /// ticket, and the new-user trial pressed `d` on the one and hit the other.
    pub fn cursor_is_the_pane(&self) -> bool {
        self.focus == Focus::Inbox
            || self.pane_ticket().is_none()
            || self.selected_ticket().map(|r| r.ticket.id) == self.pane_ticket()
    }

    /// Builds the console for the queue `store` opens, without keeping it: the
    /// draft-holder name is given to `store` (drafts this console writes carry it,
    /// so another console on the same queue can tell they are being written, see
    /// `store::drafts`) and the queue's plain facts are copied. The first look and
    /// load of the default view are queued as commands: the caller hands them to
    /// the runner (`tui::run`) or runs them (`tui::inline`). A bad `[ui.keys]`
    /// falls back to the default keys with an error shown.
    pub fn new(store: &mut Store, config: Config) -> Result<App, ConsoleError> {
        let holder = crate::store::new_holder_id();
        store.set_draft_holder(Some(holder.clone()));
        let location = store.location();
        let keeps_attachments = store.blobs(crate::store::Bucket::Attachments).is_some();
        let replies_saved_to =
            crate::mail::Transport::saved_to(&config, store.blobs(crate::store::Bucket::Outbox));
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
        // No draft yet: an empty report, without making the checker compile its word
        // lists on the UI thread before the first frame (a warm-up thread does that
        // when the first ticket is shown, see `warm.rs`).
        let report = ToneReport {
            findings: Vec::new(),
            language: crate::model::Language::Other,
            formality: crate::model::Formality::Unknown,
        };
        let mut app = App {
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
                scroll: 0,
            },
            counts: Counts::default(),
            message: None,
            undo: Vec::new(),
            merge_question: None,
            outbox_attention: (0, 0),
            outbox_undelivered: (0, 0),
            undelivered_tickets: Default::default(),
            delivery_error: None,
            mailboxes: Vec::new(),
            telegram: None,
            should_quit: false,
            request: None,
            worker: None,
            counts_pending: false,
            counts_stale: false,
            search_generation: 0,
            searching: false,
            search_refresh: None,
            commands: Vec::new(),
            asked: None,
            deferred: Vec::new(),
            typing_guard: None,
            orphaned_words: Vec::new(),
            farewell: Vec::new(),
            report_asked: None,
            in_flight: 0,
            draft_saves: 0,
            sending: 0,
            awaited: 0,
            quit_replies: Vec::new(),
            restoring: None,
            restored_from: None,
            reply_aside: None,
            expand_when_read: false,
            queued_replies: Vec::new(),
            next_seq: 0,
            list_generation: 0,
            window_asked: None,
            list_read: false,
            reload_keep: None,
            reload_fallback: None,
            switching_view: false,
            own_departures: BTreeSet::new(),
            after_send: None,
            message_since: None,
            notes: HashMap::new(),
            last_refresh: Instant::now(),
            looks_out: 0,
            drafts_kept: false,
            last_change_check: Instant::now(),
            team: Team::default(),
            deliveries: 0,
            canned_items: None,
            canned_asked: None,
            holder: Some(holder),
            location,
            keeps_attachments,
            replies_saved_to,
            warm: warm::WarmUp::default(),
        };
        // The first look only takes the queue's version as the one seen.
        app.look(false)?;
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
            Some(Popup::Report(_)) => Context::Report,
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

    /// The keyboard was meant for the composer and the composer is not there (it
    /// did not open, or its ticket went away): letters typed on are refused until
    /// Esc instead of running as commands — "Important" must not open a merge.
    pub fn guard_typing(&mut self, why: impl Into<String>) {
        self.typing_guard = Some(TypingGuard::Failed(why.into()));
    }

    /// Lowers the guard raised when another console took the draft being typed once
    /// that no longer holds: the composer closed (the draft was sent or discarded
    /// there, or another ticket is on screen) or the draft came back. Keys act
    /// again, and the "typing stopped" line, now untrue, goes with it — before, `r`
    /// and every letter were refused until Esc under a line that stayed for good.
    pub fn lower_stale_typing_guard(&mut self) {
        if self.typing_guard != Some(TypingGuard::DraftTakenElsewhere) {
            return;
        }
        let on_screen = self.open.as_ref().map(|o| o.detail.ticket.id);
        let still_taken = self.composer.held_elsewhere
            && !self.composer.is_empty()
            && self.composer.ticket.is_some()
            && self.composer.ticket == on_screen;
        if still_taken {
            return;
        }
        self.typing_guard = None;
        if self
            .message
            .as_ref()
            .is_some_and(|m| m.text.starts_with("typing stopped: another console took"))
        {
            self.message = None;
        }
    }

    /// Ticket `id`, being written on here, went away elsewhere: the words not saved
    /// yet are kept to print at the end, the user is told, and letters typed on are
    /// refused until Esc.
    pub(crate) fn ticket_went_away(&mut self, id: TicketId, words: &str) {
        if !words.trim().is_empty()
            && !self
                .orphaned_words
                .iter()
                .any(|(t, w)| *t == id && w == words)
        {
            self.orphaned_words.retain(|(t, _)| *t != id);
            self.orphaned_words.push((id, words.to_string()));
        }
        self.error(format!(
            "#{id} is gone: merged or deleted in another console; your unsaved words are printed when you quit · Esc"
        ));
        self.guard_typing(format!("#{id} is gone (merged or deleted elsewhere)"));
    }

    /// Shows what is under way ("#12: status solved…"); the answer replaces it.
    pub fn pending_info(&mut self, text: impl Into<String>) {
        self.info(text);
    }

    /// The one rule for stale status lines: a line that says work is under way
    /// (ends in "…") stays until the work's answer replaces it; any other line goes
    /// [`MESSAGE_STAYS`] after it was first shown, except the courier's error, which
    /// stays until no reply is left undelivered. Called with every tick's time.
    pub fn expire_message(&mut self, now: Instant) {
        let Some(message) = &self.message else {
            self.message_since = None;
            return;
        };
        let since = match &self.message_since {
            Some((text, at)) if *text == message.text => *at,
            _ => {
                self.message_since = Some((message.text.clone(), now));
                return;
            }
        };
        let under_way = (message.text.ends_with('…') && self.in_flight > 0)
            || message.text.ends_with(compose::SENT_UNDOABLE);
        let courier = self.delivery_error.as_deref() == Some(message.text.as_str());
        if !under_way && !courier && now.saturating_duration_since(since) >= MESSAGE_STAYS {
            self.message = None;
            self.message_since = None;
        }
    }

    /// The status line around a dialog: a line from before a dialog opened is
    /// cleared when it opens, and a line from while it was open is cleared when it
    /// is cancelled (`Esc`), so the bar never says one thing while the dialog asks
    /// another (the new-user trial read "#12 solved · u to undo" under the snooze
    /// prompt, and the name question's line after it was gone). A line the key
    /// itself wrote stays (the dialog's own question, "not merged"), and so do work
    /// under way ("…") and the courier's error, which are still true. `before` is
    /// the line and whether a dialog was open when the key came; `cancelled`
    /// whether the key was the one that closes dialogs.
    pub fn status_around_dialog(&mut self, before: (Option<StatusMessage>, bool), cancelled: bool) {
        let (line, was_open) = before;
        let opened = !was_open && self.popup.is_some();
        let closed = was_open && self.popup.is_none() && cancelled;
        if !(opened || closed) || self.message != line {
            return;
        }
        let Some(message) = &self.message else {
            return;
        };
        let under_way = message.text.ends_with('…') && self.in_flight > 0;
        let courier = self.delivery_error.as_deref() == Some(message.text.as_str());
        if !under_way && !courier {
            self.message = None;
        }
    }

    /// Shows an error in the status bar.
    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(StatusMessage {
            text: text.into(),
            error: true,
        });
    }

    /// Records what an account's thread reported, for the status bar.
    pub fn mailbox_news(&mut self, news: crate::tui::mailboxes::MailboxNews) {
        match self
            .mailboxes
            .iter_mut()
            .find(|m| m.account == news.account)
        {
            Some(m) => m.state = news.state,
            None => self.mailboxes.push(crate::tui::mailboxes::MailboxStatus {
                account: news.account,
                state: news.state,
            }),
        }
    }

    /// Shows the courier's report of a reply that did not go out; it stays until a
    /// refresh finds no reply undelivered (see [`App::refresh_counts`]).
    pub fn delivery_failed(&mut self, text: impl Into<String>) {
        let text = text.into();
        self.error(text.clone());
        self.delivery_error = Some(text);
    }

    /// Reports a store error; a conflict also reloads so the user sees fresh data.
    pub fn store_error(&mut self, e: ConsoleError) {
        let conflict = e.is_conflict();
        self.error(e.to_string());
        if conflict {
            if let Err(e) = self.reload() {
                self.error(e.to_string());
            } else {
                self.error("the ticket was changed elsewhere; reloaded — look and try again");
            }
        }
    }

    /// When the console must next look at the time even if nothing happens: the
    /// autosave pause, the look for changes elsewhere, the counts' refresh, and a
    /// second for the clocks on screen (the undo countdown, "2 min ago"). The loop
    /// sleeps on its channel until then instead of waking at a fixed rate.
    pub fn next_deadline(&self, now: Instant) -> Instant {
        let autosave = self
            .composer
            .dirty_since
            .filter(|_| !self.composer.held_elsewhere)
            .map(|t| t + AUTOSAVE_AFTER);
        [
            autosave,
            Some(self.last_change_check + elsewhere::CHANGE_CHECK_EVERY),
            Some(self.last_refresh + REFRESH_EVERY),
            Some(now + CLOCK_EVERY),
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now)
    }

    /// Rows that fit in the inbox list at the current size.
    pub fn page(&self) -> usize {
        usize::from(self.size.1).saturating_sub(6).max(1)
    }
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
