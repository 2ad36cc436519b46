//! What a `[[mail.accounts]]` entry means once checked: where the server is and how
//! to talk to it, where the secret comes from, what to do with fetched mail, how far
//! back the first sync reaches. [`check_accounts`] reports every unusable value with
//! its key (so the start names file and line); [`Account::from_config`] builds the
//! checked form the fetcher works with.
//!
//! The secret itself is read only when connecting ([`Account::secret`]) and is never
//! part of a message, a `Debug` print or an error.

use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

use crate::config::{Invalid, MailAccount, MailConfig};

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Security {
    /// TLS from the first byte (port 993).
    Tls,
    /// A plain connection upgraded with STARTTLS before the login; a server on this
    /// machine that offers no STARTTLS is spoken to in plain text.
    StartTls,
    /// No encryption: allowed only to 127.0.0.1, ::1 or localhost.
    Plain,
}

/// What happens on the server to mail once it is committed locally.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterFetch {
    Keep,
    Seen,
    Move(String),
}

impl std::fmt::Display for AfterFetch {
    /// As the settings spell it: `keep`, `seen`, `move:Archive`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AfterFetch::Keep => f.write_str("keep"),
            AfterFetch::Seen => f.write_str("seen"),
            AfterFetch::Move(folder) => write!(f, "move:{folder}"),
        }
    }
}

/// Where the login secret comes from.
#[derive(Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// `password_env`: the variable's name.
    Env(String),
    /// `password_command`: its first line of output is the password.
    Command(String),
    /// `oauth2_token_command`: its first line is an access token for XOAUTH2.
    OAuth2Command(String),
}

impl std::fmt::Debug for SecretSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.describe())
    }
}

impl SecretSource {
    /// `password_env SHOP_IMAP_PASSWORD`: what the user should check when the login
    /// fails (the key and its value, which is a name or a command, never a secret).
    pub fn describe(&self) -> String {
        match self {
            SecretSource::Env(var) => format!("password_env {var}"),
            SecretSource::Command(cmd) => format!("password_command `{cmd}`"),
            SecretSource::OAuth2Command(cmd) => format!("oauth2_token_command `{cmd}`"),
        }
    }

    /// The key alone, for the status bar: `password_env`.
    pub fn key(&self) -> &'static str {
        match self {
            SecretSource::Env(_) => "password_env",
            SecretSource::Command(_) => "password_command",
            SecretSource::OAuth2Command(_) => "oauth2_token_command",
        }
    }
}

/// A login secret read for one connection. Its `Debug` hides the value.
#[derive(Clone)]
pub struct Secret {
    pub(crate) value: String,
    pub(crate) oauth2: bool,
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(…)")
    }
}

/// A checked account.
#[derive(Debug, Clone)]
pub struct Account {
    pub name: String,
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Whether `security` was written (rather than implied by the port).
    pub security_named: bool,
    pub user: String,
    pub secret: SecretSource,
    pub folders: Vec<String>,
    pub sent_folder: Option<String>,
    pub after_fetch: AfterFetch,
    /// The `since` text; read against the clock at the first sync of a folder.
    pub since: Option<String>,
    pub ca_file: Option<PathBuf>,
    pub append_sent: bool,
}

impl Account {
    /// The checked form of `raw`; `config_dir` anchors a relative `ca_file`. The error
    /// is the first problem [`check_account`] finds.
    pub fn from_config(raw: &MailAccount, config_dir: Option<&Path>) -> Result<Account, String> {
        if let Some(bad) = check_account(raw, 0).into_iter().next() {
            return Err(bad.message);
        }
        let (host, port) = split_host_port(&raw.imap).map_err(|e| e.to_string())?;
        let security = match raw.security.as_deref() {
            Some(s) => parse_security(s)?,
            None if port == 993 => Security::Tls,
            None => Security::StartTls,
        };
        let secret = match (
            &raw.password_env,
            &raw.password_command,
            &raw.oauth2_token_command,
        ) {
            (Some(v), None, None) => SecretSource::Env(v.trim().to_string()),
            (None, Some(c), None) => SecretSource::Command(c.clone()),
            (None, None, Some(c)) => SecretSource::OAuth2Command(c.clone()),
            _ => return Err(format!("{}: exactly one password source", raw.name)),
        };
        let ca_file = raw.ca_file.as_ref().map(|p| match config_dir {
            Some(dir) if p.is_relative() => dir.join(p),
            _ => p.clone(),
        });
        Ok(Account {
            name: raw.name.trim().to_string(),
            host,
            port,
            security,
            security_named: raw.security.is_some(),
            user: raw.user.trim().to_string(),
            secret,
            folders: raw.folders.iter().map(|f| f.trim().to_string()).collect(),
            sent_folder: raw
                .sent_folder
                .as_ref()
                .map(|f| f.trim().to_string())
                .filter(|f| !f.is_empty()),
            after_fetch: parse_after_fetch(&raw.after_fetch)?,
            since: Some(raw.since.trim().to_string())
                .filter(|s| !s.is_empty() && !s.eq_ignore_ascii_case("all")),
            ca_file,
            append_sent: raw.append_sent,
        })
    }

    /// Every account in `mail`, checked.
    pub fn all(mail: &MailConfig, config_dir: Option<&Path>) -> Result<Vec<Account>, String> {
        mail.accounts
            .iter()
            .map(|a| Account::from_config(a, config_dir))
            .collect()
    }

    /// Whether the server is this machine, the only place plain text may go.
    pub fn is_loopback(&self) -> bool {
        is_loopback(&self.host)
    }

    /// The mailbox as the one-fetcher-per-account lock knows it: the login on the
    /// server (two settings files naming one mailbox are one account), never the
    /// password.
    pub fn fetched_account(&self) -> crate::store::live_fetchers::FetchedAccount {
        let user = self.user.trim().to_lowercase();
        let host = self.host.trim().to_lowercase();
        crate::store::live_fetchers::FetchedAccount {
            key: format!("imap:{user}@{host}:{}", self.port),
            // A login that is an address names the mailbox on its own.
            label: if user.contains('@') {
                user.clone()
            } else {
                format!("{user}@{host}")
            },
        }
    }

    /// The first sync's lower bound for `now`, in the desk's time zone for dates.
    pub fn since_cutoff(&self, now: DateTime<Utc>, tz: chrono_tz::Tz) -> Option<DateTime<Utc>> {
        let since = self.since.as_deref()?;
        crate::store::parse_when(since, now, tz)
    }

    /// Reads the secret for one login. The error names the source, never a value.
    pub fn read_secret(&self) -> Result<Secret, String> {
        let (value, oauth2) = match &self.secret {
            SecretSource::Env(var) => match std::env::var(var) {
                Ok(v) if !v.is_empty() => (v, false),
                _ => {
                    return Err(format!(
                        "password_env {var} is not set; export {var} with the mailbox password"
                    ))
                }
            },
            SecretSource::Command(cmd) => (run_secret_command(cmd, "password_command")?, false),
            SecretSource::OAuth2Command(cmd) => {
                (run_secret_command(cmd, "oauth2_token_command")?, true)
            }
        };
        Ok(Secret { value, oauth2 })
    }

    /// The key under which a folder's position is stored: the server, the login and
    /// the folder, so a changed server or login never resumes from another's UIDs.
    pub fn folder_key(&self, folder: &str) -> String {
        format!("imap:{}@{}:{}/{}", self.user, self.host, self.port, folder)
    }
}

/// Runs a secret command with `sh -c` and returns its first line. Neither its standard
/// output nor its standard error is ever shown: a failing command may have written the
/// secret to either (a script that echoes what it read, `set -x`, a tool printing its
/// input in an error — a new-user trial saw `failed (exit status: 3): oops-secret-123`).
/// A failure is reported by its exit status and a pointer to run the command by hand,
/// where its own output is the user's to read.
fn run_secret_command(cmd: &str, key: &str) -> Result<String, String> {
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(cmd)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("{key} `{cmd}` cannot start: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{key} `{cmd}` failed ({}); see the command's own output by running it yourself",
            out.status
        ));
    }
    let text = String::from_utf8(out.stdout)
        .map_err(|_| format!("{key} `{cmd}` printed something that is not text"))?;
    let first = text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r');
    if first.is_empty() {
        return Err(format!("{key} `{cmd}` printed nothing"));
    }
    Ok(first.to_string())
}

pub(crate) fn is_loopback(host: &str) -> bool {
    matches!(
        host.trim_start_matches('[').trim_end_matches(']'),
        "127.0.0.1" | "::1" | "localhost"
    )
}

/// `imap.example.com:993`, `[::1]:1143`, or a bare host (993).
fn split_host_port(text: &str) -> Result<(String, u16), &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("is empty");
    }
    if text.contains("://") {
        return Err("is a URL; write host:port, e.g. imap.example.com:993");
    }
    let (host, port) = if let Some(rest) = text.strip_prefix('[') {
        let (host, after) = rest.split_once(']').ok_or("has an unclosed [")?;
        match after.strip_prefix(':') {
            Some(port) => (host, Some(port)),
            None if after.is_empty() => (host, None),
            None => return Err("has text after ]"),
        }
    } else if text.matches(':').count() > 1 {
        // A bare IPv6 address without a port.
        (text, None)
    } else {
        match text.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (text, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err("has no usable host name");
    }
    let port = match port {
        Some(p) => p
            .parse::<u16>()
            .ok()
            .filter(|p| *p > 0)
            .ok_or("has a port that is not a number from 1 to 65535")?,
        None => 993,
    };
    Ok((host.to_string(), port))
}

fn parse_security(text: &str) -> Result<Security, String> {
    match text.trim().to_lowercase().as_str() {
        "tls" | "ssl" | "imaps" => Ok(Security::Tls),
        "starttls" => Ok(Security::StartTls),
        "plain" | "none" => Ok(Security::Plain),
        other => Err(format!(
            "security '{other}' is not one of tls, starttls, plain"
        )),
    }
}

fn parse_after_fetch(text: &str) -> Result<AfterFetch, String> {
    let t = text.trim();
    match t.to_lowercase().as_str() {
        "keep" | "" => return Ok(AfterFetch::Keep),
        "seen" => return Ok(AfterFetch::Seen),
        _ => {}
    }
    match t.split_once(':') {
        Some((verb, folder)) if verb.eq_ignore_ascii_case("move") && !folder.trim().is_empty() => {
            Ok(AfterFetch::Move(folder.trim().to_string()))
        }
        _ => Err(format!(
            "after_fetch '{t}' is not keep, seen or move:Folder (e.g. move:Archive)"
        )),
    }
}

/// Every unusable value of every account, keyed `mail.accounts.N.key` (N from 0) so
/// the settings loader can name the line.
pub fn check_accounts(mail: &MailConfig) -> Vec<Invalid> {
    let mut found = Vec::new();
    let mut names = std::collections::HashSet::new();
    for (i, account) in mail.accounts.iter().enumerate() {
        found.extend(check_account(account, i));
        let name = account.name.trim().to_lowercase();
        if !name.is_empty() && !names.insert(name) {
            found.push(Invalid {
                key: format!("mail.accounts.{i}.name"),
                message: format!(
                    "[[mail.accounts]] name '{}' is used twice; give each account its own name",
                    account.name.trim()
                ),
            });
        }
    }
    found
}

fn check_account(a: &MailAccount, i: usize) -> Vec<Invalid> {
    let mut found = Vec::new();
    let name = a.name.trim();
    let label = if name.is_empty() {
        format!("[[mail.accounts]] #{}", i + 1)
    } else {
        format!("[[mail.accounts]] {name}")
    };
    let mut bad = |key: &str, message: String| {
        found.push(Invalid {
            key: if key.is_empty() {
                format!("mail.accounts.{i}")
            } else {
                format!("mail.accounts.{i}.{key}")
            },
            message: format!("{label}: {message}"),
        })
    };
    if name.is_empty() {
        bad("", "needs a name, e.g. name = \"shop\"".into());
    } else if !name
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        bad(
            "name",
            format!("name '{name}' may hold only letters, digits, '-', '_' and '.'"),
        );
    }
    match split_host_port(&a.imap) {
        Err(why) => bad(
            if a.imap.trim().is_empty() { "" } else { "imap" },
            format!(
                "imap = \"{}\" {why}; expected host:port, e.g. imap.example.com:993",
                a.imap.trim()
            ),
        ),
        Ok((host, _)) => {
            let security = a.security.as_deref().map(parse_security);
            match security {
                Some(Err(e)) => bad("security", e),
                Some(Ok(Security::Plain)) if !is_loopback(&host) => bad(
                    "security",
                    format!(
                        "security = \"plain\" would send the password unencrypted to {host}; plain text is allowed only to 127.0.0.1, ::1 or localhost"
                    ),
                ),
                _ => {}
            }
        }
    }
    if a.user.trim().is_empty() {
        bad("", "needs user = \"the login\"".into());
    }
    let sources = [
        ("password_env", &a.password_env),
        ("password_command", &a.password_command),
        ("oauth2_token_command", &a.oauth2_token_command),
    ];
    let set: Vec<&str> = sources
        .iter()
        .filter(|(_, v)| v.is_some())
        .map(|(k, _)| *k)
        .collect();
    match set.as_slice() {
        [] => bad(
            "",
            "needs password_env = \"VARIABLE\", password_command = \"…\" or oauth2_token_command = \"…\" (never the password itself)".into(),
        ),
        [_] => {}
        [_, second, ..] => bad(
            second,
            format!("set only one of password_env, password_command, oauth2_token_command (found {})", set.join(" and ")),
        ),
    }
    for (key, value) in sources {
        if value.as_ref().is_some_and(|v| v.trim().is_empty()) {
            bad(key, format!("{key} is empty"));
        }
    }
    if let Some(var) = &a.password_env {
        let v = var.trim();
        if !v.is_empty() && !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            bad(
                "password_env",
                "password_env names an environment variable (letters, digits, _), not the password"
                    .into(),
            );
        }
    }
    if a.folders.is_empty() {
        bad(
            "folders",
            "folders is empty; list at least one, e.g. [\"INBOX\"]".into(),
        );
    }
    if a.folders.iter().any(|f| f.trim().is_empty()) {
        bad("folders", "folders has an empty name".into());
    }
    if a.sent_folder
        .as_ref()
        .is_some_and(|s| a.folders.iter().any(|f| f.trim() == s.trim()))
    {
        bad(
            "sent_folder",
            "sent_folder is also in folders; the Sent folder is read for your replies, list it only as sent_folder".into(),
        );
    }
    if let Err(e) = parse_after_fetch(&a.after_fetch) {
        bad("after_fetch", e);
    }
    let since = a.since.trim();
    if !since.is_empty()
        && !since.eq_ignore_ascii_case("all")
        && crate::store::parse_when(since, Utc::now(), chrono_tz::UTC).is_none()
    {
        bad(
            "since",
            format!("since '{since}' is not an age or date; try 90d, 2w, 2026-01-01 or all"),
        );
    }
    if a.append_sent && a.sent_folder.is_none() {
        bad(
            "append_sent",
            "append_sent needs sent_folder, the folder replies are appended to".into(),
        );
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account() -> MailAccount {
        MailAccount {
            name: "shop".into(),
            imap: "imap.example.com:993".into(),
            user: "support@shop.example".into(),
            password_env: Some("SHOP_IMAP_PASSWORD".into()),
            ..Default::default()
        }
    }

    #[test]
    fn port_decides_tls_unless_named() {
        let a = Account::from_config(&account(), None).unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.security),
            ("imap.example.com", 993, Security::Tls)
        );
        let mut raw = account();
        raw.imap = "imap.example.com:143".into();
        assert_eq!(
            Account::from_config(&raw, None).unwrap().security,
            Security::StartTls
        );
        raw.imap = "[::1]:1143".into();
        raw.security = Some("plain".into());
        let a = Account::from_config(&raw, None).unwrap();
        assert_eq!(
            (a.host.as_str(), a.port, a.security),
            ("::1", 1143, Security::Plain)
        );
    }

    #[test]
    fn plain_text_to_another_machine_is_refused() {
        let mut raw = account();
        raw.security = Some("plain".into());
        let problems = check_account(&raw, 0);
        assert_eq!(problems[0].key, "mail.accounts.0.security");
        assert!(problems[0].message.contains("unencrypted"), "{problems:?}");
    }

    #[test]
    fn after_fetch_values() {
        assert_eq!(parse_after_fetch("keep"), Ok(AfterFetch::Keep));
        assert_eq!(parse_after_fetch("seen"), Ok(AfterFetch::Seen));
        assert_eq!(
            parse_after_fetch("move:Archive"),
            Ok(AfterFetch::Move("Archive".into()))
        );
        assert!(parse_after_fetch("move:").is_err());
        assert!(parse_after_fetch("delete").is_err());
    }

    #[test]
    fn one_secret_source_only() {
        let mut raw = account();
        raw.password_command = Some("pass show shop".into());
        let problems = check_account(&raw, 2);
        assert_eq!(problems[0].key, "mail.accounts.2.password_command");
        raw.password_env = None;
        raw.password_command = None;
        assert!(check_account(&raw, 0)[0].message.contains("password_env"));
    }

    #[test]
    fn secret_debug_hides_the_value() {
        let s = Secret {
            value: "hunter2".into(),
            oauth2: false,
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }

    #[test]
    fn secret_command_first_line_and_silent_failure() {
        let mut raw = account();
        raw.password_env = None;
        raw.password_command = Some("printf 'pw1\\nsecond\\n'".into());
        let a = Account::from_config(&raw, None).unwrap();
        assert_eq!(a.read_secret().unwrap().value, "pw1");
        // Prints "hunter2" without the command holding it; the error must not show it.
        raw.password_command = Some("printf aHVudGVyMg== | base64 -d; exit 3".into());
        let a = Account::from_config(&raw, None).unwrap();
        let err = a.read_secret().unwrap_err();
        assert!(!err.contains("hunter2"), "{err}");
        assert!(err.contains("failed"), "{err}");
        // A failing command may echo the secret to stdout or stderr: neither is shown,
        // only the exit status and where to look (a new-user trial saw the secret).
        // (The command decodes the secret, so its own text does not hold it.)
        raw.password_command = Some(
            "s=$(printf b29wcy1zZWNyZXQtMTIz | base64 -d); echo $s; echo $s >&2; exit 3".into(),
        );
        let a = Account::from_config(&raw, None).unwrap();
        let err = a.read_secret().unwrap_err();
        assert!(!err.contains("oops-secret-123"), "{err}");
        assert!(
            err.ends_with(
                "failed (exit status: 3); see the command's own output by running it yourself"
            ),
            "{err}"
        );
    }

    #[test]
    fn problems_name_the_line_of_the_account_key() {
        let text = "[mail]\naddresses = [\"a@b.c\"]\n\n[[mail.accounts]]\nname = \"shop\"\nimap = \"imap.example.com:993\"\nuser = \"u\"\npassword_env = \"P\"\n\n[[mail.accounts]]\nname = \"home\"\nimap = \"imap.example.com:993\"\nuser = \"u\"\npassword_env = \"P\"\nafter_fetch = \"delete\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, text).unwrap();
        let err = crate::config::Config::load_checked(&path, true, |c| check_accounts(&c.mail))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 15:"), "{err}");
        assert!(
            err.contains("[[mail.accounts]] home: after_fetch 'delete'"),
            "{err}"
        );
        // A missing key points at the account's header.
        std::fs::write(
            &path,
            text.replace("user = \"u\"\npassword_env = \"P\"\nafter", "after"),
        )
        .unwrap();
        let err = crate::config::Config::load_checked(&path, true, |c| check_accounts(&c.mail))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("line 10: [[mail.accounts]] home: needs user"),
            "{err}"
        );
    }

    #[test]
    fn a_wrong_type_names_the_account_key() {
        let err = crate::config::Config::parse(
            "[[mail.accounts]]\nname = \"shop\"\nfolders = \"INBOX\"\n",
        )
        .unwrap_err();
        assert!(err.contains("line 3: mail.accounts[0].folders"), "{err}");
    }
}
