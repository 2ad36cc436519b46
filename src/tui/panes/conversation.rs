//! The conversation: ticket facts, the thread with one-line headers (who, when),
//! internal notes set apart with a bar and their own colour, attachments, and the
//! customer sidebar (other tickets, first contact, language, formality). Text is
//! sanitized and wrapped by columns here, so escapes show and Cyrillic wraps right.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::super::app::{App, Focus, OpenTicket};
use super::inbox::status_short;
use super::text::{pack_parts, wrap};
use crate::display::{fit, sanitize, sanitize_line};
use crate::model::{Direction, Message};
use crate::sla::human_duration;

/// Width of the customer sidebar, shown when the pane is at least 90 columns.
const SIDEBAR: u16 = 30;

/// Draws the open ticket into `area`.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let focused = app.focus == Focus::Conversation;
    let Some(open) = &app.open else {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(t.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let text = match app.loading() {
            Some(id) => format!(" Loading #{id}…"),
            None if app.rows_pending() => " Loading…".to_string(),
            None => " No ticket selected.".to_string(),
        };
        frame.render_widget(Paragraph::new(Line::styled(text, t.dim)), inner);
        return;
    };
    let tk = &open.detail.ticket;
    let title = format!(" #{} {} ", tk.id, sanitize_line(&tk.subject));
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(if focused { t.border_focus } else { t.border })
        .title(Span::styled(
            fit(&title, usize::from(area.width.saturating_sub(4))),
            t.title,
        ))
        .title_bottom(Span::styled(
            fit(&hints(app), usize::from(area.width.saturating_sub(4))),
            t.dim,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let (pinned, pin_area, thread_area, side) = split_pinned(app, open, inner);
    frame.render_widget(Paragraph::new(pinned), pin_area);
    let (lines, _) = thread(app, open, thread_area, side.is_none());
    let height = usize::from(thread_area.height);
    let max_scroll = lines.len().saturating_sub(height);
    let scroll = open.scroll.min(max_scroll);
    let visible: Vec<Line> = lines.into_iter().skip(scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), thread_area);
    if let Some(side) = side {
        sidebar(frame, side, app, open);
    }
}

/// The thread and, when wide enough, the customer sidebar.
fn split(inner: Rect) -> (Rect, Option<Rect>) {
    if inner.width >= 90 {
        let [a, b] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(SIDEBAR)]).areas(inner);
        (a, Some(b))
    } else {
        (inner, None)
    }
}

/// [`split`], with the follow-up line pinned above the thread so it shows however
/// far the thread is scrolled: the lines, their area, the thread, the sidebar.
fn split_pinned<'a>(
    app: &App,
    open: &OpenTicket,
    inner: Rect,
) -> (Vec<Line<'a>>, Rect, Rect, Option<Rect>) {
    let (thread_area, side) = split(inner);
    let width = usize::from(thread_area.width.saturating_sub(1)).max(10);
    // Who else is on this ticket (team mode), then the follow-up.
    let mut pinned: Vec<Line<'a>> = app
        .presence_line()
        .map(|who| Line::styled(fit(&format!("● {who}"), width), app.theme.warn))
        .into_iter()
        .collect();
    pinned.extend(
        open.followup
            .as_ref()
            .map(|f| followup_lines(app, open, f, width))
            .unwrap_or_default(),
    );
    let rows = u16::try_from(pinned.len()).unwrap_or(u16::MAX);
    let [pin_area, thread_area] =
        Layout::vertical([Constraint::Length(rows), Constraint::Fill(1)]).areas(thread_area);
    (pinned, pin_area, thread_area, side)
}

/// Every line of the thread at this width, and the line each message starts on.
fn thread<'a>(
    app: &App,
    open: &OpenTicket,
    area: Rect,
    compact: bool,
) -> (Vec<Line<'a>>, Vec<usize>) {
    let width = usize::from(area.width.saturating_sub(1)).max(10);
    let mut lines = facts(app, open, width);
    if compact {
        lines.extend(compact_customer(app, open, width));
    }
    lines.push(Line::raw(""));
    let mut starts = Vec::new();
    for m in &open.detail.messages {
        starts.push(lines.len());
        let undelivered = open.undelivered.iter().find(|e| e.message == m.id);
        lines.extend(message_lines(app, m, undelivered, width));
        lines.push(Line::raw(""));
    }
    (lines, starts)
}

/// Where scrolling can go in the conversation pane of `area` (its outer
/// rectangle): the furthest offset, and the offset that puts the newest message at
/// the top (or as high as it goes), so a long thread opens on what is new.
pub fn scroll_limits(app: &App, area: Rect) -> (usize, usize) {
    let Some(open) = &app.open else {
        return (0, 0);
    };
    let inner = Block::default().borders(Borders::ALL).inner(area);
    let (_, _, thread_area, side) = split_pinned(app, open, inner);
    let (lines, starts) = thread(app, open, thread_area, side.is_none());
    let max_scroll = lines.len().saturating_sub(usize::from(thread_area.height));
    let newest = starts.last().copied().unwrap_or(0).min(max_scroll);
    (max_scroll, newest)
}

/// `r reply · n note · c canned · …`, read from the keymap so overrides show.
fn hints(app: &App) -> String {
    use super::super::action::Action;
    use super::super::keymap::Context;
    let words = [
        (Action::Reply, "reply"),
        (Action::Note, "note"),
        (Action::Canned, "canned"),
        (Action::Solve, "solve"),
        (Action::Snooze, "snooze"),
        (Action::Help, "keys"),
    ];
    let parts: Vec<String> = words
        .iter()
        .filter_map(|(a, w)| {
            app.keymap
                .key_for(Context::Conversation, a)
                .map(|k| format!("{k} {w}"))
        })
        .collect();
    format!(" {} ", parts.join(" · "))
}

fn facts<'a>(app: &App, open: &OpenTicket, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let tk = &open.detail.ticket;
    let mut spans = vec![
        Span::styled(tk.status.to_string(), t.unread),
        Span::styled(" · ", t.dim),
        Span::raw(tk.priority.to_string()),
        Span::styled(" · ", t.dim),
        Span::raw(tk.channel.to_string()),
    ];
    // Whose it is, so a teammate's ticket is not taken or answered unawares (the
    // new-user trial saw no owner anywhere but the 7/8 views).
    if let Some(who) = &tk.assignee {
        spans.push(Span::styled(" · ", t.dim));
        spans.push(Span::raw(format!("assigned to {}", sanitize_line(who))));
    }
    for tag in &tk.tags {
        spans.push(Span::styled(format!(" #{}", sanitize_line(tag)), t.tag));
    }
    let mut out = vec![Line::from(spans)];
    if let Some(e) = &tk.escalation {
        let text = format!(
            "⇪ escalated to {}: {}",
            sanitize_line(&e.target),
            sanitize_line(&e.reason)
        );
        out.extend(
            wrap(&text, width)
                .into_iter()
                .map(|l| Line::styled(l, t.warn)),
        );
    }
    if let Some(until) = tk.snoozed_until.filter(|u| *u > app.now()) {
        let tz = crate::sla::timezone(&app.config.sla);
        out.push(Line::styled(
            format!(
                "☾ snoozed until {}",
                until.with_timezone(&tz).format("%a %d %b %H:%M")
            ),
            t.dim,
        ));
    }
    out
}

/// `◷ you promised “by Friday” · due in 2h · W still-working reply`, coloured by
/// how close the time is.
fn followup_lines<'a>(
    app: &App,
    open: &OpenTicket,
    f: &crate::store::Followup,
    width: usize,
) -> Vec<Line<'a>> {
    use super::super::action::Action;
    use super::super::keymap::Context;
    use crate::sla::{due_text, urgency, Urgency};
    use crate::store::FollowupKind;
    let t = &app.theme;
    let now = app.now();
    let phrase = sanitize_line(&f.phrase);
    let what = match (f.kind, phrase.is_empty()) {
        (FollowupKind::Promise, _) => {
            // On a shared queue the promise may be a teammate's: say whose.
            let by = f
                .message_id
                .filter(|_| app.team.shared == Some(true))
                .and_then(|m| open.detail.messages.iter().find(|msg| msg.id == m))
                .map(|msg| msg.author.trim().to_string())
                .filter(|a| !a.is_empty() && *a != app.config.agent.display_name());
            match by {
                Some(who) => format!("{} promised “{phrase}”", sanitize_line(&who)),
                None => format!("you promised “{phrase}”"),
            }
        }
        (FollowupKind::Manual, false) => format!("follow up: {phrase}"),
        (FollowupKind::Manual, true) => "follow up".to_string(),
    };
    let when = if f.due_at < now {
        due_text(f.due_at, now)
    } else {
        format!("due {}", due_text(f.due_at, now))
    };
    // A hand-set follow-up promised the customer nothing: no "still working" reply.
    let key = app
        .keymap
        .key_for(Context::Conversation, &Action::StillWorkingReply)
        .filter(|_| f.kind == FollowupKind::Promise)
        .map(|k| format!(" · {k} still-working reply"))
        .unwrap_or_default();
    let style = match urgency(&app.config.sla, f.due_at, now) {
        Urgency::Overdue => t.overdue,
        Urgency::Warning { .. } => t.due_soon,
        Urgency::Ok => t.dim,
    };
    wrap(&format!("◷ {what} · {when}{key}"), width)
        .into_iter()
        .map(|l| Line::styled(l, style))
        .collect()
}

/// The customer facts above the thread when the pane is too narrow for the
/// sidebar: packed so no fact is split across rows, then their earlier tickets
/// (the newest few) so a narrow console still shows what they wrote before.
fn compact_customer<'a>(app: &App, open: &OpenTicket, width: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let c = &open.detail.customer;
    let others = open.history.len();
    let parts = [
        sanitize_line(&c.name),
        c.language.to_string(),
        c.formality.to_string(),
        format!("first contact {}", first_contact(app, open)),
        format!(
            "{others} other ticket{}",
            if others == 1 { "" } else { "s" }
        ),
    ];
    let mut out: Vec<Line<'a>> = pack_parts(&parts, width)
        .into_iter()
        .map(|l| Line::styled(l, t.dim))
        .collect();
    for h in open.history.iter().take(COMPACT_HISTORY) {
        out.push(Line::from(vec![
            Span::styled(format!("  {:<5}", status_short(h.ticket.status)), t.dim),
            Span::raw(fit(
                &format!("#{} {}", h.ticket.id, sanitize_line(&h.ticket.subject)),
                width.saturating_sub(7),
            )),
        ]));
    }
    if others > COMPACT_HISTORY {
        out.push(Line::styled(
            format!("  … {} more", others - COMPACT_HISTORY),
            t.dim,
        ));
    }
    out
}

/// How many earlier tickets the narrow layout lists above the thread.
const COMPACT_HISTORY: usize = 3;

/// The earliest ticket of this customer: when they first wrote to us, on the
/// desk's calendar (`[sla] timezone`), as every date the console shows.
fn first_contact(app: &App, open: &OpenTicket) -> String {
    let tz = crate::sla::timezone(&app.config.sla);
    open.history
        .iter()
        .map(|h| h.ticket.created_at)
        .chain(std::iter::once(open.detail.ticket.created_at))
        .min()
        .map(|d| crate::sla::local_date(tz, d))
        .unwrap_or_default()
}

/// The most of one message the console wraps and draws. A 50 MB log pasted into a
/// ticket would otherwise stall every frame; the rest is a CLI command away.
const DISPLAY_LIMIT: usize = 256 * 1024;

fn human_bytes(n: usize) -> String {
    if n >= 1024 * 1024 {
        format!("{:.1} MB", n as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", n.div_ceil(1024))
    }
}

/// When a message was sent, as its header shows it: the year only when it is not
/// this year, so "26 Nov" is never read as this November when it was last year's.
fn message_date(
    sent_at: chrono::DateTime<chrono::Utc>,
    now: chrono::DateTime<chrono::Utc>,
    tz: &chrono_tz::Tz,
) -> String {
    use chrono::Datelike;
    let local = sent_at.with_timezone(tz);
    let format = if local.year() == now.with_timezone(tz).year() {
        "%d %b %H:%M"
    } else {
        "%d %b %Y %H:%M"
    };
    local.format(format).to_string()
}

/// What the header of a reply the outbox has not delivered says instead of "(reply)":
/// it must never pass for an answer the customer has.
fn undelivered_label(entry: &crate::store::OutboxEntry) -> String {
    format!(
        "reply · {} · firstline outbox",
        entry.state.undelivered_phrase()
    )
}

fn message_lines<'a>(
    app: &App,
    m: &Message,
    undelivered: Option<&crate::store::OutboxEntry>,
    width: usize,
) -> Vec<Line<'a>> {
    let t = &app.theme;
    let age = human_duration(app.now() - m.sent_at);
    let tz = crate::sla::timezone(&app.config.sla);
    let when = format!("{} · {age} ago", message_date(m.sent_at, app.now(), &tz));
    let author = sanitize_line(&m.author);
    let (marker, who, style, bar): (&str, String, Style, &str) = match m.direction {
        Direction::Inbound => ("▼", author, t.inbound, "  "),
        Direction::Outbound => match undelivered {
            Some(e) => (
                "△",
                format!("{author} ({})", undelivered_label(e)),
                t.error,
                "  ",
            ),
            None => ("▲", format!("{author} (reply)"), t.outbound, "  "),
        },
        Direction::Note => ("✎", format!("NOTE · {author}"), t.note, "┃ "),
    };
    let mut out = vec![Line::from(vec![
        Span::styled(format!("{marker} {who}"), style),
        Span::styled(format!("  {when}"), t.dim),
    ])];
    // Why it did not go out, in the transport's own words: the status bar's
    // message is gone after the next key, the thread keeps it until it is settled.
    if let Some(why) = undelivered.and_then(|e| e.last_error.as_deref()) {
        let why = sanitize_line(why.trim());
        for l in wrap(&format!("✗ {why}"), width.saturating_sub(2)) {
            out.push(Line::from(vec![
                Span::styled("  ", style),
                Span::styled(l, t.error),
            ]));
        }
    }
    let body_style = if m.direction == Direction::Note {
        t.note
    } else {
        t.base
    };
    let (shown, cut) = crate::display::truncate_for_display(m.body.trim_end(), DISPLAY_LIMIT);
    let mut body = sanitize(&crate::display::reflow(shown));
    if cut > 0 {
        body.push_str(&format!(
            // Not `firstline show N` alone: it prints the stored text, itself cut at 1 MB.
            "\n[… {} more not shown; `firstline show {} --raw {}` prints the whole message as it arrived]",
            human_bytes(cut),
            m.ticket_id,
            m.id
        ));
    }
    for l in wrap(&body, width.saturating_sub(2)) {
        out.push(Line::from(vec![
            Span::styled(bar.to_string(), style),
            Span::styled(l, body_style),
        ]));
    }
    for a in &m.attachments {
        out.push(Line::styled(
            format!(
                "  📎 {} ({}, {} KB)",
                sanitize_line(&a.filename),
                sanitize_line(&a.content_type),
                a.size.div_ceil(1024)
            ),
            t.dim,
        ));
    }
    out
}

fn sidebar(frame: &mut Frame, area: Rect, app: &App, open: &OpenTicket) {
    let t = &app.theme;
    let c = &open.detail.customer;
    let w = usize::from(area.width.saturating_sub(2));
    let block = Block::default()
        .borders(Borders::LEFT)
        .border_style(t.border)
        .title(Span::styled(" Customer ", t.title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = vec![Line::styled(fit(&sanitize_line(&c.name), w), t.unread)];
    for e in c
        .emails
        .iter()
        .chain(c.handles.iter())
        .chain(c.phone.iter())
    {
        lines.push(Line::raw(fit(&sanitize_line(e), w)));
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::styled("language  ", t.dim),
        Span::raw(c.language.to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled("formality ", t.dim),
        Span::raw(c.formality.to_string()),
    ]));
    lines.push(Line::from(vec![
        Span::styled("first     ", t.dim),
        Span::raw(first_contact(app, open)),
    ]));
    if !c.notes.trim().is_empty() {
        lines.push(Line::raw(""));
        for l in wrap(&sanitize(c.notes.trim()), w) {
            lines.push(Line::styled(l, t.note));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled(
        format!("Other tickets ({})", open.history.len()),
        t.title,
    ));
    for h in &open.history {
        lines.push(Line::from(vec![
            Span::styled(format!("{:<5}", status_short(h.ticket.status)), t.dim),
            Span::raw(fit(
                &format!("#{} {}", h.ticket.id, sanitize_line(&h.ticket.subject)),
                w.saturating_sub(5),
            )),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
