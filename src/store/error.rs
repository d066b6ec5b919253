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
    /// SQLite's check found the file damaged: nothing may be read from it or written to it.
    #[error(
        "la base {path} est endommagée ({detail}) : rien n'y a été lu ni écrit\n  correctif : {RESTORE}"
    )]
    Damaged { path: PathBuf, detail: String },
    /// The base exists but holds no history (emptied, truncated, deleted under its lock):
    /// starting again at night 1 needs to be asked for.
    #[error(
        "la base {path} {what} : vigie365 refuse de recommencer l'historique des nuits en \
         silence\n  correctif : {RESTORE} ; pour repartir \
         volontairement d'une base vide (première installation, historique abandonné), \
         relancez avec --nouvelle-base"
    )]
    NoHistory { path: PathBuf, what: &'static str },
    #[error(
        "la base {path} a été écrite par une version plus récente de vigie365 (schéma {found}, \
         cette version connaît {known}) : mettez vigie365 à jour"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("donnée illisible dans la base ({kind} {key}) : {detail}")]
    Corrupt {
        kind: String,
        key: String,
        detail: String,
    },
}

/// How to put back the base from its backup (README, « La base »).
pub(crate) const RESTORE: &str = "pendant qu'aucune nuit ne tourne, restaurez la dernière \
     sauvegarde de la base et supprimez ses fichiers -wal et -shm (README, « La base »), puis \
     relancez ; sans sauvegarde, mettez le fichier de côté et relancez avec --nouvelle-base";

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
