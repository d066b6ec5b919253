//! The errors that stop a night's collection (a source that fails is an outcome, not an
//! error: see `context`).

use crate::graph::GraphError;
use crate::store::StoreError;

/// What stops a night's collection (the store, a defect, or a remote error a collector
/// does not turn into its source's outcome).
#[derive(Debug, thiserror::Error)]
pub enum CollectError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("requête inconnue du catalogue : {0} (défaut de vigie365)")]
    UnknownQuery(&'static str),
    #[error(transparent)]
    Graph(#[from] GraphError),
    #[error("écriture dans la base interrompue (défaut de vigie365)")]
    Writer,
    /// The establishment's perimeter could not be resolved: the night stops rather than
    /// audit the whole tenant. `configuration`: the configuration names what the tenant
    /// does not have (a unit or group not found, or ambiguous).
    #[error("{message}")]
    Perimeter {
        message: String,
        configuration: bool,
    },
}

impl CollectError {
    /// The configuration is at fault (exit 2).
    pub fn is_configuration(&self) -> bool {
        matches!(
            self,
            CollectError::Perimeter {
                configuration: true,
                ..
            }
        )
    }
}
