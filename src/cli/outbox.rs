//! `firstline send` and `firstline outbox`: see and control replies waiting to leave.
//! Delivery itself is `crate::mail`'s; this file only parses arguments and prints.

use anyhow::Result;
use chrono::Utc;
use clap::{Args, Subcommand};
use std::io::Write;
use std::process::ExitCode;

use super::{print_json, user_error, Context};
use crate::display::sanitize_line;
use crate::mail::{DeliveryReport, NO_TRANSPORT};
use crate::model::{MessageId, TicketId};
use crate::store::{ClaimScope, OutboxState};

/// Arguments of `firstline send`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example:\n  firstline send 12     # deliver ticket 12's queued reply now, skipping the undo wait"
)]
pub struct SendArgs {
    /// The ticket whose queued (or failed) reply to deliver now.
    pub id: TicketId,
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `firstline outbox`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline outbox             # what is waiting, with countdowns and errors\n  firstline outbox flush       # deliver everything queued now\n  firstline outbox cancel 57   # undo reply message 57 (it becomes the draft again)\n  firstline outbox resend 57   # a reply in doubt (unknown) or failed: send it again now\n  firstline outbox mark-sent 57  # it did go out (you saw it in your Sent folder, or sent the saved .eml)"
)]
pub struct OutboxArgs {
    #[command(subcommand)]
    pub action: Option<OutboxAction>,
    #[arg(long, global = true)]
    pub json: bool,
}

/// What to do with the outbox.
#[derive(Debug, Subcommand)]
pub enum OutboxAction {
    /// List replies waiting, failing, or in doubt (the default).
    List {
        /// Include delivered replies.
        #[arg(long)]
        all: bool,
    },
    /// Deliver every queued reply now, undo window or not.
    Flush,
    /// Take back a queued reply (by message id); its text becomes the draft again.
    Cancel { message: MessageId },
    /// Send a reply in doubt (`unknown`: interrupted while sending) or `failed` again, now.
    Resend { message: MessageId },
    /// Record that a reply in doubt, failed, or saved as a file did go out; it will not
    /// be sent again, and it answers the customer from now on.
    MarkSent { message: MessageId },
}

/// Delivers one ticket's queued, failed or in-doubt replies now.
pub fn send(ctx: &Context, args: SendArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store(true)?;
    store.ticket(args.id)?;
    require_sender(ctx)?;
    let report = crate::mail::deliver_now(&mut store, &ctx.config, ClaimScope::Ticket(args.id))?;
    if report.sent.is_empty() && report.failed.is_empty() && report.saved.is_empty() {
        let saved = store
            .undelivered_replies(args.id)?
            .into_iter()
            .find(|e| e.state == OutboxState::Saved);
        if let Some(e) = saved {
            return Err(user_error(format!(
                "ticket {}'s reply {} was saved as .eml, not sent: {}",
                args.id,
                e.message,
                saved_advice(&ctx.config, e.message)
            )));
        }
        return Err(user_error(format!(
            "ticket {} has no reply waiting in the outbox (`firstline outbox` lists them)",
            args.id
        )));
    }
    print_delivery(&report, args.json)
}

/// Lists, flushes or cancels.
pub fn run(ctx: &Context, args: OutboxArgs) -> Result<ExitCode> {
    let mut store = ctx.open_store(true)?;
    match args.action.unwrap_or(OutboxAction::List { all: false }) {
        OutboxAction::List { all } => {
            let entries = store.outbox_entries(all)?;
            if args.json {
                print_json(&entries)?;
                return Ok(ExitCode::SUCCESS);
            }
            let mut out = std::io::stdout().lock();
            if entries.is_empty() {
                writeln!(out, "outbox is empty")?;
            }
            let now = Utc::now();
            let tz = crate::sla::timezone(&ctx.config.sla);
            for e in entries {
                let when = match e.state {
                    OutboxState::Queued if e.not_before > now => {
                        format!("in {}s", (e.not_before - now).num_seconds())
                    }
                    OutboxState::Queued => "due".into(),
                    _ => crate::sla::local_time(tz, e.updated_at),
                };
                writeln!(
                    out,
                    "message {:>5}  ticket {:>5}  {:<8} {:<16} tries {}{}",
                    e.message,
                    e.ticket,
                    e.state.as_str(),
                    when,
                    e.attempts,
                    e.last_error
                        .map(|err| format!("  {}", sanitize_line(&err)))
                        .unwrap_or_default()
                )?;
                if e.state == OutboxState::Saved {
                    writeln!(
                        out,
                        "    not delivered: {}",
                        saved_advice(&ctx.config, e.message)
                    )?;
                } else if matches!(e.state, OutboxState::Unknown | OutboxState::Failed) {
                    writeln!(
                        out,
                        "    choose: `firstline outbox resend {m}` or `firstline outbox mark-sent {m}`",
                        m = e.message
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        OutboxAction::Flush => {
            require_sender(ctx)?;
            let report = crate::mail::deliver_now(&mut store, &ctx.config, ClaimScope::AllQueued)?;
            let code = print_delivery(&report, args.json)?;
            if transport_is_set(&ctx.config) {
                let fresh: Vec<_> = report.saved.iter().map(|(id, _)| *id).collect();
                for e in store.outbox_entries(false)? {
                    if e.state == OutboxState::Saved && !fresh.contains(&e.message) {
                        eprintln!(
                            "reply {} was saved as .eml earlier: {}",
                            e.message,
                            saved_advice(&ctx.config, e.message)
                        );
                    }
                }
            }
            Ok(code)
        }
        OutboxAction::Cancel { message } => {
            let ticket = store.outbox_entry(message)?.map(|e| e.ticket);
            let cancelled = crate::mail::cancel_reply(&mut store, message)?;
            if !cancelled {
                return Err(user_error(format!(
                    "message {message} is not waiting in the outbox (already sent, being sent, or never queued)"
                )));
            }
            // As the console's `u`: a reply that took its unassigned ticket gives it
            // back, unless the assignment changed since.
            let unassigned = match ticket {
                Some(t) => super::assign::give_back_after_cancel(&mut store, t, message)?,
                None => None,
            };
            if args.json {
                print_json(&serde_json::json!({
                    "cancelled": message,
                    "unassigned": unassigned.as_ref().map(|(t, _)| *t),
                }))?;
            } else {
                println!("reply {message} taken back; its text is the ticket's draft again");
                if let Some((t, who)) = unassigned {
                    println!(
                        "ticket {t} is unassigned again (the reply had taken it for {})",
                        sanitize_line(&who)
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        OutboxAction::Resend { message } => resolve(ctx, &mut store, message, true, args.json),
        OutboxAction::MarkSent { message } => resolve(ctx, &mut store, message, false, args.json),
    }
}

/// `outbox resend` / `outbox mark-sent`: the user's answer for a reply in doubt.
fn resolve(
    ctx: &Context,
    store: &mut crate::store::Store,
    message: MessageId,
    resend: bool,
    json: bool,
) -> Result<ExitCode> {
    if !store.resolve_outbound(message, resend)? {
        return Err(user_error(format!(
            "message {message} is not in doubt, failed or saved (`firstline outbox` lists the ones that are)"
        )));
    }
    if resend {
        require_sender(ctx)?;
        let report = crate::mail::deliver_now(store, &ctx.config, ClaimScope::Due(Utc::now()))?;
        return print_delivery(&report, json);
    }
    if json {
        print_json(&serde_json::json!({ "marked_sent": message }))?;
    } else {
        println!("reply {message} recorded as sent; it will not be sent again");
    }
    Ok(ExitCode::SUCCESS)
}

/// Mail goes out only from an address the customer can answer; a reply queued before
/// one was configured must not leave as `someone@localhost`.
fn require_sender(ctx: &Context) -> Result<()> {
    match ctx.config.sender_address() {
        Some(_) => Ok(()),
        None => Err(crate::mail::MailError::NoSender.into()),
    }
}

fn print_delivery(report: &DeliveryReport, json: bool) -> Result<ExitCode> {
    if json {
        print_json(report)?;
    } else {
        let mut out = std::io::stdout().lock();
        for (id, place) in &report.sent {
            writeln!(out, "sent reply {id} {}", sanitize_line(place))?;
        }
        for (id, place) in &report.saved {
            writeln!(
                out,
                "reply {id} {}; when you have sent it: firstline outbox mark-sent {id}",
                sanitize_line(&DeliveryReport::saved_line(place))
            )?;
        }
        for (id, err) in &report.failed {
            writeln!(out, "reply {id} not sent: {}", sanitize_line(err))?;
        }
        for (id, err) in &report.not_copied {
            writeln!(
                out,
                "reply {id} sent, not copied to Sent: {}",
                sanitize_line(err)
            )?;
        }
        if report.sent.is_empty() && report.failed.is_empty() && report.saved.is_empty() {
            writeln!(out, "nothing to deliver")?;
        }
    }
    Ok(if report.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// Whether replies can leave the machine with the settings in force now.
fn transport_is_set(config: &crate::config::Config) -> bool {
    !matches!(
        crate::mail::Transport::from_config(config, None),
        Ok(crate::mail::Transport::Directory(_)) | Err(_)
    )
}

/// What to do about a reply saved as .eml, for the settings in force now. A saved reply
/// is never sent by itself once a transport is set: the user may have sent the file by
/// hand already, and a second copy to the customer must be their choice.
fn saved_advice(config: &crate::config::Config, m: MessageId) -> String {
    if transport_is_set(config) {
        format!(
            "it was saved while no mail transport was set; `firstline outbox resend {m}` sends it now (or `firstline outbox mark-sent {m}` if you sent the file yourself)"
        )
    } else {
        format!("{NO_TRANSPORT}; send the file yourself, then `firstline outbox mark-sent {m}`")
    }
}
