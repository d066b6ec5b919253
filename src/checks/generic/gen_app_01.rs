//! GEN-APP-01 — Compte générique utilisé hors consultation virtuelle.
//!
//! ### What it does
//! Flags every enabled generic account with successful sign-ins, in the evaluation window, to
//! an application outside `[generiques].applications_permises` (compared, in any case, with
//! the sign-in's `appDisplayName` or `appId`). Default list: Microsoft Teams and its sign-in
//! dependencies.
//!
//! ### Why
//! The orientation confines generic accounts to virtual consultations (with or without a
//! patient), not to the other M365 tools: without a named user, what is done in Outlook or
//! SharePoint cannot be traced to anyone.
//!
//! ### Must not fire
//! Only allowed applications; failed sign-ins; sign-ins outside the window; disabled accounts;
//! guests.

use crate::checks::common::{self, app_allowed, app_label, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-APP-01",
    family: Family::Generiques,
    kind: Kind::Event,
    severity: Severity::Moyenne,
    title_fr: "Compte générique utilisé hors consultation virtuelle",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                (consultations virtuelles seulement)",
    doc: "Compte générique actif connecté avec succès, dans la fenêtre, à une application absente de \
          generiques.applications_permises (nom ou appId). Ne vise pas les connexions échouées ni les \
          applications permises (par défaut : Teams et ses dépendances de connexion).",
    fix_fr: "bloquer les applications autres que Teams pour les comptes génériques : centre \
          d'administration Microsoft Entra > Protection > Accès conditionnel > Nouvelle stratégie \
          (utilisateurs : le groupe des comptes génériques ; ressources cibles : toutes les \
          applications sauf Microsoft Teams ; Octroyer : Bloquer l'accès) ; une application \
          légitime s'ajoute à [generiques].applications_permises.",
    needs: &["users", "sign-ins"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_02, &req::ORI_TEC_09, &req::DIR05_TEAMS],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let allowed = &config.generic.allowed_apps;
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let outside: Vec<_> = window_signins(s, config, &a.id)
                .into_iter()
                .filter(|x| !app_allowed(x, allowed))
                .collect();
            if outside.is_empty() {
                return None;
            }
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : {} connexion(s) réussie(s) hors des applications permises {} : {} \
                     (permises : {})",
                    a.display_name,
                    outside.len(),
                    common::span(&outside, config),
                    common::counts(outside.iter().map(app_label)),
                    common::list(allowed)
                )),
            )
            .with_occurrences(common::by_day(&outside, config)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_on_a_sign_in_to_another_application() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.signins = vec![
            signin("s1", "t1", "Microsoft Teams", 4),
            signin("s2", "t1", "Office 365 SharePoint Online", 3),
            signin("s3", "t1", "Office 365 SharePoint Online", 2),
            signin("s4", "t1", "Outlook Mobile", 1),
        ];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "t1@cisss-test.ca");
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert!(
            f[0].evidence
                .contains("3 connexion(s) réussie(s) hors des applications permises"),
            "{}",
            f[0].evidence
        );
        assert!(
            f[0].evidence
                .contains("Office 365 SharePoint Online ×2, Outlook Mobile ×1")
        );
    }

    #[test]
    fn allowed_by_name_in_any_case_or_by_app_id() {
        let mut c = config();
        c.generic.allowed_apps = vec!["microsoft teams".into(), "1fec8e78-bce4-4aaf".into()];
        let mut s = snapshot(vec![tablet("t1")]);
        let mut by_id = signin("s2", "t1", "Teams Web", 2);
        by_id.app_id = "1FEC8E78-BCE4-4AAF".into();
        s.signins = vec![signin("s1", "t1", "Microsoft Teams", 3), by_id];
        assert!(run(&s, &c).is_empty());
    }

    #[test]
    fn does_not_fire_for_failed_old_disabled_guest_or_named() {
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut guest = tablet("t333");
        guest.guest = true;
        let mut s = snapshot(vec![
            tablet("t1"),
            disabled,
            guest,
            account("jean", "Jean Tremblay"),
        ]);
        let mut failed = signin("s1", "t1", "Outlook Mobile", 2);
        failed.error_code = 53003;
        let old = signin("s2", "t1", "Outlook Mobile", 24 * 8);
        s.signins = vec![
            failed,
            old,
            signin("s3", "t22", "Outlook Mobile", 2),
            signin("s4", "t333", "Outlook Mobile", 2),
            signin("s5", "jean", "Outlook Mobile", 2),
        ];
        assert!(run(&s, &config()).is_empty());
    }
}
