//! Tone checklist. PLACEHOLDER API — replaced by the tone checker work (issue 6).

use serde::Serialize;
use std::ops::Range;

use crate::model::{Customer, Formality, Language, Ticket};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum Severity {
    Block,
    Warn,
    Hint,
}

/// The five commandments plus the house rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Commandment {
    Respect,
    Solve,
    Ownership,
    Feel,
    Expectations,
    HouseRules,
}

impl Commandment {
    /// All, in order.
    pub const ALL: [Commandment; 6] = [
        Commandment::Respect,
        Commandment::Solve,
        Commandment::Ownership,
        Commandment::Feel,
        Commandment::Expectations,
        Commandment::HouseRules,
    ];
    /// English title.
    pub fn title(self) -> &'static str {
        match self {
            Commandment::Respect => "Respect the client",
            Commandment::Solve => "A good specialist can solve any problem",
            Commandment::Ownership => "The client's problem is our problem",
            Commandment::Feel => "Feel the client and answer them",
            Commandment::Expectations => "Meet the client's expectations",
            Commandment::HouseRules => "House rules",
        }
    }
    /// 1..=5, none for house rules.
    pub fn number(self) -> Option<u8> {
        match self {
            Commandment::Respect => Some(1),
            Commandment::Solve => Some(2),
            Commandment::Ownership => Some(3),
            Commandment::Feel => Some(4),
            Commandment::Expectations => Some(5),
            Commandment::HouseRules => None,
        }
    }
}

/// Per-commandment summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub commandment: Commandment,
    pub severity: Severity,
    pub span: Range<usize>,
    pub message: String,
    pub suggestion: Option<String>,
}

/// What the checker knows besides the reply.
#[derive(Default)]
pub struct ToneContext<'a> {
    pub customer_message: Option<&'a str>,
    pub customer: Option<&'a Customer>,
    pub ticket: Option<&'a Ticket>,
    pub internal_notes: &'a [String],
    pub other_contacts: &'a [String],
    pub agent_name: &'a str,
    pub from_canned_unmodified: bool,
}

/// All findings for a reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneReport {
    pub findings: Vec<Finding>,
    pub language: Language,
    pub formality: Formality,
}

impl ToneReport {
    /// Summary for one commandment.
    pub fn verdict(&self, c: Commandment) -> Verdict {
        match self
            .findings
            .iter()
            .filter(|f| f.commandment == c)
            .map(|f| f.severity)
            .min()
        {
            Some(Severity::Block) => Verdict::Fail,
            Some(Severity::Warn) => Verdict::Warn,
            _ => Verdict::Pass,
        }
    }
    /// Most serious severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }
    /// Whether sending needs confirmation.
    pub fn has_blocking(&self) -> bool {
        self.worst() == Some(Severity::Block)
    }
}

/// The checker.
pub struct Checker;

impl Checker {
    /// Built-in rules.
    pub fn builtin() -> Checker {
        Checker
    }
    /// Checks a reply. Placeholder: no findings.
    pub fn check(&self, _reply: &str, _ctx: &ToneContext) -> ToneReport {
        ToneReport {
            findings: Vec::new(),
            language: Language::Other,
            formality: Formality::Unknown,
        }
    }
}

/// Language of a text. Placeholder.
pub fn detect_language(_text: &str) -> Language {
    Language::Other
}
/// Formality of a text. Placeholder.
pub fn detect_formality(_text: &str, _lang: Language) -> Formality {
    Formality::Unknown
}
