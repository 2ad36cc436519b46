//! The report as one self-contained HTML file (inline CSS and SVG, no scripts, no
//! external fetches) that an owner can open from an e-mail attachment. The page is
//! the minijinja template `assets/report/report.html.j2`; this file only works out
//! what goes in it (figures as text, chart geometry), so markup lives in one place
//! and every value from the queue (tags, channel names) is escaped by the engine.

use minijinja::{AutoEscape, Environment, Output, State, Value};
use serde::Serialize;
use std::sync::OnceLock;

use super::{minutes_text, Count, Report, WEEKDAYS};

const TEMPLATE: &str = include_str!("../../assets/report/report.html.j2");

/// Renders the whole report.
pub fn render(r: &Report) -> String {
    environment()
        .get_template("report.html")
        .and_then(|t| t.render(page(r)))
        // The template is compiled into the binary and its inputs are plain
        // strings and lists; a failure is a bug in this file, caught by the tests.
        .unwrap_or_else(|e| panic!("the built-in report template failed: {e:#}"))
}

fn environment() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        env.set_keep_trailing_newline(true);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        env.set_auto_escape_callback(|_| AutoEscape::Html);
        env.set_formatter(escape_formatter);
        env.add_template("report.html", TEMPLATE)
            .expect("the built-in report template parses");
        env
    })
}

/// The engine's HTML auto-escaping with the five characters that matter in element
/// and attribute content (`& < > " '`). minijinja's default also escapes `/`, which
/// would turn the zone "Europe/Kyiv" and "30m / 2h" into `&#x2f;` soup for no gain.
fn escape_formatter(
    out: &mut Output,
    state: &State,
    value: &Value,
) -> Result<(), minijinja::Error> {
    if state.auto_escape() == AutoEscape::None || value.is_safe() {
        return minijinja::escape_formatter(out, state, value);
    }
    let text = value.to_string();
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    out.write_str(&escaped).map_err(minijinja::Error::from)
}

/// Everything the template shows, as text ready to print (numbers formatted here, so
/// the page reads exactly as the text report's figures do).
#[derive(Serialize)]
struct Page {
    since: String,
    until: String,
    timezone: String,
    kpis: Vec<Kpi>,
    volume: VolumeChart,
    heatmap: Heatmap,
    bar_charts: Vec<BarChart>,
    breaches: BreachLine,
}

#[derive(Serialize)]
struct Kpi {
    label: &'static str,
    value: String,
    class: &'static str,
}

#[derive(Serialize)]
struct BreachLine {
    first_response: usize,
    resolution: usize,
    tickets: String,
}

fn page(r: &Report) -> Page {
    let pct = |p: Option<f64>| p.map_or_else(|| "—".to_string(), |p| format!("{p:.1}%"));
    let fc = &r.first_contact;
    let fc_class = match fc.meets_target {
        Some(true) => "good",
        Some(false) => "bad",
        None => "",
    };
    let kpi = |label, value, class| Kpi {
        label,
        value,
        class,
    };
    let kpis = vec![
        kpi("Tickets created", r.totals.tickets_created.to_string(), ""),
        kpi("Resolved", r.totals.tickets_resolved.to_string(), ""),
        kpi(
            "Closed without reply",
            r.totals.closed_without_reply.to_string(),
            "",
        ),
        kpi(
            "First response (median / p90)",
            format!(
                "{} / {}",
                minutes_text(r.first_response.median_minutes),
                minutes_text(r.first_response.p90_minutes)
            ),
            "",
        ),
        kpi(
            "Resolution (median / p90)",
            format!(
                "{} / {}",
                minutes_text(r.resolution.median_minutes),
                minutes_text(r.resolution.p90_minutes)
            ),
            "",
        ),
        kpi(
            "First-contact resolution",
            format!(
                "{} (target {:.0}%)",
                pct(fc.rate_percent),
                fc.target_percent
            ),
            fc_class,
        ),
        kpi("Escalation rate", pct(r.escalation.percent), ""),
        kpi(
            "SLA breaches",
            r.breaches.tickets.len().to_string(),
            if r.breaches.tickets.is_empty() {
                "good"
            } else {
                "bad"
            },
        ),
        kpi("Backlog now", r.totals.backlog.to_string(), ""),
    ];
    let tickets = if r.breaches.tickets.is_empty() {
        "none".to_string()
    } else {
        r.breaches
            .tickets
            .iter()
            .map(|t| format!("#{t}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Page {
        since: crate::sla::local_date(r.zone(), r.since),
        until: crate::sla::local_date(r.zone(), r.until),
        timezone: r.timezone.clone(),
        kpis,
        volume: volume_chart(r),
        heatmap: heatmap(r),
        bar_charts: [
            ("Backlog by age", &r.backlog_by_age),
            ("By channel", &r.by_channel),
            ("By tag", &r.by_tag),
        ]
        .into_iter()
        .map(|(title, rows)| bar_chart(title, rows))
        .collect(),
        breaches: BreachLine {
            first_response: r.breaches.first_response,
            resolution: r.breaches.resolution,
            tickets,
        },
    }
}

/// Bars of new tickets (dark) and inbound messages (light) per day.
#[derive(Serialize)]
struct VolumeChart {
    width: String,
    height: String,
    days: Vec<VolumeDay>,
    label_y: String,
    max: usize,
    max_y: String,
    zero_y: String,
}

#[derive(Serialize)]
struct VolumeDay {
    date: String,
    x: String,
    /// The `MM-DD` under the bars, on every few days only.
    label: Option<String>,
    bars: Vec<Bar>,
}

#[derive(Serialize)]
struct Bar {
    x: String,
    y: String,
    width: String,
    height: String,
    fill: &'static str,
    count: usize,
}

fn volume_chart(r: &Report) -> VolumeChart {
    let days = r.volume.len().max(1);
    let (bar_w, h, top) = ((560.0 / days as f64).clamp(6.0, 36.0), 120.0, 10.0);
    let label_every = (44.0 / bar_w).ceil().max(1.0) as usize;
    let max = r
        .volume
        .iter()
        .map(|d| d.inbound.max(d.created))
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let days_out = r
        .volume
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let x = 30.0 + i as f64 * bar_w;
            let bars = [
                (d.inbound, bar_w - 2.0, "#9ecae1"),
                (d.created, bar_w - 6.0, "#3182bd"),
            ]
            .into_iter()
            .map(|(n, w, fill)| {
                let bh = n as f64 / max * h;
                Bar {
                    x: format!("{:.1}", x + (bar_w - 2.0 - w) / 2.0),
                    y: format!("{:.1}", top + h - bh),
                    width: format!("{w:.1}"),
                    height: format!("{bh:.1}"),
                    fill,
                    count: n,
                }
            })
            .collect();
            VolumeDay {
                date: d.date.to_string(),
                x: format!("{x:.1}"),
                label: (i % label_every == 0).then(|| d.date.format("%m-%d").to_string()),
                bars,
            }
        })
        .collect();
    VolumeChart {
        width: (days as f64 * bar_w + 70.0).to_string(),
        height: (h + top + 30.0).to_string(),
        days: days_out,
        label_y: format!("{:.1}", top + h + 14.0),
        max: max as usize,
        max_y: format!("{:.1}", top + 4.0),
        zero_y: format!("{:.1}", top + h),
    }
}

/// A 7×24 grid, darker for more inbound messages.
#[derive(Serialize)]
struct Heatmap {
    width: String,
    height: String,
    cell: String,
    hours: Vec<HourLabel>,
    rows: Vec<HeatRow>,
}

#[derive(Serialize)]
struct HourLabel {
    x: String,
    hour: usize,
}

#[derive(Serialize)]
struct HeatRow {
    weekday: &'static str,
    y: String,
    label_y: String,
    cells: Vec<HeatCell>,
}

#[derive(Serialize)]
struct HeatCell {
    x: String,
    hour: String,
    opacity: String,
    count: usize,
}

fn heatmap(r: &Report) -> Heatmap {
    let (cell, left, top) = (18.0, 34.0, 16.0);
    let max = r
        .heatmap
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let rows = r
        .heatmap
        .iter()
        .enumerate()
        .map(|(d, row)| {
            let y = top + d as f64 * cell;
            HeatRow {
                weekday: WEEKDAYS[d],
                y: format!("{y:.1}"),
                label_y: format!("{:.1}", y + 13.0),
                cells: row
                    .iter()
                    .enumerate()
                    .map(|(h, &n)| HeatCell {
                        x: format!("{:.1}", left + h as f64 * cell),
                        hour: format!("{h:02}"),
                        opacity: format!(
                            "{:.2}",
                            if n == 0 {
                                0.05
                            } else {
                                0.15 + 0.85 * (n as f64 / max)
                            }
                        ),
                        count: n,
                    })
                    .collect(),
            }
        })
        .collect();
    Heatmap {
        width: (left + 24.0 * cell + 4.0).to_string(),
        height: (top + 7.0 * cell + 4.0).to_string(),
        cell: format!("{:.1}", cell - 2.0),
        hours: (0..24)
            .step_by(3)
            .map(|h| HourLabel {
                x: format!("{:.1}", left + h as f64 * cell + 3.0),
                hour: h,
            })
            .collect(),
        rows,
    }
}

/// Horizontal bars with labels; no rows shows "none".
#[derive(Serialize)]
struct BarChart {
    title: &'static str,
    width: String,
    height: String,
    left: String,
    bar_height: String,
    rows: Vec<BarRow>,
}

#[derive(Serialize)]
struct BarRow {
    label: String,
    count: usize,
    y: String,
    text_y: String,
    width: String,
    count_x: String,
}

fn bar_chart(title: &'static str, rows: &[Count]) -> BarChart {
    let (row_h, left, width) = (18.0, 110.0, 300.0);
    let max = rows.iter().map(|c| c.count).max().unwrap_or(0).max(1) as f64;
    BarChart {
        title,
        width: (left + width + 40.0).to_string(),
        height: (rows.len() as f64 * row_h + 4.0).to_string(),
        left: left.to_string(),
        bar_height: format!("{:.1}", row_h - 4.0),
        rows: rows
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let y = i as f64 * row_h;
                let w = c.count as f64 / max * width;
                BarRow {
                    label: c.label.clone(),
                    count: c.count,
                    y: format!("{:.1}", y + 2.0),
                    text_y: format!("{:.1}", y + 13.0),
                    width: format!("{w:.1}"),
                    count_x: format!("{:.1}", left + w + 4.0),
                }
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_engine_escapes_every_value_from_the_queue() {
        let mut out = String::new();
        let env = environment();
        let t = env
            .template_from_str("<b title=\"{{ v }}\">{{ v }}</b>")
            .unwrap();
        out.push_str(
            &t.render(minijinja::context! { v => "<a href='x'>\"q&a\"</a>" })
                .unwrap(),
        );
        assert_eq!(
            out,
            "<b title=\"&lt;a href=&#39;x&#39;&gt;&quot;q&amp;a&quot;&lt;/a&gt;\">&lt;a href=&#39;x&#39;&gt;&quot;q&amp;a&quot;&lt;/a&gt;</b>"
        );
    }
}
