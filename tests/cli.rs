//! The CLI as a script would use it: every command on a temp database, JSON shapes,
//! exit codes, and the hostile inputs (invalid UTF-8, huge bodies) handled cleanly.

mod support;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;
use std::path::{Path, PathBuf};

struct Queue {
    _dir: tempfile::TempDir,
    db: PathBuf,
}

impl Queue {
    /// A fresh database with the welcome queue (`firstline demo`: a named queue
    /// never gets it by itself).
    fn demo() -> Queue {
        let q = Queue::fresh();
        q.cmd().arg("demo").assert().success();
        q
    }

    /// A database path where nothing exists yet, and a config that names only the
    /// address replies go out from (firstline refuses to invent one).
    fn fresh() -> Queue {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("q.db");
        std::fs::write(
            db.with_extension("toml"),
            "[agent]\nemail = \"help@shop.example\"\n",
        )
        .unwrap();
        Queue { _dir: dir, db }
    }

    fn cmd(&self) -> Command {
        firstline(&self.db, &self.db.with_extension("toml"))
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }

    fn new_ticket(&self, from: &str, subject: &str, body: &str) -> i64 {
        let out = self
            .cmd()
            .args(["new", "--from", from, "--subject", subject, "--body", body])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

/// `support::cli` as an `assert_cmd` command (for `.assert()` and `.write_stdin()`).
fn firstline(db: &Path, config: &Path) -> Command {
    Command::from_std(support::cli(db, config))
}

fn db_path(q: &Queue) -> &Path {
    &q.db
}

#[test]
fn first_run_lists_the_welcome_queue_as_json() {
    let q = Queue::demo();
    let rows = q.json(&["list", "--json"]);
    let rows = rows.as_array().unwrap();
    assert!(rows.len() >= 6, "welcome queue has {} tickets", rows.len());
    let first = &rows[0];
    for key in [
        "id",
        "subject",
        "status",
        "priority",
        "channel",
        "tags",
        "customer_name",
        "version",
        "awaiting_reply_since",
    ] {
        assert!(
            first.get(key).is_some(),
            "list --json rows carry {key}: {first}"
        );
    }
    let subjects: Vec<&str> = rows
        .iter()
        .map(|r| r["subject"].as_str().unwrap())
        .collect();
    assert!(
        subjects.iter().any(|s| s.contains("увійти")),
        "{subjects:?}"
    );
}

#[test]
fn no_demo_starts_empty_and_demo_never_returns() {
    let q = Queue::fresh();
    q.new_ticket("ann@example.com", "Only this one", "x");
    let rows = q.json(&["list", "--json"]);
    assert_eq!(
        rows.as_array().unwrap().len(),
        1,
        "a named queue starts empty"
    );
    let rows = q.json(&["list", "--json"]);
    assert_eq!(
        rows.as_array().unwrap().len(),
        1,
        "an existing database never gets the demo"
    );
}

#[cfg(unix)]
#[test]
fn database_file_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    let mode = std::fs::metadata(db_path(&q)).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn new_show_reply_note_and_changes_round_trip() {
    let q = Queue::demo();
    let id = q.new_ticket(
        "Олена Коваль <olena@example.com>",
        "Оплата не пройшла",
        "Картка відхилена.",
    );
    q.cmd()
        .args([
            "reply",
            &id.to_string(),
            "--body",
            "Перевіряю, напишу за годину.",
        ])
        .assert()
        .success();
    q.cmd()
        .args(["note", &id.to_string(), "bank says fine"])
        .assert()
        .success();
    q.cmd()
        .args(["status", &id.to_string(), "pending"])
        .assert()
        .success();
    q.cmd()
        .args(["tag", &id.to_string(), "+billing", "+Card", "-nothing"])
        .assert()
        .success();
    q.cmd()
        .args(["priority", &id.to_string(), "urgent"])
        .assert()
        .success();
    q.cmd()
        .args([
            "escalate",
            &id.to_string(),
            "--to",
            "owner",
            "--reason",
            "refund over limit",
        ])
        .assert()
        .success();
    q.cmd()
        .args(["snooze", &id.to_string(), "--until", "2d"])
        .assert()
        .success();

    let detail = q.json(&["show", &id.to_string(), "--json"]);
    let t = &detail["ticket"];
    assert_eq!(t["status"], "pending");
    assert_eq!(t["priority"], "urgent");
    assert_eq!(t["tags"], serde_json::json!(["billing", "card"]));
    assert_eq!(t["escalation"]["target"], "owner");
    assert!(t["snoozed_until"].is_string());
    // Queued, not delivered (no console, no flush): no answer yet.
    assert!(t["first_response_at"].is_null());
    assert_eq!(
        detail["customer"]["emails"],
        serde_json::json!(["olena@example.com"])
    );
    let dirs: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["direction"].as_str().unwrap())
        .collect();
    assert_eq!(dirs, ["inbound", "outbound", "note"]);
    let kinds: Vec<&str> = detail["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    for k in [
        "created",
        "inbound",
        "outbound",
        "note",
        "status",
        "tags",
        "priority",
        "escalated",
        "snooze",
    ] {
        assert!(kinds.contains(&k), "audit log has {k}: {kinds:?}");
    }
    q.cmd()
        .args(["show", &id.to_string()])
        .assert()
        .success()
        .stdout(
            predicate::str::contains("Оплата не пройшла").and(predicate::str::contains("NOTE by")),
        );
}

#[test]
fn unknown_id_is_a_user_error_with_one_line() {
    let q = Queue::demo();
    for args in [
        vec!["show", "9999"],
        vec!["status", "9999", "open"],
        vec!["reply", "9999", "--body", "x"],
    ] {
        let out = q.cmd().args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("ticket 9999 not found"), "{err}");
    }
}

#[test]
fn bad_argument_values_are_user_errors() {
    let q = Queue::demo();
    q.cmd().args(["status", "1", "later"]).assert().code(1); // a value clap refuses
    let out = q.cmd().args(["search", "status:later"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = q
        .cmd()
        .args(["snooze", "1", "--until", "someday"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn search_finds_latin_and_cyrillic_with_filters() {
    let q = Queue::demo();
    let hit = |query: &str| -> Vec<String> {
        q.json(&["search", query, "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["subject"].as_str().unwrap().to_string())
            .collect()
    };
    assert!(hit("refund").iter().any(|s| s.contains("Charged twice")));
    assert!(
        hit("REFUND").iter().any(|s| s.contains("Charged twice")),
        "case-insensitive"
    );
    assert!(hit("пароль").iter().any(|s| s.contains("увійти")));
    assert!(hit("парол*").iter().any(|s| s.contains("увійти")), "prefix");
    assert!(
        hit("счет").iter().any(|s| s.contains("Счёт")),
        "ё folds to е"
    );
    assert!(hit("\"second admin\" OR адміністратора")
        .iter()
        .any(|s| s.contains("адміністратора")));
    assert!(
        hit("refund status:solved").is_empty(),
        "status filter applies"
    );
    assert!(
        hit("from:olena_koval").iter().any(|s| s.contains("увійти")),
        "from: matches handles"
    );
    assert!(hit("tag:billing").len() >= 3);
}

#[test]
fn export_then_import_json_loses_nothing() {
    let q = Queue::demo();
    let id = q.new_ticket("bob@example.com", "Draft test", "hello");
    let dump = q.cmd().arg("export").output().unwrap();
    assert!(dump.status.success());
    let first: Value = serde_json::from_slice(&dump.stdout).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dump.json");
    std::fs::write(&file, &dump.stdout).unwrap();
    let copy = dir.path().join("copy.db");
    let none = dir.path().join("none.toml");
    firstline(&copy, &none)
        .arg("import-json")
        .arg(&file)
        .assert()
        .success();
    let again = firstline(&copy, &none).arg("export").output().unwrap();
    let mut second: Value = serde_json::from_slice(&again.stdout).unwrap();
    second["exported_at"] = first["exported_at"].clone();
    assert_eq!(first, second, "export → import-json → export is identical");
    assert!(first["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .any(|t| t["id"] == id));

    // Into a non-empty database it refuses instead of mixing two queues.
    q.cmd().arg("import-json").arg(&file).assert().code(1);
}

#[test]
fn backup_and_doctor() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("b.db");
    q.cmd()
        .arg("backup")
        .arg(&dest)
        .assert()
        .success()
        .stdout(predicate::str::contains("integrity ok"));
    let health = q.json(&["doctor", "--json"]);
    assert_eq!(health["integrity"], "ok");
    assert!(health["tickets"].as_i64().unwrap() >= 6);
    let out = firstline(&dest, &dir.path().join("none.toml"))
        .args(["doctor", "--json"])
        .output()
        .unwrap();
    let copy: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(copy["tickets"], health["tickets"]);
}

#[test]
fn corrupt_database_gets_a_clear_error_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bad.db");
    let junk = b"this is not a database, it is a shopping list\n".repeat(200);
    std::fs::write(&db, &junk).unwrap();
    let out = firstline(&db, &dir.path().join("none.toml"))
        .arg("list")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("not a readable firstline database") && err.contains("firstline restore"),
        "{err}"
    );
    assert_eq!(
        std::fs::read(&db).unwrap(),
        junk,
        "nothing was written into it"
    );
}

/// New-user trial: `firstline doctor --db bad.db` on a damaged file said "run
/// `firstline doctor --db bad.db` or restore a backup". The error now says what to
/// do and where the backups are, and `firstline restore` works on a damaged queue
/// (before, it failed opening it with the same error).
#[test]
fn a_damaged_queue_is_told_to_restore_and_restore_puts_a_backup_in_its_place() {
    let good = Queue::demo();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("copy.db");
    good.cmd()
        .args(["backup", backup.to_str().unwrap()])
        .assert()
        .success();
    let db = dir.path().join("bad.db");
    let junk = b"this is not a database, it is a shopping list\n".repeat(200);
    std::fs::write(&db, &junk).unwrap();
    let config = dir.path().join("none.toml");
    let out = firstline(&db, &config).arg("doctor").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        !err.contains("firstline doctor"),
        "doctor sends you to doctor: {err}"
    );
    let backups = dir.path().join("backups");
    assert!(
        err.contains("firstline restore") && err.contains(&backups.display().to_string()),
        "{err}"
    );
    firstline(&db, &config)
        .args(["restore", backup.to_str().unwrap(), "--yes"])
        .assert()
        .success()
        .stdout(predicate::str::contains("damaged"));
    firstline(&db, &config).arg("doctor").assert().success();
    let kept: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept aside");
    assert_eq!(std::fs::read(kept[0].path()).unwrap(), junk);
}

/// New-user trial: chat lines from "я" pasted with `import --paste` were filed as a
/// reply by "я"; they are the agent's, filed under `[agent] name`.
#[test]
fn pasted_lines_of_ours_are_filed_under_the_agents_name() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, "[agent]\nname = \"Olena Koval\"\n").unwrap();
    let paste = "[10:02] Іван Петренко: де моє замовлення?\n[10:03] я: перевіряю\n[10:04] Olena: вже в дорозі\n";
    firstline(&db, &config)
        .args(["--no-demo", "import", "--paste", "--channel", "chat"])
        .write_stdin(paste)
        .assert()
        .success();
    let shown = firstline(&db, &config)
        .args(["show", "1", "--json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&shown.stdout).unwrap();
    let authors: Vec<(&str, &str)> = v["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["direction"].as_str().unwrap(),
                m["author"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        authors,
        vec![
            ("inbound", "Іван Петренко"),
            ("outbound", "Olena Koval"),
            ("outbound", "Olena Koval")
        ]
    );
    // The same paste again adds nothing: the ids come from the lines as written.
    firstline(&db, &config)
        .args([
            "--no-demo",
            "import",
            "--paste",
            "--channel",
            "chat",
            "--ticket",
            "1",
        ])
        .write_stdin(paste)
        .assert()
        .success();
    let again: Value = serde_json::from_slice(
        &firstline(&db, &config)
            .args(["show", "1", "--json"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    assert_eq!(again["messages"].as_array().unwrap().len(), 3);
}

/// New-user trial: the console's note under a cut huge body said "`firstline show 17`
/// prints the whole message", but the body was already cut at 1 MB when stored, and
/// `show` printed that. `show ID --raw MESSAGE_ID` prints the message as it arrived,
/// and `show` names that command under a body cut at import.
#[test]
fn show_raw_prints_a_huge_message_as_it_arrived() {
    let q = Queue::fresh();
    let eml = q.db.with_file_name("big.eml");
    let mut raw = b"From: big@example.com\nSubject: Huge log\nDate: Thu, 26 Nov 2026 08:00:00 +0000\nMessage-ID: <big-1@example.com>\n\n".to_vec();
    while raw.len() < 3 * 1024 * 1024 {
        raw.extend_from_slice(b"2026-11-26 08:00:00 ERROR payment module failed\n");
    }
    raw.extend_from_slice(b"THE LAST LINE\n");
    std::fs::write(&eml, &raw).unwrap();
    q.cmd()
        .args(["--no-demo", "import", eml.to_str().unwrap()])
        .assert()
        .success();
    let v = q.json(&["show", "1", "--json"]);
    let id = v["messages"][0]["id"].as_i64().unwrap();
    let shown = q.cmd().args(["show", "1"]).output().unwrap();
    let text = String::from_utf8_lossy(&shown.stdout);
    assert!(!text.contains("THE LAST LINE"), "the stored body is cut");
    assert!(
        text.contains(&format!("firstline show 1 --raw {id}")),
        "show names the way to the whole message"
    );
    let whole = q
        .cmd()
        .args(["show", "1", "--raw", &id.to_string()])
        .output()
        .unwrap();
    assert!(whole.status.success());
    assert_eq!(whole.stdout, raw, "the bytes as they arrived");
    q.cmd()
        .args(["show", "1", "--raw", "999"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not on ticket 1"));
}

/// New-user trial: dates shown were UTC dates though README says everything shown is
/// in `sla.timezone`. `canned list`'s "last" date is on the desk's clock: 23:30 UTC on
/// 26 November is already the 27th in Kyiv.
#[test]
fn canned_last_used_date_is_on_the_desks_clock() {
    let q = Queue::demo();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nemail = \"help@shop.example\"\n[sla]\ntimezone = \"Europe/Kyiv\"\n",
    )
    .unwrap();
    let late = chrono::DateTime::parse_from_rfc3339("2026-11-26T23:30:00Z")
        .unwrap()
        .timestamp();
    firstline::store::SqliteStore::execute_for_tests(
        &q.db,
        &format!("UPDATE canned_responses SET last_used_at = {late}"),
    )
    .unwrap();
    let out = q.cmd().args(["canned", "list"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("last 2026-11-27"), "{text}");
    assert!(!text.contains("2026-11-26"), "{text}");
}

#[test]
fn invalid_utf8_body_is_repaired_and_stored() {
    let q = Queue::demo();
    let body = b"caf\xe9 \xff\xfe order 17".to_vec();
    let out = q
        .cmd()
        .args(["new", "--from", "x@example.com", "--subject", "bytes"])
        .write_stdin(body)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8"));
    let id = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let detail = q.json(&["show", &id, "--json"]);
    assert_eq!(
        detail["messages"][0]["body"],
        "caf\u{fffd} \u{fffd}\u{fffd} order 17"
    );
}

#[test]
fn ten_megabyte_body_is_refused_cleanly() {
    let q = Queue::demo();
    let body = vec![b'a'; 10 * 1024 * 1024];
    let out = q
        .cmd()
        .args(["new", "--from", "x@example.com", "--subject", "huge"])
        .write_stdin(body)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("larger than"));
}

#[test]
fn two_processes_writing_at_once_lose_nothing() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    let spawn = |tag: &'static str| {
        let db = q.db.clone();
        std::thread::spawn(move || {
            for i in 0..15 {
                let out = firstline(&db, &db.with_extension("toml"))
                    .args([
                        "new",
                        "--from",
                        &format!("{tag}{i}@example.com"),
                        "--subject",
                        &format!("{tag} {i}"),
                        "--body",
                        "x",
                    ])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                let out = firstline(&db, &db.with_extension("toml"))
                    .args(["tag", "2", &format!("+{tag}{i}")])
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
            }
        })
    };
    let (a, b) = (spawn("alpha"), spawn("beta"));
    a.join().unwrap();
    b.join().unwrap();
    let rows = q.json(&["list", "--json"]);
    let rows = rows.as_array().unwrap();
    assert_eq!(
        rows.iter()
            .filter(|r| r["subject"].as_str().unwrap().starts_with("alpha"))
            .count(),
        15
    );
    assert_eq!(
        rows.iter()
            .filter(|r| r["subject"].as_str().unwrap().starts_with("beta"))
            .count(),
        15
    );
    let t = q.json(&["show", "2", "--json"]);
    let tags = t["ticket"]["tags"].as_array().unwrap();
    assert_eq!(
        tags.len(),
        1 + 30,
        "every tag from both writers landed: {tags:?}"
    );
}

#[test]
fn help_of_every_command_has_an_example() {
    let q = Queue::demo();
    for cmd in [
        "new",
        "list",
        "show",
        "reply",
        "note",
        "status",
        "tag",
        "priority",
        "escalate",
        "snooze",
        "search",
        "export",
        "import-json",
        "backup",
        "doctor",
    ] {
        q.cmd()
            .args([cmd, "--help"])
            .assert()
            .success()
            .stdout(predicate::str::contains("Example"));
    }
}

#[test]
fn list_piped_into_a_closed_pipe_exits_quietly() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    // The reading end is closed before firstline starts, so its very first write meets
    // a closed pipe: no race with how fast the child writes into the pipe's buffer.
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = support::cli(&q.db, &q.db.with_extension("toml"))
        .args(["list", "--json"])
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "closed pipe: {stderr}");
    assert!(stderr.is_empty(), "a closed pipe is not an error: {stderr}");
}

#[test]
fn backup_then_restore_round_trip_keeps_a_safety_copy() {
    let q = Queue::demo();
    let before = q.json(&["export"]);
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("b.db");
    q.cmd().arg("backup").arg(&dest).assert().success();
    let id = q.new_ticket("late@example.com", "After the backup", "x");
    q.cmd().arg("restore").arg(&dest).assert().code(1); // needs --yes
    q.cmd()
        .arg("restore")
        .arg(&dest)
        .arg("--yes")
        .assert()
        .success();
    let mut after = q.json(&["export"]);
    after["exported_at"] = before["exported_at"].clone();
    assert_eq!(before, after, "restored queue equals the backup");
    let safety: Vec<_> = std::fs::read_dir(q.db.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains("before-restore"))
        .collect();
    assert_eq!(
        safety.len(),
        1,
        "a safety copy of the replaced queue exists"
    );
    let out = firstline(&safety[0].path(), &dir.path().join("none.toml"))
        .args(["show", &id.to_string(), "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "the ticket written after the backup survives in the safety copy"
    );
}

#[test]
fn invalid_config_names_file_line_and_key() {
    let q = Queue::demo();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nname = \"Ann\"\nsignatur = \"x\"\n",
    )
    .unwrap();
    let out = q.cmd().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("q.toml") && err.contains("line 3") && err.contains("signatur"),
        "{err}"
    );
}

#[test]
fn auto_backup_writes_todays_copy_once() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    q.cmd()
        .args(["backup", "--auto"])
        .assert()
        .success()
        .stdout(predicate::str::contains("integrity ok"));
    q.cmd()
        .args(["backup", "--auto"])
        .assert()
        .success()
        .stdout(predicate::str::contains("already exists"));
    let n = std::fs::read_dir(q.db.with_file_name("backups"))
        .unwrap()
        .count();
    assert_eq!(n, 1);
}

#[test]
fn escalation_packet_redacts_secrets() {
    let q = Queue::demo();
    let id = q.new_ticket(
        "ann@example.com",
        "Card problem",
        "My card 4111 1111 1111 1111 was charged, order 1234567890123",
    );
    let dir = tempfile::tempdir().unwrap();
    let packet = dir.path().join("p.md");
    q.cmd()
        .args([
            "escalate",
            &id.to_string(),
            "--to",
            "developer",
            "--reason",
            "double charge",
            "--packet",
        ])
        .arg(&packet)
        .assert()
        .success();
    let text = std::fs::read_to_string(&packet).unwrap();
    assert!(text.contains("Card problem"));
    assert!(!text.contains("4111 1111 1111 1111"), "{text}");
    assert!(
        text.contains("1234567890123"),
        "order numbers are not cards: {text}"
    );
}

#[test]
fn issue13_5_closed_ticket_no_longer_waits_in_list() {
    let q = Queue::demo();
    let id = q.new_ticket("Ann <ann@example.com>", "Old question", "hello?");
    q.cmd()
        .args(["status", &id.to_string(), "closed"])
        .assert()
        .success();
    let rows = q.json(&["list", "--view", "all", "--json"]);
    let row = rows
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .expect("the closed ticket is listed in all");
    assert_eq!(row["awaiting_reply_since"], Value::Null);
    let out = q.cmd().args(["list", "--view", "all"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text
        .lines()
        .find(|l| l.contains("Old question"))
        .expect("listed");
    assert!(!line.contains("waits"), "{line}");
}

#[test]
fn issue13_10_search_says_when_the_limit_cuts_and_refuses_an_open_quote() {
    let q = Queue::demo();
    for n in 0..3 {
        q.new_ticket(
            &format!("c{n}@example.com"),
            &format!("Gizmo {n}"),
            "my gizmo broke",
        );
    }
    let out = q
        .cmd()
        .args(["search", "gizmo", "--limit", "2"])
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 2);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("2 of 3"), "{err}");
    assert!(err.contains("--limit"), "{err}");

    let out = q
        .cmd()
        .args(["search", "gizmo", "--limit", "10"])
        .output()
        .unwrap();
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = q
        .cmd()
        .args(["search", "\"double charge"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "an open quote is the user's to fix"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("unterminated quote"), "{err}");
}

#[test]
fn issue13_small_show_prints_the_audit_log_and_snoozed_list_says_until_when() {
    let q = Queue::demo();
    let id = q.new_ticket("Ann <ann@example.com>", "Printer", "it jams");
    let id = id.to_string();
    q.cmd().args(["tag", &id, "+hardware"]).assert().success();
    q.cmd()
        .args(["snooze", &id, "--until", "2099-01-02"])
        .assert()
        .success();
    let out = q.cmd().args(["show", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let history = text.split("--- history").nth(1).expect("a history section");
    assert!(history.contains("created"), "{history}");
    assert!(history.contains("tags"), "{history}");
    assert!(history.contains("snooze"), "{history}");
    // On the desk's clock, as every printed time (it printed RFC 3339 UTC).
    assert!(
        history.contains("snooze until 2099-01-02 09:00"),
        "{history}"
    );

    let out = q
        .cmd()
        .args(["list", "--view", "snoozed"])
        .env("TZ", "UTC")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("snoozed until 2099-01-02"), "{text}");

    // Waking it is not another snooze (a new-user trial read "snooze 2099-…" twice).
    q.cmd().args(["snooze", &id, "--clear"]).assert().success();
    let out = q.cmd().args(["show", &id]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let history = text.split("--- history").nth(1).expect("a history section");
    assert!(
        history.contains("snooze ended (was until 2099-01-02 09:00)"),
        "{history}"
    );
}

#[test]
fn issue13_small_import_of_old_mail_says_it_waits_and_offers_archiving() {
    let q = Queue::demo();
    let mbox = db_path(&q).with_file_name("old.mbox");
    let mail: String = (0..3)
        .map(|n| {
            format!(
                "From c{n}@example.com Tue May  4 10:00:00 1993\nFrom: C {n} <c{n}@example.com>\n\
                 Subject: Old {n}\nDate: Tue, 04 May 1993 10:0{n}:00 +0000\n\
                 Message-ID: <old{n}@example.com>\n\nhello? {n}\n\n"
            )
        })
        .collect();
    std::fs::write(&mbox, mail).unwrap();
    let out = q
        .cmd()
        .arg("--no-demo")
        .arg("import")
        .arg(&mbox)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("3 tickets wait for a reply"), "{text}");
    assert!(text.contains("oldest 1993-05-04"), "{text}");
    assert!(text.contains("--archive-older-than"), "{text}");

    let out = q
        .cmd()
        .arg("import")
        .arg(&mbox)
        .args(["--archive-older-than", "30d"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("archived: 3"), "{text}");
    let rows = q.json(&["list", "--view", "needs-reply", "--json"]);
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .all(|r| !r["subject"].as_str().unwrap_or("").starts_with("Old ")),
        "no archived ticket waits: {rows}"
    );
}

/// A date given to `--archive-older-than` is echoed as the user gave it, on the desk's
/// clock: east of Greenwich the UTC echo said the day before (failed before the fix:
/// "since 2025-12-31").
#[test]
fn archive_cutoff_is_echoed_on_the_desks_clock() {
    let q = Queue::fresh();
    let mbox = db_path(&q).with_file_name("old.mbox");
    std::fs::write(
        &mbox,
        "From c@example.com Tue May  4 10:00:00 1993\nFrom: C <c@example.com>\n\
         Subject: Old\nDate: Tue, 04 May 1993 10:00:00 +0000\n\
         Message-ID: <old-tokyo@example.com>\n\nhello?\n\n",
    )
    .unwrap();
    let out = q
        .cmd()
        .env("TZ", "Asia/Tokyo")
        .arg("import")
        .arg(&mbox)
        .args(["--archive-older-than", "2026-01-01"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("archived: 1 waiting tickets with no message since 2026-01-01"),
        "{text}"
    );
}

/// `new` refuses a sender a reply could never reach (it exited 0 and every reply to
/// the ticket failed at the courier later); a caller without an address is a phone
/// ticket and still fine.
#[test]
fn new_refuses_an_email_ticket_without_an_address() {
    let q = Queue::fresh();
    for from in ["not an address", "Ann <nope>", "Ann <ann@>"] {
        let out = q
            .cmd()
            .args(["new", "--from", from, "--subject", "Hi", "--body", "Hello"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{from}: {err}");
        assert_eq!(err.lines().count(), 1, "{from}: {err}");
        assert!(err.contains("e-mail address"), "{from}: {err}");
    }
    let out = q
        .cmd()
        .args([
            "new",
            "--from",
            "Caller Bob",
            "--channel",
            "phone",
            "--subject",
            "Call",
        ])
        .args(["--body", "Rang about the invoice"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = q.json(&["list", "--json"]);
    assert_eq!(rows.as_array().unwrap().len(), 1, "only the call: {rows}");
}

// ---- issue #13, items 11–15: the command line keeps its promises ----

/// A queue with one ticket made through the CLI (no welcome queue needed).
fn queue_with_a_ticket() -> Queue {
    let q = Queue::fresh();
    q.new_ticket("Ann <ann@example.com>", "Parcel late", "Where is it?");
    q
}

#[test]
fn exit_codes_every_bad_value_or_argument_exits_1_with_one_line() {
    let q = queue_with_a_ticket();
    for args in [
        vec!["show", "abc"],
        vec!["status", "1", "finished"],
        vec!["priority", "1", "extreme"],
        vec!["list", "--status", "bogus"],
        vec!["list", "--view", "nope"],
        vec!["show"],
        vec!["canned"],
        vec!["no-such-command"],
    ] {
        let out = q.cmd().args(&args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("firstline: "), "{args:?}: {err}");
    }
    q.cmd().arg("--help").assert().success();
    q.cmd().arg("--version").assert().success();
}

#[test]
fn exit_codes_a_missing_import_path_is_reported_as_missing() {
    let q = queue_with_a_ticket();
    let missing = q.db.with_file_name("no-such-export.mbox");
    let out = q.cmd().arg("import").arg(&missing).output().unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("no-such-export.mbox") && err.contains("does not exist"),
        "{err}"
    );
    let all = String::from_utf8(out.stdout).unwrap() + &err;
    assert!(!all.contains("not mail"), "{all}");
}

#[cfg(unix)]
#[test]
fn closed_pipes_every_printing_subcommand_exits_quietly() {
    let q = queue_with_a_ticket();
    let out_dir = tempfile::tempdir().unwrap();
    let commands: Vec<Vec<&str>> = vec![
        vec!["doctor"],
        vec!["doctor", "--json"],
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "1"],
        vec!["show", "1", "--json"],
        vec!["search", "parcel"],
        vec!["export"],
        vec!["canned", "list"],
        vec!["canned", "show", "sorry-en"],
        vec!["canned", "suggest", "--ticket", "1"],
        vec!["canned", "export"],
        vec!["report"],
        vec!["report", "--json"],
        vec!["packet", "1"],
        vec!["followups"],
        vec!["outbox"],
        vec!["check"],
        vec!["--help"],
        vec!["status", "--help"],
        // Commands that change the queue print too; the change is made all the same.
        vec![
            "new",
            "--from",
            "b@example.com",
            "--subject",
            "Piped",
            "--body",
            "x",
        ],
        vec!["note", "1", "called back"],
        vec!["tag", "1", "+piped"],
        vec!["priority", "1", "high"],
    ];
    for args in &commands {
        // The exit code a reader that reads everything sees.
        let full = q.cmd().args(args).output().unwrap();
        for round in 0..3 {
            // The read end is closed before the program starts: every write it makes
            // meets a closed pipe, whatever the timing.
            let (reader, writer) = std::io::pipe().unwrap();
            drop(reader);
            let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("firstline"));
            cmd.arg("--db")
                .arg(&q.db)
                .args(args)
                .current_dir(out_dir.path())
                .env("FIRSTLINE_CONFIG", q.db.with_extension("toml"))
                .env_remove("FIRSTLINE_DB")
                .env("USER", "tester")
                .stdout(writer)
                .stderr(std::process::Stdio::piped());
            let out = cmd.output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(
                !err.contains("panicked") && !err.contains("Broken pipe"),
                "{args:?} round {round}: {err}"
            );
            assert_eq!(
                out.status.code(),
                full.status.code(),
                "{args:?} round {round}: {err}"
            );
        }
    }
}

#[cfg(unix)]
fn mode_of(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn private_files_stay_private_and_are_never_overwritten_without_force() {
    let q = queue_with_a_ticket();
    let dir = tempfile::tempdir().unwrap();
    let backup = dir.path().join("b.db");
    let report = dir.path().join("r.html");
    let packet = dir.path().join("p.md");
    let replies = dir.path().join("replies.toml");
    let export = dir.path().join("queue.json");
    let writes: Vec<(Vec<String>, &Path)> = vec![
        (vec!["backup".into(), backup.display().to_string()], &backup),
        (
            vec![
                "export".into(),
                "--out".into(),
                export.display().to_string(),
            ],
            &export,
        ),
        (
            vec![
                "report".into(),
                "--format".into(),
                "html".into(),
                "--out".into(),
                report.display().to_string(),
            ],
            &report,
        ),
        (
            vec![
                "packet".into(),
                "1".into(),
                "--out".into(),
                packet.display().to_string(),
            ],
            &packet,
        ),
        (
            vec![
                "canned".into(),
                "export".into(),
                "--output".into(),
                replies.display().to_string(),
            ],
            &replies,
        ),
    ];
    for (args, file) in &writes {
        let out = q.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(mode_of(file), 0o600, "{args:?} writes a private file");
        let before = std::fs::read(file).unwrap();
        std::fs::write(file, b"the user's own file").unwrap();
        let out = q.cmd().args(args).output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.contains("already exists") && err.contains("--force"),
            "{err}"
        );
        assert_eq!(
            std::fs::read(file).unwrap(),
            b"the user's own file",
            "{args:?} kept the existing file"
        );
        let out = q.cmd().args(args).arg("--force").output().unwrap();
        assert!(
            out.status.success(),
            "{args:?} --force: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_ne!(std::fs::read(file).unwrap(), b"the user's own file");
        assert_eq!(mode_of(file), 0o600, "{args:?} --force");
        assert!(!before.is_empty());
    }
    q.cmd().args(["backup", "--auto"]).assert().success();
    let daily: Vec<PathBuf> = std::fs::read_dir(q.db.with_file_name("backups"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(daily.len(), 1, "{daily:?}");
    assert_eq!(mode_of(&daily[0]), 0o600, "the daily backup is private");
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .filter(|n| n.to_string_lossy().contains("tmp"))
        .collect();
    assert!(stray.is_empty(), "no temp files left: {stray:?}");
}

/// The binary with no `--db`, its default location inside `home`.
fn default_location(home: &Path) -> Command {
    let mut c = Command::cargo_bin("firstline").unwrap();
    c.env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env_remove("FIRSTLINE_DB")
        .env_remove("FIRSTLINE_CONFIG")
        .env_remove("FIRSTLINE_NO_DEMO");
    c
}

#[test]
fn a_typo_is_not_a_new_queue() {
    let dir = tempfile::tempdir().unwrap();
    let named = |db: &dyn AsRef<std::ffi::OsStr>| {
        let mut c = Command::cargo_bin("firstline").unwrap();
        c.arg("--db")
            .arg(db)
            .env("FIRSTLINE_CONFIG", dir.path().join("none.toml"))
            .env_remove("FIRSTLINE_DB")
            .current_dir(dir.path());
        c
    };
    for db in [
        dir.path().join("nonexistent-dir").join("x.db"),
        dir.path().join("missing.db"),
    ] {
        let out = named(&db).arg("list").output().unwrap();
        let err = String::from_utf8(out.stderr).unwrap();
        assert_eq!(out.status.code(), Some(1), "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains(&db.display().to_string()), "{err}");
        assert!(!db.exists(), "{} was created", db.display());
    }
    assert!(!dir.path().join("nonexistent-dir").exists());
    // postgres:// opens a team queue (tests/cli_postgres.rs); any other URL is a
    // mistake, never a file name, and its password is not echoed.
    let out = named(&"mysql://support:pw-123@localhost/firstline")
        .arg("list")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("mysql://"), "{err}");
    assert!(!err.contains("pw-123"), "{err}");
    assert!(
        !dir.path().join("mysql:").exists(),
        "no SQLite file under ./mysql:/"
    );
    // Into a folder that does not exist, not even a writing command creates a queue.
    let deep = dir.path().join("nonexistent-dir").join("x.db");
    let out = named(&deep)
        .args([
            "new",
            "--from",
            "a@example.com",
            "--subject",
            "s",
            "--body",
            "b",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(!dir.path().join("nonexistent-dir").exists());
    // A writing command starts a named queue, with no welcome tickets in it.
    let q = queue_with_a_ticket();
    assert_eq!(
        q.json(&["list", "--view", "all", "--json"])
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn a_typo_is_not_a_new_queue_welcome_tickets_only_in_the_default_queue() {
    let home = tempfile::tempdir().unwrap();
    let rows = default_location(home.path())
        .args(["list", "--view", "all", "--json"])
        .output()
        .unwrap();
    assert!(
        rows.status.success(),
        "{}",
        String::from_utf8_lossy(&rows.stderr)
    );
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    let n = rows.as_array().unwrap().len();
    assert!(
        n >= 6,
        "the default queue's first run has the welcome queue: {n}"
    );
    let report = default_location(home.path())
        .args(["report", "--json"])
        .output()
        .unwrap();
    assert!(
        report.status.success(),
        "{}",
        String::from_utf8_lossy(&report.stderr)
    );
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(
        report["totals"]["tickets_created"], 0,
        "{}",
        report["totals"]
    );
    assert_eq!(report["totals"]["backlog"], 0, "{}", report["totals"]);
    // Nor in the cron check, even days later when every welcome ticket is overdue.
    let later = (chrono::Utc::now() + chrono::Duration::days(3)).to_rfc3339();
    let check = default_location(home.path())
        .args(["check", "--now", &later])
        .output()
        .unwrap();
    assert_eq!(
        check.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
    default_location(home.path())
        .args(["demo", "--remove"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!("removed {n}")));
    let rows = default_location(home.path())
        .args(["list", "--view", "all", "--json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&rows.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 0, "{rows}");
}

#[test]
fn canned_show_accepts_the_shortcut_canned_list_prints() {
    let q = queue_with_a_ticket();
    let listed = q.json(&["canned", "list", "--json"]);
    let sorry = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["slug"] == "sorry-en")
        .expect("the starter library has sorry-en");
    let shortcut = sorry["shortcut"].as_str().expect("sorry-en has a shortcut");
    for typed in [shortcut.to_string(), format!(";;{shortcut}")] {
        let shown = q.json(&["canned", "show", &typed, "--json"]);
        assert_eq!(shown["shortcut"], shortcut, "{typed}: {shown}");
    }
    // For a ticket, the customer's language decides among the same-named replies.
    let id = q.new_ticket(
        "Олена <olena@example.com>",
        "Оплата не пройшла",
        "Добрий день! Я двічі оплатила замовлення, а гроші списали двічі. Що робити?",
    );
    let shown = q.json(&[
        "canned",
        "show",
        shortcut,
        "--ticket",
        &id.to_string(),
        "--json",
    ]);
    assert_eq!(shown["response"]["language"], "uk", "{shown}");
}

#[test]
fn canned_filling_agent_name_or_greeting_is_not_a_modification() {
    let q = queue_with_a_ticket();
    let shown = q.json(&["canned", "show", "sorry-en", "--ticket", "1", "--json"]);
    let text = shown["text"].as_str().unwrap();
    let unfilled: Vec<&str> = shown["unfilled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u.as_str().unwrap())
        .collect();
    assert!(
        !unfilled.is_empty(),
        "with no agent.name configured the signature needs filling: {text}"
    );
    let mut filled = text.to_string();
    for marker in &unfilled {
        filled = filled.replacen(marker, "Olena Test", 1);
    }
    assert!(!firstline::canned::was_edited(text, &filled), "{filled}");
    assert!(firstline::canned::was_edited(
        text,
        &filled.replacen("Ann", "Dear valued customer", 1)
    ));
    assert!(firstline::canned::was_edited(
        text,
        &(filled.clone() + "\nP.S. extra")
    ));
}

#[cfg(unix)]
#[test]
fn private_files_stay_private_outbox_eml_and_its_folder() {
    let q = queue_with_a_ticket();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nname = \"Olena\"\nemail = \"help@shop.example\"\n[mail]\naddresses = [\"help@shop.example\"]\n",
    )
    .unwrap();
    q.cmd()
        .args(["reply", "1", "--body", "It left the warehouse today."])
        .assert()
        .success();
    let out = q.cmd().args(["send", "1"]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let outbox = q.db.with_file_name("q.outbox");
    assert_eq!(mode_of(&outbox), 0o700, "the outbox folder is private");
    let written: Vec<PathBuf> = std::fs::read_dir(&outbox)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), 1, "{written:?}");
    assert!(
        written[0].extension().is_some_and(|e| e == "eml"),
        "{written:?}"
    );
    assert_eq!(
        mode_of(&written[0]),
        0o600,
        "the outgoing message is private"
    );
}

/// Runs `firstline ARGS` with `config` written to `q.toml`, returning (exit code, stderr).
fn with_config(q: &Queue, config: &str, args: &[&str]) -> (Option<i32>, String) {
    std::fs::write(q.db.with_extension("toml"), config).unwrap();
    let out = q.cmd().args(args).output().unwrap();
    (out.status.code(), String::from_utf8(out.stderr).unwrap())
}

#[test]
fn issue15_12_an_unknown_time_zone_stops_the_start_with_file_line_and_key() {
    let q = Queue::demo();
    let config = "[agent]\nname = \"Ann\"\n[sla]\ntimezone = \"Europe/Kiev2\"\n";
    let (code, err) = with_config(&q, config, &["list"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("q.toml: line 4:") && err.contains("timezone 'Europe/Kiev2'"),
        "{err}"
    );
    assert!(err.contains("Europe/Kyiv"), "says what is expected: {err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // The console itself starts through the same door, before touching the terminal.
    let (code, err) = with_config(&q, config, &[]);
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("Europe/Kiev2"), "{err}");
}

#[test]
fn issue15_12_business_hours_without_minutes_stop_the_start() {
    let q = Queue::demo();
    let (code, err) = with_config(&q, "[sla]\nhours = \"9-18\"\n", &["list"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("q.toml: line 2:")
            && err.contains("hours '9-18'")
            && err.contains("09:00-18:00"),
        "{err}"
    );
}

#[test]
fn issue15_12_a_wrong_type_names_its_key() {
    let q = Queue::demo();
    let (code, err) = with_config(&q, "[mail]\nundo_seconds = \"ten\"\n", &["list"]);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("line 2: mail.undo_seconds:") && err.contains("expected u64"),
        "{err}"
    );
}

#[test]
fn issue15_12_a_config_file_named_on_the_command_line_must_exist() {
    let q = Queue::demo();
    let missing = q.db.with_file_name("missing.toml");
    let out = q
        .cmd()
        .arg("--config")
        .arg(&missing)
        .arg("list")
        .output()
        .unwrap();
    let err = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("missing.toml does not exist") && err.contains("--config"),
        "{err}"
    );
}

#[test]
fn issue15_12_doctor_checks_the_config_it_was_given_and_lists_every_problem() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    let given = q.db.with_file_name("given.toml");
    std::fs::write(
        &given,
        "[sla]\ntimezone = \"Europe/Kiev2\"\nhours = \"9-18\"\n[ui]\ntheme = \"blue\"\n",
    )
    .unwrap();
    let out = q
        .cmd()
        .arg("doctor")
        .arg("--config")
        .arg(&given)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(
        text.contains("given.toml"),
        "names the file it was given: {text}"
    );
    assert!(!text.contains("q.toml"), "not the default one: {text}");
    for (line, what) in [
        (2, "Europe/Kiev2"),
        (3, "hours '9-18'"),
        (5, "theme 'blue'"),
    ] {
        assert!(
            text.contains(&format!("line {line}: ")) && text.contains(what),
            "doctor lists {what} at line {line}: {text}"
        );
    }
    assert!(
        text.contains("integrity     ok"),
        "the rest still reported: {text}"
    );
    // What follows is not what the file says (found by the new-user trial).
    assert!(
        text.contains("the settings below are the built-in defaults until the file is fixed"),
        "{text}"
    );
    std::fs::write(
        &given,
        "[sla]\ntimezone = \"Europe/Kyiv\"\n[[mail.accounts]]\nname = \"shop\"\nimap = \"imap.shop.example:993\"\nuser = \"help@shop.example\"\npassword_env = \"SHOP_PW\"\nafter_fetch = \"move:Archive\"\n",
    )
    .unwrap();
    let out = q
        .cmd()
        .arg("doctor")
        .arg("--config")
        .arg(&given)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains(&format!("config        {}", given.display())),
        "{text}"
    );
    assert!(!text.contains("built-in defaults until"), "{text}");
    // The mailboxes it will fetch, as the settings spell them.
    assert!(
        text.contains("mail account  shop: help@shop.example@imap.shop.example:993 (INBOX), after_fetch move:Archive"),
        "{text}"
    );
}

/// A desk in Tokyo (UTC+9, no DST), run from a machine whose own zone is New York, so a
/// time printed in the machine's zone or in UTC cannot pass for Tokyo's.
fn tokyo_desk() -> Queue {
    let q = Queue::demo();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nemail = \"help@shop.example\"\n[sla]\ntimezone = \"Asia/Tokyo\"\n",
    )
    .unwrap();
    q
}

fn in_new_york(q: &Queue, args: &[&str]) -> String {
    let out = q
        .cmd()
        .env("TZ", "America/New_York")
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn tokyo(rfc3339: &str) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(rfc3339).unwrap();
    (t.with_timezone(&chrono::Utc) + chrono::Duration::hours(9))
        .format("%Y-%m-%d %H:%M")
        .to_string()
}

#[test]
fn issue15_13_show_prints_times_in_the_configured_zone_and_names_it() {
    let q = tokyo_desk();
    let id = q.new_ticket("ann@x.io", "Refund", "please refund");
    let json = q.json(&["show", &id.to_string(), "--json"]);
    let sent = json["messages"][0]["sent_at"].as_str().unwrap().to_string();
    assert!(
        sent.ends_with('Z') || sent.ends_with("+00:00"),
        "JSON stays RFC 3339 UTC: {sent}"
    );
    let text = in_new_york(&q, &["show", &id.to_string()]);
    assert!(
        text.contains(&tokyo(&sent)),
        "message time in Tokyo: {text}"
    );
    assert!(text.contains("Asia/Tokyo"), "the zone is named: {text}");
}

#[test]
fn issue15_13_snooze_prints_the_time_in_the_configured_zone_and_names_it() {
    let q = tokyo_desk();
    let id = q.new_ticket("ann@x.io", "Refund", "please refund");
    let text = in_new_york(
        &q,
        &["snooze", &id.to_string(), "--until", "2030-01-02 09:00"],
    );
    assert!(
        text.contains("snoozed until 2030-01-02 09:00 (Asia/Tokyo)"),
        "read and printed in Tokyo: {text}"
    );
    let shown = in_new_york(&q, &["show", &id.to_string()]);
    assert!(shown.contains("snoozed until 2030-01-02 09:00"), "{shown}");
}

#[test]
fn issue15_13_the_outbox_lists_delivery_times_in_the_configured_zone() {
    let q = tokyo_desk();
    let id = q.new_ticket("ann@x.io", "Refund", "please refund");
    in_new_york(
        &q,
        &["reply", &id.to_string(), "--body", "Refund sent today."],
    );
    in_new_york(&q, &["send", &id.to_string()]);
    let json = q.json(&["outbox", "--json", "list", "--all"]);
    let updated = json[0]["updated_at"].as_str().unwrap().to_string();
    let text = in_new_york(&q, &["outbox", "list", "--all"]);
    assert!(
        text.contains(&tokyo(&updated)),
        "{updated} in Tokyo: {text}"
    );
}

/// Issue #15 item 11: the escalation packet masks the customer's addresses and phone
/// numbers in message bodies too (keeping the last digits), not only in its header,
/// and shows the events of a merged ticket in words.
#[test]
fn issue15_11_packet_masks_addresses_and_phones_everywhere_and_names_merged_events() {
    use firstline::model::{
        Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status,
    };
    let (_dir, db, config) = support::temp_paths();
    let mut store = firstline::store::Store::open(&db).unwrap();
    let petro = NewCustomer {
        name: "Петро Іваненко".into(),
        email: Some("petro@example.net".into()),
        phone: Some("+380 67 123 45 67".into()),
        ..Default::default()
    };
    let ticket = |store: &mut firstline::store::Store, subject: &str, body: &str| {
        store
            .create_ticket(&NewTicket {
                subject: subject.into(),
                customer: petro.clone(),
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: "Петро Іваненко <petro@example.net>".into(),
                    body: body.into(),
                    ..Default::default()
                },
            })
            .unwrap()
    };
    let into = ticket(
        &mut store,
        "Не можу увійти",
        "Логін petro@example.net, пароль не підходить. Телефон +380671234567.",
    );
    let from = ticket(
        &mut store,
        "Ще раз про вхід",
        "Передзвоніть, будь ласка: 067 123-45-67 або на робочий +380 44 765 43 21.",
    );
    store.merge_tickets(from, into).unwrap();
    drop(store);

    let out = support::run_ok(support::cli(&db, &config).args(["packet", &into.to_string()]));
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(!text.contains("petro@example.net"), "{text}");
    assert!(text.contains("p***@example.net"), "{text}");
    for phone in ["380671234567", "123-45-67", "765 43 21", "123 45 67"] {
        assert!(!text.contains(phone), "{phone} leaked: {text}");
    }
    assert!(text.contains("[phone …67]"), "last digits kept: {text}");
    assert!(text.contains("[phone …21]"), "{text}");
    let history = text.split("## History").nth(1).unwrap_or_default();
    assert!(
        history.contains("customer wrote (message"),
        "events in words: {history}"
    );
    assert!(
        history.contains(&format!("(in ticket #{from}, merged in)")),
        "the merged ticket's own events are shown: {history}"
    );
    assert!(
        !history.lines().any(|l| l.contains(" inbound ")),
        "no raw event names: {history}"
    );
}

/// H12 item 3: merging two customers' tickets needs `--force`; without it the CLI
/// exits 1 with one line naming both, and nothing moves.
#[test]
fn h12_3_merge_of_different_customers_needs_force() {
    use firstline::model::{
        Channel, Direction, NewCustomer, NewMessage, NewTicket, Priority, Status,
    };
    let (_dir, db, config) = support::temp_paths();
    let mut store = firstline::store::Store::open(&db).unwrap();
    let mut ticket = |name: &str, email: &str| {
        store
            .create_ticket(&NewTicket {
                subject: format!("From {name}"),
                customer: NewCustomer {
                    name: name.into(),
                    email: Some(email.into()),
                    ..Default::default()
                },
                channel: Channel::Email,
                priority: Priority::Normal,
                status: Status::New,
                tags: vec![],
                first_message: NewMessage {
                    direction: Direction::Inbound,
                    author: name.into(),
                    body: "Hello".into(),
                    ..Default::default()
                },
            })
            .unwrap()
    };
    let james = ticket("James O'Neill", "james@example.com");
    let sarah = ticket("Sarah Mitchell", "sarah@example.com");
    drop(store);
    let (from, into) = (james.to_string(), sarah.to_string());
    let out = support::cli(&db, &config)
        .args(["merge", &from, &into])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("James O'Neill") && err.contains("Sarah Mitchell"),
        "{err}"
    );
    assert!(err.contains("--force"), "{err}");
    let store = firstline::store::Store::open(&db).unwrap();
    assert!(store.ticket(james).is_ok(), "nothing was merged");
    drop(store);
    support::run_ok(support::cli(&db, &config).args(["merge", &from, &into, "--force"]));
    let store = firstline::store::Store::open(&db).unwrap();
    assert!(store.ticket(james).is_err(), "merged with --force");
    assert_eq!(store.messages(sarah).unwrap().len(), 2);
}

/// H13 item 1: a reply never leaves as a made-up `user@localhost`. With neither
/// `[agent] email` nor `[mail] addresses` set, `reply` and `outbox flush` refuse with
/// exit 1 naming the key; with only `[mail] addresses`, the reply is From that address.
#[test]
fn reply_without_sender_address_is_refused_naming_the_key() {
    let q = Queue::fresh();
    let config = q.db.with_extension("toml");
    std::fs::write(&config, "[agent]\nname = \"Ігор Тестер\"\n").unwrap();
    let id = q.new_ticket("olha@example.com", "Де посилка?", "Чекаю два тижні.");
    let out = q
        .cmd()
        .args(["reply", &id.to_string(), "--body", "Відправили сьогодні."])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "reply: {err}");
    assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    assert!(err.contains("[agent]") && err.contains("email"), "{err}");
    let out = q.cmd().args(["outbox", "flush"]).output().unwrap();
    assert_eq!(out.status.code(), Some(1), "flush refuses too");

    std::fs::write(
        &config,
        "[agent]\nname = \"Ігор Тестер\"\n[mail]\naddresses = [\"help@shop.example\"]\n",
    )
    .unwrap();
    q.cmd()
        .args(["reply", &id.to_string(), "--body", "Відправили сьогодні."])
        .assert()
        .success();
    q.cmd().args(["outbox", "flush"]).assert().success();
    let outbox = q.db.with_file_name("q.outbox");
    let eml = std::fs::read_dir(&outbox)
        .unwrap()
        .filter_map(|e| e.ok())
        .find(|e| e.path().extension().is_some_and(|x| x == "eml"))
        .expect("the flushed reply is saved as .eml in the outbox folder");
    let raw = std::fs::read_to_string(eml.path()).unwrap();
    let from = raw.lines().find(|l| l.starts_with("From:")).unwrap_or("");
    assert!(from.contains("<help@shop.example>"), "{from}");
    assert!(!raw.contains("@localhost"), "{raw}");
}

/// H13 item 4: a date that has passed is named as past, not "cannot read" followed by
/// an example of the very format typed.
#[test]
fn snooze_to_a_past_date_says_it_is_in_the_past() {
    let q = Queue::demo();
    let out = q
        .cmd()
        .args(["snooze", "1", "--until", "2020-12-01"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("in the past"), "{err}");
    assert!(!err.contains("cannot read"), "{err}");
}

/// H13 item 4: `sort:bogus` is refused like `status:bogus` (exit 1, one line naming
/// the sorts there are), not an empty result with success.
#[test]
fn search_with_unknown_sort_is_refused_like_unknown_status() {
    let q = Queue::demo();
    for query in ["sort:bogus refund", "status:bogus refund"] {
        let out = q.cmd().args(["search", query]).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{query}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{query}: {err}");
    }
    let out = q
        .cmd()
        .args(["search", "sort:bogus refund"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("sort:relevance"));
}

/// H13 item 4: `--limit 0` is refused (exit 1) rather than printing nothing with
/// success, and --help says the limit is 1 or more.
#[test]
fn limit_zero_is_refused_and_help_says_so() {
    let q = Queue::demo();
    for args in [
        &["list", "--limit", "0"][..],
        &["search", "welcome", "--limit", "0"],
    ] {
        let out = q.cmd().args(args).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {err}");
        assert!(err.contains("1 or more"), "{args:?}: {err}");
    }
    let help = q.cmd().args(["list", "--help"]).output().unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("1 or more"));
}

/// H13 item 4: one imported message makes "1 new ticket", not "1 new tickets".
#[test]
fn import_of_one_message_says_one_new_ticket() {
    let q = Queue::fresh();
    let mbox = q.db.with_file_name("one.mbox");
    std::fs::write(
        &mbox,
        "From ann@example.com Mon Nov  2 10:00:00 2026\nFrom: Ann <ann@example.com>\nSubject: Refund\nMessage-ID: <one@example.com>\nDate: Mon, 2 Nov 2026 10:00:00 +0000\n\nWhere is my refund?\n",
    )
    .unwrap();
    let out = q
        .cmd()
        .args(["--no-demo", "import"])
        .arg(&mbox)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 message into 1 new ticket ("), "{text}");
}

/// Issue #15 item 13, the fallback: with no `[sla] timezone` the desk runs on the
/// system's zone (here `TZ`, set explicitly so the test does not depend on the
/// machine) and names it, instead of silently running in UTC.
#[test]
fn issue15_13_without_a_zone_setting_the_system_zone_is_used_and_named() {
    let q = Queue::demo();
    let id = q.new_ticket("Ann <ann@example.com>", "Refund", "Where is my refund?");
    let run = |args: &[&str]| {
        let out = q
            .cmd()
            .env("TZ", "Europe/Kyiv")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let doctor = run(&["doctor"]);
    assert!(
        doctor.contains("time zone     Europe/Kyiv (the system's; [sla] timezone is not set)"),
        "{doctor}"
    );
    let said = run(&["snooze", &id.to_string(), "--until", "2026-12-24 10:00"]);
    assert!(said.contains("2026-12-24 10:00 (Europe/Kyiv)"), "{said}");
    let shown: Value = serde_json::from_str(&run(&["show", &id.to_string(), "--json"])).unwrap();
    assert_eq!(
        shown["ticket"]["snoozed_until"], "2026-12-24T08:00:00Z",
        "10:00 in Kyiv (UTC+2 in winter), stored in UTC"
    );
    let json: Value = serde_json::from_str(&run(&["doctor", "--json"])).unwrap();
    assert_eq!(json["timezone"]["name"], "Europe/Kyiv");
    assert_eq!(json["timezone"]["source"], "system");
    // A zone set in the file wins over the system's.
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nemail = \"help@shop.example\"\n[sla]\ntimezone = \"Asia/Tokyo\"\n",
    )
    .unwrap();
    let doctor = run(&["doctor"]);
    assert!(
        doctor.contains("time zone     Asia/Tokyo (from [sla] timezone)"),
        "{doctor}"
    );
}

/// Issue #15: `doctor --json` left out what the text report says about the settings
/// file; a script checking the desk got "healthy" with a broken config.
#[test]
fn issue15_12_doctor_json_lists_the_config_problems() {
    let q = Queue::demo();
    q.cmd().arg("list").assert().success();
    let given = q.db.with_file_name("given.toml");
    std::fs::write(
        &given,
        "[sla]\ntimezone = \"Europe/Kiev2\"\nhours = \"9-18\"\n",
    )
    .unwrap();
    let out = q
        .cmd()
        .args(["doctor", "--json", "--config"])
        .arg(&given)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["config"]["valid"], false, "{json}");
    assert_eq!(json["config"]["path"], given.display().to_string());
    let problems: Vec<String> = json["config"]["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap().to_string())
        .collect();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("line 2") && problems[0].contains("Europe/Kiev2"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("line 3") && problems[1].contains("9-18"),
        "{problems:?}"
    );
    assert_eq!(json["integrity"], "ok", "the health fields stay: {json}");
}

/// Issue #15, second trial: `status` to the status a ticket already has logged
/// "pending → pending"; it is now no change (nothing logged) and says so.
#[test]
fn issue15_14_setting_the_same_status_again_logs_nothing_and_says_unchanged() {
    let q = Queue::demo();
    let id = q.new_ticket("Ann <ann@example.com>", "Refund", "Where is my refund?");
    let id = id.to_string();
    q.cmd().args(["status", &id, "pending"]).assert().success();
    let out = q.cmd().args(["status", &id, "pending"]).output().unwrap();
    assert!(out.status.success());
    let said = String::from_utf8(out.stdout).unwrap();
    assert!(said.contains("already pending (unchanged)"), "{said}");
    let shown = q.json(&["show", &id, "--json"]);
    let status_events = shown["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "status")
        .count();
    assert_eq!(status_events, 1, "{}", shown["events"]);
}

/// Issue #15, second trial: `search '-spam'` was read as an unknown option, and a
/// search without hits printed nothing at all. A query may start with `-`, and no
/// hits says so on stderr with exit 0 (an empty answer is not a mistake).
#[test]
fn issue15_14_a_leading_dash_query_works_and_no_hits_says_so() {
    let q = Queue::demo();
    q.new_ticket(
        "Ann <ann@example.com>",
        "Refund please",
        "Where is my refund?",
    );
    let out = q
        .cmd()
        .args(["search", "-spam", "refund"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("Refund please"), "{text}");
    for args in [
        &["search", "--limit", "5", "-spam", "refund"][..],
        &["search", "-spam", "refund", "--limit", "5", "--json"][..],
    ] {
        let out = q.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Refund please"),
            "{args:?}"
        );
    }
    let json = q.json(&["search", "-spam", "refund", "--json"]);
    assert!(
        json.as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["subject"] == "Refund please")),
        "{json}"
    );
    let out = q.cmd().args(["search", "zzzqqq"]).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no ticket matches zzzqqq"), "{err}");
}

/// Found by the new-user trial: `firstline reply` sent a reply with an insult and a
/// card number without a word, where the console asks "Send anyway?". The command line
/// refuses what `[tone] confirm` would ask about, names the findings, and `--force`
/// sends it all the same; an ordinary reply goes through untouched.
#[test]
fn cli_reply_refuses_what_the_console_would_ask_about_unless_forced() {
    let q = Queue::demo();
    let id = q.new_ticket(
        "Bob Stone <bob@example.com>",
        "Refund",
        "Where is my refund?",
    );
    let bad = "Bob, you are stupid. Card 4111 1111 1111 1111.";
    let out = q
        .cmd()
        .args(["reply", &id.to_string(), "--body", bad])
        .assert()
        .code(1);
    let err = String::from_utf8_lossy(&out.get_output().stderr).into_owned();
    assert!(err.contains("--force"), "{err}");
    assert!(err.contains("4111"), "names the card finding: {err}");
    let replies = |q: &Queue| {
        q.json(&["show", &id.to_string(), "--json"])["messages"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["direction"] == "outbound")
            .count()
    };
    assert_eq!(replies(&q), 0, "nothing was queued");
    q.cmd()
        .args(["reply", &id.to_string(), "--body", bad, "--force"])
        .assert()
        .success();
    assert_eq!(replies(&q), 1);
    q.cmd()
        .args([
            "reply",
            &id.to_string(),
            "--body",
            "Hi Bob, your refund left us today; it reaches your card within 3 working days.",
        ])
        .assert()
        .success();
    assert_eq!(replies(&q), 2);
}

/// Item 10 of the between-features trial: a reply queued by `firstline reply` with no
/// console running counted as the answer — the ticket left Needs reply and `show`
/// called it sent — though nothing had left. Queued is not answered (README, "Sending
/// replies"): it stays in Needs reply and `show` says it is not delivered until a
/// courier (here `outbox flush`) hands it over.
#[test]
fn a_reply_queued_from_the_cli_is_not_the_answer_until_delivered() {
    let q = Queue::fresh();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nname = \"Olena\"\nemail = \"help@shop.example\"\n\
         [mail]\nundo_seconds = 0\nsendmail = \"cat > /dev/null\"\n",
    )
    .unwrap();
    // The customer wrote a day ago, so our reply is plainly later: a reply recorded
    // in the very second of the customer's message is not counted as answering it
    // (ties keep the customer waiting), which made this test depend on the clock.
    let eml = q.db.with_file_name("ann.eml");
    std::fs::write(
        &eml,
        "From: Ann <ann@example.com>\nTo: help@shop.example\nSubject: Where is my order\n\
         Date: Tue, 01 Dec 2026 10:00:00 +0000\nMessage-ID: <ann-order@example.com>\n\nHello?\n",
    )
    .unwrap();
    q.cmd().arg("import").arg(&eml).assert().success();
    let id = q.json(&["list", "--json"])[0]["id"].as_i64().unwrap();
    let needs_reply = |q: &Queue| -> Vec<i64> {
        q.json(&["list", "--view", "needs-reply", "--json"])
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect()
    };
    let out = q
        .cmd()
        .args(["reply", &id.to_string(), "--body", "It left today."])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(printed.contains("not delivered yet"), "{printed}");
    assert_eq!(needs_reply(&q), vec![id], "queued is not answered");
    let detail = q.json(&["show", &id.to_string(), "--json"]);
    let reply = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(reply["delivery"], "queued", "{reply}");
    let shown = q.cmd().args(["show", &id.to_string()]).output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains("NOT DELIVERED"), "{shown}");

    q.cmd().args(["outbox", "flush"]).assert().success();
    assert!(needs_reply(&q).is_empty(), "delivered: answered");
    let detail = q.json(&["show", &id.to_string(), "--json"]);
    let reply = detail["messages"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(reply["delivery"], "sent", "{reply}");
}

/// README says `FIRSTLINE_NO_DEMO=1` skips the welcome queue; clap's plain boolean
/// refused it ("invalid value '1' for '--no-demo'") and every command failed. Set in
/// the environment it reads as people write it: 1/0, true/false, yes/no.
#[test]
fn firstline_no_demo_in_the_environment_takes_1_and_yes() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let config = dir.path().join("config.toml");
    let eml = dir.path().join("one.eml");
    std::fs::write(
        &eml,
        "From: Ann <ann@example.com>\nSubject: Hi\nMessage-ID: <a1@example.com>\n\nhello\n",
    )
    .unwrap();
    let made = support::cli(&db, &config)
        .arg("import")
        .arg(&eml)
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    for value in ["1", "yes", "true", "0", "no", "false"] {
        let out = support::cli(&db, &config)
            .env("FIRSTLINE_NO_DEMO", value)
            .arg("list")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "FIRSTLINE_NO_DEMO={value}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// A new-user trial: with no mail transport set, `firstline reply` said "an open
/// console sends it" — nothing sends it: it is only saved as an `.eml` for the user
/// to send. The line says so, and where.
#[test]
fn reply_without_a_mail_transport_says_it_will_only_be_saved() {
    let q = Queue::fresh();
    std::fs::write(
        q.db.with_extension("toml"),
        "[agent]\nname = \"Olena\"\nemail = \"help@shop.example\"\n",
    )
    .unwrap();
    let id = q.new_ticket("Ann <ann@example.com>", "Where is my order", "Hello?");
    let out = q
        .cmd()
        .args(["reply", &id.to_string(), "--body", "It left today."])
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(!printed.contains("sends it"), "{printed}");
    assert!(
        printed.contains("no mail transport") && printed.contains(".eml"),
        "{printed}"
    );
}
