//! Full-text search on SQLite: a parsed [`SearchQuery`] compiled into an FTS5
//! expression plus SQL filters. The query language itself is backend-neutral
//! (`store::query`); only this compilation is SQLite's.

use std::collections::HashSet;

use chrono::Utc;
use rusqlite::params_from_iter;

use super::{to_ts, Result, SqliteStore, StoreError};
use crate::model::{MessageId, TicketId};
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
        let filter = query.ticket_filter();
        let text = fts_expression(query).filter(|_| query.has_text());
        let matched = match (&text, query.order) {
            (Some(expr), SearchOrder::Newest) => {
                match self.newest_in_memory(expr, &filter, query, DENSE_SHARE)? {
                    Some(found) => found,
                    None => self.matched_by_sql(text.clone(), query, &filter)?,
                }
            }
            _ => self.matched_by_sql(text.clone(), query, &filter)?,
        };
        crate::store::rules::search_page(&matched, limit, |f| self.list_tickets(f))
    }
}

/// Above this share of the messages between the first and the last match, grouping
/// matches into tickets reads the narrow `messages_search_key` index from end to end
/// instead of looking each match up in it: a lookup costs about five entries of a
/// sequential read (100,000 messages: `the` matches 45,229, 35 ms of lookups against
/// 13 ms for the whole index).
const DENSE_SHARE: f64 = 0.2;

/// Matching tickets in the order shown, each with the message to jump to.
type Matched = Vec<(TicketId, Option<MessageId>)>;

/// Each matching ticket's newest match (time, message), by ticket id.
#[derive(Default)]
struct NewestMatch {
    /// Indexed by ticket id: (time, message, whether the ticket has a match yet).
    by_ticket: Vec<(i64, MessageId, bool)>,
    /// The tickets with a match, in the order first seen.
    tickets: Vec<TicketId>,
}

/// Ticket ids the table indexes directly; a queue with a higher (or negative) id,
/// which firstline never hands out, takes the SQL path instead.
const MAX_TABLE_TICKET: i64 = 1 << 28;

impl NewestMatch {
    /// Keeps `(at, message)` as the ticket's newest match if it is newer than the one
    /// kept, or as new with a lower message id (whatever order the matches come in).
    /// `false`: the ticket id does not fit the table.
    fn offer(&mut self, ticket: TicketId, at: i64, message: MessageId) -> bool {
        if !(0..MAX_TABLE_TICKET).contains(&ticket) {
            return false;
        }
        let slot = ticket as usize;
        if slot >= self.by_ticket.len() {
            // Zeroed memory comes from the allocator untouched (calloc): growing to
            // a million tickets costs only the pages that matches land on.
            let grown = (slot + 1).max(self.by_ticket.len() * 2);
            let mut bigger = vec![(0, 0, false); grown];
            bigger[..self.by_ticket.len()].copy_from_slice(&self.by_ticket);
            self.by_ticket = bigger;
        }
        let entry = &mut self.by_ticket[slot];
        if !entry.2 {
            self.tickets.push(ticket);
            *entry = (at, message, true);
        } else if (at, std::cmp::Reverse(message)) > (entry.0, std::cmp::Reverse(entry.1)) {
            *entry = (at, message, true);
        }
        true
    }

    /// `(newest match time, ticket, that message)` for every matching ticket.
    fn into_found(self) -> impl Iterator<Item = (i64, TicketId, MessageId)> {
        let by_ticket = self.by_ticket;
        self.tickets.into_iter().map(move |t| {
            let (at, m, _) = by_ticket[t as usize];
            (at, t, m)
        })
    }
}

impl SqliteStore {
    /// Every matching ticket, best first, with the message to jump to: one SQL
    /// statement that applies the filters and the date window and does the ordering.
    fn matched_by_sql(
        &self,
        text: Option<String>,
        query: &SearchQuery,
        filter: &TicketFilter,
    ) -> Result<Matched> {
        let (where_sql, mut args) = super::tickets::filter_sql(filter, Utc::now());
        let join = super::tickets::customer_join(filter);
        let mut window = String::new();
        if let Some(after) = query.after {
            args.push(to_ts(after).into());
            window += &format!(" AND m.sent_at >= ?{}", args.len());
        }
        if let Some(before) = query.before {
            args.push(to_ts(before).into());
            window += &format!(" AND m.sent_at < ?{}", args.len());
        }
        let sql = match text {
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
        self.conn
            .prepare(&sql)
            .and_then(|mut stmt| {
                stmt.query_map(params_from_iter(args.iter()), |r| {
                    Ok((r.get::<_, TicketId>(0)?, r.get::<_, Option<i64>>(1)?))
                })?
                .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(|e| StoreError::Invalid(format!("cannot search for that: {e}")))
    }

    /// Newest-first grouping in memory: the match rowids from the full-text index
    /// (rowids only, no message rows), then each match's ticket and date from the
    /// narrow `messages_search_key` index — for dense matches (a common word) by one
    /// sequential pass over it merged with the rowids, for sparse ones by a lookup
    /// per match — grouped by ticket here; the ticket filters then run once per
    /// matching ticket. Same answer as [`Self::matched_by_sql`]: tickets by their
    /// newest match, highest id first among equally new ones; the message to jump to
    /// is that newest match (of equally new ones in one ticket the lowest id, where
    /// SQL's bare column leaves the choice open). `dense_share` is the share of the
    /// messages between the first and the last match above which the pass is taken.
    /// `None`: a ticket id the in-memory table does not take; SQL answers instead.
    fn newest_in_memory(
        &self,
        expr: &str,
        filter: &TicketFilter,
        query: &SearchQuery,
        dense_share: f64,
    ) -> Result<Option<Matched>> {
        let invalid =
            |e: rusqlite::Error| StoreError::Invalid(format!("cannot search for that: {e}"));
        let mut rowids: Vec<MessageId> = self
            .conn
            .prepare_cached("SELECT rowid FROM search_index WHERE search_index MATCH ?1")
            .and_then(|mut stmt| {
                stmt.query_map([expr], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(invalid)?;
        rowids.sort_unstable();
        let (Some(&first), Some(&last)) = (rowids.first(), rowids.last()) else {
            return Ok(Some(Vec::new()));
        };
        let span = (last - first + 1) as f64;
        let dense = rowids.len() as f64 >= span * dense_share;
        let after = query.after.map(to_ts).unwrap_or(i64::MIN);
        let before = query.before.map(to_ts).unwrap_or(i64::MAX);
        // Each matching ticket's newest match, in a table indexed by ticket id (ids
        // are dense): a common word maps 45,000 matches to 2,000 tickets, and a hash
        // map's SipHash per match was a tenth of the search (issue 21).
        let mut newest = NewestMatch::default();
        let int = |row: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<i64> {
            Ok(row.get_ref(i)?.as_i64()?)
        };
        let mut keep = |id: MessageId, ticket: TicketId, at: i64| {
            !(at >= after && at < before) || newest.offer(ticket, at, id)
        };
        if dense {
            let mut stmt = self.conn.prepare_cached(
                "SELECT id, ticket_id, sent_at FROM messages INDEXED BY messages_search_key
                 WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
            )?;
            let mut rows = stmt.query([first, last])?;
            let mut wanted = rowids.iter().copied().peekable();
            while let Some(row) = rows.next()? {
                let id: MessageId = int(row, 0)?;
                while wanted.next_if(|&w| w < id).is_some() {}
                if wanted.next_if_eq(&id).is_none() {
                    continue;
                }
                if !keep(id, int(row, 1)?, int(row, 2)?) {
                    return Ok(None);
                }
                if wanted.peek().is_none() {
                    break;
                }
            }
        } else {
            // Sparse: one lookup per match in the key index, grouped here rather
            // than by SQL's GROUP BY and ORDER BY (two temporary B-trees: 4.8 ms
            // against 3.1 for the lookups alone for `"mailing list"` at 100,000).
            let mut stmt = self.conn.prepare_cached(
                "SELECT m.id, m.ticket_id, m.sent_at FROM json_each(?1) j
                 JOIN messages m INDEXED BY messages_search_key ON m.id = j.value",
            )?;
            let ids = serde_json::to_string(&rowids).unwrap_or_default();
            let mut rows = stmt.query([ids])?;
            while let Some(row) = rows.next()? {
                if !keep(int(row, 0)?, int(row, 1)?, int(row, 2)?) {
                    return Ok(None);
                }
            }
        }
        let kept = self.tickets_passing(filter, newest.tickets.iter().copied())?;
        let mut found: Vec<(i64, TicketId, MessageId)> = newest
            .into_found()
            .filter(|(_, t, _)| kept.as_ref().is_none_or(|k| k.contains(t)))
            .collect();
        found.sort_unstable_by_key(|f| std::cmp::Reverse((f.0, f.1)));
        Ok(Some(
            found.into_iter().map(|(_, t, m)| (t, Some(m))).collect(),
        ))
    }

    /// Which of `tickets` pass the filter's ticket conditions; `None` when the filter
    /// has none, so everything passes without a read.
    fn tickets_passing(
        &self,
        filter: &TicketFilter,
        tickets: impl Iterator<Item = TicketId>,
    ) -> Result<Option<HashSet<TicketId>>> {
        let (where_sql, mut args) = super::tickets::filter_sql(filter, Utc::now());
        let join = super::tickets::customer_join(filter);
        if where_sql == "1" && join.is_empty() {
            return Ok(None);
        }
        let ids: Vec<TicketId> = tickets.collect();
        args.push(serde_json::to_string(&ids).unwrap_or_default().into());
        let sql = format!(
            "SELECT t.id FROM tickets t {join}
             WHERE t.id IN (SELECT value FROM json_each(?{})) AND ({where_sql})",
            args.len()
        );
        let kept = self
            .conn
            .prepare(&sql)?
            .query_map(params_from_iter(args.iter()), |r| r.get(0))?
            .collect::<rusqlite::Result<HashSet<TicketId>>>()?;
        Ok(Some(kept))
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

    /// Issue 21: the dense path (one pass over the key index, grouping in memory) and
    /// the SQL path give the same tickets in the same order, the same message to jump
    /// to and the same count, for words, phrases, prefixes, OR, NOT, every filter and
    /// date windows, over tickets imported in an order unlike their dates and sharing
    /// newest-match times with each other.
    #[test]
    fn the_dense_path_answers_exactly_as_the_sql_path() {
        let store = SqliteStore::open_in_memory().unwrap();
        let words = [
            "the",
            "refund",
            "parcel",
            "mailing",
            "list",
            "unsubscribe",
            "посилка",
        ];
        let statuses = ["new", "open", "pending", "closed", "spam"];
        let mut sql = String::from(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Olena', 0), (2, 'Bob', 0);",
        );
        for t in 1..=120i64 {
            sql += &format!(
                "INSERT INTO tickets(id, subject, status, priority, channel, tags, customer_id,
                     created_at, updated_at, thread_subject)
                 VALUES ({t}, 'case {t}', '{}', 'normal', 'email', '{}', {}, 0, 0, 'case {t}');",
                statuses[(t % 5) as usize],
                if t % 3 == 0 { " billing " } else { "" },
                1 + t % 2
            );
        }
        for m in 1..=900i64 {
            let ticket = 1 + (m * 37) % 120;
            // Unique inside a ticket, often equal across tickets.
            let at = 86_400 * ((m * 7919) % 50) + ticket % 4;
            let body: Vec<&str> = (0..4)
                .map(|k| words[((m * (k + 3) + k * k) % 7) as usize])
                .collect();
            let body = if m % 4 == 0 {
                format!("{} mailing list", body.join(" "))
            } else {
                body.join(" ")
            };
            sql += &format!(
                "INSERT INTO messages(id, ticket_id, direction, body, sent_at)
                     VALUES ({m}, {ticket}, 'inbound', '{body}', {at});
                 INSERT INTO search_index(rowid, subject, body, customer)
                     VALUES ({m}, 'case {ticket}', '{body}', '{}');",
                if ticket % 2 == 0 { "Olena" } else { "Bob" }
            );
        }
        store.conn.execute_batch(&sql).unwrap();
        let now = Utc::now();
        let tz = chrono_tz::UTC;
        for text in [
            "the",
            "refund",
            "\"mailing list\"",
            "unsub*",
            "посилка",
            "refund OR parcel",
            "the -parcel",
            "the status:open",
            "the status:closed status:spam",
            "the tag:billing",
            "the from:olena",
            "list after:1970-01-10 before:1970-02-01",
            "zanzibar",
        ] {
            let q = SearchQuery::parse_in(text, now, tz).unwrap();
            let filter = TicketFilter {
                statuses: q.statuses.clone(),
                tag: q.tag.clone(),
                customer: q.from.clone(),
                ..Default::default()
            };
            let expr = fts_expression(&q).unwrap();
            let by_sql = store
                .matched_by_sql(Some(expr.clone()), &q, &filter)
                .unwrap();
            let dense = store
                .newest_in_memory(&expr, &filter, &q, 0.0)
                .unwrap()
                .expect("a share of 0 always takes the dense path");
            assert_eq!(dense, by_sql, "{text}");
            assert!(
                !by_sql.is_empty() || text == "zanzibar",
                "{text} matched nothing"
            );
            let sparse = store
                .newest_in_memory(&expr, &filter, &q, 2.0)
                .unwrap()
                .expect("ticket ids fit the table");
            assert_eq!(sparse, by_sql, "{text}: a lookup per match");
        }
    }

    /// A ticket id beyond the in-memory table (never handed out by firstline, possible
    /// in a file edited by hand) sends the search to SQL instead of being dropped.
    #[test]
    fn a_ticket_id_beyond_the_table_is_answered_by_sql() {
        let store = SqliteStore::open_in_memory().unwrap();
        let big = MAX_TABLE_TICKET + 5;
        let mut sql =
            String::from("INSERT INTO customers(id, name, created_at) VALUES (1, 'Olena', 0);");
        for t in [1, big] {
            sql += &format!(
                "INSERT INTO tickets(id, subject, status, priority, channel, tags, customer_id,
                     created_at, updated_at, thread_subject)
                 VALUES ({t}, 'case', 'open', 'normal', 'email', '', 1, 0, 0, 'case');"
            );
        }
        for (m, t, at) in [(1, 1, 10), (2, big, 20)] {
            sql += &format!(
                "INSERT INTO messages(id, ticket_id, direction, body, sent_at)
                     VALUES ({m}, {t}, 'inbound', 'parcel', {at});
                 INSERT INTO search_index(rowid, subject, body, customer)
                     VALUES ({m}, 'case', 'parcel', 'Olena');"
            );
        }
        store.conn.execute_batch(&sql).unwrap();
        let q = SearchQuery::parse("parcel").unwrap();
        let filter = TicketFilter::default();
        let expr = fts_expression(&q).unwrap();
        for share in [0.0, 2.0] {
            assert_eq!(
                store.newest_in_memory(&expr, &filter, &q, share).unwrap(),
                None
            );
        }
        let found = store.search_counted(&q, 10).unwrap();
        let order: Vec<_> = found.hits.iter().map(|h| h.summary.ticket.id).collect();
        assert_eq!(order, vec![big, 1]);
        assert_eq!(found.total, 2);
    }

    /// Issue 21, for any early stop of a newest-first search: a ticket ranks by its
    /// newest *matching* message, not by its last activity or its newest message, and
    /// the count covers tickets whose only match is old. Ticket 1 was updated last and
    /// has the newest message, but its match is the oldest; ticket 3's match is newest;
    /// tickets 2 and 4 tie on their match time and the higher id comes first. A walk
    /// that stopped at the first tickets by update time or by newest message would put
    /// ticket 1 first or leave it out of the count.
    #[test]
    fn newest_first_ranks_by_the_newest_match_and_counts_old_matches() {
        let store = SqliteStore::open_in_memory().unwrap();
        let mut sql =
            String::from("INSERT INTO customers(id, name, created_at) VALUES (1, 'Olena', 0);");
        for (t, updated) in [(1, 900), (2, 100), (3, 200), (4, 100), (5, 950)] {
            sql += &format!(
                "INSERT INTO tickets(id, subject, status, priority, channel, tags, customer_id,
                     created_at, updated_at, thread_subject)
                 VALUES ({t}, 'case', 'open', 'normal', 'email', '', 1, 0, {updated}, 'case');"
            );
        }
        // (message, ticket, body, sent_at)
        for (m, t, body, at) in [
            (1, 1, "parcel lost", 10),
            (2, 1, "any news", 890),
            (3, 2, "parcel late", 50),
            (4, 3, "the parcel", 150),
            (5, 4, "parcel", 50),
            (6, 5, "hello", 940),
        ] {
            sql += &format!(
                "INSERT INTO messages(id, ticket_id, direction, body, sent_at)
                     VALUES ({m}, {t}, 'inbound', '{body}', {at});
                 INSERT INTO search_index(rowid, subject, body, customer)
                     VALUES ({m}, 'case', '{body}', 'Olena');"
            );
        }
        store.conn.execute_batch(&sql).unwrap();
        let q = SearchQuery::parse("parcel").unwrap();
        for limit in [1, 2, 10] {
            let found = store.search_counted(&q, limit).unwrap();
            let order: Vec<_> = found
                .hits
                .iter()
                .map(|h| (h.summary.ticket.id, h.message_id))
                .collect();
            let all = [(3, Some(4)), (4, Some(5)), (2, Some(3)), (1, Some(1))];
            assert_eq!(order, all[..limit.min(4)], "limit {limit}");
            assert_eq!(found.total, 4, "limit {limit}");
        }
        let filter = TicketFilter::default();
        let expr = fts_expression(&q).unwrap();
        assert_eq!(
            store
                .newest_in_memory(&expr, &filter, &q, 0.0)
                .unwrap()
                .unwrap(),
            store
                .matched_by_sql(Some(expr.clone()), &q, &filter)
                .unwrap(),
        );
    }
}
