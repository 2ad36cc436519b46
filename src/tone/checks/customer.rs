//! What the checker reads from the customer's side of the conversation alone: their
//! own words, language and formality, the words normalised for the grammar patterns,
//! the grammar lists found in them, their questions and whether they are upset.
//!
//! None of it depends on the reply, so the composer need not recompute it on every
//! keystroke: [`SideCache`] keeps the last one read (the ticket being answered) and
//! hands it back while the customer's message and record stay the same. Only the
//! language a message too short to tell is read in depends on the reply; that case is
//! keyed on the reply's language too.

use super::super::formality::{has_patronymic, Markers};
use super::super::grammar::{tokenize, Token};
use super::super::lang::detect_with_certainty;
use super::super::lexicon::offset_in;
use super::super::rules::{RuleBook, GRAMMAR_LISTS};
use super::super::{text, ToneContext};
use crate::model::{Formality, Language};
use std::ops::Range;
use std::sync::{Arc, Mutex};

/// How much of the customer's message is normalised for the grammar patterns.
const CUSTOMER_SAMPLE: usize = 4096;

/// The customer's side of the conversation, read once per message.
#[derive(Debug)]
pub(crate) struct CustomerSide {
    /// The customer's message without quoted lines, signatures or media placeholders.
    pub text: Option<String>,
    pub lang: Option<Language>,
    /// False when the customer's language is only a statistical guess between
    /// Ukrainian and Russian.
    pub lang_certain: bool,
    pub formality: Formality,
    /// The message, normalised in the customer's language.
    pub tokens: Vec<Token>,
    /// Grammar lists found in the message (only the contextual lists: rule ids
    /// found in a customer's words report nothing).
    pub hits: Vec<(&'static str, Range<usize>)>,
    /// Each question the customer asked, as a byte range of `text`.
    pub questions: Vec<Range<usize>>,
    /// Angry words, threats, profanity, shouting (`feel::is_upset`).
    pub upset: bool,
    /// The language the message was normalised in when its own was unknown (then the
    /// reply's): part of the cache key.
    fallback: Option<Language>,
}

impl CustomerSide {
    /// Reads the customer's side of `ctx`; `reply_lang` is used only when the
    /// customer's language cannot be told.
    pub(crate) fn read(ctx: &ToneContext, book: &RuleBook, reply_lang: Language) -> CustomerSide {
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
        let (lang, lang_certain) = match (ctx.customer_language, firm, stored_lang) {
            (Some(l), _, _) | (None, Some(l), _) | (None, None, Some(l)) => (Some(l), true),
            (None, None, None) => (detected.map(|(l, _)| l), false),
        };
        let mut formality = match (&customer, lang) {
            (Some(m), Some(lang)) => Markers::find(m, lang, &book.lex).customer_formality(m),
            _ => Formality::Unknown,
        };
        if formality == Formality::Unknown {
            if let Some(c) = ctx.customer {
                formality = c.formality;
            }
        }
        let fallback = lang.is_none().then_some(reply_lang);
        let lang_or_reply = lang.unwrap_or(reply_lang);
        // The customer's questions and mood are in the first few kilobytes; a pasted
        // log after them would only cost time.
        let tokens = customer
            .as_deref()
            .map(|m| crate::display::truncate_for_display(m, CUSTOMER_SAMPLE).0)
            .map(|m| tokenize(m, lang_or_reply))
            .unwrap_or_default();
        let hits: Vec<(&'static str, Range<usize>)> = book
            .grammar(lang_or_reply)
            .map(|g| g.matches(&tokens))
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(name, span)| {
                GRAMMAR_LISTS
                    .iter()
                    .find(|l| **l == name)
                    .map(|l| (*l, span))
            })
            .collect();
        if formality == Formality::Unknown {
            // Forms of address a stranger writes with ("Шановна службо…", "З повагою",
            // "Прошу…", name and patronymic) are formal even without a «Ви».
            let formal_words = hits.iter().any(|(n, _)| *n == "formal_customer");
            let patronymic = customer.as_deref().is_some_and(has_patronymic);
            if formal_words || patronymic {
                formality = Formality::Formal;
            }
        }
        let questions = customer
            .as_deref()
            .map(|m| {
                text::questions(m)
                    .into_iter()
                    .map(|q| {
                        let start = offset_in(m, q);
                        start..start + q.len()
                    })
                    .collect()
            })
            .unwrap_or_default();
        let upset = customer
            .as_deref()
            .is_some_and(|m| super::feel::is_upset(book, &hits, m));
        CustomerSide {
            upset,
            text: customer,
            lang,
            lang_certain,
            formality,
            tokens,
            hits,
            questions,
            fallback,
        }
    }
}

/// What a [`CustomerSide`] was read from.
#[derive(Debug, Clone, PartialEq)]
struct Key {
    message: Option<String>,
    stored: Option<(Language, Formality)>,
    told: Option<Language>,
}

impl Key {
    fn of(ctx: &ToneContext) -> Key {
        Key {
            message: ctx.customer_message.map(str::to_string),
            stored: ctx.customer.map(|c| (c.language, c.formality)),
            told: ctx.customer_language,
        }
    }

    fn matches(&self, ctx: &ToneContext) -> bool {
        self.message.as_deref() == ctx.customer_message
            && self.stored == ctx.customer.map(|c| (c.language, c.formality))
            && self.told == ctx.customer_language
    }
}

/// A cached customer side and what it was read from.
type Entry = Option<(Key, Arc<CustomerSide>)>;

/// The last customer side read, shared by a checker's clones (the composer checks
/// the same ticket on every keystroke). One entry: a new ticket replaces it.
#[derive(Debug, Clone, Default)]
pub(crate) struct SideCache {
    last: Arc<Mutex<Entry>>,
}

impl SideCache {
    /// The customer side of `ctx`: the cached one when it was read from the same
    /// message and record (and, for a message in no language of its own, the same
    /// reply language), else read now and kept.
    pub(crate) fn get(
        &self,
        ctx: &ToneContext,
        book: &RuleBook,
        reply_lang: Language,
    ) -> Arc<CustomerSide> {
        if let Ok(last) = self.last.lock() {
            if let Some((key, side)) = last.as_ref() {
                let same_lang = side.fallback.is_none_or(|l| l == reply_lang);
                if same_lang && key.matches(ctx) {
                    return Arc::clone(side);
                }
            }
        }
        let side = Arc::new(CustomerSide::read(ctx, book, reply_lang));
        if let Ok(mut last) = self.last.lock() {
            *last = Some((Key::of(ctx), Arc::clone(&side)));
        }
        side
    }
}
