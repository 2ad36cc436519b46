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
}
