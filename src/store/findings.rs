//! Findings over time: what each night found, and the lifecycle of each finding (identity =
//! check id + subject): new, still open, resolved the night it disappears, reopened when it
//! comes back, history kept. A check that could not be evaluated on a night resolves
//! nothing: not seeing is not "fixed".

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::{Transaction, params};
use serde::Serialize;

use super::db::{Store, establishment_row};
use super::error::{StoreError, sql_error};
use super::runs::{RunId, RunRow, RunStatus};
use crate::finding::{CheckId, Event, Population, Severity};

/// A finding as a night stored it (the lifecycle needs only identity and the JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredFinding {
    pub check: CheckId,
    pub subject: String,
    pub severity: Severity,
    pub population: Population,
    pub accepted: bool,
    /// The whole finding, as JSON.
    pub data: String,
}

/// What a night changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LifecycleDelta {
    pub new: Vec<(String, String)>,
    pub reopened: Vec<(String, String)>,
    pub resolved: Vec<(String, String)>,
    pub still_open: usize,
    /// Event findings no longer seen in the window: ended, not resolved.
    pub ended: Vec<(String, String)>,
}

/// What one night's evaluation recorded ([`Store::record_night`]).
#[derive(Debug, Clone, Copy, Default)]
pub struct NightRecord<'a> {
    pub findings: &'a [StoredFinding],
    /// Checks that could not be evaluated: their findings are not resolved.
    pub not_evaluated: &'a [CheckId],
    /// Event checks (RULES.md, "Events and states"): their vanished findings are
    /// [`Event::Ended`], never [`Event::Resolved`].
    pub events: &'a [CheckId],
    pub posture: &'a [PostureFigure],
    /// The parts of checks judged by evidence that could not be judged, written in the same
    /// transaction as the findings (replacing any earlier record of the run).
    pub partial: &'a [super::partial::PartialRow],
}

/// Lifecycle of one finding, as of a night.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lifecycle {
    pub check: CheckId,
    pub subject: String,
    pub first_seen: NaiveDate,
    pub last_event: Event,
    pub last_event_night: NaiveDate,
    pub reopened: u32,
}

/// One posture figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PostureFigure {
    pub population: String,
    pub class: String,
    pub metric: String,
    pub value: i64,
}

impl Store {
    /// Records the evaluation of run `run` for the selected establishment
    /// ([`Store::set_establishment`]): its findings, the checks not evaluated, the posture,
    /// and the lifecycle events against that establishment's nights before it. Evaluating
    /// the same run again for the same establishment replaces what it recorded. Every check is a state here; [`Self::record_night`]
    /// knows the event checks.
    pub fn record_evaluation(
        &mut self,
        run: RunId,
        night: NaiveDate,
        as_of: DateTime<Utc>,
        findings: &[StoredFinding],
        not_evaluated: &[CheckId],
        posture: &[PostureFigure],
    ) -> Result<LifecycleDelta, StoreError> {
        let record = NightRecord {
            findings,
            not_evaluated,
            events: &[],
            posture,
            partial: &[],
        };
        self.record_night(run, night, as_of, record)
    }

    /// [`Self::record_evaluation`], where the findings of event checks that vanish end
    /// instead of being resolved: an event is never « corrigé ».
    pub fn record_night(
        &mut self,
        run: RunId,
        night: NaiveDate,
        as_of: DateTime<Utc>,
        record: NightRecord<'_>,
    ) -> Result<LifecycleDelta, StoreError> {
        let NightRecord {
            findings,
            not_evaluated,
            events,
            posture,
            partial,
        } = record;
        let sql = sql_error(&self.path);
        let tx = self.conn.transaction().map_err(sql)?;
        let delta = {
            let night = Recording {
                path: &self.path,
                tx: &tx,
                establishment: &self.establishment,
                run,
                night: night.to_string(),
            };
            night.forget_earlier_recording().map_err(sql)?;
            let before = night.state_before()?;
            let mut delta = LifecycleDelta::default();
            let seen = night
                .record_findings(findings, &before, &mut delta)
                .map_err(sql)?;
            night
                .resolve_vanished(&before, &seen, (not_evaluated, events), &mut delta)
                .map_err(sql)?;
            night.record_posture(posture).map_err(sql)?;
            super::partial::write_partial(&tx, (&self.establishment, run), partial).map_err(sql)?;
            night.record_evaluated(as_of, not_evaluated).map_err(sql)?;
            delta
        };
        tx.commit().map_err(sql)?;
        tracing::debug!(
            run,
            etablissement = %self.establishment,
            findings = findings.len(),
            "évaluation enregistrée"
        );
        Ok(delta)
    }

    /// The findings recorded for a run by the selected establishment (empty when it was not
    /// evaluated for it). A check id not in
    /// `known` (the registry's ids), or a severity or population this version does not
    /// know, is an error naming the row.
    pub fn findings_of(
        &self,
        run: RunId,
        known: &[&'static str],
    ) -> Result<Vec<StoredFinding>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT check_id, subject, severity, population, accepted, data FROM finding_nights
                 WHERE etablissement = ?1 AND run_id = ?2 ORDER BY check_id, subject",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)? != 0,
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (check, subject, severity, population, accepted, data) =
                row.map_err(|e| self.sql(e))?;
            let unknown = |what, value: &str| {
                self.unknown(
                    "finding_nights",
                    self.in_establishment(format!(
                        "collecte n° {run}, contrôle {check}, sujet {subject}"
                    )),
                    what,
                    value,
                )
            };
            out.push(StoredFinding {
                check: CheckId::known(known, &check).ok_or_else(|| unknown("contrôle", &check))?,
                severity: Severity::from_stored(&severity)
                    .ok_or_else(|| unknown("gravité", &severity))?,
                population: Population::from_stored(&population)
                    .ok_or_else(|| unknown("population", &population))?,
                subject,
                accepted,
                data,
            });
        }
        Ok(out)
    }

    /// A lifecycle event row read back: its check id among `known`, its event.
    pub(super) fn event_row(
        &self,
        known: &[&'static str],
        (run, night): (RunId, NaiveDate),
        check: &str,
        subject: &str,
        event: &str,
    ) -> Result<(CheckId, Event), StoreError> {
        let unknown = |what, value: &str| {
            self.unknown(
                "finding_events",
                self.in_establishment(format!(
                    "collecte n° {run}, nuit {night}, contrôle {check}, sujet {subject}"
                )),
                what,
                value,
            )
        };
        Ok((
            CheckId::known(known, check).ok_or_else(|| unknown("contrôle", check))?,
            Event::from_stored(event).ok_or_else(|| unknown("événement", event))?,
        ))
    }

    /// The lifecycle of every finding the selected establishment ever saw, as of the end of
    /// night `night` (check ids among `known`).
    pub fn lifecycles_as_of(
        &self,
        night: NaiveDate,
        known: &[&'static str],
    ) -> Result<Vec<Lifecycle>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT check_id, subject, night, event, run_id FROM finding_events
                 WHERE etablissement = ?1 AND night <= ?2 ORDER BY check_id, subject, run_id",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![self.establishment, night.to_string()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, RunId>(4)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out: BTreeMap<(CheckId, String), Lifecycle> = BTreeMap::new();
        for row in rows {
            let (c, s, n, e, run) = row.map_err(|e| self.sql(e))?;
            let n: NaiveDate = n
                .parse()
                .map_err(|e: chrono::ParseError| StoreError::Corrupt {
                    kind: "finding_event".into(),
                    key: format!("{c} {s}"),
                    detail: e.to_string(),
                })?;
            let (c, e) = self.event_row(known, (run, n), &c, &s, &e)?;
            let entry = out.entry((c, s.clone())).or_insert(Lifecycle {
                check: c,
                subject: s,
                first_seen: n,
                last_event: e,
                last_event_night: n,
                reopened: 0,
            });
            if e == Event::Reopened {
                entry.reopened += 1;
            }
            entry.last_event = e;
            entry.last_event_night = n;
        }
        Ok(out.into_values().collect())
    }

    /// Posture figures of every night in `[from, to]` evaluated for the selected
    /// establishment.
    pub fn posture_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(NaiveDate, PostureFigure)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT night, population, class, metric, value FROM posture
                 WHERE etablissement = ?1 AND night >= ?2 AND night <= ?3
                 ORDER BY night, population, class, metric",
            )
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(
                params![self.establishment, from.to_string(), to.to_string()],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        PostureFigure {
                            population: r.get(1)?,
                            class: r.get(2)?,
                            metric: r.get(3)?,
                            value: r.get(4)?,
                        },
                    ))
                },
            )
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (n, p) = row.map_err(|e| self.sql(e))?;
            let d = n
                .parse()
                .map_err(|e: chrono::ParseError| StoreError::Corrupt {
                    kind: "posture".into(),
                    key: format!("nuit « {n} », {} {} {}", p.population, p.class, p.metric),
                    detail: e.to_string(),
                })?;
            out.push((d, p));
        }
        Ok(out)
    }

    /// The latest run that can be evaluated (complete or partial) at or before `run` if given.
    pub fn latest_evaluable_run(&self) -> Result<Option<RunRow>, StoreError> {
        Ok(self
            .runs()?
            .into_iter()
            .rev()
            .find(|r| matches!(r.status, RunStatus::Complete | RunStatus::Partial)))
    }
}

/// A finding's identity: check id and subject.
type FindingId = (String, String);

/// The findings as the nights before a run left them (the latest event of each).
#[derive(Debug, Default)]
struct Before {
    /// Findings whose latest event is not "resolved".
    open: BTreeSet<FindingId>,
    /// Every finding an earlier night recorded, open or resolved.
    known: BTreeSet<FindingId>,
}

/// The evaluation of one run being written, inside its transaction.
struct Recording<'t> {
    /// The base, for errors.
    path: &'t std::path::Path,
    tx: &'t Transaction<'t>,
    /// The establishment evaluated: every row read or written here is its own.
    establishment: &'t str,
    run: RunId,
    /// The run's night, as stored (`YYYY-MM-DD`).
    night: String,
}

impl Recording<'_> {
    /// Evaluating a run again for an establishment replaces what its earlier evaluation for
    /// that establishment recorded (the other establishments' are kept).
    fn forget_earlier_recording(&self) -> rusqlite::Result<()> {
        for table in ["finding_events", "finding_nights", "posture", "evaluations"] {
            self.tx.execute(
                &format!("DELETE FROM {table} WHERE etablissement = ?1 AND run_id = ?2"),
                params![self.establishment, self.run],
            )?;
        }
        Ok(())
    }

    /// The latest event of each finding of the establishment before this run.
    fn state_before(&self) -> Result<Before, StoreError> {
        let sql = sql_error(self.path);
        let mut before = Before::default();
        let mut stmt = self
            .tx
            .prepare(
                "SELECT check_id, subject, event, run_id, night FROM finding_events e
             WHERE etablissement = ?1 AND run_id < ?2 AND run_id = (
                SELECT MAX(run_id) FROM finding_events x WHERE x.etablissement = e.etablissement
                  AND x.check_id = e.check_id AND x.subject = e.subject AND x.run_id < ?2)",
            )
            .map_err(sql)?;
        let rows = stmt
            .query_map(params![self.establishment, self.run], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, RunId>(3)?,
                    r.get::<_, String>(4)?,
                ))
            })
            .map_err(sql)?;
        for row in rows {
            let (c, s, e, run, night) = row.map_err(sql)?;
            // The check id is kept as written: a check this version no longer has still
            // resolves like any other.
            let event = Event::from_stored(&e).ok_or_else(|| StoreError::Unknown {
                path: self.path.to_path_buf(),
                table: "finding_events",
                row: establishment_row(
                    self.establishment,
                    format!("collecte n° {run}, nuit {night}, contrôle {c}, sujet {s}"),
                ),
                what: "événement",
                value: e.clone(),
            })?;
            if !matches!(event, Event::Resolved | Event::Ended) {
                before.open.insert((c.clone(), s.clone()));
            }
            before.known.insert((c, s));
        }
        Ok(before)
    }

    /// Stores each finding of the night once (the first of a duplicate identity wins) and
    /// its lifecycle event: still open, reopened or new. Returns the identities seen.
    fn record_findings(
        &self,
        findings: &[StoredFinding],
        before: &Before,
        delta: &mut LifecycleDelta,
    ) -> rusqlite::Result<BTreeSet<FindingId>> {
        let mut insert = self.tx.prepare(
            "INSERT INTO finding_nights (etablissement, run_id, check_id, subject, severity, population, accepted, data)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let mut seen: BTreeSet<FindingId> = BTreeSet::new();
        for f in findings {
            let id = (f.check.to_string(), f.subject.clone());
            if !seen.insert(id.clone()) {
                continue;
            }
            insert.execute(params![
                self.establishment,
                self.run,
                f.check.as_str(),
                f.subject,
                f.severity.label(),
                f.population.as_str(),
                f.accepted as i64,
                f.data
            ])?;
            if before.open.contains(&id) {
                delta.still_open += 1;
            } else if before.known.contains(&id) {
                self.event(&id, Event::Reopened)?;
                delta.reopened.push(id);
            } else {
                self.event(&id, Event::New)?;
                delta.new.push(id);
            }
        }
        Ok(seen)
    }

    /// Open findings this night did not see are resolved, unless their check could not be
    /// evaluated: not seeing is not "fixed". Those of an event check end instead.
    fn resolve_vanished(
        &self,
        before: &Before,
        seen: &BTreeSet<FindingId>,
        (not_evaluated, events): (&[CheckId], &[CheckId]),
        delta: &mut LifecycleDelta,
    ) -> rusqlite::Result<()> {
        let skipped: BTreeSet<&str> = not_evaluated.iter().map(|c| c.as_str()).collect();
        let events: BTreeSet<&str> = events.iter().map(|c| c.as_str()).collect();
        for id in &before.open {
            if !seen.contains(id) && !skipped.contains(id.0.as_str()) {
                if events.contains(id.0.as_str()) {
                    self.event(id, Event::Ended)?;
                    delta.ended.push(id.clone());
                } else {
                    self.event(id, Event::Resolved)?;
                    delta.resolved.push(id.clone());
                }
            }
        }
        Ok(())
    }

    /// One lifecycle event of a finding, on this night.
    fn event(&self, id: &FindingId, event: Event) -> rusqlite::Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO finding_events (etablissement, run_id, night, check_id, subject, event)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?
            .execute(params![
                self.establishment,
                self.run,
                self.night,
                id.0,
                id.1,
                event.as_str()
            ])?;
        Ok(())
    }

    fn record_posture(&self, posture: &[PostureFigure]) -> rusqlite::Result<()> {
        let mut insert = self.tx.prepare(
            "INSERT INTO posture (etablissement, run_id, night, population, class, metric, value)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for p in posture {
            insert.execute(params![
                self.establishment,
                self.run,
                self.night,
                p.population,
                p.class,
                p.metric,
                p.value
            ])?;
        }
        Ok(())
    }

    /// The row that says the run was evaluated, when, and which checks could not be.
    fn record_evaluated(
        &self,
        as_of: DateTime<Utc>,
        not_evaluated: &[CheckId],
    ) -> rusqlite::Result<()> {
        let skipped_json = serde_json::to_string(not_evaluated)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        self.tx.execute(
            "INSERT INTO evaluations (etablissement, run_id, night, as_of, evaluated_at, not_evaluated)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                self.establishment,
                self.run,
                self.night,
                as_of.to_rfc3339(),
                Utc::now().to_rfc3339(),
                skipped_json
            ],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    const KNOWN: &[&str] = &["GEN-MFA-01", "FWD-PUB-01"];

    fn f(check: &'static str, subject: &str) -> StoredFinding {
        StoredFinding {
            check: CheckId::declared(check),
            subject: subject.into(),
            severity: Severity::Critique,
            population: Population::Personnel,
            accepted: false,
            data: "{}".into(),
        }
    }

    fn night(d: u32) -> (DateTime<Utc>, NaiveDate) {
        (
            Utc.with_ymd_and_hms(2026, 4, d + 1, 7, 0, 0)
                .single()
                .unwrap_or_default(),
            NaiveDate::from_ymd_opt(2026, 4, d).unwrap_or_default(),
        )
    }

    #[test]
    fn new_still_open_resolved_reopened_with_history() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&dir.path().join("v.sqlite")).expect("open");
        let eval = |s: &mut Store, d: u32, fs: &[StoredFinding], skipped: &[&'static str]| {
            let (a, n) = night(d);
            let r = s.begin_run(a, n).expect("run");
            let skipped: Vec<CheckId> = skipped.iter().map(|x| CheckId::declared(x)).collect();
            s.record_evaluation(r, n, a, fs, &skipped, &[])
                .expect("record")
        };
        let d1 = eval(
            &mut s,
            1,
            &[f("GEN-MFA-01", "a"), f("FWD-PUB-01", "b")],
            &[],
        );
        assert_eq!(d1.new.len(), 2);
        let d2 = eval(&mut s, 2, &[f("GEN-MFA-01", "a")], &[]);
        assert_eq!((d2.still_open, d2.resolved.len()), (1, 1));
        // FWD-PUB-01 not evaluated on night 3: its findings are not resolved by that.
        let d3 = eval(&mut s, 3, &[], &["GEN-MFA-01"]);
        assert!(d3.resolved.is_empty(), "not seeing is not fixed");
        let d4 = eval(
            &mut s,
            4,
            &[f("GEN-MFA-01", "a"), f("FWD-PUB-01", "b")],
            &[],
        );
        assert_eq!(
            d4.reopened,
            vec![("FWD-PUB-01".to_string(), "b".to_string())]
        );
        assert_eq!(d4.still_open, 1);
        let lc = s.lifecycles_as_of(night(4).1, KNOWN).expect("lifecycles");
        let b = lc.iter().find(|l| l.subject == "b").expect("b");
        assert_eq!(
            (b.first_seen, b.reopened, b.last_event),
            (night(1).1, 1, Event::Reopened)
        );
        // As of night 2, b was resolved.
        let lc2 = s.lifecycles_as_of(night(2).1, KNOWN).expect("lifecycles");
        assert_eq!(
            lc2.iter().find(|l| l.subject == "b").map(|l| l.last_event),
            Some(Event::Resolved)
        );
    }

    #[test]
    fn the_parts_left_out_are_written_with_the_findings_and_replaced_with_them() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&dir.path().join("v.sqlite")).expect("open");
        let (a, n) = night(1);
        let r = s.begin_run(a, n).expect("run");
        let part = [super::super::partial::PartialRow {
            check: CheckId::declared("FWD-EXT-01"),
            subject: "a@x.ca".into(),
            reason: "ForwardingAddress « x » non résolu".into(),
        }];
        let findings = [f("FWD-PUB-01", "b")];
        let record = NightRecord {
            findings: &findings,
            partial: &part,
            ..NightRecord::default()
        };
        s.record_night(r, n, a, record).expect("record");
        assert_eq!(
            s.partial_of(r, &["FWD-EXT-01"]).expect("partial"),
            part.to_vec()
        );
        // The night evaluated again without them: gone with the rest of its record.
        s.record_night(r, n, a, NightRecord::default())
            .expect("again");
        assert!(
            s.partial_of(r, &["FWD-EXT-01"])
                .expect("partial")
                .is_empty()
        );
    }

    #[test]
    fn an_event_that_stops_ends_and_is_never_resolved() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&dir.path().join("v.sqlite")).expect("open");
        let events = [CheckId::declared("GEN-MFA-01")];
        let eval = |s: &mut Store, d: u32, fs: &[StoredFinding]| {
            let (a, n) = night(d);
            let r = s.begin_run(a, n).expect("run");
            let record = NightRecord {
                findings: fs,
                events: &events,
                ..NightRecord::default()
            };
            s.record_night(r, n, a, record).expect("record")
        };
        eval(&mut s, 1, &[f("GEN-MFA-01", "a"), f("FWD-PUB-01", "b")]);
        let d2 = eval(&mut s, 2, &[]);
        assert_eq!(d2.ended, vec![("GEN-MFA-01".to_string(), "a".to_string())]);
        assert_eq!(
            d2.resolved,
            vec![("FWD-PUB-01".to_string(), "b".to_string())],
            "a state is still resolved"
        );
        let lc = s.lifecycles_as_of(night(2).1, KNOWN).expect("lifecycles");
        let a = lc.iter().find(|l| l.subject == "a").expect("a");
        assert_eq!(a.last_event, Event::Ended);
        // It happens again: a new episode of the event, not a reopened fix.
        let d3 = eval(&mut s, 3, &[f("GEN-MFA-01", "a")]);
        assert_eq!(d3.reopened.len(), 1);
        assert!(d3.resolved.is_empty());
    }

    #[test]
    fn evaluating_a_run_twice_gives_the_same_record() {
        let dir = tempfile::tempdir().expect("tmp");
        let mut s = Store::open(&dir.path().join("v.sqlite")).expect("open");
        let (a, n) = night(1);
        let r = s.begin_run(a, n).expect("run");
        let one = s
            .record_evaluation(r, n, a, &[f("GEN-MFA-01", "a")], &[], &[])
            .expect("first");
        let two = s
            .record_evaluation(r, n, a, &[f("GEN-MFA-01", "a")], &[], &[])
            .expect("second");
        assert_eq!(one, two);
        assert_eq!(s.findings_of(r, KNOWN).expect("findings").len(), 1);
    }
}
