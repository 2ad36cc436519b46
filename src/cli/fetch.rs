//! `firstline fetch`: read every `[[mail.accounts]]` mailbox once (or keep watching
//! with `--watch`), with the import's progress bar and summary. One line per
//! problem (wrong password, unknown host, certificate, missing folder) on stderr and
//! exit 2; the password never appears in any of it.
//!
//! The per-channel work is [`fetch_one`]: another live channel (Telegram) is added
//! beside it, not inside it.

use anyhow::Result;
use clap::Args;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::{count, sanitize_line};
use crate::mail::imap::{self, Account, AccountEvent, FetchOptions, FetchSummary};
use crate::mail::{ImportOptions, ProgressEvent};
use crate::store::Store;

/// `firstline fetch --account shop`
#[derive(Debug, Args)]
#[command(
    after_help = "Reads the mailboxes set as [[mail.accounts]] in config.toml.\n\nExit codes: 0 every account fetched; 1 no such account or none set; 2 an account could not be read (the line says why).\n\nExamples:\n  firstline fetch\n  firstline fetch --account shop --json\n  firstline fetch --watch        # keep fetching as mail arrives (IDLE); Ctrl-C stops"
)]
pub struct FetchArgs {
    /// Fetch only this account (its `name`).
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// After fetching, keep watching and fetch new mail as it arrives.
    #[arg(long)]
    pub watch: bool,
    /// Print each account's summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// After a first sync of old mail: close waiting tickets whose last message is
    /// older than this (e.g. 30d, 2026-01-01), as `import --archive-older-than` does.
    #[arg(long, value_name = "AGE")]
    pub archive_older_than: Option<String>,
    /// Messages per transaction.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch_size: usize,
}

/// One account's outcome, as `--json` prints it.
#[derive(Debug, serde::Serialize)]
struct Outcome {
    account: String,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    summary: Option<FetchSummary>,
}

pub fn run(ctx: &Context, args: FetchArgs) -> Result<ExitCode> {
    let accounts = chosen_accounts(ctx, args.account.as_deref())?;
    let archive_before = match &args.archive_older_than {
        Some(age) => Some(
            crate::store::search::parse_when(
                age,
                chrono::Utc::now(),
                crate::sla::timezone(&ctx.config.sla),
            )
            .ok_or_else(|| {
                user_error(format!(
                    "cannot read '{age}' as an age or date; try 30d or 2026-01-01"
                ))
            })?,
        ),
        None => None,
    };
    let mut store = ctx.open_store(false)?;
    store.set_actor("import");
    let options = fetch_options(ctx, args.batch_size);
    let mut outcomes = Vec::new();
    for account in &accounts {
        outcomes.push(fetch_one(&mut store, ctx, account, &options, args.json));
    }
    let failed = outcomes
        .iter()
        .any(|o| !o.ok || o.summary.as_ref().is_some_and(|s| !s.problems.is_empty()));
    if args.json {
        print_json(&outcomes)?;
    }
    if let Some(before) = archive_before {
        let closed = store.archive_idle(before)?;
        if !args.json {
            println!(
                "archived: {closed} waiting tickets with no message since {}",
                before.format("%Y-%m-%d")
            );
        }
    }
    if args.watch {
        drop(store);
        return watch(ctx, &accounts, &options, args.json);
    }
    Ok(if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// The accounts to fetch: all, or the one `--account` names.
fn chosen_accounts(ctx: &Context, only: Option<&str>) -> Result<Vec<Account>> {
    let dir = ctx.config_path.parent();
    let accounts = Account::all(&ctx.config.mail, dir).map_err(user_error)?;
    if accounts.is_empty() {
        return Err(user_error(format!(
            "no mailbox to fetch: add a [[mail.accounts]] entry to {} (see \"Live mail\" in the README)",
            ctx.config_path.display()
        )));
    }
    match only {
        None => Ok(accounts),
        Some(name) => {
            let names: Vec<String> = accounts.iter().map(|a| a.name.clone()).collect();
            let one: Vec<Account> = accounts
                .into_iter()
                .filter(|a| a.name.eq_ignore_ascii_case(name.trim()))
                .collect();
            if one.is_empty() {
                return Err(user_error(format!(
                    "no account named '{}'; the settings have: {}",
                    sanitize_line(name),
                    names.join(", ")
                )));
            }
            Ok(one)
        }
    }
}

fn fetch_options(ctx: &Context, batch_size: usize) -> FetchOptions {
    FetchOptions {
        import: ImportOptions {
            batch_size: batch_size.max(1),
            timezone: crate::sla::timezone(&ctx.config.sla),
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Fetches one account with a progress bar and prints its summary (or its error on
/// stderr). The unit a live channel adds to `fetch`.
fn fetch_one(
    store: &mut Store,
    ctx: &Context,
    account: &Account,
    options: &FetchOptions,
    json: bool,
) -> Outcome {
    let bar = progress_bar(&account.name);
    let mut on_progress = |event: ProgressEvent| match event {
        ProgressEvent::Source { path, .. } => bar.set_message(path.display().to_string()),
        ProgressEvent::Items(n) | ProgressEvent::Committed(n) => bar.set_position(n as u64),
    };
    let result = imap::fetch_account(store, &ctx.config, account, options, &mut on_progress);
    bar.finish_and_clear();
    match result {
        Ok(summary) => {
            if !json {
                print_summary(&summary);
            }
            for problem in &summary.problems {
                eprintln!("firstline: {}: {}", account.name, sanitize_line(problem));
            }
            Outcome {
                account: account.name.clone(),
                ok: true,
                error: None,
                summary: Some(summary),
            }
        }
        Err(e) => {
            let line = format!("{}: {}", account.name, sanitize_line(&e.to_string()));
            eprintln!("firstline: {line}");
            Outcome {
                account: account.name.clone(),
                ok: false,
                error: Some(line),
                summary: None,
            }
        }
    }
}

fn print_summary(s: &FetchSummary) {
    let folders: Vec<String> = s
        .folders
        .iter()
        .map(|f| {
            let mut text = format!("{} {} new", sanitize_line(&f.folder), f.new_messages);
            if f.uidvalidity_changed {
                text.push_str(", UIDVALIDITY changed: read again");
            }
            text
        })
        .collect();
    let r = &s.import;
    println!(
        "{}: imported {} into {} ({}; {} in {:.1}s){}",
        s.account,
        count(r.added, "message", "messages"),
        count(r.new_tickets, "new ticket", "new tickets"),
        folders.join(", "),
        count(
            r.duplicate_message_ids + r.duplicate_content,
            "duplicate",
            "duplicates"
        ),
        r.seconds,
        match s.reconnects {
            0 => String::new(),
            n => format!(" after {}", count(n as usize, "reconnect", "reconnects")),
        }
    );
    for f in &r.failures {
        println!(
            "  failed {}: {}",
            sanitize_line(&f.location),
            sanitize_line(&f.reason)
        );
    }
    for w in r.warnings.iter().take(20) {
        println!(
            "  warning {}: {}",
            sanitize_line(&w.location),
            sanitize_line(&w.reason)
        );
    }
}

fn progress_bar(account: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new_spinner();
    let template = format!(
        "{{spinner}} {} {{pos}} messages, {{per_sec}} · {{wide_msg}}",
        account.replace(['{', '}'], "")
    );
    let style = indicatif::ProgressStyle::with_template(&template)
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.enable_steady_tick(std::time::Duration::from_millis(120));
    bar
}

/// `--watch`: one thread per account, each with its own connection to the queue,
/// printing a line per fetch that brought mail and per problem. Runs until killed;
/// every batch is committed, so Ctrl-C loses nothing.
fn watch(
    ctx: &Context,
    accounts: &[Account],
    options: &FetchOptions,
    json: bool,
) -> Result<ExitCode> {
    eprintln!("watching for new mail; Ctrl-C stops");
    let stop = imap::StopSignal::new();
    let watch_options = imap::WatchOptions {
        fetch: options.clone(),
        ..Default::default()
    };
    std::thread::scope(|scope| {
        for account in accounts {
            let stop = &stop;
            let watch_options = &watch_options;
            scope.spawn(move || {
                let mut store = match Store::open(&ctx.db_path) {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("firstline: {}: cannot open the queue: {e}", account.name);
                        return;
                    }
                };
                store.set_actor("import");
                imap::watch_account(
                    &mut store,
                    &ctx.config,
                    account,
                    watch_options,
                    stop,
                    &mut |event| report_event(account, event, json),
                );
            });
        }
    });
    Ok(ExitCode::SUCCESS)
}

fn report_event(account: &Account, event: AccountEvent, json: bool) {
    match event {
        AccountEvent::Fetched(summary) if json => {
            let _ = print_json(&summary);
        }
        AccountEvent::Fetched(summary) => {
            if summary.import.added > 0 {
                let mut out = std::io::stdout().lock();
                let _ = writeln!(
                    out,
                    "{} {}: imported {} ({})",
                    chrono::Local::now().format("%H:%M:%S"),
                    account.name,
                    count(summary.import.added, "message", "messages"),
                    count(summary.import.new_tickets, "new ticket", "new tickets"),
                );
            }
            for problem in &summary.problems {
                eprintln!("firstline: {}: {}", account.name, sanitize_line(problem));
            }
        }
        AccountEvent::Failed(e) => {
            eprintln!(
                "firstline: {}: {} (trying again)",
                account.name,
                sanitize_line(&e.to_string())
            );
        }
    }
}
