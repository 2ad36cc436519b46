//! `append_sent = true`: a reply the transport accepted is also put into the
//! account's Sent folder (flagged read), so the user's phone or webmail shows the
//! conversation whole. It is a copy for the user, never the delivery: a failed
//! append leaves the reply sent and is reported apart.

use super::account::Account;
use super::connect::{self, lost, server_words};
use super::FetchError;
use crate::config::Config;

/// Appends `raw` to the Sent folder of the account that appends and sent it (its
/// login is the From address), else of the first account with `append_sent`.
/// `Ok(None)` when no account appends; `Ok(Some(account name))` when done.
pub fn append_sent(config: &Config, raw: &[u8]) -> Result<Option<String>, String> {
    let dir = config.path.as_deref().and_then(std::path::Path::parent);
    let accounts: Vec<Account> = Account::all(&config.mail, dir)?
        .into_iter()
        .filter(|a| a.append_sent && a.sent_folder.is_some())
        .collect();
    if accounts.is_empty() {
        return Ok(None);
    }
    let from = crate::mail::parse_mail(raw)
        .ok()
        .and_then(|p| p.from.map(|(_, addr)| addr.to_lowercase()));
    let account = from
        .and_then(|f| accounts.iter().find(|a| a.user.eq_ignore_ascii_case(&f)))
        .unwrap_or(&accounts[0]);
    append_to(account, raw)
        .map(|()| Some(account.name.clone()))
        .map_err(|e| {
            format!(
                "{}: copying the reply to {} failed: {e}",
                account.name,
                sent(account)
            )
        })
}

fn sent(account: &Account) -> &str {
    account.sent_folder.as_deref().unwrap_or("Sent")
}

fn append_to(account: &Account, raw: &[u8]) -> Result<(), FetchError> {
    let mut conn = connect::connect(account)?;
    let folder = sent(account).to_string();
    let result = conn
        .session
        .append(&folder, raw)
        .flag(imap::types::Flag::Seen)
        .finish()
        .map(|_| ())
        .map_err(|e| match e {
            imap::Error::No(no) => FetchError::Folder(format!(
                "the server refused ({}); does the folder {folder} exist?",
                server_words(&no.information)
            )),
            other => lost(account, other),
        });
    conn.logout();
    result
}
