//! The store conformance suite (`tests/support/conformance.rs`) run against the
//! PostgreSQL backend: a fresh database per test on a throwaway cluster
//! (`tests/support/pg.rs`), each `open` another connection to it. Also the cluster
//! helper's own promises and what only a server backend has: opening by URL, a
//! server that goes away, passwords kept out of errors.

#[path = "support/conformance.rs"]
mod conformance;
#[path = "support/pg.rs"]
mod pg;

use conformance::Backend;
use firstline::store::{Store, StoreError};

/// A fresh database; each `open` is another connection to it.
struct PgQueue {
    db: pg::PgDb,
}

fn pg_queue() -> PgQueue {
    PgQueue { db: pg::fresh_db() }
}

impl Backend for PgQueue {
    fn open(&self) -> Store {
        Store::open_url(&self.db.url()).unwrap()
    }

    fn interrupt_sending(&self, outbox_id: i64) {
        let changed = self
            .db
            .connect()
            .execute(
                "UPDATE outbox SET updated_at = updated_at - 3600 WHERE id = $1 AND state = 'sending'",
                &[&outbox_id],
            )
            .unwrap();
        assert_eq!(changed, 1, "outbox row {outbox_id} is not being sent");
    }
}

conformance_suite!(pg_queue());

/// The process ids whose parent is `pid` (a postmaster's backends and workers).
fn children_of(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .flatten()
        .filter_map(|e| e.file_name().to_string_lossy().parse::<u32>().ok())
        .filter(|child| {
            // `pid (comm) state ppid ...`; comm may hold spaces, so read after ')'.
            std::fs::read_to_string(format!("/proc/{child}/stat"))
                .ok()
                .and_then(|stat| {
                    let rest = stat.rsplit_once(')')?.1.to_string();
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(pid)
        })
        .collect()
}

fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z'))
    })
}

#[test]
fn a_test_cluster_starts_answers_and_leaves_no_process_behind() {
    let mut server = pg::PgServer::start();
    let socket = server
        .socket_dir()
        .join(format!(".s.PGSQL.{}", server.port));
    assert!(socket.exists(), "a unix socket in the temp folder");
    let name = server.create_database();
    let mut client = server.connect(&name);
    let one: i32 = client.query_one("SELECT 1", &[]).unwrap().get(0);
    assert_eq!(one, 1);
    let postmaster = server.pid().unwrap();
    let mut processes = children_of(postmaster);
    assert!(!processes.is_empty(), "a backend serves our connection");
    processes.push(postmaster);
    server.stop();
    let left: Vec<u32> = processes.into_iter().filter(|p| alive(*p)).collect();
    assert!(left.is_empty(), "still running: {left:?}");
    drop(client);
}

#[test]
fn opening_creates_the_schema_once_and_reports_its_version() {
    let db = pg::fresh_db();
    let first = Store::open_url(&db.url()).unwrap();
    assert!(first.was_created());
    let second = Store::open_url(&db.url()).unwrap();
    assert!(!second.was_created(), "the second open finds the schema");
    let pg = second.as_postgres().expect("a PostgreSQL handle");
    assert_eq!(
        pg.schema_version().unwrap(),
        firstline::store::postgres::SCHEMA_VERSION
    );
    assert!(pg.server_version().unwrap().starts_with(char::is_numeric));
    assert_eq!(pg.server().database, db.name);
    assert!(second.as_sqlite().is_none());
}

#[test]
fn a_database_from_a_newer_firstline_is_refused() {
    let db = pg::fresh_db();
    drop(Store::open_url(&db.url()).unwrap());
    db.connect()
        .batch_execute("UPDATE schema_version SET version = 999")
        .unwrap();
    let err = Store::open_url(&db.url()).err().unwrap();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 999, .. }),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_is_one_line_naming_it_without_the_password() {
    // A port nothing listens on: bound and released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://support:S3cret-pw@127.0.0.1:{port}/queue");
    let err = Store::open_url(&url).err().unwrap();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{text}");
    assert!(
        text.starts_with(&format!("PostgreSQL at 127.0.0.1:{port} is unreachable: ")),
        "{text}"
    );
    assert!(!text.contains('\n'), "{text}");
    assert!(!text.contains("S3cret-pw"), "{text}");
    let err = Store::open_url("postgres://support:S3cret-pw@[bad/queue")
        .err()
        .unwrap();
    assert!(!err.to_string().contains("S3cret-pw"), "{err}");
}

#[test]
fn a_server_that_goes_away_mid_session_is_a_clear_error_not_a_panic() {
    let server = pg::PgServer::start();
    let name = server.create_database();
    let mut store = Store::open_url(&server.url(&name)).unwrap();
    let id = conformance::open_ticket(&mut store, "a@example.com", "Login", "cannot log in");
    let mut server = server;
    server.stop();
    let err = store.ticket(id).unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{text}");
    assert!(text.starts_with("PostgreSQL at 127.0.0.1:"), "{text}");
    let err = store
        .change_ticket(
            id,
            &firstline::model::TicketChange::Priority(firstline::model::Priority::High),
            None,
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Unreachable { .. }), "{err}");
}

/// Found by the new-user trial: after `pg_ctl restart` a console said "unreachable"
/// for good (its connections were closed and never replaced) and changes made in it
/// went nowhere. A handle now opens a new connection once the server is back.
#[test]
fn a_handle_reconnects_once_the_server_is_back() {
    let mut server = pg::PgServer::start();
    let name = server.create_database();
    let mut store = Store::open_url(&server.url(&name)).unwrap();
    let id = conformance::open_ticket(&mut store, "a@example.com", "Login", "cannot log in");
    server.stop();
    assert!(matches!(
        store.ticket(id).unwrap_err(),
        StoreError::Unreachable { .. }
    ));
    server.restart();
    assert_eq!(
        store.ticket(id).unwrap().subject,
        "Login",
        "a read after the restart"
    );
    store
        .change_ticket(
            id,
            &firstline::model::TicketChange::Priority(firstline::model::Priority::High),
            None,
        )
        .expect("a write after the restart");
    assert_eq!(
        store.ticket(id).unwrap().priority,
        firstline::model::Priority::High
    );
}

/// Issue 19: a server restarted between two calls on one handle closes its
/// connection, which only the next call finds out — that call failed with
/// "unreachable" although the server was back (the console's quit path asked twice
/// to get past it). Now the call that finds its connection closed runs once more on
/// a new one: a read, and a write whose `BEGIN` met the closed connection. Failed
/// before the fix (the first read after the restart was `Unreachable`).
#[test]
fn a_call_after_a_server_restart_answers_on_a_new_connection() {
    let mut server = pg::PgServer::start();
    let name = server.create_database();
    let mut store = Store::open_url(&server.url(&name)).unwrap();
    let id = conformance::open_ticket(&mut store, "a@example.com", "Login", "cannot log in");
    assert_eq!(store.ticket(id).unwrap().subject, "Login");
    server.restart();
    assert_eq!(
        store
            .ticket(id)
            .expect("the first read after a restart")
            .subject,
        "Login"
    );
    server.restart();
    store
        .change_ticket(
            id,
            &firstline::model::TicketChange::Priority(firstline::model::Priority::High),
            None,
        )
        .expect("the first write after a restart");
    server.restart();
    assert!(store.data_version().is_ok(), "data_version after a restart");
    // A statement prepared on the old connection is prepared again on the new one.
    let all = firstline::store::TicketFilter::default();
    assert_eq!(store.list_tickets(&all).unwrap().len(), 1);
    server.restart();
    assert_eq!(
        store
            .list_tickets(&all)
            .expect("a cached statement after a restart")
            .len(),
        1
    );
    assert_eq!(
        store.ticket(id).unwrap().priority,
        firstline::model::Priority::High
    );
}

/// Schema version 2 (assignment): a database at version 1 with an assigned ticket
/// and one whose assignee is blank opens at version 2, the assigned one kept, the
/// blank one unassigned, and the assignee indexed for the "Mine" view.
#[test]
fn upgrade_to_two_indexes_the_assignee_and_unassigns_blank_names() {
    let db = pg::fresh_db();
    let mut client = db.connect();
    firstline::store::postgres::migrate_to(&mut client, 1).unwrap();
    client
        .batch_execute(
            "INSERT INTO customers(id, name, created_at) VALUES (1, 'Ann', 0);
             INSERT INTO tickets(id, subject, status, priority, channel, customer_id, created_at, updated_at, assignee)
                 VALUES (1, 'Hi', 'new', 'normal', 'email', 1, 0, 0, 'Olena'),
                        (2, 'Yo', 'new', 'normal', 'email', 1, 0, 0, '  '),
                        (3, 'Hey', 'new', 'normal', 'email', 1, 0, 0, NULL);",
        )
        .unwrap();
    let store = Store::open_url(&db.url()).unwrap();
    assert_eq!(
        store.as_postgres().unwrap().schema_version().unwrap(),
        firstline::store::postgres::SCHEMA_VERSION
    );
    let assignees: Vec<Option<String>> = client
        .query("SELECT assignee FROM tickets ORDER BY id", &[])
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(assignees, vec![Some("Olena".into()), None, None]);
    let indexed: bool = client
        .query_one("SELECT to_regclass('tickets_assignee') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(indexed);
}

/// Schema version 3 (presence and live updates): a database at version 2 opens at
/// version 3 with the presence table, and a write bumping the change counter
/// notifies the live-update channel through the new trigger.
#[test]
fn upgrade_to_three_adds_presence_and_notifies_every_write() {
    let db = pg::fresh_db();
    let mut client = db.connect();
    firstline::store::postgres::migrate_to(&mut client, 2).unwrap();
    let before: bool = client
        .query_one("SELECT to_regclass('presence') IS NOT NULL", &[])
        .unwrap()
        .get(0);
    assert!(!before);
    let store = Store::open_url(&db.url()).unwrap();
    assert_eq!(
        store.as_postgres().unwrap().schema_version().unwrap(),
        firstline::store::postgres::SCHEMA_VERSION
    );
    let rows: i64 = client
        .query_one("SELECT count(*) FROM presence", &[])
        .unwrap()
        .get(0);
    assert_eq!(rows, 0);
    client.batch_execute("LISTEN firstline_changes").unwrap();
    client
        .batch_execute("UPDATE queue_clock SET changes = changes + 1")
        .unwrap();
    let heard = wait_for_notification(&mut client);
    assert_eq!(heard, "queue");
}

/// Schema version 4 (search newest first walks the messages by time): a database
/// at version 3 opens at version 4 with the messages indexed by time, ticket and id.
#[test]
fn upgrade_to_four_indexes_the_messages_by_time() {
    let db = pg::fresh_db();
    let mut client = db.connect();
    firstline::store::postgres::migrate_to(&mut client, 3).unwrap();
    let indexed = |client: &mut postgres::Client| -> bool {
        client
            .query_one("SELECT to_regclass('messages_newest') IS NOT NULL", &[])
            .unwrap()
            .get(0)
    };
    assert!(!indexed(&mut client));
    let store = Store::open_url(&db.url()).unwrap();
    assert_eq!(store.as_postgres().unwrap().schema_version().unwrap(), 4);
    assert!(indexed(&mut client));
}

/// Issue 19: a page of search results newest first is found by walking the
/// messages from the newest and stopping when the page is full; `search_counted`
/// ranks every match (it needs the total). Both must give the same tickets in the
/// same order with the same message to jump to — on a queue with equal times
/// across tickets and within one, ticket filters, a date window, and a word so
/// rare that the walk gives up and every match is ranked instead.
#[test]
fn a_page_walked_from_the_newest_message_is_the_page_of_every_match_ranked() {
    use firstline::store::SearchQuery;
    let db = pg::fresh_db();
    let mut store = Store::open_url(&db.url()).unwrap();
    let tickets: Vec<i64> = (0..40)
        .map(|i| conformance::open_ticket(&mut store, &format!("c{i}@example.com"), "Hi", "hello"))
        .collect();
    let mut client = db.connect();
    // 6,000 messages, three to a second (equal times), spread over the tickets;
    // `order` in every fifth, the phrase in every eleventh, `zebra` only in the
    // three oldest (the walk tests more vectors than its budget before it finds it).
    client
        .batch_execute(&format!(
            "INSERT INTO messages(ticket_id, direction, body, sent_at)
             SELECT (ARRAY[{ids}])[1 + (i * 7) % 40], 'inbound',
                 concat_ws(' ', 'note', CASE WHEN i % 5 = 0 THEN 'order' END,
                     CASE WHEN i % 11 = 0 THEN 'refund payment' END,
                     CASE WHEN i <= 3 THEN 'zebra' END),
                 1700000000 + i / 3
             FROM generate_series(1, 6000) i;
             INSERT INTO search_index(message_id, doc)
             SELECT id, setweight(to_tsvector('simple', body), 'B') FROM messages
             ON CONFLICT (message_id) DO NOTHING;
             UPDATE tickets SET status = 'open' WHERE id % 3 = 0;
             ANALYZE;",
            ids = tickets
                .iter()
                .map(|t| t.to_string())
                .collect::<Vec<_>>()
                .join(",")
        ))
        .unwrap();
    for text in [
        "order",
        "ord*",
        "\"refund payment\"",
        "order status:open",
        "order -refund",
        "order before:2023-11-15",
        "zebra",
        "nowhereatall",
    ] {
        let query = SearchQuery::parse(text).unwrap();
        for limit in [1, 7, 50] {
            let walked: Vec<(i64, Option<i64>)> = store
                .search(&query, limit)
                .unwrap()
                .iter()
                .map(|h| (h.summary.ticket.id, h.message_id))
                .collect();
            let ranked: Vec<(i64, Option<i64>)> = store
                .search_counted(&query, limit)
                .unwrap()
                .hits
                .iter()
                .map(|h| (h.summary.ticket.id, h.message_id))
                .collect();
            assert_eq!(walked, ranked, "{text:?}, limit {limit}");
            if !text.contains("nowhere") {
                assert!(!walked.is_empty(), "{text:?} finds something");
            }
        }
    }
}

/// From the new-user trial: a console killed with `kill -9` stayed "viewing" in
/// the others' headers for ~38 s (three missed heartbeats and a read). Its server
/// sessions end with it; a row whose session is gone no longer counts, while a live
/// console's row stays. Failed before the fix (the dead console's row was read as
/// fresh).
#[test]
fn a_console_whose_session_ended_is_not_present_any_more() {
    use firstline::store::presence::STALE_AFTER;
    use firstline::store::{Activity, Presence};
    use std::time::{Duration, Instant};
    let db = pg::fresh_db();
    let mut side = db.connect();
    let mut dying = Store::open_url(&db.url()).unwrap();
    let id = conformance::open_ticket(&mut dying, "p@example.com", "Refund", "where is it");
    let at = |console: &str, agent: &str| Presence {
        console: console.into(),
        agent: agent.into(),
        ticket: id,
        activity: Activity::Replying,
        heartbeat: chrono::Utc::now(),
    };
    dying.announce_presence(&at("c-olena", "Olena")).unwrap();
    let dying_sessions: Vec<i32> = side
        .query(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()
               AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    let mut alive = Store::open_url(&db.url()).unwrap();
    alive.announce_presence(&at("c-petro", "Petro")).unwrap();
    let agents = |store: &Store| -> Vec<String> {
        store
            .presence(chrono::Utc::now() - STALE_AFTER)
            .unwrap()
            .into_iter()
            .map(|p| p.agent)
            .collect()
    };
    assert_eq!(agents(&alive), vec!["Olena", "Petro"]);
    // The client vanishes as a killed process does: its sessions end.
    for pid in &dying_sessions {
        side.execute("SELECT pg_terminate_backend($1)", &[pid])
            .unwrap();
    }
    let started = Instant::now();
    while side
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE pid = ANY($1)",
            &[&dying_sessions],
        )
        .unwrap()
        .get::<_, i64>(0)
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "sessions did not end"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        agents(&alive),
        vec!["Petro"],
        "the dead console is gone at once"
    );
    std::mem::forget(dying);
}

/// Reads one notification within the hang guard.
fn wait_for_notification(client: &mut postgres::Client) -> String {
    use postgres::fallible_iterator::FallibleIterator;
    let mut notes = client.notifications();
    let mut waiting = notes.timeout_iter(std::time::Duration::from_secs(30));
    waiting
        .next()
        .unwrap()
        .expect("no notification within 30 s")
        .payload()
        .to_string()
}

/// Live updates: a listener hears another handle's ticket write as a queue change
/// and a console's presence as a presence change; presence never moves the queue's
/// change counter (other consoles must not reload their lists for a heartbeat).
#[test]
fn a_listener_hears_writes_and_presence_and_presence_leaves_the_counter_alone() {
    use firstline::store::live::{Change, Listener};
    use firstline::store::{Activity, Location, Presence};
    use std::time::{Duration, Instant};
    let db = pg::fresh_db();
    let mut writer = Store::open_url(&db.url()).unwrap();
    let watcher = Store::open_url(&db.url()).unwrap();
    let mut listener = Listener::open(&Location::Server(db.url()))
        .expect("a server queue pushes changes")
        .unwrap();
    let hear = |listener: &mut Listener, want: Change| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let heard = listener.wait(Duration::from_millis(200)).unwrap();
            if heard.contains(&want) {
                return;
            }
            assert!(Instant::now() < deadline, "no {want:?} within 30 s");
        }
    };
    let id = conformance::open_ticket(&mut writer, "l@example.com", "Live", "hello");
    hear(&mut listener, Change::Queue);
    let version = watcher.data_version().unwrap();
    writer
        .announce_presence(&Presence {
            console: "c1".into(),
            agent: "Olena".into(),
            ticket: id,
            activity: Activity::Replying,
            heartbeat: chrono::Utc::now(),
        })
        .unwrap();
    hear(&mut listener, Change::Presence);
    assert_eq!(
        watcher.data_version().unwrap(),
        version,
        "a heartbeat is not a change to the queue"
    );
    writer.withdraw_presence("c1").unwrap();
    hear(&mut listener, Change::Presence);
    assert!(
        Listener::open(&Location::File("/tmp/q.db".into())).is_none(),
        "a file pushes nothing"
    );
}
