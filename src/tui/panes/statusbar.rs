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
use crate::tui::mailboxes::MailboxState;

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
                // Not "Esc": beside its number it read as a key ("Esc 1").
                View::Escalated => "Escal",
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
        let count = match app.counts_unknown() {
            true => "…".to_string(),
            false => app.counts.per_view[i].to_string(),
        };
        spans.push(Span::styled(format!(" {label} {count} "), style));
    }
    // Team views (with `[agent] name`, on a shared queue): they narrow the view.
    if app.shows_team_views() {
        for (key, v) in ['7', '8'].into_iter().zip(crate::tui::app::TeamView::ALL) {
            let style = if app.team.scope == Some(v) {
                t.tab_active
            } else {
                t.base
            };
            spans.push(Span::styled("│", t.dim));
            spans.push(Span::styled(key.to_string(), t.key));
            spans.push(Span::styled(format!(" {} ", v.label()), style));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The status bar.
pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = &app.theme;
    let needs = app.counts.per_view[0];
    let mut spans = match app.counts_unknown() {
        // The first frame comes before the queue is counted.
        true => vec![Span::styled(" counting…", t.dim)],
        false => vec![
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
            followups_span(app),
        ],
    };
    // How long the oldest waits, the sort and the view (the tabs show it too): given
    // up in reverse order of that when the line is too long for all of them.
    let oldest = match app.counts.oldest_waiting {
        Some(since) if needs > 0 => format!(
            " · oldest waits {}",
            crate::sla::human_duration(app.now() - since)
        ),
        _ => String::new(),
    };
    let view = match &app.inbox.search {
        Some(q) => format!("search \"{}\"", sanitize_line(q)),
        None => app.inbox.view.label().to_string(),
    };
    let sort = format!(" · sort {}", sort_label(app.inbox.sort));
    // (spans, how long to keep them: higher stays longer)
    let mut context: Vec<(Vec<Span>, u8)> = vec![
        (vec![Span::styled(oldest, t.dim)], 2),
        (vec![Span::styled(" · ", t.dim), Span::raw(view)], 0),
        (vec![Span::styled(sort, t.dim)], 1),
    ];
    let mut tail = Vec::new();
    if let Some((to, secs, undoable, more)) = app.waiting_reply() {
        let mut text = format!(" · to {} in {secs} s", sanitize_line(&to));
        if undoable {
            text.push_str(" · u undo");
        }
        if more > 0 {
            text.push_str(&format!(" (+{more} waiting)"));
        }
        tail.push(Span::styled(text, t.due_soon));
    }
    if !app.composer.placeholders.is_empty() {
        let left = app.unfilled_placeholders().len();
        if left > 0 {
            tail.push(Span::styled(
                format!(" · {left} to fill · Ctrl-N next"),
                t.due_soon,
            ));
        }
    }
    let (unknown, failed) = app.outbox_attention;
    // Undelivered replies stay in view until delivered, marked sent or taken back;
    // they give way last, but before the message (often the transport's own error).
    let (retrying, saved) = app.outbox_undelivered;
    let plural = |n: i64| if n == 1 { "y" } else { "ies" };
    if retrying > 0 {
        context.push((
            vec![Span::styled(
                format!(
                    " · {retrying} repl{} not delivered: firstline outbox",
                    plural(retrying)
                ),
                t.overdue,
            )],
            3,
        ));
    }
    if saved > 0 {
        context.push((
            vec![Span::styled(
                format!(
                    " · {saved} repl{} saved, not sent: firstline outbox",
                    plural(saved)
                ),
                t.overdue,
            )],
            3,
        ));
    }
    // Live mailboxes: a failing one stays in view as long as undelivered replies do;
    // a healthy one ("shop ✓ 2 min ago") is the first to give way.
    for mailbox in &app.mailboxes {
        let failing = matches!(mailbox.state, MailboxState::Failed(_));
        context.push((
            vec![Span::styled(
                format!(" · {}", sanitize_line(&mailbox.text(app.now()))),
                if failing { t.overdue } else { t.dim },
            )],
            if failing { 3 } else { 0 },
        ));
    }
    if unknown > 0 {
        tail.push(Span::styled(
            format!(
                " · {unknown} repl{} may not have gone out: firstline outbox",
                if unknown == 1 { "y" } else { "ies" }
            ),
            t.overdue,
        ));
    }
    if failed > 0 {
        tail.push(Span::styled(
            format!(
                " · {failed} repl{} failed: firstline outbox",
                if failed == 1 { "y" } else { "ies" }
            ),
            t.overdue,
        ));
    }
    if let Some(view) = &app.telegram {
        let (text, warning) = view.status(app.now());
        let style = if warning { t.overdue } else { t.dim };
        // A failing or stale channel stays in view like an undelivered reply; "live"
        // is the first thing given up for room.
        context.push((
            vec![Span::styled(format!(" · {}", sanitize_line(&text)), style)],
            if warning { 3 } else { 0 },
        ));
    }
    if !app.inbox.marked.is_empty() {
        tail.push(Span::styled(
            format!(" · {} marked", app.inbox.marked.len()),
            t.marked,
        ));
    }
    if app.searching {
        tail.push(Span::styled(" · searching…", t.due_soon));
    } else if app.busy() {
        tail.push(Span::styled(" · counting…", t.dim));
    }
    let width = |spans: &[Span]| spans.iter().map(|s| s.content.width()).sum::<usize>();
    let message: Vec<Span> = match &app.message {
        Some(m) => vec![
            Span::styled(" │ ", t.dim),
            Span::styled(
                sanitize_line(&m.text),
                if m.error { t.error } else { t.info },
            ),
        ],
        None => Vec::new(),
    };
    let fixed = width(&spans) + width(&tail) + width(&message);
    let room = usize::from(area.width);
    while fixed + context.iter().map(|c| width(&c.0)).sum::<usize>() > room {
        let Some(drop) = context
            .iter()
            .enumerate()
            .min_by_key(|(_, c)| c.1)
            .map(|(i, _)| i)
        else {
            break;
        };
        context.remove(drop);
    }
    spans.extend(context.into_iter().flat_map(|(spans, _)| spans));
    spans.extend(tail);
    // What is left for the message: a longer one is shortened, its key hint kept.
    let left = room.saturating_sub(width(&spans) + width(&message[..message.len().min(1)]));
    let message = match (&app.message, message) {
        (Some(m), mut parts) if parts.len() == 2 && parts[1].content.width() > left => {
            // The transport's own words come first in the courier's error: its
            // "firstline outbox" stays in view beside the counts anyway.
            let courier = app.delivery_error.as_deref() == Some(m.text.as_str());
            let text = sanitize_line(&m.text);
            let short = if courier {
                crate::display::fit(&text, left)
            } else {
                shorten_keeping_hint(&text, left)
            };
            parts[1] = Span::styled(short, parts[1].style);
            parts
        }
        (_, parts) => parts,
    };
    spans.extend(message);
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

/// `text` cut to `room` columns, keeping its key hint: the part after the last
/// " · " ("… · u brings it back") stays whole, and so does what happened, the part
/// before the first " · " ("2 tickets marked"), while they fit; the words between
/// are shortened first, then what happened — never the keys (the new-user trial
/// lost "u brings it back" at 120 columns, where the line simply ran out).
pub fn shorten_keeping_hint(text: &str, room: usize) -> String {
    use crate::display::fit;
    const SEP: &str = " · ";
    if text.width() <= room {
        return text.to_string();
    }
    let Some((body, hint)) = text.rsplit_once(SEP) else {
        return fit(text, room);
    };
    let hint_width = hint.width() + SEP.width();
    if let Some((first, middle)) = body.split_once(SEP) {
        // Room for the middle beside the first and the hint: a few letters or none.
        let around = first.width() + SEP.width() + hint_width;
        if around + 6 <= room {
            return format!("{first}{SEP}{}{SEP}{hint}", fit(middle, room - around));
        }
        if first.width() + hint_width <= room {
            return format!("{first}{SEP}{hint}");
        }
    }
    // A few words of the message beside the keys, or the keys alone.
    if hint_width + 8 <= room {
        return format!("{}{SEP}{hint}", fit(body, room - hint_width));
    }
    if hint.width() <= room {
        return hint.to_string();
    }
    fit(text, room)
}

/// ` · 1 follow-up overdue, 1 due soon`: late ones apart from those only inside a
/// warning mark, so "2 due" never hides that one of them is an hour away (found by the
/// new-user trial); in the overdue colour when one is late; nothing when none is near.
fn followups_span(app: &App) -> Span<'static> {
    let t = &app.theme;
    let late = app.counts.followups_overdue;
    let soon = app.counts.followups_due - late;
    let noun = |n: i64| if n == 1 { "follow-up" } else { "follow-ups" };
    let (text, style) = match (late, soon) {
        (0, 0) => return Span::raw(""),
        (0, soon) => (format!(" · {soon} {} due soon", noun(soon)), t.due_soon),
        (late, 0) => (format!(" · {late} {} overdue", noun(late)), t.overdue),
        (late, soon) => (
            format!(" · {late} {} overdue, {soon} due soon", noun(late)),
            t.overdue,
        ),
    };
    Span::styled(text, style)
}

#[cfg(test)]
mod tests {
    use super::shorten_keeping_hint;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn a_short_line_is_left_alone() {
        assert_eq!(
            shorten_keeping_hint("#12 solved · u undo", 40),
            "#12 solved · u undo"
        );
    }

    /// What happened and the keys stay; the words between give way first (a
    /// pseudo-terminal run lost "2 tickets marked" when only the end was kept).
    #[test]
    fn the_first_part_and_the_keys_stay_while_the_middle_gives_way() {
        let line = "2 tickets marked · s status, p priority, t tags… apply to all · M clears";
        let short = shorten_keeping_hint(line, 50);
        assert!(short.starts_with("2 tickets marked · s status"), "{short}");
        assert!(short.ends_with("… · M clears"), "{short}");
        assert!(short.width() <= 50, "{short}");
        assert_eq!(
            shorten_keeping_hint(line, 30),
            "2 tickets marked · M clears"
        );
    }

    #[test]
    fn a_two_part_line_shortens_its_words_and_keeps_its_keys() {
        let line = format!("{} · u brings it back", "very long words ".repeat(8));
        let short = shorten_keeping_hint(&line, 40);
        assert!(short.ends_with("… · u brings it back"), "{short}");
        assert!(short.width() <= 40, "{short}");
        assert_eq!(shorten_keeping_hint(&line, 20), "u brings it back");
    }
}
