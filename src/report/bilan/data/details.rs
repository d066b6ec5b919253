//! The findings of the period with their details, for the lists of the HTML and Markdown
//! and the CSV annex (never the JSON: they name accounts).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::episode::Episode;
use super::lifecycle::Life;

/// A finding of the period with its details (HTML, Markdown, CSV annex; not JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub check: String,
    pub subject: String,
    /// From the last night it was seen in the period (`None`: never seen in the period,
    /// its check was not evaluated).
    pub severity: Option<String>,
    pub population: Option<String>,
    pub evidence: String,
    pub first_seen: NaiveDate,
    pub last_seen: Option<NaiveDate>,
    /// Episodes overlapping the period.
    pub episodes: Vec<Episode>,
    pub open_at_end: bool,
    pub accepted_at_end: bool,
    pub blocked_by_tenant: Option<bool>,
    /// An event check's finding: never « corrigé », counted by its occurrences.
    pub is_event: bool,
    /// Its occurrences in the period, by day (empty for a state).
    pub occurrences: BTreeMap<NaiveDate, u32>,
}

impl Detail {
    /// Occurrences in the period, by month (`AAAA-MM`).
    pub fn by_month(&self) -> BTreeMap<String, u32> {
        let mut out = BTreeMap::new();
        for (d, n) in &self.occurrences {
            *out.entry(d.format("%Y-%m").to_string()).or_insert(0) += n;
        }
        out
    }
}

pub(super) fn build(lives: &[Life]) -> Vec<Detail> {
    lives
        .iter()
        .map(|l| Detail {
            check: l.check.id.to_string(),
            subject: l.subject.to_string(),
            severity: l.last.map(|s| s.finding.severity.label().to_string()),
            population: l.last.map(|s| s.finding.population.as_str().to_string()),
            evidence: l.last.map(|s| s.data.evidence.clone()).unwrap_or_default(),
            first_seen: l.first_seen,
            last_seen: l.last.map(|s| s.night),
            episodes: l.episodes.clone(),
            open_at_end: l.open_end,
            accepted_at_end: l.accepted_end,
            blocked_by_tenant: l.last.and_then(|s| s.data.blocked_by_tenant),
            is_event: l.is_event(),
            occurrences: l.occurrences.clone(),
        })
        .collect()
}
