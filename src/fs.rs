//! Files that hold customer data: backups, exports, reports, escalation packets,
//! saved attachments, outbox messages. They are created 0600 (their folders 0700)
//! and never written over unless the user asked for it (`--force`), so the rule
//! lives here once instead of at every spot that writes one.
//!
//! Every file is written to a private temp file beside its destination, synced, and
//! then moved into place: a crash never leaves half a file under the final name, and
//! the no-clobber move means a file that appears while we write is kept too.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Whether an existing file at the destination may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overwrite {
    /// Keep what is there and report [`WriteError::Exists`] (the default everywhere).
    Refuse,
    /// Replace it (the user passed `--force`).
    Replace,
}

impl Overwrite {
    /// `--force` as the command line spells it.
    pub fn from_force(force: bool) -> Overwrite {
        if force {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        }
    }
}

/// Why a private file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The destination exists and [`Overwrite::Refuse`] was asked: the user's call.
    #[error("{} already exists; pass --force to replace it, or choose another name", .0.display())]
    Exists(PathBuf),
    #[error("cannot write {}: {source}", .path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl WriteError {
    fn io(path: &Path, source: std::io::Error) -> WriteError {
        WriteError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// A private (0600) temp file beside its destination, to be filled and then put in
/// place with [`PrivateFile::finish`]. Dropped unfinished, it is removed.
pub struct PrivateFile {
    tmp: tempfile::NamedTempFile,
    dest: PathBuf,
}

impl PrivateFile {
    /// Starts a file that will become `dest`. The folder must exist: a typo in a
    /// path must not grow a tree of folders.
    pub fn begin(dest: &Path) -> Result<PrivateFile, WriteError> {
        let dir = folder_of(dest);
        // tempfile creates its files 0600 on Unix, which is the point.
        let tmp = tempfile::Builder::new()
            .prefix(".firstline-")
            .suffix(".tmp")
            .tempfile_in(dir)
            .map_err(|e| WriteError::io(dir, e))?;
        Ok(PrivateFile {
            tmp,
            dest: dest.to_path_buf(),
        })
    }

    /// Where the content is being written (for writers that need a path, like
    /// SQLite's backup).
    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// The open temp file.
    pub fn file(&mut self) -> &mut std::fs::File {
        self.tmp.as_file_mut()
    }

    /// Syncs the content and moves it to the destination.
    pub fn finish(self, overwrite: Overwrite) -> Result<PathBuf, WriteError> {
        let PrivateFile { tmp, dest } = self;
        // Reopened: a writer that used the path (SQLite) wrote through its own handle.
        std::fs::File::open(tmp.path())
            .and_then(|f| f.sync_all())
            .map_err(|e| WriteError::io(tmp.path(), e))?;
        let placed = match overwrite {
            Overwrite::Replace => tmp.persist(&dest),
            Overwrite::Refuse => tmp.persist_noclobber(&dest),
        };
        match placed {
            Ok(_) => Ok(dest),
            Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => {
                Err(WriteError::Exists(dest))
            }
            Err(e) => Err(WriteError::io(&dest, e.error)),
        }
    }
}

/// Writes `content` to `dest` as a private file.
pub fn write_private(
    dest: &Path,
    content: &[u8],
    overwrite: Overwrite,
) -> Result<PathBuf, WriteError> {
    if overwrite == Overwrite::Refuse && dest.symlink_metadata().is_ok() {
        // Checked first too, so the user hears it before any work is done.
        return Err(WriteError::Exists(dest.to_path_buf()));
    }
    let mut file = PrivateFile::begin(dest)?;
    let tmp = file.path().to_path_buf();
    file.file()
        .write_all(content)
        .map_err(|e| WriteError::io(&tmp, e))?;
    file.finish(overwrite)
}

/// Creates `dir` and its missing parents 0700 (a no-op when it exists).
pub fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(dir)
}

/// The folder a file goes into; `.` for a bare name.
pub fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn writes_private_and_refuses_to_overwrite_without_replace() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("out.txt");
        write_private(&dest, b"first", Overwrite::Refuse).unwrap();
        #[cfg(unix)]
        assert_eq!(mode(&dest), 0o600);
        let err = write_private(&dest, b"second", Overwrite::Refuse).unwrap_err();
        assert!(matches!(err, WriteError::Exists(_)), "{err}");
        assert_eq!(std::fs::read(&dest).unwrap(), b"first");
        write_private(&dest, b"third", Overwrite::Replace).unwrap();
        assert_eq!(std::fs::read(&dest).unwrap(), b"third");
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp files left behind");
    }

    #[test]
    fn a_missing_folder_is_an_error_not_created() {
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join("typo").join("out.txt");
        assert!(write_private(&dest, b"x", Overwrite::Refuse).is_err());
        assert!(!dir.path().join("typo").exists());
    }
}
