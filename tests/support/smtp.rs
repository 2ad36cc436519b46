//! A real SMTP server for one test: Python's aiosmtpd (Debian's `python3-aiosmtpd`)
//! running `support/smtp_server.py` on a free 127.0.0.1 port, writing what it accepts
//! into a temp folder; stopped when dropped. Without aiosmtpd the test fails with the
//! command that installs it.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const INSTALL: &str = "apt-get install -y python3-aiosmtpd (or pip install aiosmtpd)";

pub struct SmtpServer {
    pub port: u16,
    /// Accepted messages as `N.eml`, their envelopes as `N.env`.
    pub out: tempfile::TempDir,
    child: Child,
}

/// A certificate and key (PEM) for a server that offers STARTTLS.
pub struct ServerCert<'a> {
    pub cert_pem: &'a str,
    pub key_pem: &'a str,
}

/// A Python that has aiosmtpd: Debian's is /usr/bin/python3, which a pyenv or venv
/// earlier on PATH may hide.
fn python() -> PathBuf {
    let candidates = ["python3", "/usr/bin/python3", "/usr/local/bin/python3"];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| {
            Command::new(p)
                .args(["-c", "import aiosmtpd"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        })
        .unwrap_or_else(|| {
            panic!(
                "no Python with aiosmtpd for the SMTP tests: {INSTALL} (or run bash tests/run.sh)"
            )
        })
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        SmtpServer::launch(None)
    }

    /// A server that offers STARTTLS with `cert` and takes no mail before it.
    pub fn start_tls(cert: ServerCert<'_>) -> SmtpServer {
        SmtpServer::launch(Some(cert))
    }

    fn launch(cert: Option<ServerCert<'_>>) -> SmtpServer {
        let out = tempfile::tempdir().unwrap();
        let tls = tempfile::tempdir().unwrap();
        let mut tls_args = Vec::new();
        if let Some(c) = cert {
            let (cert_path, key_path) = (tls.path().join("cert.pem"), tls.path().join("key.pem"));
            std::fs::write(&cert_path, c.cert_pem).unwrap();
            std::fs::write(&key_path, c.key_pem).unwrap();
            tls_args = vec![cert_path, key_path];
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/smtp_server.py");
        let mut child = Command::new(python())
            .arg(script)
            .arg(port.to_string())
            .arg(out.path())
            .args(&tls_args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Python has read the key by the time it says "ready"; the files can go then.
        let _keep_until_ready = tls;
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) if line.trim() == "ready" => {}
            other => {
                let _ = child.kill();
                panic!("the SMTP server did not start ({other:?})");
            }
        }
        SmtpServer { port, out, child }
    }

    /// The messages it accepted, in order.
    pub fn accepted(&self) -> Vec<String> {
        let mut n = 1;
        let mut found = Vec::new();
        while let Ok(text) = std::fs::read_to_string(self.out.path().join(format!("{n}.eml"))) {
            found.push(text);
            n += 1;
        }
        found
    }

    /// The envelope of accepted message `n` (from 1): `MAIL FROM:` and `RCPT TO:` lines.
    pub fn envelope(&self, n: usize) -> String {
        std::fs::read_to_string(self.out.path().join(format!("{n}.env"))).unwrap_or_default()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
