//! Waiting for the console's background threads to end. Every thread has a stop
//! signal; quitting (and suspending, for the terminal's own thread) asks each to
//! stop and waits for it, but only so long: a thread stuck in a network call must
//! not keep the user's shell from coming back. A thread left behind holds nothing
//! that is not safe in the database (every store write is a transaction).

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often the wait looks whether the thread has finished.
const LOOK_EVERY: Duration = Duration::from_millis(5);

/// Joins `handle` if it ends within `limit`; `false` when it was left running.
pub fn join_within(handle: JoinHandle<()>, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    while !handle.is_finished() {
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(LOOK_EVERY);
    }
    let _ = handle.join();
    true
}

/// A background thread's stop signal and handle, written once for the console's
/// threads (courier, intake, listener, Telegram poller): [`Stopper::halt`] raises
/// the signal and joins the thread within its time limit; dropping does the same, so
/// a thread is never left running by an early return.
pub struct Stopper {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    thread: Option<JoinHandle<()>>,
    wait: Duration,
}

impl Stopper {
    /// Takes charge of `thread`, which watches `stop`; quitting waits `wait` for it.
    pub fn new(
        stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
        thread: JoinHandle<()>,
        wait: Duration,
    ) -> Stopper {
        Stopper {
            stop,
            thread: Some(thread),
            wait,
        }
    }

    /// Asks the thread to stop and waits for it, at most its limit.
    pub fn halt(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            join_within(t, self.wait);
        }
    }
}

impl Drop for Stopper {
    fn drop(&mut self) {
        self.halt();
    }
}
