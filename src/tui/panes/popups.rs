//! Small popups: a one-line prompt (snooze, tags, escalate), a menu (status,
//! priority) and the "send anyway?" confirmation after a blocking tone finding.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::super::app::{App, ChoiceKind, ConfirmKind, PromptKind};
use super::text::wrap;
use crate::display::sanitize_line;
use crate::tone::Severity;
use crate::tui::layout::centered;

fn frame_popup<'a>(app: &App, title: String, hint: &'a str) -> Block<'a> {
    Block::default()
        .borders(Borders::ALL)
        .border_style(app.theme.border_focus)
        .title(Span::styled(title, app.theme.title))
        .title_bottom(Span::styled(hint, app.theme.dim))
}

/// Clears `rect`, draws the popup frame on it and returns the area inside.
fn open_popup(frame: &mut Frame, app: &App, rect: Rect, title: String, hint: &str) -> Rect {
    frame.render_widget(Clear, rect);
    let block = frame_popup(app, title, hint);
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

fn target_label(app: &App) -> String {
    let n = app.inbox.marked.len();
    if n > 0 {
        format!("{n} marked tickets")
    } else {
        app.open
            .as_ref()
            .map(|o| format!("#{}", o.detail.ticket.id))
            .unwrap_or_default()
    }
}

/// A one-line text prompt.
pub fn draw_prompt(frame: &mut Frame, app: &App, kind: PromptKind, input: &str) {
    let area = frame.area();
    let rect = centered(area, 66.min(area.width.saturating_sub(2)), 5);
    let inner = open_popup(
        frame,
        app,
        rect,
        format!(" {} · {} ", kind.title(), target_label(app)),
        " Enter apply · Esc cancel ",
    );
    let example = match kind {
        PromptKind::Snooze => "e.g. tomorrow 9:00",
        PromptKind::Tags => "e.g. +billing -welcome",
        PromptKind::Escalate => "e.g. billing: refund over my limit",
        PromptKind::NoReply => "e.g. auto-reply from their mail server",
        PromptKind::Merge => return draw_merge_prompt(frame, app, inner, input),
        PromptKind::SaveAttachments => "existing files are kept; copies get (2), (3)…",
        PromptKind::Followup => "e.g. tomorrow 10:00 check the refund went through",
        PromptKind::AgentName => "e.g. Olena Kovalenko — never \"agent\"",
        PromptKind::AgentEmail => "e.g. help@yourshop.com — the address customers answer",
    };
    // A time typed so far shows what it resolves to before Enter.
    let below = match app.prompt_preview(kind, input) {
        Some(preview) => Line::styled(preview, app.theme.info),
        None => Line::styled(example, app.theme.dim),
    };
    let lines = vec![
        Line::from(vec![
            Span::styled("> ", app.theme.key),
            Span::raw(format!("{}▏", sanitize_line(input))),
        ]),
        below,
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The merge prompt names the customer's other tickets by number (never the one
/// being merged), so nobody has to go and look the number up.
fn draw_merge_prompt(frame: &mut Frame, app: &App, inner: Rect, input: &str) {
    let candidates = app.merge_candidates();
    let hint = if candidates.is_empty() {
        "this customer has no other ticket; type the number of the one to keep".to_string()
    } else {
        let list: Vec<String> = candidates
            .iter()
            .map(|t| format!("#{} {}", t.ticket.id, sanitize_line(&t.ticket.subject)))
            .collect();
        format!("their other tickets: {}", list.join(" · "))
    };
    let mut lines = vec![Line::from(vec![
        Span::styled("> ", app.theme.key),
        Span::raw(format!("{}▏", sanitize_line(input))),
    ])];
    // The popup has room for two rows of them; the newest tickets come first.
    let rows = usize::from(inner.height.saturating_sub(1)).max(1);
    lines.extend(
        wrap(&hint, usize::from(inner.width).max(1))
            .into_iter()
            .take(rows)
            .map(|l| Line::styled(l, app.theme.dim)),
    );
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A short menu with hotkeys.
pub fn draw_choice(frame: &mut Frame, app: &App, kind: ChoiceKind, selected: usize) {
    let options = kind.options();
    let area = frame.area();
    let rect = centered(area, 36, options.len() as u16 + 2);
    let title = match kind {
        ChoiceKind::Status => format!(" Status · {} ", target_label(app)),
        ChoiceKind::Priority => format!(" Priority · {} ", target_label(app)),
    };
    let inner = open_popup(frame, app, rect, title, " key or Enter · Esc ");
    let lines: Vec<Line> = options
        .iter()
        .enumerate()
        .map(|(i, (key, label, _))| {
            let line = Line::from(vec![
                Span::styled(format!(" {key}  "), app.theme.key),
                Span::raw(label.clone()),
            ]);
            if i == selected {
                line.patch_style(app.theme.selected)
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// "Send anyway?" with the blocking findings listed.
pub fn draw_confirm(frame: &mut Frame, app: &App, kind: ConfirmKind) {
    if let ConfirmKind::TellSolved(id) = kind {
        draw_tell_solved(frame, app, id);
        return;
    }
    if let ConfirmKind::Merge { into, across } = kind {
        draw_merge(frame, app, into, across);
        return;
    }
    if let ConfirmKind::QuitWithQueued(n) = kind {
        draw_quit_with_queued(frame, app, n);
        return;
    }
    if let ConfirmKind::SendDespiteAddedElsewhere { added: n, .. } = kind {
        draw_added_elsewhere(frame, app, n);
        return;
    }
    if let ConfirmKind::TakeOverDraft = kind {
        draw_take_over_draft(frame, app);
        return;
    }
    if let ConfirmKind::TakeFromTeammate = kind {
        let question = app.team.take_question.clone().unwrap_or_default();
        question_popup(
            frame,
            app,
            "A teammate's ticket",
            &question,
            "",
            &[("y", "take it"), ("n", "leave it with them")],
        );
        return;
    }
    let area = frame.area();
    let w = 64.min(area.width.saturating_sub(2));
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines = Vec::new();
    let unfilled = app.unfilled_placeholders();
    if !unfilled.is_empty() {
        lines.push(Line::styled("Placeholders still to fill:", app.theme.fail));
        for l in wrap(&sanitize_line(&unfilled.join(" ")), inner_w) {
            lines.push(Line::raw(format!("✗ {l}")));
        }
    }
    let asks = app.tone_asks();
    if asks.iter().any(|f| f.severity == Severity::Block) {
        lines.push(Line::styled(
            "The tone check found problems that should block this reply:",
            app.theme.fail,
        ));
    } else if !asks.is_empty() {
        lines.push(Line::styled(
            "The tone check found problems to look at before sending:",
            app.theme.fail,
        ));
    }
    for f in asks {
        let mark = if f.severity == Severity::Block {
            "✗"
        } else {
            "⚠"
        };
        for (i, l) in wrap(&sanitize_line(&f.message), inner_w)
            .into_iter()
            .enumerate()
        {
            lines.push(Line::raw(format!(
                "{} {l}",
                if i == 0 { mark } else { " " }
            )));
        }
    }
    lines.push(Line::raw(""));
    lines.push(Line::from(vec![
        Span::raw("Send anyway? "),
        Span::styled("y", app.theme.key),
        Span::raw(" send · "),
        Span::styled("n", app.theme.key),
        Span::raw(" keep editing"),
    ]));
    let rect = centered(area, w, lines.len() as u16 + 2);
    let inner = open_popup(frame, app, rect, " Send anyway? ".into(), "");
    frame.render_widget(Paragraph::new(lines), inner);
}

/// A question in a popup: `text` wrapped, a blank line, then the answers as
/// `lead` followed by each key and what it does (`y send · n keep the draft`). Every
/// yes/no/choice popup draws through here so they read and look alike.
fn question_popup(
    frame: &mut Frame,
    app: &App,
    title: &str,
    text: &str,
    lead: &str,
    keys: &[(&str, &str)],
) {
    let area = frame.area();
    let w = 60.min(area.width.saturating_sub(2));
    let inner_w = usize::from(w.saturating_sub(4));
    let mut lines: Vec<Line> = wrap(text, inner_w).into_iter().map(Line::raw).collect();
    lines.push(Line::raw(""));
    let mut answers = vec![Span::raw(lead.to_string())];
    for (i, (key, what)) in keys.iter().enumerate() {
        if i > 0 {
            answers.push(Span::raw(" · "));
        }
        answers.push(Span::styled(key.to_string(), app.theme.key));
        answers.push(Span::raw(format!(" {what}")));
    }
    lines.push(Line::from(answers));
    let rect = centered(area, w, lines.len() as u16 + 2);
    let inner = open_popup(frame, app, rect, format!(" {title} "), "");
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Quitting while replies wait in the outbox: the courier stops with the console,
/// so the user decides what happens to them.
fn draw_quit_with_queued(frame: &mut Frame, app: &App, n: usize) {
    let what = if n == 1 {
        "1 reply is still waiting".to_string()
    } else {
        format!("{n} replies are still waiting")
    };
    // With no mail transport nothing leaves: "send now" and the next run only save
    // the reply as a file, and the question says where, not that it leaves.
    let (text, send) = match &app.replies_saved_to {
        Some(dir) => (
            format!(
                "{what} in the outbox. No mail transport is set, so nothing is sent: now or the next time firstline runs, {} only saved as .eml in {} for you to send.",
                if n == 1 { "it is" } else { "they are" },
                sanitize_line(dir)
            ),
            "save as .eml now",
        ),
        // On a shared queue a teammate's open console delivers what is kept: saying
        // it waits for "the next time firstline runs" was untrue there.
        None if app.queue_is_shared() => (
            format!("{what} in the team's outbox; kept, a teammate's open console sends it when its undo time is up, else the next firstline that runs."),
            "send now",
        ),
        None => (
            format!("{what} in the outbox; kept, it leaves the next time firstline runs."),
            "send now",
        ),
    };
    question_popup(
        frame,
        app,
        "Quit with replies waiting?",
        &text,
        "",
        &[
            ("s", send),
            ("k", "keep queued"),
            ("t", "take back"),
            ("Esc", "stay"),
        ],
    );
}

/// A reply or note reached the ticket from elsewhere (another console, a CLI) while
/// this draft was written: two answers to one customer must be a choice, not a race.
/// When a reply sent elsewhere already says what the draft says, the question says so.
fn draw_added_elsewhere(frame: &mut Frame, app: &App, n: usize) {
    let id = app
        .composer
        .ticket
        .map(|id| format!("#{id}"))
        .unwrap_or_default();
    let what = if n == 1 {
        "A reply or note was".to_string()
    } else {
        format!("{n} replies or notes were")
    };
    // Who and when, when the runner said ("Olena replied 2 min ago").
    let mut text = match &app.team.collision {
        Some(who) => format!("{who} on {id} — send anyway? (Changed since you opened the composer; the thread shows it now.)"),
        None => format!("{what} added to {id} elsewhere since you opened the composer (changed elsewhere; the thread shows it now)."),
    };
    if let Some(repeated) = app.repeated_in_sent_reply() {
        text.push_str(&format!(
            " It already says \u{201c}{}\u{201d}: yours would tell them twice.",
            sanitize_line(&repeated)
        ));
    }
    question_popup(
        frame,
        app,
        "Changed elsewhere",
        &text,
        "Send yours too? ",
        &[("y", "send"), ("n", "keep the draft")],
    );
}

/// The reply draft on screen is being written in another console.
fn draw_take_over_draft(frame: &mut Frame, app: &App) {
    let id = app
        .composer
        .ticket
        .map(|id| format!("#{id}"))
        .unwrap_or_default();
    let holder = app.draft_holder();
    question_popup(
        frame,
        app,
        &format!("Being edited in {holder}"),
        &format!("The reply draft of {id} is being edited in {holder}. Take it over here? That console keeps what it shows but stops saving, and asks before it sends."),
        "",
        &[("y", "take it over"), ("n", "leave it there")],
    );
}

/// The question before every merge (it cannot be undone), louder when the tickets
/// are two different customers'.
fn draw_merge(frame: &mut Frame, app: &App, into: crate::model::TicketId, across: bool) {
    let question = app
        .merge_question
        .clone()
        .unwrap_or_else(|| format!("Merge into #{into}? A merge cannot be undone."));
    question_popup(
        frame,
        app,
        if across {
            "Different customers"
        } else {
            "Merge?"
        },
        &question,
        "",
        &[("y", "merge"), ("n", "keep them apart")],
    );
}

/// "You told the customer it was delayed — tell them it's solved?" after solving a
/// ticket whose customer last heard "still working on it". Any other key closes it.
fn draw_tell_solved(frame: &mut Frame, app: &App, id: crate::model::TicketId) {
    question_popup(
        frame,
        app,
        "Tell the customer?",
        &format!("#{id} is solved. You told the customer it was delayed — tell them it's solved?"),
        "",
        &[("y", "write to them"), ("n", "not now")],
    );
}
