//! SIGTERM and SIGHUP (`kill`, a closed terminal window, a logout): the console
//! ends as `q` ends it — the draft on screen is saved through the runner, the writes
//! still queued are waited for within the same limit, the terminal is given back —
//! instead of the default action, which kills the process between a key press and
//! its write. A thread turns each signal into a message in the console's one
//! channel (`Msg::Signal`, through the callback `tui::run` gives it, so this file
//! needs nothing of `msg.rs`); `signal-hook` (already in the tree through crossterm) does the
//! async-signal-safe part, so no code of ours runs inside a signal handler.

use std::thread::JoinHandle;
use std::time::Duration;

use signal_hook::consts::{SIGHUP, SIGTERM};
use signal_hook::iterator::{Handle, Signals};

/// A signal asking the console to end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// SIGTERM: `kill`, a service manager, a shutdown.
    Terminate,
    /// SIGHUP: the terminal went away (a closed window, a dropped SSH session).
    HangUp,
}

impl Ending {
    /// The signal's usual name, for the status line.
    pub fn name(self) -> &'static str {
        match self {
            Ending::Terminate => "SIGTERM",
            Ending::HangUp => "SIGHUP",
        }
    }
}

/// The thread listening for SIGTERM and SIGHUP; stopped and joined on quit.
pub struct Listener {
    handle: Handle,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Catches SIGTERM and SIGHUP from now on, each handed to `news` (which says
    /// `false` once nobody listens). The error is a sentence for the status bar.
    pub fn start(news: impl Fn(Ending) -> bool + Send + 'static) -> Result<Listener, String> {
        let mut signals = Signals::new([SIGTERM, SIGHUP])
            .map_err(|e| format!("SIGTERM and SIGHUP end the console at once: {e}"))?;
        let handle = signals.handle();
        let thread = std::thread::Builder::new()
            .name("firstline-signals".into())
            .spawn(move || {
                for signal in signals.forever() {
                    let ending = if signal == SIGHUP {
                        Ending::HangUp
                    } else {
                        Ending::Terminate
                    };
                    if !news(ending) {
                        return;
                    }
                }
            })
            .map_err(|e| format!("SIGTERM and SIGHUP end the console at once: {e}"))?;
        Ok(Listener {
            handle,
            thread: Some(thread),
        })
    }

    /// Stops listening and joins the thread. The handlers stay installed until
    /// the process ends, so a second signal during the last writes does not kill
    /// it half-way.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.handle.close();
        if let Some(t) = self.thread.take() {
            super::threads::join_within(t, Duration::from_secs(1));
        }
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.halt();
    }
}
