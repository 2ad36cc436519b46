//! `firstline copy --from A --to B`: moves a whole queue between a SQLite file and a
//! PostgreSQL database (either direction, or file to file), ids and history kept, so
//! one person's queue becomes a team's and back.

use anyhow::{Context as _, Result};
use clap::Args;
use std::path::Path;

use super::{user_error, Context};
use crate::store::{postgres, Bucket, OutboxState, Store};

/// `firstline copy --from queue.db --to postgres://support@db.example/queue`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline copy --from ~/.local/share/firstline/queue.db --to postgres://support@db.example/queue\n  firstline copy --from postgres://support@db.example/queue --to queue-copy.db"
)]
pub struct CopyArgs {
    /// The queue to copy: a queue file, or a postgres:// URL.
    #[arg(long, value_name = "PATH|URL")]
    pub from: String,
    /// Where to: a new (or empty) queue file, or an empty PostgreSQL database.
    #[arg(long, value_name = "PATH|URL")]
    pub to: String,
}

/// A queue location in words safe to print: a URL loses its password.
fn describe(location: &str) -> String {
    match postgres::describe_url(location) {
        Some(server) => server,
        None => location.to_string(),
    }
}

/// Opens one end of the copy; a file that is not there is only created as the target.
fn open(location: &str, create: bool) -> Result<Store> {
    if !postgres::is_url(location) {
        let path = Path::new(location);
        if !create && !path.exists() {
            return Err(user_error(format!("there is no queue at {location}")));
        }
        let folder = crate::fs::folder_of(path);
        if create && !folder.is_dir() {
            return Err(user_error(format!(
                "--to {location}: the folder {} does not exist; create it first",
                folder.display()
            )));
        }
    }
    Ok(crate::store::Location::parse(location).open()?)
}

pub fn run(_ctx: &Context, args: CopyArgs) -> Result<()> {
    let source = open(&args.from, false)?;
    let mut target = open(&args.to, true)?;
    let (from, to) = (describe(&args.from), describe(&args.to));
    let tickets = target.count_tickets(&Default::default())?;
    let customers = target.customers()?.len();
    if tickets > 0 || customers > 0 {
        return Err(user_error(format!(
            "{to} already holds {tickets} tickets and {customers} customers; copy into a new file or an empty database"
        )));
    }
    let moving: Vec<String> = source
        .outbox_entries(false)?
        .into_iter()
        .filter(|e| matches!(e.state, OutboxState::Queued | OutboxState::Sending))
        .map(|e| e.message.to_string())
        .collect();
    if !moving.is_empty() {
        // Copied, they would be sent from both queues: the customer gets them twice.
        return Err(user_error(format!(
            "{from} has {} replies on their way out (messages {}); let them go (`firstline --db {from} outbox flush`) or take them back (`outbox cancel`), then copy",
            moving.len(),
            moving.join(", "),
        )));
    }
    let dump = source.export()?;
    target
        .import_dump(&dump)
        .with_context(|| format!("copying into {to} failed; it is unchanged"))?;
    let raw = copy_raw_messages(&source, &mut target)
        .with_context(|| format!("copying the messages' original bytes into {to} failed"))?;
    let mut blobs = [0usize; 2];
    for (count, bucket) in blobs.iter_mut().zip([Bucket::Attachments, Bucket::Outbox]) {
        let (Some(src), Some(dst)) = (source.blobs(bucket), target.blobs(bucket)) else {
            continue;
        };
        for name in src.list()? {
            dst.put(&name, &src.get(&name)?)?;
            *count += 1;
        }
    }
    println!(
        "copied {} tickets, {} messages ({} with their original bytes), {} customers, {} drafts, {} events, {} follow-ups, {} canned replies, {} attachments, {} saved replies from {from} to {to}",
        dump.tickets.len(),
        dump.messages.len(),
        raw,
        dump.customers.len(),
        dump.drafts.len(),
        dump.events.len(),
        dump.followups.len(),
        dump.canned.iter().filter(|c| c.deleted_at.is_none()).count(),
        blobs[0],
        blobs[1],
    );
    Ok(())
}

/// How many raw messages one page of the copy carries: a few megabytes of mail at a
/// time, never the whole archive in memory.
const RAW_PAGE: usize = 200;

/// Moves every message's original bytes, page by page (they are not in the dump):
/// without them the copy could not re-read a message after a parser fix, and a
/// message without a Message-ID imported again would come in twice.
fn copy_raw_messages(source: &Store, target: &mut Store) -> Result<usize> {
    let mut after = 0;
    let mut copied = 0;
    loop {
        let page = source.raw_messages_after(after, RAW_PAGE)?;
        let Some(last) = page.last() else {
            return Ok(copied);
        };
        after = last.message;
        target.put_raw_messages(&page)?;
        copied += page.len();
    }
}
