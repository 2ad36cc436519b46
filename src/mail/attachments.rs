//! Attachment content on disk, content-addressed beside the database
//! (`<db>.attachments/<sha256>`), so a file sent twice is stored once and a backup of
//! the data folder carries it. Metadata lives in the message row.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::parse::ParsedAttachment;
use super::{sha256_hex, MailError};
use crate::model::Attachment;

/// Where and how much attachment content is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttachmentStore {
    /// `None` keeps metadata only (in-memory stores, dry runs).
    pub dir: Option<PathBuf>,
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
        let Some(dir) = &self.dir else {
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
        write_once(dir, &sha, &part.content)?;
        meta.sha256 = Some(sha);
        Ok(meta)
    }
}

/// Writes `content` to `dir/name` unless it is there: temp file in the same folder,
/// fsync, rename, so a crash never leaves half a file under a real name.
pub(crate) fn write_once(dir: &Path, name: &str, content: &[u8]) -> Result<(), MailError> {
    let target = dir.join(name);
    if target.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).map_err(|e| MailError::io(dir, e))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(|e| MailError::io(dir, e))?;
    tmp.write_all(content)
        .and_then(|_| tmp.as_file().sync_all())
        .map_err(|e| MailError::io(tmp.path(), e))?;
    tmp.persist(&target)
        .map_err(|e| MailError::io(&target, e.error))?;
    Ok(())
}
