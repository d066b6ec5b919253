//! Sign-ins: the raw sign-ins of in-scope accounts (evidence, kept a few days), their daily
//! aggregates (kept the year), and the watermarks that say how far they were read.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::db::Store;
use super::error::{StoreError, sql_error};
use super::runs::RunId;
use crate::model::SignIn;

impl Store {
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
                let daily = |column: &str, e: serde_json::Error| StoreError::Corrupt {
                    kind: "signin_daily".into(),
                    key: format!("compte {}, jour {day}, colonne {column}", s.user_id),
                    detail: e.to_string(),
                };
                let apps = bump(
                    &apps,
                    if s.app_name.is_empty() {
                        &s.app_id
                    } else {
                        &s.app_name
                    },
                )
                .map_err(|e| daily("apps", e))?;
                let ips =
                    bump(&ips, s.ip.as_deref().unwrap_or("?")).map_err(|e| daily("ips", e))?;
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

    /// The tenant's POP and IMAP sign-ins with `from <= created < to` (`client_app` POP3,
    /// IMAP4, POP or IMAP, any case), oldest first. A row that is not JSON is read too, so
    /// that it fails as unreadable instead of being left out.
    pub fn mail_client_signins(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<SignIn>, StoreError> {
        self.read_signins(
            "SELECT id, data FROM signins WHERE created >= ?1 AND created < ?2
             AND (NOT json_valid(data)
                  OR upper(trim(json_extract(data, '$.client_app'))) IN ('POP3', 'IMAP4', 'POP', 'IMAP'))
             ORDER BY created, id",
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
}

/// Adds one to `key` in a JSON object of counts (an object that does not parse is an
/// error: resetting it would lose the day's counts).
fn bump(json: &str, key: &str) -> Result<String, serde_json::Error> {
    let mut map: std::collections::BTreeMap<String, i64> = serde_json::from_str(json)?;
    *map.entry(key.to_string()).or_insert(0) += 1;
    serde_json::to_string(&map)
}
