//! Ground truth of a provincial tenant (`--etablissements N`), split by establishment.
//!
//! The tenant's truth ([`truth::compute`]) is computed as for a single establishment, then
//! each finding goes to exactly one place:
//!
//! - **an establishment**, when its subject is one of that establishment's accounts: an
//!   account finding (subject = UPN), or a forwarding finding of its mailbox
//!   (`{upn}#regle:…`, `{upn}#boite>…`);
//! - **the tenant** (`locataire`), for the tenant-wide settings: FWD-ORG-01, ENC-EXT-01,
//!   LOG-AUD-01 (subject `locataire`) and FWD-TRN-01 (`transport:…`), governed by whoever
//!   governs the tenant, never one establishment's own finding;
//! - **« non attribué »**, for the accounts no establishment's perimeter selects
//!   (break-glass accounts and about 2 % of the others) and for a register row naming an
//!   account that does not exist (GEN-REG-01 `tablette9.verdun@…`: it names no
//!   establishment's account).
//!
//! An establishment that runs vigie365 with its own `[perimetre]` (and its own register,
//! `registre-generiques-<slug>.csv`) must find exactly its findings; the provincial run
//! must find each establishment's, the non-attributed ones and the tenant's.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::scenario::Scenario;
use super::simconfig::PrintedConfig;
use super::truth::{self, Finding, GroundTruth};

/// What one establishment's audit must find.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstablishmentTruth {
    /// Its name (`companyName`, the administrative unit's display name).
    pub nom: String,
    /// Its slug (`etablissement-<code>.toml`, `<code>.ssss.gouv.qc.ca`).
    pub code: String,
    /// `extensionAttribute10` value (`ETAB-NN`).
    pub attribut: String,
    /// UPNs (lowercase, sorted) of its accounts that exist on the day.
    pub comptes: Vec<String>,
    pub findings: Vec<Finding>,
}

/// Accounts attributable to no establishment, and their findings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnattributedTruth {
    pub comptes: Vec<String>,
    pub findings: Vec<Finding>,
}

/// The ground truth of a provincial tenant for one day.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvincialTruth {
    pub seed: u64,
    pub accounts: u32,
    pub day: u32,
    pub date: String,
    pub as_of: String,
    pub etablissements: Vec<EstablishmentTruth>,
    pub non_attribue: UnattributedTruth,
    /// Tenant-wide findings (tenant settings), kept apart from every establishment.
    pub locataire: Vec<Finding>,
    pub not_evaluated: Vec<String>,
}

impl ProvincialTruth {
    /// Stable, pretty JSON.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_default();
        s.push('\n');
        s
    }

    /// The truth of the establishment whose slug is `code`.
    pub fn establishment(&self, code: &str) -> Option<&EstablishmentTruth> {
        self.etablissements.iter().find(|e| e.code == code)
    }

    /// Every finding, wherever it went (equals the tenant's truth).
    pub fn all_findings(&self) -> Vec<Finding> {
        let mut v: Vec<Finding> = self
            .etablissements
            .iter()
            .flat_map(|e| e.findings.iter().cloned())
            .chain(self.non_attribue.findings.iter().cloned())
            .chain(self.locataire.iter().cloned())
            .collect();
        v.sort();
        v
    }
}

/// Where a finding goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Owner {
    Establishment(usize),
    Unattributed,
    Tenant,
}

/// The account a finding's subject names: the whole subject, or what precedes `#regle:` or
/// `#boite>` (a guest's UPN holds `#EXT#`, so the first `#` is not the separator).
fn subject_account(subject: &str) -> &str {
    ["#regle:", "#boite>"]
        .iter()
        .filter_map(|m| subject.find(m))
        .min()
        .map(|at| &subject[..at])
        .unwrap_or(subject)
}

fn owner(subject: &str, accounts: &HashMap<String, Option<usize>>) -> Owner {
    if subject == "locataire" || subject.starts_with("transport:") {
        return Owner::Tenant;
    }
    match accounts.get(&subject_account(subject).to_lowercase()) {
        Some(Some(e)) => Owner::Establishment(*e),
        _ => Owner::Unattributed,
    }
}

/// The establishment of each account that exists on `day`, by lowercase UPN.
pub(crate) fn attribution_by_upn(sc: &Scenario, day: i32) -> HashMap<String, Option<usize>> {
    (0..sc.accounts)
        .filter_map(|i| sc.account(i, day))
        .map(|a| (a.upn.to_lowercase(), a.establishment))
        .collect()
}

/// Splits the tenant's truth of `day` by establishment.
pub(crate) fn compute(sc: &Scenario, cfg: &PrintedConfig, day: u32) -> ProvincialTruth {
    split(sc, truth::compute(sc, cfg, day))
}

/// Splits a tenant's truth (of a provincial scenario) by establishment.
pub(crate) fn split(sc: &Scenario, gt: GroundTruth) -> ProvincialTruth {
    let by_upn = attribution_by_upn(sc, gt.day as i32);
    let mut etablissements: Vec<EstablishmentTruth> = sc
        .establishments
        .iter()
        .map(|e| EstablishmentTruth {
            nom: e.name.to_string(),
            code: e.slug.to_string(),
            attribut: e.code(),
            comptes: Vec::new(),
            findings: Vec::new(),
        })
        .collect();
    let mut non_attribue = UnattributedTruth::default();
    let mut locataire = Vec::new();
    for (upn, e) in &by_upn {
        match e {
            Some(e) => etablissements[*e].comptes.push(upn.clone()),
            None => non_attribue.comptes.push(upn.clone()),
        }
    }
    for f in gt.findings {
        match owner(&f.subject, &by_upn) {
            Owner::Establishment(e) => etablissements[e].findings.push(f),
            Owner::Unattributed => non_attribue.findings.push(f),
            Owner::Tenant => locataire.push(f),
        }
    }
    for e in &mut etablissements {
        e.comptes.sort();
        e.findings.sort();
    }
    non_attribue.comptes.sort();
    non_attribue.findings.sort();
    locataire.sort();
    ProvincialTruth {
        seed: gt.seed,
        accounts: gt.accounts,
        day: gt.day,
        date: gt.date,
        as_of: gt.as_of,
        etablissements,
        non_attribue,
        locataire,
        not_evaluated: gt.not_evaluated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects_name_their_account() {
        assert_eq!(subject_account("a@b.ca#regle:AAk=>x@gmail.com"), "a@b.ca");
        assert_eq!(subject_account("a@b.ca#boite>x@gmail.com"), "a@b.ca");
        assert_eq!(
            subject_account("x_gmail.com#ext#@t.onmicrosoft.com"),
            "x_gmail.com#ext#@t.onmicrosoft.com"
        );
        let m: HashMap<String, Option<usize>> = [
            ("a@b.ca".to_string(), Some(2)),
            ("u@b.ca".to_string(), None),
        ]
        .into();
        assert_eq!(owner("locataire", &m), Owner::Tenant);
        assert_eq!(owner("transport:R>x@y.ca", &m), Owner::Tenant);
        assert_eq!(owner("A@B.ca#boite>x@y.ca", &m), Owner::Establishment(2));
        assert_eq!(owner("u@b.ca", &m), Owner::Unattributed);
        assert_eq!(owner("absent@b.ca", &m), Owner::Unattributed);
    }

    #[test]
    fn every_finding_lands_once_and_establishments_get_accounts() {
        let mut sc = Scenario::new(
            3,
            600,
            chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        );
        sc.establishments = crate::sim::scenario::establishments(4);
        let cfg = PrintedConfig::new(&sc);
        let gt = truth::compute(&sc, &cfg, 3);
        let mut all = gt.findings.clone();
        all.sort();
        let p = split(&sc, gt);
        assert_eq!(p.all_findings(), all);
        assert!(p.etablissements.iter().all(|e| !e.comptes.is_empty()));
        assert!(p.etablissements.iter().all(|e| !e.findings.is_empty()));
        assert!(
            p.non_attribue
                .comptes
                .iter()
                .any(|u| u.starts_with("urgence01@"))
        );
        assert!(!p.locataire.is_empty());
        assert!(p.locataire.iter().all(|f| f.population == "tous"));
    }
}
