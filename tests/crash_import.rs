//! Fault injection on the two writers a person relies on most: `firstline import`
//! and the TUI composer. Each is SIGKILLed at random points — the real binary, no
//! cooperative stop — and the queue must stay whole: integrity check ok, every
//! batch the importer committed (its recorded resume position) fully present and
//! nothing past it, a re-run converging to exactly the uninterrupted result, and the
//! last autosaved draft present after every kill.
//!
//! Kill points follow the writers' own progress (batches committed, a draft
//! autosaved), never a guess at how long they take, so the test means the same on a
//! fast machine and a loaded one. Bounded for CI (50 import kills, 4 TUI kills);
//! FIRSTLINE_CRASH_ITERATIONS and FIRSTLINE_TUI_KILLS raise the counts for a long run.

#![cfg(unix)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use chrono::{TimeZone, Utc};
use firstline::model::{Message, Ticket};
use firstline::store::Store;
use firstline::synth::Rng;
use support::{run_ok, temp_paths, Console};

fn env_count(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// One generated message: its Message-ID and the byte offset just past it, which is
/// what the importer records as its resume position once the batch commits.
struct Generated {
    message_id: String,
    end: u64,
}

/// An mbox of `n` messages in threads of three (replies carry In-Reply-To), some in
/// Ukrainian and Russian, one `>From ` escaped line each, so a resume in the wrong
/// place would show up as a wrong thread or a wrong body.
fn write_mbox(path: &Path, n: usize) -> Vec<Generated> {
    let mut data = Vec::new();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let root = i - i % 3;
        let reply = if i % 3 == 0 {
            String::new()
        } else {
            format!("In-Reply-To: <m{root}@crash.example>\n")
        };
        let (subject, body) = match i % 3 {
            0 => (
                format!("Order {root} charged twice"),
                "I was charged twice for my order.",
            ),
            1 => (
                format!("Re: Order {root} charged twice"),
                "Мене двічі списали гроші, допоможіть.",
            ),
            _ => (
                format!("Re: Order {root} charged twice"),
                "Деньги списали дважды, что делать?",
            ),
        };
        let customer = root % 53;
        let minute = i % 60;
        let hour = 8 + (i / 60) % 10;
        let day = 1 + (i / 600) % 27;
        let msg = support::mbox_message(&support::Mail {
            from: &format!("c{customer}@crash.example"),
            name: &format!("Customer {customer}"),
            subject: &subject,
            date: Utc
                .with_ymd_and_hms(2026, 11, day as u32, hour as u32, minute as u32, 0)
                .unwrap(),
            message_id: &format!("m{i}@crash.example"),
            headers: &format!("To: support@firstline.example\n{reply}"),
            body: &format!("{body}\nFrom the dashboard it says paid (message {i}).\n"),
        });
        data.extend_from_slice(msg.as_bytes());
        out.push(Generated {
            message_id: format!("m{i}@crash.example"),
            end: data.len() as u64,
        });
    }
    std::fs::write(path, &data).unwrap();
    out
}

fn import_cmd(db: &Path, mbox: &Path, config: &Path) -> Command {
    let mut cmd = support::cli(db, config);
    cmd.args(["--no-demo", "import", "--batch-size", "20", "--json"])
        .arg(mbox)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Everything an import decides, minus the wall-clock times of the run itself.
fn snapshot(db: &Path) -> (Vec<Ticket>, Vec<Message>, usize) {
    let store = Store::open(db).unwrap();
    let dump = store.export().unwrap();
    let epoch = Utc.timestamp_opt(0, 0).unwrap();
    let tickets = dump
        .tickets
        .into_iter()
        .map(|mut t| {
            t.created_at = epoch;
            t.updated_at = epoch;
            t
        })
        .collect();
    (tickets, dump.messages, dump.customers.len())
}

/// The resume offset the importer committed for `mbox`, if any batch committed.
fn committed_offset(store: &Store, mbox: &Path) -> Option<u64> {
    let key = format!("mbox:{}", mbox.canonicalize().unwrap().display());
    let position = store.import_progress(&key).unwrap()?;
    let json: serde_json::Value = serde_json::from_str(&position).unwrap();
    json.get("offset").and_then(|o| o.as_u64())
}

fn message_count(store: &Store) -> usize {
    store
        .tickets()
        .unwrap()
        .iter()
        .map(|t| store.messages(t.id).unwrap().len())
        .sum()
}

/// Batches of this many messages: 1,000 messages make 50 commits to land between.
const BATCH: usize = 20;

#[test]
fn killed_imports_keep_committed_batches_and_converge_to_the_uninterrupted_result() {
    let kills = env_count("FIRSTLINE_CRASH_ITERATIONS", 50);
    let per_round = 5;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[agent]\nname = \"Olena Test\"\n").unwrap();
    let mbox = dir.path().join("inbox.mbox");
    let generated = write_mbox(&mbox, 1000);
    let end = generated.last().unwrap().end;
    // The offset each batch commits: kill points are chosen among these.
    let batch_ends: Vec<u64> = generated
        .chunks(BATCH)
        .map(|c| c.last().unwrap().end)
        .collect();

    let baseline_db = dir.path().join("baseline.db");
    let out = run_ok(&mut import_cmd(&baseline_db, &mbox, &config));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["added"], 1000, "{report}");
    let baseline = snapshot(&baseline_db);
    assert_eq!(baseline.1.len(), 1000);

    let mut rng = Rng::new(0x9_2026);
    // Each kill waits for a randomly chosen number of batches committed by this run
    // (read back from the database), then strikes: the kill points follow the
    // importer's own progress, so they land between commits on a fast machine and on
    // a loaded one alike. One kill in six strikes right after spawn instead, before
    // the importer has opened the database or committed anything.
    let (mut injected, mut between, mut at_spawn, mut rounds) = (0usize, 0usize, 0usize, 0usize);
    while injected < kills {
        rounds += 1;
        let db = dir.path().join(format!("round-{rounds}.db"));
        for _ in 0..per_round.min(kills - injected) {
            let before = if db.exists() {
                committed_offset(&Store::open(&db).unwrap(), &mbox).unwrap_or(0)
            } else {
                0
            };
            let done = batch_ends.iter().filter(|&&e| e <= before).count();
            // Batches this run may still commit before the last one; the kill is
            // due once it has committed 1..=that many of them.
            let left = batch_ends.len().saturating_sub(done + 1);
            let target = if left == 0 || rng.below(6) == 0 {
                None
            } else {
                Some(batch_ends[done + rng.below(left.min(batch_ends.len() / per_round))])
            };
            let mut child = import_cmd(&db, &mbox, &config).spawn().unwrap();
            if let Some(target) = target {
                let reached = support::wait_for_progress(
                    &db,
                    &mut child,
                    &format!("round {rounds}: a commit up to offset {target}"),
                    |store| committed_offset(store, &mbox).is_some_and(|o| o >= target),
                );
                if !reached {
                    let out = child.wait_with_output().unwrap();
                    panic!(
                        "round {rounds}: the importer ended before committing offset {target}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
            } else {
                at_spawn += 1;
            }
            // SAFETY: SIGKILL to our own child; no memory is involved.
            unsafe {
                libc::kill(child.id() as i32, libc::SIGKILL);
            }
            let _ = child.wait();
            injected += 1;
            if !db.exists() {
                continue;
            }
            let store = Store::open(&db)
                .unwrap_or_else(|e| panic!("round {rounds}: cannot reopen after a kill: {e}"));
            let health = store.as_sqlite().unwrap().health().unwrap();
            assert_eq!(health.integrity, "ok", "round {rounds}");
            let offset = committed_offset(&store, &mbox).unwrap_or(0);
            assert!(
                batch_ends.contains(&offset) || offset == 0,
                "round {rounds}: offset {offset} is not the end of a batch"
            );
            if before < offset && offset < end {
                between += 1;
            }
            let committed: Vec<&Generated> = generated.iter().filter(|g| g.end <= offset).collect();
            for g in &committed {
                assert!(
                    store.ticket_by_message_id(&g.message_id).unwrap().is_some(),
                    "round {rounds}: {} was committed (offset {offset}) but is missing",
                    g.message_id
                );
            }
            assert_eq!(
                message_count(&store),
                committed.len(),
                "round {rounds}: the store holds exactly the committed batches"
            );
        }
        let out = run_ok(&mut import_cmd(&db, &mbox, &config));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            report["duplicate_message_ids"], 0,
            "round {rounds}: the resume started after the last commit, not before: {report}"
        );
        let again = snapshot(&db);
        assert_eq!(again.2, baseline.2, "round {rounds}: customers");
        assert_eq!(again.0, baseline.0, "round {rounds}: tickets");
        assert_eq!(again.1, baseline.1, "round {rounds}: messages");
        let _ = std::fs::remove_file(&db);
    }
    eprintln!(
        "import: {injected} SIGKILLs in {rounds} rounds, {between} between two commits, \
         {at_spawn} right after spawn; 0 messages lost"
    );
    // What the test is for: kills after this run's first commit and before its
    // last, so resuming from a half-done import is exercised, not just a fresh start.
    assert!(
        between * 2 >= injected,
        "only {between} of {injected} kills landed between two commits"
    );
}

#[test]
fn killed_composer_keeps_the_last_autosaved_draft_every_time() {
    let kills = env_count("FIRSTLINE_TUI_KILLS", 4);
    let (_dir, db, config) = temp_paths();
    let mut saved = String::new();
    for round in 0..kills {
        let mut console = Console::start(&db, &config);
        // The first ticket in the queue is selected; `r` opens its reply, with the
        // draft that survived the last kill already in the composer.
        console.wait_for("Needs reply");
        console.send("r");
        console.wait_for("Reply to");
        if round > 0 {
            console.wait_for(&format!("{} survives;", round - 1));
        }
        let piece = format!(" part {round} survives;");
        console.type_text(&piece);
        console.wait_for(piece.trim());
        // Once the autosave has committed this much, it must survive the kill.
        let autosaved = format!("{saved}{piece}");
        support::wait_for_draft(&db, &autosaved);
        // Then keep typing and die mid-word, before the next autosave.
        console.type_text(" unsaved tai");
        console.kill_hard();

        let store = Store::open(&db).unwrap();
        assert_eq!(store.as_sqlite().unwrap().health().unwrap().integrity, "ok");
        let drafts = store.drafts().unwrap();
        let draft = drafts
            .iter()
            .find(|d| d.body.starts_with(&autosaved))
            .unwrap_or_else(|| panic!("round {round}: autosaved {autosaved:?} lost: {drafts:?}"));
        saved = draft.body.clone();
        drop(store);
    }
    eprintln!("composer: {kills} SIGKILLs mid-typing; no autosaved draft lost");
}
