//! Delivers replies whose undo window has passed, on a thread of its own: a slow
//! sendmail or SMTP server must never freeze the console. It reports each delivery
//! and failure back for the status bar.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::config::Config;
use crate::mail::{DeliveryReport, MailError};
use crate::model::{MessageId, TicketId};
use crate::store::{ClaimScope, Location, Store};

/// How often the outbox is looked at.
const EVERY: Duration = Duration::from_secs(2);
/// How often a sleeping courier checks whether it should stop.
const NAP: Duration = Duration::from_millis(100);
/// How long quitting waits for the reply being handed over: a transport's own
/// timeouts end a stuck hand-over well before this, so the reply is rarely left
/// in doubt, and the shell still comes back if one never answers.
const QUIT_WAIT: Duration = Duration::from_secs(30);

/// What happened to the replies in one round.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Delivered: how many, and their tickets (this console's doing, so a ticket
    /// leaving Needs reply for it is no "changed elsewhere").
    Sent {
        count: usize,
        tickets: Vec<TicketId>,
        /// The first one as the user knows it ("reply to Ann Lee (#12)").
        first: String,
    },
    /// Written as an `.eml` file for the user to send (no transport): the sentence.
    Saved(String),
    Failed(String),
    /// Delivered, but the copy into the IMAP Sent folder (`append_sent`) failed.
    NotCopied(String),
}

/// The running courier. [`Courier::stop`] (or dropping it) asks the thread to end
/// and waits for it: a reply being handed over is finished, the rest stay queued.
pub struct Courier {
    thread: super::threads::Stopper,
}

impl Courier {
    /// Starts delivering for the queue at `path` with its own connection. The error
    /// is a sentence for the status bar: replies that silently never leave are worse
    /// than a console that says so. Each round's report goes to `tell`, which says
    /// `false` once nobody listens any more.
    pub fn start(
        at: &Location,
        config: Config,
        tell: impl Fn(Delivery) -> bool + Send + 'static,
    ) -> Result<Courier, String> {
        let mut store = at
            .open()
            .map_err(|e| format!("replies are not being sent (the courier cannot open the queue: {e}); restart firstline"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let thread = thread::Builder::new()
            .name("firstline-courier".into())
            .spawn(move || {
                while !stopping.load(Ordering::Relaxed) {
                    let report = crate::mail::deliver_until_stopped(
                        &mut store,
                        &config,
                        ClaimScope::Due(chrono::Utc::now()),
                        &stopping,
                    );
                    if let Some(m) = Delivery::of_round(report, &store) {
                        if !tell(m) {
                            return;
                        }
                    }
                    // Short naps, so a quit is answered within a tenth of a second.
                    let mut slept = Duration::ZERO;
                    while slept < EVERY && !stopping.load(Ordering::Relaxed) {
                        thread::sleep(NAP);
                        slept += NAP;
                    }
                }
            })
            .map_err(|e| {
                format!(
                    "replies are not being sent (cannot start the courier: {e}); restart firstline"
                )
            })?;
        Ok(Courier {
            thread: super::threads::Stopper::new(stop, thread, QUIT_WAIT),
        })
    }

    /// Ends the courier after the reply it is handing over, if any.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.thread.halt();
    }
}

impl Delivery {
    /// What the status bar hears about one delivery round; `None` when nothing was due.
    pub fn of_round(round: Result<DeliveryReport, MailError>, store: &Store) -> Option<Delivery> {
        match round {
            Ok(r) if !r.failed.is_empty() => Some(Delivery::Failed(failure_line(&r, store))),
            Ok(r) if !r.saved.is_empty() => {
                // "not sent" first and no file name: the status bar is one line, and a
                // trial read "reply to … saved as fl.2026…" cut at 120 columns as a
                // success. `firstline outbox` and `doctor` name the file and folder.
                let (id, _) = &r.saved[0];
                Some(Delivery::Saved(format!(
                    "{} not sent: {}",
                    reply_named(store, *id),
                    DeliveryReport::saved_line(".eml")
                )))
            }
            Ok(r) if !r.not_copied.is_empty() => {
                let (id, why) = &r.not_copied[0];
                Some(Delivery::NotCopied(format!(
                    "{} sent, but {why}",
                    reply_named(store, *id)
                )))
            }
            Ok(r) if !r.sent.is_empty() => Some(Delivery::Sent {
                count: r.sent.len(),
                first: reply_named(store, r.sent[0].0),
                tickets: r
                    .sent
                    .iter()
                    .filter_map(|(m, _)| store.outbox_entry(*m).ok().flatten())
                    .map(|e| e.ticket)
                    .collect(),
            }),
            Ok(_) => None,
            Err(e) => Some(Delivery::Failed(format!("outbox: {e}"))),
        }
    }
}

/// The status bar's words for a failed round: the transport's own error comes right
/// after a short lead, so a terminal of ordinary width shows it; `firstline outbox`
/// has the whole text.
fn failure_line(r: &DeliveryReport, store: &Store) -> String {
    let (id, err) = &r.failed[0];
    let more = match r.failed.len() {
        1 => String::new(),
        n => format!(" (+{} more)", n - 1),
    };
    // The ticket, not the name: the transport's error must fit a 120-column bar,
    // and the ticket's row says whose reply it is ("… reply not delivered").
    let reply = store
        .outbox_entry(*id)
        .ok()
        .flatten()
        .map_or_else(|| format!("reply {id}"), |e| format!("#{} reply", e.ticket));
    format!("{reply} not delivered{more}: {err} · will retry; firstline outbox")
}

/// A reply as the user knows it: "reply to Ann Lee (#12)", not the message's row id
/// (a new-user trial read "reply 29 not delivered" and could not tell whose; a
/// failure says "#12 reply", see [`failure_line`]). The bare id when the queue
/// cannot say.
fn reply_named(store: &Store, message: MessageId) -> String {
    let named = || -> Option<String> {
        let ticket = store.outbox_entry(message).ok()??.ticket;
        let customer = store
            .customer(store.ticket(ticket).ok()?.customer_id)
            .ok()?;
        Some(format!(
            "reply to {} (#{ticket})",
            crate::display::sanitize_line(&customer.name)
        ))
    };
    named().unwrap_or_else(|| format!("reply {message}"))
}
