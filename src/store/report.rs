//! The rows a report is computed from: every ticket that was created, resolved or
//! still open in a period, with its thread and audit log. One read, no arithmetic:
//! the figures are computed in `report`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{to_ts, Result, Store};
use crate::model::{Event, Message, Ticket};

/// Tickets relevant to a period, with their messages and events.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub tickets: Vec<Ticket>,
    pub messages: Vec<Message>,
    pub events: Vec<Event>,
}

impl Store {
    /// Tickets created or resolved at or after `since`, plus every ticket still open
    /// (the backlog), with all their messages and events.
    pub fn report_data(&self, since: DateTime<Utc>) -> Result<ReportData> {
        let mut stmt = self.conn.prepare(
            "SELECT id FROM tickets
             WHERE created_at >= ?1 OR resolved_at >= ?1
                OR status IN ('new', 'open', 'pending', 'on-hold')
             ORDER BY id",
        )?;
        let ids: Vec<i64> = stmt
            .query_map([to_ts(since)], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let demo = self.demo_ticket_ids()?; // the welcome queue is not the owner's work
                                            // A reply still in the outbox (waiting, failing, only saved as a file) has not
                                            // reached the customer: the report counts what was delivered.
        let outgoing: std::collections::HashSet<i64> = self
            .conn
            .prepare("SELECT message_id FROM outbox WHERE state != 'sent'")?
            .query_map([], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut data = ReportData::default();
        for id in ids.into_iter().filter(|id| !demo.contains(id)) {
            data.tickets.push(self.ticket(id)?);
            data.messages.extend(
                self.messages(id)?
                    .into_iter()
                    .filter(|m| !outgoing.contains(&m.id)),
            );
            data.events.extend(self.events(Some(id))?);
        }
        Ok(data)
    }
}
