//! The store handle: opening (directory, lock, permissions), pragmas, migrations, crash
//! recovery, and what every table's code shares (the SQLite error mapper, the JSON row
//! parser, the integrity check).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, params};

use super::error::{StoreError, io, sql_error};
use super::migrations;

/// A collection run's number in the store.
pub type RunId = i64;

pub struct Store {
    pub(super) conn: Connection,
    pub(super) path: PathBuf,
    /// Held for writing; between nights it also keeps the reason of a night that could not
    /// record its own end in the base (see [`Store::note_unrecorded_end`]).
    lock: Option<File>,
    /// The establishment whose evaluations every evaluation-level read and write uses
    /// (`etablissement` of `evaluations`, `finding_nights`, `finding_events`, `posture`,
    /// `partial_evaluations`): `""` unless [`Store::set_establishment`] says otherwise, the
    /// only one of a single-establishment base. Runs, sources, versions and sign-ins are
    /// shared by every establishment.
    pub(super) establishment: String,
}

/// Whether opening the store may start a new history.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum History {
    /// A base that exists must hold its history: an empty file, one without vigie365's
    /// schema, or a base gone while its lock file remains is refused ([`StoreError::NoHistory`]).
    #[default]
    Keep,
    /// `--nouvelle-base`: such a base starts a new history at night 1.
    StartAgain,
}

impl Store {
    /// Opens (creating if needed) the store for writing: takes the lock, checks the file
    /// (`PRAGMA quick_check`), migrates, and marks runs left `running` by a dead process as
    /// interrupted. A base that lost its history is refused (see [`History::Keep`]).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, History::Keep)
    }

    /// [`Store::open`], saying whether a new history may start over an emptied base.
    pub fn open_with(path: &Path, history: History) -> Result<Store, StoreError> {
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
        let had_nights = lock_path.exists();
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
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
        let keep = history == History::Keep;
        let existing = std::fs::metadata(path).ok().map(|m| m.len());
        if keep {
            lost_history(path, existing, had_nights)?;
        }
        if existing.is_none() {
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
            lock: Some(lock),
            establishment: String::new(),
        };
        store.configure()?;
        store.quick_check()?;
        store.migrate(keep && existing.is_some_and(|len| len > 0))?;
        store.recover()?;
        Ok(store)
    }

    /// What `vigie365 doctor` says of the base, changing nothing: `None` when it does not
    /// exist yet (the first night creates it), else its number of runs once it has passed
    /// what a night checks (history kept, quick check, schema) and proved writable.
    pub fn check(path: &Path) -> Result<Option<i64>, StoreError> {
        let existing = std::fs::metadata(path).ok().map(|m| m.len());
        lost_history(path, existing, lock_path(path).exists())?;
        if existing.is_none() {
            return Ok(None);
        }
        OpenOptions::new().write(true).open(path).map_err(|e| {
            io(
                path,
                e,
                "donnez au compte de vigie365 le droit d'écrire la base (propriétaire, chmod 600)",
            )
        })?;
        let store = Store::open_read_only(path)?;
        store.quick_check()?;
        let version: i64 = store
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| store.sql(e))?;
        if version == 0 {
            return Err(StoreError::NoHistory {
                path: path.to_path_buf(),
                what: NOT_OURS,
            });
        }
        let runs = store
            .conn
            .query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))
            .map_err(|e| store.sql(e))?;
        Ok(Some(runs))
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
            lock: None,
            establishment: String::new(),
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

    /// Selects the establishment whose evaluations every evaluation-level read and write
    /// uses from now on (provincial mode: one collection, evaluated per establishment).
    /// `""` is the establishment of a single-establishment base.
    pub fn set_establishment(&mut self, code: &str) {
        code.clone_into(&mut self.establishment);
    }

    /// The establishment selected by [`Store::set_establishment`] (`""` by default).
    pub fn establishment(&self) -> &str {
        &self.establishment
    }

    /// The establishments with at least one evaluation in the base, sorted (`""` among
    /// them when the base holds evaluations of a single-establishment night).
    pub fn establishments(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT etablissement FROM evaluations ORDER BY etablissement")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// `row`, the description of an evaluation-level row in an error, naming the selected
    /// establishment when it is not the default one.
    pub(super) fn in_establishment(&self, row: String) -> String {
        establishment_row(&self.establishment, row)
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

    /// A page of sign-ins inserts into three indexes in random key order: with SQLite's
    /// default 2 MB page cache and a checkpoint every 1,000 pages, each committed page is
    /// written several times (51.8 GB written for a 2.1 GB base on a first night of 300,000
    /// accounts). A 64 MB cache and a checkpoint every 10,000 pages (40 MB of WAL) write a
    /// quarter less and spend 40 % less time for the same rows (270,000 sign-ins in pages of
    /// 900: 4.45 GB → 3.34 GB), for at most 64 MB more memory.
    fn configure(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA journal_mode = WAL;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA foreign_keys = ON;
                 PRAGMA busy_timeout = 10000;
                 PRAGMA cache_size = -65536;
                 PRAGMA wal_autocheckpoint = 10000;",
            )
            .map_err(|e| self.sql(e))
    }

    /// SQLite's quick check, before anything is read or written: a damaged base stops the
    /// night before its first request.
    fn quick_check(&self) -> Result<(), StoreError> {
        let damaged = |detail: String| StoreError::Damaged {
            path: self.path.clone(),
            detail,
        };
        let verdict: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(|e| match e.sqlite_error_code() {
                Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase) => {
                    damaged(e.to_string())
                }
                _ => self.sql(e),
            })?;
        if verdict == "ok" {
            Ok(())
        } else {
            Err(damaged(verdict))
        }
    }

    /// Brings the schema up to date. `has_history`: the file existed with content, so a
    /// schema of version 0 means it is not (or no longer) vigie365's base.
    fn migrate(&mut self, has_history: bool) -> Result<(), StoreError> {
        let version: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if version == 0 && has_history {
            return Err(StoreError::NoHistory {
                path: self.path.clone(),
                what: NOT_OURS,
            });
        }
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

    /// Runs still `running` belong to a process that died (we hold the lock): mark them. A
    /// night that failed without being able to say so in the base left its reason in the lock
    /// file: its run is marked failed with that reason, not interrupted.
    fn recover(&mut self) -> Result<(), StoreError> {
        let now = Utc::now().to_rfc3339();
        if let Some((run, reason)) = self.take_unrecorded_end() {
            let failed = self
                .conn
                .execute(
                    "UPDATE runs SET status = 'failed', ended_at = ?2, error = ?3
                     WHERE id = ?1 AND status = 'running'",
                    params![run, now, reason],
                )
                .map_err(|e| self.sql(e))?;
            if failed > 0 {
                tracing::warn!(run, raison = %reason, "la nuit précédente a échoué");
            }
        }
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

    /// Keeps `reason` in the lock file for the next night, when the run's own row could not
    /// be written (disk full, read-only file): best effort, and said in the logs either way.
    pub fn note_unrecorded_end(&mut self, run: RunId, reason: &str) {
        let written = self.lock.as_mut().map(|f| {
            f.set_len(0)
                .and_then(|()| f.rewind())
                .and_then(|()| f.write_all(format!("{run}\n{reason}").as_bytes()))
                .and_then(|()| f.sync_data())
        });
        match written {
            Some(Ok(())) => tracing::warn!(
                run,
                raison = %reason,
                "fin de la nuit non enregistrée dans la base : raison gardée pour la nuit suivante"
            ),
            _ => tracing::error!(
                run,
                raison = %reason,
                "fin de la nuit enregistrée nulle part (ni la base ni son fichier .lock)"
            ),
        }
    }

    /// The note of [`Store::note_unrecorded_end`], cleared.
    fn take_unrecorded_end(&mut self) -> Option<(RunId, String)> {
        let f = self.lock.as_mut()?;
        let mut text = String::new();
        f.rewind().ok()?;
        f.read_to_string(&mut text).ok()?;
        if text.is_empty() {
            return None;
        }
        let _ = f.set_len(0);
        let (run, reason) = text.split_once('\n')?;
        Some((run.parse().ok()?, reason.to_string()))
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

/// [`Store::in_establishment`], for the code that holds the establishment but not the store.
pub(super) fn establishment_row(establishment: &str, row: String) -> String {
    if establishment.is_empty() {
        row
    } else {
        format!("établissement « {establishment} », {row}")
    }
}

const NOT_OURS: &str = "ne contient aucun historique de vigie365";

/// Refuses a base that lost its history: an empty file, or no file while its lock remains
/// (nights ran here). `existing`: the file's length, if it exists.
fn lost_history(path: &Path, existing: Option<u64>, locked_before: bool) -> Result<(), StoreError> {
    let what = match existing {
        None if locked_before => "a disparu (son fichier .lock est toujours là)",
        Some(0) => "est vide (0 octet)",
        _ => return Ok(()),
    };
    Err(StoreError::NoHistory {
        path: path.to_path_buf(),
        what,
    })
}

fn lock_path(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".lock");
    PathBuf::from(p)
}
