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

use std::collections::HashSet;

use chrono::Utc;
use postgres::types::ToSql;

use super::messages::search_words;
use super::text_search::text_config;
pub use super::text_search::{measure_with, TextConfig};
use super::tickets::{arg_refs, customer_join, filter_sql};
use super::{to_ts, PgStore, Result};
use crate::model::TicketId;
use crate::store::api::*;
use crate::store::query::{SearchHit, SearchOrder, SearchQuery, SearchResults, Term};
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

/// Matching tickets in the order shown, each with the message to jump to.
type Matched = Vec<(TicketId, Option<i64>)>;

/// What a walk from the newest message found.
enum Walk {
    /// The page.
    Page(Matched),
    /// Not walked: the planner expects few matches (under [`FEW_MATCHES`]).
    Few,
    /// Not walked, or given up: too many matches for the page to pay.
    Many,
}

/// Below this many expected matches ranking them all runs in the connection's own
/// backend: the two parallel workers the planner would start cost more than the
/// work (a rare word at a million messages: 157 ms wall, 4 ms of it the query).
const FEW_MATCHES: f64 = 10_000.0;

impl SearchStore for PgStore {
    /// A page of results, without the total: newest first, found by walking the
    /// messages from the newest (see [`PgStore::newest_by_walk`]) when the query's
    /// matches are dense enough for that to end early; otherwise every match ranked.
    fn search(&self, query: &SearchQuery, limit: usize) -> Result<Vec<SearchHit>> {
        let text = tsquery_expression(query).filter(|_| query.has_text());
        let mut few = false;
        if let (Some(expr), SearchOrder::Newest) = (&text, query.order) {
            match self.newest_by_walk(expr, query, limit)? {
                Walk::Page(page) => {
                    let found =
                        crate::store::rules::search_page(&page, limit, |f| self.list_tickets(f))?;
                    return Ok(found.hits);
                }
                Walk::Few => few = true,
                Walk::Many => {}
            }
        }
        let matched = self.every_match(query, few)?;
        Ok(crate::store::rules::search_page(&matched, limit, |f| self.list_tickets(f))?.hits)
    }

    fn search_counted(&self, query: &SearchQuery, limit: usize) -> Result<SearchResults> {
        let matched = self.every_match(query, false)?;
        crate::store::rules::search_page(&matched, limit, |f| self.list_tickets(f))
    }
}

/// Messages read per step of the walk (index only: id, ticket, time).
const WALK_STEP: i64 = 1_000;

/// Whether walking from the newest message should fill a page of `limit` tickets
/// sooner than ranking every match, given `matches` (the planner's estimate, from
/// the index statistics) among `messages`. The walk tests about
/// `limit × messages / matches` vectors, the ranking touches about `matches` rows:
/// the walk wins above the square root of `limit × messages`, taken twice over for
/// the walk's round trips. 100,000 messages, a page of 50: above ~4,500 matches
/// (`order` has 23,000, a rare word none).
fn walk_pays(matches: f64, messages: f64, limit: usize) -> bool {
    matches >= 2.0 * (limit as f64 * messages.max(1.0)).sqrt()
}

impl PgStore {
    /// Every matching ticket, newest (or best) match first, with the message to jump
    /// to: one SQL statement that ranks every match (what a total needs).
    fn every_match(&self, query: &SearchQuery, serial: bool) -> Result<Matched> {
        let filter = query.ticket_filter();
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
        self.read(|c| {
            let mut tx = c.transaction()?;
            if serial {
                tx.batch_execute("SET LOCAL max_parallel_workers_per_gather = 0")?;
            }
            let matched = tx
                .query(&sql, &arg_refs(&args))?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            tx.commit()?;
            Ok(matched)
        })
        .map_err(cannot_search)
    }

    /// The first `limit` matching tickets newest first, as SQLite's dense grouping
    /// finds them, without ranking every match: the messages are walked from the
    /// newest (index only, `messages_newest`, PostgreSQL schema 4), a step at a time;
    /// only a message of a ticket not found yet (and passing the ticket filters) has
    /// its vector tested, so a ticket costs its messages until its newest match and
    /// the walk ends when the page is full. The order is the ranking's: tickets by
    /// their newest match, the higher ticket id first among equally new ones, and the
    /// message to jump to the newest match (the higher id among equally new ones).
    /// `None` when the planner expects too few matches for the walk to pay (see
    /// [`walk_pays`]), or when the walk cost more than ranking every match would have
    /// (the estimate was wrong, or the ticket filters leave few): the full-text index
    /// finds sparse matches faster.
    fn newest_by_walk(&self, expr: &str, query: &SearchQuery, limit: usize) -> Result<Walk> {
        let filter = query.ticket_filter();
        let (where_sql, mut ticket_args) = filter_sql(&filter, Utc::now());
        let join = customer_join(&filter);
        let ticket_filtered = !(where_sql == "TRUE" && join.is_empty());
        ticket_args.push(Box::new(Vec::<TicketId>::new()));
        let ids_at = ticket_args.len();
        let passing_sql = format!(
            "SELECT t.id FROM tickets t {join} WHERE t.id = ANY(${ids_at}) AND ({where_sql})"
        );
        let after = query.after.map(to_ts).unwrap_or(i64::MIN);
        let before = query.before.map(to_ts).unwrap_or(i64::MAX);
        let config = text_config().name();
        let walk_sql = format!(
            "SELECT id, ticket_id, sent_at FROM messages
             WHERE (sent_at, ticket_id, id) < ($1, $2, $3) AND sent_at >= $4 AND sent_at < $5
             ORDER BY sent_at DESC, ticket_id DESC, id DESC LIMIT {WALK_STEP}"
        );
        let test_sql = format!(
            "SELECT message_id FROM search_index
             WHERE message_id = ANY($1) AND doc @@ to_tsquery('{config}', $2)"
        );
        let estimate_tickets_sql =
            format!("EXPLAIN SELECT 1 FROM tickets t {join} WHERE {where_sql}");
        let estimate_sql =
            format!("EXPLAIN SELECT 1 FROM search_index WHERE doc @@ to_tsquery('{config}', $1)");
        self.read(|c| {
            let plan: String = c
                .query(&estimate_sql, &[&expr])?
                .first()
                .map(|r| r.get(0))
                .unwrap_or_default();
            let Some(matches) = planned_rows(&plan) else {
                return Ok(Walk::Many);
            };
            let expected = matches;
            let rows_of = |c: &mut postgres::Client, table: &str| -> Result<f64> {
                let n: f32 = c
                    .query_one(
                        "SELECT reltuples FROM pg_class WHERE oid = $1::TEXT::regclass",
                        &[&table],
                    )?
                    .get(0);
                Ok(f64::from(n).max(1.0))
            };
            let messages = rows_of(c, "search_index")?;
            // Matches in tickets the filters leave: the planner's share of those.
            let mut matches = matches;
            if ticket_filtered {
                let filter_args: Vec<&(dyn ToSql + Sync)> = ticket_args[..ids_at - 1]
                    .iter()
                    .map(|a| a.as_ref())
                    .collect();
                let plan: String = c
                    .query(&estimate_tickets_sql, &filter_args)?
                    .first()
                    .map(|r| r.get(0))
                    .unwrap_or_default();
                let passing = planned_rows(&plan).unwrap_or(0.0);
                matches *= (passing / rows_of(c, "tickets")?).min(1.0);
            }
            if !walk_pays(matches, messages, limit) {
                return Ok(if expected < FEW_MATCHES {
                    Walk::Few
                } else {
                    Walk::Many
                });
            }
            let walk = self.prepared(c, &walk_sql)?;
            let test = self.prepared(c, &test_sql)?;
            let mut found: Matched = Vec::new();
            let mut settled: HashSet<TicketId> = HashSet::new();
            let mut refused: HashSet<TicketId> = HashSet::new();
            let (mut tested, mut read) = (0.0, 0.0);
            // Above the newest message: the walk goes down from there.
            let mut cursor = (i64::MAX, TicketId::MAX, i64::MAX);
            loop {
                let step: Vec<(i64, TicketId, i64)> = c
                    .query(&walk, &[&cursor.0, &cursor.1, &cursor.2, &after, &before])?
                    .iter()
                    .map(|r| (r.get(0), r.get(1), r.get(2)))
                    .collect();
                let Some(&(last_id, last_ticket, last_at)) = step.last() else {
                    return Ok(Walk::Page(found));
                };
                cursor = (last_at, last_ticket, last_id);
                read += step.len() as f64;
                if ticket_filtered {
                    let unknown: Vec<TicketId> = step
                        .iter()
                        .map(|m| m.1)
                        .filter(|t| !settled.contains(t) && !refused.contains(t))
                        .collect::<HashSet<_>>()
                        .into_iter()
                        .collect();
                    if !unknown.is_empty() {
                        *ticket_args.last_mut().expect("pushed above") = Box::new(unknown.clone());
                        let passing: HashSet<TicketId> = c
                            .query(&passing_sql, &arg_refs(&ticket_args))?
                            .iter()
                            .map(|r| r.get(0))
                            .collect();
                        refused.extend(unknown.into_iter().filter(|t| !passing.contains(t)));
                    }
                }
                let candidates: Vec<i64> = step
                    .iter()
                    .filter(|m| !settled.contains(&m.1) && !refused.contains(&m.1))
                    .map(|m| m.0)
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                tested += candidates.len() as f64;
                let matching: HashSet<i64> = c
                    .query(&test, &[&candidates, &expr])?
                    .iter()
                    .map(|r| r.get(0))
                    .collect();
                for (id, ticket, _) in &step {
                    if matching.contains(id) && settled.insert(*ticket) {
                        found.push((*ticket, Some(*id)));
                        if found.len() == limit {
                            return Ok(Walk::Page(found));
                        }
                    }
                }
                // A vector tested costs about what a ranked match does; an index
                // entry read (and its ticket's filter), a quarter of that. Given up
                // at twice the ranking's estimated cost: a phrase's estimate counts
                // its matches, the ranking pays for every message with its words.
                if tested + read / 4.0 > 2.0 * matches {
                    return Ok(Walk::Many);
                }
            }
        })
        .map_err(cannot_search)
    }
}

/// The row estimate on the first line of a plan (`… (cost=… rows=23197 width=4)`).
fn planned_rows(plan: &str) -> Option<f64> {
    let rest = &plan[plan.find(" rows=")? + " rows=".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// A query the server could not run is the user's to change, said in one line.
fn cannot_search(e: StoreError) -> StoreError {
    match e {
        StoreError::Database(detail) => {
            StoreError::Invalid(format!("cannot search for that: {detail}"))
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_planners_estimate_is_read_from_the_plans_first_line() {
        let plan = "Bitmap Heap Scan on search_index  (cost=255.77..10767.74 rows=23197 width=4)";
        assert_eq!(planned_rows(plan), Some(23197.0));
        assert_eq!(planned_rows("Result"), None);
    }

    #[test]
    fn a_walk_pays_for_dense_matches_only() {
        assert!(walk_pays(23_000.0, 100_000.0, 50));
        assert!(!walk_pays(500.0, 100_000.0, 50));
        assert!(!walk_pays(23_000.0, 100_000.0, 500_000));
    }

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
