//! `firstline fetch`: take in what the live channels hold — every `[[mail.accounts]]`
//! mailbox over IMAP, then the Telegram bot's updates. Once, or with `--watch` until
//! interrupted; every batch or round commits on its own, so stopping at any moment
//! loses nothing. A problem is one line on stderr; the password or token never
//! appears in it.
//!
//! Each channel's work is its own function ([`fetch_one`] for a mailbox,
//! [`telegram_rounds`] for the bot), so a channel is added beside the others.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::{count, sanitize_line};
use crate::mail::imap::{self, Account, AccountEvent};
use crate::mail::{ImportOptions, ProgressEvent};
use crate::store::Store;
use crate::telegram::{self, TelegramError};

/// `firstline fetch [--account NAME] [--watch] [--json]`
#[derive(Debug, Args)]
#[command(
    after_help = "Reads the mailboxes set as [[mail.accounts]] and the [telegram] bot in config.toml.\n\nExit codes: 0 fetched; 1 nothing is set up, no such account, or the settings are wrong; 2 a channel could not be read (the line says why).\n\nExamples:\n  firstline fetch\n  firstline fetch --account shop --json\n  firstline fetch --watch        # keep fetching as mail arrives (IDLE) and long-poll the bot\n  */10 * * * * firstline fetch --json >> fetch.log"
)]
pub struct FetchArgs {
    /// Fetch only this mailbox (its `name` in [[mail.accounts]]); the bot is skipped.
    #[arg(long, value_name = "NAME")]
    pub account: Option<String>,
    /// Keep fetching until interrupted: mailboxes with IDLE, the bot by long polling.
    #[arg(long)]
    pub watch: bool,
    /// Print each account's and each round's summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// After a first sync of old mail: close waiting tickets whose last message is
    /// older than this (e.g. 30d, 2026-01-01), as `import --archive-older-than` does.
    #[arg(long, value_name = "AGE")]
    pub archive_older_than: Option<String>,
    /// Long-poll this many seconds per round (default: [telegram] poll_seconds; a
    /// single fetch without --watch does not wait).
    #[arg(long, value_name = "SECONDS")]
    pub poll_seconds: Option<u64>,
    /// Remove the bot's webhook (Telegram refuses polling while one is set), then fetch.
    #[arg(long)]
    pub delete_webhook: bool,
    /// Stop after this many rounds (tests).
    #[arg(long, hide = true)]
    pub rounds: Option<u64>,
    /// Messages per transaction.
    #[arg(long, default_value_t = 500, hide = true)]
    pub batch_size: usize,
}

/// One Telegram round, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Round<'a> {
    channel: &'static str,
    #[serde(flatten)]
    summary: &'a telegram::FetchSummary,
}

/// One mailbox's outcome, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Outcome {
    channel: &'static str,
    /// Only when there is no summary to carry it: a JSON object with the key twice is
    /// one many tools reject (found by the new-user trial).
    #[serde(skip_serializing_if = "Option::is_none")]
    account: Option<String>,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    summary: Option<imap::FetchSummary>,
}

/// Runs the fetch.
pub fn run(ctx: &Context, args: FetchArgs) -> Result<ExitCode> {
    let use_telegram = ctx.config.telegram.is_some() && args.account.is_none();
    let use_mail = !ctx.config.mail.accounts.is_empty() || args.account.is_some();
    if !use_telegram && !use_mail {
        return Err(user_error(format!(
            "nothing to fetch: add a [[mail.accounts]] mailbox or a [telegram] bot to {} (see \"Live mail\" and \"Telegram\" in the README)",
            ctx.config_path.display()
        )));
    }
    if args.delete_webhook && ctx.config.telegram.is_none() {
        return Err(user_error(TelegramError::NotConfigured.to_string()));
    }
    let accounts = if use_mail {
        chosen_accounts(ctx, args.account.as_deref())?
    } else {
        Vec::new()
    };
    let archive_before = super::import::archive_cutoff(ctx, args.archive_older_than.as_deref())?;
    if args.delete_webhook {
        if let Some(tg) = ctx.config.telegram.as_ref() {
            telegram::delete_webhook(tg).map_err(channel_error)?;
            if !args.json {
                println!("telegram: webhook removed; updates can be fetched by polling now");
            }
        }
    }
    let options = fetch_options(ctx, args.batch_size);
    let mut mail_failed = false;
    // A watch fetches every account at once in its own threads, holding each
    // account's fetcher lock from the start; a pass before it would let the lock go
    // between the two, and another firstline could slip in (found by
    // a_single_fetch_skips_a_mailbox_a_watch_holds). Only an archive needs the pass.
    let first_pass = !args.watch || archive_before.is_some();
    if !accounts.is_empty() && first_pass {
        let mut store = ctx.open_store(false)?;
        store.set_actor("import");
        for account in &accounts {
            let outcome = fetch_one(&mut store, ctx, account, &options, args.json, args.watch);
            mail_failed |= !outcome.ok
                || outcome
                    .summary
                    .as_ref()
                    .is_some_and(|s| !s.problems.is_empty());
            if args.json {
                print_json(&outcome)?;
            }
        }
        if let Some(before) = archive_before {
            let closed = store.archive_idle(before)?;
            if !args.json {
                println!("{}", super::import::archived_line(ctx, closed, before));
            }
        }
    }
    if args.watch {
        return watch(ctx, &args, &accounts, &options, use_telegram);
    }
    if use_telegram {
        telegram_rounds(ctx, &args)?;
    }
    Ok(if mail_failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

/// While another firstline polls the bot on a shared queue, how often `--watch`
/// tries to take it over.
const BOT_LOCK_RETRY: std::time::Duration = std::time::Duration::from_secs(2);

/// The Telegram bot: one round, or rounds until interrupted with `--watch`.
fn telegram_rounds(ctx: &Context, args: &FetchArgs) -> Result<()> {
    let Some(_) = ctx.config.telegram.as_ref() else {
        return Err(user_error(TelegramError::NotConfigured.to_string()));
    };
    let mut store = ctx.open_store(false)?;
    store.set_actor("telegram");
    let poll = match (args.poll_seconds, args.watch) {
        (Some(s), _) => Some(s),
        (None, true) => None,
        (None, false) => Some(0),
    };
    let options = telegram::FetchOptions {
        poll_seconds: poll,
        stop: None,
    };
    let mut rounds = 0u64;
    let mut failures = 0u32;
    let mut waiting = false;
    loop {
        let summary = match telegram::fetch_once(&mut store, &ctx.config, &options) {
            Ok(summary) => {
                failures = 0;
                if std::mem::take(&mut waiting) && !args.json {
                    println!("telegram: polling here now (the other firstline stopped)");
                }
                summary
            }
            // Another firstline polls the bot on the shared queue: said once; a
            // watch takes over when it stops, a single fetch leaves the bot to it.
            Err(TelegramError::Busy(line)) => {
                if !std::mem::replace(&mut waiting, true) {
                    let line = sanitize_line(&line);
                    if args.watch {
                        eprintln!("firstline: telegram: {line}");
                    } else {
                        eprintln!(
                            "firstline: telegram: {}",
                            line.replace("(waiting)", "(skipped)")
                        );
                    }
                }
                if !args.watch {
                    return Ok(());
                }
                std::thread::sleep(BOT_LOCK_RETRY);
                continue;
            }
            // Watching, a network hiccup or a rate limit is waited out, not the end.
            Err(TelegramError::Api(e))
                if args.watch && e.is_transient() && !matches!(e, telegram::ApiError::BadToken) =>
            {
                rounds += 1;
                if args.rounds.is_some_and(|n| rounds >= n) {
                    return Err(channel_error(TelegramError::Api(e)));
                }
                failures += 1;
                let wait = match e {
                    telegram::ApiError::TooMany(secs) => secs,
                    _ => 1u64 << failures.min(6),
                };
                eprintln!("telegram: {e}; trying again in {wait} s");
                std::thread::sleep(std::time::Duration::from_secs(wait));
                continue;
            }
            Err(e) => return Err(channel_error(e)),
        };
        // Watching, a quiet round (the long poll ended with nothing) is not news.
        let quiet = args.watch && summary.updates == 0 && summary.problems.is_empty();
        if args.json && !quiet {
            print_json(&Round {
                channel: "telegram",
                summary: &summary,
            })?;
        } else if !quiet {
            print_summary(&summary);
        }
        rounds += 1;
        if !args.watch || args.rounds.is_some_and(|n| rounds >= n) {
            return Ok(());
        }
    }
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

fn fetch_options(ctx: &Context, batch_size: usize) -> imap::FetchOptions {
    imap::FetchOptions {
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
    options: &imap::FetchOptions,
    json: bool,
    watching: bool,
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
                print_mail_summary(&summary);
            }
            for problem in &summary.problems {
                eprintln!("firstline: {}: {}", account.name, sanitize_line(problem));
            }
            Outcome {
                channel: "imap",
                account: None,
                ok: true,
                error: None,
                summary: Some(summary),
            }
        }
        // Another firstline fetches this account on the shared queue: its mail comes
        // in there. Not a failure; a watch says it once, from its own thread.
        Err(imap::FetchError::Busy(why)) => {
            let line = format!("{}: {}", account.name, sanitize_line(&why));
            if !watching && !json {
                eprintln!("firstline: {}", line.replace("(waiting)", "(skipped)"));
            }
            Outcome {
                channel: "imap",
                account: Some(account.name.clone()),
                ok: true,
                error: Some(line.replace("(waiting)", "(skipped)")),
                summary: None,
            }
        }
        Err(e) => {
            let line = format!("{}: {}", account.name, sanitize_line(&e.to_string()));
            eprintln!("firstline: {line}");
            Outcome {
                channel: "imap",
                account: Some(account.name.clone()),
                ok: false,
                error: Some(line),
                summary: None,
            }
        }
    }
}

/// What the away replies of one fetch came to, the same words for `fetch` and
/// `fetch --watch`.
fn away_lines(s: &imap::FetchSummary) -> Vec<String> {
    let mut lines = Vec::new();
    let sent = s.away_replies - s.away_replies_undelivered.min(s.away_replies);
    if sent > 0 {
        lines.push(format!(
            "{}: {} outside business hours",
            s.account,
            count(sent, "away reply sent", "away replies sent")
        ));
    }
    if s.away_replies_undelivered > 0 {
        lines.push(format!(
            "{}: {} not delivered yet; it waits in the outbox (firstline outbox)",
            s.account,
            count(s.away_replies_undelivered, "away reply", "away replies")
        ));
    }
    lines
}

fn print_mail_summary(s: &imap::FetchSummary) {
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
    for line in away_lines(s) {
        println!("{line}");
    }
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

/// `--watch`: one thread per mailbox, each with its own connection to the queue,
/// printing a line per fetch that brought mail and per problem, beside the bot's
/// long polling on this thread. Runs until killed; every batch is committed, so
/// Ctrl-C loses nothing.
fn watch(
    ctx: &Context,
    args: &FetchArgs,
    accounts: &[Account],
    options: &imap::FetchOptions,
    use_telegram: bool,
) -> Result<ExitCode> {
    eprintln!("watching for new messages; Ctrl-C stops");
    let stop = imap::StopSignal::new();
    let watch_options = imap::WatchOptions {
        fetch: options.clone(),
        ..Default::default()
    };
    let json = args.json;
    std::thread::scope(|scope| {
        for account in accounts {
            let stop = &stop;
            let watch_options = &watch_options;
            scope.spawn(move || {
                let mut store = match ctx.reopen_store() {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("firstline: {}: cannot open the queue: {e}", account.name);
                        return;
                    }
                };
                store.set_actor("import");
                let mut failing = Standing::Fine;
                imap::watch_account(
                    &mut store,
                    &ctx.config,
                    account,
                    watch_options,
                    stop,
                    &mut |event| report_event(account, event, json, &mut failing),
                );
            });
        }
        let result = if use_telegram {
            telegram_rounds(ctx, args)
        } else {
            Ok(())
        };
        // The bot's rounds ended (`--rounds`, or an error): the mailboxes stop too.
        if use_telegram {
            stop.stop();
        }
        result
    })?;
    Ok(ExitCode::SUCCESS)
}

/// How a watched account stood at its last event, so the next fetch can say what
/// changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Standing {
    Fine,
    /// The last round failed.
    Failing,
    /// Another firstline fetches it on the shared queue; this one waits.
    Waiting,
}

/// One watch event as a line. `standing` remembers a failure, so the first fetch
/// after it says the account is back (the trial saw "trying again" and then nothing
/// while mail was being imported again), and a wait for another firstline, so the
/// fetch that takes over says so.
fn report_event(account: &Account, event: AccountEvent, json: bool, standing: &mut Standing) {
    let now = || chrono::Local::now().format("%H:%M:%S");
    match event {
        AccountEvent::Fetched(summary) if json => {
            *standing = Standing::Fine;
            let _ = print_json(&summary);
        }
        AccountEvent::Fetched(summary) => {
            let mut out = std::io::stdout().lock();
            match std::mem::replace(standing, Standing::Fine) {
                Standing::Failing => {
                    let _ = writeln!(out, "{} {}: connected again", now(), account.name);
                }
                Standing::Waiting => {
                    let _ = writeln!(
                        out,
                        "{} {}: fetching here now (the other firstline stopped)",
                        now(),
                        account.name
                    );
                }
                Standing::Fine => {}
            }
            if summary.import.added > 0 {
                let _ = writeln!(
                    out,
                    "{} {}: imported {} ({})",
                    now(),
                    account.name,
                    count(summary.import.added, "message", "messages"),
                    count(summary.import.new_tickets, "new ticket", "new tickets"),
                );
            }
            for line in away_lines(&summary) {
                let _ = writeln!(out, "{} {line}", now());
            }
            for problem in &summary.problems {
                eprintln!("firstline: {}: {}", account.name, sanitize_line(problem));
            }
        }
        AccountEvent::Failed(imap::FetchError::Busy(line)) => {
            *standing = Standing::Waiting;
            eprintln!("firstline: {}: {}", account.name, sanitize_line(&line));
        }
        AccountEvent::Failed(e) => {
            *standing = Standing::Failing;
            eprintln!(
                "firstline: {}: {} (trying again)",
                account.name,
                sanitize_line(&e.to_string())
            );
        }
    }
}

fn print_summary(s: &telegram::FetchSummary) {
    let mut line = format!(
        "telegram: {} update{}, {} new message{} ({} new ticket{})",
        s.updates,
        plural(s.updates),
        s.added,
        plural(s.added),
        s.new_tickets,
        plural(s.new_tickets)
    );
    for (n, what) in [
        (s.edited, "edited"),
        (s.duplicates, "already stored"),
        (s.skipped, "skipped (not a private message)"),
        (s.files_kept, "files kept"),
        (s.files_listed, "files listed only"),
        (s.away_replies, "away replies sent"),
    ] {
        if n > 0 {
            line.push_str(&format!(", {n} {what}"));
        }
    }
    println!("{line}");
    for p in &s.problems {
        eprintln!("telegram: {}", crate::display::sanitize_line(p));
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Token and settings trouble is the user's to fix (exit 1); the rest is exit 2.
fn channel_error(e: TelegramError) -> anyhow::Error {
    match e {
        TelegramError::NotConfigured | TelegramError::Token(_) => user_error(e.to_string()),
        TelegramError::Api(ref api)
            if matches!(
                api,
                telegram::ApiError::BadToken
                    | telegram::ApiError::WebhookSet
                    | telegram::ApiError::OtherReader
            ) =>
        {
            user_error(format!("telegram: {e}"))
        }
        other => anyhow::anyhow!("telegram: {other}"),
    }
}
