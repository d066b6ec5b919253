//! GEN-APP-01 — Compte générique utilisé hors consultation virtuelle.
//!
//! ### What it does
//! Flags every enabled generic account with successful sign-ins, in the evaluation window, to
//! an application outside `[generiques].applications_permises` (compared, in any case, with
//! the sign-in's `appDisplayName` or `appId`). Default list, by appId: the essential
//! applications the orientation names (Microsoft Teams, OneDrive, SharePoint) and their
//! sign-in dependencies (authentication broker, Authenticator, Company Portal and Intune
//! enrolment, the Microsoft 365 web shell); evidence names them.
//!
//! ### Why
//! The orientation confines generic accounts to virtual consultations (with or without a
//! patient) and the device to the essential applications « comme Teams, OneDrive,
//! SharePoint »: without a named user, what is done in Outlook or elsewhere cannot be traced
//! to anyone.
//!
//! ### Must not fire
//! Only allowed applications (a tablet that only opens OneDrive or SharePoint); failed sign-ins; sign-ins outside the window; disabled accounts;
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
                (consultations virtuelles ; applications essentielles : Teams, OneDrive, SharePoint)",
    doc: "Compte générique actif connecté avec succès, dans la fenêtre, à une application absente de \
          generiques.applications_permises (nom ou appId). Ne vise pas les connexions échouées ni les \
          applications permises (par défaut, par appId : Teams, OneDrive, SharePoint et leurs \
          dépendances de connexion : courtier d'authentification, Authenticator, Portail \
          d'entreprise et inscription Intune).",
    fix_fr: "bloquer les applications autres que Teams, OneDrive et SharePoint pour les comptes génériques : centre \
          d'administration Microsoft Entra > Protection > Accès conditionnel > Nouvelle stratégie \
          (utilisateurs : le groupe des comptes génériques ; ressources cibles : toutes les \
          applications sauf Microsoft Teams, OneDrive et SharePoint ; Octroyer : Bloquer l'accès) ; une application \
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
                    common::list(&allowed_labels(allowed))
                )),
            )
            .with_occurrences(common::by_day(&outside, config)))
        })
        .collect()
}

/// The allowed entries as the evidence names them: a known appId by its application's name.
fn allowed_labels(allowed: &[String]) -> Vec<String> {
    allowed
        .iter()
        .map(|a| crate::config::known_app_name(a).map_or_else(|| a.clone(), str::to_string))
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
            signin("s2", "t1", "OfficeHome", 3),
            signin("s3", "t1", "OfficeHome", 2),
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
        assert!(f[0].evidence.contains("OfficeHome ×2, Outlook Mobile ×1"));
        assert!(
            f[0].evidence
                .contains("permises : Microsoft Teams, Microsoft Teams Web Client"),
            "{}",
            f[0].evidence
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

    #[test]
    fn the_orientation_s_essential_applications_are_allowed_by_default_by_app_id() {
        let mut s = snapshot(vec![tablet("t1")]);
        let mut onedrive = signin("s1", "t1", "OneDrive", 3);
        onedrive.app_name = "Microsoft OneDrive".into();
        assert_eq!(onedrive.app_id, "b26aadf8-566f-4478-926f-589f601d9c74");
        s.signins = vec![
            onedrive,
            signin("s2", "t1", "Office 365 SharePoint Online", 2),
            signin("s3", "t1", "Microsoft Authenticator App", 2),
            signin("s4", "t1", "Microsoft Intune Company Portal", 2),
            signin("s5", "t1", "Microsoft Intune Enrollment", 2),
        ];
        assert!(run(&s, &config()).is_empty());
        let mut renamed = signin("s6", "t1", "Outlook Mobile", 1);
        renamed.app_name = "Microsoft Teams".into();
        s.signins = vec![renamed];
        assert_eq!(
            run(&s, &config()).len(),
            1,
            "a default entry is an appId, not a name"
        );
    }
}
