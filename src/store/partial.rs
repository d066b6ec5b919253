//! What a check judged by evidence could not judge on a night, subject by subject, with the
//! reason (table `partial_evaluations`): the check is « évalué en partie », and the nightly
//! files name each mailbox left out.

use rusqlite::params;

use super::db::Store;
use super::error::StoreError;
use super::runs::RunId;
use crate::finding::CheckId;

/// One part of a check a night could not judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartialRow {
    pub check: CheckId,
    /// The mailbox (or target) concerned; empty when a whole kind of evidence is missing.
    pub subject: String,
    pub reason: String,
}

/// Replaces the parts left out by the evaluation of `run` for `establishment`, inside the
/// caller's transaction (the night's evaluation writes them with its findings: all or
/// nothing). The other establishments' rows of the run are kept.
pub(super) fn write_partial(
    tx: &rusqlite::Transaction<'_>,
    (establishment, run): (&str, RunId),
    rows: &[PartialRow],
) -> rusqlite::Result<()> {
    tx.execute(
        "DELETE FROM partial_evaluations WHERE etablissement = ?1 AND run_id = ?2",
        params![establishment, run],
    )?;
    for r in rows {
        tx.execute(
            "INSERT OR IGNORE INTO partial_evaluations (etablissement, run_id, check_id, subject, reason) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![establishment, run, r.check.as_str(), r.subject, r.reason],
        )?;
    }
    Ok(())
}

impl Store {
    /// The parts left out by the evaluation of `run` for the selected establishment, by check
    /// and subject. A check id the catalogue `known` does not hold is an error that names it,
    /// never skipped.
    pub fn partial_of(
        &self,
        run: RunId,
        known: &[&'static str],
    ) -> Result<Vec<PartialRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT check_id, subject, reason FROM partial_evaluations \
                 WHERE etablissement = ?1 AND run_id = ?2 ORDER BY check_id, subject, reason",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (id, subject, reason) = row.map_err(|e| self.sql(e))?;
            let check = CheckId::known(known, &id).ok_or_else(|| {
                self.unknown(
                    "partial_evaluations",
                    self.in_establishment(format!("collecte n° {run}, sujet {subject}")),
                    "contrôle",
                    &id,
                )
            })?;
            out.push(PartialRow {
                check,
                subject,
                reason,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_left_out_are_kept_by_run_and_replaced_on_reevaluation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut store = Store::open(&dir.path().join("v.db")).expect("store");
        let run = store
            .begin_run(
                chrono::Utc::now(),
                chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date"),
            )
            .expect("run");
        let row = |subject: &str| PartialRow {
            check: CheckId::declared("FWD-EXT-01"),
            subject: subject.into(),
            reason: "ForwardingAddress « x » non évalué".into(),
        };
        // Written with the night's evaluation (`Store::record_night`), the only writer.
        let record = |store: &mut Store, rows: &[PartialRow]| {
            let night = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).expect("date");
            let partial = super::super::findings::NightRecord {
                partial: rows,
                ..Default::default()
            };
            store.record_night(run, night, chrono::Utc::now(), partial)
        };
        record(&mut store, &[row("a@x.ca"), row("b@x.ca")]).expect("record");
        record(&mut store, &[row("b@x.ca")]).expect("again");
        let got = store.partial_of(run, &["FWD-EXT-01"]).expect("read");
        assert_eq!(got, vec![row("b@x.ca")]);
        let err = store
            .partial_of(run, &["GEN-MFA-01"])
            .expect_err("unknown id");
        assert!(err.to_string().contains("FWD-EXT-01"), "{err}");
    }
}
