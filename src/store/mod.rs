//! The store: one SQLite file (WAL), schema versioned by migrations, where the year lives.
//!
//! - A run is a row; each source of a run has its own row (collected, not collected and why).
//! - Collected records are versioned (`versions`): a page is written in one transaction, a
//!   record that did not change only has its `seen_run` moved, one that changed or vanished
//!   gets a new version. What earlier runs saw is never rewritten, so a run killed halfway
//!   loses at most its page in flight and alters no past night.
//! - A run that dies is marked `interrupted` by the next one, which then works normally.
//! - One process at a time: an advisory lock on `<base>.lock`; the second process gets
//!   [`StoreError::Busy`].
//! - The file and its directory are created private (0600 / 0700): they hold personal data.

mod findings;
mod migrations;
mod reports;

pub use findings::{Lifecycle, LifecycleDelta, PostureFigure, StoredFinding};
pub use reports::{EvaluationRow, FindingEvent};

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::model::{Kind, Record, SignIn};

/// A run's id (its row in `runs`).
pub type RunId = i64;

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
    #[error("donnée illisible dans la base ({kind} {key}) : {detail}")]
    Corrupt {
        kind: String,
        key: String,
        detail: String,
    },
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Complete,
    Partial,
    Failed,
    Interrupted,
}

impl RunStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Complete => "complete",
            RunStatus::Partial => "partial",
            RunStatus::Failed => "failed",
            RunStatus::Interrupted => "interrupted",
        }
    }

    fn parse(s: &str) -> RunStatus {
        match s {
            "running" => RunStatus::Running,
            "complete" => RunStatus::Complete,
            "partial" => RunStatus::Partial,
            "failed" => RunStatus::Failed,
            _ => RunStatus::Interrupted,
        }
    }
}

/// How one source of a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceStatus {
    Running,
    Collected,
    /// Not readable with the app's rights or the tenant's licences.
    NotCollected,
    /// Failed for the night (Microsoft unavailable, malformed answer, interrupted).
    Failed,
}

impl SourceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceStatus::Running => "running",
            SourceStatus::Collected => "collected",
            SourceStatus::NotCollected => "not_collected",
            SourceStatus::Failed => "failed",
        }
    }

    fn parse(s: &str) -> SourceStatus {
        match s {
            "running" => SourceStatus::Running,
            "collected" => SourceStatus::Collected,
            "not_collected" => SourceStatus::NotCollected,
            _ => SourceStatus::Failed,
        }
    }
}

/// A run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunRow {
    pub id: RunId,
    pub started_at: String,
    pub as_of: DateTime<Utc>,
    pub night: NaiveDate,
    pub ended_at: Option<String>,
    pub status: RunStatus,
    pub error: Option<String>,
}

/// A source of a run as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceRow {
    pub source: String,
    pub status: SourceStatus,
    pub reason: Option<String>,
    pub permission: Option<String>,
    pub records: i64,
    pub pages: i64,
}

/// How a source ended, as written in `run_sources`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceOutcome {
    pub status: SourceStatus,
    pub records: i64,
    pub pages: i64,
    pub reason: Option<String>,
    pub permission: Option<String>,
}

/// What the per-page writer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub unchanged: usize,
    pub changed: usize,
    pub new: usize,
}

/// Retention settings applied by [`Store::purge`].
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub raw_signin_days: i64,
    pub data_days: i64,
}

pub struct Store {
    conn: Connection,
    path: PathBuf,
    _lock: Option<File>,
}

fn io(path: &Path, e: std::io::Error, fix: &'static str) -> StoreError {
    StoreError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
        fix,
    }
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

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        sql_error(&self.path)(source)
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

    /// Starts a run for the night `night` (local date) evaluated "as of" `as_of`.
    pub fn begin_run(
        &mut self,
        as_of: DateTime<Utc>,
        night: NaiveDate,
    ) -> Result<RunId, StoreError> {
        self.conn
            .execute(
                "INSERT INTO runs (started_at, as_of, night, status, tool_version) VALUES (?1, ?2, ?3, 'running', ?4)",
                params![Utc::now().to_rfc3339(), as_of.to_rfc3339(), night.to_string(), env!("CARGO_PKG_VERSION")],
            )
            .map_err(|e| self.sql(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    pub fn finish_run(
        &mut self,
        run: RunId,
        status: RunStatus,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE runs SET status = ?2, ended_at = ?3, error = ?4 WHERE id = ?1",
                params![run, status.as_str(), Utc::now().to_rfc3339(), error],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    pub fn source_started(&mut self, run: RunId, source: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO run_sources (run_id, source, status, started_at) VALUES (?1, ?2, 'running', ?3)
                 ON CONFLICT (run_id, source) DO UPDATE SET status = 'running', started_at = excluded.started_at",
                params![run, source, Utc::now().to_rfc3339()],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    pub fn source_finished(
        &mut self,
        run: RunId,
        source: &str,
        outcome: &SourceOutcome,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "UPDATE run_sources SET status = ?3, records = ?4, pages = ?5, reason = ?6, permission = ?7, ended_at = ?8
                 WHERE run_id = ?1 AND source = ?2",
                params![
                    run,
                    source,
                    outcome.status.as_str(),
                    outcome.records,
                    outcome.pages,
                    outcome.reason,
                    outcome.permission,
                    Utc::now().to_rfc3339()
                ],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// Writes one page of records in one transaction.
    pub fn write_page<T: Record>(
        &mut self,
        run: RunId,
        items: &[T],
    ) -> Result<WriteStats, StoreError> {
        let sql = sql_error(&self.path);
        let kind = T::KIND.as_str();
        let tx = self.conn.transaction().map_err(sql)?;
        let mut stats = WriteStats::default();
        {
            let mut current = tx
                .prepare_cached("SELECT data, valid_from FROM versions WHERE kind = ?1 AND key = ?2 AND valid_to IS NULL")
                .map_err(sql)?;
            let mut seen = tx
                .prepare_cached("UPDATE versions SET seen_run = ?4 WHERE kind = ?1 AND key = ?2 AND valid_from = ?3")
                .map_err(sql)?;
            let mut close = tx
                .prepare_cached("UPDATE versions SET valid_to = ?4 WHERE kind = ?1 AND key = ?2 AND valid_from = ?3")
                .map_err(sql)?;
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO versions (kind, key, data, valid_from, valid_to, seen_run) VALUES (?1, ?2, ?3, ?4, NULL, ?4)
                     ON CONFLICT (kind, key, valid_from) DO UPDATE SET data = excluded.data, valid_to = NULL, seen_run = excluded.seen_run",
                )
                .map_err(sql)?;
            for item in items {
                let key = item.key();
                let data = serde_json::to_string(item).map_err(|e| StoreError::Corrupt {
                    kind: kind.into(),
                    key: key.clone(),
                    detail: e.to_string(),
                })?;
                let existing: Option<(String, i64)> = current
                    .query_row(params![kind, key], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(sql)?;
                match existing {
                    Some((old, from)) if old == data => {
                        seen.execute(params![kind, key, from, run]).map_err(sql)?;
                        stats.unchanged += 1;
                    }
                    Some((_, from)) if from == run => {
                        // Changed twice within one run (a retried page): keep the last reading.
                        insert.execute(params![kind, key, data, run]).map_err(sql)?;
                        stats.changed += 1;
                    }
                    Some((_, from)) => {
                        close.execute(params![kind, key, from, run]).map_err(sql)?;
                        insert.execute(params![kind, key, data, run]).map_err(sql)?;
                        stats.changed += 1;
                    }
                    None => {
                        insert.execute(params![kind, key, data, run]).map_err(sql)?;
                        stats.new += 1;
                    }
                }
            }
        }
        tx.commit().map_err(sql)?;
        Ok(stats)
    }

    /// After a source was read completely: the records of that kind (under `key_prefix` when
    /// given) that this run did not see have vanished; their version ends with this run.
    pub fn close_unseen(
        &mut self,
        run: RunId,
        kind: Kind,
        key_prefix: Option<&str>,
    ) -> Result<usize, StoreError> {
        let n = match key_prefix {
            None => self.conn.execute(
                "UPDATE versions SET valid_to = ?2 WHERE kind = ?1 AND valid_to IS NULL AND seen_run < ?2",
                params![kind.as_str(), run],
            ),
            Some(prefix) => self.conn.execute(
                "UPDATE versions SET valid_to = ?2 WHERE kind = ?1 AND valid_to IS NULL AND seen_run < ?2
                   AND key >= ?3 AND key < ?4",
                params![kind.as_str(), run, prefix, prefix_end(prefix)],
            ),
        }
        .map_err(|e| self.sql(e))?;
        Ok(n)
    }

    /// Records of a kind this run kept without reading them again: their current version is
    /// marked seen by `run`, so `close_unseen` leaves them open. One statement (one
    /// transaction) for the whole batch. Returns how many were marked (a key without a
    /// current version is skipped).
    pub fn mark_seen(
        &mut self,
        run: RunId,
        kind: Kind,
        keys: &[String],
    ) -> Result<usize, StoreError> {
        let keys = serde_json::to_string(keys).map_err(|e| StoreError::Corrupt {
            kind: kind.as_str().into(),
            key: String::new(),
            detail: e.to_string(),
        })?;
        self.conn
            .execute(
                "UPDATE versions SET seen_run = ?2 WHERE kind = ?1 AND valid_to IS NULL
                   AND key IN (SELECT value FROM json_each(?3))",
                params![kind.as_str(), run, keys],
            )
            .map_err(|e| self.sql(e))
    }

    /// Every current record of a kind.
    pub fn current<T: Record>(&self) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each_version::<T>(CURRENT, None, |item| {
            out.push(item);
            Ok(())
        })?;
        Ok(out)
    }

    /// The records of a kind as they were after run `run`.
    pub fn as_of<T: Record>(&self, run: RunId) -> Result<Vec<T>, StoreError> {
        let mut out = Vec::new();
        self.each_as_of::<T>(run, |item| {
            out.push(item);
            Ok(())
        })?;
        Ok(out)
    }

    /// Streams the records of a kind as they were after run `run`, in key order, without
    /// holding them: memory stays flat whatever the tenant's size.
    pub fn each_as_of<T: Record>(
        &self,
        run: RunId,
        f: impl FnMut(T) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.each_version::<T>(AS_OF, Some(run), f)
    }

    /// Streams the records of kind `A` as of run `run` in key order, each with the record of
    /// kind `B` that has the same key, if any (a merge of two ordered scans: neither kind is
    /// held in memory).
    pub fn each_as_of_with<A: Record, B: Record>(
        &self,
        run: RunId,
        mut f: impl FnMut(A, Option<B>) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut left = self.conn.prepare(AS_OF).map_err(|e| self.sql(e))?;
        let mut right = self.conn.prepare(AS_OF).map_err(|e| self.sql(e))?;
        let mut lrows = left
            .query(params![A::KIND.as_str(), run])
            .map_err(|e| self.sql(e))?;
        let mut rrows = right
            .query(params![B::KIND.as_str(), run])
            .map_err(|e| self.sql(e))?;
        let mut pending: Option<(String, B)> = None;
        let mut right_done = false;
        while let Some(row) = lrows.next().map_err(|e| self.sql(e))? {
            let (key, a) = self.parse_row::<A>(row)?;
            // Advance the right side up to this key: records of B without an A are skipped.
            loop {
                if let Some((k, _)) = &pending
                    && k.as_str() >= key.as_str()
                {
                    break;
                }
                if right_done {
                    pending = None;
                    break;
                }
                match rrows.next().map_err(|e| self.sql(e))? {
                    Some(r) => pending = Some(self.parse_row::<B>(r)?),
                    None => {
                        right_done = true;
                        pending = None;
                        break;
                    }
                }
            }
            let b = match pending.take() {
                Some((k, b)) if k == key => Some(b),
                other => {
                    pending = other;
                    None
                }
            };
            f(a, b)?;
        }
        Ok(())
    }

    fn each_version<T: Record>(
        &self,
        sql: &str,
        run: Option<RunId>,
        mut f: impl FnMut(T) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let kind = T::KIND.as_str();
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let mut rows = match run {
            Some(run) => stmt.query(params![kind, run]),
            None => stmt.query(params![kind]),
        }
        .map_err(|e| self.sql(e))?;
        // Parsed row by row: the JSON of a whole kind is never held at once.
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            f(self.parse_row::<T>(row)?.1)?;
        }
        Ok(())
    }

    /// One `(key, data)` row of `versions`, parsed.
    fn parse_row<T: Record>(&self, row: &rusqlite::Row<'_>) -> Result<(String, T), StoreError> {
        self.parse_json(T::KIND.as_str(), row)
    }

    /// A `(key, JSON)` row, parsed; a row that does not parse names its kind and key.
    fn parse_json<T: serde::de::DeserializeOwned>(
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

    /// Stores sign-ins not seen before (by id) and adds them to the daily aggregates of
    /// their local day. Returns how many were new.
    pub fn write_signins(
        &mut self,
        run: RunId,
        tz: chrono_tz::Tz,
        items: &[SignIn],
    ) -> Result<usize, StoreError> {
        let sql = sql_error(&self.path);
        let tx = self.conn.transaction().map_err(sql)?;
        let mut new = 0;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO signins (id, user_id, created, day, run_id, data) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (id) DO NOTHING",
                )
                .map_err(sql)?;
            let mut get = tx
                .prepare_cached(
                    "SELECT apps, ips FROM signin_daily WHERE user_id = ?1 AND day = ?2",
                )
                .map_err(sql)?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO signin_daily (user_id, day, interactive, non_interactive, single_factor, multi_factor,
                        failures, apps, ips, first, last)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10)
                     ON CONFLICT (user_id, day) DO UPDATE SET
                        interactive = interactive + excluded.interactive,
                        non_interactive = non_interactive + excluded.non_interactive,
                        single_factor = single_factor + excluded.single_factor,
                        multi_factor = multi_factor + excluded.multi_factor,
                        failures = failures + excluded.failures,
                        apps = excluded.apps, ips = excluded.ips,
                        first = min(first, excluded.first), last = max(last, excluded.last)",
                )
                .map_err(sql)?;
            for s in items {
                let day = s.created.with_timezone(&tz).date_naive().to_string();
                let created = s.created.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                let data = serde_json::to_string(s).map_err(|e| StoreError::Corrupt {
                    kind: "signin".into(),
                    key: s.id.clone(),
                    detail: e.to_string(),
                })?;
                if insert
                    .execute(params![s.id, s.user_id, created, day, run, data])
                    .map_err(sql)?
                    == 0
                {
                    continue;
                }
                new += 1;
                let (apps, ips): (String, String) = get
                    .query_row(params![s.user_id, day], |r| Ok((r.get(0)?, r.get(1)?)))
                    .optional()
                    .map_err(sql)?
                    .unwrap_or_else(|| ("{}".into(), "{}".into()));
                let apps = bump(
                    &apps,
                    if s.app_name.is_empty() {
                        &s.app_id
                    } else {
                        &s.app_name
                    },
                );
                let ips = bump(&ips, s.ip.as_deref().unwrap_or("?"));
                let single = s.succeeded()
                    && s.auth_requirement.as_deref() == Some("singleFactorAuthentication");
                let multi = s.succeeded()
                    && s.auth_requirement.as_deref() == Some("multiFactorAuthentication");
                upsert
                    .execute(params![
                        s.user_id,
                        day,
                        (s.interactive as i64),
                        (!s.interactive as i64),
                        single as i64,
                        multi as i64,
                        (!s.succeeded()) as i64,
                        apps,
                        ips,
                        created
                    ])
                    .map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)?;
        Ok(new)
    }

    /// The sign-ins of one account in `[from, to)`, oldest first (index `signins_user_created`).
    pub fn signins_of(
        &self,
        user_id: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SignIn>, StoreError> {
        self.read_signins(
            "SELECT id, data FROM signins WHERE user_id = ?3 AND created >= ?1 AND created < ?2
             ORDER BY created, id",
            from,
            to,
            Some(user_id),
        )
    }

    /// Sign-ins of the given accounts with `from <= created < to`, oldest first.
    pub fn signins_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SignIn>, StoreError> {
        self.read_signins(
            "SELECT id, data FROM signins WHERE created >= ?1 AND created < ?2 ORDER BY created, id",
            from,
            to,
            None,
        )
    }

    fn read_signins(
        &self,
        sql: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        user_id: Option<&str>,
    ) -> Result<Vec<SignIn>, StoreError> {
        let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.sql(e))?;
        let f = from.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let t = to.to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let mut rows = match user_id {
            Some(u) => stmt.query(params![f, t, u]),
            None => stmt.query(params![f, t]),
        }
        .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(|e| self.sql(e))? {
            out.push(self.parse_json("signin", row)?.1);
        }
        Ok(out)
    }

    pub fn watermark(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT value FROM watermarks WHERE name = ?1",
                params![name],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.sql(e))
    }

    pub fn set_watermark(&mut self, run: RunId, name: &str, value: &str) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO watermarks (name, value, run_id) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value, run_id = excluded.run_id",
                params![name, value, run],
            )
            .map_err(|e| self.sql(e))?;
        Ok(())
    }

    /// The accounts whose sign-ins were read up to `mark` or later (table `signin_accounts`).
    pub fn signin_accounts_read_to(&self, mark: &str) -> Result<HashSet<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT user_id FROM signin_accounts WHERE read_to >= ?1")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![mark], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Notes that the sign-ins of these accounts were read completely up to `to` (never
    /// moved back by a rerun of an older night).
    pub fn set_signin_accounts_read(
        &mut self,
        run: RunId,
        user_ids: &[String],
        to: &str,
    ) -> Result<(), StoreError> {
        let sql = sql_error(&self.path);
        let tx = self.conn.transaction().map_err(sql)?;
        {
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO signin_accounts (user_id, read_to, run_id) VALUES (?1, ?2, ?3)
                     ON CONFLICT (user_id) DO UPDATE SET read_to = excluded.read_to, run_id = excluded.run_id
                     WHERE excluded.read_to > read_to",
                )
                .map_err(sql)?;
            for id in user_ids {
                upsert.execute(params![id, to, run]).map_err(sql)?;
            }
        }
        tx.commit().map_err(sql)
    }

    /// Forgets the accounts last read before `mark`: once the watermark is there, they count
    /// as new whether they have a row or not.
    pub fn forget_signin_accounts_before(&mut self, mark: &str) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "DELETE FROM signin_accounts WHERE read_to < ?1",
                params![mark],
            )
            .map_err(|e| self.sql(e))
    }

    pub fn runs(&self) -> Result<Vec<RunRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, started_at, as_of, night, ended_at, status, error FROM runs ORDER BY id")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, started_at, as_of, night, ended_at, status, error) =
                row.map_err(|e| self.sql(e))?;
            let corrupt = |detail: String| StoreError::Corrupt {
                kind: "run".into(),
                key: id.to_string(),
                detail,
            };
            out.push(RunRow {
                id,
                started_at,
                as_of: DateTime::parse_from_rfc3339(&as_of)
                    .map_err(|e| corrupt(e.to_string()))?
                    .with_timezone(&Utc),
                night: night
                    .parse()
                    .map_err(|e: chrono::ParseError| corrupt(e.to_string()))?,
                ended_at,
                status: RunStatus::parse(&status),
                error,
            });
        }
        Ok(out)
    }

    pub fn sources(&self, run: RunId) -> Result<Vec<SourceRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT source, status, reason, permission, records, pages FROM run_sources WHERE run_id = ?1 ORDER BY source")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![run], |r| {
                Ok(SourceRow {
                    source: r.get(0)?,
                    status: SourceStatus::parse(&r.get::<_, String>(1)?),
                    reason: r.get(2)?,
                    permission: r.get(3)?,
                    records: r.get(4)?,
                    pages: r.get(5)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Removes what is older than the retention: raw sign-ins, daily aggregates, and versions
    /// that ended before the horizon. Runs (which hold no personal data) are kept.
    pub fn purge(
        &mut self,
        as_of: DateTime<Utc>,
        retention: Retention,
    ) -> Result<usize, StoreError> {
        let raw_horizon = (as_of - chrono::Duration::days(retention.raw_signin_days))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        let data_horizon = as_of - chrono::Duration::days(retention.data_days);
        let data_day = data_horizon.date_naive().to_string();
        let data_ts = data_horizon.to_rfc3339();
        let sql = sql_error(&self.path);
        let tx = self.conn.transaction().map_err(sql)?;
        let mut n = tx
            .execute(
                "DELETE FROM signins WHERE created < ?1",
                params![raw_horizon],
            )
            .map_err(sql)?;
        n += tx
            .execute("DELETE FROM signin_daily WHERE day < ?1", params![data_day])
            .map_err(sql)?;
        n += tx
            .execute(
                "DELETE FROM versions WHERE valid_to IS NOT NULL
                   AND valid_to <= (SELECT COALESCE(MAX(id), 0) FROM runs WHERE as_of < ?1)",
                params![data_ts],
            )
            .map_err(sql)?;
        tx.commit().map_err(sql)?;
        Ok(n)
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

/// Turns SQLite errors into store errors naming the base, for code that holds a transaction
/// (and so cannot borrow the store for [`Store::sql`]).
pub(crate) fn sql_error(path: &Path) -> impl Fn(rusqlite::Error) -> StoreError + Copy + '_ {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        source,
    }
}

/// Current records of a kind, in key order.
const CURRENT: &str =
    "SELECT key, data FROM versions WHERE kind = ?1 AND valid_to IS NULL ORDER BY key";
/// Records of a kind as they were after a run, in key order (the primary key's order: no
/// sort, rows stream).
const AS_OF: &str = "SELECT key, data FROM versions WHERE kind = ?1 AND valid_from <= ?2 \
                     AND (valid_to IS NULL OR valid_to > ?2) ORDER BY key";

/// The smallest string greater than every string that starts with `prefix`.
fn prefix_end(prefix: &str) -> String {
    let mut s = prefix.to_string();
    s.push(char::MAX);
    s
}

/// Adds one to `key` in a JSON object of counts.
fn bump(json: &str, key: &str) -> String {
    let mut map: std::collections::BTreeMap<String, i64> =
        serde_json::from_str(json).unwrap_or_default();
    *map.entry(key.to_string()).or_insert(0) += 1;
    serde_json::to_string(&map).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests;
