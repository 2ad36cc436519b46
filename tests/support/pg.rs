//! A throwaway PostgreSQL cluster for tests: `initdb` into a temp folder, a server on
//! a unix socket in that folder and a free port on 127.0.0.1, stopped (fast shutdown,
//! every backend process with it) when the last handle drops. Needs no system
//! configuration and no running service.
//!
//! Speed: `initdb` costs seconds, so it runs once per machine and PostgreSQL version
//! into a template under Cargo's test temp folder, which every cluster copies (a third
//! of a second). A test binary shares one cluster between its tests, each test in a
//! fresh database of its own ([`fresh_db`]): `CREATE DATABASE` is ~0.1 s where a
//! cluster start is ~1 s. [`PgServer::start`] gives a test a cluster of its own
//! (to stop it under a client, say).
//!
//! As root (CI containers) the server runs as Debian's unprivileged `postgres` user,
//! since PostgreSQL refuses root; otherwise as the user running the tests. A machine
//! without PostgreSQL fails the test with the command that installs it.

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

pub const INSTALL: &str = "apt-get install -y postgresql";
/// The superuser every test cluster has (trust authentication, so no password).
pub const SUPERUSER: &str = "firstline";
/// How long a start or stop may take before the test calls it stuck.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// The folder with `initdb` and `postgres`: the newest `/usr/lib/postgresql/*/bin`.
pub fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version: u32 = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); these tests \
             need a real server: {INSTALL} (or run bash tests/run.sh)"
        ),
    }
}

/// The uid/gid the server runs as: `postgres` when we are root, else ourselves.
fn server_user() -> Option<(u32, u32)> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return None;
    }
    let name = std::ffi::CString::new("postgres").unwrap();
    // SAFETY: a valid C string; the result is read before any other getpw* call.
    let entry = unsafe { libc::getpwnam(name.as_ptr()) };
    assert!(
        !entry.is_null(),
        "running as root, but there is no `postgres` user to run the server as: {INSTALL}"
    );
    // SAFETY: non-null, points to libc's static passwd record.
    let entry = unsafe { &*entry };
    Some((entry.pw_uid, entry.pw_gid))
}

/// Hands `path` (recursively) to the server's user, when that is not us.
fn give_to_server(path: &Path) {
    if let Some((uid, gid)) = server_user() {
        let status = Command::new("chown")
            .arg("-R")
            .arg(format!("{uid}:{gid}"))
            .arg(path)
            .status()
            .unwrap();
        assert!(status.success(), "chown {}", path.display());
    }
}

/// A command that runs as the server's user.
fn as_server(program: PathBuf) -> Command {
    let mut cmd = Command::new(program);
    if let Some((uid, gid)) = server_user() {
        use std::os::unix::process::CommandExt;
        cmd.uid(uid).gid(gid);
        // The server's user cannot read root's home.
        cmd.env("HOME", "/tmp").current_dir("/");
    }
    cmd
}

/// The data folder every cluster starts from, built once by `initdb` and kept
/// across runs (keyed by the PostgreSQL folder, so an upgrade builds a new one).
fn template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let bin = bin_dir();
        let version = bin
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .unwrap_or("x")
            .to_string();
        let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        let template = root.join(format!("pg{version}-template"));
        if template.join("PG_VERSION").is_file() {
            return template;
        }
        // initdb into a folder the server's user can reach, then move it in place
        // (atomically, so a test binary running beside us sees all of it or none).
        let work = tempfile::Builder::new()
            .prefix("fl-initdb")
            .tempdir()
            .unwrap();
        give_to_server(work.path());
        let data = work.path().join("data");
        let output = as_server(bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["--locale=C.UTF-8", "-E", "UTF8", "-A", "trust", "--no-sync"])
            .args(["-U", SUPERUSER])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let staging = root.join(format!("pg{version}-template.{}", std::process::id()));
        copy_tree(&data, &staging);
        if std::fs::rename(&staging, &template).is_err() {
            // Another binary won the race; its template is as good as ours.
            let _ = std::fs::remove_dir_all(&staging);
        }
        template
    })
}

/// `cp -a`: keeps the owner (the server's user) and the 0700 mode PostgreSQL insists on.
fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One running PostgreSQL server in a temp folder.
pub struct PgServer {
    dir: tempfile::TempDir,
    pub port: u16,
    child: Option<Child>,
    databases: AtomicUsize,
}

impl PgServer {
    /// A cluster of the test's own, ready for connections.
    pub fn start() -> PgServer {
        let template = template();
        let mut dir = tempfile::Builder::new().prefix("fl-pg").tempdir().unwrap();
        let data = dir.path().join("data");
        copy_tree(template, &data);
        give_to_server(dir.path());
        let log = dir.path().join("server.log");
        let log_file = std::fs::File::create(&log).unwrap();
        give_to_server(&log);
        // A port someone else takes between our probe and the server's bind makes the
        // server exit; try again on another.
        for _ in 0..5 {
            let port = free_port();
            let child = spawn_postmaster(dir.path(), port, &log_file);
            let mut server = PgServer {
                dir,
                port,
                child: Some(child),
                databases: AtomicUsize::new(0),
            };
            match server.wait_ready() {
                Ok(()) => return server,
                Err(log_text) if log_text.contains("could not bind") => {
                    server.stop();
                    dir = std::mem::replace(&mut server.dir, tempfile::tempdir().unwrap());
                }
                Err(log_text) => panic!("PostgreSQL did not start:\n{log_text}"),
            }
        }
        panic!("PostgreSQL found no free port in five tries");
    }

    /// Starts the stopped server again on the same data and port (a restart, as
    /// `pg_ctl restart` or a reboot does to its clients).
    pub fn restart(&mut self) {
        self.stop();
        let log_file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.dir.path().join("server.log"))
            .unwrap();
        self.child = Some(spawn_postmaster(self.dir.path(), self.port, &log_file));
        if let Err(log_text) = self.wait_ready() {
            panic!("PostgreSQL did not start again:\n{log_text}");
        }
    }

    /// Waits for the server's own readiness: a real login that succeeds (during
    /// start-up it answers "the database system is starting up").
    fn wait_ready(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.as_mut().unwrap().try_wait().unwrap() {
                self.child = None;
                return Err(format!("exited with {status}:\n{}", self.log()));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok()
                && postgres::Client::connect(&self.url("postgres"), postgres::NoTls).is_ok()
            {
                return Ok(());
            }
            if started.elapsed() > HANG_GUARD {
                return Err(format!("not ready after {HANG_GUARD:?}:\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The postmaster's process id while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// What the server logged so far (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// The URL of database `db` over TCP on 127.0.0.1.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{db}", self.port)
    }

    /// The folder holding the server's unix socket (`.s.PGSQL.<port>`).
    pub fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// A connection to database `db` as the superuser.
    pub fn connect(&self, db: &str) -> postgres::Client {
        postgres::Client::connect(&self.url(db), postgres::NoTls)
            .unwrap_or_else(|e| panic!("connect to {}: {e}\n{}", self.url(db), self.log()))
    }

    /// A new empty database on this server; returns its name.
    pub fn create_database(&self) -> String {
        let n = self.databases.fetch_add(1, Ordering::SeqCst);
        let name = format!("t{n}");
        self.connect("postgres")
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        name
    }

    /// Stops the server now (fast shutdown: clients are cut off): what a test of a
    /// vanished server needs. Idempotent; `Drop` calls it too.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // SIGINT is PostgreSQL's fast shutdown (`pg_ctl stop -m fast`): backends are
        // told to quit, the postmaster waits for them and exits last.
        // SAFETY: the pid is our own child's, not yet reaped.
        unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
        let started = Instant::now();
        loop {
            if child.try_wait().unwrap().is_some() {
                return;
            }
            if started.elapsed() > HANG_GUARD {
                // SIGQUIT: immediate shutdown, which still takes the backends with it.
                unsafe { libc::kill(child.id() as i32, libc::SIGQUIT) };
                let _ = child.wait();
                panic!("PostgreSQL did not stop in {HANG_GUARD:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The postmaster on the cluster in `dir` (its `data` folder, its unix socket in `dir`).
fn spawn_postmaster(dir: &Path, port: u16, log_file: &std::fs::File) -> Child {
    as_server(bin_dir().join("postgres"))
        .arg("-D")
        .arg(dir.join("data"))
        .arg("-k")
        .arg(dir)
        .args(["-p", &port.to_string()])
        .args(["-c", "listen_addresses=127.0.0.1"])
        // A test cluster is thrown away: durability buys nothing here.
        .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
        .args(["-c", "full_page_writes=off", "-c", "max_connections=200"])
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().unwrap())
        .stderr(log_file.try_clone().unwrap())
        .spawn()
        .unwrap()
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A fresh database on the test binary's shared server. The server stops when the
/// last database handle drops (the next test starts it again).
pub struct PgDb {
    pub server: Arc<PgServer>,
    pub name: String,
}

impl PgDb {
    /// The database's URL (no password: the test cluster trusts local logins).
    pub fn url(&self) -> String {
        self.server.url(&self.name)
    }

    pub fn connect(&self) -> postgres::Client {
        self.server.connect(&self.name)
    }
}

/// A new database on the shared server, starting the server when none runs.
pub fn fresh_db() -> PgDb {
    static SHARED: Mutex<Weak<PgServer>> = Mutex::new(Weak::new());
    let server = {
        let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
        match shared.upgrade() {
            Some(server) => server,
            None => {
                let server = Arc::new(PgServer::start());
                *shared = Arc::downgrade(&server);
                server
            }
        }
    };
    let name = server.create_database();
    PgDb { server, name }
}
