//! The tone checker: reads a reply before the customer does and reports, like a prose
//! linter, what breaks the five commandments of support (respect, solve, ownership,
//! feel the client, meet expectations) and the house rules (confidential data, a real
//! name in the signature, the customer's language).
//!
//! Owns the rule engine and the language/formality detection the intake also uses.
//! Words and messages are data (`assets/tone/`, plus an optional user file); the
//! checks that need context live in `checks/`. Pure logic: no I/O except reading a
//! user rules file, no terminal, no database. A [`Checker`] is built once and then
//! run on every keystroke, so checking compiles nothing and allocates little.

mod checks;
mod confirm;
mod formality;
mod grammar;
mod lang;
pub mod learned;
mod lexicon;
mod morph;
mod rules;
mod secrets;
mod text;

pub use confirm::{ConfirmPolicy, DEFAULT_CONFIRM};
pub use formality::detect_formality;
pub use lang::detect_language;
pub(crate) use secrets::{iban_valid, luhn};

/// How a customer writes, read from their own text: the language and the "you" they
/// use. Intake stores it on the customer so replies and canned suggestions match.
/// Only the customer's own words count (see [`customer_profile_across`]), so a
/// message that is only "[Media omitted]" says nothing rather than "English".
pub fn customer_profile(text: &str) -> (Language, Formality) {
    customer_profile_across([text])
}

/// What a customer wrote themselves in one message (see [`customer_profile_across`]
/// for what is left out); empty for a message of media alone.
pub fn own_words(message: &str) -> String {
    text::own_words(message)
}

/// What a ticket's thread tells the checker: the customer's latest message that has
/// words of their own ("[Media omitted]" after a Ukrainian message must not make the
/// checker expect English; the latest inbound when none has), and the text of the
/// internal notes, each cut to `limit` bytes (the check runs on every keystroke).
/// The console's composer and `firstline tone --ticket` both read a ticket this way.
pub fn thread_context(
    messages: &[crate::model::Message],
    limit: usize,
) -> (Option<&str>, Vec<String>) {
    use crate::model::Direction;
    let inbound = || {
        messages
            .iter()
            .rev()
            .filter(|m| m.direction == Direction::Inbound)
    };
    let customer = inbound()
        .find(|m| !own_words(&m.body).trim().is_empty())
        .or_else(|| inbound().next())
        .map(|m| crate::display::truncate_for_display(&m.body, limit).0);
    let notes = messages
        .iter()
        .filter(|m| m.direction == Direction::Note)
        .map(|m| {
            crate::display::truncate_for_display(&m.body, limit)
                .0
                .to_string()
        })
        .collect();
    (customer, notes)
}

/// Fewer words than this of a customer's own text tell no language: "ok", "Дякую!"
/// or a card number must not overwrite what their earlier messages said.
const PROFILE_MIN_WORDS: usize = 3;

/// The profile of a customer read across their messages (newest first is best):
/// each message's own words (no media placeholders, service lines, quoted text or
/// signatures) joined, up to 8 KB; a pasted log says nothing more about the
/// person. Too little text is `(Other, Unknown)`, which never overwrites a profile.
pub fn customer_profile_across<'a>(
    messages: impl IntoIterator<Item = &'a str>,
) -> (Language, Formality) {
    const SAMPLE: usize = 8192;
    let mut sample = String::new();
    for m in messages {
        let own = text::own_words(crate::display::truncate_for_display(m, SAMPLE).0);
        if own.trim().is_empty() {
            continue;
        }
        if !sample.is_empty() {
            sample.push('\n');
        }
        sample.push_str(&own);
        if sample.len() >= SAMPLE {
            break;
        }
    }
    let sample = crate::display::truncate_for_display(&sample, SAMPLE).0;
    if text::word_count(sample) < PROFILE_MIN_WORDS {
        return (Language::Other, Formality::Unknown);
    }
    let lang = detect_language(sample);
    (lang, detect_formality(sample, lang))
}
pub use rules::ToneError;

use crate::model::{Customer, Formality, Language, Ticket};
use rules::RuleBook;
use serde::{Deserialize, Serialize};
use std::ops::Range;
use std::path::Path;
use std::sync::{Arc, LazyLock};

/// How serious a finding is. Ordered from worst: `Block < Warn < Hint`, so the
/// minimum of a set is its worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Must not be sent without an explicit confirmation (secrets, insults).
    Block,
    /// Should be fixed; sending is allowed.
    Warn,
    /// A nudge: worth a look, never counted against the reply.
    Hint,
}

impl Severity {
    /// The stable lower-case name used in JSON and rules files.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Block => "block",
            Severity::Warn => "warn",
            Severity::Hint => "hint",
        }
    }
}

/// The five commandments of support, plus the house rules beside them. Every
/// finding serves exactly one, so the checklist pane can show a mark per line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Commandment {
    Respect,
    Solve,
    Ownership,
    Feel,
    Expectations,
    HouseRules,
}

impl Commandment {
    /// All of them, in checklist order.
    pub const ALL: [Commandment; 6] = [
        Commandment::Respect,
        Commandment::Solve,
        Commandment::Ownership,
        Commandment::Feel,
        Commandment::Expectations,
        Commandment::HouseRules,
    ];

    /// The line shown in the checklist (English UI text).
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

    /// The commandment's number (1–5); the house rules have none.
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

/// A commandment's summary mark: ✓ pass, ⚠ warn, ✗ fail. Hints never change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Warn,
    Fail,
}

/// One thing the checker noticed. `span` is a byte range in the reply; an empty span
/// (`0..0`) means the finding is about the reply as a whole (nothing to underline).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// Stable id such as `respect.condescension`; users switch rules off by it.
    pub rule: String,
    pub commandment: Commandment,
    pub severity: Severity,
    pub span: Range<usize>,
    /// The explanation, in the UI language.
    pub message: String,
    /// A suggested fix, where there is one.
    pub suggestion: Option<String>,
}

/// What the checker knows besides the reply. Everything is optional: with nothing
/// but the reply, the checks that need context stay quiet.
#[derive(Debug, Clone, Copy, Default)]
pub struct ToneContext<'a> {
    /// The customer's latest inbound message.
    pub customer_message: Option<&'a str>,
    /// Stored language, formality and name (tie-breakers when the message is unclear).
    pub customer: Option<&'a Customer>,
    /// The ticket: its status decides whether a next step is owed.
    pub ticket: Option<&'a Ticket>,
    /// Text of the ticket's internal notes; copying one into a reply is blocked.
    pub internal_notes: &'a [String],
    /// E-mail addresses and phone numbers of OTHER customers that must not leak.
    pub other_contacts: &'a [String],
    /// The agent's and the company's own addresses and phones (`[agent] email`,
    /// `[mail] addresses`): with the customer's, the only ones a reply may hold.
    pub own_contacts: &'a [String],
    /// The name the agent signs with; a signature holding it is a real name.
    pub agent_name: &'a str,
    /// The reply is a canned response nobody has edited.
    pub from_canned_unmodified: bool,
    /// The customer's language when known from outside (`--lang`); it beats both the
    /// detected and the stored language.
    pub customer_language: Option<Language>,
}

/// Everything the checker found in one reply.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToneReport {
    /// Sorted by position, then severity.
    pub findings: Vec<Finding>,
    /// The reply's detected language.
    pub language: Language,
    /// The reply's detected formality (Ви/Вы vs ти/ты); `Unknown` for English.
    pub formality: Formality,
}

impl ToneReport {
    /// The mark for one commandment: any block fails it, any warning warns.
    pub fn verdict(&self, c: Commandment) -> Verdict {
        let worst = self
            .findings
            .iter()
            .filter(|f| f.commandment == c)
            .map(|f| f.severity)
            .min();
        match worst {
            Some(Severity::Block) => Verdict::Fail,
            Some(Severity::Warn) => Verdict::Warn,
            _ => Verdict::Pass,
        }
    }

    /// The most serious severity among the findings.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).min()
    }

    /// Whether sending needs an explicit confirmation.
    pub fn has_blocking(&self) -> bool {
        self.worst() == Some(Severity::Block)
    }
}

/// The learned layer shipped with firstline (`assets/tone/learned.bin`, trained by
/// `TONE_TRAIN=1 cargo test --test tone learned::train -- --ignored`); none when the
/// file is empty.
static LEARNED: LazyLock<Option<Arc<learned::Model>>> = LazyLock::new(|| {
    learned::Model::from_bytes(include_bytes!("../../assets/tone/learned.bin")).map(Arc::new)
});

static BUILTIN: LazyLock<Arc<RuleBook>> = LazyLock::new(|| {
    Arc::new(RuleBook::builtin().expect("the rules in assets/tone are valid; see tone tests"))
});

/// The shared built-in rule book (compiled on first use).
pub(crate) fn builtin_book() -> &'static RuleBook {
    &BUILTIN
}

/// Checks replies. Build once, reuse for every keystroke; cloning is cheap.
#[derive(Debug, Clone)]
pub struct Checker {
    book: Arc<RuleBook>,
    learned: Option<Arc<learned::Model>>,
    /// The customer's side of the last conversation checked: the composer checks
    /// the same ticket on every keystroke, and that side does not change with them.
    sides: checks::SideCache,
}

impl Checker {
    /// The rules shipped with firstline.
    pub fn builtin() -> Checker {
        Checker {
            book: Arc::clone(&BUILTIN),
            learned: LEARNED.clone(),
            sides: checks::SideCache::default(),
        }
    }

    /// Compiles every word list now (about 150 ms), so the first keystroke of a reply
    /// does not wait for it; the console calls this on a background thread at start.
    pub fn warm_up(&self) {
        self.book.prepare_all();
    }

    /// The built-in rules plus a user file (`tone.toml`): extra word rules, severity
    /// changes, rules switched off by id.
    pub fn with_user_rules(path: &Path) -> Result<Checker, ToneError> {
        let mut book = (**BUILTIN).clone();
        book.apply_user_file(path)?;
        Ok(Checker {
            book: Arc::new(book),
            learned: LEARNED.clone(),
            sides: checks::SideCache::default(),
        })
    }

    /// Like [`Checker::with_user_rules`] from the file's text; `origin` names it in errors.
    pub fn with_user_rules_str(text: &str, origin: &str) -> Result<Checker, ToneError> {
        let mut book = (**BUILTIN).clone();
        book.apply_user(text, origin)?;
        Ok(Checker {
            book: Arc::new(book),
            learned: LEARNED.clone(),
            sides: checks::SideCache::default(),
        })
    }

    /// Every rule id this checker knows, sorted: for help text and rules files.
    pub fn rule_ids(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.book.meta.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    /// The severity a rule's findings get (after the user's changes), or `None` for
    /// an unknown id.
    pub fn rule_severity(&self, id: &str) -> Option<Severity> {
        self.book.meta.get(id).map(|m| m.severity)
    }

    /// Whether the user switched the rule off.
    pub fn is_disabled(&self, id: &str) -> bool {
        self.book.disabled.contains(id)
    }

    /// This checker with another learned layer (or none): for training it and for
    /// measuring it on replies it was not trained on.
    pub fn with_learned(mut self, model: Option<learned::Model>) -> Checker {
        self.learned = model.map(Arc::new);
        self
    }

    /// What the learned layer reads of a reply (its hashed features), whether the
    /// rules alone found nothing at warning level, and what argues for caution: the
    /// input for training and measuring it.
    pub fn learning_features(
        &self,
        reply: &str,
        ctx: &ToneContext,
    ) -> (Vec<u32>, bool, learned::Caution) {
        let reply_lang = detect_language(reply);
        let side = self.sides.get(ctx, &self.book, reply_lang);
        let facts = checks::Facts::new(reply, ctx, &self.book, &side, reply_lang);
        let mut sink = checks::Sink::new(&self.book, reply, facts.reply_lang);
        checks::run_all(&facts, &mut sink);
        checks::learned::observe(&facts, &sink)
    }

    /// Checks one reply against everything known about the conversation.
    pub fn check(&self, reply: &str, ctx: &ToneContext) -> ToneReport {
        let reply_lang = detect_language(reply);
        let side = self.sides.get(ctx, &self.book, reply_lang);
        let facts = checks::Facts::new(reply, ctx, &self.book, &side, reply_lang);
        let mut sink = checks::Sink::new(&self.book, reply, facts.reply_lang);
        checks::run_all(&facts, &mut sink);
        if let Some(model) = &self.learned {
            checks::learned::run(&facts, &mut sink, model);
        }
        ToneReport {
            findings: sink.finish(),
            language: facts.reply_lang,
            formality: facts.reply_formality,
        }
    }
}

#[cfg(test)]
mod profile_tests {
    use super::*;

    #[test]
    fn language_from_the_customers_words_ignores_media_and_service_lines() {
        assert_eq!(
            customer_profile("[Media omitted]"),
            (Language::Other, Formality::Unknown),
            "a placeholder says nothing, so it cannot overwrite a known language"
        );
        assert_eq!(customer_profile("<Media omitted>").0, Language::Other);
        assert_eq!(customer_profile("Sent from my iPhone").0, Language::Other);
        let thread = [
            "[Media omitted]",
            "[attached: IMG-20261126-WA0003.jpg]",
            "Добрий день! Замовлення 7781 прийшло пошкодженим. Коробка мокра, чайник тріснув.",
        ];
        assert_eq!(customer_profile_across(thread).0, Language::Uk);
        let quoted = "Дякую, все працює, гарного вам дня.\n\nOn Mon, 23 Nov 2026 Support wrote:\n> Please try again and tell us whether the payment went through this time.";
        assert_eq!(customer_profile(quoted).0, Language::Uk);
        let signed = "Подскажите, пожалуйста, когда будет возврат?\n-- \nBest regards, John Smith\nSales Manager, Acme Trading Ltd";
        assert_eq!(customer_profile(signed).0, Language::Ru);
    }
}

#[cfg(test)]
mod fix_language_tests {
    use super::*;

    fn card_fix(reply: &str) -> String {
        let report = Checker::builtin().check(reply, &ToneContext::default());
        report
            .findings
            .iter()
            .find(|f| f.rule == "house.card-number")
            .and_then(|f| f.suggestion.clone())
            .unwrap_or_else(|| panic!("no card finding for {reply:?}: {report:?}"))
    }

    #[test]
    fn tone_fixes_are_written_in_the_replys_language() {
        let uk = card_fix("Добрий день! Ваша картка 4111 1111 1111 1111 вже перевірена, дякуємо.");
        assert_eq!(uk, "Покажіть лише останні чотири цифри: **** 1234.");
        let ru = card_fix("Здравствуйте! Ваша карта 4111 1111 1111 1111 уже проверена, спасибо.");
        assert_eq!(ru, "Покажите только последние четыре цифры: **** 1234.");
        let en = card_fix("Hello! Your card 4111 1111 1111 1111 has been checked, thank you.");
        assert_eq!(en, "Show only the last four digits: **** 1234.");
    }

    #[test]
    fn every_fix_has_a_ukrainian_and_a_russian_version() {
        let book = builtin_book();
        for meta in book.meta.values().filter(|m| m.suggestion.is_some()) {
            for lang in [Language::Uk, Language::Ru] {
                assert!(
                    book.suggestions.contains_key(&(meta.id.clone(), lang)),
                    "assets/tone/{lang}.toml has no [suggestions] entry for '{}'",
                    meta.id
                );
            }
        }
    }
}
