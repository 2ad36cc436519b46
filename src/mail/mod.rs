//! Mail and chat intake, and the way replies leave the machine.
//!
//! Intake (`import_paths`, `watch`): `detect` sniffs paths into sources (mbox, Maildir,
//! `.eml` files, Telegram JSON, WhatsApp text, CSV web forms; pasted transcripts come
//! through `paste`); `sources` reads each into items with a location for error reports
//! and a resume position; `parse` turns raw RFC 5322 bytes into a message; `intake`
//! converts, batches and hands them to the store, which owns threading, deduplication
//! and resume progress (`store::ingest`). Importers know nothing of SQL; the store
//! knows nothing of MIME.
//!
//! Outbound (`queue_reply`, `cancel_reply`, `deliver_due`): a reply is built as an
//! RFC 5322 message once (its Message-ID never changes), waits in the outbox for the
//! undo window, then goes through a sendmail-compatible command, SMTP (`smtp`), or is
//! written as an `.eml` file into the outbox folder (`deliver`).

mod attachments;
mod automatic;
mod chat;
mod deliver;
mod detect;
mod export;
pub mod imap;
mod intake;
mod mbox;
mod outbound;
mod parse;
pub mod paste;
pub mod save;
pub mod smtp;
mod sources;
mod watch;

/// Content-addressed attachment files, for live channels that fetch their own.
pub use attachments::{safe_filename, save_attachment, SaveOutcome};
pub use chat::ChatMessage;
pub use deliver::{
    deliver_due, deliver_now, deliver_until_stopped, DeliveryReport, Handover, Transport,
    NO_TRANSPORT,
};
pub use detect::Format;
pub use export::export_mbox;
pub use intake::{import_items, import_paths, ImportOptions, ImportReport, Problem, ProgressEvent};
pub use outbound::{build_reply, cancel_reply, queue_reply, reply_recipient, BuiltReply};
pub use parse::{parse_mail, ParsedMail};
pub use watch::watch;

use crate::store::StoreError;

/// The language and formality of a customer's message, kept with it at import so
/// the tone checker and canned replies need not read the whole thread again. Here,
/// not in `intake`, because chat readers and mail intake both ask it.
pub(crate) fn profile_of(body: &str) -> (crate::model::Language, crate::model::Formality) {
    crate::tone::customer_profile(body)
}

/// What can go wrong in intake or delivery as a whole. Problems with one message are
/// not errors: they are collected in the import report and the import goes on.
#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    /// The reply cannot be addressed: the customer has no e-mail address we know.
    #[error("ticket {0} has no customer e-mail address to reply to; reply in the customer's channel instead")]
    NoRecipient(crate::model::TicketId),
    /// Neither `[agent] email` nor `[mail] addresses` is set: there is no honest From.
    #[error("no address to send replies from; set `email` under [agent] (or `addresses` under [mail]) in config.toml")]
    NoSender,
    /// Building the RFC 5322 message failed.
    #[error("could not build the reply: {0}")]
    Build(String),
    /// Something the user asked for cannot be done as asked.
    #[error("{0}")]
    Invalid(String),
}

impl MailError {
    pub(crate) fn io(path: impl AsRef<std::path::Path>, source: std::io::Error) -> MailError {
        MailError::Io {
            path: path.as_ref().display().to_string(),
            source,
        }
    }
}

/// Hex SHA-256 of some bytes: the identity of raw messages and attachments.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Text the store and terminal can hold: no NUL bytes (SQLite and C tools stop at
/// them), everything else kept as it came.
pub(crate) fn clean_text(text: &str) -> String {
    if text.contains('\0') {
        text.replace('\0', "")
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_shareable_error<T: std::error::Error + Send + Sync + 'static>() {}

    #[test]
    fn mail_error_can_cross_threads_and_box_into_anyhow() {
        is_shareable_error::<MailError>();
    }

    #[test]
    fn sha256_is_lowercase_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
