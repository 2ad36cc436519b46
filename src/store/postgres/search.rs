//! Full-text search on PostgreSQL: a parsed [`SearchQuery`] compiled into a
//! `tsquery` over the per-message vectors, plus the same SQL filters as the inbox.
//! The `simple` configuration with `:*` prefixes finds what SQLite's FTS5 finds:
//! words are split and folded in Rust (`search_words`) for index and query alike,
//! so case, ё/е and Latin diacritics fold the same way and a stem with `*` finds
//! every Cyrillic ending.
//!
//! Measured against the suite's texts (PostgreSQL 15), the stemming configurations
//! would answer differently from SQLite: `english` stems `charged` to `charg` (so
//! `charge` finds it) and drops stop words (`i`, `was`); `russian` stems Cyrillic,
//! Ukrainian included, roughly (`подписку`→`подписк`, `відхилено`→`відхил`, so
//! `подписка` and `оплати` find their other forms without `*`), stems Latin words
//! with the English stemmer and drops Russian stop words (`не`, `за` become
//! unsearchable). PostgreSQL ships no Ukrainian configuration (hunspell-uk through an
//! ispell dictionary would be one). So `simple` stays: the same answers on both
//! backends, word forms through `*`.

use chrono::Utc;

use super::messages::search_words;
use super::text_search::text_config;
pub use super::text_search::{measure_with, TextConfig};
use super::tickets::{arg_refs, customer_join, filter_sql};
use super::{to_ts, PgStore, Result};
use crate::model::TicketId;
use crate::store::api::*;
use crate::store::query::{SearchHit, SearchOrder, SearchQuery, SearchResults, Term};
use crate::store::types::*;
use crate::store::StoreError;

/// One searched text as a `tsquery` phrase: its words in order (`<->`), the last a
/// prefix when `prefix`, each limited to the subject when `weight` is `A`. `None`
/// when the text has no word characters at all.
fn phrase(text: &str, prefix: bool, weight: &str) -> Option<String> {
    let words = search_words(text);
    let words: Vec<&str> = words.split(' ').filter(|w| !w.is_empty()).collect();
    let last = words.len().checked_sub(1)?;
    let lexemes: Vec<String> = words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let star = if prefix && i == last { "*" } else { "" };
            let label = if star.is_empty() && weight.is_empty() {
                String::new()
            } else {
                format!(":{star}{weight}")
            };
            format!("'{w}'{label}")
        })
        .collect();
    Some(if lexemes.len() == 1 {
        lexemes[0].clone()
    } else {
        format!("({})", lexemes.join(" <-> "))
    })
}

/// The words a query excludes, as one `tsquery` alternative.
fn excluded_expression(query: &SearchQuery) -> Option<String> {
    let excluded: Vec<String> = query
        .terms
        .iter()
        .filter_map(|t| match t {
            Term::Not(w) => phrase(w, false, ""),
            _ => None,
        })
        .collect();
    (!excluded.is_empty()).then(|| excluded.join(" | "))
}

/// The whole query as a `tsquery`: terms AND-ed, `OR` between groups, excluded
/// words taken out (FTS5's `NOT`), as SQLite's `fts_expression` builds it.
pub(crate) fn tsquery_expression(query: &SearchQuery) -> Option<String> {
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    for term in &query.terms {
        let part = match term {
            Term::Word(w) | Term::Phrase(w) => phrase(w, false, ""),
            Term::Prefix(p) => phrase(p, true, ""),
            Term::Subject(w) => phrase(w, false, "A"),
            Term::Not(_) => None,
            Term::Or => {
                groups.push(Vec::new());
                None
            }
        };
        if let (Some(part), Some(group)) = (part, groups.last_mut()) {
            group.push(part);
        }
    }
    let groups: Vec<String> = groups
        .into_iter()
        .filter(|g| !g.is_empty())
        .map(|g| format!("({})", g.join(" & ")))
        .collect();
    if groups.is_empty() {
        return None;
    }
    let mut expr = groups.join(" | ");
    if let Some(negatives) = excluded_expression(query) {
        expr = format!("({expr}) & !({negatives})");
    }
    Some(expr)
}

impl SearchStore for PgStore {
    fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        Ok(self.search_counted(query, limit)?.hits)
    }

    fn search_counted(&self, query: &SearchQuery, limit: usize) -> Result<SearchResults> {
        let filter = TicketFilter {
            statuses: query.statuses.clone(),
            tag: query.tag.clone(),
            channel: query.channel,
            priority: query.priority,
            customer: query.from.clone(),
            ..Default::default()
        };
        let (where_sql, mut args) = filter_sql(&filter, Utc::now());
        let join = customer_join(&filter);
        let mut window = String::new();
        if let Some(after) = query.after {
            args.push(Box::new(to_ts(after)));
            window += &format!(" AND m.sent_at >= ${}", args.len());
        }
        if let Some(before) = query.before {
            args.push(Box::new(to_ts(before)));
            window += &format!(" AND m.sent_at < ${}", args.len());
        }
        let sql = match tsquery_expression(query).filter(|_| query.has_text()) {
            Some(expr) => {
                args.push(Box::new(expr));
                let q = format!("to_tsquery('{}', ${})", text_config().name(), args.len());
                let (key, direction) = match query.order {
                    SearchOrder::Newest => ("m.sent_at::FLOAT8".to_string(), "DESC"),
                    SearchOrder::Relevance => (format!("ts_rank(s.doc, {q})::FLOAT8"), "DESC"),
                };
                // Per ticket, the newest (or best) matching message: the one to jump to.
                format!(
                    "SELECT ticket_id, mid FROM (
                        SELECT m.ticket_id, m.id AS mid, {key} AS k, ROW_NUMBER() OVER (
                            PARTITION BY m.ticket_id ORDER BY {key} {direction}, m.id DESC) AS rn
                        FROM search_index s
                        JOIN messages m ON m.id = s.message_id
                        JOIN tickets t ON t.id = m.ticket_id {join}
                        WHERE s.doc @@ {q} AND ({where_sql}){window}) best
                     WHERE rn = 1 ORDER BY k {direction}, ticket_id DESC"
                )
            }
            None => {
                let mut excluded = String::new();
                if let Some(expr) = excluded_expression(query) {
                    args.push(Box::new(expr));
                    excluded = format!(
                        " AND t.id NOT IN (SELECT m.ticket_id FROM search_index s
                           JOIN messages m ON m.id = s.message_id
                           WHERE s.doc @@ to_tsquery('{}', ${}))",
                        text_config().name(),
                        args.len()
                    );
                }
                format!(
                    "SELECT id, NULL::BIGINT FROM (
                        SELECT t.id AS id, (SELECT max(m.sent_at) FROM messages m
                            WHERE m.ticket_id = t.id{window}) AS k
                        FROM tickets t {join} WHERE ({where_sql}){excluded}) newest
                     WHERE k IS NOT NULL ORDER BY k DESC, id DESC"
                )
            }
        };
        let matched: Vec<(TicketId, Option<i64>)> = self
            .read(|c| {
                Ok(c.query(&sql, &arg_refs(&args))?
                    .iter()
                    .map(|r| (r.get(0), r.get(1)))
                    .collect())
            })
            .map_err(|e| match e {
                StoreError::Database(detail) => {
                    StoreError::Invalid(format!("cannot search for that: {detail}"))
                }
                other => other,
            })?;
        crate::store::rules::search_page(&matched, limit, |f| self.list_tickets(f))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_compile_to_tsquery() {
        let q = SearchQuery::parse(r#"refund "double charge" пароль* -spam subject:Счёт"#).unwrap();
        assert_eq!(
            tsquery_expression(&q).unwrap(),
            "(('refund' & ('double' <-> 'charge') & 'пароль':* & 'счет':A)) & !('spam')"
        );
        let q = SearchQuery::parse("charged OR expired").unwrap();
        assert_eq!(tsquery_expression(&q).unwrap(), "('charged') | ('expired')");
    }

    #[test]
    fn syntax_characters_are_searched_not_interpreted() {
        let q = SearchQuery::parse(r#"C++ AT&T it's NEAR( "a""#).unwrap();
        let expr = tsquery_expression(&q).unwrap();
        assert_eq!(
            expr,
            "('c' & ('at' <-> 't') & ('it' <-> 's') & 'near' & 'a')"
        );
    }
}
