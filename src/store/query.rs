//! The search query language, parsed into a backend-neutral [`SearchQuery`]: words,
//! "phrases", prefix*, -excluded, `OR`, and the filters `from:` `status:` `tag:`
//! `channel:` `priority:` `subject:` `before:` `after:` `sort:`. Each backend compiles
//! the parsed query into its own full-text expression (SQLite: FTS5).

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::{Result, StoreError};
use crate::model::{Channel, Priority, Status, TicketSummary};

/// One searchable item of a query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Term {
    Word(String),
    Prefix(String),
    Phrase(String),
    /// `subject:word`: the word must be in the subject.
    Subject(String),
    Not(String),
    Or,
}

/// A parsed search: what to match in text, and what to filter by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub terms: Vec<Term>,
    pub from: Option<String>,
    pub statuses: Vec<Status>,
    pub tag: Option<String>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub before: Option<DateTime<Utc>>,
    pub after: Option<DateTime<Utc>>,
    pub order: SearchOrder,
}

/// How hits are ordered. Newest first is what mail users expect (notmuch and mu do the
/// same) and stays fast on a million messages: FTS5 walks its doclists backwards and
/// stops early, while ranking must score every match of a common word first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SearchOrder {
    #[default]
    Newest,
    /// BM25 relevance, best first.
    Relevance,
}

/// A ticket found by a search, best match first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub summary: TicketSummary,
    /// The message that matched best, to jump to in the thread.
    pub message_id: Option<i64>,
}

/// Splits on whitespace but keeps "quoted phrases" (and `key:"quoted value"`) whole.
/// A quote left open is refused: guessing where the phrase ends would search for
/// something the user did not ask for.
fn tokenize(input: &str) -> Result<Vec<String>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    for ch in input.chars() {
        match ch {
            '"' => {
                quoted = !quoted;
                cur.push(ch);
            }
            c if c.is_whitespace() && !quoted => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(StoreError::Invalid(format!(
            "the search has an unterminated quote ({cur}); close it with \" or drop it"
        )));
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    Ok(out)
}

/// A moment in the past as people type it: a date (`2026-11-01`, its midnight in
/// `tz`, the `sla.timezone`), a date and time (`2026-11-01T09:00`, in `tz`), `today`
/// or `yesterday` (midnight in `tz`), or an age back from `now`: `30m`, `12h`, `3d`,
/// `2w`, `2mo`, `1y`. Search filters, `report --since` and `import
/// --archive-older-than` all read times with this one function.
pub fn parse_when(value: &str, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
    let v = value.trim().to_lowercase();
    let local = |at: chrono::NaiveDateTime| {
        tz.from_local_datetime(&at)
            .earliest()
            .map(|t| t.with_timezone(&Utc))
    };
    if let Ok(date) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        return local(date.and_time(NaiveTime::MIN));
    }
    if let Ok(at) = NaiveDateTime::parse_from_str(&v, "%Y-%m-%dt%H:%M") {
        return local(at);
    }
    let today = now.with_timezone(&tz).date_naive();
    match v.as_str() {
        "today" => return local(today.and_time(NaiveTime::MIN)),
        "yesterday" => return local(today.pred_opt()?.and_time(NaiveTime::MIN)),
        _ => {}
    }
    let (num, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = num.parse().ok()?;
    let span = match unit {
        "m" | "min" => Duration::minutes(n),
        "h" => Duration::hours(n),
        "d" => Duration::days(n),
        "w" => Duration::weeks(n),
        "mo" => Duration::days(30 * n),
        "y" => Duration::days(365 * n),
        _ => return None,
    };
    Some(now - span)
}

impl SearchQuery {
    /// The ticket conditions of a search (`status:`, `tag:`, `from:` …) as a list
    /// filter: every backend narrows a search's tickets with this one.
    pub fn ticket_filter(&self) -> super::TicketFilter {
        super::TicketFilter {
            statuses: self.statuses.clone(),
            tag: self.tag.clone(),
            channel: self.channel,
            priority: self.priority,
            customer: self.from.clone(),
            ..Default::default()
        }
    }

    /// Parses the user's query with dates in UTC. Unknown `key:` prefixes are searched
    /// as plain text, so "error: 500" still works; bad filter values and an unterminated
    /// quote are an [`StoreError::Invalid`] naming the problem.
    pub fn parse(input: &str) -> Result<SearchQuery> {
        SearchQuery::parse_in(input, Utc::now(), chrono_tz::UTC)
    }

    /// Parses the user's query, reading `before:`/`after:` dates in `tz` (the
    /// `sla.timezone`): `before:2025-06-01` means that day's midnight where the
    /// support person works, not in Greenwich.
    pub fn parse_in(input: &str, now: DateTime<Utc>, tz: Tz) -> Result<SearchQuery> {
        let mut q = SearchQuery::default();
        for tok in tokenize(input)? {
            let unquote = |s: &str| s.trim_matches('"').to_string();
            if let Some((key, value)) = tok
                .split_once(':')
                .filter(|(k, v)| !k.is_empty() && !v.is_empty() && !k.starts_with('"'))
            {
                let value = unquote(value);
                let bad = |what: &str| {
                    StoreError::Invalid(format!("cannot read {what} '{value}' in the search"))
                };
                match key.to_lowercase().as_str() {
                    "from" | "customer" => {
                        q.from = Some(value);
                        continue;
                    }
                    "status" | "is" => {
                        q.statuses.push(value.parse().map_err(
                            |e: crate::model::ParseEnumError| StoreError::Invalid(e.to_string()),
                        )?);
                        continue;
                    }
                    "tag" => {
                        q.tag = Some(value);
                        continue;
                    }
                    "channel" => {
                        q.channel =
                            Some(value.parse().map_err(|e: crate::model::ParseEnumError| {
                                StoreError::Invalid(e.to_string())
                            })?);
                        continue;
                    }
                    "priority" => {
                        q.priority =
                            Some(value.parse().map_err(|e: crate::model::ParseEnumError| {
                                StoreError::Invalid(e.to_string())
                            })?);
                        continue;
                    }
                    "before" => {
                        q.before = Some(parse_when(&value, now, tz).ok_or_else(|| bad("date"))?);
                        continue;
                    }
                    "sort" | "order" if value == "relevance" || value == "rank" => {
                        q.order = SearchOrder::Relevance;
                        continue;
                    }
                    "sort" | "order" if value == "newest" || value == "date" => {
                        q.order = SearchOrder::Newest;
                        continue;
                    }
                    "sort" | "order" => {
                        return Err(StoreError::Invalid(format!(
                            "cannot read sort '{value}' in the search; use sort:newest or sort:relevance"
                        )));
                    }
                    "after" | "since" => {
                        q.after = Some(parse_when(&value, now, tz).ok_or_else(|| bad("date"))?);
                        continue;
                    }
                    "subject" => {
                        q.terms.push(Term::Subject(value));
                        continue;
                    }
                    _ => {}
                }
            }
            if tok == "OR" {
                q.terms.push(Term::Or);
            } else if let Some(rest) = tok.strip_prefix('-').filter(|r| !r.is_empty()) {
                q.terms.push(Term::Not(unquote(rest)));
            } else if tok.starts_with('"') {
                let phrase = unquote(&tok);
                if !phrase.trim().is_empty() {
                    q.terms.push(Term::Phrase(phrase));
                }
            } else if let Some(stem) = tok.strip_suffix('*').filter(|s| !s.is_empty()) {
                q.terms.push(Term::Prefix(stem.to_string()));
            } else {
                q.terms.push(Term::Word(tok));
            }
        }
        Ok(q)
    }

    /// Whether any free-text term is present (otherwise only filters apply).
    pub fn has_text(&self) -> bool {
        self.terms
            .iter()
            .any(|t| !matches!(t, Term::Not(_) | Term::Or))
    }
}

/// What a search found: the first hits up to the limit, and how many tickets match in
/// all, so a list cut by the limit can say "50 of 732".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filter_value_is_an_error_naming_it() {
        let err = SearchQuery::parse("status:later").unwrap_err();
        assert!(err.to_string().contains("later"), "{err}");
        assert!(SearchQuery::parse("before:someday").is_err());
    }

    #[test]
    fn newest_first_unless_asked_for_relevance() {
        assert_eq!(
            SearchQuery::parse("refund").unwrap().order,
            SearchOrder::Newest
        );
        assert_eq!(
            SearchQuery::parse("refund sort:relevance").unwrap().order,
            SearchOrder::Relevance
        );
    }

    #[test]
    fn unknown_key_is_plain_text() {
        let q = SearchQuery::parse("error:500").unwrap();
        assert_eq!(q.terms, vec![Term::Word("error:500".into())]);
    }

    #[test]
    fn relative_dates() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let utc = chrono_tz::UTC;
        assert_eq!(parse_when("3d", now, utc), Some(now - Duration::days(3)));
        assert_eq!(
            parse_when("2026-11-01", now, utc),
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_when("soon", now, utc), None);
    }

    #[test]
    fn issue13_10_dates_are_read_in_the_configured_time_zone() {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap();
        let kyiv: Tz = "Europe/Kyiv".parse().unwrap();
        assert_eq!(
            parse_when("2026-11-01", now, kyiv),
            Some(Utc.with_ymd_and_hms(2026, 10, 31, 22, 0, 0).unwrap()),
            "midnight in Kyiv is 22:00 UTC the day before"
        );
        assert_eq!(
            parse_when("2026-11-01T09:30", now, kyiv),
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 7, 30, 0).unwrap())
        );
        let q = SearchQuery::parse_in("before:2026-11-01", now, kyiv).unwrap();
        assert_eq!(q.before, parse_when("2026-11-01", now, kyiv));
    }

    #[test]
    fn issue13_10_unterminated_quote_is_a_clear_error() {
        let err = SearchQuery::parse(r#"refund "double charge"#).unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        assert!(err.is_user_error());
        assert!(err.to_string().contains("unterminated quote"), "{err}");
    }
}
