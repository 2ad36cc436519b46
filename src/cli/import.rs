//! `firstline import`: mail and chats into the queue, with a progress bar on stderr
//! and a summary at the end (counts per format, duplicates, failures with file and
//! offset, messages per second). `--paste` takes a transcript or call notes on stdin.

use anyhow::{Context as _, Result};
use clap::Args;
use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::{count, sanitize_line};
use crate::mail::paste::{parse_transcript, PasteOptions};
use crate::mail::{Format, ImportOptions, ImportReport, ProgressEvent};
use crate::model::{parse_address, Channel, NewCustomer, TicketId};

/// Failures and warnings listed in the text summary before "and N more".
const LISTED: usize = 20;

/// Arguments of `firstline import`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  firstline import ~/Mail/Inbox ~/Mail/Sent          # Maildirs; Sent links our answers
  firstline import archive.mbox --dry-run
  firstline import result.json                       # Telegram Desktop export
  firstline import 'WhatsApp Chat with Olena.txt'
  firstline import forms.csv                         # header: submitted_at,name,email,subject,message
  pbpaste | firstline import --paste --channel chat --ticket 12")]
pub struct ImportArgs {
    /// Files or folders: mbox, Maildir, .eml (or folders of them), Telegram result.json,
    /// WhatsApp .txt, CSV.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Treat every path as this format instead of detecting it.
    #[arg(long, value_parser = parse_format)]
    pub format: Option<Format>,
    /// Show what would be imported; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Read a pasted transcript or typed call notes from stdin.
    #[arg(long)]
    pub paste: bool,
    /// Channel of a pasted transcript (chat, phone, email, web).
    #[arg(long, default_value = "chat")]
    pub channel: Channel,
    /// Add the pasted messages to this ticket instead of opening a new one.
    #[arg(long)]
    pub ticket: Option<TicketId>,
    /// Who the pasted conversation is with: "Name <address>", an address, or a name.
    #[arg(long)]
    pub customer: Option<String>,
    /// Subject of the ticket a paste opens.
    #[arg(long)]
    pub subject: Option<String>,
    /// Your name as it appears in chat exports and transcripts (repeatable).
    #[arg(long)]
    pub me: Vec<String>,
    /// Time zone of chat exports' local times (default: sla.timezone from the settings).
    #[arg(long)]
    pub timezone: Option<chrono_tz::Tz>,
    /// After importing, keep watching the paths and import new mail as it arrives.
    #[arg(long)]
    pub watch: bool,
    /// Importing an old archive: close waiting tickets whose last message is older
    /// than this (e.g. 30d, 2026-01-01), so only recent mail lands in Needs reply.
    #[arg(long, value_name = "AGE")]
    pub archive_older_than: Option<String>,
    /// Messages per transaction.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch_size: usize,
    /// Stop after N messages as if killed (for testing resume).
    #[arg(long, hide = true)]
    pub stop_after: Option<usize>,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

/// Runs the import and prints the summary. Exit 0 even when some messages failed:
/// they are listed; exit 1 only when nothing could be read at all.
pub fn run(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    if args.paste {
        return paste(ctx, args);
    }
    if args.paths.is_empty() {
        return Err(user_error(
            "nothing to import: give files or folders, or --paste to read a transcript from stdin",
        ));
    }
    let archive_before = archive_cutoff(ctx, args.archive_older_than.as_deref())?;
    let mut store = ctx.open_store(false)?;
    store.set_actor("import");
    let options = options(ctx, &args)?;
    let bar = progress_bar();
    let mut on_progress = |event: ProgressEvent| match event {
        ProgressEvent::Source { path, format } => {
            bar.set_message(format!("{} {}", format.as_str(), path.display()))
        }
        ProgressEvent::Items(n) => bar.set_position(n as u64),
        ProgressEvent::Committed(_) => {}
    };
    let report = crate::mail::import_paths(
        &mut store,
        &ctx.config,
        &args.paths,
        &options,
        &mut on_progress,
    )?;
    bar.finish_and_clear();
    print_report(&report, args.json)?;
    if let Some(before) = archive_before.filter(|_| !args.dry_run) {
        let closed = store.archive_idle(before)?;
        if !args.json {
            println!("{}", archived_line(ctx, closed, before));
        }
    }
    if archive_before.is_none() && !args.dry_run && !args.json {
        suggest_archiving(ctx, &store)?;
    }
    if args.watch && !args.dry_run {
        return watch(ctx, &args, &mut store, &options);
    }
    let nothing = report.messages() == 0 && !report.skipped.is_empty();
    Ok(if nothing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `--archive-older-than` read as `snooze` reads a time: an age (`30d`) back from now or a
/// date, on the desk's clock (`sla.timezone`). Shared by `import` and `fetch`.
pub(super) fn archive_cutoff(
    ctx: &Context,
    age: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    let Some(age) = age else { return Ok(None) };
    crate::store::parse_when(
        age,
        chrono::Utc::now(),
        crate::sla::timezone(&ctx.config.sla),
    )
    .map(Some)
    .ok_or_else(|| {
        user_error(format!(
            "cannot read '{age}' as an age or date; try 30d or 2026-01-01"
        ))
    })
}

/// What archiving closed, with the cut-off as the user gave it: the date on the desk's
/// clock, as every printed time is (`sla::local_date`). In UTC, `--archive-older-than
/// 2026-01-01` east of Greenwich was echoed as the day before.
pub(super) fn archived_line(
    ctx: &Context,
    closed: usize,
    before: chrono::DateTime<chrono::Utc>,
) -> String {
    format!(
        "archived: {closed} waiting tickets with no message since {}",
        crate::sla::local_date(crate::sla::timezone(&ctx.config.sla), before)
    )
}

/// Customers waiting longer than this after an import are most likely an old
/// archive, not today's queue.
const OLD_WAIT_DAYS: i64 = 30;

/// Says when the queue now holds customers waiting for more than a month, and how
/// to close them: an imported archive must not bury today's mail in Needs reply
/// without the user noticing.
fn suggest_archiving(ctx: &Context, store: &crate::store::Store) -> Result<()> {
    let cutoff = chrono::Utc::now() - chrono::Duration::days(OLD_WAIT_DAYS);
    let (count, oldest) = store.waiting_since_before(cutoff)?;
    if let (true, Some(oldest)) = (count > 0, oldest) {
        let tz = crate::sla::timezone(&ctx.config.sla);
        println!(
            "{count} tickets wait for a reply since before {} (oldest {}); if they are an old archive, \
             run the same import again with --archive-older-than {OLD_WAIT_DAYS}d to close them",
            crate::sla::local_date(tz, cutoff),
            crate::sla::local_date(tz, oldest)
        );
    }
    Ok(())
}

/// Runs until interrupted; every batch is committed, so Ctrl-C loses nothing.
fn watch(
    ctx: &Context,
    args: &ImportArgs,
    store: &mut crate::store::Store,
    options: &ImportOptions,
) -> Result<ExitCode> {
    eprintln!("watching for new mail; Ctrl-C stops");
    let stop = std::sync::atomic::AtomicBool::new(false);
    let json = args.json;
    let mut on_import = |report: &ImportReport| {
        if json {
            let _ = print_json(report);
            return;
        }
        println!(
            "{} imported {} ({}, {}, {} failed)",
            chrono::Local::now().format("%H:%M:%S"),
            count(report.added, "message", "messages"),
            count(report.new_tickets, "new ticket", "new tickets"),
            count(
                report.duplicate_message_ids + report.duplicate_content,
                "duplicate",
                "duplicates"
            ),
            report.failures.len()
        );
        for f in &report.failures {
            println!(
                "  {}: {}",
                sanitize_line(&f.location),
                sanitize_line(&f.reason)
            );
        }
    };
    crate::mail::watch(
        store,
        &ctx.config,
        &args.paths,
        options,
        &stop,
        &mut on_import,
    )?;
    Ok(ExitCode::SUCCESS)
}

fn options(ctx: &Context, args: &ImportArgs) -> Result<ImportOptions> {
    let timezone = match args.timezone {
        Some(tz) => tz,
        None => ctx
            .config
            .sla
            .timezone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::UTC),
    };
    Ok(ImportOptions {
        format: args.format,
        dry_run: args.dry_run,
        batch_size: args.batch_size.max(1),
        stop_after: args.stop_after,
        timezone,
        me: args.me.clone(),
        ..Default::default()
    })
}

fn progress_bar() -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    let style =
        indicatif::ProgressStyle::with_template("{spinner} {pos} messages, {per_sec} · {wide_msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

fn paste(ctx: &Context, args: ImportArgs) -> Result<ExitCode> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(8 * 1024 * 1024 + 1)
        .read_to_end(&mut bytes)
        .context("cannot read the transcript from stdin")?;
    let text = super::checked_text(bytes, "transcript")?;
    if text.trim().is_empty() {
        return Err(user_error(
            "the transcript on stdin is empty; nothing imported",
        ));
    }
    let mut store = ctx.open_store(true)?;
    if let Some(t) = args.ticket {
        store.ticket(t)?;
    }
    let customer = match &args.customer {
        Some(c) => {
            let (name, email) = parse_address(c);
            NewCustomer {
                name,
                email,
                ..Default::default()
            }
        }
        None => match args.ticket {
            Some(t) => {
                let c = store.customer(store.ticket(t)?.customer_id)?;
                NewCustomer {
                    name: c.name,
                    email: c.emails.first().cloned(),
                    handle: c.handles.first().cloned(),
                    phone: c.phone,
                }
            }
            None => NewCustomer::default(),
        },
    };
    let opts = options(ctx, &args)?;
    let me = crate::mail::paste::my_names(&ctx.config.agent.name, &args.me);
    let paste = PasteOptions {
        channel: args.channel,
        ticket: args.ticket,
        customer,
        subject: args.subject.clone(),
        me,
        now: chrono::Utc::now(),
        timezone: opts.timezone,
    };
    if args.channel == Channel::Phone && !crate::mail::paste::has_timestamps(&text, &paste) {
        return log_call(ctx, &mut store, &args, paste, &text);
    }
    let messages = crate::mail::paste::filed_as(
        &ctx.config.agent.display_name(),
        parse_transcript(&text, &paste),
    );
    let report =
        crate::mail::import_items(&mut store, &ctx.config, Format::Paste, messages, &opts)?;
    print_report(&report, args.json)?;
    Ok(ExitCode::SUCCESS)
}

/// Typed notes of a phone call (`--channel phone`, no time-stamped lines) are our
/// contact with the customer, filed as the console's `L` files them: on `--ticket` or
/// a new ticket, answering the customer, plus the follow-up the notes promise.
fn log_call(
    ctx: &Context,
    store: &mut crate::store::Store,
    args: &ImportArgs,
    paste: PasteOptions,
    notes: &str,
) -> Result<ExitCode> {
    use crate::sla::calls::{self, CallFollowup};
    let agent = ctx.config.agent.display_name();
    let call = calls::call_message(&agent, notes, paste.now);
    if args.dry_run {
        println!("would log the call; dry run, nothing changed");
        return Ok(ExitCode::SUCCESS);
    }
    let (ticket, message) = match args.ticket {
        Some(t) => (t, store.add_message(t, &call)?),
        None => {
            let customer = paste.customer;
            if customer.name.trim().is_empty() && customer.email.is_none() {
                return Err(user_error(
                    "call notes need --customer \"Name <address>\" (who was on the phone) or --ticket ID",
                ));
            }
            let subject = paste.subject.unwrap_or_else(|| {
                let who = customer.name.trim();
                let who = if who.is_empty() {
                    customer.email.as_deref().unwrap_or_default()
                } else {
                    who
                };
                format!("Call: {who}")
            });
            let id = store.create_ticket(&crate::model::NewTicket {
                subject,
                customer,
                channel: Channel::Phone,
                priority: Default::default(),
                status: Default::default(),
                tags: Vec::new(),
                first_message: call,
            })?;
            let message = store
                .messages(id)?
                .first()
                .map(|m| m.id)
                .context("the new ticket has no message")?;
            (id, message)
        }
    };
    let followup = calls::book_followup(store, &ctx.config.sla, ticket, message, notes, paste.now)?;
    let due = match &followup {
        CallFollowup::Recorded { due, .. } => Some(*due),
        _ => None,
    };
    if args.json {
        return print_json(&serde_json::json!({
            "ticket": ticket,
            "message": message,
            "followup_due": due,
        }))
        .map(|_| ExitCode::SUCCESS);
    }
    let mut out = std::io::stdout().lock();
    write!(out, "logged the call on ticket #{ticket} as your contact")?;
    match (due, &followup) {
        (Some(due), _) => writeln!(
            out,
            "; follow-up {}",
            crate::sla::local_time_seconds(paste.timezone, due)
        )?,
        (None, CallFollowup::Unreadable { phrase }) => {
            writeln!(out)?;
            eprintln!(
                "'{}' is not a time firstline can read; add the follow-up with: firstline followups --add {ticket} --due 'tomorrow 10:00' --note 'call back'",
                sanitize_line(phrase)
            );
        }
        _ => writeln!(out)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(report: &ImportReport, json: bool) -> Result<()> {
    if json {
        return print_json(report);
    }
    let mut out = std::io::stdout().lock();
    let verb = if report.dry_run {
        "would import"
    } else {
        "imported"
    };
    writeln!(
        out,
        "{verb} {} into {} ({} read in {:.1}s, {:.0} messages/s){}",
        count(report.added, "message", "messages"),
        count(report.new_tickets, "new ticket", "new tickets"),
        report.messages(),
        report.seconds,
        report.messages_per_second,
        if report.dry_run {
            "; dry run, nothing changed"
        } else {
            ""
        }
    )?;
    for (format, c) in &report.formats {
        writeln!(
            out,
            "  {:<9} {:>3} sources {:>7} read {:>7} added {:>6} tickets {:>6} duplicates {:>5} failed",
            format.as_str(),
            c.sources,
            c.messages,
            c.added,
            c.new_tickets,
            c.duplicates,
            c.failed
        )?;
    }
    writeln!(
        out,
        "skipped duplicates: {} by Message-ID, {} identical content",
        report.duplicate_message_ids, report.duplicate_content
    )?;
    if report.service_messages > 0 {
        writeln!(
            out,
            "chat service messages left out: {}",
            report.service_messages
        )?;
    }
    if report.stopped_early {
        writeln!(out, "stopped early; run the same import again to resume")?;
    }
    list(&mut out, "failed", &report.failures)?;
    list(&mut out, "not mail (skipped)", &report.skipped)?;
    list(&mut out, "imported with warnings", &report.warnings)?;
    Ok(())
}

fn list(out: &mut impl Write, title: &str, problems: &[crate::mail::Problem]) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    writeln!(out, "{title}: {}", problems.len())?;
    for p in problems.iter().take(LISTED) {
        writeln!(
            out,
            "  {}: {}",
            sanitize_line(&p.location),
            sanitize_line(&p.reason)
        )?;
    }
    if problems.len() > LISTED {
        writeln!(
            out,
            "  … and {} more (--json lists all)",
            problems.len() - LISTED
        )?;
    }
    Ok(())
}
