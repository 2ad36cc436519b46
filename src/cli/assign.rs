//! Assignment in a team's queue: `firstline assign ID --to NAME|me` / `--unassign`,
//! and who "me" is (`[agent] name`). `list --mine` / `--unassigned` and the take on
//! reply (`tickets.rs`) use the same resolution.

use anyhow::Result;
use clap::Args;

use super::{user_error, Context};
use crate::config::Config;
use crate::model::{TicketChange, TicketId};
use crate::store::{Store, StoreError};

/// `firstline assign 12 --to Olena`
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  firstline assign 12 --to Olena\n  firstline assign 12 --to me\n  firstline assign 12 --unassign"
)]
pub struct AssignArgs {
    pub id: TicketId,
    /// The agent's name, or `me` for your `[agent] name`.
    #[arg(
        long,
        required_unless_present = "unassign",
        conflicts_with = "unassign"
    )]
    pub to: Option<String>,
    /// Give the ticket back to the queue: nobody has it.
    #[arg(long)]
    pub unassign: bool,
}

/// This agent's name as tickets are assigned to it: `[agent] name`, or a one-line
/// error naming the key, since "me" without it would assign to nobody in particular.
pub fn my_name(config: &Config) -> Result<String> {
    let name = config.agent.name.trim();
    if name.is_empty() {
        return Err(user_error(
            "who is \"me\"? set your name as [agent] name in config.toml (e.g. name = \"Olena\")",
        ));
    }
    Ok(name.to_string())
}

/// An agent as typed on the command line: `me` is this agent, anything else a name.
pub fn agent_named(config: &Config, typed: &str) -> Result<String> {
    if typed.trim().eq_ignore_ascii_case("me") {
        my_name(config)
    } else {
        Ok(typed.trim().to_string())
    }
}

/// The name as the team already spells it: `--to marco` gives Marco's tickets to
/// "Marco" (names compare exactly in `--mine` and the views, so "marco" would have put
/// the ticket in nobody's queue). A name nobody on the queue has used yet (no ticket
/// assigned to it, no console announced it, not this agent) is kept as typed with a
/// warning on stderr: a new teammate is legitimate, a typo is not, and only the user
/// can tell.
fn known_spelling(store: &Store, config: &Config, typed: &str) -> Result<String> {
    let mut known: Vec<String> = store
        .tickets()?
        .into_iter()
        .filter_map(|t| t.assignee)
        .collect();
    known.extend(
        store
            .presence(chrono::DateTime::<chrono::Utc>::MIN_UTC)?
            .into_iter()
            .map(|p| p.agent),
    );
    known.push(config.agent.name.trim().to_string());
    let wanted = typed.to_lowercase();
    if let Some(name) = known.iter().find(|k| k.to_lowercase() == wanted) {
        return Ok(name.clone());
    }
    eprintln!(
        "firstline: nobody called '{typed}' has a ticket or a console on this queue yet; \
         assigned anyway (check the spelling; a teammate's name is their [agent] name)"
    );
    Ok(typed.to_string())
}

/// Opens the queue with this agent named as who makes the changes, so the history
/// says "assigned to Olena by Petro", not the login name.
pub fn open_as_agent(ctx: &Context) -> Result<Store> {
    let mut store = ctx.open_store(true)?;
    if !ctx.config.agent.name.trim().is_empty() {
        store.set_actor(ctx.config.agent.name.trim());
    }
    Ok(store)
}

/// Assigns or unassigns.
pub fn assign(ctx: &Context, args: AssignArgs) -> Result<()> {
    let who = match &args.to {
        Some(typed) => Some(agent_named(&ctx.config, typed)?),
        None => None,
    };
    let mut store = open_as_agent(ctx)?;
    let who = match who {
        Some(typed) => Some(known_spelling(&store, &ctx.config, &typed)?),
        None => None,
    };
    let mut before = store.ticket(args.id)?;
    let seen = before.assignee.clone();
    // A change to something else in between (a note, a tag, a reply) moved the
    // version but not the assignee: the assignment still means what was typed, so it
    // is tried again on the new version. Another agent's assignment in between is
    // never overruled: the command stops and says who has it.
    let mut tries = 0;
    let after = loop {
        match store.change_ticket(
            args.id,
            &TicketChange::Assignee(who.clone()),
            Some(before.version),
        ) {
            Ok(after) => break after,
            Err(StoreError::Conflict { .. }) if tries < 5 => {
                tries += 1;
                let now = store.ticket(args.id)?;
                if now.assignee != seen {
                    let holder = match &now.assignee {
                        Some(name) => format!("assigned to {name}"),
                        None => "unassigned".to_string(),
                    };
                    return Err(user_error(format!(
                        "ticket {} was {holder} meanwhile by someone else; nothing changed (run the command again to change it anyway)",
                        args.id
                    )));
                }
                before = now;
            }
            Err(e) => return Err(e.into()),
        }
    };
    match (&after.assignee, after.version == before.version) {
        (Some(name), true) => println!("ticket {} is already assigned to {name}", args.id),
        (Some(name), false) => println!("ticket {} assigned to {name}", args.id),
        (None, true) => println!("ticket {} is already unassigned", args.id),
        (None, false) => println!("ticket {} unassigned", args.id),
    }
    Ok(())
}

/// After a reply: an unassigned ticket becomes this agent's, so a teammate's "Mine"
/// and "Unassigned" views stay true. Returns the line to print, if any. Without
/// `[agent] name` there is nobody to give it to (a solo queue stays as it was).
pub fn take_on_reply(ctx: &Context, store: &mut Store, id: TicketId) -> Result<Option<String>> {
    let name = ctx.config.agent.name.trim();
    if name.is_empty() {
        return Ok(None);
    }
    store.set_actor(name);
    Ok(match store.take_if_unassigned(id, name)? {
        Some(crate::store::Taken::Now) => {
            Some(format!("ticket {id} is now assigned to you ({name})"))
        }
        Some(crate::store::Taken::ByOther(other)) => Some(format!(
            "ticket {id} was taken by {other} meanwhile; it stays theirs"
        )),
        None => None,
    })
}

/// After `outbox cancel MESSAGE`: when that reply took its unassigned ticket for
/// the agent who wrote it (the assignment right after the reply in the ticket's
/// history, nobody → them), the ticket goes back to nobody, as the console's `u`
/// does — unless the assignment changed since (the newer choice stands). Read
/// from the history because the command has no memory of the reply's moment.
/// Returns the ticket and the name it was taken back from.
pub fn give_back_after_cancel(
    store: &mut Store,
    ticket: TicketId,
    message: crate::model::MessageId,
) -> Result<Option<(TicketId, String)>> {
    use crate::model::ASSIGNEE_EVENT;
    let events = store.events(Some(ticket))?;
    let message = message.to_string();
    let Some(queued_at) = events
        .iter()
        .position(|e| e.kind == "outbound" && e.new.as_deref() == Some(message.as_str()))
    else {
        return Ok(None);
    };
    let assignments: Vec<_> = events
        .iter()
        .skip(queued_at)
        .filter(|e| e.kind == ASSIGNEE_EVENT)
        .collect();
    // Exactly one change of assignee since the reply: the reply's own take.
    let [taken] = assignments.as_slice() else {
        return Ok(None);
    };
    let Some(name) = taken
        .new
        .clone()
        .filter(|n| taken.old.is_none() && taken.actor == *n)
    else {
        return Ok(None);
    };
    let now = store.ticket(ticket)?;
    if now.assignee.as_deref() != Some(name.as_str()) {
        return Ok(None);
    }
    match store.change_ticket(ticket, &TicketChange::Assignee(None), Some(now.version)) {
        Ok(_) => Ok(Some((ticket, name))),
        // Changed in between: the newer state stands.
        Err(crate::store::StoreError::Conflict { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Before a reply from the command line: someone else answered (or wrote a note)
/// after the customer's newest message, so this reply would be the second answer.
/// The refusal names who and when; `--force` sends anyway. Counted from the
/// customer's newest message or this agent's own newest reply or note, whichever is
/// later, since a command has no moment it "opened" the ticket; `seen_up_to` moves
/// that point later (what the agent read before `$EDITOR`).
pub fn collision_refusal(
    ctx: &Context,
    store: &Store,
    id: TicketId,
    seen_up_to: Option<crate::model::MessageId>,
) -> Result<Option<String>> {
    use crate::model::{Collision, Direction};
    let me = ctx.config.agent.display_name();
    let messages = store.messages(id)?;
    // Since the customer last wrote, or this agent last answered, whichever is later.
    let last_seen = messages
        .iter()
        .filter(|m| m.direction == Direction::Inbound || m.author.trim() == me)
        .map(|m| m.id)
        .max();
    let from = last_seen.max(seen_up_to);
    let counts =
        |m: &crate::model::Message| m.direction != Direction::Inbound && m.author.trim() != me;
    let Some(found) = Collision::find(&messages, from, counts) else {
        return Ok(None);
    };
    let sentence = found.sentence(chrono::Utc::now());
    // The teammate's newest reply may never have reached the customer (saved as
    // .eml where no mail transport is set, or not delivered yet): the refusal
    // says so, or it reads as "the customer has an answer" (a new-user trial).
    let newest = messages
        .iter()
        .filter(|m| from.is_none_or(|seen| m.id > seen) && counts(m))
        .max_by_key(|m| (m.sent_at, m.id))
        .filter(|m| m.direction == Direction::Outbound);
    let undelivered = match newest {
        Some(m) => store
            .undelivered_replies(id)?
            .into_iter()
            .find(|e| e.message == m.id),
        None => None,
    };
    Ok(Some(match undelivered {
        Some(e) if e.state == crate::store::OutboxState::Saved => format!(
            "not sent: {sentence} on ticket {id}, but that reply (message {m}) was only saved as .eml, not sent — the customer may not have it; send yours anyway with --force, or send that one: firstline outbox resend {m}",
            m = e.message
        ),
        Some(e) => format!(
            "not sent: {sentence} on ticket {id}, but that reply (message {m}) is not delivered yet (firstline outbox says why) — the customer may not have it yet; read it (firstline show {id}), then send yours anyway with --force",
            m = e.message
        ),
        None => format!(
            "not sent: {sentence} on ticket {id}, after the customer's last message; read it (firstline show {id}) or send anyway with --force"
        ),
    }))
}
