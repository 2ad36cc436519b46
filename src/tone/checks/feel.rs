//! Commandment 4, feel the client and answer them: acknowledge an upset customer,
//! address them the way they address you (Ви/Вы or ти/ты), use their name, and
//! answer every question they asked.

use super::{Facts, Sink};
use crate::model::{Formality, Language};
use crate::tone::text::name_key;
use crate::tone::{text, Severity};
use std::collections::HashSet;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    upset(f, sink);
    formality(f, sink);
    name(f, sink);
    let all_touched = questions(f, sink);
    if !all_touched {
        too_short(f, sink);
    }
}

/// Angry words, threats to leave or review, profanity, shouting or "!!!".
pub(crate) fn is_upset(
    book: &crate::tone::rules::RuleBook,
    hits: &[(&str, std::ops::Range<usize>)],
    message: &str,
) -> bool {
    let lex = &book.lex;
    (lex.upset.is_match(message)
        && lex
            .upset
            .find_iter(message)
            .any(|m| !about_own_pace(message, m.start)))
        || hits.iter().any(|(n, _)| *n == "upset")
        || book
            .pattern_rules
            .iter()
            .filter(|(id, _)| id == "respect.profanity" || id == "respect.insult")
            .any(|(_, l)| l.is_match(message))
        || text::shouted(message, &book.acronyms).len() >= 2
        || text::exclamation_runs(message)
            .iter()
            .any(|r| message[r.clone()].matches('!').count() >= 3)
}

/// "I still haven't finished evaluating", "we still haven't decided": a "still
/// not" about the customer's own doing is their pace, not a complaint about ours.
fn about_own_pace(message: &str, at: usize) -> bool {
    let still = message[at..].to_lowercase().starts_with("still");
    let before: Vec<&str> = text::words(&message[..at]).map(|(_, w)| w).collect();
    still
        && before
            .last()
            .is_some_and(|w| matches!(w.to_lowercase().as_str(), "i" | "we"))
}

fn upset(f: &Facts, sink: &mut Sink) {
    if !f.side.upset {
        return;
    }
    if f.find(&f.book.lex.acknowledgement, "acknowledgement")
        .is_some()
        || names_their_feeling(f)
    {
        return;
    }
    sink.emit("feel.upset-unacknowledged", 0..0);
}

/// Whether the reply names, in its own words, the feeling the customer named ("I'm
/// panicking a bit" — "no need to panic", «трохи панікую» — «панікувати не треба»,
/// "I'm so worried" — "I understand the worry"): speaking to the feeling itself,
/// reassuring or not, is hearing it. Only the distress words of the grammar list
/// `upset` count (worried, panic, scared, «хвилююсь»…), compared by their first five
/// letters, when the list found one word (a phrase such as "passed away" shares its
/// words with anything); an angry word repeated back ("unacceptable") is not one.
fn names_their_feeling(f: &Facts) -> bool {
    let feelings: Vec<String> = f
        .customer_hits
        .iter()
        .filter(|(n, _)| *n == "upset")
        .filter_map(|(_, r)| {
            let mut words = f
                .customer_tokens
                .iter()
                .filter(move |t| t.span.start >= r.start && t.span.end <= r.end);
            // One word: a phrase ("passed away") shares its words with anything.
            match (words.next(), words.next()) {
                (Some(t), None) => Some(t),
                _ => None,
            }
        })
        .filter(|t| t.folded.chars().count() >= 5)
        .map(|t| head(&t.folded))
        .collect();
    !feelings.is_empty()
        && f.tokens
            .iter()
            .any(|t| t.folded.chars().count() >= 5 && feelings.contains(&head(&t.folded)))
}

/// Any ти/ты to a formal customer is a mismatch; an all-formal reply to a customer
/// who writes ти/ты is only a hint (formal register is a defensible house style).
/// A business addresses a stranger with Ви/Вы: in Ukrainian and Russian, ти/ты to a
/// customer who has not used it first is a mismatch too (when there is a customer
/// at all: a reply checked on its own has nobody to compare with).
fn formality(f: &Facts, sink: &mut Sink) {
    let m = &f.reply_markers;
    // "…коли чекаєш аналізів, це важко", «когда ждёшь ответа три дня»: a reply that
    // speaks «Ви» may still use the generic second person in a when/if clause — it
    // means "one", not the customer. Such a verb form is no «ти»; a pronoun («ти»,
    // «тебе», «твій») always is.
    let generic = |r: &std::ops::Range<usize>| {
        !m.formal.is_empty() && generic_second_person(&f.own, r.clone())
    };
    let informal: Vec<&std::ops::Range<usize>> =
        m.informal.iter().filter(|r| !generic(r)).collect();
    let stranger = f.customer_formality == Formality::Unknown
        && (f.customer.is_some() || f.ctx.customer.is_some())
        && matches!(f.reply_lang, Language::Uk | Language::Ru);
    match f.customer_formality {
        _ if stranger => {
            if let Some(span) = informal.first() {
                sink.emit("feel.formality-mismatch", (*span).clone());
            }
        }
        Formality::Formal => {
            if let Some(span) = informal.first() {
                sink.emit("feel.formality-mismatch", (*span).clone());
            }
        }
        Formality::Informal if m.informal.is_empty() => {
            if let Some(span) = m.formal.first() {
                let found = f.reply[span.clone()].to_string();
                sink.emit_with(
                    "feel.formality-mismatch",
                    span.clone(),
                    &found,
                    Some(Severity::Hint),
                );
            }
        }
        _ => {}
    }
}

/// Whether the informal marker at `span` is a verb in the generic second person: a
/// word of five letters or more (not a pronoun or a short imperative) inside a clause
/// that a when/if word opens ("коли чекаєш", «когда ждёшь», «якщо не знаєш»,
/// «если не успеваешь»), with no comma between them.
fn generic_second_person(own: &str, span: std::ops::Range<usize>) -> bool {
    let word = own.get(span.clone()).unwrap_or("").to_lowercase();
    let verb_ending = ["еш", "єш", "иш", "їш", "ешь", "ёшь", "ишь"]
        .iter()
        .any(|e| word.ends_with(e));
    if word.chars().count() < 5 || !verb_ending {
        return false;
    }
    let head = &own[..span.start];
    let clause_start = head
        .char_indices()
        .rfind(|(_, c)| matches!(c, '.' | '!' | '?' | '\n' | ',' | ';' | '—' | ':'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    text::words(&head[clause_start..]).any(|(_, w)| {
        matches!(
            w.to_lowercase().as_str(),
            "коли" | "якщо" | "когда" | "если" | "поки" | "пока"
        )
    })
}

fn name(f: &Facts, sink: &mut Sink) {
    let Some(first) = f.ctx.customer.and_then(|c| c.first_name()) else {
        return;
    };
    if !first.chars().any(char::is_alphabetic) || text::word_count(f.reply) < 4 {
        return;
    }
    if !name_used(first, f.reply) {
        sink.emit_with("feel.name-unused", 0..0, first, None);
    }
}

/// Whether `name` appears in `reply` in any case form or transliteration: "Olena"
/// matches "Олено", "Andriy" matches "Андрію", "Сергей" matches "Сергею".
pub(crate) fn name_used(name: &str, reply: &str) -> bool {
    let key = name_key(name);
    let n = key.chars().count();
    if n == 0 {
        return false;
    }
    let take = if n <= 3 { n } else { (n - 1).min(4) };
    let prefix: String = key.chars().take(take).collect();
    text::words(reply).any(|(_, w)| name_key(w).starts_with(&prefix))
}

fn too_short(f: &Facts, sink: &mut Sink) {
    let asked = f.customer_questions().len();
    if asked < 2 {
        return;
    }
    if text::word_count(f.reply) < 10 * asked {
        sink.emit_with("feel.too-short", 0..0, &asked.to_string(), None);
    }
}

/// Every question the customer asked must be touched by the reply: one of its key
/// words (compared by stem, or by the first five letters across Ukrainian/Russian
/// spelling), or an explicit reference ("as for your second question"). Judged only
/// when the customer asked two or more questions and the reply answers at least one:
/// that is the reply that forgot the rest. A question with no key words ("Why?")
/// cannot be judged and is left alone. Answers whether every question with key
/// words was touched: then a short reply ("Yes, Saturday 9–1, and there's free
/// parking behind the shop.") is short because it is to the point, not too short.
fn questions(f: &Facts, sink: &mut Sink) -> bool {
    let Some(customer) = f.customer else {
        return false;
    };
    // "Вы что, серьёзно?", "Are you kidding me?": an exclamation in a question mark
    // asks to be heard (the upset check), not answered as a question of its own.
    let rhetorical: Vec<usize> = f
        .customer_hits
        .iter()
        .filter(|(n, _)| *n == "rhetorical")
        .map(|(_, r)| r.start)
        .collect();
    let asked: Vec<&str> = f
        .customer_questions()
        .into_iter()
        .filter(|q| {
            let start = super::super::lexicon::offset_in(customer, q);
            !rhetorical
                .iter()
                .any(|&r| r >= start && r < start + q.len())
        })
        .collect();
    if asked.len() < 2 || f.hit("question_reference").is_some() {
        return false;
    }
    let reply_stems: HashSet<&str> = f.tokens.iter().map(|t| t.stem.as_str()).collect();
    let reply_heads: HashSet<String> = f.tokens.iter().map(|t| head(&t.folded)).collect();
    let mut touched = 0;
    let mut missed: Vec<&str> = Vec::new();
    let mut yes_no = f.hits.iter().filter(|(n, _)| *n == "yes_no").count();
    for q in &asked {
        let start = super::super::lexicon::offset_in(customer, q);
        let keys: Vec<&crate::tone::grammar::Token> = f
            .customer_tokens
            .iter()
            .filter(|t| t.span.start >= start && t.span.end <= start + q.len())
            .filter(|t| is_key_word(f, t))
            .collect();
        if keys.is_empty() {
            continue;
        }
        // "How much…?", «Скільки коштуватиме…?», «Когда…?»: a price, a count or a time
        // in the reply answers it in words of its own ("350 грн", "from 2 to 6 hours").
        if asks_for_a_number(q) && f.own.chars().any(|c| c.is_ascii_digit()) {
            touched += 1;
            continue;
        }
        let hit = keys.iter().any(|t| {
            reply_stems.contains(t.stem.as_str()) || reply_heads.contains(&head(&t.folded))
        });
        if hit {
            touched += 1;
        } else if yes_no > 0 {
            // "Is there a phone line?" — "Yes, call us at…": a yes or a no answers
            // a question in words of its own.
            yes_no -= 1;
            touched += 1;
        } else {
            missed.push(q);
        }
    }
    if touched > 0 {
        if let Some(q) = missed.first() {
            sink.emit_with("feel.question-unanswered", 0..0, q, None);
        }
    }
    touched >= 2 && missed.is_empty()
}

/// Whether a question asks how much, how many, how long or when.
fn asks_for_a_number(q: &str) -> bool {
    let lower = q.to_lowercase();
    let words: Vec<&str> = text::words(&lower).map(|(_, w)| w).collect();
    words.windows(2).any(|w| {
        w[0] == "how" && matches!(w[1], "much" | "many" | "long" | "soon" | "often")
            || w[0] == "what" && matches!(w[1], "time" | "date" | "price" | "day")
    }) || words.iter().any(|w| {
        matches!(
            *w,
            "when" | "скільки" | "коли" | "сколько" | "когда" | "почем" | "почём"
        )
    })
}

/// A content word: three letters or more and not a stop word (`rules.toml`).
fn is_key_word(f: &Facts, t: &crate::tone::grammar::Token) -> bool {
    t.folded.chars().count() >= 3
        && t.folded.chars().all(char::is_alphabetic)
        && !f.book.stop_words.contains(&t.folded)
}

/// The first five letters with і/и, є/е, ї/и merged, so "замовлення" and
/// "заказ" stay apart but "доставка"/"доставку"/"доставки" meet.
fn head(folded: &str) -> String {
    folded
        .chars()
        .map(|c| match c {
            'і' | 'ї' | 'ы' => 'и',
            'є' | 'э' => 'е',
            c => c,
        })
        .take(5)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::name_used;

    #[test]
    fn names_match_across_cases_and_scripts() {
        assert!(name_used("Olena", "Добрий день, Олено!"));
        assert!(name_used("Andriy", "Андрію, дякую"));
        assert!(name_used("Сергей", "Сергей, здравствуйте"));
        assert!(name_used("Ольга", "Hi Olga,"));
        assert!(name_used("Іван", "Іване, вітаю"));
        assert!(name_used("Anna", "Hi Anna,"));
        assert!(!name_used("Anna", "Hi there,"));
        assert!(!name_used("Pam", "the password doesn't work"));
        assert!(!name_used("Дмитро", "Добрий день!"));
    }
}
