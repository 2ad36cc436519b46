//! The composer: the reply or internal note being written, in a
//! `ratatui-textarea` editor, with the keys that act on it read from the keymap.

use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

use super::super::action::Action;
use super::super::app::{App, ComposeMode, Focus};
use super::super::keymap::Context;
use crate::display::{fit, sanitize_line};

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
            ratatui::widgets::Paragraph::new(Span::styled("r reply · n note · c canned", t.dim)),
            inner,
        );
        return;
    }
    frame.render_widget(&app.composer.textarea, inner);
}
