//! Whole-queue commands: export, import-json, backup, doctor, demo.

use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::fs::WriteError;
use crate::store::{Bucket, Dump, SqliteStore, Store, StoreError};

/// `firstline export > dump.json`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline export > queue.json\n  firstline export --out queue.json    # private (0600), never over an existing file"
)]
pub struct ExportArgs {
    /// Write to this file (created 0600) instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Replace the --out file if it exists.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// `firstline import-json dump.json`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline --db new.db import-json queue.json")]
pub struct ImportJsonArgs {
    /// A file written by `firstline export` (`-` for stdin).
    pub file: PathBuf,
}

/// `firstline backup ~/backups/queue.db`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline backup ~/backups/firstline-$(date +%F).db")]
pub struct BackupArgs {
    /// Where to write the copy.
    #[arg(required_unless_present = "auto")]
    pub dest: Option<PathBuf>,
    /// Take today's rotating backup (as configured under [backup]) if not yet taken.
    #[arg(long, conflicts_with = "dest")]
    pub auto: bool,
    /// Replace the file at the destination if there is one.
    #[arg(long, conflicts_with = "auto")]
    pub force: bool,
}

/// `firstline demo` / `firstline demo --remove`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline --db try.db demo\n  firstline demo --remove     # take the welcome tickets out of your queue"
)]
pub struct DemoArgs {
    /// Take the welcome tickets (and their customers) out of the queue.
    #[arg(long)]
    pub remove: bool,
}

/// `firstline restore ~/backups/queue.db`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline restore ~/backups/firstline-2026-11-20.db --yes")]
pub struct RestoreArgs {
    /// A file written by `firstline backup`.
    pub from: PathBuf,
    /// Confirm replacing the current queue (a safety copy is written first).
    #[arg(long)]
    pub yes: bool,
}

/// `firstline doctor`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline doctor --json")]
pub struct DoctorArgs {
    #[arg(long)]
    pub json: bool,
}

/// Writes the dump to stdout or, privately, to `--out`.
pub fn export(ctx: &Context, args: ExportArgs) -> Result<()> {
    let store = ctx.open_store(true)?;
    let dump = store.export()?;
    let Some(path) = args.out else {
        return print_json(&dump);
    };
    let text = serde_json::to_string_pretty(&dump)? + "\n";
    crate::fs::write_private(
        &path,
        text.as_bytes(),
        crate::fs::Overwrite::from_force(args.force),
    )?;
    eprintln!(
        "exported {} tickets to {}",
        dump.tickets.len(),
        path.display()
    );
    Ok(())
}

/// Reads a dump into a new, empty database (no welcome queue).
pub fn import_json(ctx: &Context, args: ImportJsonArgs) -> Result<()> {
    let text = if args.file.as_os_str() == "-" {
        std::io::read_to_string(std::io::stdin())?
    } else {
        std::fs::read_to_string(&args.file)
            .map_err(|e| user_error(format!("cannot read {}: {e}", args.file.display())))?
    };
    let dump: Dump = serde_json::from_str(&text).map_err(|e| {
        user_error(format!(
            "{} is not a firstline export: {e}",
            args.file.display()
        ))
    })?;
    let mut store = ctx.open_store(false)?;
    store.import_dump(&dump)?;
    println!(
        "imported {} tickets, {} messages, {} customers",
        dump.tickets.len(),
        dump.messages.len(),
        dump.customers.len()
    );
    Ok(())
}

/// Online backup to a file.
pub fn backup(ctx: &Context, args: BackupArgs) -> Result<()> {
    ctx.sqlite_only(
        "backup",
        "back it up with pg_dump (pg_dump -Fc -f queue.dump DATABASE)",
    )?;
    if !ctx.db_path.exists() {
        return Err(user_error(format!(
            "there is no database at {}",
            ctx.db_path.display()
        )));
    }
    let store = SqliteStore::open(&ctx.db_path)?;
    let dest = match args.dest {
        Some(dest) => dest,
        None => match daily_backup(ctx, &store)? {
            Some(path) => path,
            None => {
                println!("today's backup already exists");
                return Ok(());
            }
        },
    };
    if !args.auto {
        match store.backup(&dest, crate::fs::Overwrite::from_force(args.force)) {
            // Already says what to do; "backup failed" in front would only blur it.
            Err(StoreError::Write(exists @ WriteError::Exists(_))) => return Err(exists.into()),
            done => done.with_context(|| format!("backup to {} failed", dest.display()))?,
        }
    }
    let check = SqliteStore::open(&dest)?.health()?;
    println!(
        "backed up {} tickets, {} messages to {} (integrity {})",
        check.tickets,
        check.messages,
        dest.display(),
        check.integrity
    );
    Ok(())
}

/// Today's rotating backup, as configured under `[backup]`. A backup is a copy of the
/// SQLite file; a queue on another backend is backed up by its server.
pub fn auto_backup(ctx: &Context, store: &Store) -> Result<Option<PathBuf>> {
    match store.as_sqlite() {
        Some(sqlite) => daily_backup(ctx, sqlite),
        None => Ok(None),
    }
}

fn daily_backup(ctx: &Context, store: &SqliteStore) -> Result<Option<PathBuf>> {
    let dir = ctx
        .config
        .backup
        .dir
        .clone()
        .unwrap_or_else(|| ctx.db_path.with_file_name("backups"));
    Ok(crate::store::daily_backup(
        store,
        &dir,
        ctx.config.backup.keep,
        chrono::Local::now().date_naive(),
    )?)
}

/// Replaces the queue with a backup, keeping a safety copy of what was there.
pub fn restore(ctx: &Context, args: RestoreArgs) -> Result<()> {
    ctx.sqlite_only(
        "restore",
        "restore a pg_dump file with pg_restore, or copy a queue file in with `firstline copy`",
    )?;
    if !args.from.exists() {
        return Err(user_error(format!(
            "there is no backup at {}",
            args.from.display()
        )));
    }
    if !args.yes {
        return Err(user_error(format!(
            "this replaces everything in {} with {}; add --yes to go ahead",
            ctx.db_path.display(),
            args.from.display()
        )));
    }
    ctx.check_db()?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let (mut store, safety) = match SqliteStore::open(&ctx.db_path) {
        Ok(store) => {
            let safety = ctx
                .db_path
                .with_extension(format!("before-restore-{stamp}.db"));
            store.backup(&safety, crate::fs::Overwrite::Refuse)?;
            (store, safety)
        }
        // A damaged queue cannot be copied through SQLite: it is moved aside
        // whole (with its -wal and -shm files), never deleted, and the backup goes
        // into a fresh file. This is what the "not a readable firstline database"
        // error tells the user to do.
        Err(StoreError::Corrupt { .. }) => {
            let aside = ctx.db_path.with_extension(format!("damaged-{stamp}.db"));
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", ctx.db_path.display()));
                if from.exists() {
                    let to = PathBuf::from(format!("{}{suffix}", aside.display()));
                    std::fs::rename(&from, &to).with_context(|| {
                        format!("cannot move the damaged {} aside", from.display())
                    })?;
                }
            }
            (SqliteStore::open(&ctx.db_path)?, aside)
        }
        Err(e) => return Err(e.into()),
    };
    store.restore_from(&args.from).with_context(|| {
        format!(
            "restore from {} failed; the queue is unchanged",
            args.from.display()
        )
    })?;
    let h = store.health()?;
    println!(
        "restored {} tickets, {} messages from {}; the previous queue is saved as {}",
        h.tickets,
        h.messages,
        args.from.display(),
        safety.display()
    );
    Ok(())
}

/// Health report; exit 2 when something is wrong.
pub fn doctor(ctx: &Context, args: DoctorArgs) -> Result<ExitCode> {
    let config_path = &ctx.config_path;
    let config_problem = super::settings::load(config_path, ctx.config_named).err();
    if ctx.db_url.is_some() {
        return doctor_postgres(ctx, args, config_problem.as_ref());
    }
    if !ctx.db_path.exists() {
        return Err(user_error(format!(
            "there is no database at {} yet; run `firstline` once to create it",
            ctx.db_path.display()
        )));
    }
    let store = Store::open(&ctx.db_path)?;
    let Some(sqlite) = store.as_sqlite() else {
        return Err(user_error(
            "doctor checks a SQLite queue file; pass --db FILE",
        ));
    };
    let health = sqlite.health()?;
    if args.json {
        print_json(&doctor_json(&health, &store, ctx, config_problem.as_ref())?)?;
    } else {
        println!("database      {}", ctx.db_path.display());
        settings_lines(ctx, &store, config_problem.as_ref())?;
        println!(
            "schema        {} (this build writes {})",
            health.schema_version, health.supported_version
        );
        println!("journal       {}", health.journal_mode);
        println!("integrity     {}", health.integrity);
        println!(
            "contents      {} tickets, {} messages, {} customers, {} drafts, {} events, {} canned responses",
            health.tickets, health.messages, health.customers, health.drafts, health.events, health.canned_responses
        );
        if let Some(size) = health.size_bytes {
            println!("size          {:.1} MB", size as f64 / 1e6);
        }
    }
    Ok(if health.is_ok() && config_problem.is_none() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The lines of `doctor` that read the settings rather than the queue — the
/// settings file and its problems, the desk's time zone, where attachments and the
/// outbox go, the mail accounts, the Telegram channel — printed the same on a file
/// and on PostgreSQL (the server's report had no time-zone line, found by a
/// new-user trial comparing the two).
fn settings_lines(
    ctx: &Context,
    store: &Store,
    config_problem: Option<&crate::config::ConfigError>,
) -> Result<()> {
    let config_path = &ctx.config_path;
    let sla = &ctx.config.sla;
    match config_problem {
        Some(crate::config::ConfigError::Invalid { path, problems }) => {
            for problem in problems {
                println!("config        INVALID: {}: {problem}", path.display());
            }
        }
        Some(problem) => println!("config        INVALID: {problem}"),
        None if config_path.exists() => println!("config        {}", config_path.display()),
        None => println!(
            "config        {} (not present; defaults in use)",
            config_path.display()
        ),
    }
    if config_problem.is_some() {
        // The lines below would otherwise read as what the file says (found by
        // the new-user trial: "time zone UTC" for a file that names Kyiv).
        println!(
            "              the settings below are the built-in defaults until the file is fixed"
        );
    }
    println!(
        "time zone     {} ({})",
        crate::sla::timezone(sla).name(),
        sla.timezone_source.describe()
    );
    println!(
        "attachments   {}",
        store
            .blobs(Bucket::Attachments)
            .map(|b| b.location(None))
            .unwrap_or_default()
    );
    match crate::mail::Transport::from_config(&ctx.config, store.blobs(Bucket::Outbox)) {
        Ok(t) => println!("outbox        {}", t.describe()),
        Err(e) => println!("outbox        {e}"),
    }
    let config_dir = ctx.config_path.parent();
    for account in &ctx.config.mail.accounts {
        match crate::mail::imap::Account::from_config(account, config_dir) {
            Ok(a) => println!(
                "mail account  {}: {}@{}:{} ({}), after_fetch {}",
                a.name,
                a.user,
                a.host,
                a.port,
                a.folders.join(", "),
                a.after_fetch
            ),
            Err(e) => println!(
                "mail account  INVALID: {}",
                crate::display::sanitize_line(&e)
            ),
        }
    }
    if let Some(state) =
        crate::telegram::channel_state(store, ctx.config.telegram.as_ref(), chrono::Utc::now())?
    {
        let now = chrono::Utc::now();
        match (state.warning(now), state.last_poll_at) {
            (Some(w), _) => println!("telegram      {w}"),
            (None, Some(at)) => println!(
                "telegram      last read {} ago",
                crate::sla::human_duration(now - at)
            ),
            (None, None) => {}
        }
    }
    Ok(())
}

/// `doctor` for a queue on PostgreSQL: the server (host, port, database, user; never
/// the password), its version, the schema version and what the queue holds.
fn doctor_postgres(
    ctx: &Context,
    args: DoctorArgs,
    config_problem: Option<&crate::config::ConfigError>,
) -> Result<ExitCode> {
    let store = ctx.open_store(false)?;
    let Some(pg) = store.as_postgres() else {
        return Err(user_error("the queue URL did not open a PostgreSQL queue"));
    };
    let server = pg.server();
    let version = pg.server_version()?;
    let schema = pg.schema_version()?;
    let supported = crate::store::postgres::SCHEMA_VERSION;
    let counts = pg.counts()?;
    let fetchers = pg.fetcher_locks()?;
    let problems: Vec<String> = match config_problem {
        Some(crate::config::ConfigError::Invalid { problems, .. }) => problems.clone(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    };
    if args.json {
        print_json(&serde_json::json!({
            "backend": "postgresql",
            "host": server.host,
            "port": server.port,
            "database": server.database,
            "user": server.user,
            "server_version": version,
            "schema_version": schema,
            "supported_version": supported,
            "counts": counts,
            "fetchers": fetchers,
            "config": {
                "path": ctx.config_path.display().to_string(),
                "present": ctx.config_path.exists(),
                "valid": problems.is_empty(),
                "problems": problems,
            },
            "timezone": timezone_json(ctx),
            "outbox": outbox_json(ctx, &store),
        }))?;
    } else {
        println!(
            "database      PostgreSQL {} on {}:{} as {}",
            server.database, server.host, server.port, server.user
        );
        println!("server        PostgreSQL {version}");
        settings_lines(ctx, &store, config_problem)?;
        println!("schema        {schema} (this build writes {supported})");
        println!(
            "contents      {} tickets, {} messages, {} customers, {} drafts, {} events, {} canned responses",
            counts.tickets, counts.messages, counts.customers, counts.drafts, counts.events,
            counts.canned_responses
        );
        // Who fetches which account (one fetcher per account on a shared queue).
        if fetchers.is_empty() {
            println!("fetchers      none running");
        }
        let now = chrono::Utc::now();
        for hold in &fetchers {
            let since = chrono::DateTime::from_timestamp(hold.since, 0).unwrap_or(now);
            println!(
                "fetcher       {}{}, connected {} ago",
                crate::display::sanitize_line(&hold.holder),
                hold.client
                    .as_deref()
                    .map(|c| format!(" from {c}"))
                    .unwrap_or_default(),
                crate::sla::human_duration(now - since)
            );
        }
    }
    Ok(if problems.is_empty() && schema == supported {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `doctor --json`: the store's health as before (its fields stay at the top level),
/// plus what the text report also says: the settings file and every problem in it,
/// the desk's time zone and where it came from, and the outbox's transport.
fn doctor_json(
    health: &crate::store::Health,
    store: &Store,
    ctx: &Context,
    config_problem: Option<&crate::config::ConfigError>,
) -> Result<serde_json::Value> {
    let problems: Vec<String> = match config_problem {
        Some(crate::config::ConfigError::Invalid { problems, .. }) => problems.clone(),
        Some(other) => vec![other.to_string()],
        None => Vec::new(),
    };
    let outbox = outbox_json(ctx, store);
    let mut value = serde_json::to_value(health)?;
    if let Some(map) = value.as_object_mut() {
        map.insert(
            "config".into(),
            serde_json::json!({
                "path": ctx.config_path.display().to_string(),
                "present": ctx.config_path.exists(),
                "valid": problems.is_empty(),
                "problems": problems,
            }),
        );
        map.insert("timezone".into(), timezone_json(ctx));
        map.insert("outbox".into(), outbox);
    }
    Ok(value)
}

/// `doctor --json`'s time zone, on either backend.
fn timezone_json(ctx: &Context) -> serde_json::Value {
    serde_json::json!({
        "name": crate::sla::timezone(&ctx.config.sla).name(),
        "source": format!("{:?}", ctx.config.sla.timezone_source).to_lowercase(),
    })
}

/// `doctor --json`'s outbox transport, on either backend.
fn outbox_json(ctx: &Context, store: &Store) -> serde_json::Value {
    match crate::mail::Transport::from_config(&ctx.config, store.blobs(Bucket::Outbox)) {
        Ok(t) => serde_json::json!({ "transport": t.describe(), "problem": null }),
        Err(e) => serde_json::json!({ "transport": null, "problem": e.to_string() }),
    }
}

/// Adds the welcome queue to an empty queue, or takes it out.
pub fn demo(ctx: &Context, args: DemoArgs) -> Result<()> {
    let mut store = ctx.open_store(false)?;
    if args.remove {
        let n = crate::demo::remove(&mut store)?;
        println!("removed {n} welcome tickets");
        return Ok(());
    }
    match crate::demo::seed(&mut store)? {
        0 => Err(user_error(
            "the welcome queue goes only into an empty queue that never had it",
        )),
        n => {
            println!("added {n} welcome tickets; `firstline demo --remove` takes them out");
            Ok(())
        }
    }
}
