//! Everything a user can do in the console, as one enum. Keys, the `:` palette and
//! chained follow-ups all produce an `Action`; only `update` interprets them. Names are
//! stable because the keymap file and the palette refer to actions by name.

use ratatui::crossterm::event::KeyEvent;

use crate::model::{Priority, Status};
use crate::store::View;

/// One thing the user (or a follow-up) asks the console to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected ticket / choose the highlighted item.
    Open,
    /// Close the popup, leave the pane, clear the search.
    Back,
    /// Open the next ticket of the inbox without going back to it.
    NextTicket,
    /// Open the previous ticket of the inbox.
    PrevTicket,
    NextView,
    PrevView,
    SetView(View),
    CycleSort,
    Search,
    ToggleMark,
    /// Mark every ticket the current search found, for one bulk action.
    MarkAll,
    ClearMarks,
    Reply,
    Note,
    Send,
    OpenEditor,
    /// Throw the draft (reply, note or transcript) away; `u` brings it back.
    DiscardDraft,
    Canned,
    FocusTone,
    NextPlaceholder,
    /// Expand the `;;shortcut` before the cursor (a plain Tab otherwise).
    ExpandShortcut,
    StatusMenu,
    SetStatus(Status),
    PriorityMenu,
    SetPriority(Priority),
    Solve,
    Tags,
    Snooze,
    Escalate,
    Deescalate,
    /// Move this ticket's (or the marked tickets') thread into another ticket.
    Merge,
    /// Save the open ticket's attachments into a folder.
    SaveAttachments,
    /// Paste a chat transcript into the open ticket as the customer's messages.
    PasteTranscript,
    /// Log a phone call on the open ticket from a call-notes template.
    LogCall,
    /// Mark the waiting message as handled without a reply, with a reason.
    NoReply,
    Spam,
    Undo,
    Help,
    Palette,
    Suspend,
    Refresh,
    /// Tick or untick commandment `n` (0-based) in the tone pane.
    ToggleTick(usize),
    /// Tick the commandment under the cursor in the tone pane.
    ToggleTickSelected,
    /// Answer "yes" in a confirmation.
    Confirm,
    /// A key for the focused text field (composer, search, prompt, filter).
    Input(KeyEvent),
    /// Time passes: autosave the draft, refresh clocks.
    Tick,
    /// Open the owner's report screen (last 30 days).
    Report,
    /// Show the report over the last `n` days (7, 30 or 90).
    ReportPeriod(u32),
    /// Open the composer with a "still working on it" reply for the due follow-up.
    StillWorkingReply,
    /// Add a follow-up to the open ticket (a time, then a note).
    AddFollowup,
    /// Mark the open ticket's follow-up done.
    FollowupDone,
    /// Narrow the inbox to a team view (again: everyone's tickets).
    TeamView(TeamView),
    /// Assign the highlighted ticket to yourself (`[agent] name`).
    TakeTicket,
}

/// The team's views over the inbox: they narrow whichever view is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TeamView {
    /// Tickets assigned to this agent (`[agent] name`).
    Mine,
    /// Tickets nobody has taken.
    Unassigned,
}

impl TeamView {
    pub const ALL: [TeamView; 2] = [TeamView::Mine, TeamView::Unassigned];

    pub fn label(self) -> &'static str {
        match self {
            TeamView::Mine => "Mine",
            TeamView::Unassigned => "Unassigned",
        }
    }

    /// The key name part: `view-mine`, `view-unassigned`.
    pub fn slug(self) -> &'static str {
        match self {
            TeamView::Mine => "mine",
            TeamView::Unassigned => "unassigned",
        }
    }
}

/// The periods the report screen offers, in days.
pub const REPORT_PERIODS: [u32; 3] = [7, 30, 90];

impl Action {
    /// Actions offered by name in the palette and the keymap file, in help order.
    pub fn named() -> Vec<Action> {
        use Action::*;
        let mut all = vec![
            Quit, Up, Down, PageUp, PageDown, Top, Bottom, Open, Back, NextTicket, PrevTicket,
            NextView, PrevView,
        ];
        all.extend(View::ALL.iter().map(|v| SetView(*v)));
        all.extend(self::TeamView::ALL.iter().map(|v| TeamView(*v)));
        all.extend([
            TakeTicket,
            CycleSort,
            Search,
            ToggleMark,
            MarkAll,
            ClearMarks,
            Reply,
            Note,
            Send,
            OpenEditor,
            DiscardDraft,
            Canned,
            FocusTone,
            NextPlaceholder,
            ExpandShortcut,
            StatusMenu,
        ]);
        all.extend(Status::ALL.iter().map(|s| SetStatus(*s)));
        all.push(PriorityMenu);
        all.extend(Priority::ALL.iter().map(|p| SetPriority(*p)));
        all.extend([
            Solve,
            Tags,
            Snooze,
            Escalate,
            Deescalate,
            Merge,
            SaveAttachments,
            PasteTranscript,
            LogCall,
            NoReply,
            Spam,
            StillWorkingReply,
            AddFollowup,
            FollowupDone,
            Undo,
            Help,
            Palette,
            Suspend,
            Refresh,
        ]);
        all.extend((0..5).map(ToggleTick));
        all.extend([ToggleTickSelected, Confirm]);
        all.push(Report);
        all.extend(REPORT_PERIODS.iter().map(|d| ReportPeriod(*d)));
        all
    }

    /// The stable name used in the keymap file and the palette (`reply`, `view-all`).
    pub fn name(&self) -> String {
        use Action::*;
        match self {
            Quit => "quit".into(),
            Up => "up".into(),
            Down => "down".into(),
            PageUp => "page-up".into(),
            PageDown => "page-down".into(),
            Top => "top".into(),
            Bottom => "bottom".into(),
            Open => "open".into(),
            Back => "back".into(),
            NextTicket => "next-ticket".into(),
            PrevTicket => "prev-ticket".into(),
            NextView => "next-view".into(),
            PrevView => "prev-view".into(),
            SetView(v) => format!("view-{}", view_slug(*v)),
            CycleSort => "sort".into(),
            Search => "search".into(),
            ToggleMark => "mark".into(),
            MarkAll => "mark-all".into(),
            ClearMarks => "clear-marks".into(),
            Reply => "reply".into(),
            Note => "note".into(),
            Send => "send".into(),
            OpenEditor => "editor".into(),
            DiscardDraft => "discard-draft".into(),
            Canned => "canned".into(),
            FocusTone => "tone".into(),
            NextPlaceholder => "next-placeholder".into(),
            ExpandShortcut => "expand-shortcut".into(),
            StatusMenu => "status".into(),
            SetStatus(s) => format!("status-{}", s.as_str()),
            PriorityMenu => "priority".into(),
            SetPriority(p) => format!("priority-{}", p.as_str()),
            Solve => "solve".into(),
            Tags => "tags".into(),
            Snooze => "snooze".into(),
            Escalate => "escalate".into(),
            Deescalate => "deescalate".into(),
            Merge => "merge".into(),
            SaveAttachments => "save-attachments".into(),
            PasteTranscript => "paste-transcript".into(),
            LogCall => "log-call".into(),
            NoReply => "no-reply-needed".into(),
            Spam => "spam".into(),
            Undo => "undo".into(),
            Help => "help".into(),
            Palette => "palette".into(),
            Suspend => "suspend".into(),
            Refresh => "refresh".into(),
            ToggleTick(n) => format!("tick-{}", n + 1),
            ToggleTickSelected => "tick".into(),
            Confirm => "confirm".into(),
            Input(_) => "input".into(),
            Tick => "tick-clock".into(),
            Report => "report".into(),
            ReportPeriod(d) => format!("report-{d}d"),
            StillWorkingReply => "still-working-reply".into(),
            AddFollowup => "follow-up".into(),
            FollowupDone => "follow-up-done".into(),
            TeamView(v) => format!("view-{}", v.slug()),
            TakeTicket => "take".into(),
        }
    }

    /// Whether the action leaves the console or changes tickets in a way a glance
    /// will not catch (the palette lists these last, so Enter never lands on one).
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            Action::Quit
                | Action::Suspend
                | Action::Spam
                | Action::SetStatus(Status::Spam)
                | Action::Merge
                | Action::NoReply
        )
    }

    /// Finds a named action (`reply`, `status-solved`).
    pub fn from_name(name: &str) -> Option<Action> {
        let name = name.trim().to_lowercase();
        Action::named().into_iter().find(|a| a.name() == name)
    }

    /// One line for `?` and the palette: what the action does, in the user's words.
    pub fn describe(&self) -> String {
        use Action::*;
        match self {
            Quit => "Quit (the draft is saved)".into(),
            Up => "Move up".into(),
            Down => "Move down".into(),
            PageUp => "Page up".into(),
            PageDown => "Page down".into(),
            Top => "Go to the first item".into(),
            Bottom => "Go to the last item".into(),
            Open => "Open / choose".into(),
            Back => "Back / close / clear search".into(),
            NextTicket => "Open the next ticket".into(),
            PrevTicket => "Open the previous ticket".into(),
            NextView => "Next view".into(),
            PrevView => "Previous view".into(),
            SetView(v) => format!("Show view: {}", v.label()),
            CycleSort => "Sort by due time / last update / priority".into(),
            Search => "Search and filter (from: status: tag: …)".into(),
            ToggleMark => "Mark ticket for a bulk action".into(),
            MarkAll => "Mark every ticket the search found".into(),
            ClearMarks => "Unmark all tickets".into(),
            Reply => "Reply to the customer".into(),
            Note => "Write an internal note".into(),
            Send => "Send the reply / save the note".into(),
            OpenEditor => "Edit the draft in $VISUAL / $EDITOR".into(),
            DiscardDraft => "Discard the draft (u brings it back)".into(),
            Canned => "Insert a canned response".into(),
            FocusTone => "Switch between composer and tone checklist".into(),
            NextPlaceholder => "Jump to the next unfilled placeholder".into(),
            ExpandShortcut => "Expand ;;shortcut into its canned reply (else a tab)".into(),
            StatusMenu => "Change status…".into(),
            SetStatus(s) => format!("Set status: {s}"),
            PriorityMenu => "Change priority…".into(),
            SetPriority(p) => format!("Set priority: {p}"),
            Solve => "Mark solved".into(),
            Tags => "Add/remove tags (+tag -tag)".into(),
            Snooze => "Snooze until… (tomorrow 9:00, 3h, monday)".into(),
            Escalate => "Escalate to the second line with a reason".into(),
            Deescalate => "Take the ticket back from the second line".into(),
            Merge => "Merge into another ticket (same customer, same problem)".into(),
            SaveAttachments => "Save this ticket's attachments to a folder".into(),
            PasteTranscript => "Paste a chat transcript into this ticket".into(),
            LogCall => "Log a phone call (call-notes template)".into(),
            NoReply => "No reply needed (auto-reply, thanks) — with a reason".into(),
            Spam => "Mark as spam".into(),
            Undo => "Undo the last action (or unsend)".into(),
            Help => "Show the keys of this pane".into(),
            Palette => "Run any action by name".into(),
            Suspend => "Suspend to the shell (fg returns)".into(),
            Refresh => "Reload the queue".into(),
            ToggleTick(n) => format!("Tick commandment {}", n + 1),
            ToggleTickSelected => "Tick the highlighted commandment".into(),
            Confirm => "Yes".into(),
            Input(_) => "Type".into(),
            Tick => "Clock tick".into(),
            Report => "Report: response times, volume, busy hours".into(),
            ReportPeriod(d) => format!("Report over the last {d} days"),
            StillWorkingReply => "Still working reply for the due follow-up".into(),
            AddFollowup => "Add a follow-up (3h, tomorrow 10:00 + a note)".into(),
            FollowupDone => "Mark this ticket's follow-up done".into(),
            TeamView(self::TeamView::Mine) => "Show view: Mine (yours; needs [agent] name)".into(),
            TeamView(self::TeamView::Unassigned) => {
                "Show view: Unassigned (nobody took them yet)".into()
            }
            TakeTicket => "Take the ticket: assign it to yourself".into(),
        }
    }
}

/// `needs-reply`, `all`, …: the view part of an action name.
pub fn view_slug(v: View) -> &'static str {
    match v {
        View::NeedsReply => "needs-reply",
        View::All => "all",
        View::Pending => "pending",
        View::Snoozed => "snoozed",
        View::Escalated => "escalated",
        View::Solved => "solved",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_action_round_trips_through_its_name() {
        for a in Action::named() {
            assert_eq!(
                Action::from_name(&a.name()),
                Some(a.clone()),
                "{}",
                a.name()
            );
        }
    }
}
