//! Everything that can happen to the console, as one type. The terminal's thread,
//! the worker, the courier, the intake, the Telegram poller and the mailbox threads
//! all send into one channel; the loop in `tui/mod.rs` waits on it and hands each
//! message to [`crate::tui::update::update`]. Tests build the same messages, so they
//! drive the console (and its clock) exactly as the terminal and the threads do.

use std::time::Instant;

use ratatui::crossterm::event::{Event, KeyEvent, MouseEvent};

use super::{courier, intake, mailboxes, runner, signals, telegram, worker};

/// One thing that happened.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Paste(String),
    /// The terminal's new size (columns, rows).
    Resize(u16, u16),
    /// Time passed: the autosave pause, the clocks, the look for changes elsewhere.
    Tick(Instant),
    /// A search or the counts, from the worker.
    Worker(worker::Answer),
    /// A delivery round's outcome, from the courier.
    Delivery(courier::Delivery),
    /// New mail from the watched Maildirs.
    Arrival(intake::Arrival),
    /// A round of the Telegram poller.
    Telegram(telegram::ChannelNews),
    /// A live mailbox's state and what it fetched.
    Mailbox(mailboxes::MailboxNews),
    /// A command's answer, from the runner.
    Done(runner::Done),
    /// Another agent changed the queue or their presence (the server's push, see
    /// `tui::listener`).
    Live(crate::store::live::Change),
    /// A background thread stopped or could not start: the sentence says why.
    Trouble(String),
    /// The terminal cannot be read any more: the console ends with this error.
    TerminalFailed(String),
    /// SIGTERM or SIGHUP: end as `q` does, without a question (nobody may be there
    /// to answer it).
    Signal(signals::Ending),
}

impl Msg {
    /// The message for a terminal event; `None` for events the console ignores
    /// (focus changes).
    pub fn from_terminal(event: Event) -> Option<Msg> {
        match event {
            Event::Key(key) => Some(Msg::Key(key)),
            Event::Mouse(mouse) => Some(Msg::Mouse(mouse)),
            Event::Paste(text) => Some(Msg::Paste(text)),
            Event::Resize(w, h) => Some(Msg::Resize(w, h)),
            _ => None,
        }
    }

    /// Whether the user did this (for the key-to-frame log).
    pub fn is_input(&self) -> bool {
        matches!(
            self,
            Msg::Key(_) | Msg::Mouse(_) | Msg::Paste(_) | Msg::Resize(..)
        )
    }
}
