//! The one answer to "could this text act on a terminal or mislead its reader?",
//! for every test that checks output: C0 and C1 controls, DEL, and the bidi
//! controls (embeddings and overrides U+202A–202E, isolates U+2066–2069, and the
//! marks U+200E LRM, U+200F RLM, U+061C ALM). Newline is the only control allowed;
//! a tab is not (it moves the cursor, and sanitized text never holds one: the
//! sanitizer turns it into spaces).
//!
//! Included by path (`#[path = ".../support/controls.rs"] mod controls;`) so the
//! fuzz entry points, which the cargo-fuzz workspace compiles too, share it.

#![allow(dead_code)]

/// Whether `c` must never reach a terminal from outside text.
pub fn is_terminal_control(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(
            c,
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
        )
}

/// Every such character in `text`, with its byte offset, for failure messages.
pub fn terminal_controls(text: &str) -> Vec<(usize, char)> {
    text.char_indices()
        .filter(|(_, c)| is_terminal_control(*c))
        .collect()
}

/// Whether `text` holds anything [`is_terminal_control`] rejects.
pub fn has_terminal_controls(text: &str) -> bool {
    text.chars().any(is_terminal_control)
}
