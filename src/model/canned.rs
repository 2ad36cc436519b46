//! A saved reply. Plain data; rendering and ranking live in `crate::canned`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Formality, Language};

/// One canned response: a template with placeholders, in one language and register.
/// Usage counters feed suggestions and the "sent unmodified" statistic.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CannedResponse {
    pub id: i64,
    /// Stable name, e.g. `refund-en-formal`; starter replies keep theirs across updates.
    pub slug: String,
    pub title: String,
    /// Typed as `;;shortcut` in the composer to expand.
    pub shortcut: Option<String>,
    pub language: Language,
    pub formality: Formality,
    pub tags: Vec<String>,
    pub body: String,
    pub times_used: i64,
    pub times_unmodified: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}
