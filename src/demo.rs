//! The welcome queue: a handful of realistic tickets in English, Ukrainian and
//! Russian, put into a brand-new database so a newcomer sees real work, not an empty
//! screen. The tickets are data in `assets/demo/queue.toml`, not code.

use chrono::{Duration, Utc};
use serde::Deserialize;

use crate::model::{
    Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status, TicketChange,
};
use crate::store::{Store, StoreError};

const QUEUE: &str = include_str!("../assets/demo/queue.toml");

#[derive(Deserialize)]
struct DemoFile {
    ticket: Vec<DemoTicket>,
}

#[derive(Deserialize)]
struct DemoTicket {
    subject: String,
    channel: Channel,
    priority: Priority,
    status: Status,
    #[serde(default)]
    tags: Vec<String>,
    customer: NewCustomer,
    message: Vec<DemoMessage>,
}

#[derive(Deserialize)]
struct DemoMessage {
    direction: Direction,
    minutes_ago: i64,
    body: String,
    author: Option<String>,
}

/// Adds the welcome queue unless the database already holds tickets. Returns how
/// many tickets were added.
pub fn seed(store: &mut Store) -> Result<usize, StoreError> {
    if store.count_tickets(&Default::default())? > 0 || store.meta("demo_seeded")?.is_some() {
        return Ok(0);
    }
    let file: DemoFile = toml::from_str(QUEUE)
        .map_err(|e| StoreError::Invalid(format!("assets/demo/queue.toml: {e}")))?;
    let now = Utc::now();
    for t in &file.ticket {
        let mut messages = t.message.iter().map(|m| NewMessage {
            direction: m.direction,
            author: m.author.clone().unwrap_or_else(|| match m.direction {
                Direction::Inbound => t.customer.name.clone(),
                _ => "you".into(),
            }),
            body: m.body.clone(),
            sent_at: Some(now - Duration::minutes(m.minutes_ago)),
            ..Default::default()
        });
        let Some(first) = messages.next() else {
            continue;
        };
        let id = store.create_ticket(&NewTicket {
            subject: t.subject.clone(),
            customer: t.customer.clone(),
            channel: t.channel,
            priority: t.priority,
            status: Status::New,
            tags: t.tags.clone(),
            first_message: first,
        })?;
        for m in messages {
            store.add_message(id, &m)?;
        }
        // What the customer said (or, for a call, what was noted of it) tells their
        // language and register, as intake does for real mail.
        let said: Vec<&str> = t
            .message
            .iter()
            .filter(|m| m.direction == Direction::Inbound)
            .map(|m| m.body.as_str())
            .collect();
        let (language, formality) = crate::tone::customer_profile_across(said);
        let customer = store.ticket(id)?.customer_id;
        store.set_customer_profile(customer, language, formality)?;
        let current = store.ticket(id)?.status;
        if current != t.status {
            store.change_ticket(id, &TicketChange::Status(t.status), None)?;
        }
    }
    store.set_meta("demo_seeded", &now.to_rfc3339())?;
    Ok(file.ticket.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{TicketFilter, View};

    #[test]
    fn seeds_once_in_three_languages() {
        let mut store = Store::open_in_memory().unwrap();
        let n = seed(&mut store).unwrap();
        assert!((6..=10).contains(&n), "{n} demo tickets");
        assert_eq!(seed(&mut store).unwrap(), 0, "never twice");
        let all = store
            .list_tickets(&TicketFilter {
                view: Some(View::All),
                ..Default::default()
            })
            .unwrap();
        let text: String = all.iter().map(|t| t.ticket.subject.clone()).collect();
        assert!(text.contains("Charged twice"));
        assert!(text.contains('і'), "Ukrainian ticket present");
        assert!(
            text.contains('ё') || text.contains('ы'),
            "Russian ticket present"
        );
        let needs = store
            .count_tickets(&TicketFilter {
                view: Some(View::NeedsReply),
                ..Default::default()
            })
            .unwrap();
        assert!(needs >= 4, "a real morning has customers waiting: {needs}");
    }
}
