//! Watch mode: new mail dropped into a Maildir (or appended to an mbox) is imported
//! as it arrives, after a first scan of what is already there. Uses the OS
//! file-change notifications (notify); each burst of changes is imported as one small
//! import, so threading, dedupe and resume work exactly as for `firstline import`.
//! The console can run this on a background thread with its own `Store`.

use notify::{EventKind, RecursiveMode, Watcher};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use super::{import_paths, ImportOptions, ImportReport, MailError};
use crate::config::Config;
use crate::store::Store;

/// How long a burst of changes may keep arriving before it is imported.
const SETTLE: Duration = Duration::from_millis(300);

/// Watches `paths` until `stop` is set, importing changed files and calling
/// `on_import` with each import's report.
///
/// The watch is registered first and the paths are scanned right after (an ordinary
/// import, so what is already stored is skipped): mail delivered before or while the
/// watch was being set up is taken by the scan, mail delivered after it by the
/// watcher, and none falls in between. The scan's report reaches `on_import` only
/// when it added mail: `firstline import --watch` has just imported the same paths
/// itself, and a scan that found only duplicates is not news.
pub fn watch(
    store: &mut Store,
    config: &Config,
    paths: &[PathBuf],
    options: &ImportOptions,
    stop: &AtomicBool,
    on_import: &mut dyn FnMut(&ImportReport),
) -> Result<(), MailError> {
    let (tx, rx) = mpsc::channel();
    let mut watcher = notify::recommended_watcher(move |res| {
        let _ = tx.send(res);
    })
    .map_err(|e| MailError::Invalid(format!("cannot watch for new mail: {e}")))?;
    for path in paths {
        watcher
            .watch(path, RecursiveMode::Recursive)
            .map_err(|e| MailError::Invalid(format!("cannot watch {}: {e}", path.display())))?;
    }
    let scan = import_paths(store, config, paths, options, &mut |_| {})?;
    if scan.added > 0 {
        on_import(&scan);
    }
    while !stop.load(Ordering::Relaxed) {
        let first = match rx.recv_timeout(Duration::from_millis(200)) {
            Ok(event) => event,
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        let mut changed = BTreeSet::new();
        collect(first, &mut changed);
        while let Ok(event) = rx.recv_timeout(SETTLE) {
            collect(event, &mut changed);
        }
        let files: Vec<PathBuf> = changed.into_iter().filter(|p| wanted(p)).collect();
        if files.is_empty() {
            continue;
        }
        let report = import_paths(store, config, &files, options, &mut |_| {})?;
        on_import(&report);
    }
    Ok(())
}

fn collect(event: notify::Result<notify::Event>, into: &mut BTreeSet<PathBuf>) {
    let Ok(event) = event else { return };
    if matches!(event.kind, EventKind::Create(_) | EventKind::Modify(_)) {
        into.extend(event.paths);
    }
}

/// A finished file: not a directory, not in a Maildir's `tmp/` (still being written),
/// not a hidden lock or temp file.
fn wanted(path: &Path) -> bool {
    let hidden = path
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with('.'));
    let in_tmp = path
        .parent()
        .and_then(Path::file_name)
        .is_some_and(|d| d == "tmp");
    path.is_file() && !hidden && !in_tmp
}
