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
    // A time or an offer of our own in another sentence is what happens instead
    // ("…not before Monday. I can reserve one for you"); in the refusing sentence
    // itself it is only the refusal's scope ("no, the schedule is full this week").
    let sentence = super::sentence_around(&f.own, &span);
    // "…нельзя, но могу оформить ночной пропуск", "no, but I can book you…": after a
    // contrast word the same sentence goes on to what happens instead.
    let after_contrast = |r: &std::ops::Range<usize>| {
        r.start >= span.end
            && text::words(&f.own[span.end..r.start]).any(|(_, w)| {
                matches!(
                    w.to_lowercase().as_str(),
                    "but"
                        | "however"
                        | "але"
                        | "проте"
                        | "однак"
                        | "зате"
                        | "но"
                        | "однако"
                        | "зато"
                )
            })
    };
    let elsewhere = |r: &std::ops::Range<usize>| {
        r.end <= sentence.start || r.start >= sentence.end || after_contrast(r)
    };
    let offers = f.find(&lex.alternative, "alternative").is_some()
        || f.find(&lex.next_step, "next_step").is_some()
        || lex.time_frame.find_iter(&f.own).any(|r| elsewhere(&r))
        || f.hits
            .iter()
            .any(|(n, r)| (*n == "offer" || *n == "time_frame") && elsewhere(r));
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
    all.extend(plain_no(f));
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

/// A plain "no" to a request: the customer asked for something ("Can I…?", «Чи
/// можна…?», «Можно ли…?») and the reply says no ("we don't offer instalments",
/// «не підлягають», «у неділю не возимо») without a yes anywhere. The refusal check
/// then asks, as for any refusal, for an alternative, a next step or an escalation.
fn plain_no(f: &Facts) -> Option<std::ops::Range<usize>> {
    if !f.customer_hit("request") || f.hit("affirmative").is_some() {
        return None;
    }
    f.hits
        .iter()
        .filter(|(n, _)| *n == "negative_answer")
        .map(|(_, r)| r.clone())
        .find(|r| !conditional(&f.own, r.start))
}
