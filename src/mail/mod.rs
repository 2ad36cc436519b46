//! mail — see the issue that builds it.
