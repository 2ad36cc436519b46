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

/// Draws the tone pane into `area`: the checklist stays put, the findings below
/// it scroll (PgDn/PgUp while the pane has focus), worst first.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Tone;
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let (checklist, findings) = lines(app, usize::from(inner.width));
    let room = usize::from(inner.height).saturating_sub(checklist.len());
    let max_scroll = findings.len().saturating_sub(room);
    let scroll = app.tone.scroll.min(max_scroll);
    let hint = match (scroll > 0, scroll < max_scroll) {
        (_, true) => " Space/1-5 tick · PgDn more ",
        (true, false) => " Space/1-5 tick · PgUp back ",
        (false, false) => " Space/1-5 tick ",
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(" Tone ", t.title))
        .title_bottom(Span::styled(hint, t.dim));
    frame.render_widget(block, area);
    let mut shown = checklist;
    shown.extend(findings.into_iter().skip(scroll).take(room));
    frame.render_widget(Paragraph::new(shown), inner);
}

/// How far the findings can scroll in the tone pane of `area` (its outer
/// rectangle), so a key press past the end does not pile up.
pub fn max_scroll(app: &App, area: Rect) -> usize {
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let (checklist, findings) = lines(app, usize::from(inner.width));
    let room = usize::from(inner.height).saturating_sub(checklist.len());
    findings.len().saturating_sub(room)
}

/// The checklist rows (with the blank row under them) and the findings rows at
/// `w` columns. Findings are listed worst first, in reply order within a
/// severity, so a blocking one (a card number) is never below the fold.
fn lines<'a>(app: &App, w: usize) -> (Vec<Line<'a>>, Vec<Line<'a>>) {
    let t = &app.theme;
    let focused = app.focus == Focus::Tone;
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
    let checklist = std::mem::take(&mut lines);
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
        let mut worst_first: Vec<_> = report.findings.iter().collect();
        worst_first.sort_by_key(|f| f.severity);
        for f in worst_first {
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
    (checklist, lines)
}
