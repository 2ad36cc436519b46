//! Commandment 5, meet the client's expectations: while the problem is open, say
//! what happens next and when; point out every promised time (sending turns it into
//! a follow-up by itself, see `sla::promises`, so the hint never asks for a snooze);
//! do not close a ticket while asking the customer to confirm.

use super::{Facts, Sink};
use crate::model::Status;
use std::ops::Range;

pub(super) fn run(f: &Facts, sink: &mut Sink) {
    // "I can't promise zero downtime": an absolute under a negation is honesty.
    sink.drop_excused("expectations.over-promise", |span| {
        super::negated(&f.own, span.start)
            || modal_negated_after(&f.own, span.end)
            || told_in_the_past(&f.own[span.clone()])
    });
    broken_promise(f, sink);
    let lex = &f.book.lex;
    // The same reading sending uses (`sla::promises`): "воно діє 24 години" and
    // "оформлено сьогодні" describe, they promise nothing.
    if let Some(span) = promised_time(f) {
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

/// The promised time sending will record (`sla::promises::promise_hint`: the same
/// phrase `extract_promise` picks, or nothing), read sentence by sentence;
/// `promise_hint` skips sentences with no time word and remembers what each sentence
/// says, so while the agent types only the sentence being edited is read again.
fn promised_time(f: &Facts) -> Option<Range<usize>> {
    // The agent's own lines: quoted ones are already blanked in `f.own` (same
    // offsets).
    let mut offset = 0;
    let mut all = Vec::new();
    for line in f.own.split_inclusive('\n') {
        let line_start = offset;
        offset += line.len();
        all.extend(
            sentences(line)
                .into_iter()
                .map(|s| line_start + s.start..line_start + s.end),
        );
    }
    // Sent now, on the default calendar: the checker has no `[sla]` settings.
    let config = crate::config::SlaConfig::default();
    crate::sla::promises::promise_hint(&f.own, &all, chrono::Utc::now(), &config).map(|p| p.span)
}

/// The sentences of one line as byte ranges: a sentence ends after `.`, `!`, `?` or
/// `…` followed by whitespace or the line's end, as `sla::promises` reads them (so
/// "12.00" and "5.30" stay inside).
fn sentences(line: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = line.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut end = i + c.len_utf8();
        while let Some(&(j, d)) = chars.peek() {
            if !matches!(d, '.' | '!' | '?' | '…') {
                break;
            }
            end = j + d.len_utf8();
            chars.next();
        }
        let next_is_space = chars.peek().is_none_or(|&(_, d)| d.is_whitespace());
        if next_is_space {
            out.push(start..end);
            start = end;
        }
    }
    let rest = line[start..].trim_end_matches(['\n', '\r']);
    if !rest.trim().is_empty() {
        out.push(start..start + rest.len());
    }
    out
}

/// Whether a negated modal follows within five words of `at`, in the same clause
/// ("ровно в 9:00 гарантировать не могу"):
/// Russian and Ukrainian put it after the verb ("гарантировать не могу", «обіцяти не
/// можу»). Only "не" + a form of "мочь/могти" counts: "guaranteed not to break" and
/// «гарантирую, что не сломается» still promise.
fn modal_negated_after(text: &str, at: usize) -> bool {
    let tail = &text[at..];
    // A colon ends the clause only before a space: "9:00" is a time.
    let end = tail
        .find(['!', '?', '\n', ',', ';', '—'])
        .into_iter()
        .chain(tail.find(": "))
        .chain(tail.find(". "))
        .min()
        .unwrap_or(tail.len());
    let words: Vec<String> = crate::tone::text::words(&tail[..end])
        .take(6)
        .map(|(_, w)| w.to_lowercase())
        .collect();
    words.windows(2).any(|w| {
        w[0] == "не"
            && ["мог", "мож", "смог", "смож", "змог", "змож"]
                .iter()
                .any(|p| w[1].starts_with(p))
    })
}

/// Whether an over-promise match reports a past promise: "we promised you a call by
/// Wednesday and didn't make it", «ми обіцяли», «мы обещали» — owning the broken
/// promise, not making a new one. ("100% guaranteed" is a participle that promises.)
fn told_in_the_past(found: &str) -> bool {
    crate::tone::text::words(found).any(|(_, w)| {
        let w = w.to_lowercase();
        [
            "promised",
            "swore",
            "обіцял",
            "обіцяв",
            "гарантувал",
            "гарантував",
            "обещал",
            "гарантировал",
        ]
        .iter()
        .any(|p| w.starts_with(p))
    })
}

#[cfg(test)]
mod tests {
    use super::sentences;

    #[test]
    fn sentences_end_at_stops_followed_by_space_not_inside_times() {
        let line = "Курьер будет в 12.00 завтра. Спасибо!! Пока\n";
        let parts: Vec<&str> = sentences(line).into_iter().map(|r| &line[r]).collect();
        assert_eq!(
            parts,
            vec!["Курьер будет в 12.00 завтра.", " Спасибо!!", " Пока"]
        );
    }
}
