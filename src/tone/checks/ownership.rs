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
use crate::tone::{text, Severity};

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    // "not anything you did wrong", "not a sign of a problem on your side", «це не
    // ваша вина»: blame words under a negation clear the customer.
    for rule in ["respect.blame", "ownership.passive-blame"] {
        sink.drop_excused(rule, |span| negated(&f.own, span.start));
    }
    if f.owns_it() {
        sink.soften("ownership.passive-blame", Severity::Hint);
        return;
    }
    // Something done or offered by us ("I've renewed it", «Мы связались с оператором»,
    // "I can send a new one"): the third party is named as the cause, not as the
    // customer's job.
    let acts = f.hit("done").is_some()
        || f.hit("offer").is_some()
        || f.find(&f.book.lex.next_step, "next_step").is_some();
    if acts {
        return;
    }
    if let Some(span) = f.hit("shift").or_else(|| f.hit("redirect")) {
        sink.emit("ownership.deflection", span);
    }
    if let Some(span) = f.hit("customer_cause") {
        sink.emit("respect.blame", span);
    }
}

/// Whether a negation ("not", "nothing", "n't", «не», «ні», «ничего») comes in the
/// five words before `at`, in the same clause: no sentence end, comma, "because" or
/// "but" between ("we can't refund it, because you entered…" still blames).
fn negated(text: &str, at: usize) -> bool {
    let head = &text[..at];
    let start = head
        .rfind(['.', '!', '?', '\n', ',', ';', '—', ':'])
        .map_or(0, |i| i + 1);
    let words: Vec<String> = text::words(&head[start..])
        .map(|(_, w)| w.to_lowercase())
        .collect();
    let clause_breaks = [
        "because",
        "since",
        "as",
        "but",
        "so",
        "бо",
        "тому",
        "оскільки",
        "але",
        "проте",
        "потому",
        "так",
        "но",
        "однако",
        "поэтому",
    ];
    let from = words
        .iter()
        .rposition(|w| clause_breaks.contains(&w.as_str()))
        .map_or(0, |i| i + 1);
    let tail = &words[from.max(words.len().saturating_sub(5))..];
    tail.iter().any(|w| {
        matches!(
            w.as_str(),
            "not"
                | "nothing"
                | "never"
                | "no"
                | "не"
                | "ні"
                | "нічого"
                | "ничего"
                | "нет"
                | "ані"
                | "ни"
        ) || w.ends_with("n't")
            || w.ends_with("n’t")
    })
}
