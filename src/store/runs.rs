//! Runs and their sources: a run is a row (night, "as of", status, tool version), each
//! source of a run has its own row (collected, not collected and why, records, pages).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::params;
use serde::Serialize;

use super::db::Store;
use super::error::StoreError;

/// A run's id (its row in `runs`).
pub use super::db::RunId;

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

    pub const ALL: [RunStatus; 5] = [
        RunStatus::Running,
        RunStatus::Complete,
        RunStatus::Partial,
        RunStatus::Failed,
        RunStatus::Interrupted,
    ];

    /// The status whose stored string is exactly `s`.
    pub fn from_stored(s: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|x| x.as_str() == s)
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

    pub const ALL: [SourceStatus; 4] = [
        SourceStatus::Running,
        SourceStatus::Collected,
        SourceStatus::NotCollected,
        SourceStatus::Failed,
    ];

    /// The status whose stored string is exactly `s`.
    pub fn from_stored(s: &str) -> Option<SourceStatus> {
        SourceStatus::ALL.into_iter().find(|x| x.as_str() == s)
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

impl Store {
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
                status: RunStatus::from_stored(&status).ok_or_else(|| {
                    self.unknown(
                        "runs",
                        format!("collecte n° {id}, nuit {night}"),
                        "statut",
                        &status,
                    )
                })?,
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
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (source, status, reason, permission, records, pages) =
                row.map_err(|e| self.sql(e))?;
            let status = SourceStatus::from_stored(&status).ok_or_else(|| {
                self.unknown(
                    "run_sources",
                    format!("collecte n° {run}, source {source}"),
                    "statut",
                    &status,
                )
            })?;
            out.push(SourceRow {
                source,
                status,
                reason,
                permission,
                records,
                pages,
            });
        }
        Ok(out)
    }
}
