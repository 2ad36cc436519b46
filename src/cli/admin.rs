//! Whole-queue commands: export, import-json, backup, doctor.

use anyhow::{Context as _, Result};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::store::{Dump, Store};

/// `firstline export > dump.json`
#[derive(Debug, Args)]
#[command(after_help = "Example:\n  firstline export > queue.json")]
pub struct ExportArgs {}

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

/// Writes the dump to stdout.
pub fn export(ctx: &Context, _args: ExportArgs) -> Result<()> {
    let store = ctx.open_store(true)?;
    print_json(&store.export()?)
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
    if !ctx.db_path.exists() {
        return Err(user_error(format!(
            "there is no database at {}",
            ctx.db_path.display()
        )));
    }
    let store = Store::open(&ctx.db_path)?;
    let dest = match args.dest {
        Some(dest) => dest,
        None => match auto_backup(ctx, &store)? {
            Some(path) => path,
            None => {
                println!("today's backup already exists");
                return Ok(());
            }
        },
    };
    if !args.auto {
        store
            .backup(&dest)
            .with_context(|| format!("backup to {} failed", dest.display()))?;
    }
    let check = Store::open(&dest)?.health()?;
    println!(
        "backed up {} tickets, {} messages to {} (integrity {})",
        check.tickets,
        check.messages,
        dest.display(),
        check.integrity
    );
    Ok(())
}

/// Today's rotating backup, as configured under `[backup]`.
pub fn auto_backup(ctx: &Context, store: &Store) -> Result<Option<PathBuf>> {
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
    let mut store = Store::open(&ctx.db_path)?;
    let safety = ctx.db_path.with_extension(format!(
        "before-restore-{}.db",
        chrono::Utc::now().format("%Y%m%d-%H%M%S")
    ));
    store.backup(&safety)?;
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
    if !ctx.db_path.exists() {
        return Err(user_error(format!(
            "there is no database at {} yet; run `firstline` once to create it",
            ctx.db_path.display()
        )));
    }
    let store = Store::open(&ctx.db_path)?;
    let health = store.health()?;
    if args.json {
        print_json(&health)?;
    } else {
        println!("database      {}", ctx.db_path.display());
        match &config_problem {
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
        println!(
            "attachments   {}",
            crate::paths::attachments_dir(&ctx.db_path).display()
        );
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
