//! The console's slow work, off the UI thread. `update` does not read the store for
//! these: it returns a [`Command`] (load ticket N, compute the report, save the
//! attachments), the runner thread executes it on its own connection and answers
//! with a [`Done`], which comes back into the loop's channel as a message. While a
//! command runs the console keeps drawing and answering keys, with "loading…" where
//! the answer will appear.
//!
//! Without a runner (tests, an in-memory queue) the same [`execute`] runs inline,
//! so both paths share one implementation.

use std::path::PathBuf;
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::SlaConfig;
use crate::model::{Attachment, TicketDetail, TicketId, TicketSummary};
use crate::report::Report;
use crate::sla::promises;
use crate::store::{Followup, OutboxEntry, Store, StoreError};

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
}

/// Runs `command` on `store`: the one implementation, on the runner thread or inline.
pub fn execute(store: &Store, sla: &SlaConfig, command: Command) -> Done {
    match command {
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
    let id = detail.ticket.id;
    let open = store.followups(true, Some(id))?;
    let delivered = promises::thread_as_delivered(store, id)?;
    Ok(promises::pending_followup(&open, &detail.ticket, &delivered).cloned())
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
}

impl Slowdown {
    /// The delay the hidden `FIRSTLINE_STORE_DELAY_MS` asks for (benches/keys.sh).
    pub fn from_env() -> Slowdown {
        let delay = std::env::var("FIRSTLINE_STORE_DELAY_MS")
            .ok()
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_millis);
        Slowdown { gate: None, delay }
    }
}

/// The running runner: a thread that owns its own connection to the queue.
/// Dropping it closes its command queue (the stop signal) and waits for the
/// command in hand, within a limit.
pub struct Runner {
    commands: Option<Sender<Command>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Runner {
    /// Starts a runner on the queue at `path`, writing drafts as `holder` like the
    /// console; every answer goes to `answers`, which says `false` once nobody
    /// listens. The error is a sentence for the status bar.
    pub fn start(
        path: &std::path::Path,
        holder: Option<String>,
        sla: SlaConfig,
        slowdown: Slowdown,
        answers: impl Fn(Done) -> bool + Send + 'static,
    ) -> Result<Runner, String> {
        let mut store = Store::open(path)
            .map_err(|e| format!("working in the foreground (cannot open the queue: {e})"))?;
        store.set_draft_holder(holder);
        let (commands, inbox) = mpsc::channel::<Command>();
        let thread = thread::Builder::new()
            .name("firstline-runner".into())
            .spawn(move || serve(&store, &sla, &slowdown, &inbox, &answers))
            .map_err(|e| format!("working in the foreground (no runner thread: {e})"))?;
        Ok(Runner {
            commands: Some(commands),
            thread: Some(thread),
        })
    }

    /// Queues a command; `false` when the runner has gone away.
    pub fn send(&self, command: Command) -> bool {
        self.commands
            .as_ref()
            .is_some_and(|c| c.send(command).is_ok())
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

fn serve(
    store: &Store,
    sla: &SlaConfig,
    slowdown: &Slowdown,
    inbox: &Receiver<Command>,
    answers: &dyn Fn(Done) -> bool,
) {
    while let Ok(command) = inbox.recv() {
        if let Some(gate) = &slowdown.gate {
            gate.pass();
        }
        if let Some(delay) = slowdown.delay {
            thread::sleep(delay);
        }
        if !answers(execute(store, sla, command)) {
            return;
        }
    }
}
