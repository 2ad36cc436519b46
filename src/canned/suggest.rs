//! Suggestions: the replies that best fit the customer's latest message, shown when
//! the composer opens. BM25 (FTS5) over the messages each reply answered before, plus
//! the replies' own words for a library with no history yet; one reply per topic, in
//! the customer's language and register.

use std::collections::HashMap;

use super::pick::formality_rank;
use super::CannedError;
use crate::model::{CannedKind, CannedResponse, Direction, Formality, Language, TicketDetail};
use crate::store::Store;

/// How many suggestions the composer shows.
pub const SUGGESTIONS: usize = 3;

/// The best `SUGGESTIONS` replies for `message`, best first. Only replies in
/// `language` (any language when it is `Other`); when a topic exists in both registers,
/// the customer's one (formal when unknown) stands for it.
pub fn suggest(
    store: &Store,
    message: &str,
    language: Language,
    formality: Formality,
) -> Result<Vec<CannedResponse>, CannedError> {
    let scores = store.canned_suggestion_scores(message)?;
    if scores.is_empty() {
        return Ok(Vec::new());
    }
    let items = store.canned_list()?;
    let wanted = if formality == Formality::Informal {
        Formality::Informal
    } else {
        Formality::Formal
    };
    let by_id: HashMap<i64, &CannedResponse> = items.iter().map(|c| (c.id, c)).collect();
    let topic = |c: &CannedResponse| {
        (
            c.language,
            c.shortcut.clone().unwrap_or_else(|| c.slug.clone()),
        )
    };
    let mut best: Vec<((Language, String), f64)> = Vec::new();
    for (id, score) in scores {
        let Some(item) = by_id.get(&id) else { continue };
        if item.kind() != CannedKind::Reply
            || (language != Language::Other && item.language != language)
        {
            continue;
        }
        let key = topic(item);
        if !best.iter().any(|(k, _)| *k == key) {
            best.push((key, score));
        }
    }
    let mut out = Vec::new();
    for (key, _) in best.into_iter().take(SUGGESTIONS) {
        let variant = items
            .iter()
            .filter(|c| c.kind() == CannedKind::Reply && topic(c) == key)
            .min_by_key(|c| (formality_rank(c.formality, wanted), c.id));
        if let Some(v) = variant {
            out.push(v.clone());
        }
    }
    Ok(out)
}

/// Suggestions for an open ticket: its latest customer message with words of their
/// own (a photo or "[Media omitted]" asks nothing), in the customer's language and
/// register (read by `tone` across their messages when the customer's profile does
/// not say yet). Empty when the customer has not written.
pub fn suggest_for_ticket(
    store: &Store,
    detail: &TicketDetail,
) -> Result<Vec<CannedResponse>, CannedError> {
    let inbound = || {
        detail
            .messages
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::Inbound)
    };
    let Some(latest) = inbound()
        .find(|m| !crate::tone::own_words(&m.body).trim().is_empty())
        .or_else(|| inbound().next())
    else {
        return Ok(Vec::new());
    };
    let text = format!("{}\n{}", detail.ticket.subject, latest.body);
    let (read_language, read_formality) =
        crate::tone::customer_profile_across(inbound().map(|m| m.body.as_str()));
    let language = match (detail.customer.language, read_language) {
        // Too little to store is still the best guess for a suggestion.
        (Language::Other, Language::Other) => {
            crate::tone::detect_language(&crate::tone::own_words(&latest.body))
        }
        (Language::Other, read) => read,
        (known, _) => known,
    };
    let formality = match detail.customer.formality {
        Formality::Unknown if read_language == language => read_formality,
        Formality::Unknown => Formality::Unknown,
        known => known,
    };
    suggest(store, &text, language, formality)
}
