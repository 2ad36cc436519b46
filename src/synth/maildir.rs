//! A Maildir of realistic size for import benchmarks, made by replaying real messages
//! (e.g. `../shared/data/mail`) with fresh Message-IDs and dates, so every copy is a
//! distinct message to firstline, notmuch and mu alike.

use chrono::{Duration, TimeZone, Utc};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::Rng;

/// Files under `roots` that look like one RFC 5322 message: a header line in the
/// first bytes and no mbox `From ` separator. JSON, mbox files and binaries are skipped.
pub fn find_messages(roots: &[PathBuf]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = roots.to_vec();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            if let Ok(rd) = std::fs::read_dir(&p) {
                let mut entries: Vec<PathBuf> =
                    rd.filter_map(|e| e.ok().map(|e| e.path())).collect();
                entries.sort();
                stack.extend(entries);
            }
        } else if looks_like_message(&p) {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn looks_like_message(path: &Path) -> bool {
    if path
        .extension()
        .is_some_and(|e| e == "json" || e == "txt" || e == "md")
    {
        return false;
    }
    let Ok(bytes) = std::fs::read(path) else {
        return false;
    };
    let head = &bytes[..bytes.len().min(512)];
    if head.starts_with(b"From ") {
        return false;
    }
    let Some(first_line) = head.split(|b| *b == b'\n').next() else {
        return false;
    };
    let Some(colon) = first_line.iter().position(|b| *b == b':') else {
        return false;
    };
    colon > 0
        && first_line[..colon]
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-')
}

/// Rewrites a message's header block: drops Message-ID and Date (with their folded
/// continuation lines) and puts fresh ones first.
pub fn with_fresh_identity(raw: &[u8], message_id: &str, date: &str) -> Vec<u8> {
    let split = find_header_end(raw);
    let (head, body) = raw.split_at(split);
    let mut out = Vec::with_capacity(raw.len() + 100);
    out.extend_from_slice(format!("Message-ID: <{message_id}>\nDate: {date}\n").as_bytes());
    let mut skipping = false;
    for line in head.split_inclusive(|b| *b == b'\n') {
        let continuation = line.first().is_some_and(|b| *b == b' ' || *b == b'\t');
        if !continuation {
            let lower = line.to_ascii_lowercase();
            skipping = lower.starts_with(b"message-id:") || lower.starts_with(b"date:");
        }
        if !skipping {
            out.extend_from_slice(line);
        }
    }
    out.extend_from_slice(body);
    out
}

fn find_header_end(raw: &[u8]) -> usize {
    let mut i = 0;
    while i < raw.len() {
        let rest = &raw[i..];
        if rest.starts_with(b"\n") {
            return i;
        }
        if rest.starts_with(b"\r\n") {
            return i;
        }
        match rest.iter().position(|b| *b == b'\n') {
            Some(n) => i += n + 1,
            None => return raw.len(),
        }
    }
    raw.len()
}

/// Writes `count` messages into `out/cur`, cycling through `sources`. Returns how many
/// were written.
pub fn write_maildir(
    sources: &[PathBuf],
    out: &Path,
    count: usize,
    seed: u64,
) -> std::io::Result<usize> {
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(out.join(sub))?;
    }
    if sources.is_empty() {
        return Ok(0);
    }
    let raws: Vec<Vec<u8>> = sources
        .iter()
        .filter_map(|p| std::fs::read(p).ok())
        .collect();
    let mut rng = Rng::new(seed);
    let base = Utc
        .with_ymd_and_hms(2024, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default();
    for i in 0..count {
        let raw = &raws[i % raws.len()];
        let date = base + Duration::minutes(rng.below(60 * 24 * 700) as i64);
        let id = format!("replay-{seed}-{i}@firstline.invalid");
        let msg = with_fresh_identity(raw, &id, &date.to_rfc2822());
        let name = format!("{}.{i}_{seed}.firstline:2,S", 1_700_000_000 + i);
        let mut f = std::fs::File::create(out.join("cur").join(name))?;
        f.write_all(&msg)?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_message_id_and_date_including_folded_lines() {
        let raw = b"From: a@b.c\nMessage-ID:\n <old@x>\nDate: Mon, 1 Jan 2001 00:00:00 +0000\nSubject: hi\n\nbody\nMessage-ID: stays in body\n";
        let out = with_fresh_identity(raw, "new@y", "Tue, 2 Jan 2024 00:00:00 +0000");
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("Message-ID: <new@y>\nDate: Tue, 2 Jan 2024"));
        assert!(!text.contains("<old@x>"));
        assert!(!text.contains("2001"));
        assert!(text.contains("Subject: hi\n\nbody\nMessage-ID: stays in body\n"));
    }
}
