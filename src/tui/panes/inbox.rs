//! The inbox list: one row per ticket with unread/mark, status, priority, time left
//! on the SLA (or age), customer, subject (with ◷ when a follow-up is due), channel
//! and tags. Only the rows on screen
//! are read from `App`'s window, so a 100k-ticket queue draws as fast as ten.

use chrono::{DateTime, Utc};
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::super::app::{App, Focus};
use super::text::{cell, cell_right};
use crate::display::sanitize_line;
use crate::model::{Priority, Status, TicketSummary};
use crate::sla::{human_duration, reply_due};

/// Put before the subject of a ticket with a follow-up due (one column wide in every
/// terminal font, unlike the emoji clocks).
pub const FOLLOWUP_MARK: &str = "◷ ";

/// Put before the subject of a ticket whose reply the outbox has not delivered.
pub const UNDELIVERED_MARK: &str = "reply not delivered · ";

/// Column widths for an inner width; channel and tags appear when there is room.
struct Columns {
    customer: usize,
    subject: usize,
    channel: usize,
    tags: usize,
}

impl Columns {
    fn for_width(w: usize) -> Columns {
        let fixed = 2 + 5 + 5 + 7; // marks, status, priority, sla
        let customer = if w >= 70 { 16 } else { 11 };
        let channel = if w >= 76 { 6 } else { 0 };
        let tags = if w >= 96 {
            16
        } else if w >= 78 {
            10
        } else {
            0
        };
        let subject = w.saturating_sub(fixed + customer + 1 + channel + tags);
        Columns {
            customer,
            subject,
            channel,
            tags,
        }
    }
}

/// Draws the inbox into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Inbox;
    let title = match &app.inbox.search {
        // The first answer is not in: the rows below are still the view's, so no
        // count yet ("2 found" was the view's size, read as the search's).
        Some(q) if app.searching && app.inbox.hits.is_none() => {
            format!(" Search “{}” · searching… ", sanitize_line(q))
        }
        Some(q) => format!(
            " Search “{}” · {} found ",
            sanitize_line(q),
            app.inbox.len()
        ),
        // Narrowed to a team view, the title names both: "Needs reply" alone over
        // the unassigned tickets read as the whole queue (a new user's trial).
        None => match app.team.scope {
            Some(scope) => format!(
                " {} · {} · {} ",
                scope.label(),
                app.inbox.view.label(),
                app.inbox.len()
            ),
            None => format!(" {} · {} ", app.inbox.view.label(), app.inbox.len()),
        },
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(title, t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let w = usize::from(inner.width);
    let cols = Columns::for_width(w);
    let mut lines: Vec<Line> = Vec::new();
    if app.inbox.search_editing || app.inbox.search.is_some() {
        let q = sanitize_line(app.inbox.search.as_deref().unwrap_or_default());
        let cursor = if app.inbox.search_editing { "▏" } else { "" };
        // The query `/` reopened is selected: what is typed replaces it.
        let query = if app.inbox.search_selected && app.inbox.search_editing {
            Span::styled(q.to_string(), crate::tui::app::SELECTION_STYLE)
        } else {
            Span::raw(q.to_string())
        };
        lines.push(Line::from(vec![
            Span::styled("/ ", t.key),
            query,
            Span::raw(cursor),
            Span::styled("  words \"phrase\" from: status: tag: after:", t.dim),
        ]));
    }
    let mut header = format!(
        "  {}{}{} {} ",
        cell("stat", 5),
        cell("pri", 5),
        cell_right("due", 6),
        cell("customer", cols.customer)
    );
    header.push_str(&cell("subject", cols.subject));
    if cols.channel > 0 {
        header.push_str(&cell("chan", cols.channel));
    }
    if cols.tags > 0 {
        header.push_str(&cell("tags", cols.tags));
    }
    lines.push(Line::styled(header, t.dim));
    let rows_room = usize::from(inner.height).saturating_sub(lines.len());
    let top = visible_top(app, rows_room);
    if app.inbox.is_empty() {
        lines.push(Line::styled(
            match app.inbox.search {
                Some(_) if app.searching => "  Searching…",
                Some(_) => "  Nothing matches. Esc clears the search.",
                // The first frame is drawn before the list is read.
                None if app.rows_pending() => "  Loading the list…",
                None => "  Nothing here. Tab or 1-6 switch views.",
            },
            t.dim,
        ));
    }
    let sel = app.inbox.selected;
    for i in top..(top + rows_room).min(app.inbox.len()) {
        let Some(row) = app.inbox.row(i) else {
            lines.push(Line::styled("  …", t.dim));
            continue;
        };
        let mut line = row_line(app, row, &cols);
        // The cursor row is drawn only while it is what actions hit: a highlight on
        // one ticket beside a thread of another invites a keypress on the wrong one.
        if i == sel && app.cursor_is_the_pane() {
            line = line.patch_style(if focused {
                t.selected
            } else {
                t.selected.add_modifier(ratatui::style::Modifier::DIM)
            });
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// First row on screen: `App`'s idea of it, corrected so the cursor is visible.
fn visible_top(app: &App, rows_room: usize) -> usize {
    let sel = app.inbox.selected;
    let top = app.inbox.top;
    if sel < top {
        sel
    } else if rows_room > 0 && sel >= top + rows_room {
        sel + 1 - rows_room
    } else {
        top
    }
}

/// Lines above the first ticket row: the search line (when searching) and the
/// column header.
fn header_lines(app: &App) -> usize {
    1 + usize::from(app.inbox.search_editing || app.inbox.search.is_some())
}

/// The inbox row drawn at screen line `y` of the inbox `area`, if any.
pub fn row_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    let inner_top = area.y + 1;
    let first = usize::from(inner_top) + header_lines(app);
    let rows_room = usize::from(area.height.saturating_sub(2)).saturating_sub(header_lines(app));
    let offset = usize::from(y).checked_sub(first)?;
    let i = visible_top(app, rows_room) + offset;
    (offset < rows_room && i < app.inbox.len()).then_some(i)
}

fn row_line<'a>(app: &App, row: &TicketSummary, cols: &Columns) -> Line<'a> {
    let t = &app.theme;
    let tk = &row.ticket;
    let now = app.now();
    let marked = app.inbox.marked.contains(&tk.id);
    let mut spans = vec![
        Span::styled(if marked { "▶" } else { " " }, t.marked),
        Span::styled(if tk.unread { "●" } else { " " }, t.unread),
        Span::styled(
            cell(status_short(tk.status), 5),
            status_style(app, tk.status),
        ),
        Span::styled(
            cell(priority_short(tk.priority), 5),
            priority_style(app, tk.priority),
        ),
    ];
    let (due_text, due_style) = match due_cell(&app.config.sla, tk, now) {
        DueCell::Overdue(text) => (text, t.overdue),
        DueCell::Soon(text) => (text, t.due_soon),
        DueCell::Later(text) => (text, t.base),
        DueCell::Nothing => (String::new(), t.base),
    };
    spans.push(Span::styled(cell_right(&due_text, 6), due_style));
    spans.push(Span::raw(" "));
    let name_style = if tk.unread { t.unread } else { t.base };
    spans.push(Span::styled(
        cell(&sanitize_line(&row.customer_name), cols.customer),
        name_style,
    ));
    spans.push(Span::raw(" "));
    let mut subject_room = cols.subject.saturating_sub(1);
    if let Some(due) = app.counts.followup_tickets.get(&tk.id) {
        // A follow-up is due on this ticket: a clock before the subject, red once
        // the promised time has passed.
        let style = if *due < now { t.overdue } else { t.due_soon };
        spans.push(Span::styled(FOLLOWUP_MARK, style));
        subject_room = subject_room.saturating_sub(FOLLOWUP_MARK.chars().count());
    }
    if app.undelivered_tickets.contains(&tk.id) {
        // Back in Needs reply because our answer never left: say why on the row.
        let mark = crate::display::fit(UNDELIVERED_MARK, subject_room);
        subject_room = subject_room.saturating_sub(mark.chars().count());
        spans.push(Span::styled(mark, t.overdue));
    }
    spans.push(Span::styled(
        cell(&sanitize_line(&tk.subject), subject_room),
        name_style,
    ));
    spans.push(Span::raw(" "));
    if cols.channel > 0 {
        spans.push(Span::styled(cell(tk.channel.as_str(), cols.channel), t.dim));
    }
    if cols.tags > 0 {
        let tags: Vec<String> = tk
            .tags
            .iter()
            .map(|g| format!("#{}", sanitize_line(g)))
            .collect();
        spans.push(Span::styled(cell(&tags.join(" "), cols.tags), t.tag));
    }
    Line::from(spans)
}

/// Four-letter status for the list.
pub fn status_short(s: Status) -> &'static str {
    match s {
        Status::New => "new",
        Status::Open => "open",
        Status::Pending => "pend",
        Status::OnHold => "hold",
        Status::Solved => "solv",
        Status::Closed => "clos",
        Status::Spam => "spam",
    }
}

fn priority_short(p: Priority) -> &'static str {
    match p {
        Priority::Urgent => "URG",
        Priority::High => "high",
        Priority::Normal => "norm",
        Priority::Low => "low",
    }
}

fn status_style(app: &App, s: Status) -> Style {
    match s {
        Status::New => app.theme.unread,
        Status::Solved | Status::Closed | Status::Spam => app.theme.dim,
        _ => app.theme.base,
    }
}

fn priority_style(app: &App, p: Priority) -> Style {
    match p {
        Priority::Urgent => app.theme.urgent,
        Priority::High => app.theme.high,
        Priority::Normal => app.theme.base,
        Priority::Low => app.theme.dim,
    }
}

/// What the due column says about one ticket.
#[derive(Debug, Clone, PartialEq, Eq)]
enum DueCell {
    Overdue(String),
    /// Due within the hour.
    Soon(String),
    Later(String),
    /// Nobody waits on us (solved, answered, pending, snoozed): a time there would
    /// read as a deadline that does not exist, so the cell stays empty.
    Nothing,
}

/// The due column: time left until the reply is due, only for a ticket that needs one.
fn due_cell(
    sla: &crate::config::SlaConfig,
    tk: &crate::model::Ticket,
    now: DateTime<Utc>,
) -> DueCell {
    if !tk.needs_reply(now) {
        return DueCell::Nothing;
    }
    let Some(due) = reply_due(sla, tk) else {
        return DueCell::Nothing;
    };
    let left = due - now;
    let text = human_duration(left);
    if left < chrono::Duration::zero() {
        DueCell::Overdue(text)
    } else if left < chrono::Duration::hours(1) {
        DueCell::Soon(text)
    } else {
        DueCell::Later(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn ticket(status: Status, waiting: Option<DateTime<Utc>>) -> crate::model::Ticket {
        let at = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap();
        crate::model::Ticket {
            id: 1,
            subject: "Refund".into(),
            status,
            priority: Priority::Normal,
            channel: crate::model::Channel::Email,
            tags: vec![],
            assignee: None,
            customer_id: 1,
            created_at: at,
            updated_at: at,
            first_response_at: None,
            resolved_at: None,
            snoozed_until: None,
            escalation: None,
            awaiting_reply_since: waiting,
            unread: false,
            version: 1,
        }
    }

    #[test]
    fn issue13_6_due_column_is_empty_for_solved_or_answered_tickets() {
        let sla = crate::config::SlaConfig::default();
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 4, 0).unwrap();
        for (status, waiting) in [
            (Status::Solved, None),
            (Status::Closed, None),
            (Status::Open, None),
            (Status::Pending, None),
        ] {
            assert_eq!(
                due_cell(&sla, &ticket(status, waiting), now),
                DueCell::Nothing,
                "{status} with nobody waiting shows no time"
            );
        }
        let waiting = ticket(Status::Open, Some(now - chrono::Duration::minutes(4)));
        assert!(
            matches!(due_cell(&sla, &waiting, now), DueCell::Later(t) if t == "7h56m"),
            "a waiting ticket shows the time left"
        );
    }
}
