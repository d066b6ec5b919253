//! `vigie365 consolider`: the network bilan from establishments' bilan JSON documents
//! (issue #18, parts 3 and 4). Every file is read with a size cap ([`read`]), validated
//! against the shipped schema ([`schema`]), reduced to the figures the network needs; the
//! network bilan ([`network`]) is rendered in full in memory ([`render`]) and only then
//! written, each file atomically: a refused input leaves no output at all, and an output
//! never exists half-written under its final name.

pub mod network;
pub mod read;
pub mod render;
pub mod schema;

use std::path::{Path, PathBuf};

use crate::report::ReportError;
use crate::report::output;

pub use network::Network;
pub use read::{Entry, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum ConsolidateError {
    #[error("aucun bilan à consolider : donnez un ou plusieurs fichiers bilan-….json")]
    NoFiles,
    #[error(
        "{} fichier(s) refusé(s), aucun bilan de réseau écrit :\n{}",
        .0.len(),
        .0.iter().map(|r| format!("  - {r}")).collect::<Vec<_>>().join("\n")
    )]
    Refused(Vec<Refusal>),
    #[error("liste des établissements attendus {path} : {detail}")]
    Expected { path: PathBuf, detail: String },
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// Reads, validates and consolidates `files`; returns the network bilan and the files
/// written into `out_dir`.
pub fn run(
    files: &[PathBuf],
    expected: Option<&Path>,
    out_dir: &Path,
) -> Result<(Network, Vec<PathBuf>), ConsolidateError> {
    if files.is_empty() {
        return Err(ConsolidateError::NoFiles);
    }
    let expected = match expected {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| ConsolidateError::Expected {
                path: path.to_path_buf(),
                detail: format!(
                    "{} : une ligne par nom d'établissement, en UTF-8",
                    crate::config::io_error_fr(&e)
                ),
            })?;
            Some(network::expected(&text))
        }
        None => None,
    };
    let entries = read::entries(files).map_err(ConsolidateError::Refused)?;
    let n = network::build(&entries, expected.as_deref());
    let rendered = render::files(&n)?;
    output::private_dir(out_dir)?;
    let mut written = Vec::new();
    for (name, bytes) in &rendered {
        written.push(output::write_atomic(out_dir, name, bytes)?);
    }
    Ok((n, written))
}
