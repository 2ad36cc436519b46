//! The database schema as a numbered list of migrations, in the style of taskchampion:
//! each upgrade runs in its own transaction and records its number in `user_version`.
//! A file written by a newer firstline is refused rather than half-understood.

use rusqlite::{Connection, TransactionBehavior};

use super::StoreError;

/// One schema upgrade: the version it produces and the SQL that gets there.
type Migration = (i64, &'static str);

/// Every migration in order. Append only: a released step is never edited, because
/// users' files have already run it.
const MIGRATIONS: &[Migration] = &[
    (1, V1),
    (2, V2),
    (3, V3),
    (4, V4),
    (5, V5),
    (6, V6),
    (7, V7),
    (8, V8),
    (9, V9),
    (10, V10),
    (11, V11),
    (12, V12),
    (13, V13),
    (14, V14),
    (15, V15),
];

/// The schema version this build writes and understands.
pub const CURRENT_VERSION: i64 = 15;

const V1: &str = r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE customers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL DEFAULT '',
    phone TEXT,
    language TEXT NOT NULL DEFAULT 'other',
    formality TEXT NOT NULL DEFAULT 'unknown',
    notes TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

-- Every way to reach a customer (e-mail, chat handle, phone), so a second address
-- or a Telegram handle resolves to the same person.
CREATE TABLE customer_addresses (
    kind TEXT NOT NULL CHECK (kind IN ('email', 'handle', 'phone')),
    value TEXT NOT NULL,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    PRIMARY KEY (kind, value)
);
CREATE INDEX customer_addresses_customer ON customer_addresses(customer_id);

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    assignee TEXT,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at INTEGER,
    snoozed_until INTEGER,
    escalated_to TEXT,
    escalation_reason TEXT,
    escalated_at INTEGER,
    awaiting_reply_since INTEGER,
    unread INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tickets_status_updated ON tickets(status, updated_at);
CREATE INDEX tickets_awaiting ON tickets(awaiting_reply_since);
CREATE INDEX tickets_customer ON tickets(customer_id);
CREATE INDEX tickets_updated ON tickets(updated_at);

CREATE TABLE messages (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    html_body TEXT,
    sent_at INTEGER NOT NULL,
    message_id TEXT,
    in_reply_to TEXT,
    refs TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    canned_id INTEGER,
    canned_edited INTEGER
);
CREATE INDEX messages_ticket ON messages(ticket_id, sent_at);
CREATE UNIQUE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;

CREATE TABLE drafts (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
    body TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER,
    at INTEGER NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    old TEXT,
    new TEXT
);
CREATE INDEX events_ticket ON events(ticket_id, id);

-- One row per message: its ticket's subject and customer ride along so a single MATCH
-- finds a ticket by any of the three, and `subject:` / `customer:` column filters work.
CREATE VIRTUAL TABLE search_index USING fts5(
    subject, body, customer,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);
"#;

/// Version 2: the tables the canned-reply library, the outbox and resumable imports
/// keep their state in.
const V2: &str = r#"
CREATE TABLE canned_responses (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    shortcut TEXT,
    language TEXT NOT NULL DEFAULT 'en',
    formality TEXT NOT NULL DEFAULT 'unknown',
    tags TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    builtin_hash TEXT,
    user_modified INTEGER NOT NULL DEFAULT 0,
    times_used INTEGER NOT NULL DEFAULT 0,
    times_unmodified INTEGER NOT NULL DEFAULT 0,
    last_used_at INTEGER,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    raw BLOB,
    updated_at INTEGER NOT NULL
);
CREATE INDEX outbox_state ON outbox(state, not_before);

CREATE TABLE import_sources (
    source TEXT PRIMARY KEY,
    position TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE raw_messages (
    message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    sha256 TEXT NOT NULL,
    raw BLOB NOT NULL
);
CREATE INDEX raw_messages_sha ON raw_messages(sha256);
"#;

/// Version 3: what canned-reply suggestions learn from. `keywords` are the words
/// customers use when they need a reply; `deleted_at` makes delete undoable and keeps a
/// deleted starter reply from coming back; `canned_uses` remembers which customer
/// message each reply answered, and two contentless FTS5 tables rank replies by BM25
/// against a new message: by that history, and by the replies' own text for a cold start.
const V3: &str = r#"
ALTER TABLE canned_responses ADD COLUMN keywords TEXT NOT NULL DEFAULT '';
ALTER TABLE canned_responses ADD COLUMN deleted_at INTEGER;

CREATE TABLE canned_uses (
    id INTEGER PRIMARY KEY,
    canned_id INTEGER NOT NULL REFERENCES canned_responses(id) ON DELETE CASCADE,
    message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    edited INTEGER NOT NULL,
    at INTEGER NOT NULL,
    answered TEXT NOT NULL DEFAULT ''
);
CREATE INDEX canned_uses_canned ON canned_uses(canned_id);

-- rowid = canned_uses.id: the customer message a reply answered.
CREATE VIRTUAL TABLE canned_history_index USING fts5(
    answered,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- rowid = canned_responses.id: the reply's own words, for suggestions with no history.
CREATE VIRTUAL TABLE canned_text_index USING fts5(
    title, keywords, tags, body,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO canned_text_index(rowid, title, keywords, tags, body)
    SELECT id, title, '', tags, body FROM canned_responses;
"#;

/// Version 4: follow-ups promised in
/// replies, and the site watch's check history and open incidents.
const V4: &str = r#"
CREATE TABLE followups (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    phrase TEXT NOT NULL DEFAULT '',
    message_id INTEGER REFERENCES messages(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    done_at INTEGER
);
CREATE INDEX followups_open ON followups(done_at, due_at);
CREATE INDEX followups_ticket ON followups(ticket_id);
CREATE UNIQUE INDEX followups_message ON followups(message_id) WHERE message_id IS NOT NULL;

CREATE TABLE site_checks (
    id INTEGER PRIMARY KEY,
    url TEXT NOT NULL,
    at INTEGER NOT NULL,
    ok INTEGER NOT NULL,
    slow INTEGER NOT NULL DEFAULT 0,
    status INTEGER,
    ms INTEGER,
    error TEXT
);
CREATE INDEX site_checks_url ON site_checks(url, at);

-- One row per site that is down now: the incident ticket it writes to.
CREATE TABLE site_incidents (
    url TEXT PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    down_since INTEGER NOT NULL,
    last_note_at INTEGER NOT NULL,
    last_problem TEXT NOT NULL
);
"#;

/// Version 5: indexes that keep the inbox instant at 100k tickets. The partial index
/// holds exactly the tickets waiting on us (the default view) with every column its
/// sort reads, so the first page and the count never touch the table; the updated
/// index carries status so deep pages of "All" skip spam without row lookups.
const V5: &str = r#"
CREATE INDEX tickets_waiting ON tickets(awaiting_reply_since, priority, snoozed_until, updated_at)
    WHERE awaiting_reply_since IS NOT NULL AND status IN ('new', 'open', 'on-hold');
DROP INDEX tickets_updated;
CREATE INDEX tickets_updated_status ON tickets(updated_at, status);
"#;

/// Version 6 (intake and outbox): finding a reply that arrived before its parent
/// needs `in_reply_to` indexed; an undone reply restores the ticket's reply ledger
/// from the snapshot taken when it was queued; one outbox row per message.
const V6: &str = r#"
CREATE INDEX messages_in_reply_to ON messages(in_reply_to) WHERE in_reply_to IS NOT NULL;
ALTER TABLE outbox ADD COLUMN ledger TEXT;
CREATE UNIQUE INDEX outbox_message ON outbox(message_id);
"#;

/// Version 7: subject threading looks up the customer's tickets by normalised subject
/// through an index instead of reading every ticket the customer ever had (a mailing
/// list sender with thousands of tickets made import quadratic). `fl_thread_subject`
/// is registered on every connection the store opens; it is needed only here, so the
/// file stays writable by the plain `sqlite3` shell.
const V7: &str = r#"
ALTER TABLE tickets ADD COLUMN thread_subject TEXT NOT NULL DEFAULT '';
UPDATE tickets SET thread_subject = fl_thread_subject(subject);
CREATE INDEX tickets_thread ON tickets(customer_id, thread_subject);
"#;

/// Version 8: closing, solving or marking spam now ends the customer's wait, but
/// older builds left `awaiting_reply_since` set on such tickets (bulk-closed 1993 mail
/// showed "waits 33y" and skewed the report). Clear it on every ticket already settled.
const V8: &str = r#"
UPDATE tickets SET awaiting_reply_since = NULL
    WHERE awaiting_reply_since IS NOT NULL AND status IN ('solved', 'closed', 'spam');
"#;

/// Version 9: ticket, message and outbox ids are never reused. Without `AUTOINCREMENT`
/// SQLite hands out max(id)+1, so after merging #12 into #11 the next chat became #12
/// and #11's "merged #12" pointed at a stranger; an undone reply's message id went to
/// the next reply. SQLite can only add `AUTOINCREMENT` by rebuilding the table, so each
/// is copied with its ids into an identical table that has it (indexes recreated as V1,
/// V5, V6 and V7 left them). The counters start above every id the audit log still
/// names, so a ticket merged away or a reply undone before the upgrade stays retired.
/// Foreign keys are off while this runs (see [`migrate_to`]) and checked before commit.
const V9: &str = concat!(
    r#"
CREATE TABLE tickets_v9 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    tags TEXT NOT NULL DEFAULT '',
    assignee TEXT,
    customer_id INTEGER NOT NULL REFERENCES customers(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    first_response_at INTEGER,
    resolved_at INTEGER,
    snoozed_until INTEGER,
    escalated_to TEXT,
    escalation_reason TEXT,
    escalated_at INTEGER,
    awaiting_reply_since INTEGER,
    unread INTEGER NOT NULL DEFAULT 1,
    version INTEGER NOT NULL DEFAULT 1,
    thread_subject TEXT NOT NULL DEFAULT ''
);
INSERT INTO tickets_v9 SELECT id, subject, status, priority, channel, tags, assignee,
    customer_id, created_at, updated_at, first_response_at, resolved_at, snoozed_until,
    escalated_to, escalation_reason, escalated_at, awaiting_reply_since, unread, version,
    thread_subject FROM tickets;
DROP TABLE tickets;
ALTER TABLE tickets_v9 RENAME TO tickets;
CREATE INDEX tickets_status_updated ON tickets(status, updated_at);
CREATE INDEX tickets_awaiting ON tickets(awaiting_reply_since);
CREATE INDEX tickets_customer ON tickets(customer_id);
CREATE INDEX tickets_waiting ON tickets(awaiting_reply_since, priority, snoozed_until, updated_at)
    WHERE awaiting_reply_since IS NOT NULL AND status IN ('new', 'open', 'on-hold');
CREATE INDEX tickets_updated_status ON tickets(updated_at, status);
CREATE INDEX tickets_thread ON tickets(customer_id, thread_subject);

CREATE TABLE messages_v9 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    direction TEXT NOT NULL,
    author TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    html_body TEXT,
    sent_at INTEGER NOT NULL,
    message_id TEXT,
    in_reply_to TEXT,
    refs TEXT NOT NULL DEFAULT '',
    attachments TEXT NOT NULL DEFAULT '[]',
    canned_id INTEGER,
    canned_edited INTEGER
);
INSERT INTO messages_v9 SELECT id, ticket_id, direction, author, body, html_body, sent_at,
    message_id, in_reply_to, refs, attachments, canned_id, canned_edited FROM messages;
DROP TABLE messages;
ALTER TABLE messages_v9 RENAME TO messages;
CREATE INDEX messages_ticket ON messages(ticket_id, sent_at);
CREATE UNIQUE INDEX messages_message_id ON messages(message_id) WHERE message_id IS NOT NULL;
CREATE INDEX messages_in_reply_to ON messages(in_reply_to) WHERE in_reply_to IS NOT NULL;

CREATE TABLE outbox_v9 (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    state TEXT NOT NULL,
    not_before INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    raw BLOB,
    updated_at INTEGER NOT NULL,
    ledger TEXT
);
INSERT INTO outbox_v9 SELECT id, message_id, state, not_before, attempts, last_error, raw,
    updated_at, ledger FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_v9 RENAME TO outbox;
CREATE INDEX outbox_state ON outbox(state, not_before);
CREATE UNIQUE INDEX outbox_message ON outbox(message_id);
"#,
    retire_audited_ids!()
);

/// Version 10: a draft names the console that is writing it (`owner`, a process id
/// with its start time, see `tui::app::drafts`), so a second console on the same
/// queue says "being edited in another console" instead of quietly taking the words
/// in as its own, and a reply sent from one console no longer deletes the draft
/// another is writing. NULL: nobody is writing it (the CLI, a console that left it).
const V10: &str = r#"
ALTER TABLE drafts ADD COLUMN owner TEXT;
"#;

/// Version 11: what a search needs of each matching message (its ticket and date), in
/// an index of a few bytes a row. Joining the full-text matches to `messages` itself
/// read one big row (the body rides in it) per match: a search for `the` in 100,000
/// messages spent 95 of its 130 ms reading 45,000 rows' pages, 25 ms with this index.
const V11: &str = r#"
CREATE INDEX messages_search_key ON messages(id, ticket_id, sent_at);
"#;

/// Version 12, assignment (team mode): "Mine" and "Unassigned" are inbox views, so the
/// assignee gets an index; a blank assignee (never written by firstline, possible in a
/// file edited by hand) becomes unassigned, since it would look taken and match nobody.
const V12: &str = r#"
UPDATE tickets SET assignee = NULL WHERE trim(assignee) = '';
CREATE INDEX tickets_assignee ON tickets(assignee, updated_at);
"#;

/// Presence (team mode, `store::presence`): one row per running console, keyed by
/// its holder id. No reference to the ticket: a row outlives a merge harmlessly and
/// goes stale on its own.
const V13: &str = r#"
CREATE TABLE presence (
    console TEXT PRIMARY KEY,
    agent TEXT NOT NULL,
    ticket_id INTEGER NOT NULL,
    activity TEXT NOT NULL,
    heartbeat INTEGER NOT NULL
);
CREATE INDEX presence_heartbeat ON presence(heartbeat);
"#;

/// Version 14: the per-ticket message index also carries each message's direction, so
/// a ticket row's message count (`direction != 'note'`) is read from the index instead
/// of every message row of the thread, bodies and all. Listing the 50 newest tickets
/// that match `the` (7,902 messages in them) read 6,500 pages and took 29 ms of a
/// search's SQL; 2.9 ms with this index. Same name, same leading columns: every query
/// that used `(ticket_id, sent_at)` still does.
const V14: &str = r#"
DROP INDEX messages_ticket;
CREATE INDEX messages_ticket ON messages(ticket_id, sent_at, direction);
"#;

/// Version 15: the full-text index keeps no prefix index (was `prefix = '2 3'`).
/// Every indexed token was written three times (the word, its first two and its
/// first three characters): at 100,000 messages the index shrinks by more than half
/// and an import costs a fifth less CPU. A prefix search (`th*`, `unsubscr*`) now
/// reads the range of whole terms that start with it; two-letter prefixes pay about
/// a third more, longer ones about the same (issue 21, README "Performance";
/// `prefix = '3'` alone was measured too: the same two-letter cost for half the
/// import gain). A contentless FTS5 table cannot change its options in place, so the
/// index is built again from the messages, exactly as `messages::index_message`
/// writes a row (the ticket's subject, the body up to the indexed limit, the
/// customer's name and addresses, folded by `fl_index_text` / `fl_index_body`). On a
/// large queue this takes a while once; [`set_upgrade_notice`] says so first.
const V15: &str = r#"
DROP TABLE search_index;
CREATE VIRTUAL TABLE search_index USING fts5(
    subject, body, customer,
    content = '', contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO search_index(rowid, subject, body, customer)
SELECT m.id, fl_index_text(t.subject), fl_index_body(m.body),
       fl_index_text(c.name || ' ' || coalesce((SELECT group_concat(value, ' ')
           FROM customer_addresses a WHERE a.customer_id = c.id), ''))
FROM messages m
LEFT JOIN tickets t ON t.id = m.ticket_id
LEFT JOIN customers c ON c.id = t.customer_id
ORDER BY m.id;
"#;

/// Steps that rewrite every message (the full-text index rebuilt), with what to tell
/// the user before one starts on a queue that has messages.
const SLOW_STEPS: &[(i64, &str)] = &[(15, "rebuilding the search index")];

/// Where a long upgrade step is announced; set once by the binary (stderr), unset in
/// the library and its tests, which read [`last_upgrade_notice`] instead.
static UPGRADE_NOTICE: std::sync::OnceLock<fn(&str)> = std::sync::OnceLock::new();

thread_local! {
    /// The notice of the last slow step this thread started, for tests (per thread, so
    /// tests running side by side never read each other's).
    static LAST_NOTICE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Routes the one-line notice a slow upgrade step gives before it starts (e.g.
/// "upgrading the queue (schema 15): rebuilding the search index of 100,000
/// messages…") to `notice`. The binary sends it to stderr, so a user whose first
/// start after an update takes a minute sees why.
pub fn set_upgrade_notice(notice: fn(&str)) {
    let _ = UPGRADE_NOTICE.set(notice);
}

/// The last slow-step notice given on this thread, if any.
#[doc(hidden)]
pub fn last_upgrade_notice() -> Option<String> {
    LAST_NOTICE.with(|n| n.borrow().clone())
}

fn announce_slow_step(conn: &Connection, version: i64) -> Result<(), StoreError> {
    let Some((_, what)) = SLOW_STEPS.iter().find(|(v, _)| *v == version) else {
        return Ok(());
    };
    let messages: i64 = conn.query_row("SELECT count(*) FROM messages", [], |r| r.get(0))?;
    if messages == 0 {
        return Ok(());
    }
    let line = format!(
        "upgrading the queue (schema {version}): {what} of {} messages, once; \
         on a large queue this takes a few minutes",
        messages
    );
    if let Some(notice) = UPGRADE_NOTICE.get() {
        notice(&line);
    }
    LAST_NOTICE.with(|last| *last.borrow_mut() = Some(line));
    Ok(())
}

/// Raises the id counters above every id the rows or the audit log name: a ticket
/// merged away survives only as `events.ticket_id`, an undone reply only as a
/// `reply-undone` event. A macro so migration 9 (frozen text) and loading a dump share
/// one statement list.
macro_rules! retire_audited_ids {
    () => {
        r#"
INSERT INTO sqlite_sequence(name, seq)
    SELECT n, 0 FROM (SELECT 'tickets' AS n UNION ALL SELECT 'messages' UNION ALL SELECT 'outbox')
    WHERE n NOT IN (SELECT name FROM sqlite_sequence);
UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT coalesce(max(id), 0) FROM tickets),
    (SELECT coalesce(max(ticket_id), 0) FROM events))
    WHERE name = 'tickets';
UPDATE sqlite_sequence SET seq = max(seq,
    (SELECT coalesce(max(id), 0) FROM messages),
    (SELECT coalesce(max(CAST(old AS INTEGER)), 0) FROM events WHERE kind = 'reply-undone'))
    WHERE name = 'messages';
UPDATE sqlite_sequence SET seq = max(seq, (SELECT coalesce(max(id), 0) FROM outbox))
    WHERE name = 'outbox';
"#
    };
}
use retire_audited_ids;

/// [`V9`]'s counter step on its own, for a queue loaded from a dump with its ids.
pub(crate) const RETIRE_AUDITED_IDS: &str = retire_audited_ids!();

/// Brings `conn` to [`CURRENT_VERSION`], one transaction per step. Returns whether the
/// file was empty (version 0) before, so the caller can seed a first-run queue.
pub fn migrate(conn: &mut Connection) -> Result<bool, StoreError> {
    migrate_to(conn, CURRENT_VERSION)
}

/// Brings `conn` up to `target` only. Public so tests can build files exactly as an
/// older firstline wrote them; the application always migrates to the current version.
#[doc(hidden)]
pub fn migrate_to(conn: &mut Connection, target: i64) -> Result<bool, StoreError> {
    // Migrations call firstline's SQL functions (V7 backfills `fl_thread_subject`).
    super::register_functions(conn)?;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > CURRENT_VERSION {
        return Err(StoreError::NewerSchema {
            found,
            supported: CURRENT_VERSION,
        });
    }
    // Rebuilding a table (V9) drops the old one, which with foreign keys on would
    // cascade-delete every row that points at it. SQLite's documented way is to switch
    // enforcement off outside the transaction and check every reference before commit.
    let enforced: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let result = run_migrations(conn, found, target);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    result?;
    Ok(found == 0)
}

fn run_migrations(conn: &mut Connection, found: i64, target: i64) -> Result<(), StoreError> {
    for (version, sql) in MIGRATIONS
        .iter()
        .filter(|(v, _)| *v > found && *v <= target)
    {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        // Another process may have migrated while we waited for the write lock.
        let now: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if now >= *version {
            continue;
        }
        // Only references this step broke stop it: a file that arrived with dangling
        // ones must still open, or its owner could never reach the data again.
        let before = broken_references(&tx)?;
        announce_slow_step(&tx, *version)?;
        tx.execute_batch(sql)?;
        let after = broken_references(&tx)?;
        if after > before {
            return Err(StoreError::Invalid(format!(
                "upgrading the database to version {version} would leave {} rows pointing \
                 at missing ones, so nothing was changed; report this with `firstline doctor` output",
                after - before
            )));
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.commit()?;
    }
    Ok(())
}

fn broken_references(conn: &Connection) -> Result<i64, StoreError> {
    Ok(
        conn.query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })?,
    )
}

/// The version a connection's file is at, for `doctor`.
pub fn version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |r| r.get(0))?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrates_empty_file_to_current() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert!(migrate(&mut conn).unwrap());
        assert_eq!(version(&conn).unwrap(), CURRENT_VERSION);
        assert!(!migrate(&mut conn).unwrap(), "second run is a no-op");
    }

    #[test]
    fn upgrades_a_version_one_file_in_place() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.execute("INSERT INTO meta VALUES ('k', 'v')", [])
            .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT_VERSION);
        let v: String = conn
            .query_row("SELECT value FROM meta", [], |r| r.get(0))
            .unwrap();
        assert_eq!(v, "v", "existing data survives the upgrade");
    }

    #[test]
    fn upgrades_a_version_two_file_indexing_its_canned_replies() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(V1).unwrap();
        conn.execute_batch(V2).unwrap();
        conn.pragma_update(None, "user_version", 2).unwrap();
        conn.execute(
            "INSERT INTO canned_responses(slug, title, body, created_at, updated_at)
             VALUES ('refund', 'Refund issued', 'Your refund is on its way', 0, 0)",
            [],
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), CURRENT_VERSION);
        let found: i64 = conn
            .query_row(
                "SELECT rowid FROM canned_text_index WHERE canned_text_index MATCH 'refund'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(
            found, 1,
            "an existing reply is searchable after the upgrade"
        );
    }

    #[test]
    fn upgrade_to_seven_fills_the_threading_subject_of_existing_tickets() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 6).unwrap();
        conn.execute_batch(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Олена', 0);
             INSERT INTO tickets(subject, status, priority, channel, tags, customer_id, created_at, updated_at)
             VALUES ('Re: AW:  Не можу   увійти', 'new', 'normal', 'email', '', 1, 0, 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let key: String = conn
            .query_row("SELECT thread_subject FROM tickets", [], |r| r.get(0))
            .unwrap();
        assert_eq!(key, crate::model::normalize_subject("Не можу увійти"));
        assert_eq!(key, "не можу увійти");
    }

    #[test]
    fn upgrade_to_eight_ends_the_wait_of_tickets_already_closed() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 7).unwrap();
        conn.execute_batch(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Ann', 0);
             INSERT INTO tickets(id, subject, status, priority, channel, tags, customer_id,
                 created_at, updated_at, awaiting_reply_since)
             VALUES (1, 'old', 'closed', 'normal', 'email', '', 1, 100, 100, 100),
                    (2, 'done', 'solved', 'normal', 'email', '', 1, 100, 100, 100),
                    (3, 'junk', 'spam', 'normal', 'email', '', 1, 100, 100, 100),
                    (4, 'live', 'open', 'normal', 'email', '', 1, 100, 100, 100);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let waiting: Vec<i64> = conn
            .prepare("SELECT id FROM tickets WHERE awaiting_reply_since IS NOT NULL")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(waiting, vec![4], "only the live ticket still waits");
    }

    fn schema_objects(conn: &Connection) -> Vec<String> {
        conn.prepare(
            "SELECT type || ' ' || name || ' on ' || tbl_name FROM sqlite_master
             WHERE name NOT LIKE 'sqlite_%' AND name NOT LIKE 'search_index_%'
               AND name NOT LIKE 'canned_%_index_%' ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
    }

    #[test]
    fn issue15_10_upgrade_to_nine_keeps_every_table_and_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 8).unwrap();
        let before = schema_objects(&conn);
        let fk = |c: &Connection| -> bool {
            c.query_row("PRAGMA foreign_keys", [], |r| r.get(0))
                .unwrap()
        };
        let enforced = fk(&conn);
        // To nine exactly: later versions add objects of their own (11, 12: indexes).
        migrate_to(&mut conn, 9).unwrap();
        let after: Vec<String> = schema_objects(&conn)
            .into_iter()
            .filter(|o| o != "table sqlite_sequence on sqlite_sequence")
            .collect();
        assert_eq!(after, before);
        assert_eq!(
            fk(&conn),
            enforced,
            "the connection's own setting is restored"
        );
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'tickets'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(sql.contains("REFERENCES customers(id)"), "{sql}");
    }

    #[test]
    fn issue15_14_upgrade_to_ten_keeps_drafts_with_no_owner() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 9).unwrap();
        conn.execute_batch(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Ann', 0);
             INSERT INTO tickets(id, subject, status, priority, channel, customer_id, created_at, updated_at)
                 VALUES (1, 'Hi', 'new', 'normal', 'email', 1, 0, 0);
             INSERT INTO drafts(ticket_id, body, updated_at) VALUES (1, 'Dear Ann', 0);",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (body, owner): (String, Option<String>) = conn
            .query_row("SELECT body, owner FROM drafts", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((body.as_str(), owner), ("Dear Ann", None));
    }

    #[test]
    fn upgrade_to_twelve_indexes_the_assignee_and_unassigns_blank_names() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 11).unwrap();
        conn.execute_batch(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Ann', 0);
             INSERT INTO tickets(id, subject, status, priority, channel, customer_id, created_at, updated_at, assignee)
                 VALUES (1, 'Hi', 'new', 'normal', 'email', 1, 0, 0, 'Olena'),
                        (2, 'Yo', 'new', 'normal', 'email', 1, 0, 0, '  '),
                        (3, 'Hey', 'new', 'normal', 'email', 1, 0, 0, NULL);",
        )
        .unwrap();
        migrate_to(&mut conn, 12).unwrap();
        assert_eq!(version(&conn).unwrap(), 12);
        let assignees: Vec<Option<String>> = conn
            .prepare("SELECT assignee FROM tickets ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(assignees, vec![Some("Olena".into()), None, None]);
        let indexed: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'tickets_assignee'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(indexed, 1);
    }

    /// Issue 21: a ticket's message count comes from the index, never the message rows.
    #[test]
    fn upgrade_to_fourteen_counts_a_threads_messages_from_the_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 13).unwrap();
        conn.execute_batch(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Ann', 0);
             INSERT INTO tickets(id, subject, status, priority, channel, customer_id, created_at, updated_at)
                 VALUES (1, 'Hi', 'new', 'normal', 'email', 1, 0, 0);
             INSERT INTO messages(ticket_id, direction, body, sent_at)
                 VALUES (1, 'inbound', 'a', 1), (1, 'note', 'b', 2), (1, 'outbound', 'c', 3);",
        )
        .unwrap();
        migrate_to(&mut conn, 14).unwrap();
        assert_eq!(version(&conn).unwrap(), 14);
        let count =
            "SELECT count(*) FROM messages m WHERE m.ticket_id = 1 AND m.direction != 'note'";
        let n: i64 = conn.query_row(count, [], |r| r.get(0)).unwrap();
        assert_eq!(n, 2, "the messages survive the new index");
        let plan: String = conn
            .query_row(&format!("EXPLAIN QUERY PLAN {count}"), [], |r| r.get(3))
            .unwrap();
        assert!(plan.contains("COVERING INDEX messages_ticket"), "{plan}");
    }

    #[test]
    fn upgrade_to_thirteen_adds_an_empty_presence_table() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 12).unwrap();
        let before: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'presence'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(before, 0);
        migrate_to(&mut conn, 13).unwrap();
        assert_eq!(version(&conn).unwrap(), 13);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM presence", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 0);
    }

    #[test]
    fn refuses_a_newer_file() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", 99).unwrap();
        let err = migrate(&mut conn).unwrap_err();
        assert!(matches!(err, StoreError::NewerSchema { found: 99, .. }));
    }

    /// A queue filled at version 14 (every message indexed by the code that writes
    /// index rows today) upgraded to 15, whose full-text index is rebuilt without
    /// the `prefix` option: every search answers exactly as before — words,
    /// phrases, a subject, a customer's name and address, Cyrillic with ё folded,
    /// prefixes of one, two, three and more characters — and the upgrade said what it
    /// was doing before it started.
    #[test]
    fn upgrade_to_fifteen_rebuilds_the_search_index_and_keeps_every_answer() {
        use crate::model::{Channel, Direction, NewCustomer, NewMessage, TicketId};
        use crate::store::api::SearchStore;
        use crate::store::query::SearchQuery;
        use crate::store::types::IngestMessage;
        use chrono::{Duration, TimeZone, Utc};

        let mut conn = Connection::open_in_memory().unwrap();
        migrate_to(&mut conn, 14).unwrap();
        let words = [
            "the",
            "refund",
            "reply",
            "parcel",
            "mailing",
            "list",
            "посилка",
            "повернення",
            "счёт",
            "привет",
            "über",
            "thanks",
        ];
        let people = [
            ("Olena Koval", "olena@example.com"),
            ("Bob Smith", "bob@shop.test"),
            ("Дмитро", "dmytro@example.org"),
        ];
        let start = Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap();
        let items: Vec<IngestMessage> = (0..300i64)
            .map(|n| {
                let body: Vec<&str> = (0..5)
                    .map(|k| words[((n * (k + 3) + k * k) % words.len() as i64) as usize])
                    .collect();
                let (name, email) = people[(n % 3) as usize];
                IngestMessage {
                    message: NewMessage {
                        direction: if n % 5 == 4 {
                            Direction::Outbound
                        } else {
                            Direction::Inbound
                        },
                        author: name.into(),
                        body: if n % 4 == 0 {
                            format!("{} mailing list", body.join(" "))
                        } else {
                            body.join(" ")
                        },
                        // Out of date order, so threads and the ledger are not trivial.
                        sent_at: Some(start + Duration::minutes((n * 7919) % 3000)),
                        message_id: Some(format!("<m{n}@example.com>")),
                        ..Default::default()
                    },
                    subject: format!("Case {} {}", n % 40, words[(n % 7) as usize]),
                    customer: NewCustomer {
                        name: name.into(),
                        email: Some(email.into()),
                        ..Default::default()
                    },
                    channel: Channel::Email,
                    raw: format!("raw {n}").into_bytes(),
                    sha256: format!("sha-{n}"),
                    profile: None,
                    seen: false,
                    ticket: None,
                    thread_window: Duration::days(30),
                }
            })
            .collect();
        for batch in items.chunks(64) {
            let tx = conn.transaction().unwrap();
            let out = super::super::ingest::ingest_items(&tx, batch, "test").unwrap();
            assert!(out.iter().all(|o| o.is_ok()));
            tx.commit().unwrap();
        }

        let queries = [
            "the",
            "refund",
            "\"mailing list\"",
            "subject:parcel",
            "olena",
            "shop",
            "example",
            "счет",
            "uber",
            "посилка -refund",
            "r*",
            "re*",
            "ref*",
            "refu*",
            "по*",
            "пов*",
            "th* OR list",
        ];
        type Answer = (usize, Vec<(TicketId, Option<i64>)>);
        let answers = |conn: Connection| -> (Connection, Vec<Answer>) {
            let store = super::super::SqliteStore {
                conn,
                path: None,
                created: false,
                actor: "test".into(),
                draft_holder: None,
            };
            let found = queries
                .iter()
                .map(|q| {
                    let r = store
                        .search_counted(&SearchQuery::parse(q).unwrap(), 1000)
                        .unwrap();
                    let hits = r
                        .hits
                        .iter()
                        .map(|h| (h.summary.ticket.id, h.message_id))
                        .collect();
                    (r.total, hits)
                })
                .collect();
            (store.conn, found)
        };
        let (mut conn, before) = answers(conn);
        for (q, (total, _)) in queries.iter().zip(&before) {
            assert!(*total > 0, "{q} matches something before the upgrade");
        }
        migrate(&mut conn).unwrap();
        assert_eq!(version(&conn).unwrap(), 15);
        let sql: String = conn
            .query_row(
                "SELECT sql FROM sqlite_master WHERE name = 'search_index'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert!(!sql.contains("prefix"), "{sql}");
        let (_, after) = answers(conn);
        for ((q, b), a) in queries.iter().zip(&before).zip(&after) {
            assert_eq!(b, a, "{q}: the same answer after the upgrade");
        }
        let notice = last_upgrade_notice().unwrap_or_default();
        assert!(
            notice.contains("schema 15") && notice.contains("of 300 messages"),
            "{notice}"
        );
    }
}
