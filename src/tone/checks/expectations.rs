//! Commandment 5, meet the client's expectations: while the problem is open, say
//! what happens next and when; point out every promised time (sending turns it into
//! a follow-up by itself, see `sla::promises`, so the hint never asks for a snooze);
//! do not close a ticket while asking the customer to confirm.

use super::{Facts, Sink};
use crate::model::Status;
use std::ops::Range;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    broken_promise(f, sink);
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
    // customer reports one (an error, something not working, money missing, waiting)
    // or asks when something will happen.
    let still_open = match status {
        Some(_) => true,
        None => {
            f.find(&lex.in_progress, "in_progress").is_some()
                || f.customer_hit("problem")
                || f.customer_hit("when_question")
        }
    };
    let resolved = f.find(&lex.resolved, "resolved").is_some() || f.hit("done").is_some();
    if !still_open || resolved {
        return;
    }
    let answered = crate::tone::text::has_list_steps(f.reply) || lex.steps.count(f.reply) >= 2;
    if answered || f.find(&lex.time_frame, "time_frame").is_some() {
        return;
    }
    // Without a time, a next step counts only when it is concrete: "we'll let you
    // know", "please be patient", «Очікуйте», «следите за обновлениями» promise
    // nothing the customer can hold us to.
    let vague: Vec<Range<usize>> = f
        .hits
        .iter()
        .filter(|(n, _)| *n == "vague_next")
        .map(|(_, r)| r.clone())
        .collect();
    let concrete = |r: &Range<usize>| !vague.iter().any(|v| v.start < r.end && r.start < v.end);
    let next_step = lex.next_step.find_iter(&f.own).any(|r| concrete(&r))
        || f.hits.iter().any(|(n, r)| *n == "next_step" && concrete(r));
    let instruction = !f.deflects()
        && f.hits
            .iter()
            .any(|(n, r)| *n == "instruction" && concrete(r));
    let owns = lex.ownership.find_iter(&f.own).any(|r| concrete(&r))
        || f.hits.iter().any(|(n, r)| *n == "ownership" && concrete(r));
    let asks = f.own.contains('?');
    if !(next_step || instruction || owns || asks) {
        sink.emit("expectations.no-next-step", 0..0);
    }
}

/// The customer says we promised something and did not keep it ("your engineer said
/// he would come yesterday", «обіцяли 2 дні», «мастер должен был прийти»): before any
/// new plan the reply owes an apology or an admission. The article's commandment 5:
/// what the customer was led to expect is ours to answer for.
fn broken_promise(f: &Facts, sink: &mut Sink) {
    if !f.customer_hit("broken_promise") {
        return;
    }
    // A firm new time ("between 2 and 5 pm today") keeps the promise anew.
    let owned = f
        .find(&f.book.lex.acknowledgement, "acknowledgement")
        .is_some()
        || f.find(&f.book.lex.time_frame, "time_frame").is_some();
    if !owned {
        sink.emit("expectations.broken-promise", 0..0);
    }
}
