//! The file format canned responses travel in: the starter library in `assets/canned/`,
//! `firstline canned export` and `import`. TOML, because people edit these by hand and
//! multi-line `"""` bodies read like the letter they are.
//!
//! ```toml
//! [[reply]]
//! slug = "refund-en"
//! title = "Refund issued"
//! shortcut = "refund"
//! language = "en"
//! formality = "unknown"
//! tags = ["billing"]
//! keywords = ["refund", "charged twice"]
//! body = """
//! I've refunded ..."""
//! ```

use serde::{Deserialize, Serialize};

use super::CannedError;
use crate::model::{CannedResponse, NewCanned};

/// One file of canned responses.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LibraryFile {
    /// Free text at the top of the file (ignored on import), saying where it came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub about: Option<String>,
    #[serde(default)]
    pub reply: Vec<NewCanned>,
}

/// Writes responses as a library file that [`from_toml`] reads back unchanged.
pub fn to_toml(items: &[CannedResponse]) -> Result<String, CannedError> {
    let file = LibraryFile {
        about: Some(
            "firstline canned responses; import with `firstline canned import FILE`".into(),
        ),
        reply: items.iter().map(CannedResponse::to_new).collect(),
    };
    toml::to_string_pretty(&file).map_err(|e| CannedError::Library {
        source_name: "export".into(),
        detail: e.to_string(),
    })
}

/// Reads a library file, checking every template's syntax and slug so a bad entry is
/// reported with its name before anything is stored.
pub fn from_toml(text: &str, source_name: &str) -> Result<Vec<NewCanned>, CannedError> {
    let file: LibraryFile = toml::from_str(text).map_err(|e| CannedError::Library {
        source_name: source_name.into(),
        detail: e.to_string(),
    })?;
    for item in &file.reply {
        let bad = |detail: String| CannedError::Library {
            source_name: source_name.into(),
            detail: format!("reply '{}': {detail}", item.slug),
        };
        if !valid_slug(&item.slug) {
            return Err(bad(
                "slugs are lowercase letters, digits and dashes, e.g. refund-uk-formal".into(),
            ));
        }
        if item.title.trim().is_empty() || item.body.trim().is_empty() {
            return Err(bad("title and body must not be empty".into()));
        }
        super::check(&item.body).map_err(|e| bad(e.to_string()))?;
    }
    Ok(file.reply)
}

/// Slugs are used on the command line and in file names, so they stay plain.
pub fn valid_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub added: usize,
    pub updated: usize,
}

/// Stores responses read by [`from_toml`]: a slug already in the library is updated
/// (and counts as the user's edit), a new one is added. Usage counters are kept.
pub fn import(
    store: &mut crate::store::Store,
    items: &[NewCanned],
) -> Result<ImportReport, CannedError> {
    let mut report = ImportReport::default();
    for item in items {
        match store.canned_by_slug(&item.slug)? {
            Some(existing) if existing.to_new() == *item => {}
            Some(existing) => {
                store.canned_update(existing.id, item)?;
                report.updated += 1;
            }
            None => {
                store.canned_add(item)?;
                report.added += 1;
            }
        }
    }
    Ok(report)
}

/// The text a person edits in `$EDITOR` for one response: every field, as TOML, so
/// the title, shortcut and tags are as easy to change as the body.
pub fn edit_document(item: &CannedResponse) -> Result<String, CannedError> {
    to_toml(std::slice::from_ref(item))
}

/// Reads back an [`edit_document`] after editing: exactly one valid `[[reply]]`.
pub fn parse_edit_document(text: &str) -> Result<NewCanned, CannedError> {
    let mut items = from_toml(text, "the edited response")?;
    if items.len() != 1 {
        return Err(CannedError::Library {
            source_name: "the edited response".into(),
            detail: format!("expected one [[reply]], found {}", items.len()),
        });
    }
    Ok(items.remove(0))
}

/// Copies a response under a free slug (`refund-en-copy`, `-copy-2`, ...) and a title
/// marked "(copy)", for "duplicate, then adapt". Returns the new id.
pub fn duplicate(store: &mut crate::store::Store, id: i64) -> Result<i64, CannedError> {
    let original = store.canned_get(id)?;
    let mut copy = original.to_new();
    let base = format!("{}-copy", original.slug);
    copy.slug = base.clone();
    let mut n = 2;
    while store.canned_slug_taken(&copy.slug)? {
        copy.slug = format!("{base}-{n}");
        n += 1;
    }
    copy.title = format!("{} (copy)", original.title);
    Ok(store.canned_add(&copy)?)
}

/// Whether what was sent differs from what the template rendered to, for the "sent
/// unmodified" statistic. Whitespace at line ends and around the text does not count:
/// an editor that adds a final newline has not edited the reply. Neither does filling
/// what the template asked to be filled: an unfilled `[agent.name]` or
/// `[customer.first_name]` marker (in the signature, the greeting) matches whatever
/// the agent typed in its place on that line.
pub fn was_edited(rendered: &str, sent: &str) -> bool {
    fn normal(text: &str) -> String {
        text.trim()
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
    }
    let (rendered, sent) = (normal(rendered), normal(sent));
    if rendered == sent {
        return false;
    }
    let marker = unfilled_marker();
    if !marker.is_match(&rendered) {
        return true;
    }
    let mut pattern = String::from("^");
    let mut at = 0;
    for m in marker.find_iter(&rendered) {
        pattern.push_str(&regex::escape(&rendered[at..m.start()]));
        pattern.push_str("[^\n]+?");
        at = m.end();
    }
    pattern.push_str(&regex::escape(&rendered[at..]));
    pattern.push('$');
    regex::Regex::new(&pattern).map_or(true, |filled| !filled.is_match(&sent))
}

/// How the renderer shows a placeholder it had no value for: `[customer.first_name]`.
fn unfilled_marker() -> &'static regex::Regex {
    static MARKER: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    MARKER.get_or_init(|| {
        regex::Regex::new(r"\[[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\]")
            .expect("a valid pattern")
    })
}
