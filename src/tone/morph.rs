//! Word normalisation for the grammar patterns: lower case, ё as е, one apostrophe,
//! then a stem, so one pattern word matches every inflected form ("entered",
//! "entering" → "enter"; "ввели", "ввёл" → "ввел"; "вказали", "вказав" → "вказа").
//! English and Russian use the Snowball stemmers (`rust-stemmers`); Ukrainian has no
//! Snowball stemmer, so a light suffix stripper removes the common inflectional
//! endings. Patterns and replies go through the same function, so a stem only has to
//! be consistent, not linguistically right.

use crate::model::Language;
use rust_stemmers::{Algorithm, Stemmer};
use std::sync::LazyLock;

static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));
static RUSSIAN: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::Russian));

/// Lower case with ё → е and every apostrophe as `'`.
pub(crate) fn fold(word: &str) -> String {
    word.chars()
        .flat_map(char::to_lowercase)
        .map(|c| match c {
            'ё' => 'е',
            '’' | 'ʼ' | '`' => '\'',
            c => c,
        })
        .collect()
}

/// The stem of an already folded word. Latin words always take the English stemmer
/// (product names and English phrases appear in Cyrillic replies too); Cyrillic
/// words take the Ukrainian stripper in a Ukrainian text, the Russian stemmer
/// otherwise.
pub(crate) fn stem(folded: &str, lang: Language) -> String {
    // The composer checks the same words on every keystroke: stems are remembered per
    // thread (bounded), which takes the Snowball stemmers off the per-keystroke cost.
    thread_local! {
        static CACHE: std::cell::RefCell<[std::collections::HashMap<String, String>; 4]> =
            std::cell::RefCell::new(Default::default());
    }
    const MAX_CACHED: usize = 20_000;
    // One map per language, looked up by `&str`: a hit allocates nothing.
    let slot = match lang {
        Language::En => 0,
        Language::Uk => 1,
        Language::Ru => 2,
        _ => 3,
    };
    if let Some(hit) = CACHE.with(|c| c.borrow()[slot].get(folded).cloned()) {
        return hit;
    }
    let stem = stem_uncached(folded, lang);
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        let map = &mut c[slot];
        if map.len() >= MAX_CACHED {
            map.clear();
        }
        map.insert(folded.to_string(), stem.clone());
    });
    stem
}

fn stem_uncached(folded: &str, lang: Language) -> String {
    if folded.is_ascii() {
        return ENGLISH.stem(folded).into_owned();
    }
    match lang {
        Language::Uk => ukrainian_stem(folded),
        _ => RUSSIAN.stem(folded).into_owned(),
    }
}

/// Reflexive particles, stripped before the ending.
const UK_REFLEXIVE: &[&str] = &["ся", "сь"];

/// Inflectional endings of Ukrainian nouns, adjectives and verbs, longest first.
const UK_ENDINGS: &[&str] = &[
    "ування",
    "ювання",
    "ання",
    "ення",
    "ими",
    "іми",
    "ами",
    "ями",
    "ого",
    "ому",
    "ові",
    "еві",
    "ємо",
    "емо",
    "имо",
    "імо",
    "ете",
    "ите",
    "іте",
    "єте",
    "ють",
    "уть",
    "ать",
    "ять",
    "ати",
    "яти",
    "ити",
    "іти",
    "ала",
    "али",
    "ало",
    "ила",
    "или",
    "ило",
    "іла",
    "іли",
    "іло",
    "ий",
    "ій",
    "ої",
    "ою",
    "ею",
    "єю",
    "их",
    "іх",
    "ах",
    "ях",
    "ам",
    "ям",
    "ом",
    "ем",
    "им",
    "ім",
    "ів",
    "їв",
    "ла",
    "ли",
    "ло",
    "ти",
    "ть",
    "уй",
    "юй",
    "ай",
    "яй",
    "ей",
    "а",
    "я",
    "о",
    "і",
    "ї",
    "и",
    "ь",
    "у",
    "ю",
    "е",
    "є",
    "в",
];

/// A light Ukrainian stemmer: the reflexive particle, then the longest ending that
/// leaves at least three letters.
fn ukrainian_stem(word: &str) -> String {
    let mut w = word;
    for r in UK_REFLEXIVE {
        if let Some(rest) = w.strip_suffix(r) {
            if rest.chars().count() >= 4 {
                w = rest;
                break;
            }
        }
    }
    for e in UK_ENDINGS {
        if let Some(rest) = w.strip_suffix(e) {
            if rest.chars().count() >= 3 {
                return rest.to_string();
            }
        }
    }
    w.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(word: &str, lang: Language) -> String {
        stem(&fold(word), lang)
    }

    #[test]
    fn inflected_forms_share_a_stem() {
        use Language::*;
        assert_eq!(s("entered", En), s("entering", En));
        assert_eq!(s("Ввели", Ru), s("ввёл", Ru));
        assert_eq!(s("неправильно", Ru), s("неправильный", Ru));
        assert_eq!(s("вказали", Uk), s("вказала", Uk));
        assert_eq!(s("неправильно", Uk), s("неправильний", Uk));
        assert_eq!(s("звертайтеся", Uk), s("звертайтесь", Uk));
        assert_eq!(s("помилка", Uk), s("помилку", Uk));
        assert_ne!(s("ви", Uk), s("вам", Uk), "short words stay themselves");
    }
}
