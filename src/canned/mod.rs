//! canned — see the issue that builds it.
