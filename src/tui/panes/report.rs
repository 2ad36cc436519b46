//! The full-screen report: the figures `firstline report` prints, drawn from the
//! `Report` computed when the screen opened (never recomputed here). Headline
//! figures on top, inbound volume per day as a bar chart, then the week's busiest
//! hours as a 7×24 heatmap of shade characters (`·░▒▓█`, readable with `NO_COLOR`)
//! beside backlog by age, channels and tags. At 80×24 every section still shows,
//! smaller; long lists end with "+N more".

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, BarGroup, Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::action::{Action, REPORT_PERIODS};
use super::super::app::{App, ReportScreen};
use super::super::keymap::Context;
use super::text::{cell, cell_right};
use crate::report::text::shade;
use crate::report::{minutes_text, Count, Report, WEEKDAYS};

/// Rows of the headline figures.
const FIGURE_ROWS: u16 = 6;
/// Rows of the heatmap: title, hour ruler, seven days.
const HEATMAP_ROWS: u16 = 9;
/// The volume chart's least height: heading, four rows of bars, date ruler. Lists
/// longer than the rest of the screen are cut rather than the chart.
const VOLUME_MIN_ROWS: u16 = 6;

/// Draws the report screen over the whole frame.
pub fn draw(frame: &mut Frame, app: &App, screen: &ReportScreen) {
    let t = &app.theme;
    let area = frame.area();
    frame.render_widget(Clear, area);
    let r = &screen.report;
    let mut title = vec![Span::styled(" Report", t.title)];
    for d in REPORT_PERIODS {
        title.push(Span::raw(" "));
        if d == screen.days {
            title.push(Span::styled(format!("[{d}d]"), t.selected));
        } else {
            title.push(Span::styled(format!("{d}d"), t.dim));
        }
    }
    title.push(Span::styled(
        format!(
            " {} → {} ",
            crate::sla::local_date(r.zone(), r.since),
            crate::sla::local_time_named(r.zone(), r.until)
        ),
        t.dim,
    ));
    let keys: Vec<String> = REPORT_PERIODS
        .iter()
        .filter_map(|d| {
            app.keymap
                .key_for(Context::Report, &Action::ReportPeriod(*d))
                .map(|k| format!("{k} {d}d"))
        })
        .collect();
    let close = app
        .keymap
        .key_for(Context::Report, &Action::Back)
        .unwrap_or_else(|| "Esc".into());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(t.border_focus)
        .title(Line::from(title))
        .title_bottom(Span::styled(
            format!(" {} · {close} close ", keys.join(" · ")),
            t.dim,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);

    // The lists below want a row each (plus a heading); the chart takes the rest.
    let list_rows = [&r.backlog_by_age, &r.by_channel, &r.by_tag]
        .iter()
        .map(|rows| rows.len().max(1) + 1)
        .max()
        .unwrap_or(1) as u16;
    let bottom_rows = list_rows.max(HEATMAP_ROWS);
    let volume_rows = inner
        .height
        .saturating_sub(FIGURE_ROWS + bottom_rows + 1)
        .max(VOLUME_MIN_ROWS);
    let [figures, volume, bottom, busiest] = Layout::vertical([
        Constraint::Length(FIGURE_ROWS),
        Constraint::Length(volume_rows),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(figure_lines(app, r)), figures);
    draw_volume(frame, app, r, volume);

    let cell_w: u16 = if bottom.width >= 4 + 48 + 40 { 2 } else { 1 };
    let heat_w = 4 + 24 * cell_w + 2;
    let [heat, lists] =
        Layout::horizontal([Constraint::Length(heat_w), Constraint::Fill(1)]).areas(bottom);
    frame.render_widget(
        Paragraph::new(heatmap_lines(app, r, usize::from(cell_w))),
        heat,
    );
    let columns = Layout::horizontal([Constraint::Fill(1); 3]).split(lists);
    for (rect, (heading, rows)) in columns.iter().zip([
        ("Backlog by age", &r.backlog_by_age),
        ("By channel", &r.by_channel),
        ("By tag", &r.by_tag),
    ]) {
        frame.render_widget(
            Paragraph::new(count_lines(app, heading, rows, *rect)),
            *rect,
        );
    }
    let last = match empty_period_hint(screen) {
        Some(hint) => Line::styled(hint, t.warn),
        None => busiest_line(app, r),
    };
    frame.render_widget(Paragraph::new(last), busiest);
}

/// Why the figures are all zero, when they are: on a first run the welcome tickets
/// are all there is, and they are examples, not the owner's work.
fn empty_period_hint(screen: &ReportScreen) -> Option<String> {
    let totals = &screen.report.totals;
    let empty = totals.tickets_created == 0
        && totals.tickets_resolved == 0
        && totals.inbound_messages == 0
        && totals.replies_sent == 0
        && totals.backlog == 0;
    if !empty {
        return None;
    }
    Some(match screen.welcome_left_out {
        0 => format!(
            "Nothing in {} days yet — the report counts your tickets and the replies delivered to them",
            screen.days
        ),
        n => format!(
            "Nothing of yours in {} days yet — the {n} welcome tickets are examples and do not count (firstline demo --remove)",
            screen.days
        ),
    })
}

fn figure_lines<'a>(app: &App, r: &Report) -> Vec<Line<'a>> {
    let t = &app.theme;
    let pct = |p: Option<f64>| p.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"));
    let label = |s: &str| Span::styled(cell(s, 14), t.dim);
    let times = |s: &crate::report::TimeStats| {
        format!(
            "median {} · p90 {}  (business {} · {})  n={}",
            minutes_text(s.median_minutes),
            minutes_text(s.p90_minutes),
            minutes_text(s.business_median_minutes),
            minutes_text(s.business_p90_minutes),
            s.count
        )
    };
    let tot = &r.totals;
    let fc = &r.first_contact;
    let (verdict, verdict_style) = match fc.meets_target {
        Some(true) => ("meets target", t.ok),
        Some(false) => ("BELOW target", t.fail),
        None => ("nothing resolved", t.dim),
    };
    let gauge: String = {
        let filled = fc.rate_percent.map_or(0, |p| (p / 10.0).round() as usize);
        format!(
            "{}{}",
            "█".repeat(filled.min(10)),
            "░".repeat(10 - filled.min(10))
        )
    };
    let breached: Vec<String> = r
        .breaches
        .tickets
        .iter()
        .take(6)
        .map(|id| format!("#{id}"))
        .collect();
    let more = r.breaches.tickets.len().saturating_sub(breached.len());
    let breach_style = if r.breaches.tickets.is_empty() {
        t.ok
    } else {
        t.overdue
    };
    vec![
        Line::from(vec![
            label("Tickets"),
            Span::raw(format!(
                "{} new · {} resolved{} · inbound {} · replies {} · backlog {}",
                tot.tickets_created,
                tot.tickets_resolved,
                // Closed with no reply is not resolved; shown apart, and only when
                // there are some, so the line still fits 80 columns.
                match tot.closed_without_reply {
                    0 => String::new(),
                    n => format!(" ({n} closed w/o reply)"),
                },
                tot.inbound_messages,
                tot.replies_sent,
                tot.backlog
            )),
        ]),
        Line::from(vec![
            label("First reply"),
            Span::raw(times(&r.first_response)),
        ]),
        Line::from(vec![label("Resolution"), Span::raw(times(&r.resolution))]),
        Line::from(vec![
            label("First contact"),
            Span::raw(format!(
                "{} ({} of {}) ",
                pct(fc.rate_percent),
                fc.first_contact,
                fc.resolved
            )),
            Span::styled(gauge, verdict_style),
            Span::raw(format!(" target {:.0}% ", fc.target_percent)),
            Span::styled(verdict, verdict_style),
        ]),
        Line::from(vec![
            label("Escalated"),
            Span::raw(format!(
                "{} ({} of {})",
                pct(r.escalation.percent),
                r.escalation.count,
                r.escalation.of
            )),
        ]),
        Line::from(vec![
            label("SLA breaches"),
            Span::styled(
                format!(
                    "first reply {} · resolution {}",
                    r.breaches.first_response, r.breaches.resolution
                ),
                breach_style,
            ),
            Span::styled(
                format!(
                    "  {}{}",
                    breached.join(" "),
                    if more > 0 {
                        format!(" +{more}")
                    } else {
                        String::new()
                    }
                ),
                t.dim,
            ),
        ]),
    ]
}

/// Inbound messages per day as bars, newest on the right; when the days do not fit
/// one column each, the oldest are left out (the heading says how many are shown).
fn draw_volume(frame: &mut Frame, app: &App, r: &Report, area: Rect) {
    let t = &app.theme;
    if area.height < 3 || area.width < 8 {
        return;
    }
    let [head, chart, axis] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let avail = usize::from(chart.width);
    let days = &r.volume[r.volume.len().saturating_sub(avail)..];
    let n = days.len().max(1);
    let (bar_w, gap): (usize, usize) = if n * 2 <= avail + 1 {
        (((avail + 1) / n).saturating_sub(1).clamp(1, 6), 1)
    } else {
        (1, 0)
    };
    let max = days.iter().map(|d| d.inbound).max().unwrap_or(0);
    let shown = if days.len() < r.volume.len() {
        format!(", last {} of {} days", days.len(), r.volume.len())
    } else {
        String::new()
    };
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("Inbound messages per day", t.title),
            Span::styled(format!(" (busiest day {max}{shown})"), t.dim),
        ])),
        head,
    );
    let bars: Vec<Bar> = days
        .iter()
        .map(|d| {
            let bar = Bar::new(d.inbound as u64);
            if bar_w >= 3 {
                bar
            } else {
                bar.text_value("")
            }
        })
        .collect();
    let widget = BarChart::default()
        .data(BarGroup::default().bars(&bars))
        .bar_width(bar_w as u16)
        .bar_gap(gap as u16)
        .max(max.max(1) as u64)
        .bar_style(t.title)
        .value_style(t.selected);
    frame.render_widget(widget, chart);
    let used = (days.len() * (bar_w + gap)).saturating_sub(gap).min(avail);
    let (first, last) = match (days.first(), days.last()) {
        (Some(f), Some(l)) => (
            f.date.format("%m-%d").to_string(),
            l.date.format("%m-%d").to_string(),
        ),
        _ => (String::new(), String::new()),
    };
    let ruler = if used > first.len() + last.len() {
        format!(
            "{first}{}{last}",
            " ".repeat(used - first.len() - last.len())
        )
    } else {
        last
    };
    frame.render_widget(Paragraph::new(Span::styled(ruler, t.dim)), axis);
}

fn heatmap_lines<'a>(app: &App, r: &Report, cell_w: usize) -> Vec<Line<'a>> {
    let t = &app.theme;
    let max = r.heatmap.iter().flatten().copied().max().unwrap_or(0);
    let mut ruler = String::from("    ");
    for h in (0..24).step_by(6) {
        ruler.push_str(&cell(&h.to_string(), 6 * cell_w));
    }
    let mut lines = vec![
        Line::from(Span::styled("Busiest hours (inbound)", t.title)),
        Line::from(Span::styled(ruler, t.dim)),
    ];
    for (d, row) in r.heatmap.iter().enumerate() {
        let cells: String = row
            .iter()
            .map(|n| shade(*n, max).to_string().repeat(cell_w))
            .collect();
        lines.push(Line::from(vec![
            Span::styled(format!("{} ", WEEKDAYS.get(d).unwrap_or(&"")), t.dim),
            Span::raw(cells),
        ]));
    }
    lines
}

/// The three busiest hours of the week, across the whole width.
fn busiest_line<'a>(app: &App, r: &Report) -> Line<'a> {
    let t = &app.theme;
    let max = r.heatmap.iter().flatten().copied().max().unwrap_or(0);
    let top = if r.busiest_hours.is_empty() {
        "no inbound messages in the period".to_string()
    } else {
        r.busiest_hours
            .iter()
            .map(|b| format!("{} {:02}:00 ({})", b.weekday, b.hour, b.messages))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Line::from(vec![
        Span::styled("Busiest: ", t.title),
        Span::raw(top),
        Span::styled(format!("   scale ·░▒▓█ 0–{max}"), t.dim),
    ])
}

/// A titled list of counts with bars, cut to the area's height with "+N more".
fn count_lines<'a>(app: &App, heading: &str, rows: &[Count], area: Rect) -> Vec<Line<'a>> {
    let t = &app.theme;
    let width = usize::from(area.width).saturating_sub(1);
    let mut lines = vec![Line::from(Span::styled(cell(heading, width), t.title))];
    if rows.is_empty() {
        lines.push(Line::from(Span::styled("(none)", t.dim)));
        return lines;
    }
    let fit = usize::from(area.height).saturating_sub(1);
    let take = if rows.len() > fit {
        fit.saturating_sub(1)
    } else {
        rows.len()
    };
    let max = rows.iter().map(|c| c.count).max().unwrap_or(0);
    let label_w = rows
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, (width / 2).max(4));
    let bar_room = width.saturating_sub(label_w + 6);
    for c in rows.iter().take(take) {
        let label = crate::display::sanitize_line(&c.label);
        let bar_len = if max == 0 {
            0
        } else {
            (c.count * bar_room).div_ceil(max)
        };
        lines.push(Line::from(vec![
            Span::raw(cell(&label, label_w)),
            Span::raw(cell_right(&c.count.to_string(), 5)),
            Span::raw(" "),
            Span::styled("█".repeat(bar_len), t.title),
        ]));
    }
    if take < rows.len() {
        lines.push(Line::from(Span::styled(
            format!("+{} more", rows.len() - take),
            t.dim,
        )));
    }
    lines
}
