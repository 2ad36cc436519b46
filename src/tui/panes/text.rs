//! Text helpers for drawing: word wrapping by terminal columns (Cyrillic, combining
//! marks and wide characters measured right) and fixed-width cells.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Wraps one paragraph (no newlines) to `width` columns: at spaces when possible,
/// inside a word only when the word alone is too wide. A wide character is never
/// split; a combining mark stays with the letter before it.
pub fn wrap_line(line: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    if line.width() <= width {
        return vec![line.to_string()];
    }
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut cur_w = 0;
    for word in split_keep_spaces(line) {
        let w = word.width();
        if cur_w + w <= width {
            cur.push_str(word);
            cur_w += w;
            continue;
        }
        if word.trim().is_empty() {
            // A space at the break point is dropped, not carried to the next line.
            out.push(std::mem::take(&mut cur));
            cur_w = 0;
            continue;
        }
        if !cur.is_empty() {
            out.push(std::mem::take(&mut cur).trim_end().to_string());
            cur_w = 0;
            if w <= width {
                cur.push_str(word);
                cur_w = w;
                continue;
            }
        }
        for ch in word.chars() {
            let cw = ch.width().unwrap_or(0);
            if cur_w + cw > width && !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
                cur_w = 0;
            }
            cur.push(ch);
            cur_w += cw;
        }
    }
    if !cur.is_empty() || out.is_empty() {
        out.push(cur);
    }
    out
}

/// Wraps text with newlines: each paragraph on its own.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    text.split('\n').flat_map(|l| wrap_line(l, width)).collect()
}

fn split_keep_spaces(line: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, ch) in line.char_indices() {
        let space = ch == ' ';
        match in_space {
            Some(s) if s != space => {
                parts.push(&line[start..i]);
                start = i;
            }
            _ => {}
        }
        in_space = Some(space);
    }
    if start < line.len() {
        parts.push(&line[start..]);
    }
    parts
}

/// `text` cut or padded to exactly `width` columns.
pub fn cell(text: &str, width: usize) -> String {
    let fitted = crate::display::fit(text, width);
    let pad = width.saturating_sub(fitted.width());
    format!("{fitted}{}", " ".repeat(pad))
}

/// `text` right-aligned in `width` columns.
pub fn cell_right(text: &str, width: usize) -> String {
    let fitted = crate::display::fit(text, width);
    let pad = width.saturating_sub(fitted.width());
    format!("{}{fitted}", " ".repeat(pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_cyrillic_at_spaces_by_columns() {
        let lines = wrap_line("Добрий день! Не можу увійти в кабінет", 14);
        assert_eq!(lines, vec!["Добрий день!", "Не можу увійти", "в кабінет"]);
        assert!(lines.iter().all(|l| l.width() <= 14));
    }

    #[test]
    fn never_splits_a_wide_character() {
        let lines = wrap_line("日本語テキスト", 5);
        assert_eq!(lines, vec!["日本", "語テ", "キス", "ト"]);
    }

    #[test]
    fn combining_marks_stay_with_their_letter() {
        // "й" written as и + U+0306 is one column.
        let text = "и\u{306}и\u{306}и\u{306}и\u{306}";
        let lines = wrap_line(text, 2);
        assert_eq!(lines, vec!["и\u{306}и\u{306}", "и\u{306}и\u{306}"]);
    }

    #[test]
    fn long_word_breaks_inside_only_when_alone_too_wide() {
        let lines = wrap_line("see https://example.com/very/long/path ok", 12);
        assert!(lines.iter().all(|l| l.width() <= 12), "{lines:?}");
        assert_eq!(lines[0], "see");
    }

    #[test]
    fn cells_pad_by_columns() {
        assert_eq!(cell("Олена", 7), "Олена  ");
        assert_eq!(cell_right("5m", 4), "  5m");
        assert_eq!(cell("Олена Коваль", 6), "Олена…");
    }
}
