//! The canned-response picker: filter as you type (ranked by `crate::canned::rank`,
//! the customer's language first), a list on the left, the rendered reply with its
//! unfilled placeholders highlighted on the right. Enter inserts at the cursor.

use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::app::{App, CannedPicker};
use super::text::{cell, wrap};
use crate::display::{sanitize, sanitize_line};
use crate::tui::layout::centered;

/// Draws the picker.
pub fn draw(frame: &mut Frame, app: &App, picker: &CannedPicker) {
    let t = &app.theme;
    let area = frame.area();
    let w = (area.width * 9 / 10).max(40);
    let h = (area.height * 8 / 10).max(10);
    let rect = centered(area, w, h);
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Span::styled(
            format!(
                " Canned responses · {} of {} ",
                picker.ranked.len(),
                picker.items.len()
            ),
            t.title,
        ))
        .title_bottom(Span::styled(
            " type to filter · ↑↓ choose · Enter insert · Esc close ",
            t.dim,
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [list_area, preview_area] =
        Layout::horizontal([Constraint::Percentage(40), Constraint::Fill(1)]).areas(inner);
    let lw = usize::from(list_area.width.saturating_sub(1));
    let mut lines = vec![Line::from(vec![
        Span::styled("filter ", t.key),
        Span::raw(format!("{}▏", sanitize_line(&picker.query))),
    ])];
    let room = usize::from(list_area.height).saturating_sub(1);
    let start = picker.selected.saturating_sub(room.saturating_sub(1));
    for (pos, &i) in picker.ranked.iter().enumerate().skip(start).take(room) {
        let Some(item) = picker.items.get(i) else {
            continue;
        };
        let star = if picker.query.trim().is_empty() && picker.suggested.contains(&item.id) {
            "★ "
        } else {
            ""
        };
        let label = format!(
            "{star}{} {} · {}",
            item.language,
            sanitize_line(&item.title),
            item.formality
        );
        let mut line = Line::raw(cell(&label, lw));
        if pos == picker.selected {
            line = line.patch_style(t.selected);
        }
        lines.push(line);
    }
    if picker.items.is_empty() {
        lines.extend(
            wrap("No canned responses in this queue yet.", lw)
                .into_iter()
                .map(|l| Line::styled(l, t.dim)),
        );
    } else if picker.ranked.is_empty() {
        lines.push(Line::styled("nothing matches", t.dim));
    }
    frame.render_widget(Paragraph::new(lines), list_area);

    let chosen = picker
        .ranked
        .get(picker.selected)
        .and_then(|i| picker.items.get(*i));
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(t.border)
        .title(Span::styled(" Preview ", t.dim));
    let pinner = block.inner(preview_area);
    frame.render_widget(block, preview_area);
    let Some(item) = chosen else { return };
    let rendered = app.render_canned(item);
    let pw = usize::from(pinner.width.saturating_sub(1)).max(10);
    let placeholders: Vec<String> = rendered
        .unfilled
        .iter()
        .filter_map(|r| rendered.text.get(r.clone()))
        .map(sanitize)
        .collect();
    let mut plines = Vec::new();
    for l in wrap(&sanitize(&rendered.text), pw) {
        plines.push(highlight(&l, &placeholders, t.placeholder));
    }
    if !placeholders.is_empty() {
        plines.push(Line::raw(""));
        plines.push(Line::styled(
            format!(
                "{} placeholder(s) to fill after inserting",
                placeholders.len()
            ),
            t.warn,
        ));
    }
    frame.render_widget(Paragraph::new(plines), pinner);
}

/// Highlights every occurrence of the placeholders in one wrapped line.
fn highlight<'a>(line: &str, placeholders: &[String], style: ratatui::style::Style) -> Line<'a> {
    let mut spans = Vec::new();
    let mut rest = line;
    while !rest.is_empty() {
        let next = placeholders
            .iter()
            .filter(|p| !p.is_empty())
            .filter_map(|p| rest.find(p.as_str()).map(|i| (i, p.len())))
            .min();
        match next {
            Some((i, len)) => {
                if i > 0 {
                    spans.push(Span::raw(rest[..i].to_string()));
                }
                spans.push(Span::styled(rest[i..i + len].to_string(), style));
                rest = &rest[i + len..];
            }
            None => {
                spans.push(Span::raw(rest.to_string()));
                break;
            }
        }
    }
    Line::from(spans)
}
