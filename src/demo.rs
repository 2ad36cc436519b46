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

/// Adds the welcome queue unless the database already holds tickets (or had it
/// once). Returns how many tickets were added. They are recorded as demo tickets:
/// reports leave them out and [`remove`] takes them out.
pub fn seed(store: &mut Store) -> Result<usize, StoreError> {
    if store.count_tickets(&Default::default())? > 0 || store.meta("demo_seeded")?.is_some() {
        return Ok(0);
    }
    let file: DemoFile = toml::from_str(QUEUE)
        .map_err(|e| StoreError::Invalid(format!("assets/demo/queue.toml: {e}")))?;
    let now = Utc::now();
    let mut added = Vec::new();
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
        added.push(id);
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
    store.mark_demo(&added)?;
    store.set_meta("demo_seeded", &now.to_rfc3339())?;
    Ok(added.len())
}

/// Takes the welcome queue out again (tickets, their threads and customers);
/// returns how many tickets went. The starter canned replies stay: they are the
/// user's library, not demo data.
pub fn remove(store: &mut Store) -> Result<usize, StoreError> {
    store.remove_demo()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{TicketFilter, View};

    /// Issue #15, second trial: the welcome queue said "It's Friday" on a Thursday.
    /// Its messages are placed relative to now, so none may name a weekday.
    #[test]
    fn issue15_14_the_welcome_queue_names_no_weekday() {
        let days = [
            "monday",
            "tuesday",
            "wednesday",
            "thursday",
            "friday",
            "saturday",
            "sunday",
            "понеділ",
            "вівтор",
            "серед",
            "четвер",
            "п'ятниц",
            "субот",
            "неділ",
            "понедельник",
            "вторник",
            "сред",
            "пятниц",
            "суббот",
            "воскресень",
        ];
        let text = QUEUE.to_lowercase();
        for day in days {
            assert!(!text.contains(day), "the welcome queue names {day}");
        }
    }

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

    #[test]
    fn demo_tickets_stay_out_of_reports_and_remove_takes_them_out() {
        let mut store = Store::open_in_memory().unwrap();
        let n = seed(&mut store).unwrap();
        assert_eq!(store.demo_ticket_ids().unwrap().len(), n);
        let since = Utc::now() - Duration::days(30);
        assert!(store.report_data(since).unwrap().tickets.is_empty());
        assert_eq!(remove(&mut store).unwrap(), n);
        assert_eq!(store.count_tickets(&Default::default()).unwrap(), 0);
        assert!(store.demo_ticket_ids().unwrap().is_empty());
        assert_eq!(seed(&mut store).unwrap(), 0, "removed means removed");
    }

    #[test]
    fn remove_keeps_a_welcome_ticket_that_real_mail_was_merged_into() {
        let mut store = Store::open_in_memory().unwrap();
        let n = seed(&mut store).unwrap();
        let demo = store.demo_ticket_ids().unwrap();
        let real = store
            .create_ticket(&NewTicket {
                subject: "A real question".into(),
                customer: NewCustomer {
                    name: "Real Person".into(),
                    email: Some("real@example.org".into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Real Person".into(),
                    body: "Is my order on its way?".into(),
                    ..Default::default()
                },
            })
            .unwrap();
        store.merge_tickets(real, demo[0]).unwrap();
        assert_eq!(remove(&mut store).unwrap(), n - 1);
        assert_eq!(store.demo_ticket_ids().unwrap(), vec![demo[0]]);
        let kept = store.ticket_detail(demo[0]).unwrap();
        assert!(kept
            .messages
            .iter()
            .any(|m| m.body.contains("order on its way")));
    }
}
