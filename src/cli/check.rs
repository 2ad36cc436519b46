//! `firstline check`: the SLA clocks of every live ticket, one line per ticket that is
//! overdue or about to breach, for cron or a desktop notifier. Exit 0 and no output
//! when all is well; exit 3 when something needs attention.

use anyhow::Result;
use chrono::{DateTime, Utc};
use clap::Args;
use std::io::Write;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::sanitize_line;
use crate::model::Status;
use crate::sla::{self, BusinessCalendar, ClockKind, Finding, Urgency};
use crate::store::TicketFilter;

/// The exit code that means "something is overdue or about to breach".
pub const EXIT_ATTENTION: u8 = 3;

/// `firstline check`
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 nothing due, 3 something overdue or within the first warning mark, 1/2 errors.\n\nExamples:\n  firstline check\n  */5 * * * * firstline check || notify-send \"$(firstline check)\""
)]
pub struct CheckArgs {
    /// Print the findings as JSON (an empty list when all is well).
    #[arg(long)]
    pub json: bool,
    /// Evaluate the clocks at this instant (RFC 3339) instead of now.
    #[arg(long, hide = true)]
    pub now: Option<DateTime<Utc>>,
}

/// Runs the check.
pub fn run(ctx: &Context, args: CheckArgs) -> Result<ExitCode> {
    let config = &ctx.config.sla;
    let calendar = BusinessCalendar::from_config(config).map_err(|e| user_error(e.to_string()))?;
    let now = args.now.unwrap_or_else(Utc::now);
    let mut store = ctx.open_store(false)?;
    let mut findings = clock_findings(ctx, &store, &calendar, now)?;
    findings.extend(super::followup::due_findings(ctx, &mut store, now)?);
    // The welcome queue is practice: a cron alert about it would lie about who waits.
    let demo = store.demo_ticket_ids()?;
    findings.retain(|f| !demo.contains(&f.ticket));
    findings.sort_by_key(|f| (f.urgency, f.due));
    // A channel nobody reads loses messages after about a day: say so before then.
    let channel_warning =
        crate::telegram::channel_state(&store, ctx.config.telegram.as_ref(), now)?
            .and_then(|state| state.warning(now));
    if let Some(w) = &channel_warning {
        if args.json {
            eprintln!("firstline: WARN {w}");
        } else {
            println!("WARN {w}");
        }
    }
    if args.json {
        print_json(&findings)?;
    } else {
        let tz = calendar.timezone();
        let mut out = std::io::stdout().lock();
        for f in &findings {
            let left = sla::human_duration(f.due - now);
            let when = match f.urgency {
                Urgency::Overdue => format!("overdue by {}", left.trim_start_matches('-')),
                _ => format!("due in {left}"),
            };
            let label = match f.urgency {
                Urgency::Overdue => "OVERDUE",
                _ => "WARN",
            };
            let detail = f
                .detail
                .as_deref()
                .map(|d| format!(" \"{}\"", sanitize_line(d)))
                .unwrap_or_default();
            writeln!(
                out,
                "#{} {label} {}{detail} {when} ({}) [{}] {}",
                f.ticket,
                f.what,
                f.due.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
                f.priority,
                sanitize_line(&f.subject)
            )?;
        }
    }
    Ok(if findings.is_empty() && channel_warning.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_ATTENTION)
    })
}

/// The most pressing clock of each live ticket, when it is overdue or within a mark.
fn clock_findings(
    ctx: &Context,
    store: &crate::store::Store,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Result<Vec<Finding>> {
    let config = &ctx.config.sla;
    let rows = store.list_tickets(&TicketFilter {
        statuses: vec![Status::New, Status::Open, Status::OnHold, Status::Pending],
        ..Default::default()
    })?;
    let mut findings = Vec::new();
    for row in rows {
        let t = &row.ticket;
        let events = store.events(Some(t.id))?;
        let clocks = sla::ticket_clocks(config, calendar, t, &events, now);
        // Snoozed tickets are the agent's decision: only their resolution clock counts.
        let snoozed = t.snoozed_until.is_some_and(|u| u > now);
        let worst = [
            Some(clocks.first_response),
            clocks.next_response,
            Some(clocks.resolution),
        ]
        .into_iter()
        .flatten()
        .filter(|c| !snoozed || c.kind == ClockKind::Resolution)
        .filter_map(|c| {
            c.due()
                .map(|due| (sla::urgency(config, due, now), due, c.kind))
        })
        .filter(|(u, _, _)| *u != Urgency::Ok)
        .min_by_key(|(u, due, _)| (*u, *due));
        if let Some((urgency, due, kind)) = worst {
            findings.push(Finding {
                ticket: t.id,
                subject: t.subject.clone(),
                priority: t.priority.to_string(),
                what: kind.label().to_string(),
                due,
                urgency,
                detail: None,
            });
        }
    }
    Ok(findings)
}
