//! The rows a report is computed from: every ticket that was created, resolved or
//! still open in a period, with its thread and audit log. One read, no arithmetic:
//! the figures are computed in `report`.

use chrono::{DateTime, Utc};
use std::collections::HashSet;

use super::ledger::{event_from_row, ticket_from_row, EVENT_COLUMNS, TICKET_COLUMNS};
use super::messages::{message_from_row, MESSAGE_COLUMNS};
use super::{status_list, to_ts, Result, SqliteStore};
use crate::model::{Status, TicketId};
use crate::store::api::*;
use crate::store::types::*;

/// The ids of the tickets a report since `?1` reads: created or resolved since then,
/// or still unresolved (the backlog, however old).
fn period_tickets() -> String {
    format!(
        "SELECT id FROM tickets
         WHERE created_at >= ?1 OR resolved_at >= ?1 OR status IN {}",
        status_list(Status::UNRESOLVED)
    )
}

impl ReportStore for SqliteStore {
    fn report_data(&self, since: DateTime<Utc>) -> Result<ReportData> {
        let since = to_ts(since);
        let period_tickets = period_tickets();
        // The welcome queue is not the owner's work.
        let demo: HashSet<TicketId> = self.demo_ticket_ids()?.into_iter().collect();
        let tickets = self
            .conn
            .prepare(&format!(
                "SELECT {TICKET_COLUMNS} FROM tickets t WHERE t.id IN ({period_tickets}) ORDER BY t.id"
            ))?
            .query_map([since], ticket_from_row)?
            .filter(|t| t.as_ref().map_or(true, |t| !demo.contains(&t.id)))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        // A reply still in the outbox (waiting, failing, only saved as a file) has not
        // reached the customer: the report counts what was delivered.
        let messages = self
            .conn
            .prepare(&format!(
                "SELECT {MESSAGE_COLUMNS} FROM messages m
                 WHERE m.ticket_id IN ({period_tickets})
                   AND m.id NOT IN (SELECT message_id FROM outbox WHERE state != 'sent')
                 ORDER BY m.ticket_id, m.sent_at, m.id"
            ))?
            .query_map([since], message_from_row)?
            .filter(|m| m.as_ref().map_or(true, |m| !demo.contains(&m.ticket_id)))
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let events = self
            .conn
            .prepare(&format!(
                "SELECT {EVENT_COLUMNS} FROM events e
                 WHERE e.ticket_id IN ({period_tickets})
                 ORDER BY e.ticket_id, e.id"
            ))?
            .query_map([since], event_from_row)?
            .filter(|e| {
                e.as_ref()
                    .map_or(true, |e| e.ticket_id.is_none_or(|id| !demo.contains(&id)))
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(ReportData {
            tickets,
            messages,
            events,
        })
    }
}
