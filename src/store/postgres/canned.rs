//! The canned-reply library, its usage counts and suggestion scores (SQLite's
//! `canned.rs`). Suggestions rank with `ts_rank` over the replies' own words and the
//! customer messages each answered before, where SQLite uses FTS5's BM25: the same
//! query terms (`suggestion_query`), so the same replies score; the numbers differ.

use chrono::Utc;
use postgres::{GenericClient, Row};

use super::ledger::{tags_from_col, tags_to_col, write_event};
use super::messages::search_words;
use super::{opt_ts, parse_col, to_ts, PgStore, Result};
use crate::model::{CannedResponse, MessageId, NewCanned};
use crate::store::api::*;
use crate::store::types::*;
use crate::store::StoreError;

const COLUMNS: &str = "id, slug, title, shortcut, language, formality, tags, body, \
    times_used, times_unmodified, last_used_at, keywords";

/// How much of the answered message is kept for learning (as in SQLite).
const ANSWERED_LIMIT: usize = 4 * 1024;

/// How much a reply's history counts against its own text (as in SQLite).
const HISTORY_WEIGHT: f64 = 2.0;

fn canned_from_row(r: &Row) -> Result<CannedResponse> {
    Ok(CannedResponse {
        id: r.get("id"),
        slug: r.get("slug"),
        title: r.get("title"),
        shortcut: r.get("shortcut"),
        language: parse_col("language", r.get("language"))?,
        formality: parse_col("formality", r.get("formality"))?,
        tags: tags_from_col(r.get("tags")),
        body: r.get("body"),
        times_used: r.get("times_used"),
        times_unmodified: r.get("times_unmodified"),
        last_used_at: opt_ts(r.get("last_used_at")),
        keywords: r
            .get::<_, &str>("keywords")
            .lines()
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_string)
            .collect(),
    })
}

fn keywords_to_col(keywords: &[String]) -> String {
    keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn validate(item: &NewCanned) -> Result<()> {
    if item.slug.trim().is_empty() {
        return Err(StoreError::Invalid("a canned response needs a slug".into()));
    }
    if item.title.trim().is_empty() {
        return Err(StoreError::Invalid(format!(
            "canned response '{}' needs a title",
            item.slug
        )));
    }
    if item.body.trim().is_empty() {
        return Err(StoreError::Invalid(format!(
            "canned response '{}' has an empty body",
            item.slug
        )));
    }
    Ok(())
}

/// The reply's search vector, written with its row.
fn index_text(c: &mut impl GenericClient, id: i64, item: &NewCanned) -> Result<()> {
    c.execute(
        "UPDATE canned_responses SET text_doc =
            setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B')
            || setweight(to_tsvector('simple', $4), 'C') || setweight(to_tsvector('simple', $5), 'D')
         WHERE id = $1",
        &[
            &id,
            &search_words(&item.title),
            &search_words(&item.keywords.join(" ")),
            &search_words(&item.tags.join(" ")),
            &search_words(&item.body),
        ],
    )?;
    Ok(())
}

fn insert(c: &mut impl GenericClient, item: &NewCanned, builtin_hash: Option<&str>) -> Result<i64> {
    let now = to_ts(Utc::now());
    let id: i64 = c
        .query_one(
            "INSERT INTO canned_responses(slug, title, shortcut, language, formality, tags,
                keywords, body, builtin_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            &[
                &item.slug,
                &item.title,
                &item.shortcut,
                &item.language.as_str(),
                &item.formality.as_str(),
                &tags_to_col(&item.tags),
                &keywords_to_col(&item.keywords),
                &item.body,
                &builtin_hash,
                &now,
            ],
        )?
        .get(0);
    index_text(c, id, item)?;
    Ok(id)
}

fn overwrite(
    c: &mut impl GenericClient,
    id: i64,
    item: &NewCanned,
    user_modified: bool,
) -> Result<()> {
    c.execute(
        "UPDATE canned_responses SET slug = $2, title = $3, shortcut = $4, language = $5,
                formality = $6, tags = $7, keywords = $8, body = $9, updated_at = $10,
                user_modified = user_modified OR $11
         WHERE id = $1",
        &[
            &id,
            &item.slug,
            &item.title,
            &item.shortcut,
            &item.language.as_str(),
            &item.formality.as_str(),
            &tags_to_col(&item.tags),
            &keywords_to_col(&item.keywords),
            &item.body,
            &to_ts(Utc::now()),
            &user_modified,
        ],
    )?;
    index_text(c, id, item)
}

fn load(c: &mut impl GenericClient, id: i64) -> Result<CannedResponse> {
    match c.query_opt(
        &format!("SELECT {COLUMNS} FROM canned_responses WHERE id = $1 AND deleted_at IS NULL"),
        &[&id],
    )? {
        Some(row) => canned_from_row(&row),
        None => Err(StoreError::NotFound {
            what: "canned response",
            id,
        }),
    }
}

/// The suggestion query as a `tsquery`: SQLite's terms (`"word"` or `"stem"*`,
/// joined by OR) in PostgreSQL's syntax.
fn suggestion_tsquery(message: &str) -> Option<String> {
    let fts = crate::store::sqlite::suggestion_query(message)?;
    let terms: Vec<String> = fts
        .split(" OR ")
        .filter_map(|term| {
            let prefix = term.ends_with('*');
            let word = search_words(term.trim_end_matches('*').trim_matches('"'));
            (!word.is_empty()).then(|| {
                let quoted = format!("'{}'", word.replace('\'', "''"));
                if prefix {
                    format!("{quoted}:*")
                } else {
                    quoted
                }
            })
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" | "))
}

impl PgStore {
    /// Every canned reply, deleted ones included, and every use of one: for the dump
    /// (SQLite's `canned_export`).
    pub(super) fn canned_export(&self) -> Result<(Vec<CannedRecord>, Vec<CannedUse>)> {
        self.read(|c| {
            let records = c
                .query(
                    &format!(
                        "SELECT {COLUMNS}, builtin_hash, user_modified, created_at, updated_at,
                            deleted_at
                         FROM canned_responses ORDER BY id"
                    ),
                    &[],
                )?
                .iter()
                .map(|r| {
                    Ok(CannedRecord {
                        reply: canned_from_row(r)?,
                        builtin_hash: r.get("builtin_hash"),
                        user_modified: r.get("user_modified"),
                        created_at: super::from_ts(r.get("created_at")),
                        updated_at: super::from_ts(r.get("updated_at")),
                        deleted_at: opt_ts(r.get("deleted_at")),
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let uses = c
                .query(
                    "SELECT canned_id, message_id, edited, at, answered FROM canned_uses
                     ORDER BY id",
                    &[],
                )?
                .iter()
                .map(|r| CannedUse {
                    canned_id: r.get(0),
                    message_id: r.get(1),
                    edited: r.get(2),
                    at: super::from_ts(r.get(3)),
                    answered: r.get(4),
                })
                .collect();
            Ok((records, uses))
        })
    }
}

/// Loads a dump's canned replies inside the import's transaction (SQLite's
/// `import_canned`): a slug the target holds already (the starter library) takes the
/// dump's state in its row, the others keep their ids when free; uses follow.
pub(super) fn import_canned(
    c: &mut impl GenericClient,
    records: &[CannedRecord],
    uses: &[CannedUse],
) -> Result<()> {
    let mut ids = std::collections::HashMap::new();
    for record in records {
        let r = &record.reply;
        let by_slug: Option<i64> = c
            .query_opt(
                "SELECT id FROM canned_responses WHERE slug = $1",
                &[&r.slug],
            )?
            .map(|row| row.get(0));
        let id = match by_slug {
            Some(id) => id,
            None => {
                let taken = c
                    .query_opt("SELECT 1 FROM canned_responses WHERE id = $1", &[&r.id])?
                    .is_some();
                let row = if taken {
                    c.query_one(
                        "INSERT INTO canned_responses(slug, title, body, created_at, updated_at)
                         VALUES ($1, '', '', 0, 0) RETURNING id",
                        &[&r.slug],
                    )?
                } else {
                    c.query_one(
                        "INSERT INTO canned_responses(id, slug, title, body, created_at, updated_at)
                         VALUES ($1, $2, '', '', 0, 0) RETURNING id",
                        &[&r.id, &r.slug],
                    )?
                };
                row.get(0)
            }
        };
        c.execute(
            "UPDATE canned_responses SET title = $2, shortcut = $3, language = $4,
                    formality = $5, tags = $6, keywords = $7, body = $8, builtin_hash = $9,
                    user_modified = $10, times_used = $11, times_unmodified = $12,
                    last_used_at = $13, created_at = $14, updated_at = $15, deleted_at = $16,
                    text_doc = NULL
             WHERE id = $1",
            &[
                &id,
                &r.title,
                &r.shortcut,
                &r.language.as_str(),
                &r.formality.as_str(),
                &tags_to_col(&r.tags),
                &keywords_to_col(&r.keywords),
                &r.body,
                &record.builtin_hash,
                &record.user_modified,
                &r.times_used,
                &r.times_unmodified,
                &r.last_used_at.map(to_ts),
                &to_ts(record.created_at),
                &to_ts(record.updated_at),
                &record.deleted_at.map(to_ts),
            ],
        )?;
        if record.deleted_at.is_none() {
            index_text(c, id, &r.to_new())?;
        }
        ids.insert(r.id, id);
    }
    for u in uses {
        let Some(canned) = ids.get(&u.canned_id) else {
            continue;
        };
        c.execute(
            "INSERT INTO canned_uses(canned_id, message_id, edited, at, answered, answered_doc)
             VALUES ($1, $2, $3, $4, $5,
                CASE WHEN $6 = '' THEN NULL ELSE to_tsvector('simple', $6) END)",
            &[
                canned,
                &u.message_id,
                &u.edited,
                &to_ts(u.at),
                &u.answered,
                &search_words(&u.answered),
            ],
        )?;
        if let Some(message) = u.message_id {
            c.execute(
                "UPDATE messages SET canned_id = $2, canned_edited = $3 WHERE id = $1",
                &[&message, canned, &u.edited],
            )?;
        }
    }
    Ok(())
}

impl CannedStore for PgStore {
    fn canned_list(&self) -> Result<Vec<CannedResponse>> {
        self.read(|c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM canned_responses WHERE deleted_at IS NULL
                     ORDER BY language, title, id"
                ),
                &[],
            )?
            .iter()
            .map(canned_from_row)
            .collect()
        })
    }

    fn canned_get(&self, id: i64) -> Result<CannedResponse> {
        self.read(|c| load(c, id))
    }

    fn canned_by_slug(&self, slug: &str) -> Result<Option<CannedResponse>> {
        self.read(|c| {
            c.query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM canned_responses WHERE slug = $1 AND deleted_at IS NULL"
                ),
                &[&slug],
            )?
            .map(|r| canned_from_row(&r))
            .transpose()
        })
    }

    fn canned_slug_taken(&self, slug: &str) -> Result<bool> {
        self.read(|c| {
            Ok(
                c.query_opt("SELECT 1 FROM canned_responses WHERE slug = $1", &[&slug])?
                    .is_some(),
            )
        })
    }

    fn canned_add(&mut self, item: &NewCanned) -> Result<i64> {
        validate(item)?;
        self.write(|tx, w| {
            let existing = tx.query_opt(
                "SELECT id, deleted_at FROM canned_responses WHERE slug = $1",
                &[&item.slug],
            )?;
            if let Some(row) = existing {
                let (id, deleted): (i64, Option<i64>) = (row.get(0), row.get(1));
                let hint = if deleted.is_some() {
                    format!(" by deleted response {id} (restore it, or pick another slug)")
                } else {
                    format!(" by response {id}")
                };
                return Err(StoreError::Invalid(format!(
                    "slug '{}' is already taken{hint}",
                    item.slug
                )));
            }
            let id = insert(tx, item, None)?;
            write_event(tx, None, &w.actor, "canned-add", None, Some(&item.slug))?;
            Ok(id)
        })
    }

    fn canned_update(&mut self, id: i64, item: &NewCanned) -> Result<()> {
        validate(item)?;
        self.write(|tx, w| {
            let before = load(tx, id)?;
            let clash: Option<i64> = tx
                .query_opt(
                    "SELECT id FROM canned_responses WHERE slug = $1 AND id != $2",
                    &[&item.slug, &id],
                )?
                .map(|r| r.get(0));
            if let Some(other) = clash {
                return Err(StoreError::Invalid(format!(
                    "slug '{}' is already taken by response {other}",
                    item.slug
                )));
            }
            overwrite(tx, id, item, true)?;
            write_event(
                tx,
                None,
                &w.actor,
                "canned-edit",
                Some(&before.slug),
                Some(&item.slug),
            )
        })
    }

    fn canned_delete(&mut self, id: i64) -> Result<CannedResponse> {
        self.write(|tx, w| {
            let before = load(tx, id)?;
            tx.execute(
                "UPDATE canned_responses SET deleted_at = $2, text_doc = NULL WHERE id = $1",
                &[&id, &to_ts(Utc::now())],
            )?;
            write_event(
                tx,
                None,
                &w.actor,
                "canned-delete",
                Some(&before.slug),
                None,
            )?;
            Ok(before)
        })
    }

    fn canned_restore(&mut self, id: i64) -> Result<CannedResponse> {
        self.write(|tx, w| {
            let changed = tx.execute(
                "UPDATE canned_responses SET deleted_at = NULL
                 WHERE id = $1 AND deleted_at IS NOT NULL",
                &[&id],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    what: "deleted canned response",
                    id,
                });
            }
            let restored = load(tx, id)?;
            index_text(tx, id, &restored.to_new())?;
            write_event(
                tx,
                None,
                &w.actor,
                "canned-restore",
                None,
                Some(&restored.slug),
            )?;
            Ok(restored)
        })
    }

    fn canned_record_sent(
        &mut self,
        message: MessageId,
        canned_id: i64,
        edited: bool,
    ) -> Result<()> {
        self.write(|tx, _| {
            let changed = tx.execute(
                "UPDATE messages SET canned_id = $2, canned_edited = $3 WHERE id = $1",
                &[&message, &canned_id, &edited],
            )?;
            if changed == 0 {
                return Err(StoreError::NotFound {
                    what: "message",
                    id: message,
                });
            }
            let bumped = tx.execute(
                "UPDATE canned_responses SET times_used = times_used + 1,
                        times_unmodified = times_unmodified + (CASE WHEN $2 THEN 0 ELSE 1 END),
                        last_used_at = $3
                 WHERE id = $1",
                &[&canned_id, &edited, &to_ts(Utc::now())],
            )?;
            if bumped == 0 {
                return Err(StoreError::NotFound {
                    what: "canned response",
                    id: canned_id,
                });
            }
            let answered: String = tx
                .query_opt(
                    "SELECT body FROM messages
                     WHERE ticket_id = (SELECT ticket_id FROM messages WHERE id = $1)
                       AND direction = 'inbound' AND id < $1
                     ORDER BY id DESC LIMIT 1",
                    &[&message],
                )?
                .map(|r| r.get(0))
                .unwrap_or_default();
            let answered = crate::model::text::truncate_chars(&answered, ANSWERED_LIMIT);
            tx.execute(
                "INSERT INTO canned_uses(canned_id, message_id, edited, at, answered, answered_doc)
                 VALUES ($1, $2, $3, $4, $5,
                    CASE WHEN $6 = '' THEN NULL ELSE to_tsvector('simple', $6) END)",
                &[
                    &canned_id,
                    &message,
                    &edited,
                    &to_ts(Utc::now()),
                    &answered,
                    &search_words(answered),
                ],
            )?;
            Ok(())
        })
    }

    fn canned_origin(&self, message: MessageId) -> Result<Option<(i64, bool)>> {
        self.read(|c| {
            let row = c.query_opt(
                "SELECT canned_id, canned_edited FROM messages WHERE id = $1",
                &[&message],
            )?;
            Ok(row.and_then(|r| {
                let (id, edited): (Option<i64>, Option<bool>) = (r.get(0), r.get(1));
                id.map(|id| (id, edited.unwrap_or(true)))
            }))
        })
    }

    fn canned_suggestion_scores(&self, message: &str) -> Result<Vec<(i64, f64)>> {
        let Some(query) = suggestion_tsquery(message) else {
            return Ok(Vec::new());
        };
        self.read(|c| {
            let mut scores: std::collections::HashMap<i64, f64> = Default::default();
            // Weights D, C, B, A: body 1, tags 2, keywords 3, title 4, as SQLite's BM25
            // column weights (normalised to ts_rank's 0..1 scale).
            for row in c.query(
                "SELECT id, ts_rank('{0.25, 0.5, 0.75, 1.0}', text_doc, to_tsquery('simple', $1))::FLOAT8
                 FROM canned_responses
                 WHERE deleted_at IS NULL AND text_doc @@ to_tsquery('simple', $1)",
                &[&query],
            )? {
                *scores.entry(row.get(0)).or_default() += row.get::<_, f64>(1);
            }
            for row in c.query(
                "SELECT u.canned_id, h.score FROM (
                     SELECT id AS use_id,
                        ts_rank(answered_doc, to_tsquery('simple', $1))::FLOAT8 AS score
                     FROM canned_uses WHERE answered_doc @@ to_tsquery('simple', $1)
                     ORDER BY score DESC LIMIT 500) h
                 JOIN canned_uses u ON u.id = h.use_id
                 JOIN canned_responses r ON r.id = u.canned_id AND r.deleted_at IS NULL",
                &[&query],
            )? {
                *scores.entry(row.get(0)).or_default() += HISTORY_WEIGHT * row.get::<_, f64>(1);
            }
            let mut ranked: Vec<(i64, f64)> = scores.into_iter().collect();
            ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
            Ok(ranked)
        })
    }

    fn canned_sync_starter(&mut self, items: &[(NewCanned, String)]) -> Result<StarterSync> {
        for (item, _) in items {
            validate(item)?;
        }
        self.write(|tx, _| {
            // One library sync at a time (two consoles starting together).
            tx.batch_execute("LOCK TABLE canned_responses IN SHARE ROW EXCLUSIVE MODE")?;
            let mut report = StarterSync::default();
            for (item, hash) in items {
                let existing = tx.query_opt(
                    "SELECT id, builtin_hash, user_modified, deleted_at FROM canned_responses
                     WHERE slug = $1",
                    &[&item.slug],
                )?;
                let existing: Option<(i64, Option<String>, bool, Option<i64>)> =
                    existing.map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)));
                match existing {
                    None => {
                        insert(tx, item, Some(hash))?;
                        report.added += 1;
                    }
                    Some((_, _, modified, deleted)) if modified || deleted.is_some() => {
                        report.kept += 1;
                    }
                    Some((_, Some(old), _, _)) if old == *hash => {}
                    Some((id, _, _, _)) => {
                        overwrite(tx, id, item, false)?;
                        tx.execute(
                            "UPDATE canned_responses SET builtin_hash = $2 WHERE id = $1",
                            &[&id, hash],
                        )?;
                        report.updated += 1;
                    }
                }
            }
            Ok(report)
        })
    }
}
