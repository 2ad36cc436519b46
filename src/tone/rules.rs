//! Loading the rules: the built-in data in `assets/tone/` (rule metadata plus word
//! patterns per language) and an optional user file that adds word rules, changes
//! severities or switches rules off. Everything is compiled once into a [`RuleBook`];
//! checking never parses or compiles anything.

use super::grammar::Grammar;
use super::lexicon::Lexicon;
use super::{Commandment, Severity};
use crate::model::Language;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

const RULES: &str = include_str!("../../assets/tone/rules.toml");
const LANGUAGES: &[(&str, &str)] = &[
    ("en", include_str!("../../assets/tone/en.toml")),
    ("uk", include_str!("../../assets/tone/uk.toml")),
    ("ru", include_str!("../../assets/tone/ru.toml")),
];

/// Why rules could not be loaded. Each message names the file and what to change.
#[derive(Debug, thiserror::Error)]
pub enum ToneError {
    /// The user rules file could not be read.
    #[error("cannot read tone rules {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("tone rules {origin}: {message}")]
    Parse { origin: String, message: String },
    /// A pattern is not a valid regular expression.
    #[error("tone rules {origin}: rule '{rule}' has a bad pattern: {message}")]
    Pattern {
        origin: String,
        rule: String,
        message: String,
    },
    /// `disable` or `severity` names a rule that does not exist (likely a typo).
    #[error("tone rules {origin}: unknown rule id '{rule}'; known ids: {known}")]
    UnknownRule {
        origin: String,
        rule: String,
        known: String,
    },
}

/// What a finding of one rule says and how serious it is.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleMeta {
    pub id: String,
    pub commandment: Commandment,
    pub severity: Severity,
    pub message: String,
    #[serde(default)]
    pub suggestion: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    acronyms: Vec<String>,
    generic_signature: Vec<String>,
    team_words: Vec<String>,
    stop_words: Vec<String>,
    rule: Vec<RuleMeta>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LanguageFile {
    patterns: BTreeMap<String, Vec<String>>,
    lexicon: BTreeMap<String, Vec<String>>,
    /// Each rule's fix in this language, for replies written in it.
    #[serde(default)]
    suggestions: BTreeMap<String, String>,
    /// Patterns over normalised words (see `grammar`), by rule id or list name.
    #[serde(default)]
    grammar: BTreeMap<String, Vec<String>>,
    /// Word classes the grammar patterns name as `@class`.
    #[serde(default)]
    classes: HashMap<String, Vec<String>>,
}

/// The user's `tone.toml`.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, default)]
struct UserFile {
    disable: Vec<String>,
    severity: BTreeMap<String, Severity>,
    rule: Vec<UserRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UserRule {
    id: String,
    #[serde(default = "house_rules")]
    commandment: Commandment,
    #[serde(default = "warn")]
    severity: Severity,
    message: String,
    #[serde(default)]
    suggestion: Option<String>,
    #[serde(default)]
    patterns: Vec<String>,
    #[serde(default)]
    words: Vec<String>,
}

fn house_rules() -> Commandment {
    Commandment::HouseRules
}
fn warn() -> Severity {
    Severity::Warn
}

/// The word lists the contextual checks consult, merged over all languages (a reply
/// may mix them, and the lists do not collide).
#[derive(Debug, Clone)]
pub(crate) struct Lexicons {
    pub refusal: Lexicon,
    pub alternative: Lexicon,
    pub ownership: Lexicon,
    pub acknowledgement: Lexicon,
    pub upset: Lexicon,
    pub howto: Lexicon,
    pub steps: Lexicon,
    pub time_frame: Lexicon,
    pub next_step: Lexicon,
    pub in_progress: Lexicon,
    pub resolved: Lexicon,
    pub confirm_request: Lexicon,
    pub closing: Lexicon,
    /// Ви/Вы and ти/ты markers, per language: endings that mark a formal imperative
    /// in one language are ordinary nouns in the other ("сайте").
    pub formality: Vec<(Language, Lexicon, Lexicon)>,
}

impl Lexicons {
    /// The (formal, informal) marker lists of `lang`, if it has them.
    pub(crate) fn formality_of(&self, lang: Language) -> Option<(&Lexicon, &Lexicon)> {
        self.formality
            .iter()
            .find(|(l, _, _)| *l == lang)
            .map(|(_, f, i)| (f, i))
    }
}

/// Every rule, compiled and ready.
#[derive(Debug, Clone)]
pub(crate) struct RuleBook {
    pub meta: HashMap<String, RuleMeta>,
    /// A rule's fix in a reply's language, where the language file gives one; the
    /// English suggestion in `meta` is the fallback.
    pub suggestions: HashMap<(String, Language), String>,
    /// Rules that are nothing but a word list, in file order.
    pub pattern_rules: Vec<(String, Lexicon)>,
    pub lex: Lexicons,
    pub acronyms: HashSet<String>,
    pub generic_signature: HashSet<String>,
    /// Words that make a signature line a team name ("Team", "команда").
    pub team_words: HashSet<String>,
    /// Words that say nothing about what a question asks (see `feel`).
    pub stop_words: HashSet<String>,
    pub disabled: HashSet<String>,
    /// Grammar patterns per language, over normalised words.
    pub grammars: Vec<(Language, Grammar)>,
}

/// The contextual lists a grammar pattern may add to besides rule ids.
pub(crate) const GRAMMAR_LISTS: &[&str] = &[
    "refusal",
    "alternative",
    "ownership",
    "acknowledgement",
    "upset",
    "howto",
    "steps",
    "time_frame",
    "next_step",
    "in_progress",
    "resolved",
    "confirm_request",
    "problem",
    "question_reference",
    "formal_customer",
    "instruction",
    "yes_no",
    "done",
    "short_refusal",
    // Structure: a request answered with a plain no, vague next steps, "when…?"
    // questions and promises the customer says were broken.
    "request",
    "negative_answer",
    "affirmative",
    "vague_next",
    // Commandment 3 by structure: the cause placed on someone else or on the
    // customer, and the customer sent elsewhere (checks/ownership.rs).
    "shift",
    "redirect",
    "customer_cause",
    "when_question",
    "rhetorical",
    "broken_promise",
    "offer",
    // The customer asks whether a call, message or charge came from us.
    "asks_if_us",
];

impl RuleBook {
    /// The grammar for a reply in `lang`, if that language has one.
    pub(crate) fn grammar(&self, lang: Language) -> Option<&Grammar> {
        self.grammars
            .iter()
            .find(|(l, g)| *l == lang && !g.is_empty())
            .map(|(_, g)| g)
    }

    /// Compiles every word list now: the contextual lists (an upset customer, Ви/ти
    /// markers) are otherwise first compiled on the first keystroke of a reply.
    pub(crate) fn prepare_all(&self) {
        let x = &self.lex;
        let contextual = [
            &x.refusal,
            &x.alternative,
            &x.ownership,
            &x.acknowledgement,
            &x.upset,
            &x.howto,
            &x.steps,
            &x.time_frame,
            &x.next_step,
            &x.in_progress,
            &x.resolved,
            &x.confirm_request,
            &x.closing,
        ];
        let formality = x.formality.iter().flat_map(|(_, f, i)| [f, i]);
        let rules = self.pattern_rules.iter().map(|(_, l)| l);
        for lexicon in contextual.into_iter().chain(formality).chain(rules) {
            lexicon.prepare();
        }
    }

    /// Compiles the data shipped in `assets/tone/`.
    pub(crate) fn builtin() -> Result<RuleBook, ToneError> {
        let origin = "assets/tone/rules.toml";
        let rules: RulesFile = toml::from_str(RULES).map_err(|e| parse_error(origin, e))?;
        let mut patterns: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut lexicon: BTreeMap<String, Vec<String>> = BTreeMap::new();
        let mut order: Vec<String> = Vec::new();
        let mut formality = Vec::new();
        let mut suggestions = HashMap::new();
        let mut grammars = Vec::new();
        let rule_ids: HashSet<&str> = rules.rule.iter().map(|r| r.id.as_str()).collect();
        for (lang, text) in LANGUAGES {
            let origin = format!("assets/tone/{lang}.toml");
            let mut file: LanguageFile =
                toml::from_str(text).map_err(|e| parse_error(&origin, e))?;
            for (id, list) in file.patterns {
                if !order.contains(&id) {
                    order.push(id.clone());
                }
                patterns.entry(id).or_default().extend(list);
            }
            let language: Language = lang.parse().map_err(|_| ToneError::Parse {
                origin: origin.clone(),
                message: format!("unknown language '{lang}'"),
            })?;
            for (id, fix) in std::mem::take(&mut file.suggestions) {
                if !rules.rule.iter().any(|r| r.id == id) {
                    return Err(ToneError::Parse {
                        origin,
                        message: format!("a suggestion for '{id}' but no [[rule]] with that id"),
                    });
                }
                suggestions.insert((id, language), fix);
            }
            let grammar_rules: Vec<(String, Vec<String>)> =
                std::mem::take(&mut file.grammar).into_iter().collect();
            for (name, _) in &grammar_rules {
                if !rule_ids.contains(name.as_str()) && !GRAMMAR_LISTS.contains(&name.as_str()) {
                    return Err(ToneError::Parse {
                        origin,
                        message: format!("[grammar] '{name}' is neither a rule id nor a list"),
                    });
                }
            }
            let grammar =
                Grammar::compile(&grammar_rules, &file.classes, language).map_err(|message| {
                    ToneError::Pattern {
                        origin: origin.clone(),
                        rule: "grammar".into(),
                        message,
                    }
                })?;
            grammars.push((language, grammar));
            let formal = file.lexicon.remove("formal").unwrap_or_default();
            let informal = file.lexicon.remove("informal").unwrap_or_default();
            if !formal.is_empty() || !informal.is_empty() {
                formality.push((
                    language,
                    compile(&origin, "formal", &formal)?,
                    compile(&origin, "informal", &informal)?,
                ));
            }
            for (name, list) in file.lexicon {
                lexicon.entry(name).or_default().extend(list);
            }
        }
        let meta: HashMap<String, RuleMeta> =
            rules.rule.into_iter().map(|r| (r.id.clone(), r)).collect();
        let mut pattern_rules = Vec::new();
        for id in order {
            if !meta.contains_key(&id) {
                return Err(ToneError::Parse {
                    origin: origin.into(),
                    message: format!("word patterns for '{id}' but no [[rule]] with that id"),
                });
            }
            let list = patterns.remove(&id).unwrap_or_default();
            let lex = compile(origin, &id, &list)?;
            pattern_rules.push((id, lex));
        }
        let mut take = |name: &str| -> Result<Lexicon, ToneError> {
            let list = lexicon.remove(name).ok_or_else(|| ToneError::Parse {
                origin: "assets/tone".into(),
                message: format!("missing [lexicon] list '{name}'"),
            })?;
            compile("assets/tone", name, &list)
        };
        let lex = Lexicons {
            refusal: take("refusal")?,
            alternative: take("alternative")?,
            ownership: take("ownership")?,
            acknowledgement: take("acknowledgement")?,
            upset: take("upset")?,
            howto: take("howto")?,
            steps: take("steps")?,
            time_frame: take("time_frame")?,
            next_step: take("next_step")?,
            in_progress: take("in_progress")?,
            resolved: take("resolved")?,
            confirm_request: take("confirm_request")?,
            closing: take("closing")?,
            formality,
        };
        if let Some(name) = lexicon.keys().next() {
            return Err(ToneError::Parse {
                origin: "assets/tone".into(),
                message: format!("unknown [lexicon] list '{name}'"),
            });
        }
        Ok(RuleBook {
            meta,
            suggestions,
            pattern_rules,
            lex,
            acronyms: rules.acronyms.iter().map(|a| a.to_uppercase()).collect(),
            generic_signature: rules
                .generic_signature
                .iter()
                .map(|w| w.to_lowercase())
                .collect(),
            team_words: rules.team_words.iter().map(|w| w.to_lowercase()).collect(),
            stop_words: rules.stop_words.iter().map(|w| w.to_lowercase()).collect(),
            disabled: HashSet::new(),
            grammars,
        })
    }

    /// Applies a user rules file's text on top of this book. `origin` names it in errors.
    pub(crate) fn apply_user(&mut self, text: &str, origin: &str) -> Result<(), ToneError> {
        let user: UserFile = toml::from_str(text).map_err(|e| parse_error(origin, e))?;
        for rule in user.rule {
            let mut lex_source = rule.patterns.clone();
            let literal = Lexicon::literal(&rule.words).map_err(|message| ToneError::Pattern {
                origin: origin.into(),
                rule: rule.id.clone(),
                message,
            })?;
            if rule.patterns.is_empty() && rule.words.is_empty() {
                return Err(ToneError::Parse {
                    origin: origin.into(),
                    message: format!("rule '{}' needs `patterns` or `words`", rule.id),
                });
            }
            let lex = if lex_source.is_empty() {
                literal
            } else {
                lex_source.extend(rule.words.iter().map(|w| regex::escape(w)));
                compile(origin, &rule.id, &lex_source)?
            };
            self.meta.insert(
                rule.id.clone(),
                RuleMeta {
                    id: rule.id.clone(),
                    commandment: rule.commandment,
                    severity: rule.severity,
                    message: rule.message,
                    suggestion: rule.suggestion,
                },
            );
            self.pattern_rules.retain(|(id, _)| id != &rule.id);
            self.pattern_rules.push((rule.id, lex));
        }
        for id in user.disable {
            self.known(origin, &id)?;
            self.disabled.insert(id);
        }
        for (id, severity) in user.severity {
            self.known(origin, &id)?;
            if let Some(meta) = self.meta.get_mut(&id) {
                meta.severity = severity;
            }
        }
        Ok(())
    }

    fn known(&self, origin: &str, id: &str) -> Result<(), ToneError> {
        if self.meta.contains_key(id) {
            return Ok(());
        }
        let mut ids: Vec<&str> = self.meta.keys().map(String::as_str).collect();
        ids.sort_unstable();
        Err(ToneError::UnknownRule {
            origin: origin.into(),
            rule: id.into(),
            known: ids.join(", "),
        })
    }

    /// Reads and applies a user rules file.
    pub(crate) fn apply_user_file(&mut self, path: &Path) -> Result<(), ToneError> {
        let text = std::fs::read_to_string(path).map_err(|source| ToneError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        self.apply_user(&text, &path.display().to_string())
    }
}

fn compile(origin: &str, rule: &str, list: &[String]) -> Result<Lexicon, ToneError> {
    Lexicon::compile(list).map_err(|message| ToneError::Pattern {
        origin: origin.into(),
        rule: rule.into(),
        message,
    })
}

fn parse_error(origin: &str, err: toml::de::Error) -> ToneError {
    ToneError::Parse {
        origin: origin.into(),
        message: err.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warming_up_compiles_every_word_list_the_checks_consult() {
        let book = RuleBook::builtin().unwrap();
        assert!(!book.lex.upset.is_compiled(), "lists start uncompiled");
        book.prepare_all();
        let x = &book.lex;
        for lexicon in [&x.refusal, &x.upset, &x.closing, &x.time_frame] {
            assert!(lexicon.is_compiled());
        }
        assert!(x
            .formality
            .iter()
            .all(|(_, f, i)| f.is_compiled() && i.is_compiled()));
        assert!(book.pattern_rules.iter().all(|(_, l)| l.is_compiled()));
    }
}
