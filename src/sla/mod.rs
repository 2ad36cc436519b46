//! Response-time clocks: when a ticket is due, whether it is overdue, and reading
//! the times people type ("tomorrow 9:00", "3h"). Pure functions over model types
//! and the `[sla]` settings; the store never computes a deadline.
//!
//! Files: `business_hours` (working-time arithmetic), `calls` (logged phone calls and
//! the follow-ups their notes promise), `clocks` (the three SLA clocks and warning
//! marks), `ledger` (how each inbound message ended), `phrases` (the one reader of day
//! and time words), `promises` (times
//! promised in sent replies, in en/uk/ru). Site watching is `crate::watch`.

pub mod away;
pub mod business_hours;
pub mod calls;
pub mod clocks;
pub mod counts;
pub mod ledger;
pub mod phrases;
pub mod promises;

pub use business_hours::{BusinessCalendar, CalendarError, Pause};
pub use clocks::{
    due_text, ticket_clocks, urgency, Clock, ClockKind, ClockState, TicketClocks, Urgency,
};
pub use ledger::{ticket_ledger, unanswered, LedgerLine, LedgerState, Unanswered};
pub use promises::{extract_promise, Promise};

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::config::SlaConfig;
use crate::model::Ticket;

/// The settings' time zone, or UTC when it is not a known IANA name.
pub fn timezone(config: &SlaConfig) -> Tz {
    config.timezone.parse().unwrap_or(chrono_tz::UTC)
}

/// One ticket that needs attention, as `firstline check` reports it: a clock past or
/// near its deadline, or a promised follow-up coming due.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Finding {
    pub ticket: crate::model::TicketId,
    pub subject: String,
    pub priority: String,
    /// Which deadline: a clock name or "follow-up".
    pub what: String,
    pub due: DateTime<Utc>,
    #[serde(flatten)]
    pub urgency: Urgency,
    /// A promise phrase, for follow-ups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// An instant as a person reads it: on the desk's clock (`sla.timezone`, the zone the
/// console shows), `2026-12-03 15:49`. Every printed time goes through here so the CLI,
/// the console and the report never disagree; JSON keeps RFC 3339 UTC instead.
pub fn local_time(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// [`local_time`] with the zone named, `2026-12-03 15:49 (Europe/Kyiv)`, for a time
/// read on its own (a snooze, a send time) where nothing else says which clock it is.
pub fn local_time_named(tz: Tz, t: DateTime<Utc>) -> String {
    format!("{} ({})", local_time(tz, t), tz.name())
}

/// [`local_time`] to the second with the zone's name, `2026-11-26 12:00:05
/// Europe/Kyiv`, for lines printed outside the console (a site watch's notes, a
/// follow-up's time) that are read later or mailed by cron.
pub fn local_time_seconds(tz: Tz, t: DateTime<Utc>) -> String {
    format!(
        "{} {}",
        t.with_timezone(&tz).format("%Y-%m-%d %H:%M:%S"),
        tz.name()
    )
}

/// The desk-local calendar date of an instant, for headers that show a day.
pub fn local_date(tz: Tz, t: DateTime<Utc>) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d").to_string()
}

/// When the waiting customer must have an answer by, if anyone is waiting: the
/// first-response target for a ticket never answered, else the next-response target,
/// counted in business time from the customer's message (or from the end of a later
/// snooze). Cheap enough to call per inbox row; bad calendar settings fall back to
/// 24/7 here (`firstline check` reports them).
pub fn reply_due(config: &SlaConfig, ticket: &Ticket) -> Option<DateTime<Utc>> {
    ticket.awaiting_reply_since?;
    let targets = clocks::targets(config, ticket.priority, ticket.channel);
    let target = if ticket.first_response_at.is_none() {
        targets.first_response
    } else {
        targets.next_response
    };
    BusinessCalendar::lenient(config).add(clocks::next_response_start(ticket), target)
}

/// First-response targets in `Priority::ALL` order, for the store's due sort.
pub fn reply_targets_minutes(config: &SlaConfig) -> [i64; 4] {
    let m = &config.first_response_minutes;
    [m.low, m.normal, m.high, m.urgent]
}

/// Whether a live ticket's waiting customer is past the response target.
pub fn first_response_overdue(config: &SlaConfig, ticket: &Ticket, now: DateTime<Utc>) -> bool {
    ticket.needs_reply(now) && reply_due(config, ticket).is_some_and(|due| due < now)
}

/// "3d 4h", "25m", "just now": an age a person reads at a glance.
pub fn human_duration(d: Duration) -> String {
    let mins = d.num_minutes().abs();
    let text = if mins < 1 {
        "<1m".to_string()
    } else if mins < 60 {
        format!("{mins}m")
    } else if mins < 24 * 60 {
        let (h, m) = (mins / 60, mins % 60);
        if m == 0 {
            format!("{h}h")
        } else {
            format!("{h}h{m:02}m")
        }
    } else if mins >= 365 * 24 * 60 {
        format!("{}y", mins / (365 * 24 * 60))
    } else if mins >= 14 * 24 * 60 {
        format!("{}d", mins / (24 * 60))
    } else {
        let (days, h) = (mins / (24 * 60), (mins / 60) % 24);
        if h == 0 {
            format!("{days}d")
        } else {
            format!("{days}d{h}h")
        }
    };
    if d < Duration::zero() {
        format!("-{text}")
    } else {
        text
    }
}

/// Reads a snooze time in the user's time zone: a span (`30m`, `3h`, `2d`, `1w`), a
/// date and time (`2026-12-01T09:00`), or a day — `today`, `tomorrow`, `завтра`, a
/// weekday (`mon`, `friday`, `пʼятниця`, "в пятницу", "on Friday"), a date
/// (`2026-12-01`, `16.12`, "16 грудня", "December 16") — and a time of day (`14:00`,
/// `noon`, `5pm`, `обід`) joined the way people write them ("завтра о 10:00",
/// "tomorrow at 9", "by 18:00 today", "сегодня в 18:00"), a span in words (`in 2
/// hours`, `через годину`), `next week`, or a time alone (`15:00`: today, or tomorrow
/// once it has passed). Days, times and the words joining them are read by
/// [`phrases::when`], the same reader promises and call notes use. A day without a
/// time means the start of the working day (09:00). A time already past is `None`
/// ([`unreadable_time`] says so).
pub fn parse_snooze(text: &str, now: DateTime<Utc>, config: &SlaConfig) -> Option<DateTime<Utc>> {
    read_time(text, now, config).filter(|at| *at > now)
}

/// [`parse_snooze`] without refusing the past: the moment `text` names, counted from
/// `now`.
fn read_time(text: &str, now: DateTime<Utc>, config: &SlaConfig) -> Option<DateTime<Utc>> {
    let tz = timezone(config);
    let text = text.trim().to_lowercase();
    let words: Vec<&str> = text.split_whitespace().collect();
    if let [only] = words.as_slice() {
        if let Some(span) = parse_span(only) {
            return Some(now + span);
        }
        if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(only, "%Y-%m-%dt%H:%M") {
            return Some(tz.from_local_datetime(&dt).earliest()?.with_timezone(&Utc));
        }
    }
    if let Some(span) = phrases::span(&text) {
        return Some(now + span);
    }
    let today = now.with_timezone(&tz).date_naive();
    let local = |day: NaiveDate, time: NaiveTime| {
        tz.from_local_datetime(&day.and_time(time))
            .earliest()
            .map(|at| at.with_timezone(&Utc))
    };
    match phrases::when(&text)? {
        (Some(day), time) => local(
            day.date_from(today),
            time.or_else(|| NaiveTime::from_hms_opt(9, 0, 0))?,
        ),
        // A time alone ("15:00", "5pm", "noon") is the next time the clock shows it.
        // A bare number ("3") is not read as 03:00: it is more likely a half-typed
        // span.
        (None, Some(time)) => {
            let bare_number = text.bytes().all(|b| b.is_ascii_digit());
            if bare_number {
                return None;
            }
            let at = local(today, time)?;
            if at > now {
                Some(at)
            } else {
                local(today + Duration::days(1), time)
            }
        }
        (None, None) => None,
    }
}

/// Why [`parse_snooze`] gave nothing for `text`, as one line: a time it reads but that
/// has already passed says so (the user typed a real date, "try 2026-12-01" would be
/// no help); anything else is unreadable, with `examples` of what works.
pub fn unreadable_time(
    text: &str,
    now: DateTime<Utc>,
    config: &SlaConfig,
    examples: &str,
) -> String {
    let shown = crate::display::sanitize_line(text.trim());
    match read_time(text, now, config) {
        Some(at) if at <= now => format!(
            "'{shown}' is in the past ({}); pick a later time",
            local_time(timezone(config), at)
        ),
        _ => format!("cannot read '{shown}' as a time; try {examples}"),
    }
}

fn parse_span(word: &str) -> Option<Duration> {
    let split = word.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = word.split_at(split);
    let n: i64 = num.parse().ok()?;
    Some(match unit {
        "m" | "min" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn a_past_snooze_time_is_named_past_not_unreadable() {
        let cfg = SlaConfig::default();
        let now = at(2026, 12, 3, 14, 0);
        let past = unreadable_time("2026-12-01", now, &cfg, "3h");
        assert!(past.contains("in the past"), "{past}");
        let today = unreadable_time("today 9:00", now, &cfg, "3h");
        assert!(today.contains("in the past"), "{today}");
        let junk = unreadable_time("someday", now, &cfg, "3h");
        assert_eq!(junk, "cannot read 'someday' as a time; try 3h");
    }

    #[test]
    fn reads_snooze_times_a_new_user_typed() {
        // Found by the new-user trial: each of these was refused.
        let cfg = SlaConfig::default();
        let now = at(2026, 11, 26, 15, 30); // a Thursday
        assert_eq!(
            parse_snooze("17:00", now, &cfg),
            Some(at(2026, 11, 26, 17, 0))
        );
        assert_eq!(
            parse_snooze("15:00", now, &cfg),
            Some(at(2026, 11, 27, 15, 0))
        );
        assert_eq!(
            parse_snooze("5pm", now, &cfg),
            Some(at(2026, 11, 26, 17, 0))
        );
        assert_eq!(
            parse_snooze("noon", now, &cfg),
            Some(at(2026, 11, 27, 12, 0))
        );
        assert_eq!(
            parse_snooze("in 2 hours", now, &cfg),
            Some(now + Duration::hours(2))
        );
        assert_eq!(
            parse_snooze("через годину", now, &cfg),
            Some(now + Duration::hours(1))
        );
        assert_eq!(
            parse_snooze("next week", now, &cfg),
            Some(at(2026, 11, 30, 9, 0))
        );
        assert_eq!(
            parse_snooze("next week 10:00", now, &cfg),
            Some(at(2026, 11, 30, 10, 0))
        );
        assert_eq!(parse_snooze("3", now, &cfg), None);
    }

    #[test]
    fn reads_snooze_times() {
        let cfg = SlaConfig::default();
        let now = at(2026, 11, 26, 15, 30); // a Thursday
        assert_eq!(
            parse_snooze("tomorrow", now, &cfg),
            Some(at(2026, 11, 27, 9, 0))
        );
        assert_eq!(
            parse_snooze("tomorrow 14:15", now, &cfg),
            Some(at(2026, 11, 27, 14, 15))
        );
        assert_eq!(
            parse_snooze("3h", now, &cfg),
            Some(now + Duration::hours(3))
        );
        assert_eq!(
            parse_snooze("monday", now, &cfg),
            Some(at(2026, 11, 30, 9, 0))
        );
        assert_eq!(
            parse_snooze("thursday", now, &cfg),
            Some(at(2026, 12, 3, 9, 0))
        );
        assert_eq!(
            parse_snooze("2026-12-01", now, &cfg),
            Some(at(2026, 12, 1, 9, 0))
        );
        assert_eq!(
            parse_snooze("2026-12-01T18:00", now, &cfg),
            Some(at(2026, 12, 1, 18, 0))
        );
        assert_eq!(
            parse_snooze("2020-01-01", now, &cfg),
            None,
            "the past is refused"
        );
        assert_eq!(parse_snooze("someday", now, &cfg), None);
    }

    #[test]
    fn snooze_uses_the_configured_time_zone() {
        let cfg = SlaConfig {
            timezone: "Europe/Kyiv".into(),
            ..SlaConfig::default()
        };
        let now = at(2026, 11, 26, 15, 30);
        // 09:00 in Kyiv (UTC+2 in winter) is 07:00 UTC.
        assert_eq!(
            parse_snooze("tomorrow", now, &cfg),
            Some(at(2026, 11, 27, 7, 0))
        );
    }

    #[test]
    fn human_durations() {
        assert_eq!(human_duration(Duration::seconds(20)), "<1m");
        assert_eq!(human_duration(Duration::minutes(25)), "25m");
        assert_eq!(human_duration(Duration::minutes(125)), "2h05m");
        assert_eq!(human_duration(Duration::hours(50)), "2d2h");
        assert_eq!(
            human_duration(Duration::days(40) + Duration::hours(5)),
            "40d"
        );
        assert_eq!(human_duration(-Duration::days(12302)), "-33y");
        assert_eq!(human_duration(Duration::minutes(-90)), "-1h30m");
    }
}
