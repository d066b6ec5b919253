//! Configuration texts for the tests of the configuration's rules: a minimal valid head,
//! the text under test appended after it, and its diagnostics with lines counted from the
//! first line of that text.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use vigie365::config::{Code, Config, ConfigErrors, LoadOptions};

/// The check ids an exception may name: the registry's, as the binary passes them.
pub fn options() -> LoadOptions<'static> {
    vigie365::checks::registry::load_options()
}

pub const HEAD: &str = r#"[locataire]
tenant_id = "6f1c2a7e-8d4b-4e3a-9c1f-2b5d7e9a0c11"
domaine = "cisss-exemple.onmicrosoft.com"
client_id = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
etablissement = "CISSS de l'Exemple"

[identifiants]
secret_env = "VIGIE365_CLIENT_SECRET"
"#;

/// Line of the first line of `extra` in the text `with` builds.
pub const EXTRA_LINE: usize = 10;

pub fn with(extra: &str) -> Result<Config, ConfigErrors> {
    Config::from_toml_str(
        &format!("{HEAD}\n{extra}"),
        "/etc/vigie365/vigie365.toml",
        &options(),
    )
}

pub fn ok(extra: &str) -> Config {
    with(extra).unwrap_or_else(|e| panic!("{extra}\n{e}"))
}

pub fn err(extra: &str) -> ConfigErrors {
    match with(extra) {
        Ok(_) => panic!("must be refused:\n{extra}"),
        Err(e) => e,
    }
}

/// (line relative to `extra`, 1-based; code) of every error, and the whole text.
pub fn refused(extra: &str) -> (Vec<(usize, Code)>, String) {
    let e = err(extra);
    (
        e.diagnostics
            .iter()
            .map(|d| (d.line + 1 - EXTRA_LINE, d.code))
            .collect(),
        e.to_string(),
    )
}

/// (line relative to `extra`, 1-based; code) of every error.
pub fn codes(extra: &str) -> Vec<(usize, Code)> {
    err(extra)
        .diagnostics
        .iter()
        .map(|d| (d.line + 1 - EXTRA_LINE, d.code))
        .collect()
}
