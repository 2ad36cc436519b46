//! Assignment in a team's queue: how a change of assignee reads in a ticket's
//! history. The store records it as an `assignee` event (old name, new name, actor);
//! this is the sentence `show` and the console print for it.

use super::Event;

/// The audit event kind a change of assignee is recorded under.
pub const ASSIGNEE_EVENT: &str = "assignee";

impl Event {
    /// "assigned to Olena by Petro", "unassigned by Petro (was Olena)"; `None` when
    /// the event is not a change of assignee.
    pub fn assignment_phrase(&self) -> Option<String> {
        if self.kind != ASSIGNEE_EVENT {
            return None;
        }
        Some(match (&self.old, &self.new) {
            (_, Some(to)) => format!("assigned to {to} by {}", self.actor),
            (Some(was), None) => format!("unassigned by {} (was {was})", self.actor),
            (None, None) => format!("unassigned by {}", self.actor),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn event(kind: &str, old: Option<&str>, new: Option<&str>) -> Event {
        Event {
            id: 1,
            ticket_id: Some(1),
            at: Utc::now(),
            actor: "Petro".into(),
            kind: kind.into(),
            old: old.map(str::to_string),
            new: new.map(str::to_string),
        }
    }

    #[test]
    fn an_assignment_reads_as_who_gave_it_to_whom() {
        let given = event(ASSIGNEE_EVENT, None, Some("Olena"));
        assert_eq!(
            given.assignment_phrase().as_deref(),
            Some("assigned to Olena by Petro")
        );
        let taken_back = event(ASSIGNEE_EVENT, Some("Olena"), None);
        assert_eq!(
            taken_back.assignment_phrase().as_deref(),
            Some("unassigned by Petro (was Olena)")
        );
        assert_eq!(
            event("status", None, Some("open")).assignment_phrase(),
            None
        );
    }
}
