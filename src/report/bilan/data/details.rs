//! The findings of the period with their details, for the lists of the HTML and Markdown
//! and the CSV annex (never the JSON: they name accounts).

use chrono::NaiveDate;

use super::lifecycle::{Episode, Life};

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
        })
        .collect()
}
