//! The posture figures of the evaluated nights (accounts, MFA, per population and class):
//! the first and the last of the period, and the last of each month.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::super::super::ReportError;
use super::input::Input;
use super::month_key;
use crate::store::{RunId, Store};

/// Posture of one class on one night.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PointPosture {
    pub nuit: NaiveDate,
    pub comptes: i64,
    pub actifs: i64,
    pub mfa_enregistree: i64,
    pub mfa_capable: i64,
    pub mfa_inconnue: i64,
    /// Enabled accounts no MFA-requiring policy applies to; `null` when the policies were
    /// not read that night.
    pub exclue_mfa: Option<i64>,
}

/// Posture figures of a night: population → class → metric → value.
pub type Figures = BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>;

/// Posture at the last evaluated night of a month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PostureMois {
    pub mois: String,
    pub nuit: NaiveDate,
    pub figures: Figures,
}

/// Posture of a run as nested maps.
pub(super) fn figures(store: &Store, run: RunId) -> Result<Figures, ReportError> {
    let mut out: Figures = BTreeMap::new();
    for p in store.posture_of(run)? {
        out.entry(p.population)
            .or_default()
            .entry(p.class)
            .or_default()
            .insert(p.metric, p.value);
    }
    Ok(out)
}

pub(super) fn figure(f: &Figures, pop: &str, class: &str, metric: &str) -> Option<i64> {
    f.get(pop)?.get(class)?.get(metric).copied()
}

/// The figures of the nights of the period that have some.
pub(super) struct Posture<'a> {
    pub first: Option<&'a Figures>,
    pub last: Option<&'a Figures>,
    monthly: BTreeMap<String, (NaiveDate, &'a Figures)>,
}

impl<'a> Posture<'a> {
    pub fn of(input: &'a Input) -> Posture<'a> {
        let mut p = Posture {
            first: None,
            last: None,
            monthly: BTreeMap::new(),
        };
        for (night, e) in input.evaluated().filter(|(_, e)| !e.figures.is_empty()) {
            p.first = p.first.or(Some(&e.figures));
            p.monthly.insert(month_key(night), (night, &e.figures));
            p.last = Some(&e.figures);
        }
        p
    }

    /// A whole-tenant figure (population `tous`) of the first night.
    pub fn first(&self, class: &str, metric: &str) -> Option<i64> {
        self.first.and_then(|f| figure(f, "tous", class, metric))
    }

    /// A whole-tenant figure (population `tous`) of the last night.
    pub fn last(&self, class: &str, metric: &str) -> Option<i64> {
        self.last.and_then(|f| figure(f, "tous", class, metric))
    }

    /// A metric summed over the classes of a population, on the last night.
    pub fn last_of_population(&self, pop: &str, metric: &str) -> Option<i64> {
        self.last?
            .get(pop)
            .map(|classes| classes.values().filter_map(|m| m.get(metric)).sum())
    }

    /// The last night of each month, in order.
    pub fn monthly(&self) -> Vec<PostureMois> {
        self.monthly
            .iter()
            .map(|(mois, (nuit, figures))| PostureMois {
                mois: mois.clone(),
                nuit: *nuit,
                figures: (*figures).clone(),
            })
            .collect()
    }
}
