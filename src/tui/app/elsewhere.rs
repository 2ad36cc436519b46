//! Changes made elsewhere: another console on the same queue, an import in another
//! shell, this process's own courier. SQLite's `data_version` moves whenever another
//! connection commits, so a tick asks that one cheap pragma and, when it moved, the
//! console reloads through its ordinary path (list, open ticket, counts on the worker).
//! The same moment settles replies on the undo stack against their outbox row, so
//! "u to undo" is never left on screen for a reply another process already delivered.

use super::*;
use crate::model::MessageId;
use crate::store::OutboxState;

/// How often the console asks whether the queue changed elsewhere: well inside the
/// two seconds a change may take to show, and one pragma each time.
pub(super) const CHANGE_CHECK_EVERY: Duration = Duration::from_millis(500);

impl App {
    /// Reloads when another connection committed since the last look. Only the
    /// pragma runs unless something changed.
    pub(super) fn notice_changes_elsewhere(&mut self, now: Instant) -> Result<(), ConsoleError> {
        if now.duration_since(self.last_change_check) < CHANGE_CHECK_EVERY {
            return Ok(());
        }
        self.last_change_check = now;
        let version = self.store.data_version()?;
        if version == self.data_version {
            return Ok(());
        }
        // Recorded before reading, so a commit landing during the reload is seen
        // at the next look instead of being lost.
        self.data_version = version;
        self.settle_replies_from_outbox()?;
        self.reload()
    }

    /// Remembers the store's current `data_version` as seen (after the first load).
    pub(super) fn mark_changes_seen(&mut self) -> Result<(), ConsoleError> {
        self.data_version = self.store.data_version()?;
        Ok(())
    }

    /// Replies on the undo stack whose outbox row left the queue (delivered by any
    /// process's courier, or taken back elsewhere) can no longer be undone: they
    /// leave the stack and the status bar says what happened to them.
    pub(crate) fn settle_replies_from_outbox(&mut self) -> Result<(), ConsoleError> {
        let mut settled = Vec::new();
        for entry in &self.undo {
            if let UndoEntry::Reply { message, to, .. } = entry {
                let state = self.store.outbox_entry(*message)?.map(|e| e.state);
                // "sending" is not an outcome: another process is handing the reply
                // over right now. Settling it here would drop it before its commit,
                // and the console would never say whether it was delivered.
                if !matches!(state, Some(OutboxState::Queued | OutboxState::Sending)) {
                    settled.push((*message, to.clone(), state));
                }
            }
        }
        if settled.is_empty() {
            return Ok(());
        }
        self.undo.retain(|e| match e {
            UndoEntry::Reply { message, .. } => !settled.iter().any(|(m, ..)| m == message),
            _ => true,
        });
        let Some((_, to, state)) = settled.last() else {
            return Ok(());
        };
        let to = crate::display::sanitize_line(to);
        match state {
            Some(OutboxState::Sent) => self.info(format!("reply to {to} delivered")),
            Some(OutboxState::Failed | OutboxState::Unknown) => self.error(format!(
                "reply to {to} needs a look: firstline outbox lists it"
            )),
            Some(OutboxState::Saved) => self.info(format!(
                "reply to {to} saved as .eml, not sent: no mail transport is set"
            )),
            Some(OutboxState::Queued | OutboxState::Sending) => {}
            None => self.info(format!("reply to {to} was taken back elsewhere")),
        }
        Ok(())
    }

    /// The newest message on the open ticket, remembered when the composer opens so
    /// sending can tell whether a reply or note was added meanwhile.
    pub(super) fn newest_message_on_screen(&self) -> Option<MessageId> {
        let open = self.open.as_ref()?;
        open.detail.messages.iter().map(|m| m.id).max()
    }
}
