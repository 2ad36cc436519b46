//! Making text from outside safe and tidy for a terminal. Every string that came
//! from a customer (mail, chat, names, attachment names) passes through `sanitize`
//! before it is printed or drawn, so an escape sequence in a message is shown, never
//! obeyed: no retitled windows, no cleared screens, no OSC 52 clipboard writes.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Replaces control characters (C0 except newline and tab, DEL, C1) and bidi
/// overrides with visible escapes: ESC becomes `␛`, BEL `\x07`, U+202E `<U+202E>`.
/// The rest of an escape sequence then prints as harmless text.
pub fn sanitize(text: &str) -> String {
    sanitize_with(text, true)
}

/// Like [`sanitize`] but also turns newlines and tabs into spaces, for one-line cells.
pub fn sanitize_line(text: &str) -> String {
    sanitize_with(text, false)
}

fn sanitize_with(text: &str, keep_newlines: bool) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\n' if keep_newlines => out.push('\n'),
            '\t' if keep_newlines => out.push_str("    "),
            '\n' | '\t' => out.push(' '),
            '\r' => {}
            '\u{1b}' => out.push('␛'),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push_str(&format!("\\u{{{:x}}}", c as u32))
            }
            c if is_bidi_control(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The first `limit` bytes of `text` (cut at a character boundary) and how many
/// bytes were left out.
pub fn truncate_for_display(text: &str, limit: usize) -> (&str, usize) {
    if text.len() <= limit {
        return (text, 0);
    }
    let mut end = limit;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    (&text[..end], text.len() - end)
}

/// Joins lines that a mail client hard-wrapped (at 72–80 columns) back into
/// paragraphs, so a narrow pane wraps them once instead of leaving a ragged short
/// line after every long one. Short lines (greetings, sign-offs), list items, quoted
/// (`>`) and indented lines keep their breaks. Display only; stored text is untouched.
pub fn reflow(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        let Some(next) = lines.get(i + 1) else { break };
        let joins = line.trim_end().chars().count() >= 50
            && !keeps_break(line)
            && !keeps_break(next)
            && !next.trim().is_empty()
            && !line.trim_end().ends_with(':');
        out.push(if joins { ' ' } else { '\n' });
    }
    out
}

fn keeps_break(line: &str) -> bool {
    let t = line.trim_start();
    line.starts_with([' ', '\t'])
        || t.starts_with(['>', '-', '*', '•', '|'])
        || t.split_once(['.', ')']).is_some_and(|(n, _)| {
            !n.is_empty() && n.len() <= 3 && n.chars().all(|c| c.is_ascii_digit())
        })
}

/// Bidi embedding, override and isolate controls: they can make a line read in a
/// different order than it is stored ("Trojan Source").
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// Cuts `text` to at most `width` terminal columns, ending with `…` when cut. Wide
/// (CJK) characters count two columns and are never split.
pub fn fit(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let w = ch.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(ch);
    }
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_sequences_become_visible_text() {
        let hostile = "hi\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}]52;c;ZXZpbA==\u{7}";
        let safe = sanitize(hostile);
        assert!(!safe.contains('\u{1b}'));
        assert!(!safe.contains('\u{7}'));
        assert_eq!(safe, "hi␛]0;pwned\\x07␛[2J␛]52;c;ZXZpbA==\\x07");
    }

    #[test]
    fn c1_and_bidi_controls_are_shown() {
        assert_eq!(sanitize("a\u{9b}2J"), "a\\u{9b}2J");
        assert_eq!(sanitize("file\u{202e}gpj.exe"), "file<U+202E>gpj.exe");
    }

    #[test]
    fn keeps_cyrillic_and_newlines() {
        assert_eq!(sanitize("Привіт,\r\nсвіт"), "Привіт,\nсвіт");
        assert_eq!(sanitize_line("a\nb\tc"), "a b c");
    }

    #[test]
    fn reflow_joins_hard_wrapped_paragraphs_only() {
        let mail = "Hello,\n\nI was charged twice for my order #48213 yesterday — two payments of $64.90 show on\nmy card statement. I only placed one order.\n\nThanks,\nSarah";
        assert_eq!(
            reflow(mail),
            "Hello,\n\nI was charged twice for my order #48213 yesterday — two payments of $64.90 show on my card statement. I only placed one order.\n\nThanks,\nSarah"
        );
        let list = "Steps I tried before writing to you about the problem with login:\n- cleared the cookies\n- another browser";
        assert_eq!(reflow(list), list);
        let quoted = "> On Monday you wrote that the refund would arrive in a few business days\n> and it has not";
        assert_eq!(reflow(quoted), quoted);
        let numbered = "These are the things that happen when I press the button on the page\n1. nothing\n2) error";
        assert_eq!(reflow(numbered), numbered);
    }

    #[test]
    fn fit_counts_columns_not_bytes() {
        assert_eq!(fit("Олена Коваль", 20), "Олена Коваль");
        assert_eq!(fit("Олена Коваль", 6), "Олена…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
    }
}
