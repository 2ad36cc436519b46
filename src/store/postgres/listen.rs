//! Live updates on PostgreSQL: a connection that `LISTEN`s on the queue's one
//! channel. Schema 3's trigger sends `queue` on it with every committed write (the
//! queue's change counter moved); presence sends `presence`. The console holds one
//! [`PgListener`] on a thread of its own (`tui::listener`) and turns what it hears
//! into a reload or a fresh look at who is where, within a second of the commit.

use std::time::Duration;

use postgres::fallible_iterator::FallibleIterator;
use postgres::{Client, NoTls};

use super::{parse_url, unreachable_error, Server};
use crate::store::{Result, StoreError};

/// The channel every firstline on one database notifies and listens on.
pub const CHANNEL: &str = "firstline_changes";

/// What a notification says changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Change {
    /// Queue data: a ticket, a message, the outbox, anything the counter counts.
    Queue,
    /// Who is on which ticket.
    Presence,
}

impl Change {
    /// The payload a notification carries; an unknown one reads as queue data, so
    /// a newer firstline's notification still makes this one look again.
    pub fn parse(payload: &str) -> Change {
        match payload {
            "presence" => Change::Presence,
            _ => Change::Queue,
        }
    }
}

/// One listening connection.
pub struct PgListener {
    client: Client,
    server: Server,
}

impl PgListener {
    /// Connects to the queue `url` names and starts listening.
    pub fn connect(url: &str) -> Result<PgListener> {
        let config = parse_url(url)?;
        let server = Server::of(&config);
        let mut client = config
            .connect(NoTls)
            .map_err(|e| unreachable_error(&server, &e))?;
        client
            .batch_execute(&format!("LISTEN {CHANNEL}"))
            .map_err(|e| unreachable_error(&server, &e))?;
        Ok(PgListener { client, server })
    }

    /// Waits up to `timeout` for notifications and returns what they said, each
    /// kind once (a burst of commits is one reload); empty when none came. A
    /// connection the server dropped is [`StoreError::Unreachable`]: connect again.
    pub fn wait(&mut self, timeout: Duration) -> Result<Vec<Change>> {
        let mut heard = Vec::new();
        {
            let mut notes = self.client.notifications();
            let first = notes
                .timeout_iter(timeout)
                .next()
                .map_err(|e| unreachable_error(&self.server, &e))?;
            if let Some(n) = first {
                heard.push(Change::parse(n.payload()));
                let mut rest = notes.iter();
                while let Some(n) = rest
                    .next()
                    .map_err(|e| unreachable_error(&self.server, &e))?
                {
                    heard.push(Change::parse(n.payload()));
                }
            }
        }
        if heard.is_empty() && self.client.is_closed() {
            return Err(StoreError::Unreachable {
                server: format!("PostgreSQL at {}", self.server),
                detail: "the listening connection was closed".into(),
            });
        }
        heard.sort();
        heard.dedup();
        Ok(heard)
    }
}
