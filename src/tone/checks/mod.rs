//! The checks, one file per commandment, over shared [`Facts`] about the reply and
//! its conversation. Each check reports through a [`Sink`], which turns a rule id
//! and a span into a [`Finding`] with the rule's data, and drops what the user
//! switched off or what sits in quoted text.

mod expectations;
mod feel;
mod house;
mod ownership;
mod respect;
mod solve;

use super::formality::Markers;
use super::lang::detect_with_certainty;
use super::rules::RuleBook;
use super::text;
use super::{detect_language, Finding, Severity, ToneContext};
use crate::model::{Formality, Language};
use std::ops::Range;

/// What every check may want to know, computed once per reply.
pub(crate) struct Facts<'a> {
    pub reply: &'a str,
    pub ctx: &'a ToneContext<'a>,
    pub book: &'a RuleBook,
    pub reply_lang: Language,
    pub reply_formality: Formality,
    pub reply_markers: Markers,
    /// The reply with quoted lines blanked (same byte offsets): the agent's own words.
    pub own: String,
    owns: bool,
    /// The customer's message without quoted lines.
    pub customer: Option<String>,
    pub customer_lang: Option<Language>,
    /// False when the customer's language is only a statistical guess between
    /// Ukrainian and Russian.
    pub customer_lang_certain: bool,
    pub customer_formality: Formality,
}

impl<'a> Facts<'a> {
    pub(crate) fn new(reply: &'a str, ctx: &'a ToneContext<'a>, book: &'a RuleBook) -> Facts<'a> {
        let reply_lang = detect_language(reply);
        let reply_markers = Markers::find(reply, reply_lang, &book.lex);
        let customer = ctx
            .customer_message
            .map(text::own_words)
            .filter(|m| !m.trim().is_empty());
        let detected = customer
            .as_deref()
            .filter(|m| text::word_count(m) >= 2)
            .map(detect_with_certainty)
            .filter(|(l, _)| *l != Language::Other);
        let stored_lang = ctx
            .customer
            .map(|c| c.language)
            .filter(|l| *l != Language::Other);
        let firm = detected.filter(|(_, certain)| *certain).map(|(l, _)| l);
        let (customer_lang, customer_lang_certain) =
            match (ctx.customer_language, firm, stored_lang) {
                (Some(l), _, _) | (None, Some(l), _) | (None, None, Some(l)) => (Some(l), true),
                (None, None, None) => (detected.map(|(l, _)| l), false),
            };
        let mut customer_formality = match (&customer, customer_lang) {
            (Some(m), Some(lang)) => Markers::find(m, lang, &book.lex).formality(),
            _ => Formality::Unknown,
        };
        if customer_formality == Formality::Unknown {
            if let Some(c) = ctx.customer {
                customer_formality = c.formality;
            }
        }
        Facts {
            own: text::blank_quoted(reply),
            owns: book.lex.ownership.is_match(reply),
            reply,
            ctx,
            book,
            reply_lang,
            reply_formality: reply_markers.formality(),
            reply_markers,
            customer,
            customer_lang,
            customer_lang_certain,
            customer_formality,
        }
    }

    /// Whether the reply speaks of owning the problem ("I'll check", "ми перевіримо").
    pub(crate) fn owns_it(&self) -> bool {
        self.owns
    }
}

/// Collects findings, applying the rule book's data, the user's switches, and the
/// rule that quoted lines are not the reply's own words.
pub(crate) struct Sink<'a> {
    book: &'a RuleBook,
    reply: &'a str,
    /// The fixes are written in the reply's language (the agent is writing in it).
    reply_lang: Language,
    quoted: Vec<Range<usize>>,
    findings: Vec<Finding>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(book: &'a RuleBook, reply: &'a str, reply_lang: Language) -> Sink<'a> {
        Sink {
            book,
            reply,
            reply_lang,
            quoted: text::quoted_lines(reply),
            findings: Vec::new(),
        }
    }

    /// Reports `rule` at `span` (empty = the whole reply); `{found}` in the message
    /// becomes the spanned text.
    pub(crate) fn emit(&mut self, rule: &str, span: Range<usize>) {
        let found = self.reply.get(span.clone()).unwrap_or("").to_string();
        self.emit_with(rule, span, &found, None);
    }

    /// Reports with an explicit `{found}` text and, optionally, another severity.
    pub(crate) fn emit_with(
        &mut self,
        rule: &str,
        span: Range<usize>,
        found: &str,
        severity: Option<Severity>,
    ) {
        if self.book.disabled.contains(rule) {
            return;
        }
        if !span.is_empty() && self.quoted.iter().any(|q| q.contains(&span.start)) {
            return;
        }
        let Some(meta) = self.book.meta.get(rule) else {
            debug_assert!(
                false,
                "rule '{rule}' has no entry in assets/tone/rules.toml"
            );
            return;
        };
        let found = short(found);
        self.findings.push(Finding {
            rule: meta.id.clone(),
            commandment: meta.commandment,
            severity: severity.unwrap_or(meta.severity),
            span,
            message: meta.message.replace("{found}", &found),
            suggestion: self
                .book
                .suggestions
                .get(&(meta.id.clone(), self.reply_lang))
                .or(meta.suggestion.as_ref())
                .cloned(),
        });
    }

    /// Lowers every finding of `rule` to `severity` (used when context excuses it).
    pub(crate) fn soften(&mut self, rule: &str, severity: Severity) {
        for f in self.findings.iter_mut().filter(|f| f.rule == rule) {
            f.severity = f.severity.max(severity);
        }
    }

    pub(crate) fn finish(mut self) -> Vec<Finding> {
        self.findings.sort_by(|a, b| {
            (a.span.start, a.severity, &a.rule).cmp(&(b.span.start, b.severity, &b.rule))
        });
        self.findings
            .dedup_by(|a, b| a.rule == b.rule && a.span == b.span);
        self.findings
    }
}

/// Keeps quoted text in messages to one line of reasonable length.
fn short(found: &str) -> String {
    let one_line: String = found.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= 60 {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(57).collect();
    cut.push('…');
    cut
}

/// Runs every check.
pub(crate) fn run_all(f: &Facts, sink: &mut Sink) {
    for (id, lex) in &f.book.pattern_rules {
        for span in lex.find_iter(f.reply) {
            sink.emit(id, span);
        }
    }
    respect::run(f, sink);
    solve::run(f, sink);
    ownership::run(f, sink);
    feel::run(f, sink);
    expectations::run(f, sink);
    house::run(f, sink);
}
