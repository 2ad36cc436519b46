//! `firstline fetch`: take in what live channels hold — the Telegram bot's updates
//! (IMAP accounts join here too). Once, or with `--watch` until interrupted; every
//! round commits on its own, so stopping at any moment loses nothing.

use anyhow::Result;
use clap::Args;
use serde::Serialize;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::telegram::{self, FetchOptions, FetchSummary, TelegramError};

/// `firstline fetch [--watch] [--json]`
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes: 0 fetched, 1 nothing is set up or the settings are wrong, 2 the channel could not be read.\n\nExamples:\n  firstline fetch\n  firstline fetch --watch\n  */10 * * * * firstline fetch --json >> fetch.log"
)]
pub struct FetchArgs {
    /// Keep fetching (long polling) until interrupted.
    #[arg(long)]
    pub watch: bool,
    /// Print each round's summary as JSON.
    #[arg(long)]
    pub json: bool,
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
}

/// One round, as `--json` prints it.
#[derive(Debug, Serialize)]
struct Round<'a> {
    channel: &'static str,
    #[serde(flatten)]
    summary: &'a FetchSummary,
}

/// Runs the fetch.
pub fn run(ctx: &Context, args: FetchArgs) -> Result<ExitCode> {
    let Some(tg) = ctx.config.telegram.as_ref() else {
        return Err(user_error(TelegramError::NotConfigured.to_string()));
    };
    if args.delete_webhook {
        telegram::delete_webhook(tg).map_err(channel_error)?;
        if !args.json {
            println!("telegram: webhook removed; updates can be fetched by polling now");
        }
    }
    let mut store = ctx.open_store(false)?;
    store.set_actor("telegram");
    let poll = match (args.poll_seconds, args.watch) {
        (Some(s), _) => Some(s),
        (None, true) => None,
        (None, false) => Some(0),
    };
    let options = FetchOptions {
        poll_seconds: poll,
        stop: None,
    };
    let mut rounds = 0u64;
    let mut failures = 0u32;
    loop {
        let summary = match telegram::fetch_once(&mut store, &ctx.config, &options) {
            Ok(summary) => {
                failures = 0;
                summary
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
            return Ok(ExitCode::SUCCESS);
        }
    }
}

fn print_summary(s: &FetchSummary) {
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
