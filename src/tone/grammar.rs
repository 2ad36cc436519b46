//! Small grammars over normalised words: the patterns that catch a meaning however
//! it is inflected or padded ("you entered the wrong address", "you must have typed
//! an incorrect e-mail" are one pattern). A pattern is a sequence of slots, matched
//! word by word inside one sentence:
//!
//! - `word` — a word whose stem (see `morph`) equals this word's stem;
//! - `word*` — a word that starts with these letters (folded, not stemmed);
//! - `*ending` — a word of five letters or more that ends with these letters;
//! - `a|b|c` — any of the alternatives (each a word or a prefix);
//! - `@name` — any word of the class `name` (the language file's `[classes]`);
//! - `!word` among alternatives — but not this word ("*йте|!здравствуйте"); a slot of
//!   exclusions only is any word but those ("contact !us|!me");
//! - `_` — any one word; `..` — up to three words (a gap); `...` — up to eight;
//! - a trailing `?` makes the slot optional; a leading `^` slot anchors the pattern at
//!   the start of a sentence ("^ read the faq" is an order, "please read the FAQ" not).
//!
//! Replies are normalised once per check; patterns are indexed by the stem of their
//! first slot, so a check costs a hash lookup per word plus the few patterns that
//! start with a prefix or a class. Knows nothing about rules or findings.

use super::morph::{fold, stem};
use super::text;
use crate::model::Language;
use std::collections::HashMap;
use std::ops::Range;

/// One word of a text, normalised.
#[derive(Debug)]
pub(crate) struct Token {
    pub span: Range<usize>,
    pub folded: String,
    pub stem: String,
    /// Sentences are numbered; a pattern never crosses from one to the next.
    pub sentence: u32,
}

/// The words of `text`, folded and stemmed for `lang`.
pub(crate) fn tokenize(text: &str, lang: Language) -> Vec<Token> {
    let mut out = Vec::new();
    let mut sentence = 0u32;
    let mut last_end = 0usize;
    for (span, word) in words(text) {
        let gap = &text[last_end..span.start];
        if gap.contains(['.', '!', '?', '\n', ';', '…']) {
            sentence += 1;
        }
        last_end = span.end;
        let folded = fold(word);
        let stem = stem(&folded, lang);
        out.push(Token {
            span,
            folded,
            stem,
            sentence,
        });
    }
    out
}

/// Words with inner apostrophes kept ("didn't", "з'ясую"): the patterns are written
/// with them, and splitting them would leave "t" and "s" as words.
fn words(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let is_apostrophe = |c: char| matches!(c, '\'' | '’' | 'ʼ');
    let mut pieces = text::words(text).peekable();
    std::iter::from_fn(move || {
        let (mut span, _) = pieces.next()?;
        while let Some((next, _)) = pieces.peek() {
            let gap = &text[span.end..next.start];
            let mut chars = gap.chars();
            let joined =
                matches!((chars.next(), chars.next()), (Some(c), None) if is_apostrophe(c));
            if !joined {
                break;
            }
            span.end = next.end;
            pieces.next();
        }
        Some((span.clone(), &text[span]))
    })
}

#[derive(Debug, Clone)]
enum Alt {
    Stem(String),
    Prefix(String),
    Suffix(String),
}

#[derive(Debug, Clone)]
enum Slot {
    /// Alternatives, and the words excluded from them.
    Words(Vec<Alt>, Vec<Alt>),
    Any,
    /// Up to this many words.
    Gap(usize),
}

#[derive(Debug, Clone)]
struct Pattern {
    slots: Vec<(Slot, bool)>,
    anchored: bool,
}

/// A named set of patterns (a rule id or a list name), compiled for one language.
#[derive(Debug, Clone, Default)]
pub(crate) struct Grammar {
    patterns: Vec<(String, Pattern)>,
    /// First-slot stem → pattern indices.
    by_stem: HashMap<String, Vec<usize>>,
    /// First letter of a first-slot prefix → pattern indices.
    by_first: HashMap<char, Vec<usize>>,
    /// Last letter of a first-slot ending → pattern indices.
    by_last: HashMap<char, Vec<usize>>,
    /// Patterns whose first slot is not a plain stem (a prefix, any word, optional).
    scan: Vec<usize>,
}

impl Grammar {
    /// Compiles `rules` (name → patterns) for `lang`, with `classes` for `@name`.
    pub(crate) fn compile(
        rules: &[(String, Vec<String>)],
        classes: &HashMap<String, Vec<String>>,
        lang: Language,
    ) -> Result<Grammar, String> {
        let mut g = Grammar::default();
        for (name, list) in rules {
            for source in list {
                let p = parse(source, classes, lang)
                    .map_err(|e| format!("pattern '{source}' of '{name}': {e}"))?;
                let idx = g.patterns.len();
                match p.slots.first() {
                    Some((Slot::Words(alts, _), false))
                        if alts.iter().all(|a| match a {
                            Alt::Stem(_) => true,
                            Alt::Prefix(x) | Alt::Suffix(x) => !x.is_empty(),
                        }) =>
                    {
                        for a in alts {
                            let list = match a {
                                Alt::Stem(s) => g.by_stem.entry(s.clone()).or_default(),
                                Alt::Prefix(x) => {
                                    let c = x.chars().next().unwrap_or(' ');
                                    g.by_first.entry(c).or_default()
                                }
                                Alt::Suffix(x) => {
                                    let c = x.chars().last().unwrap_or(' ');
                                    g.by_last.entry(c).or_default()
                                }
                            };
                            if list.last() != Some(&idx) {
                                list.push(idx);
                            }
                        }
                    }
                    _ => g.scan.push(idx),
                }
                g.patterns.push((name.clone(), p));
            }
        }
        Ok(g)
    }

    /// Every match in `tokens`: the pattern's name and the byte span from its first
    /// to its last matched word. At most one match per name and start word.
    pub(crate) fn matches(&self, tokens: &[Token]) -> Vec<(&str, Range<usize>)> {
        let mut out: Vec<(&str, Range<usize>)> = Vec::new();
        let mut candidates: Vec<usize> = Vec::new();
        for start in 0..tokens.len() {
            candidates.clear();
            let t = &tokens[start];
            if let Some(list) = self.by_stem.get(&t.stem) {
                candidates.extend(list);
            }
            if let Some(list) = t.folded.chars().next().and_then(|c| self.by_first.get(&c)) {
                candidates.extend(list);
            }
            if let Some(list) = t.folded.chars().last().and_then(|c| self.by_last.get(&c)) {
                candidates.extend(list);
            }
            candidates.extend(&self.scan);
            candidates.sort_unstable();
            candidates.dedup();
            for &i in &candidates {
                let (name, p) = &self.patterns[i];
                let sentence_start =
                    start == 0 || tokens[start - 1].sentence != tokens[start].sentence;
                if p.anchored && !sentence_start {
                    continue;
                }
                if out
                    .iter()
                    .any(|(n, r)| n == name && r.start == tokens[start].span.start)
                {
                    continue;
                }
                if let Some(end) = match_at(&p.slots, tokens, start, None) {
                    if end > start {
                        out.push((name, tokens[start].span.start..tokens[end - 1].span.end));
                    }
                }
            }
        }
        out
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }
}

/// Matches `slots` from token `at`; returns the index after the last matched token.
fn match_at(
    slots: &[(Slot, bool)],
    tokens: &[Token],
    at: usize,
    sentence: Option<u32>,
) -> Option<usize> {
    let Some(((slot, optional), rest)) = slots.split_first() else {
        return Some(at);
    };
    if *optional {
        if let Some(end) = match_at(rest, tokens, at, sentence) {
            return Some(end);
        }
    }
    let same = |i: usize| {
        tokens
            .get(i)
            .filter(|t| sentence.is_none_or(|s| t.sentence == s))
    };
    match slot {
        Slot::Gap(most) => {
            for skip in 0..=*most {
                if skip > 0 && same(at + skip - 1).is_none() {
                    break;
                }
                if let Some(end) = match_at(rest, tokens, at + skip, sentence) {
                    return Some(end);
                }
            }
            None
        }
        Slot::Any => {
            let t = same(at)?;
            match_at(rest, tokens, at + 1, Some(t.sentence))
        }
        Slot::Words(alts, not) => {
            let t = same(at)?;
            let is = |a: &Alt| match a {
                Alt::Stem(s) => &t.stem == s,
                Alt::Prefix(p) => t.folded.starts_with(p.as_str()),
                Alt::Suffix(e) => t.folded.ends_with(e.as_str()) && t.folded.chars().count() >= 5,
            };
            let hit = alts.iter().any(is) && !not.iter().any(is);
            if hit {
                match_at(rest, tokens, at + 1, Some(t.sentence))
            } else {
                None
            }
        }
    }
}

fn parse(
    source: &str,
    classes: &HashMap<String, Vec<String>>,
    lang: Language,
) -> Result<Pattern, String> {
    let mut slots = Vec::new();
    let mut anchored = false;
    for raw in source.split_whitespace() {
        if raw == "^" && slots.is_empty() && !anchored {
            anchored = true;
            continue;
        }
        let (body, optional) = match raw.strip_suffix('?') {
            Some(b) => (b, true),
            None => (raw, false),
        };
        let slot = match body {
            "_" => Slot::Any,
            ".." => Slot::Gap(3),
            "..." => Slot::Gap(8),
            _ => {
                let mut alts = Vec::new();
                let mut not = Vec::new();
                for part in body.split('|') {
                    if let Some(word) = part.strip_prefix('!').filter(|w| !w.is_empty()) {
                        not.push(alt(word, lang));
                    } else if let Some(class) = part.strip_prefix('@') {
                        let words = classes
                            .get(class)
                            .ok_or_else(|| format!("unknown class @{class}"))?;
                        alts.extend(words.iter().map(|w| alt(w, lang)));
                    } else if part.is_empty() {
                        return Err("empty alternative".into());
                    } else {
                        alts.push(alt(part, lang));
                    }
                }
                if alts.is_empty() {
                    if !not.is_empty() {
                        // "!us|!me": any word but these ("contact !us" is someone else).
                        alts.push(Alt::Prefix(String::new()));
                    } else {
                        return Err("empty slot".into());
                    }
                }
                Slot::Words(alts, not)
            }
        };
        slots.push((slot, optional));
    }
    if slots.is_empty() {
        return Err("empty pattern".into());
    }
    if slots.iter().all(|(_, o)| *o) {
        return Err("every slot is optional".into());
    }
    Ok(Pattern { slots, anchored })
}

fn alt(word: &str, lang: Language) -> Alt {
    if let Some(ending) = word.strip_prefix('*') {
        return Alt::Suffix(fold(ending));
    }
    match word.strip_suffix('*') {
        Some(prefix) => Alt::Prefix(fold(prefix)),
        None => Alt::Stem(stem(&fold(word), lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(g: &Grammar, text: &str, lang: Language) -> Vec<String> {
        let tokens = tokenize(text, lang);
        g.matches(&tokens)
            .into_iter()
            .map(|(n, r)| format!("{n}:{}", &text[r]))
            .collect()
    }

    fn grammar(patterns: &[&str], lang: Language) -> Grammar {
        let classes: HashMap<String, Vec<String>> = [(
            "you".to_string(),
            vec!["you".to_string(), "ви".into(), "вы".into()],
        )]
        .into_iter()
        .collect();
        let rules = vec![(
            "blame".to_string(),
            patterns.iter().map(|p| p.to_string()).collect(),
        )];
        Grammar::compile(&rules, &classes, lang).unwrap()
    }

    #[test]
    fn one_pattern_matches_inflected_and_padded_forms() {
        let g = grammar(&["@you .. enter|type .. wrong|incorrect*"], Language::En);
        assert_eq!(
            names(&g, "I think you entered the wrong code.", Language::En),
            vec!["blame:you entered the wrong"]
        );
        assert_eq!(
            names(&g, "You must have typed an incorrect e-mail", Language::En).len(),
            1
        );
        assert!(names(&g, "You entered. The wrong one was ours", Language::En).is_empty());
        let ru = grammar(&["@you .. неправильн* ввел*|указ*"], Language::Ru);
        assert_eq!(
            names(&ru, "Вы, видимо, неправильно ввели адрес", Language::Ru).len(),
            1
        );
        assert_eq!(
            names(&ru, "Вы неправильно указали индекс", Language::Ru).len(),
            1
        );
    }

    #[test]
    fn optional_slots_and_any_word() {
        let g = grammar(&["not our|my _? problem"], Language::En);
        assert_eq!(names(&g, "That's not our problem", Language::En).len(), 1);
        assert_eq!(names(&g, "not my real problem", Language::En).len(), 1);
        assert!(names(&g, "not a problem", Language::En).is_empty());
    }

    #[test]
    fn anchored_patterns_start_a_sentence() {
        let g = grammar(&["^ read the faq"], Language::En);
        assert_eq!(names(&g, "Read the FAQ.", Language::En).len(), 1);
        assert_eq!(names(&g, "Thanks. Read the FAQ!", Language::En).len(), 1);
        assert!(names(&g, "Please read the FAQ.", Language::En).is_empty());
    }

    #[test]
    fn a_slot_of_exclusions_is_any_word_but_those() {
        let g = grammar(&["contact !us|!me"], Language::En);
        assert_eq!(names(&g, "Contact your bank.", Language::En).len(), 1);
        assert_eq!(names(&g, "Please contact them.", Language::En).len(), 1);
        assert!(names(&g, "Contact us any time.", Language::En).is_empty());
        assert!(names(&g, "Contact me.", Language::En).is_empty());
        assert!(names(&g, "Contact", Language::En).is_empty());
    }

    #[test]
    fn endings_match_long_words_only() {
        let g = grammar(&["*іть|*йте|!здравствуйте"], Language::Uk);
        assert_eq!(names(&g, "Перевірте і напишіть нам", Language::Uk).len(), 1);
        assert!(names(&g, "Здравствуйте", Language::Uk).is_empty());
        assert!(names(&g, "Іть йте", Language::Uk).is_empty());
    }

    #[test]
    fn bad_patterns_are_refused() {
        let classes = HashMap::new();
        let bad = |p: &str| {
            Grammar::compile(&[("x".into(), vec![p.into()])], &classes, Language::En).is_err()
        };
        assert!(bad("@nope word"));
        assert!(bad("a? b?"));
        assert!(bad("a||b"));
    }
}
