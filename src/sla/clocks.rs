//! The three SLA clocks of a ticket — first response, next response, resolution —
//! computed from the ticket, its audit log and the `[sla]` targets, in business time.
//! Clocks stop while the ticket is pending on the customer. Pure: the caller fetches
//! the events; nothing here reads the store or the wall clock.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use super::business_hours::{BusinessCalendar, Pause};
use crate::config::{PriorityMinutes, SlaConfig};
use crate::model::{Channel, Event, Priority, Status, Ticket};

/// Which promise to the customer a clock measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClockKind {
    FirstResponse,
    NextResponse,
    Resolution,
}

impl ClockKind {
    /// The words a person reads in `check` output and the inbox.
    pub fn label(self) -> &'static str {
        match self {
            ClockKind::FirstResponse => "first response",
            ClockKind::NextResponse => "next response",
            ClockKind::Resolution => "resolution",
        }
    }
}

/// Where one clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ClockState {
    /// Ticking towards `due` (which may already be past: overdue).
    Running { due: DateTime<Utc> },
    /// Stopped while the ticket waits on the customer; `left` is the working time
    /// that remains when it resumes (negative if it was already late).
    Paused { left_minutes: i64 },
    /// Stopped at `at`; `breached` when that was after `due`.
    Stopped {
        at: DateTime<Utc>,
        due: Option<DateTime<Utc>>,
        breached: bool,
    },
    /// Nothing to measure (spam, a ticket marked "no reply needed").
    Off,
}

/// One clock of one ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub kind: ClockKind,
    #[serde(flatten)]
    pub state: ClockState,
}

impl Clock {
    /// The deadline of a running clock.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self.state {
            ClockState::Running { due } => Some(due),
            _ => None,
        }
    }

    /// Whether the clock is running and past its deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.due().is_some_and(|due| due < now)
    }

    /// Whether the clock ended (or still runs) after its deadline: a breach for reports.
    pub fn is_breached(&self, now: DateTime<Utc>) -> bool {
        match self.state {
            ClockState::Running { due } => due < now,
            ClockState::Paused { left_minutes } => left_minutes < 0,
            ClockState::Stopped { breached, .. } => breached,
            ClockState::Off => false,
        }
    }
}

/// The clocks of one ticket. `next_response` exists only while a customer who was
/// already answered once is waiting again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct TicketClocks {
    pub first_response: Clock,
    pub next_response: Option<Clock>,
    pub resolution: Clock,
}

impl TicketClocks {
    /// The running clock with the nearest deadline: what the inbox shows and sorts by.
    pub fn nearest(&self) -> Option<Clock> {
        [
            Some(self.first_response),
            self.next_response,
            Some(self.resolution),
        ]
        .into_iter()
        .flatten()
        .filter(|c| c.due().is_some())
        .min_by_key(|c| c.due())
    }
}

/// How close a deadline is, for colour and for `check`'s exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "urgency", rename_all = "kebab-case")]
pub enum Urgency {
    /// Past due.
    Overdue,
    /// Within a warning mark (`warn_minutes`); the mark is carried for the message.
    Warning { mark_minutes: i64 },
    /// Comfortable.
    Ok,
}

/// Classifies a deadline against the warning marks (real minutes left).
/// The smallest mark that the time left fits in is reported, so "15m" beats "60m".
pub fn urgency(config: &SlaConfig, due: DateTime<Utc>, now: DateTime<Utc>) -> Urgency {
    if due < now {
        return Urgency::Overdue;
    }
    let left = due - now;
    config
        .warn_minutes
        .iter()
        .copied()
        .filter(|m| *m > 0 && left <= Duration::minutes(*m))
        .min()
        .map_or(Urgency::Ok, |mark_minutes| Urgency::Warning {
            mark_minutes,
        })
}

/// "in 42m" or "overdue 1h20m": the inbox's due column, read with [`urgency`] for colour.
pub fn due_text(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    if due < now {
        format!("overdue {}", super::human_duration(now - due))
    } else {
        format!("in {}", super::human_duration(due - now))
    }
}

/// The targets that apply to a ticket, after the channel overrides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Targets {
    pub first_response: Duration,
    pub next_response: Duration,
    pub resolution: Duration,
}

/// Looks up targets for a priority on a channel.
pub fn targets(config: &SlaConfig, priority: Priority, channel: Channel) -> Targets {
    let over = config.channels.get(channel.as_str());
    let pick = |base: &PriorityMinutes, o: Option<&PriorityMinutes>| {
        Duration::minutes(o.unwrap_or(base).get(priority).max(0))
    };
    Targets {
        first_response: pick(
            &config.first_response_minutes,
            over.and_then(|o| o.first_response_minutes.as_ref()),
        ),
        next_response: pick(
            &config.next_response_minutes,
            over.and_then(|o| o.next_response_minutes.as_ref()),
        ),
        resolution: pick(
            &config.resolution_minutes,
            over.and_then(|o| o.resolution_minutes.as_ref()),
        ),
    }
}

/// The spans the clocks stand still, read from the status events: while the ticket
/// was pending on the customer, and while it was solved or closed before a customer
/// reopened it (the time it was done is not time we kept them waiting). A ticket
/// that is pending now has an open last span.
pub fn pending_pauses(ticket: &Ticket, events: &[Event]) -> Vec<Pause> {
    let mut pauses = Vec::new();
    let mut open: Option<DateTime<Utc>> = None;
    let mut status_events: Vec<&Event> = events
        .iter()
        .filter(|e| e.kind == "status" && e.ticket_id.is_none_or(|t| t == ticket.id))
        .collect();
    status_events.sort_by_key(|e| (e.at, e.id));
    for e in status_events {
        let to_pending = e
            .new
            .as_deref()
            .and_then(|n| n.parse::<Status>().ok())
            .is_some_and(|st| st == Status::Pending || st.is_resolved());
        match (open, to_pending) {
            (None, true) => open = Some(e.at),
            (Some(start), false) => {
                pauses.push(Pause {
                    start,
                    end: Some(e.at),
                });
                open = None;
            }
            _ => {}
        }
    }
    if ticket.status == Status::Pending {
        pauses.push(Pause {
            start: open.unwrap_or(ticket.created_at),
            end: None,
        });
    } else if let Some(start) = open {
        // The log says pending but the ticket is not: trust the ticket, end at its
        // last change.
        pauses.push(Pause {
            start,
            end: Some(ticket.updated_at.max(start)),
        });
    }
    pauses
}

/// Computes a ticket's clocks at `now`.
pub fn ticket_clocks(
    config: &SlaConfig,
    calendar: &BusinessCalendar,
    ticket: &Ticket,
    events: &[Event],
    now: DateTime<Utc>,
) -> TicketClocks {
    let targets = targets(config, ticket.priority, ticket.channel);
    let pauses = pending_pauses(ticket, events);
    let paused_now = ticket.status == Status::Pending;
    let measured = ticket.status != Status::Spam;

    let clock = |kind, start: DateTime<Utc>, target: Duration, stop: Option<DateTime<Utc>>| {
        let due = calendar.add_excluding(start, target, &pauses);
        let state = match (stop, paused_now) {
            _ if !measured => ClockState::Off,
            (Some(at), _) => ClockState::Stopped {
                at,
                due,
                breached: due.is_some_and(|d| at > d),
            },
            (None, true) => {
                let used = calendar.between_excluding(start, now, &pauses);
                ClockState::Paused {
                    left_minutes: (target - used).num_minutes(),
                }
            }
            (None, false) => match due {
                Some(due) => ClockState::Running { due },
                None => ClockState::Off,
            },
        };
        Clock { kind, state }
    };

    let first_stop = ticket.first_response_at.or_else(|| {
        // Handled without a reply (no reply needed, closed): the clock is off, not late.
        (ticket.awaiting_reply_since.is_none() || !ticket.status.is_active())
            .then_some(ticket.resolved_at.unwrap_or(ticket.updated_at))
    });
    let mut first_response = clock(
        ClockKind::FirstResponse,
        ticket.created_at,
        targets.first_response,
        first_stop,
    );
    if ticket.first_response_at.is_none() && first_stop.is_some() {
        first_response.state = ClockState::Off;
    }

    let next_response = (ticket.first_response_at.is_some()
        && ticket.needs_reply(now)
        && ticket.awaiting_reply_since.is_some())
    .then(|| {
        let start = next_response_start(ticket);
        clock(ClockKind::NextResponse, start, targets.next_response, None)
    });

    let resolution = clock(
        ClockKind::Resolution,
        ticket.created_at,
        targets.resolution,
        ticket
            .status
            .is_resolved()
            .then(|| ticket.resolved_at.unwrap_or(ticket.updated_at)),
    );

    TicketClocks {
        first_response,
        next_response,
        resolution,
    }
}

/// When the wait for a reply started: the customer's message, or the end of a snooze
/// if the agent snoozed it later (snoozing is a decision to answer then).
pub(crate) fn next_response_start(ticket: &Ticket) -> DateTime<Utc> {
    let since = ticket.awaiting_reply_since.unwrap_or(ticket.created_at);
    match ticket.snoozed_until {
        Some(until) if until > since => until,
        _ => since,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_text_reads_both_ways() {
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(due_text(now + Duration::minutes(42), now), "in 42m");
        assert_eq!(due_text(now - Duration::minutes(80), now), "overdue 1h20m");
    }

    #[test]
    fn urgency_reports_the_tightest_mark() {
        let cfg = SlaConfig::default();
        let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
        assert_eq!(
            urgency(&cfg, now + Duration::minutes(10), now),
            Urgency::Warning { mark_minutes: 15 }
        );
        assert_eq!(
            urgency(&cfg, now + Duration::minutes(40), now),
            Urgency::Warning { mark_minutes: 60 }
        );
        assert_eq!(urgency(&cfg, now + Duration::hours(2), now), Urgency::Ok);
        assert_eq!(
            urgency(&cfg, now - Duration::minutes(1), now),
            Urgency::Overdue
        );
    }
}
