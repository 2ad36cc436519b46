//! Saving a ticket's attachments into a folder the user chose, in one go. Each file
//! goes through [`super::save_attachment`] (cleaned name, temp file and no-clobber
//! rename); where a file of that name exists, the copy gets ` (2)`, ` (3)`… instead
//! of replacing it, so saving never asks and never overwrites.

use std::path::{Path, PathBuf};

use super::{save_attachment, MailError, SaveOutcome};
use crate::model::Attachment;

/// `stem (n).ext` for the n-th copy of a name.
fn numbered(name: &str, n: usize) -> String {
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => format!("{stem} ({n}).{ext}"),
        _ => format!("{name} ({n})"),
    }
}

/// Copies the stored content of `attachments` from the queue's attachment blobs
/// into `dest`, returning where each went and the names of those whose content was
/// not kept (over the size limit when they arrived).
pub fn save_attachments(
    blobs: &dyn crate::store::BlobStore,
    attachments: &[Attachment],
    dest: &Path,
) -> Result<(Vec<PathBuf>, Vec<String>), MailError> {
    crate::fs::create_private_dir(dest).map_err(|e| MailError::io(dest, e))?;
    let mut saved = Vec::new();
    let mut missing = Vec::new();
    for a in attachments {
        let clean = super::safe_filename(&a.filename);
        let mut attempt = Attachment {
            filename: clean.clone(),
            ..a.clone()
        };
        let mut n = 1;
        loop {
            match save_attachment(blobs, &attempt, dest, false) {
                Ok(SaveOutcome::Saved(path)) => {
                    saved.push(path);
                    break;
                }
                Ok(SaveOutcome::Exists(_)) if n < 1000 => {
                    n += 1;
                    attempt.filename = numbered(&clean, n);
                }
                Ok(SaveOutcome::Exists(path)) => {
                    return Err(MailError::Invalid(format!(
                        "too many copies of {}",
                        path.display()
                    )))
                }
                Err(MailError::Invalid(_)) => {
                    missing.push(a.filename.clone());
                    break;
                }
                Err(MailError::Io { source, .. })
                    if source.kind() == std::io::ErrorKind::NotFound =>
                {
                    missing.push(a.filename.clone());
                    break;
                }
                Err(e) => return Err(e),
            }
        }
    }
    Ok((saved, missing))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12ab12";

    #[test]
    fn copies_get_numbers_and_nothing_is_overwritten_or_escapes() {
        let store = tempfile::tempdir().unwrap();
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(store.path().join(SHA), b"new content").unwrap();
        std::fs::write(dest.path().join("report.pdf"), b"the user's own file").unwrap();
        let a = Attachment {
            filename: "../report.pdf".into(),
            content_type: "application/pdf".into(),
            size: 11,
            sha256: Some(SHA.into()),
        };
        let gone = Attachment {
            sha256: None,
            filename: "big.iso".into(),
            ..a.clone()
        };
        let (saved, missing) = save_attachments(
            &crate::store::FsBlobs::new(store.path()),
            &[a.clone(), a, gone],
            dest.path(),
        )
        .unwrap();
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
