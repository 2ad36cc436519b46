//! Canned responses on disk: the library itself, its usage counters, the history of
//! which reply answered which customer message, and the two FTS5 indexes suggestions
//! rank with. Deletes are soft (`deleted_at`) so the TUI can undo them and a deleted
//! starter reply is not brought back by the next library update.

use chrono::Utc;
use rusqlite::{params, Connection, OptionalExtension, Row};

use super::ledger::write_event;
use super::messages::fold_for_index;
use super::{
    opt_ts, parse_col, tags_from_col, tags_to_col, to_ts, Result, SqliteStore, StoreError,
};
use crate::model::{CannedResponse, MessageId, NewCanned};
use crate::store::api::*;
use crate::store::types::*;

/// Named with `AS` (rows are read by name).
const COLUMNS: &str = "id AS id, slug AS slug, title AS title, shortcut AS shortcut, \
    language AS language, formality AS formality, tags AS tags, body AS body, \
    times_used AS times_used, times_unmodified AS times_unmodified, \
    last_used_at AS last_used_at, keywords AS keywords";

/// How much of a customer message goes into the history index: the question is in the
/// first lines, and a pasted log would only add noise.
const ANSWERED_LIMIT: usize = 4 * 1024;

fn canned_from_row(r: &Row<'_>) -> rusqlite::Result<CannedResponse> {
    Ok(CannedResponse {
        id: r.get("id")?,
        slug: r.get("slug")?,
        title: r.get("title")?,
        shortcut: r.get("shortcut")?,
        language: parse_col(4, r.get("language")?)?,
        formality: parse_col(5, r.get("formality")?)?,
        tags: tags_from_col(&r.get::<_, String>("tags")?),
        body: r.get("body")?,
        times_used: r.get("times_used")?,
        times_unmodified: r.get("times_unmodified")?,
        last_used_at: opt_ts(r.get("last_used_at")?),
        keywords: keywords_from_col(&r.get::<_, String>("keywords")?),
    })
}

/// Keywords may be phrases ("charged twice"), so they are stored one per line.
fn keywords_to_col(keywords: &[String]) -> String {
    keywords
        .iter()
        .map(|k| k.trim())
        .filter(|k| !k.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn keywords_from_col(col: &str) -> Vec<String> {
    col.lines()
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(str::to_string)
        .collect()
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

fn index_text(conn: &Connection, id: i64, item: &NewCanned) -> Result<()> {
    conn.execute("DELETE FROM canned_text_index WHERE rowid = ?1", [id])?;
    conn.execute(
        "INSERT INTO canned_text_index(rowid, title, keywords, tags, body)
         VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id,
            fold_for_index(&item.title),
            fold_for_index(&item.keywords.join(" ")),
            fold_for_index(&item.tags.join(" ")),
            fold_for_index(&item.body)
        ],
    )?;
    Ok(())
}

fn insert(conn: &Connection, item: &NewCanned, builtin_hash: Option<&str>) -> Result<i64> {
    let now = to_ts(Utc::now());
    conn.execute(
        "INSERT INTO canned_responses(slug, title, shortcut, language, formality, tags, keywords,
                                      body, builtin_hash, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)",
        params![
            item.slug,
            item.title,
            item.shortcut,
            item.language.as_str(),
            item.formality.as_str(),
            tags_to_col(&item.tags),
            keywords_to_col(&item.keywords),
            item.body,
            builtin_hash,
            now
        ],
    )?;
    let id = conn.last_insert_rowid();
    index_text(conn, id, item)?;
    Ok(id)
}

fn overwrite(conn: &Connection, id: i64, item: &NewCanned, user_modified: bool) -> Result<()> {
    conn.execute(
        "UPDATE canned_responses SET slug = ?2, title = ?3, shortcut = ?4, language = ?5,
                formality = ?6, tags = ?7, keywords = ?8, body = ?9, updated_at = ?10,
                user_modified = user_modified OR ?11
         WHERE id = ?1",
        params![
            id,
            item.slug,
            item.title,
            item.shortcut,
            item.language.as_str(),
            item.formality.as_str(),
            tags_to_col(&item.tags),
            keywords_to_col(&item.keywords),
            item.body,
            to_ts(Utc::now()),
            user_modified
        ],
    )?;
    index_text(conn, id, item)
}

fn load(conn: &Connection, id: i64) -> Result<CannedResponse> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM canned_responses WHERE id = ?1 AND deleted_at IS NULL"),
        [id],
        canned_from_row,
    )
    .optional()?
    .ok_or(StoreError::NotFound {
        what: "canned response",
        id,
    })
}

/// Turns a customer message into an FTS5 query: every distinct word, OR-ed, each cut
/// to a short prefix. The prefix is a poor man's stemmer, and it is enough: "пароля",
/// "паролем" and "пароль" all start with "паро", "refunded" with "refun".
pub fn suggestion_query(text: &str) -> Option<String> {
    let folded = fold_for_index(&text.to_lowercase());
    let mut terms: Vec<String> = Vec::new();
    for word in folded.split(|c: char| !c.is_alphanumeric()) {
        let n = word.chars().count();
        if n < 3 || STOP_WORDS.contains(&word) {
            continue;
        }
        let term = if n == 3 {
            format!("\"{word}\"")
        } else {
            let keep = (n.saturating_sub(2)).clamp(4, 5);
            let stem: String = word.chars().take(keep).collect();
            format!("\"{stem}\"*")
        };
        if !terms.contains(&term) {
            terms.push(term);
        }
        if terms.len() >= 48 {
            break;
        }
    }
    (!terms.is_empty()).then(|| terms.join(" OR "))
}

/// Words so common in support mail that they only blur the ranking.
const STOP_WORDS: &[&str] = &[
    "the",
    "and",
    "you",
    "your",
    "for",
    "that",
    "this",
    "with",
    "have",
    "was",
    "are",
    "but",
    "not",
    "can",
    "please",
    "thanks",
    "thank",
    "hello",
    "dear",
    "regards",
    "what",
    "from",
    "добрий",
    "день",
    "будь",
    "ласка",
    "дякую",
    "вітаю",
    "привіт",
    "мені",
    "мене",
    "якщо",
    "що",
    "вже",
    "для",
    "так",
    "або",
    "добрый",
    "здравствуйте",
    "пожалуйста",
    "спасибо",
    "привет",
    "меня",
    "мне",
    "если",
    "что",
    "уже",
    "для",
    "так",
    "или",
    "как",
    "это",
];

/// The full row behind [`COLUMNS`], for moving a queue.
const RECORD_COLUMNS: &str = "builtin_hash AS builtin_hash, user_modified AS user_modified, \
    created_at AS created_at, updated_at AS updated_at, deleted_at AS deleted_at";

impl SqliteStore {
    /// Every canned reply, deleted ones included, and every use of one: for the dump.
    pub(super) fn canned_export(&self) -> Result<(Vec<CannedRecord>, Vec<CannedUse>)> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS}, {RECORD_COLUMNS} FROM canned_responses ORDER BY id"
        ))?;
        let records = stmt
            .query_map([], |r| {
                Ok(CannedRecord {
                    reply: canned_from_row(r)?,
                    builtin_hash: r.get("builtin_hash")?,
                    user_modified: r.get("user_modified")?,
                    created_at: super::from_ts(r.get("created_at")?),
                    updated_at: super::from_ts(r.get("updated_at")?),
                    deleted_at: opt_ts(r.get("deleted_at")?),
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let mut stmt = self.conn.prepare(
            "SELECT canned_id, message_id, edited, at, answered FROM canned_uses ORDER BY id",
        )?;
        let uses = stmt
            .query_map([], |r| {
                Ok(CannedUse {
                    canned_id: r.get(0)?,
                    message_id: r.get(1)?,
                    edited: r.get(2)?,
                    at: super::from_ts(r.get(3)?),
                    answered: r.get(4)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok((records, uses))
    }
}

/// Loads a dump's canned replies inside the import's transaction. A reply whose
/// slug the target already holds (the starter library, synced by any command run on
/// the target before) takes the dump's state in that row; the others keep their ids
/// when free. Uses follow their reply's row, and each sent message its origin.
pub(super) fn import_canned(
    conn: &Connection,
    records: &[CannedRecord],
    uses: &[CannedUse],
) -> Result<()> {
    let mut ids = std::collections::HashMap::new();
    for record in records {
        let c = &record.reply;
        let by_slug: Option<i64> = conn
            .query_row(
                "SELECT id FROM canned_responses WHERE slug = ?1",
                [&c.slug],
                |r| r.get(0),
            )
            .optional()?;
        let id_free = conn
            .query_row(
                "SELECT 1 FROM canned_responses WHERE id = ?1",
                [c.id],
                |_| Ok(()),
            )
            .optional()?
            .is_none();
        let id = match by_slug {
            Some(id) => id,
            None => {
                conn.execute(
                    "INSERT INTO canned_responses(id, slug, title, body, created_at, updated_at)
                     VALUES (?1, ?2, '', '', 0, 0)",
                    params![id_free.then_some(c.id), c.slug],
                )?;
                conn.last_insert_rowid()
            }
        };
        conn.execute(
            "UPDATE canned_responses SET title = ?2, shortcut = ?3, language = ?4,
                    formality = ?5, tags = ?6, keywords = ?7, body = ?8, builtin_hash = ?9,
                    user_modified = ?10, times_used = ?11, times_unmodified = ?12,
                    last_used_at = ?13, created_at = ?14, updated_at = ?15, deleted_at = ?16
             WHERE id = ?1",
            params![
                id,
                c.title,
                c.shortcut,
                c.language.as_str(),
                c.formality.as_str(),
                tags_to_col(&c.tags),
                keywords_to_col(&c.keywords),
                c.body,
                record.builtin_hash,
                record.user_modified,
                c.times_used,
                c.times_unmodified,
                c.last_used_at.map(to_ts),
                to_ts(record.created_at),
                to_ts(record.updated_at),
                record.deleted_at.map(to_ts)
            ],
        )?;
        if record.deleted_at.is_some() {
            conn.execute("DELETE FROM canned_text_index WHERE rowid = ?1", [id])?;
        } else {
            index_text(conn, id, &c.to_new())?;
        }
        ids.insert(c.id, id);
    }
    for u in uses {
        let Some(canned) = ids.get(&u.canned_id) else {
            continue;
        };
        conn.execute(
            "INSERT INTO canned_uses(canned_id, message_id, edited, at, answered)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![canned, u.message_id, u.edited, to_ts(u.at), u.answered],
        )?;
        let use_id = conn.last_insert_rowid();
        if !u.answered.trim().is_empty() {
            conn.execute(
                "INSERT INTO canned_history_index(rowid, answered) VALUES (?1, ?2)",
                params![use_id, fold_for_index(&u.answered)],
            )?;
        }
        if let Some(message) = u.message_id {
            conn.execute(
                "UPDATE messages SET canned_id = ?2, canned_edited = ?3 WHERE id = ?1",
                params![message, canned, u.edited],
            )?;
        }
    }
    Ok(())
}

impl CannedStore for SqliteStore {
    fn canned_list(&self) -> Result<Vec<CannedResponse>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {COLUMNS} FROM canned_responses WHERE deleted_at IS NULL
             ORDER BY language, title, id"
        ))?;
        let rows = stmt.query_map([], canned_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn canned_get(&self, id: i64) -> Result<CannedResponse> {
        load(&self.conn, id)
    }

    fn canned_by_slug(&self, slug: &str) -> Result<Option<CannedResponse>> {
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM canned_responses WHERE slug = ?1 AND deleted_at IS NULL"
                ),
                [slug],
                canned_from_row,
            )
            .optional()?)
    }

    fn canned_slug_taken(&self, slug: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM canned_responses WHERE slug = ?1",
                [slug],
                |_| Ok(()),
            )
            .optional()?
            .is_some())
    }

    fn canned_add(&mut self, item: &NewCanned) -> Result<i64> {
        validate(item)?;
        let actor = self.actor.clone();
        let tx = self.write()?;
        let existing: Option<(i64, Option<i64>)> = tx
            .query_row(
                "SELECT id, deleted_at FROM canned_responses WHERE slug = ?1",
                [&item.slug],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((id, deleted)) = existing {
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
        let id = insert(&tx, item, None)?;
        write_event(&tx, None, &actor, "canned-add", None, Some(&item.slug))?;
        tx.commit()?;
        Ok(id)
    }

    fn canned_update(&mut self, id: i64, item: &NewCanned) -> Result<()> {
        validate(item)?;
        let actor = self.actor.clone();
        let tx = self.write()?;
        let before = load(&tx, id)?;
        let clash: Option<i64> = tx
            .query_row(
                "SELECT id FROM canned_responses WHERE slug = ?1 AND id != ?2",
                params![item.slug, id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = clash {
            return Err(StoreError::Invalid(format!(
                "slug '{}' is already taken by response {other}",
                item.slug
            )));
        }
        overwrite(&tx, id, item, true)?;
        write_event(
            &tx,
            None,
            &actor,
            "canned-edit",
            Some(&before.slug),
            Some(&item.slug),
        )?;
        tx.commit()?;
        Ok(())
    }

    fn canned_delete(&mut self, id: i64) -> Result<CannedResponse> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let before = load(&tx, id)?;
        tx.execute(
            "UPDATE canned_responses SET deleted_at = ?2 WHERE id = ?1",
            params![id, to_ts(Utc::now())],
        )?;
        tx.execute("DELETE FROM canned_text_index WHERE rowid = ?1", [id])?;
        write_event(&tx, None, &actor, "canned-delete", Some(&before.slug), None)?;
        tx.commit()?;
        Ok(before)
    }

    fn canned_restore(&mut self, id: i64) -> Result<CannedResponse> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE canned_responses SET deleted_at = NULL WHERE id = ?1 AND deleted_at IS NOT NULL",
            [id],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "deleted canned response",
                id,
            });
        }
        let restored = load(&tx, id)?;
        index_text(&tx, id, &restored.to_new())?;
        write_event(
            &tx,
            None,
            &actor,
            "canned-restore",
            None,
            Some(&restored.slug),
        )?;
        tx.commit()?;
        Ok(restored)
    }

    fn canned_record_sent(
        &mut self,
        message: MessageId,
        canned_id: i64,
        edited: bool,
    ) -> Result<()> {
        let tx = self.write()?;
        let changed = tx.execute(
            "UPDATE messages SET canned_id = ?2, canned_edited = ?3 WHERE id = ?1",
            params![message, canned_id, edited],
        )?;
        if changed == 0 {
            return Err(StoreError::NotFound {
                what: "message",
                id: message,
            });
        }
        bump_usage(&tx, canned_id, edited)?;
        let answered: String = tx
            .query_row(
                "SELECT body FROM messages
                 WHERE ticket_id = (SELECT ticket_id FROM messages WHERE id = ?1)
                   AND direction = 'inbound' AND id < ?1
                 ORDER BY id DESC LIMIT 1",
                [message],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or_default();
        let answered = crate::model::text::truncate_chars(&answered, ANSWERED_LIMIT);
        tx.execute(
            "INSERT INTO canned_uses(canned_id, message_id, edited, at, answered)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![canned_id, message, edited, to_ts(Utc::now()), answered],
        )?;
        let use_id = tx.last_insert_rowid();
        if !answered.trim().is_empty() {
            tx.execute(
                "INSERT INTO canned_history_index(rowid, answered) VALUES (?1, ?2)",
                params![use_id, fold_for_index(answered)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn canned_origin(&self, message: MessageId) -> Result<Option<(i64, bool)>> {
        let row: Option<(Option<i64>, Option<bool>)> = self
            .conn
            .query_row(
                "SELECT canned_id, canned_edited FROM messages WHERE id = ?1",
                [message],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(row.and_then(|(id, edited)| id.map(|id| (id, edited.unwrap_or(true)))))
    }

    fn canned_suggestion_scores(&self, message: &str) -> Result<Vec<(i64, f64)>> {
        let Some(query) = suggestion_query(message) else {
            return Ok(Vec::new());
        };
        let mut scores: std::collections::HashMap<i64, f64> = Default::default();
        let mut text = self.conn.prepare(
            "SELECT i.rowid, -bm25(canned_text_index, 4.0, 3.0, 2.0, 1.0)
             FROM canned_text_index i
             JOIN canned_responses c ON c.id = i.rowid AND c.deleted_at IS NULL
             WHERE canned_text_index MATCH ?1",
        )?;
        for row in text.query_map([&query], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))? {
            let (id, score) = row?;
            *scores.entry(id).or_default() += score;
        }
        let mut history = self.conn.prepare(
            "SELECT u.canned_id, h.score FROM (
                 SELECT rowid AS use_id, -bm25(canned_history_index) AS score
                 FROM canned_history_index WHERE canned_history_index MATCH ?1
                 ORDER BY bm25(canned_history_index) LIMIT 500) h
             JOIN canned_uses u ON u.id = h.use_id
             JOIN canned_responses c ON c.id = u.canned_id AND c.deleted_at IS NULL",
        )?;
        for row in
            history.query_map([&query], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?
        {
            let (id, score) = row?;
            *scores.entry(id).or_default() += HISTORY_WEIGHT * score;
        }
        let mut ranked: Vec<(i64, f64)> = scores.into_iter().collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(ranked)
    }

    fn canned_sync_starter(&mut self, items: &[(NewCanned, String)]) -> Result<StarterSync> {
        for (item, _) in items {
            validate(item)?;
        }
        let tx = self.write()?;
        let mut report = StarterSync::default();
        for (item, hash) in items {
            let existing: Option<(i64, Option<String>, bool, Option<i64>)> = tx
                .query_row(
                    "SELECT id, builtin_hash, user_modified, deleted_at FROM canned_responses
                     WHERE slug = ?1",
                    [&item.slug],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            match existing {
                None => {
                    insert(&tx, item, Some(hash))?;
                    report.added += 1;
                }
                Some((_, _, modified, deleted)) if modified || deleted.is_some() => {
                    report.kept += 1;
                }
                Some((_, Some(old), _, _)) if old == *hash => {}
                Some((id, _, _, _)) => {
                    overwrite(&tx, id, item, false)?;
                    tx.execute(
                        "UPDATE canned_responses SET builtin_hash = ?2 WHERE id = ?1",
                        params![id, hash],
                    )?;
                    report.updated += 1;
                }
            }
        }
        tx.commit()?;
        Ok(report)
    }
}

/// A response used before for a message like this one counts for more than words
/// the response itself happens to contain.
const HISTORY_WEIGHT: f64 = 2.0;

fn bump_usage(conn: &Connection, id: i64, edited: bool) -> Result<()> {
    let changed = conn.execute(
        "UPDATE canned_responses SET times_used = times_used + 1,
                times_unmodified = times_unmodified + (CASE WHEN ?2 THEN 0 ELSE 1 END),
                last_used_at = ?3
         WHERE id = ?1",
        params![id, edited, to_ts(Utc::now())],
    )?;
    if changed == 0 {
        return Err(StoreError::NotFound {
            what: "canned response",
            id,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Formality, Language};

    fn item(slug: &str, body: &str) -> NewCanned {
        NewCanned {
            slug: slug.into(),
            title: format!("Title of {slug}"),
            shortcut: Some(slug.into()),
            language: Language::Uk,
            formality: Formality::Formal,
            tags: vec!["billing".into()],
            keywords: vec!["гроші повернути".into()],
            body: body.into(),
        }
    }

    #[test]
    fn suggestion_query_stems_cyrillic_and_drops_noise() {
        let q =
            suggestion_query("Добрий день! Поверніть гроші, будь ласка: списали двічі.").unwrap();
        assert!(q.contains("\"повер\"*"), "{q}");
        assert!(q.contains("\"списа\"*"), "{q}");
        assert!(!q.contains("добр"), "greeting words are noise: {q}");
        assert_eq!(suggestion_query("ok !!"), None);
    }

    #[test]
    fn delete_is_undoable_and_hides_the_response() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let id = store
            .canned_add(&item("refund", "Повернемо кошти."))
            .unwrap();
        let gone = store.canned_delete(id).unwrap();
        assert_eq!(gone.slug, "refund");
        assert!(store.canned_list().unwrap().is_empty());
        assert!(store.canned_get(id).is_err());
        let err = store.canned_add(&item("refund", "x")).unwrap_err();
        assert!(err.to_string().contains("deleted response"), "{err}");
        store.canned_restore(id).unwrap();
        assert_eq!(store.canned_list().unwrap().len(), 1);
        assert_eq!(
            store.canned_suggestion_scores("повернути гроші").unwrap()[0].0,
            id
        );
    }

    #[test]
    fn starter_sync_never_overwrites_user_edits_or_deletes() {
        let mut store = SqliteStore::open_in_memory().unwrap();
        let v1 = vec![
            (item("a", "one"), "h1".to_string()),
            (item("b", "two"), "h1".to_string()),
            (item("c", "three"), "h1".to_string()),
        ];
        let first = store.canned_sync_starter(&v1).unwrap();
        assert_eq!(first.added, 3);
        let a = store.canned_by_slug("a").unwrap().unwrap();
        store
            .canned_update(a.id, &item("a", "my own words"))
            .unwrap();
        let c = store.canned_by_slug("c").unwrap().unwrap();
        store.canned_delete(c.id).unwrap();
        let v2: Vec<_> = v1
            .iter()
            .map(|(i, _)| {
                (
                    NewCanned {
                        body: format!("{} v2", i.body),
                        ..i.clone()
                    },
                    "h2".into(),
                )
            })
            .collect();
        let second = store.canned_sync_starter(&v2).unwrap();
        assert_eq!((second.added, second.updated, second.kept), (0, 1, 2));
        assert_eq!(
            store.canned_by_slug("a").unwrap().unwrap().body,
            "my own words"
        );
        assert_eq!(store.canned_by_slug("b").unwrap().unwrap().body, "two v2");
        assert!(
            store.canned_by_slug("c").unwrap().is_none(),
            "deleted stays deleted"
        );
    }
}
