//! Delivery of queued replies: through a sendmail-compatible command (`msmtp -t`,
//! `sendmail -t`) that reads the message on stdin, or, when no transport is set, as
//! `.eml` files in the outbox folder (temp file, fsync, rename). A reply counts as sent
//! only when the command (or SMTP server) accepts it; otherwise it stays queued with
//! the error and is retried with backoff. A file in the outbox folder is *saved*, not
//! sent: nothing left the machine, so the customer still waits until the user says
//! they sent it (`outbox mark-sent`).

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};

use super::MailError;
use crate::config::Config;
use crate::model::MessageId;
use crate::store::{BlobStore, Bucket, ClaimScope, Claimed, FsBlobs, Store};

/// After this many failed attempts a reply is `failed` and waits for the user.
const MAX_ATTEMPTS: i64 = 8;
/// A sendmail command that has not finished by then is killed and counts as failed.
const COMMAND_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);
/// How much of a failing command's stderr is kept: enough for any real diagnostic
/// (`outbox` prints it whole), not a runaway log.
const STDERR_KEPT: usize = 4000;

/// Where a handed-over reply ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// The transport accepted it (`via …`).
    Delivered(String),
    /// Written to this `.eml` file for the user to send: not delivered.
    Saved(String),
}

/// How replies leave the machine.
#[derive(Debug, Clone)]
pub enum Transport {
    /// A shell command reading the message on stdin.
    Sendmail(String),
    /// No transport: `.eml` files saved into a folder for the user to send. Nothing
    /// leaves the machine, so a reply handed here is saved, never delivered.
    Directory(std::sync::Arc<dyn BlobStore>),
    /// SMTP with TLS (implicit on port 465, STARTTLS otherwise; plain only to localhost).
    Smtp(super::smtp::SmtpSettings),
}

impl Transport {
    /// The transport the settings ask for: `mail.sendmail`, else `mail.smtp_server`,
    /// else `.eml` files in `mail.outbox_dir`, else in the queue's own `outbox` blobs
    /// (`<db>.outbox` beside a SQLite file), handed in as `outbox`.
    /// With no mail transport set, the folder replies are only saved to as `.eml`
    /// (nothing leaves the machine); `None` when replies are really sent. The console
    /// and `firstline reply` say so in the same words.
    pub fn saved_to(config: &Config, outbox: Option<Box<dyn BlobStore>>) -> Option<String> {
        match Transport::from_config(config, outbox) {
            Ok(Transport::Directory(blobs)) => Some(blobs.location(None)),
            _ => None,
        }
    }

    pub fn from_config(
        config: &Config,
        outbox: Option<Box<dyn BlobStore>>,
    ) -> Result<Transport, MailError> {
        if let Some(cmd) = config
            .mail
            .sendmail
            .as_ref()
            .filter(|c| !c.trim().is_empty())
        {
            return Ok(Transport::Sendmail(cmd.clone()));
        }
        if let Some(server) = config
            .mail
            .smtp_server
            .as_ref()
            .filter(|s| !s.trim().is_empty())
        {
            let settings_dir = config.path.as_deref().and_then(std::path::Path::parent);
            return Ok(Transport::Smtp(super::smtp::SmtpSettings {
                server: server.trim().to_string(),
                user: config.mail.smtp_user.clone(),
                password_env: config.mail.smtp_password_env.clone(),
                security: config.mail.smtp_security.clone(),
                ca_file: config
                    .mail
                    .smtp_ca_file
                    .as_deref()
                    .map(|ca| super::smtp::resolve(ca, settings_dir)),
            }));
        }
        if let Some(dir) = &config.mail.outbox_dir {
            return Ok(Transport::Directory(std::sync::Arc::new(FsBlobs::new(
                dir.clone(),
            ))));
        }
        let outbox = outbox.ok_or_else(|| {
            MailError::Invalid(
                "no transport: set mail.sendmail or mail.outbox_dir in the settings".into(),
            )
        })?;
        Ok(Transport::Directory(outbox.into()))
    }

    /// Hands one message over. `Ok` says where it went, for the report.
    pub fn send(&self, raw: &[u8], message_id: Option<&str>) -> Result<Handover, String> {
        match self {
            Transport::Sendmail(cmd) => {
                run_sendmail(cmd, raw).map(|_| Handover::Delivered(format!("via `{cmd}`")))
            }
            Transport::Directory(blobs) => {
                let name = file_name_for(message_id, raw);
                blobs
                    .put(&name, raw)
                    .map(|_| Handover::Saved(blobs.location(Some(&name))))
                    .map_err(|e| e.to_string())
            }
            Transport::Smtp(smtp) => super::smtp::send(smtp, raw)
                .map(|_| Handover::Delivered(format!("via SMTP {}", smtp.server))),
        }
    }

    /// One line for `doctor`: how replies leave, and where they pile up when they do not.
    pub fn describe(&self) -> String {
        match self {
            Transport::Sendmail(cmd) => format!("replies are sent with `{cmd}`"),
            Transport::Smtp(smtp) => format!("replies are sent through SMTP {}", smtp.server),
            Transport::Directory(blobs) => format!(
                "{} — {}; replies are saved there as .eml files for you to send",
                blobs.location(None),
                NO_TRANSPORT
            ),
        }
    }
}

/// Why a reply was only saved, and where to look.
pub const NO_TRANSPORT: &str = "no mail transport is set (see [mail] in the README)";

impl DeliveryReport {
    /// The sentence for one saved reply, the same in the console and on the CLI.
    pub fn saved_line(place: &str) -> String {
        format!("saved as {place} for you to send — {NO_TRANSPORT}")
    }
}

/// What one delivery round did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeliveryReport {
    /// (message, where it went)
    pub sent: Vec<(MessageId, String)>,
    /// (message, error); these stay queued for a retry unless they ran out of tries.
    pub failed: Vec<(MessageId, String)>,
    /// (message, `.eml` path): written for the user to send, not delivered.
    pub saved: Vec<(MessageId, String)>,
    /// (message, why): delivered, but the copy into the IMAP Sent folder
    /// (`append_sent`) failed. The reply counts as sent all the same.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub not_copied: Vec<(MessageId, String)>,
}

/// Delivers every queued reply whose undo window (or retry delay) is over by `now`.
/// The console calls this on its tick; `firstline outbox flush` calls [`deliver_now`].
pub fn deliver_due(
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
) -> Result<DeliveryReport, MailError> {
    deliver_now(store, config, ClaimScope::Due(now))
}

/// Delivers the replies `scope` selects, now.
pub fn deliver_now(
    store: &mut Store,
    config: &Config,
    scope: ClaimScope,
) -> Result<DeliveryReport, MailError> {
    deliver_until_stopped(store, config, scope, &AtomicBool::new(false))
}

/// Like [`deliver_now`], but stops before claiming the next reply once `stop` is
/// set: the console's courier finishes the one it is handing over when the user
/// quits and leaves the rest queued, instead of being killed mid-send.
pub fn deliver_until_stopped(
    store: &mut Store,
    config: &Config,
    scope: ClaimScope,
    stop: &AtomicBool,
) -> Result<DeliveryReport, MailError> {
    let due = store.outbound_due(scope)?;
    let mut report = DeliveryReport::default();
    if due.is_empty() {
        return Ok(report);
    }
    let transport = Transport::from_config(config, store.blobs(Bucket::Outbox));
    // Each reply is claimed just before it is handed over, never the whole round at
    // once: quitting mid-round leaves the rest queued, not stranded as `unknown`.
    for id in due {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        let Some(c) = store.claim_outbound(id, scope)? else {
            continue; // undone or taken by another process meanwhile
        };
        if let Some(out) = crate::telegram::Outgoing::from_raw(&c.raw) {
            deliver_chat(store, config, c, out, stop, &mut report)?;
            continue;
        }
        match &transport {
            Ok(t) => {
                let raw = c.raw.clone();
                let message = c.message;
                let sent_before = report.sent.len();
                deliver_one(store, t, c, &mut report)?;
                // Only after the transport took it (and it is marked sent): the copy
                // in the Sent folder is for the user's other mail apps.
                if report.sent.len() > sent_before {
                    if let Err(why) = super::imap::append_sent(config, &raw) {
                        report.not_copied.push((message, why));
                    }
                }
            }
            Err(e) => {
                // Nowhere to send: the reply waits, with the reason on it.
                let retry = Utc::now() + Duration::seconds(60);
                store.mark_outbound_failed(c.id, &e.to_string(), Some(retry))?;
                report.failed.push((c.message, e.to_string()));
            }
        }
    }
    Ok(report)
}

/// A reply on a Telegram bot ticket: `sendMessage` instead of a mail transport.
fn deliver_chat(
    store: &mut Store,
    config: &Config,
    c: Claimed,
    out: crate::telegram::Outgoing,
    stop: &AtomicBool,
    report: &mut DeliveryReport,
) -> Result<(), MailError> {
    use crate::telegram::SendOutcome;
    match crate::telegram::send_reply(store, config, c.id, out, c.attempts, stop)? {
        SendOutcome::Delivered(place) => {
            store.mark_outbound_sent(c.id)?;
            report.sent.push((c.message, place));
        }
        SendOutcome::Retry { error, at } => {
            let retry_at = (c.attempts + 1 < MAX_ATTEMPTS).then_some(at);
            store.mark_outbound_failed(c.id, &error, retry_at)?;
            report.failed.push((c.message, error));
        }
        SendOutcome::GiveUp(error) => {
            store.mark_outbound_failed(c.id, &error, None)?;
            report.failed.push((c.message, error));
        }
    }
    Ok(())
}

fn deliver_one(
    store: &mut Store,
    transport: &Transport,
    c: Claimed,
    report: &mut DeliveryReport,
) -> Result<(), MailError> {
    if c.raw.is_empty() {
        let err = "the outbox entry has no message bytes".to_string();
        store.mark_outbound_failed(c.id, &err, None)?;
        report.failed.push((c.message, err));
        return Ok(());
    }
    match transport.send(&c.raw, c.message_id.as_deref()) {
        Ok(Handover::Delivered(place)) => {
            store.mark_outbound_sent(c.id)?;
            report.sent.push((c.message, place));
        }
        Ok(Handover::Saved(place)) => {
            store.mark_outbound_saved(c.id, &place)?;
            report.saved.push((c.message, place));
        }
        Err(err) => {
            let attempts = c.attempts + 1;
            let retry_at = (attempts < MAX_ATTEMPTS).then(|| {
                let secs = (30i64 << (attempts - 1).clamp(0, 7)).min(3600);
                Utc::now() + Duration::seconds(secs)
            });
            store.mark_outbound_failed(c.id, &err, retry_at)?;
            report.failed.push((c.message, err));
        }
    }
    Ok(())
}

/// Runs `sh -c cmd` with the message on stdin (LF line ends, as local submission
/// expects) and waits up to a minute.
fn run_sendmail(cmd: &str, raw: &[u8]) -> Result<(), String> {
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run `{cmd}`: {e}"))?;
    let lf: Vec<u8> = {
        let mut out = Vec::with_capacity(raw.len());
        let mut i = 0;
        while i < raw.len() {
            if raw[i] == b'\r' && raw.get(i + 1) == Some(&b'\n') {
                i += 1;
                continue;
            }
            out.push(raw[i]);
            i += 1;
        }
        out
    };
    // Written from a thread so a command that talks before it reads cannot deadlock us.
    let writer = child.stdin.take().map(|mut stdin| {
        std::thread::spawn(move || {
            let result = stdin.write_all(&lf);
            drop(stdin);
            result
        })
    });
    let started = std::time::Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > COMMAND_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("`{cmd}` did not finish within a minute"));
            }
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(20)),
            Err(e) => return Err(format!("waiting for `{cmd}`: {e}")),
        }
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("waiting for `{cmd}`: {e}"))?;
    let written = writer
        .map(|w| {
            w.join()
                .unwrap_or_else(|_| Err(std::io::Error::other("writer panicked")))
        })
        .unwrap_or(Ok(()));
    if output.status.success() {
        written.map_err(|e| format!("`{cmd}` exited before reading the whole message: {e}"))
    } else {
        // The command's own words first: they are what the user needs, and the
        // status bar has room for a line of them, not for a long command path.
        let stderr = String::from_utf8_lossy(&output.stderr);
        let detail = crate::model::text::truncate_at_char(stderr.trim(), STDERR_KEPT);
        let status = output.status;
        if detail.is_empty() {
            Err(format!("`{cmd}` failed ({status}) without saying why"))
        } else {
            Err(format!("{detail} (`{cmd}`, {status})"))
        }
    }
}

/// A safe file name from the Message-ID (or the content hash).
fn file_name_for(message_id: Option<&str>, raw: &[u8]) -> String {
    let base: String = match message_id {
        Some(id) => id
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-@".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect(),
        None => super::sha256_hex(raw),
    };
    format!("{base}.eml")
}
