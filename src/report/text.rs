//! The report as plain text for a terminal or an e-mail body: headline figures, a
//! bar per day, and the week's heatmap drawn with shade characters.

use std::fmt::Write;

use super::{minutes_text, Count, Report, WEEKDAYS};
use crate::sla::{local_time, local_time_named};

/// Widest bar in characters.
const BAR_WIDTH: usize = 40;

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    let mut s = String::new();
    let pct = |p: Option<f64>| p.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"));
    let _ = writeln!(
        s,
        "firstline report {} — {}",
        local_time(r.zone(), r.since),
        local_time_named(r.zone(), r.until)
    );
    let t = &r.totals;
    let _ = writeln!(
        s,
        "\nTickets created {}  resolved {}  closed without reply {}  inbound messages {}  replies sent {}  backlog now {}",
        t.tickets_created,
        t.tickets_resolved,
        t.closed_without_reply,
        t.inbound_messages,
        t.replies_sent,
        t.backlog
    );
    let fr = &r.first_response;
    let _ = writeln!(
        s,
        "First response   median {}  p90 {}  (business time: median {}  p90 {})  n={}",
        minutes_text(fr.median_minutes),
        minutes_text(fr.p90_minutes),
        minutes_text(fr.business_median_minutes),
        minutes_text(fr.business_p90_minutes),
        fr.count
    );
    let rs = &r.resolution;
    let _ = writeln!(
        s,
        "Resolution       median {}  p90 {}  (business time: median {}  p90 {})  n={}",
        minutes_text(rs.median_minutes),
        minutes_text(rs.p90_minutes),
        minutes_text(rs.business_median_minutes),
        minutes_text(rs.business_p90_minutes),
        rs.count
    );
    let fc = &r.first_contact;
    let verdict = match fc.meets_target {
        Some(true) => "meets the target",
        Some(false) => "BELOW the target",
        None => "nothing resolved",
    };
    let _ = writeln!(
        s,
        "First-contact resolution {} ({} of {}) vs target {:.0}%: {verdict}",
        pct(fc.rate_percent),
        fc.first_contact,
        fc.resolved,
        fc.target_percent
    );
    let _ = writeln!(
        s,
        "Escalation rate  {} ({} of {})",
        pct(r.escalation.percent),
        r.escalation.count,
        r.escalation.of
    );
    let tickets: Vec<String> = r
        .breaches
        .tickets
        .iter()
        .map(|id| format!("#{id}"))
        .collect();
    let _ = writeln!(
        s,
        "SLA breaches     first response {}  resolution {}  {}",
        r.breaches.first_response,
        r.breaches.resolution,
        tickets.join(" ")
    );

    let _ = writeln!(s, "\nVolume per day (new tickets, inbound messages)");
    let max = r
        .volume
        .iter()
        .map(|d| d.inbound.max(d.created))
        .max()
        .unwrap_or(0);
    for d in &r.volume {
        let _ = writeln!(
            s,
            "  {} {:>3} {:>3} {}",
            d.date.format("%m-%d %a"),
            d.created,
            d.inbound,
            bar(d.inbound, max)
        );
    }
    section(&mut s, "Backlog by age", &r.backlog_by_age);
    section(&mut s, "By channel", &r.by_channel);
    section(&mut s, "By tag", &r.by_tag);

    let _ = writeln!(
        s,
        "\nBusiest hours of the week (inbound messages, local time)"
    );
    let _ = writeln!(s, "      0     6     12    18   23");
    let hmax = r.heatmap.iter().flatten().copied().max().unwrap_or(0);
    for (d, row) in r.heatmap.iter().enumerate() {
        let cells: String = row.iter().map(|n| shade(*n, hmax)).collect();
        let _ = writeln!(s, "  {} {cells}", WEEKDAYS[d]);
    }
    if !r.busiest_hours.is_empty() {
        let top: Vec<String> = r
            .busiest_hours
            .iter()
            .map(|b| format!("{} {:02}:00 ({})", b.weekday, b.hour, b.messages))
            .collect();
        let _ = writeln!(s, "  busiest: {}", top.join(", "));
    }
    s
}

fn section(s: &mut String, title: &str, rows: &[Count]) {
    let _ = writeln!(s, "\n{title}");
    if rows.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    let max = rows.iter().map(|c| c.count).max().unwrap_or(0);
    let width = rows
        .iter()
        .map(|c| c.label.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(6, 24);
    for c in rows {
        let label = crate::display::fit(&crate::display::sanitize_line(&c.label), width);
        let _ = writeln!(s, "  {label:<width$} {:>4} {}", c.count, bar(c.count, max));
    }
}

fn bar(n: usize, max: usize) -> String {
    if max == 0 {
        return String::new();
    }
    "█".repeat((n * BAR_WIDTH).div_ceil(max))
}

/// The heatmap cell for `n` of `max`: `·` for none, then `░▒▓█` by quarter, so the
/// picture reads without colour (also used by the console's report screen).
pub fn shade(n: usize, max: usize) -> char {
    if n == 0 || max == 0 {
        return '·';
    }
    match (n * 4).div_ceil(max) {
        1 => '░',
        2 => '▒',
        3 => '▓',
        _ => '█',
    }
}
