//! A real Dovecot IMAP server for one test: a private config in a temp folder, a free
//! port on 127.0.0.1, a passwd-file user, Maildir storage; stopped when dropped.
//! Needs no system configuration. Works as root (the login and internal processes
//! run as Debian's `dovenull` and `dovecot` users, mail as `dovecot`) and as an
//! ordinary user (everything as that user). A machine without Dovecot fails the test
//! with the command that installs it.
//!
//! Test mail goes in by IMAP APPEND (with flags and arrival dates), the server's own
//! state is read back the same way, and `doveadm` changes what a client cannot
//! (UIDVALIDITY) or cuts connections (`kick`).

#![allow(dead_code)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const USER: &str = "support@shop.example";
pub const PASSWORD: &str = "s3cr3t-Pa55word";
const DEADLINE: Duration = Duration::from_secs(30);
pub const INSTALL: &str = "apt-get install -y dovecot-imapd";

/// Where Debian puts the binaries (`/usr/sbin` is not on an ordinary user's PATH).
fn find(binary: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/usr/bin"].map(PathBuf::from))
        .map(|dir| dir.join(binary))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!("{binary} is not installed; these tests need a real Dovecot: {INSTALL} (or run bash tests/run.sh)")
        })
}

pub use super::test_ca::TestCa;

pub struct Dovecot {
    pub dir: tempfile::TempDir,
    /// The STARTTLS-capable (or plain) listener.
    pub port: u16,
    /// The implicit-TLS listener when started with TLS.
    pub tls_port: Option<u16>,
    conf: PathBuf,
    child: Option<Child>,
}

impl Dovecot {
    /// A server with `ssl = no`: plain text on 127.0.0.1.
    pub fn start() -> Dovecot {
        Dovecot::launch(None, None)
    }

    /// A server with a certificate from `ca`: STARTTLS on `port`, TLS on `tls_port`.
    pub fn start_tls(ca: &TestCa) -> Dovecot {
        Dovecot::launch(Some(ca), None)
    }

    /// A plain-text server that also takes XOAUTH2, checking each token with the
    /// OAuth2 token-info endpoint at `tokeninfo_url` (Dovecot's `oauth2` passdb, as
    /// a mail provider does it); the password login keeps working.
    pub fn start_oauth2(tokeninfo_url: &str) -> Dovecot {
        Dovecot::launch(None, Some(tokeninfo_url))
    }

    fn launch(ca: Option<&TestCa>, tokeninfo_url: Option<&str>) -> Dovecot {
        let dovecot = find("dovecot");
        let dir = tempfile::Builder::new()
            .prefix("fl-dovecot")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let (internal, login, uid, gid) = users();
        // The auth process (as the internal user) reads the passwd file, and the
        // mail processes (as `uid`) write the home: both must get in.
        set_mode(&root, 0o755);
        let home = root.join("home");
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).unwrap();
        }
        chown(&home, uid, gid);
        std::fs::write(
            root.join("passwd"),
            format!(
                "{USER}:{{PLAIN}}{PASSWORD}:{uid}:{gid}::{}::\n",
                home.display()
            ),
        )
        .unwrap();
        let port = free_port();
        let mut ssl = "ssl = no\n".to_string();
        let mut tls_listener = "  inet_listener imaps {\n    port = 0\n  }\n".to_string();
        let mut tls_port = None;
        if let Some(ca) = ca {
            std::fs::write(root.join("cert.pem"), &ca.cert_pem).unwrap();
            std::fs::write(root.join("key.pem"), &ca.key_pem).unwrap();
            ssl = format!(
                "ssl = yes\nssl_cert = <{}\nssl_key = <{}\n",
                root.join("cert.pem").display(),
                root.join("key.pem").display()
            );
            let p = free_port();
            tls_port = Some(p);
            tls_listener =
                format!("  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {p}\n    ssl = yes\n  }}\n");
        }
        let (mechanisms, oauth2_passdb) = match tokeninfo_url {
            Some(url) => {
                let ext = root.join("oauth2.conf.ext");
                std::fs::write(
                    &ext,
                    format!("tokeninfo_url = {url}\nusername_attribute = email\ntimeout_msecs = 10000\n"),
                )
                .unwrap();
                (
                    "plain login xoauth2",
                    format!(
                        "passdb {{\n  driver = oauth2\n  mechanisms = xoauth2\n  args = {}\n}}\n",
                        ext.display()
                    ),
                )
            }
            None => ("plain login", String::new()),
        };
        let conf = root.join("dovecot.conf");
        std::fs::write(
            &conf,
            format!(
                "base_dir = {root}/run\nstate_dir = {root}/state\nlog_path = {root}/dovecot.log\n\
                 protocols = imap\nlisten = 127.0.0.1\n{ssl}disable_plaintext_auth = no\n\
                 auth_mechanisms = {mechanisms}\n\
                 default_internal_user = {internal}\ndefault_login_user = {login}\n\
                 first_valid_uid = 0\nmail_location = maildir:~/Maildir\n{oauth2_passdb}\
                 passdb {{\n  driver = passwd-file\n  mechanisms = plain login\n  args = scheme=PLAIN username_format=%u {root}/passwd\n}}\n\
                 userdb {{\n  driver = passwd-file\n  args = username_format=%u {root}/passwd\n}}\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n{tls_listener}}}\n\
                 service anvil {{\n  chroot =\n}}\n",
                root = root.display(),
            ),
        )
        .unwrap();
        let mut server = Dovecot {
            dir,
            port,
            tls_port,
            conf,
            child: None,
        };
        server.spawn(&dovecot);
        server
    }

    fn spawn(&mut self, dovecot: &Path) {
        let child = Command::new(dovecot)
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        self.child = Some(child);
        self.wait_ready();
    }

    /// Waits until the server greets on its port; fails with its log.
    fn wait_ready(&mut self) {
        let start = Instant::now();
        loop {
            if let Ok(mut tcp) = TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::Read;
                let _ = tcp.set_read_timeout(Some(Duration::from_secs(5)));
                let mut buf = [0u8; 64];
                if tcp
                    .read(&mut buf)
                    .is_ok_and(|n| buf[..n].starts_with(b"* OK"))
                {
                    return;
                }
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("dovecot exited with {status} at start:\n{}", self.log());
            }
            if start.elapsed() > DEADLINE {
                panic!(
                    "dovecot never answered on port {}:\n{}",
                    self.port,
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Stops the server (every connection dies with it) and waits until it is gone.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            // A stopped master leaves running mail processes serving their clients;
            // a restart that should drop them must cut them first.
            let _ = Command::new(find("doveadm"))
                .arg("-c")
                .arg(&self.conf)
                .args(["kick", USER])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let _ = Command::new(find("doveadm"))
                .arg("-c")
                .arg(&self.conf)
                .arg("stop")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            let start = Instant::now();
            while child.try_wait().ok().flatten().is_none() {
                if start.elapsed() > DEADLINE {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
            let start = Instant::now();
            while TcpStream::connect(("127.0.0.1", self.port)).is_ok() && start.elapsed() < DEADLINE
            {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Starts a stopped server again on the same port and storage.
    pub fn restart(&mut self) {
        self.stop();
        let start = Instant::now();
        // The old master's pid file must be gone before a new one starts.
        while self.dir.path().join("run/master.pid").exists() && start.elapsed() < DEADLINE {
            std::thread::sleep(Duration::from_millis(10));
        }
        let dovecot = find("dovecot");
        self.spawn(&dovecot);
    }

    /// Cuts every open connection of the test user, as a flaky network would.
    pub fn kick(&self) {
        self.doveadm(&["kick", USER]);
    }

    /// Sets a folder's UIDVALIDITY, as a server that rebuilt its index does.
    pub fn set_uidvalidity(&self, folder: &str, value: u32) {
        self.doveadm(&[
            "mailbox",
            "update",
            "-u",
            USER,
            "--uid-validity",
            &value.to_string(),
            folder,
        ]);
    }

    pub fn doveadm(&self, args: &[&str]) -> String {
        let out = Command::new(find("doveadm"))
            .arg("-c")
            .arg(&self.conf)
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A logged-in plain-text session for putting mail in and reading state back.
    pub fn session(&self) -> imap::Session<TcpStream> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        tcp.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut client = imap::Client::new(tcp);
        client.read_greeting().unwrap();
        client.login(USER, PASSWORD).map_err(|(e, _)| e).unwrap()
    }

    pub fn create(&self, folder: &str) {
        self.session().create(folder).unwrap();
    }

    /// Delivers `raw` into `folder`, already read when `seen`, arriving at `date`
    /// (now when `None`).
    pub fn append(
        &self,
        folder: &str,
        raw: &[u8],
        seen: bool,
        date: Option<chrono::DateTime<chrono::FixedOffset>>,
    ) {
        let mut s = self.session();
        let mut cmd = s.append(folder, raw);
        if seen {
            cmd.flag(imap::types::Flag::Seen);
        }
        if let Some(d) = date {
            cmd.internal_date(d);
        }
        cmd.finish().unwrap();
        let _ = s.logout();
    }

    /// (UID, seen) of every message in `folder`.
    pub fn messages(&self, folder: &str) -> Vec<(u32, bool)> {
        let mut s = self.session();
        let mailbox = s.examine(folder).unwrap();
        if mailbox.exists == 0 {
            return Vec::new();
        }
        let fetches = s.uid_fetch("1:*", "(UID FLAGS)").unwrap();
        let mut out: Vec<(u32, bool)> = fetches
            .iter()
            .filter_map(|f| {
                Some((
                    f.uid?,
                    f.flags()
                        .iter()
                        .any(|fl| matches!(fl, imap::types::Flag::Seen)),
                ))
            })
            .collect();
        out.sort();
        let _ = s.logout();
        out
    }

    /// The `[[mail.accounts]]` entry for this server, plain text, with `extra` lines.
    pub fn account_toml(&self, name: &str, extra: &str) -> String {
        format!(
            "[[mail.accounts]]\nname = \"{name}\"\nimap = \"127.0.0.1:{}\"\nuser = \"{USER}\"\npassword_env = \"FL_TEST_IMAP_PASSWORD\"\nsince = \"all\"\n{extra}\n",
            self.port
        )
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// (internal user, login user, mail uid, mail gid).
fn users() -> (String, String, u32, u32) {
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    if euid == 0 {
        let (uid, gid) = ids_of("dovecot")
            .unwrap_or_else(|| panic!("the dovecot user is missing; reinstall Dovecot: {INSTALL}"));
        ("dovecot".into(), "dovenull".into(), uid, gid)
    } else {
        // SAFETY: getegid has no preconditions.
        let egid = unsafe { libc::getegid() };
        let name = Command::new("id")
            .arg("-un")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
            .unwrap();
        (name.clone(), name, euid, egid)
    }
}

fn ids_of(user: &str) -> Option<(u32, u32)> {
    let line = std::fs::read_to_string("/etc/passwd")
        .ok()?
        .lines()
        .find(|l| l.split(':').next() == Some(user))?
        .to_string();
    let mut fields = line.split(':').skip(2);
    Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn chown(path: &Path, uid: u32, gid: u32) {
    std::os::unix::fs::chown(path, Some(uid), Some(gid)).unwrap();
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A stand-in for an OAuth2 provider's token-info endpoint (what Google's
/// `oauth2/v3/tokeninfo` answers), on a free 127.0.0.1 port: the one valid token
/// gets `{"email": USER}`, any other a 401. Counts the checks it answered.
pub struct TokenInfo {
    pub port: u16,
    pub checks: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl TokenInfo {
    pub fn start(valid_token: &str) -> TokenInfo {
        use std::io::{BufRead, BufReader, Write};
        use std::sync::atomic::Ordering;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let checks = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (seen, stopped, token) = (checks.clone(), stop.clone(), valid_token.to_string());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut conn) = conn else { continue };
                let _ = conn.set_read_timeout(Some(DEADLINE));
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut request = String::new();
                let _ = reader.read_line(&mut request);
                // The rest of the request head, up to the blank line.
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                seen.fetch_add(1, Ordering::SeqCst);
                let good = request.contains(&format!("access_token={token} "));
                let (status, body) = if good {
                    (
                        "200 OK",
                        format!("{{\"email\": \"{USER}\", \"expires_in\": 3600}}"),
                    )
                } else {
                    (
                        "401 Unauthorized",
                        "{\"error\": \"invalid_token\"}".to_string(),
                    )
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenInfo { port, checks, stop }
    }

    /// The `tokeninfo_url` Dovecot appends the token to.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/tokeninfo?access_token=", self.port)
    }
}

impl Drop for TokenInfo {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}
