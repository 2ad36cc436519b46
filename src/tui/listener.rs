//! The live-update listener: on a server queue, one thread holds a listening
//! connection (`store::live`) and turns each notification into a
//! [`Msg::Live`](super::msg::Msg), so another agent's reply, note, status change,
//! assignment or presence shows within a second without waiting for the console's
//! next look at the change counter. When the server drops the connection the
//! thread connects again (every second while it is away) and says "queue" once it
//! is back, since it may have missed something. A queue file starts no thread: its
//! consoles keep asking `data_version`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::store::live::{Change, Listener};
use crate::store::Location;

/// How long one wait for notifications lasts: also how soon a stop is noticed.
const WAIT: Duration = Duration::from_millis(250);
/// How long the thread waits before connecting again to a server that is away.
const RETRY_EVERY: Duration = Duration::from_secs(1);
/// How long quitting waits for the thread.
const QUIT_WAIT: Duration = Duration::from_secs(2);

/// The running listener; [`LiveUpdates::stop`] (or dropping it) ends it.
pub struct LiveUpdates {
    thread: super::threads::Stopper,
}

impl LiveUpdates {
    /// Starts listening on `location`; `Ok(None)` when that queue pushes nothing.
    /// `news` returns `false` once the console is gone, which ends the thread.
    pub fn start(
        location: &Location,
        news: impl Fn(Change) -> bool + Send + 'static,
    ) -> Result<Option<LiveUpdates>, String> {
        let first = match Listener::open(location) {
            None => return Ok(None),
            Some(Ok(l)) => Some(l),
            // The server may be back later: the thread keeps trying.
            Some(Err(_)) => None,
        };
        let location = location.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("firstline-listener".into())
            .spawn(move || listen(first, &location, &stopping, &news))
            .map_err(|e| {
                format!(
                    "other agents' changes show only every second (cannot start the listener: {e})"
                )
            })?;
        Ok(Some(LiveUpdates {
            thread: super::threads::Stopper::new(stop, thread, QUIT_WAIT),
        }))
    }

    /// Ends the thread and waits (briefly) for it.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.thread.halt();
    }
}

fn listen(
    mut current: Option<Listener>,
    location: &Location,
    stop: &AtomicBool,
    news: &dyn Fn(Change) -> bool,
) {
    while !stop.load(Ordering::Relaxed) {
        let Some(listener) = current.as_mut() else {
            sleep_unless_stopped(RETRY_EVERY, stop);
            if let Some(Ok(l)) = Listener::open(location) {
                current = Some(l);
                // Whatever was committed while we were away was not heard.
                if !news(Change::Queue) || !news(Change::Presence) {
                    return;
                }
            }
            continue;
        };
        match listener.wait(WAIT) {
            Ok(changes) => {
                for change in changes {
                    if !news(change) {
                        return;
                    }
                }
            }
            Err(_) => current = None,
        }
    }
}

/// Sleeps `total` in short steps, returning early once `stop` is set.
fn sleep_unless_stopped(total: Duration, stop: &AtomicBool) {
    let step = Duration::from_millis(50);
    let mut slept = Duration::ZERO;
    while slept < total && !stop.load(Ordering::Relaxed) {
        thread::sleep(step);
        slept += step;
    }
}
