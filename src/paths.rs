//! Where firstline keeps things on disk: the platform's data and config dirs (via
//! `directories`), overridable for tests and for people with opinions.

use std::path::PathBuf;

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("", "", "firstline")
}

/// The default queue file: `$XDG_DATA_HOME/firstline/firstline.db` on Linux.
pub fn default_db_path() -> PathBuf {
    project_dirs()
        .map(|d| d.data_dir().join("firstline.db"))
        .unwrap_or_else(|| PathBuf::from("firstline.db"))
}

/// The settings file: `FIRSTLINE_CONFIG`, else `$XDG_CONFIG_HOME/firstline/config.toml`.
pub fn config_path() -> PathBuf {
    if let Some(p) = std::env::var_os("FIRSTLINE_CONFIG") {
        return PathBuf::from(p);
    }
    project_dirs()
        .map(|d| d.config_dir().join("config.toml"))
        .unwrap_or_else(|| PathBuf::from("firstline.toml"))
}
