//! The starter library: replies written for firstline in English, Ukrainian and
//! Russian, compiled into the binary from `assets/canned/` and copied into the store on
//! first run. Later versions update the replies the user never edited and leave the
//! rest alone (see `Store::canned_sync_starter`).

use sha2::{Digest, Sha256};

use super::{library, CannedError};
use crate::model::NewCanned;
use crate::store::{StarterSync, Store};

/// The library files, in the order they load.
const FILES: &[(&str, &str)] = &[
    (
        "snippets.toml",
        include_str!("../../assets/canned/snippets.toml"),
    ),
    ("en.toml", include_str!("../../assets/canned/en.toml")),
    ("uk.toml", include_str!("../../assets/canned/uk.toml")),
    ("ru.toml", include_str!("../../assets/canned/ru.toml")),
];

/// Where the store remembers which starter library it last synced, so an unchanged
/// library costs one read at startup.
const META_KEY: &str = "canned_starter_hash";

/// Every reply of the starter library.
pub fn starter_items() -> Result<Vec<NewCanned>, CannedError> {
    let mut all = Vec::new();
    for (name, text) in FILES {
        all.extend(library::from_toml(text, &format!("assets/canned/{name}"))?);
    }
    Ok(all)
}

fn hash_of(item: &NewCanned) -> String {
    let json = serde_json::to_vec(item).unwrap_or_default();
    format!("{:x}", Sha256::digest(json))
}

/// Loads the starter library into the store on first run and brings it up to date
/// after an upgrade, never touching replies the user edited or deleted. Cheap when
/// nothing changed. Call it whenever a store is opened for the CLI or the TUI.
pub fn ensure_starter(store: &mut Store) -> Result<StarterSync, CannedError> {
    if store.meta(META_KEY)?.as_deref() == Some(LIBRARY_FINGERPRINT) {
        return Ok(StarterSync::default());
    }
    let items = starter_items()?;
    let hashed: Vec<(NewCanned, String)> = items
        .into_iter()
        .map(|i| {
            let h = hash_of(&i);
            (i, h)
        })
        .collect();
    let report = store.canned_sync_starter(&hashed)?;
    store.set_meta(META_KEY, LIBRARY_FINGERPRINT)?;
    Ok(report)
}

/// Which starter library this build carries, computed by the compiler from the
/// library files and firstline's version, so the check on every start is one read
/// and one comparison. It used to be a SHA-256 over the parsed replies: parsing four
/// TOML files and compiling their templates was 12% of a `firstline search` (issue
/// 21). The version is in it because how a file becomes replies is code: a new
/// release re-syncs once even when the files did not change. Not a security hash:
/// it only tells this library from the one synced before.
const LIBRARY_FINGERPRINT: &str = {
    const HASH: u64 = fingerprint(env!("CARGO_PKG_VERSION"), FILES);
    const HEX: [u8; 20] = fingerprint_text(HASH);
    match std::str::from_utf8(&HEX) {
        Ok(text) => text,
        Err(_) => panic!("the fingerprint is ASCII"),
    }
};

/// FNV-1a (64 bits) over the version and every library file, name and text.
const fn fingerprint(version: &str, files: &[(&str, &str)]) -> u64 {
    const fn mix(mut hash: u64, bytes: &[u8]) -> u64 {
        let mut i = 0;
        while i < bytes.len() {
            hash ^= bytes[i] as u64;
            hash = hash.wrapping_mul(0x0100_0000_01b3);
            i += 1;
        }
        // A separator, so ("ab", "c") and ("a", "bc") differ.
        hash ^= 0xff;
        hash.wrapping_mul(0x0100_0000_01b3)
    }
    let mut hash = mix(0xcbf2_9ce4_8422_2325, version.as_bytes());
    let mut f = 0;
    while f < files.len() {
        hash = mix(hash, files[f].0.as_bytes());
        hash = mix(hash, files[f].1.as_bytes());
        f += 1;
    }
    hash
}

/// `fnv:` and the hash in 16 hex digits.
const fn fingerprint_text(hash: u64) -> [u8; 20] {
    let mut out = *b"fnv:0000000000000000";
    let mut i = 0;
    while i < 16 {
        let nibble = ((hash >> (60 - 4 * i)) & 0xf) as u8;
        out[4 + i] = if nibble < 10 {
            b'0' + nibble
        } else {
            b'a' + nibble - 10
        };
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint follows the library: a changed reply, a byte moved between a
    /// file's name and its text, or a new version each make another fingerprint, so
    /// the next start syncs.
    #[test]
    fn the_fingerprint_changes_with_the_library_and_the_version() {
        let base = fingerprint("1.0.0", &[("en.toml", "a = 1"), ("uk.toml", "b = 2")]);
        for other in [
            fingerprint("1.0.0", &[("en.toml", "a = 2"), ("uk.toml", "b = 2")]),
            fingerprint("1.0.0", &[("en.toml", "a = 1 "), ("uk.toml", "b = 2")]),
            fingerprint("1.0.0", &[("en.tom", "la = 1"), ("uk.toml", "b = 2")]),
            fingerprint("1.0.1", &[("en.toml", "a = 1"), ("uk.toml", "b = 2")]),
            fingerprint("1.0.0", &[("en.toml", "a = 1")]),
        ] {
            assert_ne!(base, other);
        }
        assert_eq!(
            LIBRARY_FINGERPRINT.as_bytes(),
            &fingerprint_text(fingerprint(env!("CARGO_PKG_VERSION"), FILES))
        );
        assert_eq!(&fingerprint_text(0xab), b"fnv:00000000000000ab");
    }
}
