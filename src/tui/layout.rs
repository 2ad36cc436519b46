//! Where each pane goes, the one answer both sides need: `panes` draws into these
//! areas and `update` uses them for mouse hits and scroll limits, so a click lands
//! on the row that was drawn there. At 110 columns and wider the inbox and the
//! conversation sit side by side; narrower, the focused side takes the screen.

use ratatui::layout::{Constraint, Layout, Rect};

use super::app::{App, Focus};
use super::panes::{conversation, inbox, tone_pane};

/// Width from which inbox and conversation are shown together.
pub const WIDE: u16 = 110;

/// Where each pane goes this frame; `None` when it is not shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Areas {
    pub header: Rect,
    pub inbox: Option<Rect>,
    pub conversation: Option<Rect>,
    pub composer: Option<Rect>,
    pub tone: Option<Rect>,
    pub status: Rect,
}

/// Whether the composer pane is shown.
pub fn composer_visible(app: &App) -> bool {
    app.open.is_some()
        && (matches!(app.focus, Focus::Composer | Focus::Tone) || !app.composer.is_empty())
}

/// Splits the screen for the current state.
pub fn layout(area: Rect, app: &App) -> Areas {
    let [header, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let (inbox, right) = if area.width >= WIDE {
        let share = if area.width >= 150 { 50 } else { 46 };
        let [l, r] =
            Layout::horizontal([Constraint::Percentage(share), Constraint::Fill(1)]).areas(body);
        (Some(l), Some(r))
    } else if app.focus == Focus::Inbox || app.open.is_none() {
        (Some(body), None)
    } else {
        (None, Some(body))
    };
    let (mut conversation, mut composer, mut tone) = (right, None, None);
    if let Some(r) = right.filter(|_| composer_visible(app)) {
        let top = (r.height * 45 / 100).max(5);
        let [c, bottom] = Layout::vertical([Constraint::Length(top), Constraint::Fill(1)]).areas(r);
        let tone_w = (bottom.width * 2 / 5).clamp(24, 40);
        let [ed, tn] =
            Layout::horizontal([Constraint::Fill(1), Constraint::Length(tone_w)]).areas(bottom);
        conversation = Some(c);
        composer = Some(ed);
        tone = Some(tn);
    }
    Areas {
        header,
        inbox,
        conversation,
        composer,
        tone,
        status,
    }
}

/// Scroll limits of the conversation pane at the current size: (furthest offset,
/// offset of the newest message). Zero when the pane is not on screen.
pub fn conversation_scroll_limits(app: &App) -> (usize, usize) {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    let areas = layout(area, app);
    // Narrow screens show the conversation in place of the inbox once it is open.
    let full = Rect::new(0, 1, area.width, area.height.saturating_sub(2));
    let conv = areas.conversation.or(Some(full));
    conv.map_or((0, 0), |c| conversation::scroll_limits(app, c))
}

/// How far the tone pane's findings can scroll at the current size (zero when the
/// pane is not on screen).
pub fn tone_max_scroll(app: &App) -> usize {
    let area = Rect::new(0, 0, app.size.0, app.size.1);
    layout(area, app)
        .tone
        .map_or(0, |a| tone_pane::max_scroll(app, a))
}

/// The inbox row at screen line `y` of the inbox `area` (for mouse clicks).
pub fn inbox_row_at(app: &App, area: Rect, y: u16) -> Option<usize> {
    inbox::row_at(app, area, y)
}

/// A rectangle of `w`×`h` (clamped) centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
