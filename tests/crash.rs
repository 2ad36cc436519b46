//! Fault injection: writers are SIGKILLed at random points and the queue must stay
//! intact — integrity check ok, every transaction all-or-nothing. The kill points
//! follow the writer's own progress (how many batches it has committed), never a
//! guess at how long it takes. Bounded for CI; FIRSTLINE_CRASH_ITERATIONS raises the
//! count for a long run.

#![cfg(unix)]

#[path = "support/mod.rs"]
mod support;

use firstline::store::{Store, TicketFilter};
use firstline::synth::Rng;
use std::process::{Command, Stdio};

/// `dev gen` commits every this many tickets.
const BATCH: i64 = 500;
/// Three commits: two to land between, few enough that 50 runs stay quick.
const TICKETS: i64 = 1500;

fn iterations() -> usize {
    std::env::var("FIRSTLINE_CRASH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

#[test]
fn killed_bulk_writer_leaves_whole_batches_only() {
    let mut rng = Rng::new(2026);
    let dir = tempfile::tempdir().unwrap();
    let (mut between, mut at_spawn) = (0, 0);
    for i in 0..iterations() {
        let db = dir.path().join(format!("crash-{i}.db"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_firstline"))
            .args([
                "dev",
                "gen",
                "--tickets",
                &TICKETS.to_string(),
                "--messages",
                // Three messages a ticket: a batch takes long enough to write that the
                // kill, sent the moment a commit is seen, lands before the next one.
                &(TICKETS * 3).to_string(),
                "--out",
            ])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // One kill in six right after spawn (before the file exists or any commit);
        // the rest once one or two of the three batches have committed.
        match rng.below(6) {
            0 => at_spawn += 1,
            k => {
                let target = (1 + k as i64 % 2) * BATCH;
                let reached = support::wait_for_progress(
                    &db,
                    &mut child,
                    &format!("iteration {i}: {target} tickets committed"),
                    |store| store.count_tickets(&TicketFilter::default()).unwrap() >= target,
                );
                assert!(
                    reached,
                    "iteration {i}: dev gen ended before {target} tickets"
                );
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        if !db.exists() {
            continue;
        }
        let store =
            Store::open(&db).unwrap_or_else(|e| panic!("iteration {i}: cannot reopen: {e}"));
        let health = store.as_sqlite().unwrap().health().unwrap();
        assert_eq!(health.integrity, "ok", "iteration {i}");
        let tickets = store.count_tickets(&TicketFilter::default()).unwrap();
        assert!(
            tickets % BATCH == 0 || tickets == TICKETS,
            "iteration {i}: {tickets} tickets is not a whole number of committed batches"
        );
        if 0 < tickets && tickets < TICKETS {
            between += 1;
        }
        let hits = store
            .search(
                &firstline::store::SearchQuery::parse("order OR заказ OR замовлення").unwrap(),
                5,
            )
            .unwrap();
        assert!(
            tickets == 0 || !hits.is_empty(),
            "iteration {i}: index follows the data"
        );
        let _ = std::fs::remove_file(&db);
    }
    eprintln!(
        "{} runs: {between} killed between two commits, {at_spawn} right after spawn",
        iterations()
    );
    // What the test is for: a kill after one commit and before the next, where a
    // half-written batch would show.
    assert!(
        between * 2 >= iterations(),
        "only {between} of {} kills landed between two commits",
        iterations()
    );
}
