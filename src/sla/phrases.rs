//! The one reader of time words people write, in English, Ukrainian and Russian:
//! day words ("tomorrow", "завтра", "п'ятниці", "пятница"), times of day ("noon",
//! "полдень", "обід", "12:00", "12.00", "5pm", "15") and how a day and a time compose
//! into one moment. Snooze, hand-set follow-ups and promises read through these, so
//! "завтра 12:00" means the same moment wherever it is typed or written. Pure
//! functions over words and dates; no regexes over whole texts (that is the callers'
//! business), no I/O.

use chrono::{Datelike, Duration, NaiveDate, NaiveTime, Weekday};

/// A day named relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayRef {
    /// `n` days after today ("today" 0, "tomorrow" 1, "післязавтра" 2).
    Ahead(i64),
    /// The next such weekday, never today ("by Friday" said on a Friday is a week).
    Next(Weekday),
    /// The Monday that starts next week ("next week", "наступного тижня").
    NextWeek,
    /// A calendar date ("16.12", "16 грудня", "December 16", "2026-12-16"); without
    /// a year, the next time that date comes (today included).
    Date {
        year: Option<i32>,
        month: u32,
        day: u32,
    },
}

impl DayRef {
    /// Whether this is a calendar date already gone: a date with a past year, or a date
    /// without one that fell within the last half year ("23 November" said on 7
    /// December). Such a date in a reply tells what happened; read as "the next time it
    /// comes" it would be a promise a year out. Further back than half a year, a date
    /// without a year means the coming one ("by 5 January" said in December).
    pub fn is_recent_past(self, today: NaiveDate) -> bool {
        let DayRef::Date { year, month, day } = self else {
            return false;
        };
        match year {
            Some(y) => NaiveDate::from_ymd_opt(y, month, day).is_some_and(|d| d < today),
            None => NaiveDate::from_ymd_opt(today.year(), month, day)
                .is_some_and(|d| d < today && today - d <= Duration::days(183)),
        }
    }

    /// The calendar date this day falls on, counted from `today`.
    pub fn date_from(self, today: NaiveDate) -> NaiveDate {
        match self {
            DayRef::Ahead(n) => today + Duration::days(n),
            DayRef::Next(wd) => {
                let ahead = (7 + i64::from(wd.num_days_from_monday())
                    - i64::from(today.weekday().num_days_from_monday())
                    - 1)
                    % 7
                    + 1;
                today + Duration::days(ahead)
            }
            DayRef::NextWeek => {
                today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()))
            }
            DayRef::Date { year, month, day } => match year {
                Some(y) => NaiveDate::from_ymd_opt(y, month, day).unwrap_or(today),
                // 29 February waits for a leap year; a year of years is plenty.
                None => (0..8)
                    .filter_map(|ahead| NaiveDate::from_ymd_opt(today.year() + ahead, month, day))
                    .find(|d| *d >= today)
                    .unwrap_or(today),
            },
        }
    }
}

/// Words that join a day and a time or stand before either: "tomorrow **at** 9",
/// "**by** 18:00 today", "**on** Friday", "завтра **о** 10", "**у** пʼятницю",
/// "сьогодні **до** 18:00", "сегодня **в** 18:00", "**к** 15:00". Snooze and promises
/// read the same list.
pub const CONNECTORS: &[&str] = &[
    "at", "by", "on", "before", "until", "till", "о", "об", "в", "во", "у", "на", "до", "к", "ко",
];

/// Multi-word connectors ("no later than", "не пізніше").
const LONG_CONNECTORS: &[&str] = &[
    "no later than",
    "not later than",
    "не пізніше",
    "не пізніш",
    "не позднее",
    "не позже",
];

/// Whether the text between a day and a time joins them into one moment: nothing,
/// a comma, or one connector ("tomorrow by noon", "завтра, до 12:00", "Friday at
/// 3pm", "noon on Friday").
pub fn joins(gap: &str) -> bool {
    let gap = normalize(gap.trim_matches(|c: char| c.is_whitespace() || c == ','));
    gap.is_empty() || CONNECTORS.contains(&gap.as_str()) || LONG_CONNECTORS.contains(&gap.as_str())
}

/// `words` without one leading connector ("в пятницу" → "пятницу").
fn strip_connector<'a>(words: &'a [&'a str]) -> &'a [&'a str] {
    for long in LONG_CONNECTORS {
        let n = long.split(' ').count();
        if words.len() > n && words[..n].join(" ") == *long {
            return &words[n..];
        }
    }
    match words {
        [first, rest @ ..] if !rest.is_empty() && CONNECTORS.contains(first) => rest,
        _ => words,
    }
}

/// A day, a time of day, or both, as a person types them for "when": "tomorrow",
/// "завтра о 10:00", "tomorrow at 9", "by 18:00 today", "сьогодні до 18:00",
/// "сегодня в 18:00", "в пятницу", "у пʼятницю о 10", "on Friday at 3pm", "16.12 о
/// 10:00", "December 16". Either order, joined by nothing, a comma or one of
/// [`CONNECTORS`], and a connector may stand before the whole. `None` unless every
/// word is read.
pub fn when(text: &str) -> Option<(Option<DayRef>, Option<NaiveTime>)> {
    let t = normalize(&text.replace(',', " "));
    let t = t.trim_end_matches(['.', '!']);
    let words: Vec<&str> = t.split(' ').filter(|w| !w.is_empty()).collect();
    // "на следующей неделе" is a day as it stands; "в пятницу" once "в" is gone.
    if let Some(d) = day(&words.join(" ")) {
        return Some((Some(d), None));
    }
    let words = strip_connector(&words);
    if words.is_empty() {
        return None;
    }
    let whole = words.join(" ");
    if let Some(d) = day(&whole) {
        return Some((Some(d), None));
    }
    if let Some(time) = time_of_day(&whole) {
        return Some((None, Some(time)));
    }
    (1..words.len()).find_map(|split| {
        let (left, right) = words.split_at(split);
        let left = left.join(" ");
        let right = strip_connector(right).join(" ");
        match (day(&left), time_of_day(&right)) {
            (Some(d), Some(time)) => Some((Some(d), Some(time))),
            _ => Some((Some(day(&right)?), Some(time_of_day(&left)?))),
        }
    })
}

/// Reads a calendar date: `2026-12-16`, `16.12`, `16.12.2026`, `16/12`, `16/12/26`,
/// "16 грудня", "16 декабря", "16 December", "December 16th", "Dec 16, 2026". Day
/// before month in numbers, as Ukraine and Russia (and most of Europe) write them. A
/// dotted pair that is a time ("15.30") is never a valid date, since minutes 00, 15,
/// 30, 45 are not months.
pub fn date(text: &str) -> Option<DayRef> {
    let t = normalize(text);
    let t = t.trim_end_matches(['.', ',']);
    if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
        return Some(DayRef::Date {
            year: Some(d.year()),
            month: d.month(),
            day: d.day(),
        });
    }
    let words: Vec<&str> = t
        .split([' ', ','])
        .filter(|w| !w.is_empty() && !["of", "року", "года"].contains(w))
        .collect();
    let (day_n, month, year) = match words.as_slice() {
        [numeric] => {
            let parts: Vec<&str> = numeric.split(['.', '/']).collect();
            let sep_ok = !(numeric.contains('.') && numeric.contains('/'));
            match (sep_ok, parts.as_slice()) {
                (true, [d, m]) => (digits(d)?, digits(m)?, None),
                (true, [d, m, y]) => (digits(d)?, digits(m)?, Some(year_of(y)?)),
                _ => return None,
            }
        }
        [a, b] | [a, b, _] => {
            let (d, m) = match (ordinal(a), month_name(b)) {
                (Some(d), Some(m)) => (d, m),
                _ => (ordinal(b)?, month_name(a)?),
            };
            let year = match words.get(2) {
                Some(y) => Some(year_of(y.trim_end_matches(['р', 'г', '.']))?),
                None => None,
            };
            (d, m, year)
        }
        _ => return None,
    };
    // Validate against a leap year when the year is not given (29 February).
    NaiveDate::from_ymd_opt(year.unwrap_or(2028), month, day_n)?;
    Some(DayRef::Date {
        year,
        month,
        day: day_n,
    })
}

/// A two- or four-digit year ("26", "2026").
fn year_of(text: &str) -> Option<i32> {
    let y: i32 = (text.bytes().all(|b| b.is_ascii_digit()) && matches!(text.len(), 2 | 4))
        .then(|| text.parse().ok())
        .flatten()?;
    Some(if y < 100 { 2000 + y } else { y })
}

/// A day of the month, with an English ordinal ending or not ("16", "16th", "1st").
fn ordinal(text: &str) -> Option<u32> {
    let t = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|s| text.strip_suffix(s))
        .unwrap_or(text);
    digits(t)
}

/// A month's name in English (full or short) or in the genitive a Ukrainian or
/// Russian date uses ("грудня", "декабря").
pub fn month_name(text: &str) -> Option<u32> {
    let t = text.trim_end_matches('.');
    const MONTHS: [&[&str]; 12] = [
        &["january", "jan", "січня", "января"],
        &["february", "feb", "лютого", "февраля"],
        &["march", "mar", "березня", "марта"],
        &["april", "apr", "квітня", "апреля"],
        &["may", "травня", "мая"],
        &["june", "jun", "червня", "июня"],
        &["july", "jul", "липня", "июля"],
        &["august", "aug", "серпня", "августа"],
        &["september", "sep", "sept", "вересня", "сентября"],
        &["october", "oct", "жовтня", "октября"],
        &["november", "nov", "листопада", "ноября"],
        &["december", "dec", "грудня", "декабря"],
    ];
    MONTHS
        .iter()
        .position(|names| names.contains(&t))
        .map(|i| i as u32 + 1)
}

/// Reads a day word or phrase ("tomorrow", "day after tomorrow", "завтра",
/// "послезавтра", "fri", "п'ятниця", "пятницы").
pub fn day(text: &str) -> Option<DayRef> {
    let t = normalize(text);
    let t = t.strip_prefix("the ").unwrap_or(&t);
    if let Some(d) = date(t) {
        return Some(d);
    }
    Some(match t {
        "today" | "сьогодні" | "сегодня" => DayRef::Ahead(0),
        "tomorrow" | "завтра" => DayRef::Ahead(1),
        "day after tomorrow" | "післязавтра" | "послезавтра" => {
            DayRef::Ahead(2)
        }
        "next week"
        | "наступного тижня"
        | "на наступному тижні"
        | "наступний тиждень"
        | "на следующей неделе"
        | "следующая неделя"
        | "на следующую неделю" => DayRef::NextWeek,
        other => {
            let other = other.strip_prefix("next ").unwrap_or(other);
            DayRef::Next(weekday(other)?)
        }
    })
}

/// Reads a weekday name in any of the three languages and the cases a deadline uses
/// (nominative, genitive after "до", accusative after "у/в").
pub fn weekday(text: &str) -> Option<Weekday> {
    let w = normalize(text);
    Some(match w.as_str() {
        "mon"
        | "monday"
        | "понеділок"
        | "понеділка"
        | "понедельник"
        | "понедельника"
        | "понедельнику" => Weekday::Mon,
        "tue" | "tuesday" | "вівторок" | "вівторка" | "вторник" | "вторника" | "вторнику" => {
            Weekday::Tue
        }
        "wed" | "wednesday" | "середа" | "середи" | "середу" | "среда" | "среды" | "среду"
        | "среде" => Weekday::Wed,
        "thu" | "thursday" | "четвер" | "четверга" | "четверг" | "четвергу" => {
            Weekday::Thu
        }
        "fri" | "friday" | "пятниця" | "пятниці" | "пятницю" | "пятница" | "пятницы"
        | "пятницу" | "пятнице" => Weekday::Fri,
        "sat" | "saturday" | "субота" | "суботи" | "суботу" | "суббота" | "субботы" | "субботу"
        | "субботе" => Weekday::Sat,
        "sun"
        | "sunday"
        | "неділя"
        | "неділі"
        | "неділю"
        | "воскресенье"
        | "воскресенья"
        | "воскресенью" => Weekday::Sun,
        _ => return None,
    })
}

/// Reads a time of day: a named one ("noon", "midday", "полдень", "полудня",
/// "опівдні", "обід", "обіду", "обеда" — lunch is read as 12:00, the earlier reading,
/// so a follow-up is never late), a clock time ("12:00", "9:30am", "5 pm", "12.00"),
/// or a bare hour ("15", as in "до 15"). A dotted time is only read with minutes
/// 00/15/30/45, because "15.12" is far more often a date than 15:12.
pub fn time_of_day(text: &str) -> Option<NaiveTime> {
    let t = normalize(text);
    let t = t.strip_prefix("12 ").unwrap_or(&t);
    match t {
        "noon" | "midday" | "полдень" | "полудня" | "полудню" | "опівдні" | "полудні" | "обід"
        | "обіду" | "обіда" | "обед" | "обеда" | "обеду" => {
            return NaiveTime::from_hms_opt(12, 0, 0)
        }
        "midnight" | "північ" | "півночі" | "полночь" | "полуночи" => {
            return NaiveTime::from_hms_opt(23, 59, 0)
        }
        _ => {}
    }
    let (clock, meridiem) = match t.strip_suffix("am").or_else(|| t.strip_suffix("a.m.")) {
        Some(rest) => (rest.trim_end(), Some(false)),
        None => match t.strip_suffix("pm").or_else(|| t.strip_suffix("p.m.")) {
            Some(rest) => (rest.trim_end(), Some(true)),
            None => (t, None),
        },
    };
    let (hour, minute) = match clock.split_once([':', '.']) {
        Some((h, m)) => {
            let minute: u32 = digits(m)?;
            if clock.contains('.') && ![0, 15, 30, 45].contains(&minute) {
                return None;
            }
            (digits(h)?, minute)
        }
        None => (digits(clock)?, 0),
    };
    let hour = match meridiem {
        Some(_) if !(1..=12).contains(&hour) => return None,
        Some(true) if hour < 12 => hour + 12,
        Some(false) if hour == 12 => 0,
        _ => hour,
    };
    NaiveTime::from_hms_opt(hour, minute, 0)
}

/// Reads a span written out in words: "in 2 hours", "2 hours", "in an hour",
/// "half an hour", "через 2 години", "через годину", "через 30 минут", "через
/// неделю". A count above a year of the unit is not a span anyone means.
pub fn span(text: &str) -> Option<Duration> {
    let t = normalize(text);
    let t = ["in ", "через ", "за "]
        .iter()
        .find_map(|p| t.strip_prefix(p))
        .unwrap_or(&t);
    if matches!(t, "half an hour" | "півгодини" | "пів години" | "полчаса")
    {
        return Some(Duration::minutes(30));
    }
    let words: Vec<&str> = t.split(' ').collect();
    let (count, unit) = match words.as_slice() {
        [unit] => (1, *unit),
        [n, unit] => (
            match *n {
                "a" | "an" | "one" | "одну" | "один" | "одна" => 1,
                n => n.parse::<i64>().ok().filter(|n| (1..=366).contains(n))?,
            },
            *unit,
        ),
        _ => return None,
    };
    let per = match unit {
        "min" | "mins" | "minute" | "minutes" | "хвилину" | "хвилини" | "хвилин" | "минуту"
        | "минуты" | "минут" => Duration::minutes(1),
        "hour" | "hours" | "годину" | "години" | "годин" | "час" | "часа" | "часов" => {
            Duration::hours(1)
        }
        "day" | "days" | "день" | "дні" | "днів" | "дня" | "дней" => {
            Duration::days(1)
        }
        "week" | "weeks" | "тиждень" | "тижні" | "тижнів" | "неделю" | "недели" | "недель" => {
            Duration::weeks(1)
        }
        _ => return None,
    };
    Some(per * count as i32)
}

/// One or two ASCII digits, nothing else.
fn digits(text: &str) -> Option<u32> {
    (!text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Lowercase, single spaces, and no apostrophe (Ukrainian writes "п'ятниця" with
/// any of three).
fn normalize(text: &str) -> String {
    text.to_lowercase()
        .replace(['\'', '’', 'ʼ'], "")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> Option<NaiveTime> {
        NaiveTime::from_hms_opt(h, m, 0)
    }

    #[test]
    fn reads_times_of_day_in_three_languages() {
        for (text, want) in [
            ("noon", hm(12, 0)),
            ("12 noon", hm(12, 0)),
            ("midday", hm(12, 0)),
            ("полудня", hm(12, 0)),
            ("обіду", hm(12, 0)),
            ("12:00", hm(12, 0)),
            ("12.00", hm(12, 0)),
            ("15", hm(15, 0)),
            ("5pm", hm(17, 0)),
            ("9:30 am", hm(9, 30)),
            ("12am", hm(0, 0)),
            ("15.12", None),
            ("25:00", None),
            ("13pm", None),
            ("soon", None),
        ] {
            assert_eq!(time_of_day(text), want, "{text}");
        }
    }

    #[test]
    fn reads_spans_in_words_in_three_languages() {
        for (text, want) in [
            ("in 2 hours", Some(Duration::hours(2))),
            ("2 hours", Some(Duration::hours(2))),
            ("in an hour", Some(Duration::hours(1))),
            ("in 30 minutes", Some(Duration::minutes(30))),
            ("half an hour", Some(Duration::minutes(30))),
            ("in 3 days", Some(Duration::days(3))),
            ("in a week", Some(Duration::weeks(1))),
            ("через 2 години", Some(Duration::hours(2))),
            ("через годину", Some(Duration::hours(1))),
            ("через 5 днів", Some(Duration::days(5))),
            ("через тиждень", Some(Duration::weeks(1))),
            ("через 3 часа", Some(Duration::hours(3))),
            ("через час", Some(Duration::hours(1))),
            ("через 30 минут", Some(Duration::minutes(30))),
            ("через неделю", Some(Duration::weeks(1))),
            ("in 0 hours", None),
            ("in many hours", None),
            ("soon", None),
        ] {
            assert_eq!(span(text), want, "{text}");
        }
    }

    #[test]
    fn next_week_is_the_coming_monday() {
        let thursday = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
        for text in ["next week", "наступного тижня", "на следующей неделе"]
        {
            assert_eq!(day(text).unwrap().date_from(thursday), monday, "{text}");
        }
        assert_eq!(
            day("next week").unwrap().date_from(monday),
            monday + Duration::days(7)
        );
        assert_eq!(day("next friday"), Some(DayRef::Next(Weekday::Fri)));
    }

    #[test]
    fn next_weekday_is_never_today() {
        let thursday = NaiveDate::from_ymd_opt(2026, 11, 26).unwrap();
        assert_eq!(
            day("четверга").unwrap().date_from(thursday),
            thursday + Duration::days(7)
        );
        assert_eq!(
            day("пʼятниці").unwrap().date_from(thursday),
            thursday + Duration::days(1)
        );
        assert_eq!(day("the day after tomorrow"), Some(DayRef::Ahead(2)));
    }
}
