//! Full-text search: a small query language parsed into an FTS5 expression plus
//! SQL filters. Words, "phrases", prefix*, -excluded, `OR`, and the filters
//! `from:` `status:` `tag:` `channel:` `priority:` `subject:` `before:` `after:`.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
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

/// Splits on whitespace but keeps "quoted phrases" (and `key:"quoted value"`) whole.
fn tokenize(input: &str) -> Vec<String> {
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
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// `2026-11-01`, or a relative age: `3d`, `2w`, `12h`, `today`, `yesterday`.
pub fn parse_when(value: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let v = value.trim().to_lowercase();
    if let Ok(date) = NaiveDate::parse_from_str(&v, "%Y-%m-%d") {
        return Utc
            .from_local_datetime(&date.and_hms_opt(0, 0, 0)?)
            .single();
    }
    let midnight = |d: DateTime<Utc>| {
        Utc.from_local_datetime(&d.date_naive().and_hms_opt(0, 0, 0)?)
            .single()
    };
    match v.as_str() {
        "today" => return midnight(now),
        "yesterday" => return midnight(now - Duration::days(1)),
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
    /// Parses the user's query. Unknown `key:` prefixes are searched as plain text,
    /// so "error: 500" still works; bad filter values are an error naming the value.
    pub fn parse(input: &str) -> Result<SearchQuery> {
        let now = Utc::now();
        let mut q = SearchQuery::default();
        for tok in tokenize(input) {
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
                        q.before = Some(parse_when(&value, now).ok_or_else(|| bad("date"))?);
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
                    "after" | "since" => {
                        q.after = Some(parse_when(&value, now).ok_or_else(|| bad("date"))?);
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

    /// The FTS5 MATCH expression. Every user string is double-quoted, so FTS5 syntax
    /// characters in a query ("C++", "AT&T", "-") are searched, never interpreted.
    pub fn fts_expression(&self) -> Option<String> {
        let quote = |s: &str| {
            format!(
                "\"{}\"",
                super::messages::fold_for_index(s).replace('"', "\"\"")
            )
        };
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

impl Store {
    /// Finds tickets for a query, best first. Filters narrow the candidate set before
    /// ranking, so a common word with `status:open` stays fast.
    pub fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        let filter = TicketFilter {
            statuses: query.statuses.clone(),
            tag: query.tag.clone(),
            channel: query.channel,
            priority: query.priority,
            customer: query.from.clone(),
            ..Default::default()
        };
        let Some(expr) = query.fts_expression().filter(|_| query.has_text()) else {
            let mut rows = self.list_tickets(&TicketFilter {
                limit: Some(limit),
                sort: super::SortOrder::Updated,
                ..filter
            })?;
            rows.retain(|r| {
                query
                    .after
                    .is_none_or(|a| r.last_message_at.is_some_and(|l| l >= a))
                    && query.before.is_none_or(|b| r.ticket.created_at < b)
            });
            return Ok(rows
                .into_iter()
                .map(|summary| SearchHit {
                    summary,
                    message_id: None,
                })
                .collect());
        };
        let mut sql = String::from(
            "SELECT m.ticket_id, m.id, s.rank FROM search_index s
             JOIN messages m ON m.id = s.rowid
             JOIN tickets t ON t.id = m.ticket_id
             WHERE search_index MATCH ?1",
        );
        let mut args: Vec<rusqlite::types::Value> = vec![expr.into()];
        if let Some(after) = query.after {
            args.push(to_ts(after).into());
            sql += &format!(" AND m.sent_at >= ?{}", args.len());
        }
        if let Some(before) = query.before {
            args.push(to_ts(before).into());
            sql += &format!(" AND m.sent_at < ?{}", args.len());
        }
        if !query.statuses.is_empty() {
            let list: Vec<String> = query
                .statuses
                .iter()
                .map(|s| format!("'{}'", s.as_str()))
                .collect();
            sql += &format!(" AND t.status IN ({})", list.join(","));
        }
        sql += match query.order {
            SearchOrder::Newest => " ORDER BY s.rowid DESC LIMIT 2000",
            SearchOrder::Relevance => " ORDER BY s.rank LIMIT 2000",
        };
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |r| {
            Ok((r.get::<_, TicketId>(0)?, r.get::<_, i64>(1)?))
        });
        let rows = rows.map_err(|e| StoreError::Invalid(format!("cannot search for that: {e}")))?;
        // Filters the SQL above does not apply are applied by `list_tickets` below;
        // without them the first `limit` distinct tickets are the answer, and reading
        // further (up to 2,000 messages of a common word) is wasted work.
        let filtered_later = query.tag.is_some()
            || query.channel.is_some()
            || query.priority.is_some()
            || query.from.is_some();
        let mut seen = std::collections::HashSet::new();
        let mut order: Vec<(TicketId, i64)> = Vec::new();
        for row in rows {
            let (ticket, message) = row?;
            if seen.insert(ticket) {
                order.push((ticket, message));
                if !filtered_later && order.len() >= limit {
                    break;
                }
            }
        }
        let found = self.list_tickets(&TicketFilter {
            ids: Some(order.iter().map(|(t, _)| *t).collect()),
            ..filter
        })?;
        let mut hits: Vec<SearchHit> = order
            .iter()
            .filter_map(|(t, m)| {
                found.iter().find(|s| s.ticket.id == *t).map(|s| SearchHit {
                    summary: s.clone(),
                    message_id: Some(*m),
                })
            })
            .collect();
        hits.truncate(limit);
        Ok(hits)
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
        assert_eq!(parse_when("3d", now), Some(now - Duration::days(3)));
        assert_eq!(
            parse_when("2026-11-01", now),
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(parse_when("soon", now), None);
    }
}
