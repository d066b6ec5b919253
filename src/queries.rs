//! The catalogue of remote requests, embedded from `queries/`.
