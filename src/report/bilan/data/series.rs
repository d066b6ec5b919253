//! The findings of each night of the period, per check and per severity.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::input::Input;
use super::shared::severity_id;
use crate::checks::{CheckInfo, Kind, Severity};

/// Findings per night: one value per night of `nuits`; `null` when the night (or the
/// check, that night) was not evaluated.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParNuit {
    pub nuits: Vec<NaiveDate>,
    pub par_controle: BTreeMap<String, Vec<Option<u32>>>,
    /// Findings of state checks present that night, not accepted, by severity id (an
    /// event is never « à corriger »: it happened; the same rule as the summary's total).
    pub a_corriger_par_gravite: BTreeMap<String, Vec<Option<u32>>>,
}

pub(super) fn build(checks: &[&CheckInfo], input: &Input) -> ParNuit {
    let mut per_check: BTreeMap<String, Vec<Option<u32>>> = checks
        .iter()
        .map(|c| (c.id.to_string(), Vec::with_capacity(input.nights.len())))
        .collect();
    let mut per_severity: BTreeMap<String, Vec<Option<u32>>> = Severity::ALL
        .iter()
        .map(|s| (severity_id(*s).to_string(), Vec::new()))
        .collect();
    for n in &input.nights {
        let Some(e) = &n.evaluation else {
            per_check.values_mut().for_each(|v| v.push(None));
            per_severity.values_mut().for_each(|v| v.push(None));
            continue;
        };
        let mut counts: BTreeMap<&str, u32> = BTreeMap::new();
        let mut sev_counts: BTreeMap<String, u32> = BTreeMap::new();
        for (f, _) in &e.findings {
            *counts.entry(f.check.as_str()).or_insert(0) += 1;
            let event = checks
                .iter()
                .any(|c| c.id == f.check.as_str() && c.kind == Kind::Event);
            if !f.accepted && !event {
                *sev_counts
                    .entry(severity_id(f.severity).to_string())
                    .or_insert(0) += 1;
            }
        }
        for (id, v) in per_check.iter_mut() {
            v.push(if e.skipped.contains(id) {
                None
            } else {
                Some(counts.get(id.as_str()).copied().unwrap_or(0))
            });
        }
        for (label, v) in per_severity.iter_mut() {
            v.push(Some(sev_counts.get(label).copied().unwrap_or(0)));
        }
    }
    ParNuit {
        nuits: input.nights.iter().map(|n| n.night).collect(),
        par_controle: per_check,
        a_corriger_par_gravite: per_severity,
    }
}
