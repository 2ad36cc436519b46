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

pub(super) fn run(f: &Facts, sink: &mut Sink) {
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
    // An explanation of how things work is not deflection; the same words to a
    // customer who reported a problem are.
    let has_problem = f.customer.as_deref().is_none_or(|c| {
        f.customer_hit("problem") || f.customer_hit("upset") || f.book.lex.upset.is_match(c)
    });
    if !has_problem {
        return;
    }
    if let Some(span) = f.hit("shift").or_else(|| f.hit("redirect")) {
        sink.emit("ownership.deflection", span);
    }
    if let Some(span) = f.hit("customer_cause") {
        sink.emit("respect.blame", span);
    }
}
