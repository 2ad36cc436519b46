//! Canned responses: filling placeholders, combining greeting + body + sign-off,
//! ranking for the picker, `;;shortcut` expansion, suggestions for a customer's
//! message, the starter library and the TOML exchange format.
//!
//! Pure logic over `model` types; the only storage it touches goes through `Store`
//! methods (`ensure_starter`, `suggest`). No terminal I/O: the TUI and CLI show results.

mod compose;
mod greeting;
mod library;
mod pick;
mod render;
mod starter;
mod suggest;

use std::ops::Range;

use crate::config::AgentConfig;
use crate::model::{CannedResponse, Customer, Language, Ticket};

pub use compose::{compose, full_template, greeting_for, signoff_for};
pub use greeting::greeting_line;
pub use library::{
    duplicate, edit_document, from_toml, import, parse_edit_document, to_toml, valid_slug,
    was_edited, ImportReport, LibraryFile,
};
pub use pick::{
    expand_shortcut, expand_shortcut_for, rank_for, rank_indexed, shortcut_before_cursor,
    RankIndex, SHORTCUT_PREFIX,
};
pub use render::{check, render_checked, vocative};
pub use starter::{ensure_starter, starter_items};
pub use suggest::{suggest, suggest_for_ticket, SUGGESTIONS};

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

impl Rendered {
    /// The first unfilled placeholder the user must type themselves. One firstline
    /// fills from what it knows (`[agent.name]`, `[customer.first_name]`, the
    /// greeting, the ticket) stays visible and still holds the send, but the cursor is
    /// not put on it: the agent's first sentence must not replace it.
    pub fn first_to_type(&self) -> Option<Range<usize>> {
        self.unfilled
            .iter()
            .find(|r| {
                let name = self.text.get((*r).clone()).unwrap_or_default();
                !filled_by_firstline(name.trim_matches(['[', ']']))
            })
            .cloned()
    }
}

/// Placeholders whose value comes from config or the ticket, never from typing here.
fn filled_by_firstline(name: &str) -> bool {
    let root = name.split(['.', '|', ' ']).next().unwrap_or(name);
    matches!(
        root,
        "agent" | "customer" | "ticket" | "now" | "language" | "formality" | "greeting"
    )
}

/// What can go wrong with a canned response, said so the user knows what to fix.
#[derive(Debug, thiserror::Error)]
pub enum CannedError {
    /// The template itself is malformed (an unclosed `{% if %}`, a typo in a filter).
    #[error("template error on line {line}: {detail}")]
    Template { line: usize, detail: String },
    /// Placeholders with no value for this customer or ticket.
    #[error("no value for {}; fill them in or add a default, e.g. {{{{ customer.first_name | default(\"there\") }}}}", names.join(", "))]
    Unfilled { names: Vec<String> },
    /// An exported or starter library file that cannot be read.
    #[error("{source_name}: {detail}")]
    Library { source_name: String, detail: String },
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
}

/// Renders a template body for the composer. Never fails: a placeholder that cannot be
/// filled shows as `[customer.first_name]`, and its byte range is in `unfilled` so the
/// TUI can highlight it, jump the cursor there and block sending until it is filled
/// or accepted. A template that does not parse is returned as written with its tags
/// marked. Use [`render_checked`] where an error is more useful than a marker.
///
/// Templates are minijinja: `{{ customer.first_name }}`, `{{ customer.name }}`,
/// `{{ ticket.id }}`, `{{ ticket.subject }}`, `{{ agent.name }}`, `{{ agent.signature }}`,
/// `{{ agent.company }}`, `{{ now | add_workdays(1) | date("%d.%m") }}`,
/// `{{ customer.first_name | default("there") }}`, `{{ customer.first_name | vocative }}`,
/// `{% if formal %}…{% else %}…{% endif %}`, `{% if language == "uk" %}…{% endif %}`.
pub fn render(body: &str, ctx: &RenderContext) -> Rendered {
    render::render(body, ctx)
}

/// Indices of `items` matching `query`, best first: items in the ticket's `language`
/// come before the rest, then by fuzzy score over shortcut, title, tags and body. An
/// empty query lists everything, most used first.
pub fn rank(items: &[CannedResponse], query: &str, language: Language) -> Vec<usize> {
    rank_for(items, query, language, crate::model::Formality::Unknown)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_to_type_skips_placeholders_firstline_fills_itself() {
        let text = "[agent.name] and [customer.first_name] owe [order.amount]".to_string();
        let rendered = Rendered {
            unfilled: vec![0..12, 17..38, 44..58],
            text,
        };
        assert_eq!(rendered.first_to_type(), Some(44..58));
        let only_ours = Rendered {
            text: "[agent.name]".into(),
            unfilled: std::iter::once(0..12).collect(),
        };
        assert_eq!(only_ours.first_to_type(), None);
    }
}
