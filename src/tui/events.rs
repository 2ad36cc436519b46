//! The terminal's own thread: it reads key, mouse, paste and resize events and
//! sends them into the console's channel, so the loop waits on one channel for
//! everything instead of polling the terminal. While the shell (Ctrl-Z) or
//! `$EDITOR` has the terminal the thread is paused — it must never read a key meant
//! for the editor — and on quit it is stopped and joined.

use std::sync::mpsc::Sender;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ratatui::crossterm::event;

use super::msg::Msg;

/// How long one wait for input lasts before the thread looks at its orders: the
/// longest a pause or a stop waits. Input itself is sent the moment it arrives.
const LISTEN: Duration = Duration::from_millis(50);
/// How long a pause or a stop waits for the thread to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    Listen,
    Pause,
    /// The thread answers a pause by setting this: it is not reading.
    Paused,
    Stop,
}

/// The running terminal thread.
pub struct TerminalEvents {
    order: Arc<(Mutex<Order>, Condvar)>,
    thread: Option<JoinHandle<()>>,
}

impl TerminalEvents {
    /// Starts reading the terminal into `tx`. The error is a sentence for the user.
    pub fn start(tx: Sender<Msg>) -> Result<TerminalEvents, String> {
        let order = Arc::new((Mutex::new(Order::Listen), Condvar::new()));
        let orders = Arc::clone(&order);
        let thread = thread::Builder::new()
            .name("firstline-terminal".into())
            .spawn(move || listen(&orders, &tx))
            .map_err(|e| format!("cannot read the keyboard (no thread: {e})"))?;
        Ok(TerminalEvents {
            order,
            thread: Some(thread),
        })
    }

    /// Stops reading until [`TerminalEvents::resume`]; returns once the thread is
    /// no longer inside a read (or after a second, if it never answers).
    pub fn pause(&self) {
        let (lock, cv) = &*self.order;
        let mut order = lock.lock().unwrap_or_else(|p| p.into_inner());
        if *order == Order::Listen {
            *order = Order::Pause;
            cv.notify_all();
        }
        let _ = cv
            .wait_timeout_while(order, ANSWER_WAIT, |o| *o == Order::Pause)
            .map_err(|p| p.into_inner());
    }

    /// Reads the terminal again after a pause.
    pub fn resume(&self) {
        self.set(Order::Listen);
    }

    /// Ends the thread and waits for it (briefly).
    pub fn stop(mut self) {
        self.halt();
    }

    fn set(&self, to: Order) {
        let (lock, cv) = &*self.order;
        *lock.lock().unwrap_or_else(|p| p.into_inner()) = to;
        cv.notify_all();
    }

    fn halt(&mut self) {
        self.set(Order::Stop);
        if let Some(t) = self.thread.take() {
            super::threads::join_within(t, ANSWER_WAIT);
        }
    }
}

impl Drop for TerminalEvents {
    fn drop(&mut self) {
        self.halt();
    }
}

/// The thread: waits for input in short spells, obeying pause and stop between them.
fn listen(orders: &(Mutex<Order>, Condvar), tx: &Sender<Msg>) {
    let (lock, cv) = orders;
    loop {
        {
            let mut order = lock.lock().unwrap_or_else(|p| p.into_inner());
            loop {
                match *order {
                    Order::Stop => return,
                    Order::Listen => break,
                    Order::Pause => {
                        *order = Order::Paused;
                        cv.notify_all();
                    }
                    Order::Paused => order = cv.wait(order).unwrap_or_else(|p| p.into_inner()),
                }
            }
        }
        let read = match event::poll(LISTEN) {
            Ok(false) => continue,
            Ok(true) => event::read(),
            Err(e) => Err(e),
        };
        let msg = match read {
            Ok(event) => Msg::from_terminal(event),
            Err(e) => {
                let _ = tx.send(Msg::TerminalFailed(format!(
                    "cannot read the keyboard: {e}"
                )));
                return;
            }
        };
        if let Some(msg) = msg {
            if tx.send(msg).is_err() {
                return;
            }
        }
    }
}
