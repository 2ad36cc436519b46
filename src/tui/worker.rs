//! Slow reads off the UI thread. Full-text search and the queue-wide counts can take
//! a noticeable time on a big queue, so when the queue is a file the console runs
//! them on a second connection in a worker thread and keeps drawing and taking keys.
//! Counting also records follow-ups for promises in newly sent replies (the only
//! write here, idempotent and cheap after the first scan of a queue).
//! Only the newest request of each kind is run; older ones are skipped. Without a
//! worker thread (tests, a queue without a file) the same jobs go to the runner as
//! `Command::Worker` and are answered by [`run_job`], so both paths share one
//! implementation.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;

use chrono::{DateTime, Utc};

use crate::config::SlaConfig;
use crate::model::TicketSummary;
use crate::sla::counts::{compute_counts, Counts};
use crate::sla::promises;
use crate::store::{Location, SearchQuery, Store, StoreError};

/// Work for the worker.
#[derive(Debug, Clone, PartialEq)]
pub enum Job {
    /// Search for `text` (dates in it read as of `now`, the console's clock);
    /// `generation` tells answers to stale queries apart.
    Search {
        generation: u64,
        text: String,
        now: DateTime<Utc>,
    },
    /// Count the views, the overdue tickets and the due follow-ups as of `now`
    /// (recording follow-ups for promises in replies sent since the last count).
    Counts { now: DateTime<Utc> },
}

/// What the worker found.
#[derive(Debug, Clone)]
pub enum Answer {
    Search {
        generation: u64,
        result: Result<Vec<TicketSummary>, String>,
    },
    Counts(Result<Counts, String>),
}

/// How long quitting waits for a search or count in progress.
const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// A thread with its own read connection. Dropping it is its stop signal: the job
/// queue closes, and the thread ends after the job in hand.
pub struct Worker {
    jobs: Option<Sender<Job>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Worker {
    /// Starts the worker on the database at `path`; `limit` caps search results.
    /// Every answer goes to `answers`, which says `false` once nobody listens.
    pub fn start(
        at: &Location,
        sla: SlaConfig,
        limit: usize,
        answers: impl Fn(Answer) -> bool + Send + 'static,
    ) -> Result<Worker, StoreError> {
        let store = at.open()?;
        let (jobs, inbox) = mpsc::channel::<Job>();
        let thread = thread::Builder::new()
            .name("firstline-worker".into())
            .spawn(move || serve(store, sla, inbox, &answers, limit))
            .map_err(|source| StoreError::Io {
                context: "cannot start the worker thread".into(),
                source,
            })?;
        Ok(Worker {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Queues a job; `false` when the worker has gone away.
    pub fn ask(&self, job: Job) -> bool {
        self.jobs.as_ref().is_some_and(|j| j.send(job).is_ok())
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.jobs = None;
        if let Some(t) = self.thread.take() {
            super::threads::join_within(t, QUIT_WAIT);
        }
    }
}

fn serve(
    mut store: Store,
    sla: SlaConfig,
    inbox: Receiver<Job>,
    outbox: &dyn Fn(Answer) -> bool,
    limit: usize,
) {
    while let Ok(first) = inbox.recv() {
        let (mut search, mut counts) = (None, None);
        for job in std::iter::once(first).chain(inbox.try_iter()) {
            match job {
                Job::Search {
                    generation,
                    text,
                    now,
                } => search = Some((generation, text, now)),
                Job::Counts { now } => counts = Some(now),
            }
        }
        if let Some((generation, text, now)) = search {
            let result = search_for(&store, &sla, &text, now, limit);
            if !outbox(Answer::Search { generation, result }) {
                return;
            }
        }
        if let Some(now) = counts {
            // Counts first, so the tabs never wait on the promise scan; counted again
            // only when the scan recorded a follow-up.
            let result = compute_counts(&store, &sla, now).map_err(|e| e.to_string());
            if !outbox(Answer::Counts(result)) {
                return;
            }
            let recount = match promises::scan_replies(&mut store, &sla, now) {
                Ok(0) => None,
                Ok(_) => Some(compute_counts(&store, &sla, now).map_err(|e| e.to_string())),
                Err(e) => Some(Err(e.to_string())),
            };
            if let Some(result) = recount {
                if !outbox(Answer::Counts(result)) {
                    return;
                }
            }
        }
    }
}

/// The rows matching `text`, as the inbox shows them; or the sentence saying why
/// not (an unreadable filter, the queue not answering).
fn search_for(
    store: &Store,
    sla: &SlaConfig,
    text: &str,
    now: DateTime<Utc>,
    limit: usize,
) -> Result<Vec<TicketSummary>, String> {
    SearchQuery::parse_in(text, now, crate::sla::timezone(sla))
        .and_then(|q| store.search(&q, limit))
        .map(|hits| hits.into_iter().map(|h| h.summary).collect())
        .map_err(|e| e.to_string())
}

/// The most rows a search shows.
pub const SEARCH_LIMIT: usize = 500;

/// Does `job` at once on `store` (the runner's, when there is no worker thread):
/// the counts after the promise scan, in one answer.
pub fn run_job(store: &mut Store, sla: &SlaConfig, job: Job) -> Answer {
    match job {
        Job::Search {
            generation,
            text,
            now,
        } => Answer::Search {
            generation,
            result: search_for(store, sla, &text, now, SEARCH_LIMIT),
        },
        Job::Counts { now } => Answer::Counts(
            crate::sla::counts::scan_then_count(store, sla, now).map_err(|e| e.to_string()),
        ),
    }
}
