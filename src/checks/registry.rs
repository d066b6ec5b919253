//! The registry: every check once, with what it needs. It drives evaluation, the README's
//! table and `vigie365 checks`.

use super::{Finding, Severity, Snapshot, generic};
use crate::config::Config;

/// A check of the catalogue.
pub struct CheckInfo {
    /// Stable id (RULES.md).
    pub id: &'static str,
    /// Default severity (some checks lower or raise it per finding, as RULES.md says).
    pub severity: Severity,
    /// As shown to users.
    pub title_fr: &'static str,
    /// The directive article or recommendation it enforces.
    pub reference: &'static str,
    /// French, two or three sentences: what it looks at, what it must not flag.
    pub doc: &'static str,
    /// Sources (query names) that must have been collected for the check to be evaluated.
    pub needs: &'static [&'static str],
    pub run: fn(&Snapshot, &Config) -> Vec<Finding>,
}

impl std::fmt::Debug for CheckInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckInfo").field("id", &self.id).finish()
    }
}

/// Every check, in catalogue order.
pub static REGISTRY: &[CheckInfo] = &[CheckInfo {
    id: generic::gen_mfa_01::ID,
    severity: generic::gen_mfa_01::SEVERITY,
    title_fr: "Compte générique sans MFA enregistrée",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
    doc: "Compte générique actif dont l'inscription MFA indique isMfaRegistered = false. Ne vise ni les comptes \
          désactivés, ni les invités, ni les comptes sans ligne d'inscription (inconnu).",
    needs: &["users", "user-registration-details"],
    run: generic::gen_mfa_01::run,
}];

/// The check of that id.
pub fn get(id: &str) -> Option<&'static CheckInfo> {
    REGISTRY.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_known_to_the_configuration() {
        let mut ids: Vec<&str> = REGISTRY.iter().map(|c| c.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate check id");
        for id in &ids {
            assert!(
                crate::config::KNOWN_CHECK_IDS.contains(id),
                "{id} unknown to the configuration"
            );
        }
    }

    #[test]
    fn every_need_is_a_query_of_the_catalogue() {
        for c in REGISTRY {
            for n in c.needs {
                assert!(
                    crate::queries::get(n).is_some(),
                    "{}: unknown source {n}",
                    c.id
                );
            }
        }
    }
}
