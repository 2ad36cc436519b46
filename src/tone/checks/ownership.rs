//! Commandment 3, the client's problem is our problem. Deflection and passive blame
//! are word rules; ownership language ("I'll fix", "ми перевіримо") counts in the
//! reply's favour: passive blame next to it is only a hint.
//!
//! Beyond the words, the structure: when the customer has a problem and the reply
//! takes nothing on itself, a sentence that places the cause on someone else (a third
//! party, "the system", another team: `shift`), sends the customer to someone who is
//! not us (`redirect`), or places the cause on the customer or their things
//! (`customer_cause`) is deflection or blame however it is worded. The grammar lists
//! hold the shapes per language; this file only decides when they count.

use super::{Facts, Sink};
use crate::tone::Severity;
use std::cell::LazyCell;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    // "not anything you did wrong", "not a sign of a problem on your side", «це не
    // ваша вина»: blame words under a negation clear the customer.
    for rule in ["respect.blame", "ownership.passive-blame"] {
        sink.drop_excused(rule, |span| super::negated(&f.own, span.start));
    }
    // "It will be back by 19:00. If not, call the dispatch line": a redirect under
    // a condition, after the reply has given its own time or next step, is a
    // fallback the customer can use, not the problem pushed away.
    // Both are regex passes over the reply, read only when a deflection is there to
    // excuse (the check runs on every keystroke).
    let promised = LazyCell::new(|| own_commitment(f));
    let fallback = |span: &std::ops::Range<usize>| {
        promised.as_ref().is_some_and(|p| {
            let sentence = super::sentence_around(&f.own, span);
            !sentence.contains(&p.start) && super::conditioned(&f.own[sentence.start..span.start])
        })
    };
    sink.drop_excused("ownership.deflection", fallback);
    // "Is that e-mail from you?" — "No, it's not us": a "not us" answering the
    // customer's question whether a call, message or charge came from us is the
    // answer they asked for (a scam, a stranger's charge), not the problem pushed away.
    let asked_if_us = f.customer_hit("asks_if_us");
    let answers_if_us =
        |span: &std::ops::Range<usize>| asked_if_us && says_not_us(&f.own[span.clone()]);
    sink.drop_excused("ownership.deflection", answers_if_us);
    // "Refunds go through the app store, not us, so here is what I'll do: …": the
    // third party named, and in the same sentence what we take on instead.
    // What was done before ("we shipped on time") defends rather than takes on, and a
    // negated offer ("nothing we can refund") offers nothing: only an action of ours
    // after a "so" or "but" counts.
    let ours = LazyCell::new(|| own_actions(f));
    sink.drop_excused("ownership.deflection", |span| {
        let sentence = super::sentence_around(&f.own, span);
        ours.iter().any(|r| {
            r.start >= span.end
                && r.start < sentence.end
                && !super::negated(&f.own, r.start)
                && turns_to_us(&f.own[span.end..r.start])
        })
    });
    if f.owns_it() {
        sink.soften("ownership.passive-blame", Severity::Hint);
        return;
    }
    let deflects = f
        .hit("shift")
        .filter(|s| !ends_in_a_time(&f.own[s.clone()]))
        .or_else(|| f.hit("redirect"));
    let blames = f.hit("customer_cause");
    if deflects.is_none() && blames.is_none() {
        return;
    }
    // Something done or offered by us ("I've renewed it", «Мы связались с оператором»,
    // "I can send a new one"): the third party is named as the cause, not as the
    // customer's job. Read only when a shape was found: the word list is a regex pass.
    let acts = f.hit("done").is_some()
        || f.hit("offer").is_some()
        || f.find(&f.book.lex.next_step, "next_step").is_some();
    if acts {
        return;
    }
    if let Some(span) = deflects.filter(|s| !fallback(s) && !answers_if_us(s)) {
        sink.emit("ownership.deflection", span);
    }
    if let Some(span) = blames {
        sink.emit("respect.blame", span);
    }
}

/// Where the reply commits to something of its own: a time frame, a concrete next
/// step, or something already done.
fn own_commitment(f: &Facts) -> Option<std::ops::Range<usize>> {
    let lex = &f.book.lex;
    lex.time_frame
        .find(&f.own)
        .or_else(|| f.hit("time_frame"))
        .or_else(|| lex.next_step.find(&f.own))
        .or_else(|| f.hit("next_step"))
        .or_else(|| f.hit("done"))
}

/// Where the reply takes something on itself: ownership words ("I'll fix", «я
/// сделаю»), a next step of ours, or an offer.
fn own_actions(f: &Facts) -> Vec<std::ops::Range<usize>> {
    let lex = &f.book.lex;
    lex.ownership
        .find_iter(&f.own)
        .chain(lex.next_step.find_iter(&f.own))
        .chain(
            f.hits
                .iter()
                .filter(|(n, _)| matches!(*n, "ownership" | "next_step" | "offer"))
                .map(|(_, r)| r.clone()),
        )
        .collect()
}

/// Whether a deflecting phrase ends in "us" or "me" ("not from us", «це не ми», «а не
/// мы»): a statement about who did something, which a question can make an answer.
fn says_not_us(phrase: &str) -> bool {
    crate::tone::text::words(phrase)
        .last()
        .is_some_and(|(_, w)| {
            matches!(
                w.to_lowercase().as_str(),
                "us" | "me" | "ми" | "мы" | "нас" | "мене" | "меня" | "я"
            )
        })
        && crate::tone::text::words(phrase)
            .any(|(_, w)| matches!(w.to_lowercase().as_str(), "not" | "не" | "isn't" | "wasn't"))
}

/// Whether a "that's for someone else" shape («це до банку», «то вже не до нас»)
/// has a day or a time where the someone goes: «тож до п'ятниці», «то до 18:00» give
/// a time frame, not the problem sent elsewhere. Read by the one time-phrase reader
/// (`sla::phrases`), over the span's last one to three words.
fn ends_in_a_time(span: &str) -> bool {
    let words: Vec<&str> = span.split_whitespace().collect();
    (1..=words.len().min(3)).any(|n| {
        let tail = words[words.len() - n..].join(" ");
        crate::sla::phrases::when(&tail).is_some()
    })
}

/// Whether a stretch between a third party's name and an action of ours turns to
/// what we do: "so", "but", "instead", «поэтому», «но», «тому», «але», «натомість».
fn turns_to_us(between: &str) -> bool {
    crate::tone::text::words(between).any(|(_, w)| {
        matches!(
            w.to_lowercase().as_str(),
            "so" | "therefore"
                | "but"
                | "instead"
                | "however"
                | "поэтому"
                | "но"
                | "однако"
                | "зато"
                | "вместо"
                | "тому"
                | "тож"
                | "але"
                | "проте"
                | "однак"
                | "натомість"
                | "замість"
        )
    })
}
