//! Confidential data in a reply: payment card numbers (Luhn plus issuer ranges and
//! card-like grouping), IBANs (country length and mod-97), passwords written out,
//! API keys and tokens (known shapes, a "key:" label, or a long high-entropy string).
//! Each finder returns byte ranges; near-misses (order numbers, dates, phone numbers,
//! tracking codes, UUIDs, ordinary links) are what the extra conditions are for.

use regex::Regex;
use std::ops::Range;
use std::sync::LazyLock;

static DIGIT_RUN: LazyLock<Regex> = LazyLock::new(|| re(r"[0-9](?:[ \-]?[0-9]){11,22}"));
static NOT_A_CARD_CONTEXT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^\p{L}])(?:order|invoice|tracking|track|parcel|ref|reference|ticket|id|phone|tel|замовлення|заказ|№|#|рахун|сч[её]т|ттн|накладн|трек|посилк|посылк|договор|договір|телефон)[^\n\d]{0,12}$",
    )
});
static IBAN: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?-u:\b)[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,32}"));
static PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:password|passcode|passwd|пароль|пароля|паролем|парол[іи])[^\n:=]{0,25}?(?:[:=]|\sis\s|\sце\s|\sto\s|\sна\s|\s[—–-]\s)\s*(?P<v>[^\s,;]{4,})",
    )
});
/// "password Gr33nPark!2024", "пароль Qwerty!2024": the value straight after the
/// word, with no colon; only a value mixing letters and digits counts (so "password
/// reset link" and "пароль 8 символів" do not).
static PASSWORD_BARE: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?i)(?:password|passcode|passwd|пароль|пароля)\s+(?P<v>[^\s,;]{6,})"));
/// A credential everyone shares — "shared support login: admin / Sup3r!2026",
/// «сервісний майстер-пін 0000-7791», «общий пароль отдела: Buh2024!» — leaks
/// every account it opens, however far the value sits from the word: the first
/// word with a digit within a short stretch after it.
static SHARED_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:^|[^\p{L}\p{N}])(?:shared|master|service|admin|common|общ\w*|мастер|сервисн\w*|майстер|сервісн\w*|спільн\w*|загальн\w*)[\s-]+(?:\w+\s+)?(?:password|passcode|pin|pin-code|code|login|credentials|пароль|парол\w*|пін\w*|пин\w*|код\w*|логін\w*|логин\w*)[^\n]{0,40}?(?P<v>[^\s,;]*[0-9][^\s,;]*)",
    )
});
static KEY_LABEL: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)(?:api[ _-]?key|access[ _-]?key|secret|token|токен|ключ(?: api)?|api-ключ)[^\n:=]{0,20}?(?:[:=]|\sis\s|\s[—–-]\s)\s*(?P<v>[A-Za-z0-9_\-./+=]{12,})",
    )
});
static KNOWN_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}",
        r"|sk-[A-Za-z0-9_\-]{20,}",
        r"|AKIA[0-9A-Z]{16}",
        r"|gh[pousr]_[A-Za-z0-9]{30,}",
        r"|xox[abprs]-[A-Za-z0-9\-]{10,}",
        r"|AIza[0-9A-Za-z_\-]{35}",
        r"|eyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-]{10,}",
        r"|-----BEGIN [A-Z ]*PRIVATE KEY-----",
    ))
});
static URL_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(?i)[?&](?:api_?key|key|token|access_token|secret|password|passwd|sig|signature|auth)=(?P<v>[^&\s#]{12,})",
    )
});
static UUID: LazyLock<Regex> = LazyLock::new(|| {
    re(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
});

fn re(source: &str) -> Regex {
    Regex::new(source).expect("secret patterns are fixed and tested")
}

/// Payment card numbers: 13–19 digits passing Luhn, in a real issuer range, written
/// as one block or in the groups cards are printed in, and not labelled as an order,
/// invoice, tracking or phone number.
pub(crate) fn card_numbers(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for m in DIGIT_RUN.find_iter(text) {
        let before = &text[..m.start()];
        if before.ends_with('+') || before.ends_with(|c: char| c.is_ascii_digit()) {
            continue;
        }
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        if NOT_A_CARD_CONTEXT.is_match(&text[line_start..m.start()]) {
            continue;
        }
        if let Some(r) = card_in_run(m.as_str()) {
            out.push(m.start() + r.start..m.start() + r.end);
        }
    }
    out
}

/// Looks for a card inside a run of digit groups, trying every contiguous window of
/// groups (a run may also hold an expiry date or a neighbouring number).
fn card_in_run(run: &str) -> Option<Range<usize>> {
    let mut groups: Vec<Range<usize>> = Vec::new();
    let mut start = None;
    for (i, c) in run.char_indices() {
        match (c.is_ascii_digit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                groups.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        groups.push(s..run.len());
    }
    for first in 0..groups.len() {
        for last in first..groups.len() {
            let window = &groups[first..=last];
            let digits: String = window.iter().map(|g| &run[g.clone()]).collect();
            if digits.len() > 19 {
                break;
            }
            let lengths: Vec<usize> = window.iter().map(|g| g.len()).collect();
            if (13..=19).contains(&digits.len())
                && card_grouping(&lengths)
                && issuer_accepts(&digits)
                && luhn(&digits)
                && !all_same(&digits)
            {
                return Some(window[0].start..window[window.len() - 1].end);
            }
        }
    }
    None
}

fn all_same(digits: &str) -> bool {
    let first = digits.as_bytes()[0];
    digits.bytes().all(|b| b == first)
}

/// One block, or groups of four (last 1–4), or the 4-6-5 / 4-6-4 of Amex and Diners.
fn card_grouping(lengths: &[usize]) -> bool {
    match lengths {
        [_] => true,
        [4, 6, 5] | [4, 6, 4] => true,
        [init @ .., last] => init.iter().all(|&l| l == 4) && (1..=4).contains(last),
        [] => false,
    }
}

/// Issuer identification ranges of the card networks in use in the product's
/// markets, with their lengths.
fn issuer_accepts(d: &str) -> bool {
    let n = d.len();
    let p = |k: usize| d[..k].parse::<u32>().unwrap_or(0);
    match d.as_bytes()[0] {
        b'4' => matches!(n, 13 | 16 | 19),
        b'5' => (51..=55).contains(&p(2)) && n == 16 || (56..=58).contains(&p(2)) && n >= 16,
        b'2' => {
            ((2221..=2720).contains(&p(4)) && n == 16) || ((2200..=2204).contains(&p(4)) && n >= 16)
        }
        b'3' => {
            (matches!(p(2), 34 | 37) && n == 15)
                || (matches!(p(2), 36 | 38) && n == 14)
                || ((3528..=3589).contains(&p(4)) && n >= 16)
        }
        b'6' => n >= 16,
        _ => false,
    }
}

/// The Luhn checksum every payment card number satisfies.
pub(crate) fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let Some(mut d) = (b as char).to_digit(10) else {
            return false;
        };
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

/// IBANs: country code, check digits, the country's length where known, mod-97 = 1.
pub(crate) fn ibans(text: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for m in IBAN.find_iter(text) {
        let s = m.as_str();
        let compact: Vec<(usize, char)> = s.char_indices().filter(|(_, c)| *c != ' ').collect();
        let lengths: Vec<usize> = match iban_length(&s[..2]) {
            Some(n) => vec![n],
            None => (15..=34).rev().collect(),
        };
        for n in lengths {
            if compact.len() < n {
                continue;
            }
            let candidate: String = compact[..n].iter().map(|(_, c)| *c).collect();
            if iban_valid(&candidate) {
                let (last, c) = compact[n - 1];
                out.push(m.start()..m.start() + last + c.len_utf8());
                break;
            }
        }
    }
    out
}

fn iban_length(country: &str) -> Option<usize> {
    Some(match country {
        "UA" => 29,
        "PL" => 28,
        "DE" => 22,
        "GB" => 22,
        "FR" => 27,
        "IT" => 27,
        "ES" => 24,
        "NL" => 18,
        "BE" => 16,
        "AT" => 20,
        "CH" => 21,
        "CZ" => 24,
        "SK" => 24,
        "LT" => 20,
        "LV" => 21,
        "EE" => 20,
        "MD" => 24,
        "RO" => 24,
        "GE" => 22,
        "KZ" => 20,
        "IE" => 22,
        "PT" => 25,
        "SE" => 24,
        "FI" => 18,
        "DK" => 18,
        "NO" => 15,
        _ => return None,
    })
}

/// The ISO 13616 check: move the first four characters to the end, letters to
/// numbers (A = 10), and the number mod 97 must be 1.
pub(crate) fn iban_valid(iban: &str) -> bool {
    if iban.len() < 15 || !iban.is_ascii() {
        return false;
    }
    let rearranged = iban[4..].chars().chain(iban[..4].chars());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = match c {
            '0'..='9' => c as u32 - '0' as u32,
            'A'..='Z' => c as u32 - 'A' as u32 + 10,
            _ => return false,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    rem == 1
}

/// Passwords written out after a label ("password: Kyiv2024!", "пароль — x7Kp9q").
/// The value must look like a password (a digit, a symbol, or inner capitals) so
/// "password: reset it via the link" is not one.
pub(crate) fn passwords(text: &str) -> Vec<Range<usize>> {
    let trim = |v: &str| v.trim_end_matches(['.', '!', '?', ')', '"', '»']).len();
    let mut out: Vec<Range<usize>> = PASSWORD
        .captures_iter(text)
        .filter_map(|c| c.name("v"))
        .filter_map(|v| {
            let value = &v.as_str()[..trim(v.as_str())];
            looks_like_password(value).then(|| v.start()..v.start() + value.len())
        })
        .collect();
    for v in PASSWORD_BARE
        .captures_iter(text)
        .filter_map(|c| c.name("v"))
    {
        let value = &v.as_str()[..trim(v.as_str())];
        let mixed =
            value.chars().any(|c| c.is_ascii_digit()) && value.chars().any(char::is_alphabetic);
        if mixed && looks_like_password(value) && !out.iter().any(|r| r.start == v.start()) {
            out.push(v.start()..v.start() + value.len());
        }
    }
    for v in SHARED_SECRET
        .captures_iter(text)
        .filter_map(|c| c.name("v"))
    {
        let value = &v.as_str()[..trim(v.as_str())];
        if value.chars().count() >= 6 && !out.iter().any(|r| r.start == v.start()) {
            out.push(v.start()..v.start() + value.len());
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

fn looks_like_password(value: &str) -> bool {
    if value.chars().count() < 4 || value.contains("://") {
        return false;
    }
    let digit = value.chars().any(|c| c.is_ascii_digit());
    let symbol = value
        .chars()
        .any(|c| !c.is_alphanumeric() && !matches!(c, '-' | '\'' | '’'));
    let inner_capital =
        value.chars().skip(1).any(char::is_uppercase) && value.chars().any(char::is_lowercase);
    digit || symbol || inner_capital
}

/// Tokens and API keys: well-known key shapes, a value after a "key:"/"token:"
/// label, secrets in link parameters, and long random-looking strings.
pub(crate) fn tokens(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = KNOWN_TOKEN.find_iter(text).map(|m| m.range()).collect();
    for c in KEY_LABEL.captures_iter(text) {
        if let Some(v) = c.name("v") {
            let s = v.as_str();
            if s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(|c| c.is_ascii_alphabetic()) {
                out.push(v.range());
            }
        }
    }
    for c in URL_SECRET.captures_iter(text) {
        if let Some(v) = c.name("v") {
            out.push(v.range());
        }
    }
    for chunk in text.split_whitespace() {
        let start = super::lexicon::offset_in(text, chunk);
        if chunk.contains("://") || chunk.contains('@') || chunk.starts_with("www.") {
            continue;
        }
        let trimmed = chunk.trim_matches(|c: char| {
            !c.is_ascii_alphanumeric() && !matches!(c, '_' | '-' | '+' | '/' | '=')
        });
        let lead = chunk.find(trimmed).unwrap_or(0);
        if high_entropy_token(trimmed) {
            out.push(start + lead..start + lead + trimmed.len());
        }
    }
    out.sort_by_key(|r| (r.start, r.end));
    out.dedup_by(|b, a| b.start < a.end);
    out
}

/// A long string of key characters mixing upper, lower and digits with high
/// per-character entropy. Order codes (upper and digits only), UUIDs and words
/// joined by dashes fall short of it.
fn high_entropy_token(s: &str) -> bool {
    if s.len() < 24 || UUID.is_match(s) {
        return false;
    }
    if !s
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '+' | '/' | '='))
    {
        return false;
    }
    let digits = s.chars().filter(char::is_ascii_digit).count();
    let upper = s.chars().any(|c| c.is_ascii_uppercase());
    let lower = s.chars().any(|c| c.is_ascii_lowercase());
    digits >= 2 && upper && lower && !has_word_run(s) && shannon_entropy(s) >= 4.0
}

/// Eight or more lower-case letters in a row: a word, which random keys almost
/// never contain (about 2% of 32-character base62 keys do).
fn has_word_run(s: &str) -> bool {
    let mut run = 0;
    for c in s.chars() {
        run = if c.is_ascii_lowercase() { run + 1 } else { 0 };
        if run >= 8 {
            return true;
        }
    }
    false
}

/// Bits per character of the string's own character distribution.
pub(crate) fn shannon_entropy(s: &str) -> f64 {
    let mut counts = [0u32; 128];
    let mut total = 0u32;
    for b in s.bytes().filter(u8::is_ascii) {
        counts[b as usize] += 1;
        total += 1;
    }
    if total == 0 {
        return 0.0;
    }
    counts
        .iter()
        .filter(|&&n| n > 0)
        .map(|&n| {
            let p = f64::from(n) / f64::from(total);
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cards(text: &str) -> Vec<&str> {
        card_numbers(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn luhn_accepts_test_cards_and_rejects_typos() {
        assert!(luhn("4111111111111111"));
        assert!(luhn("5500005555555559"));
        assert!(luhn("378282246310005"));
        assert!(!luhn("4111111111111112"));
        assert!(!luhn(""));
    }

    #[test]
    fn finds_cards_written_in_any_usual_way() {
        assert_eq!(
            cards("card 4111 1111 1111 1111 exp 12/27"),
            vec!["4111 1111 1111 1111"]
        );
        assert_eq!(
            cards("карта 5500-0055-5555-5559"),
            vec!["5500-0055-5555-5559"]
        );
        assert_eq!(cards("Amex 3782 822463 10005."), vec!["3782 822463 10005"]);
        assert_eq!(cards("номер 4111111111111111"), vec!["4111111111111111"]);
        assert_eq!(
            cards("Mir 2200 0000 0000 0004"),
            vec!["2200 0000 0000 0004"]
        );
    }

    #[test]
    fn order_numbers_dates_phones_are_not_cards() {
        assert!(cards("Order #4111111111111111 shipped").is_empty());
        assert!(cards("Замовлення № 4111 1111 1111 1111").is_empty());
        assert!(cards("ТТН 20450123456789 (Нова пошта)").is_empty());
        assert!(cards("Call +380 67 123 45 67 or +1 415 555 0100").is_empty());
        assert!(cards("from 2024-05-01 to 2024-05-31, 10:30").is_empty());
        assert!(cards("4111 1111 1111 1112 is a typo").is_empty());
        assert!(cards("1234 5678 9012 3456").is_empty());
        assert!(cards("0000 0000 0000 0000").is_empty());
        assert!(cards("41111 11111 11111 1").is_empty());
    }

    #[test]
    fn finds_valid_ibans_only() {
        let t = "Рахунок: UA21 3223 1300 0002 6007 2335 6600 1, дякую";
        let found: Vec<&str> = ibans(t).into_iter().map(|r| &t[r]).collect();
        assert_eq!(found, vec!["UA21 3223 1300 0002 6007 2335 6600 1"]);
        assert_eq!(ibans("DE89370400440532013000").len(), 1);
        assert_eq!(ibans("GB82 WEST 1234 5698 7654 32 thanks").len(), 1);
        assert!(ibans("DE89370400440532013001").is_empty());
        assert!(ibans("Order UA12345678901234").is_empty());
    }

    #[test]
    fn passwords_need_a_password_shaped_value() {
        assert_eq!(passwords("Your new password: Kyiv2024!").len(), 1);
        assert_eq!(passwords("Тимчасовий пароль — x7Kp9q").len(), 1);
        assert_eq!(passwords("Ваш пароль: qwerty123").len(), 1);
        assert_eq!(
            passwords("I've set your password to welcome123 for now").len(),
            1
        );
        assert_eq!(passwords("Я змінила пароль на Lviv2025").len(), 1);
        assert!(passwords("Password: reset it via the link below").is_empty());
        assert!(passwords("Change your password to something longer").is_empty());
        assert!(passwords("The password is case-sensitive").is_empty());
        assert!(passwords("Змініть пароль у налаштуваннях.").is_empty());
    }

    #[test]
    fn tokens_by_shape_label_link_and_entropy() {
        assert_eq!(tokens("key sk_live_4eC39HqLyjWDarjtT1zdp7dc").len(), 1);
        assert_eq!(tokens("AKIAIOSFODNN7EXAMPLE").len(), 1);
        assert_eq!(tokens("API key: a81bc81b2dead4e5f6").len(), 1);
        assert_eq!(
            tokens("https://api.example.com/v1?api_key=9f8e7d6c5b4a3210ff").len(),
            1
        );
        assert_eq!(
            tokens("use Qm9zc2VjcmV0LXRva2VuLTk4NzY1NDMyMQ9xZ in the header").len(),
            1
        );
        assert!(tokens("Order 3f2c9a10-1b2c-4d5e-8f90-123456789abc").is_empty());
        assert!(tokens("Tracking 1Z999AA10123456784 and SKU ABC-12345-XYZ").is_empty());
        assert!(tokens(
            "See https://docs.google.com/document/d/1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789/edit"
        )
        .is_empty());
        assert!(tokens("getting-started-with-your-new-account-settings").is_empty());
        assert!(tokens("u201cSouth-Netherlandishu201d").is_empty());
    }

    #[test]
    fn entropy_of_random_exceeds_words() {
        assert!(shannon_entropy("Qm9zc2VjcmV0LXRva2VuLTk4NzY1") > 4.0);
        assert!(shannon_entropy("aaaaaaaaaaaaaaaaaaaaaaaa") < 0.1);
    }
}
