//! `firstline watch URL...`: check sites every so often, record availability and
//! response time, and keep one incident ticket per site (see `crate::watch`).

use anyhow::Result;
use chrono::Utc;
use clap::Args;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use super::{user_error, Context};
use crate::watch::{self, Trust, WatchOutcome, WatchPolicy};

/// `firstline watch https://shop.example/health --every 1m`
#[derive(Debug, Args)]
#[command(
    after_help = "Exit codes with --once: 0 every site up, 3 a site is down or slow.\n\nExamples:\n  firstline watch https://shop.example/ --every 1m\n  firstline watch https://shop.example/ http://api.example/health --slow-ms 2000\n  firstline watch https://intranet.lan/ --ca-file office-ca.pem\n  */5 * * * * firstline watch https://shop.example/ --once"
)]
pub struct WatchArgs {
    /// http:// or https:// URLs to check.
    #[arg(required = true, num_args = 1..)]
    pub urls: Vec<String>,
    /// Time between rounds: 30s, 1m, 5m, 1h.
    #[arg(long, default_value = "1m")]
    pub every: String,
    /// Slower than this many milliseconds is a problem (default: [sla] watch_slow_ms).
    #[arg(long)]
    pub slow_ms: Option<u64>,
    /// Give up on a request after this long.
    #[arg(long, default_value = "10s")]
    pub timeout: String,
    /// While a site stays down, add a note to its ticket at most this often.
    #[arg(long, default_value = "15m")]
    pub note_every: String,
    /// Also trust the certificate authorities in this PEM file for https:// (a private
    /// CA for internal sites); the public authorities stay trusted.
    #[arg(long, value_name = "PATH")]
    pub ca_file: Option<PathBuf>,
    /// Check once and exit (for cron).
    #[arg(long)]
    pub once: bool,
    /// Stop after this many rounds.
    #[arg(long, hide = true)]
    pub rounds: Option<u64>,
}

/// Runs the watch loop.
pub fn run(ctx: &Context, args: WatchArgs) -> Result<ExitCode> {
    let every = parse_span(&args.every)?;
    let timeout = parse_span(&args.timeout)?;
    let note_every = chrono::Duration::from_std(parse_span(&args.note_every)?)?;
    let policy = WatchPolicy {
        slow_ms: args.slow_ms.unwrap_or(ctx.config.sla.watch_slow_ms),
        note_every,
        timezone: crate::sla::timezone(&ctx.config.sla),
    };
    let urls = args
        .urls
        .iter()
        .map(|u| watch::parse_url(u).map(|p| (u.clone(), p)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| user_error(e.to_string()))?;
    let trust = match &args.ca_file {
        Some(path) => Trust::with_ca_file(path).map_err(|e| user_error(e.to_string()))?,
        None => Trust::public(),
    };
    let mut store = ctx.open_store(false)?;
    let rounds = if args.once { Some(1) } else { args.rounds };
    let mut round = 0u64;
    loop {
        round += 1;
        let mut trouble = false;
        for (url, parsed) in &urls {
            let probe = watch::probe_with(parsed, timeout, &trust);
            let now = Utc::now();
            let outcome = watch::record(&mut store, url, &probe, &policy, now)?;
            let health = watch::health(&probe, &policy);
            trouble |= health != watch::Health::Up;
            let state = match (&probe.status, &probe.error) {
                (_, Some(e)) => format!("DOWN {e}"),
                (Some(code), None) => format!("HTTP {code} {} ms", probe.elapsed_ms),
                (None, None) => "no answer".into(),
            };
            let action = match outcome {
                WatchOutcome::Up => String::new(),
                WatchOutcome::Opened { ticket } => format!(" → opened ticket #{ticket}"),
                WatchOutcome::Reopened { ticket } => format!(" → reopened ticket #{ticket}"),
                WatchOutcome::StillDown { ticket, noted } => {
                    format!(
                        " → still a problem, #{ticket}{}",
                        if noted { " (noted)" } else { "" }
                    )
                }
                WatchOutcome::Recovered {
                    ticket,
                    down_seconds,
                } => format!(
                    " → recovered after {}, solved #{ticket}",
                    watch::minutes_and_seconds(chrono::Duration::seconds(down_seconds))
                ),
            };
            let slow = matches!(health, watch::Health::Slow { .. });
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{} {url} {state}{}{action}",
                crate::sla::local_time_seconds(policy.timezone, now),
                if slow { " SLOW" } else { "" }
            )?;
            out.flush()?;
        }
        if rounds.is_some_and(|n| round >= n) {
            return Ok(if trouble {
                ExitCode::from(super::check::EXIT_ATTENTION)
            } else {
                ExitCode::SUCCESS
            });
        }
        std::thread::sleep(every);
    }
}

/// "30s", "1m", "2h", "500ms".
fn parse_span(text: &str) -> Result<Duration> {
    let text = text.trim();
    let bad = || {
        user_error(format!(
            "cannot read the duration '{text}'; use 30s, 1m, 1h or 500ms"
        ))
    };
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (n, unit) = text.split_at(split);
    let n: u64 = n.parse().map_err(|_| bad())?;
    Ok(match unit {
        "ms" => Duration::from_millis(n),
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        "h" => Duration::from_secs(n * 3600),
        _ => return Err(bad()),
    })
}
