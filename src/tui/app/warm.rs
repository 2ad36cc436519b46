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
//! thread compiled everything. Once the warm-up thread is done, the next idle tick
//! runs one short check on the UI thread too — between keys, never on one.

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

/// How long quitting waits for the warm-up (it takes a fraction of a second).
const JOIN_WAIT: Duration = Duration::from_secs(2);

/// The warm-up thread and, once it has run, which thread did the work.
#[derive(Debug, Default)]
pub struct WarmUp {
    thread: Option<JoinHandle<()>>,
    done_on: Arc<Mutex<Option<ThreadId>>>,
    /// Whether the UI thread ran its own first check (its search caches).
    ui_done: bool,
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

    /// Waits for the warm-up to end, at most `limit`; whether it has.
    pub fn finish(&mut self, limit: Duration) -> bool {
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

impl App {
    /// Starts the warm-up on the ticket just shown, the first time one is (see the
    /// module's note). A thread that cannot start leaves the work to the first key.
    pub(super) fn warm_up_tone(&mut self) {
        if self.warm.started() {
            return;
        }
        let Some(open) = &self.open else { return };
        let d = &open.detail;
        let (customer_message, notes) =
            crate::tone::thread_context(&d.messages, compose::TONE_CONTEXT_LIMIT);
        let customer_message = customer_message.map(str::to_string);
        let customer = d.customer.clone();
        let ticket = d.ticket.clone();
        let own_contacts = self.config.own_contacts();
        let agent = self.config.agent.display_name();
        let checker = self.tone.checker.clone();
        let done_on = Arc::clone(&self.warm.done_on);
        self.warm.thread = std::thread::Builder::new()
            .name("firstline-tone-warm-up".into())
            .spawn(move || {
                checker.warm_up();
                let ctx = ToneContext {
                    customer_message: customer_message.as_deref(),
                    customer: Some(&customer),
                    ticket: Some(&ticket),
                    internal_notes: &notes,
                    other_contacts: &[],
                    own_contacts: &own_contacts,
                    agent_name: &agent,
                    from_canned_unmodified: false,
                    customer_language: None,
                };
                for sample in SAMPLES {
                    checker.check(sample, &ctx);
                }
                if let Ok(mut t) = done_on.lock() {
                    *t = Some(std::thread::current().id());
                }
            })
            .ok();
    }

    /// Once the warm-up thread is done: one short check on this (the UI) thread, so
    /// its own search caches are built now, between keys (called from the idle
    /// tick), not by the first letter of a reply.
    pub(super) fn warm_ui_thread(&mut self) {
        if self.warm.ui_done || self.warm.done_on().is_none() {
            return;
        }
        let Some(open) = &self.open else { return };
        self.warm.ui_done = true;
        let d = &open.detail;
        let (customer_message, notes) =
            crate::tone::thread_context(&d.messages, compose::TONE_CONTEXT_LIMIT);
        let own_contacts = self.config.own_contacts();
        let agent = self.config.agent.display_name();
        let ctx = ToneContext {
            customer_message,
            customer: Some(&d.customer),
            ticket: Some(&d.ticket),
            internal_notes: &notes,
            other_contacts: &[],
            own_contacts: &own_contacts,
            agent_name: &agent,
            from_canned_unmodified: false,
            customer_language: None,
        };
        for sample in SAMPLES {
            self.tone.checker.check(sample, &ctx);
        }
    }

    /// Whether this (the UI) thread has run its own first check.
    pub fn tone_warm_here(&self) -> bool {
        self.warm.ui_done
    }

    /// The thread that warmed the tone checker up, once it has (tests check it is
    /// not the UI thread).
    pub fn tone_warmed_on(&self) -> Option<ThreadId> {
        self.warm.done_on()
    }

    /// Waits for the tone warm-up to end, at most `limit` (on quit; tests).
    pub fn finish_warm_up(&mut self, limit: Duration) -> bool {
        self.warm.finish(limit)
    }
}
