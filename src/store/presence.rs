//! Presence (team mode): which agent's console is on which ticket, so a header can
//! say "Olena is replying" before two people answer one customer twice.
//!
//! Each console keeps one row, keyed by its holder id (`store::holders`), and
//! rewrites it every [`HEARTBEAT_EVERY`] with the ticket it shows and whether its
//! composer is open there. A console that dies without a clean quit leaves its row
//! behind; readers ignore rows whose heartbeat is older than [`STALE_AFTER`] (three
//! heartbeats), and writers sweep rows a day old, so nothing needs a janitor.
//!
//! Presence is not queue data: it never moves the queue's change counter on
//! PostgreSQL (other consoles would reload their lists for a heartbeat), and it is
//! not exported or copied.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Result;
use crate::model::TicketId;

/// How often a console rewrites its row while it runs.
pub const HEARTBEAT_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// How old a heartbeat may be before its console counts as gone (three missed beats).
pub const STALE_AFTER: chrono::Duration = chrono::Duration::seconds(30);

/// How old a row may be before any writer deletes it (a console killed long ago).
pub const SWEEP_AFTER: chrono::Duration = chrono::Duration::days(1);

/// What an agent is doing on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Activity {
    /// The ticket is open in their console.
    Viewing,
    /// Their composer is open on it: a reply or note may be on its way.
    Replying,
}

impl Activity {
    pub fn as_str(self) -> &'static str {
        match self {
            Activity::Viewing => "viewing",
            Activity::Replying => "replying",
        }
    }

    /// The stored word back; anything else (a row from a newer firstline) reads as
    /// viewing, the weaker claim.
    pub fn parse(text: &str) -> Activity {
        match text {
            "replying" => Activity::Replying,
            _ => Activity::Viewing,
        }
    }
}

/// One console's announcement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Presence {
    /// The console's holder id: what tells this console's own row from the others'.
    pub console: String,
    /// `[agent] name` of whoever sits at it.
    pub agent: String,
    pub ticket: TicketId,
    pub activity: Activity,
    pub heartbeat: DateTime<Utc>,
}

/// Presence rows; every backend implements it (see the conformance suite).
pub trait PresenceStore {
    /// Writes (or rewrites) `presence.console`'s row: its ticket, activity and
    /// heartbeat. Also sweeps rows older than [`SWEEP_AFTER`].
    fn announce_presence(&mut self, presence: &Presence) -> Result<()>;

    /// Removes `console`'s row: it left the ticket, or quit cleanly.
    fn withdraw_presence(&mut self, console: &str) -> Result<()>;

    /// Every row with a heartbeat at or after `fresh_since`, by ticket, then agent.
    fn presence(&self, fresh_since: DateTime<Utc>) -> Result<Vec<Presence>>;
}

/// The rows other consoles hold on `ticket`, replying first: what a header shows.
pub fn others_on(rows: &[Presence], ticket: TicketId, me: Option<&str>) -> Vec<Presence> {
    let mut found: Vec<Presence> = rows
        .iter()
        .filter(|p| p.ticket == ticket && Some(p.console.as_str()) != me)
        .cloned()
        .collect();
    found.sort_by_key(|p| (p.activity != Activity::Replying, p.agent.clone()));
    found
}

/// "Olena is replying", "Olena is viewing", "Olena and Petro are viewing": one
/// phrase per activity, replying first; `None` when nobody else is there.
pub fn describe(others: &[Presence]) -> Option<String> {
    let mut phrases = Vec::new();
    for activity in [Activity::Replying, Activity::Viewing] {
        let mut names: Vec<&str> = others
            .iter()
            .filter(|p| p.activity == activity)
            .map(|p| p.agent.as_str())
            .collect();
        names.dedup();
        let verb = if names.len() == 1 { "is" } else { "are" };
        let who = match names.as_slice() {
            [] => continue,
            [one] => one.to_string(),
            [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
        };
        phrases.push(format!("{who} {verb} {}", activity.as_str()));
    }
    (!phrases.is_empty()).then(|| phrases.join("; "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(console: &str, agent: &str, ticket: TicketId, activity: Activity) -> Presence {
        Presence {
            console: console.into(),
            agent: agent.into(),
            ticket,
            activity,
            heartbeat: Utc::now(),
        }
    }

    #[test]
    fn a_header_names_who_replies_before_who_looks_and_leaves_me_out() {
        let rows = vec![
            row("a", "Petro", 1, Activity::Viewing),
            row("b", "Olena", 1, Activity::Replying),
            row("me", "Me", 1, Activity::Replying),
            row("c", "Ivan", 2, Activity::Replying),
            row("d", "Anna", 1, Activity::Viewing),
        ];
        let others = others_on(&rows, 1, Some("me"));
        assert_eq!(
            describe(&others).as_deref(),
            Some("Olena is replying; Anna and Petro are viewing")
        );
        assert_eq!(describe(&others_on(&rows, 3, Some("me"))), None);
        assert_eq!(Activity::parse("replying"), Activity::Replying);
        assert_eq!(Activity::parse("typing"), Activity::Viewing);
    }
}
