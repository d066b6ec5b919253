//! A night's posture figures as the store holds them (population → class → metric →
//! value), read once into the bilan's input ([`super::input`]); what the period makes of
//! them is [`super::posture`].

use std::collections::BTreeMap;

use super::super::super::ReportError;
use crate::store::{RunId, Store};

/// Posture figures of a night: population → class → metric → value.
pub type Figures = BTreeMap<String, BTreeMap<String, BTreeMap<String, i64>>>;

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
