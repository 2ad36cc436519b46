//! A compiled word list: many whole-word patterns in one regex, so a reply is scanned
//! once per list however long the list is. Owns the small pattern dialect the asset
//! files use (a space is any whitespace, `'` any apostrophe, `ё` also matches `е`) and
//! the whole-word rule. Knows nothing about rules or findings.
//!
//! Word boundaries are written as character classes instead of `\b`: a Unicode `\b`
//! makes the regex crate leave its fast DFA on Cyrillic text, which would cost the
//! 1 ms budget. The class after a match is consumed, so the next search starts at the
//! end of the word itself and adjacent matches are still found.

use regex::{Regex, RegexBuilder};
use std::ops::Range;
use std::sync::OnceLock;

/// What may stand on either side of a whole word. Apostrophes are excluded so "can"
/// does not match in "can't".
const NON_WORD: &str = "[^\\p{L}\\p{N}_'’ʼ]";

/// Patterns compiled into one case-insensitive, whole-word matcher. The pattern is
/// checked when the list is loaded (so a bad user rule is reported at once) but
/// compiled on first use: compiling every list up front cost ~170 ms at start-up,
/// most of it for lists a given command never reads.
#[derive(Debug, Clone)]
pub(crate) struct Lexicon {
    source: Option<String>,
    re: OnceLock<Option<Regex>>,
}

impl Lexicon {
    /// An empty list never matches.
    pub(crate) fn empty() -> Lexicon {
        Lexicon {
            source: None,
            re: OnceLock::new(),
        }
    }

    /// Compiles the list now rather than at its first match.
    pub(crate) fn prepare(&self) {
        let _ = self.regex();
    }

    /// Whether the list has been compiled (an empty one counts as compiled).
    #[cfg(test)]
    pub(crate) fn is_compiled(&self) -> bool {
        self.source.is_none() || self.re.get().is_some_and(Option::is_some)
    }

    fn regex(&self) -> Option<&Regex> {
        self.re
            .get_or_init(|| {
                let source = self.source.as_ref()?;
                RegexBuilder::new(source)
                    .size_limit(64 << 20)
                    .dfa_size_limit(16 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// Compiles `patterns` (the asset dialect). The error is the regex crate's message.
    pub(crate) fn compile<S: AsRef<str>>(patterns: &[S]) -> Result<Lexicon, String> {
        if patterns.is_empty() {
            return Ok(Lexicon::empty());
        }
        let body = patterns
            .iter()
            .map(|p| format!("(?:{})", translate(p.as_ref())))
            .collect::<Vec<_>>()
            .join("|");
        let source = format!("(?i)(?:^|{NON_WORD})(?P<m>{body})(?:{NON_WORD}|$)");
        // Syntax only (the AST): translating to HIR means Unicode case folding of
        // every alternative, most of the cost of compiling.
        regex_syntax::ast::parse::Parser::new()
            .parse(&source)
            .map_err(|e| e.to_string())?;
        Ok(Lexicon {
            source: Some(source),
            re: OnceLock::new(),
        })
    }

    /// Compiles literal words or phrases (a user's word list): no regex syntax.
    pub(crate) fn literal<S: AsRef<str>>(words: &[S]) -> Result<Lexicon, String> {
        let escaped: Vec<String> = words
            .iter()
            .map(|w| {
                w.as_ref()
                    .split_whitespace()
                    .map(regex::escape)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|w| !w.is_empty())
            .collect();
        Lexicon::compile(&escaped)
    }

    /// Every whole-word match, left to right, as byte ranges.
    pub(crate) fn find_iter<'a>(
        &'a self,
        text: &'a str,
    ) -> impl Iterator<Item = Range<usize>> + 'a {
        let mut pos = 0;
        std::iter::from_fn(move || {
            let re = self.regex()?;
            while pos <= text.len() {
                let caps = re.captures_at(text, pos)?;
                let m = caps.name("m")?;
                if m.is_empty() {
                    pos = next_char(text, m.end());
                    continue;
                }
                pos = m.end();
                return Some(m.range());
            }
            None
        })
    }

    /// The first whole-word match.
    pub(crate) fn find(&self, text: &str) -> Option<Range<usize>> {
        self.find_iter(text).next()
    }

    /// Whether any pattern matches as a whole word (no capture work: the boundaries
    /// are part of the regex).
    pub(crate) fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|re| re.is_match(text))
    }

    /// How many whole-word matches there are.
    pub(crate) fn count(&self, text: &str) -> usize {
        self.find_iter(text).count()
    }
}

/// Whether a character counts as part of a word for the whole-word rule. ASCII and
/// Cyrillic are answered without the Unicode tables: this runs on every character
/// of a reply several times per keystroke.
pub(crate) fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    is_letter(c) || c.is_numeric()
}

/// `char::is_alphabetic` with a fast path for ASCII and Cyrillic.
pub(crate) fn is_letter(c: char) -> bool {
    match c as u32 {
        0..=0x7f => c.is_ascii_alphabetic(),
        0x0400..=0x0481 | 0x048a..=0x04ff => true,
        0x0482..=0x0489 => false,
        _ => c.is_alphabetic(),
    }
}

/// Byte offset of `part`, a slice borrowed from `whole`.
pub(crate) fn offset_in(whole: &str, part: &str) -> usize {
    part.as_ptr() as usize - whole.as_ptr() as usize
}

fn next_char(text: &str, at: usize) -> usize {
    text[at..]
        .chars()
        .next()
        .map_or(text.len() + 1, |c| at + c.len_utf8())
}

/// The asset dialect: a space is any whitespace, `'` any apostrophe, `ё` also `е`.
fn translate(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    for ch in pattern.chars() {
        match ch {
            ' ' => out.push_str("\\s+"),
            '\'' | '’' => out.push_str("['’ʼ]"),
            'ё' | 'Ё' => out.push_str("[её]"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'a>(lex: &Lexicon, text: &'a str) -> Vec<&'a str> {
        lex.find_iter(text).map(|r| &text[r]).collect()
    }

    #[test]
    fn matches_whole_words_only() {
        let lex = Lexicon::compile(&["try", "ass"]).unwrap();
        assert_eq!(
            found(&lex, "Please try again, not trying class"),
            vec!["try"]
        );
        assert!(!lex.is_match("country classes"));
    }

    #[test]
    fn a_shorter_alternative_does_not_hide_a_longer_one() {
        let lex = Lexicon::compile(&["как я уже (писал|писала)"]).unwrap();
        assert!(lex.is_match("Сергей, как я уже писала, пароль"));
    }

    #[test]
    fn adjacent_matches_are_all_found() {
        let lex = Lexicon::compile(&["idiot"]).unwrap();
        assert_eq!(found(&lex, "idiot idiot,idiot"), vec!["idiot"; 3]);
    }

    #[test]
    fn apostrophes_and_spaces_are_flexible() {
        let lex = Lexicon::compile(&["we can't", "з'ясую"]).unwrap();
        assert!(lex.is_match("We  can’t do that"));
        assert!(lex.is_match("я з’ясую"));
        let can = Lexicon::compile(&["we can"]).unwrap();
        assert!(!can.is_match("we can't"));
    }

    #[test]
    fn cyrillic_is_case_insensitive_and_yo_folds() {
        let lex = Lexicon::compile(&["ещё раз повторяю"]).unwrap();
        assert!(lex.is_match("ЕЩЕ РАЗ повторяю"));
        let uk = Lexicon::compile(&["як я вже казав"]).unwrap();
        assert_eq!(found(&uk, "Як я вже казав, ні."), vec!["Як я вже казав"]);
    }

    #[test]
    fn literal_words_escape_regex_syntax() {
        let lex = Lexicon::literal(&["c++ (beta)"]).unwrap();
        assert!(lex.is_match("we use c++ (beta) now"));
        assert!(!lex.is_match("we use c (beta)"));
    }
}
