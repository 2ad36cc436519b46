//! Commandment 1, respect the client: shouting in capitals and runs of exclamation
//! marks. Insults, profanity, condescension, sarcasm and blame are plain word rules
//! (`respect.*` in `assets/tone/`) and run with the other pattern rules.

use super::{Facts, Sink};
use crate::tone::text;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    for span in text::shouted(f.reply, &f.book.acronyms) {
        sink.emit("respect.caps", span);
    }
    for span in text::exclamation_runs(f.reply) {
        sink.emit("respect.exclamation", span);
    }
}
