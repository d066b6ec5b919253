//! Reports: what the store says, written for people. Reports only read the store (never
//! Graph, never a check): the nightly outputs of one evaluated night ([`nightly`]) and the
//! annual bilan de sécurité de l'information of MSSS-DIR04 art. 14 ([`bilan`]).
//!
//! Shared pieces: [`escape`] (re-exported from the crate's bottom: tenant data made inert
//! in HTML, Markdown, CSV, CSS and on a terminal, which the configuration check uses too),
//! [`output`] (private directory, atomic private files), [`template`] (the files
//! of `reports/`, overridable), [`doc`] (the block model both bilan formats render), [`chart`]
//! (inline SVG) and [`fr`] (French dates and numbers).

pub mod attribution;
pub mod bilan;
pub mod chart;
pub mod doc;
pub use crate::escape;
pub mod fr;
pub mod nightly;
pub mod output;
pub mod template;

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{path} : {detail}\n  correctif : {fix}")]
    Io {
        path: PathBuf,
        detail: String,
        fix: &'static str,
    },
    #[error("gabarit {path} : {detail}")]
    Template { path: PathBuf, detail: String },
    #[error(
        "aucune nuit évaluée dans la base {0} : lancez d'abord `vigie365 run` (ou `collect` puis `evaluate`)"
    )]
    NothingEvaluated(String),
    #[error(
        "aucune nuit évaluée le {night} dans la base{}",
        if .known.is_empty() { String::new() } else { format!(" ; nuits évaluées les plus proches : {}", .known) }
    )]
    NoSuchNight { night: NaiveDate, known: String },
    #[error("période invalide : {0}")]
    Period(String),
    #[error("logo {path} : {detail}")]
    Logo { path: PathBuf, detail: String },
    #[error("donnée illisible dans la base ({what}) : {detail}")]
    Corrupt { what: String, detail: String },
}

impl ReportError {
    pub(crate) fn io(path: &Path, e: &std::io::Error, fix: &'static str) -> ReportError {
        ReportError::Io {
            path: path.to_path_buf(),
            detail: crate::config::io_error_fr(e),
            fix,
        }
    }
}
