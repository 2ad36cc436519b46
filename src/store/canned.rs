//! Canned responses on disk.

use rusqlite::Row;

use super::{opt_ts, parse_col, tags_from_col, Result, Store};
use crate::model::CannedResponse;

fn canned_from_row(r: &Row<'_>) -> rusqlite::Result<CannedResponse> {
    Ok(CannedResponse {
        id: r.get(0)?,
        slug: r.get(1)?,
        title: r.get(2)?,
        shortcut: r.get(3)?,
        language: parse_col(4, r.get(4)?)?,
        formality: parse_col(5, r.get(5)?)?,
        tags: tags_from_col(&r.get::<_, String>(6)?),
        body: r.get(7)?,
        times_used: r.get(8)?,
        times_unmodified: r.get(9)?,
        last_used_at: opt_ts(r.get(10)?),
    })
}

impl Store {
    /// Every canned response, by title.
    pub fn canned_list(&self) -> Result<Vec<CannedResponse>> {
        let mut stmt = self.conn.prepare(
            "SELECT id, slug, title, shortcut, language, formality, tags, body, times_used,
                    times_unmodified, last_used_at FROM canned_responses ORDER BY title",
        )?;
        let rows = stmt.query_map([], canned_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}
