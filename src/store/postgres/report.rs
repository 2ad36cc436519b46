//! The rows a report is computed from (SQLite's `report.rs`): three queries over
//! the period's tickets, the welcome queue left out.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use super::ledger::{event_from_row, ticket_from_row, EVENT_COLUMNS, TICKET_COLUMNS};
use super::messages::{message_from_row, MESSAGE_COLUMNS};
use super::{status_list, to_ts, PgStore, Result};
use crate::model::{Status, TicketId};
use crate::store::api::*;
use crate::store::types::*;

impl ReportStore for PgStore {
    fn report_data(&self, since: DateTime<Utc>) -> Result<ReportData> {
        let since = to_ts(since);
        let period = format!(
            "SELECT id FROM tickets
             WHERE created_at >= $1 OR resolved_at >= $1 OR status IN {}",
            status_list(Status::UNRESOLVED)
        );
        let demo: HashSet<TicketId> = self.demo_ticket_ids()?.into_iter().collect();
        self.read(|c| {
            let tickets = c
                .query(
                    &format!(
                        "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id IN ({period}) ORDER BY t.id"
                    ),
                    &[&since],
                )?
                .iter()
                .map(ticket_from_row)
                .filter(|t| t.as_ref().map_or(true, |t| !demo.contains(&t.id)))
                .collect::<Result<Vec<_>>>()?;
            // A reply still in the outbox has not reached the customer.
            let messages = c
                .query(
                    &format!(
                        "SELECT {MESSAGE_COLUMNS} FROM messages m
                         WHERE m.ticket_id IN ({period})
                           AND m.id NOT IN (SELECT message_id FROM outbox WHERE state != 'sent')
                         ORDER BY m.ticket_id, m.sent_at, m.id"
                    ),
                    &[&since],
                )?
                .iter()
                .map(message_from_row)
                .filter(|m| m.as_ref().map_or(true, |m| !demo.contains(&m.ticket_id)))
                .collect::<Result<Vec<_>>>()?;
            let events = c
                .query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events e
                         WHERE e.ticket_id IN ({period}) ORDER BY e.ticket_id, e.id"
                    ),
                    &[&since],
                )?
                .iter()
                .map(event_from_row)
                .filter(|e| e.ticket_id.is_none_or(|id| !demo.contains(&id)))
                .collect();
            Ok(ReportData {
                tickets,
                messages,
                events,
            })
        })
    }
}
