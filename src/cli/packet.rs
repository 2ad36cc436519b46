//! `firstline packet ID`: the escalation packet — a ticket's thread, notes and
//! history as Markdown for the second line (owner, developer, hosting), with card
//! numbers, IBANs, tokens and passwords redacted. The customer's address is masked.

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use std::fmt::Write as _;
use std::io::Write;
use std::path::PathBuf;

use super::Context;
use crate::display::{sanitize, sanitize_line};
use crate::model::{Direction, TicketDetail, TicketId};
use crate::report::redact::redact;
use crate::sla::{self, BusinessCalendar, ClockState};

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
    let detail = store.ticket_detail(args.id)?;
    let text = render(ctx, &detail);
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

/// Builds the Markdown packet. Everything from the customer or the thread is
/// redacted; header facts are ours.
pub fn render(ctx: &Context, d: &TicketDetail) -> String {
    let config = &ctx.config.sla;
    let tz = sla::timezone(config);
    let when =
        |t: chrono::DateTime<Utc>| t.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z").to_string();
    let now = Utc::now();
    let t = &d.ticket;
    let mut totals: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let mut clean = |text: &str| {
        let r = redact(&sanitize(text));
        for (k, n) in r.counts {
            *totals.entry(k).or_default() += n;
        }
        r.text
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
        .map(|e| mask_email(e))
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
    for e in &d.events {
        let change = match (&e.old, &e.new) {
            (Some(o), Some(n)) => format!(
                "{} → {}",
                clean(&sanitize_line(o)),
                clean(&sanitize_line(n))
            ),
            (None, Some(n)) => clean(&sanitize_line(n)),
            (Some(o), None) => format!("was {}", clean(&sanitize_line(o))),
            (None, None) => String::new(),
        };
        let _ = writeln!(
            s,
            "- {} {} {} {}",
            when(e.at),
            sanitize_line(&e.actor),
            e.kind,
            change
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

/// "olena@shop.ua" → "o***@shop.ua": enough to recognise, not enough to spam.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("<{first}***@{}>", sanitize_line(domain))
        }
        None => String::new(),
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
