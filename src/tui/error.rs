//! What can go wrong while the console works: the store's errors, and the mail
//! side's (a delivery that cannot be cancelled, an address that cannot be built)
//! kept as themselves instead of being dressed up as a store error. The status
//! bar shows either as one line.

use crate::mail::MailError;
use crate::store::StoreError;

/// An error from a console action.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Mail(MailError),
}

impl From<MailError> for ConsoleError {
    /// The store's own errors inside a mail error stay store errors, so a conflict
    /// is still recognised as one (and reloads).
    fn from(e: MailError) -> ConsoleError {
        match e {
            MailError::Store(inner) => ConsoleError::Store(inner),
            other => ConsoleError::Mail(other),
        }
    }
}

impl ConsoleError {
    /// Whether another window or process changed the ticket first.
    pub fn is_conflict(&self) -> bool {
        matches!(self, ConsoleError::Store(StoreError::Conflict { .. }))
    }
}
