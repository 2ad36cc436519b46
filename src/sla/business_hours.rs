//! Business-time arithmetic: "8 working hours after Friday 16:00 in Kyiv" and "how
//! many working minutes lay between these two instants". Owns the reading of the
//! `[sla]` calendar settings (zone, hours, days, holidays); knows nothing of tickets.
//!
//! Every working interval is turned into two UTC instants before any subtraction, so
//! durations are real elapsed time: a working day that contains a DST change is an
//! hour shorter or longer, exactly as the clock on the wall says.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use std::collections::BTreeSet;

use crate::config::SlaConfig;

/// How far ahead a deadline is searched for. A calendar with no working time in three
/// years (every day a holiday) has no deadline rather than an endless loop.
const MAX_DAYS_AHEAD: i64 = 3 * 366;

/// A span of time `[start, end)` during which an SLA clock does not run (the ticket
/// waits on the customer). `end == None` means "still paused".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pause {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// A calendar setting that cannot be used, with what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// `timezone` is not an IANA zone name.
    #[error(
        "[sla] timezone '{0}' is not a known time zone; use an IANA name like \"Europe/Kyiv\""
    )]
    TimeZone(String),
    /// `hours` is not `HH:MM-HH:MM` with the end after the start.
    #[error("[sla] hours '{0}' is not like \"09:00-18:00\" (end after start; empty for 24/7)")]
    Hours(String),
    /// `days` names a day outside 1..=7.
    #[error("[sla] days contains {0}; days are 1 (Monday) to 7 (Sunday)")]
    Day(u8),
    /// `days` is empty: there is never working time, so no deadline could be met.
    #[error("[sla] days is empty; list the working days, e.g. [1, 2, 3, 4, 5]")]
    NoWorkingDays,
    /// A holiday that is not a `YYYY-MM-DD` date.
    #[error("[sla] holidays contains '{0}'; write dates as YYYY-MM-DD")]
    Holiday(String),
    /// `[sla.channels.NAME]` with a NAME that is not a channel.
    #[error("[sla.channels.{0}] is not a channel; use email, phone, web, chat or other")]
    Channel(String),
}

/// When the support desk is working, in its own time zone.
#[derive(Debug, Clone, PartialEq)]
pub struct BusinessCalendar {
    tz: Tz,
    /// Opening and closing time; `None` is the whole day. A closing time of `None`
    /// inside `Some` means midnight at the end of the day ("24:00").
    hours: Option<(NaiveTime, Option<NaiveTime>)>,
    /// Working weekdays, Monday first.
    days: [bool; 7],
    holidays: BTreeSet<NaiveDate>,
}

impl BusinessCalendar {
    /// Round the clock, every day, in UTC: the calendar of a 24/7 desk.
    pub fn always() -> Self {
        BusinessCalendar {
            tz: chrono_tz::UTC,
            hours: None,
            days: [true; 7],
            holidays: BTreeSet::new(),
        }
    }

    /// Reads the calendar strictly, for `firstline check` and config validation: the
    /// first bad `[sla]` setting (calendar or channel override) is the error.
    pub fn from_config(config: &SlaConfig) -> Result<Self, CalendarError> {
        if let Some(name) = config
            .channels
            .keys()
            .find(|k| k.parse::<crate::model::Channel>().map(|c| c.as_str()) != Ok(k.as_str()))
        {
            return Err(CalendarError::Channel(name.clone()));
        }
        let tz: Tz = config
            .timezone
            .parse()
            .map_err(|_| CalendarError::TimeZone(config.timezone.clone()))?;
        let hours = parse_hours(&config.hours)?;
        let mut days = [false; 7];
        for &d in &config.days {
            if !(1..=7).contains(&d) {
                return Err(CalendarError::Day(d));
            }
            days[usize::from(d - 1)] = true;
        }
        if !days.iter().any(|d| *d) {
            return Err(CalendarError::NoWorkingDays);
        }
        let holidays = config
            .holidays
            .iter()
            .map(|h| {
                NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d")
                    .map_err(|_| CalendarError::Holiday(h.clone()))
            })
            .collect::<Result<_, _>>()?;
        Ok(BusinessCalendar {
            tz,
            hours,
            days,
            holidays,
        })
    }

    /// Reads the calendar forgivingly, for places that cannot report an error (the
    /// inbox drawing a due time): each bad setting falls back to its 24/7 meaning.
    pub fn lenient(config: &SlaConfig) -> Self {
        let mut days = [false; 7];
        for &d in config.days.iter().filter(|d| (1..=7).contains(*d)) {
            days[usize::from(d - 1)] = true;
        }
        if !days.iter().any(|d| *d) {
            days = [true; 7];
        }
        BusinessCalendar {
            tz: config.timezone.parse().unwrap_or(chrono_tz::UTC),
            hours: parse_hours(&config.hours).unwrap_or(None),
            days,
            holidays: config
                .holidays
                .iter()
                .filter_map(|h| NaiveDate::parse_from_str(h.trim(), "%Y-%m-%d").ok())
                .collect(),
        }
    }

    /// The calendar's time zone.
    pub fn timezone(&self) -> Tz {
        self.tz
    }

    /// The local calendar date of an instant.
    pub fn local_date(&self, t: DateTime<Utc>) -> NaiveDate {
        t.with_timezone(&self.tz).date_naive()
    }

    /// Whether a date is a working day (a working weekday and not a holiday).
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        self.days[date.weekday().num_days_from_monday() as usize] && !self.holidays.contains(&date)
    }

    /// Whether a date counts as a *business* day in a promise ("within 2 business
    /// days"): a working day, and on a desk open all week (no working days set)
    /// Monday to Friday, since that is what a customer reads into the words.
    pub fn is_business_day(&self, date: NaiveDate) -> bool {
        self.is_working_day(date)
            && (self.days != [true; 7] || date.weekday().num_days_from_monday() < 5)
    }

    /// The working interval of one local date, as UTC instants, if it is a working day.
    pub fn working_interval(&self, date: NaiveDate) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if !self.is_working_day(date) {
            return None;
        }
        let next_midnight = date.succ_opt()?.and_time(NaiveTime::MIN);
        let (start, end) = match self.hours {
            None => (date.and_time(NaiveTime::MIN), next_midnight),
            Some((open, None)) => (date.and_time(open), next_midnight),
            Some((open, Some(close))) => (date.and_time(open), date.and_time(close)),
        };
        let (start, end) = (self.to_utc(start), self.to_utc(end));
        (start < end).then_some((start, end))
    }

    /// Whether the desk is working at `t`.
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        self.working_interval(self.local_date(t))
            .is_some_and(|(s, e)| s <= t && t < e)
    }

    /// The instant when `work` of working time has passed after `start`, e.g. a first
    /// response due 4 working hours after the customer wrote. `None` only when the
    /// calendar has no working time at all in the search window.
    pub fn add(&self, start: DateTime<Utc>, work: Duration) -> Option<DateTime<Utc>> {
        self.add_excluding(start, work, &[])
    }

    /// Like [`add`](Self::add), but time inside `pauses` does not count. An open
    /// pause (`end: None`) that begins before the work is done means the clock is
    /// stopped: `None`.
    pub fn add_excluding(
        &self,
        start: DateTime<Utc>,
        work: Duration,
        pauses: &[Pause],
    ) -> Option<DateTime<Utc>> {
        let pauses = normalize(pauses);
        let mut remaining = work.max(Duration::zero());
        let first = self.local_date(start);
        for offset in 0..MAX_DAYS_AHEAD {
            let date = first + Duration::days(offset);
            let Some((open, close)) = self.working_interval(date) else {
                continue;
            };
            let open = open.max(start);
            if open >= close {
                continue;
            }
            for (s, e) in subtract(open, close, &pauses) {
                let len = e - s;
                if remaining <= len {
                    return Some(s + remaining);
                }
                remaining -= len;
            }
            if pauses
                .iter()
                .any(|p| p.end.is_none() && p.start < close.max(start))
            {
                return None;
            }
        }
        None
    }

    /// Working time between two instants (zero when `to` is not after `from`).
    pub fn between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Duration {
        self.between_excluding(from, to, &[])
    }

    /// Working time between two instants, not counting `pauses`.
    pub fn between_excluding(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        pauses: &[Pause],
    ) -> Duration {
        if to <= from {
            return Duration::zero();
        }
        let pauses = normalize(pauses);
        let mut total = Duration::zero();
        let (first, last) = (self.local_date(from), self.local_date(to));
        let mut date = first;
        while date <= last {
            if let Some((open, close)) = self.working_interval(date) {
                let (s, e) = (open.max(from), close.min(to));
                if s < e {
                    total += subtract(s, e, &pauses)
                        .into_iter()
                        .map(|(a, b)| b - a)
                        .sum::<Duration>();
                }
            }
            let Some(next) = date.succ_opt() else { break };
            date = next;
        }
        total
    }

    /// The end of the working day on `date`: closing time, or 18:00 for a desk
    /// without hours (a promise "by Friday" means Friday evening, not midnight).
    pub fn end_of_day(&self, date: NaiveDate) -> DateTime<Utc> {
        let close = match self.hours {
            Some((_, Some(close))) => close,
            _ => NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN),
        };
        self.to_utc(date.and_time(close))
    }

    /// A local wall-clock time as an instant. In a spring-forward gap the time does
    /// not exist; the instant the clocks jump to is used. In an autumn overlap the
    /// earlier of the two instants is used.
    pub fn to_utc(&self, local: NaiveDateTime) -> DateTime<Utc> {
        if let Some(t) = self.tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        // Walk forward out of the gap (gaps are at most a couple of hours).
        let mut probe = local;
        for _ in 0..(4 * 60) {
            probe += Duration::minutes(1);
            if let Some(t) = self.tz.from_local_datetime(&probe).earliest() {
                return t.with_timezone(&Utc);
            }
        }
        Utc.from_utc_datetime(&local)
    }
}

/// Parses "09:00-18:00" (also "9:00 - 18:00", "08:00-24:00"); empty is 24 hours.
fn parse_hours(text: &str) -> Result<Option<(NaiveTime, Option<NaiveTime>)>, CalendarError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let bad = || CalendarError::Hours(text.to_string());
    let (open, close) = text.split_once('-').ok_or_else(bad)?;
    let open = NaiveTime::parse_from_str(open.trim(), "%H:%M").map_err(|_| bad())?;
    let close = match close.trim() {
        "24:00" => None,
        other => Some(NaiveTime::parse_from_str(other, "%H:%M").map_err(|_| bad())?),
    };
    if close.is_some_and(|c| c <= open) {
        return Err(bad());
    }
    if open == NaiveTime::MIN && close.is_none() {
        return Ok(None);
    }
    Ok(Some((open, close)))
}

/// Sorts pauses and merges overlapping ones, so subtraction is one pass.
fn normalize(pauses: &[Pause]) -> Vec<Pause> {
    let mut sorted: Vec<Pause> = pauses
        .iter()
        .copied()
        .filter(|p| p.end.is_none_or(|e| e > p.start))
        .collect();
    sorted.sort_by_key(|p| p.start);
    let mut merged: Vec<Pause> = Vec::with_capacity(sorted.len());
    for p in sorted {
        match merged.last_mut() {
            Some(last) if last.end.is_none_or(|e| e >= p.start) => {
                last.end = match (last.end, p.end) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    _ => None,
                };
            }
            _ => merged.push(p),
        }
    }
    merged
}

/// `[s, e)` with the (sorted, merged) pauses cut out.
fn subtract(
    s: DateTime<Utc>,
    e: DateTime<Utc>,
    pauses: &[Pause],
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut out = Vec::new();
    let mut cursor = s;
    for p in pauses {
        let p_end = p.end.unwrap_or(DateTime::<Utc>::MAX_UTC);
        if p_end <= cursor || p.start >= e {
            continue;
        }
        if p.start > cursor {
            out.push((cursor, p.start));
        }
        cursor = cursor.max(p_end);
        if cursor >= e {
            return out;
        }
    }
    if cursor < e {
        out.push((cursor, e));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    fn office(tz: &str) -> BusinessCalendar {
        BusinessCalendar::from_config(&SlaConfig {
            timezone: tz.into(),
            hours: "09:00-18:00".into(),
            days: vec![1, 2, 3, 4, 5],
            ..SlaConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn twenty_four_seven_adds_plain_time() {
        let cal = BusinessCalendar::lenient(&SlaConfig::default());
        let t = utc(2026, 11, 28, 23, 30);
        assert_eq!(
            cal.add(t, Duration::hours(2)),
            Some(utc(2026, 11, 29, 1, 30))
        );
        assert_eq!(cal.between(t, utc(2026, 11, 29, 1, 30)), Duration::hours(2));
    }

    #[test]
    fn pauses_are_cut_out_and_merged() {
        let cal = BusinessCalendar::always();
        let p = |a, b| Pause {
            start: utc(2026, 1, 1, a, 0),
            end: Some(utc(2026, 1, 1, b, 0)),
        };
        let pauses = [p(2, 4), p(3, 5)];
        assert_eq!(
            cal.add_excluding(utc(2026, 1, 1, 0, 0), Duration::hours(3), &pauses),
            Some(utc(2026, 1, 1, 6, 0))
        );
        assert_eq!(
            cal.between_excluding(utc(2026, 1, 1, 0, 0), utc(2026, 1, 1, 8, 0), &pauses),
            Duration::hours(5)
        );
        let open = [Pause {
            start: utc(2026, 1, 1, 1, 0),
            end: None,
        }];
        assert_eq!(
            cal.add_excluding(utc(2026, 1, 1, 0, 0), Duration::hours(3), &open),
            None,
            "a running pause stops the clock"
        );
    }

    #[test]
    fn rejects_bad_settings_with_the_key_named() {
        let bad = |f: fn(&mut SlaConfig)| {
            let mut c = SlaConfig::default();
            f(&mut c);
            BusinessCalendar::from_config(&c).unwrap_err().to_string()
        };
        assert!(bad(|c| c.timezone = "Mars/Base".into()).contains("timezone"));
        assert!(bad(|c| c.hours = "18:00-09:00".into()).contains("hours"));
        assert!(bad(|c| c.days = vec![0]).contains("days"));
        assert!(bad(|c| c.days = vec![]).contains("days"));
        assert!(bad(|c| c.holidays = vec!["1 May".into()]).contains("holidays"));
        assert!(bad(|c| {
            c.channels.insert("telegram".into(), Default::default());
        })
        .contains("sla.channels.telegram"));
    }

    #[test]
    fn office_hours_in_kyiv_skip_the_night() {
        let cal = office("Europe/Kyiv");
        // Thu 2026-11-26 17:00 Kyiv (15:00 UTC) + 2h → Fri 10:00 Kyiv (08:00 UTC).
        assert_eq!(
            cal.add(utc(2026, 11, 26, 15, 0), Duration::hours(2)),
            Some(utc(2026, 11, 27, 8, 0))
        );
        assert!(cal.is_open(utc(2026, 11, 26, 15, 0)));
        assert!(!cal.is_open(utc(2026, 11, 26, 16, 0)));
    }
}
