//! `firstline dev`: tools for developers and benchmarks, hidden from the main help.

use anyhow::Result;
use clap::{Args, Subcommand};
use std::path::PathBuf;
use std::time::Instant;

use super::{user_error, Context};
use crate::store::Store;
use crate::synth::{generate, Shape};

/// `firstline dev gen --tickets 100000 --messages 1000000 --db /tmp/big.db`
#[derive(Debug, Args)]
pub struct DevArgs {
    #[command(subcommand)]
    pub command: DevCommand,
}

/// Developer subcommands.
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Fill a NEW database with a synthetic queue (mixed languages and channels).
    #[command(
        after_help = "Example:\n  firstline dev gen --tickets 100000 --messages 1000000 --db /tmp/big.db"
    )]
    Gen(GenArgs),
    /// Write a Maildir of N messages replayed from real ones with fresh ids and dates.
    #[command(
        after_help = "Example:\n  firstline dev maildir --count 100000 --out /tmp/md ../shared/data/mail"
    )]
    Maildir(MaildirArgs),
}

/// Arguments of `dev maildir`.
#[derive(Debug, Args)]
pub struct MaildirArgs {
    #[arg(long, default_value_t = 10_000)]
    pub count: usize,
    #[arg(long)]
    pub out: PathBuf,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Folders or files of real messages to replay.
    #[arg(required = true)]
    pub sources: Vec<PathBuf>,
}

/// Arguments of `dev gen`.
#[derive(Debug, Args)]
pub struct GenArgs {
    #[arg(long, default_value_t = 1000)]
    pub tickets: usize,
    #[arg(long, default_value_t = 5000)]
    pub messages: usize,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Write here instead of --db (the file must not hold tickets yet).
    #[arg(long = "out")]
    pub out: Option<PathBuf>,
}

/// Runs a developer command.
pub fn run(ctx: &Context, args: DevArgs) -> Result<()> {
    match args.command {
        DevCommand::Gen(g) => gen(ctx, g),
        DevCommand::Maildir(m) => maildir(m),
    }
}

fn gen(ctx: &Context, args: GenArgs) -> Result<()> {
    // A PostgreSQL queue is filled in place (benches/pg_bench.sh); a file is
    // `--out` or the queue file.
    let (mut store, place) = match (&args.out, &ctx.db_url) {
        (None, Some(url)) => (
            Store::open_url(url)?,
            crate::store::postgres::describe_url(url).unwrap_or_default(),
        ),
        (out, _) => {
            let path = out.clone().unwrap_or_else(|| ctx.db_path.clone());
            (Store::open(&path)?, path.display().to_string())
        }
    };
    if store.count_tickets(&Default::default())? > 0 {
        return Err(user_error(format!(
            "{place} already holds tickets; dev gen only fills a new database"
        )));
    }
    if let Some(sqlite) = store.sqlite() {
        sqlite.set_bulk_mode(true)?;
    }
    let started = Instant::now();
    let shape = Shape {
        tickets: args.tickets,
        messages: args.messages,
        seed: args.seed,
    };
    let (t, m) = generate(&mut store, shape, |done| {
        eprint!("\r{done} messages written");
    })?;
    // Statistics belong to the job that changed the data's shape, not to the next
    // console start (which would wait on them before its first frame).
    if let Some(sqlite) = store.sqlite() {
        sqlite.set_bulk_mode(false)?;
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!();
    println!(
        "generated {t} tickets, {m} messages into {place} in {secs:.1}s ({:.0} messages/s)",
        m as f64 / secs.max(1e-9)
    );
    Ok(())
}

fn maildir(args: MaildirArgs) -> Result<()> {
    let sources = crate::synth::maildir::find_messages(&args.sources);
    if sources.is_empty() {
        return Err(user_error("no messages found in the given folders"));
    }
    let n = crate::synth::maildir::write_maildir(&sources, &args.out, args.count, args.seed)?;
    println!(
        "wrote {n} messages (replayed from {} sources) into {}",
        sources.len(),
        args.out.display()
    );
    Ok(())
}
