//! Small text facts the checks share: quoted lines, sentences and questions, shouted
//! words, runs of exclamation marks, numbered steps, the signature block, words for
//! overlap, the customer's own words. Plain string work over byte ranges; no rules
//! and no word lists beyond the few service lines apps write for the customer.

use super::lexicon::{is_letter, is_word_char, Lexicon};
use std::collections::HashSet;
use std::ops::Range;

/// Byte ranges of quoted lines (`> ...`): text the reply quotes is not the reply's own.
pub(crate) fn quoted_lines(text: &str) -> Vec<Range<usize>> {
    lines(text)
        .filter(|(_, line)| line.trim_start().starts_with('>'))
        .map(|(r, _)| r)
        .collect()
}

/// Lines with their byte ranges (without the newline).
pub(crate) fn lines(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut start = 0;
    text.split_inclusive('\n').map(move |raw| {
        let line = raw.trim_end_matches(['\n', '\r']);
        let r = start..start + line.len();
        start += raw.len();
        (r, line)
    })
}

/// What a customer wrote themselves, for telling their language and register: the
/// text up to a signature delimiter (`-- `), an attribution ("On Mon, Ann wrote:")
/// or an "Original message" block, without quoted (`>`) lines, placeholder lines an
/// importer or a chat app put in ("[Media omitted]", "[attached: x.jpg]",
/// "<Media omitted>", "[photo]") and service lines ("This message was deleted",
/// "Sent from my iPhone"). A message of media alone has no words of its own.
pub(crate) fn own_words(text: &str) -> String {
    let mut out = Vec::new();
    for (_, line) in lines(text) {
        let t = line.trim();
        if line == "-- " || line == "--" || starts_quoted_original(t) {
            break;
        }
        if t.starts_with('>') || is_placeholder(t) || is_service_line(t) {
            continue;
        }
        out.push(line);
    }
    out.join("\n")
}

/// A whole line in brackets: how importers and chat exports stand in for media.
fn is_placeholder(line: &str) -> bool {
    (line.starts_with('[') && line.ends_with(']')) || (line.starts_with('<') && line.ends_with('>'))
}

/// Lines a phone, a mail client or a chat app writes, not the customer; compared in
/// lower case, as a prefix.
const SERVICE_LINES: &[&str] = &[
    "this message was deleted",
    "you deleted this message",
    "missed voice call",
    "missed video call",
    "waiting for this message",
    "sent from my ",
    "sent from mail for windows",
    "get outlook for ",
    "отправлено с ",
    "отправлено из ",
    "надіслано з ",
    "это сообщение удалено",
    "данное сообщение удалено",
    "сообщение удалено",
    "це повідомлення видалено",
    "повідомлення видалено",
];

fn is_service_line(line: &str) -> bool {
    let lower = line.to_lowercase();
    SERVICE_LINES.iter().any(|s| lower.starts_with(s))
}

/// Where a reply's copy of an earlier message begins: an attribution line ending
/// in "wrote:" (or its Ukrainian and Russian forms) or an "Original message" rule.
fn starts_quoted_original(line: &str) -> bool {
    let lower = line.to_lowercase();
    let attribution = lower.ends_with(':')
        && [
            "wrote",
            "написал",
            "написала",
            "написав",
            "написала",
            "пише",
            "пишет",
        ]
        .iter()
        .any(|w| lower.contains(w));
    let rule = lower.starts_with("-----")
        && [
            "original",
            "forwarded",
            "исходное",
            "пересылаемое",
            "оригінальне",
            "переслане",
        ]
        .iter()
        .any(|w| lower.contains(w));
    attribution || rule
}

/// The text with quoted lines blanked out by spaces, so byte offsets still point
/// into the original.
pub(crate) fn blank_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (r, line) in lines(text) {
        if line.trim_start().starts_with('>') {
            out.extend(std::iter::repeat_n(' ', line.len()));
        } else {
            out.push_str(line);
        }
        out.push_str(
            &text[r.end
                ..text[r.end..]
                    .find('\n')
                    .map_or(text.len(), |i| r.end + i + 1)],
        );
    }
    out
}

/// Sentences ending with a question mark.
pub(crate) fn questions(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let bytes = text.as_bytes();
    for (i, c) in text.char_indices() {
        if i < start {
            continue;
        }
        match c {
            '.' | '!' | '\n' => start = i + 1,
            '?' => {
                let s = text[start..i].trim();
                if s.chars().any(is_letter) {
                    out.extend(split_joined_question(s));
                }
                start = i + 1;
                while start < bytes.len() && bytes[start] == b'?' {
                    start += 1;
                }
            }
            _ => {}
        }
    }
    out
}

/// Words that start a second question joined to the first by "and", «і», «и»:
/// "What's the check-in time, and is there somewhere to leave a bike?".
const SECOND_QUESTION: &[&str] = &[
    "is",
    "are",
    "can",
    "could",
    "do",
    "does",
    "did",
    "will",
    "would",
    "should",
    "what",
    "how",
    "where",
    "when",
    "why",
    "which",
    "who",
    "чи",
    "де",
    "коли",
    "як",
    "скільки",
    "чому",
    "який",
    "яка",
    "яке",
    "які",
    "можна",
    "можно",
    "есть",
    "где",
    "когда",
    "как",
    "сколько",
    "почему",
    "какой",
    "какая",
    "какое",
    "какие",
    "нужно",
    "будет",
    "входит",
];

/// One question sentence split where a second question is joined to it ("…, and is
/// there…", «…, і чи…», «… и входит ли…»), each part keeping at least two words.
fn split_joined_question(s: &str) -> Vec<&str> {
    let ws: Vec<(Range<usize>, &str)> = words(s).collect();
    for k in 2..ws.len().saturating_sub(2) {
        let joiner = ws[k].1.to_lowercase();
        let next = ws[k + 1].1.to_lowercase();
        let joins = matches!(joiner.as_str(), "and" | "і" | "й" | "та" | "а" | "и");
        let asks = SECOND_QUESTION.contains(&next.as_str())
            || ws
                .get(k + 2)
                .is_some_and(|(_, w)| w.eq_ignore_ascii_case("ли"));
        if joins && asks {
            let (first, second) = (s[..ws[k].0.start].trim(), s[ws[k + 1].0.start..].trim());
            let first = first.trim_end_matches([',', ';']).trim();
            return vec![first, second];
        }
    }
    vec![s]
}

/// Words of letters and digits with their byte ranges.
pub(crate) fn words(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut iter = text.char_indices().peekable();
    std::iter::from_fn(move || {
        let (start, _) = iter.by_ref().find(|(_, c)| is_word_char(*c))?;
        let mut end = text.len();
        while let Some(&(i, c)) = iter.peek() {
            if is_word_char(c) {
                iter.next();
            } else {
                end = i;
                break;
            }
        }
        Some((start..end, &text[start..end]))
    })
}

/// How many words a text has.
pub(crate) fn word_count(text: &str) -> usize {
    words(text).count()
}

/// Runs of capitalised words that read as shouting: a word of two or more letters
/// all in capitals that is not a known acronym or part of a code (next to digits),
/// when it has five or more letters or stands next to another such word ("DO NOT").
/// Single four-letter capitals are mostly acronyms (SAML, XLSX, СДЭК), so they pass.
pub(crate) fn shouted(text: &str, acronyms: &HashSet<String>) -> Vec<Range<usize>> {
    let all: Vec<(Range<usize>, &str)> = words(text).collect();
    let has_digit = |i: usize| {
        all.get(i)
            .is_some_and(|(_, w)| w.chars().any(|c| c.is_ascii_digit()))
    };
    let mut runs: Vec<(Range<usize>, bool)> = Vec::new();
    let mut prev_end: Option<usize> = None;
    for (i, (r, w)) in all.iter().enumerate() {
        let letters = w.chars().count();
        let code_part = has_digit(i + 1) || (i > 0 && has_digit(i - 1)) || in_token(text, r);
        let caps = letters >= 2
            && w.chars().all(|c| is_letter(c) && !c.is_lowercase())
            && !acronyms.contains(*w)
            && !code_part;
        if !caps {
            prev_end = None;
            continue;
        }
        let long = letters >= 5;
        let joins = prev_end.is_some_and(|e| {
            text[e..r.start]
                .chars()
                .all(|c| c.is_whitespace() || matches!(c, '-' | '—'))
        });
        match runs.last_mut() {
            Some((run, loud)) if joins => {
                run.end = r.end;
                *loud = true;
            }
            _ => runs.push((r.clone(), long)),
        }
        prev_end = Some(r.end);
    }
    runs.into_iter()
        .filter(|(_, loud)| *loud)
        .map(|(r, _)| r)
        .collect()
}

/// Whether the word sits inside a larger non-prose token: a link, an address, a
/// handle, or glued to lower-case letters ("Mr.TAMER", "~JESSE/").
fn in_token(text: &str, word: &Range<usize>) -> bool {
    let start = text[..word.start]
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = text[word.end..]
        .find(char::is_whitespace)
        .map_or(text.len(), |i| word.end + i);
    let chunk = &text[start..end];
    chunk.contains("://")
        || chunk.contains('@')
        || chunk.contains('/')
        || chunk.contains('~')
        || chunk.chars().any(char::is_lowercase)
}

/// A word (a name, or a word typed in Latin letters for want of a Cyrillic keyboard)
/// folded to a rough common form: lower case, Latin transliterated to
/// Cyrillic, and the letters that differ between Ukrainian and Russian spelling
/// (і/и, є/е, ь) merged.
pub(crate) fn name_key(word: &str) -> String {
    let lower = word.to_lowercase();
    let mut cyr = String::with_capacity(lower.len());
    let chars: Vec<char> = lower.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let digraph = match two.as_str() {
            "zh" => Some('ж'),
            "kh" => Some('х'),
            "ts" => Some('ц'),
            "ch" => Some('ч'),
            "sh" => Some('ш'),
            "yu" | "iu" => Some('ю'),
            "ya" | "ia" => Some('я'),
            "ye" | "ie" => Some('е'),
            "yi" => Some('и'),
            _ => None,
        };
        if let Some(c) = digraph {
            cyr.push(c);
            i += 2;
            continue;
        }
        let c = chars[i];
        cyr.push(match c {
            'a' => 'а',
            'b' => 'б',
            'v' | 'w' => 'в',
            'h' | 'g' => 'г',
            'd' => 'д',
            'e' => 'е',
            'z' => 'з',
            'y' | 'i' | 'j' => 'и',
            'k' | 'c' | 'q' => 'к',
            'l' => 'л',
            'm' => 'м',
            'n' => 'н',
            'o' => 'о',
            'p' => 'п',
            'r' => 'р',
            's' => 'с',
            't' => 'т',
            'u' => 'у',
            'f' => 'ф',
            'x' => 'х',
            'і' | 'ї' | 'й' | 'ы' => 'и',
            'є' | 'ё' | 'э' => 'е',
            'ґ' => 'г',
            other => other,
        });
        i += 1;
    }
    cyr.retain(|c| c != 'ь' && c != '\'' && c != '’');
    cyr
}

/// Runs of two or more exclamation marks (`!!`, `!!!`, `?!!`).
pub(crate) fn exclamation_runs(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut bangs = 0;
    for (i, c) in text
        .char_indices()
        .chain(std::iter::once((text.len(), ' ')))
    {
        if c == '!' || c == '?' || c == '1' && start.is_some() && bangs > 0 {
            start.get_or_insert(i);
            if c == '!' {
                bangs += 1;
            }
        } else {
            if let Some(s) = start {
                if bangs >= 2 {
                    out.push(s..i);
                }
            }
            start = None;
            bangs = 0;
        }
    }
    out
}

/// Lines that start a numbered or bulleted step ("1.", "2)", "- ", "• ").
pub(crate) fn has_list_steps(text: &str) -> bool {
    lines(text)
        .filter(|(_, l)| {
            let t = l.trim_start();
            let digits = t.chars().take_while(char::is_ascii_digit).count();
            (digits > 0 && t[digits..].starts_with(['.', ')']))
                || t.starts_with("- ")
                || t.starts_with("• ")
                || t.starts_with("* ")
        })
        .count()
        >= 2
        || text.contains('→')
        || text.contains(" > ")
}

/// The signature: the lines after the closing line ("Best regards," / "З повагою,"),
/// or the name after a closing on the same line ("Thanks, Olena"). When there is no
/// closing, a short last line without sentence punctuation is taken.
pub(crate) fn signature(text: &str, closing: &Lexicon) -> Option<Range<usize>> {
    let body: Vec<(Range<usize>, &str)> =
        lines(text).filter(|(_, l)| !l.trim().is_empty()).collect();
    if body.len() < 2 {
        return None;
    }
    let tail_from = body.len().saturating_sub(4);
    for i in (tail_from..body.len()).rev() {
        let (r, line) = &body[i];
        let Some(m) = closing.find(line) else {
            continue;
        };
        let lead = line[..m.start].trim();
        if !lead.is_empty() || line.trim().len() > m.end - m.start + 40 {
            continue;
        }
        let rest = line[m.end..].trim_start_matches(|c: char| {
            c.is_whitespace() || matches!(c, ',' | '.' | '!' | '—' | '-' | '–')
        });
        if !rest.trim().is_empty() {
            let start = r.start + (line.len() - rest.len());
            return Some(start..r.end);
        }
        if i + 1 < body.len() {
            return Some(body[i + 1].0.start..body[body.len() - 1].0.end);
        }
        return None;
    }
    let (r, last) = body.last()?;
    let t = last.trim();
    let short = word_count(t) <= 4 && !t.ends_with(['.', '?', '!', ':']);
    (short && !t.is_empty()).then(|| r.clone())
}

/// Lower-case word stems (first five letters of words of five or more letters) for
/// judging whether one text talks about what another asked.
pub(crate) fn stems(text: &str) -> HashSet<String> {
    words(text)
        .filter(|(_, w)| w.chars().count() >= 5 && w.chars().all(is_letter))
        .map(|(_, w)| w.to_lowercase().chars().take(5).collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_question_joined_by_and_is_its_own() {
        assert_eq!(
            questions("What's the check-in time, and is there somewhere safe to leave a bike?"),
            vec![
                "What's the check-in time",
                "is there somewhere safe to leave a bike"
            ]
        );
        assert_eq!(
            questions("Скільки коштує тариф і чи є там безліміт на соцмережі?").len(),
            2
        );
        assert_eq!(
            questions("Сколько стоит обслуживание и входит ли в него выезд мастера?").len(),
            2
        );
        assert_eq!(questions("Can I pay by card and cash?").len(), 1);
    }

    #[test]
    fn blanking_quotes_keeps_offsets() {
        let t = "Hi,\n> ты дурак\nOk.\r\n";
        let b = blank_quoted(t);
        assert_eq!(b.len(), t.len());
        assert!(!b.contains("дурак"));
        assert_eq!(&b[b.find("Ok").unwrap()..], "Ok.\r\n");
    }

    #[test]
    fn counts_questions_once_per_sentence() {
        let q = questions("Hi. Where is my order?? And can I change the address? Thanks!");
        assert_eq!(q, vec!["Where is my order", "And can I change the address"]);
        assert!(questions("No questions here.").is_empty());
    }

    #[test]
    fn shouting_ignores_acronyms_and_short_words() {
        let acr: HashSet<String> = ["IBAN", "FAQ"].iter().map(|s| s.to_string()).collect();
        let t = "Send the IBAN and read the FAQ. I SAID NOW. OK? ТЕРМІНОВО";
        let got: Vec<&str> = shouted(t, &acr).into_iter().map(|r| &t[r]).collect();
        assert_eq!(got, vec!["SAID NOW", "ТЕРМІНОВО"]);
        assert!(shouted("Export as XLSX or use SAML", &acr).is_empty());
        assert!(shouted(
            "Codes such as DO, RN, see http://x.org/~JESSE/ or @Mr.TAMER",
            &acr
        )
        .is_empty());
        assert_eq!(shouted("a\u{a0}SHOUTING\u{2003}here", &acr).len(), 1);
        let t2 = "This is NOT ACCEPTABLE at all. Please DO NOT reply. Send the FAQ PDF to GB82 WEST 1234";
        let got2: Vec<&str> = shouted(t2, &acr).into_iter().map(|r| &t2[r]).collect();
        assert_eq!(got2, vec!["NOT ACCEPTABLE", "DO NOT"]);
    }

    #[test]
    fn exclamation_runs_need_two_marks() {
        let t = "Great! Really?! WHY!!! ok!!1";
        let got: Vec<&str> = exclamation_runs(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(got, vec!["!!!", "!!1"]);
    }

    #[test]
    fn finds_signature_after_closing() {
        let closing = Lexicon::compile(&["best regards", "thanks", "з повагою"]).unwrap();
        let t = "Hi Anna,\nIt is fixed.\n\nBest regards,\nSupport Team";
        assert_eq!(signature(t, &closing).map(|r| &t[r]), Some("Support Team"));
        let t2 = "Hi,\nDone.\nThanks, Olena";
        assert_eq!(signature(t2, &closing).map(|r| &t2[r]), Some("Olena"));
        let t3 = "Вітаю!\nВсе готово.\nЗ повагою,\nОлена Коваль\nSupport Unit 1";
        assert_eq!(
            signature(t3, &closing).map(|r| &t3[r]),
            Some("Олена Коваль\nSupport Unit 1")
        );
        let t4 = "Hi,\nThe refund is on its way.";
        assert_eq!(signature(t4, &closing), None);
    }

    #[test]
    fn own_words_drop_media_quotes_signatures_and_service_lines() {
        assert_eq!(own_words("[Media omitted]"), "");
        assert_eq!(own_words("[attached: IMG-20261126-WA0003.jpg]"), "");
        assert_eq!(own_words("<Media omitted>\nThis message was deleted"), "");
        assert_eq!(own_words("Дякую!\n\nSent from my iPhone"), "Дякую!\n");
        assert_eq!(
            own_words("Не працює.\nOn Mon, 23 Nov 2026 Support wrote:\n> Please try again"),
            "Не працює."
        );
        assert_eq!(own_words("Добре\n-- \nIvan Petrenko\nAcme Ltd"), "Добре");
        assert_eq!(
            own_words("Ок\n-----Original Message-----\nFrom: help@shop"),
            "Ок"
        );
    }
}
