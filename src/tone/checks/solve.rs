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
    // "…не делаем, но от 5 кресел действует оптовая цена": a contrast that goes on
    // for a clause after the refusal says what is possible instead; steps elsewhere
    // in the reply ("Settings → API → Create key") are a way the customer can go.
    let contrast_clause = contrast_after(&f.own[span.end..sentence.end.max(span.end)]);
    let steps = text::has_list_steps(f.reply) || f.own.contains('→');
    if offers || f.owns_it() || contrast_clause || steps {
        return;
    }
    sink.emit("solve.refusal", span);
}

fn howto(f: &Facts, sink: &mut Sink) {
    let Some(customer) = f.customer else {
        return;
    };
    let lex = &f.book.lex;
    let how: Vec<&str> = f
        .customer_questions()
        .into_iter()
        .filter(|q| lex.howto.is_match(q))
        .collect();
    if how.is_empty() {
        return;
    }
    // "Please call our fraud team on…", "I've frozen your card": what to do, or what
    // we did, answers a "what do I do?" in prose — when it is about the question
    // ("Join our loyalty club!" to "How do I change the address?" answers nothing).
    let in_prose = f.hit("instruction").is_some()
        || f.hit("done").is_some()
        || f.find(&lex.next_step, "next_step").is_some();
    let answered = text::has_list_steps(f.reply)
        || lex.steps.is_match(f.reply)
        || f.owns_it()
        || (in_prose && how.iter().all(|q| touched(f, customer, q)));
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

/// Whether `rest` (the refusing sentence after the refusal) turns with "but", «але»,
/// «но» to a clause of four words or more: what is possible instead. "No, but thanks"
/// is too short to offer anything.
fn contrast_after(rest: &str) -> bool {
    let words: Vec<String> = text::words(rest).map(|(_, w)| w.to_lowercase()).collect();
    words
        .iter()
        .position(|w| {
            matches!(
                w.as_str(),
                "but" | "але" | "проте" | "но" | "однако" | "зато" | "зате"
            )
        })
        .is_some_and(|i| words.len() - i > 4)
}

/// Whether the reply shares a content word with the customer's question `q` (by stem),
/// or the question has none ("What do I do now?").
fn touched(f: &Facts, customer: &str, q: &str) -> bool {
    let start = crate::tone::lexicon::offset_in(customer, q);
    let mut keys = f
        .customer_tokens
        .iter()
        .filter(|t| t.span.start >= start && t.span.end <= start + q.len())
        .filter(|t| {
            t.folded.chars().count() >= 3
                && t.folded.chars().all(char::is_alphabetic)
                && !f.book.stop_words.contains(&t.folded)
        })
        .peekable();
    if keys.peek().is_none() {
        return true;
    }
    keys.any(|k| f.tokens.iter().any(|t| t.stem == k.stem))
}
