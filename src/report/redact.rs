//! Secret redaction for text that leaves the first line (the escalation packet):
//! card numbers (checked with Luhn, so order numbers mostly survive), IBANs (checked
//! with mod 97), API keys and tokens, passwords written after "password:"/"пароль:",
//! credentials inside URLs and private-key blocks. Self-contained on purpose: the tone
//! checker has its own detector for a different job (warning before sending).

use regex::{Captures, Regex};
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;

/// Redacted text and how many secrets of each kind were removed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Redacted {
    pub text: String,
    /// Kind ("card", "iban", "token", "password", "url-credentials", "private-key") → count.
    pub counts: BTreeMap<&'static str, usize>,
}

/// A detector: what it finds and how to replace a match (or keep it: `None`).
struct Rule {
    kind: &'static str,
    re: Regex,
    replace: fn(&Captures<'_>) -> Option<String>,
}

static RULES: LazyLock<Vec<Rule>> = LazyLock::new(|| {
    let rule = |kind, pattern: &str, replace| {
        Regex::new(pattern)
            .ok()
            .map(|re| Rule { kind, re, replace })
    };
    [
        rule(
            "private-key",
            r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----",
            |_| Some("[private key redacted]".into()),
        ),
        rule(
            "url-credentials",
            r"(?i)\b((?:https?|ftp|sftp|ssh|mysql|postgres(?:ql)?|redis|mongodb)://)[^\s:/@]+:[^\s@/]+@",
            |c| Some(format!("{}[credentials redacted]@", &c[1])),
        ),
        rule(
            "password",
            r"(?i)\b(password|passwd|pwd|passcode|pin|пароль|паролю|пароля|пін-код|пин-код)(\s*(?::|=|—|-|\bis\b|\bце\b|\bэто\b)\s*)(\S+)",
            |c| Some(format!("{}{}[password redacted]", &c[1], &c[2])),
        ),
        rule(
            "token",
            r"(?i)\b((?:api[_-]?key|apikey|access[_-]?key|secret(?:[_-]?key)?|client[_-]?secret|auth[_-]?token|token)\s*[:=]\s*)([^\s,;]{8,})",
            |c| Some(format!("{}[token redacted]", &c[1])),
        ),
        rule(
            "token",
            r"(?i)\bbearer\s+[A-Za-z0-9._~+/-]{16,}=*",
            |_| Some("Bearer [token redacted]".into()),
        ),
        rule(
            "token",
            r"\b(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{10,}\b|\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bAKIA[0-9A-Z]{16}\b|\bAIza[0-9A-Za-z_-]{35}\b|\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\b",
            |_| Some("[token redacted]".into()),
        ),
        rule(
            "iban",
            r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b",
            |c| valid_iban(&c[0]).then(|| "[IBAN redacted]".into()),
        ),
        rule("card", r"\b\d(?:[ -]?\d){12,18}\b", |c| {
            let digits: String = c[0].chars().filter(char::is_ascii_digit).collect();
            luhn(&digits).then(|| format!("[card ****{} redacted]", &digits[digits.len() - 4..]))
        }),
        rule(
            "token",
            r"\b[A-Za-z0-9_\-]{32,}\b",
            |c| {
                let t = &c[0];
                let letters = t.chars().any(|ch| ch.is_ascii_alphabetic());
                let digits = t.chars().any(|ch| ch.is_ascii_digit());
                (letters && digits).then(|| "[token redacted]".into())
            },
        ),
    ]
    .into_iter()
    .flatten()
    .collect()
});

/// Removes secrets from `text`.
pub fn redact(text: &str) -> Redacted {
    let mut out = text.to_string();
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    for rule in RULES.iter() {
        let mut n = 0;
        let replaced = rule
            .re
            .replace_all(&out, |c: &Captures<'_>| match (rule.replace)(c) {
                Some(r) => {
                    n += 1;
                    r
                }
                None => c[0].to_string(),
            });
        if n > 0 {
            out = replaced.into_owned();
            *counts.entry(rule.kind).or_default() += n;
        }
    }
    Redacted { text: out, counts }
}

/// E-mail addresses anywhere in a text.
static EMAIL: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?i)\b[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}\b").ok()
});

/// Phone numbers as people write them: international (`+380 67 123 45 67`,
/// `+44 (20) 7946 0958`) or national with a trunk 0 or 8 (`067 123-45-67`,
/// `8 (495) 123-45-67`). Runs of digits without a `+`, 0 or 8 in front (order
/// numbers) are left alone.
static PHONE: LazyLock<Option<Regex>> = LazyLock::new(|| {
    Regex::new(r"(?:\+\d{1,3}|\b[08])[\s.-]?(?:\(\d{1,5}\)|\d{1,5})(?:[\s.-]?\d{2,4}){2,4}\b").ok()
});

/// How many trailing digits of a phone stay readable: enough to match it against
/// the customer's record, too few to call.
const PHONE_DIGITS_KEPT: usize = 2;

/// Masks people's contact details in text that leaves the first line: every e-mail
/// address except `ours` becomes `p***@example.net`, every phone number (and the
/// customer's own, however it is written) becomes `[phone …67]`. Counts go under
/// "email" and "phone".
pub fn mask_contacts(text: &str, ours: &[String], phones: &[String]) -> Redacted {
    let mut counts: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut out = text.to_string();
    if let Some(re) = EMAIL.as_ref() {
        let mut n = 0;
        let replaced = re.replace_all(&out, |c: &Captures<'_>| {
            let found = &c[0];
            if ours.iter().any(|o| o.eq_ignore_ascii_case(found)) {
                return found.to_string();
            }
            n += 1;
            mask_email(found)
        });
        if n > 0 {
            out = replaced.into_owned();
            counts.insert("email", n);
        }
    }
    let mut n = 0;
    if let Some(re) = PHONE.as_ref() {
        let replaced = re.replace_all(&out, |c: &Captures<'_>| {
            let digits: String = c[0].chars().filter(char::is_ascii_digit).collect();
            if !(9..=15).contains(&digits.len()) {
                return c[0].to_string();
            }
            n += 1;
            phone_mask(&digits)
        });
        out = replaced.into_owned();
    }
    for phone in phones {
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 7 {
            continue;
        }
        // The customer's own number, written in any grouping the pattern missed.
        let sep = r"[\s().-]*";
        let pattern: Vec<String> = digits.chars().map(|d| d.to_string()).collect();
        if let Ok(re) = Regex::new(&format!(r"\+?{}", pattern.join(sep))) {
            let replaced = re.replace_all(&out, |_: &Captures<'_>| {
                n += 1;
                phone_mask(&digits)
            });
            out = replaced.into_owned();
        }
    }
    if n > 0 {
        counts.insert("phone", n);
    }
    Redacted { text: out, counts }
}

/// "olena@shop.ua" → "o***@shop.ua": enough to recognise, not enough to spam.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => String::new(),
    }
}

fn phone_mask(digits: &str) -> String {
    let keep = digits.len().saturating_sub(PHONE_DIGITS_KEPT);
    format!("[phone …{}]", &digits[keep..])
}

/// The Luhn checksum that every payment card number satisfies, for card-length
/// digit runs; the checksum itself lives with the tone checker's secret detectors.
pub fn luhn(digits: &str) -> bool {
    (13..=19).contains(&digits.len()) && crate::tone::luhn(digits)
}

/// ISO 13616 check: move the first four characters to the end, letters to numbers,
/// the remainder mod 97 must be 1.
pub fn valid_iban(text: &str) -> bool {
    let iban: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    (15..=34).contains(&iban.len()) && crate::tone::iban_valid(&iban)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_and_iban_checks() {
        assert!(luhn("4111111111111111"));
        assert!(!luhn("4111111111111112"));
        assert!(valid_iban("GB82 WEST 1234 5698 7654 32"));
        assert!(!valid_iban("GB82 WEST 1234 5698 7654 33"));
    }

    #[test]
    fn contacts_are_masked_and_order_numbers_kept() {
        let ours = vec!["help@shop.example".to_string()];
        let phones = vec!["+380671234567".to_string()];
        let r = mask_contacts(
            "Логін petro@example.net, тел. +380 67 123 45 67 або 067-123-45-67, 8 (495) 123-45-67; order 1234567890123; write help@shop.example; 380671234567",
            &ours,
            &phones,
        );
        assert!(r.text.contains("p***@example.net"), "{}", r.text);
        assert!(!r.text.contains("petro@"), "{}", r.text);
        assert!(!r.text.contains("123 45 67"), "{}", r.text);
        assert!(!r.text.contains("123-45-67"), "{}", r.text);
        assert!(!r.text.contains("380671234567"), "{}", r.text);
        assert!(r.text.contains("[phone …67]"), "{}", r.text);
        assert!(r.text.contains("order 1234567890123"), "{}", r.text);
        assert!(r.text.contains("help@shop.example"), "{}", r.text);
        assert_eq!(r.counts.get("email"), Some(&1));
        assert_eq!(r.counts.get("phone"), Some(&4));
    }
}
