//! The composer: the reply or internal note being written, in a
//! `ratatui-textarea` editor, with the keys that act on it read from the keymap.

use std::ops::Range;

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;
use ratatui_textarea::DataCursor;

use super::super::action::Action;
use super::super::app::{App, ComposeMode, Focus, SELECTION_STYLE};
use super::super::keymap::Context;
use super::text::wrap_ranges;
use crate::display::{fit, sanitize_line};
use crate::model::text::byte_of_char;

/// Draws the composer into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Composer;
    let name = app
        .open
        .as_ref()
        .map(|o| sanitize_line(&o.detail.customer.name))
        .unwrap_or_default();
    let (title, border) = match app.composer.mode {
        ComposeMode::Reply => (format!(" Reply to {name} "), t.border_focus),
        ComposeMode::Note => (" Internal note — never sent ".to_string(), t.note),
        ComposeMode::Transcript => (
            format!(" Transcript of the chat with {name} — Ctrl-S files it "),
            t.border_focus,
        ),
        ComposeMode::Call => (
            format!(" Call with {name} — Ctrl-S logs it (and its follow-up) "),
            t.border_focus,
        ),
    };
    let hints: Vec<String> = [
        Action::Send,
        Action::OpenEditor,
        Action::Canned,
        Action::FocusTone,
        Action::Back,
    ]
    .iter()
    .filter_map(|a| {
        app.keymap.key_for(Context::Composer, a).map(|k| {
            let word = match a {
                Action::Send => "send",
                Action::OpenEditor => "editor",
                Action::Canned => "canned",
                Action::FocusTone => "tone",
                _ => "back",
            };
            format!("{k} {word}")
        })
    })
    .collect();
    // A draft shown beside the thread is not where keys go; saying so (and which
    // key goes in) keeps typing from being read as ticket commands unnoticed.
    let hints = if focused || app.focus == Focus::Tone {
        hints
    } else if app.composer.held_elsewhere {
        // Another console is writing this draft: this one only shows it.
        let key = app
            .keymap
            .key_for(Context::Conversation, &Action::Reply)
            .unwrap_or_default();
        vec![format!(
            "being edited in another console · {key} takes it over"
        )]
    } else {
        let key = app
            .keymap
            .key_for(
                Context::Conversation,
                &super::super::app::opening_action(app.composer.mode),
            )
            .unwrap_or_default();
        vec![format!("not active · {key} continues it")]
    };
    let hint = fit(
        &format!(" {} ", hints.join(" · ")),
        usize::from(area.width.saturating_sub(2)),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { border } else { t.border })
        .title(Span::styled(title, if focused { t.title } else { t.dim }))
        .title_bottom(Span::styled(hint, t.dim));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.composer.is_empty() && !focused {
        frame.render_widget(
            Paragraph::new(Span::styled("r reply · n note · c canned", t.dim)),
            inner,
        );
        return;
    }
    // The editor still draws first: that is how it learns the viewport its cursor
    // keys move in. Its own soft wrap breaks before punctuation and starts rows
    // with the space it broke at, so the text on screen is then drawn again,
    // wrapped by the same helper as the thread.
    frame.render_widget(&app.composer.textarea, inner);
    frame.render_widget(Clear, inner);
    frame.render_widget(Paragraph::new(wrapped_draft(app, inner)), inner);
}

/// The draft as screen rows of `area`: each line wrapped on its own (hard breaks
/// survive), the selection and the cursor cell styled as the editor styles them,
/// scrolled so the cursor's row is on screen.
fn wrapped_draft<'a>(app: &'a App, area: Rect) -> Vec<Line<'a>> {
    let ta = &app.composer.textarea;
    let width = usize::from(area.width).max(1);
    let DataCursor(cursor_row, cursor_col) = ta.cursor();
    let selection = ta.selection_range();
    let mut rows = Vec::new();
    let mut cursor_at = 0;
    for (r, line) in ta.lines().iter().enumerate() {
        let ranges = wrap_ranges(line, width);
        let cursor_byte = (r == cursor_row).then(|| byte_of_char(line, cursor_col));
        let last = ranges.len() - 1;
        for (i, range) in ranges.iter().enumerate() {
            // A row owns the spaces dropped after it, so a cursor there shows at its end.
            let row_end = ranges.get(i + 1).map_or(line.len(), |next| next.start);
            let cursor = cursor_byte
                .filter(|b| (range.start..row_end).contains(b) || (*b == line.len() && i == last));
            if cursor.is_some() {
                cursor_at = rows.len();
            }
            let sel = selection.and_then(|((sr, sc), (er, ec))| {
                if r < sr || r > er {
                    return None;
                }
                let from = if r == sr { byte_of_char(line, sc) } else { 0 };
                let to = if r == er {
                    byte_of_char(line, ec)
                } else {
                    line.len()
                };
                Some(from..to)
            });
            let styles = (SELECTION_STYLE, ta.cursor_style());
            rows.push(draft_row(line, range.clone(), sel, cursor, styles));
        }
    }
    let height = usize::from(area.height).max(1);
    let top = cursor_at.saturating_sub(height - 1);
    rows.into_iter().skip(top).take(height).collect()
}

/// One screen row: the bytes `shown` of `line`, with the part inside `selection`
/// and the character at `cursor` styled; a cursor past the shown text is a styled
/// space after it.
fn draft_row<'a>(
    line: &'a str,
    shown: Range<usize>,
    selection: Option<Range<usize>>,
    cursor: Option<usize>,
    (selection_style, cursor_style): (Style, Style),
) -> Line<'a> {
    let mut spans: Vec<Span<'a>> = Vec::new();
    let mut plain_from = shown.start;
    for (i, ch) in line[shown.clone()].char_indices() {
        let b = shown.start + i;
        let style = if cursor == Some(b) {
            cursor_style
        } else if selection.as_ref().is_some_and(|s| s.contains(&b)) {
            selection_style
        } else {
            continue;
        };
        if plain_from < b {
            spans.push(Span::raw(&line[plain_from..b]));
        }
        spans.push(Span::styled(&line[b..b + ch.len_utf8()], style));
        plain_from = b + ch.len_utf8();
    }
    if plain_from < shown.end {
        spans.push(Span::raw(&line[plain_from..shown.end]));
    }
    if cursor.is_some_and(|b| b >= shown.end) {
        spans.push(Span::styled(" ", cursor_style));
    }
    Line::from(spans)
}
