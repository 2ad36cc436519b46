//! Which PostgreSQL text search configuration the queue's search vectors and queries
//! use: one switch for the index (`messages`) and the queries (`search`), in a file
//! of its own so neither imports the other for it.

use std::sync::atomic::{AtomicU8, Ordering};

/// A text search configuration the queue's search was measured with (README, "Team
/// mode": the table). [`TextConfig::Simple`] is the one in use: it alone answers
/// like SQLite on every search case of the conformance suite; the others are kept
/// so the measurement can be run again (`tests/team_search_measure.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextConfig {
    /// Words as split and folded by `search_words`, no stemming, no stop words.
    Simple,
    /// PostgreSQL's `english`: Snowball English stems, English stop words.
    English,
    /// PostgreSQL's `russian`: Snowball Russian (and English for Latin words).
    Russian,
    /// `firstline_uk`: the Hunspell Ukrainian dictionary (Debian `hunspell-uk`)
    /// through PostgreSQL's ispell template, then `simple`; the measurement creates
    /// it in its database.
    UkrainianHunspell,
}

impl TextConfig {
    pub const ALL: [TextConfig; 4] = [
        TextConfig::Simple,
        TextConfig::English,
        TextConfig::Russian,
        TextConfig::UkrainianHunspell,
    ];

    /// The configuration's name in SQL (a fixed word, never user input).
    pub fn name(self) -> &'static str {
        match self {
            TextConfig::Simple => "simple",
            TextConfig::English => "english",
            TextConfig::Russian => "russian",
            TextConfig::UkrainianHunspell => "firstline_uk",
        }
    }
}

/// The configuration in use; only a measurement changes it (process-wide).
static TEXT_CONFIG: AtomicU8 = AtomicU8::new(0);

/// The configuration search vectors and queries are built with.
pub(crate) fn text_config() -> TextConfig {
    TextConfig::ALL[usize::from(TEXT_CONFIG.load(Ordering::Relaxed)) % TextConfig::ALL.len()]
}

/// For the measurement only: index and search with `config` in this whole process
/// from now on. A queue indexed with one configuration answers wrongly when
/// searched with another, so nothing but a measurement on fresh databases calls it.
#[doc(hidden)]
pub fn measure_with(config: TextConfig) {
    let at = TextConfig::ALL
        .iter()
        .position(|c| *c == config)
        .unwrap_or(0);
    TEXT_CONFIG.store(at as u8, Ordering::Relaxed);
}
