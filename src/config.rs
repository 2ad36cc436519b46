//! The user's settings file (`config.toml` in the config dir, or `FIRSTLINE_CONFIG`):
//! who signs replies, how mail leaves the machine, SLA targets, keys. A bad file is
//! reported with its path, line and key; nothing starts on a half-read config.

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// Everything configurable. Every section has defaults, so no file is needed to start.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The file these settings were read from (or would be), for writing back what
    /// the console asks once, such as the agent's name.
    #[serde(skip)]
    pub path: Option<PathBuf>,
    pub agent: AgentConfig,
    pub mail: MailConfig,
    pub sla: SlaConfig,
    pub ui: UiConfig,
    pub backup: BackupConfig,
}

/// Automatic daily backups: the queue is the business's memory of its customers, and
/// a backup nobody has to remember is the one that exists when the disk dies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BackupConfig {
    /// Take one backup a day when the console starts (or `firstline backup --auto` runs).
    pub daily: bool,
    /// How many daily backups to keep; older ones are deleted.
    pub keep: usize,
    /// Where they go (default: `backups/` beside the database).
    pub dir: Option<PathBuf>,
}

impl Default for BackupConfig {
    fn default() -> Self {
        BackupConfig {
            daily: true,
            keep: 7,
            dir: None,
        }
    }
}

/// The person answering: replies are signed with a real name, never "Support".
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    pub name: String,
    pub email: String,
    /// Appended to replies; `{{agent.name}}` style placeholders are filled by canned.
    pub signature: String,
    pub company: String,
}

impl Default for AgentConfig {
    fn default() -> Self {
        let user = std::env::var("USER").unwrap_or_else(|_| "agent".into());
        AgentConfig {
            name: String::new(),
            email: format!("{user}@localhost"),
            signature: String::new(),
            company: String::new(),
        }
    }
}

impl AgentConfig {
    /// The name to sign with: the configured one, else the OS user (the tone checker
    /// still warns when it does not look like a real name).
    pub fn display_name(&self) -> String {
        if self.name.trim().is_empty() {
            std::env::var("USER").unwrap_or_else(|_| "agent".into())
        } else {
            self.name.trim().to_string()
        }
    }
}

/// Intake and delivery of mail.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// Our own addresses: mail from these is an outbound reply, not a new customer.
    pub addresses: Vec<String>,
    /// A sendmail-compatible command that reads the message on stdin (`msmtp -t`).
    pub sendmail: Option<String>,
    /// SMTP server as `host:port`, used when `sendmail` is not set.
    pub smtp_server: Option<String>,
    pub smtp_user: Option<String>,
    /// Environment variable holding the SMTP password (never the password itself).
    pub smtp_password_env: Option<String>,
    /// Seconds a reply waits in the outbox so it can be undone.
    pub undo_seconds: u64,
    /// Where replies are written as .eml when no transport is configured.
    pub outbox_dir: Option<PathBuf>,
    /// Attachments larger than this are recorded but their content is not kept.
    pub attachment_limit_mb: u64,
    /// Maildirs the console imports on start and then watches for new mail.
    pub watch: Vec<PathBuf>,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            addresses: Vec::new(),
            sendmail: None,
            smtp_server: None,
            smtp_user: None,
            smtp_password_env: None,
            undo_seconds: 10,
            outbox_dir: None,
            attachment_limit_mb: 25,
            watch: Vec::new(),
        }
    }
}

/// Response-time targets. The SLA module reads these; the defaults are the ones a
/// small business can keep: urgent 1 h, high 4 h, normal 8 h, low 24 h.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaConfig {
    pub first_response_minutes: PriorityMinutes,
    /// Target for answering each later customer message, in business minutes.
    pub next_response_minutes: PriorityMinutes,
    pub resolution_minutes: PriorityMinutes,
    /// Per-channel overrides (`[sla.channels.chat]`): a chat customer expects an answer
    /// sooner than one who sent an e-mail. Keys are channel names.
    pub channels: std::collections::BTreeMap<String, ChannelSla>,
    /// IANA time zone for business hours, e.g. "Europe/Kyiv".
    pub timezone: String,
    /// Business hours as "09:00-18:00"; empty means 24/7.
    pub hours: String,
    /// Working days, 1 = Monday .. 7 = Sunday.
    pub days: Vec<u8>,
    /// Dates (YYYY-MM-DD) that are not working days.
    pub holidays: Vec<String>,
    /// Minutes before a breach at which to warn.
    pub warn_minutes: Vec<i64>,
    /// The share of tickets (percent) the first line should solve itself; the seed's 90%.
    pub first_contact_target_percent: u8,
    /// Response time (ms) above which `firstline watch` counts a site as slow.
    pub watch_slow_ms: u64,
}

/// Targets for one channel; a missing one falls back to the `[sla]` value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelSla {
    pub first_response_minutes: Option<PriorityMinutes>,
    pub next_response_minutes: Option<PriorityMinutes>,
    pub resolution_minutes: Option<PriorityMinutes>,
}

impl Default for SlaConfig {
    fn default() -> Self {
        SlaConfig {
            first_response_minutes: PriorityMinutes {
                urgent: 60,
                high: 240,
                normal: 480,
                low: 1440,
            },
            next_response_minutes: PriorityMinutes {
                urgent: 60,
                high: 240,
                normal: 480,
                low: 1440,
            },
            channels: std::collections::BTreeMap::new(),
            resolution_minutes: PriorityMinutes {
                urgent: 480,
                high: 1440,
                normal: 4320,
                low: 10080,
            },
            timezone: "UTC".into(),
            hours: String::new(),
            days: vec![1, 2, 3, 4, 5, 6, 7],
            holidays: Vec::new(),
            warn_minutes: vec![60, 15],
            first_contact_target_percent: 90,
            watch_slow_ms: 3000,
        }
    }
}

/// Minutes per priority level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriorityMinutes {
    pub urgent: i64,
    pub high: i64,
    pub normal: i64,
    pub low: i64,
}

impl PriorityMinutes {
    /// The target for one priority.
    pub fn get(&self, p: crate::model::Priority) -> i64 {
        use crate::model::Priority::*;
        match p {
            Urgent => self.urgent,
            High => self.high,
            Normal => self.normal,
            Low => self.low,
        }
    }
}

/// Look and keys of the console.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct UiConfig {
    /// "dark", "light" or "auto".
    pub theme: Option<String>,
    /// Key overrides: action name → key (e.g. `reply = "R"`).
    pub keys: std::collections::BTreeMap<String, String>,
}

/// A settings file that could not be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
}

impl Config {
    /// Reads `path` if it exists; a missing file means defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Config {
                    path: Some(path.to_path_buf()),
                    ..Config::default()
                })
            }
            Err(source) => {
                return Err(ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })
            }
        };
        let mut config = Config::parse(&text).map_err(|message| ConfigError::Parse {
            path: path.to_path_buf(),
            message,
        })?;
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    /// Parses TOML text; the error names the line, column and key that was wrong.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let place = e
                .span()
                .map(|span| {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!("line {line}: ")
                })
                .unwrap_or_default();
            format!("{place}{}", e.message())
        })
    }
}

/// Writes `[agent] name` into the settings file at `path`, keeping every other line
/// (and comment) as it was; creates the file if there is none. The result is parsed
/// before it replaces the file, so a write-back never leaves a config that will not
/// load. The error is a short reason for the status bar.
pub fn save_agent_name(path: &Path, name: &str) -> Result<(), String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let line = format!("name = {}", toml::Value::String(name.to_string()));
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let header = |l: &str| l.trim_start().starts_with('[');
    match lines.iter().position(|l| l.trim() == "[agent]") {
        Some(start) => {
            let end = (start + 1..lines.len())
                .find(|i| header(&lines[*i]))
                .unwrap_or(lines.len());
            let existing = (start + 1..end).find(|i| {
                lines[*i]
                    .split_once('=')
                    .is_some_and(|(k, _)| k.trim() == "name")
            });
            match existing {
                Some(i) => lines[i] = line,
                None => lines.insert(start + 1, line),
            }
        }
        None => {
            if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                lines.push(String::new());
            }
            lines.push("[agent]".into());
            lines.push(line);
        }
    }
    let new_text = lines.join("\n") + "\n";
    match Config::parse(&new_text) {
        Ok(c) if c.agent.name == name => {}
        Ok(_) => return Err("the settings file did not take the name".into()),
        Err(e) => return Err(format!("the settings file would not load: {e}")),
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, new_text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_name_write_back_keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[agent]\nemail = \"a@b.c\"\n[ui]\ntheme = \"dark\"\n",
        )
        .unwrap();
        save_agent_name(&path, "Олена \"Оля\" Коваль").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.agent.name, "Олена \"Оля\" Коваль");
        assert_eq!(c.agent.email, "a@b.c");
        assert_eq!(c.ui.theme.as_deref(), Some("dark"));
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# mine\n"));
        save_agent_name(&path, "Olena").unwrap();
        assert_eq!(Config::load(&path).unwrap().agent.name, "Olena");
    }

    #[test]
    fn agent_name_write_back_creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        save_agent_name(&path, "Olena").unwrap();
        assert_eq!(Config::load(&path).unwrap().agent.name, "Olena");
    }

    #[test]
    fn agent_name_write_back_refuses_to_break_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[agent\nname = 1\n").unwrap();
        assert!(save_agent_name(&path, "Olena").is_err());
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "[agent\nname = 1\n"
        );
    }

    #[test]
    fn empty_file_is_all_defaults() {
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn reads_sections() {
        let c = Config::parse(
            "[agent]\nname = \"Олена Коваль\"\n[mail]\naddresses = [\"help@shop.ua\"]\nundo_seconds = 5\n",
        )
        .unwrap();
        assert_eq!(c.agent.name, "Олена Коваль");
        assert_eq!(c.mail.addresses, vec!["help@shop.ua"]);
        assert_eq!(c.mail.undo_seconds, 5);
        assert_eq!(c.sla.first_response_minutes.urgent, 60);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let err = Config::parse("[agent]\nname = \"x\"\nnmae = \"y\"\n").unwrap_err();
        assert!(err.contains("line 3"), "{err}");
        assert!(err.contains("nmae"), "{err}");
    }

    #[test]
    fn wrong_type_is_reported() {
        let err = Config::parse("[mail]\nundo_seconds = \"ten\"\n").unwrap_err();
        assert!(err.contains("line 2"), "{err}");
    }
}
