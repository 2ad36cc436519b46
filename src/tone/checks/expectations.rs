//! Commandment 5, meet the client's expectations: while the problem is open, say
//! what happens next and when; point out every promised time (sending turns it into
//! a follow-up by itself, see `sla::promises`, so the hint never asks for a snooze);
//! do not close a ticket while asking the customer to confirm.

use super::{Facts, Sink};
use crate::model::Status;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    let lex = &f.book.lex;
    if let Some(span) = lex.time_frame.find(f.reply) {
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
    let still_open = match status {
        Some(_) => true,
        None => lex.in_progress.is_match(f.reply),
    };
    if !still_open || lex.resolved.is_match(f.reply) {
        return;
    }
    let answered = crate::tone::text::has_list_steps(f.reply) || lex.steps.count(f.reply) >= 2;
    let next = lex.time_frame.is_match(f.reply)
        || lex.next_step.is_match(f.reply)
        || f.owns_it()
        || f.own.contains('?');
    if !answered && !next {
        sink.emit("expectations.no-next-step", 0..0);
    }
}
