//! Full-text search on SQLite: a parsed [`SearchQuery`] compiled into an FTS5
//! expression plus SQL filters. The query language itself is backend-neutral
//! (`store::query`); only this compilation is SQLite's.

use chrono::Utc;
use rusqlite::params_from_iter;

use super::{to_ts, Result, SqliteStore, StoreError};
use crate::model::TicketId;
use crate::store::api::*;
use crate::store::query::{SearchHit, SearchOrder, SearchQuery, SearchResults, Term};
use crate::store::types::*;

/// One user string as an FTS5 string literal: folded like the index, quotes doubled,
/// so FTS5 syntax characters in it are searched, never interpreted. A NUL becomes a
/// space: FTS5 reads the expression as a C string, so a NUL would end it mid-literal,
/// and to the tokenizer both only separate words.
fn fts_quote(s: &str) -> String {
    format!(
        "\"{}\"",
        super::messages::fold_for_index(s)
            .replace('"', "\"\"")
            .replace('\0', " ")
    )
}

/// The excluded words alone (`-spam`), as one FTS5 expression: with no words to
/// match, a ticket is kept when none of its messages contains any of them.
fn excluded_expression(query: &SearchQuery) -> Option<String> {
    let excluded: Vec<String> = query
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
fn fts_expression(query: &SearchQuery) -> Option<String> {
    let quote = fts_quote;
    let mut groups: Vec<Vec<String>> = vec![Vec::new()];
    let mut negatives = Vec::new();
    for term in &query.terms {
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

impl SearchStore for SqliteStore {
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
        let sql = match fts_expression(query).filter(|_| query.has_text()) {
            Some(expr) => {
                args.push(expr.into());
                let (key, direction) = match query.order {
                    SearchOrder::Newest => ("max(m.sent_at)", "DESC"),
                    SearchOrder::Relevance => ("min(s.rank)", "ASC"),
                };
                // The bare `m.id` comes from the row that gave the max/min: the
                // newest (or best) matching message, the one to jump to. Matches
                // are grouped into tickets through the narrow `messages_search_key`
                // index (schema version 11), never the message rows themselves, and
                // each ticket's row is read once per ticket, not once per match:
                // a common word matches most messages (issue 21).
                format!(
                    "SELECT g.ticket_id, g.mid, g.k FROM (
                        SELECT m.ticket_id AS ticket_id, m.id AS mid, {key} AS k
                        FROM search_index s
                        JOIN messages m INDEXED BY messages_search_key ON m.id = s.rowid
                        WHERE search_index MATCH ?{}{window}
                        GROUP BY m.ticket_id) g
                     JOIN tickets t ON t.id = g.ticket_id {join}
                     WHERE ({where_sql})
                     ORDER BY g.k {direction}, g.ticket_id DESC",
                    args.len()
                )
            }
            None => {
                let mut excluded = String::new();
                if let Some(expr) = excluded_expression(query) {
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
    use crate::model::Status;

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
            fts_expression(&q).unwrap(),
            r#"(("refund" AND "double charge" AND "пароль" *)) NOT ("spam")"#
        );
    }

    #[test]
    fn syntax_characters_are_searched_not_interpreted() {
        let q = SearchQuery::parse(r#"C++ AT&T NEAR( "a""#).unwrap();
        let expr = fts_expression(&q).unwrap();
        assert!(expr.contains(r#""C++""#), "{expr}");
        assert!(expr.contains(r#""NEAR(""#), "{expr}");
    }

    /// Found by the fuzz test: FTS5 reads its expression as a C string, so a NUL in a
    /// query cut the quoted string short ("unterminated string") and the search failed.
    #[test]
    fn a_nul_in_a_query_is_a_separator_not_the_end_of_the_expression() {
        let store = SqliteStore::open_in_memory().unwrap();
        for text in ["a\0b", "\"x\0y\"", "re\0*", "-z\0"] {
            let q = SearchQuery::parse(text).unwrap();
            store
                .search(&q, 10)
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
        }
    }
}
