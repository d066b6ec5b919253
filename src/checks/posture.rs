//! Posture figures of a night, per population and account class (RULES.md, "Posture figures
//! for the bilan"): accounts, enabled, MFA registered, MFA capable, MFA unknown, and excluded
//! from MFA (enabled accounts to which no MFA-requiring conditional access policy applies). The
//! bilan draws them as monthly trends. Computed from the snapshot only, like the checks.
//!
//! `exclue_mfa` is only recorded when the conditional access policies and the group members
//! were collected that night: without them every account would look excluded.

use std::collections::BTreeMap;

use super::{Snapshot, mfa};
use crate::classify::{Class, Population};
use crate::store::{PostureFigure, SourceStatus};

/// The posture figures of a night.
pub fn compute(s: &Snapshot) -> Vec<PostureFigure> {
    let mut figures: BTreeMap<(Population, Class, &'static str), i64> = BTreeMap::new();
    let policies_known = ["conditional-access-policies", "group-members"]
        .iter()
        .all(|q| s.source_status(q) == Some(SourceStatus::Collected));
    for (a, c) in s.classified() {
        if c.guest {
            continue;
        }
        let excluded = policies_known && c.enabled && !mfa::coverage(s, &a.id).is_covered();
        for pop in [c.population, Population::Tous] {
            let mut add = |metric: &'static str, yes: bool| {
                *figures.entry((pop, c.class, metric)).or_insert(0) += i64::from(yes);
            };
            add("comptes", true);
            add("actifs", c.enabled);
            if policies_known {
                add("exclue_mfa", excluded);
            }
            match s.registrations.get(&a.id) {
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
    figures
        .into_iter()
        .map(|((p, c, m), v)| PostureFigure {
            population: p.as_str().into(),
            class: c.as_str().into(),
            metric: m.into(),
            value: v,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn counts_per_class_and_population() {
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut s = snapshot(vec![
            tablet("t1"),
            disabled,
            account("jean", "Jean"),
            account("julie.med", "Dre Julie"),
        ]);
        s.registrations
            .insert("t1".into(), registration("t1", true));
        let f = compute(&s);
        let get = |pop: &str, class: &str, metric: &str| {
            f.iter()
                .find(|x| x.population == pop && x.class == class && x.metric == metric)
                .map(|x| x.value)
        };
        assert_eq!(get("tous", "generique", "comptes"), Some(2));
        assert_eq!(get("tous", "generique", "actifs"), Some(1));
        assert_eq!(get("tous", "generique", "mfa_enregistree"), Some(1));
        assert_eq!(get("tous", "nominatif", "mfa_inconnue"), Some(2));
        assert_eq!(
            get("medecin", "nominatif", "comptes"),
            Some(1),
            "julie.med@ is a physician address"
        );
        assert_eq!(get("personnel", "nominatif", "comptes"), Some(1));
        // No MFA policy at all: every enabled account is excluded; the disabled one is not.
        assert_eq!(get("tous", "generique", "exclue_mfa"), Some(1));
        assert_eq!(get("tous", "nominatif", "exclue_mfa"), Some(2));
    }

    #[test]
    fn excluded_from_mfa_follows_the_policies_and_is_unknown_without_them() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2"), account("jean", "Jean")]);
        let mut p = mfa_policy("ca1", "MFA pour tous");
        p.exclude_users = vec!["t2".into()];
        s.ca_policies = vec![p];
        let f = compute(&s);
        let get = |f: &[PostureFigure], class: &str| {
            f.iter()
                .find(|x| x.population == "tous" && x.class == class && x.metric == "exclue_mfa")
                .map(|x| x.value)
        };
        assert_eq!(get(&f, "generique"), Some(1), "t2 is excluded, t1 covered");
        assert_eq!(get(&f, "nominatif"), Some(0));
        if let Some(row) = s.sources.get_mut("conditional-access-policies") {
            row.status = SourceStatus::NotCollected;
        }
        assert_eq!(get(&compute(&s), "generique"), None, "unknown, not zero");
    }
}
