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
        sink.emit("respect.caps", span);
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
