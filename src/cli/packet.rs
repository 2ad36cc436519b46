//! `firstline packet ID`: the escalation packet — a ticket's thread, notes and
//! history as Markdown for the second line (owner, developer, hosting), with card
//! numbers, IBANs, tokens and passwords redacted, and people's e-mail addresses and
//! phone numbers masked everywhere (header, bodies, history). The history includes
//! the tickets merged into this one, in words rather than raw event names.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::display::{sanitize, sanitize_line};
use crate::model::{Direction, Event, TicketDetail, TicketId};
use crate::report::redact::{mask_contacts, mask_email, redact};
use crate::sla::{self, BusinessCalendar, ClockState};
use crate::store::Store;

/// `firstline packet 12 --out ticket-12.md`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline packet 12 > ticket-12.md\n  firstline packet 12 --out /tmp/for-dev.md"
)]
pub struct PacketArgs {
    pub id: TicketId,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Runs `firstline packet`.
pub fn run(ctx: &Context, args: PacketArgs) -> Result<()> {
    let store = ctx.open_store(false)?;
    let text = build(ctx, &store, args.id)?;
    match args.out {
        Some(path) => {
            super::report::write_file(&path, &text, crate::fs::Overwrite::from_force(args.force))?;
            eprintln!(
                "escalation packet for #{} written to {}",
                args.id,
                path.display()
            );
            Ok(())
        }
        None => {
            std::io::stdout().lock().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

/// The packet of ticket `id`, with the history of every ticket merged into it.
pub fn build(ctx: &Context, store: &Store, id: TicketId) -> Result<String> {
    let detail = store.ticket_detail(id)?;
    let mut merged = Vec::new();
    let mut todo: Vec<TicketId> = merged_sources(&detail.events);
    let mut seen = std::collections::HashSet::from([id]);
    while let Some(from) = todo.pop() {
        if !seen.insert(from) {
            continue;
        }
        let events = store.events(Some(from))?;
        todo.extend(merged_sources(&events));
        merged.extend(events.into_iter().map(|e| (Some(from), e)));
    }
    Ok(render(ctx, &detail, merged))
}

/// The tickets a "merged" event says were folded in (`old` is `#14 subject`).
fn merged_sources(events: &[Event]) -> Vec<TicketId> {
    events
        .iter()
        .filter(|e| e.kind == "merged")
        .filter_map(|e| {
            let old = e.old.as_deref()?.strip_prefix('#')?;
            old.split_whitespace().next()?.parse().ok()
        })
        .collect()
}

/// Builds the Markdown packet. Everything from the customer or the thread is
/// redacted and its contact details masked; header facts are ours. `merged` are the
/// events of tickets merged into this one, with the ticket they came from.
pub fn render(ctx: &Context, d: &TicketDetail, merged: Vec<(Option<TicketId>, Event)>) -> String {
    let config = &ctx.config.sla;
    let tz = sla::timezone(config);
    let when =
        |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let now = Utc::now();
    let t = &d.ticket;
    let mut totals: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut ours: Vec<String> = ctx.config.mail.addresses.clone();
    ours.extend(ctx.config.sender_address());
    let phones: Vec<String> = d.customer.phone.iter().cloned().collect();
    let mut clean = |text: &str| {
        let r = redact(&sanitize(text));
        let m = mask_contacts(&r.text, &ours, &phones);
        for (k, n) in r.counts.into_iter().chain(m.counts) {
            *totals.entry(k).or_default() += n;
        }
        m.text
    };
    let mut s = String::new();
    let _ = writeln!(
        s,
        "# Escalation packet: ticket #{} — {}\n",
        t.id,
        clean(&sanitize_line(&t.subject))
    );
    let contact = d
        .customer
        .emails
        .first()
        .map(|e| format!("<{}>", mask_email(&sanitize_line(e))))
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "- Customer: {} {} (language {}, {})",
        clean(&sanitize_line(&d.customer.name)),
        contact,
        d.customer.language,
        d.customer.formality
    );
    let _ = writeln!(
        s,
        "- Status {} · priority {} · channel {} · tags {}",
        t.status,
        t.priority,
        t.channel,
        if t.tags.is_empty() {
            "—".into()
        } else {
            t.tags.join(", ")
        }
    );
    let _ = writeln!(
        s,
        "- Opened {} ({} ago)",
        when(t.created_at),
        sla::human_duration(now - t.created_at)
    );
    if let Some(since) = t.awaiting_reply_since {
        let _ = writeln!(
            s,
            "- Customer waiting since {} ({})",
            when(since),
            sla::human_duration(now - since)
        );
    }
    if let Some(e) = &t.escalation {
        let _ = writeln!(
            s,
            "- Escalated to **{}** {} ago: {}",
            clean(&sanitize_line(&e.target)),
            sla::human_duration(now - e.at),
            clean(&sanitize_line(&e.reason))
        );
    }
    let calendar = BusinessCalendar::lenient(config);
    let clocks = sla::ticket_clocks(config, &calendar, t, &d.events, now);
    for c in [
        Some(clocks.first_response),
        clocks.next_response,
        Some(clocks.resolution),
    ]
    .into_iter()
    .flatten()
    {
        let state = match c.state {
            ClockState::Running { due } if due < now => format!("OVERDUE since {}", when(due)),
            ClockState::Running { due } => format!("due {}", when(due)),
            ClockState::Paused { left_minutes } => {
                format!("paused (pending), {left_minutes} min left")
            }
            ClockState::Stopped { at, breached, .. } => {
                format!("met {}{}", when(at), if breached { " — late" } else { "" })
            }
            ClockState::Off => continue,
        };
        let _ = writeln!(s, "- SLA {}: {state}", c.kind.label());
    }

    let _ = writeln!(s, "\n## Thread\n");
    for m in &d.messages {
        let who = match m.direction {
            Direction::Inbound => "customer",
            Direction::Outbound => "reply",
            Direction::Note => "internal note",
        };
        let _ = writeln!(
            s,
            "### {} · {} · {}\n",
            when(m.sent_at),
            who,
            clean(&sanitize_line(&m.author))
        );
        let body = clean(m.body.trim());
        let fence = "`".repeat(longest_backtick_run(&body).max(2) + 1);
        let _ = writeln!(s, "{fence}text\n{body}\n{fence}\n");
        for a in &m.attachments {
            let _ = writeln!(
                s,
                "- attachment: {} ({} bytes, not included)",
                clean(&sanitize_line(&a.filename)),
                a.size
            );
        }
    }
    let _ = writeln!(s, "## History\n");
    let mut history: Vec<(Option<TicketId>, Event)> =
        d.events.iter().cloned().map(|e| (None, e)).collect();
    history.extend(merged);
    history.sort_by_key(|(_, e)| (e.at, e.id));
    for (from, e) in &history {
        let text = clean(&sanitize_line(&event_phrase(e)));
        let origin = from
            .map(|t| format!(" (in ticket #{t}, merged in)"))
            .unwrap_or_default();
        let _ = writeln!(
            s,
            "- {} {} {text}{origin}",
            when(e.at),
            clean(&sanitize_line(&e.actor)),
        );
    }
    let summary: Vec<String> = totals.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let _ = writeln!(
        s,
        "\n_Redacted: {}. Generated by firstline {}._",
        if summary.is_empty() {
            "nothing found".to_string()
        } else {
            summary.join(", ")
        },
        when(now)
    );
    s
}

/// One history event in words for someone who never used firstline: "customer
/// wrote (message 19)", not "inbound 19".
fn event_phrase(e: &Event) -> String {
    let old = e.old.as_deref().unwrap_or("");
    let new = e.new.as_deref().unwrap_or("");
    match e.kind.as_str() {
        "created" => format!("ticket opened: {new}"),
        "inbound" => format!("customer wrote (message {new})"),
        "outbound" => format!("reply written (message {new})"),
        "note" => format!("internal note added (message {new})"),
        "merged" => format!("ticket {old} merged into this one"),
        "merged-into" => format!("merged into ticket {new}"),
        "delivered" => format!("reply {old} delivered"),
        "delivery-failed" => format!("reply {old} not delivered: {new}"),
        "saved-not-sent" => format!("reply {old} saved as a file, not sent"),
        "marked-sent" => format!("reply {old} recorded as sent by hand"),
        "resend-asked" => format!("reply {old} to be sent again"),
        "reply-undone" => format!("reply {old} taken back before sending"),
        "no-reply-needed" => format!("marked as needing no reply: {new}"),
        "followup" => format!("follow-up set: {new}"),
        "followup-done" => "follow-up done".to_string(),
        "message-edited" => "customer edited a message (the earlier text is in the history)".into(),
        "away-reply" => "away reply sent (outside business hours)".to_string(),
        kind => match (e.old.as_deref(), e.new.as_deref()) {
            (Some(o), Some(n)) if !o.is_empty() => format!("{kind} {o} → {n}"),
            (_, Some(n)) => format!("{kind} {n}"),
            (Some(o), None) => format!("{kind} was {o}"),
            (None, None) => kind.to_string(),
        },
    }
}

fn longest_backtick_run(text: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in text.chars() {
        if c == '`' {
            run += 1;
            best = best.max(run);
        } else {
            run = 0;
        }
    }
    best
}
