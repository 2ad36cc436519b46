//! `firstline followups`: what we promised customers and when, read from sent
//! replies ("by Friday", "за годину"), plus solved tickets whose customer last heard
//! "we are still working on it". `check` uses the same findings.

use anyhow::Result;
use chrono::{DateTime, Duration, Utc};
use clap::Args;
use serde::Serialize;
use std::io::Write;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::sanitize_line;
use crate::model::{Status, TicketId};
use crate::sla::Finding;
use crate::sla::{self, promises, Urgency};
use crate::store::{Followup, NewFollowup, Store, TicketFilter};

/// How far back solved tickets are checked for an untold customer.
const SOLVED_NOTICE_WINDOW_DAYS: i64 = 14;

/// `firstline followups`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline followups\n  firstline followups --add 12 --due 'tomorrow 10:00' --note 'call back'\n  firstline followups --done 3\n  firstline followups --draft 3     # a ready \"still working on it\" reply"
)]
pub struct FollowupArgs {
    /// Include done and settled follow-ups.
    #[arg(long)]
    pub all: bool,
    /// Mark a follow-up done.
    #[arg(long, value_name = "FOLLOWUP")]
    pub done: Option<i64>,
    /// Add a follow-up to a ticket (with --due and --note).
    #[arg(long, value_name = "TICKET", requires = "due")]
    pub add: Option<TicketId>,
    /// When, as for snooze: tomorrow, "fri 10:00", 3h, 2026-12-01.
    #[arg(long)]
    pub due: Option<String>,
    #[arg(long, default_value = "")]
    pub note: String,
    /// Print a "still working on it" reply for a follow-up, in the customer's language.
    #[arg(long, value_name = "FOLLOWUP")]
    pub draft: Option<i64>,
    #[arg(long)]
    pub json: bool,
}

/// A follow-up as listed, with whether it is due.
#[derive(Debug, Serialize)]
struct Row {
    #[serde(flatten)]
    followup: Followup,
    subject: String,
    settled: bool,
    #[serde(flatten)]
    urgency: Urgency,
}

/// Runs `firstline followups`.
pub fn run(ctx: &Context, args: FollowupArgs) -> Result<ExitCode> {
    let config = &ctx.config.sla;
    let mut store = ctx.open_store(false)?;
    if let Some(id) = args.done {
        let f = store.complete_followup(id)?;
        println!("follow-up {} on #{} done", f.id, f.ticket_id);
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(ticket) = args.add {
        let text = args.due.as_deref().unwrap_or_default();
        let due = sla::parse_snooze(text, Utc::now(), config).ok_or_else(|| {
            user_error(sla::unreadable_time(
                text,
                Utc::now(),
                config,
                "tomorrow, 'fri 10:00', 3h or 2026-12-01",
            ))
        })?;
        let id = store.create_followup(&NewFollowup {
            ticket_id: ticket,
            kind: crate::store::FollowupKind::Manual,
            due_at: due,
            phrase: args.note.clone(),
            message_id: None,
        })?;
        println!("{}", id.unwrap_or_default());
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(id) = args.draft {
        let f = store
            .followups(false, None)?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| user_error(format!("follow-up {id} not found")))?;
        if f.kind != crate::store::FollowupKind::Promise {
            return Err(user_error(format!("follow-up {id} is your own to-do, not a promise to the customer; mark it done with --done {id}")));
        }
        let ticket = store.ticket(f.ticket_id)?;
        let customer = store.customer(ticket.customer_id)?;
        let greeting = crate::canned::greeting_line(
            &store.canned_list()?,
            &customer,
            &ctx.config.agent,
            Utc::now(),
        );
        println!(
            "{}",
            promises::still_working_reply(&greeting, customer.language, customer.formality)
        );
        return Ok(ExitCode::SUCCESS);
    }
    let now = Utc::now();
    promises::scan_replies(&mut store, config, now)?;
    let mut rows = Vec::new();
    for f in store.followups(!args.all, None)? {
        let ticket = store.ticket(f.ticket_id)?;
        let settled = promises::followup_settled(
            &f,
            &ticket,
            &promises::thread_as_delivered(&store, f.ticket_id)?,
        );
        if settled && !args.all {
            continue;
        }
        rows.push(Row {
            urgency: sla::urgency(config, f.due_at, now),
            subject: ticket.subject,
            settled,
            followup: f,
        });
    }
    let reminders = solved_untold(&store, config, now)?;
    if args.json {
        print_json(&serde_json::json!({ "followups": rows, "tell_solved": reminders }))?;
        return Ok(ExitCode::SUCCESS);
    }
    let tz = sla::timezone(config);
    let mut out = std::io::stdout().lock();
    for r in &rows {
        let f = &r.followup;
        let state = match (f.done_at, r.settled, r.urgency) {
            (Some(_), _, _) => "done".to_string(),
            (_, true, _) => "settled".to_string(),
            (_, _, Urgency::Overdue) => format!("DUE {} ago", sla::human_duration(now - f.due_at)),
            _ => format!("in {}", sla::human_duration(f.due_at - now)),
        };
        writeln!(
            out,
            "{:>4}  #{:<5} {} {:<14} \"{}\"  {}",
            f.id,
            f.ticket_id,
            f.due_at.with_timezone(&tz).format("%a %Y-%m-%d %H:%M"),
            state,
            sanitize_line(&f.phrase),
            sanitize_line(&r.subject)
        )?;
    }
    for (id, subject) in &reminders {
        writeln!(
            out,
            "tell  #{id:<5} solved, but the customer last heard \"still working on it\": {}",
            sanitize_line(subject)
        )?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Solved tickets (in the last two weeks) whose customer was never told.
fn solved_untold(
    store: &Store,
    config: &crate::config::SlaConfig,
    now: DateTime<Utc>,
) -> Result<Vec<(TicketId, String)>> {
    let rows = store.list_tickets(&TicketFilter {
        statuses: vec![Status::Solved, Status::Closed],
        ..Default::default()
    })?;
    let since = now - Duration::days(SOLVED_NOTICE_WINDOW_DAYS);
    let mut out = Vec::new();
    for r in rows
        .iter()
        .filter(|r| r.ticket.resolved_at.is_some_and(|t| t >= since))
    {
        let messages = store.messages(r.ticket.id)?;
        if promises::owes_solved_notice(&r.ticket, &messages, config) {
            out.push((r.ticket.id, r.ticket.subject.clone()));
        }
    }
    Ok(out)
}

/// Open, unsettled follow-ups that are due or within the first warning mark, for
/// `check`. Scans new replies for promises first.
pub fn due_findings(ctx: &Context, store: &mut Store, now: DateTime<Utc>) -> Result<Vec<Finding>> {
    let config = &ctx.config.sla;
    promises::scan_replies(store, config, now)?;
    Ok(promises::due_followups(store, config, now)?
        .into_iter()
        .map(|d| Finding {
            ticket: d.followup.ticket_id,
            subject: d.ticket.subject,
            priority: d.ticket.priority.to_string(),
            what: format!("follow-up {}", d.followup.id),
            due: d.followup.due_at,
            urgency: d.urgency,
            detail: Some(d.followup.phrase),
        })
        .collect())
}
