//! Commandment 2, a good specialist can solve any problem: a refusal must come with
//! an alternative, a workaround or an escalation; a "how do I…" question must get
//! steps, a link or an action.

use super::{Facts, Sink};
use crate::tone::text;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    refusal(f, sink);
    howto(f, sink);
}

fn refusal(f: &Facts, sink: &mut Sink) {
    let lex = &f.book.lex;
    let Some(span) = f.find(&lex.refusal, "refusal") else {
        return;
    };
    if f.find(&lex.alternative, "alternative").is_some() || f.owns_it() {
        return;
    }
    sink.emit("solve.refusal", span);
}

fn howto(f: &Facts, sink: &mut Sink) {
    let Some(customer) = f.customer.as_deref() else {
        return;
    };
    let lex = &f.book.lex;
    let asked_how = text::questions(customer)
        .iter()
        .any(|q| lex.howto.is_match(q));
    if !asked_how {
        return;
    }
    let answered = text::has_list_steps(f.reply) || lex.steps.is_match(f.reply) || f.owns_it();
    if !answered {
        sink.emit("solve.howto-unanswered", 0..0);
    }
}
