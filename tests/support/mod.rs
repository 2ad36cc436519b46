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
        let (feed, keep) = (Arc::clone(&parser), Arc::clone(&raw));
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        keep.lock().unwrap().extend_from_slice(&buf[..n]);
                        feed.lock().unwrap().process(&buf[..n]);
                    }
                }
            }
        });
        Console {
            child,
            writer,
            parser,
            raw,
            _master: pair.master,
        }
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

    pub fn raw_bytes(&self) -> Vec<u8> {
        self.raw.lock().unwrap().clone()
    }
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
    std::fs::write(&config, "[agent]\nname = \"Olena Test\"\n").unwrap();
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

/// The `firstline` binary with the test's database and config, no demo queue.
pub fn cli(db: &Path, config: &Path) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_firstline"));
    cmd.arg("--db")
        .arg(db)
        .env("FIRSTLINE_CONFIG", config)
        .env_remove("FIRSTLINE_DB")
        .env("NO_COLOR", "1");
    cmd
}
