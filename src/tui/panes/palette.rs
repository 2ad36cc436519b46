//! `:`: the command palette. Every named action, fuzzy-matched on its name and
//! description as the user types, with its key from the keymap beside it.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::action::Action;
use super::super::app::App;
use super::super::keymap::Context;
use super::text::cell;
use crate::display::sanitize_line;
use crate::tui::layout::centered;

/// Draws the palette.
pub fn draw(frame: &mut Frame, app: &App, input: &str, selected: usize, matches: &[Action]) {
    let t = &app.theme;
    let area = frame.area();
    // Wide enough for the longest description (name 20 + key 10 + frame), so at
    // 120 columns none is cut; a narrower screen cuts them.
    let widest = Action::named()
        .iter()
        .map(|a| a.describe().chars().count())
        .max()
        .unwrap_or(0);
    let wanted = u16::try_from(widest + 33).unwrap_or(u16::MAX).max(70);
    let rect = centered(
        area,
        wanted.min(area.width.saturating_sub(2)),
        16.min(area.height),
    );
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(" Run an action ", t.title))
        .title_bottom(Span::styled(" Enter run · ↑↓ choose · Esc close ", t.dim));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let w = usize::from(inner.width);
    let mut lines = vec![Line::from(vec![
        Span::styled(": ", t.key),
        Span::raw(format!("{}▏", sanitize_line(input))),
    ])];
    let room = usize::from(inner.height).saturating_sub(1);
    let start = selected.saturating_sub(room.saturating_sub(1));
    for (i, a) in matches.iter().enumerate().skip(start).take(room) {
        let key = app
            .keymap
            .key_for(Context::Inbox, a)
            .or_else(|| app.keymap.key_for(Context::Composer, a))
            .or_else(|| app.keymap.key_for(Context::Tone, a))
            .unwrap_or_default();
        let mut line = Line::from(vec![
            Span::raw(cell(&a.name(), 20)),
            Span::raw(cell(&a.describe(), w.saturating_sub(31))),
            Span::raw(" "),
            Span::styled(cell(&key, 10), t.key),
        ]);
        if i == selected {
            line = line.patch_style(t.selected);
        }
        lines.push(line);
    }
    if matches.is_empty() {
        lines.push(Line::styled("no action matches", t.dim));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
