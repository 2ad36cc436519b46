//! Upgrading a queue written by an older firstline, through the real binary: what the
//! user sees while a slow schema step runs.

mod support;

use firstline::store::SqliteStore;

/// A version-14 file with two messages in its full-text index (as firstline 14 wrote
/// them): one ticket about a parcel, one about an invoice.
fn version_fourteen_file(db: &std::path::Path) {
    SqliteStore::create_at_version(db, 14).unwrap();
    for sql in [
        "INSERT INTO customers(id, name, created_at) VALUES (1, 'Олена', 0)",
        "INSERT INTO customer_addresses(kind, value, customer_id) VALUES ('email', 'olena@x.ua', 1)",
        "INSERT INTO tickets(id, subject, status, priority, channel, tags, customer_id,
             created_at, updated_at, awaiting_reply_since, thread_subject)
         VALUES (1, 'Посилка', 'open', 'normal', 'email', '', 1, 10, 10, 10, 'посилка'),
                (2, 'Рахунок', 'open', 'normal', 'email', '', 1, 20, 20, 20, 'рахунок')",
        "INSERT INTO messages(id, ticket_id, direction, author, body, sent_at)
         VALUES (1, 1, 'inbound', 'olena@x.ua', 'де моя посилка', 10),
                (2, 2, 'inbound', 'olena@x.ua', 'рахунок не прийшов', 20)",
        "INSERT INTO search_index(rowid, subject, body, customer)
         VALUES (1, 'Посилка', 'де моя посилка', 'Олена olena@x.ua'),
                (2, 'Рахунок', 'рахунок не прийшов', 'Олена olena@x.ua')",
    ] {
        SqliteStore::execute_for_tests(db, sql).unwrap();
    }
}

/// Schema 15 builds the search index again: the first command on an upgraded queue
/// says so on stderr before it starts (on a large queue it takes minutes), finds what
/// it found before, and later commands say nothing more.
#[test]
fn upgrading_to_fifteen_says_it_rebuilds_the_search_index_once_and_finds_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("v14.db");
    let config = dir.path().join("config.toml");
    version_fourteen_file(&db);

    let first = support::run_ok(support::cli(&db, &config).args(["search", "посил*"]));
    let err = String::from_utf8_lossy(&first.stderr);
    assert!(
        err.contains("upgrading the queue (schema 15): rebuilding the search index of 2 messages"),
        "stderr: {err}"
    );
    let out = String::from_utf8_lossy(&first.stdout);
    assert!(out.contains("Посилка") && !out.contains("Рахунок"), "{out}");
    assert_eq!(SqliteStore::schema_version_of(&db).unwrap(), 15);

    let again = support::run_ok(support::cli(&db, &config).args(["search", "olena"]));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!err.contains("upgrading"), "said once only: {err}");
    let out = String::from_utf8_lossy(&again.stdout);
    assert!(
        out.contains("Посилка") && out.contains("Рахунок"),
        "both found by the customer's address: {out}"
    );
}
