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
