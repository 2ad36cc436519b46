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
