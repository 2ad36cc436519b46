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
    let items = starter_items()?;
    let hashed: Vec<(NewCanned, String)> = items
        .into_iter()
        .map(|i| {
            let h = hash_of(&i);
            (i, h)
        })
        .collect();
    let mut all = Sha256::new();
    for (_, h) in &hashed {
        all.update(h.as_bytes());
    }
    let library_hash = format!("{:x}", all.finalize());
    if store.meta(META_KEY)?.as_deref() == Some(library_hash.as_str()) {
        return Ok(StarterSync::default());
    }
    let report = store.canned_sync_starter(&hashed)?;
    store.set_meta(META_KEY, &library_hash)?;
    Ok(report)
}
