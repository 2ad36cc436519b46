//! Background intake for the console: imports the Maildirs named in `[mail] watch`
//! when the console starts, then keeps watching them, on a thread with its own
//! connection. The first import is the watch's own scan, made after the watch is
//! registered, so mail delivered just after it is never missed. The console only
//! hears how many messages arrived, and reloads.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;

use crate::config::Config;
use crate::store::Store;

/// News from the intake thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arrival {
    /// This many new messages were stored.
    Messages(usize),
    Failed(String),
}

/// The running intake; it ends with the process.
pub struct Intake {
    news: Receiver<Arrival>,
}

/// Never set: the watch runs for the life of the console.
static RUN_FOREVER: AtomicBool = AtomicBool::new(false);

impl Intake {
    /// Starts importing and watching `config.mail.watch` for the queue at `db`;
    /// `Ok(None)` when nothing is configured or the queue has no file. The error is a
    /// sentence for the status bar, so mail that is not being read is never silent.
    pub fn start(db: Option<&std::path::Path>, config: &Config) -> Result<Option<Intake>, String> {
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
        let mut store = Store::open(db).map_err(|e| {
            format!("new mail is not being read (cannot open the queue for [mail] watch: {e}); restart firstline")
        })?;
        let config = config.clone();
        let (tx, news) = mpsc::channel();
        thread::Builder::new()
            .name("firstline-intake".into())
            .spawn(move || {
                store.set_actor("import");
                let options = crate::mail::ImportOptions {
                    timezone: crate::sla::timezone(&config.sla),
                    ..Default::default()
                };
                let report = |added: usize| {
                    if added > 0 {
                        let _ = tx.send(Arrival::Messages(added));
                    }
                };
                let result = crate::mail::watch(
                    &mut store,
                    &config,
                    &paths,
                    &options,
                    &RUN_FOREVER,
                    &mut |r| report(r.added),
                );
                if let Err(e) = result {
                    let _ = tx.send(Arrival::Failed(format!(
                        "watching for new mail stopped: {e}"
                    )));
                }
            })
            .map_err(|e| {
                format!(
                    "new mail is not being read (cannot start the intake: {e}); restart firstline"
                )
            })?;
        Ok(Some(Intake { news }))
    }

    /// News since the last call.
    pub fn poll(&self) -> Vec<Arrival> {
        let mut out = Vec::new();
        loop {
            match self.news.try_recv() {
                Ok(a) => out.push(a),
                Err(TryRecvError::Empty) | Err(TryRecvError::Disconnected) => return out,
            }
        }
    }
}
