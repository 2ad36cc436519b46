//! Team mode in the console: who else is on the open ticket (presence), changes
//! pushed by the server (live updates), the "Mine" and "Unassigned" views, and
//! taking a ticket. Every store call goes through the runner (`Command::Presence`,
//! a `Command::Change` for taking); this file only decides what to ask and keeps
//! the answers for drawing.
//!
//! Presence: while a ticket is open (the thread or the composer has the keyboard,
//! not a cursor passing over rows in the list) the console announces it, "viewing"
//! or "replying", again on every change and every heartbeat; the same command reads
//! every console's fresh rows back. Leaving the ticket, and quitting, withdraw the
//! row. On PostgreSQL another console's announcement arrives as a notification and
//! is read at once; on a file it is read at the next heartbeat.

use super::*;
use crate::store::live::Change;
use crate::store::presence::{self, Activity, Presence, HEARTBEAT_EVERY, STALE_AFTER};
use crate::store::AssigneeFilter;
use crate::tui::action::TeamView;
use crate::tui::runner::{Command, PresenceWrite};

/// What the console knows of its team.
#[derive(Debug, Default)]
pub struct Team {
    /// The team view narrowing the inbox, if any.
    pub scope: Option<TeamView>,
    /// Every console's fresh presence row (this one's included), as last read.
    pub presence: Vec<Presence>,
    /// What this console announced last (`None`: no row).
    announced: Option<(TicketId, Activity)>,
    last_beat: Option<Instant>,
    /// Whether the queue is on a server, i.e. shared by a team: the header shows
    /// the team views there (a file's owner usually works alone; the keys work on
    /// both). Learnt at the first tick.
    pub shared: Option<bool>,
    /// The collision sentence the "send anyway?" question shows ("Olena replied
    /// 2 min ago"); kept here because `ConfirmKind` is `Copy`.
    pub collision: Option<String>,
    /// The question before `T` takes a teammate's ticket ("Olena has this ticket —
    /// take it?").
    pub take_question: Option<String>,
    /// The holder id of the console writing the reply draft on screen, when another
    /// one is: who the take-over question and the "moved" line name.
    pub draft_owner: Option<String>,
    /// The ticket whose reply draft another console took over from this one: the
    /// composer keeps the words written here instead of following the other's
    /// typing (they were saved, so the other console has them too).
    pub kept_words: Option<TicketId>,
}

impl App {
    /// The agent's name for the team views and for taking tickets; `None` without
    /// `[agent] name` (a solo queue has no "mine").
    pub fn agent_name(&self) -> Option<String> {
        let name = self.config.agent.name.trim();
        (!name.is_empty()).then(|| name.to_string())
    }

    /// The assignee part of the inbox's filter.
    pub(super) fn team_filter(&self) -> AssigneeFilter {
        match (self.team.scope, self.agent_name()) {
            (Some(TeamView::Mine), Some(me)) => AssigneeFilter::Agent(me),
            (Some(TeamView::Unassigned), _) => AssigneeFilter::Unassigned,
            _ => AssigneeFilter::Anyone,
        }
    }

    /// `7` / `8`: narrows the inbox to the team view, or widens it back when it is
    /// the one shown. Without `[agent] name` the status line says how to get it.
    pub fn toggle_team_view(&mut self, view: TeamView) -> Result<(), ConsoleError> {
        if view == TeamView::Mine && self.agent_name().is_none() {
            self.error("\"Mine\" needs your name: set [agent] name in config.toml (the name tickets are assigned to)");
            return Ok(());
        }
        self.team.scope = if self.team.scope == Some(view) {
            None
        } else {
            Some(view)
        };
        // The cursor's ticket stays under the cursor when the new view shows it; when
        // the narrowing hid it, that is the user's own doing: the reload keeps it by
        // name, so no "#141 left Needs reply (changed elsewhere)" follows.
        let keep = self.selected_ticket().map(|r| r.ticket.id);
        self.focus = Focus::Inbox;
        self.inbox.selected = 0;
        self.inbox.top = 0;
        match self.team.scope {
            Some(v) => self.info(format!(
                "showing {}: {} tickets only ({} again shows everyone's)",
                v.label(),
                v.label().to_lowercase(),
                match v {
                    TeamView::Mine => "7",
                    TeamView::Unassigned => "8",
                }
            )),
            None => self.info("showing everyone's tickets"),
        }
        self.reload_keeping(keep)
    }

    /// `T`: assigns the highlighted (or open, or marked) tickets to this agent;
    /// asks first when a teammate has one of them (taking it silently would pull it
    /// from under them).
    pub fn take_ticket(&mut self) -> Result<(), ConsoleError> {
        let Some(me) = self.agent_name() else {
            self.error("taking a ticket needs your name: set [agent] name in config.toml");
            return Ok(());
        };
        let targets = self.targets();
        let held: Vec<(TicketId, String)> = targets
            .iter()
            .filter_map(|(id, _)| {
                let who = self.assignee_of(*id)?;
                (who.trim() != me).then_some((*id, who))
            })
            .collect();
        if held.is_empty() {
            return self.take_confirmed();
        }
        self.team.take_question = Some(take_question(&held, targets.len()));
        self.popup = Some(Popup::Confirm {
            kind: ConfirmKind::TakeFromTeammate,
        });
        Ok(())
    }

    /// Who has ticket `id`, as the list or the open thread last showed it.
    fn assignee_of(&self, id: TicketId) -> Option<String> {
        if let Some(open) = self.open.as_ref().filter(|o| o.detail.ticket.id == id) {
            return open.detail.ticket.assignee.clone();
        }
        (0..self.inbox.len())
            .filter_map(|i| self.inbox.row(i))
            .find(|r| r.ticket.id == id)
            .and_then(|r| r.ticket.assignee.clone())
    }

    /// Takes the targets: `T` on tickets nobody (or this agent) has, or "yes" to
    /// taking a teammate's.
    pub fn take_confirmed(&mut self) -> Result<(), ConsoleError> {
        self.team.take_question = None;
        let Some(me) = self.agent_name() else {
            return Ok(());
        };
        self.apply_change(
            &format!("assigned to {me}"),
            crate::model::TicketChange::Assignee(Some(me)),
        )
    }

    /// What this console should be announcing now.
    fn presence_wanted(&self) -> Option<(TicketId, Activity)> {
        let open = self.open.as_ref()?.detail.ticket.id;
        match self.focus {
            Focus::Inbox => None,
            Focus::Conversation => Some((open, Activity::Viewing)),
            Focus::Composer | Focus::Tone if self.composer.ticket == Some(open) => {
                Some((open, Activity::Replying))
            }
            Focus::Composer | Focus::Tone => Some((open, Activity::Viewing)),
        }
    }

    /// Every tick: announces a change of ticket or activity at once, and otherwise
    /// beats (and reads the others' rows) every [`HEARTBEAT_EVERY`].
    pub(super) fn team_tick(&mut self, now: Instant) -> Result<(), ConsoleError> {
        if self.team.shared.is_none() {
            self.team.shared = Some(matches!(
                self.location,
                Some(crate::store::Location::Server(_))
            ));
        }
        let Some(console) = self.holder.clone() else {
            return Ok(());
        };
        let want = self.presence_wanted();
        let due = self
            .team
            .last_beat
            .is_none_or(|t| now.duration_since(t) >= HEARTBEAT_EVERY);
        if want == self.team.announced && !due {
            return Ok(());
        }
        let write = match want {
            Some((ticket, activity)) => PresenceWrite::Announce(Presence {
                console,
                agent: self.config.agent.display_name(),
                ticket,
                activity,
                heartbeat: Utc::now(),
            }),
            None if self.team.announced.is_some() => PresenceWrite::Withdraw(console),
            None => PresenceWrite::Keep,
        };
        self.team.announced = want;
        self.team.last_beat = Some(now);
        self.ask_presence(write)
    }

    fn ask_presence(&mut self, write: PresenceWrite) -> Result<(), ConsoleError> {
        self.run(Command::Presence {
            write,
            fresh_since: Utc::now() - STALE_AFTER,
        })
    }

    /// The runner's answer: every console's fresh rows.
    pub(super) fn presence_read(&mut self, rows: Vec<Presence>) {
        self.team.presence = rows;
    }

    /// Quitting: this console's row goes (queued before the runner's last writes).
    pub fn leave_team(&mut self) {
        if self.team.announced.take().is_none() {
            return;
        }
        if let Some(console) = self.holder.clone() {
            let _ = self.ask_presence(PresenceWrite::Withdraw(console));
        }
    }

    /// A notification from the server (`tui::listener`): queue data changed, so the
    /// next tick looks at the change counter now instead of in half a second; or
    /// presence changed, so the rows are read again now.
    pub fn live_change(&mut self, change: Change) -> Result<(), ConsoleError> {
        match change {
            Change::Queue => {
                let now = Instant::now();
                self.last_change_check = now
                    .checked_sub(elsewhere::CHANGE_CHECK_EVERY)
                    .unwrap_or(now);
                Ok(())
            }
            Change::Presence => self.ask_presence(PresenceWrite::Keep),
        }
    }

    /// Whether the header shows the team views: with `[agent] name`, on a server
    /// queue or while one is in use.
    pub fn shows_team_views(&self) -> bool {
        self.agent_name().is_some() && (self.team.shared == Some(true) || self.team.scope.is_some())
    }

    /// Whose console writes the reply draft on screen: "another console (Olena's,
    /// process 4242)" from the draft's holder id and the presence rows (a console
    /// announces itself under that id); the agent replying on the ticket when the id
    /// is not known; "another console" alone when nobody is seen.
    pub fn draft_holder(&self) -> String {
        let ticket = self.composer.ticket;
        let owner = self.team.draft_owner.clone().or_else(|| {
            let open = self.open.as_ref()?;
            (Some(open.detail.ticket.id) == ticket)
                .then(|| open.detail.draft.as_ref()?.owner.clone())
                .flatten()
        });
        let process = owner
            .as_deref()
            .and_then(|o| o.split_once(':'))
            .map(|(pid, _)| format!("process {pid}"));
        let by_id = owner
            .as_deref()
            .and_then(|o| self.team.presence.iter().find(|p| p.console == o));
        let replying = || {
            self.team.presence.iter().find(|p| {
                Some(p.ticket) == ticket
                    && p.activity == Activity::Replying
                    && Some(p.console.as_str()) != self.holder.as_deref()
            })
        };
        let whose = by_id.or_else(replying).map(|p| format!("{}'s", p.agent));
        let about: Vec<String> = whose.into_iter().chain(process).collect();
        if about.is_empty() {
            "another console".into()
        } else {
            format!("another console ({})", about.join(", "))
        }
    }

    /// Ctrl-S (or any send key) away from a composer whose draft another console
    /// took: says where the draft went instead of doing nothing.
    pub fn say_draft_moved(&mut self) {
        let ticket = self
            .composer
            .ticket
            .map(|t| format!(" of #{t}"))
            .unwrap_or_default();
        let key = self
            .keymap
            .key_for(
                crate::tui::keymap::Context::Conversation,
                &crate::tui::action::Action::Reply,
            )
            .unwrap_or_else(|| "r".into());
        self.error(format!(
            "not sent: the draft{ticket} moved to {}; your words stay here · {key} takes it back",
            self.draft_holder()
        ));
    }

    /// "Olena is replying" for the ticket on screen, when someone else is on it.
    pub fn presence_line(&self) -> Option<String> {
        let open = self.open.as_ref()?.detail.ticket.id;
        let others = presence::others_on(&self.team.presence, open, self.holder.as_deref());
        presence::describe(&others)
    }
}

/// "Olena has this ticket — take it?"; for several targets, whose each is.
fn take_question(held: &[(TicketId, String)], targets: usize) -> String {
    match held {
        [(_, who)] if targets == 1 => format!("{who} has this ticket — take it?"),
        _ => {
            let whose: Vec<String> = held
                .iter()
                .map(|(id, who)| format!("{who} has #{id}"))
                .collect();
            format!("{} — take all {targets}?", whose.join(", "))
        }
    }
}
