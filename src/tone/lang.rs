//! Which language a text is in (English, Ukrainian, Russian or other), and whether a
//! reply mixes them. Script cues come first because they are exact where statistics
//! are weakest: і ї є ґ occur only in Ukrainian, ы э ъ ё only in Russian. whatlang
//! decides what the letters cannot (short Cyrillic text without those letters, Latin
//! text that may not be English).

use super::lexicon::{is_letter, is_word_char, offset_in};
use crate::model::Language;
use std::ops::Range;
use whatlang::{Detector, Lang};

/// Detects the language of `text`. Empty or letterless text is `Other`. Latin text
/// is English when common English words make up a good share of it; otherwise
/// whatlang decides, leaning to `Other` (a wrong `Other` silences the language check,
/// a wrong `En` would raise a false one).
pub fn detect_language(text: &str) -> Language {
    detect_with_certainty(text).0
}

/// Like [`detect_language`], also saying whether the answer rests on firm cues.
/// Telling Ukrainian from Russian by statistics alone (a short text with neither
/// the telltale letters nor telltale words) is not firm.
pub(crate) fn detect_with_certainty(text: &str) -> (Language, bool) {
    let counts = ScriptCounts::of(text);
    if counts.latin == 0 && counts.cyrillic == 0 {
        return (Language::Other, true);
    }
    if counts.cyrillic >= counts.latin {
        if counts.uk > counts.ru {
            return (Language::Uk, true);
        }
        if counts.ru > counts.uk {
            return (Language::Ru, true);
        }
        return match cyrillic_by_words(text) {
            Some(lang) => (lang, true),
            None => (cyrillic_by_statistics(text), false),
        };
    }
    // Before the English share: "a" and "do" are English cues and Russian words too.
    if let Some(lang) = transliterated(text) {
        return (lang, false);
    }
    if english_share(text) >= 0.12 {
        return (Language::En, true);
    }
    match whatlang::detect(head(text, 800)) {
        Some(info) if info.lang() != Lang::Eng && info.confidence() >= 0.15 => {
            (Language::Other, true)
        }
        _ => (Language::En, true),
    }
}

#[derive(Default)]
struct ScriptCounts {
    latin: usize,
    cyrillic: usize,
    uk: usize,
    ru: usize,
}

impl ScriptCounts {
    fn of(text: &str) -> ScriptCounts {
        let mut c = ScriptCounts::default();
        for ch in text.chars() {
            if ch.is_ascii_alphabetic() {
                c.latin += 1;
            } else if is_cyrillic(ch) {
                c.cyrillic += 1;
                match ch {
                    'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => c.uk += 1,
                    'ы' | 'э' | 'ъ' | 'ё' | 'Ы' | 'Э' | 'Ъ' | 'Ё' => c.ru += 1,
                    _ => {}
                }
            }
        }
        c
    }
}

pub(crate) fn is_cyrillic(ch: char) -> bool {
    matches!(ch, '\u{0400}'..='\u{04FF}')
}

/// Frequent words that exist in only one of the two languages ("що" / "что",
/// "дякую" / "спасибо"), for short texts without the telltale letters.
const UK_WORDS: &[&str] = &[
    "дякую",
    "дякуємо",
    "будь",
    "ласка",
    "що",
    "як",
    "це",
    "та",
    "але",
    "вже",
    "мені",
    "тобі",
    "привіт",
    "добрий",
    "доброго",
    "вітаю",
    "чи",
    "щоб",
    "або",
    "зараз",
    "коли",
    "треба",
    "можна",
    "немає",
    "де",
    "чому",
    "тому",
    "який",
    "яка",
    "яке",
    "цей",
    "ця",
    "мій",
    "моя",
    "моє",
    "мої",
    "він",
    "вона",
    "воно",
    "вони",
    "було",
    "була",
    "був",
    "буде",
    "мене",
    "дуже",
    "також",
    "тільки",
    "лише",
    "тепер",
    "досі",
    "ще",
    "слухай",
    "скільки",
    "коли",
    "зараз",
];
const RU_WORDS: &[&str] = &[
    "спасибо",
    "пожалуйста",
    "что",
    "как",
    "привет",
    "здравствуйте",
    "и",
    "или",
    "но",
    "если",
    "когда",
    "нужно",
    "можно",
    "нет",
    "да",
    "где",
    "почему",
    "потому",
    "какой",
    "какая",
    "какое",
    "какие",
    "мой",
    "моя",
    "мое",
    "мои",
    "он",
    "она",
    "оно",
    "они",
    "было",
    "была",
    "был",
    "будет",
    "меня",
    "очень",
    "также",
    "только",
    "теперь",
    "еще",
    "сколько",
    "сейчас",
    "слушай",
];

/// A word on both lists ("моя", spelt alike in both languages) tells neither.
fn cyrillic_by_words(text: &str) -> Option<Language> {
    let mut score = 0i32;
    for word in text
        .split(|c: char| !is_letter(c))
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_lowercase();
        let uk = UK_WORDS.contains(&lower.as_str());
        let ru = RU_WORDS.contains(&lower.as_str());
        score += i32::from(uk && !ru) - i32::from(ru && !uk);
    }
    match score.cmp(&0) {
        std::cmp::Ordering::Greater => Some(Language::Uk),
        std::cmp::Ordering::Less => Some(Language::Ru),
        std::cmp::Ordering::Equal => None,
    }
}

/// Short words of either language that a transliteration spells as they are; with
/// the two lists above, what marks Russian or Ukrainian typed in Latin letters.
const TRANSLIT_EXTRA: &[&str] = &[
    "не",
    "ни",
    "ні",
    "вы",
    "ви",
    "ты",
    "ти",
    "я",
    "это",
    "уже",
    "вже",
    "мне",
    "мені",
    "тоже",
    "теж",
    "добрый",
    "добрий",
    "день",
    "вас",
    "нас",
    "есть",
    "є",
    "надо",
    "хочу",
];

/// English words a transliteration could take for Russian or Ukrainian ones ("no" —
/// «но», "on" — «он», "net" — «нет», "da" — «да», "i" — «и»): never counted.
const TRANSLIT_ENGLISH: &[&str] = &["no", "on", "net", "da", "i", "a", "de"];

/// Russian or Ukrainian typed in Latin letters ("zdravstvuyte, pishu s rabochego
/// kompa, net russkoj raskladki"): two or more words that, read back into Cyrillic,
/// are frequent words of those languages (none of them an English word, one of them
/// of four letters or more), and more of them than English function words. Which of the two it is can only be
/// guessed (ties go to Russian, the more common keyboard gap), so the answer is
/// never firm. A wrong English here would raise a false language mismatch on the
/// Cyrillic reply the customer is expecting.
fn transliterated(text: &str) -> Option<Language> {
    use std::collections::HashMap;
    static KEYS: std::sync::LazyLock<HashMap<String, (bool, bool)>> =
        std::sync::LazyLock::new(|| {
            let mut keys: HashMap<String, (bool, bool)> = HashMap::new();
            for (list, uk) in [(UK_WORDS, true), (RU_WORDS, false)] {
                for w in list {
                    let e = keys.entry(super::text::name_key(w)).or_default();
                    if uk {
                        e.0 = true;
                    } else {
                        e.1 = true;
                    }
                }
            }
            for w in TRANSLIT_EXTRA {
                let e = keys.entry(super::text::name_key(w)).or_default();
                e.0 = true;
                e.1 = true;
            }
            keys
        });
    let (mut hits, mut english, mut uk, mut ru) = (0usize, 0usize, 0i32, 0i32);
    // Short hits alone ("den", "ne") are words of Czech or Slovak too.
    let mut long = false;
    for word in text
        .split(|c: char| !c.is_ascii_alphabetic() && c != '\'')
        // A quotation mark is no part of the word ("'was received'").
        .map(|w| w.trim_matches('\''))
        .filter(|w| !w.is_empty())
    {
        let lower = word.to_ascii_lowercase();
        if ENGLISH_CUES.contains(&lower.as_str()) {
            english += 1;
            continue;
        }
        if TRANSLIT_ENGLISH.contains(&lower.as_str()) {
            continue;
        }
        if let Some((in_uk, in_ru)) = KEYS.get(&super::text::name_key(&lower)) {
            hits += 1;
            long |= lower.len() >= 4;
            uk += i32::from(*in_uk && !*in_ru);
            ru += i32::from(*in_ru && !*in_uk);
        }
    }
    (hits >= 2 && long && hits > english).then_some(if uk > ru {
        Language::Uk
    } else {
        Language::Ru
    })
}

fn cyrillic_by_statistics(text: &str) -> Language {
    let detector = Detector::with_allowlist(vec![Lang::Ukr, Lang::Rus]);
    match detector.detect_lang(head(text, 800)) {
        Some(Lang::Ukr) => Language::Uk,
        Some(Lang::Rus) => Language::Ru,
        _ => Language::Other,
    }
}

const ENGLISH_CUES: &[&str] = &[
    "the", "and", "you", "your", "to", "is", "are", "we", "i", "it", "for", "of", "in", "on",
    "this", "that", "please", "thanks", "thank", "hi", "hello", "can", "will", "with", "be",
    "have", "our", "my", "me", "not", "do", "was", "a", "an", "if", "so", "but", "what", "how",
];

/// Share of words that are common English function words.
fn english_share(text: &str) -> f32 {
    let mut total = 0usize;
    let mut hits = 0usize;
    for word in text
        .split(|c: char| !is_letter(c) && c != '\'')
        .filter(|w| !w.is_empty())
    {
        total += 1;
        let lower = word.to_ascii_lowercase();
        if ENGLISH_CUES.contains(&lower.as_str()) {
            hits += 1;
        }
    }
    if total == 0 {
        0.0
    } else {
        hits as f32 / total as f32
    }
}

/// The first `max` bytes of `text`, cut at a character boundary.
fn head(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Where a reply switches language: the first word of the minority language when
/// Latin and Cyrillic prose are both substantial, or when Ukrainian-only and
/// Russian-only words both occur. Capitalised words, addresses and words with digits
/// are skipped (names, brands, product terms).
pub(crate) fn mixed_language(text: &str) -> Option<Range<usize>> {
    let mut latin: Vec<Range<usize>> = Vec::new();
    let mut cyrillic = 0usize;
    let mut first_cyrillic: Option<Range<usize>> = None;
    let mut uk: Vec<Range<usize>> = Vec::new();
    let mut ru: Vec<Range<usize>> = Vec::new();
    for (range, word) in prose_words(text) {
        let first = word.chars().next().unwrap_or(' ');
        if first.is_uppercase() || word.chars().count() < 3 {
            continue;
        }
        if word.chars().all(|c| c.is_ascii_alphabetic()) {
            latin.push(range);
        } else if word.chars().all(is_cyrillic) {
            cyrillic += 1;
            first_cyrillic.get_or_insert(range.clone());
            if word.chars().any(|c| matches!(c, 'і' | 'ї' | 'є' | 'ґ')) {
                uk.push(range.clone());
            } else if word.chars().any(|c| matches!(c, 'ы' | 'э' | 'ъ' | 'ё')) {
                ru.push(range.clone());
            }
        }
    }
    let total = latin.len() + cyrillic;
    let minority = latin.len().min(cyrillic);
    if minority >= 3 && minority * 5 >= total {
        return if latin.len() <= cyrillic {
            latin.first().cloned()
        } else {
            first_cyrillic
        };
    }
    if uk.len() >= 2 && ru.len() >= 2 {
        return if uk.len() <= ru.len() {
            uk.first().cloned()
        } else {
            ru.first().cloned()
        };
    }
    None
}

/// Words of running prose with their byte ranges: runs of word characters (and inner
/// apostrophes) outside URLs, e-mail addresses and tokens with digits.
fn prose_words(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    text.split_whitespace().flat_map(move |chunk| {
        let start = offset_in(text, chunk);
        let skip = chunk.contains("://")
            || chunk.contains('@')
            || chunk.contains("www.")
            || looks_like_domain(chunk)
            || chunk.chars().any(|c| c.is_ascii_digit());
        let mut words = Vec::new();
        if !skip {
            let mut word_start: Option<usize> = None;
            for (i, c) in chunk.char_indices() {
                let inner = word_start.is_some() && matches!(c, '\'' | '’' | 'ʼ');
                match (is_word_char(c) || inner, word_start) {
                    (true, None) => word_start = Some(i),
                    (false, Some(s)) => {
                        words.push((start + s..start + i, &chunk[s..i]));
                        word_start = None;
                    }
                    _ => {}
                }
            }
            if let Some(s) = word_start {
                words.push((start + s..start + chunk.len(), &chunk[s..]));
            }
        }
        words
    })
}

/// "help.example.com/router-setup": a domain written without its scheme is a link,
/// not English words in a Russian reply. A dot with Latin letters on both sides.
fn looks_like_domain(chunk: &str) -> bool {
    let b = chunk.as_bytes();
    (1..b.len().saturating_sub(1))
        .any(|i| b[i] == b'.' && b[i - 1].is_ascii_alphanumeric() && b[i + 1].is_ascii_alphabetic())
        && b.iter().filter(|c| c.is_ascii_alphabetic()).count() >= 4
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn russian_typed_in_latin_letters_is_not_english() {
        let (lang, certain) = detect_with_certainty(
            "dobryj den, ya ne mogu vojti v kabinet, chto mne delat? parol uzhe menyala",
        );
        assert_eq!(lang, Language::Ru);
        assert!(!certain, "which Cyrillic language is only a guess");
        for short in [
            "zdravstvuyte! oplatil podpisku, a dostupa net. chto delat?",
            "privet, zakazal kurtku razmer L, prishla M. mozhno pomenyat? chek est",
        ] {
            assert_eq!(detect_language(short), Language::Ru, "{short}");
        }
        for english in [
            "Hi, I can't log in to my account, what should I do? I already changed the password.",
            "No, not on the net yet: the order is in transit and should arrive da next week.",
            "Sorry to bother you, but my parcel to Kyiv has not moved since Monday.",
            "Passive blame ('was received incomplete', 'on your end'); no help.",
        ] {
            assert_eq!(detect_language(english), Language::En, "{english}");
        }
    }

    #[test]
    fn a_link_without_its_scheme_is_not_english_words() {
        let reply = "Привет, Тёма! Держи: help.example.com/router-setup. Если на пятом шаге опять будет ругаться на пароль — пиши, разберёмся.";
        assert_eq!(mixed_language(reply), None);
    }

    #[test]
    fn script_letters_tell_ukrainian_from_russian() {
        assert_eq!(
            detect_language("Дякую, що написали! Ми вже перевіряємо."),
            Language::Uk
        );
        assert_eq!(
            detect_language("Спасибо, что написали! Мы уже проверяем."),
            Language::Ru
        );
        assert_eq!(detect_language("Їжак"), Language::Uk);
        assert_eq!(detect_language("съел"), Language::Ru);
        assert_eq!(detect_language("Дякую, все запрацювало!"), Language::Uk);
        assert_eq!(detect_language("Спасибо, все заработало!"), Language::Ru);
        assert_eq!(
            detect_language("Слухай, а де в застосунку темна тема?"),
            Language::Uk
        );
        assert_eq!(detect_language("Где мой заказ?"), Language::Ru);
    }

    #[test]
    fn english_and_other_latin_languages() {
        assert_eq!(detect_language("Thanks, that works!"), Language::En);
        assert_eq!(
            detect_language("Hi Anna, I have refunded the order and it should arrive soon."),
            Language::En
        );
        assert_eq!(
            detect_language("Guten Tag, leider funktioniert die Bestellung nicht mehr richtig."),
            Language::Other
        );
        assert_eq!(
            detect_language("Dobrý den, ne, objednávka ještě nedorazila a nikdo neodpovídá."),
            Language::Other,
            "Czech shares 'den' and 'ne' with transliterated Russian"
        );
        assert_eq!(detect_language("1234 !!!"), Language::Other);
        assert_eq!(detect_language(""), Language::Other);
    }

    #[test]
    fn mixed_scripts_are_found_but_brand_names_are_not() {
        let mixed = "Добрий день! Ми перевірили ваше замовлення. Please wait until tomorrow, we are checking.";
        assert!(mixed_language(mixed).is_some());
        let brands =
            "Добрий день! Відкрийте Settings → Privacy у застосунку Google Chrome, будь ласка.";
        assert_eq!(mixed_language(brands), None);
        let uk_ru = "Ми перевірили ваше замовлення і відправили його. Мы проверили заказ, всё отправлено, объём верный.";
        assert!(mixed_language(uk_ru).is_some());
    }
}
