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
    pub tone: ToneConfig,
    pub backup: BackupConfig,
    /// Where the queue lives when it is not the SQLite file in the data dir.
    pub store: StoreConfig,
    /// A Telegram bot as a live support channel; absent means no bot.
    pub telegram: Option<TelegramConfig>,
}

/// A Telegram bot as a support channel (`[telegram]`): customers write to the bot,
/// replies typed in the console go back to their chat. The token itself is never
/// in this file (which gets backed up and shared): it comes from an environment
/// variable or a command such as `pass show telegram/bot`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelegramConfig {
    /// The environment variable holding the bot token.
    pub token_env: Option<String>,
    /// A shell command that prints the bot token.
    pub token_command: Option<String>,
    /// The Bot API server: Telegram's, a local Bot API server, or a test server.
    pub api_url: String,
    /// A message after this many days without one opens a new ticket.
    pub new_ticket_after_days: u32,
    /// Outside the `[sla]` hours, answer once per ticket saying when a person will reply.
    pub away_reply: bool,
    /// How long one `getUpdates` long poll waits for news, in seconds (0–50).
    pub poll_seconds: u64,
    /// Take messages from groups the bot is in too (normally private chats only).
    pub groups: bool,
}

impl Default for TelegramConfig {
    fn default() -> Self {
        TelegramConfig {
            token_env: None,
            token_command: None,
            api_url: "https://api.telegram.org".into(),
            new_ticket_after_days: 3,
            away_reply: true,
            poll_seconds: 30,
            groups: false,
        }
    }
}

/// Where the queue lives (`[store]`): a PostgreSQL database a team shares. `--db` and
/// `FIRSTLINE_DB` still win, so one command can look at another queue.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoreConfig {
    /// `postgres://user@host/database` (a password is better kept in `~/.pgpass` or
    /// `PGPASSWORD` than in this file, which gets backed up and shared).
    pub url: Option<String>,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    pub name: String,
    /// The From address of replies; empty means "use the first `[mail] addresses`".
    /// Never defaulted to a made-up `user@localhost`: a reply from an address the
    /// customer cannot answer is worse than a refusal that says which key to set.
    pub email: String,
    /// Appended to replies; `{{agent.name}}` style placeholders are filled by canned.
    pub signature: String,
    pub company: String,
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

impl Config {
    /// The agent's and the company's own addresses (`[agent] email`, `[mail]
    /// addresses`): a reply may give these to a customer.
    pub fn own_contacts(&self) -> Vec<String> {
        std::iter::once(&self.agent.email)
            .chain(&self.mail.addresses)
            .map(|a| a.trim().to_string())
            .filter(|a| !a.is_empty())
            .collect()
    }

    /// The address replies are sent from: `[agent] email`, else the shop's first
    /// `[mail] addresses`; `None` when neither is set (the caller must ask or refuse).
    pub fn sender_address(&self) -> Option<String> {
        std::iter::once(&self.agent.email)
            .chain(&self.mail.addresses)
            .map(|a| a.trim())
            .find(|a| !a.is_empty())
            .map(str::to_string)
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
    /// `tls`, `starttls` or `plain` to override what `smtp_server`'s port implies
    /// (465 TLS, localhost plain, anything else STARTTLS).
    pub smtp_security: Option<String>,
    /// A private CA (PEM) trusted for the SMTP server on top of the public
    /// authorities; relative to the settings file.
    pub smtp_ca_file: Option<PathBuf>,
    /// Outside the `[sla]` hours, answer a customer whose mail opens a new ticket
    /// once, saying when a person will reply (see `mail::imap::away`). Off unless set.
    pub away_reply: bool,
    /// Seconds a reply waits in the outbox so it can be undone.
    pub undo_seconds: u64,
    /// Where replies are written as .eml when no transport is configured.
    pub outbox_dir: Option<PathBuf>,
    /// Attachments larger than this are recorded but their content is not kept.
    pub attachment_limit_mb: u64,
    /// Maildirs the console imports on start and then watches for new mail.
    pub watch: Vec<PathBuf>,
    /// Live mailboxes (`[[mail.accounts]]`) that `firstline fetch` and the console
    /// read over IMAP. Checked by `mail::imap::check_accounts`.
    pub accounts: Vec<MailAccount>,
}

/// One IMAP mailbox, as the user writes it. Holds where the password comes from,
/// never the password itself, so printing a config can never leak one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailAccount {
    /// The account's short name in messages and the status bar (`shop`).
    pub name: String,
    /// `host:port`: 993 is TLS, any other port STARTTLS (plain text only to
    /// 127.0.0.1 / ::1 / localhost when the server offers no STARTTLS).
    pub imap: String,
    /// `tls`, `starttls` or `plain` to override what the port implies.
    pub security: Option<String>,
    pub user: String,
    /// Environment variable holding the password.
    pub password_env: Option<String>,
    /// Command printing the password on its first line (`pass show shop/imap`).
    pub password_command: Option<String>,
    /// Command printing an OAuth2 access token for XOAUTH2 (Gmail, Microsoft 365).
    pub oauth2_token_command: Option<String>,
    /// Folders whose new mail becomes tickets.
    pub folders: Vec<String>,
    /// The user's own sent mail: replies written elsewhere thread into tickets.
    pub sent_folder: Option<String>,
    /// `keep`, `seen` or `move:Folder`, done on the server after the local commit.
    pub after_fetch: String,
    /// How far back the first sync reaches: `90d`, `2w`, `2026-01-01` or `all`.
    pub since: String,
    /// A private CA (PEM) trusted on top of the public authorities; relative to the
    /// settings file.
    pub ca_file: Option<PathBuf>,
    /// Append replies sent from firstline to `sent_folder`.
    pub append_sent: bool,
}

impl Default for MailAccount {
    fn default() -> Self {
        MailAccount {
            name: String::new(),
            imap: String::new(),
            security: None,
            user: String::new(),
            password_env: None,
            password_command: None,
            oauth2_token_command: None,
            folders: vec!["INBOX".into()],
            sent_folder: None,
            after_fetch: "keep".into(),
            since: "90d".into(),
            ca_file: None,
            append_sent: false,
        }
    }
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            addresses: Vec::new(),
            sendmail: None,
            smtp_server: None,
            smtp_user: None,
            smtp_password_env: None,
            smtp_security: None,
            smtp_ca_file: None,
            away_reply: false,
            undo_seconds: 10,
            outbox_dir: None,
            attachment_limit_mb: 25,
            watch: Vec::new(),
            accounts: Vec::new(),
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
    /// IANA time zone for business hours, e.g. "Europe/Kyiv". A settings file that
    /// does not set it gets the system's zone (see [`ZoneSource`]).
    pub timezone: String,
    /// Where `timezone` came from, for `doctor` to name it.
    #[serde(skip)]
    pub timezone_source: ZoneSource,
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

/// Where the desk's time zone (`[sla] timezone`) came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ZoneSource {
    /// Built-in settings (no file read): UTC, so nothing depends on the machine.
    #[default]
    Default,
    /// Set in the settings file.
    Settings,
    /// Not set: the system's zone (`TZ`, else `/etc/localtime` and the like).
    System,
    /// Not set, and the system's zone could not be found: UTC.
    Fallback,
}

impl ZoneSource {
    /// How `doctor` says where the zone came from.
    pub fn describe(self) -> &'static str {
        match self {
            ZoneSource::Default => "built-in default",
            ZoneSource::Settings => "from [sla] timezone",
            ZoneSource::System => "the system's; [sla] timezone is not set",
            ZoneSource::Fallback => "the system's zone could not be found; set [sla] timezone",
        }
    }
}

/// The system's time zone as an IANA name: `TZ` when it names one (`Europe/Kyiv`,
/// `:Europe/Kyiv`, a path into a zoneinfo folder), else what the OS says (the
/// `iana-time-zone` crate reads `/etc/localtime` and its equivalents). `None` when
/// neither gives a zone chrono-tz knows.
pub fn system_timezone() -> Option<String> {
    let from_tz = std::env::var("TZ").ok().and_then(|v| zone_from_tz_var(&v));
    from_tz.or_else(|| {
        iana_time_zone::get_timezone()
            .ok()
            .filter(|name| name.parse::<chrono_tz::Tz>().is_ok())
    })
}

/// A zone name from a `TZ` value, if it names one.
fn zone_from_tz_var(value: &str) -> Option<String> {
    let value = value.trim().trim_start_matches(':');
    let name = match value.rsplit_once("zoneinfo/") {
        Some((_, name)) => name,
        None => value,
    };
    name.parse::<chrono_tz::Tz>()
        .ok()
        .map(|tz| tz.name().to_string())
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
            timezone_source: ZoneSource::Default,
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

/// The tone checklist's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ToneConfig {
    /// Which findings make sending ask for a yes: severities ("block", "warn",
    /// "hint"), optionally for one commandment ("warn:1"; 0 = house rules). The
    /// tone module gives them their meaning and checks them.
    pub confirm: Vec<String>,
}

impl Default for ToneConfig {
    fn default() -> Self {
        ToneConfig {
            confirm: ["block", "warn:1", "warn:3"]
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// A settings file that could not be used, with where and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file the user named (`--config`) is not there: running on defaults instead
    /// would quietly ignore every setting they meant to use.
    #[error(
        "{path} does not exist; check the --config path, or leave --config out to use the defaults"
    )]
    Missing { path: PathBuf },
    #[error("{path}: {message}")]
    Parse { path: PathBuf, message: String },
    /// Values that parsed but cannot be used, each as "line N: what is expected". The
    /// start shows the first; `doctor` lists them all.
    #[error("{path}: {}{}", problems[0], more(problems.len()))]
    Invalid {
        path: PathBuf,
        problems: Vec<String>,
    },
}

fn more(count: usize) -> String {
    match count {
        0 | 1 => String::new(),
        n => format!(" (and {} more; `firstline doctor` lists them)", n - 1),
    }
}

impl ConfigError {
    /// Whether the file's owner can fix it by editing or naming it (exit 1), rather
    /// than the disk failing (exit 2).
    pub fn is_user_error(&self) -> bool {
        !matches!(self, ConfigError::Read { .. })
    }
}

/// A value that is well-typed but cannot be used (`timezone = "Europe/Kiev2"`), as
/// reported by the module that gives the value its meaning. `key` is the dotted path
/// (`sla.timezone`), which [`Config::load_checked`] turns into a line number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub key: String,
    pub message: String,
}

impl Config {
    /// Reads `path` if it exists; a missing file means defaults.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_checked(path, false, |_| Vec::new())
    }

    /// Reads `path` and checks every value with `check`. A missing file means
    /// defaults unless `required` (the user named it). Kept apart from the modules that
    /// know what a valid zone or key is, so settings depend on nothing above them.
    pub fn load_checked(
        path: &Path,
        required: bool,
        check: impl Fn(&Config) -> Vec<Invalid>,
    ) -> Result<Config, ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => String::new(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(ConfigError::Missing {
                    path: path.to_path_buf(),
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
        config.resolve_timezone(&text);
        let mut located: Vec<(Option<usize>, String)> = check(&config)
            .into_iter()
            .map(|bad| (line_of_key(&text, &bad.key), bad.message))
            .collect();
        // In the order the file reads; problems with defaults (no line) last.
        located.sort_by_key(|(line, _)| line.unwrap_or(usize::MAX));
        let problems: Vec<String> = located
            .into_iter()
            .map(|(line, message)| match line {
                Some(line) => format!("line {line}: {message}"),
                None => message,
            })
            .collect();
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            })
        }
    }

    /// A settings file that does not set `[sla] timezone` means the system's zone
    /// (UTC only when that cannot be found), as people expect of a desk tool.
    fn resolve_timezone(&mut self, text: &str) {
        let set = toml::from_str::<toml::Table>(text)
            .ok()
            .is_some_and(|t| t.get("sla").and_then(|s| s.get("timezone")).is_some());
        if set {
            self.sla.timezone_source = ZoneSource::Settings;
            return;
        }
        (self.sla.timezone, self.sla.timezone_source) = match system_timezone() {
            Some(name) => (name, ZoneSource::System),
            None => ("UTC".into(), ZoneSource::Fallback),
        };
    }

    /// Parses TOML text; the error names the line and key that was wrong.
    pub fn parse(text: &str) -> Result<Config, String> {
        toml::from_str(text).map_err(|e| {
            let start = e.span().map(|span| span.start.min(text.len()));
            let line = start
                .map(|at| format!("line {}: ", line_of(text, at)))
                .unwrap_or_default();
            // Unknown keys name themselves; a wrong type names only the type, so the
            // key whose value is at the error's position is added.
            let key = start
                .filter(|_| !e.message().contains("unknown field"))
                .and_then(|at| key_at(text, at))
                .map(|k| format!("{k}: "))
                .unwrap_or_default();
            format!("{line}{key}{}", e.message())
        })
    }
}

/// An `[agent]` setting the console asks for once and writes back: the name replies
/// are signed with, the address they come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgentKey {
    Name,
    Email,
}

impl AgentKey {
    /// The key's name in the file.
    pub fn key(self) -> &'static str {
        match self {
            AgentKey::Name => "name",
            AgentKey::Email => "email",
        }
    }

    /// The value as `config` holds it.
    pub fn read(self, config: &Config) -> &str {
        match self {
            AgentKey::Name => &config.agent.name,
            AgentKey::Email => &config.agent.email,
        }
    }

    /// Sets the value in `config`.
    pub fn set(self, config: &mut Config, value: &str) {
        let field = match self {
            AgentKey::Name => &mut config.agent.name,
            AgentKey::Email => &mut config.agent.email,
        };
        *field = value.to_string();
    }

    /// Whether `value` will do, or what to type instead: never "agent" as a name,
    /// never something customers cannot write back to as an address.
    pub fn check(self, value: &str) -> Result<(), &'static str> {
        let fine = match self {
            AgentKey::Name => !value.is_empty() && !value.eq_ignore_ascii_case("agent"),
            AgentKey::Email => {
                value
                    .split_once('@')
                    .is_some_and(|(user, domain)| !user.is_empty() && domain.contains('.'))
                    && !value.contains(char::is_whitespace)
            }
        };
        match (fine, self) {
            (true, _) => Ok(()),
            (false, AgentKey::Name) => {
                Err("type the name customers should see, e.g. Olena Kovalenko")
            }
            (false, AgentKey::Email) => {
                Err("type the address customers write to, e.g. help@yourshop.com")
            }
        }
    }
}

/// Writes `[agent] KEY` into the settings file at `path`, keeping every other line
/// (and comment) as it was; creates the file if there is none. The result is parsed
/// before it replaces the file, so a write-back never leaves a config that will not
/// load. The error is a short reason for the status bar.
pub fn save_agent_key(path: &Path, agent_key: AgentKey, value: &str) -> Result<(), String> {
    let key = agent_key.key();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
    };
    let line = format!("{key} = {}", toml::Value::String(value.to_string()));
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
                    .is_some_and(|(k, _)| k.trim() == key)
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
        Ok(c) if agent_key.read(&c) == value => {}
        Ok(_) => return Err(format!("the settings file did not take the {key}")),
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

fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

/// The dotted key whose value sits at byte `at` of `text`, e.g. `mail.undo_seconds`.
fn key_at(text: &str, at: usize) -> Option<String> {
    fn walk(table: &toml::de::DeTable<'_>, prefix: &str, at: usize) -> Option<String> {
        for (key, value) in table.iter() {
            let path = if prefix.is_empty() {
                key.get_ref().to_string()
            } else {
                format!("{prefix}.{}", key.get_ref())
            };
            match value.get_ref() {
                toml::de::DeValue::Table(inner) => {
                    if let Some(found) = walk(inner, &path, at) {
                        return Some(found);
                    }
                }
                // `[[mail.accounts]]`: `mail.accounts[1].since`.
                toml::de::DeValue::Array(items) if items.iter().any(|i| i.get_ref().is_table()) => {
                    for (i, item) in items.iter().enumerate() {
                        if let Some(inner) = item.get_ref().as_table() {
                            if let Some(found) = walk(inner, &format!("{path}[{i}]"), at) {
                                return Some(found);
                            }
                        }
                    }
                }
                _ if value.span().contains(&at) => return Some(path),
                _ => {}
            }
        }
        None
    }
    let doc = toml::de::DeTable::parse(text).ok()?;
    walk(doc.get_ref(), "", at)
}

/// The line a dotted key is written on; `None` when the file does not set it (the
/// default is what was wrong, or the key is only implied). A number picks an entry of
/// an array of tables: `mail.accounts.1.imap` is the second `[[mail.accounts]]`'s key,
/// and `mail.accounts.1` its header.
fn line_of_key(text: &str, dotted: &str) -> Option<usize> {
    let doc = toml::de::DeTable::parse(text).ok()?;
    let mut table = doc.get_ref();
    let mut parts = dotted.split('.').peekable();
    while let Some(part) = parts.next() {
        let (key, value) = table.iter().find(|(k, _)| k.get_ref() == part)?;
        let mut value = value;
        let mut at = key.span().start;
        if let (Some(index), Some(array)) = (
            parts.peek().and_then(|p| p.parse::<usize>().ok()),
            value.get_ref().as_array(),
        ) {
            parts.next();
            value = array.get(index)?;
            at = value.span().start;
        }
        if parts.peek().is_none() {
            return Some(line_of(text, at));
        }
        table = value.get_ref().as_table()?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue15_13_a_tz_value_names_its_zone_in_every_spelling() {
        for value in [
            "Europe/Kyiv",
            ":Europe/Kyiv",
            "/usr/share/zoneinfo/Europe/Kyiv",
        ] {
            assert_eq!(
                zone_from_tz_var(value).as_deref(),
                Some("Europe/Kyiv"),
                "{value}"
            );
        }
        assert_eq!(zone_from_tz_var("UTC").as_deref(), Some("UTC"));
        assert_eq!(zone_from_tz_var("Mars/Base"), None);
        assert_eq!(zone_from_tz_var(""), None);
    }

    #[test]
    fn issue15_13_a_zone_set_in_the_file_is_kept_and_named_as_set() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, "[sla]\ntimezone = \"Asia/Tokyo\"\n").unwrap();
        let config = Config::load(&path).unwrap();
        assert_eq!(config.sla.timezone, "Asia/Tokyo");
        assert_eq!(config.sla.timezone_source, ZoneSource::Settings);
        // Built-in settings never depend on the machine.
        assert_eq!(Config::default().sla.timezone, "UTC");
    }

    #[test]
    fn agent_name_write_back_keeps_the_rest_of_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# mine\n[agent]\nemail = \"a@b.c\"\n[ui]\ntheme = \"dark\"\n",
        )
        .unwrap();
        save_agent_key(&path, AgentKey::Name, "Олена \"Оля\" Коваль").unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.agent.name, "Олена \"Оля\" Коваль");
        assert_eq!(c.agent.email, "a@b.c");
        assert_eq!(c.ui.theme.as_deref(), Some("dark"));
        assert!(std::fs::read_to_string(&path)
            .unwrap()
            .starts_with("# mine\n"));
        save_agent_key(&path, AgentKey::Name, "Olena").unwrap();
        assert_eq!(Config::load(&path).unwrap().agent.name, "Olena");
    }

    #[test]
    fn agent_name_write_back_creates_a_missing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("config.toml");
        save_agent_key(&path, AgentKey::Name, "Olena").unwrap();
        assert_eq!(Config::load(&path).unwrap().agent.name, "Olena");
    }

    #[test]
    fn agent_name_write_back_refuses_to_break_a_bad_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "[agent\nname = 1\n").unwrap();
        assert!(save_agent_key(&path, AgentKey::Name, "Olena").is_err());
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
        assert!(err.contains("mail.undo_seconds"), "{err}");
    }

    #[test]
    fn a_bad_value_is_reported_at_its_line_and_in_file_order() {
        let text = "[sla]\nhours = \"x\"\n\n[ui]\ntheme = \"y\"\n";
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.toml");
        std::fs::write(&path, text).unwrap();
        let err = Config::load_checked(&path, true, |_| {
            vec![
                Invalid {
                    key: "ui.theme".into(),
                    message: "bad theme".into(),
                },
                Invalid {
                    key: "sla.hours".into(),
                    message: "bad hours".into(),
                },
            ]
        })
        .unwrap_err();
        match err {
            ConfigError::Invalid { problems, .. } => assert_eq!(
                problems,
                vec!["line 2: bad hours".to_string(), "line 5: bad theme".into()]
            ),
            other => panic!("{other}"),
        }
    }
}
