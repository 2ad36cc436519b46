//! Which findings make sending ask for a yes: `[tone] confirm` in config.toml. Each
//! entry is a severity ("block", "warn", "hint"), optionally narrowed to one
//! commandment ("warn:1", 0 = the house rules). The default asks on anything blocking
//! and on warnings under respect (1) and ownership (3): the findings a customer
//! remembers. The settings file keeps the strings (it depends on nothing above it);
//! this module gives them their meaning and the error for a bad one.

use super::{Commandment, Finding, Severity, ToneReport};

/// The default `[tone] confirm`.
pub const DEFAULT_CONFIRM: &[&str] = &["block", "warn:1", "warn:3"];

/// A parsed `[tone] confirm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfirmPolicy {
    asks: Vec<(Severity, Option<u8>)>,
}

impl Default for ConfirmPolicy {
    fn default() -> Self {
        let entries: Vec<String> = DEFAULT_CONFIRM.iter().map(|s| s.to_string()).collect();
        ConfirmPolicy::parse(&entries).unwrap_or(ConfirmPolicy { asks: Vec::new() })
    }
}

impl ConfirmPolicy {
    /// Reads the entries; the error says which one is wrong and what is expected.
    pub fn parse(entries: &[String]) -> Result<ConfirmPolicy, String> {
        let mut asks = Vec::new();
        for entry in entries {
            let (severity, commandment) = match entry.trim().split_once(':') {
                Some((s, c)) => (s.trim(), Some(c.trim())),
                None => (entry.trim(), None),
            };
            let bad = || {
                format!(
                    "[tone] confirm has '{entry}'; expected \"block\", \"warn\" or \"hint\", \
                     optionally with a commandment number 0-5 (\"warn:1\", 0 = house rules)"
                )
            };
            let severity = match severity {
                "block" => Severity::Block,
                "warn" => Severity::Warn,
                "hint" => Severity::Hint,
                _ => return Err(bad()),
            };
            let commandment = match commandment {
                None => None,
                Some(c) => match c.parse::<u8>() {
                    Ok(n) if n <= 5 => Some(n),
                    _ => return Err(bad()),
                },
            };
            asks.push((severity, commandment));
        }
        Ok(ConfirmPolicy { asks })
    }

    /// Whether this finding makes sending ask.
    pub fn asks_for(&self, finding: &Finding) -> bool {
        let number = commandment_number(finding.commandment);
        self.asks
            .iter()
            .any(|(s, c)| *s == finding.severity && c.is_none_or(|c| c == number))
    }

    /// The findings of `report` that make sending ask, worst first.
    pub fn asking<'r>(&self, report: &'r ToneReport) -> Vec<&'r Finding> {
        let mut out: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| self.asks_for(f))
            .collect();
        out.sort_by_key(|f| f.severity);
        out
    }
}

fn commandment_number(c: Commandment) -> u8 {
    c.number().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, commandment: Commandment) -> Finding {
        Finding {
            rule: "x".into(),
            commandment,
            severity,
            span: 0..0,
            message: String::new(),
            suggestion: None,
        }
    }

    #[test]
    fn default_asks_on_blocks_and_on_respect_and_ownership_warnings() {
        let p = ConfirmPolicy::default();
        assert!(p.asks_for(&finding(Severity::Block, Commandment::HouseRules)));
        assert!(p.asks_for(&finding(Severity::Warn, Commandment::Respect)));
        assert!(p.asks_for(&finding(Severity::Warn, Commandment::Ownership)));
        assert!(!p.asks_for(&finding(Severity::Warn, Commandment::Feel)));
        assert!(!p.asks_for(&finding(Severity::Hint, Commandment::Respect)));
    }

    #[test]
    fn the_settings_default_is_this_default() {
        assert_eq!(
            crate::config::ToneConfig::default().confirm,
            DEFAULT_CONFIRM.to_vec()
        );
    }

    #[test]
    fn entries_are_validated() {
        let p =
            |e: &[&str]| ConfirmPolicy::parse(&e.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert!(p(&["warn"])
            .unwrap()
            .asks_for(&finding(Severity::Warn, Commandment::Feel)));
        assert!(p(&[])
            .unwrap()
            .asking(&ToneReport {
                findings: vec![finding(Severity::Block, Commandment::Respect)],
                language: crate::model::Language::En,
                formality: crate::model::Formality::Unknown,
            })
            .is_empty());
        let err = p(&["block", "warning:1"]).unwrap_err();
        assert!(err.contains("'warning:1'"), "{err}");
        assert!(p(&["warn:6"]).is_err());
        assert!(p(&["warn:x"]).is_err());
    }
}
