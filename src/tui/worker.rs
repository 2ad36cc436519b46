//! Slow reads off the UI thread. Full-text search over a big queue can take a
//! noticeable fraction of a second for a common word, so when the queue is a file the
//! console searches on its own connection in a worker thread and keeps drawing and
//! taking keys; only the newest query is run, older ones are skipped.

use std::path::Path;
use std::sync::mpsc::{self, Receiver, Sender, TryRecvError};
use std::thread;

use crate::model::TicketSummary;
use crate::store::{SearchQuery, Store};

/// A search request: its generation (newest wins) and the text typed.
type Request = (u64, String);
/// A search answer for one generation: the rows, or a message to show.
pub type Answer = (u64, Result<Vec<TicketSummary>, String>);

/// A thread with its own read connection that answers searches.
pub struct SearchWorker {
    requests: Sender<Request>,
    answers: Receiver<Answer>,
}

impl SearchWorker {
    /// Starts the worker on the database at `path`; `limit` caps the results.
    pub fn start(path: &Path, limit: usize) -> Result<SearchWorker, crate::store::StoreError> {
        let store = Store::open(path)?;
        let (requests, inbox) = mpsc::channel::<Request>();
        let (outbox, answers) = mpsc::channel::<Answer>();
        thread::Builder::new()
            .name("firstline-search".into())
            .spawn(move || serve(store, inbox, outbox, limit))
            .map_err(|source| crate::store::StoreError::Io {
                context: "cannot start the search thread".into(),
                source,
            })?;
        Ok(SearchWorker { requests, answers })
    }

    /// Asks for a search; the answer arrives later through [`SearchWorker::poll`].
    pub fn ask(&self, generation: u64, text: &str) -> bool {
        self.requests.send((generation, text.to_string())).is_ok()
    }

    /// The newest answer that has arrived, if any.
    pub fn poll(&self) -> Option<Answer> {
        let mut latest = None;
        loop {
            match self.answers.try_recv() {
                Ok(a) => latest = Some(a),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return latest,
            }
        }
    }
}

fn serve(store: Store, inbox: Receiver<Request>, outbox: Sender<Answer>, limit: usize) {
    while let Ok(mut request) = inbox.recv() {
        while let Ok(newer) = inbox.try_recv() {
            request = newer;
        }
        let (generation, text) = request;
        let result = SearchQuery::parse(&text)
            .and_then(|q| store.search(&q, limit))
            .map(|hits| hits.into_iter().map(|h| h.summary).collect())
            .map_err(|e| e.to_string());
        if outbox.send((generation, result)).is_err() {
            return;
        }
    }
}
