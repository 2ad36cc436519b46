//! `?`: every key of the pane the user is in, read from the live keymap table
//! (including their `[ui.keys]` overrides), with what each does.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::app::App;
use super::super::keymap::Context;
use super::text::cell;
use crate::tui::layout::centered;

/// The help popup's height for `rows` lines of keys on a screen `height` high.
fn popup_height(rows: usize, height: u16) -> u16 {
    (rows as u16 + 4).min(height.saturating_sub(2))
}

/// The scroll that shows the last page of keys (what `G` jumps to).
pub fn last_scroll(app: &App, context: Context) -> usize {
    let rows = app.keymap.help(context).len();
    let visible = usize::from(popup_height(rows, app.size.1).saturating_sub(2));
    rows.saturating_sub(visible)
}

/// Draws the help popup for `context`.
pub fn draw(frame: &mut Frame, app: &App, context: Context, scroll: usize) {
    let t = &app.theme;
    let area = frame.area();
    let rows = app.keymap.help(context);
    let h = popup_height(rows.len(), area.height);
    let rect = centered(area, 64.min(area.width.saturating_sub(2)), h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(
            format!(" Keys — {} ", context.label()),
            t.title,
        ))
        .title_bottom(Span::styled(
            " Esc close · j/k scroll · change keys in [ui.keys] ",
            t.dim,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let width = usize::from(inner.width);
    let lines: Vec<Line> = rows
        .iter()
        .skip(scroll.min(rows.len().saturating_sub(1)))
        .map(|(keys, action)| {
            Line::from(vec![
                Span::styled(cell(keys, 16), t.key),
                Span::raw(cell(&action.describe(), width.saturating_sub(16))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
