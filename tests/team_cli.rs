//! Two agents on one queue from the command line (issue 19): a reply after a
//! teammate's answer is refused naming who and when (on a file and on PostgreSQL),
//! and two agents' CLI processes running at once on a throwaway PostgreSQL cluster
//! lose no write and deliver every reply exactly once, with two `outbox flush`
//! processes racing for the same outbox against a local SMTP server.

mod support;

#[path = "support/pg.rs"]
mod pg;
#[path = "support/smtp.rs"]
mod smtp;

use std::path::{Path, PathBuf};
use std::process::Output;

use support::cli;

/// A settings file for agent `name` sending through `smtp_port` (0: none).
fn agent(dir: &Path, name: &str, smtp_port: u16) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let smtp = if smtp_port == 0 {
        String::new()
    } else {
        format!("smtp_server = \"127.0.0.1:{smtp_port}\"\n")
    };
    std::fs::write(
        &path,
        format!(
            "[agent]\nname = \"{name}\"\nemail = \"help@shop.example\"\n\
             [mail]\naddresses = [\"help@shop.example\"]\nundo_seconds = 0\n{smtp}"
        ),
    )
    .unwrap();
    path
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn new_ticket(db: &Path, config: &Path, email: &str, subject: &str) -> String {
    let out = ok(cli(db, config)
        .args(["--no-demo", "new", "--from", email, "--subject", subject])
        .args(["--body", "Hello, my order has not arrived yet."])
        .output()
        .unwrap());
    out.split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .unwrap()
        .to_string()
}

/// Olena answers; Petro's reply on the same ticket is refused naming her, unless
/// he sends it anyway; her note refuses his next reply the same way.
fn collision_story(db: &Path, dir: &Path) {
    let olena = agent(dir, "Olena", 0);
    let petro = agent(dir, "Petro", 0);
    let id = new_ticket(db, &olena, "ann@example.com", "Where is my order");
    ok(cli(db, &olena)
        .args(["reply", &id, "--body", "It left today.", "--force"])
        .output()
        .unwrap());
    let refused = cli(db, &petro)
        .args(["reply", &id, "--body", "Checking now."])
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(1));
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("Olena replied just now"), "{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    let thread = ok(cli(db, &petro)
        .args(["show", &id, "--json"])
        .output()
        .unwrap());
    assert!(!thread.contains("Checking now."), "nothing was recorded");

    ok(cli(db, &olena)
        .args(["note", &id, "Customer called; sorted."])
        .output()
        .unwrap());
    let refused = cli(db, &petro)
        .args(["reply", &id, "--body", "Checking now."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&refused.stderr);
    assert!(err.contains("Olena added a note just now"), "{err}");
    assert!(err.contains("(and 1 more)"), "{err}");

    ok(cli(db, &petro)
        .args(["reply", &id, "--body", "Checking now.", "--force"])
        .output()
        .unwrap());
    // Petro's own reply never stands in his way.
    let again = cli(db, &petro)
        .args(["reply", &id, "--body", "Done."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(!err.contains("replied"), "{err}");
}

#[test]
fn a_reply_after_a_teammates_answer_is_refused_naming_who_on_a_file() {
    let dir = tempfile::tempdir().unwrap();
    collision_story(&dir.path().join("queue.db"), dir.path());
}

#[test]
fn a_reply_after_a_teammates_answer_is_refused_naming_who_on_postgresql() {
    let db = pg::fresh_db();
    let dir = tempfile::tempdir().unwrap();
    collision_story(Path::new(&db.url()), dir.path());
}

/// Both agents' commands run as separate processes at the same moment: notes,
/// priorities, tags, statuses and assignments on shared tickets, and replies on
/// their own tickets; then two couriers (`outbox flush`) race for the outbox.
#[test]
fn two_agents_at_once_on_postgresql_lose_no_write_and_deliver_each_reply_once() {
    let db = pg::fresh_db();
    let url = PathBuf::from(db.url());
    let dir = tempfile::tempdir().unwrap();
    let smtp = smtp::SmtpServer::start();
    let olena = agent(dir.path(), "Olena", smtp.port);
    let petro = agent(dir.path(), "Petro", smtp.port);
    let shared = new_ticket(&url, &olena, "ann@example.com", "Shared");
    let busy = new_ticket(&url, &olena, "bob@example.com", "Busy");
    let contested = new_ticket(&url, &olena, "cat@example.com", "Contested");
    let mut own: Vec<(String, &PathBuf)> = Vec::new();
    for i in 0..3 {
        own.push((
            new_ticket(&url, &olena, &format!("o{i}@example.com"), &format!("O{i}")),
            &olena,
        ));
        own.push((
            new_ticket(&url, &olena, &format!("p{i}@example.com"), &format!("P{i}")),
            &petro,
        ));
    }

    let mut jobs: Vec<(Vec<String>, &PathBuf)> = Vec::new();
    for (who, config) in [("Olena", &olena), ("Petro", &petro)] {
        for n in 0..4 {
            jobs.push((
                vec!["note".into(), shared.clone(), format!("{who} note {n}")],
                config,
            ));
        }
        jobs.push((
            vec![
                "assign".into(),
                contested.clone(),
                "--to".into(),
                "me".into(),
            ],
            config,
        ));
    }
    jobs.push((
        vec!["priority".into(), busy.clone(), "urgent".into()],
        &olena,
    ));
    jobs.push((vec!["tag".into(), busy.clone(), "+billing".into()], &petro));
    jobs.push((
        vec!["status".into(), busy.clone(), "pending".into()],
        &petro,
    ));
    for (id, config) in &own {
        jobs.push((
            vec![
                "reply".into(),
                id.clone(),
                "--body".into(),
                format!("Answer on {id}."),
                "--force".into(),
            ],
            *config,
        ));
    }
    let mut refused = 0;
    std::thread::scope(|s| {
        let running: Vec<_> = jobs
            .iter()
            .map(|(args, config)| {
                let url = &url;
                s.spawn(move || (args.clone(), cli(url, config).args(args).output().unwrap()))
            })
            .collect();
        for job in running {
            let (args, out) = job.join().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            if args[0] == "assign" && !out.status.success() {
                // Both took it at the same moment: the later one is told who has it
                // (exit 1), never silently overruled.
                assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
                assert!(err.contains("meanwhile"), "{args:?}: {err}");
                refused += 1;
                continue;
            }
            assert!(out.status.success(), "{args:?}: {err}");
        }
    });
    assert!(refused <= 1, "one of the two takes always lands");

    let store = firstline::store::Store::open_url(&db.url()).unwrap();
    let notes = store
        .messages(shared.parse().unwrap())
        .unwrap()
        .into_iter()
        .filter(|m| m.direction == firstline::model::Direction::Note)
        .count();
    assert_eq!(notes, 8, "every note is in the thread");
    let b = store.ticket(busy.parse().unwrap()).unwrap();
    assert_eq!(b.priority, firstline::model::Priority::Urgent);
    assert_eq!(b.tags, vec!["billing".to_string()]);
    assert_eq!(b.status, firstline::model::Status::Pending);
    let c = store.ticket(contested.parse().unwrap()).unwrap();
    assert!(
        matches!(c.assignee.as_deref(), Some("Olena" | "Petro")),
        "{:?}",
        c.assignee
    );

    // Two couriers at once: every reply leaves exactly once.
    std::thread::scope(|s| {
        let flushes: Vec<_> = [&olena, &petro]
            .into_iter()
            .map(|config| {
                let url = &url;
                s.spawn(move || cli(url, config).args(["outbox", "flush"]).output().unwrap())
            })
            .collect();
        for f in flushes {
            ok(f.join().unwrap());
        }
    });
    let accepted = smtp.accepted();
    for (id, _) in &own {
        let body = format!("Answer on {id}.");
        let copies = accepted.iter().filter(|m| m.contains(&body)).count();
        assert_eq!(copies, 1, "reply on #{id} delivered {copies} times");
    }
    assert_eq!(accepted.len(), own.len(), "nothing else was sent");
    let waiting = store.outbox_entries(false).unwrap();
    assert!(waiting.is_empty(), "{waiting:?}");
}
