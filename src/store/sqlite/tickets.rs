//! Tickets: opening, listing for the inbox, and audited changes with optimistic
//! concurrency.

use chrono::{DateTime, Utc};
use rusqlite::{params, params_from_iter, Connection, OptionalExtension};

use super::customers::{customer_from_row, upsert, CUSTOMER_COLUMNS};
use super::ledger::{
    event_from_row, load_ticket, recompute_ledger, ticket_from_row, touch, write_event,
    EVENT_COLUMNS, TICKET_COLUMNS,
};
use super::messages::{index_ticket_messages, insert_message};
use super::{
    normalize_tag, opt_ts, status_list, tags_to_col, to_ts, Result, SqliteStore, StoreError,
};
use crate::model::{
    normalize_subject, Customer, Event, NewMessage, NewTicket, Status, Ticket, TicketChange,
    TicketDetail, TicketId, TicketSummary,
};
use crate::store::api::*;
use crate::store::rules::{changes_nothing, tags_after};
use crate::store::types::*;

/// Inserts a ticket, its customer and first message inside the caller's transaction.
pub(crate) fn insert_ticket(conn: &Connection, new: &NewTicket, actor: &str) -> Result<TicketId> {
    let subject = new.subject.trim();
    if subject.is_empty() {
        return Err(StoreError::Invalid("a ticket needs a subject".into()));
    }
    let customer_id = upsert(conn, &new.customer)?;
    let at = new.first_message.sent_at.unwrap_or_else(Utc::now);
    let tags: Vec<String> = new
        .tags
        .iter()
        .map(|t| normalize_tag(t))
        .filter(|t| !t.is_empty())
        .collect();
    conn.prepare_cached(
        "INSERT INTO tickets(subject, status, priority, channel, tags, customer_id, created_at, updated_at,
            thread_subject)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7, ?8)",
    )?
    .execute(params![
        subject,
        new.status.as_str(),
        new.priority.as_str(),
        new.channel.as_str(),
        tags_to_col(&tags),
        customer_id,
        to_ts(at),
        normalize_subject(subject)
    ])?;
    let id = conn.last_insert_rowid();
    write_event(conn, Some(id), actor, "created", None, Some(subject))?;
    insert_message(conn, id, &new.first_message, actor)?;
    Ok(id)
}

/// Puts a freshly loaded ticket into its final status: resolved ones get their
/// resolution time from the last message and nobody waits on pending or resolved ones.
fn settle_status(conn: &Connection, id: TicketId, status: Status) -> Result<()> {
    conn.prepare_cached(
        "UPDATE tickets SET status = ?2,
            resolved_at = CASE WHEN ?3 THEN (SELECT max(sent_at) FROM messages WHERE ticket_id = ?1) END,
            awaiting_reply_since = CASE WHEN ?4 THEN awaiting_reply_since END
         WHERE id = ?1 AND status != ?2",
    )?
    .execute(params![id, status.as_str(), status.is_resolved(), status.is_active()])?;
    Ok(())
}

impl TicketStore for SqliteStore {
    fn create_ticket(&mut self, new: &NewTicket) -> Result<TicketId> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let id = insert_ticket(&tx, new, &actor)?;
        tx.commit()?;
        Ok(id)
    }

    fn create_threads(
        &mut self,
        threads: &[(NewTicket, Vec<NewMessage>)],
    ) -> Result<Vec<TicketId>> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let mut ids = Vec::with_capacity(threads.len());
        for (ticket, rest) in threads {
            let id = insert_ticket(&tx, ticket, &actor)?;
            for m in rest {
                insert_message(&tx, id, m, &actor)?;
            }
            settle_status(&tx, id, ticket.status)?;
            ids.push(id);
        }
        tx.commit()?;
        Ok(ids)
    }

    fn ticket(&self, id: TicketId) -> Result<Ticket> {
        load_ticket(&self.conn, id)
    }

    fn ticket_detail(&self, id: TicketId) -> Result<TicketDetail> {
        let ticket = self.ticket(id)?;
        let customer = self.customer(ticket.customer_id)?;
        Ok(TicketDetail {
            messages: self.messages(id)?,
            draft: self.draft(id)?,
            events: self.events(Some(id))?,
            ticket,
            customer,
        })
    }

    fn list_tickets(&self, filter: &TicketFilter) -> Result<Vec<TicketSummary>> {
        let order = order_sql(filter);
        // A page past the middle of a long list is read from the far end: OFFSET
        // 99,950 makes SQLite walk (or sort) 99,950 rows first, pressing End on a
        // 100k-ticket queue took 285 ms. The page itself still comes out in order.
        if let Some(page) = filter.limit.filter(|_| filter.offset >= FAR_PAGE_OFFSET) {
            let total = self.count_tickets(filter)?.max(0) as usize;
            if filter.offset >= total {
                return Ok(Vec::new());
            }
            if filter.offset > total / 2 {
                let end = (filter.offset + page).min(total);
                let backwards = reverse_order(&order);
                return self.list_page(
                    filter,
                    &order,
                    (&backwards, true),
                    end - filter.offset,
                    total - end,
                );
            }
        }
        let limit = filter.limit.unwrap_or(usize::MAX);
        self.list_page(filter, &order, (&order, false), limit, filter.offset)
    }

    fn count_tickets(&self, filter: &TicketFilter) -> Result<i64> {
        let (where_sql, args) = filter_sql(filter, Utc::now());
        let join = customer_join(filter);
        let sql = format!("SELECT count(*) FROM tickets t {join} WHERE {where_sql}");
        Ok(self
            .conn
            .query_row(&sql, params_from_iter(args.iter()), |r| r.get(0))?)
    }

    fn ticket_position(&self, filter: &TicketFilter, id: TicketId) -> Result<Option<usize>> {
        let (where_sql, mut args) = filter_sql(filter, Utc::now());
        let join = customer_join(filter);
        let order = order_sql(filter);
        args.push(rusqlite::types::Value::Integer(id));
        // The console asks after every reload whose ticket left its rows, and most
        // often it left the view (solved, snoozed): one primary-key lookup says so
        // without ranking the whole view.
        let member = format!(
            "SELECT 1 FROM tickets t {join} WHERE {where_sql} AND t.id = ?{}",
            args.len()
        );
        let in_view = self
            .conn
            .query_row(&member, params_from_iter(args.iter()), |_| Ok(()))
            .optional()?
            .is_some();
        if !in_view {
            return Ok(None);
        }
        let sql = format!(
            "SELECT rn FROM (SELECT t.id AS tid, ROW_NUMBER() OVER (ORDER BY {order}) - 1 AS rn
               FROM tickets t {join} WHERE {where_sql}) WHERE tid = ?{}",
            args.len()
        );
        let position: Option<i64> = self
            .conn
            .query_row(&sql, params_from_iter(args.iter()), |r| r.get(0))
            .optional()?;
        Ok(position.and_then(|p| usize::try_from(p).ok()))
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
        let actor = self.actor.clone();
        let tx = self.write()?;
        let before = load_ticket(&tx, id)?;
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
            // "pending → pending" is not a change: nothing is written, nothing logged,
            // and the version stays (no one else's edit is refused over it).
            return Ok(before);
        }
        let now = Utc::now();
        let ev = |kind: &str, old: Option<String>, new: Option<String>| {
            write_event(&tx, Some(id), &actor, kind, old.as_deref(), new.as_deref())
        };
        match change {
            TicketChange::Status(status) => {
                let resolved = status.is_resolved().then(|| to_ts(now));
                tx.execute(
                    "UPDATE tickets SET status = ?2,
                        resolved_at = CASE WHEN ?3 IS NULL THEN NULL ELSE coalesce(resolved_at, ?3) END,
                        awaiting_reply_since = CASE WHEN ?4 THEN NULL ELSE awaiting_reply_since END
                     WHERE id = ?1",
                    params![id, status.as_str(), resolved, status.ends_the_wait()],
                )?;
                // Reopening a closed ticket owes the customer whatever the thread
                // says is still unanswered; the wait is derived again, not restored.
                if before.status.ends_the_wait() && status.is_active() {
                    recompute_ledger(&tx, id)?;
                }
                ev(
                    "status",
                    Some(before.status.to_string()),
                    Some(status.to_string()),
                )?;
            }
            TicketChange::Priority(p) => {
                tx.execute(
                    "UPDATE tickets SET priority = ?2 WHERE id = ?1",
                    params![id, p.as_str()],
                )?;
                ev(
                    "priority",
                    Some(before.priority.to_string()),
                    Some(p.to_string()),
                )?;
            }
            TicketChange::Tags { add, remove } => {
                let tags = tags_after(&before.tags, add, remove);
                tx.execute(
                    "UPDATE tickets SET tags = ?2 WHERE id = ?1",
                    params![id, tags_to_col(&tags)],
                )?;
                ev("tags", Some(before.tags.join(" ")), Some(tags.join(" ")))?;
            }
            TicketChange::Subject(subject) => {
                let subject = subject.trim();
                if subject.is_empty() {
                    return Err(StoreError::Invalid("a ticket needs a subject".into()));
                }
                tx.execute(
                    "UPDATE tickets SET subject = ?2, thread_subject = ?3 WHERE id = ?1",
                    params![id, subject, normalize_subject(subject)],
                )?;
                index_ticket_messages(&tx, id)?;
                ev(
                    "subject",
                    Some(before.subject.clone()),
                    Some(subject.to_string()),
                )?;
            }
            TicketChange::Assignee(who) => {
                let who = assignee_name(who)?;
                tx.execute(
                    "UPDATE tickets SET assignee = ?2 WHERE id = ?1",
                    params![id, who],
                )?;
                ev(crate::model::ASSIGNEE_EVENT, before.assignee.clone(), who)?;
            }
            TicketChange::Escalate { target, reason } => {
                if target.trim().is_empty() {
                    return Err(StoreError::Invalid("escalate to whom? give --to".into()));
                }
                tx.execute(
                    "UPDATE tickets SET escalated_to = ?2, escalation_reason = ?3, escalated_at = ?4 WHERE id = ?1",
                    params![id, target.trim(), reason.trim(), to_ts(now)],
                )?;
                ev(
                    "escalated",
                    None,
                    Some(format!("{}: {}", target.trim(), reason.trim())),
                )?;
            }
            TicketChange::Deescalate => {
                tx.execute(
                    "UPDATE tickets SET escalated_to = NULL, escalation_reason = NULL, escalated_at = NULL WHERE id = ?1",
                    [id],
                )?;
                ev(
                    "deescalated",
                    before.escalation.as_ref().map(|e| e.target.clone()),
                    None,
                )?;
            }
            TicketChange::Snooze(until) => {
                tx.execute(
                    "UPDATE tickets SET snoozed_until = ?2 WHERE id = ?1",
                    params![id, until.map(to_ts)],
                )?;
                ev(
                    "snooze",
                    before.snoozed_until.map(|t| t.to_rfc3339()),
                    until.map(|t| t.to_rfc3339()),
                )?;
            }
            TicketChange::NoReplyNeeded(reason) => {
                tx.execute(
                    "UPDATE tickets SET awaiting_reply_since = NULL WHERE id = ?1",
                    [id],
                )?;
                ev("no-reply-needed", None, Some(reason.clone()))?;
                // A new ticket whose only message needs no answer has nothing left to
                // do: left "new", it stayed in the live queue and its resolution clock
                // ran on for ever. The reason stays on record in the event above.
                if before.status == Status::New {
                    tx.execute(
                        "UPDATE tickets SET status = ?2, resolved_at = coalesce(resolved_at, ?3)
                         WHERE id = ?1",
                        params![id, Status::Solved.as_str(), to_ts(now)],
                    )?;
                    ev(
                        "status",
                        Some(before.status.to_string()),
                        Some(Status::Solved.to_string()),
                    )?;
                }
            }
            TicketChange::MarkRead => {
                // Reading is not a change others must merge with: no version bump.
                tx.execute("UPDATE tickets SET unread = 0 WHERE id = ?1", [id])?;
                tx.commit()?;
                return load_ticket(&self.conn, id);
            }
        }
        touch(&tx, id, now)?;
        tx.commit()?;
        load_ticket(&self.conn, id)
    }

    fn merge_tickets(&mut self, from: TicketId, into: TicketId) -> Result<Ticket> {
        if from == into {
            return Err(StoreError::Invalid(
                "cannot merge a ticket into itself".into(),
            ));
        }
        let actor = self.actor.clone();
        let tx = self.write()?;
        let source = load_ticket(&tx, from)?;
        let target = load_ticket(&tx, into)?;
        tx.execute(
            "UPDATE messages SET ticket_id = ?2 WHERE ticket_id = ?1",
            params![from, into],
        )?;
        let draft: Option<String> = tx
            .query_row(
                "SELECT body FROM drafts WHERE ticket_id = ?1",
                [from],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(body) = draft {
            tx.execute(
                "INSERT INTO drafts(ticket_id, body, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(ticket_id) DO UPDATE SET body = drafts.body || char(10) || char(10) || excluded.body",
                params![into, body, to_ts(Utc::now())],
            )?;
        }
        let mut tags = target.tags.clone();
        for t in source.tags {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        tx.execute(
            "UPDATE tickets SET tags = ?2 WHERE id = ?1",
            params![into, tags_to_col(&tags)],
        )?;
        // What else points at the merged ticket goes with its thread, or the delete
        // below would cascade it away: the site watch's incident link (the next
        // outage would open a second "Site down" ticket) and its follow-ups.
        for table in ["site_incidents", "followups"] {
            tx.execute(
                &format!("UPDATE {table} SET ticket_id = ?2 WHERE ticket_id = ?1"),
                params![from, into],
            )?;
        }
        // Status and assignee follow from both: the merged thread may hold a reply
        // the target never had (then it is no longer "new"), and an assignee on
        // either side is kept (the target's when both have one).
        let answered = target.first_response_at.is_some() || source.first_response_at.is_some();
        let status = target.status.merged_with(source.status, answered);
        let assignee = target.assignee.clone().or_else(|| source.assignee.clone());
        tx.execute(
            "UPDATE tickets SET status = ?2, assignee = ?3,
                resolved_at = CASE WHEN ?4 THEN coalesce(resolved_at, ?5) ELSE NULL END
             WHERE id = ?1",
            params![
                into,
                status.as_str(),
                assignee,
                status.is_resolved(),
                source.resolved_at.map(to_ts)
            ],
        )?;
        if status != target.status {
            write_event(
                &tx,
                Some(into),
                &actor,
                "status",
                Some(target.status.as_str()),
                Some(status.as_str()),
            )?;
        }
        if assignee != target.assignee {
            write_event(
                &tx,
                Some(into),
                &actor,
                crate::model::ASSIGNEE_EVENT,
                target.assignee.as_deref(),
                assignee.as_deref(),
            )?;
        }
        tx.execute("DELETE FROM tickets WHERE id = ?1", [from])?;
        recompute_ledger(&tx, into)?;
        index_ticket_messages(&tx, into)?;
        let what = format!("#{from} {}", source.subject);
        write_event(
            &tx,
            Some(into),
            &actor,
            "merged",
            Some(&what),
            Some(&format!("#{into}")),
        )?;
        write_event(
            &tx,
            Some(from),
            &actor,
            "merged-into",
            None,
            Some(&format!("#{into}")),
        )?;
        touch(&tx, into, Utc::now())?;
        tx.commit()?;
        load_ticket(&self.conn, into)
    }

    fn oldest_waiting(&self, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let secs: Option<i64> = self.conn.query_row(
            &format!(
                "SELECT min(t.awaiting_reply_since) FROM tickets t
                 WHERE t.awaiting_reply_since IS NOT NULL AND t.status IN {}
                 AND (t.snoozed_until IS NULL OR t.snoozed_until <= ?1)",
                status_list(Status::ACTIVE)
            ),
            [to_ts(now)],
            |r| r.get(0),
        )?;
        Ok(opt_ts(secs))
    }

    fn waiting_since_before(
        &self,
        before: DateTime<Utc>,
    ) -> Result<(usize, Option<DateTime<Utc>>)> {
        let (count, oldest): (i64, Option<i64>) = self.conn.query_row(
            &format!(
                "SELECT count(*), min(t.awaiting_reply_since) FROM tickets t
                 WHERE t.awaiting_reply_since IS NOT NULL AND t.awaiting_reply_since < ?1
                 AND t.status IN {}",
                status_list(Status::ACTIVE)
            ),
            [to_ts(before)],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok((count.max(0) as usize, opt_ts(oldest)))
    }

    fn archive_idle(&mut self, before: DateTime<Utc>) -> Result<usize> {
        let actor = self.actor.clone();
        let tx = self.write()?;
        let ids: Vec<TicketId> = {
            let mut stmt = tx.prepare(&format!(
                "SELECT t.id FROM tickets t WHERE t.status IN {}
                 AND (SELECT max(sent_at) FROM messages m WHERE m.ticket_id = t.id) < ?1",
                status_list(Status::UNRESOLVED)
            ))?;
            let rows = stmt.query_map([to_ts(before)], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let now = Utc::now();
        for id in &ids {
            let status: String =
                tx.query_row("SELECT status FROM tickets WHERE id = ?1", [id], |r| {
                    r.get(0)
                })?;
            tx.execute(
                "UPDATE tickets SET status = 'closed', awaiting_reply_since = NULL,
                    resolved_at = coalesce(resolved_at, ?2), version = version + 1 WHERE id = ?1",
                params![id, to_ts(now)],
            )?;
            // No updated_at bump: archiving must not float old mail to the top.
            write_event(
                &tx,
                Some(*id),
                &actor,
                "status",
                Some(&status),
                Some("closed (archived)"),
            )?;
        }
        tx.commit()?;
        Ok(ids.len())
    }

    fn events(&self, ticket: Option<TicketId>) -> Result<Vec<Event>> {
        // Two statements, not `?1 IS NULL OR ticket_id = ?1`: the OR hides the index
        // and turned opening one ticket into a scan of the whole log.
        let mut stmt = match ticket {
            Some(_) => self.conn.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE e.ticket_id = ?1 ORDER BY e.id"
            ))?,
            None => self.conn.prepare_cached(&format!(
                "SELECT {EVENT_COLUMNS} FROM events e WHERE ?1 IS NULL ORDER BY e.id"
            ))?,
        };
        let rows = stmt.query_map([ticket], event_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn customers(&self) -> Result<Vec<Customer>> {
        let sql = format!("SELECT {CUSTOMER_COLUMNS} FROM customers c ORDER BY c.id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], |r| customer_from_row(&self.conn, r))?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    fn tickets(&self) -> Result<Vec<Ticket>> {
        let sql = format!("SELECT {TICKET_COLUMNS} FROM tickets t ORDER BY t.id");
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map([], ticket_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

impl SqliteStore {
    /// One page: ids picked in `pick.0` (`pick.1`: that is `order` backwards), rows
    /// returned in `order`.
    fn list_page(
        &self,
        filter: &TicketFilter,
        order: &str,
        pick: (&str, bool),
        limit: usize,
        offset: usize,
    ) -> Result<Vec<TicketSummary>> {
        let (where_sql, args) = filter_sql(filter, Utc::now());
        let join = customer_join(filter);
        let limit = i64::try_from(limit).unwrap_or(-1);
        let picked = if filter.sort == SortOrder::Due && filter.view != Some(View::NeedsReply) {
            due_pick_sql(filter, &where_sql, join, pick.1, limit, offset)
        } else {
            format!(
                "SELECT t.id AS pid FROM tickets t {join} WHERE {where_sql}
                 ORDER BY {} LIMIT {limit} OFFSET {offset}",
                pick.0
            )
        };
        // The preview picks its message by id first, from the index alone, and reads
        // one body: ordered on `id` after `sent_at`, which `messages_ticket` does not
        // hold, SQLite sorted each ticket's rows with their whole bodies in the sorter,
        // and the 50 previews of a search page cost 3.4 ms instead of 0.7 (issue 21).
        let sql = format!(
            "SELECT {TICKET_COLUMNS}, c.name AS customer_name,
                (SELECT value FROM customer_addresses a WHERE a.customer_id = c.id AND a.kind = 'email' LIMIT 1)
                    AS customer_email,
                (SELECT count(*) FROM messages m WHERE m.ticket_id = t.id AND m.direction != 'note')
                    AS message_count,
                (SELECT max(sent_at) FROM messages m WHERE m.ticket_id = t.id) AS last_message_at,
                (SELECT substr(body, 1, 200) FROM messages WHERE id =
                    (SELECT id FROM messages m WHERE m.ticket_id = t.id AND m.direction != 'note'
                        ORDER BY sent_at DESC, id DESC LIMIT 1)) AS preview
             FROM ({picked}) page
             JOIN tickets t ON t.id = page.pid JOIN customers c ON c.id = t.customer_id
             ORDER BY {order}",
        );
        let mut stmt = self.conn.prepare(&sql)?;
        let rows = stmt.query_map(params_from_iter(args.iter()), |row| {
            Ok(TicketSummary {
                ticket: ticket_from_row(row)?,
                customer_name: row.get("customer_name")?,
                customer_email: row.get("customer_email")?,
                message_count: row.get("message_count")?,
                last_message_at: opt_ts(row.get("last_message_at")?),
                preview: row
                    .get::<_, Option<String>>("preview")?
                    .unwrap_or_default()
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" "),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }
}

/// The ORDER BY for a filter. Due order is "waiting since + target for its priority",
/// the wall-clock reading of the SLA (business hours shift every ticket alike).
/// The ids of a page in due order, for views that mix waiting and settled tickets
/// (All, Solved…). Due order is waiting tickets by due time, then the rest by last
/// update; due time depends on the configured targets, so no index holds it and one
/// ORDER BY over it read all 100,000 tickets of a big queue for every page (80 ms).
/// Split, the waiting part (a few percent) is sorted and the rest walks the
/// last-update index, each stopping after `offset + limit` rows.
fn due_pick_sql(
    filter: &TicketFilter,
    where_sql: &str,
    join: &str,
    backwards: bool,
    limit: i64,
    offset: usize,
) -> String {
    let due = due_expr(filter);
    let n = if limit < 0 {
        -1
    } else {
        limit.saturating_add(offset as i64)
    };
    let (asc, desc) = if backwards {
        ("DESC", "ASC")
    } else {
        ("ASC", "DESC")
    };
    format!(
        "SELECT pid FROM (
            SELECT * FROM (SELECT t.id AS pid, 0 AS grp, {due} AS k, t.updated_at AS u
                FROM tickets t {join} WHERE ({where_sql}) AND t.awaiting_reply_since IS NOT NULL
                ORDER BY k {asc}, u {desc}, pid {desc} LIMIT {n})
            UNION ALL
            SELECT * FROM (SELECT t.id AS pid, 1 AS grp, 0 AS k, t.updated_at AS u
                FROM tickets t {join} WHERE ({where_sql}) AND t.awaiting_reply_since IS NULL
                ORDER BY u {desc}, pid {desc} LIMIT {n}))
         ORDER BY grp {asc}, k {asc}, u {desc}, pid {desc} LIMIT {limit} OFFSET {offset}"
    )
}

/// When a waiting ticket's first reply is due, in seconds since the epoch.
fn due_expr(filter: &TicketFilter) -> String {
    let [low, normal, high, urgent] = filter.reply_targets_minutes.unwrap_or([1440, 480, 240, 60]);
    format!(
        "t.awaiting_reply_since + 60 * (CASE t.priority WHEN 'urgent' THEN {urgent} \
         WHEN 'high' THEN {high} WHEN 'normal' THEN {normal} ELSE {low} END)"
    )
}

/// From this offset on, a page may be read from the far end of the list.
const FAR_PAGE_OFFSET: usize = 2_000;

/// The same ORDER BY, backwards. Every order ends in `t.id`, so it is total and the
/// reverse is exact (NULLs move to the other end too, as they should).
fn reverse_order(order: &str) -> String {
    let mut terms = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, ch) in order.char_indices() {
        match ch {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                terms.push(&order[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    terms.push(&order[start..]);
    terms
        .iter()
        .map(|term| {
            let term = term.trim();
            match term.strip_suffix(" DESC") {
                Some(ascending) => format!("{ascending} ASC"),
                None => format!("{} DESC", term.strip_suffix(" ASC").unwrap_or(term)),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn order_sql(filter: &TicketFilter) -> String {
    match filter.sort {
        SortOrder::Due => format!(
            "CASE WHEN t.awaiting_reply_since IS NULL THEN 1 ELSE 0 END, {}, \
             t.updated_at DESC, t.id DESC",
            due_expr(filter)
        ),
        SortOrder::Updated => "t.updated_at DESC, t.id DESC".into(),
        SortOrder::Priority => "CASE t.priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END, \
             coalesce(t.awaiting_reply_since, t.updated_at), t.id"
            .into(),
        SortOrder::Created => "t.created_at DESC, t.id DESC".into(),
    }
}

/// Paging picks ids first and fetches the row details for the page only: sorting
/// 30,000 waiting tickets is cheap, running four subqueries for each of them is not.
/// The customer join is only needed when the filter looks at the customer.
pub(crate) fn customer_join(filter: &TicketFilter) -> &'static str {
    if filter.customer.is_some() {
        "JOIN customers c ON c.id = t.customer_id"
    } else {
        ""
    }
}

/// Builds the WHERE clause for a filter. Values always go through parameters.
pub(crate) fn filter_sql(
    filter: &TicketFilter,
    now: DateTime<Utc>,
) -> (String, Vec<rusqlite::types::Value>) {
    use rusqlite::types::Value;
    let mut clauses: Vec<String> = vec!["1".into()];
    let mut args: Vec<Value> = Vec::new();
    let arg = |v: Value, args: &mut Vec<Value>| {
        args.push(v);
        format!("?{}", args.len())
    };
    let now = to_ts(now);
    if let Some(view) = filter.view {
        let mut n = || arg(Value::Integer(now), &mut args);
        clauses.push(match view {
            View::NeedsReply => format!(
                "t.awaiting_reply_since IS NOT NULL AND t.status IN {} \
                 AND (t.snoozed_until IS NULL OR t.snoozed_until <= {})",
                status_list(Status::ACTIVE),
                n()
            ),
            View::All => "t.status != 'spam'".into(),
            View::Pending => "t.status IN ('pending', 'on-hold')".into(),
            View::Snoozed => format!("t.snoozed_until > {}", n()),
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
            .map(|s| arg(Value::Text(s.as_str().into()), &mut args))
            .collect();
        clauses.push(format!("t.status IN ({})", list.join(",")));
    }
    if let Some(tag) = &filter.tag {
        let p = arg(
            Value::Text(format!("% {} %", normalize_tag(tag))),
            &mut args,
        );
        clauses.push(format!("t.tags LIKE {p}"));
    }
    if let Some(q) = &filter.customer {
        let p = arg(
            Value::Text(format!("%{}%", q.trim().to_lowercase())),
            &mut args,
        );
        clauses.push(format!(
            "(fl_lower(c.name) LIKE {p} OR EXISTS (SELECT 1 FROM customer_addresses a \
             WHERE a.customer_id = c.id AND fl_lower(a.value) LIKE {p}))"
        ));
    }
    if let Some(id) = filter.customer_id {
        let p = arg(Value::Integer(id), &mut args);
        clauses.push(format!("t.customer_id = {p}"));
    }
    if let Some(ch) = filter.channel {
        let p = arg(Value::Text(ch.as_str().into()), &mut args);
        clauses.push(format!("t.channel = {p}"));
    }
    if let Some(pr) = filter.priority {
        let p = arg(Value::Text(pr.as_str().into()), &mut args);
        clauses.push(format!("t.priority = {p}"));
    }
    match &filter.assignee {
        AssigneeFilter::Anyone => {}
        AssigneeFilter::Unassigned => clauses.push("t.assignee IS NULL".into()),
        AssigneeFilter::Agent(name) => {
            let p = arg(Value::Text(name.trim().to_string()), &mut args);
            clauses.push(format!("t.assignee = {p}"));
        }
    }
    if let Some(ids) = &filter.ids {
        if ids.is_empty() {
            clauses.push("0".into());
        } else {
            let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
            clauses.push(format!("t.id IN ({})", list.join(",")));
        }
    }
    (clauses.join(" AND "), args)
}
