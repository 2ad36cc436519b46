//! Ticket commands that change or list the queue: new, list, reply, note, status,
//! tag, priority, escalate, snooze.

use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use clap::Args;
use std::io::{IsTerminal, Read};

use super::{print_json, user_error, Context};
use crate::model::{
    parse_address, Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status,
    TicketChange, TicketId, TicketSummary,
};
use crate::store::{AssigneeFilter, SortOrder, Store, TicketFilter, View};

/// `firstline new --from "Олена <olena@example.com>" --subject "Оплата не пройшла"`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  echo 'My order has not arrived' | firstline new --from 'Ann <ann@example.com>' --subject 'Where is my order?'"
)]
pub struct NewArgs {
    /// Who wrote: "Name <address>", an address, or a name (phone callers).
    #[arg(long)]
    pub from: String,
    #[arg(long)]
    pub subject: String,
    #[arg(long, default_value = "email")]
    pub channel: Channel,
    #[arg(long, default_value = "normal")]
    pub priority: Priority,
    /// Comma-separated tags.
    #[arg(long, value_delimiter = ',')]
    pub tag: Vec<String>,
    /// The customer's message; read from stdin when absent.
    #[arg(long)]
    pub body: Option<String>,
    #[arg(long)]
    pub json: bool,
}

/// `firstline list --status open --json`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline list\n  firstline list --view all --tag billing --json\n  firstline list --overdue"
)]
pub struct ListArgs {
    /// Only these statuses (repeatable).
    #[arg(long)]
    pub status: Vec<Status>,
    /// A saved view: needs-reply, all, pending, snoozed, escalated, solved.
    #[arg(long, value_enum)]
    pub view: Option<ViewArg>,
    #[arg(long)]
    pub tag: Option<String>,
    /// Customer name or address contains this.
    #[arg(long)]
    pub customer: Option<String>,
    /// Only tickets past their first-response target.
    #[arg(long)]
    pub overdue: bool,
    /// Only tickets assigned to you (`[agent] name`).
    #[arg(long, conflicts_with = "unassigned")]
    pub mine: bool,
    /// Only tickets nobody has taken yet.
    #[arg(long)]
    pub unassigned: bool,
    #[arg(long, value_enum, default_value = "due")]
    pub sort: SortArg,
    /// Show at most this many tickets (1 or more; leave it out for all).
    #[arg(long, value_parser = parse_limit)]
    pub limit: Option<usize>,
    #[arg(long)]
    pub json: bool,
}

/// The views, as the CLI spells them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ViewArg {
    NeedsReply,
    All,
    Pending,
    Snoozed,
    Escalated,
    Solved,
}

impl From<ViewArg> for View {
    fn from(v: ViewArg) -> View {
        match v {
            ViewArg::NeedsReply => View::NeedsReply,
            ViewArg::All => View::All,
            ViewArg::Pending => View::Pending,
            ViewArg::Snoozed => View::Snoozed,
            ViewArg::Escalated => View::Escalated,
            ViewArg::Solved => View::Solved,
        }
    }
}

/// Sort orders, as the CLI spells them.
#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum SortArg {
    Due,
    Updated,
    Priority,
    Created,
}

/// `firstline reply 12 --body "..."`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline reply 12 --body 'Done: the refund is on its way.'\n  firstline reply 12 < answer.txt\n  firstline reply 12        # opens $EDITOR with the saved draft"
)]
pub struct ReplyArgs {
    pub id: TicketId,
    #[arg(long)]
    pub body: Option<String>,
    /// Also set the status (e.g. solved, pending).
    #[arg(long)]
    pub status: Option<Status>,
    /// Send even when the tone check finds what `[tone] confirm` asks about (a card
    /// number, an insult, blame…), or another agent answered since the customer
    /// last wrote: the console's "Send anyway?" yes.
    #[arg(long)]
    pub force: bool,
}

/// `firstline note 12 "called back, no answer"`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline note 12 'Card declined twice; asked the bank'")]
pub struct NoteArgs {
    pub id: TicketId,
    /// The note; read from stdin when absent.
    pub text: Option<String>,
}

/// `firstline status 12 solved`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline status 12 solved")]
pub struct StatusArgs {
    pub id: TicketId,
    pub status: Status,
}

/// `firstline tag 12 +billing -urgent`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline tag 12 +billing +refund -new")]
pub struct TagArgs {
    pub id: TicketId,
    /// +tag adds, -tag removes; a bare tag adds.
    #[arg(allow_hyphen_values = true, required = true)]
    pub changes: Vec<String>,
}

/// `firstline priority 12 urgent`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline priority 12 urgent")]
pub struct PriorityArgs {
    pub id: TicketId,
    pub priority: Priority,
}

/// `firstline escalate 12 --to developer --reason "500 on checkout"`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline escalate 12 --to developer --reason 'checkout returns 500'\n  firstline escalate 12 --undo"
)]
pub struct EscalateArgs {
    pub id: TicketId,
    #[arg(long, required_unless_present = "undo")]
    pub to: Option<String>,
    #[arg(long, default_value = "")]
    pub reason: String,
    /// Take the ticket back from the second line.
    #[arg(long)]
    pub undo: bool,
    /// Also write the escalation packet (thread and notes, secrets redacted) here.
    #[arg(long, value_name = "FILE", conflicts_with = "undo")]
    pub packet: Option<std::path::PathBuf>,
}

/// `firstline snooze 12 --until tomorrow`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline snooze 12 --until 'tomorrow 9:00'\n  firstline snooze 12 --until 2026-12-01\n  firstline snooze 12 --until 3h\n  firstline snooze 12 --until 15:00\n  firstline snooze 12 --until 'in 2 hours'\n  firstline snooze 12 --until 'next week'\n  firstline snooze 12 --clear"
)]
pub struct SnoozeArgs {
    pub id: TicketId,
    /// tomorrow, "tomorrow 9:00", "завтра 12:00", monday, "next week", 15:00, 3h, 2d,
    /// "in 2 hours", "через годину", 2026-12-01, 2026-12-01T09:00
    #[arg(long, required_unless_present = "clear")]
    pub until: Option<String>,
    #[arg(long)]
    pub clear: bool,
}

/// `firstline merge 14 12`
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  firstline merge 14 12    # ticket 14's messages move into 12; 14 is removed"
)]
pub struct MergeArgs {
    /// The duplicate ticket, which disappears.
    pub from: TicketId,
    /// The ticket that keeps the combined thread.
    pub into: TicketId,
    /// Merge even when the two tickets belong to different customers (a reply to
    /// the combined thread then goes to INTO's customer only).
    #[arg(long)]
    pub force: bool,
}

/// Reads a body from the flag, else stdin (when it is not a terminal).
fn body_from(flag: Option<String>, what: &str) -> Result<Option<String>> {
    if let Some(b) = flag {
        return Ok(Some(b));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    stdin
        .lock()
        .take(super::MAX_BODY_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read the {what} from stdin"))?;
    Ok(Some(super::checked_text(bytes, what)?))
}

/// Opens a ticket.
pub fn new(ctx: &Context, args: NewArgs) -> Result<()> {
    let body = body_from(args.body, "message")?.unwrap_or_default();
    let (name, email) = parse_address(&args.from);
    check_sender(&args.from, email.as_deref(), args.channel)?;
    let (email, handle, phone) = match (&email, args.channel) {
        (Some(_), _) => (email, None, None),
        (None, Channel::Phone) => (None, None, Some(name.clone())),
        (None, _) => (None, Some(name.clone()), None),
    };
    let mut store = ctx.open_store(true)?;
    let id = store.create_ticket(&NewTicket {
        subject: args.subject,
        customer: NewCustomer {
            name: name.clone(),
            email,
            handle,
            phone,
        },
        channel: args.channel,
        priority: args.priority,
        status: Status::New,
        tags: args.tag,
        first_message: NewMessage {
            direction: Direction::Inbound,
            author: if name.is_empty() {
                args.from.clone()
            } else {
                name
            },
            body,
            ..Default::default()
        },
    })?;
    if args.channel != Channel::Phone {
        let (language, formality) = crate::tone::customer_profile(&store.messages(id)?[0].body);
        let customer = store.ticket(id)?.customer_id;
        store.set_customer_profile(customer, language, formality)?;
    }
    if args.json {
        print_json(&serde_json::json!({ "id": id }))
    } else {
        println!("{id}");
        Ok(())
    }
}

/// Refuses a `--from` a reply could never reach: an e-mail ticket needs an address,
/// and an address given on any channel must be one (`lettre`'s parser, the one the
/// courier sends with). Without this `new --from "not an address"` made an e-mail
/// ticket whose every reply failed at the courier, long after the typo.
fn check_sender(from: &str, email: Option<&str>, channel: Channel) -> Result<()> {
    match email {
        Some(address) if address.parse::<lettre::Address>().is_err() => Err(user_error(format!(
            "--from '{from}': '{address}' is not an e-mail address; try \"Ann <ann@example.com>\""
        ))),
        None if channel == Channel::Email => Err(user_error(format!(
            "--from '{from}' has no e-mail address, and replies to an email ticket go to one: \
             try \"Ann <ann@example.com>\", or --channel phone for a caller"
        ))),
        _ => Ok(()),
    }
}

/// Lists the queue.
pub fn list(ctx: &Context, args: ListArgs) -> Result<()> {
    let store = ctx.open_store(true)?;
    let view = match (args.view, args.status.is_empty(), args.overdue) {
        (Some(v), _, _) => Some(v.into()),
        (None, true, false) => Some(View::All),
        _ => None,
    };
    let filter = TicketFilter {
        view,
        statuses: args.status,
        tag: args.tag,
        customer: args.customer,
        sort: match args.sort {
            SortArg::Due => SortOrder::Due,
            SortArg::Updated => SortOrder::Updated,
            SortArg::Priority => SortOrder::Priority,
            SortArg::Created => SortOrder::Created,
        },
        limit: if args.overdue { None } else { args.limit },
        reply_targets_minutes: Some(crate::sla::reply_targets_minutes(&ctx.config.sla)),
        assignee: if args.mine {
            AssigneeFilter::Agent(super::assign::my_name(&ctx.config)?)
        } else if args.unassigned {
            AssigneeFilter::Unassigned
        } else {
            AssigneeFilter::Anyone
        },
        ..Default::default()
    };
    let mut rows = store.list_tickets(&filter)?;
    if args.overdue {
        let now = Utc::now();
        rows.retain(|r| crate::sla::first_response_overdue(&ctx.config.sla, &r.ticket, now));
        if let Some(limit) = args.limit {
            rows.truncate(limit);
        }
    }
    if args.json {
        return print_json(&rows);
    }
    print_table(&rows, crate::sla::timezone(&ctx.config.sla));
    Ok(())
}

/// Prints ticket rows as an aligned table for people (scripts use --json); dates on
/// the desk's clock `tz`.
pub fn print_table(rows: &[TicketSummary], tz: chrono_tz::Tz) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let now = Utc::now();
    for r in rows {
        let t = &r.ticket;
        let waiting = match (t.snoozed_until.filter(|u| *u > now), t.awaiting_reply_since) {
            // A snoozed ticket is hidden until then: the date is what the list owes.
            (Some(until), _) => format!("snoozed until {}", crate::sla::local_time(tz, until)),
            (None, Some(since)) => format!("waits {}", crate::sla::human_duration(now - since)),
            (None, None) => String::new(),
        };
        let line = format!(
            "{:>5}  {:<8} {:<7} {:<6} {:<22} {} {}",
            t.id,
            t.status.as_str(),
            t.priority.as_str(),
            t.channel.as_str(),
            crate::display::fit(&crate::display::sanitize(&r.customer_name), 22),
            crate::display::sanitize(&t.subject),
            if waiting.is_empty() {
                String::new()
            } else {
                format!("({waiting})")
            }
        );
        if writeln!(out, "{}", line.trim_end()).is_err() {
            return;
        }
    }
}

/// Why a reply queued by `firstline reply` is marked not delivered yet (see [`reply`]).
const QUEUED_FROM_THE_CLI: &str =
    "queued from the command line; it goes with an open console or `firstline outbox flush`";

/// Records an outbound reply and queues it in the outbox (delivery is the outbox's job).
pub fn reply(ctx: &Context, args: ReplyArgs) -> Result<()> {
    let mut store = ctx.open_store(true)?;
    store.ticket(args.id)?;
    let body = match body_from(args.body, "reply")? {
        Some(b) => b,
        None => {
            let draft = store.draft(args.id)?.map(|d| d.body).unwrap_or_default();
            let edited = super::edit_in_editor(&draft, "reply.txt")?;
            store.save_draft(args.id, &edited)?;
            edited
        }
    };
    if body.trim().is_empty() {
        return Err(user_error("the reply is empty; nothing recorded"));
    }
    if !args.force {
        if let Some(refusal) = super::assign::collision_refusal(ctx, &store, args.id, None)? {
            return Err(user_error(refusal));
        }
        let detail = store.ticket_detail(args.id)?;
        let asks = super::tone::findings_that_ask(ctx, &detail, &body)?;
        if !asks.is_empty() {
            let found: Vec<String> = asks
                .iter()
                .map(|f| {
                    let quoted = body.get(f.span.clone()).unwrap_or("").trim();
                    let what = crate::display::sanitize_line(f.message.trim_end_matches('.'));
                    if quoted.is_empty() || what.contains(quoted) {
                        what
                    } else {
                        format!("{what} (\"{}\")", crate::display::sanitize_line(quoted))
                    }
                })
                .collect();
            return Err(user_error(format!(
                "not sent: the tone check asks about this reply: {}; change it (firstline tone --ticket {} shows fixes) or send it anyway with --force",
                found.join("; "),
                args.id
            )));
        }
    }
    let id = crate::mail::queue_reply(&mut store, &ctx.config, args.id, &body)?;
    crate::sla::promises::record_reply_promise(&mut store, &ctx.config.sla, args.id, id)?;
    if let Some(status) = args.status {
        store.change_ticket(args.id, &TicketChange::Status(status), None)?;
    }
    let taken = super::assign::take_on_reply(ctx, &mut store, args.id)?;
    match store.outbox_entry(id)? {
        Some(e) => {
            if e.state == crate::store::OutboxState::Queued && e.last_error.is_none() {
                // Queued is not answered: no console may be running to deliver it,
                // and the ticket must stay in Needs reply (and `show` must not call
                // it sent) until a courier has — as for replies a quitting console
                // keeps queued. The next courier sends it at its time all the same.
                store.mark_outbound_failed(e.id, QUEUED_FROM_THE_CLI, Some(e.not_before))?;
            }
            let from = e
                .not_before
                .with_timezone(&crate::sla::timezone(&ctx.config.sla))
                .format("%H:%M:%S");
            // With no transport nothing ever sends it: the next courier only writes it
            // out as a file for the user to send (a trial read "an open console sends
            // it" and believed it had gone).
            match crate::mail::Transport::saved_to(
                &ctx.config,
                store.blobs(crate::store::Bucket::Outbox),
            ) {
                Some(dir) => println!(
                    "reply {id} queued on ticket {}, not sent: no mail transport is set (see [mail] in the README), so from {from} an open console or `firstline outbox flush` only saves it as .eml in {dir} for you to send; the ticket stays in Needs reply (undo: firstline outbox cancel {id})",
                    args.id
                ),
                None => println!(
                    "reply {id} queued on ticket {}, not delivered yet: from {from} an open console sends it, or `firstline outbox flush` (or cron) does; until then the ticket stays in Needs reply (undo: firstline outbox cancel {id})",
                    args.id
                ),
            }
        }
        None => println!("reply {id} recorded on ticket {}", args.id),
    }
    if let Some(line) = taken {
        println!("{line}");
    }
    Ok(())
}

/// Adds an internal note.
pub fn note(ctx: &Context, args: NoteArgs) -> Result<()> {
    let text = body_from(args.text, "note")?
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| user_error("the note is empty"))?;
    let mut store = ctx.open_store(true)?;
    store.add_message(
        args.id,
        &NewMessage {
            direction: Direction::Note,
            author: ctx.config.agent.display_name(),
            body: text,
            ..Default::default()
        },
    )?;
    println!("note added to ticket {}", args.id);
    Ok(())
}

fn apply(ctx: &Context, id: TicketId, change: TicketChange) -> Result<Store> {
    let mut store = ctx.open_store(true)?;
    store.change_ticket(id, &change, None)?;
    Ok(store)
}

/// Sets a status.
pub fn status(ctx: &Context, args: StatusArgs) -> Result<()> {
    let mut store = ctx.open_store(true)?;
    let before = store.ticket(args.id)?.status;
    store.change_ticket(args.id, &TicketChange::Status(args.status), None)?;
    if before == args.status {
        println!("ticket {} is already {} (unchanged)", args.id, args.status);
    } else {
        println!("ticket {} is {}", args.id, args.status);
    }
    Ok(())
}

/// Adds and removes tags.
pub fn tag(ctx: &Context, args: TagArgs) -> Result<()> {
    let (mut add, mut remove) = (Vec::new(), Vec::new());
    for c in &args.changes {
        if let Some(t) = c.strip_prefix('-') {
            remove.push(t.to_string());
        } else {
            add.push(c.trim_start_matches('+').to_string());
        }
    }
    let store = apply(ctx, args.id, TicketChange::Tags { add, remove })?;
    let t = store.ticket(args.id)?;
    println!("ticket {} tags: {}", args.id, t.tags.join(" "));
    Ok(())
}

/// Sets a priority.
pub fn priority(ctx: &Context, args: PriorityArgs) -> Result<()> {
    apply(ctx, args.id, TicketChange::Priority(args.priority))?;
    println!("ticket {} priority {}", args.id, args.priority);
    Ok(())
}

/// Escalates or takes back.
pub fn escalate(ctx: &Context, args: EscalateArgs) -> Result<()> {
    if args.undo {
        apply(ctx, args.id, TicketChange::Deescalate)?;
        println!("ticket {} is back with the first line", args.id);
        return Ok(());
    }
    let target = args.to.unwrap_or_default();
    let store = apply(
        ctx,
        args.id,
        TicketChange::Escalate {
            target: target.clone(),
            reason: args.reason,
        },
    )?;
    println!("ticket {} escalated to {target}", args.id);
    if let Some(path) = args.packet {
        let text = super::packet::build(ctx, &store, args.id)?;
        super::report::write_file(&path, &text, crate::fs::Overwrite::Refuse)?;
        println!("escalation packet written to {}", path.display());
    }
    Ok(())
}

/// `--limit`: a count of 1 or more. `0` is refused rather than printing nothing
/// with success, which reads as "no tickets" to a script.
pub(crate) fn parse_limit(text: &str) -> Result<usize, String> {
    match text.trim().parse::<usize>() {
        Ok(0) => Err("must be 1 or more (leave --limit out for no limit)".into()),
        Ok(n) => Ok(n),
        Err(_) => Err(format!("'{text}' is not a number of tickets")),
    }
}

/// Snoozes until a time.
pub fn snooze(ctx: &Context, args: SnoozeArgs) -> Result<()> {
    let until: Option<DateTime<Utc>> = match (&args.until, args.clear) {
        (_, true) => None,
        (Some(text), false) => Some(
            crate::sla::parse_snooze(text, Utc::now(), &ctx.config.sla).ok_or_else(|| {
                user_error(crate::sla::unreadable_time(
                    text,
                    Utc::now(),
                    &ctx.config.sla,
                    "tomorrow, 'tomorrow 9:00', 15:00, 3h, 'in 2 hours', 'next week', 2026-12-01",
                ))
            })?,
        ),
        (None, false) => None,
    };
    apply(ctx, args.id, TicketChange::Snooze(until))?;
    match until {
        Some(t) => println!(
            "ticket {} snoozed until {}",
            args.id,
            crate::sla::local_time_named(crate::sla::timezone(&ctx.config.sla), t)
        ),
        None => println!("ticket {} is awake", args.id),
    }
    Ok(())
}

/// Merges a duplicate ticket into another.
pub fn merge(ctx: &Context, args: MergeArgs) -> Result<()> {
    let mut store = ctx.open_store(true)?;
    let (from, into) = (store.ticket(args.from)?, store.ticket(args.into)?);
    if from.customer_id != into.customer_id && !args.force {
        let name = |id| {
            store
                .customer(id)
                .map(|c| crate::display::sanitize_line(&c.name))
        };
        return Err(super::user_error(format!(
            "#{} is {}'s and #{} is {}'s: different customers; pass --force to merge anyway",
            args.from,
            name(from.customer_id)?,
            args.into,
            name(into.customer_id)?
        )));
    }
    let t = store.merge_tickets(args.from, args.into)?;
    println!(
        "ticket {} merged into {} ({})",
        args.from,
        t.id,
        crate::display::sanitize_line(&t.subject)
    );
    Ok(())
}
