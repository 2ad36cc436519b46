//! Promises in sent replies ("tomorrow", "by Friday", "за годину", "в течение дня")
//! and what they oblige us to do: a follow-up due when the promise falls due, a ready
//! "still working on it" reply, and a reminder to tell the customer once it is solved.
//! The seed's "show initiative" rule, made mechanical. Pure text and time functions.
//!
//! Only forms that clearly point forward are read: "today" alone ("we received it
//! today") is not a promise, "later today" is; and a time phrase is a promise only in
//! a sentence that commits to something ahead ("I'll", "we will", "напишу",
//! "повернемо", "ответим", "you will get"): "воно діє 24 години" and "оформлено
//! сьогодні до 12:00" describe, they do not promise. A day and a time of day written
//! together ("tomorrow by noon", "завтра до 12:00", "к 15:00 в пятницу") compose into
//! one moment; day and time words are read by `super::phrases`, the reader snooze
//! uses too. Quoted text is the customer's words and
//! is skipped: `>` lines, "On … wrote:" / "… написал:" lines, and everything below an
//! "Original Message" separator or an Outlook "From:/Sent:" block.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc};
use regex::Regex;
use serde::Serialize;
use std::ops::Range;
use std::sync::LazyLock;

use super::business_hours::BusinessCalendar;
use super::phrases::{self, DayRef};
use crate::config::SlaConfig;
use crate::model::{Direction, Formality, Language, Message, Ticket};

/// A time the reply committed us to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Promise {
    /// When the promise falls due; a day-level promise falls due at the end of that
    /// working day (closing time, or 18:00 for a desk without hours).
    pub due: DateTime<Utc>,
    /// The words that made the promise, as written.
    pub phrase: String,
    /// Byte range of `phrase` in the reply text, for highlighting in the composer.
    pub span: Range<usize>,
}

/// How a matched phrase turns into a deadline.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// End of the working day `n` days after sending.
    DaysAhead(i64),
    /// End of the next such weekday (never today).
    Weekday,
    /// A span after sending, amount and unit in captures 1 and 2.
    Within,
    /// A fixed span after sending.
    Fixed(i64),
    /// End of the last working day of this week.
    EndOfWeek,
    /// End of the last working day of next week.
    NextWeek,
    /// A time of day in capture 1 ("by noon", "до 12:00", "к полудню"): on the day
    /// written beside it, else today (or tomorrow if already past).
    TimeOfDay,
    /// A time written straight after its day with no preposition, in capture 1
    /// ("by Monday 10:00", "до понеділка 10:00"). Its span is the time alone, so the
    /// day's own phrase still matches and the two compose into one moment.
    TimeAfterDay,
    /// A calendar date in capture 1 ("до 16.12", "by December 16", "16 грудня"): due
    /// at the end of that day unless a time is written beside it.
    Date,
    /// A bare hour after "до"/"к"/"о" in capture 1 ("до 15"), read only when no
    /// unit or month follows it ("до 15 листопада" is a date, "до 15%" a number).
    BareHour,
}

/// What one matched phrase says, before a day and a time beside it are composed.
#[derive(Debug, Clone, Copy)]
enum Piece {
    /// A day: due at its end unless a time of day is written beside it.
    Day(NaiveDate),
    /// A time of day: on the day beside it, else the next such time.
    Time(NaiveTime),
    /// A moment already fixed (a span after sending, the end of a week).
    Due(DateTime<Utc>),
}

const EN_DAYS: &str = "monday|tuesday|wednesday|thursday|friday|saturday|sunday";
const UK_DAYS_GEN: &str = "понеділка|вівторка|середи|четверга|п['’ʼ]?ятниці|суботи|неділі";
const RU_DAYS_GEN: &str = "понедельника|вторника|среды|четверга|пятницы|субботы|воскресенья";
const UK_DAYS_ACC: &str = "понеділок|вівторок|середу|четвер|п['’ʼ]?ятницю|суботу|неділю";
const RU_DAYS_ACC: &str = "понедельник|вторник|среду|четверг|пятницу|субботу|воскресенье";
/// A date in numbers (`16.12`, `16.12.2026`, `16/12`, `2026-12-16`) or with a month's
/// name in any of the three languages ("16 грудня", "16 декабря", "December 16th",
/// "16 of December, 2026"); `phrases::date` reads what this finds.
const DATE: &str = r"\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}(?:[./](?:\d{4}|\d{2}))?|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:MONTHS)(?:,?\s+\d{4})?|(?:MONTHS)\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?";
const MONTHS: &str = "january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec|січня|лютого|березня|квітня|травня|червня|липня|серпня|вересня|жовтня|листопада|грудня|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|октября|ноября|декабря";
const EN_NUM: &str = r"an?|one|two|three|four|five|six|ten|fifteen|twenty|thirty|forty[- ]five|a couple of|a few|\d{1,3}";
const UK_NUM: &str = r"одну|один|дві|два|три|чотири|п['’ʼ]?ять|десять|п['’ʼ]?ятнадцять|двадцять|тридцять|пару|кілька|\d{1,3}";
const RU_NUM: &str =
    r"одну|один|два|две|три|четыре|пять|десять|пятнадцать|двадцать|тридцать|пару|несколько|\d{1,3}";

static RULES: LazyLock<Vec<(Regex, Rule)>> = LazyLock::new(|| {
    let r = |pattern: &str, rule| Regex::new(&format!("(?i){pattern}")).map(|re| (re, rule));
    let date = DATE.replace("MONTHS", MONTHS);
    let rules = [
        // Dates, in all three languages: after a preposition ("до 16.12", "by
        // 16/12", "on December 16", "к 16 декабря"), or a named month on its own in a
        // committing sentence ("надішлю 16 грудня").
        r(
            &format!(
                r"\b(?:by|before|until|till|on|no later than|not later than|до|на|к|не пізніше|не позднее)\s+(?:the\s+)?({date})\b"
            ),
            Rule::Date,
        ),
        r(
            &format!(
                r"\b(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})(?:,?\s+\d{{4}})?|(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?)\b"
            ),
            Rule::Date,
        ),
        // English.
        r(r"\b(?:the )?day after tomorrow\b", Rule::DaysAhead(2)),
        r(r"\btomorrow\b", Rule::DaysAhead(1)),
        r(
            r"\b(?:later today|by tonight|(?:by|before) (?:the )?end of (?:the |to)?day|by eod|by (?:the )?close of business|by cob)\b",
            Rule::DaysAhead(0),
        ),
        r(
            &format!(
                r"\b(?:by|before|until|till|no later than)\s+(?:this\s+|next\s+)?({EN_DAYS})\b"
            ),
            Rule::Weekday,
        ),
        r(&format!(r"\bon\s+({EN_DAYS})\b"), Rule::Weekday),
        r(
            &format!(
                r"\b(?:within|in|in about|in the next)\s+({EN_NUM})\s+(minutes?|mins?|hours?|hrs?|days?|business days?|working days?)\b"
            ),
            Rule::Within,
        ),
        r(r"\b(?:within|in)\s+half an hour\b", Rule::Fixed(30)),
        r(
            r"\b(?:by|before) (?:the )?end of (?:the|this) week\b",
            Rule::EndOfWeek,
        ),
        r(r"\bnext week\b", Rule::NextWeek),
        r(
            r"\b(?:by|before|until|till|at|around|no later than)\s+((?:12\s+)?(?:noon|midday)|\d{1,2}(?::\d{2})?\s*(?:am|pm)|\d{1,2}:\d{2})\b",
            Rule::TimeOfDay,
        ),
        r(r"\b((?:12\s+)?(?:noon|midday))\b", Rule::TimeOfDay),
        // A time written straight after its day, no "at": "by Monday 10:00",
        // "tomorrow, 4pm".
        r(
            &format!(
                r"\b(?:{EN_DAYS}|tomorrow|today)\s*,?\s+(\d{{1,2}}(?::\d{{2}})?\s*(?:am|pm)|\d{{1,2}}:\d{{2}})\b"
            ),
            Rule::TimeAfterDay,
        ),
        // Ukrainian.
        r(r"\bпіслязавтра\b", Rule::DaysAhead(2)),
        r(r"\bзавтра\b", Rule::DaysAhead(1)),
        r(
            r"\b(?:ще сьогодні|сьогодні ж|до кінця (?:робочого )?дня|протягом (?:робочого )?дня|впродовж дня|до вечора)\b",
            Rule::DaysAhead(0),
        ),
        r(
            &format!(r"\bдо\s+(?:цієї\s+|наступної\s+)?({UK_DAYS_GEN})\b"),
            Rule::Weekday,
        ),
        r(&format!(r"\b(?:у|в)\s+({UK_DAYS_ACC})\b"), Rule::Weekday),
        r(
            &format!(
                r"\b(?:за|протягом|впродовж|через)\s+({UK_NUM})\s+(хвилин[уи]?|годин[уи]?|(?:робоч(?:их|і)\s+)?дн[іяів]+|доби)\b"
            ),
            Rule::Within,
        ),
        r(
            r"\b(?:за|протягом|впродовж|через)\s+(годину|години|хвилину|хвилини|півгодини|добу|доби)\b",
            Rule::Within,
        ),
        r(r"\bдо кінця (?:цього )?тижня\b", Rule::EndOfWeek),
        r(
            r"\bнаступного тижня\b|\bна наступному тижні\b",
            Rule::NextWeek,
        ),
        r(
            r"\b(?:до|о|об|не пізніше)\s+(\d{1,2}[:.]\d{2}|обіду|полудня)\b",
            Rule::TimeOfDay,
        ),
        r(r"\b(опівдні)\b", Rule::TimeOfDay),
        r(
            &format!(
                r"\b(?:{UK_DAYS_GEN}|{UK_DAYS_ACC}|завтра|післязавтра|сьогодні)\s*,?\s+(\d{{1,2}}[:.]\d{{2}})\b"
            ),
            Rule::TimeAfterDay,
        ),
        r(
            r"\b(?:до|о|к)\s+(\d{1,2})(?:\s+(?:години|год|часов|часа|ч))?\b",
            Rule::BareHour,
        ),
        // Russian.
        r(r"\bпослезавтра\b", Rule::DaysAhead(2)),
        r(
            r"\b(?:ещё сегодня|еще сегодня|сегодня же|до конца (?:рабочего )?дня|в течение (?:рабочего )?дня|до вечера)\b",
            Rule::DaysAhead(0),
        ),
        r(
            &format!(r"\bдо\s+(?:этой\s+|следующей\s+)?({RU_DAYS_GEN})\b"),
            Rule::Weekday,
        ),
        r(&format!(r"\bво?\s+({RU_DAYS_ACC})\b"), Rule::Weekday),
        r(
            &format!(
                r"\b(?:за|в течение|через|в пределах)\s+({RU_NUM})\s+(минут[уы]?|час[аов]*|(?:рабоч(?:их|ие|его)\s+)?дн[яей]+|суток)\b"
            ),
            Rule::Within,
        ),
        r(
            r"\b(?:за|в течение|через|в пределах)\s+(час|часа|минуту|полчаса|сутки|суток)\b",
            Rule::Within,
        ),
        r(r"\bдо конца (?:этой )?недели\b", Rule::EndOfWeek),
        r(r"\bна следующей неделе\b", Rule::NextWeek),
        r(
            r"\b(?:до|к|в|не позднее)\s+(\d{1,2}[:.]\d{2}|полудня|полудню|обеда|обеду)\b",
            Rule::TimeOfDay,
        ),
        r(
            &format!(
                r"\b(?:{RU_DAYS_GEN}|{RU_DAYS_ACC}|завтра|послезавтра|сегодня)\s*,?\s+(\d{{1,2}}[:.]\d{{2}})\b"
            ),
            Rule::TimeAfterDay,
        ),
    ];
    rules.into_iter().filter_map(Result::ok).collect()
});

/// Separators after which everything is the quoted original (Outlook, AOL, Yahoo,
/// Comcast put the original below without `>` marks).
static QUOTE_CUT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?im)^\s*(?:-{2,}\s*(?:original message|исходное сообщение|оригінальне повідомлення)\s*-{2,}|_{10,}|(?:from|від|от):[^\n]*\n\s*(?:sent|date|to|надіслано|отправлено|дата|кому):)",
    )
    .ok()
});

/// Attribution lines ("On Mon, Ann wrote:", "… написал:"): the quote under them is
/// `>`-marked, and the reply may continue below it (bottom posting).
static ATTRIBUTION: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)(?:\bwrote|пише|написав|написала|писав|писала|пишет|написал|писал):\s*$").ok()
});

/// The lines of a reply that are the sender's own words, with their byte offsets:
/// no `>` quotes, no attribution lines, nothing after an "Original Message" block.
pub fn own_lines(text: &str) -> Vec<(usize, &str)> {
    let end = QUOTE_CUT
        .as_ref()
        .and_then(|re| re.find(text))
        .map_or(text.len(), |m| m.start());
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text[..end].split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let quoted = line.trim_start().starts_with('>')
            || ATTRIBUTION
                .as_ref()
                .is_some_and(|re| re.is_match(line.trim_end()));
        if !quoted {
            out.push((start, line));
        }
    }
    out
}

/// Reads the earliest deadline a sent reply promises, if any. `sent_at` anchors
/// relative words ("tomorrow"); the `[sla]` calendar gives the zone and the end of
/// the working day.
pub fn extract_promise(text: &str, sent_at: DateTime<Utc>, config: &SlaConfig) -> Option<Promise> {
    let calendar = BusinessCalendar::lenient(config);
    earliest(text, &hits_in(text, &|_: &str| true), sent_at, &calendar)
}

/// The promise the tone checker's hint names while a reply is written: exactly the
/// phrase (and due time) [`extract_promise`] will record if the reply is sent now,
/// or nothing. Reads the `sentences` (byte ranges of `text`, each a sentence of the
/// sender's own lines) that could hold a time at all (see [`may_promise`]), and remembers what each sentence says per thread, so that
/// while the agent types only the sentence being edited is read again: the promise
/// patterns use Unicode word boundaries, slow on Cyrillic, and the check runs on
/// every keystroke. What a sentence says does not depend on the clock; when it falls
/// due is worked out afresh each time.
pub fn promise_hint(
    text: &str,
    sentences: &[Range<usize>],
    sent_at: DateTime<Utc>,
    config: &SlaConfig,
) -> Option<Promise> {
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<String, Vec<Hit>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    const MAX_SEEN: usize = 512;
    let mut hits = Vec::new();
    for sentence in sentences {
        let Some(piece) = text.get(sentence.clone()).filter(|p| may_promise(p)) else {
            continue;
        };
        let known = SEEN.with(|s| s.borrow().get(piece).cloned());
        let found = known.unwrap_or_else(|| {
            let found = hits_in(piece, &|_: &str| true);
            SEEN.with(|s| {
                let mut s = s.borrow_mut();
                if s.len() >= MAX_SEEN {
                    s.clear();
                }
                s.insert(piece.to_string(), found.clone());
            });
            found
        });
        hits.extend(found.into_iter().map(|h| h.shifted(sentence.start)));
    }
    earliest(text, &hits, sent_at, &BusinessCalendar::lenient(config))
}

/// Word stems every time phrase the promise patterns read holds, unless it has a
/// digit: a cheap test (no regex) that lets the tone check skip sentences with no
/// time in them. Keep in step with `RULES`: a phrase without a digit and without one
/// of these would be recorded on sending but never hinted.
const TIME_STEMS: &[&str] = &[
    // English ("day" also covers today, weekdays, midday, days).
    "day",
    "tomorrow",
    "tonight",
    "eod",
    "cob",
    "close of",
    "noon",
    "min",
    "hour",
    "hr",
    "week",
    "jan",
    "feb",
    "mar",
    "apr",
    "may",
    "jun",
    "jul",
    "aug",
    "sep",
    "oct",
    "nov",
    "dec",
    // Ukrainian.
    "завтра",
    "сьогодні",
    "кінця",
    "протягом",
    "впродовж",
    "вечор",
    "понеділ",
    "вівтор",
    "серед",
    "четвер",
    "ятниц",
    "субот",
    "неділ",
    "хвилин",
    "годин",
    "дн",
    "доб",
    "тижн",
    "обід",
    "полудн",
    "опівдн",
    "січн",
    "лют",
    "берез",
    "квіт",
    "травн",
    "червн",
    "липн",
    "серпн",
    "вересн",
    "жовтн",
    "листопад",
    "грудн",
    // Russian.
    "сегодня",
    "конца",
    "течение",
    "пределах",
    "вечер",
    "понедельн",
    "вторник",
    "сред",
    "пятниц",
    "суббот",
    "воскрес",
    "минут",
    "час",
    "сут",
    "недел",
    "обед",
    "январ",
    "феврал",
    "март",
    "апрел",
    "мая",
    "июн",
    "июл",
    "август",
    "сентябр",
    "октябр",
    "ноябр",
    "декабр",
];

/// Whether `sentence` could hold a time phrase at all: a digit or a [`TIME_STEMS`]
/// word.
fn may_promise(sentence: &str) -> bool {
    if sentence.bytes().any(|b| b.is_ascii_digit()) {
        return true;
    }
    let lower = sentence.to_lowercase();
    TIME_STEMS.iter().any(|stem| lower.contains(stem))
}

/// The soonest of the moments `hits` promise, after `sent_at`.
fn earliest(
    text: &str,
    hits: &[Hit],
    sent_at: DateTime<Utc>,
    calendar: &BusinessCalendar,
) -> Option<Promise> {
    moments(text, hits, sent_at, calendar)
        .into_iter()
        .filter(|(_, due)| *due > sent_at)
        .min_by_key(|(span, due)| (*due, span.start))
        .map(|(span, due)| Promise {
            due,
            phrase: text[span.clone()].to_string(),
            span,
        })
}

/// Every moment `hits` name, in text order: each phrase read, overlapping phrases
/// resolved to the longest, and a day and a time written side by side composed into
/// one moment.
fn moments(
    text: &str,
    hits: &[Hit],
    sent_at: DateTime<Utc>,
    calendar: &BusinessCalendar,
) -> Vec<(Range<usize>, DateTime<Utc>)> {
    let today = calendar.local_date(sent_at);
    let mut found: Vec<(Range<usize>, Piece)> = hits
        .iter()
        .filter_map(|hit| {
            let piece = resolve(text, hit, sent_at, today, calendar)?;
            let span = if matches!(hit.rule, Rule::TimeAfterDay) {
                hit.one.clone()?
            } else {
                hit.whole.clone()
            };
            Some((span, piece))
        })
        .collect();
    // Longest match wins where phrases overlap ("day after tomorrow" over "tomorrow").
    found.sort_by_key(|(span, _)| std::cmp::Reverse(span.len()));
    let mut kept: Vec<(Range<usize>, Piece)> = Vec::new();
    for (span, piece) in found {
        if kept
            .iter()
            .all(|(k, _)| span.end <= k.start || span.start >= k.end)
        {
            kept.push((span, piece));
        }
    }
    kept.sort_by_key(|(span, _)| span.start);
    let mut moments: Vec<(Range<usize>, DateTime<Utc>)> = Vec::new();
    let mut pieces = kept.into_iter().peekable();
    while let Some((span, piece)) = pieces.next() {
        let beside = pieces.peek().and_then(|(next, other)| {
            let gap = text.get(span.end..next.start)?;
            joins(gap)
                .then(|| compose(piece, *other, calendar))
                .flatten()
                .map(|due| (span.start..next.end, due))
        });
        match beside {
            Some(moment) => {
                pieces.next();
                moments.push(moment);
            }
            None => moments.push((span, alone(piece, sent_at, today, calendar))),
        }
    }
    moments
}

/// The time phrases a reply promises, as byte ranges, in text order (a day and a
/// time beside it are one): the same reading as [`extract_promise`], every phrase it
/// could record rather than only the soonest, counted from `sent_at`.
pub fn promised_phrases(
    text: &str,
    sent_at: DateTime<Utc>,
    config: &SlaConfig,
) -> Vec<Range<usize>> {
    let calendar = BusinessCalendar::lenient(config);
    moments(text, &hits_in(text, &|_: &str| true), sent_at, &calendar)
        .into_iter()
        .filter(|(_, due)| *due > sent_at)
        .map(|(span, _)| span)
        .collect()
}

/// One time phrase in a committing sentence, before it is given a date: which rule
/// matched and where its whole match and its captures are in the text read. Does
/// not depend on the clock, so the tone check can remember it per sentence.
#[derive(Debug, Clone)]
struct Hit {
    rule: Rule,
    whole: Range<usize>,
    one: Option<Range<usize>>,
    two: Option<Range<usize>>,
}

impl Hit {
    /// The same hit in a text that holds the one read at `offset`.
    fn shifted(self, offset: usize) -> Hit {
        let by = |r: Range<usize>| r.start + offset..r.end + offset;
        Hit {
            rule: self.rule,
            whole: by(self.whole),
            one: self.one.map(by),
            two: self.two.map(by),
        }
    }
}

/// Every time phrase in the sender's own lines (those `worth_reading` picks) that
/// sits in a committing sentence (and is not "an hour before…" or a bare number that
/// is not an hour).
fn hits_in(text: &str, worth_reading: &dyn Fn(&str) -> bool) -> Vec<Hit> {
    let mut out = Vec::new();
    for (start, line) in own_lines(text) {
        if !worth_reading(line) {
            continue;
        }
        for (re, rule) in RULES.iter() {
            for caps in re.captures_iter(line) {
                let Some(m) = caps.get(0) else { continue };
                let rest = &line[m.end()..];
                let span_rule = matches!(rule, Rule::Within | Rule::Fixed(_));
                if (span_rule && followed_by_before(rest))
                    || (matches!(rule, Rule::BareHour) && !ends_bare_hour(rest))
                    || (matches!(rule, Rule::Date) && is_amount(rest))
                    || !commits(sentence_around(line, m.range()))
                {
                    continue;
                }
                let at = |i: usize| caps.get(i).map(|c| start + c.start()..start + c.end());
                out.push(Hit {
                    rule: *rule,
                    whole: start + m.start()..start + m.end(),
                    one: at(1),
                    two: at(2),
                });
            }
        }
    }
    out
}

/// When a day-level promise for `day` falls due: the end of its working day, or,
/// when that has already passed at sending ("в течение дня" written at 23:00, "до
/// кінця тижня" on Sunday evening), the end of the next working day: the customer
/// was still promised something, and the follow-up should not vanish because the
/// reply went out after hours.
fn day_end(calendar: &BusinessCalendar, day: NaiveDate, sent_at: DateTime<Utc>) -> DateTime<Utc> {
    let due = calendar.end_of_day(day);
    let sent_day = calendar.local_date(sent_at);
    if due > sent_at || day < sent_day {
        return due;
    }
    calendar.end_of_day(business_days_after(calendar, day, 1))
}

/// A day and a time of day written side by side, as one moment.
fn compose(a: Piece, b: Piece, calendar: &BusinessCalendar) -> Option<DateTime<Utc>> {
    match (a, b) {
        (Piece::Day(day), Piece::Time(time)) | (Piece::Time(time), Piece::Day(day)) => {
            Some(calendar.to_utc(day.and_time(time)))
        }
        _ => None,
    }
}

/// When a phrase with nothing beside it falls due.
fn alone(
    piece: Piece,
    sent_at: DateTime<Utc>,
    today: NaiveDate,
    calendar: &BusinessCalendar,
) -> DateTime<Utc> {
    match piece {
        Piece::Day(day) => day_end(calendar, day, sent_at),
        Piece::Time(time) => {
            let at = calendar.to_utc(today.and_time(time));
            if at > sent_at {
                at
            } else {
                calendar.to_utc((today + Duration::days(1)).and_time(time))
            }
        }
        Piece::Due(at) => at,
    }
}

/// Whether the text between a day and a time joins them: [`phrases::joins`], the
/// list snooze reads too.
fn joins(gap: &str) -> bool {
    phrases::joins(gap)
}

/// Whether what follows a bare hour ("до 15") leaves it an hour: the end of the
/// sentence or a clause, not a unit, a month, a number or a clock time going on.
fn ends_bare_hour(rest: &str) -> bool {
    let after = rest.trim_start();
    match after.chars().next() {
        None => true,
        Some(':' | '.' | '%' | '-' | '/') => {
            after.starts_with('.') && !after[1..].starts_with(|c: char| c.is_ascii_digit())
        }
        Some(c) => !c.is_alphanumeric() && !"$€₴₽".contains(c),
    }
}

/// Whether what follows a dotted number makes it an amount, not a date ("до 16.12
/// грн", "16.12%").
fn is_amount(rest: &str) -> bool {
    let after = rest.trim_start().to_lowercase();
    [
        "%", "$", "€", "₴", "₽", "грн", "uah", "usd", "eur", "руб", "коп", "kg", "кг", "gb", "гб",
        "mb", "мб",
    ]
    .iter()
    .any(|unit| after.starts_with(unit))
}

/// The sentence of `line` holding `span`: a promise's commitment must be in it.
fn sentence_around(line: &str, span: Range<usize>) -> &str {
    let Some(end_re) = SENTENCE_END.as_ref() else {
        return line;
    };
    let start = end_re
        .find_iter(&line[..span.start])
        .last()
        .map_or(0, |m| m.end());
    let end = end_re
        .find(&line[span.end..])
        .map_or(line.len(), |m| span.end + m.start());
    &line[start..end]
}

/// A sentence ends at `.`, `!`, `?` or `…` followed by a space or the line's end
/// (so "12.00" and "5.30" stay inside).
static SENTENCE_END: LazyLock<Option<Regex>> =
    LazyLock::new(|| Regex::new(r"[.!?…]+(?:\s|$)").ok());

/// Words that commit the writer to something ahead: an English future or undertaking;
/// a Ukrainian or Russian first-person (or "you will get") future of the verbs
/// support replies use, and the Ukrainian first person plural ending in general.
static COMMITMENT: LazyLock<Option<Regex>> = LazyLock::new(|| {
    let patterns = [
        r"\b(?:will|shall|won['’]t)\b|['’]ll\b|\bgoing to\b|\blet (?:me|us)\b|\bexpect\b|\bpromise\b|\b(?:i|we) can\b|\b(?:ships?|arrives?|goes out)\b",
        r"\b\w{2,}(?:емо|имо|імо|ємо|їмо)(?:ся|сь)?\b",
        r"\b(?:напишу|надішлю|відповім|перевірю|передзвоню|повернуся|повернусь|поверну|зроблю|виправлю|повідомлю|уточню|з['’ʼ]?ясую|дізнаюся|дізнаюсь|зв['’ʼ]?яжуся|зв['’ʼ]?яжусь|відправлю|зателефоную|подзвоню|підготую|оновлю|розберуся|розберусь|дам|буду|зможу|постараюся|постараюсь|спробую|обіцяю|гарантую|подивлюся|подивлюсь|гляну|вирішу|отримаєте|отримаєш|запрацює|надійде|надійдуть|прийде|прийдуть)\b",
        r"\b(?:отвечу|ответим|напишу|напишем|проверю|проверим|перезвоню|перезвоним|вернусь|вернёмся|вернемся|верну|вернём|вернем|сделаю|сделаем|исправлю|исправим|сообщу|сообщим|уточню|уточним|выясню|выясним|свяжусь|свяжемся|отправлю|отправим|пришлю|пришлём|пришлем|подготовлю|подготовим|обновлю|обновим|разберусь|разберёмся|разберемся|дам|дадим|буду|будем|смогу|сможем|постараюсь|постараемся|попробую|попробуем|обещаю|гарантирую|посмотрю|посмотрим|решу|решим|получите|получишь|заработает|придёт|придет|придут|поступит|поступят)\b",
    ];
    Regex::new(&format!("(?i){}", patterns.join("|"))).ok()
});

/// Present-tense first person plural that reports rather than commits ("дякуємо",
/// "працюємо до 18:00" is opening hours).
const NOT_COMMITMENTS: &[&str] = &[
    "дякуємо",
    "вибачаємо",
    "перепрошуємо",
    "працюємо",
    "бачимо",
    "маємо",
    "знаємо",
    "радимо",
    "рекомендуємо",
    "пропонуємо",
    "нагадуємо",
    "повідомляємо",
    "розуміємо",
    "отримали",
];

/// Whether `sentence` commits the writer to something ahead.
fn commits(sentence: &str) -> bool {
    COMMITMENT.as_ref().is_some_and(|re| {
        re.find_iter(sentence).any(|m| {
            let word = m.as_str().to_lowercase();
            !NOT_COMMITMENTS.contains(&word.as_str())
        })
    })
}

/// "за годину до відключення", "за час до": a span before something, not a promise.
/// (A day before "до" is not: "завтра до 12:00" is a day and a time.)
fn followed_by_before(rest: &str) -> bool {
    let rest = rest.trim_start().to_lowercase();
    ["до ", "до\n", "before ", "ago", "назад", "тому"]
        .iter()
        .any(|w| rest.starts_with(w))
}

fn resolve(
    text: &str,
    hit: &Hit,
    sent_at: DateTime<Utc>,
    today: NaiveDate,
    calendar: &BusinessCalendar,
) -> Option<Piece> {
    let capture = |r: &Option<Range<usize>>| r.clone().and_then(|r| text.get(r));
    let due = match hit.rule {
        Rule::DaysAhead(n) => return Some(Piece::Day(DayRef::Ahead(n).date_from(today))),
        Rule::Weekday => {
            let wd = phrases::weekday(capture(&hit.one)?)?;
            return Some(Piece::Day(DayRef::Next(wd).date_from(today)));
        }
        Rule::Date => {
            let day = phrases::date(capture(&hit.one)?)?;
            if day.is_recent_past(today) {
                return None;
            }
            return Some(Piece::Day(day.date_from(today)));
        }
        Rule::TimeOfDay | Rule::TimeAfterDay | Rule::BareHour => {
            return phrases::time_of_day(capture(&hit.one)?).map(Piece::Time)
        }
        Rule::Within => {
            let (amount, unit) = match (capture(&hit.one), capture(&hit.two)) {
                (Some(a), Some(u)) => (amount_from(a)?, u.to_lowercase()),
                (Some(single), None) => (1.0, single.to_lowercase()),
                _ => return None,
            };
            let business = ["business", "working", "робоч", "рабоч"]
                .iter()
                .any(|w| unit.starts_with(w));
            let minutes_per = unit_minutes(unit.split_whitespace().last()?)?;
            if business {
                calendar.end_of_day(business_days_after(calendar, today, amount.ceil() as i64))
            } else if minutes_per >= 24 * 60 {
                let days = amount.ceil() as i64;
                calendar.end_of_day(today + Duration::days(days))
            } else {
                sent_at + Duration::minutes((amount * minutes_per as f64).round() as i64)
            }
        }
        Rule::Fixed(minutes) => sent_at + Duration::minutes(minutes),
        Rule::EndOfWeek => day_end(
            calendar,
            last_working_day_of_week(calendar, today, 0),
            sent_at,
        ),
        Rule::NextWeek => calendar.end_of_day(last_working_day_of_week(calendar, today, 1)),
    };
    Some(Piece::Due(due))
}

/// The `n`th business day after `today` ("within 2 business days" on a Thursday is
/// Monday): closed days and, on a desk open all week, weekends are skipped.
fn business_days_after(calendar: &BusinessCalendar, today: NaiveDate, n: i64) -> NaiveDate {
    let mut day = today;
    let mut left = n;
    // A year of closed days would be a broken calendar; stop rather than loop.
    for _ in 0..366 {
        if left <= 0 {
            break;
        }
        day += Duration::days(1);
        if calendar.is_business_day(day) {
            left -= 1;
        }
    }
    day
}

/// The last working day of the week `weeks_ahead` from `today`'s week (Monday to
/// Sunday), not before today; today itself when the week has none left.
fn last_working_day_of_week(
    calendar: &BusinessCalendar,
    today: NaiveDate,
    weeks_ahead: i64,
) -> NaiveDate {
    let monday = today - Duration::days(i64::from(today.weekday().num_days_from_monday()))
        + Duration::weeks(weeks_ahead);
    (0..7)
        .rev()
        .map(|d| monday + Duration::days(d))
        .find(|d| *d >= today && calendar.is_working_day(*d))
        .unwrap_or(today)
}

fn amount_from(word: &str) -> Option<f64> {
    let w = word.to_lowercase().replace(['\'', '’', 'ʼ'], "");
    if let Ok(n) = w.parse::<f64>() {
        return Some(n);
    }
    Some(match w.as_str() {
        "a" | "an" | "one" | "одну" | "один" => 1.0,
        "two" | "дві" | "два" | "две" | "a couple of" | "пару" => 2.0,
        "three" | "три" | "a few" | "кілька" | "несколько" => 3.0,
        "four" | "чотири" | "четыре" => 4.0,
        "five" | "пять" => 5.0,
        "six" => 6.0,
        "ten" | "десять" => 10.0,
        "fifteen" | "пятнадцять" | "пятнадцать" => 15.0,
        "twenty" | "двадцять" | "двадцать" => 20.0,
        "thirty" | "тридцять" | "тридцать" => 30.0,
        "forty-five" | "forty five" => 45.0,
        _ => return None,
    })
}

/// Minutes in one unit word, in any of the three languages and their cases.
fn unit_minutes(unit: &str) -> Option<i64> {
    let u = unit.trim();
    let minutes = if u.starts_with("min") || u.starts_with("хвилин") || u.starts_with("минут")
    {
        1
    } else if u == "півгодини" || u == "полчаса" {
        return Some(30);
    } else if u.starts_with("h") || u.starts_with("годин") || u.starts_with("час") {
        60
    } else if u.contains("day")
        || u.starts_with("дн")
        || u.starts_with("доб")
        || u.starts_with("сут")
        || u == "день"
    {
        24 * 60
    } else {
        return None;
    };
    Some(minutes)
}

static DELAY_NOTICE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:still working|working on it|delay(?:ed)?|taking longer|ще працюємо|працюємо над|затримк\w*|продолжаем работ\w*|работаем над|задержк\w*)\b",
    )
    .ok()
});

/// Whether a reply tells the customer their problem is delayed or still in work.
pub fn is_delay_notice(text: &str) -> bool {
    DELAY_NOTICE.as_ref().is_some_and(|re| re.is_match(text))
}

/// Whether a solved ticket's customer last heard "we are working on it" (a promise or
/// a delay notice) and was never told it is done: the seed's "knock and tell them".
pub fn owes_solved_notice(ticket: &Ticket, messages: &[Message], config: &SlaConfig) -> bool {
    if !ticket.status.is_resolved() {
        return false;
    }
    let Some(last) = messages
        .iter()
        .filter(|m| m.direction == Direction::Outbound)
        .max_by_key(|m| (m.sent_at, m.id))
    else {
        return false;
    };
    let resolved_at = ticket.resolved_at.unwrap_or(ticket.updated_at);
    last.sent_at < resolved_at
        && (is_delay_notice(&last.body)
            || extract_promise(&last.body, last.sent_at, config).is_some())
}

/// A ready "still working on it" reply for a customer promise that came due, in the
/// customer's language and with their "you" (Ви/ти, Вы/ты), opened by `greeting`
/// (`canned::greeting_line`, the one greeting of every generated reply). The wording
/// needs no grammatical gender of the agent ("ніж ми обіцяли", "чем мы обещали").
pub fn still_working_reply(greeting: &str, language: Language, formality: Formality) -> String {
    let informal = formality == Formality::Informal;
    let body = match (language, informal) {
        (Language::Uk, false) => {
            "Коротко про Ваше звернення: ми ще працюємо над ним і не забули про Вас. \
             Рішення займає трохи більше часу, ніж ми обіцяли. Щойно буде результат, одразу напишу."
        }
        (Language::Uk, true) => {
            "Коротко про твоє звернення: ми ще працюємо над ним і не забули про тебе. \
             Рішення займає трохи більше часу, ніж ми обіцяли. Щойно буде результат, одразу напишу."
        }
        (Language::Ru, false) => {
            "Коротко о Вашем обращении: мы продолжаем над ним работать и не забыли о Вас. \
             Решение занимает чуть больше времени, чем мы обещали. Как только будет результат, сразу напишу."
        }
        (Language::Ru, true) => {
            "Коротко о твоём обращении: мы продолжаем над ним работать и не забыли о тебе. \
             Решение занимает чуть больше времени, чем мы обещали. Как только будет результат, сразу напишу."
        }
        _ => {
            "A quick update on your request: we are still working on it and have not forgotten you. \
             It is taking a little longer than I promised. I will write again as soon as it is solved."
        }
    };
    crate::canned::compose(greeting, body, "")
}

/// The meta key remembering the last reply the promise scan has read.
const SCAN_MARK: &str = "sla.promise_scan_after";

/// Replies older than this are not read for promises: after importing years of mail,
/// "tomorrow" in a 2019 reply is history, not a follow-up.
pub const PROMISE_LOOKBACK_DAYS: i64 = 14;

/// Reads every sent reply not yet scanned and records a follow-up for each promise.
/// Idempotent (one follow-up per reply), cheap to run from `check` or after a send.
/// Replies sent more than [`PROMISE_LOOKBACK_DAYS`] before `now` are skipped.
/// Returns how many follow-ups were created.
pub fn scan_replies(
    store: &mut crate::store::Store,
    config: &SlaConfig,
    now: DateTime<Utc>,
) -> Result<usize, crate::store::StoreError> {
    let oldest = now - Duration::days(PROMISE_LOOKBACK_DAYS);
    let mark: i64 = store
        .meta(SCAN_MARK)?
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    // On the first scan, replies below the floor were all sent before `oldest` and
    // would be skipped anyway; not reading them keeps an old archive's first scan
    // short. Later scans go on from the mark.
    let mut after = if mark == 0 {
        store.outbound_scan_floor(oldest)?
    } else {
        mark
    };
    let mut created = 0;
    loop {
        let batch = store.outbound_messages_after(after, 500)?;
        let Some(last) = batch.last().map(|m| m.id) else {
            break;
        };
        for m in batch.iter().filter(|m| m.sent_at >= oldest) {
            if record_promise_of(store, config, m)?.is_some() {
                created += 1;
            }
        }
        after = last;
        store.set_meta(SCAN_MARK, &after.to_string())?;
    }
    if after != mark {
        store.set_meta(SCAN_MARK, &after.to_string())?;
    }
    Ok(created)
}

/// Records the follow-up a reply just recorded on `ticket` obliges us to, at once:
/// the one call every way of sending a reply makes (`firstline reply`, the console,
/// chat and e-mail alike), so a promise is tracked the moment it is made, not when
/// some later scan happens to run. The periodic [`scan_replies`] reads through the
/// same [`record_promise_of`]; a reply already recorded is not recorded twice.
/// Returns the new follow-up's id, `None` when the reply promises nothing.
pub fn record_reply_promise(
    store: &mut crate::store::Store,
    config: &SlaConfig,
    ticket: crate::model::TicketId,
    message: crate::model::MessageId,
) -> Result<Option<i64>, crate::store::StoreError> {
    let Some(reply) = store
        .messages(ticket)?
        .into_iter()
        .find(|m| m.id == message && m.direction == Direction::Outbound)
    else {
        return Ok(None);
    };
    record_promise_of(store, config, &reply)
}

/// Reads `reply` for a promise and records its follow-up (once per reply).
fn record_promise_of(
    store: &mut crate::store::Store,
    config: &SlaConfig,
    reply: &Message,
) -> Result<Option<i64>, crate::store::StoreError> {
    let Some(p) = extract_promise(&reply.body, reply.sent_at, config) else {
        return Ok(None);
    };
    store.create_followup(&crate::store::NewFollowup {
        ticket_id: reply.ticket_id,
        kind: crate::store::FollowupKind::Promise,
        due_at: p.due,
        phrase: p.phrase,
        message_id: Some(reply.id),
    })
}

/// Whether an open follow-up no longer needs action. A follow-up set by hand ("call
/// the bank") is the user's own to-do: only marking it done ends it. A customer
/// promise is settled by what answers it: a later reply to the customer (news, or a
/// new time, which carries its own promise), the ticket being solved or closed (the
/// console asks whether to tell them, see [`owes_solved_notice`]) or marked spam, or
/// its reply having been taken back before it went out.
pub fn followup_settled(
    followup: &crate::store::Followup,
    ticket: &Ticket,
    messages: &[Message],
) -> bool {
    if followup.done_at.is_some() {
        return true;
    }
    if followup.kind == crate::store::FollowupKind::Manual {
        return false;
    }
    let Some(made_by) = followup.message_id else {
        return true;
    };
    let made_at = messages
        .iter()
        .find(|m| m.id == made_by)
        .map_or(followup.created_at, |m| m.sent_at);
    let later_reply = messages
        .iter()
        .any(|m| m.direction == Direction::Outbound && m.id != made_by && m.sent_at > made_at);
    later_reply || ticket.status.is_resolved() || ticket.status == crate::model::Status::Spam
}

/// A ticket's thread as the customer has it, for judging promises: replies that did
/// not reach them (failed, in doubt, or only saved as .eml for the user to send) are
/// left out, so a reply that never left keeps no promise. A reply still in its undo
/// window counts: it is on its way, and taking it back settles nothing either.
pub fn thread_as_delivered(
    store: &crate::store::Store,
    ticket: crate::model::TicketId,
) -> Result<Vec<Message>, crate::store::StoreError> {
    let undelivered = store.undelivered_replies(ticket)?;
    let mut messages = store.messages(ticket)?;
    messages.retain(|m| !undelivered.iter().any(|e| e.message == m.id));
    Ok(messages)
}

/// An open follow-up that needs the user now: due or within a warning mark and not
/// settled (see [`followup_settled`]; a hand-set one stays until marked done, even on
/// a solved ticket).
#[derive(Debug, Clone, PartialEq)]
pub struct DueFollowup {
    /// The follow-up as stored.
    pub followup: crate::store::Followup,
    /// Its ticket, read anyway to judge it, so callers need not read it again.
    pub ticket: Ticket,
    /// Overdue, or which warning mark it is inside (never `Ok`).
    pub urgency: super::Urgency,
}

/// The follow-ups `check` reports and the console counts, soonest first. Does not
/// scan for new promises: run [`scan_replies`] first when replies may have gone out.
pub fn due_followups(
    store: &crate::store::Store,
    config: &SlaConfig,
    now: DateTime<Utc>,
) -> Result<Vec<DueFollowup>, crate::store::StoreError> {
    let widest = config
        .warn_minutes
        .iter()
        .copied()
        .filter(|m| *m > 0)
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    for followup in store.open_followups_due_by(now + Duration::minutes(widest))? {
        let urgency = super::urgency(config, followup.due_at, now);
        if urgency == super::Urgency::Ok {
            continue;
        }
        let ticket = store.ticket(followup.ticket_id)?;
        if followup_settled(
            &followup,
            &ticket,
            &thread_as_delivered(store, followup.ticket_id)?,
        ) {
            continue;
        }
        out.push(DueFollowup {
            followup,
            ticket,
            urgency,
        });
    }
    Ok(out)
}

/// The follow-up a ticket is waiting on: the soonest of `followups` (the ticket's
/// open ones) that no later reply has settled. What the console shows above the
/// thread and answers with a "still working on it" reply.
pub fn pending_followup<'a>(
    followups: &'a [crate::store::Followup],
    ticket: &Ticket,
    messages: &[Message],
) -> Option<&'a crate::store::Followup> {
    followups
        .iter()
        .filter(|f| f.ticket_id == ticket.id && !followup_settled(f, ticket, messages))
        .min_by_key(|f| (f.due_at, f.id))
}

/// The customer promise a ticket is waiting on: like [`pending_followup`], but never
/// a follow-up set by hand, which promised the customer nothing. What a "still
/// working on it" reply ("taking longer than I promised") may answer.
pub fn pending_promise<'a>(
    followups: &'a [crate::store::Followup],
    ticket: &Ticket,
    messages: &[Message],
) -> Option<&'a crate::store::Followup> {
    followups
        .iter()
        .filter(|f| f.kind == crate::store::FollowupKind::Promise && f.ticket_id == ticket.id)
        .filter(|f| !followup_settled(f, ticket, messages))
        .min_by_key(|f| (f.due_at, f.id))
}

/// A ready "it is solved" reply for a customer who last heard "we are still working
/// on it", in their language and with their "you" (Ви/ти, Вы/ты), opened by
/// `greeting` (`canned::greeting_line`).
pub fn solved_notice_reply(greeting: &str, language: Language, formality: Formality) -> String {
    let informal = formality == Formality::Informal;
    let body = match (language, informal) {
        (Language::Uk, false) => {
            "Гарні новини: Ваше звернення вирішено. Дякую за терпіння! \
             Якщо щось ще не так, просто дайте відповідь на цей лист."
        }
        (Language::Uk, true) => {
            "Гарні новини: твоє звернення вирішено. Дякую за терпіння! \
             Якщо щось ще не так, просто відповідай на цей лист."
        }
        (Language::Ru, false) => {
            "Хорошие новости: Ваше обращение решено. Спасибо за терпение! \
             Если что-то ещё не так, просто ответьте на это письмо."
        }
        (Language::Ru, true) => {
            "Хорошие новости: твоё обращение решено. Спасибо за терпение! \
             Если что-то ещё не так, просто ответь на это письмо."
        }
        _ => {
            "Good news: your request is solved. Thank you for your patience! \
             If anything is still not right, just reply to this message."
        }
    };
    crate::canned::compose(greeting, body, "")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Channel, NewCustomer, NewMessage, NewTicket, Priority, Status};
    use crate::store::Store;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, 10, 0, 0).unwrap()
    }

    fn ticket_with(store: &mut Store, email: &str, replies: &[(&str, i64)]) -> i64 {
        let id = store
            .create_ticket(&NewTicket {
                subject: format!("Question from {email}"),
                customer: NewCustomer {
                    name: "Test Customer".into(),
                    email: Some(email.into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::Open,
                tags: Vec::new(),
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Test Customer".into(),
                    body: "Hello, it does not work.".into(),
                    sent_at: Some(now() - Duration::hours(5)),
                    ..Default::default()
                },
            })
            .unwrap();
        for (body, minutes_ago) in replies {
            store
                .add_message(
                    id,
                    &NewMessage {
                        direction: Direction::Outbound,
                        author: "Agent".into(),
                        body: (*body).into(),
                        sent_at: Some(now() - Duration::minutes(*minutes_ago)),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        id
    }

    #[test]
    fn due_followups_leave_out_settled_resolved_and_far_off_promises() {
        let mut store = Store::open_in_memory().unwrap();
        let config = SlaConfig::default();
        let late = ticket_with(
            &mut store,
            "a@example.com",
            &[("I will check within an hour.", 120)],
        );
        let answered = ticket_with(
            &mut store,
            "b@example.com",
            &[
                ("I will check within an hour.", 120),
                ("Done, it works now.", 30),
            ],
        );
        let solved = ticket_with(
            &mut store,
            "c@example.com",
            &[("I will check within an hour.", 120)],
        );
        store
            .change_ticket(
                solved,
                &crate::model::TicketChange::Status(Status::Solved),
                None,
            )
            .unwrap();
        let far = ticket_with(
            &mut store,
            "d@example.com",
            &[("You will have it next week.", 10)],
        );
        assert_eq!(scan_replies(&mut store, &config, now()).unwrap(), 4);
        let due = due_followups(&store, &config, now()).unwrap();
        let tickets: Vec<i64> = due.iter().map(|d| d.followup.ticket_id).collect();
        assert_eq!(tickets, vec![late]);
        assert_eq!(due[0].urgency, crate::sla::Urgency::Overdue);
        // Left out by the rules, not for lack of a row: each still has an open one.
        for other in [answered, solved, far] {
            assert_eq!(store.followups(true, Some(other)).unwrap().len(), 1);
        }
    }

    #[test]
    fn first_scan_skips_old_history_but_not_a_recent_reply_imported_early() {
        let mut store = Store::open_in_memory().unwrap();
        let config = SlaConfig::default();
        // Ids follow import order, not time: the recent promise comes first here.
        let recent = ticket_with(
            &mut store,
            "a@example.com",
            &[("I will check within an hour.", 60)],
        );
        let old = ticket_with(
            &mut store,
            "b@example.com",
            &[("You will hear from me tomorrow.", 60 * 24 * 40)],
        );
        assert_eq!(scan_replies(&mut store, &config, now()).unwrap(), 1);
        assert_eq!(store.followups(true, Some(recent)).unwrap().len(), 1);
        assert!(store.followups(true, Some(old)).unwrap().is_empty());

        let mut store = Store::open_in_memory().unwrap();
        ticket_with(
            &mut store,
            "c@example.com",
            &[("Tomorrow, promise.", 60 * 24 * 40)],
        );
        assert_eq!(scan_replies(&mut store, &config, now()).unwrap(), 0);
        let mark: i64 = store.meta(SCAN_MARK).unwrap().unwrap().parse().unwrap();
        assert_eq!(mark, store.outbound_scan_floor(now()).unwrap());
        assert!(mark > 0, "nothing recent: the mark jumps past the history");
    }

    #[test]
    fn pending_followup_is_the_soonest_one_no_later_reply_settled() {
        let mut store = Store::open_in_memory().unwrap();
        let config = SlaConfig::default();
        let id = ticket_with(
            &mut store,
            "a@example.com",
            &[
                ("I will check within an hour.", 120),
                ("Still on it; I will write within 2 hours.", 60),
            ],
        );
        scan_replies(&mut store, &config, now()).unwrap();
        let open = store.followups(true, Some(id)).unwrap();
        assert_eq!(open.len(), 2);
        let ticket = store.ticket(id).unwrap();
        let messages = store.messages(id).unwrap();
        let pending = pending_followup(&open, &ticket, &messages).unwrap();
        assert_eq!(pending.phrase, "within 2 hours");
    }

    #[test]
    fn solved_notice_reply_uses_the_customers_language_and_you() {
        let uk = solved_notice_reply("Привіт, Олено!", Language::Uk, Formality::Informal);
        assert!(
            uk.starts_with("Привіт, Олено!\n\n") && uk.contains("твоє"),
            "{uk}"
        );
        let ru = solved_notice_reply("Здравствуйте!", Language::Ru, Formality::Formal);
        assert!(ru.contains("Ваше"), "{ru}");
        let en = solved_notice_reply("Hi Sarah,", Language::En, Formality::Unknown);
        assert!(en.starts_with("Hi Sarah,\n\nGood news"), "{en}");
        for text in [&uk, &ru, &en] {
            assert!(extract_promise(text, now(), &SlaConfig::default()).is_none());
            assert!(
                !is_delay_notice(text),
                "a solved notice must not read as a delay"
            );
        }
    }

    /// Issue 20: facts about time are not promises, for the sent reply and for the
    /// tone checker's hint alike ("воно діє 24 години", "оформлено сьогодні").
    #[test]
    fn validity_and_what_was_done_today_are_not_promises() {
        for text in [
            "Посилання надіслано, воно діє 24 години.",
            "Замовлення оформлено сьогодні, номер 1234.",
            "Заказ оформлен сегодня, номер 1234.",
            "The link is valid for 24 hours.",
        ] {
            assert!(
                promised_phrases(text, now(), &SlaConfig::default()).is_empty(),
                "{text}"
            );
            assert!(
                extract_promise(text, now(), &SlaConfig::default()).is_none(),
                "{text}"
            );
        }
        let promise = "Я напишу вам завтра до 12:00.";
        let spans = promised_phrases(promise, now(), &SlaConfig::default());
        assert_eq!(spans.len(), 1, "{spans:?}");
        assert!(promise[spans[0].clone()].contains("завтра"));
    }

    /// A date already gone is a fact about the past ("arrived back on 23 November"),
    /// not a promise due next year (a new-user trial: "due in 351d" and a follow-up
    /// drafted a year out). A date to come, or a past month's date far enough back that
    /// it can only mean next year ("by 5 January" said in December), still is.
    #[test]
    fn a_date_already_gone_is_not_a_promise_for_next_year() {
        let sent = Utc.with_ymd_and_hms(2026, 12, 7, 10, 0, 0).unwrap();
        let config = SlaConfig::default();
        for text in [
            "I can see the kettle arrived back on 23 November; I have issued the refund.",
            "Посилка повернулася до нас 23 листопада, кошти вже повернуто.",
            "Посылка вернулась к нам 3 декабря, деньги уже вернули.",
            "Your order of 01.12.2026 was shipped on 2.12.",
        ] {
            assert!(extract_promise(text, sent, &config).is_none(), "{text}");
            assert!(promised_phrases(text, sent, &config).is_empty(), "{text}");
        }
        for text in [
            "I will send the replacement by 23 December.",
            "Ми надішлемо заміну до 5 січня.",
            "Мы вернём деньги до 10.12.",
        ] {
            let promise = extract_promise(text, sent, &config);
            assert!(promise.is_some(), "{text}");
            let due = promise.unwrap().due;
            assert!(
                due > sent && due < sent + Duration::days(60),
                "{text}: {due}"
            );
        }
    }
}
