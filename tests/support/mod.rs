//! Shared helpers for the reliability tests: the real `firstline` binary in a
//! pseudo-terminal, read back through a vt100 emulator that records what the program
//! tried to do to the terminal (title, clipboard, bell), plus the raw bytes it wrote so
//! a test can look for sequences the emulator would silently swallow.

#![cfg(unix)]
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};

pub const ROWS: u16 = 40;
pub const COLS: u16 = 120;
/// Generous: the machine is shared and the binary is a debug build.
pub const DEADLINE: Duration = Duration::from_secs(30);

/// Records what the program tried to do to the terminal besides drawing.
#[derive(Default)]
pub struct Recorder {
    pub titles: Vec<Vec<u8>>,
    pub clipboard: usize,
    pub bells: usize,
}

impl vt100::Callbacks for Recorder {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.titles.push(title.to_vec());
    }
    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.titles.push(name.to_vec());
    }
    fn copy_to_clipboard(&mut self, _: &mut vt100::Screen, _: &[u8], _: &[u8]) {
        self.clipboard += 1;
    }
    fn audible_bell(&mut self, _: &mut vt100::Screen) {
        self.bells += 1;
    }
}

/// One TUI session in a pty.
pub struct Console {
    pub child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    pub parser: Arc<Mutex<vt100::Parser<Recorder>>>,
    /// Every byte the program wrote to the terminal, unparsed.
    pub raw: Arc<Mutex<Vec<u8>>>,
    /// What [`Console::catch_screens`] watches for, and the screens that showed it.
    catcher: Arc<Mutex<Catcher>>,
    _master: Box<dyn MasterPty + Send>,
}

impl Console {
    pub fn start(db: &Path, config: &Path) -> Console {
        Console::start_args(db, config, &[])
    }

    pub fn start_args(db: &Path, config: &Path, args: &[&str]) -> Console {
        Console::launch(db, config, args, &[])
    }

    /// With extra environment variables (e.g. `EDITOR` for Ctrl-E).
    pub fn start_env(db: &Path, config: &Path, env: &[(&str, &Path)]) -> Console {
        Console::launch(db, config, &[], env)
    }

    /// A console on `db`. A database that does not exist yet first gets the welcome
    /// queue (`firstline demo`, as the default queue gets it on its first run) unless
    /// the test passed `--no-demo`: a named queue never gets it by itself.
    fn launch(db: &Path, config: &Path, args: &[&str], env: &[(&str, &Path)]) -> Console {
        if !db.exists() && !args.contains(&"--no-demo") {
            run_ok(cli(db, config).arg("demo"));
        }
        let pty = native_pty_system();
        let pair = pty
            .openpty(PtySize {
                rows: ROWS,
                cols: COLS,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_firstline"));
        cmd.arg("--db");
        cmd.arg(db);
        for a in args {
            cmd.arg(a);
        }
        cmd.env("FIRSTLINE_CONFIG", config);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("FIRSTLINE_DB");
        cmd.env_remove("FIRSTLINE_NO_DEMO");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("VISUAL");
        cmd.env("TZ", "UTC");
        // Files the console keeps beside the default queue (drafts kept while a
        // server is away) go into the test's folder, never the user's.
        cmd.env("XDG_DATA_HOME", support_data_home(config));
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).expect("start firstline");
        drop(pair.slave);
        let mut reader = pair.master.try_clone_reader().expect("pty reader");
        let writer = pair.master.take_writer().expect("pty writer");
        let parser = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            ROWS,
            COLS,
            0,
            Recorder::default(),
        )));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let catcher = Arc::new(Mutex::new(Catcher::default()));
        let (feed, keep, catch) = (Arc::clone(&parser), Arc::clone(&raw), Arc::clone(&catcher));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        keep.lock().unwrap().extend_from_slice(&buf[..n]);
                        let mut parser = feed.lock().unwrap();
                        parser.process(&buf[..n]);
                        let mut catcher = catch.lock().unwrap();
                        if let Some(wanted) = catcher.wanted {
                            let screen = parser.screen().contents();
                            if wanted(&screen) {
                                catcher.caught.push(screen);
                            }
                        }
                    }
                }
            }
        });
        Console {
            child,
            writer,
            parser,
            raw,
            catcher,
            _master: pair.master,
        }
    }

    /// From now on, checks the screen after every piece of output the program writes
    /// and keeps each one for which `wanted` holds: a message shown for a moment is
    /// caught however briefly it stayed, where looking now and then would be luck.
    pub fn catch_screens(&self, wanted: fn(&str) -> bool) {
        self.catcher.lock().unwrap().wanted = Some(wanted);
    }

    /// The screens [`Console::catch_screens`] caught so far.
    pub fn caught(&self) -> Vec<String> {
        self.catcher.lock().unwrap().caught.clone()
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    pub fn send(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    /// Types like a person: one key at a time, so every key is its own event.
    pub fn type_text(&mut self, text: &str) {
        for ch in text.chars() {
            self.send(&ch.to_string());
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    pub fn wait_for(&self, what: &str) -> String {
        self.wait_until(&format!("'{what}' on screen"), |s| s.contains(what))
    }

    pub fn wait_until(&self, what: &str, ok: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ok(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                let alternate = self.parser.lock().unwrap().screen().alternate_screen();
                panic!("{what} never happened (alternate screen: {alternate}); the screen was:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("firstline did not exit; the screen was:\n{}", self.screen());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGKILL: no destructor, no terminal restore, no goodbye save.
    pub fn kill_hard(&mut self) {
        let pid = self.child.process_id().expect("pid") as i32;
        // SAFETY: sends SIGKILL to the child we started; no memory is involved.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
        self.wait_exit();
    }

    /// Sends `signal` to the program (SIGTERM as `kill` does).
    pub fn signal(&mut self, signal: i32) {
        let pid = self.child.process_id().expect("pid") as i32;
        // SAFETY: signals the child we started; no memory is involved.
        unsafe {
            libc::kill(pid, signal);
        }
    }

    pub fn raw_bytes(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }
}

/// See [`Console::catch_screens`].
#[derive(Default)]
struct Catcher {
    wanted: Option<fn(&str) -> bool>,
    caught: Vec<String>,
}

impl Drop for Console {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
    }
}

/// A temp folder with a database path and a minimal config.
pub fn temp_paths() -> (tempfile::TempDir, std::path::PathBuf, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("queue.db");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        "[agent]\nname = \"Olena Test\"\nemail = \"olena@shop.example\"\n",
    )
    .unwrap();
    (dir, db, config)
}

/// Runs `cmd` to the end and fails the test, showing the command and its stderr,
/// unless it exited with success.
pub fn run_ok(cmd: &mut std::process::Command) -> std::process::Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// What the binary reads from its environment that would let a developer's shell
/// (their queue, their editor, their login, a `NO_DEMO` in their profile) change a
/// test's outcome.
const INHERITED: &[&str] = &[
    "FIRSTLINE_DB",
    "FIRSTLINE_NO_DEMO",
    "FIRSTLINE_AGENT",
    "FIRSTLINE_NO_MOUSE",
    "FIRSTLINE_FRAME_LOG",
    "FIRSTLINE_EXIT_AFTER_FIRST_FRAME",
    "VISUAL",
    "EDITOR",
];

/// The one way the tests run the `firstline` binary for a CLI command: the test's
/// database and config file (which need not exist), nothing inherited from the
/// developer's environment, no colour, a fixed `USER` and time zone (`TZ=UTC`). The welcome queue is seeded
/// on first use as for a real user; pass `--no-demo` for an empty queue. Wrap it in
/// `assert_cmd::Command::from_std` for `.assert()` and `.write_stdin()`.
pub fn cli(db: &Path, config: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_firstline"));
    cmd.arg("--db").arg(db).env("FIRSTLINE_CONFIG", config);
    for name in INHERITED {
        cmd.env_remove(name);
    }
    // The system's zone is the default desk zone (`[sla] timezone` unset): fixed
    // here, so no test depends on the machine's clock settings.
    cmd.env("NO_COLOR", "1")
        .env("USER", "tester")
        .env("TZ", "UTC");
    cmd
}

/// Polls the queue at `db` until `ok` holds, for a program that writes it in the
/// background (autosave, intake): the test waits on the row being committed, never on
/// a guess at how long that takes. Fails naming `what` after [`DEADLINE`].
pub fn wait_for_store<T>(
    db: &Path,
    what: &str,
    mut ok: impl FnMut(&firstline::store::Store) -> Option<T>,
) -> T {
    let start = Instant::now();
    loop {
        // Only once the program has created the file: opening it here first would
        // make this process the one that creates and migrates it.
        if db.metadata().is_ok_and(|m| m.len() > 0) {
            let store = firstline::store::Store::open(db).unwrap();
            if let Some(found) = ok(&store) {
                return found;
            }
        }
        if start.elapsed() > DEADLINE {
            panic!("{what} never happened in {}", db.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until the queue at `db` holds a draft whose body contains `text`, and
/// returns that body: the console autosaves on its own schedule, so a test that needs
/// the draft on disk waits for the row, not for the debounce to have passed.
pub fn wait_for_draft(db: &Path, text: &str) -> String {
    wait_for_store(db, &format!("a draft containing {text:?}"), |store| {
        store
            .drafts()
            .unwrap()
            .into_iter()
            .find(|d| d.body.contains(text))
            .map(|d| d.body)
    })
}

/// Polls the queue at `db`, written by `child`, until `reached` holds; `false` when
/// the child exited first. For kill points chosen from a writer's own progress (its
/// committed batches), not from how long it has run. Fails after [`DEADLINE`].
pub fn wait_for_progress(
    db: &Path,
    child: &mut std::process::Child,
    what: &str,
    mut reached: impl FnMut(&firstline::store::Store) -> bool,
) -> bool {
    let start = Instant::now();
    let mut store = None;
    loop {
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if store.is_none() && db.metadata().is_ok_and(|m| m.len() > 0) {
            store = firstline::store::Store::open(db).ok();
        }
        if store.as_ref().is_some_and(&mut reached) {
            return true;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{what} never happened in {}", db.display());
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Polls the file `path`, written by `child` (its redirected stdout or stderr),
/// until it contains `text`; `false` when the child exited first. The twin of
/// [`wait_for_progress`] for what a program prints rather than what it commits.
/// Kills the child and fails after [`DEADLINE`].
pub fn wait_for_output(path: &Path, child: &mut std::process::Child, text: &str) -> bool {
    let start = Instant::now();
    loop {
        if std::fs::read_to_string(path).is_ok_and(|out| out.contains(text)) {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        if start.elapsed() > DEADLINE {
            let _ = child.kill();
            panic!("{text:?} never appeared in {}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// One message for [`mbox_message`].
pub struct Mail<'a> {
    /// The sender's address: the mbox separator line and the `From:` header.
    pub from: &'a str,
    /// The `From:` display name, as it goes in the header (may be an encoded word).
    pub name: &'a str,
    pub subject: &'a str,
    pub date: chrono::DateTime<chrono::Utc>,
    /// Without the angle brackets.
    pub message_id: &'a str,
    /// More header lines, each ending in `\n` (`To:`, `In-Reply-To:`, MIME…).
    pub headers: &'a str,
    pub body: &'a str,
}

/// One message as an mbox (mboxrd) entry: the `From ` separator line with the date
/// in asctime form, the headers, the body with every `From ` line quoted as
/// `>From ` (and `>From ` as `>>From `), and the blank line that ends it. The one
/// place the tests write mbox, so every test's archive is one a real reader accepts.
pub fn mbox_message(mail: &Mail) -> String {
    let mut body = String::with_capacity(mail.body.len() + 16);
    for line in mail.body.split_inclusive('\n') {
        if line.trim_start_matches('>').starts_with("From ") {
            body.push('>');
        }
        body.push_str(line);
    }
    if !body.ends_with('\n') {
        body.push('\n');
    }
    format!(
        "From {from} {envelope}\nFrom: {name} <{from}>\nSubject: {subject}\nDate: {date}\n\
         Message-ID: <{id}>\n{headers}\n{body}\n",
        from = mail.from,
        envelope = mail.date.format("%a %b %e %H:%M:%S %Y"),
        name = mail.name,
        subject = mail.subject,
        date = mail.date.to_rfc2822(),
        id = mail.message_id,
        headers = mail.headers,
    )
}

/// The data folder a test's console uses: beside its settings file, so each test
/// has its own and nothing lands in the user's `~/.local/share`.
pub fn support_data_home(config: &Path) -> std::path::PathBuf {
    config.parent().unwrap_or(Path::new(".")).join("data-home")
}
