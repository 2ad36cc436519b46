//! `?`: every key of the pane the user is in, read from the live keymap table
//! (including their `[ui.keys]` overrides), with what each does.

use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::app::App;
use super::super::keymap::Context;
use super::text::{cell, wrap};
use crate::tui::layout::centered;

/// The keys column's width.
const KEYS: usize = 16;

/// The popup's width on a screen `screen_width` wide: room for the longest
/// description when there is, so at 120 columns nothing is cut; narrower, the
/// descriptions wrap.
fn popup_width(app: &App, context: Context, screen_width: u16) -> u16 {
    let widest = app
        .keymap
        .help(context)
        .iter()
        .map(|(_, action)| action.describe().chars().count())
        .max()
        .unwrap_or(0);
    let wanted = u16::try_from(KEYS + widest + 2).unwrap_or(u16::MAX).max(64);
    wanted.min(screen_width.saturating_sub(2))
}

/// The popup's lines for `context` at `width` columns inside the frame: keys, then
/// the description, wrapped under itself.
fn help_lines(app: &App, context: Context, width: usize) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (keys, action) in app.keymap.help(context) {
        let wrapped = wrap(&action.describe(), width.saturating_sub(KEYS).max(8));
        for (i, text) in wrapped.into_iter().enumerate() {
            let keys = if i == 0 { keys.clone() } else { String::new() };
            out.push((keys, text));
        }
    }
    out
}

/// The help popup's height for `rows` lines of keys on a screen `height` high.
fn popup_height(rows: usize, height: u16) -> u16 {
    (rows as u16 + 4).min(height.saturating_sub(2))
}

/// The scroll that shows the last page of keys (what `G` jumps to).
pub fn last_scroll(app: &App, context: Context) -> usize {
    let width = popup_width(app, context, app.size.0).saturating_sub(2);
    let rows = help_lines(app, context, usize::from(width)).len();
    let visible = usize::from(popup_height(rows, app.size.1).saturating_sub(2));
    rows.saturating_sub(visible)
}

/// Draws the help popup for `context`.
pub fn draw(frame: &mut Frame, app: &App, context: Context, scroll: usize) {
    let t = &app.theme;
    let area = frame.area();
    let w = popup_width(app, context, area.width);
    let rows = help_lines(app, context, usize::from(w.saturating_sub(2)));
    let h = popup_height(rows.len(), area.height);
    let rect = centered(area, w, h);
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
        .map(|(keys, text)| {
            Line::from(vec![
                Span::styled(cell(keys, KEYS), t.key),
                Span::raw(cell(text, width.saturating_sub(KEYS))),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}
