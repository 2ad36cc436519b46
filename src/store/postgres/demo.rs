//! The welcome queue a first run shows, and its removal (SQLite's `demo.rs`; the
//! ids live in `meta` as there).

use super::{PgStore, Result};
use crate::model::TicketId;
use crate::store::api::*;

/// The `meta` key listing the welcome tickets' ids, comma-separated.
const DEMO_TICKETS: &str = "demo_tickets";

impl DemoStore for PgStore {
    fn mark_demo(&mut self, ids: &[TicketId]) -> Result<()> {
        let mut all = self.demo_ticket_ids()?;
        for id in ids {
            if !all.contains(id) {
                all.push(*id);
            }
        }
        let text: Vec<String> = all.iter().map(|id| id.to_string()).collect();
        self.set_meta(DEMO_TICKETS, &text.join(","))
    }

    fn demo_ticket_ids(&self) -> Result<Vec<TicketId>> {
        Ok(self
            .meta(DEMO_TICKETS)?
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| id.trim().parse().ok())
            .collect())
    }

    fn remove_demo(&mut self) -> Result<usize> {
        let ids = self.demo_ticket_ids()?;
        self.write(|tx, _| {
            let mut removed = 0;
            let mut kept = Vec::new();
            for id in &ids {
                // A welcome ticket a real one was merged into holds real mail.
                let merged_into: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM events WHERE ticket_id = $1 AND kind = 'merged')",
                        &[id],
                    )?
                    .get(0);
                if merged_into {
                    kept.push(id.to_string());
                    continue;
                }
                let customer: Option<i64> = tx
                    .query_opt(
                        "SELECT customer_id FROM tickets WHERE id = $1 FOR UPDATE",
                        &[id],
                    )?
                    .map(|r| r.get(0));
                let Some(customer) = customer else {
                    continue;
                };
                // Messages take their search rows, drafts, outbox and follow-ups with
                // them (ON DELETE CASCADE).
                tx.execute("DELETE FROM messages WHERE ticket_id = $1", &[id])?;
                tx.execute("DELETE FROM events WHERE ticket_id = $1", &[id])?;
                tx.execute("DELETE FROM tickets WHERE id = $1", &[id])?;
                tx.execute(
                    "DELETE FROM customers WHERE id = $1
                     AND NOT EXISTS (SELECT 1 FROM tickets WHERE customer_id = $1)",
                    &[&customer],
                )?;
                removed += 1;
            }
            if kept.is_empty() {
                tx.execute("DELETE FROM meta WHERE key = $1", &[&DEMO_TICKETS])?;
            } else {
                tx.execute(
                    "UPDATE meta SET value = $2 WHERE key = $1",
                    &[&DEMO_TICKETS, &kept.join(",")],
                )?;
            }
            Ok(removed)
        })
    }
}
