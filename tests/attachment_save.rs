//! Saving an attachment into a folder the user picks: the customer chose the file
//! name, so it is cut to a harmless last component, and nothing already there is
//! replaced unless the user said so.

mod support;

use firstline::mail::{safe_filename, save_attachment, sha256_hex, SaveOutcome};
use firstline::model::Attachment;
use firstline::store::FsBlobs;
use std::path::Path;

fn stored(dir: &Path, name: &str, content: &[u8]) -> Attachment {
    let sha = sha256_hex(content);
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(&sha), content).unwrap();
    Attachment {
        filename: name.into(),
        content_type: "application/octet-stream".into(),
        size: content.len() as u64,
        sha256: Some(sha),
    }
}

#[test]
fn traversal_absolute_and_drive_names_keep_only_the_last_component() {
    assert_eq!(safe_filename("../../etc/passwd"), "passwd");
    assert_eq!(safe_filename("/etc/shadow"), "shadow");
    assert_eq!(safe_filename("..\\..\\Windows\\win.ini"), "win.ini");
    assert_eq!(safe_filename("C:\\boot.ini"), "boot.ini");
    assert_eq!(safe_filename("C:evil.exe"), "C_evil.exe");
    assert_eq!(safe_filename(".."), "attachment");
    assert_eq!(safe_filename("../"), "attachment");
    assert_eq!(safe_filename(""), "attachment");
    assert_eq!(safe_filename(".bashrc"), "bashrc");
    assert_eq!(safe_filename("report.pdf. . "), "report.pdf");
}

#[test]
fn control_bidi_and_nul_characters_are_replaced() {
    assert_eq!(safe_filename("in\0voice.pdf"), "in_voice.pdf");
    assert_eq!(safe_filename("a\u{1b}]0;pwned\u{7}.txt"), "a_]0;pwned_.txt");
    assert_eq!(safe_filename("line\nbreak\r.txt"), "line_break_.txt");
    // "invoice_fdp.exe" would show as "invoice_exe.pdf" with the override kept.
    assert_eq!(safe_filename("invoice_\u{202e}fdp.exe"), "invoice__fdp.exe");
    assert_eq!(safe_filename("a\u{85}b"), "a_b");
}

#[test]
fn windows_device_names_are_defused() {
    for name in ["CON", "con.txt", "NUL", "aux.tar.gz", "COM1.log", "lpt9"] {
        let safe = safe_filename(name);
        assert!(safe.starts_with('_'), "{name} -> {safe}");
    }
    assert_eq!(safe_filename("console.txt"), "console.txt");
}

#[test]
fn very_long_names_are_cut_keeping_the_extension() {
    let long = format!("{}.pdf", "я".repeat(400));
    let safe = safe_filename(&long);
    assert!(safe.len() <= 200, "{}", safe.len());
    assert!(safe.ends_with(".pdf"));
}

#[test]
fn saves_under_the_safe_name_inside_the_chosen_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("q.attachments");
    let dest = dir.path().join("Downloads");
    std::fs::create_dir(&dest).unwrap();
    let a = stored(&store, "../../../tmp/evil.sh", b"#!/bin/sh\necho hi\n");
    let SaveOutcome::Saved(path) =
        save_attachment(&FsBlobs::new(&store), &a, &dest, false).unwrap()
    else {
        panic!("not saved");
    };
    assert_eq!(path, dest.join("evil.sh"));
    assert_eq!(std::fs::read(&path).unwrap(), b"#!/bin/sh\necho hi\n");
    assert_eq!(std::fs::read_dir(&dest).unwrap().count(), 1, "no temp left");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "a customer's document is private");
    }
}

#[test]
fn an_existing_file_is_never_overwritten_without_asking() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("q.attachments");
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dest.join("contract.pdf"), b"mine").unwrap();
    let a = stored(&store, "contract.pdf", b"theirs");
    assert_eq!(
        save_attachment(&FsBlobs::new(&store), &a, &dest, false).unwrap(),
        SaveOutcome::Exists(dest.join("contract.pdf"))
    );
    assert_eq!(std::fs::read(dest.join("contract.pdf")).unwrap(), b"mine");
    // The user said yes.
    assert_eq!(
        save_attachment(&FsBlobs::new(&store), &a, &dest, true).unwrap(),
        SaveOutcome::Saved(dest.join("contract.pdf"))
    );
    assert_eq!(std::fs::read(dest.join("contract.pdf")).unwrap(), b"theirs");
}

#[cfg(unix)]
#[test]
fn a_symlink_in_the_way_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("q.attachments");
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    let victim = dir.path().join("victim");
    std::fs::write(&victim, b"precious").unwrap();
    std::os::unix::fs::symlink(&victim, dest.join("x.txt")).unwrap();
    let a = stored(&store, "x.txt", b"overwrite?");
    assert!(matches!(
        save_attachment(&FsBlobs::new(&store), &a, &dest, false).unwrap(),
        SaveOutcome::Exists(_)
    ));
    assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
}

/// The forged reference points at a file that really exists beside the attachment
/// folder, so only the hash check (not a missing file) can stop the read.
#[test]
fn a_forged_hash_cannot_read_outside_the_attachment_folder() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a");
    let dest = dir.path().join("out");
    std::fs::create_dir(&dest).unwrap();
    std::fs::write(dir.path().join("secret"), b"not an attachment").unwrap();
    let mut a = stored(&store, "x.txt", b"x");
    a.sha256 = Some("../secret".into());
    assert!(
        store.join("../secret").is_file(),
        "the forged path must lead somewhere real"
    );
    let err = save_attachment(&FsBlobs::new(&store), &a, &dest, false).unwrap_err();
    assert!(
        err.to_string().contains("is not a content hash"),
        "refused by the hash check, not by chance: {err}"
    );
    assert_eq!(
        std::fs::read_dir(&dest).unwrap().count(),
        0,
        "nothing saved"
    );
}

#[cfg(unix)]
#[test]
fn imported_attachments_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("q.db");
    let nested = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mail/nested.eml");
    support::run_ok(
        support::cli(&db, &dir.path().join("none.toml"))
            .args(["--no-demo", "import"])
            .arg(&nested),
    );
    let folder = firstline::store::FsBlobs::beside(&db, firstline::store::Bucket::Attachments)
        .dir()
        .to_path_buf();
    let mode = std::fs::metadata(&folder).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700, "{}", folder.display());
    for f in std::fs::read_dir(&folder).unwrap().flatten() {
        let mode = f.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.path().display());
    }
}
