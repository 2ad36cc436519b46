//! Making text from outside safe and tidy for a terminal. Every string that came
//! from a customer (mail, chat, names, attachment names) passes through `sanitize`
//! before it is printed or drawn, so an escape sequence in a message is shown, never
//! obeyed: no retitled windows, no cleared screens, no OSC 52 clipboard writes.

use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Replaces control characters and bidi overrides with visible forms, so an escape
/// sequence in a message is shown, never obeyed. Every control takes one form, its
/// Unicode control picture: ESC `␛`, BEL `␇`, NUL `␀`, DEL `␡`. A C1 control is the
/// 7-bit sequence it stands for (U+009B CSI is `␛[`), so "␛[2J" reads the same
/// however it was sent. Bidi controls, which have no picture, become `<U+202E>`.
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
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push(control_picture(c)),
            c if (0x80..0xa0).contains(&(c as u32)) => {
                out.push('␛');
                out.push(char::from(c as u8 - 0x40));
            }
            c if is_bidi_control(c) => out.push_str(&format!("<U+{:04X}>", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// The Control Pictures block character for a C0 control or DEL (U+2400 + code,
/// U+2421 for DEL).
fn control_picture(c: char) -> char {
    match c {
        '\u{7f}' => '␡',
        c => char::from_u32(0x2400 + c as u32).unwrap_or('�'),
    }
}

/// The first `limit` bytes of `text` (cut at a character boundary) and how many
/// bytes were left out.
pub fn truncate_for_display(text: &str, limit: usize) -> (&str, usize) {
    let end = crate::model::text::floor_char_boundary(text, limit);
    (&text[..end], text.len() - end)
}

/// Joins lines that a mail client hard-wrapped (at 72–80 columns) back into
/// paragraphs, so a narrow pane wraps them once instead of leaving a ragged short
/// line after every long one. Display only; stored text is untouched.
///
/// A break is taken for a client's wrap only when everything says so: the message
/// is wrapped at all (no line wider than a client wraps at), the line stops
/// mid-sentence, the next line goes on in lower case, and the next line's first
/// word would not have fitted on this one. Any doubt keeps the break, because a
/// wrongly kept break only looks ragged while a wrong join changes what the
/// customer wrote ("Проверьте, пожалуйста.\nС уважением, …" on one line).
/// Greetings, sign-offs, list items, quoted (`>`) and indented lines keep theirs.
pub fn reflow(text: &str) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    let longest = lines
        .iter()
        .map(|l| l.trim_end().chars().count())
        .max()
        .unwrap_or(0);
    let hard_wrapped = longest <= MAIL_WRAP_MAX;
    let wrap_width = longest.max(MAIL_WRAP_MIN);
    let mut out = String::with_capacity(text.len());
    for (i, line) in lines.iter().enumerate() {
        out.push_str(line);
        let Some(next) = lines.get(i + 1) else { break };
        let joins = hard_wrapped && is_client_wrap(line, next, wrap_width);
        out.push(if joins { ' ' } else { '\n' });
    }
    out
}

/// The widest a mail client hard-wraps (RFC 5322 recommends 78; some count a few
/// columns more); a message with a longer line was not hard-wrapped, so none of
/// its breaks are wraps.
const MAIL_WRAP_MAX: usize = 90;

/// The narrowest clients wrap at (Thunderbird, vim `tw=72`): a line shorter than
/// that with room left for the next word was broken on purpose.
const MAIL_WRAP_MIN: usize = 72;

/// Whether the break between `line` and `next` is a client's wrap at `wrap_width`.
fn is_client_wrap(line: &str, next: &str, wrap_width: usize) -> bool {
    let body = line.trim_end();
    let len = body.chars().count();
    let Some(next_word) = next.split_whitespace().next() else {
        return false;
    };
    len >= 50
        && !keeps_break(line)
        && !keeps_break(next)
        && !body.ends_with(['.', '!', '?', ':', ';', '…', ',', ')', '"', '»'])
        && next_word.chars().next().is_some_and(char::is_lowercase)
        && len + 1 + next_word.chars().count() > wrap_width
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

/// `1 new ticket`, `3 new tickets`: a count with the noun that fits it (English
/// output only; `one` and `many` are whole phrases so adjectives stay put).
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
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
        assert_eq!(safe, "hi␛]0;pwned␇␛[2J␛]52;c;ZXZpbA==␇");
    }

    #[test]
    fn every_control_has_one_visible_form() {
        assert_eq!(
            sanitize("bell\u{7} nul\u{0} del\u{7f} bs\u{8}"),
            "bell␇ nul␀ del␡ bs␈"
        );
        assert_eq!(sanitize("a\u{9b}2J"), "a␛[2J", "C1 CSI reads as ESC [");
        assert_eq!(sanitize("\u{9d}0;t\u{9c}"), "␛]0;t␛\\");
    }

    #[test]
    fn bidi_controls_are_shown() {
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
    fn reflow_keeps_a_short_line_after_a_long_one() {
        let signed = "Я оплатила заказ, но в личном кабинете он до сих пор не отображается.\nПроверьте, пожалуйста.\nС уважением, Виктория Ремизова";
        assert_eq!(reflow(signed), signed);
        let thanks =
            "I have tried everything you suggested last week and nothing helped…\nThanks,\nSarah";
        assert_eq!(reflow(thanks), thanks);
        let unwrapped = "This message was written in a client that never wraps, so its lines run long past eighty columns\nand this line is its own line";
        assert_eq!(reflow(unwrapped), unwrapped);
        let fitted =
            "My address for the replacement is the same as on the order,\nflat 12, 5 Shevchenka St";
        assert_eq!(reflow(fitted), fitted, "a comma ends a clause: keep it");
        let room = "The parcel arrived today but the box was wet and the kettle was\nok";
        assert_eq!(
            reflow(room),
            room,
            "\"ok\" would have fitted: the break was meant"
        );
    }

    #[test]
    fn fit_counts_columns_not_bytes() {
        assert_eq!(fit("Олена Коваль", 20), "Олена Коваль");
        assert_eq!(fit("Олена Коваль", 6), "Олена…");
        assert_eq!(fit("日本語テキスト", 5), "日本…");
    }
}
