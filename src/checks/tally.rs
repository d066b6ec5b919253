//! The per-account posture figures, tallied one account at a time: the part of the posture
//! a loaded [`Snapshot`](super::Snapshot) keeps (see `posture` for the figures of a night).

use std::collections::BTreeMap;

use crate::classify::{Class, Classification, Population};
use crate::model::Registration;

/// The per-account figures (population × class × metric): accounts, active accounts, MFA
/// registration and exclusion. Additive, so a snapshot loaded from the store tallies every
/// account once while reading it and keeps only the tally.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tally(pub(super) BTreeMap<(Population, Class, &'static str), i64>);

impl Tally {
    /// Counts one account; `excluded_from_mfa` is `None` when the policies are unknown.
    pub fn add(
        &mut self,
        c: &Classification,
        registration: Option<&Registration>,
        excluded_from_mfa: Option<bool>,
    ) {
        if c.guest {
            return;
        }
        for pop in [c.population, Population::Tous] {
            let mut add = |metric: &'static str, yes: bool| {
                *self.0.entry((pop, c.class, metric)).or_insert(0) += i64::from(yes);
            };
            add("comptes", true);
            add("actifs", c.enabled);
            if let Some(excluded) = excluded_from_mfa {
                add("exclue_mfa", excluded);
            }
            match registration {
                Some(r) => {
                    add("mfa_enregistree", c.enabled && r.mfa_registered);
                    add("mfa_capable", c.enabled && r.mfa_capable);
                    add("mfa_inconnue", false);
                }
                None => {
                    add("mfa_enregistree", false);
                    add("mfa_capable", false);
                    add("mfa_inconnue", c.enabled);
                }
            }
        }
    }
}
