//! Telling formats apart: which paths are Maildirs, mbox files, single messages, chat
//! exports or CSV, and which are not mail at all (with the reason, for the report).
//! Sniffs content rather than trusting extensions: CPython's test mail is `.txt`.

use serde::Serialize;
use std::path::{Path, PathBuf};

/// An import format. `--format` forces one; otherwise each path is sniffed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    Mbox,
    Maildir,
    Eml,
    Telegram,
    Whatsapp,
    Csv,
    Paste,
    /// A live mailbox read by `firstline fetch` (never a `--format`).
    Imap,
}

impl Format {
    /// The name used on the CLI and in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Mbox => "mbox",
            Format::Maildir => "maildir",
            Format::Eml => "eml",
            Format::Telegram => "telegram",
            Format::Whatsapp => "whatsapp",
            Format::Csv => "csv",
            Format::Paste => "paste",
            Format::Imap => "imap",
        }
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim().to_lowercase().as_str() {
            "mbox" | "mboxrd" | "mboxo" => Format::Mbox,
            "maildir" => Format::Maildir,
            "eml" | "email" | "rfc822" => Format::Eml,
            "telegram" | "tg" => Format::Telegram,
            "whatsapp" | "wa" => Format::Whatsapp,
            "csv" => Format::Csv,
            "paste" => Format::Paste,
            other => {
                return Err(format!(
                    "unknown format '{other}'; expected one of: mbox, maildir, eml, telegram, whatsapp, csv"
                ))
            }
        })
    }
}

/// One unit of import with its own resume progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Source {
    /// A Maildir folder (its `cur` and `new`).
    Maildir(PathBuf),
    /// Single-message files, sorted; one directory's worth or one file.
    EmlFiles(PathBuf, Vec<PathBuf>),
    Mbox(PathBuf),
    Telegram(PathBuf),
    Whatsapp(PathBuf),
    Csv(PathBuf),
}

impl Source {
    pub(crate) fn format(&self) -> Format {
        match self {
            Source::Maildir(_) => Format::Maildir,
            Source::EmlFiles(..) => Format::Eml,
            Source::Mbox(_) => Format::Mbox,
            Source::Telegram(_) => Format::Telegram,
            Source::Whatsapp(_) => Format::Whatsapp,
            Source::Csv(_) => Format::Csv,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        match self {
            Source::Maildir(p)
            | Source::EmlFiles(p, _)
            | Source::Mbox(p)
            | Source::Telegram(p)
            | Source::Whatsapp(p)
            | Source::Csv(p) => p,
        }
    }

    /// The key its progress is stored under.
    pub(crate) fn key(&self) -> String {
        let canonical = std::fs::canonicalize(self.path()).unwrap_or_else(|_| self.path().into());
        format!("{}:{}", self.format().as_str(), canonical.display())
    }
}

/// A path that was looked at and is not mail, with why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Skipped {
    pub path: PathBuf,
    pub reason: String,
}

/// Walks the given paths into sources. Unreadable paths and files that are not mail
/// come back as `Skipped`, never as an error that stops the others.
pub(crate) fn plan(paths: &[PathBuf], forced: Option<Format>) -> (Vec<Source>, Vec<Skipped>) {
    let mut sources = Vec::new();
    let mut skipped = Vec::new();
    for path in paths {
        visit(path, forced, true, &mut sources, &mut skipped);
    }
    (sources, skipped)
}

fn is_maildir(dir: &Path) -> bool {
    dir.join("cur").is_dir() || dir.join("new").is_dir()
}

fn visit(
    path: &Path,
    forced: Option<Format>,
    top: bool,
    sources: &mut Vec<Source>,
    skipped: &mut Vec<Skipped>,
) {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) => {
            skipped.push(Skipped {
                path: path.into(),
                reason: format!("cannot read: {e}"),
            });
            return;
        }
    };
    if meta.is_dir() {
        visit_dir(path, forced, sources, skipped);
        return;
    }
    let format = match forced {
        Some(f) if top || f != Format::Maildir => Ok(f),
        _ => sniff_file(path),
    };
    match format {
        Ok(Format::Mbox) => sources.push(Source::Mbox(path.into())),
        Ok(Format::Eml | Format::Maildir) => {
            let parent = path.parent().unwrap_or(Path::new("")).to_path_buf();
            match sources.last_mut() {
                Some(Source::EmlFiles(dir, files)) if *dir == parent && !top => {
                    files.push(path.into())
                }
                _ => sources.push(Source::EmlFiles(parent, vec![path.into()])),
            }
        }
        Ok(Format::Telegram) => sources.push(Source::Telegram(path.into())),
        Ok(Format::Whatsapp) => sources.push(Source::Whatsapp(path.into())),
        Ok(Format::Csv) => sources.push(Source::Csv(path.into())),
        Ok(Format::Paste) => skipped.push(Skipped {
            path: path.into(),
            reason: "use --paste to import a transcript from stdin".into(),
        }),
        Ok(Format::Imap) => skipped.push(Skipped {
            path: path.into(),
            reason: "a mailbox is read with `firstline fetch`, not imported from a file".into(),
        }),
        Err(reason) => skipped.push(Skipped {
            path: path.into(),
            reason,
        }),
    }
}

fn visit_dir(
    dir: &Path,
    forced: Option<Format>,
    sources: &mut Vec<Source>,
    skipped: &mut Vec<Skipped>,
) {
    if is_maildir(dir) && forced.is_none_or(|f| f == Format::Maildir) {
        sources.push(Source::Maildir(dir.into()));
        // Maildir++ keeps subfolders as `.Name` directories beside cur/new/tmp.
        for child in sorted_entries(dir, skipped) {
            let name = child.file_name().map(|n| n.to_string_lossy().into_owned());
            let name = name.unwrap_or_default();
            if child.is_dir() && !matches!(name.as_str(), "cur" | "new" | "tmp") {
                visit(&child, forced, false, sources, skipped);
            }
        }
        return;
    }
    for child in sorted_entries(dir, skipped) {
        let hidden = child
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with('.') && !child.is_dir());
        if hidden {
            continue;
        }
        visit(&child, forced, false, sources, skipped);
    }
}

fn sorted_entries(dir: &Path, skipped: &mut Vec<Skipped>) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut v: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            v.sort();
            v
        }
        Err(e) => {
            skipped.push(Skipped {
                path: dir.into(),
                reason: format!("cannot list: {e}"),
            });
            Vec::new()
        }
    }
}

/// Decides a file's format from its name and first few kilobytes.
pub(crate) fn sniff_file(path: &Path) -> Result<Format, String> {
    use std::io::Read;
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(path)
        .and_then(|f| f.take(8192).read_to_end(&mut head))
        .map_err(|e| format!("cannot read: {e}"))?;
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    sniff(&head, &ext)
}

/// The content-based part of [`sniff_file`].
pub(crate) fn sniff(head: &[u8], ext: &str) -> Result<Format, String> {
    if head.is_empty() {
        return Err("empty file".into());
    }
    let text = String::from_utf8_lossy(head);
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if ext == "json" || trimmed.starts_with('{') {
        let chat_export = trimmed.contains("\"messages\"")
            && [
                "_chat\"",
                "\"from_id\"",
                "\"date_unixtime\"",
                "\"saved_messages\"",
            ]
            .iter()
            .any(|k| trimmed.contains(k));
        return if chat_export || (trimmed.contains("\"chats\"") && trimmed.contains("\"list\"")) {
            Ok(Format::Telegram)
        } else {
            Err("JSON that is not a Telegram Desktop export".into())
        };
    }
    if ext == "csv" {
        return Ok(Format::Csv);
    }
    if ext == "eml" || ext == "msg" {
        // Named as a message: read it as one, however malformed its headers.
        return Ok(Format::Eml);
    }
    if head.starts_with(b"From ") {
        return Ok(Format::Mbox);
    }
    if looks_like_headers(&text) {
        return Ok(Format::Eml);
    }
    if crate::mail::chat::whatsapp::looks_like_whatsapp(&text) {
        return Ok(Format::Whatsapp);
    }
    if head.iter().take(4096).any(|&b| b == 0) {
        return Err("binary file, not mail".into());
    }
    if trimmed.starts_with('<') {
        return Err("HTML or XML document without mail headers".into());
    }
    Err("text without mail headers (not a message)".into())
}

/// Header names that only mail has; one of them must appear in the first block.
const MAIL_HEADERS: &[&str] = &[
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "received",
    "return-path",
    "mime-version",
    "content-type",
    "delivered-to",
    "sender",
    "reply-to",
    "in-reply-to",
    "references",
    "cc",
    "x-mailer",
    "newsgroups",
    "path",
    "envelope-to",
];

/// Whether text starts with an RFC 5322 header block: the first line is a field,
/// most lines before the blank line are fields or continuations, and at least one
/// field is one mail always has.
pub(crate) fn looks_like_headers(text: &str) -> bool {
    let mut fields = 0usize;
    let mut bad = 0usize;
    let mut known = false;
    for (i, line) in text.lines().take(60).enumerate() {
        let line = line.trim_end_matches('\r');
        if line.is_empty() {
            break;
        }
        if line.starts_with([' ', '\t']) {
            if i == 0 {
                return false;
            }
            continue;
        }
        match field_name(line) {
            Some(name) => {
                fields += 1;
                known |= MAIL_HEADERS.contains(&name.to_ascii_lowercase().as_str());
            }
            None if i == 0 => return false,
            None => bad += 1,
        }
    }
    known && fields > bad
}

fn field_name(line: &str) -> Option<&str> {
    let colon = line.find(':')?;
    let name = line[..colon].trim_end();
    let ok = !name.is_empty()
        && name.len() <= 76
        && name.bytes().all(|b| (33..=126).contains(&b) && b != b':');
    ok.then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_formats_by_content() {
        assert_eq!(
            sniff(b"From a@b Thu Jan  1 00:00:00 2020\nSubject: x\n\nhi\n", ""),
            Ok(Format::Mbox)
        );
        assert_eq!(
            sniff(b"Return-Path: <a@b>\nSubject: x\n\nbody\n", "txt"),
            Ok(Format::Eml)
        );
        assert_eq!(
            sniff(
                b"{\"name\": \"x\", \"type\": \"personal_chat\", \"messages\": []}",
                "json"
            ),
            Ok(Format::Telegram)
        );
        assert!(sniff(b"{\"headers\": []}", "json").is_err());
        assert!(sniff(b"Hello there,\nthis is just a body.\n", "").is_err());
        assert!(sniff(b"\x89PNG\r\n\x1a\n\0\0", "png").is_err());
        assert_eq!(sniff(b"", "").unwrap_err(), "empty file");
    }

    #[test]
    fn a_signature_line_with_a_colon_is_not_a_header_block() {
        assert!(!looks_like_headers("Thanks: John\nsent from phone\n"));
        assert!(looks_like_headers(
            "X-Foo: bar\n  continued\nSubject: =?utf-8?q?x?=\n\nbody"
        ));
    }
}
