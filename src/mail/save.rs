//! Saving attachments out of the queue into a folder the user chose. Names come
//! from strangers, so they are cleaned before they touch the file system: no path
//! separators or `..`, no control characters, no reserved device names, and an
//! existing file is never overwritten (a ` (2)` suffix is added instead).

use std::path::{Path, PathBuf};

use super::MailError;
use crate::model::Attachment;

/// A file name safe to create inside any folder, derived from an untrusted one.
pub fn safe_file_name(untrusted: &str) -> String {
    let base = untrusted.rsplit(['/', '\\']).next().unwrap_or_default();
    let mut name: String = base
        .chars()
        .map(|c| match c {
            c if c.is_control() => '_',
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' => '_',
            c => c,
        })
        .collect();
    name = name.trim().trim_matches('.').trim().to_string();
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_uppercase();
    let reserved = matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || ((stem.starts_with("COM") || stem.starts_with("LPT"))
            && stem.len() == 4
            && stem.as_bytes()[3].is_ascii_digit());
    if name.is_empty() || reserved {
        name = format!(
            "attachment{}",
            if name.is_empty() {
                String::new()
            } else {
                format!("-{name}")
            }
        );
    }
    // Keep names within common file-system limits (255 bytes), at a char boundary.
    let mut end = name.len().min(200);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name.truncate(end);
    name
}

/// A path in `dir` for `name` that does not exist yet: `name`, then `stem (2).ext`…
fn free_path(dir: &Path, name: &str) -> PathBuf {
    let first = dir.join(name);
    if !first.exists() {
        return first;
    }
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.to_string(), String::new()),
    };
    (2..)
        .map(|n| dir.join(format!("{stem} ({n}){ext}")))
        .find(|p| !p.exists())
        .unwrap_or(first)
}

/// Copies the stored content of `attachments` from the queue's attachment folder
/// into `dest`, returning where each went. Attachments whose content was not kept
/// (over the size limit) are skipped and named in the error list.
pub fn save_attachments(
    attachments_dir: &Path,
    attachments: &[Attachment],
    dest: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>), MailError> {
    std::fs::create_dir_all(dest).map_err(|e| MailError::io(dest, e))?;
    let mut saved = Vec::new();
    let mut missing = Vec::new();
    for a in attachments {
        let Some(sha) = a
            .sha256
            .as_deref()
            .filter(|s| s.chars().all(|c| c.is_ascii_hexdigit()))
        else {
            missing.push(a.filename.clone());
            continue;
        };
        let source = attachments_dir.join(sha);
        let target = free_path(dest, &safe_file_name(&a.filename));
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        let copy = std::fs::File::open(&source).and_then(|mut from| {
            let mut to = options.open(&target)?;
            std::io::copy(&mut from, &mut to)?;
            to.sync_all()
        });
        match copy {
            Ok(()) => saved.push(target),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => missing.push(a.filename.clone()),
            Err(e) => return Err(MailError::io(&target, e)),
        }
    }
    Ok((saved, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_names_become_plain_file_names() {
        assert_eq!(safe_file_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_file_name("/etc/shadow"), "shadow");
        assert_eq!(safe_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(safe_file_name("invoice\u{202e}fdp.exe"), "invoice_fdp.exe");
        assert_eq!(safe_file_name("a\u{1b}[2Jb.txt"), "a_[2Jb.txt");
        assert_eq!(safe_file_name("CON.txt"), "attachment-CON.txt");
        assert_eq!(safe_file_name(".."), "attachment");
        assert_eq!(safe_file_name(""), "attachment");
        assert_eq!(safe_file_name("Рахунок №5.pdf"), "Рахунок №5.pdf");
    }

    #[test]
    fn never_overwrites_and_never_leaves_the_folder() {
        let store = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(store.path().join("ab12"), b"new content").unwrap();
        std::fs::write(dest.path().join("report.pdf"), b"the user's own file").unwrap();
        let a = Attachment {
            filename: "../report.pdf".into(),
            content_type: "application/pdf".into(),
            size: 11,
            sha256: Some("ab12".into()),
        };
        let gone = Attachment {
            sha256: None,
            filename: "big.iso".into(),
            ..a.clone()
        };
        let (saved, missing) =
            save_attachments(store.path(), &[a.clone(), a, gone], dest.path()).unwrap();
        assert_eq!(
            saved,
            vec![
                dest.path().join("report (2).pdf"),
                dest.path().join("report (3).pdf")
            ]
        );
        assert_eq!(missing, vec!["big.iso"]);
        assert_eq!(
            std::fs::read(dest.path().join("report.pdf")).unwrap(),
            b"the user's own file"
        );
        assert_eq!(std::fs::read(&saved[0]).unwrap(), b"new content");
    }
}
