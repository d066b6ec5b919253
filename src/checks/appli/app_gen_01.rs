//! APP-GEN-01 — Compte générique de type « Appli ».
//!
//! ### What it does
//! Flags every enabled account that is at once generic (a shared device account) and of the
//! « Appli » service type: classified `generique` with `also_appli`.
//!
//! ### Why
//! The orientation names this exact bypass: the « Appli » type was applied temporarily to
//! generic accounts to spare them MFA, but it is reserved for applications. A tablet used by
//! people must be a generic account with MFA, not a service account.
//!
//! ### Must not fire
//! A generic account that is not « Appli »; an « Appli » account that is not generic (that is
//! APP-INT-01's business); disabled accounts; guests.

use crate::checks::common::{bounded, subject_upn};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "APP-GEN-01",
    family: Family::Appli,
    kind: Kind::State,
    severity: Severity::Critique,
    title_fr: "Compte générique de type « Appli »",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                (MFA ; type « Appli » réservé aux applications)",
    doc: "Compte actif à la fois générique et de type « Appli » : le contournement de la MFA que \
          l'orientation nomme.",
    fix_fr: "un compte générique ne porte pas le type « Appli » : retirer la marque « Appli » \
          (l'attribut ou le groupe nommé dans [classification], par exemple Update-MgUser -UserId \
          <upn> -EmployeeType $null, ou centre d'administration Microsoft Entra > Groupes > le groupe \
          > Membres > Supprimer) pour qu'il soit soumis à la MFA ; s'il sert vraiment une \
          application, le remplacer par une identité d'application (Entra > Inscriptions \
          d'applications).",
    needs: &["users"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_04],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.also_appli && c.active_member())
        .map(|(a, c)| {
            Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » est à la fois un compte générique et un compte de type « Appli » : {}",
                    a.display_name, c.reason
                )),
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn appli(mut a: crate::model::Account) -> crate::model::Account {
        a.employee_type = Some("Appli".into());
        a
    }

    #[test]
    fn fires_for_a_generic_appli_account() {
        let s = snapshot(vec![appli(tablet("t1"))]);
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Critique);
        assert!(f[0].evidence.contains("employeeType"), "{}", f[0].evidence);
    }

    #[test]
    fn does_not_fire_for_plain_generic_plain_appli_disabled_or_guest() {
        let service = appli(account("svc-billet", "Billetterie"));
        let mut disabled = appli(tablet("t22"));
        disabled.enabled = false;
        let mut guest = appli(tablet("t333"));
        guest.guest = true;
        let s = snapshot(vec![tablet("t1"), service, disabled, guest]);
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn exception_in_force_keeps_the_finding_as_accepted() {
        let s = snapshot(vec![appli(tablet("t1"))]);
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2026, 6, 30));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].accepted.as_ref().map(|a| a.owner.as_str()),
            Some("RSI")
        );
    }
}
