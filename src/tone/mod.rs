//! tone — see the issue that builds it.
