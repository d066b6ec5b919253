//! Posture figures of a night, per population and account class (RULES.md, "Posture figures
//! for the bilan"): accounts, enabled, MFA registered, MFA capable, MFA unknown. The bilan
//! draws them as monthly trends. Computed from the snapshot only, like the checks.

use std::collections::BTreeMap;

use super::Snapshot;
use crate::classify::{Class, Population};
use crate::store::PostureFigure;

/// The posture figures of a night.
pub fn compute(s: &Snapshot) -> Vec<PostureFigure> {
    let mut figures: BTreeMap<(Population, Class, &'static str), i64> = BTreeMap::new();
    for (a, c) in s.classified() {
        if c.guest {
            continue;
        }
        for pop in [c.population, Population::Tous] {
            let mut add = |metric: &'static str, yes: bool| {
                *figures.entry((pop, c.class, metric)).or_insert(0) += i64::from(yes);
            };
            add("comptes", true);
            add("actifs", c.enabled);
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
    }
}
