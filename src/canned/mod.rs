//! Canned responses: rendering placeholders and ranking for the picker.
//! PLACEHOLDER API — replaced by the canned-responses work (issue 5).

use std::ops::Range;

use crate::config::AgentConfig;
use crate::model::{CannedResponse, Customer, Language, Ticket};

/// What a template may refer to.
pub struct RenderContext<'a> {
    pub customer: Option<&'a Customer>,
    pub ticket: Option<&'a Ticket>,
    pub agent: &'a AgentConfig,
    pub now: chrono::DateTime<chrono::Utc>,
}

/// A rendered template and the byte ranges of placeholders that could not be filled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub text: String,
    pub unfilled: Vec<Range<usize>>,
}

/// Renders a template body. Placeholder: returns the body unchanged.
pub fn render(body: &str, _ctx: &RenderContext) -> Rendered {
    Rendered {
        text: body.to_string(),
        unfilled: Vec::new(),
    }
}

/// Indices of `items` matching `query`, best first, preferring `language`.
pub fn rank(items: &[CannedResponse], query: &str, _language: Language) -> Vec<usize> {
    let q = query.to_lowercase();
    (0..items.len())
        .filter(|&i| q.is_empty() || items[i].title.to_lowercase().contains(&q))
        .collect()
}
