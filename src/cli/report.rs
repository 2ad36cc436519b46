//! `firstline report`: the owner's report over a period as text, JSON or a
//! self-contained HTML file.

use anyhow::Result;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, ValueEnum};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::{print_json, user_error, Context};
use crate::fs::Overwrite;
use crate::report;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Html,
}

/// `firstline report --since 30d --format html --out report.html`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline report\n  firstline report --since 7d --json | jq .first_contact\n  firstline report --since 2026-11-01 --format html --out november.html"
)]
pub struct ReportArgs {
    /// Start of the period: a span back from now (30d, 2w, 12h) or a date (2026-11-01).
    #[arg(long, default_value = "30d")]
    pub since: String,
    /// End of the period (a date or RFC 3339 time); default now.
    #[arg(long)]
    pub until: Option<String>,
    /// Print the figures as JSON.
    #[arg(long)]
    pub json: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Write to this file instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Runs `firstline report`.
pub fn run(ctx: &Context, args: ReportArgs) -> Result<()> {
    let config = &ctx.config.sla;
    let until = match args.until.as_deref() {
        None => Utc::now(),
        Some(text) => parse_until(text, config).ok_or_else(|| {
            user_error(format!(
                "cannot read --until '{text}'; use 2026-11-30 or 2026-11-30T18:00:00Z"
            ))
        })?,
    };
    let since = report::parse_since(&args.since, until, config).ok_or_else(|| {
        user_error(format!(
            "cannot read --since '{}'; use 30d, 2w, 12h or a date like 2026-11-01",
            args.since
        ))
    })?;
    if since >= until {
        return Err(user_error("--since must be before --until"));
    }
    let store = ctx.open_store(false)?;
    let data = store.report_data(since)?;
    let r = report::compute(&data, config, since, until);
    let body = if args.json {
        if args.out.is_none() {
            return print_json(&r);
        }
        serde_json::to_string_pretty(&r)? + "\n"
    } else {
        match args.format {
            Format::Text => report::text::render(&r),
            Format::Html => report::html::render(&r),
        }
    };
    match args.out {
        Some(path) => write_file(&path, &body, Overwrite::from_force(args.force)),
        None => {
            std::io::stdout().lock().write_all(body.as_bytes())?;
            Ok(())
        }
    }
}

fn parse_until(text: &str, config: &crate::config::SlaConfig) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    let date = NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()?;
    let cal = crate::sla::BusinessCalendar::lenient(config);
    Some(cal.to_utc(date.succ_opt()?.and_time(chrono::NaiveTime::MIN)))
}

/// Writes a file the user will send on (a report, a packet): private, in place only
/// when complete, and never over an existing file unless `overwrite` says so.
pub(super) fn write_file(path: &Path, body: &str, overwrite: Overwrite) -> Result<()> {
    crate::fs::write_private(path, body.as_bytes(), overwrite)?;
    Ok(())
}
