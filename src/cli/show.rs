//! Read-only views: `show` one ticket, `search` the queue.

use anyhow::Result;
use clap::Args;
use std::io::Write;

use super::{print_json, Context};
use crate::display::{sanitize, sanitize_line};
use crate::model::{Direction, TicketId};
use crate::sla::{local_time, local_time_named};
use crate::store::SearchQuery;

/// `firstline show 12`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline show 12\n  firstline show 12 --json | jq '.messages | length'\n  firstline show 12 --raw 345 > original.eml"
)]
pub struct ShowArgs {
    pub id: TicketId,
    #[arg(long)]
    pub json: bool,
    /// Print one message of the ticket exactly as it arrived (its original bytes,
    /// whole, however large), not the thread. Message ids are in `show ID --json`
    /// and in the line under a body cut at import.
    #[arg(long, value_name = "MESSAGE_ID", conflicts_with = "json")]
    pub raw: Option<crate::model::MessageId>,
}

/// The line the import leaves at the end of a body it cut (`mail::parse`).
const CUT_AT_IMPORT: &str = "[firstline: body cut at ";

/// `show ID --raw MESSAGE_ID`: the message's bytes as they arrived, unchanged (a
/// huge body is cut when stored; the original is kept whole).
fn print_raw(
    store: &crate::store::Store,
    ticket: TicketId,
    message: crate::model::MessageId,
) -> Result<()> {
    if !store.messages(ticket)?.iter().any(|m| m.id == message) {
        return Err(super::user_error(format!(
            "message {message} is not on ticket {ticket}; `firstline show {ticket} --json` lists its messages"
        )));
    }
    let Some(raw) = store.raw_message(message)? else {
        return Err(super::user_error(format!(
            "message {message} has no original bytes kept (it was written here, not received)"
        )));
    };
    let mut out = std::io::stdout().lock();
    out.write_all(&raw)?;
    out.flush()?;
    Ok(())
}

/// `firstline search 'refund status:open'`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline search refund\n  firstline search '\"double charge\" status:open'\n  firstline search 'оплат* from:olena after:7d'\n  firstline search 'tag:billing channel:chat -spam'"
)]
pub struct SearchArgs {
    /// Words, "phrases", prefix*, -exclude, OR, and from: status: tag: channel: priority: subject: before: after:
    /// (a query may start with `-`: `search -spam` excludes, it is not an option).
    #[arg(required = true, num_args = 1.., allow_hyphen_values = true)]
    pub query: Vec<String>,
    /// Show at most this many tickets (1 or more).
    #[arg(long, default_value_t = 50, value_parser = super::tickets::parse_limit)]
    pub limit: usize,
    #[arg(long)]
    pub json: bool,
}

/// A query may start with `-` (`search -spam refund`), so the parser takes every word
/// after it as query text, options too: `--json` and `--limit N` written after such a
/// query are options all the same.
fn options_after_the_query(args: &mut SearchArgs) -> Result<()> {
    let mut words = Vec::new();
    let mut given = std::mem::take(&mut args.query).into_iter();
    while let Some(word) = given.next() {
        match word.as_str() {
            "--json" => args.json = true,
            "--limit" => {
                let n = given
                    .next()
                    .ok_or_else(|| super::user_error("--limit needs a number, e.g. --limit 20"))?;
                args.limit = super::tickets::parse_limit(&n).map_err(super::user_error)?;
            }
            w => match w.strip_prefix("--limit=") {
                Some(n) => {
                    args.limit = super::tickets::parse_limit(n).map_err(super::user_error)?
                }
                None => words.push(word),
            },
        }
    }
    if words.is_empty() {
        return Err(super::user_error(
            "search for what? e.g. firstline search refund",
        ));
    }
    args.query = words;
    Ok(())
}

/// Prints a ticket and its thread.
pub fn show(ctx: &Context, args: ShowArgs) -> Result<()> {
    let store = ctx.open_store(true)?;
    if let Some(message) = args.raw {
        return print_raw(&store, args.id, message);
    }
    let detail = store.ticket_detail(args.id)?;
    // Replies that have not reached the customer, by message: a reply saved as a file
    // or still queued must not read as an answer here either (the console marks them).
    let undelivered: std::collections::HashMap<_, _> = store
        .undelivered_replies(args.id)?
        .into_iter()
        .map(|e| (e.message, e.state))
        .collect();
    if args.json {
        return print_json(&with_delivery(&detail, &undelivered)?);
    }
    let t = &detail.ticket;
    let c = &detail.customer;
    let tz = crate::sla::timezone(&ctx.config.sla);
    let mut out = std::io::stdout().lock();
    writeln!(out, "#{} {}", t.id, sanitize_line(&t.subject))?;
    writeln!(
        out,
        "status {}  priority {}  channel {}  tags [{}]",
        t.status,
        t.priority,
        t.channel,
        t.tags.join(" ")
    )?;
    // Only when someone has it: a solo queue never assigns, and "unassigned" on
    // every ticket would be noise.
    if let Some(name) = &t.assignee {
        writeln!(out, "assigned to {}", sanitize_line(name))?;
    }
    let contact: Vec<&str> = c
        .emails
        .iter()
        .chain(c.handles.iter())
        .chain(c.phone.iter())
        .map(String::as_str)
        .collect();
    writeln!(
        out,
        "customer {} <{}>  language {}  formality {}",
        sanitize_line(&c.name),
        sanitize_line(&contact.join(", ")),
        c.language,
        c.formality
    )?;
    // Named once here: every time below is on this clock, as in the console.
    writeln!(out, "times in {}", tz.name())?;
    if let Some(e) = &t.escalation {
        writeln!(
            out,
            "escalated to {}: {}",
            sanitize_line(&e.target),
            sanitize_line(&e.reason)
        )?;
    }
    if let Some(s) = t.snoozed_until {
        writeln!(out, "snoozed until {}", local_time_named(tz, s))?;
    }
    for m in &detail.messages {
        let label = match m.direction {
            Direction::Inbound => "from",
            Direction::Outbound => "reply by",
            Direction::Note => "NOTE by",
        };
        let not_delivered = undelivered
            .get(&m.id)
            .map(|state| format!(" · {}", state.undelivered_phrase()))
            .unwrap_or_default();
        writeln!(out)?;
        writeln!(
            out,
            "--- {label} {} · {}{not_delivered}",
            sanitize_line(&m.author),
            local_time(tz, m.sent_at)
        )?;
        writeln!(out, "{}", sanitize(m.body.trim_end()))?;
        if m.body.contains(CUT_AT_IMPORT) {
            writeln!(
                out,
                "[as it arrived: firstline show {} --raw {}]",
                t.id, m.id
            )?;
        }
        for a in &m.attachments {
            writeln!(
                out,
                "[attachment: {} · {} · {} bytes]",
                sanitize_line(&a.filename),
                a.content_type,
                a.size
            )?;
        }
    }
    if let Some(d) = &detail.draft {
        writeln!(out, "\n--- draft (unsent)\n{}", sanitize(&d.body))?;
    }
    if !detail.events.is_empty() {
        writeln!(out, "\n--- history")?;
    }
    for e in &detail.events {
        if let Some(phrase) = e.assignment_phrase() {
            writeln!(out, "{}  {}", local_time(tz, e.at), sanitize_line(&phrase))?;
            continue;
        }
        let change = match (&e.old, &e.new) {
            _ if e.kind == "snooze" => snooze_change(tz, e.old.as_deref(), e.new.as_deref()),
            (Some(old), Some(new)) if !old.is_empty() => format!("{old} → {new}"),
            (_, Some(new)) => new.clone(),
            (Some(old), None) => old.clone(),
            (None, None) => String::new(),
        };
        writeln!(
            out,
            "{}  {}  {} {}",
            local_time(tz, e.at),
            sanitize_line(&e.actor),
            sanitize_line(&e.kind),
            sanitize_line(&change)
        )?;
    }
    Ok(())
}

/// A snooze in the history on the desk's clock, and its end said as an end: the
/// stored values are RFC 3339 UTC, and an undone or cleared snooze (no new time)
/// printed its old time alone, which read as another snooze.
fn snooze_change(tz: chrono_tz::Tz, old: Option<&str>, new: Option<&str>) -> String {
    let at = |t: &str| {
        chrono::DateTime::parse_from_rfc3339(t)
            .map(|t| local_time(tz, t.with_timezone(&chrono::Utc)))
            .unwrap_or_else(|_| sanitize_line(t))
    };
    match (old, new) {
        (_, Some(new)) => format!("until {}", at(new)),
        (Some(old), None) => format!("ended (was until {})", at(old)),
        (None, None) => String::new(),
    }
}

/// `show --json` with `"delivery"` on every reply: `"sent"`, or the outbox state of one
/// that has not reached the customer (`"saved"`, `"queued"`, `"failed"`, `"unknown"`), so
/// a script never counts a reply saved as a file as an answer.
fn with_delivery(
    detail: &crate::model::TicketDetail,
    undelivered: &std::collections::HashMap<crate::model::MessageId, crate::store::OutboxState>,
) -> Result<serde_json::Value> {
    let mut value = serde_json::to_value(detail)?;
    let messages = value
        .get_mut("messages")
        .and_then(serde_json::Value::as_array_mut);
    for (m, json) in detail.messages.iter().zip(messages.into_iter().flatten()) {
        if m.direction == Direction::Outbound {
            let state = undelivered.get(&m.id).map_or("sent", |s| s.as_str());
            json["delivery"] = serde_json::Value::from(state);
        }
    }
    Ok(value)
}

/// Runs a search.
pub fn search(ctx: &Context, mut args: SearchArgs) -> Result<()> {
    options_after_the_query(&mut args)?;
    let store = ctx.open_store(true)?;
    let query = SearchQuery::parse_in(
        &args.query.join(" "),
        chrono::Utc::now(),
        crate::sla::timezone(&ctx.config.sla),
    )?;
    let found = store.search_counted(&query, args.limit)?;
    let shown = found.hits.len();
    if args.json {
        return print_json(&found.hits);
    }
    if found.hits.is_empty() {
        // On stderr like the count below: an empty answer is still an answer (exit 0),
        // and `search … | wc -l` still counts 0.
        eprintln!(
            "no ticket matches {}",
            crate::display::sanitize_line(&args.query.join(" "))
        );
        return Ok(());
    }
    let rows: Vec<_> = found.hits.into_iter().map(|h| h.summary).collect();
    super::tickets::print_table(&rows, crate::sla::timezone(&ctx.config.sla));
    if shown < found.total {
        // On stderr, so `search … | wc -l` still counts tickets.
        eprintln!(
            "{shown} of {} matching tickets shown, newest first; --limit N shows more",
            found.total
        );
    }
    Ok(())
}
