//! What the bilan reads from the store, read once: the runs, evaluations and lifecycle
//! events up to the as-of night, and, for each night of the period, the sources of its
//! collection and, when it was evaluated, its findings and posture. Every section's builder
//! works from this.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::NaiveDate;

use super::super::super::ReportError;
use super::super::super::nightly::FindingData;
use super::episode::{self, Episodes, Key};
use super::figures::{self, Figures};
use super::period::{Period, Periode};
use crate::store::{EvaluationRow, RunId, RunRow, RunStatus, SourceRow, Store, StoredFinding};

/// The store, as the bilan of one period and as-of night sees it.
pub(super) struct Input {
    pub du: NaiveDate,
    pub au: NaiveDate,
    pub asof: NaiveDate,
    /// The earlier of `au` and `asof`: the last night the figures cover.
    pub fin: NaiveDate,
    /// Every night of `[du, fin]`, in order.
    pub nights: Vec<Night>,
    pub last_evaluated: Option<NaiveDate>,
    /// Every finding's episodes, from its lifecycle events up to `asof`.
    pub episodes: Episodes,
    /// Check id → evaluated nights of the period where it was left out.
    pub not_evaluated: BTreeMap<String, u32>,
}

/// One night of the period.
pub(super) struct Night {
    pub night: NaiveDate,
    /// The night's runs, in store order (read for a night that was not evaluated).
    pub runs: Vec<RunRow>,
    pub evaluation: Option<Evaluated>,
    /// The sources of the collection the night shows ([`Night::collecte`]).
    pub sources: Vec<SourceRow>,
}

/// The evaluation a night ended with.
pub(super) struct Evaluated {
    pub run: RunId,
    pub status: Option<RunStatus>,
    /// Checks left out that night, as stored.
    pub not_evaluated: Vec<String>,
    pub skipped: BTreeSet<String>,
    pub findings: Vec<(StoredFinding, FindingData)>,
    pub figures: Figures,
    /// Successful single-factor sign-ins of the night's 24 hours, per generic or « Appli »
    /// account (empty when the sign-ins were not read).
    pub single_factor: figures::SingleFactor,
}

impl Night {
    /// The collection the night shows: the evaluated run, or the night's last run.
    pub fn collecte(&self) -> Option<RunId> {
        match &self.evaluation {
            Some(e) => Some(e.run),
            None => self.runs.last().map(|r| r.id),
        }
    }
}

/// What was last seen of a finding in the period.
pub(super) struct Seen<'a> {
    pub night: NaiveDate,
    pub finding: &'a StoredFinding,
    pub data: &'a FindingData,
}

impl Input {
    pub fn load(
        store: &Store,
        period: &Period,
        known: &[&'static str],
        hidden: &[&str],
    ) -> Result<Input, ReportError> {
        let asof = period.arrete_au.unwrap_or(period.au);
        if period.du > period.au {
            return Err(ReportError::Period(format!(
                "le début ({}) est après la fin ({})",
                period.du, period.au
            )));
        }
        if asof < period.du {
            return Err(ReportError::Period(format!(
                "la date d'arrêté ({asof}) précède le début de la période ({})",
                period.du
            )));
        }
        let fin = period.au.min(asof);
        let runs: Vec<RunRow> = store
            .runs()?
            .into_iter()
            .filter(|r| r.night <= asof)
            .collect();
        let mut chosen: BTreeMap<NaiveDate, EvaluationRow> = BTreeMap::new();
        for e in store.evaluations_until(asof, known)? {
            chosen.insert(e.night, e);
        }
        let last_evaluated = chosen.keys().next_back().copied();
        let episodes = episode::episodes(&store.finding_events_until(asof, known)?);
        let status: HashMap<RunId, RunStatus> = runs.iter().map(|r| (r.id, r.status)).collect();
        let mut nights = Vec::new();
        for night in period.du.iter_days().take_while(|d| *d <= fin) {
            let of_night: Vec<RunRow> = runs.iter().filter(|r| r.night == night).cloned().collect();
            nights.push(match chosen.remove(&night) {
                Some(e) => evaluated(store, night, of_night, e, &status, known)?,
                None => not_evaluated(store, night, of_night)?,
            });
        }
        for n in &mut nights {
            n.sources.retain(|s| !hidden.contains(&s.source.as_str()));
        }
        let mut skipped_nights: BTreeMap<String, u32> = BTreeMap::new();
        for e in nights.iter().filter_map(|n| n.evaluation.as_ref()) {
            for id in &e.skipped {
                *skipped_nights.entry(id.clone()).or_insert(0) += 1;
            }
        }
        Ok(Input {
            du: period.du,
            au: period.au,
            asof,
            fin,
            nights,
            last_evaluated,
            episodes,
            not_evaluated: skipped_nights,
        })
    }

    /// The evaluated nights, with their evaluation.
    pub fn evaluated(&self) -> impl Iterator<Item = (NaiveDate, &Evaluated)> {
        self.nights
            .iter()
            .filter_map(|n| n.evaluation.as_ref().map(|e| (n.night, e)))
    }

    /// What was last seen of each finding in the period.
    pub fn last_seen(&self) -> HashMap<Key, Seen<'_>> {
        let mut seen = HashMap::new();
        for (night, e) in self.evaluated() {
            for (finding, data) in &e.findings {
                seen.insert(
                    (finding.check.to_string(), finding.subject.clone()),
                    Seen {
                        night,
                        finding,
                        data,
                    },
                );
            }
        }
        seen
    }

    pub fn periode(&self, label: &str) -> Periode {
        Periode {
            libelle: label.to_string(),
            du: self.du,
            au: self.au,
            arrete_au: self.asof,
            fin: self.fin,
            nuits: self.nights.len() as u32,
            derniere_nuit_evaluee: self.last_evaluated,
        }
    }
}

fn evaluated(
    store: &Store,
    night: NaiveDate,
    runs: Vec<RunRow>,
    e: EvaluationRow,
    status: &HashMap<RunId, RunStatus>,
    known: &[&'static str],
) -> Result<Night, ReportError> {
    let sources = store.sources(e.run)?;
    let mut findings = Vec::new();
    for f in store.findings_of(e.run, known)? {
        let data = FindingData::parse(&f)?;
        findings.push((f, data));
    }
    let (figures, single_factor) = figures::figures(store, e.run)?;
    Ok(Night {
        night,
        runs,
        evaluation: Some(Evaluated {
            run: e.run,
            status: status.get(&e.run).copied(),
            skipped: e.not_evaluated.iter().map(|c| c.to_string()).collect(),
            not_evaluated: e.not_evaluated.iter().map(|c| c.to_string()).collect(),
            findings,
            figures,
            single_factor,
        }),
        sources,
    })
}

fn not_evaluated(store: &Store, night: NaiveDate, runs: Vec<RunRow>) -> Result<Night, ReportError> {
    let sources = match runs.last() {
        Some(r) => store.sources(r.id)?,
        None => Vec::new(),
    };
    Ok(Night {
        night,
        runs,
        evaluation: None,
        sources,
    })
}
