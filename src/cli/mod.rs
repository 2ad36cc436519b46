//! The command line: one file per subcommand, each an `Args` struct and a `run`.
//! Everything scriptable lives here; with no subcommand the console opens.
//! Errors become exit codes: 0 ok, 1 the user's mistake, 2 data or I/O trouble.

/// `println!` for every subcommand: std's panics with a backtrace when the reader
/// has gone (`firstline doctor | head -c1`); this one ends the program quietly with
/// exit 0, as `head` expects. Defined before the subcommand modules so theirs
/// resolve to it (a `macro_rules!` in scope shadows the prelude's) and no command
/// can forget; writers that return errors are mapped the same way in [`report`].
macro_rules! println {
    () => {
        $crate::cli::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` with the same closed-pipe handling as [`println!`].
#[allow(unused_macros)] // none yet; a later `print!` must not panic either
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::cli::write_stdout(format_args!($($arg)*))
    };
}

/// `eprintln!` that never panics: a closed stderr loses the line, nothing more.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr().lock(), $($arg)*);
    }};
}

mod admin;
mod assign;
mod canned;
mod check;
mod copy;
#[cfg(feature = "dev")]
mod dev;
mod fetch;
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
    /// The queue to use instead of the default file in your data dir: a file path, or
    /// a PostgreSQL URL (postgres://user@host/database) for a queue a team shares.
    #[arg(long, global = true, env = "FIRSTLINE_DB", value_name = "PATH|URL")]
    pub db: Option<PathBuf>,
    /// Settings file (default: config.toml in your config dir).
    #[arg(long, global = true, env = "FIRSTLINE_CONFIG", value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Do not put the welcome queue into the default database on its first run.
    #[arg(
        long,
        global = true,
        env = "FIRSTLINE_NO_DEMO",
        value_parser = clap::builder::BoolishValueParser::new()
    )]
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
    /// Give a ticket to an agent (--to NAME or --to me) or back to the queue (--unassign).
    Assign(assign::AssignArgs),
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
    /// Take in new messages from live channels: the [[mail.accounts]] mailboxes (IMAP) and
    /// the Telegram bot; --watch keeps going.
    Fetch(fetch::FetchArgs),
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
    /// Copy a whole queue between a file and a PostgreSQL database (team mode).
    Copy(copy::CopyArgs),
    /// Copy the live database to a file, safely, even while firstline runs.
    Backup(admin::BackupArgs),
    /// Replace the queue with a backup (a safety copy of the current one is kept).
    Restore(admin::RestoreArgs),
    /// Check the database and show where everything lives.
    Doctor(admin::DoctorArgs),
    /// Developer tools (synthetic data for benchmarks); built with `--features dev`.
    #[cfg(feature = "dev")]
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
    /// Add the welcome queue of sample tickets, or take it out with --remove.
    Demo(admin::DemoArgs),
}

/// Writes to stdout for [`println!`]/[`print!`]; a closed pipe ends the program
/// quietly (exit 0), any other failure with one line and exit 2.
#[doc(hidden)]
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        let _ = writeln!(
            std::io::stderr().lock(),
            "firstline: cannot write output: {e}"
        );
        std::process::exit(2);
    }
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
    /// The PostgreSQL queue to use instead of a file (`--db URL`, `FIRSTLINE_DB`, or
    /// `[store] url`); `db_path` is then unused.
    pub db_url: Option<String>,
    /// Whether the user named the queue (`--db` / `FIRSTLINE_DB`) rather than taking
    /// the default: only the default is created silently and gets the welcome queue.
    pub db_named: bool,
    /// Whether this command may create a named queue that does not exist yet.
    pub may_create_db: bool,
    pub config: Config,
    /// The settings file in use, and whether the user named it with `--config`.
    pub config_path: PathBuf,
    pub config_named: bool,
    pub no_demo: bool,
}

impl Context {
    /// Opens the queue. The default one is created on first use, folder and all,
    /// with the welcome queue unless `--no-demo` or `seed` is false (imports start
    /// from a clean slate). A named one is only ever created by a command that
    /// writes ([`Context::check_db`]) and never gets demo tickets: a typo must not
    /// look like a queue.
    pub fn open_store(&self, seed: bool) -> anyhow::Result<Store> {
        if let Some(url) = &self.db_url {
            // A shared queue is never seeded with the welcome tickets.
            let mut store = Store::open_url(url)?;
            crate::canned::ensure_starter(&mut store)
                .context("could not load the starter replies")?;
            self.name_the_actor(&mut store);
            return Ok(store);
        }
        self.check_db()?;
        if !self.db_named {
            let dir = crate::fs::folder_of(&self.db_path);
            crate::fs::create_private_dir(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
        }
        let mut store = Store::open(&self.db_path)?;
        if seed && !self.no_demo && !self.db_named && store.was_created() {
            crate::demo::seed(&mut store).context("could not add the welcome queue")?;
        }
        crate::canned::ensure_starter(&mut store).context("could not load the starter replies")?;
        self.name_the_actor(&mut store);
        Ok(store)
    }

    /// The history names who made a change: `[agent] name` when it is set (a team's
    /// "assigned to Olena by Petro"), else the login name.
    fn name_the_actor(&self, store: &mut Store) {
        let name = self.config.agent.name.trim();
        if !name.is_empty() {
            store.set_actor(name);
        }
    }

    /// A named queue that does not exist is created only by a command that writes,
    /// in a folder that exists; anything else is a typo until proven otherwise.
    /// Checked when the store is opened, so a command's own argument errors come first.
    pub fn check_db(&self) -> anyhow::Result<()> {
        let db = &self.db_path;
        if self.db_url.is_some() || !self.db_named || db.exists() {
            return Ok(());
        }
        if !self.may_create_db {
            return Err(user_error(format!(
                "there is no queue at {}; check --db (`firstline new`, `import` or `demo` start a new one)",
                db.display()
            )));
        }
        let dir = crate::fs::folder_of(db);
        if !dir.is_dir() {
            return Err(user_error(format!(
                "--db {}: the folder {} does not exist; create it first or fix the path",
                db.display(),
                dir.display()
            )));
        }
        Ok(())
    }

    /// Another handle on the queue already opened (a thread's own connection):
    /// never creates, seeds or syncs anything.
    pub fn reopen_store(&self) -> crate::store::Result<Store> {
        match &self.db_url {
            Some(url) => Store::open_url(url),
            None => Store::open(&self.db_path),
        }
    }

    /// Refuses `what` (a backup, a restore) on a PostgreSQL queue in one line that
    /// says what to use there instead.
    pub fn sqlite_only(&self, what: &str, instead: &str) -> anyhow::Result<()> {
        match self.db_url {
            Some(_) => Err(user_error(format!(
                "{what} works on a SQLite queue file; this queue is on PostgreSQL: {instead}"
            ))),
            None => Ok(()),
        }
    }
}

/// Parses arguments, runs the command, and turns errors into exit codes.
pub fn main() -> ExitCode {
    use clap::{parser::ValueSource, CommandFactory, FromArgMatches};
    let matches = match Cli::command().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => return usage_error(&err),
    };
    // Only a file named on the command line must exist: FIRSTLINE_CONFIG and the
    // default path may point at a file not written yet (defaults then).
    let config_named = matches.value_source("config") == Some(ValueSource::CommandLine);
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(err) => return usage_error(&err),
    };
    match run(cli, config_named) {
        Ok(code) => code,
        Err(err) => report(&err),
    }
}

/// Help and version go to stdout with exit 0. Everything else clap refuses (a bad
/// id, an unknown status, a missing argument) is the user's mistake: exit 1 with
/// one line, not clap's exit 2, which the README keeps for data and I/O trouble.
fn usage_error(err: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return ExitCode::SUCCESS;
    }
    let mut stderr = std::io::stderr().lock();
    let _ = writeln!(stderr, "firstline: {}", one_line(&err.render().to_string()));
    ExitCode::from(1)
}

/// Clap's message on one line: the error, the possible values and tip it offers,
/// without the usage block (`--help` has it).
fn one_line(rendered: &str) -> String {
    let mut parts = Vec::new();
    for line in rendered.lines().map(str::trim) {
        if line.starts_with("Usage:") || line.starts_with("For more information") {
            break;
        }
        if !line.is_empty() {
            parts.push(line.trim_start_matches("error: "));
        }
    }
    format!("{}; see --help", parts.join(" "))
}

fn report(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        return ExitCode::SUCCESS;
    }
    let user = err.downcast_ref::<UserError>().is_some()
        || err
            .downcast_ref::<crate::fs::WriteError>()
            .is_some_and(|e| matches!(e, crate::fs::WriteError::Exists(_)))
        || err
            .downcast_ref::<StoreError>()
            .is_some_and(StoreError::is_user_error)
        || err.downcast_ref::<crate::model::ParseEnumError>().is_some()
        || err
            .downcast_ref::<crate::mail::MailError>()
            .is_some_and(|e| matches!(e, crate::mail::MailError::NoSender));
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
    let named_url = cli
        .db
        .as_deref()
        .and_then(|p| p.to_str())
        .filter(|p| crate::store::postgres::is_url(p))
        .map(str::to_string);
    let db_url = match (&cli.db, named_url) {
        (_, Some(url)) => Some(url),
        (Some(_), None) => None,
        (None, None) => config.store.url.clone(),
    };
    let ctx = Context {
        db_path: match &cli.db {
            Some(named) if db_url.is_none() => checked_db_path(named)?,
            _ => crate::paths::default_db_path(),
        },
        db_url,
        db_named: cli.db.is_some(),
        may_create_db: cli.command.as_ref().is_none_or(Command::may_start_a_queue),
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
        Some(Command::Assign(a)) => ok(assign::assign(&ctx, a)),
        Some(Command::Escalate(a)) => ok(tickets::escalate(&ctx, a)),
        Some(Command::Snooze(a)) => ok(tickets::snooze(&ctx, a)),
        Some(Command::Merge(a)) => ok(tickets::merge(&ctx, a)),
        Some(Command::Search(a)) => ok(show::search(&ctx, a)),
        Some(Command::Import(a)) => {
            all_paths_exist(&a.paths)?;
            import::run(&ctx, a)
        }
        Some(Command::Fetch(a)) => fetch::run(&ctx, a),
        Some(Command::Send(a)) => outbox::send(&ctx, a),
        Some(Command::Outbox(a)) => outbox::run(&ctx, a),
        Some(Command::Canned(a)) => canned::run(&ctx, a),
        Some(Command::Tone(a)) => tone::run(&ctx, a),
        Some(Command::Export(a)) => ok(admin::export(&ctx, a)),
        Some(Command::ImportJson(a)) => ok(admin::import_json(&ctx, a)),
        Some(Command::Copy(a)) => ok(copy::run(&ctx, a)),
        Some(Command::Backup(a)) => ok(admin::backup(&ctx, a)),
        Some(Command::Restore(a)) => ok(admin::restore(&ctx, a)),
        Some(Command::Doctor(a)) => admin::doctor(&ctx, a),
        #[cfg(feature = "dev")]
        Some(Command::Dev(a)) => ok(dev::run(&ctx, a)),
        Some(Command::Check(a)) => check::run(&ctx, a),
        Some(Command::Followups(a)) => followup::run(&ctx, a),
        Some(Command::Report(a)) => ok(report::run(&ctx, a)),
        Some(Command::Packet(a)) => ok(packet::run(&ctx, a)),
        Some(Command::Watch(a)) => watch::run(&ctx, a),
        Some(Command::Demo(a)) => ok(admin::demo(&ctx, a)),
    }
}

/// A `--db` value that looks like a URL is never taken for a file name (it would
/// make a SQLite file under `./postgres:/`).
fn checked_db_path(named: &std::path::Path) -> anyhow::Result<PathBuf> {
    let text = named.to_string_lossy();
    let url_scheme = text
        .split_once("://")
        .map(|(scheme, _)| scheme)
        .filter(|s| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        });
    if let Some(scheme) = url_scheme {
        return Err(user_error(format!(
            "--db: a {scheme}:// URL is not a queue firstline can open; pass a file path or a postgres:// URL"
        )));
    }
    Ok(named.to_path_buf())
}

/// A path to import that is not there is a typo to report as such, before any
/// work, not a file that turned out to be "not mail".
fn all_paths_exist(paths: &[PathBuf]) -> anyhow::Result<()> {
    match paths.iter().find(|p| p.as_os_str() != "-" && !p.exists()) {
        Some(missing) => Err(user_error(format!(
            "{} does not exist; check the path",
            missing.display()
        ))),
        None => Ok(()),
    }
}

impl Command {
    /// Whether this command may create a new, named queue file: it adds tickets or
    /// replies to an empty queue (the console is one: it writes). Commands that read,
    /// or change a ticket that must already exist, say the file is missing instead.
    fn may_start_a_queue(&self) -> bool {
        match self {
            Command::New(_)
            | Command::Import(_)
            | Command::Fetch(_)
            | Command::ImportJson(_)
            | Command::Restore(_)
            | Command::Watch(_) => true,
            #[cfg(feature = "dev")]
            Command::Dev(_) => true,
            Command::Demo(a) => !a.remove,
            Command::Canned(a) => a.writes(),
            _ => false,
        }
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

/// Bodies larger than this are refused: a 10 MB paste is almost always a mistake,
/// and a clear "no" beats a stalled console later.
const MAX_BODY_BYTES: usize = 8 * 1024 * 1024;

/// Turns raw bytes into text a ticket can hold: too large is refused, invalid UTF-8
/// is repaired with U+FFFD (and said so) rather than rejected, since it is what came.
pub(crate) fn checked_text(bytes: Vec<u8>, what: &str) -> anyhow::Result<String> {
    if bytes.len() > MAX_BODY_BYTES {
        return Err(user_error(format!(
            "the {what} is larger than {} MB; attach it as a file instead",
            MAX_BODY_BYTES / 1024 / 1024
        )));
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => {
            eprintln!(
                "firstline: the {what} was not valid UTF-8; invalid bytes were replaced with �"
            );
            Ok(String::from_utf8_lossy(e.as_bytes()).into_owned())
        }
    }
}
