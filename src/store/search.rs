//! Full-text search: a small query language parsed into an FTS5 expression plus
//! SQL filters. Words, "phrases", prefix*, -excluded, `OR`, and the filters
//! `from:` `status:` `tag:` `channel:` `priority:` `subject:` `before:` `after:`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use rusqlite::params_from_iter;
use serde::{Deserialize, Serialize};

use super::tickets::TicketFilter;
use super::{to_ts, Result, Store, StoreError};
use crate::model::{Channel, Priority, Status, TicketId, TicketSummary};

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

/// One user string as an FTS5 string literal: folded like the index, quotes doubled,
/// so FTS5 syntax characters in it are searched, never interpreted.
fn fts_quote(s: &str) -> String {
    format!(
        "\"{}\"",
        super::messages::fold_for_index(s).replace('"', "\"\"")
    )
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

    /// The excluded words alone (`-spam`), as one FTS5 expression: with no words to
    /// match, a ticket is kept when none of its messages contains any of them.
    pub fn excluded_expression(&self) -> Option<String> {
        let excluded: Vec<String> = self
            .terms
            .iter()
            .filter_map(|t| match t {
                Term::Not(w) => Some(fts_quote(w)),
                _ => None,
            })
            .collect();
        (!excluded.is_empty()).then(|| excluded.join(" OR "))
    }

    /// The FTS5 MATCH expression. Every user string is double-quoted, so FTS5 syntax
    /// characters in a query ("C++", "AT&T", "-") are searched, never interpreted.
    pub fn fts_expression(&self) -> Option<String> {
        let quote = fts_quote;
        let mut groups: Vec<Vec<String>> = vec![Vec::new()];
        let mut negatives = Vec::new();
        for term in &self.terms {
            match term {
                Term::Word(w) | Term::Phrase(w) => groups.last_mut()?.push(quote(w)),
                Term::Prefix(p) => groups.last_mut()?.push(format!("{} *", quote(p))),
                Term::Subject(w) => groups.last_mut()?.push(format!("subject : {}", quote(w))),
                Term::Not(w) => negatives.push(quote(w)),
                Term::Or => groups.push(Vec::new()),
            }
        }
        let groups: Vec<String> = groups
            .into_iter()
            .filter(|g| !g.is_empty())
            .map(|g| format!("({})", g.join(" AND ")))
            .collect();
        if groups.is_empty() {
            return None;
        }
        let mut expr = groups.join(" OR ");
        if !negatives.is_empty() {
            expr = format!("({expr}) NOT ({})", negatives.join(" OR "));
        }
        Some(expr)
    }
}

/// What a search found: the first hits up to the limit, and how many tickets match in
/// all, so a list cut by the limit can say "50 of 732".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    pub total: usize,
}

impl Store {
    /// Finds tickets for a query, newest first (or best first with `sort:relevance`),
    /// at most `limit` of them.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        Ok(self.search_counted(query, limit)?.hits)
    }

    /// Finds tickets for a query with the number that matched in all. Every filter,
    /// dates included, is part of the one SQL statement that picks the tickets, so
    /// the limit cuts the answer and never the candidates a filter then thins out.
    ///
    /// *Newest* orders tickets by their newest matching message (with no words: their
    /// newest message inside the `after:`/`before:` window), the way mail readers order
    /// threads. Counting needs every match, so a common word reads all its postings;
    /// that is the price of an honest "50 of 732".
    pub fn search_counted(&self, query: &SearchQuery, limit: usize) -> Result<SearchResults> {
        let filter = TicketFilter {
            statuses: query.statuses.clone(),
            tag: query.tag.clone(),
            channel: query.channel,
            priority: query.priority,
            customer: query.from.clone(),
            ..Default::default()
        };
        let (where_sql, mut args) = super::tickets::filter_sql(&filter, Utc::now());
        let join = super::tickets::customer_join(&filter);
        let mut window = String::new();
        if let Some(after) = query.after {
            args.push(to_ts(after).into());
            window += &format!(" AND m.sent_at >= ?{}", args.len());
        }
        if let Some(before) = query.before {
            args.push(to_ts(before).into());
            window += &format!(" AND m.sent_at < ?{}", args.len());
        }
        let sql = match query.fts_expression().filter(|_| query.has_text()) {
            Some(expr) => {
                args.push(expr.into());
                let (key, direction) = match query.order {
                    SearchOrder::Newest => ("max(m.sent_at)", "DESC"),
                    SearchOrder::Relevance => ("min(s.rank)", "ASC"),
                };
                // The bare `m.id` comes from the row that gave the max/min: the
                // newest (or best) matching message, the one to jump to.
                format!(
                    "SELECT m.ticket_id, m.id, {key} AS k FROM search_index s
                     JOIN messages m ON m.id = s.rowid
                     JOIN tickets t ON t.id = m.ticket_id {join}
                     WHERE search_index MATCH ?{} AND ({where_sql}){window}
                     GROUP BY m.ticket_id ORDER BY k {direction}, m.ticket_id DESC",
                    args.len()
                )
            }
            None => {
                let mut excluded = String::new();
                if let Some(expr) = query.excluded_expression() {
                    args.push(expr.into());
                    excluded = format!(
                        " AND t.id NOT IN (SELECT m.ticket_id FROM search_index s
                           JOIN messages m ON m.id = s.rowid WHERE search_index MATCH ?{})",
                        args.len()
                    );
                }
                format!(
                    "SELECT id, NULL, k FROM (
                        SELECT t.id AS id, (SELECT max(m.sent_at) FROM messages m
                            WHERE m.ticket_id = t.id{window}) AS k
                        FROM tickets t {join} WHERE ({where_sql}){excluded})
                     WHERE k IS NOT NULL ORDER BY k DESC, id DESC"
                )
            }
        };
        let matched = self
            .conn
            .prepare(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(params_from_iter(args.iter()), |r| {
                    Ok((r.get::<_, TicketId>(0)?, r.get::<_, Option<i64>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| StoreError::Invalid(format!("cannot search for that: {e}")))?;
        let page = &matched[..limit.min(matched.len())];
        let found = self.list_tickets(&TicketFilter {
            ids: Some(page.iter().map(|(t, _)| *t).collect()),
            ..Default::default()
        })?;
        let hits = page
            .iter()
            .filter_map(|(t, m)| {
                found.iter().find(|s| s.ticket.id == *t).map(|s| SearchHit {
                    summary: s.clone(),
                    message_id: *m,
                })
            })
            .collect();
        Ok(SearchResults {
            hits,
            total: matched.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_words_phrases_prefixes_and_filters() {
        let q = SearchQuery::parse(
            r#"refund "double charge" пароль* -spam status:open from:olena tag:billing"#,
        )
        .unwrap();
        assert_eq!(
            q.terms,
            vec![
                Term::Word("refund".into()),
                Term::Phrase("double charge".into()),
                Term::Prefix("пароль".into()),
                Term::Not("spam".into()),
            ]
        );
        assert_eq!(q.statuses, vec![Status::Open]);
        assert_eq!(q.from.as_deref(), Some("olena"));
        assert_eq!(q.tag.as_deref(), Some("billing"));
        assert_eq!(
            q.fts_expression().unwrap(),
            r#"(("refund" AND "double charge" AND "пароль" *)) NOT ("spam")"#
        );
    }

    #[test]
    fn syntax_characters_are_searched_not_interpreted() {
        let q = SearchQuery::parse(r#"C++ AT&T NEAR( "a""#).unwrap();
        let expr = q.fts_expression().unwrap();
        assert!(expr.contains(r#""C++""#), "{expr}");
        assert!(expr.contains(r#""NEAR(""#), "{expr}");
    }

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
