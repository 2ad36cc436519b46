//! Attachment content, content-addressed in the queue's attachment blobs (named by
//! SHA-256, `<db>.attachments/<sha256>` for a SQLite file), so a file sent twice is
//! stored once and a backup of the data folder carries it. Metadata lives in the
//! message row.

use std::path::{Path, PathBuf};

use super::parse::ParsedAttachment;
use super::{sha256_hex, MailError};
use crate::fs::{Overwrite, WriteError};
use crate::model::Attachment;
use crate::store::BlobStore;

/// Where and how much attachment content is kept.
#[derive(Debug)]
pub(crate) struct AttachmentStore {
    /// `None` keeps metadata only (in-memory stores, dry runs).
    pub blobs: Option<Box<dyn BlobStore>>,
    /// Larger files are listed but their content is not kept.
    pub limit_bytes: u64,
}

impl AttachmentStore {
    /// Records one attachment: writes its content when allowed and returns the
    /// metadata. `sha256` is set only when the content can be opened later.
    pub(crate) fn keep(
        &self,
        part: &ParsedAttachment,
        warnings: &mut Vec<String>,
    ) -> Result<Attachment, MailError> {
        let size = part.content.len() as u64;
        let mut meta = Attachment {
            filename: super::clean_text(&part.filename),
            content_type: part.content_type.clone(),
            size,
            sha256: None,
        };
        let Some(blobs) = &self.blobs else {
            return Ok(meta);
        };
        if size > self.limit_bytes {
            warnings.push(format!(
                "attachment {} ({} bytes) is over the size limit; only its name is kept",
                meta.filename, size
            ));
            return Ok(meta);
        }
        let sha = sha256_hex(&part.content);
        blobs.put(&sha, &part.content)?;
        meta.sha256 = Some(sha);
        Ok(meta)
    }
}

/// Longest file name kept, in bytes (most file systems stop at 255).
const MAX_NAME_BYTES: usize = 200;

/// Names Windows reserves in every folder, with or without an extension.
const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A customer-supplied attachment name made safe to create in a folder the user
/// picked: the last path component only (no `..`, no absolute path, no drive), no
/// control, bidi or separator characters, no leading dot (hidden files) or trailing
/// dot/space, not a Windows device name, at most 200 bytes with the extension kept.
/// Never empty: a name with nothing left becomes `attachment`.
pub fn safe_filename(name: &str) -> String {
    let last = name
        .rsplit(['/', '\\'])
        .find(|part| !part.trim().is_empty())
        .unwrap_or("");
    let mut out: String = last
        .chars()
        .map(|c| {
            let bidi = matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}');
            if c.is_control() || bidi || matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|') {
                '_'
            } else {
                c
            }
        })
        .collect();
    out = out
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' '])
        .to_string();
    let stem = out.split('.').next().unwrap_or("").trim().to_lowercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        out.insert(0, '_');
    }
    if out.len() > MAX_NAME_BYTES {
        let ext = out
            .rfind('.')
            .map(|i| out[i..].to_string())
            .filter(|e| e.len() <= 16)
            .unwrap_or_default();
        let keep =
            crate::model::text::truncate_at_char(&out, MAX_NAME_BYTES - ext.len()).to_string();
        out = keep + &ext;
    }
    if out.is_empty() {
        "attachment".to_string()
    } else {
        out
    }
}

/// What [`save_attachment`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveOutcome {
    /// The file was written here.
    Saved(PathBuf),
    /// A file of that name is already there and was left alone: ask the user, then
    /// call again with `overwrite` (or pick another folder).
    Exists(PathBuf),
}

/// Copies a stored attachment into `dest_dir` under [`safe_filename`] of its name.
/// The content goes to a private temp file in `dest_dir` first and is renamed into
/// place, so a crash never leaves half a file under the real name. Without
/// `overwrite` an existing file (or symlink) is never replaced — the rename is
/// no-clobber, so not even a race can replace one — and `Exists` says to ask.
pub fn save_attachment(
    blobs: &dyn BlobStore,
    attachment: &Attachment,
    dest_dir: &Path,
    overwrite: bool,
) -> Result<SaveOutcome, MailError> {
    let Some(sha) = attachment.sha256.as_deref() else {
        return Err(MailError::Invalid(format!(
            "the content of {} was not kept (over the size limit when it arrived)",
            crate::display::sanitize_line(&attachment.filename)
        )));
    };
    if sha.len() != 64 || !sha.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(MailError::Invalid(format!(
            "attachment reference {sha:?} is not a content hash"
        )));
    }
    let content = blobs.get(sha)?;
    let target = dest_dir.join(safe_filename(&attachment.filename));
    let overwrite = if overwrite {
        Overwrite::Replace
    } else {
        Overwrite::Refuse
    };
    match crate::fs::write_private(&target, &content, overwrite) {
        Ok(target) => Ok(SaveOutcome::Saved(target)),
        Err(WriteError::Exists(target)) => Ok(SaveOutcome::Exists(target)),
        Err(WriteError::Io { path, source }) => Err(MailError::io(path, source)),
    }
}
