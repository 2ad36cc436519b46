//! Several processes on one queue file, as on a real desk: two consoles, an importer
//! and CLI commands from scripts. Nobody may see "database is locked" (the busy
//! timeout and retry absorb contention), and no update is lost: a change made from a
//! stale copy of a ticket is refused with a conflict the user is told about, never
//! written over the newer one.
//!
//! The soak runs 10 s in CI; FIRSTLINE_SOAK_SECS=60 is the long version.

#![cfg(unix)]

mod support;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::TimeZone;

use firstline::model::{Direction, Priority, Status, TicketChange};
use firstline::store::{Store, StoreError};
use support::{cli, run_ok, temp_paths, Console};

/// What a user must never be shown because two processes shared the file.
fn shows_lock_error(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower.contains("locked") || lower.contains("database error") || lower.contains("busy")
}

fn seeded(db: &Path, config: &Path) {
    run_ok(cli(db, config).arg("demo"));
}

fn ticket_ids(db: &Path) -> Vec<i64> {
    Store::open(db)
        .unwrap()
        .tickets()
        .unwrap()
        .iter()
        .map(|t| t.id)
        .collect()
}

#[test]
fn a_change_from_a_stale_copy_in_another_process_is_refused() {
    let (_dir, db, config) = temp_paths();
    seeded(&db, &config);
    let id = ticket_ids(&db)[0];
    let store = Store::open(&db).unwrap();
    let loaded = store.ticket(id).unwrap();

    run_ok(cli(&db, &config).args(["priority", &id.to_string(), "low"]));

    let mut store = store;
    let err = store
        .change_ticket(
            id,
            &TicketChange::Priority(Priority::Urgent),
            Some(loaded.version),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
    assert!(err.to_string().contains("changed elsewhere"), "{err}");
    assert_eq!(
        store.ticket(id).unwrap().priority,
        Priority::Low,
        "the other process's change stands"
    );
}

#[test]
fn console_with_a_stale_ticket_says_so_and_overwrites_nothing() {
    let (_dir, db, config) = temp_paths();
    seeded(&db, &config);
    let before: Vec<(i64, Status)> = Store::open(&db)
        .unwrap()
        .tickets()
        .unwrap()
        .iter()
        .map(|t| (t.id, t.status))
        .collect();
    let newly_solved = |db: &Path| -> Option<firstline::model::Ticket> {
        Store::open(db)
            .unwrap()
            .tickets()
            .unwrap()
            .into_iter()
            .find(|t| t.status == Status::Solved && !before.contains(&(t.id, t.status)))
    };
    let mut console = Console::start(&db, &config);
    console.wait_for("Needs reply");
    console.send("2"); // All: solving keeps the row in view
    console.wait_for("All ·");
    // Every ticket changes behind the console's back.
    for id in ticket_ids(&db) {
        run_ok(cli(&db, &config).args(["tag", &id.to_string(), "+touched-elsewhere"]));
    }
    console.send("d"); // solve the selected ticket, from the stale copy
    let screen = console.wait_for("changed elsewhere");
    assert!(!shows_lock_error(&screen), "{screen}");
    let store = Store::open(&db).unwrap();
    for t in store.tickets().unwrap() {
        assert!(
            t.tags.iter().any(|g| g == "touched-elsewhere"),
            "ticket {} lost the other process's tag",
            t.id
        );
        assert!(
            before.contains(&(t.id, t.status)),
            "ticket {} changed status from a stale copy",
            t.id
        );
    }
    drop(store);
    // Reloaded: the same key now works on fresh data, keeping the tag.
    console.send("d");
    console.wait_until("the solve to land", |_| newly_solved(&db).is_some());
    let solved = newly_solved(&db).unwrap();
    assert!(solved.tags.iter().any(|g| g == "touched-elsewhere"));
    console.send("q");
    assert!(console.wait_exit().success());
}

fn write_mbox(path: &Path, run: usize, n: usize) -> Vec<String> {
    let mut data = String::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let id = format!("soak{run}-{i}@concurrency.example");
        data.push_str(&support::mbox_message(&support::Mail {
            from: &id,
            name: &format!("Soak Customer {i}"),
            subject: &format!("Soak {run} question {i}"),
            date: chrono::Utc
                .with_ymd_and_hms(2026, 11, 26, 8, (i % 60) as u32, 0)
                .unwrap(),
            message_id: &id,
            headers: "",
            body: &format!("Where is my parcel {run}-{i}?\n"),
        }));
        ids.push(id);
    }
    std::fs::write(path, data).unwrap();
    ids
}

#[test]
fn two_consoles_an_importer_and_a_cli_writer_share_one_queue() {
    let secs: u64 = std::env::var("FIRSTLINE_SOAK_SECS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let (dir, db, config) = temp_paths();
    seeded(&db, &config);
    let demo = ticket_ids(&db);
    let stop = Arc::new(AtomicBool::new(false));

    let importer = {
        let (db, config, stop) = (db.clone(), config.clone(), Arc::clone(&stop));
        let dir: PathBuf = dir.path().to_path_buf();
        std::thread::spawn(move || {
            let mut committed = Vec::new();
            let mut run = 0;
            while !stop.load(Ordering::Relaxed) {
                let mbox = dir.join(format!("soak-{run}.mbox"));
                let ids = write_mbox(&mbox, run, 150);
                let out = cli(&db, &config)
                    .args(["import", "--batch-size", "10", "--json"])
                    .arg(&mbox)
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).to_string();
                assert!(out.status.success(), "import {run}: {stderr}");
                assert!(!shows_lock_error(&stderr), "import {run}: {stderr}");
                let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
                assert_eq!(report["added"], 150, "import {run}: {report}");
                committed.extend(ids);
                run += 1;
            }
            committed
        })
    };

    let writer = {
        let (db, config, stop) = (db.clone(), config.clone(), Arc::clone(&stop));
        let demo = demo.clone();
        std::thread::spawn(move || {
            let (mut notes, mut conflicts) = (Vec::new(), 0usize);
            let mut n = 0usize;
            let priorities = ["low", "normal", "high", "urgent"];
            while !stop.load(Ordering::Relaxed) {
                let id = demo[n % demo.len()].to_string();
                let text = format!("cli note {n}");
                let out = cli(&db, &config)
                    .args(["note", &id, &text])
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).to_string();
                assert!(!shows_lock_error(&stderr), "note {n}: {stderr}");
                assert!(out.status.success(), "note {n}: {stderr}");
                notes.push((id.clone(), text));
                let out = cli(&db, &config)
                    .args(["priority", &id, priorities[n % 4]])
                    .output()
                    .unwrap();
                let stderr = String::from_utf8_lossy(&out.stderr).to_string();
                assert!(!shows_lock_error(&stderr), "priority {n}: {stderr}");
                if !out.status.success() {
                    assert!(
                        stderr.contains("changed elsewhere"),
                        "priority {n}: {stderr}"
                    );
                    conflicts += 1;
                }
                n += 1;
            }
            (notes, conflicts)
        })
    };

    let mut consoles = [Console::start(&db, &config), Console::start(&db, &config)];
    for c in &consoles {
        // Every frame either console draws is checked, not a sample of them.
        c.catch_screens(shows_lock_error);
        c.wait_for("firstline");
    }
    for c in consoles.iter_mut() {
        c.send("2");
        c.wait_for("All ·");
    }
    let started = Instant::now();
    let (mut keys, mut tui_conflicts) = (0usize, 0usize);
    let mut cycle = 0usize;
    // Whole cycles only, so each ends with the console back in its list, which it
    // has shown: the soak's length is a load duration, never a pass/fail decision.
    while started.elapsed() < Duration::from_secs(secs) {
        let c = &mut consoles[cycle % 2];
        // Move, solve, undo, move back, open the priority menu and close it: every
        // one a write or a reload racing the others. The console's own screen paces
        // the keys: the menu must appear, and be gone again, before the next cycle.
        for key in ["j", "d", "u", "k"] {
            c.send(key);
        }
        c.send("p");
        c.wait_for(" Priority · ");
        c.send("\x1b");
        let screen = c.wait_until("the priority menu closed", |s| !s.contains(" Priority · "));
        keys += 6;
        if screen.contains("changed elsewhere") {
            tui_conflicts += 1;
        }
        cycle += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let committed = importer.join().expect("importer thread");
    let (notes, cli_conflicts) = writer.join().expect("writer thread");
    for (i, c) in consoles.iter_mut().enumerate() {
        let errors = c.caught();
        assert!(errors.is_empty(), "console {i} showed:\n{}", errors[0]);
        c.send("q");
        assert!(c.wait_exit().success(), "{}", c.screen());
    }

    let store = Store::open(&db).unwrap();
    assert_eq!(store.health().unwrap().integrity, "ok");
    for id in &committed {
        assert!(
            store.ticket_by_message_id(id).unwrap().is_some(),
            "imported {id} is missing"
        );
    }
    for (id, text) in &notes {
        let found = store
            .messages(id.parse().unwrap())
            .unwrap()
            .iter()
            .any(|m| m.direction == Direction::Note && &m.body == text);
        assert!(found, "note {text:?} on ticket {id} is missing");
    }
    eprintln!(
        "{secs} s: {} imported, {} CLI notes, {keys} console keys, conflicts reported: {tui_conflicts} console screens, {cli_conflicts} CLI; nothing lost",
        committed.len(),
        notes.len()
    );
}
