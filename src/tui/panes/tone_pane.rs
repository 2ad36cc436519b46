//! The tone checklist beside the composer: the five commandments with the checker's
//! verdict (✓ ⚠ ✗) and the user's own tick for what a machine cannot judge, then
//! the findings with their suggestions. It follows the draft as it is typed.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::super::app::{App, ComposeMode, Focus};
use super::text::wrap;
use crate::display::{fit, sanitize_line};
use crate::tone::{Commandment, Severity, Verdict};

/// Draws the tone pane into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Tone;
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(" Tone ", t.title))
        .title_bottom(Span::styled(" Space/1-5 tick ", t.dim));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let report = &app.tone.report;
    let mut lines = Vec::new();
    for (i, c) in Commandment::ALL.iter().enumerate() {
        let (icon, style) = match report.verdict(*c) {
            Verdict::Pass => ("✓", t.ok),
            Verdict::Warn => ("⚠", t.warn),
            Verdict::Fail => ("✗", t.fail),
        };
        let (tick, num) = match c.number() {
            Some(n) => (
                if app.tone.ticks.get(i).copied().unwrap_or(false) {
                    "[x]"
                } else {
                    "[ ]"
                },
                n.to_string(),
            ),
            None => ("   ", " ".to_string()),
        };
        let mut line = Line::from(vec![
            Span::raw(format!("{tick} ")),
            Span::styled(icon, style),
            Span::raw(format!(" {num} ")),
            Span::raw(fit(c.title(), w.saturating_sub(8))),
        ]);
        if focused && i == app.tone.selected {
            line = line.patch_style(t.selected);
        }
        lines.push(line);
    }
    lines.push(Line::raw(""));
    if app.composer.mode == ComposeMode::Note {
        lines.push(Line::styled("Notes are not checked.", t.dim));
    } else if app.composer.mode == ComposeMode::Transcript {
        lines.push(Line::styled(
            "Transcripts are the customer's words; not checked.",
            t.dim,
        ));
    } else if app.composer.mode == ComposeMode::Call {
        lines.push(Line::styled(
            "Call notes are your record of the call; not checked.",
            t.dim,
        ));
    } else if report.findings.is_empty() {
        let text = if app.composer.is_empty() {
            "Type a reply; this list follows as you type."
        } else {
            "No findings. Tick what you checked yourself."
        };
        lines.extend(wrap(text, w).into_iter().map(|l| Line::styled(l, t.dim)));
    } else {
        for f in &report.findings {
            let (icon, style) = match f.severity {
                Severity::Block => ("✗ ", t.fail),
                Severity::Warn => ("⚠ ", t.warn),
                Severity::Hint => ("· ", t.dim),
            };
            let mut text = sanitize_line(&f.message);
            if let Some(s) = &f.suggestion {
                text.push_str(&format!(" → {}", sanitize_line(s)));
            }
            for (j, l) in wrap(&text, w.saturating_sub(2)).into_iter().enumerate() {
                lines.push(Line::from(vec![
                    Span::styled(if j == 0 { icon } else { "  " }, style),
                    Span::raw(l),
                ]));
            }
        }
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
