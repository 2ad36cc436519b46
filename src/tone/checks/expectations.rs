//! Commandment 5, meet the client's expectations: while the problem is open, say
//! what happens next and when; point out every promised time (sending turns it into
//! a follow-up by itself, see `sla::promises`, so the hint never asks for a snooze);
//! do not close a ticket while asking the customer to confirm.

use super::{Facts, Sink};
use crate::model::Status;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    let lex = &f.book.lex;
    // The same reading sending uses (`sla::promises`): "воно діє 24 години" and
    // "оформлено сьогодні" describe, they promise nothing.
    let time_words = |line: &str| lex.time_frame.is_match(line);
    if let Some(span) = crate::sla::promises::promised_phrases_in(f.reply, time_words)
        .into_iter()
        .next()
    {
        sink.emit("expectations.follow-up", span);
    }
    let status = f.ctx.ticket.map(|t| t.status);
    if matches!(status, Some(Status::Solved | Status::Closed)) {
        if let Some(span) = lex.confirm_request.find(f.reply) {
            sink.emit("expectations.solved-asks-confirmation", span);
        }
        return;
    }
    if matches!(status, Some(Status::Spam)) {
        return;
    }
    // An open problem: the ticket is live, the reply says work is under way, or the
    // customer reports one (an error, something not working, money missing, waiting).
    let still_open = match status {
        Some(_) => true,
        None => f.find(&lex.in_progress, "in_progress").is_some() || f.customer_hit("problem"),
    };
    let resolved = f.find(&lex.resolved, "resolved").is_some() || f.hit("done").is_some();
    if !still_open || resolved {
        return;
    }
    let answered = crate::tone::text::has_list_steps(f.reply) || lex.steps.count(f.reply) >= 2;
    let next = f.find(&lex.time_frame, "time_frame").is_some()
        || f.find(&lex.next_step, "next_step").is_some()
        || (f.hit("instruction").is_some() && !f.deflects())
        || f.owns_it()
        || f.own.contains('?');
    if !answered && !next {
        sink.emit("expectations.no-next-step", 0..0);
    }
}
