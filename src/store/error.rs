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
    #[error("base {path} : {}", sqlite_fr(source))]
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

/// How to put back the base from its backup (README, « La base »).
pub(crate) const RESTORE: &str = "pendant qu'aucune nuit ne tourne, restaurez la dernière \
     sauvegarde de la base et supprimez ses fichiers -wal et -shm (README, « La base »), puis \
     relancez ; sans sauvegarde, mettez le fichier de côté et relancez avec --nouvelle-base";

/// A SQLite error told in French, with its code and the likely fix.
fn sqlite_fr(e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode as C;
    let Some(code) = e.sqlite_error_code() else {
        return format!("erreur SQLite : {e}");
    };
    let (what, fix) = match code {
        C::DiskFull => (
            "disque plein",
            "libérez de l'espace sur le disque de la base (df -h), puis relancez",
        ),
        C::ReadOnly => (
            "base en lecture seule",
            "vérifiez que le compte de vigie365 peut écrire le fichier et son répertoire \
             (propriétaire, chmod 600 / 700) et que le système de fichiers n'est pas monté en \
             lecture seule (ReadWritePaths de systemd)",
        ),
        C::DatabaseBusy | C::DatabaseLocked => (
            "base verrouillée par un autre programme",
            "fermez le programme qui la tient ouverte en écriture (sqlite3, sauvegarde), puis \
             relancez",
        ),
        C::DatabaseCorrupt | C::NotADatabase => ("base endommagée ou pas une base SQLite", RESTORE),
        C::PermissionDenied | C::AuthorizationForStatementDenied => (
            "permission refusée",
            "donnez au compte de vigie365 les droits sur le fichier et son répertoire",
        ),
        C::CannotOpen => (
            "impossible d'ouvrir la base",
            "vérifiez que le répertoire de [stockage].base existe et que le compte de vigie365 \
             peut y écrire",
        ),
        C::SystemIoFailure => (
            "erreur d'entrée-sortie du disque",
            "vérifiez le disque (dmesg) et l'espace libre, puis relancez",
        ),
        C::OutOfMemory => (
            "mémoire insuffisante",
            "libérez de la mémoire, puis relancez",
        ),
        _ => return format!("erreur SQLite : {e}"),
    };
    format!("{what} (SQLite : {code:?})\n  correctif : {fix}")
}

/// An I/O failure on the base (or its lock, or its directory), with the likely fix.
pub(super) fn io(path: &Path, e: std::io::Error, fix: &'static str) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        detail: crate::config::io_error_fr(&e),
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

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(code: i32) -> StoreError {
        StoreError::Sqlite {
            path: PathBuf::from("/var/lib/vigie365/vigie365.sqlite"),
            source: rusqlite::Error::SqliteFailure(rusqlite::ffi::Error::new(code), None),
        }
    }

    #[test]
    fn sqlite_errors_are_told_in_french_with_their_fix() {
        use rusqlite::ffi;
        for (code, what, fix) in [
            (ffi::SQLITE_FULL, "disque plein", "libérez de l'espace"),
            (
                ffi::SQLITE_READONLY,
                "base en lecture seule",
                "ReadWritePaths",
            ),
            (
                ffi::SQLITE_BUSY,
                "verrouillée par un autre programme",
                "fermez",
            ),
            (
                ffi::SQLITE_LOCKED,
                "verrouillée par un autre programme",
                "fermez",
            ),
            (
                ffi::SQLITE_CORRUPT,
                "base endommagée",
                "restaurez la dernière sauvegarde",
            ),
            (
                ffi::SQLITE_NOTADB,
                "pas une base SQLite",
                "restaurez la dernière sauvegarde",
            ),
            (ffi::SQLITE_PERM, "permission refusée", "droits"),
            (
                ffi::SQLITE_CANTOPEN,
                "impossible d'ouvrir",
                "répertoire de [stockage].base",
            ),
            (
                ffi::SQLITE_IOERR,
                "erreur d'entrée-sortie",
                "vérifiez le disque",
            ),
        ] {
            let text = failure(code).to_string();
            assert!(text.contains(what), "{code}: {text}");
            assert!(text.contains("correctif : "), "{code}: {text}");
            assert!(text.contains(fix), "{code}: {text}");
            assert!(!text.contains("database"), "no English: {text}");
        }
    }

    #[test]
    fn file_errors_are_told_in_french() {
        use std::io::{Error, ErrorKind};
        for (kind, what) in [
            (ErrorKind::PermissionDenied, "permission refusée"),
            (ErrorKind::NotFound, "introuvable"),
            (ErrorKind::NotADirectory, "n'est pas un répertoire"),
            (ErrorKind::StorageFull, "disque plein"),
            (ErrorKind::ReadOnlyFilesystem, "lecture seule"),
        ] {
            let e = io(Path::new("/x/base"), Error::from(kind), "corrigez");
            assert!(e.to_string().contains(what), "{kind:?}: {e}");
        }
    }
}
