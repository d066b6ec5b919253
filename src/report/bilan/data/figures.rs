//! A night's posture figures as the store holds them (population → class → metric →
//! value), read once into the bilan's input ([`super::input`]); what the period makes of
//! them is [`super::posture`].

use std::collections::BTreeMap;

use super::super::super::ReportError;
use crate::checks::posture::{SINGLE_FACTOR_APPLI, SINGLE_FACTOR_GENERIC};
use crate::store::{RunId, Store};

/// Posture figures of a night: population → class → metric → value.
pub type Figures = BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>;

/// One account's successful single-factor sign-ins of a night: (class column, UPN, count).
pub(super) type SingleFactor = Vec<(String, String, i64)>;

/// Posture of a run as nested maps, and apart the per-account figures of single-factor
/// sign-ins (they name accounts: never in the JSON's monthly posture).
pub(super) fn figures(store: &Store, run: RunId) -> Result<(Figures, SingleFactor), ReportError> {
    let mut out: Figures = BTreeMap::new();
    let mut single = Vec::new();
    for p in store.posture_of(run)? {
        if p.class == SINGLE_FACTOR_GENERIC || p.class == SINGLE_FACTOR_APPLI {
            single.push((p.class, p.metric, p.value));
            continue;
        }
        out.entry(p.population)
            .or_default()
            .entry(p.class)
            .or_default()
            .insert(p.metric, p.value);
    }
    Ok((out, single))
}

pub(super) fn figure(f: &Figures, pop: &str, class: &str, metric: &str) -> Option<i64> {
    f.get(pop)?.get(class)?.get(metric).copied()
}
