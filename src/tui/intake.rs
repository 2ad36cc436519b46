//! Background intake for the console: imports the Maildirs named in `[mail] watch`
//! when the console starts, then keeps watching them, on a thread with its own
//! connection. The first import is the watch's own scan, made after the watch is
//! registered, so mail delivered just after it is never missed. The console only
//! hears how many messages arrived, and reloads.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::config::Config;
use crate::store::Location;

/// How long quitting waits for an import in progress to finish its batch.
const QUIT_WAIT: Duration = Duration::from_secs(5);

/// News from the intake thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// This many new messages were stored.
    Messages(usize),
    Failed(String),
}

/// The running intake. [`Intake::stop`] (or dropping it) ends the watch.
pub struct Intake {
    thread: super::threads::Stopper,
}

impl Intake {
    /// Starts importing and watching `config.mail.watch` for the queue at `db`,
    /// telling `news` what arrived; `Ok(None)` when nothing is configured or the queue
    /// has no file. The error is a sentence for the status bar, so mail that is not
    /// being read is never silent.
    pub fn start(
        db: Option<&Location>,
        config: &Config,
        news: impl Fn(Arrival) -> bool + Send + 'static,
    ) -> Result<Option<Intake>, String> {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let paths: Vec<PathBuf> = config
            .mail
            .watch
            .iter()
            .map(|p| match (p.strip_prefix("~"), &home) {
                (Ok(rest), Some(home)) => home.join(rest),
                _ => p.clone(),
            })
            .collect();
        let Some(db) = db.filter(|_| !paths.is_empty()) else {
            return Ok(None);
        };
        let mut store = db.open().map_err(|e| {
            format!("new mail is not being read (cannot open the queue for [mail] watch: {e}); restart firstline")
        })?;
        let config = config.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("firstline-intake".into())
            .spawn(move || {
                store.set_actor("import");
                let options = crate::mail::ImportOptions {
                    timezone: crate::sla::timezone(&config.sla),
                    ..Default::default()
                };
                let result = crate::mail::watch(
                    &mut store,
                    &config,
                    &paths,
                    &options,
                    &stopping,
                    &mut |r| {
                        if r.added > 0 {
                            news(Arrival::Messages(r.added));
                        }
                    },
                );
                if let Err(e) = result {
                    news(Arrival::Failed(format!(
                        "watching for new mail stopped: {e}"
                    )));
                }
            })
            .map_err(|e| {
                format!(
                    "new mail is not being read (cannot start the intake: {e}); restart firstline"
                )
            })?;
        Ok(Some(Intake {
            thread: super::threads::Stopper::new(stop, thread, QUIT_WAIT),
        }))
    }

    /// Ends the watch and waits (briefly) for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.thread.halt();
    }
}
