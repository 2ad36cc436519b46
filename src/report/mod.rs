//! The owner's report: how fast and how well the first line worked over a period.
//! Pure computation over model rows (fetched by `Store::report_data`) plus three
//! renderings: plain text, JSON (the `Report` struct as is) and one self-contained
//! HTML file with inline SVG charts to send to an owner. Nothing here reads the
//! store, the clock or the terminal.
//!
//! Definitions (the figures are only useful if everyone reads them the same way):
//! - *period* is `[since, until)`; a ticket "of the period" was created in it.
//! - *first-response time*: first reply minus ticket creation, for tickets of the
//!   period that got a reply; wall-clock and business time are both given.
//! - *resolved*: solved or closed in the period after at least one reply. A ticket
//!   solved or closed with no reply at all (bulk-closed old mail, a "thanks!") is
//!   *closed without reply*: counted apart, never in resolution times or first contact,
//!   because nobody resolved anything for that customer.
//! - *resolution time*: resolved minus created, for tickets resolved in the period.
//! - *first-contact resolution*: of the tickets resolved in the period, the share
//!   solved with exactly one reply and never escalated; the seed's target is 90%.
//! - *escalation rate*: tickets of the period ever escalated / tickets of the period.
//! - *SLA breaches*: tickets of the period whose first-response or resolution clock
//!   ended (or still runs) past its deadline, evaluated at `until`.
//! - *backlog*: tickets still new/open/pending/on-hold at `until`, by age.
//! - *busiest hours*: inbound messages of the period by local weekday and hour.
//! - median: the middle value (mean of the two middle ones for an even count);
//!   p90: nearest rank (the smallest value at or above 90% of the sorted values).

pub mod html;
pub mod redact;
pub mod text;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use crate::config::SlaConfig;
use crate::model::{Direction, Event, Message, Status, Ticket, TicketId};
use crate::sla::{ticket_clocks, BusinessCalendar};
use crate::store::ReportData;

/// Weekday labels, Monday first, as the heatmap rows.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Backlog age buckets: (label, upper bound in hours; `None` = no bound).
const AGE_BUCKETS: [(&str, Option<i64>); 5] = [
    ("<1d", Some(24)),
    ("1-3d", Some(72)),
    ("3-7d", Some(168)),
    ("7-30d", Some(720)),
    (">30d", None),
];

/// Every figure of the report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub timezone: String,
    pub totals: Totals,
    /// One entry per local day of the period, zeros included.
    pub volume: Vec<DayVolume>,
    pub first_response: TimeStats,
    pub resolution: TimeStats,
    pub first_contact: FirstContact,
    pub escalation: Share,
    pub breaches: Breaches,
    pub backlog_by_age: Vec<Count>,
    pub by_channel: Vec<Count>,
    pub by_tag: Vec<Count>,
    /// `heatmap[weekday][hour]`: inbound messages, Monday first, local hours.
    pub heatmap: Vec<Vec<usize>>,
    /// The three busiest (weekday, hour) cells, busiest first.
    pub busiest_hours: Vec<BusyHour>,
}

impl Report {
    /// The zone the report was computed in (its `timezone` name, UTC if unknown), for
    /// rendering its times on the same clock as its day buckets.
    pub fn zone(&self) -> chrono_tz::Tz {
        self.timezone.parse().unwrap_or(chrono_tz::UTC)
    }
}

/// Counts over the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Totals {
    pub tickets_created: usize,
    pub tickets_resolved: usize,
    /// Solved or closed in the period without a single reply (not in `tickets_resolved`).
    pub closed_without_reply: usize,
    pub inbound_messages: usize,
    pub replies_sent: usize,
    pub backlog: usize,
}

/// One day of the volume chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayVolume {
    pub date: NaiveDate,
    pub created: usize,
    pub inbound: usize,
    pub replies: usize,
}

/// Distribution of a duration, in minutes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TimeStats {
    pub count: usize,
    pub median_minutes: Option<f64>,
    pub p90_minutes: Option<f64>,
    pub business_median_minutes: Option<f64>,
    pub business_p90_minutes: Option<f64>,
}

/// First-contact resolution against the target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct FirstContact {
    pub resolved: usize,
    pub first_contact: usize,
    /// Percent, `None` when nothing was resolved.
    pub rate_percent: Option<f64>,
    pub target_percent: f64,
    pub meets_target: Option<bool>,
}

/// A part of a whole, as a percentage.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Share {
    pub count: usize,
    pub of: usize,
    pub percent: Option<f64>,
}

/// SLA breaches among the tickets of the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breaches {
    pub first_response: usize,
    pub resolution: usize,
    /// Tickets with any breach, ascending.
    pub tickets: Vec<TicketId>,
}

/// A labelled count (channel, tag, age bucket).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub label: String,
    pub count: usize,
}

/// A busy hour of the week.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BusyHour {
    pub weekday: String,
    pub hour: u32,
    pub messages: usize,
}

/// Computes the report for `[since, until)` from the rows the store returned.
pub fn compute(
    data: &ReportData,
    config: &SlaConfig,
    since: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Report {
    let calendar = BusinessCalendar::lenient(config);
    let tz = calendar.timezone();
    let in_period = |t: DateTime<Utc>| since <= t && t < until;

    let mut messages_of: HashMap<TicketId, Vec<&Message>> = HashMap::new();
    for m in &data.messages {
        messages_of.entry(m.ticket_id).or_default().push(m);
    }
    let mut events_of: HashMap<TicketId, Vec<Event>> = HashMap::new();
    for e in &data.events {
        if let Some(id) = e.ticket_id {
            events_of.entry(id).or_default().push(e.clone());
        }
    }
    let no_events = Vec::new();
    let spam: std::collections::HashSet<TicketId> = data
        .tickets
        .iter()
        .filter(|t| t.status == Status::Spam)
        .map(|t| t.id)
        .collect();

    let created: Vec<&Ticket> = data
        .tickets
        .iter()
        .filter(|t| in_period(t.created_at) && t.status != Status::Spam)
        .collect();
    let replies_of = |t: &Ticket| {
        messages_of.get(&t.id).map_or(0, |ms| {
            ms.iter()
                .filter(|m| m.direction == Direction::Outbound)
                .count()
        })
    };
    let (resolved, closed_without_reply): (Vec<&Ticket>, Vec<&Ticket>) = data
        .tickets
        .iter()
        .filter(|t| t.status.is_resolved() && t.resolved_at.is_some_and(in_period))
        .partition(|t| replies_of(t) > 0);

    // Volume per local day.
    let mut volume: BTreeMap<NaiveDate, DayVolume> = BTreeMap::new();
    let (first_day, last_day) = (
        calendar.local_date(since),
        calendar.local_date(until - Duration::seconds(1)),
    );
    let mut day = first_day;
    while day <= last_day {
        volume.insert(
            day,
            DayVolume {
                date: day,
                created: 0,
                inbound: 0,
                replies: 0,
            },
        );
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    for t in &created {
        if let Some(v) = volume.get_mut(&calendar.local_date(t.created_at)) {
            v.created += 1;
        }
    }
    let mut heatmap = vec![vec![0usize; 24]; 7];
    let (mut inbound, mut replies) = (0, 0);
    for m in data
        .messages
        .iter()
        .filter(|m| in_period(m.sent_at) && !spam.contains(&m.ticket_id))
    {
        let v = volume.get_mut(&calendar.local_date(m.sent_at));
        match m.direction {
            Direction::Inbound => {
                inbound += 1;
                if let Some(v) = v {
                    v.inbound += 1;
                }
                let local = m.sent_at.with_timezone(&tz);
                heatmap[local.weekday().num_days_from_monday() as usize][local.hour() as usize] +=
                    1;
            }
            Direction::Outbound => {
                replies += 1;
                if let Some(v) = v {
                    v.replies += 1;
                }
            }
            Direction::Note => {}
        }
    }

    // Response and resolution times.
    let pauses = |t: &Ticket| {
        crate::sla::clocks::pending_pauses(t, events_of.get(&t.id).unwrap_or(&no_events))
    };
    let first_response = time_stats(created.iter().filter_map(|t| {
        let at = t.first_response_at?;
        Some((
            at - t.created_at,
            calendar.between_excluding(t.created_at, at, &pauses(t)),
        ))
    }));
    let resolution = time_stats(resolved.iter().filter_map(|t| {
        let at = t.resolved_at?;
        Some((
            at - t.created_at,
            calendar.between_excluding(t.created_at, at, &pauses(t)),
        ))
    }));

    // First-contact resolution and escalations.
    let was_escalated = |t: &Ticket| {
        t.escalation.is_some()
            || events_of
                .get(&t.id)
                .is_some_and(|ev| ev.iter().any(|e| e.kind == "escalated"))
    };
    let fcr = resolved
        .iter()
        .filter(|t| replies_of(t) == 1 && !was_escalated(t))
        .count();
    let target = f64::from(config.first_contact_target_percent);
    let fcr_rate = percent(fcr, resolved.len());
    let first_contact = FirstContact {
        resolved: resolved.len(),
        first_contact: fcr,
        rate_percent: fcr_rate,
        target_percent: target,
        meets_target: fcr_rate.map(|r| r >= target),
    };
    let escalated = created.iter().filter(|t| was_escalated(t)).count();

    // SLA breaches, judged at the end of the period.
    let (mut fr_breach, mut res_breach, mut breached) = (0, 0, Vec::new());
    for t in &created {
        let clocks = ticket_clocks(
            config,
            &calendar,
            t,
            events_of.get(&t.id).unwrap_or(&no_events),
            until,
        );
        let fr = clocks.first_response.is_breached(until);
        let res = clocks.resolution.is_breached(until);
        fr_breach += usize::from(fr);
        res_breach += usize::from(res);
        if fr || res {
            breached.push(t.id);
        }
    }
    breached.sort_unstable();

    // Backlog by age at the end of the period.
    let backlog: Vec<&Ticket> = data
        .tickets
        .iter()
        .filter(|t| t.status.is_unresolved() && t.created_at < until)
        .collect();
    let backlog_by_age = AGE_BUCKETS
        .iter()
        .enumerate()
        .map(|(i, (label, upper))| {
            let lower = if i == 0 { None } else { AGE_BUCKETS[i - 1].1 };
            let count = backlog
                .iter()
                .filter(|t| {
                    let hours = (until - t.created_at).num_hours();
                    lower.is_none_or(|l| hours >= l) && upper.is_none_or(|u| hours < u)
                })
                .count();
            Count {
                label: (*label).to_string(),
                count,
            }
        })
        .collect();

    let by_channel = counts(created.iter().map(|t| t.channel.as_str().to_string()));
    let by_tag = counts(created.iter().flat_map(|t| t.tags.iter().cloned()));

    let mut cells: Vec<BusyHour> = heatmap
        .iter()
        .enumerate()
        .flat_map(|(d, row)| {
            row.iter().enumerate().map(move |(h, n)| BusyHour {
                weekday: WEEKDAYS[d].to_string(),
                hour: h as u32,
                messages: *n,
            })
        })
        .filter(|c| c.messages > 0)
        .collect();
    cells.sort_by_key(|c| std::cmp::Reverse(c.messages));
    cells.truncate(3);

    Report {
        since,
        until,
        timezone: tz.name().to_string(),
        totals: Totals {
            tickets_created: created.len(),
            tickets_resolved: resolved.len(),
            closed_without_reply: closed_without_reply.len(),
            inbound_messages: inbound,
            replies_sent: replies,
            backlog: backlog.len(),
        },
        volume: volume.into_values().collect(),
        first_response,
        resolution,
        first_contact,
        escalation: Share {
            count: escalated,
            of: created.len(),
            percent: percent(escalated, created.len()),
        },
        breaches: Breaches {
            first_response: fr_breach,
            resolution: res_breach,
            tickets: breached,
        },
        backlog_by_age,
        by_channel,
        by_tag,
        heatmap,
        busiest_hours: cells,
    }
}

/// Reads `--since`: a span back from `now` (`30d`, `2w`, `12h`) or a local date
/// (`2026-11-01`, from its midnight in the report's zone), with the same reader as
/// search's `after:`.
pub fn parse_since(text: &str, now: DateTime<Utc>, config: &SlaConfig) -> Option<DateTime<Utc>> {
    crate::store::parse_when(text, now, crate::sla::timezone(config))
}

fn percent(part: usize, whole: usize) -> Option<f64> {
    (whole > 0).then(|| round1(part as f64 * 100.0 / whole as f64))
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn time_stats(samples: impl Iterator<Item = (Duration, Duration)>) -> TimeStats {
    let (mut wall, mut business): (Vec<f64>, Vec<f64>) = samples
        .map(|(w, b)| (w.num_seconds() as f64 / 60.0, b.num_seconds() as f64 / 60.0))
        .unzip();
    TimeStats {
        count: wall.len(),
        median_minutes: median(&mut wall),
        p90_minutes: p90(&mut wall),
        business_median_minutes: median(&mut business),
        business_p90_minutes: p90(&mut business),
    }
}

/// The middle value; the mean of the two middle ones for an even count.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(round1(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }))
}

/// Nearest-rank 90th percentile: the value at rank ⌈0.9·n⌉.
pub fn p90(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let rank = (values.len() * 9).div_ceil(10).max(1);
    Some(round1(values[rank - 1]))
}

fn counts(labels: impl Iterator<Item = String>) -> Vec<Count> {
    let mut map: BTreeMap<String, usize> = BTreeMap::new();
    for l in labels {
        *map.entry(l).or_default() += 1;
    }
    let mut out: Vec<Count> = map
        .into_iter()
        .map(|(label, count)| Count { label, count })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    out
}

/// Minutes as a person reads them ("1h30m"), or "—" when there is no value.
pub fn minutes_text(m: Option<f64>) -> String {
    m.map_or_else(
        || "—".to_string(),
        |m| crate::sla::human_duration(Duration::seconds((m * 60.0).round() as i64)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p90_follow_the_documented_rules() {
        assert_eq!(median(&mut [30.0, 10.0, 20.0, 40.0]), Some(25.0));
        assert_eq!(median(&mut [5.0, 1.0, 3.0]), Some(3.0));
        let mut ten: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(p90(&mut ten), Some(9.0));
        assert_eq!(p90(&mut [7.0]), Some(7.0));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn since_reads_spans_and_dates() {
        let now = DateTime::parse_from_rfc3339("2026-11-26T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let cfg = SlaConfig::default();
        assert_eq!(
            parse_since("30d", now, &cfg),
            Some(now - Duration::days(30))
        );
        assert_eq!(parse_since("2w", now, &cfg), Some(now - Duration::weeks(2)));
        assert_eq!(
            parse_since("2026-11-01", now, &cfg).map(|t| t.to_rfc3339()),
            Some("2026-11-01T00:00:00+00:00".into())
        );
        assert_eq!(parse_since("soon", now, &cfg), None);
    }
}
