//! Loading the settings file for every command, the console and `doctor`: syntax and
//! types are `config`'s, then every value is checked by the module that gives it its
//! meaning (the SLA calendar, the key map, the theme). A mistake stops the start with
//! file, line, key and what is expected; before this, `timezone = "Europe/Kiev2"` ran
//! everything in UTC and `hours = "9-18"` made the queue 24/7 without a word.

use std::path::Path;

use crate::config::{Config, ConfigError, Invalid, PriorityMinutes, SlaConfig};
use crate::sla::{BusinessCalendar, CalendarError};
use crate::tui::keymap::{KeyMap, KeyMapError};

/// Reads and checks the settings at `path`. `required` is true when the user named
/// the file (`--config`): a missing one is then a mistake, not "use the defaults".
pub fn load(path: &Path, required: bool) -> Result<Config, ConfigError> {
    Config::load_checked(path, required, check)
}

/// A settings mistake is the user's to fix (exit 1); an unreadable file is I/O (exit 2).
pub fn cli_error(e: ConfigError) -> anyhow::Error {
    if e.is_user_error() {
        super::user_error(e.to_string())
    } else {
        e.into()
    }
}

/// Every value that cannot be used, in file order of the checks; empty when all is well.
pub fn check(config: &Config) -> Vec<Invalid> {
    let mut found = Vec::new();
    // The calendar reports its first problem; setting that value back to its default
    // and asking again finds the rest, so `doctor` can list them all at once.
    let mut sla = config.sla.clone();
    while let Err(e) = BusinessCalendar::from_config(&sla) {
        forget(&mut sla, &e);
        found.push(calendar_problem(e));
    }
    if let Err(e) = KeyMap::with_overrides(&config.ui.keys) {
        found.push(keymap_problem(e));
    }
    found.extend(check_theme(config.ui.theme.as_deref()));
    if let Some(url) = &config.store.url {
        if let Err(message) = crate::store::postgres::check_url(url) {
            found.push(Invalid {
                key: "store.url".into(),
                message,
            });
        }
    }
    found.extend(crate::mail::imap::check_accounts(&config.mail));
    found.extend(crate::mail::imap::away::check_settings(config));
    let settings_dir = config.path.as_deref().and_then(Path::parent);
    found.extend(crate::mail::smtp::check_settings(
        &config.mail,
        settings_dir,
    ));
    if let Err(message) = crate::tone::ConfirmPolicy::parse(&config.tone.confirm) {
        found.push(Invalid {
            key: "tone.confirm".into(),
            message,
        });
    }
    let sla = &config.sla;
    check_minutes(
        "sla.first_response_minutes",
        &sla.first_response_minutes,
        &mut found,
    );
    check_minutes(
        "sla.next_response_minutes",
        &sla.next_response_minutes,
        &mut found,
    );
    check_minutes(
        "sla.resolution_minutes",
        &sla.resolution_minutes,
        &mut found,
    );
    for (channel, overrides) in &sla.channels {
        for (name, minutes) in [
            ("first_response_minutes", &overrides.first_response_minutes),
            ("next_response_minutes", &overrides.next_response_minutes),
            ("resolution_minutes", &overrides.resolution_minutes),
        ] {
            if let Some(m) = minutes {
                check_minutes(&format!("sla.channels.{channel}.{name}"), m, &mut found);
            }
        }
    }
    if let Some(bad) = sla.warn_minutes.iter().find(|m| **m < 0) {
        found.push(Invalid {
            key: "sla.warn_minutes".into(),
            message: format!(
                "[sla] warn_minutes contains {bad}; list minutes before a breach, e.g. [60, 15]"
            ),
        });
    }
    if sla.first_contact_target_percent > 100 {
        found.push(Invalid {
            key: "sla.first_contact_target_percent".into(),
            message: format!(
                "[sla] first_contact_target_percent is {}; expected a percentage from 0 to 100",
                sla.first_contact_target_percent
            ),
        });
    }
    if let Some(telegram) = &config.telegram {
        check_telegram(telegram, &mut found);
    }
    found
}

/// `[telegram]`: exactly one way to get the token, a Bot API URL that does not send
/// the token in clear text over a network, and sensible intervals. The token's value
/// is never read here and never appears in a message.
fn check_telegram(t: &crate::config::TelegramConfig, found: &mut Vec<Invalid>) {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    match (set(&t.token_env), set(&t.token_command)) {
        (true, true) => found.push(Invalid {
            key: "telegram.token_command".into(),
            message: "[telegram] has both token_env and token_command; keep one".into(),
        }),
        (false, false) => found.push(Invalid {
            key: "telegram".into(),
            message: "[telegram] needs token_env (the variable holding the bot token) or token_command (a command printing it)".into(),
        }),
        _ => {}
    }
    if let Some(name) = t.token_env.as_deref().filter(|n| !n.trim().is_empty()) {
        let valid = name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            && !name.starts_with(|c: char| c.is_ascii_digit());
        if !valid {
            found.push(Invalid {
                key: "telegram.token_env".into(),
                message: format!(
                    "[telegram] token_env '{}' is not an environment variable name; expected e.g. \"FIRSTLINE_TELEGRAM_TOKEN\" (the name, not the token)",
                    crate::display::sanitize_line(name)
                ),
            });
        }
    }
    if let Err(why) = crate::telegram::check_api_url(&t.api_url) {
        found.push(Invalid {
            key: "telegram.api_url".into(),
            message: format!("[telegram] api_url: {why}"),
        });
    }
    if !(1..=365).contains(&t.new_ticket_after_days) {
        found.push(Invalid {
            key: "telegram.new_ticket_after_days".into(),
            message: format!(
                "[telegram] new_ticket_after_days is {}; expected days from 1 to 365",
                t.new_ticket_after_days
            ),
        });
    }
    if t.poll_seconds > 50 {
        found.push(Invalid {
            key: "telegram.poll_seconds".into(),
            message: format!(
                "[telegram] poll_seconds is {}; expected 0 to 50 (Telegram answers a long poll within 50 s)",
                t.poll_seconds
            ),
        });
    }
}

/// Puts the setting `e` complains about back to its default (each call removes one
/// cause, so the loop above ends).
fn forget(sla: &mut SlaConfig, e: &CalendarError) {
    let default = SlaConfig::default();
    match e {
        CalendarError::TimeZone(_) => sla.timezone = default.timezone,
        CalendarError::Hours(_) => sla.hours = default.hours,
        CalendarError::Day(_) | CalendarError::NoWorkingDays => sla.days = default.days,
        CalendarError::Holiday(_) => sla.holidays = default.holidays,
        CalendarError::Channel(name) => {
            sla.channels.remove(name);
        }
    }
}

fn calendar_problem(e: CalendarError) -> Invalid {
    let key = match &e {
        CalendarError::TimeZone(_) => "sla.timezone".to_string(),
        CalendarError::Hours(_) => "sla.hours".into(),
        CalendarError::Day(_) | CalendarError::NoWorkingDays => "sla.days".into(),
        CalendarError::Holiday(_) => "sla.holidays".into(),
        CalendarError::Channel(name) => format!("sla.channels.{name}"),
    };
    Invalid {
        key,
        message: e.to_string(),
    }
}

fn keymap_problem(e: KeyMapError) -> Invalid {
    let key = match &e {
        KeyMapError::UnknownAction(action) | KeyMapError::BadKey { action, .. } => {
            format!("ui.keys.{action}")
        }
    };
    Invalid {
        key,
        message: e.to_string(),
    }
}

/// The names `tui::theme` understands; anything else silently meant dark.
const THEMES: &[&str] = &["auto", "dark", "light", "mono", "none"];

fn check_theme(theme: Option<&str>) -> Option<Invalid> {
    let t = theme?;
    (!THEMES.contains(&t.to_lowercase().as_str())).then(|| Invalid {
        key: "ui.theme".into(),
        message: format!("[ui] theme '{t}' is not one of {}", THEMES.join(", ")),
    })
}

/// A negative target is a typo (zero is allowed: "always overdue", which tests and
/// strict desks use).
fn check_minutes(key: &str, minutes: &PriorityMinutes, found: &mut Vec<Invalid>) {
    for (level, value) in [
        ("urgent", minutes.urgent),
        ("high", minutes.high),
        ("normal", minutes.normal),
        ("low", minutes.low),
    ] {
        if value < 0 {
            found.push(Invalid {
                key: format!("{key}.{level}"),
                message: format!("{key}.{level} is {value}; expected minutes, 0 or more"),
            });
        }
    }
}
