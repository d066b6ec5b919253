//! A finding: what to fix, why, and under which directive article.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::finding::CheckId;
pub use crate::finding::{Population, Severity};
use crate::store::StoredFinding;

/// An exception of the configuration that covers a finding (an accepted risk: still listed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Accepted {
    pub justification: String,
    pub owner: String,
    pub expires: NaiveDate,
}

/// One thing an administrator must act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    /// Check id (RULES.md), stable once released.
    pub check: &'static str,
    /// What the finding is about; with the check id, its identity across nights:
    /// an account's lowercase UPN, `{upn}#regle:{rule id}>{target}`, `{upn}#boite>{target}`,
    /// `transport:{rule name}>{target}`, or `locataire`.
    pub subject: String,
    pub severity: Severity,
    pub population: Population,
    /// French, one line: the fields and values that triggered it.
    pub evidence: String,
    /// For forwarding: whether the tenant's controls would block it now.
    pub blocked_by_tenant: Option<bool>,
    /// The exception in force that covers it, if any.
    pub accepted: Option<Accepted>,
    /// An exception that covered it and expired (the finding says so).
    pub exception_expired: Option<NaiveDate>,
    /// For an event check (RULES.md, "Events and states"): how many times it happened on
    /// each local day of the evaluation window. The reports count occurrences from these
    /// dates (the windows of consecutive nights overlap), never from the nights it was seen.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub occurrences: BTreeMap<NaiveDate, u32>,
    /// A tenant-wide setting the establishment does not govern (`Tag::TenantLevel` under a
    /// `[perimetre]` with `gouverne_controles_locataire = false`): who governs it. Such a
    /// finding is a « contrôle du locataire »: listed, never counted among the
    /// establishment's findings nor for `--fail-on`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governed_by: Option<String>,
}

impl Finding {
    pub fn new(
        check: &'static str,
        subject: impl Into<String>,
        severity: Severity,
        population: Population,
        evidence: impl Into<String>,
    ) -> Self {
        Finding {
            check,
            subject: subject.into(),
            severity,
            population,
            evidence: evidence.into(),
            blocked_by_tenant: None,
            accepted: None,
            exception_expired: None,
            occurrences: BTreeMap::new(),
            governed_by: None,
        }
    }

    /// The same finding with the days its event happened (an event check).
    pub fn with_occurrences(mut self, occurrences: BTreeMap<NaiveDate, u32>) -> Self {
        self.occurrences = occurrences;
        self
    }

    pub fn is_accepted(&self) -> bool {
        self.accepted.is_some()
    }

    /// Counted among the establishment's findings: neither accepted nor a tenant-wide
    /// setting governed elsewhere.
    pub fn is_the_establishments_to_fix(&self) -> bool {
        self.accepted.is_none() && self.governed_by.is_none()
    }
}

/// What the store keeps of a finding: its identity and typed parts, and the whole finding
/// as JSON.
impl TryFrom<&Finding> for StoredFinding {
    type Error = serde_json::Error;

    fn try_from(f: &Finding) -> Result<StoredFinding, serde_json::Error> {
        Ok(StoredFinding {
            check: CheckId::declared(f.check),
            subject: f.subject.clone(),
            severity: f.severity,
            population: f.population,
            accepted: f.is_accepted(),
            data: serde_json::to_string(f)?,
        })
    }
}

/// Marks a finding covered by an exception of the configuration: accepted while the
/// exception is in force, "exception expired" from its expiry date on (an exception stops
/// applying on its expiry date). `today` is the local date of the evaluation's "as of".
pub fn apply_exceptions(f: &mut Finding, config: &Config, today: NaiveDate) {
    let matching = config
        .exceptions
        .iter()
        .filter(|e| e.check_id == f.check && e.subject.trim().eq_ignore_ascii_case(&f.subject));
    for e in matching {
        if today < e.expires {
            f.accepted = Some(Accepted {
                justification: e.justification.clone(),
                owner: e.owner.clone(),
                expires: e.expires,
            });
            f.exception_expired = None;
            return;
        }
        f.exception_expired = Some(f.exception_expired.map_or(e.expires, |d| d.max(e.expires)));
    }
}
