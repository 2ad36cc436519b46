//! Fault injection: writers are SIGKILLed at random points and the queue must stay
//! intact — integrity check ok, every transaction all-or-nothing. Bounded for CI;
//! FIRSTLINE_CRASH_ITERATIONS raises the count for a long run.

use firstline::store::{Store, TicketFilter};
use firstline::synth::Rng;
use std::process::{Command, Stdio};
use std::time::Duration;

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
    let mut killed_mid_write = 0;
    for i in 0..iterations() {
        let db = dir.path().join(format!("crash-{i}.db"));
        let mut child = Command::new(env!("CARGO_BIN_EXE_firstline"))
            .args([
                "dev",
                "gen",
                "--tickets",
                "3000",
                "--messages",
                "9000",
                "--out",
            ])
            .arg(&db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(20 + rng.below(400) as u64));
        let finished = child.try_wait().unwrap().is_some();
        let _ = child.kill();
        let _ = child.wait();
        if !finished {
            killed_mid_write += 1;
        }
        if !db.exists() {
            continue;
        }
        let store =
            Store::open(&db).unwrap_or_else(|e| panic!("iteration {i}: cannot reopen: {e}"));
        let health = store.health().unwrap();
        assert_eq!(health.integrity, "ok", "iteration {i}");
        let tickets = store.count_tickets(&TicketFilter::default()).unwrap();
        assert!(
            tickets % 500 == 0 || tickets == 3000,
            "iteration {i}: {tickets} tickets is not a whole number of committed batches"
        );
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
    eprintln!("{} runs, {killed_mid_write} killed mid-write", iterations());
    assert!(
        killed_mid_write > 0,
        "the faults actually hit running writers"
    );
}
