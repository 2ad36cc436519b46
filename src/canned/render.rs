//! Filling a template's placeholders with minijinja. Rendering for the composer never
//! fails: a placeholder with no value becomes a visible `[customer.first_name]` marker
//! whose byte range is reported, so the TUI can highlight it, put the cursor there and
//! hold the reply until it is filled. A template that cannot be rendered at all comes
//! back as written, with every tag marked.

use std::collections::BTreeMap;
use std::ops::Range;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, Datelike, Duration, FixedOffset, Weekday};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

use super::{CannedError, RenderContext, Rendered};

/// Stand-ins for unfilled placeholders while rendering: private-use characters never
/// typed by people, so finding them again in the output is unambiguous.
const HOLE_OPEN: char = '\u{E000}';
const HOLE_CLOSE: char = '\u{E001}';

/// More unfilled placeholders than this in one template means something else is wrong.
const MAX_HOLES: usize = 64;

/// The default format of the `date` filter: day.month.year reads right in all three
/// languages of the product.
const DEFAULT_DATE_FORMAT: &str = "%d.%m.%Y";

fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    // SemiStrict: printing a missing value is an error we can locate, while
    // `{% if customer.first_name %}` still simply tests false.
    env.set_undefined_behavior(UndefinedBehavior::SemiStrict);
    // No trim_blocks: a template ending in `{% endif %}` must keep the blank line that
    // `compose` puts after it. Use `{%- ... -%}` to trim by hand.
    env.set_keep_trailing_newline(true);
    env.add_filter("date", date);
    env.add_filter("add_days", add_days);
    env.add_filter("add_workdays", add_workdays);
    env.add_filter("vocative", vocative);
    env
}

fn parse_time(value: &str) -> Result<DateTime<FixedOffset>, Error> {
    DateTime::parse_from_rfc3339(value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("'{value}' is not a date ({e})"),
        )
    })
}

/// `{{ now | date("%d.%m.%Y") }}`: formats a date with chrono's strftime codes.
fn date(value: String, format: Option<String>) -> Result<String, Error> {
    let format = format.unwrap_or_else(|| DEFAULT_DATE_FORMAT.to_string());
    if StrftimeItems::new(&format).any(|i| matches!(i, Item::Error)) {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("'{format}' is not a date format (try \"%d.%m.%Y\")"),
        ));
    }
    Ok(parse_time(&value)?.format(&format).to_string())
}

/// `{{ now | add_days(2) }}`: a date some days away.
fn add_days(value: String, days: i64) -> Result<String, Error> {
    let shifted = parse_time(&value)?
        .checked_add_signed(Duration::days(days))
        .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "date out of range"))?;
    Ok(shifted.to_rfc3339())
}

/// `{{ now | add_workdays(1) }}`: like `add_days` but skips Saturdays and Sundays, for
/// promises such as "I will write by <next working day>".
fn add_workdays(value: String, days: i64) -> Result<String, Error> {
    let mut at = parse_time(&value)?;
    let mut left = days.max(0);
    while left > 0 {
        at += Duration::days(1);
        if !matches!(at.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    Ok(at.to_rfc3339())
}

/// `{{ customer.first_name | vocative }}`: the Ukrainian vocative case of a first name
/// ("Олена" → "Олено", "Тарас" → "Тарасе", "Андрій" → "Андрію"), which a Ukrainian
/// greeting needs to sound native. Names it has no rule for are returned unchanged.
pub fn vocative(name: String) -> String {
    let word = name.trim();
    let chars: Vec<char> = word.chars().collect();
    let Some(&last) = chars.last() else {
        return name;
    };
    let russian_only = chars.iter().any(|c| "ыэъёЫЭЪЁ".contains(*c)) || word.ends_with("ий");
    if chars.len() < 3
        || russian_only
        || !chars
            .iter()
            .all(|c| is_cyrillic(*c) || *c == '\'' || *c == '’')
    {
        return name;
    }
    if let Some(exception) = VOCATIVE_EXCEPTIONS.iter().find(|(n, _)| *n == word) {
        return exception.1.to_string();
    }
    let stem: String = chars[..chars.len() - 1].iter().collect();
    let before = chars[chars.len() - 2];
    let lower = last.to_lowercase().next().unwrap_or(last);
    match lower {
        'а' if "жчшщ".contains(before) => name,
        'а' => format!("{stem}о"),
        'я' if "іиаеоу".contains(before) || before == 'ї' => format!("{stem}є"),
        'я' => format!("{stem}ю"),
        'й' | 'ь' => format!("{stem}ю"),
        'о' if before == 'к' => format!("{stem}у"),
        'о' => format!("{stem}е"),
        c if "бвгдзклмнпрстфхц".contains(c) => format!("{word}е"),
        _ => name,
    }
}

/// Names whose vocative the rules above get wrong.
const VOCATIVE_EXCEPTIONS: &[(&str, &str)] = &[
    ("Лев", "Леве"),
    ("Олег", "Олеже"),
    ("Сергій", "Сергію"),
    ("Юрій", "Юрію"),
    ("Ольга", "Ольго"),
    ("Люба", "Любо"),
    ("Михайло", "Михайле"),
    ("Павло", "Павле"),
];

fn is_cyrillic(c: char) -> bool {
    ('\u{0400}'..='\u{04FF}').contains(&c)
}

/// Builds the values templates see. Empty fields are left out, so `default(...)` and
/// `{% if %}` treat "not configured" and "unknown" alike and printing one is reported.
fn template_values(env: &Environment, ctx: &RenderContext) -> Value {
    fn put(map: &mut BTreeMap<&'static str, Value>, key: &'static str, value: &str) {
        if !value.trim().is_empty() {
            map.insert(key, Value::from(value.trim()));
        }
    }
    let mut customer = BTreeMap::new();
    let mut root = BTreeMap::new();
    if let Some(c) = ctx.customer {
        put(&mut customer, "name", &c.name);
        if let Some(first) = c.first_name() {
            put(&mut customer, "first_name", first);
        }
        if let Some(email) = c.emails.first() {
            put(&mut customer, "email", email);
        }
        put(&mut customer, "language", c.language.as_str());
        put(&mut customer, "formality", c.formality.as_str());
        root.insert("language", Value::from(c.language.as_str()));
        root.insert("formality", Value::from(c.formality.as_str()));
        root.insert(
            "formal",
            Value::from(c.formality != crate::model::Formality::Informal),
        );
    }
    let mut ticket = BTreeMap::new();
    if let Some(t) = ctx.ticket {
        ticket.insert("id", Value::from(t.id));
        put(&mut ticket, "subject", &t.subject);
        put(&mut ticket, "status", t.status.as_str());
        put(&mut ticket, "priority", t.priority.as_str());
        put(&mut ticket, "channel", t.channel.as_str());
    }
    let mut agent = BTreeMap::new();
    put(&mut agent, "name", &ctx.agent.name);
    put(&mut agent, "email", &ctx.agent.email);
    put(&mut agent, "company", &ctx.agent.company);
    // A signature may itself say `{{ agent.name }}, {{ agent.company }}`.
    let signature = if ctx.agent.signature.contains("{{") {
        let only_agent = BTreeMap::from([("agent", Value::from_serialize(&agent))]);
        env.render_str(&ctx.agent.signature, only_agent)
            .unwrap_or_else(|_| ctx.agent.signature.clone())
    } else {
        ctx.agent.signature.clone()
    };
    put(&mut agent, "signature", &signature);
    root.insert("customer", Value::from_serialize(&customer));
    root.insert("ticket", Value::from_serialize(&ticket));
    root.insert("agent", Value::from_serialize(&agent));
    root.insert("now", Value::from(ctx.now.to_rfc3339()));
    Value::from_serialize(&root)
}

/// Checks a template's syntax without rendering it, for saving edits: a typo in
/// `{% if %}` is reported with its line instead of surfacing mid-reply.
pub fn check(body: &str) -> Result<(), CannedError> {
    let env = environment();
    env.template_from_str(body)
        .map(|_| ())
        .map_err(template_error)
}

fn template_error(e: Error) -> CannedError {
    CannedError::Template {
        line: e.line().unwrap_or(0),
        detail: e
            .detail()
            .map(str::to_string)
            .unwrap_or_else(|| e.kind().to_string()),
    }
}

/// Renders strictly: any placeholder without a value is an error naming them all.
pub fn render_checked(body: &str, ctx: &RenderContext) -> Result<String, CannedError> {
    check(body)?;
    let rendered = render(body, ctx);
    if rendered.unfilled.is_empty() {
        return Ok(rendered.text);
    }
    let names = rendered
        .unfilled
        .iter()
        .map(|r| {
            rendered.text[r.clone()]
                .trim_matches(['[', ']'])
                .to_string()
        })
        .collect();
    Err(CannedError::Unfilled { names })
}

/// See [`crate::canned::render`].
pub fn render(body: &str, ctx: &RenderContext) -> Rendered {
    let env = environment();
    let values = template_values(&env, ctx);
    let mut source = body.to_string();
    let mut holes: Vec<String> = Vec::new();
    loop {
        match env.render_str(&source, &values) {
            Ok(text) => return fill_holes(&text, &holes),
            Err(e) if e.kind() == ErrorKind::UndefinedError && holes.len() < MAX_HOLES => {
                let Some(tag) = e.range().and_then(|r| enclosing_output_tag(&source, r)) else {
                    return unrendered(body);
                };
                holes.push(placeholder_name(&source[tag.clone()]));
                let hole = format!("{HOLE_OPEN}{}{HOLE_CLOSE}", holes.len() - 1);
                source.replace_range(tag, &hole);
            }
            Err(_) => return unrendered(body),
        }
    }
}

/// The `{{ ... }}` tag around an error's source range, if the error is inside one.
fn enclosing_output_tag(source: &str, range: Range<usize>) -> Option<Range<usize>> {
    let start = source.get(..range.start)?.rfind("{{")?;
    if source[start..range.start].contains("}}") {
        return None;
    }
    let end = range.end + source.get(range.end..)?.find("}}")? + 2;
    Some(start..end)
}

/// `{{ customer.first_name | vocative }}` → `customer.first_name`: what the user must fill.
fn placeholder_name(tag: &str) -> String {
    let inner = tag
        .trim_start_matches("{{")
        .trim_end_matches("}}")
        .trim_matches(['-', '+'])
        .trim();
    inner.split('|').next().unwrap_or(inner).trim().to_string()
}

fn fill_holes(text: &str, holes: &[String]) -> Rendered {
    let mut out = String::with_capacity(text.len());
    let mut unfilled = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(HOLE_OPEN) {
        out.push_str(&rest[..open]);
        let after = &rest[open + HOLE_OPEN.len_utf8()..];
        let Some(close) = after.find(HOLE_CLOSE) else {
            break;
        };
        let name = after[..close]
            .parse::<usize>()
            .ok()
            .and_then(|i| holes.get(i))
            .map(String::as_str)
            .unwrap_or("?");
        let start = out.len();
        out.push('[');
        out.push_str(name);
        out.push(']');
        unfilled.push(start..out.len());
        rest = &after[close + HOLE_CLOSE.len_utf8()..];
    }
    out.push_str(rest);
    Rendered {
        text: out,
        unfilled,
    }
}

/// A template that does not render: shown as written, every tag marked, so the user
/// sees exactly what needs fixing and cannot send it by accident.
fn unrendered(body: &str) -> Rendered {
    let mut unfilled = Vec::new();
    let mut at = 0;
    while let Some(start) = body[at..].find(['{']).map(|i| at + i) {
        let open = &body[start..];
        let close = if open.starts_with("{{") {
            "}}"
        } else if open.starts_with("{%") {
            "%}"
        } else if open.starts_with("{#") {
            "#}"
        } else {
            at = start + 1;
            continue;
        };
        match body[start + 2..].find(close) {
            Some(end) => {
                let end = start + 2 + end + 2;
                unfilled.push(start..end);
                at = end;
            }
            None => {
                unfilled.push(start..body.len());
                break;
            }
        }
    }
    Rendered {
        text: body.to_string(),
        unfilled,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocative_follows_ukrainian_rules() {
        let cases = [
            ("Олена", "Олено"),
            ("Тарас", "Тарасе"),
            ("Ігор", "Ігоре"),
            ("Андрій", "Андрію"),
            ("Марія", "Маріє"),
            ("Дмитро", "Дмитре"),
            ("Василь", "Василю"),
            ("Олександр", "Олександре"),
            ("Оля", "Олю"),
            ("Марко", "Марку"),
            ("Дмитрий", "Дмитрий"),
            ("Sarah", "Sarah"),
        ];
        for (name, expected) in cases {
            assert_eq!(vocative(name.into()), expected, "{name}");
        }
    }

    #[test]
    fn placeholder_name_drops_filters_and_whitespace_control() {
        assert_eq!(
            placeholder_name("{{- customer.first_name | vocative }}"),
            "customer.first_name"
        );
    }

    #[test]
    fn broken_template_comes_back_marked() {
        let r = unrendered("Hi {{ customer.name }, {% if x %}");
        assert_eq!(r.text, "Hi {{ customer.name }, {% if x %}");
        assert_eq!(r.unfilled.len(), 1, "{:?}", r.unfilled);
    }

    #[test]
    fn workdays_skip_the_weekend() {
        // 2026-11-27 is a Friday.
        let next = add_workdays("2026-11-27T10:00:00+00:00".into(), 1).unwrap();
        assert!(next.starts_with("2026-11-30"), "{next}");
        assert_eq!(date(next, Some("%A".into())).unwrap(), "Monday");
    }
}
