//! The picker: fuzzy ranking over shortcut, title, tags and body (nucleo), with the
//! ticket's language first, and `;;shortcut` expansion while typing.

use std::cmp::Reverse;
use std::ops::Range;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};

use crate::model::{CannedKind, CannedResponse, Formality, Language};

/// What the user types before a shortcut in the composer: `;;refund`, then Tab.
pub const SHORTCUT_PREFIX: &str = ";;";

/// A query equal to an item's shortcut puts that item above every fuzzy match.
const EXACT_SHORTCUT_BONUS: u32 = 100_000;

/// How much a match in each field counts: a shortcut or title says what a reply is
/// for; the body only says it mentions the words.
const WEIGHT_SHORTCUT: u32 = 4;
const WEIGHT_TITLE: u32 = 3;
const WEIGHT_TAGS: u32 = 2;
const WEIGHT_BODY: u32 = 1;

/// The library's text converted once for the matcher. Converting every reply's
/// shortcut, title, tags and body to grapheme clusters was nearly all of ranking time
/// (80 ms a keystroke for 5,000 replies); the picker builds this when it opens and
/// reuses it for every keystroke.
#[derive(Debug, Clone, Default)]
pub struct RankIndex {
    /// Per item: shortcut, title, tags, body, and all four joined.
    fields: Vec<[Utf32String; 5]>,
}

impl RankIndex {
    /// Converts `items`' text; rank the same slice with [`rank_indexed`].
    pub fn new(items: &[CannedResponse]) -> RankIndex {
        let fields = items
            .iter()
            .map(|item| {
                let shortcut = item.shortcut.as_deref().unwrap_or("");
                let tags = item.tags.join(" ");
                let all = format!("{shortcut} {} {tags} {}", item.title, item.body);
                [
                    Utf32String::from(shortcut),
                    Utf32String::from(item.title.as_str()),
                    Utf32String::from(tags.as_str()),
                    Utf32String::from(item.body.as_str()),
                    Utf32String::from(all.as_str()),
                ]
            })
            .collect();
        RankIndex { fields }
    }
}

/// Like [`crate::canned::rank`], and among equally good matches the customer's register
/// (formal or informal; formal when unknown) comes first.
pub fn rank_for(
    items: &[CannedResponse],
    query: &str,
    language: Language,
    formality: Formality,
) -> Vec<usize> {
    let query = query.trim().trim_start_matches(SHORTCUT_PREFIX).trim();
    let index = if query.is_empty() {
        RankIndex::default()
    } else {
        RankIndex::new(items)
    };
    rank_indexed(items, &index, query, language, formality)
}

/// [`rank_for`] with the text converted ahead of time: `index` must have been built
/// from `items` (an index of another length is rebuilt rather than misread).
pub fn rank_indexed(
    items: &[CannedResponse],
    index: &RankIndex,
    query: &str,
    language: Language,
    formality: Formality,
) -> Vec<usize> {
    let query = query.trim().trim_start_matches(SHORTCUT_PREFIX).trim();
    let rebuilt;
    let index = if query.is_empty() || index.fields.len() == items.len() {
        index
    } else {
        rebuilt = RankIndex::new(items);
        &rebuilt
    };
    let mut matcher = Matcher::new(Config::DEFAULT);
    let fuzzy = Pattern::parse(query, CaseMatching::Ignore, Normalization::Smart);
    let literal = Pattern::new(
        query,
        CaseMatching::Ignore,
        Normalization::Smart,
        AtomKind::Substring,
    );
    let mut score = |pattern: &Pattern, text: &Utf32String| -> Option<u32> {
        pattern.score(text.slice(..), &mut matcher)
    };
    let mut scored: Vec<(usize, u32)> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        if query.is_empty() {
            scored.push((i, 0));
            continue;
        }
        let shortcut = item.shortcut.as_deref().unwrap_or("");
        let [short_text, title, tags, body, all] = &index.fields[i];
        let fields = [
            (score(&fuzzy, short_text), WEIGHT_SHORTCUT),
            (score(&fuzzy, title), WEIGHT_TITLE),
            (score(&fuzzy, tags), WEIGHT_TAGS),
            (score(&literal, body), WEIGHT_BODY),
        ];
        let mut total: u32 = fields.iter().filter_map(|(s, w)| s.map(|s| s * w)).sum();
        if fields.iter().all(|(s, _)| s.is_none()) {
            // Words spread over several fields ("refund card"): match them all at once.
            match score(&literal, all) {
                Some(s) => total = s,
                None => continue,
            }
        }
        if !shortcut.is_empty() && same_shortcut(shortcut, query) {
            total += EXACT_SHORTCUT_BONUS;
        }
        scored.push((i, total));
    }
    let wanted = preferred_formality(formality);
    // Cached: the key lowercases the title, and computing it per comparison was
    // most of the time for a 5,000-reply library.
    scored.sort_by_cached_key(|&(i, s)| {
        let item = &items[i];
        (
            language_rank(item.language, language),
            Reverse(s),
            item.kind() != CannedKind::Reply,
            formality_rank(item.formality, wanted),
            Reverse(item.times_used),
            item.title.to_lowercase(),
        )
    });
    scored.into_iter().map(|(i, _)| i).collect()
}

/// 0 for a reply in the customer's language, 1 for English (the fallback when there
/// is none in theirs), 2 for any other; all 0 when the customer's language is unknown.
/// The picker and `;;shortcut` expansion both order by it, so Tab inserts what the
/// picker would put first.
fn language_rank(item: Language, customer: Language) -> u8 {
    if customer == Language::Other || item == customer {
        0
    } else if item == Language::En {
        1
    } else {
        2
    }
}

/// Replies to a customer whose register we do not know yet are formal: "Ви" to
/// someone who writes "ти" is a small miss, the reverse is rude.
fn preferred_formality(customer: Formality) -> Formality {
    match customer {
        Formality::Informal => Formality::Informal,
        _ => Formality::Formal,
    }
}

/// 0 for the wanted register, 1 for a reply written for any register, 2 for the other.
pub(crate) fn formality_rank(item: Formality, wanted: Formality) -> u8 {
    if item == wanted {
        0
    } else if item == Formality::Unknown {
        1
    } else {
        2
    }
}

/// Finds a `;;shortcut` just before the cursor. Returns the byte range of `;;shortcut`
/// in `text_before_cursor` (to replace with the rendered reply) and the response.
/// When several share the shortcut (one per language), the first in `items` wins;
/// [`expand_shortcut_for`] picks the one for the customer instead.
pub fn expand_shortcut(
    text_before_cursor: &str,
    items: &[CannedResponse],
) -> Option<(Range<usize>, CannedResponse)> {
    let (range, name) = shortcut_before_cursor(text_before_cursor)?;
    let item = items.iter().find(|c| {
        c.shortcut
            .as_deref()
            .is_some_and(|s| same_shortcut(s, name))
    })?;
    Some((range, item.clone()))
}

/// Like [`expand_shortcut`], choosing among same-named responses the one in the
/// customer's language and register.
pub fn expand_shortcut_for(
    text_before_cursor: &str,
    items: &[CannedResponse],
    language: Language,
    formality: Formality,
) -> Option<(Range<usize>, CannedResponse)> {
    let (range, name) = shortcut_before_cursor(text_before_cursor)?;
    let wanted = preferred_formality(formality);
    let item = items
        .iter()
        .filter(|c| {
            c.shortcut
                .as_deref()
                .is_some_and(|s| same_shortcut(s, name))
        })
        .min_by_key(|c| {
            (
                language_rank(c.language, language),
                formality_rank(c.formality, wanted),
            )
        })?;
    Some((range, item.clone()))
}

/// Shortcuts compare without case in any script: `;;Повернення` finds `повернення`.
fn same_shortcut(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// `Thanks! ;;refund` → (range of `;;refund`, "refund"). The shortcut must start the
/// text or follow whitespace, so `a;;b` inside a URL or code is left alone.
pub fn shortcut_before_cursor(text: &str) -> Option<(Range<usize>, &str)> {
    let start = text.rfind(SHORTCUT_PREFIX)?;
    let name = &text[start + SHORTCUT_PREFIX.len()..];
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_');
    let at_boundary = text[..start]
        .chars()
        .next_back()
        .is_none_or(char::is_whitespace);
    (valid && at_boundary).then_some((start..text.len(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_shortcut_only_at_a_word_boundary() {
        assert_eq!(
            shortcut_before_cursor("Hi! ;;refund"),
            Some((4..12, "refund"))
        );
        assert_eq!(
            shortcut_before_cursor(";;повернення").map(|x| x.1),
            Some("повернення")
        );
        assert_eq!(shortcut_before_cursor("http://a;;b"), None);
        assert_eq!(shortcut_before_cursor("done ;;"), None);
        assert_eq!(shortcut_before_cursor(";;refund now"), None);
        assert!(same_shortcut("Повернення", "повернення"));
    }

    fn library() -> Vec<CannedResponse> {
        crate::canned::starter_items()
            .unwrap()
            .into_iter()
            .enumerate()
            .map(|(i, n)| CannedResponse {
                id: i as i64 + 1,
                ..CannedResponse::unsaved(n)
            })
            .collect()
    }

    #[test]
    fn a_prepared_index_ranks_exactly_as_ranking_from_scratch() {
        let items = library();
        let index = RankIndex::new(&items);
        let stale = RankIndex::new(&items[..3]);
        for (query, lang) in [
            ("refund", Language::En),
            ("charged twice", Language::En),
            ("повернення коштів", Language::Uk),
            ("доставка", Language::Ru),
            (";;refund", Language::En),
            ("zzzz-nothing", Language::En),
        ] {
            let fresh = rank_for(&items, query, lang, Formality::Formal);
            assert_eq!(
                rank_indexed(&items, &index, query, lang, Formality::Formal),
                fresh,
                "{query}"
            );
            assert_eq!(
                rank_indexed(&items, &stale, query, lang, Formality::Formal),
                fresh,
                "an index of other items is not used: {query}"
            );
        }
        assert!(!rank_for(&items, "refund", Language::En, Formality::Formal).is_empty());
    }
}
