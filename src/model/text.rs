//! Text rules that belong to the domain rather than to one importer: how a subject is
//! normalised for threading, how a "Name <addr>" string splits, and how text is cut
//! to a size without splitting a character (the one copy of that rule).

/// Reply and forward prefixes in the languages our customers write in, plus the
/// common ones mail clients add ("AW:" German Outlook, "Відп:" Ukrainian Outlook).
const PREFIXES: &[&str] = &[
    "re",
    "fw",
    "fwd",
    "aw",
    "wg",
    "sv",
    "vs",
    "tr",
    "rif",
    "відп",
    "пересл",
    "ответ",
    "отв",
    "пер",
    "переслать",
];

/// The title intake gives a ticket whose first message had no subject. A placeholder,
/// not the customer's words: a reply never goes out as `Re: (no subject)`.
pub const NO_SUBJECT: &str = "(no subject)";

/// Strips any run of reply/forward prefixes ("Re: Fwd: RE[2]:") and folds case and
/// whitespace, so "Re: Оплата" and "оплата" thread together.
pub fn normalize_subject(subject: &str) -> String {
    let mut rest = subject.trim();
    while let Some(colon) = rest.find(':') {
        let head = rest[..colon].trim();
        let base = head
            .split(['[', '('])
            .next()
            .unwrap_or("")
            .trim()
            .to_lowercase();
        if PREFIXES.contains(&base.as_str()) {
            rest = rest[colon + 1..].trim_start();
        } else {
            break;
        }
    }
    rest.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Splits `"Name <addr>"`, `"<addr>"` or a bare `addr` into display name and lowercased
/// address. A string with no `@` is taken as a name (a phone caller, a chat handle).
pub fn parse_address(input: &str) -> (String, Option<String>) {
    let input = input.trim();
    if let (Some(open), Some(close)) = (input.rfind('<'), input.rfind('>')) {
        if open < close {
            let addr = input[open + 1..close].trim().to_lowercase();
            let name = input[..open].trim().trim_matches('"').trim().to_string();
            let addr = (!addr.is_empty()).then_some(addr);
            return (name, addr);
        }
    }
    if input.contains('@') && !input.contains(char::is_whitespace) {
        return (String::new(), Some(input.to_lowercase()));
    }
    (input.to_string(), None)
}

/// The largest char boundary of `text` at or before byte `index` (the end of the text
/// past it), so a cut there never splits a character.
pub fn floor_char_boundary(text: &str, index: usize) -> usize {
    if index >= text.len() {
        return text.len();
    }
    let mut end = index;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// At most `limit` bytes of `text`, cut at a char boundary.
pub fn truncate_at_char(text: &str, limit: usize) -> &str {
    &text[..floor_char_boundary(text, limit)]
}

/// At most `limit` characters of `text`.
pub fn truncate_chars(text: &str, limit: usize) -> &str {
    &text[..byte_of_char(text, limit)]
}

/// The byte offset of the `n`-th character of `text` (its length when past the end).
pub fn byte_of_char(text: &str, n: usize) -> usize {
    text.char_indices().nth(n).map_or(text.len(), |(b, _)| b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_prefix_runs_in_three_languages() {
        assert_eq!(normalize_subject("Re: Fwd: Payment"), "payment");
        assert_eq!(normalize_subject("RE[2]:  Payment   late"), "payment late");
        assert_eq!(normalize_subject("Відп: Оплата"), "оплата");
        assert_eq!(
            normalize_subject("Ответ: Re: Не работает сайт"),
            "не работает сайт"
        );
        assert_eq!(normalize_subject("Order 12: status"), "order 12: status");
    }

    #[test]
    fn splits_addresses() {
        assert_eq!(
            parse_address("Олена Коваль <Olena@Example.com>"),
            ("Олена Коваль".into(), Some("olena@example.com".into()))
        );
        assert_eq!(
            parse_address("bob@x.io"),
            (String::new(), Some("bob@x.io".into()))
        );
        assert_eq!(
            parse_address("Caller 0501234567"),
            ("Caller 0501234567".into(), None)
        );
        assert_eq!(
            parse_address("\"Smith, J\" <j@s.com>"),
            ("Smith, J".into(), Some("j@s.com".into()))
        );
    }

    #[test]
    fn cuts_never_split_a_character() {
        let text = "Привіт, світ"; // two bytes a letter
        assert_eq!(truncate_at_char(text, 3), "П");
        assert_eq!(truncate_at_char(text, 4), "Пр");
        assert_eq!(truncate_at_char(text, 1000), text);
        assert_eq!(truncate_at_char("", 5), "");
        assert_eq!(floor_char_boundary("ab€", 3), 2);
        assert_eq!(floor_char_boundary("ab€", 99), 5);
        assert_eq!(truncate_chars(text, 6), "Привіт");
        assert_eq!(truncate_chars("ab", 5), "ab");
        assert_eq!(byte_of_char("aж b", 2), 3);
        assert_eq!(byte_of_char("aж", 9), 3);
    }
}
