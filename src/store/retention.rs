//! Retention: personal data is kept only as long as the configuration says; a purge runs
//! with each night.

use chrono::{DateTime, Utc};
use rusqlite::params;

use super::db::Store;
use super::error::{StoreError, sql_error};

/// Retention settings applied by [`Store::purge`].
#[derive(Debug, Clone, Copy)]
pub struct Retention {
    pub raw_signin_days: i64,
    pub data_days: i64,
}

impl Store {
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
}
