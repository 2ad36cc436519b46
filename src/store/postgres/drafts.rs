//! Drafts, one per ticket, each with the console writing it (SQLite's `drafts.rs`).
//! A write locks the ticket's row first, so two consoles saving one draft take turns
//! and the second sees the first's claim.

use chrono::Utc;
use postgres::{GenericClient, Row};

use super::ledger::lock_ticket;
use super::{from_ts, to_ts, PgStore, Result};
use crate::model::{Draft, TicketId};
use crate::store::api::*;
use crate::store::holder_is_running;
use crate::store::types::*;

/// The console other than `holder` that is writing the draft, if it still runs.
fn held_by_other(
    c: &mut impl GenericClient,
    ticket: TicketId,
    holder: &str,
) -> Result<Option<String>> {
    let owner: Option<Option<String>> = c
        .query_opt("SELECT owner FROM drafts WHERE ticket_id = $1", &[&ticket])?
        .map(|r| r.get(0));
    Ok(owner
        .flatten()
        .filter(|o| o != holder && holder_is_running(o)))
}

/// A reply (`reply`, its text) went out: the draft goes if the reply was written
/// from it (see `store::holders::reply_takes_the_draft`).
pub(crate) fn clear_after_reply(
    c: &mut impl GenericClient,
    ticket: TicketId,
    holder: Option<&str>,
    reply: &str,
) -> Result<()> {
    let draft = c
        .query_opt(
            "SELECT owner, body FROM drafts WHERE ticket_id = $1",
            &[&ticket],
        )?
        .map(|r| (r.get::<_, Option<String>>(0), r.get::<_, String>(1)));
    if let Some((owner, body)) = draft {
        if crate::store::holders::reply_takes_the_draft(owner.as_deref(), &body, holder, reply) {
            c.execute("DELETE FROM drafts WHERE ticket_id = $1", &[&ticket])?;
        }
    }
    Ok(())
}

fn read_draft(r: &Row) -> Draft {
    Draft {
        ticket_id: r.get(0),
        body: r.get(1),
        updated_at: from_ts(r.get(2)),
        owner: r.get(3),
    }
}

impl DraftStore for PgStore {
    fn set_draft_holder(&mut self, holder: Option<String>) {
        self.draft_holder = holder;
    }

    fn draft_holder(&self) -> Option<&str> {
        self.draft_holder.as_deref()
    }

    fn save_draft(&mut self, ticket: TicketId, body: &str) -> Result<DraftSave> {
        self.write(|tx, w| {
            lock_ticket(tx, ticket)?;
            if let Some(holder) = &w.holder {
                if let Some(owner) = held_by_other(tx, ticket, holder)? {
                    return Ok(DraftSave::HeldElsewhere { owner });
                }
            }
            if body.trim().is_empty() {
                tx.execute("DELETE FROM drafts WHERE ticket_id = $1", &[&ticket])?;
            } else {
                tx.execute(
                    "INSERT INTO drafts(ticket_id, body, updated_at, owner) VALUES ($1, $2, $3, $4)
                     ON CONFLICT (ticket_id) DO UPDATE SET body = excluded.body,
                         updated_at = excluded.updated_at,
                         owner = coalesce(excluded.owner, drafts.owner)",
                    &[&ticket, &body, &to_ts(Utc::now()), &w.holder],
                )?;
            }
            Ok(DraftSave::Saved)
        })
    }

    fn take_over_draft(&mut self, ticket: TicketId) -> Result<()> {
        let Some(holder) = self.draft_holder.clone() else {
            return Ok(());
        };
        self.write(|tx, _| {
            tx.execute(
                "UPDATE drafts SET owner = $2 WHERE ticket_id = $1",
                &[&ticket, &holder],
            )?;
            Ok(())
        })
    }

    fn release_draft(&mut self, ticket: TicketId) -> Result<()> {
        let Some(holder) = self.draft_holder.clone() else {
            return Ok(());
        };
        self.write(|tx, _| {
            tx.execute(
                "UPDATE drafts SET owner = NULL WHERE ticket_id = $1 AND owner = $2",
                &[&ticket, &holder],
            )?;
            Ok(())
        })
    }

    fn draft(&self, ticket: TicketId) -> Result<Option<Draft>> {
        self.read(|c| {
            Ok(c.query_opt(
                "SELECT ticket_id, body, updated_at, owner FROM drafts WHERE ticket_id = $1",
                &[&ticket],
            )?
            .map(|r| read_draft(&r)))
        })
    }

    fn drafts(&self) -> Result<Vec<Draft>> {
        self.read(|c| {
            Ok(c.query(
                "SELECT ticket_id, body, updated_at, owner FROM drafts ORDER BY ticket_id",
                &[],
            )?
            .iter()
            .map(read_draft)
            .collect())
        })
    }
}
