//! Drawing: a pure function of `&App` into a ratatui frame. Each pane and popup
//! has its own file; this one draws them where `tui::layout` puts them.
//! Every string from outside passes through `crate::display::sanitize*` here.

mod canned_picker;
mod composer;
pub(super) mod conversation;
mod help;
pub(super) mod inbox;
mod palette;
mod popups;
mod report;
mod statusbar;
pub mod text;
pub(super) mod tone_pane;

use ratatui::Frame;

use super::app::{App, Popup};
use super::layout::layout;

pub use help::last_scroll as help_last_scroll;

/// Draws the whole console.
pub fn draw(frame: &mut Frame, app: &App) {
    let areas = layout(frame.area(), app);
    statusbar::draw_header(frame, areas.header, app);
    if let Some(a) = areas.inbox {
        inbox::draw(frame, a, app);
    }
    if let Some(a) = areas.conversation {
        conversation::draw(frame, a, app);
    }
    if let Some(a) = areas.composer {
        composer::draw(frame, a, app);
    }
    if let Some(a) = areas.tone {
        tone_pane::draw(frame, a, app);
    }
    statusbar::draw(frame, areas.status, app);
    match &app.popup {
        Some(Popup::Help { context, scroll }) => help::draw(frame, app, *context, *scroll),
        Some(Popup::Palette {
            input,
            selected,
            matches,
        }) => palette::draw(frame, app, input, *selected, matches),
        Some(Popup::Canned(picker)) => canned_picker::draw(frame, app, picker),
        Some(Popup::Prompt { kind, input }) => popups::draw_prompt(frame, app, *kind, input),
        Some(Popup::Choice { kind, selected }) => popups::draw_choice(frame, app, *kind, *selected),
        Some(Popup::Confirm { kind }) => popups::draw_confirm(frame, app, *kind),
        Some(Popup::Report(screen)) => report::draw(frame, app, screen),
        None => {}
    }
}
