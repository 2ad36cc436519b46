//! The tone checker's first use, paid before the user types. Its word lists,
//! stemmers, secret and promise patterns and learned weights are built lazily, on
//! the first check that reaches each of them — and the first check with a real
//! ticket behind it (the customer, the ticket's status, its notes, the agent's
//! contacts) reaches far more than a check of an empty draft does. That first check
//! was the first letter typed into a reply: 22–35 ms key to frame on a 1M queue
//! while every other key took a few. So the first time a ticket is shown, a thread
//! of its own runs the checks a reply would, in English, Ukrainian and Russian,
//! with that ticket as the context; the UI thread's first key finds it all built.
//! The thread is joined (within a limit) when the console ends.
//!
//! Part of the cost is the UI thread's own: the regex engine keeps its search
//! caches per thread, so a thread's first check builds them even after another
//! thread compiled everything. Once the warm-up thread is done, the UI thread runs
//! the same checks too, one at a time while the console is idle
//! ([`App::idle_step`]) — between keys, never on one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{JoinHandle, ThreadId};
use std::time::Duration;

use super::*;
use crate::tone::ToneContext;

/// Replies in each language the checker reads, first letters included: what the
/// first keys of a real reply reach (greeting, apology, promise, contacts, digits,
/// signature).
const SAMPLES: &[&str] = &[
    "H",
    "Hello Anna,\n\nthank you for writing, and sorry for the trouble. I checked order #48213: we will refund the second payment of $64.90 today, it reaches your card in 3-5 days. Write to help@shop.example or call +1 555 0100 if it does not.\n\nBest regards,\nOlena",
    "Д",
    "Добрий день, Олено!\n\nДякуємо, що написали, і вибачте за незручності. Ми перевірили замовлення 48213: сьогодні повернемо другий платіж, гроші прийдуть за 3-5 днів. Пишіть нам, якщо ні.\n\nЗ повагою,\nОлена",
    "З",
    "Здравствуйте, Анна!\n\nСпасибо, что написали, и извините за неудобства. Мы проверили заказ 48213: сегодня вернём второй платёж, деньги придут за 3-5 дней. Пишите нам, если нет.\n\nС уважением,\nОлена",
];

/// How long quitting waits for the warm-up once told to stop. It stops between
/// checks; the longest step (compiling the word lists) is left to end with the
/// process, which it can: it only fills caches in memory. (It was 2 s, and a
/// console quit right after the first ticket showed waited up to that long.)
const JOIN_WAIT: Duration = Duration::from_millis(300);

/// The warm-up thread and, once it has run, which thread did the work.
#[derive(Debug, Default)]
pub struct WarmUp {
    thread: Option<JoinHandle<()>>,
    done_on: Arc<Mutex<Option<ThreadId>>>,
    /// Set on quit: the thread stops before its next check.
    stop: Arc<AtomicBool>,
    /// How many of the samples the UI thread has checked itself (its search
    /// caches), one per idle step.
    ui_next: usize,
}

impl WarmUp {
    /// Whether the warm-up was started.
    pub fn started(&self) -> bool {
        self.thread.is_some() || self.done_on().is_some()
    }

    /// The thread that ran the checks, once they have run.
    pub fn done_on(&self) -> Option<ThreadId> {
        self.done_on.lock().ok().and_then(|t| *t)
    }

    /// Tells the warm-up to stop and waits for it, at most `limit`; whether it
    /// has ended.
    pub fn finish(&mut self, limit: Duration) -> bool {
        self.stop.store(true, Ordering::Relaxed);
        self.wait(limit)
    }

    /// Waits for the warm-up to run to its end, at most `limit` (tests).
    pub fn wait(&mut self, limit: Duration) -> bool {
        match self.thread.take() {
            Some(t) => crate::tui::threads::join_within(t, limit),
            None => true,
        }
    }
}

impl Drop for WarmUp {
    fn drop(&mut self) {
        self.finish(JOIN_WAIT);
    }
}

/// What the tone checker reads a reply to the open ticket against: the customer's
/// latest words and the notes (capped, as on every keystroke), the customer, the
/// ticket, the agent's own contacts and name. Owned, so the warm-up thread can take
/// it; built in one place ([`App::tone_inputs`]) for the composer's check and both
/// warm-ups, so the checks a warm-up runs are exactly the ones a reply will.
#[derive(Debug, Clone)]
pub(super) struct ToneInputs {
    customer_message: Option<String>,
    notes: Vec<String>,
    customer: crate::model::Customer,
    ticket: crate::model::Ticket,
    own_contacts: Vec<String>,
    agent: String,
}

impl ToneInputs {
    /// The checker's context; `from_canned_unmodified` when the draft is a canned
    /// response nobody has edited.
    pub(super) fn context(&self, from_canned_unmodified: bool) -> ToneContext<'_> {
        ToneContext {
            customer_message: self.customer_message.as_deref(),
            customer: Some(&self.customer),
            ticket: Some(&self.ticket),
            internal_notes: &self.notes,
            other_contacts: &[],
            own_contacts: &self.own_contacts,
            agent_name: &self.agent,
            from_canned_unmodified,
            customer_language: None,
        }
    }
}

impl App {
    /// The tone checker's inputs for the ticket on screen (see [`ToneInputs`]).
    pub(super) fn tone_inputs(&self) -> Option<ToneInputs> {
        let d = &self.open.as_ref()?.detail;
        let (customer_message, notes) =
            crate::tone::thread_context(&d.messages, compose::TONE_CONTEXT_LIMIT);
        Some(ToneInputs {
            customer_message: customer_message.map(str::to_string),
            notes,
            customer: d.customer.clone(),
            ticket: d.ticket.clone(),
            own_contacts: self.config.own_contacts(),
            agent: self.config.agent.display_name(),
        })
    }

    /// Starts the warm-up on the ticket just shown, the first time one is (see the
    /// module's note). A thread that cannot start leaves the work to the first key.
    pub(super) fn warm_up_tone(&mut self) {
        if self.warm.started() {
            return;
        }
        let Some(inputs) = self.tone_inputs() else {
            return;
        };
        let checker = self.tone.checker.clone();
        let done_on = Arc::clone(&self.warm.done_on);
        let stop = Arc::clone(&self.warm.stop);
        self.warm.thread = std::thread::Builder::new()
            .name("firstline-tone-warm-up".into())
            .spawn(move || {
                checker.warm_up();
                let ctx = inputs.context(false);
                for sample in SAMPLES {
                    if stop.load(Ordering::Relaxed) {
                        return;
                    }
                    checker.check(sample, &ctx);
                }
                if let Ok(mut t) = done_on.lock() {
                    *t = Some(std::thread::current().id());
                }
            })
            .ok();
    }

    /// Idle work, one short step at a time: the run loop calls this only when no
    /// message is waiting and stops as soon as one is, so a key never waits behind
    /// more than one step. Returns whether there is more to do.
    ///
    /// Today the only idle work is the UI thread's own tone checks once the warm-up
    /// thread is done (its search caches, see the module's note): one sample per
    /// step. (It ran on the tick, which follows every batch of messages — so it
    /// landed on the frame of whichever key came first, 10–30 ms on a 1M queue.)
    pub fn idle_step(&mut self) -> bool {
        if self.warm.ui_next >= SAMPLES.len() || self.warm.done_on().is_none() {
            return false;
        }
        let Some(inputs) = self.tone_inputs() else {
            return false;
        };
        let ctx = inputs.context(false);
        self.tone.checker.check(SAMPLES[self.warm.ui_next], &ctx);
        self.warm.ui_next += 1;
        self.warm.ui_next < SAMPLES.len()
    }

    /// Whether this (the UI) thread has run its own first check.
    pub fn tone_warm_here(&self) -> bool {
        self.warm.ui_next >= SAMPLES.len()
    }

    /// The thread that warmed the tone checker up, once it has (tests check it is
    /// not the UI thread).
    pub fn tone_warmed_on(&self) -> Option<ThreadId> {
        self.warm.done_on()
    }

    /// Stops the tone warm-up and waits for it, at most [`JOIN_WAIT`] (on quit).
    pub fn finish_warm_up(&mut self) -> bool {
        self.warm.finish(JOIN_WAIT)
    }

    /// Waits for the tone warm-up to run to its end, at most `limit` (tests).
    pub fn wait_warm_up(&mut self, limit: Duration) -> bool {
        self.warm.wait(limit)
    }
}
