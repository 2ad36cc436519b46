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
    let Some(span) = first_refusal(f) else {
        return;
    };
    let offers = f.find(&lex.alternative, "alternative").is_some()
        || f.find(&lex.next_step, "next_step").is_some();
    if offers || f.owns_it() {
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

/// The first refusal that is not a condition ("if it does not work, …").
fn first_refusal(f: &Facts) -> Option<std::ops::Range<usize>> {
    let lex = &f.book.lex;
    let listed = lex.refusal.find_iter(&f.own);
    let grammar = f
        .hits
        .iter()
        .filter(|(n, r)| *n == "refusal" || (*n == "short_refusal" && short_sentence(f, r)))
        .map(|(_, r)| r.clone());
    let mut all: Vec<std::ops::Range<usize>> = listed.chain(grammar).collect();
    all.sort_by_key(|r| r.start);
    all.into_iter().find(|r| !conditional(&f.own, r.start))
}

/// Whether `at` sits in a condition ("if it does not work, call us"): a conditional
/// word earlier in its sentence with no comma between. After the comma comes the
/// main clause, and "якщо вона не видала квиток, ми нічим не допоможемо" refuses.
fn conditional(text: &str, at: usize) -> bool {
    let head = &text[..at];
    let start = head.rfind(['.', '!', '?', '\n']).map_or(0, |i| i + 1);
    let sentence = &head[start..];
    let last_condition = text::words(sentence)
        .filter(|(_, w)| {
            matches!(
                w.to_lowercase().as_str(),
                "if" | "unless" | "якщо" | "коли" | "если" | "когда"
            )
        })
        .last();
    last_condition.is_some_and(|(r, _)| !sentence[r.end..].contains(','))
}

/// "Знижок не даємо.", "Подъём на этаж не осуществляем.": a "we don't …" is a
/// refusal when it is the whole short sentence; in a longer one ("ми ніколи не
/// телефонуємо з таким проханням") it describes.
fn short_sentence(f: &Facts, span: &std::ops::Range<usize>) -> bool {
    let Some(sentence) = f
        .tokens
        .iter()
        .find(|t| t.span.start == span.start)
        .map(|t| t.sentence)
    else {
        return false;
    };
    f.tokens.iter().filter(|t| t.sentence == sentence).count() <= 6
}
