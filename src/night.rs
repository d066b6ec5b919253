//! The nightly job's stages after collection: evaluate the latest night into findings and
//! their lifecycle, and summarise it in French. (`vigie365 run` = collect → evaluate →
//! report.) This is the only place where checks' results meet the store.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::checks::{self, Severity, Snapshot};
use crate::config::Config;
use crate::store::{LifecycleDelta, RunId, Store, StoreError, StoredFinding};

#[derive(Debug, thiserror::Error)]
pub enum NightError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Snapshot(#[from] checks::snapshot::SnapshotError),
    #[error(
        "aucune collecte exploitable dans la base {0} : lancez d'abord `vigie365 collect` (ou `vigie365 run`)"
    )]
    NothingCollected(String),
}

/// What `evaluate` found for a night.
#[derive(Debug, Clone, Serialize)]
pub struct EvaluationSummary {
    pub run: RunId,
    pub night: chrono::NaiveDate,
    pub delta: LifecycleDelta,
    pub open_by_severity: BTreeMap<Severity, usize>,
    pub accepted: usize,
    pub total: usize,
    pub not_evaluated: Vec<checks::NotEvaluated>,
}

/// Evaluates the latest collected night and records its findings and posture.
pub fn evaluate_latest(
    store: &mut Store,
    config: &Config,
) -> Result<(EvaluationSummary, checks::Evaluation), NightError> {
    let run = store
        .latest_evaluable_run()?
        .ok_or_else(|| NightError::NothingCollected(store.path().display().to_string()))?;
    let snapshot = Snapshot::load(store, run.id, config)?;
    let evaluation = checks::evaluate(&snapshot, config);
    let posture = checks::posture::compute(&snapshot);
    let stored: Vec<StoredFinding> = evaluation
        .findings
        .iter()
        .map(|f| StoredFinding {
            check: f.check.to_string(),
            subject: f.subject.clone(),
            severity: f.severity.label().to_string(),
            population: f.population.as_str().to_string(),
            accepted: f.is_accepted(),
            data: serde_json::to_string(f).unwrap_or_default(),
        })
        .collect();
    let skipped: Vec<String> = evaluation
        .not_evaluated
        .iter()
        .map(|n| n.check.to_string())
        .collect();
    let delta =
        store.record_evaluation(run.id, run.night, run.as_of, &stored, &skipped, &posture)?;
    let mut open_by_severity = BTreeMap::new();
    for f in evaluation.findings.iter().filter(|f| !f.is_accepted()) {
        *open_by_severity.entry(f.severity).or_insert(0) += 1;
    }
    let summary = EvaluationSummary {
        run: run.id,
        night: run.night,
        delta,
        open_by_severity,
        accepted: evaluation
            .findings
            .iter()
            .filter(|f| f.is_accepted())
            .count(),
        total: evaluation.findings.len(),
        not_evaluated: evaluation.not_evaluated.clone(),
    };
    Ok((summary, evaluation))
}

/// The French summary printed on stdout (and in the cron mail).
pub fn summary_fr(s: &EvaluationSummary) -> String {
    let mut out = format!(
        "Évaluation de la nuit du {} (collecte n° {}) : {} constat(s), dont {} nouveau(x), {} rouvert(s), {} toujours ouvert(s) ; {} résolu(s) cette nuit ; {} risque(s) accepté(s).\n",
        s.night,
        s.run,
        s.total,
        s.delta.new.len(),
        s.delta.reopened.len(),
        s.delta.still_open,
        s.delta.resolved.len(),
        s.accepted
    );
    if !s.open_by_severity.is_empty() {
        let parts: Vec<String> = s
            .open_by_severity
            .iter()
            .map(|(sev, n)| format!("{} : {n}", sev.label()))
            .collect();
        out.push_str(&format!(
            "  À corriger, par sévérité — {}\n",
            parts.join(", ")
        ));
    }
    for n in &s.not_evaluated {
        out.push_str(&format!("  NON ÉVALUÉ {} — {}\n", n.check, n.reason));
    }
    out
}
