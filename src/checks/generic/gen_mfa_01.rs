//! GEN-MFA-01 — Compte générique sans MFA enregistrée.
//!
//! ### What it does
//! Flags every enabled generic account whose registration details say `isMfaRegistered`
//! false.
//!
//! ### Why
//! The orientation asks to "activer le service d'authentification à multiples facteurs" for
//! generic accounts; a shared tablet account without MFA is one password away from the
//! clinical data it reaches.
//!
//! ### Must not fire
//! Disabled accounts; guests; accounts with no registration row (unknown, not "no MFA":
//! Microsoft leaves disabled users out of the report); an exception in force (then the
//! finding is still listed, as accepted).

use crate::checks::common::subject_upn;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-MFA-01",
    family: Family::Generiques,
    kind: Kind::State,
    severity: Severity::Critique,
    title_fr: "Compte générique sans MFA enregistrée",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MFA)",
    doc: "Compte générique actif dont l'inscription MFA indique isMfaRegistered = false. Ne vise ni les \
          comptes désactivés, ni les invités, ni les comptes sans ligne d'inscription (inconnu).",
    fix_fr: "faire inscrire une méthode MFA au compte : centre d'administration Microsoft Entra > \
          Utilisateurs > le compte > Méthodes d'authentification > Ajouter une méthode \
          d'authentification (par exemple le numéro de téléphone de la tablette), ou la stratégie \
          d'inscription MFA d'Entra ID Protection ; vérifier ensuite avec \
          Get-MgUserAuthenticationMethod -UserId <upn>.",
    needs: &["users", "user-registration-details"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_04],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let r = s.registrations.get(&a.id)?;
            (!r.mfa_registered).then(|| {
                let methods = if r.methods.is_empty() {
                    "aucune".to_string()
                } else {
                    r.methods.join(", ")
                };
                Finding::new(
                    CHECK.id,
                    subject_upn(&a.upn),
                    CHECK.severity,
                    c.population,
                    format!(
                        "« {} » : isMfaRegistered = false ; méthodes enregistrées : {methods}",
                        a.display_name
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_for_an_enabled_tablet_without_mfa() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t22")]);
        s.registrations
            .insert("t1".into(), registration("t1", false));
        s.registrations
            .insert("t22".into(), registration("t22", true));
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "t1@cisss-test.ca");
        assert_eq!(f[0].severity, Severity::Critique);
        assert!(f[0].evidence.contains("isMfaRegistered = false"));
    }

    #[test]
    fn does_not_fire_for_disabled_guest_unknown_or_named_accounts() {
        let mut disabled = tablet("t1");
        disabled.enabled = false;
        let mut guest = tablet("t22");
        guest.guest = true;
        let unknown = tablet("t333");
        let person = account("jean", "Jean Tremblay");
        let mut s = snapshot(vec![disabled, guest, unknown, person]);
        for id in ["t1", "t22", "jean"] {
            s.registrations.insert(id.into(), registration(id, false));
        }
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn exception_in_force_keeps_it_listed_as_accepted_not_open() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.registrations
            .insert("t1".into(), registration("t1", false));
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2027, 3, 31));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].is_accepted());
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2026, 3, 8));
        let f = evaluated(&s, &c, CHECK.id);
        assert!(!f[0].is_accepted());
        assert_eq!(f[0].exception_expired, Some(date(2026, 3, 8)));
    }
}
