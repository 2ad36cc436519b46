//! Collisions: another agent answered (or wrote a note on) the ticket, or the
//! customer wrote again, while this one was writing. The console asks before queueing such a reply, the
//! CLI refuses it without `--force`; both name who and when, in the same words:
//! "Olena replied 2 min ago".

use chrono::{DateTime, Utc};

use super::{Direction, Message, MessageId};

/// The newest message added to a thread after a point (a reply, a note, or the
/// customer writing again), with how many.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collision {
    pub author: String,
    /// `Outbound` (a reply), `Note`, or `Inbound` (the customer wrote again: the
    /// reply being written may answer what they no longer need).
    pub direction: Direction,
    pub at: DateTime<Utc>,
    /// Replies and notes added in all.
    pub count: usize,
}

impl Collision {
    /// The messages in `messages` newer than `seen_up_to` (every one when it is
    /// `None`) that `counts`; `None` when there are none.
    pub fn find(
        messages: &[Message],
        seen_up_to: Option<MessageId>,
        counts: impl Fn(&Message) -> bool,
    ) -> Option<Collision> {
        let added: Vec<&Message> = messages
            .iter()
            .filter(|m| seen_up_to.is_none_or(|seen| m.id > seen))
            .filter(|m| counts(m))
            .collect();
        let newest = added.iter().max_by_key(|m| (m.sent_at, m.id))?;
        Some(Collision {
            author: newest.author.clone(),
            direction: newest.direction,
            at: newest.sent_at,
            count: added.len(),
        })
    }

    /// "Olena replied 2 min ago", "Petro added a note just now (and 1 more)".
    pub fn sentence(&self, now: DateTime<Utc>) -> String {
        let who = crate::display::sanitize_line(self.author.trim());
        let who = if who.is_empty() {
            "someone".into()
        } else {
            who
        };
        let did = match self.direction {
            Direction::Note => "added a note",
            Direction::Inbound => "wrote again",
            Direction::Outbound => "replied",
        };
        let more = match self.count {
            0 | 1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        format!("{who} {did} {}{more}", ago(now - self.at))
    }
}

/// "just now", "1 min ago", "3 h ago", "2 days ago".
pub fn ago(d: chrono::Duration) -> String {
    let mins = d.num_minutes();
    match mins {
        i64::MIN..=0 => "just now".into(),
        1..=59 => format!("{mins} min ago"),
        60..=2879 => format!("{} h ago", mins / 60),
        _ => format!("{} days ago", mins / 1440),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(id: MessageId, direction: Direction, author: &str, mins_ago: i64) -> Message {
        Message {
            id,
            direction,
            author: author.into(),
            ticket_id: 1,
            body: String::new(),
            html_body: None,
            sent_at: Utc::now() - chrono::Duration::minutes(mins_ago),
            message_id: None,
            in_reply_to: None,
            references: vec![],
            attachments: vec![],
        }
    }

    #[test]
    fn names_the_newest_reply_or_note_after_the_point_seen() {
        let thread = vec![
            msg(1, Direction::Inbound, "ann@example.com", 30),
            msg(2, Direction::Outbound, "Me", 20),
            msg(3, Direction::Note, "Petro", 5),
            msg(4, Direction::Outbound, "Olena", 2),
            msg(5, Direction::Inbound, "ann@example.com", 1),
        ];
        let c = Collision::find(&thread, Some(2), |m| m.direction != Direction::Inbound).unwrap();
        assert_eq!(c.author, "Olena");
        assert_eq!(c.count, 2);
        assert_eq!(
            c.sentence(Utc::now()),
            "Olena replied 2 min ago (and 1 more)"
        );
        let only_notes = Collision::find(&thread, Some(2), |m| {
            m.author != "Olena" && m.direction != Direction::Inbound
        })
        .unwrap();
        assert_eq!(
            only_notes.sentence(Utc::now()),
            "Petro added a note 5 min ago"
        );
        // The customer writing again while the reply is written counts too.
        let again = Collision::find(&thread, Some(4), |_| true).unwrap();
        assert_eq!(
            again.sentence(Utc::now()),
            "ann@example.com wrote again 1 min ago"
        );
        assert_eq!(Collision::find(&thread, Some(5), |_| true), None);
        assert_eq!(ago(chrono::Duration::seconds(20)), "just now");
        assert_eq!(ago(chrono::Duration::hours(3)), "3 h ago");
        assert_eq!(ago(chrono::Duration::days(3)), "3 days ago");
    }
}
