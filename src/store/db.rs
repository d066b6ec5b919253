//! The store handle: opening (directory, lock, permissions), pragmas, migrations, crash
//! recovery, and what every table's code shares (the SQLite error mapper, the JSON row
//! parser, the integrity check).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, params};

use super::error::{StoreError, io, sql_error};
use super::migrations;

pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    _lock: Option<File>,
}

impl Store {
    /// Opens (creating if needed) the store for writing: takes the lock, migrates, and marks
    /// runs left `running` by a dead process as interrupted.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty() && !d.exists())
        {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|e| {
                    io(
                        dir,
                        e,
                        "créez le répertoire de la base ou corrigez [stockage].base",
                    )
                })?;
        }
        let lock_path = lock_path(path);
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .mode(0o600)
            .open(&lock_path)
            .map_err(|e| {
                io(
                    &lock_path,
                    e,
                    "vérifiez les droits du répertoire de la base",
                )
            })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(StoreError::Busy {
                    path: path.to_path_buf(),
                    lock: lock_path,
                });
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(io(
                    &lock_path,
                    e,
                    "vérifiez que le système de fichiers permet les verrous",
                ));
            }
        }
        if !path.exists() {
            OpenOptions::new()
                .create_new(true)
                .write(true)
                .mode(0o600)
                .open(path)
                .map_err(|e| io(path, e, "vérifiez les droits du répertoire de la base"))?;
        } else if let Ok(meta) = std::fs::metadata(path)
            && meta.permissions().mode() & 0o077 != 0
        {
            tracing::warn!(base = %path.display(), "la base est lisible par d'autres utilisateurs : chmod 600 recommandé");
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
            _lock: Some(lock),
        };
        store.configure()?;
        store.migrate()?;
        store.recover()?;
        Ok(store)
    }

    /// Opens an existing store to read it (reports, bilan), without the lock: readers never
    /// block the nightly run, and WAL gives them a consistent view.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        if !path.exists() {
            return Err(StoreError::Io {
                path: path.to_path_buf(),
                detail: "fichier introuvable".into(),
                fix: "lancez d'abord `vigie365 run` (ou `collect`), ou corrigez [stockage].base",
            });
        }
        let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .map_err(|source| StoreError::Sqlite {
                path: path.to_path_buf(),
                source,
            })?;
        let store = Store {
            conn,
            path: path.to_path_buf(),
            _lock: None,
        };
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| store.sql(e))?;
        if version > migrations::MIGRATIONS.len() as i64 {
            return Err(StoreError::TooNew {
                path: path.to_path_buf(),
                found: version,
                known: migrations::MIGRATIONS.len() as i64,
            });
        }
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub(super) fn sql(&self, source: rusqlite::Error) -> StoreError {
        sql_error(&self.path)(source)
    }

    /// A stored value this version does not know, naming its table and row.
    pub(super) fn unknown(
        &self,
        table: &'static str,
        row: String,
        what: &'static str,
        value: &str,
    ) -> StoreError {
        StoreError::Unknown {
            path: self.path.clone(),
            table,
            row,
            what,
            value: value.to_string(),
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 10000;",
            )
            .map_err(|e| self.sql(e))
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        let known = migrations::MIGRATIONS.len() as i64;
        if version > known {
            return Err(StoreError::TooNew {
                path: self.path.clone(),
                found: version,
                known,
            });
        }
        for (i, sql) in migrations::MIGRATIONS
            .iter()
            .enumerate()
            .skip(version as usize)
        {
            let tx = self.conn.transaction().map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            tx.execute_batch(sql).map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| StoreError::Sqlite {
                    path: self.path.clone(),
                    source: e,
                })?;
            tx.commit().map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })?;
        }
        Ok(())
    }

    /// Runs still `running` belong to a process that died (we hold the lock): mark them.
    fn recover(&mut self) -> Result<(), StoreError> {
        let now = Utc::now().to_rfc3339();
        let n = self
            .conn
            .execute(
                "UPDATE runs SET status = 'interrupted', ended_at = ?1,
                   error = COALESCE(error, 'exécution interrompue (processus arrêté)') WHERE status = 'running'",
                params![now],
            )
            .map_err(|e| self.sql(e))?;
        self.conn
            .execute(
                "UPDATE run_sources SET status = 'failed', reason = COALESCE(reason, 'interrompue'), ended_at = ?1
                 WHERE status = 'running'",
                params![now],
            )
            .map_err(|e| self.sql(e))?;
        if n > 0 {
            tracing::warn!(
                runs = n,
                "exécution précédente interrompue : marquée comme telle"
            );
        }
        Ok(())
    }

    /// A `(key, JSON)` row, parsed; a row that does not parse names its kind and key.
    pub(super) fn parse_json<T: serde::de::DeserializeOwned>(
        &self,
        kind: &str,
        row: &rusqlite::Row<'_>,
    ) -> Result<(String, T), StoreError> {
        let key: String = row.get(0).map_err(|e| self.sql(e))?;
        let data = row
            .get_ref(1)
            .map_err(|e| self.sql(e))?
            .as_str()
            .map_err(|e| self.sql(e.into()))?;
        match serde_json::from_str(data) {
            Ok(item) => Ok((key, item)),
            Err(e) => Err(StoreError::Corrupt {
                kind: kind.into(),
                key,
                detail: e.to_string(),
            }),
        }
    }

    /// SQLite's own integrity check: true when the file is sound.
    pub fn integrity_ok(&self) -> Result<bool, StoreError> {
        let r: String = self
            .conn
            .query_row("PRAGMA integrity_check", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        Ok(r == "ok")
    }

    /// The raw connection, for the modules of this crate that own their own tables.
    pub fn conn(&self) -> &Connection {
        &self.conn
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}
