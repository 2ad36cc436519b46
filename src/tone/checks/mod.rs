//! The checks, one file per commandment, over shared [`Facts`] about the reply and
//! its conversation. Each check reports through a [`Sink`], which turns a rule id
//! and a span into a [`Finding`] with the rule's data, and drops what the user
//! switched off or what sits in quoted text.

pub(crate) mod customer;
mod expectations;
mod feel;
mod house;
pub(crate) mod learned;
mod ownership;
mod respect;
mod solve;

use super::formality::Markers;
use super::grammar::{tokenize, Token};
use super::rules::RuleBook;
use super::text;
use super::{Finding, Severity, ToneContext};
use crate::model::{Formality, Language};
pub(crate) use customer::{CustomerSide, SideCache};
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
    pub customer: Option<&'a str>,
    pub customer_lang: Option<Language>,
    /// False when the customer's language is only a statistical guess between
    /// Ukrainian and Russian.
    pub customer_lang_certain: bool,
    pub customer_formality: Formality,
    /// The reply's own words (quotes left out), normalised for the grammar patterns.
    pub tokens: Vec<Token>,
    /// Grammar matches in the reply's own words: rule id or list name, and span.
    pub hits: Vec<(&'a str, Range<usize>)>,
    /// The customer's message, normalised in their language.
    pub customer_tokens: &'a [Token],
    /// Grammar matches in the customer's message.
    pub customer_hits: &'a [(&'static str, Range<usize>)],
    /// Everything read from the customer's side alone (cached per message).
    pub side: &'a CustomerSide,
}

impl<'a> Facts<'a> {
    /// The facts of `reply` in its conversation; `side` is the customer's side,
    /// read once per message ([`customer::SideCache`]), `reply_lang` the reply's
    /// detected language.
    pub(crate) fn new(
        reply: &'a str,
        ctx: &'a ToneContext<'a>,
        book: &'a RuleBook,
        side: &'a CustomerSide,
        reply_lang: Language,
    ) -> Facts<'a> {
        let reply_markers = Markers::find(reply, reply_lang, &book.lex);
        let own = text::blank_quoted(reply);
        let tokens = tokenize(&own, reply_lang);
        let hits = book
            .grammar(reply_lang)
            .map(|g| g.matches(&tokens))
            .unwrap_or_default();
        let owns =
            book.lex.ownership.is_match(reply) || hits.iter().any(|(n, _)| *n == "ownership");
        Facts {
            own,
            tokens,
            hits,
            customer_tokens: &side.tokens,
            customer_hits: &side.hits,
            owns,
            reply,
            ctx,
            book,
            reply_lang,
            reply_formality: reply_markers.formality(),
            reply_markers,
            customer: side.text.as_deref(),
            customer_lang: side.lang,
            customer_lang_certain: side.lang_certain,
            customer_formality: side.formality,
            side,
        }
    }

    /// The customer's questions, in their own words.
    pub(crate) fn customer_questions(&self) -> Vec<&'a str> {
        let Some(text) = self.customer else {
            return Vec::new();
        };
        self.side
            .questions
            .iter()
            .filter_map(|r| text.get(r.clone()))
            .collect()
    }

    /// Whether the reply speaks of owning the problem ("I'll check", "ми перевіримо").
    pub(crate) fn owns_it(&self) -> bool {
        self.owns
    }

    /// The first grammar match of a list in the reply's own words.
    pub(crate) fn hit(&self, name: &str) -> Option<Range<usize>> {
        self.hits
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, r)| r.clone())
    }

    /// Whether the reply sends the customer elsewhere (`ownership.deflection`, by word
    /// list or grammar): "please contact them" is then no next step of ours.
    /// Stretches of the reply in quotation marks that repeat the customer's own
    /// words ("you called our courier service «a joke»"): quoting an angry customer
    /// to acknowledge them is not the agent insulting anyone.
    pub(crate) fn quoted_customer_words(&self) -> Vec<Range<usize>> {
        let Some(customer) = self.customer else {
            return Vec::new();
        };
        let said = super::morph::fold(customer);
        let mut out = Vec::new();
        for (open, close) in [('«', '»'), ('“', '”'), ('"', '"')] {
            let mut from = 0;
            while let Some(i) = self.own[from..].find(open) {
                let start = from + i + open.len_utf8();
                let Some(j) = self.own[start..].find(close) else {
                    break;
                };
                let end = start + j;
                let inner = super::morph::fold(self.own[start..end].trim());
                if inner.chars().count() >= 3 && said.contains(&inner) {
                    out.push(start..end);
                } else if !inner.is_empty() {
                    let words: Vec<(Range<usize>, &str)> = text::words(&inner).collect();
                    let heads = |w: &str| w.chars().take(4).collect::<String>();
                    let known = words
                        .iter()
                        .filter(|(_, w)| said.contains(&heads(w)))
                        .count();
                    if !words.is_empty() && known * 3 >= words.len() * 2 {
                        out.push(start..end);
                    }
                }
                from = end + close.len_utf8();
            }
        }
        out
    }

    pub(crate) fn deflects(&self) -> bool {
        self.hit("ownership.deflection").is_some()
            || self
                .book
                .pattern_rules
                .iter()
                .any(|(id, l)| id == "ownership.deflection" && l.is_match(&self.own))
    }

    /// Whether the customer's message matches a grammar list.
    pub(crate) fn customer_hit(&self, name: &str) -> bool {
        self.customer_hits.iter().any(|(n, _)| *n == name)
    }

    /// A word list or its grammar patterns found in the reply's own words.
    pub(crate) fn find(
        &self,
        lexicon: &super::lexicon::Lexicon,
        name: &str,
    ) -> Option<Range<usize>> {
        lexicon.find(self.reply).or_else(|| self.hit(name))
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
    /// Treats these stretches like quoted lines: not the reply's own words.
    pub(crate) fn also_quoted(&mut self, spans: Vec<Range<usize>>) {
        self.quoted.extend(spans);
    }

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
        if !span.is_empty()
            && self
                .quoted
                .iter()
                .any(|q| q.contains(&span.start) || q.start == span.start)
        {
            return;
        }
        // A word list and a grammar pattern may both find the same words.
        let overlaps = |f: &Finding| {
            f.rule == rule && !span.is_empty() && f.span.start < span.end && span.start < f.span.end
        };
        if self.findings.iter().any(overlaps) {
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

    /// Drops the findings of `rule` whose span `excused` says is not meant.
    pub(crate) fn drop_excused(&mut self, rule: &str, excused: impl Fn(&Range<usize>) -> bool) {
        self.findings
            .retain(|f| f.rule != rule || f.span.is_empty() || !excused(&f.span));
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
    sink.also_quoted(f.quoted_customer_words());
    for (id, lex) in &f.book.pattern_rules {
        for span in lex.find_iter(f.reply) {
            sink.emit(id, span);
        }
    }
    for (name, span) in &f.hits {
        if f.book.meta.contains_key(*name) {
            sink.emit(name, span.clone());
        }
    }
    respect::run(f, sink);
    solve::run(f, sink);
    ownership::run(f, sink);
    feel::run(f, sink);
    expectations::run(f, sink);
    house::run(f, sink);
}

/// Whether a negation ("not", "nothing", "n't", «не», «ні», «ничего») comes in the
/// five words before `at`, in the same clause: no sentence end, comma, "because" or
/// "but" between ("we can't refund it, because you entered…" still blames).
pub(super) fn negated(text: &str, at: usize) -> bool {
    let head = &text[..at];
    let start = head
        .char_indices()
        .rfind(|(_, c)| matches!(c, '.' | '!' | '?' | '\n' | ',' | ';' | '—' | ':'))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let words: Vec<String> = text::words(&head[start..])
        .map(|(_, w)| w.to_lowercase())
        .collect();
    let clause_breaks = [
        "because",
        "since",
        "as",
        "but",
        "so",
        "бо",
        "тому",
        "оскільки",
        "але",
        "проте",
        "потому",
        "так",
        "но",
        "однако",
        "поэтому",
    ];
    let from = words
        .iter()
        .rposition(|w| clause_breaks.contains(&w.as_str()))
        .map_or(0, |i| i + 1);
    let tail = &words[from.max(words.len().saturating_sub(5))..];
    tail.iter().any(|w| {
        matches!(
            w.as_str(),
            "not"
                | "nothing"
                | "never"
                | "no"
                | "не"
                | "ні"
                | "нічого"
                | "ничего"
                | "нет"
                | "ані"
                | "ни"
        ) || w.ends_with("n't")
            || w.ends_with("n’t")
    }) || tail
        .windows(2)
        // "can't" read as the words "can" and "t".
        .any(|p| p[1] == "t" && p[0].ends_with('n'))
}

/// The sentence of `text` holding `span`: from after the last `.`, `!`, `?` or line
/// break before it to the next one after it.
pub(super) fn sentence_around(text: &str, span: &Range<usize>) -> Range<usize> {
    let ends = ['.', '!', '?', '\n', '…'];
    let start = text[..span.start].rfind(ends).map_or(0, |i| i + 1);
    let end = text[span.end..]
        .find(ends)
        .map_or(text.len(), |i| span.end + i);
    start..end
}

/// Whether `head` (a sentence up to some point) holds a condition or an "otherwise":
/// what follows is said for a case that may not come ("If it isn't back by 7, call…",
/// «Якщо ні — телефонуйте…», «Если к 19:30 воды не будет, звоните…»).
pub(super) fn conditioned(head: &str) -> bool {
    let words: Vec<String> = text::words(head).map(|(_, w)| w.to_lowercase()).collect();
    words.iter().any(|w| {
        matches!(
            w.as_str(),
            "if" | "unless" | "otherwise" | "якщо" | "інакше" | "если" | "иначе"
        )
    }) || words.windows(2).any(|p| {
        matches!(
            (p[0].as_str(), p[1].as_str()),
            ("in", "case") | ("у", "разі") | ("в", "разі") | ("в", "случае")
        )
    })
}
