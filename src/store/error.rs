//! The store's errors, and the mappers that turn I/O and SQLite errors into them.

use std::path::{Path, PathBuf};

/// A failure of the store, naming the base (and the row, for one that does not parse).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "la base {path} est déjà utilisée par une autre exécution de vigie365 (verrou {lock}) ; \
         attendez qu'elle se termine, ou vérifiez qu'aucune tâche ne se chevauche dans cron/systemd"
    )]
    Busy { path: PathBuf, lock: PathBuf },
    #[error("base {path} : {detail}\n  correctif : {fix}")]
    Io {
        path: PathBuf,
        detail: String,
        fix: &'static str,
    },
    #[error("base {path} : erreur SQLite : {source}")]
    Sqlite {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error(
        "la base {path} a été écrite par une version plus récente de vigie365 (schéma {found}, \
         cette version connaît {known}) : mettez vigie365 à jour"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error(
        "base {path}, table {table}, {row} : {what} « {value} » inconnu(e) de cette version de \
         vigie365 ; base écrite par une version plus récente de vigie365, ou modifiée hors de \
         vigie365 ? Mettez vigie365 à jour, ou restaurez une sauvegarde de la base"
    )]
    Unknown {
        path: PathBuf,
        table: &'static str,
        /// Which row: `collecte n° 3, contrôle GEN-MFA-01, sujet a@x.ca`.
        row: String,
        /// Which column, in French: `gravité`, `statut`, ...
        what: &'static str,
        value: String,
    },
    #[error("donnée illisible dans la base ({kind} {key}) : {detail}")]
    Corrupt {
        kind: String,
        key: String,
        detail: String,
    },
}

/// An I/O failure on the base (or its lock, or its directory), with the likely fix.
pub(super) fn io(path: &Path, e: std::io::Error, fix: &'static str) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
        fix,
    }
}

/// Turns SQLite errors into store errors naming the base, for code that holds a transaction
/// (and so cannot borrow the store for `Store::sql`).
pub(super) fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}
