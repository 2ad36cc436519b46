//! Combining snippets: a reply goes out as greeting + body + sign-off, each a canned
//! text of its own, so changing how you greet Ukrainian customers is one edit, not
//! seventy. Fragments tagged `snippet` are inserted at the cursor as they are.

use crate::model::{CannedKind, CannedResponse, Formality, Language};

use super::pick::formality_rank;

/// Joins the non-empty parts with one blank line between them, the way a letter reads.
pub fn compose(greeting: &str, body: &str, signoff: &str) -> String {
    [greeting, body, signoff]
        .iter()
        .map(|part| part.trim())
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn snippet_for(
    items: &[CannedResponse],
    kind: CannedKind,
    language: Language,
    formality: Formality,
) -> Option<&CannedResponse> {
    items
        .iter()
        .filter(|c| c.kind() == kind && c.language == language)
        .min_by_key(|c| (formality_rank(c.formality, formality), c.id))
}

/// The greeting to open a reply in `language` and `formality` with, if the library has
/// one (a formal-or-any one when the register is unknown).
pub fn greeting_for(
    items: &[CannedResponse],
    language: Language,
    formality: Formality,
) -> Option<&CannedResponse> {
    snippet_for(items, CannedKind::Greeting, language, wanted(formality))
}

/// The sign-off to close a reply in `language` and `formality` with.
pub fn signoff_for(
    items: &[CannedResponse],
    language: Language,
    formality: Formality,
) -> Option<&CannedResponse> {
    snippet_for(items, CannedKind::SignOff, language, wanted(formality))
}

fn wanted(formality: Formality) -> Formality {
    if formality == Formality::Informal {
        Formality::Informal
    } else {
        Formality::Formal
    }
}

/// The whole template to render when `chosen` starts a reply: a `Reply` wrapped in the
/// greeting and sign-off of its own language and register (so an informal body never
/// gets a formal greeting); greetings, sign-offs and snippets as they are.
pub fn full_template(items: &[CannedResponse], chosen: &CannedResponse) -> String {
    if chosen.kind() != CannedKind::Reply {
        return chosen.body.clone();
    }
    let greeting = greeting_for(items, chosen.language, chosen.formality);
    let signoff = signoff_for(items, chosen.language, chosen.formality);
    compose(
        greeting.map_or("", |g| g.body.as_str()),
        &chosen.body,
        signoff.map_or("", |s| s.body.as_str()),
    )
}

impl super::Rendered {
    /// The same result inserted at byte `at` of a longer text: unfilled ranges shifted,
    /// for a snippet rendered on its own and dropped in at the cursor.
    pub fn offset(mut self, at: usize) -> Self {
        for r in &mut self.unfilled {
            *r = r.start + at..r.end + at;
        }
        self
    }

    /// Inserts this rendered snippet into `text` at byte `cursor` (clamped to a char
    /// boundary). Returns the new text and the unfilled ranges within it; ranges
    /// already in `existing` after the cursor are shifted too.
    pub fn insert_into(
        self,
        text: &str,
        cursor: usize,
        existing: &[std::ops::Range<usize>],
    ) -> super::Rendered {
        let at = crate::model::text::floor_char_boundary(text, cursor);
        let added = self.text.len();
        let mut out = String::with_capacity(text.len() + added);
        out.push_str(&text[..at]);
        out.push_str(&self.text);
        out.push_str(&text[at..]);
        let mut unfilled: Vec<_> = existing
            .iter()
            .map(|r| {
                if r.start >= at {
                    r.start + added..r.end + added
                } else {
                    r.clone()
                }
            })
            .collect();
        unfilled.extend(self.offset(at).unfilled);
        unfilled.sort_by_key(|r| r.start);
        super::Rendered {
            text: out,
            unfilled,
        }
    }
}
