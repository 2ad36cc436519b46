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
    /// Words customers use when they need this reply ("charged twice", "списали"). Never
    /// shown in the reply; they only help suggestions before any history exists.
    #[serde(default)]
    pub keywords: Vec<String>,
    pub body: String,
    pub times_used: i64,
    pub times_unmodified: i64,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Tag that marks a greeting snippet: put above a reply's body.
pub const TAG_GREETING: &str = "greeting";
/// Tag that marks a sign-off snippet: put below a reply's body.
pub const TAG_SIGNOFF: &str = "sign-off";
/// Tag that marks a fragment meant for the cursor, never wrapped in greeting/sign-off.
pub const TAG_SNIPPET: &str = "snippet";

/// What role a canned text plays when it is inserted into a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CannedKind {
    /// A whole answer: inserted into an empty reply with the greeting and sign-off.
    Reply,
    Greeting,
    SignOff,
    /// A fragment inserted at the cursor as is.
    Snippet,
}

impl CannedResponse {
    /// A reply that is not stored (id 0, never used): for ranking a library before it
    /// is imported, in tests and in benchmarks.
    pub fn unsaved(new: NewCanned) -> CannedResponse {
        CannedResponse {
            id: 0,
            slug: new.slug,
            title: new.title,
            shortcut: new.shortcut,
            language: new.language,
            formality: new.formality,
            tags: new.tags,
            keywords: new.keywords,
            body: new.body,
            times_used: 0,
            times_unmodified: 0,
            last_used_at: None,
        }
    }

    /// The role this text plays, from its tags (so users choose it by tagging).
    pub fn kind(&self) -> CannedKind {
        let has = |t: &str| self.tags.iter().any(|x| x == t);
        if has(TAG_GREETING) {
            CannedKind::Greeting
        } else if has(TAG_SIGNOFF) {
            CannedKind::SignOff
        } else if has(TAG_SNIPPET) {
            CannedKind::Snippet
        } else {
            CannedKind::Reply
        }
    }

    /// Share of uses sent without editing, 0.0..=1.0; `None` before the first use.
    pub fn unmodified_share(&self) -> Option<f64> {
        (self.times_used > 0).then(|| self.times_unmodified as f64 / self.times_used as f64)
    }

    /// The fields a user writes, for updating or exporting this response.
    pub fn to_new(&self) -> NewCanned {
        NewCanned {
            slug: self.slug.clone(),
            title: self.title.clone(),
            shortcut: self.shortcut.clone(),
            language: self.language,
            formality: self.formality,
            tags: self.tags.clone(),
            keywords: self.keywords.clone(),
            body: self.body.clone(),
        }
    }
}

/// What a person (or the starter library, or an import) supplies for a canned
/// response; the store adds the id and the usage counters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewCanned {
    pub slug: String,
    pub title: String,
    #[serde(default)]
    pub shortcut: Option<String>,
    pub language: Language,
    #[serde(default = "unknown_formality")]
    pub formality: Formality,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub keywords: Vec<String>,
    pub body: String,
}

fn unknown_formality() -> Formality {
    Formality::Unknown
}
