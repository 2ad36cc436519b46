//! The top line (view tabs with counts) and the bottom line (needs-reply and overdue
//! counts, view, sort, the last action's message or error, and where help is).

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

use super::super::action::Action;
use super::super::app::{sort_label, App};
use super::super::keymap::Context;
use crate::display::sanitize_line;
use crate::store::View;

/// The view tabs: `1 Needs reply 5 │ 2 All 9 …`, the active one underlined.
pub fn draw_header(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let mut spans = vec![Span::styled(" firstline ", t.title)];
    let short = area.width < 100;
    for (i, v) in View::ALL.iter().enumerate() {
        let label = if short {
            match v {
                View::NeedsReply => "Reply",
                View::All => "All",
                View::Pending => "Pend",
                View::Snoozed => "Snz",
                View::Escalated => "Esc",
                View::Solved => "Done",
            }
        } else {
            v.label()
        };
        let style = if *v == app.inbox.view && app.inbox.search.is_none() {
            t.tab_active
        } else {
            t.base
        };
        spans.push(Span::styled("│", t.dim));
        spans.push(Span::styled(format!("{}", i + 1), t.key));
        spans.push(Span::styled(
            format!(" {label} {} ", app.counts.per_view[i]),
            style,
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status bar.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let needs = app.counts.per_view[0];
    let mut spans = vec![
        Span::styled(format!(" {needs} need reply"), t.unread),
        Span::styled(" · ", t.dim),
        Span::styled(
            format!("{} overdue", app.counts.overdue),
            if app.counts.overdue > 0 {
                t.overdue
            } else {
                t.base
            },
        ),
        Span::styled(
            match app.counts.oldest_waiting {
                Some(since) if needs > 0 => format!(
                    " · oldest waits {}",
                    crate::sla::human_duration(app.now() - since)
                ),
                _ => String::new(),
            },
            t.dim,
        ),
        Span::styled(" · ", t.dim),
        Span::raw(match &app.inbox.search {
            Some(q) => format!("search \"{}\"", sanitize_line(q)),
            None => app.inbox.view.label().to_string(),
        }),
        Span::styled(format!(" · sort {}", sort_label(app.inbox.sort)), t.dim),
    ];
    if !app.inbox.marked.is_empty() {
        spans.push(Span::styled(
            format!(" · {} marked", app.inbox.marked.len()),
            t.marked,
        ));
    }
    if app.searching {
        spans.push(Span::styled(" · searching…", t.due_soon));
    } else if app.busy() {
        spans.push(Span::styled(" · counting…", t.dim));
    }
    if let Some(m) = &app.message {
        spans.push(Span::styled(" │ ", t.dim));
        spans.push(Span::styled(
            sanitize_line(&m.text),
            if m.error { t.error } else { t.info },
        ));
    }
    let ctx = Context::Inbox;
    let help = app
        .keymap
        .key_for(ctx, &Action::Help)
        .unwrap_or_else(|| "?".into());
    let palette = app
        .keymap
        .key_for(ctx, &Action::Palette)
        .unwrap_or_else(|| ":".into());
    let hint = format!("{help} help · {palette} commands ");
    let used: usize = spans.iter().map(|s| s.content.width()).sum();
    let room = usize::from(area.width);
    if used + hint.width() < room {
        spans.push(Span::raw(" ".repeat(room - used - hint.width())));
        spans.push(Span::styled(hint, t.dim));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}
