//! Drafts: the reply being written for a ticket, one per ticket, saved as the user
//! types. A draft names the console writing it (`owner`): two consoles on one queue
//! (a laptop's two terminals) must not both type into one draft, or the customer gets
//! the first sentence twice. A console writes a draft only when nobody else is writing
//! it, or the one who was has stopped running; the CLI (no holder) writes as before.
//!
//! An owner is `"<pid>:<start nanoseconds>"`: the process id says whether the holder
//! still runs (a console killed with `kill -9` never released its drafts), the start
//! time tells two consoles of one process apart (tests build several).

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension};

use super::ledger::load_ticket;
use super::{from_ts, to_ts, Result, SqliteStore};
use crate::model::{Draft, TicketId};
use crate::store::api::*;
use crate::store::holder_is_running;
use crate::store::types::*;

/// The owner of ticket `ticket`'s draft if it is a running console other than
/// `holder`: the one case in which `holder` must leave the draft alone.
fn held_by_other(conn: &Connection, ticket: TicketId, holder: &str) -> Result<Option<String>> {
    let owner: Option<Option<String>> = conn
        .prepare_cached("SELECT owner FROM drafts WHERE ticket_id = ?1")?
        .query_row([ticket], |r| r.get(0))
        .optional()?;
    Ok(owner
        .flatten()
        .filter(|o| o != holder && holder_is_running(o)))
}

/// After a reply (`reply`, its text) was recorded on `ticket`: its draft goes if the
/// reply was written from it (see `store::holders::reply_takes_the_draft`).
pub(crate) fn clear_after_reply(
    conn: &Connection,
    ticket: TicketId,
    holder: Option<&str>,
    reply: &str,
) -> Result<()> {
    let draft: Option<(Option<String>, String)> = conn
        .prepare_cached("SELECT owner, body FROM drafts WHERE ticket_id = ?1")?
        .query_row([ticket], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((owner, body)) = draft {
        if crate::store::holders::reply_takes_the_draft(owner.as_deref(), &body, holder, reply) {
            conn.execute("DELETE FROM drafts WHERE ticket_id = ?1", [ticket])?;
        }
    }
    Ok(())
}

fn read_draft(r: &rusqlite::Row) -> rusqlite::Result<Draft> {
    Ok(Draft {
        ticket_id: r.get(0)?,
        body: r.get(1)?,
        updated_at: from_ts(r.get(2)?),
        owner: r.get(3)?,
    })
}

impl DraftStore for SqliteStore {
    fn set_draft_holder(&mut self, holder: Option<String>) {
        self.draft_holder = holder;
    }

    fn draft_holder(&self) -> Option<&str> {
        self.draft_holder.as_deref()
    }

    fn save_draft(&mut self, ticket: TicketId, body: &str) -> Result<DraftSave> {
        let holder = self.draft_holder.clone();
        let tx = self.write()?;
        load_ticket(&tx, ticket)?;
        if let Some(holder) = &holder {
            if let Some(owner) = held_by_other(&tx, ticket, holder)? {
                return Ok(DraftSave::HeldElsewhere { owner });
            }
        }
        if body.trim().is_empty() {
            tx.execute("DELETE FROM drafts WHERE ticket_id = ?1", [ticket])?;
        } else {
            tx.execute(
                "INSERT INTO drafts(ticket_id, body, updated_at, owner) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(ticket_id) DO UPDATE SET body = excluded.body,
                     updated_at = excluded.updated_at, owner = coalesce(excluded.owner, drafts.owner)",
                params![ticket, body, to_ts(Utc::now()), holder],
            )?;
        }
        tx.commit()?;
        Ok(DraftSave::Saved)
    }

    fn take_over_draft(&mut self, ticket: TicketId) -> Result<()> {
        let Some(holder) = self.draft_holder.clone() else {
            return Ok(());
        };
        let tx = self.write()?;
        tx.execute(
            "UPDATE drafts SET owner = ?2 WHERE ticket_id = ?1",
            params![ticket, holder],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn release_draft(&mut self, ticket: TicketId) -> Result<()> {
        let Some(holder) = self.draft_holder.clone() else {
            return Ok(());
        };
        let tx = self.write()?;
        tx.execute(
            "UPDATE drafts SET owner = NULL WHERE ticket_id = ?1 AND owner = ?2",
            params![ticket, holder],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn draft(&self, ticket: TicketId) -> Result<Option<Draft>> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT ticket_id, body, updated_at, owner FROM drafts WHERE ticket_id = ?1",
            )?
            .query_row([ticket], read_draft)
            .optional()?)
    }

    fn drafts(&self) -> Result<Vec<Draft>> {
        let mut stmt = self
            .conn
            .prepare("SELECT ticket_id, body, updated_at, owner FROM drafts ORDER BY ticket_id")?;
        let rows = stmt.query_map([], read_draft)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewCustomer, NewMessage, NewTicket};
    use crate::store::new_holder_id;

    fn one_ticket(store: &mut SqliteStore) -> TicketId {
        store
            .create_ticket(&NewTicket {
                subject: "Refund".into(),
                customer: NewCustomer {
                    name: "Ann".into(),
                    email: Some("ann@example.com".into()),
                    ..Default::default()
                },
                channel: Default::default(),
                priority: Default::default(),
                status: Default::default(),
                tags: vec![],
                first_message: NewMessage {
                    body: "Where is my refund?".into(),
                    ..Default::default()
                },
            })
            .unwrap()
    }

    #[test]
    fn issue15_14_a_draft_held_by_a_running_console_is_not_written_by_another() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.db");
        let mut a = SqliteStore::open(&path).unwrap();
        let id = one_ticket(&mut a);
        a.set_draft_holder(Some(new_holder_id()));
        let mut b = SqliteStore::open(&path).unwrap();
        b.set_draft_holder(Some(new_holder_id()));
        assert_eq!(a.save_draft(id, "Dear Ann,").unwrap(), DraftSave::Saved);
        let held = b.save_draft(id, "Hello Ann").unwrap();
        assert!(matches!(held, DraftSave::HeldElsewhere { .. }), "{held:?}");
        assert_eq!(b.draft(id).unwrap().unwrap().body, "Dear Ann,");
        // Released, anyone may write it.
        a.release_draft(id).unwrap();
        assert_eq!(b.save_draft(id, "Hello Ann").unwrap(), DraftSave::Saved);
        // A reply sent by a console that does not hold the draft leaves it.
        a.add_message(
            id,
            &NewMessage {
                direction: crate::model::Direction::Outbound,
                body: "Refunded.".into(),
                ..Default::default()
            },
        )
        .unwrap();
        assert_eq!(b.draft(id).unwrap().unwrap().body, "Hello Ann");
        b.take_over_draft(id).unwrap();
        a.take_over_draft(id).unwrap();
        assert_eq!(
            b.save_draft(id, "x").unwrap(),
            DraftSave::HeldElsewhere {
                owner: a.draft_holder().unwrap().to_string()
            }
        );
    }

    #[test]
    fn issue15_14_a_draft_of_a_console_that_stopped_running_is_free() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let id = one_ticket(&mut store);
        // Process ids stop well below this (Linux caps them at 2^22).
        let gone = format!("{}:1", i32::MAX - 1);
        assert!(!holder_is_running(&gone));
        store.set_draft_holder(Some(gone));
        store.save_draft(id, "Dear Ann,").unwrap();
        store.set_draft_holder(Some(new_holder_id()));
        assert_eq!(
            store.save_draft(id, "Dear Ann, hi").unwrap(),
            DraftSave::Saved
        );
        assert_eq!(
            store.draft(id).unwrap().unwrap().owner.as_deref(),
            store.draft_holder()
        );
    }
}
