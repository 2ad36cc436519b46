//! The cursor follows the ticket, never the row. Every time the list is replaced
//! (a reload after a change, new mail, a look at changes made elsewhere, a search
//! re-run, rows read for a window) the rows under the cursor may have shifted: an
//! import sorted a new ticket into the place the cursor's index points at, or the
//! cursor's ticket left the view. Staying on the index then puts the cursor — and
//! the next `d` — on a ticket the user never looked at. So the cursor is marked by
//! ticket id before the rows change, and put back on that id after; when the ticket
//! left the list it goes to its nearest neighbour as the user saw the list (the one
//! after it first, as when a solved ticket's place is taken by the next), and the
//! status line says so when the user did not cause it.

use super::*;
use crate::tui::runner::Command;

/// How far on each side of the cursor its neighbours are remembered.
const NEIGHBOURS: usize = 5;

/// The ticket under the cursor and the tickets beside it as the list shows them
/// now: after it first, nearest first, then before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct CursorMark {
    pub id: TicketId,
    pub neighbours: Vec<TicketId>,
}

/// Where the cursor went after the rows changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Landing {
    /// On its ticket (or nothing was known to follow).
    Stayed,
    /// Its ticket left the list; on the neighbour given, if any was still there.
    Left {
        gone: TicketId,
        on: Option<TicketId>,
    },
}

impl App {
    /// The cursor's ticket and its neighbours in the rows in memory, if the cursor
    /// is on a row in memory.
    pub(super) fn cursor_mark(&self) -> Option<CursorMark> {
        let id = self.selected_ticket()?.ticket.id;
        let sel = self.inbox.selected;
        let after = (sel + 1..=sel + NEIGHBOURS).filter_map(|i| self.inbox.row(i));
        let before = (sel.saturating_sub(NEIGHBOURS)..sel)
            .rev()
            .filter_map(|i| self.inbox.row(i));
        Some(CursorMark {
            id,
            neighbours: after.chain(before).map(|r| r.ticket.id).collect(),
        })
    }

    /// The row of ticket `id` among the rows in memory.
    pub(super) fn row_of(&self, id: TicketId) -> Option<usize> {
        let (from, to) = match &self.inbox.hits {
            Some(h) => (0, h.len()),
            None => (
                self.inbox.window_start,
                self.inbox.window_start + self.inbox.rows.len(),
            ),
        };
        (from..to).find(|i| self.inbox.row(*i).is_some_and(|r| r.ticket.id == id))
    }

    /// Puts the cursor back on `mark`'s ticket in the rows now in memory, or, when
    /// it is not among them, keeps it on a neighbour already chosen (the runner
    /// found one) or moves it to the nearest neighbour still there.
    pub(super) fn land(&mut self, mark: &CursorMark) -> Landing {
        let under = self.selected_ticket().map(|r| r.ticket.id);
        if under == Some(mark.id) {
            return Landing::Stayed;
        }
        if let Some(i) = self.row_of(mark.id) {
            self.inbox.selected = i;
            self.fix_top();
            return Landing::Stayed;
        }
        if under.is_some_and(|u| mark.neighbours.contains(&u)) {
            return Landing::Left {
                gone: mark.id,
                on: under,
            };
        }
        let on = mark
            .neighbours
            .iter()
            .find_map(|n| self.row_of(*n).map(|i| (i, *n)));
        if let Some((i, _)) = on {
            self.inbox.selected = i;
            self.fix_top();
        }
        Landing::Left {
            gone: mark.id,
            on: on.map(|(_, n)| n),
        }
    }

    /// Notes the tickets a command of the user's may take out of the view, so the
    /// cursor moving off them then is no surprise (see [`App::say_where_it_landed`]).
    pub(super) fn note_departures(&mut self, command: &Command) {
        match command {
            Command::Change { targets, .. } => self
                .own_departures
                .extend(targets.iter().map(|(id, _)| *id)),
            Command::SendReply(out) => {
                self.own_departures.insert(out.ticket);
            }
            Command::Merge { sources, .. } => self.own_departures.extend(sources.iter().copied()),
            Command::File { ticket, .. } | Command::CancelReply { ticket, .. } => {
                self.own_departures.insert(*ticket);
            }
            _ => {}
        }
    }

    /// The cursor's ticket left the list and the user did not do it (another
    /// console, the command line, mail threading it elsewhere): the status line
    /// says where the cursor went, since the row under it changed by itself.
    /// Said only in the list, where the ticket on the right follows the cursor.
    pub(super) fn say_where_it_landed(&mut self, landing: Landing) {
        let Landing::Left { gone, on } = landing else {
            return;
        };
        if self.own_departures.contains(&gone)
            || self.focus != Focus::Inbox
            || self.message.as_ref().is_some_and(|m| m.error)
        {
            return;
        }
        let view = match &self.inbox.search {
            Some(_) => "the search",
            None => self.inbox.view.label(),
        };
        match on {
            Some(on) => self.info(format!(
                "#{gone} left {view} (changed elsewhere) · the cursor is on #{on}"
            )),
            None => self.info(format!("#{gone} left {view} (changed elsewhere)")),
        }
    }
}
