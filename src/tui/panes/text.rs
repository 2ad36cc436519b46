//! Text helpers for drawing: word wrapping by terminal columns (Cyrillic, combining
//! marks and wide characters measured right, via `textwrap`) and fixed-width cells.
//! Every pane that wraps text wraps it here, so the thread and the composer break
//! lines the same way.

use std::ops::Range;

use unicode_width::UnicodeWidthStr;

/// Wraps one paragraph (no newlines) to `width` columns with `textwrap`: at spaces
/// when possible, inside a word only when the word alone is too wide. Punctuation
/// stays with its word (only spaces are break points), the space at a break is
/// dropped rather than starting the next row, a wide character is never split and a
/// combining mark stays with the letter before it.
pub fn wrap_line(line: &str, width: usize) -> Vec<String> {
    wrap_ranges(line, width)
        .into_iter()
        .map(|r| line[r].to_string())
        .collect()
}

/// The byte ranges of `line` that [`wrap_line`] puts on each row, without the
/// spaces dropped at breaks. The composer needs ranges, not copies, to place the
/// cursor on the row it is drawn on.
pub fn wrap_ranges(line: &str, width: usize) -> Vec<Range<usize>> {
    let width = width.max(1);
    let words =
        textwrap::core::break_words(textwrap::WordSeparator::AsciiSpace.find_words(line), width);
    let rows = textwrap::wrap_algorithms::wrap_first_fit(&words, &[width as f64]);
    let offset = |s: &str| s.as_ptr() as usize - line.as_ptr() as usize;
    let ranges: Vec<Range<usize>> = rows
        .iter()
        .filter_map(|row| {
            let (first, last) = (row.first()?, row.last()?);
            Some(offset(first.word)..offset(last.word) + last.word.len())
        })
        .collect();
    if ranges.is_empty() {
        // An empty line is still a row (a blank line in a letter).
        return std::iter::once(0..0).collect();
    }
    ranges
}

/// Wraps text with newlines: each line on its own, so a hard line break always
/// survives wrapping.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    text.split('\n').flat_map(|l| wrap_line(l, width)).collect()
}

/// Packs `parts` into rows of at most `width` columns, joined by " · ", breaking
/// only between parts: a row never starts with a fragment of the part before
/// ("0 other" / "tickets" would read as a heading). A part too wide alone wraps.
pub fn pack_parts(parts: &[String], width: usize) -> Vec<String> {
    const SEP: &str = " · ";
    let mut rows: Vec<String> = Vec::new();
    let mut row = String::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        if row.is_empty() {
            row = part.clone();
        } else if row.width() + SEP.width() + part.width() <= width {
            row.push_str(SEP);
            row.push_str(part);
        } else {
            rows.push(std::mem::take(&mut row));
            row = part.clone();
        }
        if row.width() > width {
            let mut wrapped = wrap_line(&row, width);
            row = wrapped.pop().unwrap_or_default();
            rows.extend(wrapped);
        }
    }
    if !row.is_empty() {
        rows.push(row);
    }
    rows
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
    fn punctuation_stays_with_its_word_and_no_row_starts_with_a_space() {
        let line = "Відповімо протягом 24 години. Якщо ні, напишіть";
        for width in 10..line.width() {
            let rows = wrap_line(line, width);
            assert!(rows.iter().all(|r| r.width() <= width), "{width}: {rows:?}");
            assert!(
                rows.iter().all(|r| !r.starts_with([' ', '.', ','])),
                "{width}: {rows:?}"
            );
            assert_eq!(rows.join(" "), line, "{width}: nothing lost or added");
        }
    }

    #[test]
    fn hard_line_breaks_survive_wrapping() {
        let text = "I was charged twice for my order and nobody answered my mail at all.\nThanks,";
        let rows = wrap(text, 30);
        assert_eq!(rows.last().map(String::as_str), Some("Thanks,"), "{rows:?}");
    }

    #[test]
    fn wrap_ranges_cover_the_words_of_each_row() {
        let line = "ab cd  ef";
        let ranges = wrap_ranges(line, 5);
        assert_eq!(ranges, vec![0..5, 7..9]);
        assert_eq!(
            wrap_ranges("", 5),
            std::iter::once(0..0).collect::<Vec<_>>()
        );
        assert_eq!(
            wrap_ranges("  indented", 20),
            std::iter::once(0..10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn packed_parts_break_only_between_parts() {
        let parts: Vec<String> = [
            "Виктория Ремизова",
            "ru",
            "formal",
            "first contact 2026-11-26",
            "0 other tickets",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        let rows = pack_parts(&parts, 60);
        assert_eq!(
            rows,
            vec![
                "Виктория Ремизова · ru · formal · first contact 2026-11-26",
                "0 other tickets"
            ]
        );
        assert!(pack_parts(&parts, 8).iter().all(|r| r.width() <= 8));
    }

    #[test]
    fn cells_pad_by_columns() {
        assert_eq!(cell("Олена", 7), "Олена  ");
        assert_eq!(cell_right("5m", 4), "  5m");
        assert_eq!(cell("Олена Коваль", 6), "Олена…");
    }
}
