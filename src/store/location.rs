//! Where a queue lives, so a background thread can open its own handle on the same
//! queue: a file for SQLite, a URL for PostgreSQL. The console's runner, worker,
//! courier and intake each need one; deriving it from a file path alone left every
//! one of them unstarted on a server queue (no replies sent from the console).

use std::fmt;
use std::path::PathBuf;

use super::{Result, Store};

/// A queue's address. The URL may carry a password: it is used to log in and never
/// shown — `Display` and `Debug` name the server without it.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite queue file.
    File(PathBuf),
    /// A PostgreSQL queue (`postgres://…`).
    Server(String),
}

impl Location {
    /// Reads where a queue is as the user wrote it: a PostgreSQL URL, or else a file.
    pub fn parse(text: &str) -> Location {
        if super::postgres::is_url(text) {
            Location::Server(text.to_string())
        } else {
            Location::File(PathBuf::from(text))
        }
    }

    /// Opens another handle on this queue.
    pub fn open(&self) -> Result<Store> {
        match self {
            Location::File(path) => Store::open(path),
            Location::Server(url) => Store::open_url(url),
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File(path) => write!(f, "{}", path.display()),
            Location::Server(url) => f.write_str(
                &super::postgres::describe_url(url).unwrap_or_else(|| "a PostgreSQL server".into()),
            ),
        }
    }
}

impl fmt::Debug for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Location({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_location_never_shows_its_password() {
        let at = Location::Server("postgres://olena:s3cret@db.example:5433/support".into());
        assert!(!format!("{at} {at:?}").contains("s3cret"), "{at}");
        assert!(format!("{at}").contains("db.example"), "{at}");
    }
}
