//! Mail intake and delivery. PLACEHOLDER API — replaced by the intake/outbound work (issue 4).

use crate::config::Config;
use crate::model::{Direction, MessageId, NewMessage, TicketId};
use crate::store::{Store, StoreError};

/// Records a reply and queues it for delivery after the undo window.
/// Placeholder: records the outbound message only.
pub fn queue_reply(
    store: &mut Store,
    config: &Config,
    ticket: TicketId,
    body: &str,
) -> Result<MessageId, StoreError> {
    store.add_message(
        ticket,
        &NewMessage {
            direction: Direction::Outbound,
            author: config.agent.display_name(),
            body: body.to_string(),
            ..Default::default()
        },
    )
}

/// Cancels a queued reply within its undo window; returns whether it was still cancellable.
/// Placeholder: never cancellable.
pub fn cancel_reply(_store: &mut Store, _message: MessageId) -> Result<bool, StoreError> {
    Ok(false)
}
