//! Read-only queries of the reports (nightly outputs, annual bilan): which runs were
//! evaluated and which checks each left out, and the full history of lifecycle events.
//!
//! The bilan needs both to tell a night evaluated with no finding from a night collected but
//! never evaluated, and to measure every open → resolved episode of a finding (a finding
//! reopened twice has three episodes), "as of" any date.

use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

use super::db::Store;
use super::error::StoreError;
use super::findings::PostureFigure;
use super::runs::RunId;
use crate::finding::{CheckId, Event};

/// An evaluated run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EvaluationRow {
    pub run: RunId,
    pub night: NaiveDate,
    /// Checks not evaluated that night (a source they need was not collected).
    pub not_evaluated: Vec<CheckId>,
}

/// One lifecycle event of a finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FindingEvent {
    pub run: RunId,
    pub night: NaiveDate,
    pub check: CheckId,
    pub subject: String,
    pub event: Event,
}

fn corrupt(kind: &str, key: String, detail: String) -> StoreError {
    StoreError::Corrupt {
        kind: kind.into(),
        key,
        detail,
    }
}

impl Store {
    /// Every run evaluated for the selected establishment with a night at or before `until`,
    /// in run order; the checks it left out are among `known` (the registry's ids), or it is an error naming the run.
    pub fn evaluations_until(
        &self,
        until: NaiveDate,
        known: &[&'static str],
    ) -> Result<Vec<EvaluationRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, night, not_evaluated FROM evaluations
                 WHERE etablissement = ?1 AND night <= ?2 ORDER BY run_id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, until.to_string()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (run, night, skipped) = row.map_err(|e| self.sql(e))?;
            let ids: Vec<String> = serde_json::from_str(&skipped)
                .map_err(|e| corrupt("evaluation", run.to_string(), e.to_string()))?;
            let not_evaluated = ids
                .iter()
                .map(|id| {
                    CheckId::known(known, id).ok_or_else(|| {
                        self.unknown(
                            "evaluations",
                            self.in_establishment(format!(
                                "collecte n° {run}, nuit {night}, contrôles non évalués"
                            )),
                            "contrôle",
                            id,
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
            out.push(EvaluationRow {
                run,
                night: night.parse().map_err(|e: chrono::ParseError| {
                    corrupt("evaluation", run.to_string(), e.to_string())
                })?,
                not_evaluated,
            });
        }
        Ok(out)
    }

    /// The posture figures recorded by run `run` for the selected establishment (empty when
    /// it was not evaluated for it).
    pub fn posture_of(&self, run: RunId) -> Result<Vec<PostureFigure>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT population, class, metric, value FROM posture
                 WHERE etablissement = ?1 AND run_id = ?2 ORDER BY population, class, metric",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, run], |r| {
                Ok(PostureFigure {
                    population: r.get(0)?,
                    class: r.get(1)?,
                    metric: r.get(2)?,
                    value: r.get(3)?,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Every lifecycle event of the selected establishment with a night at or before
    /// `until`, in run order (check ids among `known`).
    pub fn finding_events_until(
        &self,
        until: NaiveDate,
        known: &[&'static str],
    ) -> Result<Vec<FindingEvent>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT run_id, night, check_id, subject, event FROM finding_events
                 WHERE etablissement = ?1 AND night <= ?2 ORDER BY run_id, check_id, subject",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, until.to_string()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (run, night, check, subject, event) = row.map_err(|e| self.sql(e))?;
            let night = night.parse().map_err(|e: chrono::ParseError| {
                corrupt("finding_event", format!("{check} {subject}"), e.to_string())
            })?;
            let (check, event) = self.event_row(known, (run, night), &check, &subject, &event)?;
            out.push(FindingEvent {
                run,
                night,
                check,
                subject,
                event,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoredFinding;
    use chrono::{TimeZone, Utc};

    #[test]
    fn evaluations_and_events_up_to_a_night() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&dir.path().join("v.sqlite")).expect("open");
        const KNOWN: &[&str] = &["GEN-MFA-01", "FWD-PUB-01"];
        let f = StoredFinding {
            check: CheckId::declared("GEN-MFA-01"),
            subject: "a".into(),
            severity: crate::finding::Severity::Critique,
            population: crate::finding::Population::Personnel,
            accepted: false,
            data: "{}".into(),
        };
        for (d, fs, skipped) in [
            (1, vec![f.clone()], vec![]),
            (2, vec![], vec![CheckId::declared("FWD-PUB-01")]),
            (3, vec![f.clone()], vec![]),
        ] {
            let night = NaiveDate::from_ymd_opt(2026, 4, d).expect("date");
            let as_of = Utc
                .with_ymd_and_hms(2026, 4, d + 1, 7, 0, 0)
                .single()
                .expect("instant");
            let run = s.begin_run(as_of, night).expect("run");
            let posture = [PostureFigure {
                population: "tous".into(),
                class: "generique".into(),
                metric: "comptes".into(),
                value: i64::from(d),
            }];
            s.record_evaluation(run, night, as_of, &fs, &skipped, &posture)
                .expect("record");
        }
        let until = NaiveDate::from_ymd_opt(2026, 4, 2).expect("date");
        let e = s.evaluations_until(until, KNOWN).expect("evaluations");
        assert_eq!(e.len(), 2);
        assert_eq!(e[1].not_evaluated, [CheckId::declared("FWD-PUB-01")]);
        let p = s.posture_of(e[1].run).expect("posture");
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].value, 2);
        let ev = s.finding_events_until(until, KNOWN).expect("events");
        let kinds: Vec<Event> = ev.iter().map(|x| x.event).collect();
        assert_eq!(kinds, [Event::New, Event::Resolved]);
        let all = s
            .finding_events_until(NaiveDate::from_ymd_opt(2026, 4, 30).expect("date"), KNOWN)
            .expect("events");
        assert_eq!(all.last().map(|x| x.event), Some(Event::Reopened));
    }
}
