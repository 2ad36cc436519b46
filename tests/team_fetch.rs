//! One fetcher per account on a shared PostgreSQL queue (issue 19), with real
//! processes, a throwaway cluster and a local Dovecot: of two `fetch --watch` on one
//! mailbox one fetches and the other says once that it waits; when the first dies
//! the second takes over, and no message is stored twice. A console started while
//! a `fetch --watch` holds the mailbox says the same on its status bar, and `doctor`
//! names who holds which account. Every wait is on the programs' own output or on
//! the queue, within a deadline.

#![cfg(unix)]

mod support;

#[path = "support/pg.rs"]
mod pg;

#[path = "support/bot_api.rs"]
mod bot_api;

#[path = "support/test_ca.rs"]
mod test_ca;

#[path = "support/dovecot.rs"]
mod dovecot;

use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use dovecot::{Dovecot, PASSWORD, USER};
use firstline::store::Store;
use support::{cli, Console};

const DEADLINE: Duration = Duration::from_secs(60);
const WAITING: &str = "another firstline is fetching support@shop.example (waiting)";

fn mail(subject: &str, id: &str) -> Vec<u8> {
    format!(
        "From: ann@customer.example\r\nTo: {USER}\r\nSubject: {subject}\r\n\
         Date: Mon, 30 Nov 2026 10:00:00 +0200\r\nMessage-ID: <{id}>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello\r\n"
    )
    .into_bytes()
}

/// Agent `name`'s settings with the test mailbox; the password comes from a file by
/// `password_command` (a console in a pty gets no extra environment here).
fn agent(dir: &Path, name: &str, server: &Dovecot) -> PathBuf {
    let secret = dir.join("imap-password");
    std::fs::write(&secret, PASSWORD).unwrap();
    let path = dir.join(format!("{name}.toml"));
    std::fs::write(
        &path,
        format!(
            "[agent]\nname = \"{name}\"\nemail = \"{USER}\"\n\n\
             [[mail.accounts]]\nname = \"shop\"\nimap = \"127.0.0.1:{}\"\nuser = \"{USER}\"\n\
             password_command = \"cat {}\"\nsince = \"all\"\n",
            server.port,
            secret.display()
        ),
    )
    .unwrap();
    path
}

/// A `fetch --watch` of agent `config`, its output into files in `dir`.
struct Watcher {
    child: Child,
    out: PathBuf,
    err: PathBuf,
}

impl Watcher {
    fn start(url: &Path, config: &Path, dir: &Path, name: &str) -> Watcher {
        let out = dir.join(format!("{name}.out"));
        let err = dir.join(format!("{name}.err"));
        let child = cli(url, config)
            .args(["fetch", "--watch"])
            .env("FIRSTLINE_TEST_BOT_TOKEN", bot_api::TOKEN)
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out).unwrap())
            .stderr(std::fs::File::create(&err).unwrap())
            .spawn()
            .unwrap();
        Watcher { child, out, err }
    }

    fn stdout(&self) -> String {
        std::fs::read_to_string(&self.out).unwrap_or_default()
    }

    fn stderr(&self) -> String {
        std::fs::read_to_string(&self.err).unwrap_or_default()
    }

    /// Waits until the watcher printed `text` to stdout or stderr.
    fn wait_for(&mut self, text: &str) {
        let start = Instant::now();
        while !self.stdout().contains(text) && !self.stderr().contains(text) {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "fetch --watch exited ({status}) before saying {text:?}:\n{}\n{}",
                    self.stdout(),
                    self.stderr()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "{text:?} never said:\n{}\n{}",
                self.stdout(),
                self.stderr()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Watcher {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the queue holds a ticket with `subject`.
fn wait_for_ticket(url: &str, subject: &str) {
    let start = Instant::now();
    let store = Store::open_url(url).unwrap();
    while !store
        .tickets()
        .unwrap()
        .iter()
        .any(|t| t.subject == subject)
    {
        assert!(start.elapsed() < DEADLINE, "{subject:?} never stored");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Every message's Message-ID in the queue, sorted.
fn message_ids(url: &str) -> Vec<String> {
    let store = Store::open_url(url).unwrap();
    let mut ids: Vec<String> = store
        .tickets()
        .unwrap()
        .iter()
        .flat_map(|t| store.ticket_detail(t.id).unwrap().messages)
        .filter_map(|m| m.message_id)
        .collect();
    ids.sort();
    ids
}

#[test]
fn two_fetch_watches_on_one_mailbox_fetch_once_and_the_second_takes_over() {
    let server = Dovecot::start();
    let db = pg::fresh_db();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let olena = agent(dir.path(), "Olena", &server);
    let petro = agent(dir.path(), "Petro", &server);
    server.append("INBOX", &mail("First", "m1@c"), false, None);

    let mut first = Watcher::start(Path::new(&url), &olena, dir.path(), "olena");
    wait_for_ticket(&url, "First");
    let mut second = Watcher::start(Path::new(&url), &petro, dir.path(), "petro");
    second.wait_for(WAITING);

    // doctor names who holds the mailbox.
    let doctor = cli(Path::new(&url), &petro).arg("doctor").output().unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        report.contains("fetcher       support@shop.example by Olena on"),
        "{report}"
    );
    assert!(!report.contains(PASSWORD), "{report}");

    // New mail while both run: the holder takes it in, the waiting one does not.
    server.append("INBOX", &mail("Second", "m2@c"), false, None);
    wait_for_ticket(&url, "Second");
    first.wait_for("shop: imported 1 message");
    assert!(!second.stdout().contains("imported"), "{}", second.stdout());

    // The holder dies without a word (kill -9): its session ends, the lock with it,
    // and the waiting watch takes over.
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    second.wait_for("shop: fetching here now (the other firstline stopped)");
    server.append("INBOX", &mail("Third", "m3@c"), false, None);
    wait_for_ticket(&url, "Third");
    second.wait_for("shop: imported 1 message");

    assert_eq!(message_ids(&url), ["m1@c", "m2@c", "m3@c"]);
    let said = second.stderr();
    assert_eq!(said.matches(WAITING).count(), 1, "said once:\n{said}");
    assert_eq!(said.matches("another firstline").count(), 1, "{said}");
    assert!(!said.contains(PASSWORD), "{said}");
}

#[test]
fn a_single_fetch_skips_a_mailbox_a_watch_holds() {
    let server = Dovecot::start();
    let db = pg::fresh_db();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let olena = agent(dir.path(), "Olena", &server);
    let petro = agent(dir.path(), "Petro", &server);
    server.append("INBOX", &mail("First", "m1@c"), false, None);
    let _watch = Watcher::start(Path::new(&url), &olena, dir.path(), "olena");
    wait_for_ticket(&url, "First");
    let once = cli(Path::new(&url), &petro).arg("fetch").output().unwrap();
    let err = String::from_utf8_lossy(&once.stderr);
    assert!(once.status.success(), "{err}");
    assert_eq!(
        err.trim(),
        "firstline: shop: another firstline is fetching support@shop.example (skipped)"
    );
    assert_eq!(message_ids(&url), ["m1@c"]);
}

#[test]
fn a_console_on_the_shared_queue_says_another_firstline_fetches_its_mailbox() {
    let server = Dovecot::start();
    let db = pg::fresh_db();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let olena = agent(dir.path(), "Olena", &server);
    let petro = agent(dir.path(), "Petro", &server);
    server.append("INBOX", &mail("First", "m1@c"), false, None);
    let mut watch = Watcher::start(Path::new(&url), &olena, dir.path(), "olena");
    wait_for_ticket(&url, "First");

    let url_path = PathBuf::from(&url);
    let mut console = Console::start_args(&url_path, &petro, &["--no-demo"]);
    console.wait_for("another firstline is fetching");
    // The watch stops; the console's intake takes the mailbox over and fetches.
    watch.child.kill().unwrap();
    watch.child.wait().unwrap();
    server.append("INBOX", &mail("Taken over", "m2@c"), false, None);
    wait_for_ticket(&url, "Taken over");
    console.send("q");
    assert!(console.wait_exit().success());
    assert_eq!(message_ids(&url), ["m1@c", "m2@c"]);
}

#[test]
fn two_fetch_watches_of_one_telegram_bot_poll_once_and_the_second_takes_over() {
    let api = bot_api::FakeBotApi::start();
    let db = pg::fresh_db();
    let url = db.url();
    let dir = tempfile::tempdir().unwrap();
    let config = |name: &str| {
        let path = dir.path().join(format!("{name}.toml"));
        std::fs::write(
            &path,
            format!("[agent]\nname = \"{name}\"\n\n{}", api.config_section("")),
        )
        .unwrap();
        path
    };
    let (olena, petro) = (config("Olena"), config("Petro"));
    api.push(bot_api::text_from(&bot_api::JOHN, 1, "Hello, anyone?"));
    let mut first = Watcher::start(Path::new(&url), &olena, dir.path(), "olena");
    first.wait_for("1 new message");
    let mut second = Watcher::start(Path::new(&url), &petro, dir.path(), "petro");
    let waiting = "another firstline is fetching Telegram bot 7012345678 (waiting)";
    second.wait_for(waiting);

    first.child.kill().unwrap();
    first.child.wait().unwrap();
    second.wait_for("telegram: polling here now (the other firstline stopped)");
    api.push(bot_api::text_from(&bot_api::JOHN, 2, "Still there?"));
    second.wait_for("1 new message");

    let store = Store::open_url(&url).unwrap();
    let bodies: Vec<String> = store
        .tickets()
        .unwrap()
        .iter()
        .flat_map(|t| store.messages(t.id).unwrap())
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["Hello, anyone?", "Still there?"]);
    assert!(!first.stdout().contains("Still there"));
    for text in [second.stdout(), second.stderr()] {
        assert!(!text.contains(bot_api::TOKEN_SECRET), "{text}");
    }
    assert_eq!(
        second.stderr().matches(waiting).count(),
        1,
        "{}",
        second.stderr()
    );
}
