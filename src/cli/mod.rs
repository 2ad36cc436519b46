//! The command line: one file per subcommand, each an `Args` struct and a `run`.
//! Everything scriptable lives here; with no subcommand the console opens.
//! Errors become exit codes: 0 ok, 1 the user's mistake, 2 data or I/O trouble.

mod admin;
mod canned;
mod check;
mod dev;
mod followup;
mod import;
mod outbox;
mod packet;
mod report;
mod settings;
mod show;
mod tickets;
mod tone;
mod watch;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::Config;
use crate::store::{Store, StoreError};

/// A fast terminal ticket console for the person who is the support department.
#[derive(Debug, Parser)]
#[command(name = "firstline", version, about, long_about = None)]
pub struct Cli {
    /// The queue file to use instead of the default in your data dir.
    #[arg(long, global = true, env = "FIRSTLINE_DB", value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Settings file (default: config.toml in your config dir).
    #[arg(long, global = true, env = "FIRSTLINE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Do not put the welcome queue into a new database.
    #[arg(long, global = true, env = "FIRSTLINE_NO_DEMO")]
    pub no_demo: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Every subcommand.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open a ticket from the command line (body from --body or stdin).
    New(tickets::NewArgs),
    /// List tickets in the queue.
    List(tickets::ListArgs),
    /// Show a ticket with its customer and whole thread.
    Show(show::ShowArgs),
    /// Record a reply to the customer (body from --body, stdin or $EDITOR).
    Reply(tickets::ReplyArgs),
    /// Add an internal note the customer never sees.
    Note(tickets::NoteArgs),
    /// Change a ticket's status (new, open, pending, on-hold, solved, closed, spam).
    Status(tickets::StatusArgs),
    /// Add (+tag) or remove (-tag) tags.
    Tag(tickets::TagArgs),
    /// Change a ticket's priority (low, normal, high, urgent).
    Priority(tickets::PriorityArgs),
    /// Hand a ticket to the second line, with a reason.
    Escalate(tickets::EscalateArgs),
    /// Hide a ticket until a time; a customer reply wakes it early.
    Snooze(tickets::SnoozeArgs),
    /// Move a duplicate ticket's messages into another ticket.
    Merge(tickets::MergeArgs),
    /// Full-text search: words, "phrases", prefix*, from: status: tag: channel: before: after:
    Search(show::SearchArgs),
    /// Import mail and chats: mbox, Maildir, .eml, Telegram JSON, WhatsApp .txt, CSV.
    Import(import::ImportArgs),
    /// Deliver a ticket's queued reply now.
    Send(outbox::SendArgs),
    /// Inspect and control replies waiting to be delivered.
    Outbox(outbox::OutboxArgs),
    /// Manage canned responses.
    Canned(canned::CannedArgs),
    /// Check a reply's tone against the five commandments (reply on stdin).
    Tone(tone::ToneArgs),
    /// Write the whole queue as JSON to stdout.
    Export(admin::ExportArgs),
    /// Load a JSON export into an empty database.
    ImportJson(admin::ImportJsonArgs),
    /// Copy the live database to a file, safely, even while firstline runs.
    Backup(admin::BackupArgs),
    /// Replace the queue with a backup (a safety copy of the current one is kept).
    Restore(admin::RestoreArgs),
    /// Check the database and show where everything lives.
    Doctor(admin::DoctorArgs),
    /// Developer tools (synthetic data for benchmarks).
    #[command(hide = true)]
    Dev(dev::DevArgs),
    /// SLA check for cron: one line per overdue or nearly due ticket; exit 3 if any.
    Check(check::CheckArgs),
    /// Follow-ups: promises read from sent replies, and ones you add.
    Followups(followup::FollowupArgs),
    /// The owner's report: response times, first-contact resolution, breaches, busy hours.
    Report(report::ReportArgs),
    /// Escalation packet: a ticket's thread and notes as Markdown, secrets redacted.
    Packet(packet::PacketArgs),
    /// Watch sites: record availability and speed, one incident ticket per outage.
    Watch(watch::WatchArgs),
}

/// An error that is the user's to fix (bad id, bad argument): exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UserError(pub String);

/// Shorthand for returning a [`UserError`].
pub fn user_error(msg: impl Into<String>) -> anyhow::Error {
    UserError(msg.into()).into()
}

/// What every subcommand gets: where the queue is and the settings.
pub struct Context {
    pub db_path: PathBuf,
    pub config: Config,
    /// The settings file in use, and whether the user named it with `--config`.
    pub config_path: PathBuf,
    pub config_named: bool,
    pub no_demo: bool,
}

impl Context {
    /// Opens the queue. A brand-new file gets the welcome queue unless `--no-demo`
    /// or `seed` is false (imports start from a clean slate).
    pub fn open_store(&self, seed: bool) -> anyhow::Result<Store> {
        let mut store = Store::open(&self.db_path)?;
        if seed && !self.no_demo && store.was_created() {
            crate::demo::seed(&mut store).context("could not add the welcome queue")?;
        }
        crate::canned::ensure_starter(&mut store).context("could not load the starter replies")?;
        Ok(store)
    }
}

/// Parses arguments, runs the command, and turns errors into exit codes.
pub fn main() -> ExitCode {
    use clap::{parser::ValueSource, CommandFactory, FromArgMatches};
    let matches = Cli::command().get_matches();
    // Only a file named on the command line must exist: FIRSTLINE_CONFIG and the
    // default path may point at a file not written yet (defaults then).
    let config_named = matches.value_source("config") == Some(ValueSource::CommandLine);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    match run(cli, config_named) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    let user = err.downcast_ref::<UserError>().is_some()
        || err
            .downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_user_error)
        || err.downcast_ref::<crate::model::ParseEnumError>().is_some();
    let mut stderr = std::io::stderr().lock();
    let _ = write!(stderr, "firstline: {err}");
    for cause in err.chain().skip(1) {
        let _ = write!(stderr, ": {cause}");
    }
    let _ = writeln!(stderr);
    ExitCode::from(if user { 1 } else { 2 })
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn run(cli: Cli, config_named: bool) -> anyhow::Result<ExitCode> {
    let config_path = cli.config.clone().unwrap_or_else(crate::paths::config_path);
    let config = match settings::load(&config_path, config_named) {
        Ok(config) => config,
        // `doctor` reads the file again and reports the problem beside the rest.
        Err(_) if matches!(cli.command, Some(Command::Doctor(_))) => Config::default(),
        Err(e) => return Err(settings::cli_error(e)),
    };
    let ctx = Context {
        db_path: cli.db.clone().unwrap_or_else(crate::paths::default_db_path),
        config,
        config_path,
        config_named,
        no_demo: cli.no_demo,
    };
    let ok = |r: anyhow::Result<()>| r.map(|_| ExitCode::SUCCESS);
    match cli.command {
        None => {
            let store = ctx.open_store(true)?;
            if ctx.config.backup.daily {
                if let Err(e) = admin::auto_backup(&ctx, &store) {
                    eprintln!("firstline: daily backup skipped: {e:#}");
                }
            }
            ok(crate::tui::run(store, ctx.config))
        }
        Some(Command::New(a)) => ok(tickets::new(&ctx, a)),
        Some(Command::List(a)) => ok(tickets::list(&ctx, a)),
        Some(Command::Show(a)) => ok(show::show(&ctx, a)),
        Some(Command::Reply(a)) => ok(tickets::reply(&ctx, a)),
        Some(Command::Note(a)) => ok(tickets::note(&ctx, a)),
        Some(Command::Status(a)) => ok(tickets::status(&ctx, a)),
        Some(Command::Tag(a)) => ok(tickets::tag(&ctx, a)),
        Some(Command::Priority(a)) => ok(tickets::priority(&ctx, a)),
        Some(Command::Escalate(a)) => ok(tickets::escalate(&ctx, a)),
        Some(Command::Snooze(a)) => ok(tickets::snooze(&ctx, a)),
        Some(Command::Merge(a)) => ok(tickets::merge(&ctx, a)),
        Some(Command::Search(a)) => ok(show::search(&ctx, a)),
        Some(Command::Import(a)) => import::run(&ctx, a),
        Some(Command::Send(a)) => outbox::send(&ctx, a),
        Some(Command::Outbox(a)) => outbox::run(&ctx, a),
        Some(Command::Canned(a)) => canned::run(&ctx, a),
        Some(Command::Tone(a)) => tone::run(&ctx, a),
        Some(Command::Export(a)) => ok(admin::export(&ctx, a)),
        Some(Command::ImportJson(a)) => ok(admin::import_json(&ctx, a)),
        Some(Command::Backup(a)) => ok(admin::backup(&ctx, a)),
        Some(Command::Restore(a)) => ok(admin::restore(&ctx, a)),
        Some(Command::Doctor(a)) => admin::doctor(&ctx, a),
        Some(Command::Dev(a)) => ok(dev::run(&ctx, a)),
        Some(Command::Check(a)) => check::run(&ctx, a),
        Some(Command::Followups(a)) => followup::run(&ctx, a),
        Some(Command::Report(a)) => ok(report::run(&ctx, a)),
        Some(Command::Packet(a)) => ok(packet::run(&ctx, a)),
        Some(Command::Watch(a)) => watch::run(&ctx, a),
    }
}

/// Opens `$VISUAL`/`$EDITOR` on `initial` in a private temp file named `file_name`
/// (the name gives editors their syntax hint) and returns what was saved.
pub(crate) fn edit_in_editor(initial: &str, file_name: &str) -> anyhow::Result<String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .map_err(|_| {
            user_error("set $VISUAL or $EDITOR, or pass --body / pipe the text on stdin")
        })?;
    let dir = tempfile::Builder::new()
        .prefix("firstline-edit")
        .tempdir()?;
    let file = dir.path().join(file_name);
    std::fs::write(&file, initial)?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&file)
        .status()
        .with_context(|| format!("cannot start editor '{editor}'"))?;
    if !status.success() {
        return Err(user_error(format!(
            "editor '{editor}' exited with {status}; nothing was saved"
        )));
    }
    Ok(std::fs::read_to_string(&file)?)
}

/// Prints a value as pretty JSON followed by a newline.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, value).map_err(|e| match e.io_error_kind() {
        Some(kind) => anyhow::Error::from(std::io::Error::from(kind)),
        None => e.into(),
    })?;
    writeln!(out)?;
    Ok(())
}
