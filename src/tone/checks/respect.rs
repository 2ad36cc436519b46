//! Commandment 1, respect the client: shouting in capitals and runs of exclamation
//! marks ("!!!" warns; a friendly "!!" is only a hint). Insults, profanity, condescension, sarcasm and blame are plain word rules
//! (`respect.*` in `assets/tone/`) and run with the other pattern rules.

use super::{Facts, Sink};
use crate::tone::{text, Severity};

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    // "a***a@example.com": the masked word pattern (f***ing, бл*дь) must not take the
    // masked local part of an e-mail address for an obscenity.
    sink.drop_excused("respect.profanity", |span| {
        f.reply[span.end..].starts_with('@') && f.reply[span.clone()].contains('*')
    });
    for span in text::shouted(f.reply, &f.book.acronyms) {
        if !is_label(f.reply, &span) && !customers_own_term(f, &span) {
            sink.emit("respect.caps", span);
        }
    }
    for span in text::exclamation_runs(f.reply) {
        let bangs = f.reply[span.clone()].matches('!').count();
        if bangs >= 3 {
            sink.emit("respect.exclamation", span);
        } else {
            let found = f.reply[span.clone()].to_string();
            sink.emit_with("respect.exclamation", span, &found, Some(Severity::Hint));
        }
    }
}

/// Whether capitals at `span` are one word the customer wrote in capitals themselves
/// ("…get 7.0 in IELTS?" — "a half band in IELTS"): the name of the thing they asked
/// about (an exam, a product, a tariff), repeated in their spelling, not a raised
/// voice. A run of several words is still shouting, whoever wrote it first.
fn customers_own_term(f: &Facts, span: &std::ops::Range<usize>) -> bool {
    let word = &f.reply[span.clone()];
    let Some(customer) = f.customer else {
        return false;
    };
    !word.contains(char::is_whitespace) && text::words(customer).any(|(_, w)| w == word)
}

/// Whether capitals at `span` name a label the customer will see rather than raise
/// the voice: printed on a device or a screen, the reply quotes it as it is written —
/// in quotation marks (click "SAVE CHANGES", «ОК»), or after a word that says it is
/// a label ("the port marked DC IN", «кнопка ВХІД»).
fn is_label(reply: &str, span: &std::ops::Range<usize>) -> bool {
    let before = reply[..span.start].trim_end_matches(' ');
    let after = &reply[span.end..];
    let quoted = ['"', '\'', '«', '“', '„', '‘']
        .iter()
        .any(|q| before.ends_with(*q))
        && ['"', '\'', '»', '”', '“', '’']
            .iter()
            .any(|q| after.starts_with(*q));
    if quoted {
        return true;
    }
    let last = before
        .rsplit(|c: char| !c.is_alphanumeric() && c != '-')
        .next()
        .unwrap_or("")
        .to_lowercase();
    matches!(
        last.as_str(),
        "marked"
            | "labelled"
            | "labeled"
            | "reads"
            | "saying"
            | "button"
            | "key"
            | "port"
            | "switch"
            | "setting"
            | "option"
            | "mode"
            | "кнопка"
            | "кнопку"
            | "кнопкою"
            | "кнопкой"
            | "напис"
            | "надпись"
            | "надписью"
            | "написом"
            | "позначкою"
            | "пометкой"
            | "режим"
            | "порт"
    )
}
