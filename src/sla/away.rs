//! The away reply: when a customer writes outside the `[sla]` hours, one message
//! saying when a person will answer, in their language and with their "you"
//! (Ви/ти, Вы/ты). The support seed asks to be reachable and never to leave a
//! message unanswered; an honest "we will answer at 09:00" is the next best thing
//! to an answer at night.
//!
//! Channel-neutral: the Telegram bot uses it now, IMAP mail can later. The channel
//! decides *whether* a message may get one ([`away_due`]: not a bot, not a group, not
//! a message from before the channel was first read, not twice per ticket); this
//! module decides what it says.

use chrono::{DateTime, Datelike, Duration, Utc, Weekday};

use super::BusinessCalendar;
use crate::model::{Formality, Language};

/// How far ahead the next opening is looked for (a long holiday season fits).
const LOOKAHEAD_DAYS: i64 = 60;

/// When the desk opens next after `now`; `None` when it is open now (or never opens
/// within [`LOOKAHEAD_DAYS`]: then there is no honest time to promise).
pub fn next_opening(calendar: &BusinessCalendar, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if calendar.is_open(now) {
        return None;
    }
    let today = calendar.local_date(now);
    (0..=LOOKAHEAD_DAYS)
        .filter_map(|d| today.checked_add_signed(Duration::days(d)))
        .filter_map(|date| calendar.working_interval(date))
        .map(|(start, _)| start)
        .find(|start| *start > now)
}

/// Whether a message that arrived at `message_at` gets an away reply `now`: the
/// desk is closed, and the message was sent after the channel was first read
/// (`channel_started_at`), so a backlog found on the first start is not answered
/// by a robot hours later.
pub fn away_due(
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
    message_at: DateTime<Utc>,
    channel_started_at: DateTime<Utc>,
) -> bool {
    message_at > channel_started_at && next_opening(calendar, now).is_some()
}

/// The away reply for a customer, opened by `greeting` (`canned::greeting_line`),
/// or `None` when the desk is open.
pub fn away_reply(
    greeting: &str,
    language: Language,
    formality: Formality,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Option<String> {
    let opens = next_opening(calendar, now)?;
    let when = when_phrase(language, calendar, now, opens);
    let informal = formality == Formality::Informal;
    let body = match (language, informal) {
        (Language::Uk, false) => format!(
            "Дякуємо за повідомлення! Зараз ми не на зв'язку, але воно не загубиться: людина відповість Вам {when}."
        ),
        (Language::Uk, true) => format!(
            "Дякуємо за повідомлення! Зараз ми не на зв'язку, але воно не загубиться: людина відповість тобі {when}."
        ),
        (Language::Ru, false) => format!(
            "Спасибо за сообщение! Сейчас мы не на связи, но оно не потеряется: человек ответит Вам {when}."
        ),
        (Language::Ru, true) => format!(
            "Спасибо за сообщение! Сейчас мы не на связи, но оно не потеряется: человек ответит тебе {when}."
        ),
        _ => format!(
            "Thank you for your message! We are away right now, but it will not get lost: a person will answer you {when}."
        ),
    };
    Some(crate::canned::compose(greeting, &body, ""))
}

/// "today at 09:00", "завтра о 09:00", "в понедельник в 09:00", "on 05.01 at 09:00",
/// with the desk's zone named so a customer elsewhere can convert it.
pub fn when_phrase(
    language: Language,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
    at: DateTime<Utc>,
) -> String {
    let tz = calendar.timezone();
    let local = at.with_timezone(&tz);
    let days = (local.date_naive() - now.with_timezone(&tz).date_naive()).num_days();
    let time = format!("{} ({})", local.format("%H:%M"), tz.name());
    let weekday = local.weekday();
    let date = local.format("%d.%m").to_string();
    match language {
        Language::Uk => match days {
            0 => format!("сьогодні о {time}"),
            1 => format!("завтра о {time}"),
            2..=6 => format!("{} о {time}", uk_weekday(weekday)),
            _ => format!("{date} о {time}"),
        },
        Language::Ru => match days {
            0 => format!("сегодня в {time}"),
            1 => format!("завтра в {time}"),
            2..=6 => format!("{} в {time}", ru_weekday(weekday)),
            _ => format!("{date} в {time}"),
        },
        _ => match days {
            0 => format!("today at {time}"),
            1 => format!("tomorrow at {time}"),
            2..=6 => format!(
                "on {weekday_en} at {time}",
                weekday_en = en_weekday(weekday)
            ),
            _ => format!("on {date} at {time}"),
        },
    }
}

fn uk_weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "у понеділок",
        Weekday::Tue => "у вівторок",
        Weekday::Wed => "у середу",
        Weekday::Thu => "у четвер",
        Weekday::Fri => "у п'ятницю",
        Weekday::Sat => "у суботу",
        Weekday::Sun => "у неділю",
    }
}

fn ru_weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "в понедельник",
        Weekday::Tue => "во вторник",
        Weekday::Wed => "в среду",
        Weekday::Thu => "в четверг",
        Weekday::Fri => "в пятницу",
        Weekday::Sat => "в субботу",
        Weekday::Sun => "в воскресенье",
    }
}

fn en_weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::SlaConfig;
    use chrono::TimeZone;

    fn kyiv_office() -> BusinessCalendar {
        BusinessCalendar::from_config(&SlaConfig {
            timezone: "Europe/Kyiv".into(),
            hours: "09:00-18:00".into(),
            days: vec![1, 2, 3, 4, 5],
            ..SlaConfig::default()
        })
        .unwrap()
    }

    #[test]
    fn friday_night_promises_monday_morning_in_the_customers_language() {
        // Friday 4 December 2026, 22:00 in Kyiv (20:00 UTC).
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 20, 0, 0).unwrap();
        let cal = kyiv_office();
        let uk = away_reply("Вітаю!", Language::Uk, Formality::Formal, &cal, now).unwrap();
        assert!(
            uk.contains("людина відповість Вам у понеділок о 09:00 (Europe/Kyiv)"),
            "{uk}"
        );
        let ru = away_reply(
            "Здравствуйте!",
            Language::Ru,
            Formality::Informal,
            &cal,
            now,
        )
        .unwrap();
        assert!(ru.contains("ответит тебе в понедельник в 09:00"), "{ru}");
        let en = away_reply("Hello,", Language::En, Formality::Unknown, &cal, now).unwrap();
        assert!(en.starts_with("Hello,"), "{en}");
        assert!(en.contains("on Monday at 09:00"), "{en}");
    }

    #[test]
    fn early_morning_says_today_and_open_hours_say_nothing() {
        let cal = kyiv_office();
        // Tuesday 1 December 2026, 06:30 in Kyiv.
        let early = Utc.with_ymd_and_hms(2026, 12, 1, 4, 30, 0).unwrap();
        let text = away_reply("Hi", Language::En, Formality::Unknown, &cal, early).unwrap();
        assert!(text.contains("today at 09:00"), "{text}");
        let noon = Utc.with_ymd_and_hms(2026, 12, 1, 10, 0, 0).unwrap();
        assert_eq!(
            away_reply("Hi", Language::En, Formality::Unknown, &cal, noon),
            None
        );
        assert_eq!(
            away_reply(
                "Hi",
                Language::En,
                Formality::Unknown,
                &BusinessCalendar::always(),
                early
            ),
            None
        );
    }

    #[test]
    fn messages_from_before_the_channel_started_get_none() {
        let cal = kyiv_office();
        let night = Utc.with_ymd_and_hms(2026, 12, 1, 22, 0, 0).unwrap();
        let started = night - Duration::hours(1);
        assert!(away_due(&cal, night, night, started));
        assert!(!away_due(
            &cal,
            night,
            started - Duration::minutes(1),
            started
        ));
    }
}
