//! Tickets: opening, listing for the inbox, and audited changes with optimistic
//! concurrency (SQLite's `tickets.rs`). A change locks the ticket's row before it
//! reads the version, so of two writers holding the same version one wins and the
//! other gets `Conflict`, never a silent overwrite.

use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::GenericClient;

use super::customers::{customer_from_row, load_customer, upsert, CUSTOMER_COLUMNS};
use super::ledger::{
    event_from_row, load_ticket, lock_ticket, recompute_ledger, tags_to_col, ticket_from_row,
    touch, write_event, EVENT_COLUMNS, TICKET_COLUMNS,
};
use super::messages::{index_ticket_messages, insert_message, load_messages};
use super::{opt_ts, status_list, to_ts, PgStore, Result};
use crate::model::{
    normalize_subject, Customer, Event, NewMessage, NewTicket, Status, Ticket, TicketChange,
    TicketDetail, TicketId, TicketSummary,
};
use crate::store::api::*;
use crate::store::rules::{changes_nothing, tags_after};
use crate::store::types::*;
use crate::store::{normalize_tag, StoreError};

/// A query's bound values, in `$n` order.
pub(crate) type Args = Vec<Box<dyn ToSql + Sync>>;

pub(crate) fn arg_refs(args: &Args) -> Vec<&(dyn ToSql + Sync)> {
    args.iter().map(|a| a.as_ref()).collect()
}

/// Inserts a ticket, its customer and first message inside the caller's transaction.
pub(crate) fn insert_ticket(
    c: &mut impl GenericClient,
    new: &NewTicket,
    actor: &str,
) -> Result<TicketId> {
    let subject = new.subject.trim();
    if subject.is_empty() {
        return Err(StoreError::Invalid("a ticket needs a subject".into()));
    }
    let customer_id = upsert(c, &new.customer)?;
    let at = to_ts(new.first_message.sent_at.unwrap_or_else(Utc::now));
    let tags: Vec<String> = new
        .tags
        .iter()
        .map(|t| normalize_tag(t))
        .filter(|t| !t.is_empty())
        .collect();
    let id: TicketId = c
        .query_one(
            "INSERT INTO tickets(subject, status, priority, channel, tags, customer_id,
                created_at, updated_at, thread_subject)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING id",
            &[
                &subject,
                &new.status.as_str(),
                &new.priority.as_str(),
                &new.channel.as_str(),
                &tags_to_col(&tags),
                &customer_id,
                &at,
                &normalize_subject(subject),
            ],
        )?
        .get(0);
    write_event(c, Some(id), actor, "created", None, Some(subject))?;
    insert_message(c, id, &new.first_message, actor)?;
    Ok(id)
}

/// Puts a freshly loaded ticket into its final status (SQLite's `settle_status`).
fn settle_status(c: &mut impl GenericClient, id: TicketId, status: Status) -> Result<()> {
    c.execute(
        "UPDATE tickets SET status = $2,
            resolved_at = CASE WHEN $3 THEN (SELECT max(sent_at) FROM messages WHERE ticket_id = $1) END,
            awaiting_reply_since = CASE WHEN $4 THEN awaiting_reply_since END
         WHERE id = $1 AND status != $2",
        &[&id, &status.as_str(), &status.is_resolved(), &status.is_active()],
    )?;
    Ok(())
}

/// Applies one change inside the caller's transaction (the ticket row is locked).
fn apply_change(
    tx: &mut impl GenericClient,
    before: &Ticket,
    change: &TicketChange,
    actor: &str,
) -> Result<()> {
    let id = before.id;
    let now = Utc::now();
    let ev = |tx: &mut _, kind: &str, old: Option<String>, new: Option<String>| {
        write_event(tx, Some(id), actor, kind, old.as_deref(), new.as_deref())
    };
    match change {
        TicketChange::Status(status) => {
            let resolved = status.is_resolved().then(|| to_ts(now));
            tx.execute(
                "UPDATE tickets SET status = $2,
                    resolved_at = CASE WHEN $3::BIGINT IS NULL THEN NULL
                        ELSE coalesce(resolved_at, $3) END,
                    awaiting_reply_since = CASE WHEN $4 THEN NULL ELSE awaiting_reply_since END
                 WHERE id = $1",
                &[&id, &status.as_str(), &resolved, &status.ends_the_wait()],
            )?;
            if before.status.ends_the_wait() && status.is_active() {
                recompute_ledger(tx, id)?;
            }
            ev(
                tx,
                "status",
                Some(before.status.to_string()),
                Some(status.to_string()),
            )?;
        }
        TicketChange::Priority(p) => {
            tx.execute(
                "UPDATE tickets SET priority = $2 WHERE id = $1",
                &[&id, &p.as_str()],
            )?;
            ev(
                tx,
                "priority",
                Some(before.priority.to_string()),
                Some(p.to_string()),
            )?;
        }
        TicketChange::Tags { add, remove } => {
            let tags = tags_after(&before.tags, add, remove);
            tx.execute(
                "UPDATE tickets SET tags = $2 WHERE id = $1",
                &[&id, &tags_to_col(&tags)],
            )?;
            ev(
                tx,
                "tags",
                Some(before.tags.join(" ")),
                Some(tags.join(" ")),
            )?;
        }
        TicketChange::Subject(subject) => {
            let subject = subject.trim();
            if subject.is_empty() {
                return Err(StoreError::Invalid("a ticket needs a subject".into()));
            }
            tx.execute(
                "UPDATE tickets SET subject = $2, thread_subject = $3 WHERE id = $1",
                &[&id, &subject, &normalize_subject(subject)],
            )?;
            index_ticket_messages(tx, id)?;
            ev(
                tx,
                "subject",
                Some(before.subject.clone()),
                Some(subject.to_string()),
            )?;
        }
        TicketChange::Assignee(who) => {
            let who = assignee_name(who)?;
            tx.execute(
                "UPDATE tickets SET assignee = $2 WHERE id = $1",
                &[&id, &who],
            )?;
            ev(
                tx,
                crate::model::ASSIGNEE_EVENT,
                before.assignee.clone(),
                who,
            )?;
        }
        TicketChange::Escalate { target, reason } => {
            if target.trim().is_empty() {
                return Err(StoreError::Invalid("escalate to whom? give --to".into()));
            }
            tx.execute(
                "UPDATE tickets SET escalated_to = $2, escalation_reason = $3, escalated_at = $4
                 WHERE id = $1",
                &[&id, &target.trim(), &reason.trim(), &to_ts(now)],
            )?;
            ev(
                tx,
                "escalated",
                None,
                Some(format!("{}: {}", target.trim(), reason.trim())),
            )?;
        }
        TicketChange::Deescalate => {
            tx.execute(
                "UPDATE tickets SET escalated_to = NULL, escalation_reason = NULL,
                    escalated_at = NULL WHERE id = $1",
                &[&id],
            )?;
            ev(
                tx,
                "deescalated",
                before.escalation.as_ref().map(|e| e.target.clone()),
                None,
            )?;
        }
        TicketChange::Snooze(until) => {
            tx.execute(
                "UPDATE tickets SET snoozed_until = $2 WHERE id = $1",
                &[&id, &until.map(to_ts)],
            )?;
            ev(
                tx,
                "snooze",
                before.snoozed_until.map(|t| t.to_rfc3339()),
                until.map(|t| t.to_rfc3339()),
            )?;
        }
        TicketChange::NoReplyNeeded(reason) => {
            tx.execute(
                "UPDATE tickets SET awaiting_reply_since = NULL WHERE id = $1",
                &[&id],
            )?;
            ev(tx, "no-reply-needed", None, Some(reason.clone()))?;
            if before.status == Status::New {
                tx.execute(
                    "UPDATE tickets SET status = $2, resolved_at = coalesce(resolved_at, $3)
                     WHERE id = $1",
                    &[&id, &Status::Solved.as_str(), &to_ts(now)],
                )?;
                ev(
                    tx,
                    "status",
                    Some(before.status.to_string()),
                    Some(Status::Solved.to_string()),
                )?;
            }
        }
        TicketChange::MarkRead => {
            // Reading is not a change others must merge with: no version bump.
            tx.execute("UPDATE tickets SET unread = FALSE WHERE id = $1", &[&id])?;
            return Ok(());
        }
    }
    touch(tx, id, now)
}

impl TicketStore for PgStore {
    fn create_ticket(&mut self, new: &NewTicket) -> Result<TicketId> {
        self.write(|tx, w| insert_ticket(tx, new, &w.actor))
    }

    fn create_threads(
        &mut self,
        threads: &[(NewTicket, Vec<NewMessage>)],
    ) -> Result<Vec<TicketId>> {
        self.write(|tx, w| {
            let mut ids = Vec::with_capacity(threads.len());
            for (ticket, rest) in threads {
                let id = insert_ticket(tx, ticket, &w.actor)?;
                for m in rest {
                    insert_message(tx, id, m, &w.actor)?;
                }
                settle_status(tx, id, ticket.status)?;
                ids.push(id);
            }
            Ok(ids)
        })
    }

    fn ticket(&self, id: TicketId) -> Result<Ticket> {
        self.read(|c| load_ticket(c, id))
    }

    fn ticket_detail(&self, id: TicketId) -> Result<TicketDetail> {
        let ticket = self.ticket(id)?;
        Ok(TicketDetail {
            customer: self.read(|c| load_customer(c, ticket.customer_id))?,
            messages: self.read(|c| load_messages(c, id))?,
            draft: self.draft(id)?,
            events: self.events(Some(id))?,
            ticket,
        })
    }

    fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>> {
        let (sql, args) = list_sql(filter);
        self.read(|c| {
            let statement = self.prepared(c, &sql)?;
            summaries(&c.query(&statement, &arg_refs(&args))?)
        })
    }

    fn count_tickets(&self, filter: &TicketFilter) -> Result<i64> {
        let (where_sql, args) = filter_sql(filter, Utc::now());
        let join = customer_join(filter);
        let sql = format!("SELECT count(*) FROM tickets t {join} WHERE {where_sql}");
        self.read(|c| {
            let statement = self.prepared(c, &sql)?;
            Ok(c.query_one(&statement, &arg_refs(&args))?.get(0))
        })
    }

    fn ticket_position(&self, filter: &TicketFilter, id: TicketId) -> Result<Option<usize>> {
        let (where_sql, mut args) = filter_sql(filter, Utc::now());
        let join = customer_join(filter);
        let order = order_sql(filter);
        args.push(Box::new(id));
        let n = args.len();
        let sql = format!(
            "SELECT rn FROM (SELECT t.id AS tid, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS rn
               FROM tickets t {join} WHERE {where_sql}) ranked WHERE tid = ${n}"
        );
        let member = format!("SELECT 1 FROM tickets t {join} WHERE {where_sql} AND t.id = ${n}");
        self.read(|c| {
            if c.query_opt(&member, &arg_refs(&args))?.is_none() {
                return Ok(None);
            }
            let position: Option<i64> = c.query_opt(&sql, &arg_refs(&args))?.map(|r| r.get(0));
            Ok(position.and_then(|p| usize::try_from(p).ok()))
        })
    }

    fn customer_tickets(&self, customer: i64) -> Result<Vec<TicketSummary>> {
        self.list_tickets(&TicketFilter {
            customer_id: Some(customer),
            sort: SortOrder::Created,
            ..Default::default()
        })
    }

    fn change_ticket(
        &mut self,
        id: TicketId,
        change: &TicketChange,
        expected_version: Option<i64>,
    ) -> Result<Ticket> {
        self.write(|tx, w| {
            let before = lock_ticket(tx, id)?;
            if let Some(expected) = expected_version {
                if before.version != expected {
                    return Err(StoreError::Conflict {
                        ticket: id,
                        expected,
                        found: before.version,
                    });
                }
            }
            if changes_nothing(&before, change) {
                return Ok(before);
            }
            apply_change(tx, &before, change, &w.actor)?;
            load_ticket(tx, id)
        })
    }

    fn merge_tickets(&mut self, from: TicketId, into: TicketId) -> Result<Ticket> {
        if from == into {
            return Err(StoreError::Invalid(
                "cannot merge a ticket into itself".into(),
            ));
        }
        self.write(|tx, w| {
            // Locked in id order, so two merges of the same pair cannot deadlock.
            let (first, second) = (from.min(into), from.max(into));
            let a = lock_ticket(tx, first)?;
            let b = lock_ticket(tx, second)?;
            let (source, target) = if first == from { (a, b) } else { (b, a) };
            tx.execute(
                "UPDATE messages SET ticket_id = $2 WHERE ticket_id = $1",
                &[&from, &into],
            )?;
            let draft: Option<String> = tx
                .query_opt("SELECT body FROM drafts WHERE ticket_id = $1", &[&from])?
                .map(|r| r.get(0));
            if let Some(body) = draft {
                tx.execute(
                    "INSERT INTO drafts(ticket_id, body, updated_at) VALUES ($1, $2, $3)
                     ON CONFLICT (ticket_id) DO UPDATE
                     SET body = drafts.body || E'\n\n' || excluded.body",
                    &[&into, &body, &to_ts(Utc::now())],
                )?;
            }
            let mut tags = target.tags.clone();
            for t in source.tags {
                if !tags.contains(&t) {
                    tags.push(t);
                }
            }
            tx.execute(
                "UPDATE tickets SET tags = $2 WHERE id = $1",
                &[&into, &tags_to_col(&tags)],
            )?;
            // What else points at the merged ticket goes with its thread.
            for table in ["site_incidents", "followups"] {
                tx.execute(
                    &format!("UPDATE {table} SET ticket_id = $2 WHERE ticket_id = $1"),
                    &[&from, &into],
                )?;
            }
            // Status and assignee follow from both (see the SQLite backend).
            let answered = target.first_response_at.is_some() || source.first_response_at.is_some();
            let status = target.status.merged_with(source.status, answered);
            let assignee = target.assignee.clone().or_else(|| source.assignee.clone());
            tx.execute(
                "UPDATE tickets SET status = $2, assignee = $3,
                    resolved_at = CASE WHEN $4 THEN coalesce(resolved_at, $5) ELSE NULL END
                 WHERE id = $1",
                &[
                    &into,
                    &status.as_str(),
                    &assignee,
                    &status.is_resolved(),
                    &source.resolved_at.map(to_ts),
                ],
            )?;
            if status != target.status {
                write_event(
                    tx,
                    Some(into),
                    &w.actor,
                    "status",
                    Some(target.status.as_str()),
                    Some(status.as_str()),
                )?;
            }
            if assignee != target.assignee {
                write_event(
                    tx,
                    Some(into),
                    &w.actor,
                    crate::model::ASSIGNEE_EVENT,
                    target.assignee.as_deref(),
                    assignee.as_deref(),
                )?;
            }
            tx.execute("DELETE FROM tickets WHERE id = $1", &[&from])?;
            recompute_ledger(tx, into)?;
            index_ticket_messages(tx, into)?;
            let what = format!("#{from} {}", source.subject);
            let target_name = format!("#{into}");
            write_event(
                tx,
                Some(into),
                &w.actor,
                "merged",
                Some(&what),
                Some(&target_name),
            )?;
            write_event(
                tx,
                Some(from),
                &w.actor,
                "merged-into",
                None,
                Some(&target_name),
            )?;
            touch(tx, into, Utc::now())?;
            load_ticket(tx, into)
        })
    }

    fn oldest_waiting(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let sql = format!(
            "SELECT min(t.awaiting_reply_since) FROM tickets t
             WHERE t.awaiting_reply_since IS NOT NULL AND t.status IN {}
             AND (t.snoozed_until IS NULL OR t.snoozed_until <= $1)",
            status_list(Status::ACTIVE)
        );
        self.read(|c| Ok(opt_ts(c.query_one(&sql, &[&to_ts(now)])?.get(0))))
    }

    fn waiting_since_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<(usize, Option<DateTime<Utc>>)> {
        let sql = format!(
            "SELECT count(*), min(t.awaiting_reply_since) FROM tickets t
             WHERE t.awaiting_reply_since IS NOT NULL AND t.awaiting_reply_since < $1
             AND t.status IN {}",
            status_list(Status::ACTIVE)
        );
        self.read(|c| {
            let row = c.query_one(&sql, &[&to_ts(before)])?;
            let count: i64 = row.get(0);
            Ok((count.max(0) as usize, opt_ts(row.get(1))))
        })
    }

    fn archive_idle(&mut self, before: DateTime<Utc>) -> Result<usize> {
        let sql = format!(
            "SELECT t.id, t.status FROM tickets t WHERE t.status IN {}
             AND (SELECT max(sent_at) FROM messages m WHERE m.ticket_id = t.id) < $1
             ORDER BY t.id FOR UPDATE",
            status_list(Status::UNRESOLVED)
        );
        self.write(|tx, w| {
            let rows = tx.query(&sql, &[&to_ts(before)])?;
            let now = to_ts(Utc::now());
            for row in &rows {
                let (id, status): (TicketId, String) = (row.get(0), row.get(1));
                tx.execute(
                    "UPDATE tickets SET status = 'closed', awaiting_reply_since = NULL,
                        resolved_at = coalesce(resolved_at, $2), version = version + 1
                     WHERE id = $1",
                    &[&id, &now],
                )?;
                // No updated_at bump: archiving must not float old mail to the top.
                write_event(
                    tx,
                    Some(id),
                    &w.actor,
                    "status",
                    Some(&status),
                    Some("closed (archived)"),
                )?;
            }
            Ok(rows.len())
        })
    }

    fn events(&self, ticket: Option<TicketId>) -> Result<Vec<Event>> {
        self.read(|c| {
            let rows = match ticket {
                Some(id) => c.query(
                    &format!(
                        "SELECT {EVENT_COLUMNS} FROM events e WHERE e.ticket_id = $1 ORDER BY e.id"
                    ),
                    &[&id],
                )?,
                None => c.query(
                    &format!("SELECT {EVENT_COLUMNS} FROM events e ORDER BY e.id"),
                    &[],
                )?,
            };
            Ok(rows.iter().map(event_from_row).collect())
        })
    }

    fn customers(&self) -> Result<Vec<Customer>> {
        self.read(|c| {
            let rows = c.query(
                &format!("SELECT {CUSTOMER_COLUMNS} FROM customers c ORDER BY c.id"),
                &[],
            )?;
            rows.iter().map(|r| customer_from_row(c, r)).collect()
        })
    }

    fn tickets(&self) -> Result<Vec<Ticket>> {
        self.read(|c| {
            c.query(
                &format!("SELECT {TICKET_COLUMNS} FROM tickets t ORDER BY t.id"),
                &[],
            )?
            .iter()
            .map(ticket_from_row)
            .collect()
        })
    }
}

/// One page of the inbox with what a list row shows. PostgreSQL plans the ORDER BY
/// with LIMIT itself; SQLite's hand-split due order and far-page reading are its
/// planner's workarounds, not behaviour.
/// The SQL of a page of the list and its arguments.
fn list_sql(filter: &TicketFilter) -> (String, Args) {
    let (where_sql, args) = filter_sql(filter, Utc::now());
    let join = customer_join(filter);
    let order = order_sql(filter);
    let limit = filter
        .limit
        .map(|l| l.to_string())
        .unwrap_or_else(|| "ALL".into());
    let offset = filter.offset;
    let sql = format!(
        "SELECT {TICKET_COLUMNS}, c.name AS customer_name,
            (SELECT value FROM customer_addresses a
                WHERE a.customer_id = c.id AND a.kind = 'email' ORDER BY pos LIMIT 1)
                AS customer_email,
            (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction != 'note')
                AS message_count,
            (SELECT max(sent_at) FROM messages m WHERE m.ticket_id = t.id) AS last_message_at,
            (SELECT substr(body, 1, 200) FROM messages m
                WHERE m.ticket_id = t.id AND m.direction != 'note'
                ORDER BY sent_at DESC, id DESC LIMIT 1) AS preview
         FROM (SELECT t.id AS pid FROM tickets t {join} WHERE {where_sql}
               ORDER BY {order} LIMIT {limit} OFFSET {offset}) page
         JOIN tickets t ON t.id = page.pid JOIN customers c ON c.id = t.customer_id
         ORDER BY {order}"
    );
    (sql, args)
}

/// A page's rows as the list shows them.
fn summaries(rows: &[postgres::Row]) -> Result<Vec<TicketSummary>> {
    rows.iter()
        .map(|row| {
            Ok(TicketSummary {
                ticket: ticket_from_row(row)?,
                customer_name: row.get("customer_name"),
                customer_email: row.get("customer_email"),
                message_count: row.get("message_count"),
                last_message_at: opt_ts(row.get("last_message_at")),
                preview: row
                    .get::<_, Option<String>>("preview")
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            })
        })
        .collect()
}

/// When a waiting ticket's first reply is due, in seconds since the epoch.
fn due_expr(filter: &TicketFilter) -> String {
    let [low, normal, high, urgent] = filter.reply_targets_minutes.unwrap_or([1440, 480, 240, 60]);
    format!(
        "t.awaiting_reply_since + 60 * (CASE t.priority WHEN 'urgent' THEN {urgent} \
         WHEN 'high' THEN {high} WHEN 'normal' THEN {normal} ELSE {low} END)"
    )
}

/// The ORDER BY of a filter: the same orders as SQLite's, ending in the id so the
/// order is total.
fn order_sql(filter: &TicketFilter) -> String {
    match filter.sort {
        SortOrder::Due => format!(
            "CASE WHEN t.awaiting_reply_since IS NULL THEN 1 ELSE 0 END, {} NULLS FIRST, \
             t.updated_at DESC, t.id DESC",
            due_expr(filter)
        ),
        SortOrder::Updated => "t.updated_at DESC, t.id DESC".into(),
        SortOrder::Priority => "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 \
             WHEN 'normal' THEN 2 ELSE 3 END, \
             coalesce(t.awaiting_reply_since, t.updated_at), t.id"
            .into(),
        SortOrder::Created => "t.created_at DESC, t.id DESC".into(),
    }
}

/// The customer join, only when the filter looks at the customer.
pub(crate) fn customer_join(filter: &TicketFilter) -> &'static str {
    if filter.customer.is_some() {
        "JOIN customers c ON c.id = t.customer_id"
    } else {
        ""
    }
}

/// Builds the WHERE clause for a filter. Values always go through parameters.
pub(crate) fn filter_sql(filter: &TicketFilter, now: DateTime<Utc>) -> (String, Args) {
    let mut clauses: Vec<String> = vec!["TRUE".into()];
    let mut args: Args = Vec::new();
    fn arg(v: Box<dyn ToSql + Sync>, args: &mut Args) -> String {
        args.push(v);
        format!("${}", args.len())
    }
    let now = to_ts(now);
    if let Some(view) = filter.view {
        clauses.push(match view {
            View::NeedsReply => format!(
                "t.awaiting_reply_since IS NOT NULL AND t.status IN {} \
                 AND (t.snoozed_until IS NULL OR t.snoozed_until <= {})",
                status_list(Status::ACTIVE),
                arg(Box::new(now), &mut args)
            ),
            View::All => "t.status != 'spam'".into(),
            View::Pending => "t.status IN ('pending', 'on-hold')".into(),
            View::Snoozed => format!("t.snoozed_until > {}", arg(Box::new(now), &mut args)),
            View::Escalated => {
                "t.escalated_to IS NOT NULL AND t.status NOT IN ('closed','spam')".into()
            }
            View::Solved => format!("t.status IN {}", status_list(Status::RESOLVED)),
        });
    }
    if !filter.statuses.is_empty() {
        let list: Vec<String> = filter
            .statuses
            .iter()
            .map(|s| arg(Box::new(s.as_str().to_string()), &mut args))
            .collect();
        clauses.push(format!("t.status IN ({})", list.join(",")));
    }
    if let Some(tag) = &filter.tag {
        let p = arg(Box::new(format!("% {} %", normalize_tag(tag))), &mut args);
        clauses.push(format!("t.tags LIKE {p}"));
    }
    if let Some(q) = &filter.customer {
        let p = arg(
            Box::new(format!("%{}%", q.trim().to_lowercase())),
            &mut args,
        );
        clauses.push(format!(
            "(lower(c.name) LIKE {p} OR EXISTS (SELECT 1 FROM customer_addresses a \
             WHERE a.customer_id = c.id AND lower(a.value) LIKE {p}))"
        ));
    }
    if let Some(id) = filter.customer_id {
        let p = arg(Box::new(id), &mut args);
        clauses.push(format!("t.customer_id = {p}"));
    }
    if let Some(ch) = filter.channel {
        let p = arg(Box::new(ch.as_str().to_string()), &mut args);
        clauses.push(format!("t.channel = {p}"));
    }
    if let Some(pr) = filter.priority {
        let p = arg(Box::new(pr.as_str().to_string()), &mut args);
        clauses.push(format!("t.priority = {p}"));
    }
    match &filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Unassigned => clauses.push("t.assignee IS NULL".into()),
        AssigneeFilter::Agent(name) => {
            let p = arg(Box::new(name.trim().to_string()), &mut args);
            clauses.push(format!("t.assignee = {p}"));
        }
    }
    if let Some(ids) = &filter.ids {
        let p = arg(Box::new(ids.clone()), &mut args);
        clauses.push(format!("t.id = ANY({p})"));
    }
    (clauses.join(" AND "), args)
}
