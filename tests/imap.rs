//! Live mail against a real Dovecot (started per test by `support/dovecot.rs` on a
//! free 127.0.0.1 port): first sync with Cyrillic charsets, an attachment and a
//! 20 MB message; resume after the connection is cut mid-fetch; UIDVALIDITY change;
//! wrong password and other one-line errors; keep / seen / move; the Sent folder;
//! TLS with a test CA; IDLE; replies copied into Sent. A machine without Dovecot
//! fails these with `apt-get install -y dovecot-imapd`.

#![cfg(unix)]

use std::path::Path;
use std::time::{Duration, Instant};

use firstline::config::Config;
use firstline::mail::imap::{self, Account, FetchOptions};
use firstline::mail::{ImportOptions, ProgressEvent};
use firstline::model::Direction;
use firstline::store::Store;
use serde_json::Value;

#[path = "support/mod.rs"]
mod support;
use support::cli;

#[path = "support/test_ca.rs"]
mod test_ca;

#[path = "support/dovecot.rs"]
mod dovecot;

#[path = "support/smtp.rs"]
mod smtp;
use dovecot::{Dovecot, TestCa, PASSWORD, USER};

const PASSWORD_ENV: &str = "FL_TEST_IMAP_PASSWORD";
const DEADLINE: Duration = Duration::from_secs(60);

// ---- mail to deliver -------------------------------------------------------------

fn plain_mail(from: &str, subject: &str, id: &str, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {USER}\r\nSubject: {subject}\r\nDate: Mon, 30 Nov 2026 10:00:00 +0200\r\n\
         Message-ID: <{id}>\r\n{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    )
    .into_bytes()
}

/// Cyrillic text in windows-1251 or KOI8-R, as old mail clients send it.
fn encode_cyrillic(text: &str, koi8: bool) -> Vec<u8> {
    const KOI8_LOWER: &str = "юабцдефгхийклмнопярстужвьызшэщчъ";
    const KOI8_UPPER: &str = "ЮАБЦДЕФГХИЙКЛМНОПЯРСТУЖВЬЫЗШЭЩЧЪ";
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                return c as u8;
            }
            if koi8 {
                if let Some(i) = KOI8_LOWER.chars().position(|k| k == c) {
                    return 0xC0 + i as u8;
                }
                if let Some(i) = KOI8_UPPER.chars().position(|k| k == c) {
                    return 0xE0 + i as u8;
                }
                panic!("no KOI8-R byte for {c}");
            }
            match c {
                'А'..='я' => (c as u32 - 'А' as u32 + 0xC0) as u8,
                'і' => 0xB3,
                'І' => 0xB2,
                'ї' => 0xBF,
                'є' => 0xBA,
                _ => panic!("no windows-1251 byte for {c}"),
            }
        })
        .collect()
}

/// `=?charset?Q?…?=` for a subject in a legacy charset.
fn q_word(charset: &str, bytes: &[u8]) -> String {
    let mut out = format!("=?{charset}?Q?");
    for b in bytes {
        if b.is_ascii_alphanumeric() {
            out.push(*b as char);
        } else if *b == b' ' {
            out.push('_');
        } else {
            out.push_str(&format!("={b:02X}"));
        }
    }
    out.push_str("?=");
    out
}

fn legacy_mail(charset: &str, koi8: bool, subject: &str, body: &str, id: &str) -> Vec<u8> {
    let mut raw = format!(
        "From: =?utf-8?Q?Ivan?= <ivan@customer.example>\r\nTo: {USER}\r\nSubject: {}\r\n\
         Date: Mon, 30 Nov 2026 11:00:00 +0200\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        q_word(charset, &encode_cyrillic(subject, koi8))
    )
    .into_bytes();
    raw.extend(encode_cyrillic(body, koi8));
    raw.extend_from_slice(b"\r\n");
    raw
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() * 4 / 3 + data.len() / 57 * 2 + 8);
    for (n, chunk) in data.chunks(3).enumerate() {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(v >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
        if n % 19 == 18 {
            out.push_str("\r\n");
        }
    }
    out
}

/// Pseudo-random bytes that do not compress into nothing.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn with_attachment(id: &str, subject: &str, name: &str, content: &[u8]) -> Vec<u8> {
    format!(
        "From: Olena <olena@customer.example>\r\nTo: {USER}\r\nSubject: {subject}\r\n\
         Date: Mon, 30 Nov 2026 12:00:00 +0200\r\nMessage-ID: <{id}>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\r\nThe file is attached.\r\n--b1\r\n\
         Content-Type: application/octet-stream; name=\"{name}\"\r\n\
         Content-Disposition: attachment; filename=\"{name}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64(content)
    )
    .into_bytes()
}

// ---- running firstline ------------------------------------------------------------

fn config_text(server: &Dovecot, extra: &str) -> String {
    format!(
        "[agent]\nname = \"Olena Test\"\nemail = \"{USER}\"\n\n{}",
        server.account_toml("shop", extra)
    )
}

struct Desk {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    config: std::path::PathBuf,
}

impl Desk {
    fn new(text: &str) -> Desk {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("queue.db");
        let config = dir.path().join("config.toml");
        std::fs::write(&config, text).unwrap();
        Desk {
            _dir: dir,
            db,
            config,
        }
    }

    fn set_config(&self, text: &str) {
        std::fs::write(&self.config, text).unwrap();
    }

    fn fetch(&self, args: &[&str]) -> std::process::Output {
        let mut cmd = cli(&self.db, &self.config);
        cmd.arg("--no-demo")
            .arg("fetch")
            .args(args)
            .env(PASSWORD_ENV, PASSWORD);
        cmd.output().unwrap()
    }

    fn fetch_json(&self) -> Value {
        let out = self.fetch(&["--json"]);
        assert!(
            out.status.success(),
            "fetch failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        // Each key once: `"account"` was printed twice (found by the new-user trial).
        let text = String::from_utf8_lossy(&out.stdout);
        assert_eq!(text.matches("\"account\"").count(), 1, "{text}");
        // One JSON document per account (and per Telegram round).
        let first: Value = serde_json::Deserializer::from_slice(&out.stdout)
            .into_iter()
            .next()
            .expect("a JSON summary")
            .unwrap();
        assert_eq!(first["channel"], "imap", "{first}");
        first
    }

    fn store(&self) -> Store {
        Store::open(&self.db).unwrap()
    }
}

/// Every ticket as (subject, [(direction, Message-ID, body start)]), in a stable
/// order: what two runs are compared by.
/// (direction, Message-ID, the body's first 40 characters).
type MessageShot = (String, String, String);

fn snapshot(db: &Path) -> Vec<(String, Vec<MessageShot>)> {
    let store = Store::open(db).unwrap();
    let mut out: Vec<_> = store
        .tickets()
        .unwrap()
        .into_iter()
        .map(|t| {
            let mut messages: Vec<_> = store
                .messages(t.id)
                .unwrap()
                .into_iter()
                .map(|m| {
                    (
                        format!("{:?}", m.direction),
                        m.message_id.unwrap_or_default(),
                        m.body.chars().take(40).collect::<String>(),
                    )
                })
                .collect();
            messages.sort();
            (t.subject, messages)
        })
        .collect();
    out.sort();
    out
}

fn message_count(db: &Path) -> usize {
    snapshot(db).iter().map(|(_, m)| m.len()).sum()
}

fn in_process_account(server: &Dovecot, extra: &str) -> (Config, Account) {
    std::env::set_var(PASSWORD_ENV, PASSWORD);
    let config = Config::parse(&config_text(server, extra)).unwrap();
    let account = Account::from_config(&config.mail.accounts[0], None).unwrap();
    (config, account)
}

// ---- tests ------------------------------------------------------------------------

#[test]
fn first_sync_imports_cyrillic_charsets_an_attachment_read_mail_and_a_20_mb_message() {
    let server = Dovecot::start();
    server.append(
        "INBOX",
        &legacy_mail(
            "windows-1251",
            false,
            "Замовлення не прийшло",
            "Добрий день, де моє замовлення?",
            "cp1251@customer.example",
        ),
        false,
        None,
    );
    server.append(
        "INBOX",
        &legacy_mail(
            "koi8-r",
            true,
            "Возврат денег",
            "Здравствуйте, верните деньги",
            "koi8@customer.example",
        ),
        false,
        None,
    );
    let invoice = noise(40_000, 7);
    server.append(
        "INBOX",
        &with_attachment(
            "att@customer.example",
            "Invoice attached",
            "invoice.pdf",
            &invoice,
        ),
        false,
        None,
    );
    // Read on the user's phone already: fetched all the same (by UID, not UNSEEN).
    server.append(
        "INBOX",
        &plain_mail(
            "Petro <petro@customer.example>",
            "Already read elsewhere",
            "seen@customer.example",
            "I wrote before.",
            "",
        ),
        true,
        None,
    );
    let big = noise(15 * 1024 * 1024, 11);
    let big_mail = with_attachment("big@customer.example", "Scans", "scans.zip", &big);
    assert!(big_mail.len() > 20_000_000, "{}", big_mail.len());
    server.append("INBOX", &big_mail, false, None);

    let desk = Desk::new(&config_text(&server, ""));
    let summary = desk.fetch_json();
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["import"]["added"], 5, "{summary}");
    assert_eq!(summary["folders"][0]["new_messages"], 5, "{summary}");

    let shot = snapshot(&desk.db);
    let subjects: Vec<&str> = shot.iter().map(|(s, _)| s.as_str()).collect();
    for wanted in [
        "Замовлення не прийшло",
        "Возврат денег",
        "Invoice attached",
        "Already read elsewhere",
        "Scans",
    ] {
        assert!(subjects.contains(&wanted), "{wanted} not in {subjects:?}");
    }
    let bodies: Vec<&str> = shot
        .iter()
        .flat_map(|(_, m)| m.iter().map(|(_, _, b)| b.as_str()))
        .collect();
    assert!(
        bodies.iter().any(|b| b.starts_with("Добрий день")),
        "{bodies:?}"
    );
    assert!(
        bodies.iter().any(|b| b.starts_with("Здравствуйте")),
        "{bodies:?}"
    );

    // Attachments are kept as for imported files: content-addressed beside the queue.
    let store = desk.store();
    let attachments: Vec<_> = store
        .tickets()
        .unwrap()
        .into_iter()
        .flat_map(|t| store.messages(t.id).unwrap())
        .flat_map(|m| m.attachments)
        .collect();
    let pdf = attachments
        .iter()
        .find(|a| a.filename == "invoice.pdf")
        .unwrap();
    assert_eq!(pdf.size, invoice.len() as u64);
    let zip = attachments
        .iter()
        .find(|a| a.filename == "scans.zip")
        .unwrap();
    assert_eq!(zip.size, big.len() as u64);
    let stored = desk.db.with_file_name("queue.attachments").join(
        zip.sha256
            .as_ref()
            .expect("a 15 MB attachment is under the 25 MB limit"),
    );
    assert_eq!(std::fs::metadata(stored).unwrap().len(), big.len() as u64);

    // `keep` (the default) changes nothing on the server: unread mail stays unread.
    let flags = server.messages("INBOX");
    assert_eq!(
        flags.iter().filter(|(_, seen)| *seen).count(),
        1,
        "{flags:?}"
    );

    // Fetching again finds nothing new.
    let again = desk.fetch_json();
    assert_eq!(again["import"]["added"], 0, "{again}");
    assert_eq!(again["folders"][0]["new_messages"], 0, "{again}");
    assert_eq!(message_count(&desk.db), 5);
}

/// Thirty messages of about 1 MB: the importer holds at most a few megabytes ahead
/// of its commits, so when the connection is cut after the first commits most of the
/// folder is still on the server.
fn fill_for_resume(server: &Dovecot) {
    for i in 0..30 {
        let raw = if i % 3 == 2 {
            // A follow-up that threads into the previous customer's ticket.
            plain_mail(
                &format!("Customer {} <c{}@customer.example>", i - 1, i - 1),
                &format!("Re: Order {}", i - 1),
                &format!("m{i}@customer.example"),
                "Any news?",
                &format!("In-Reply-To: <m{}@customer.example>\r\n", i - 1),
            )
        } else {
            with_attachment(
                &format!("m{i}@customer.example"),
                &format!("Order {i}"),
                &format!("photo{i}.jpg"),
                &noise(700_000, i as u64 + 1),
            )
        };
        server.append("INBOX", &raw, false, None);
    }
}

fn small_batches() -> FetchOptions {
    FetchOptions {
        import: ImportOptions {
            batch_size: 2,
            ..Default::default()
        },
        chunk_messages: 2,
        retries: 0,
        backoff: Duration::from_millis(50),
    }
}

/// Fetches with the connection cut (by `cut`) once `after` messages are committed.
fn fetch_cut(
    db: &Path,
    config: &Config,
    account: &Account,
    options: &FetchOptions,
    after: usize,
    cut: &dyn Fn(),
) -> Result<imap::FetchSummary, imap::FetchError> {
    let mut store = Store::open(db).unwrap();
    let mut done = false;
    imap::fetch_account(
        &mut store,
        config,
        account,
        options,
        &mut |event: ProgressEvent| {
            if let ProgressEvent::Committed(n) = event {
                if n >= after && !done {
                    done = true;
                    cut();
                }
            }
        },
    )
}

#[test]
fn a_fetch_cut_mid_way_resumes_to_exactly_the_uninterrupted_result() {
    let mut server = Dovecot::start();
    fill_for_resume(&server);
    let (config, account) = in_process_account(&server, "");
    let dir = tempfile::tempdir().unwrap();

    let whole = dir.path().join("whole.db");
    let mut store = Store::open(&whole).unwrap();
    imap::fetch_account(&mut store, &config, &account, &small_batches(), &mut |_| {}).unwrap();
    drop(store);
    let expected = snapshot(&whole);
    assert_eq!(message_count(&whole), 30);

    // The connection is cut (doveadm kick) after 6 committed messages; no retries.
    let cut = dir.path().join("cut.db");
    let err = fetch_cut(&cut, &config, &account, &small_batches(), 6, &|| {
        server.kick()
    })
    .expect_err("the fetch must notice the cut connection");
    assert!(matches!(err, imap::FetchError::Lost(_)), "{err}");
    let kept = message_count(&cut);
    assert!(
        (6..30).contains(&kept),
        "{kept} messages committed before the cut"
    );
    // The next fetch resumes after what was committed and ends where an
    // uninterrupted one does: no message lost, none twice.
    let mut store = Store::open(&cut).unwrap();
    let resumed =
        imap::fetch_account(&mut store, &config, &account, &small_batches(), &mut |_| {}).unwrap();
    drop(store);
    assert_eq!(resumed.folders[0].new_messages, 30 - kept, "{resumed:?}");
    assert_eq!(snapshot(&cut), expected);

    // A server restart mid-fetch, with retries: one fetch reconnects and finishes.
    let restarted = dir.path().join("restart.db");
    let retrying = FetchOptions {
        retries: 5,
        ..small_batches()
    };
    let server_cell = std::cell::RefCell::new(&mut server);
    let summary = fetch_cut(&restarted, &config, &account, &retrying, 8, &|| {
        server_cell.borrow_mut().restart()
    })
    .unwrap();
    assert!(summary.reconnects >= 1, "{summary:?}");
    assert_eq!(snapshot(&restarted), expected);
}

#[test]
fn a_changed_uidvalidity_reads_the_folder_again_without_duplicates() {
    let server = Dovecot::start();
    for i in 0..3 {
        server.append(
            "INBOX",
            &plain_mail(
                "a@customer.example",
                &format!("Q{i}"),
                &format!("q{i}@c"),
                "hi",
                "",
            ),
            false,
            None,
        );
    }
    let desk = Desk::new(&config_text(&server, ""));
    assert_eq!(desk.fetch_json()["import"]["added"], 3);
    server.set_uidvalidity("INBOX", 777);
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "Q3", "q3@c", "hi", ""),
        false,
        None,
    );
    let after = desk.fetch_json();
    assert_eq!(after["folders"][0]["uidvalidity_changed"], true, "{after}");
    assert_eq!(after["folders"][0]["new_messages"], 4, "{after}");
    assert_eq!(after["import"]["added"], 1, "{after}");
    assert_eq!(
        after["import"]["formats"]["imap"]["duplicates"], 3,
        "{after}"
    );
    assert_eq!(message_count(&desk.db), 4);
}

/// Found by the new-user trial: after a server migration changed UIDVALIDITY,
/// `move:Archive` moved every message, including those fetched earlier under `keep`.
#[test]
fn a_changed_uidvalidity_moves_only_mail_that_arrives_after_it() {
    let server = Dovecot::start();
    server.create("Archive");
    for i in 0..3 {
        let mail = plain_mail(
            "a@customer.example",
            &format!("K{i}"),
            &format!("k{i}@c"),
            "hi",
            "",
        );
        server.append("INBOX", &mail, false, None);
    }
    let desk = Desk::new(&config_text(&server, ""));
    assert_eq!(desk.fetch_json()["import"]["added"], 3);
    desk.set_config(&config_text(&server, "after_fetch = \"move:Archive\""));
    server.set_uidvalidity("INBOX", 778);
    let after = desk.fetch_json();
    assert_eq!(after["folders"][0]["uidvalidity_changed"], true, "{after}");
    assert_eq!(
        server.messages("INBOX").len(),
        3,
        "kept mail stays where it was"
    );
    assert_eq!(server.messages("Archive").len(), 0);
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "New", "new@c", "hi", ""),
        false,
        None,
    );
    assert_eq!(desk.fetch_json()["import"]["added"], 1);
    assert_eq!(server.messages("INBOX").len(), 3);
    assert_eq!(server.messages("Archive").len(), 1, "new mail is moved");
}

fn one_line_error(out: &std::process::Output) -> String {
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stderr.contains(PASSWORD) && !stdout.contains(PASSWORD));
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn wrong_password_unknown_host_and_missing_folder_are_one_line_each_with_exit_2() {
    let server = Dovecot::start();
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Hello", "h1@c", "hi", ""),
        false,
        None,
    );
    let desk = Desk::new(&config_text(&server, ""));

    let mut cmd = cli(&desk.db, &desk.config);
    let wrong = "wr0ng-Pa55word-xyz";
    let out = cmd
        .args(["--no-demo", "fetch"])
        .env(PASSWORD_ENV, wrong)
        .output()
        .unwrap();
    let line = one_line_error(&out);
    assert!(!line.contains(wrong), "{line}");
    assert!(line.contains("shop: login failed"), "{line}");
    assert!(
        line.contains("check password_env FL_TEST_IMAP_PASSWORD"),
        "{line}"
    );

    let out = cli(&desk.db, &desk.config)
        .args(["--no-demo", "fetch"])
        .env_remove(PASSWORD_ENV)
        .output()
        .unwrap();
    let line = one_line_error(&out);
    assert!(
        line.contains("password_env FL_TEST_IMAP_PASSWORD is not set"),
        "{line}"
    );

    desk.set_config(&config_text(&server, "").replace("127.0.0.1:", "no-such-host.invalid:"));
    let line = one_line_error(&desk.fetch(&[]));
    assert!(
        line.contains("cannot find the server no-such-host.invalid"),
        "{line}"
    );

    desk.set_config(&config_text(&server, "folders = [\"INBOX\", \"Nope\"]"));
    let out = desk.fetch(&[]);
    let line = one_line_error(&out);
    assert!(line.contains("folder 'Nope' does not exist"), "{line}");
    // The folder that exists was read all the same.
    assert_eq!(message_count(&desk.db), 1);
}

/// Found by the new-user trial: an account pointed at an SMTP port hung `fetch` for
/// minutes without a word (the greeting never parsed, each retry waited a minute).
#[test]
fn a_port_that_is_not_imap_is_one_line_naming_what_answered() {
    let server = Dovecot::start();
    let smtp_like = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = smtp_like.local_addr().unwrap().port();
    let answering = std::thread::spawn(move || {
        use std::io::{Read, Write};
        // Every connection the fetch makes gets an SMTP greeting, then silence.
        for stream in smtp_like.incoming().take(1) {
            let mut stream = stream.unwrap();
            stream
                .write_all(b"220 mail.example ESMTP ready\r\n")
                .unwrap();
            let mut rest = Vec::new();
            let _ = stream.read_to_end(&mut rest);
        }
    });
    let text = config_text(&server, "");
    let at = text
        .lines()
        .find(|l| l.starts_with("imap = "))
        .expect("the account has an imap line")
        .to_string();
    let desk = Desk::new(&text.replace(&at, &format!("imap = \"127.0.0.1:{port}\"")));
    let line = one_line_error(&desk.fetch(&[]));
    assert!(
        line.contains(&format!("127.0.0.1:{port} is not an IMAP server")),
        "{line}"
    );
    assert!(line.contains("220 mail.example ESMTP ready"), "{line}");
    // One connection, no retries against a server that will never speak IMAP.
    answering.join().unwrap();
}

#[test]
fn after_fetch_keep_seen_and_move_act_only_on_committed_mail() {
    let server = Dovecot::start();
    server.create("Archive");
    let mail = |n: u32| {
        plain_mail(
            "a@customer.example",
            &format!("M{n}"),
            &format!("m{n}@c"),
            "hi",
            "",
        )
    };
    server.append("INBOX", &mail(1), false, None);
    server.append("INBOX", &mail(2), false, None);
    let desk = Desk::new(&config_text(&server, "after_fetch = \"keep\""));
    desk.fetch_json();
    assert_eq!(server.messages("INBOX"), vec![(1, false), (2, false)]);

    server.append("INBOX", &mail(3), false, None);
    desk.set_config(&config_text(&server, "after_fetch = \"seen\""));
    let seen = desk.fetch_json();
    assert_eq!(seen["import"]["added"], 1, "{seen}");
    // Only the mail fetched while `seen` was set is marked.
    assert_eq!(
        server.messages("INBOX"),
        vec![(1, false), (2, false), (3, true)]
    );

    server.append("INBOX", &mail(4), false, None);
    desk.set_config(&config_text(&server, "after_fetch = \"move:Archive\""));
    let moved = desk.fetch_json();
    assert_eq!(moved["import"]["added"], 1, "{moved}");
    assert_eq!(server.messages("INBOX").len(), 3);
    assert_eq!(server.messages("Archive").len(), 1);
    assert_eq!(message_count(&desk.db), 4);

    // A move to a folder that is not there is one line; the mail stays in INBOX.
    server.append("INBOX", &mail(5), false, None);
    desk.set_config(&config_text(&server, "after_fetch = \"move:Gone\""));
    let line = one_line_error(&desk.fetch(&[]));
    assert!(line.contains("move:Gone"), "{line}");
    assert_eq!(server.messages("INBOX").len(), 4);
    assert_eq!(message_count(&desk.db), 5);
}

#[test]
fn the_sent_folder_threads_the_users_own_replies() {
    let server = Dovecot::start();
    server.create("Sent");
    server.append(
        "INBOX",
        &plain_mail(
            "Ivan <ivan@customer.example>",
            "Where is my parcel?",
            "ask@customer.example",
            "It has been a week.",
            "",
        ),
        false,
        // Received when it was written: fetched mail is placed at its arrival.
        Some(chrono::DateTime::parse_from_rfc3339("2026-11-30T10:00:00+02:00").unwrap()),
    );
    server.append(
        "Sent",
        &format!(
            "From: Olena <{USER}>\r\nTo: Ivan <ivan@customer.example>\r\nSubject: Re: Where is my parcel?\r\n\
             Date: Mon, 30 Nov 2026 13:00:00 +0200\r\nMessage-ID: <reply@shop.example>\r\n\
             In-Reply-To: <ask@customer.example>\r\nReferences: <ask@customer.example>\r\n\r\nIt left today.\r\n"
        )
        .into_bytes(),
        true,
        None,
    );
    let desk = Desk::new(&config_text(&server, "sent_folder = \"Sent\""));
    let summary = desk.fetch_json();
    assert_eq!(summary["import"]["added"], 2, "{summary}");
    let store = desk.store();
    let tickets = store.tickets().unwrap();
    assert_eq!(tickets.len(), 1);
    let messages = store.messages(tickets[0].id).unwrap();
    assert_eq!(
        messages.iter().map(|m| m.direction).collect::<Vec<_>>(),
        vec![Direction::Inbound, Direction::Outbound]
    );
    assert!(tickets[0].first_response_at.is_some());
    // The Sent folder is never changed on the server.
    assert_eq!(server.messages("Sent"), vec![(1, true)]);
}

#[test]
fn tls_with_a_private_ca_over_starttls_and_implicit_tls() {
    let ca = TestCa::new();
    let server = Dovecot::start_tls(&ca);
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Over TLS", "tls@c", "hi", ""),
        false,
        None,
    );
    let desk = Desk::new(&config_text(&server, ""));
    let ca_file = desk.config.with_file_name("office-ca.pem");
    std::fs::write(&ca_file, &ca.ca_pem).unwrap();

    // Without the CA the certificate is refused, in `watch`'s words.
    let line = one_line_error(&desk.fetch(&[]));
    assert!(line.contains("TLS: certificate not trusted"), "{line}");
    assert!(line.contains("set ca_file"), "{line}");
    assert_eq!(message_count(&desk.db), 0);

    // STARTTLS on the ordinary port, the CA named relative to the settings file.
    desk.set_config(&config_text(&server, "ca_file = \"office-ca.pem\""));
    assert_eq!(desk.fetch_json()["import"]["added"], 1);

    // TLS from the first byte on the imaps port.
    let tls_port = server.tls_port.unwrap();
    desk.set_config(
        &config_text(&server, "ca_file = \"office-ca.pem\"\nsecurity = \"tls\"").replace(
            &format!("127.0.0.1:{}", server.port),
            &format!("127.0.0.1:{tls_port}"),
        ),
    );
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "Over TLS too", "tls2@c", "hi", ""),
        false,
        None,
    );
    assert_eq!(desk.fetch_json()["import"]["added"], 1);
}

#[test]
fn an_expired_certificate_is_named_as_such() {
    let ca = TestCa::expired();
    let server = Dovecot::start_tls(&ca);
    let desk = Desk::new(&config_text(&server, "ca_file = \"office-ca.pem\""));
    std::fs::write(desk.config.with_file_name("office-ca.pem"), &ca.ca_pem).unwrap();
    let out = desk.fetch(&[]);
    let line = one_line_error(&out);
    assert!(line.contains("shop: TLS: certificate expired"), "{line}");
}

#[test]
fn mail_arriving_while_watching_is_fetched_through_idle() {
    let server = Dovecot::start();
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Before", "before@c", "hi", ""),
        false,
        None,
    );
    let (config, account) = in_process_account(&server, "");
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.db");
    Store::open(&db).unwrap();
    let stop = imap::StopSignal::new();
    // Neither polling nor renewing IDLE within the test: only the server's push can
    // bring the new mail in.
    let options = imap::WatchOptions {
        idle_refresh: Duration::from_secs(3600),
        poll_every: Duration::from_secs(3600),
        ..Default::default()
    };
    let (events, news) = std::sync::mpsc::channel();
    std::thread::scope(|scope| {
        let watcher = scope.spawn(|| {
            let mut store = Store::open(&db).unwrap();
            imap::watch_account(&mut store, &config, &account, &options, &stop, &mut |e| {
                let _ = events.send(format!("{e:?}"));
            });
        });
        let first = news.recv_timeout(DEADLINE).expect("the first fetch");
        assert!(first.starts_with("Fetched"), "{first}");
        assert_eq!(message_count(&db), 1);

        let sent = Instant::now();
        server.append(
            "INBOX",
            &plain_mail("b@customer.example", "While watching", "during@c", "hi", ""),
            false,
            None,
        );
        loop {
            if message_count(&db) == 2 {
                break;
            }
            assert!(
                sent.elapsed() < DEADLINE,
                "new mail never arrived while watching"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        eprintln!(
            "new mail stored {} ms after delivery",
            sent.elapsed().as_millis()
        );

        // Stopping cuts IDLE short: the thread ends without waiting for the server.
        let asked = Instant::now();
        stop.stop();
        watcher.join().unwrap();
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "{:?}",
            asked.elapsed()
        );
    });
}

#[test]
fn replies_sent_from_firstline_are_copied_into_the_sent_folder() {
    let server = Dovecot::start();
    server.create("Sent");
    server.append(
        "INBOX",
        &plain_mail(
            "Ivan <ivan@customer.example>",
            "Refund?",
            "refund@customer.example",
            "Can I get a refund?",
            "",
        ),
        false,
        None,
    );
    let desk = Desk::new(&format!(
        "{}\n[mail]\nsendmail = \"cat > /dev/null\"\nundo_seconds = 0\n",
        config_text(&server, "sent_folder = \"Sent\"\nappend_sent = true")
    ));
    assert_eq!(desk.fetch_json()["import"]["added"], 1);
    let ticket = desk.store().tickets().unwrap()[0].id;
    let out = cli(&desk.db, &desk.config)
        .args([
            "reply",
            &ticket.to_string(),
            "--body",
            "Yes, it is on its way back.",
        ])
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = cli(&desk.db, &desk.config)
        .args(["outbox", "flush"])
        .env(PASSWORD_ENV, PASSWORD)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("sent reply"),
        "{text}"
    );
    assert!(!text.contains("not copied"), "{text}");
    assert_eq!(server.messages("Sent"), vec![(1, true)]);

    // Fetching the Sent folder afterwards finds it stored already.
    let again = desk.fetch_json();
    assert_eq!(again["import"]["added"], 0, "{again}");
    assert_eq!(
        again["import"]["formats"]["imap"]["duplicates"], 1,
        "{again}"
    );
}

#[test]
fn the_first_sync_reaches_back_only_to_since_and_later_mail_is_all_read() {
    let server = Dovecot::start();
    let old = chrono::DateTime::parse_from_rfc3339("2020-03-01T10:00:00+00:00").unwrap();
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Ancient", "old1@c", "hi", ""),
        false,
        Some(old),
    );
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "Recent", "new1@c", "hi", ""),
        false,
        // Received two days ago, inside `since`: fetched mail is placed at its arrival.
        Some((chrono::Utc::now() - chrono::Duration::days(2)).fixed_offset()),
    );
    let desk = Desk::new(&config_text(&server, "").replace("since = \"all\"", "since = \"30d\""));
    let first = desk.fetch_json();
    assert_eq!(first["import"]["added"], 1, "{first}");
    assert_eq!(snapshot(&desk.db)[0].0, "Recent");
    // Mail arriving after the first sync is read whatever its date says.
    server.append(
        "INBOX",
        &plain_mail("c@customer.example", "Late arrival", "new2@c", "hi", ""),
        false,
        Some(old),
    );
    assert_eq!(desk.fetch_json()["import"]["added"], 1);
    assert_eq!(message_count(&desk.db), 2);

    // Both customers' mail arrived long ago: archiving what is older than a day
    // (after a fetch that brings nothing) closes both, as after an import.
    let out = desk.fetch(&["--archive-older-than", "1d"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("archived: 2 waiting tickets"), "{text}");
}

#[test]
fn the_console_fetches_on_start_shows_each_account_and_new_mail_while_it_runs() {
    let server = Dovecot::start();
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "First question", "q1@c", "hi", ""),
        false,
        None,
    );
    let desk = Desk::new(&config_text(&server, ""));
    Store::open(&desk.db).unwrap(); // an empty queue: no welcome tickets
    let mut console = support::Console::start_env(
        &desk.db,
        &desk.config,
        &[(PASSWORD_ENV, Path::new(PASSWORD))],
    );
    console.wait_for("First question");
    console.wait_for("shop ✓ just now");

    let sent = Instant::now();
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "Arrived while open", "q2@c", "hi", ""),
        false,
        None,
    );
    console.wait_for("Arrived while open");
    eprintln!("on screen {} ms after delivery", sent.elapsed().as_millis());

    // Quitting stops the account's thread even while it waits in IDLE.
    console.send("q");
    assert!(console.wait_exit().success());
}

#[test]
fn the_console_says_when_an_account_cannot_log_in() {
    let server = Dovecot::start();
    let desk = Desk::new(&config_text(&server, ""));
    Store::open(&desk.db).unwrap();
    let wrong = "not-the-Pa55word";
    let mut console =
        support::Console::start_env(&desk.db, &desk.config, &[(PASSWORD_ENV, Path::new(wrong))]);
    let screen = console.wait_for("shop: login failed — check password_env");
    assert!(!screen.contains(wrong));
    console.send("q");
    assert!(console.wait_exit().success());
    assert!(!String::from_utf8_lossy(&console.raw_bytes()).contains(wrong));
}

#[test]
fn fetch_watch_keeps_importing_until_killed() {
    let mut server = Dovecot::start();
    let desk = Desk::new(&config_text(&server, ""));
    Store::open(&desk.db).unwrap();
    let out_path = desk.db.with_file_name("watch.out");
    let err_path = desk.db.with_file_name("watch.err");
    let mut child = cli(&desk.db, &desk.config)
        .args(["fetch", "--watch"])
        .env(PASSWORD_ENV, PASSWORD)
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .unwrap();
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Watched", "w1@c", "hi", ""),
        false,
        None,
    );
    let arrived = support::wait_for_progress(&desk.db, &mut child, "the watched mail", |s| {
        s.tickets().unwrap().iter().any(|t| t.subject == "Watched")
    });
    assert!(arrived, "fetch --watch exited before the mail arrived");
    // The server goes away long enough for the watch to say so, then comes back:
    // the watch says it is connected again (the trial saw "trying again" and then
    // nothing while mail was imported).
    server.stop();
    assert!(
        support::wait_for_output(&err_path, &mut child, "trying again"),
        "fetch --watch exited instead of trying again"
    );
    server.restart();
    server.append(
        "INBOX",
        &plain_mail("b@customer.example", "After restart", "w2@c", "hi", ""),
        false,
        None,
    );
    let again = support::wait_for_progress(&desk.db, &mut child, "mail after the restart", |s| {
        s.tickets()
            .unwrap()
            .iter()
            .any(|t| t.subject == "After restart")
    });
    assert!(
        again,
        "fetch --watch exited before the mail after the restart arrived"
    );
    // The line follows the commit: wait for it before stopping the watch.
    let said = support::wait_for_output(&out_path, &mut child, "connected again");
    let _ = child.kill();
    let _ = child.wait();
    let out = std::fs::read_to_string(&out_path).unwrap();
    assert!(said && out.contains("shop: connected again"), "{out}");
}

#[test]
fn the_status_bar_shows_every_account_and_keeps_a_failing_one_in_view() {
    use firstline::tui::inline::Console;
    use firstline::tui::mailboxes::{MailboxState, MailboxStatus};
    let store = Store::open_in_memory().unwrap();
    let mut app = Console::new(store, Config::default()).unwrap();
    let now = chrono::Utc::now();
    app.clock = Some(now);
    app.mailboxes = vec![
        MailboxStatus {
            account: "shop".into(),
            state: MailboxState::Fetched {
                at: now - chrono::Duration::minutes(2),
            },
        },
        MailboxStatus {
            account: "home".into(),
            state: MailboxState::Failed("login failed — check password_env".into()),
        },
    ];
    let wide = firstline::tui::snapshot(&app, 160, 20);
    let bottom = wide.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(bottom.contains("shop ✓ 2 min ago"), "{bottom}");
    assert!(
        bottom.contains("home: login failed — check password_env"),
        "{bottom}"
    );
    // On a narrow terminal the healthy account gives way first, the failing one stays.
    let narrow = firstline::tui::snapshot(&app, 90, 20);
    let bottom = narrow.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert!(!bottom.contains("shop ✓"), "{bottom}");
    assert!(bottom.contains("home: login failed"), "{bottom}");
}

// ---- the away reply, refused mail, a crash before after_fetch -----------------------

/// `[sla] hours` that exclude the present hour (UTC): the desk is closed now.
fn closed_hours() -> &'static str {
    use chrono::Timelike;
    if chrono::Utc::now().hour() < 12 {
        "20:00-21:00"
    } else {
        "03:00-04:00"
    }
}

fn away_config(server: &Dovecot, smtp: &smtp::SmtpServer, extra: &str) -> String {
    format!(
        "[agent]\nname = \"Olena Test\"\nemail = \"{USER}\"\n\n[mail]\naway_reply = true\n\
         smtp_server = \"127.0.0.1:{}\"\n\n[sla]\ntimezone = \"UTC\"\nhours = \"{}\"\n\n{}",
        smtp.port,
        closed_hours(),
        server.account_toml("shop", extra)
    )
}

fn hours_ago(hours: i64) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    Some((chrono::Utc::now() - chrono::Duration::hours(hours)).fixed_offset())
}

#[test]
fn new_mail_at_night_gets_one_away_reply_and_lists_bounces_and_old_mail_none() {
    let server = Dovecot::start();
    let smtp = smtp::SmtpServer::start();
    // Mail from before the first sync is a backlog.
    server.append(
        "INBOX",
        &plain_mail(
            "Old <old@customer.example>",
            "Old question",
            "old@c",
            "Hello?",
            "",
        ),
        false,
        hours_ago(2),
    );
    let desk = Desk::new(&away_config(&server, &smtp, ""));
    let first = desk.fetch_json();
    assert_eq!(first["import"]["new_tickets"], 1, "{first}");
    assert_eq!(first["away_replies"], 0, "{first}");
    assert!(smtp.accepted().is_empty());

    let night = |from: &str, subject: &str, id: &str, extra: &str| {
        plain_mail(from, subject, id, "Hello, my order did not arrive.", extra)
    };
    for raw in [
        night(
            "Ivan <ivan@customer.example>",
            "Where is my order?",
            "night1@customer.example",
            "",
        ),
        night(
            "News <news@lists.example>",
            "Weekly news",
            "list@c",
            "List-Id: <news.lists.example>\r\n",
        ),
        night(
            "Promo <promo@shop.example>",
            "Sale",
            "bulk@c",
            "Precedence: bulk\r\n",
        ),
        night(
            "Mail Delivery System <MAILER-DAEMON@mx.example>",
            "Undelivered Mail Returned to Sender",
            "bounce@c",
            "Return-Path: <>\r\n",
        ),
        night(
            "Robot <robot@customer.example>",
            "Out of office",
            "ooo@c",
            "Auto-Submitted: auto-replied\r\n",
        ),
        // The same customer again, a new question: one away reply a day is enough.
        night(
            "Ivan <ivan@customer.example>",
            "Also: invoice",
            "night2@customer.example",
            "",
        ),
    ] {
        server.append("INBOX", &raw, false, None);
    }
    // Old mail that reaches firstline only now (arrived before the first sync).
    server.append(
        "INBOX",
        &plain_mail(
            "Late <late@customer.example>",
            "Old too",
            "late@c",
            "Hi",
            "",
        ),
        false,
        hours_ago(3),
    );
    let second = desk.fetch_json();
    assert_eq!(second["import"]["new_tickets"], 7, "{second}");
    assert_eq!(second["away_replies"], 1, "{second}");
    let accepted = smtp.accepted();
    assert_eq!(accepted.len(), 1, "{accepted:?}");
    let reply = &accepted[0];
    assert!(reply.contains("Auto-Submitted: auto-replied"), "{reply}");
    assert!(
        reply.contains("In-Reply-To: <night1@customer.example>"),
        "{reply}"
    );
    assert!(reply.contains("a person will answer you"), "{reply}");
    assert!(smtp.envelope(1).contains("RCPT TO:ivan@customer.example"));

    // In the thread: an automatic note, delivered, that answers nothing.
    let store = desk.store();
    let ticket = store
        .tickets()
        .unwrap()
        .into_iter()
        .find(|t| t.subject == "Where is my order?")
        .unwrap();
    let messages = store.messages(ticket.id).unwrap();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert_eq!(messages[1].direction, Direction::Note);
    assert!(
        messages[1].body.starts_with("Automatic away reply"),
        "{}",
        messages[1].body
    );
    let entry = store.outbox_entry(messages[1].id).unwrap().unwrap();
    assert_eq!(
        entry.state,
        firstline::store::OutboxState::Sent,
        "{entry:?}"
    );
    assert_eq!(
        ticket.first_response_at, None,
        "an away reply is not a first response"
    );
    assert!(
        ticket.awaiting_reply_since.is_some(),
        "the customer still waits"
    );
    drop(store);

    // Fetching again answers nobody twice; importing a file never answers at all.
    let third = desk.fetch_json();
    assert_eq!(third["away_replies"], 0, "{third}");
    let mbox = desk.db.with_file_name("old.eml");
    std::fs::write(
        &mbox,
        night(
            "Petro <petro@customer.example>",
            "From a file",
            "file@customer.example",
            "",
        ),
    )
    .unwrap();
    let out = cli(&desk.db, &desk.config)
        .args(["--no-demo", "import"])
        .arg(&mbox)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(smtp.accepted().len(), 1);
}

#[test]
fn away_reply_without_business_hours_stops_the_start_with_the_line() {
    let server = Dovecot::start();
    let desk = Desk::new(&format!(
        "[agent]\nemail = \"{USER}\"\n\n[mail]\naway_reply = true\n\n{}",
        server.account_toml("shop", "")
    ));
    let out = desk.fetch(&[]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 5"), "{stderr}");
    assert!(
        stderr.contains("away_reply = true needs [sla] hours"),
        "{stderr}"
    );
}

/// A message no store would take: no header block at all.
const NOT_MAIL: &[u8] = b"\r\nthis is not a mail message, it has no headers\r\n";

#[test]
fn mail_the_queue_refuses_is_neither_marked_seen_nor_moved() {
    let server = Dovecot::start();
    server.create("Archive");
    let good = |n: u32| {
        plain_mail(
            "a@customer.example",
            &format!("M{n}"),
            &format!("m{n}@c"),
            "hi",
            "",
        )
    };
    server.append("INBOX", &good(1), false, None);
    server.append("INBOX", NOT_MAIL, false, None);
    server.append("INBOX", &good(3), false, None);
    let desk = Desk::new(&config_text(&server, "after_fetch = \"seen\""));
    let out = desk.fetch(&["--json"]);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["import"]["added"], 2, "{summary}");
    assert_eq!(
        summary["import"]["failures"].as_array().unwrap().len(),
        1,
        "{summary}"
    );
    assert_eq!(
        server.messages("INBOX"),
        vec![(1, true), (2, false), (3, true)],
        "the refused message stays unread on the server"
    );

    server.append("INBOX", NOT_MAIL, false, None);
    server.append("INBOX", &good(5), false, None);
    desk.set_config(&config_text(&server, "after_fetch = \"move:Archive\""));
    desk.fetch(&[]);
    let inbox: Vec<u32> = server.messages("INBOX").iter().map(|(u, _)| *u).collect();
    assert_eq!(inbox, vec![1, 2, 3, 4], "only the stored message moved");
    assert_eq!(server.messages("Archive").len(), 1);
    // A later fetch leaves the refused ones alone too.
    desk.fetch(&[]);
    assert_eq!(server.messages("INBOX").len(), 4);
    assert_eq!(message_count(&desk.db), 3);
}

#[test]
fn a_crash_between_the_commit_and_the_move_is_finished_by_the_next_fetch() {
    let server = Dovecot::start();
    server.create("Archive");
    for n in 1..=3 {
        server.append(
            "INBOX",
            &plain_mail(
                "a@customer.example",
                &format!("M{n}"),
                &format!("m{n}@c"),
                "hi",
                "",
            ),
            false,
            None,
        );
    }
    // A message without a Message-ID cannot be told apart after a crash: left alone.
    server.append(
        "INBOX",
        format!("From: b@customer.example\r\nTo: {USER}\r\nSubject: No id\r\n\r\nhi\r\n")
            .as_bytes(),
        false,
        None,
    );
    let desk = Desk::new(&config_text(&server, "after_fetch = \"move:Archive\""));
    // The process dies right after the mail is committed, before the server hears.
    let mut cmd = cli(&desk.db, &desk.config);
    let out = cmd
        .args(["--no-demo", "fetch"])
        .env(PASSWORD_ENV, PASSWORD)
        .env("FIRSTLINE_CRASH_AT", "after-commit")
        .output()
        .unwrap();
    assert!(
        !out.status.success(),
        "the crash point was not reached: {out:?}"
    );
    assert_eq!(message_count(&desk.db), 4, "the mail was committed");
    assert_eq!(server.messages("INBOX").len(), 4, "and not moved yet");
    assert!(server.messages("Archive").is_empty());

    let again = desk.fetch_json();
    assert_eq!(again["folders"][0]["new_messages"], 0, "{again}");
    assert_eq!(again["folders"][0]["after_fetch"], 3, "{again}");
    assert_eq!(again["import"]["added"], 0, "{again}");
    assert_eq!(
        desk.store().tickets().unwrap().len(),
        4,
        "no duplicate tickets"
    );
    let left: Vec<u32> = server.messages("INBOX").iter().map(|(u, _)| *u).collect();
    assert_eq!(left, vec![4], "only the message without a Message-ID stays");
    assert_eq!(server.messages("Archive").len(), 3);
    // Without a crash the same kind of message is moved: the run knows its hash.
    server.append(
        "INBOX",
        format!("From: c@customer.example\r\nTo: {USER}\r\nSubject: No id 2\r\n\r\nhi\r\n")
            .as_bytes(),
        false,
        None,
    );
    desk.fetch_json();
    assert_eq!(server.messages("Archive").len(), 4);
}

#[test]
fn xoauth2_logs_in_with_the_printed_token_and_a_refused_token_is_one_line() {
    let tokens = dovecot::TokenInfo::start("ya29.good-token");
    let server = Dovecot::start_oauth2(&tokens.url());
    server.append(
        "INBOX",
        &plain_mail("a@customer.example", "Over OAuth2", "oauth@c", "hi", ""),
        false,
        None,
    );
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, "ya29.good-token\n").unwrap();
    let toml = config_text(&server, "").replace(
        &format!("password_env = \"{PASSWORD_ENV}\""),
        &format!("oauth2_token_command = \"cat '{}'\"", token_file.display()),
    );
    let desk = Desk::new(&toml);
    assert_eq!(desk.fetch_json()["import"]["added"], 1);
    let asked = tokens.checks.load(std::sync::atomic::Ordering::SeqCst);
    assert!(asked >= 1, "Dovecot checked the token with the provider");

    // An expired or revoked token: the login fails in one line, the token unshown.
    std::fs::write(&token_file, "ya29.revoked-token\n").unwrap();
    let line = one_line_error(&desk.fetch(&[]));
    assert!(line.contains("shop: login failed"), "{line}");
    assert!(line.contains("oauth2_token_command"), "{line}");
    assert!(!line.contains("revoked-token"), "{line}");
    assert!(tokens.checks.load(std::sync::atomic::Ordering::SeqCst) > asked);
}

#[test]
fn an_away_reply_the_server_refuses_stays_in_the_outbox_and_the_fetch_still_succeeds() {
    let server = Dovecot::start();
    let smtp = smtp::SmtpServer::start();
    let desk = Desk::new(&away_config(&server, &smtp, ""));
    desk.fetch_json();
    server.append(
        "INBOX",
        &plain_mail(
            "Ivan <reject-me@customer.example>",
            "Where is my order?",
            "night@customer.example",
            "Hello, my order did not arrive.",
            "",
        ),
        false,
        None,
    );
    let out = desk.fetch(&[]);
    // Fetching worked: the refused away reply is the outbox's to retry and show, not
    // a reason to call the mailbox failed (exit 2, the console's account in red).
    assert!(out.status.success(), "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).trim().is_empty(),
        "{out:?}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("shop: 1 away reply not delivered yet; it waits in the outbox"),
        "{stdout}"
    );
    assert!(!stdout.contains("away reply sent"), "{stdout}");
    let store = desk.store();
    let entries = store.outbox_entries(true).unwrap();
    assert_eq!(entries.len(), 1, "{entries:?}");
    assert_eq!(entries[0].state, firstline::store::OutboxState::Queued);
    assert!(
        entries[0]
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("no such mailbox"),
        "{entries:?}"
    );
    assert!(smtp.accepted().is_empty());
}

/// The sender's Date is their clock: a customer's mail that reached the server after
/// our reply but is dated before it (a clock an hour slow, mail held up on the way)
/// never brought the ticket back to Needs reply and sat above the reply; one dated in
/// the future waited a negative time (a new-user trial). Fetched mail takes its place
/// at the moment the server received it, never later than now.
#[test]
fn mail_arriving_after_our_reply_needs_a_reply_whatever_its_date_says() {
    use chrono::{Duration as Span, Utc};
    let server = Dovecot::start();
    let desk = Desk::new(&config_text(&server, ""));
    let now = Utc::now();
    let dated = |t: chrono::DateTime<Utc>| t.to_rfc2822();
    let first = format!(
        "From: Ivan <ivan@customer.example>\r\nTo: {USER}\r\nSubject: Order 10280\r\nMessage-ID: <late-1@customer.example>\r\nDate: {}\r\n\r\nWhere is my order?\r\n",
        dated(now - Span::hours(2))
    );
    server.append(
        "INBOX",
        first.as_bytes(),
        false,
        Some((now - Span::hours(2)).fixed_offset()),
    );
    let out = desk.fetch(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut store = desk.store();
    let ticket = store.tickets().unwrap()[0].id;
    store
        .add_message(
            ticket,
            &firstline::model::NewMessage {
                direction: Direction::Outbound,
                author: "Olena Test".into(),
                body: "It ships today.".into(),
                sent_at: Some(now - Span::minutes(30)),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(!store.ticket(ticket).unwrap().needs_reply(Utc::now()));
    drop(store);

    // Written on a clock an hour slow, received by the server a minute ago.
    let late = format!(
        "From: Ivan <ivan@customer.example>\r\nTo: {USER}\r\nSubject: Re: Order 10280\r\nMessage-ID: <late-2@customer.example>\r\nIn-Reply-To: <late-1@customer.example>\r\nDate: {}\r\n\r\nSorry, one more thing: gift wrap please.\r\n",
        dated(now - Span::minutes(60))
    );
    server.append(
        "INBOX",
        late.as_bytes(),
        false,
        Some((now - Span::minutes(1)).fixed_offset()),
    );
    // Written on a clock an hour fast.
    let fast = format!(
        "From: Ivan <ivan@customer.example>\r\nTo: {USER}\r\nSubject: Re: Order 10280\r\nMessage-ID: <late-3@customer.example>\r\nIn-Reply-To: <late-1@customer.example>\r\nDate: {}\r\n\r\nAnd a card.\r\n",
        dated(now + Span::hours(1))
    );
    server.append("INBOX", fast.as_bytes(), false, None);
    let out = desk.fetch(&[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let store = desk.store();
    let t = store.ticket(ticket).unwrap();
    assert!(
        t.needs_reply(Utc::now()),
        "mail that arrived after the reply needs one: {t:?}"
    );
    let since = t.awaiting_reply_since.unwrap();
    assert!(since <= Utc::now(), "waits are never negative: {since}");
    assert!(
        since > now - Span::minutes(30),
        "waiting since it arrived: {since}"
    );
    let messages = store.messages(ticket).unwrap();
    let bodies: Vec<&str> = messages.iter().map(|m| m.body.trim()).collect();
    let pos = |text: &str| bodies.iter().position(|b| b.contains(text)).unwrap();
    assert!(
        pos("It ships today") < pos("gift wrap") && pos("gift wrap") < pos("And a card"),
        "{bodies:?}"
    );
    for m in &messages {
        assert!(
            m.sent_at <= Utc::now(),
            "no message is in the future: {m:?}"
        );
    }
}
