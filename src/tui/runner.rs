//! The console's slow work, off the UI thread. `update` does not read the store for
//! these: it returns a [`Command`] (load ticket N, compute the report, save the
//! attachments), the runner thread executes it on its own connection and answers
//! with a [`Done`], which comes back into the loop's channel as a message. While a
//! command runs the console keeps drawing and answering keys, with "loading…" where
//! the answer will appear.
//!
//! Tests run the same [`execute`] on their own thread (`tui::inline`), so both
//! paths share one implementation; an in-memory queue gets a runner thread of its
//! own like a file does ([`Runner::start_on`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::{Config, SlaConfig};
use crate::model::{Attachment, Ticket, TicketChange, TicketDetail, TicketId, TicketSummary};
use crate::report::Report;
use crate::sla::promises;
use crate::store::{Followup, Location, OutboxEntry, Store, StoreError, TicketFilter};

/// How long quitting waits for a command in progress.
const QUIT_WAIT: Duration = Duration::from_secs(2);

/// Work for the runner.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Read ticket `0` for the conversation pane.
    LoadTicket(TicketId),
    /// The owner's report over `since..until`, shown as `days` days.
    Report {
        days: u32,
        since: DateTime<Utc>,
        until: DateTime<Utc>,
    },
    /// Copy these attachments into `dest`.
    SaveAttachments {
        attachments: Vec<Attachment>,
        dest: PathBuf,
    },
    /// Apply `change` to each target (with the version the user saw), remembering
    /// its inverse under `seq` for a later [`Command::Undo`].
    Change {
        seq: u64,
        label: String,
        targets: Vec<(TicketId, Option<i64>)>,
        change: TicketChange,
    },
    /// Take back the change numbered `seq`. The runner keeps the inverses itself,
    /// so `u` pressed before the change's answer came undoes exactly that change:
    /// the runner is FIFO, so the change has been applied by the time this runs.
    Undo { seq: u64, label: String },
    /// Queue a reply in the outbox (checked first against a draft another console
    /// holds and words added to the thread since the composer opened).
    SendReply(Box<Outgoing>),
    /// Merge each of `sources` into `into`, stopping at the first failure.
    Merge {
        sources: Vec<TicketId>,
        into: TicketId,
    },
    /// Add an internal note to `ticket`.
    AddNote {
        ticket: TicketId,
        author: String,
        body: String,
    },
    /// Mark ticket `0` read (the user opened it), before it is loaded.
    MarkRead(TicketId),
    /// Write ticket `ticket`'s reply draft (autosave, leaving the ticket, quitting).
    SaveDraft { ticket: TicketId, body: String },
    /// Let go of ticket `ticket`'s draft: another console may continue it.
    ReleaseDraft(TicketId),
    /// Re-read what a reload shows (see [`ReloadAsk`]).
    Reload(Box<ReloadAsk>),
    /// Rows `start..start + limit` of the list.
    Window {
        generation: u64,
        filter: Box<TicketFilter>,
        start: usize,
    },
    /// Make this console the writer of ticket `0`'s reply draft (the other console
    /// stops saving it) and read the draft as it stands.
    TakeOverDraft(TicketId),
    /// The follow-up ticket `0` waits on now (a count may have just recorded one).
    OpenFollowup(TicketId),
    /// When the Telegram channel was last read, as the database remembers it.
    TelegramLastPoll { now: DateTime<Utc> },
    /// Take back the queued reply `message` on `ticket` (undo): its words become
    /// the ticket's draft again, held by this console.
    CancelReply {
        ticket: TicketId,
        message: crate::model::MessageId,
        body: String,
    },
    /// The question a merge of `sources` into `into` asks (it names both customers
    /// when they differ), and whether they do.
    MergeQuestion {
        sources: Vec<TicketId>,
        into: TicketId,
    },
    /// Add a follow-up by hand to `ticket`, or (`done`) mark follow-up `done` done;
    /// answered with the ticket read again, its follow-up settled.
    Followup {
        ticket: TicketId,
        add: Option<crate::store::NewFollowup>,
        done: Option<i64>,
        /// The status line once it is written.
        said: String,
    },
    /// The canned responses, and (with `detail`, the ticket on screen) the ones
    /// that fit its customer's latest message, best first: the picker's contents.
    Canned { detail: Option<Box<TicketDetail>> },
    /// Whether another connection committed since the last look (another console,
    /// an import, this process's courier), and where `replies` (the replies on the
    /// undo stack) stand in the outbox. Asked every half second, and after each
    /// courier report (`after_delivery`: the outbox is read then even if nothing
    /// else changed). `deliveries` is the console's count of courier reports when
    /// it asked, echoed back so it can tell a report came in between.
    Look {
        replies: Vec<crate::model::MessageId>,
        after_delivery: bool,
        deliveries: u64,
    },
    /// What a reply the console writes itself needs (see [`Prefill`]): the
    /// canned responses for its greeting and, for "still working on it", the
    /// promise ticket `ticket` waits on.
    Prefill { ticket: TicketId, kind: Prefill },
    /// File the composer's words on `ticket`: a pasted chat transcript split into
    /// its messages (as `firstline import --paste --ticket` does), or call notes
    /// with the follow-up they promise; `author` is the agent as the console
    /// knows it now, `now` the console's clock.
    File {
        ticket: TicketId,
        kind: Filing,
        body: String,
        author: String,
        now: DateTime<Utc>,
    },
    /// Quitting with replies waiting: deliver `messages` now, signed as `agent`.
    SendNow {
        messages: Vec<crate::model::MessageId>,
        agent: crate::config::AgentConfig,
    },
    /// Quitting with replies waiting: take `messages` back (each one's words
    /// become its ticket's draft again).
    TakeBack(Vec<crate::model::MessageId>),
    /// Quitting with replies waiting, keeping them queued: nothing sends them until
    /// the next console or `outbox flush`, so each is marked not delivered yet — the
    /// customer is waiting again (Needs reply) until it really goes.
    KeepQueued(Vec<crate::model::MessageId>),
    /// A search or the counts, when there is no worker thread to ask (tests, a
    /// queue without a file): answered as the worker would (`Done::Worker`).
    Worker(crate::tui::worker::Job),
    /// Write this console's presence row (team mode), then read every row with a
    /// heartbeat since `fresh_since`.
    Presence {
        write: PresenceWrite,
        fresh_since: DateTime<Utc>,
    },
}

/// A reply the console writes itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prefill {
    /// "Still working on it", for the promise the ticket waits on (`W`).
    StillWorking,
    /// "It is solved", to a customer who last heard "still working on it".
    Solved,
}

/// What a [`Command::Prefill`] read.
#[derive(Debug, Clone)]
pub struct PrefillFacts {
    /// The customer promise the ticket waits on (read for `StillWorking` only).
    pub promise: Option<Followup>,
    /// The canned responses: the greeting line comes from them.
    pub canned: Vec<crate::model::CannedResponse>,
}

/// What the composer files that is neither a reply nor a note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filing {
    Transcript,
    Call,
}

/// What a [`Command::File`] filed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Filed {
    /// The transcript's messages added to the thread.
    Transcript { added: usize },
    /// The call, and the follow-up its notes promise.
    Call(crate::sla::calls::CallFollowup),
}

/// What a [`Command::Presence`] writes before it reads.
#[derive(Debug, Clone, PartialEq)]
pub enum PresenceWrite {
    /// Nothing: only read.
    Keep,
    Announce(crate::store::Presence),
    /// Remove this console's row (left the ticket, or quitting).
    Withdraw(String),
}

impl Command {
    /// What the command does, for the sentence quitting prints when it could not
    /// wait for it.
    pub fn describe(&self) -> String {
        match self {
            Command::LoadTicket(id) => format!("opening #{id}"),
            Command::Report { .. } => "the report".into(),
            Command::SaveAttachments { .. } => "saving attachments".into(),
            Command::Change { label, targets, .. } => {
                let ids: Vec<String> = targets.iter().map(|(id, _)| format!("#{id}")).collect();
                format!("{} {label}", ids.join(", "))
            }
            Command::Undo { label, .. } => format!("undoing {label}"),
            Command::SendReply(o) => format!("the reply on #{}", o.ticket),
            Command::SaveDraft { ticket, .. } => format!("saving the draft of #{ticket}"),
            Command::MarkRead(id) => format!("marking #{id} read"),
            Command::Merge { sources, into } => {
                let ids: Vec<String> = sources.iter().map(|id| format!("#{id}")).collect();
                format!("merging {} into #{into}", ids.join(", "))
            }
            Command::AddNote { ticket, .. } => format!("the note on #{ticket}"),
            Command::ReleaseDraft(ticket) => format!("letting go of the draft of #{ticket}"),
            Command::Reload(_) | Command::Window { .. } => "reading the list".into(),
            Command::Presence { .. } => "telling the team where you are".into(),
            Command::Prefill { ticket, .. } => format!("writing the reply on #{ticket}"),
            Command::SendNow { messages, .. } => format!("sending {} repl(ies)", messages.len()),
            Command::TakeBack(messages) => format!("taking back {} repl(ies)", messages.len()),
            Command::KeepQueued(messages) => {
                format!("keeping {} repl(ies) queued", messages.len())
            }
            Command::File {
                ticket,
                kind: Filing::Transcript,
                ..
            } => format!("the transcript on #{ticket}"),
            Command::File {
                ticket,
                kind: Filing::Call,
                ..
            } => format!("the call notes on #{ticket}"),
            Command::Worker(crate::tui::worker::Job::Search { .. }) => "searching".into(),
            Command::Worker(crate::tui::worker::Job::Counts { .. }) => "counting".into(),
            Command::Look { .. } => "looking for changes".into(),
            Command::Canned { .. } => "reading the canned responses".into(),
            Command::MergeQuestion { into, .. } => format!("reading #{into}"),
            Command::OpenFollowup(id) => format!("the follow-up of #{id}"),
            Command::TakeOverDraft(id) => format!("taking over the draft of #{id}"),
            Command::TelegramLastPoll { .. } => "the Telegram channel's state".into(),
            Command::CancelReply { ticket, .. } => format!("taking back the reply on #{ticket}"),
            Command::Followup { ticket, .. } => format!("the follow-up on #{ticket}"),
        }
    }

    /// What the command writes that `u` cannot take back, named for the line `u`
    /// shows right after it; `None` for commands that are undone another way (a
    /// change, a reply) or write nothing the user did.
    pub fn cannot_be_undone(&self) -> Option<String> {
        match self {
            Command::AddNote { ticket, .. } => Some(format!("the note on #{ticket}")),
            Command::Followup { ticket, .. } => Some(format!("the follow-up on #{ticket}")),
            // "the transcript on #12", "the call notes on #12".
            Command::File { .. } => Some(self.describe()),
            _ => None,
        }
    }

    /// Whether the command writes to the queue: quitting waits for these.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Command::Change { .. }
                | Command::Undo { .. }
                | Command::SendReply(_)
                | Command::SaveDraft { .. }
                | Command::ReleaseDraft(_)
                | Command::MarkRead(_)
                | Command::Merge { .. }
                | Command::AddNote { .. }
                | Command::Presence {
                    write: PresenceWrite::Withdraw(_),
                    ..
                }
                | Command::Followup { .. }
                | Command::CancelReply { .. }
                | Command::TakeOverDraft(_)
                | Command::File { .. }
                | Command::SendNow { .. }
                | Command::TakeBack(_)
                | Command::KeepQueued(_)
        )
    }
}

/// A reply on its way to the outbox. It carries its ticket and its words: the
/// composer is empty by the time it runs, and a refusal gives them back to the
/// composer of this ticket, never another's.
#[derive(Debug, Clone, PartialEq)]
pub struct Outgoing {
    pub ticket: TicketId,
    pub body: String,
    /// Whom it goes to, for the status line.
    pub to: String,
    /// The newest message on screen when the composer opened.
    pub seen_up_to: Option<crate::model::MessageId>,
    /// The canned response it came from, and whether it was edited.
    pub canned: Option<(i64, bool)>,
    /// Who signs it, as the console knows it now: the name and address asked for
    /// on the first send are set after the runner started.
    pub agent: crate::config::AgentConfig,
}

/// What became of a reply.
#[derive(Debug)]
pub enum Sent {
    /// In the outbox until `not_before` (the undo window).
    Queued {
        message: crate::model::MessageId,
        not_before: DateTime<Utc>,
    },
    /// Recorded at once: no e-mail address (a chat, a call); the channel says how the
    /// agent reaches the customer instead.
    Recorded(crate::model::Channel),
}

/// Why a reply was not queued.
#[derive(Debug)]
pub enum NotSent {
    /// Another running console is writing this ticket's draft.
    HeldElsewhere,
    /// No sender address is set and the ticket has no Telegram chat.
    NeedsAddress,
    /// Replies or notes were added since the composer opened: the newest, who
    /// wrote it and when, and how many; and the newest message of the thread.
    AddedElsewhere {
        added: crate::model::Collision,
        newest: crate::model::MessageId,
    },
    Failed(crate::tui::error::ConsoleError),
}

/// What a reload asks of the store: the outbox figures, the list's size and the rows
/// around the cursor, where ticket `keep` went, and whether `reading` still exists.
#[derive(Debug, Clone, PartialEq)]
pub struct ReloadAsk {
    /// Answers of older reloads are dropped.
    pub generation: u64,
    pub filter: TicketFilter,
    /// A search is applied: the worker reads its rows, not this reload.
    pub searching: bool,
    /// The ticket the cursor should stay on.
    pub keep: Option<TicketId>,
    /// Where the cursor goes when `keep` left the list (solved, answered, changed
    /// elsewhere): the tickets beside it as the user saw them, the ones after it
    /// first, nearest first — never whatever row slid into its index (an import
    /// landing meanwhile would put a ticket the user never looked at there).
    pub neighbours: Vec<TicketId>,
    /// The ticket read away from the list.
    pub reading: Option<TicketId>,
    /// The first row on screen and how many rows fit.
    pub top: usize,
    pub page: usize,
    /// How many rows to read around the screen.
    pub window: usize,
}

/// A reload's answer.
#[derive(Debug, Clone, Default)]
pub struct Reloaded {
    pub generation: u64,
    pub outbox_attention: (i64, i64),
    pub outbox_undelivered: (i64, i64),
    pub undelivered_tickets: BTreeSet<TicketId>,
    /// The replies waiting in the outbox and when each may leave: the question
    /// quitting asks is decided from them without reading the queue.
    pub queued: Vec<(crate::model::MessageId, DateTime<Utc>)>,
    /// The list's size, its rows read (from `window_start`) and the row of `keep`,
    /// when no search is applied.
    pub list: Option<(usize, usize, Vec<TicketSummary>)>,
    pub keep: Option<TicketId>,
    /// The row the cursor goes to: `keep`'s, or, when `keep` left the list, its
    /// nearest neighbour's (see [`ReloadAsk::neighbours`]).
    pub keep_at: Option<usize>,
    /// `keep` is no longer in the list (`keep_at`, if any, is a neighbour's row).
    pub keep_left: bool,
    /// `reading` and whether it still exists.
    pub reading: Option<(TicketId, bool)>,
}

/// A look's answer (see [`Command::Look`]).
#[derive(Debug, Clone, Default)]
pub struct Looked {
    /// Another connection committed since the last look: the console reloads.
    pub changed: bool,
    /// Each reply asked about and its outbox state (`None`: no longer in the
    /// outbox, taken back elsewhere); read when something changed or after a
    /// courier report, else empty.
    pub replies: Vec<(crate::model::MessageId, Option<crate::store::OutboxState>)>,
    /// Tickets whose draft, kept on this machine while the queue was away, is in
    /// the queue again.
    pub restored: Vec<TicketId>,
}

/// A change's answer.
#[derive(Debug)]
pub struct Changed {
    pub seq: u64,
    pub label: String,
    pub targets: Vec<TicketId>,
    /// Tickets really changed (the rest already were so).
    pub changed: usize,
    pub unchanged: usize,
    /// Where the change stopped, if it did.
    pub failure: Option<StoreError>,
    /// Solved tickets whose customer last heard "still working on it".
    pub owe_notice: Vec<TicketId>,
}

/// Everything the conversation pane shows of one ticket.
#[derive(Debug, Clone)]
pub struct LoadedTicket {
    pub detail: TicketDetail,
    /// The customer's other tickets, newest first.
    pub history: Vec<TicketSummary>,
    /// The follow-up the ticket waits on, if no later reply settled it.
    pub followup: Option<Followup>,
    /// Replies in the thread the outbox has not delivered.
    pub undelivered: Vec<OutboxEntry>,
}

/// A command's answer.
#[derive(Debug)]
pub enum Done {
    Ticket {
        id: TicketId,
        result: Result<Box<LoadedTicket>, StoreError>,
    },
    Report {
        days: u32,
        /// The figures and how many welcome tickets they leave out.
        result: Result<(Box<Report>, usize), StoreError>,
    },
    Attachments {
        dest: PathBuf,
        /// Files written, and names not kept (over the size limit); or why not.
        result: Result<(Vec<PathBuf>, Vec<String>), String>,
    },
    Changed(Box<Changed>),
    DraftSaved {
        ticket: TicketId,
        body: String,
        result: Result<crate::store::DraftSave, StoreError>,
        /// The queue did not answer and the words were kept on this machine instead
        /// (the spool's file), or why even that failed.
        kept: Option<Result<PathBuf, String>>,
    },
    DraftReleased(Result<(), StoreError>),
    MarkedRead(Result<(), StoreError>),
    Merged {
        /// The sources merged before any failure.
        merged: Vec<TicketId>,
        into: TicketId,
        failure: Option<StoreError>,
    },
    NoteAdded {
        ticket: TicketId,
        body: String,
        result: Result<(), StoreError>,
    },
    Sent {
        outgoing: Box<Outgoing>,
        result: Result<Sent, NotSent>,
    },
    Undone {
        label: String,
        /// The tickets restored; or the status line saying why nothing was.
        result: Result<Vec<TicketId>, String>,
    },
    Reloaded(Result<Box<Reloaded>, StoreError>),
    Prefill {
        ticket: TicketId,
        kind: Prefill,
        result: Result<PrefillFacts, StoreError>,
    },
    Filed {
        ticket: TicketId,
        kind: Filing,
        /// The words filed, given back to the composer if they were not.
        body: String,
        result: Result<Filed, crate::tui::error::ConsoleError>,
    },
    /// What delivering the replies now did.
    SentNow(Result<crate::mail::DeliveryReport, crate::tui::error::ConsoleError>),
    /// The replies taken back: how many, and those that had already left the outbox
    /// (delivered meanwhile); or why not all could be asked about.
    TakenBack(Result<(usize, Vec<crate::model::MessageId>), crate::tui::error::ConsoleError>),
    /// The replies kept queued at quit, marked not delivered yet.
    KeptQueued(Result<(), crate::tui::error::ConsoleError>),
    /// A search or the counts (see [`Command::Worker`]).
    Worker(crate::tui::worker::Answer),
    /// Every console's fresh presence rows.
    Presence(Result<Vec<crate::store::Presence>, StoreError>),
    Window {
        generation: u64,
        start: usize,
        result: Result<Vec<TicketSummary>, StoreError>,
    },
    Looked {
        after_delivery: bool,
        deliveries: u64,
        result: Result<Looked, StoreError>,
    },
    OpenFollowup {
        ticket: TicketId,
        result: Result<Option<Followup>, StoreError>,
    },
    DraftTakenOver {
        ticket: TicketId,
        /// The draft's text as stored after the take-over.
        result: Result<String, StoreError>,
    },
    TelegramLastPoll(Result<Option<DateTime<Utc>>, StoreError>),
    ReplyCancelled {
        ticket: TicketId,
        body: String,
        /// The ticket with the words back as its draft; `None` when the reply had
        /// already left.
        result: Result<Option<Box<LoadedTicket>>, crate::tui::error::ConsoleError>,
    },
    MergeQuestion {
        into: TicketId,
        /// The question and whether the customers differ.
        result: Result<(String, bool), StoreError>,
    },
    Followup {
        ticket: TicketId,
        /// The status line once it is written.
        said: String,
        /// The ticket as it stands after the write.
        result: Result<Box<LoadedTicket>, StoreError>,
    },
    Canned {
        /// The ticket the suggestions are for, if one was asked about.
        ticket: Option<TicketId>,
        /// Every canned response and the ids suggested for the ticket.
        result: Result<(Vec<crate::model::CannedResponse>, Vec<i64>), StoreError>,
    },
}

/// One ticket's part of an undoable change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UndoChange {
    pub ticket: TicketId,
    /// The change that takes it back.
    pub inverse: TicketChange,
    /// The ticket's version before the change (what an older entry expects back).
    pub before: i64,
    /// The version right after it; undo needs the ticket still there.
    pub after: i64,
}

/// Whether `draft` is being written by a running console other than `holder`.
pub(crate) fn held_by_other(draft: Option<&crate::model::Draft>, holder: Option<&str>) -> bool {
    draft
        .and_then(|d| d.owner.as_deref())
        .is_some_and(|owner| Some(owner) != holder && crate::store::holder_is_running(owner))
}

/// What the runner remembers between commands.
#[derive(Debug, Default)]
pub struct Ledger {
    /// Each change's inverses, by the number the console gave it when the user
    /// acted, oldest first.
    undo: BTreeMap<u64, Vec<UndoChange>>,
    /// Versions this console's own changes moved tickets past: (ticket, version
    /// before) → version after. A change made while an earlier one of the user's
    /// was still queued carries the version the user saw; the step between is
    /// theirs, not another process's edit, so it is no conflict.
    moved: HashMap<(TicketId, i64), i64>,
    /// The queue's `data_version` at the last [`Command::Look`].
    seen_version: Option<i64>,
    /// Replies that took their unassigned ticket for the agent (as `firstline
    /// reply` does): reply → (ticket, the name it was given). Taking the reply back
    /// gives the ticket back unassigned, unless its assignee changed since.
    took: HashMap<crate::model::MessageId, (TicketId, String)>,
    /// Where drafts go while the queue does not answer, and the queue's name in it
    /// (see `tui::spool`); written back at the next look that reaches the queue.
    spool: Option<(crate::tui::spool::DraftSpool, String)>,
}

impl Ledger {
    fn expected(&self, id: TicketId, seen: Option<i64>) -> Option<i64> {
        let mut version = seen?;
        // Bounded: each step is a later version of the same ticket.
        for _ in 0..self.moved.len() {
            match self.moved.get(&(id, version)) {
                Some(next) => version = *next,
                None => break,
            }
        }
        Some(version)
    }

    fn moved(&mut self, id: TicketId, from: i64, to: i64) {
        if from != to {
            self.moved.insert((id, from), to);
        }
    }
}

/// Runs `command` on `store`: the one implementation, on the runner thread or on a
/// test's own (`tui::inline`).
pub fn execute(store: &mut Store, config: &Config, ledger: &mut Ledger, command: Command) -> Done {
    execute_watching(store, None, config, ledger, command)
}

/// [`execute`], with looks for changes asked of `watch`: a connection that never
/// writes, so it sees every commit, the runner's own included (SQLite's
/// `data_version` does not move for a connection's own commits).
fn execute_watching(
    store: &mut Store,
    watch: Option<&Store>,
    config: &Config,
    ledger: &mut Ledger,
    command: Command,
) -> Done {
    let sla = &config.sla;
    match command {
        Command::Look {
            replies,
            after_delivery,
            deliveries,
        } => {
            let result = look(
                watch.unwrap_or(store),
                store,
                ledger,
                &replies,
                after_delivery,
            )
            .map(|mut looked| {
                looked.restored = restore_kept_drafts(store, ledger);
                looked
            });
            Done::Looked {
                after_delivery,
                deliveries,
                result,
            }
        }
        Command::TakeOverDraft(ticket) => Done::DraftTakenOver {
            ticket,
            result: store
                .take_over_draft(ticket)
                .and_then(|()| Ok(store.draft(ticket)?.map(|d| d.body).unwrap_or_default())),
        },
        Command::OpenFollowup(ticket) => Done::OpenFollowup {
            ticket,
            result: store.ticket(ticket).and_then(|t| followup_of(store, &t)),
        },
        Command::TelegramLastPoll { now } => Done::TelegramLastPoll(
            crate::telegram::channel_state(store, config.telegram.as_ref(), now)
                .map(|s| s.and_then(|s| s.last_poll_at)),
        ),
        Command::CancelReply {
            ticket,
            message,
            body,
        } => Done::ReplyCancelled {
            result: (|| {
                if !crate::mail::cancel_reply(store, message)? {
                    return Ok(None);
                }
                give_back_assignment(store, ledger, message)?;
                // This console's words again: it holds the draft, as after typing.
                store.save_draft(ticket, &body)?;
                Ok(Some(Box::new(load_ticket(store, ticket)?)))
            })(),
            ticket,
            body,
        },
        Command::MergeQuestion { sources, into } => Done::MergeQuestion {
            into,
            result: merge_question(store, &sources, into),
        },
        Command::Followup {
            ticket,
            add,
            done,
            said,
        } => Done::Followup {
            ticket,
            said,
            result: (|| {
                if let Some(new) = &add {
                    store.create_followup(new)?;
                }
                if let Some(id) = done {
                    store.complete_followup(id)?;
                }
                load_ticket(store, ticket).map(Box::new)
            })(),
        },
        Command::Canned { detail } => Done::Canned {
            ticket: detail.as_ref().map(|d| d.ticket.id),
            result: store.canned_list().map(|items| {
                // Suggestions are a help: without them the picker still opens.
                let suggested = detail
                    .and_then(|d| crate::canned::suggest_for_ticket(store, &d).ok())
                    .map(|s| s.into_iter().map(|c| c.id).collect())
                    .unwrap_or_default();
                (items, suggested)
            }),
        },
        Command::SaveDraft { ticket, body } => {
            let result = store.save_draft(ticket, &body);
            let kept = match (&result, &ledger.spool) {
                (
                    Err(StoreError::Unreachable { .. } | StoreError::Locked),
                    Some((spool, queue)),
                ) => Some(
                    spool
                        .keep(queue, ticket, &body, chrono::Utc::now())
                        .map(|()| spool.path().to_path_buf()),
                ),
                _ => None,
            };
            Done::DraftSaved {
                result,
                ticket,
                body,
                kept,
            }
        }
        Command::ReleaseDraft(ticket) => Done::DraftReleased(store.release_draft(ticket)),
        Command::MarkRead(id) => Done::MarkedRead(mark_read(store, id)),
        Command::Merge { sources, into } => {
            let mut merged = Vec::new();
            let mut failure = None;
            for id in sources {
                match store.merge_tickets(id, into) {
                    Ok(_) => merged.push(id),
                    Err(e) => {
                        failure = Some(e);
                        break;
                    }
                }
            }
            Done::Merged {
                merged,
                into,
                failure,
            }
        }
        Command::AddNote {
            ticket,
            author,
            body,
        } => {
            let note = crate::model::NewMessage {
                direction: crate::model::Direction::Note,
                author,
                body: body.clone(),
                ..Default::default()
            };
            Done::NoteAdded {
                ticket,
                result: store.add_message(ticket, &note).map(|_| ()),
                body,
            }
        }
        Command::SendReply(out) => Done::Sent {
            result: send_reply(store, config, ledger, &out),
            outgoing: out,
        },
        Command::Change {
            seq,
            label,
            targets,
            change,
        } => Done::Changed(Box::new(apply_change(
            store, sla, ledger, seq, label, &targets, &change,
        ))),
        Command::Undo { seq, label } => Done::Undone {
            result: undo(store, ledger, seq, &label),
            label,
        },
        Command::Reload(ask) => Done::Reloaded(reload(store, &ask).map(Box::new)),
        Command::Prefill { ticket, kind } => Done::Prefill {
            ticket,
            kind,
            result: prefill(store, ticket, kind),
        },
        Command::File {
            ticket,
            kind,
            body,
            author,
            now,
        } => Done::Filed {
            ticket,
            kind,
            result: file(store, config, ticket, kind, &body, &author, now),
            body,
        },
        Command::SendNow { messages, agent } => {
            let config = Config {
                agent,
                ..config.clone()
            };
            Done::SentNow((|| {
                let mut report = crate::mail::DeliveryReport::default();
                for message in messages {
                    let one = crate::mail::deliver_now(
                        store,
                        &config,
                        crate::store::ClaimScope::Message(message),
                    )?;
                    report.sent.extend(one.sent);
                    report.failed.extend(one.failed);
                    report.saved.extend(one.saved);
                }
                Ok(report)
            })())
        }
        Command::TakeBack(messages) => Done::TakenBack((|| {
            let (mut taken, mut gone) = (0, Vec::new());
            for m in messages {
                if crate::mail::cancel_reply(store, m)? {
                    give_back_assignment(store, ledger, m)?;
                    taken += 1;
                } else {
                    gone.push(m);
                }
            }
            Ok::<_, crate::tui::error::ConsoleError>((taken, gone))
        })()),
        Command::KeepQueued(messages) => Done::KeptQueued(keep_queued(store, &messages)),
        Command::Worker(job) => Done::Worker(crate::tui::worker::run_job(store, sla, job)),
        Command::Presence { write, fresh_since } => {
            Done::Presence(presence(store, &write, fresh_since))
        }
        Command::Window {
            generation,
            filter,
            start,
        } => Done::Window {
            generation,
            start,
            result: store.list_tickets(&filter),
        },
        Command::LoadTicket(id) => Done::Ticket {
            id,
            result: load_ticket(store, id).map(Box::new),
        },
        Command::Report { days, since, until } => Done::Report {
            days,
            result: store.report_data(since).and_then(|data| {
                let report = crate::report::compute(&data, sla, since, until);
                Ok((Box::new(report), store.demo_ticket_ids()?.len()))
            }),
        },
        Command::SaveAttachments { attachments, dest } => {
            let result = match store.blobs(crate::store::Bucket::Attachments) {
                None => Err("this queue keeps no attachment files".to_string()),
                Some(blobs) => crate::mail::save::save_attachments(&*blobs, &attachments, &dest)
                    .map_err(|e| e.to_string()),
            };
            Done::Attachments { dest, result }
        }
    }
}

/// Files `body` on `ticket` as a transcript or call notes (see [`Command::File`]).
fn file(
    store: &mut Store,
    config: &Config,
    ticket: TicketId,
    kind: Filing,
    body: &str,
    author: &str,
    now: DateTime<Utc>,
) -> Result<Filed, crate::tui::error::ConsoleError> {
    let timezone = crate::sla::timezone(&config.sla);
    match kind {
        Filing::Call => {
            let logged =
                crate::sla::calls::log_call(store, &config.sla, ticket, author, body, now)?;
            Ok(Filed::Call(logged.followup))
        }
        Filing::Transcript => {
            let on = store.ticket(ticket)?;
            let c = store.customer(on.customer_id)?;
            let customer = crate::model::NewCustomer {
                name: c.name.clone(),
                email: c.emails.first().cloned(),
                handle: c.handles.first().cloned(),
                phone: c.phone.clone(),
            };
            let me = crate::mail::paste::my_names(author, &[]);
            // `author` is the name at the key press: the runner's copy of the config
            // predates a name given at the first send.
            let messages = crate::mail::paste::filed_as(
                author,
                crate::mail::paste::parse_transcript(
                    body,
                    &crate::mail::paste::PasteOptions {
                        channel: on.channel,
                        ticket: Some(ticket),
                        customer,
                        subject: None,
                        me: me.clone(),
                        now,
                        timezone,
                    },
                ),
            );
            let options = crate::mail::ImportOptions {
                timezone,
                me,
                ..Default::default()
            };
            let report = crate::mail::import_items(
                store,
                config,
                crate::mail::Format::Paste,
                messages,
                &options,
            )?;
            Ok(Filed::Transcript {
                added: report.added,
            })
        }
    }
}

/// What a reply the console writes itself on `ticket` needs.
fn prefill(store: &Store, ticket: TicketId, kind: Prefill) -> Result<PrefillFacts, StoreError> {
    let promise = match kind {
        Prefill::StillWorking => {
            let ticket = store.ticket(ticket)?;
            let open = store.followups(true, Some(ticket.id))?;
            let delivered = promises::thread_as_delivered(store, ticket.id)?;
            promises::pending_promise(&open, &ticket, &delivered).cloned()
        }
        Prefill::Solved => None,
    };
    Ok(PrefillFacts {
        promise,
        canned: store.canned_list()?,
    })
}

/// Whether the queue changed since the last look, and where `replies` stand.
fn look(
    watch: &Store,
    store: &Store,
    ledger: &mut Ledger,
    replies: &[crate::model::MessageId],
    after_delivery: bool,
) -> Result<Looked, StoreError> {
    let version = watch.data_version()?;
    let changed = ledger.seen_version.is_some_and(|seen| seen != version);
    // Recorded before reading, so a commit landing during the reload that follows
    // is seen at the next look instead of being lost.
    ledger.seen_version = Some(version);
    let mut out = Looked {
        changed,
        ..Looked::default()
    };
    if changed || after_delivery {
        for message in replies {
            let state = store.outbox_entry(*message)?.map(|e| e.state);
            out.replies.push((*message, state));
        }
    }
    Ok(out)
}

/// Writes the drafts kept on this machine back to the queue, now that it answers.
/// A draft another running console holds meanwhile stays kept (its words are not
/// put over theirs); one that fails stays for the next look.
fn restore_kept_drafts(store: &mut Store, ledger: &Ledger) -> Vec<TicketId> {
    let Some((spool, queue)) = &ledger.spool else {
        return Vec::new();
    };
    let mut restored = Vec::new();
    for kept in spool.pending(queue).unwrap_or_default() {
        let Ok(stored) = store.draft(kept.ticket) else {
            break;
        };
        if held_by_other(stored.as_ref(), store.draft_holder()) {
            continue;
        }
        if matches!(
            store.save_draft(kept.ticket, &kept.body),
            Ok(crate::store::DraftSave::Saved)
        ) && spool.forget(queue, kept.ticket, &kept.body).is_ok()
        {
            restored.push(kept.ticket);
        }
    }
    restored
}

/// The question before merging `sources` into `into` (a merge cannot be undone),
/// naming the customers when they differ; and whether they do.
fn merge_question(
    store: &Store,
    sources: &[TicketId],
    into: TicketId,
) -> Result<(String, bool), StoreError> {
    let target = store.ticket(into)?;
    let mut others = Vec::new();
    for id in sources {
        let source = store.ticket(*id)?;
        if source.customer_id != target.customer_id {
            let name = store.customer(source.customer_id)?.name;
            others.push(format!("#{id} ({})", crate::display::sanitize_line(&name)));
        }
    }
    if others.is_empty() {
        let list: Vec<String> = sources.iter().map(|id| format!("#{id}")).collect();
        return Ok((
            format!(
                "Merge {} into #{into} ({})? The thread moves there; a merge cannot be undone.",
                list.join(", "),
                crate::display::sanitize_line(&target.subject)
            ),
            false,
        ));
    }
    let name = store.customer(target.customer_id)?.name;
    Ok((
        format!(
            "{} and #{into} ({}) are different customers. Merge anyway? A merge cannot be undone.",
            others.join(", "),
            crate::display::sanitize_line(&name)
        ),
        true,
    ))
}

/// Marks ticket `id` read unless it already is (nothing written then).
pub fn mark_read(store: &mut Store, id: TicketId) -> Result<(), StoreError> {
    if store.ticket(id)?.unread {
        store.change_ticket(id, &TicketChange::MarkRead, None)?;
    }
    Ok(())
}

/// Writes this console's presence row as asked, then reads every fresh row.
fn presence(
    store: &mut Store,
    write: &PresenceWrite,
    fresh_since: DateTime<Utc>,
) -> Result<Vec<crate::store::Presence>, StoreError> {
    match write {
        PresenceWrite::Keep => {}
        PresenceWrite::Announce(p) => store.announce_presence(p)?,
        PresenceWrite::Withdraw(console) => store.withdraw_presence(console)?,
    }
    store.presence(fresh_since)
}

/// Queues the reply, after the checks that need the store.
fn send_reply(
    store: &mut Store,
    config: &Config,
    ledger: &mut Ledger,
    out: &Outgoing,
) -> Result<Sent, NotSent> {
    let config = &Config {
        agent: out.agent.clone(),
        ..config.clone()
    };
    let failed = |e: StoreError| NotSent::Failed(e.into());
    let id = out.ticket;
    let stored = store.draft(id).map_err(failed)?;
    if held_by_other(stored.as_ref(), store.draft_holder()) {
        // Sent from here and from there, the customer would get it twice.
        return Err(NotSent::HeldElsewhere);
    }
    if config.sender_address().is_none()
        && crate::telegram::reply_chat(store, id)
            .map_err(failed)?
            .is_none()
        && crate::mail::reply_recipient(store, id)
            .map_err(|e| NotSent::Failed(e.into()))?
            .is_some()
    {
        // Never a made-up user@localhost the customer cannot answer.
        return Err(NotSent::NeedsAddress);
    }
    if let Some(baseline) = out.seen_up_to {
        let messages = store.messages(id).map_err(failed)?;
        if let Some(added) = crate::model::Collision::find(&messages, Some(baseline), |_| true) {
            let newest = messages.iter().map(|m| m.id).max().unwrap_or(baseline);
            return Err(NotSent::AddedElsewhere { added, newest });
        }
    }
    let message = crate::mail::queue_reply(store, config, id, &out.body)
        .map_err(|e| NotSent::Failed(e.into()))?;
    promises::record_reply_promise(store, &config.sla, id, message).map_err(failed)?;
    if let Some((canned_id, edited)) = out.canned {
        // Usage statistics only: the reply is queued either way.
        let _ = store.canned_record_sent(message, canned_id, edited);
    }
    store.save_draft(id, "").map_err(failed)?;
    // As `firstline reply` does: an unassigned ticket becomes the replying agent's
    // (only with `[agent] name`, so a solo queue stays as it was). The reply is
    // queued either way.
    let name = config.agent.name.trim();
    if !name.is_empty() {
        if let Ok(Some(crate::store::Taken::Now)) = store.take_if_unassigned(id, name) {
            ledger.took.insert(message, (id, name.to_string()));
        }
    }
    let waiting = store
        .outbox_entry(message)
        .map_err(failed)?
        .filter(|e| e.state == crate::store::OutboxState::Queued);
    Ok(match waiting {
        Some(entry) => Sent::Queued {
            message,
            not_before: entry.not_before,
        },
        None => Sent::Recorded(store.ticket(id).map_err(failed)?.channel),
    })
}

/// A reply taken back (`u`, or "take back" on quit) that had taken its unassigned
/// ticket for the agent gives the ticket back unassigned — as it was before the
/// reply — unless the assignee changed since (someone took or gave it meanwhile):
/// then the newer choice stands.
fn give_back_assignment(
    store: &mut Store,
    ledger: &mut Ledger,
    message: crate::model::MessageId,
) -> Result<(), StoreError> {
    let Some((ticket, name)) = ledger.took.remove(&message) else {
        return Ok(());
    };
    let now = store.ticket(ticket)?;
    if now.assignee.as_deref() != Some(name.as_str()) {
        return Ok(());
    }
    match store.change_ticket(ticket, &TicketChange::Assignee(None), Some(now.version)) {
        // Changed in between: the newer state stands.
        Ok(_) | Err(StoreError::Conflict { .. }) => Ok(()),
        Err(e) => Err(e),
    }
}

/// Applies `change` to every target, stopping at the first failure.
fn apply_change(
    store: &mut Store,
    sla: &SlaConfig,
    ledger: &mut Ledger,
    seq: u64,
    label: String,
    targets: &[(TicketId, Option<i64>)],
    change: &TicketChange,
) -> Changed {
    let mut inverses = Vec::new();
    let (mut unchanged, mut failure) = (0, None);
    for (id, seen) in targets {
        let before = match store.ticket(*id) {
            Ok(t) => t,
            Err(e) => {
                failure = Some(e);
                break;
            }
        };
        match store.change_ticket(*id, change, ledger.expected(*id, *seen)) {
            // Already so: nothing was written or logged.
            Ok(after) if after.version == before.version => unchanged += 1,
            Ok(after) => {
                ledger.moved(*id, before.version, after.version);
                if let Some(inv) = inverse(&before, &after, change) {
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
    let mut owe_notice = Vec::new();
    if matches!(change, TicketChange::Status(s) if s.is_resolved()) {
        for c in &inverses {
            match owes_solved_notice(store, sla, c.ticket) {
                Ok(true) => owe_notice.push(c.ticket),
                Ok(false) => {}
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
        }
    }
    let changed = inverses.len();
    if !inverses.is_empty() {
        ledger.undo.insert(seq, inverses);
    }
    Changed {
        seq,
        label,
        targets: targets.iter().map(|(id, _)| *id).collect(),
        changed,
        unchanged,
        failure,
        owe_notice,
    }
}

fn owes_solved_notice(store: &Store, sla: &SlaConfig, id: TicketId) -> Result<bool, StoreError> {
    let ticket = store.ticket(id)?;
    let messages = store.messages(id)?;
    Ok(promises::owes_solved_notice(&ticket, &messages, sla))
}

/// Marks the replies a quitting console leaves queued as not delivered yet, with
/// what will send them: with no console running nothing does, and a reply counted
/// as the answer while it sits there would take the ticket out of Needs reply for
/// as long as the console stays closed. The next courier sends it as before.
fn keep_queued(
    store: &mut Store,
    messages: &[crate::model::MessageId],
) -> Result<(), crate::tui::error::ConsoleError> {
    const WHY: &str = "kept queued when the console quit; it goes with the next console or `firstline outbox flush`";
    for &message in messages {
        let Some(entry) = store.outbox_entry(message)? else {
            continue;
        };
        if entry.state == crate::store::OutboxState::Queued && entry.last_error.is_none() {
            store.mark_outbound_failed(entry.id, WHY, Some(entry.not_before))?;
        }
    }
    Ok(())
}

/// Takes back change `seq`: all of its tickets or none, and only if none moved on
/// since (another window, the CLI), so it never overwrites a newer change.
fn undo(
    store: &mut Store,
    ledger: &mut Ledger,
    seq: u64,
    label: &str,
) -> Result<Vec<TicketId>, String> {
    let Some(changes) = ledger.undo.remove(&seq) else {
        return Err(format!("nothing to undo: {label} changed nothing"));
    };
    for c in &changes {
        let version = store.ticket(c.ticket).map_err(|e| e.to_string())?.version;
        if version != c.after {
            return Err(format!(
                "not undone: #{} changed since ({label}); change it by hand",
                c.ticket
            ));
        }
    }
    let mut ids = Vec::new();
    for c in &changes {
        let restored = store
            .change_ticket(c.ticket, &c.inverse, Some(c.after))
            .map_err(|e| e.to_string())?;
        ledger.moved(c.ticket, c.after, restored.version);
        // The next older change of this ticket expected the version before this
        // one; it finds the restored one now, and undoing twice is not "changed since".
        let older = ledger
            .undo
            .range_mut(..seq)
            .rev()
            .find_map(|(_, cs)| cs.iter_mut().find(|o| o.ticket == c.ticket));
        if let Some(o) = older.filter(|o| o.after == c.before) {
            o.after = restored.version;
        }
        ids.push(c.ticket);
    }
    Ok(ids)
}

/// What a reload shows, read in one go.
fn reload(store: &Store, ask: &ReloadAsk) -> Result<Reloaded, StoreError> {
    let mut out = Reloaded {
        generation: ask.generation,
        outbox_attention: store.outbox_attention()?,
        outbox_undelivered: store.outbox_undelivered()?,
        undelivered_tickets: store.tickets_with_undelivered_reply()?,
        queued: store
            .outbox_entries(false)?
            .into_iter()
            .filter(|e| e.state == crate::store::OutboxState::Queued)
            .map(|e| (e.message, e.not_before))
            .collect(),
        keep: ask.keep,
        ..Reloaded::default()
    };
    if !ask.searching {
        let total = store.count_tickets(&ask.filter)?.max(0) as usize;
        let read = |start: usize| {
            store.list_tickets(&TicketFilter {
                limit: Some(ask.window),
                offset: start,
                ..ask.filter.clone()
            })
        };
        let top = ask.top.min(total.saturating_sub(1));
        let mut start = top.saturating_sub(ask.window / 4);
        let mut rows = read(start)?;
        let at = |rows: &[TicketSummary], start: usize, id: Option<TicketId>| {
            id.and_then(|k| rows.iter().position(|r| r.ticket.id == k))
                .map(|i| start + i)
        };
        out.keep_at = at(&rows, start, ask.keep);
        if let (None, Some(k)) = (out.keep_at, ask.keep) {
            // Pushed outside these rows (a big import sorted ahead of it), or gone
            // from the list: then its nearest neighbour in these rows, else the
            // next one wherever it went.
            match store.ticket_position(&ask.filter, k)? {
                Some(i) => {
                    start = i.saturating_sub(ask.window / 4);
                    rows = read(start)?;
                    out.keep_at = at(&rows, start, Some(k));
                }
                None => {
                    out.keep_left = true;
                    out.keep_at = ask
                        .neighbours
                        .iter()
                        .find_map(|n| at(&rows, start, Some(*n)));
                    let next = ask.neighbours.first().copied();
                    if let (None, Some(n)) = (out.keep_at, next) {
                        if let Some(i) = store.ticket_position(&ask.filter, n)? {
                            start = i.saturating_sub(ask.window / 4);
                            rows = read(start)?;
                            out.keep_at = at(&rows, start, Some(n));
                        }
                    }
                }
            }
        }
        out.list = Some((total, start, rows));
    }
    out.reading = match ask.reading.map(|id| (id, store.ticket(id))) {
        Some((id, Ok(_))) => Some((id, true)),
        Some((id, Err(StoreError::NotFound { .. }))) => Some((id, false)),
        Some((_, Err(e))) => return Err(e),
        None => None,
    };
    Ok(out)
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
        // "No reply needed" on a new ticket solved it: reopening it as it was gives
        // the wait back (the store derives it from the thread). On a ticket that
        // stays open there is no change that restores the wait: it cannot be undone.
        TicketChange::NoReplyNeeded(_) if before.status != after.status => {
            TicketChange::Status(before.status)
        }
        TicketChange::NoReplyNeeded(_) | TicketChange::MarkRead => return None,
    })
}

/// Reads ticket `id` as the conversation pane shows it. Not `ticket_detail`: the
/// console does not show the audit log, and reading it scans the events table,
/// which costs more than the rest on a big queue.
pub fn load_ticket(store: &Store, id: TicketId) -> Result<LoadedTicket, StoreError> {
    let ticket = store.ticket(id)?;
    let detail = TicketDetail {
        customer: store.customer(ticket.customer_id)?,
        messages: store.messages(id)?,
        draft: store.draft(id)?,
        events: Vec::new(),
        ticket,
    };
    let history = store
        .customer_tickets(detail.customer.id)?
        .into_iter()
        .filter(|t| t.ticket.id != id)
        .collect();
    Ok(LoadedTicket {
        followup: pending_followup(store, &detail)?,
        undelivered: store.undelivered_replies(id)?,
        detail,
        history,
    })
}

/// The open follow-up `detail` waits on (a promise or a manual one), if no later
/// reply has settled it.
pub fn pending_followup(
    store: &Store,
    detail: &TicketDetail,
) -> Result<Option<Followup>, StoreError> {
    followup_of(store, &detail.ticket)
}

/// The open follow-up `ticket` waits on, if no later reply has settled it.
fn followup_of(store: &Store, ticket: &Ticket) -> Result<Option<Followup>, StoreError> {
    let open = store.followups(true, Some(ticket.id))?;
    let delivered = promises::thread_as_delivered(store, ticket.id)?;
    Ok(promises::pending_followup(&open, ticket, &delivered).cloned())
}

/// A test hook: holds every command before it touches the store until the test
/// opens it, so a test can prove the console keeps answering keys while the store
/// is slow, without measuring time.
#[doc(hidden)]
#[derive(Debug, Default)]
pub struct Gate {
    state: Mutex<(bool, usize)>,
    changed: Condvar,
}

impl Gate {
    /// A closed gate.
    pub fn closed() -> Arc<Gate> {
        Arc::new(Gate::default())
    }

    /// Lets every held command and every later one through.
    pub fn open(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0 = true;
        self.changed.notify_all();
    }

    /// Holds every later command again.
    pub fn close(&self) {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).0 = false;
    }

    /// How many commands have arrived at the gate so far.
    pub fn arrived(&self) -> usize {
        self.state.lock().unwrap_or_else(|p| p.into_inner()).1
    }

    /// Waits until `n` commands have arrived, or `limit` passed; the count.
    pub fn wait_arrived(&self, n: usize, limit: Duration) -> usize {
        let state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let (state, _) = self
            .changed
            .wait_timeout_while(state, limit, |s| s.1 < n)
            .unwrap_or_else(|p| p.into_inner());
        state.1
    }

    fn pass(&self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.1 += 1;
        self.changed.notify_all();
        while !state.0 {
            state = self.changed.wait(state).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// How a runner's store is slowed down for tests and benchmarks.
#[doc(hidden)]
#[derive(Debug, Clone, Default)]
pub struct Slowdown {
    /// Held at this gate before every command.
    pub gate: Option<Arc<Gate>>,
    /// Slept before every command (`FIRSTLINE_STORE_DELAY_MS` in benchmarks).
    pub delay: Option<Duration>,
    /// Every command waits while this file exists (`FIRSTLINE_STORE_GATE`): the
    /// gate of a test that drives the real binary from outside (tests/tui_pty.rs).
    pub gate_file: Option<PathBuf>,
}

impl Slowdown {
    /// The delay the hidden `FIRSTLINE_STORE_DELAY_MS` asks for (benches/keys.sh)
    /// and the gate file `FIRSTLINE_STORE_GATE` names.
    pub fn from_env() -> Slowdown {
        let delay = std::env::var("FIRSTLINE_STORE_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis);
        let gate_file = std::env::var_os("FIRSTLINE_STORE_GATE")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        Slowdown {
            gate: None,
            delay,
            gate_file,
        }
    }

    /// Holds the calling thread as this slowdown asks, before a store call.
    pub fn hold(&self) {
        if let Some(gate) = &self.gate {
            gate.pass();
        }
        if let Some(file) = &self.gate_file {
            // A hidden test hook: looked at every 10 ms while it is closed.
            while file.exists() {
                thread::sleep(Duration::from_millis(10));
            }
        }
        if let Some(delay) = self.delay {
            thread::sleep(delay);
        }
    }
}

/// The running runner: a thread that owns its own connection to the queue and
/// executes commands one at a time, in the order the user asked for them. One
/// FIFO thread, not a pool: "solve #12, then reload" must read the list after the
/// change, and an undo must find its change applied, which only a single queue
/// guarantees without further bookkeeping.
///
/// Dropping it (or [`Runner::finish`]) closes its command queue (the stop
/// signal); the runner still works through every command already queued, so a
/// write the user asked for before quitting is not lost, within a time limit.
pub struct Runner {
    commands: Option<Sender<Command>>,
    thread: Option<thread::JoinHandle<()>>,
    /// Commands handed over and not finished yet, oldest first: what quitting
    /// reports when it cannot wait for them.
    pending: Arc<Mutex<std::collections::VecDeque<Command>>>,
}

impl Runner {
    /// Starts a runner on the queue at `path`, writing drafts as `holder` like the
    /// console; every answer goes to `answers`. The error is a sentence for the
    /// status bar.
    pub fn start(
        at: &Location,
        holder: Option<String>,
        config: Config,
        slowdown: Slowdown,
        answers: impl Fn(Done) -> bool + Send + 'static,
    ) -> Result<Runner, String> {
        let store = at
            .open()
            .map_err(|e| format!("cannot open the queue: {e}"))?;
        // Looks for changes ask a connection of their own (see `execute_watching`);
        // without one they ask the runner's, which misses only its own commits.
        let watch = at.open().ok();
        Runner::start_on(
            store,
            watch,
            at.to_string(),
            holder,
            config,
            slowdown,
            answers,
        )
    }

    /// Starts a runner on `store` itself (a queue with no file to open again: an
    /// in-memory one), looks for changes asked of `watch` when given; `queue` names
    /// the queue in the draft spool.
    pub fn start_on(
        mut store: Store,
        watch: Option<Store>,
        queue: String,
        holder: Option<String>,
        config: Config,
        slowdown: Slowdown,
        answers: impl Fn(Done) -> bool + Send + 'static,
    ) -> Result<Runner, String> {
        store.set_draft_holder(holder);
        prepare(&mut store, &config);
        let (commands, inbox) = mpsc::channel::<Command>();
        let pending = Arc::new(Mutex::new(std::collections::VecDeque::new()));
        let in_hand = Arc::clone(&pending);
        let thread = thread::Builder::new()
            .name("firstline-runner".into())
            .spawn(move || {
                serve(
                    queue, store, watch, &config, &slowdown, &inbox, &in_hand, &answers,
                )
            })
            .map_err(|e| format!("no runner thread: {e}"))?;
        Ok(Runner {
            commands: Some(commands),
            thread: Some(thread),
            pending,
        })
    }

    /// Queues a command; `false` when the runner has gone away.
    pub fn send(&self, command: Command) -> bool {
        let Some(commands) = self.commands.as_ref() else {
            return false;
        };
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.push_back(command.clone());
        if commands.send(command).is_ok() {
            return true;
        }
        pending.pop_back();
        false
    }

    /// How many commands are handed over and not finished.
    pub fn pending(&self) -> usize {
        self.pending.lock().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// Stops taking commands and waits, at most `limit`, for the runner to finish
    /// those queued. Returns what writes were left unfinished (empty when all
    /// landed), described for the user: quitting says so instead of hanging.
    pub fn finish(mut self, limit: Duration) -> Vec<String> {
        self.commands = None;
        let finished = match self.thread.take() {
            Some(t) => super::threads::join_within(t, limit),
            None => true,
        };
        if finished {
            return Vec::new();
        }
        let pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending
            .iter()
            .filter(|c| c.writes())
            .map(Command::describe)
            .collect()
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.commands = None;
        if let Some(t) = self.thread.take() {
            super::threads::join_within(t, QUIT_WAIT);
        }
    }
}

/// Sets `store` up as a runner's connection: the history names the agent, as the
/// CLI's does. (`tui::inline` prepares its store the same way.)
pub fn prepare(store: &mut Store, config: &Config) {
    if !config.agent.name.trim().is_empty() {
        store.set_actor(config.agent.name.trim());
    }
}

/// How long quitting waits for the runner to finish the writes queued before it:
/// long enough for a slow disk, short enough that a stuck store never keeps the
/// user's shell from coming back.
pub const FINISH_WAIT: Duration = Duration::from_secs(10);

/// The runner thread's loop. `queue` names the queue in the draft spool.
#[allow(clippy::too_many_arguments)] // each is one thing the thread owns or shares
fn serve(
    queue: String,
    mut store: Store,
    watch: Option<Store>,
    config: &Config,
    slowdown: &Slowdown,
    inbox: &Receiver<Command>,
    pending: &Mutex<std::collections::VecDeque<Command>>,
    answers: &dyn Fn(Done) -> bool,
) {
    let mut ledger = Ledger {
        // The first look compares with the queue as the console first read it.
        seen_version: watch.as_ref().unwrap_or(&store).data_version().ok(),
        spool: Some((crate::tui::spool::DraftSpool::default_place(), queue)),
        ..Ledger::default()
    };
    // Once nobody listens (the console quit) the queued commands still run: the
    // writes among them are what the user asked for.
    let mut listening = true;
    while let Ok(command) = inbox.recv() {
        slowdown.hold();
        let done = execute_watching(&mut store, watch.as_ref(), config, &mut ledger, command);
        pending
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front();
        if listening {
            listening = answers(done);
        }
    }
}
