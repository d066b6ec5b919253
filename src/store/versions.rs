//! Versioned records (`versions`): a page is written in one transaction; a record that did
//! not change only has its `seen_run` moved, one that changed or vanished gets a new
//! version. Reads are "current" or "as of a run", streamed in key order.

use rusqlite::{OptionalExtension, params};

use super::db::Store;
use super::error::{StoreError, sql_error};
use super::runs::RunId;
use crate::model::{Kind, Record};

/// What the per-page writer did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub unchanged: usize,
    pub changed: usize,
    pub new: usize,
}

impl Store {
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
