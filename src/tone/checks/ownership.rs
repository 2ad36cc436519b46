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
    // "not anything you did wrong", "not a sign of a problem on your side", «це не
    // ваша вина»: blame words under a negation clear the customer.
    for rule in ["respect.blame", "ownership.passive-blame"] {
        sink.drop_excused(rule, |span| super::negated(&f.own, span.start));
    }
    if f.owns_it() {
        sink.soften("ownership.passive-blame", Severity::Hint);
        return;
    }
    let deflects = f.hit("shift").or_else(|| f.hit("redirect"));
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
    if let Some(span) = deflects {
        sink.emit("ownership.deflection", span);
    }
    if let Some(span) = blames {
        sink.emit("respect.blame", span);
    }
}
