//! The command line over the library: the arguments as data (`args`), clap in French
//! (`french`), one function per command (`commands`) and the one error type they all
//! return. `main.rs` parses, calls a command and turns an [`AppError`] into a message and an
//! exit code; nothing else decides an exit code on failure.

pub mod args;
pub mod commands;
pub mod french;

use crate::config::ConfigErrors;
use crate::demo::DemoError;
use crate::graph::SetupError;
use crate::night::NightError;
use crate::pipeline::PipelineError;
use crate::report::ReportError;
use crate::sim::SimError;
use crate::store::StoreError;

/// Why a command could not do its work. Each variant keeps the library's typed error; its
/// French message is the error's own.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The command line (or `--help`, `--version`, which are not failures).
    #[error("{0}")]
    Args(clap::Error),
    /// Every problem of the configuration file, listed with file:line.
    #[error("{0}")]
    Config(#[from] ConfigErrors),
    /// No client could be built from the configuration.
    #[error(transparent)]
    Client(#[from] SetupError),
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Evaluate(#[from] NightError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Demo(#[from] DemoError),
    /// `vigie365 sim` refused its arguments or could not serve.
    #[error(transparent)]
    Sim(#[from] SimError),
    /// The night failed: nothing usable was read (refused token, unreachable tenant).
    #[error("la nuit a échoué (collecte n° {run}) : {cause}")]
    NightFailed {
        run: crate::store::RunId,
        cause: String,
    },
    #[error("impossible de démarrer l'exécution asynchrone : {0}")]
    Runtime(std::io::Error),
    #[error("contrôle inconnu « {0} » ; `vigie365 checks` les liste tous")]
    UnknownCheck(String),
    /// `--etablissement` or `--tous` does not fit the configuration (the message says why
    /// and what to write).
    #[error("{0}")]
    Establishment(String),
    /// `vigie365 consolider` refused its inputs or could not write.
    #[error(transparent)]
    Consolidate(#[from] crate::consolidate::ConsolidateError),
}
