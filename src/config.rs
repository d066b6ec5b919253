//! The TOML configuration, its two-phase validation, and secret loading.
