//! APP-INT-01 — Compte « Appli » utilisé de façon interactive.
//!
//! ### What it does
//! Flags every enabled « Appli » account (class `appli`) with a successful interactive
//! sign-in, in the evaluation window, to an application that is not one of its legitimate
//! clients (`[appli].clients_permis`, by name or appId, any case).
//!
//! ### Why
//! The orientation reserves the « Appli » type for applications (ticketing systems, for
//! instance); a person signing in with it at a browser, Teams, Outlook or a phone is using an
//! account that escapes MFA.
//!
//! ### Must not fire
//! Non-interactive (service) sign-ins; interactive sign-ins to its configured clients; failed
//! sign-ins; generic accounts that are also « Appli » (APP-GEN-01 names them); disabled
//! accounts; guests.

use crate::checks::common::{self, app_allowed, app_label, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "APP-INT-01",
    family: Family::Appli,
    kind: Kind::Event,
    severity: Severity::Elevee,
    title_fr: "Compte « Appli » utilisé de façon interactive",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques \
                (type « Appli » réservé aux applications)",
    doc: "Compte « Appli » actif avec une connexion interactive réussie dans la fenêtre vers une \
          application qui n'est pas un de ses clients permis ([appli].clients_permis). Ne vise pas les \
          connexions non interactives.",
    fix_fr: "vérifier qui s'est connecté (centre d'administration Microsoft Entra > Utilisateurs > \
          le compte > Journaux de connexion), réinitialiser le mot de passe et fermer les sessions \
          (Revoke-MgUserSignInSession -UserId <upn>) ; limiter le compte à ses clients par une \
          stratégie d'accès conditionnel (Protection > Accès conditionnel : toutes les applications \
          sauf ses clients permis, Bloquer l'accès) ; un client légitime s'ajoute à \
          [appli].clients_permis.",
    needs: &["users", "sign-ins"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_04],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let none = Vec::new();
    s.classified()
        .filter(|(_, c)| c.class == Class::Appli && c.active_member())
        .filter_map(|(a, c)| {
            let allowed = config
                .appli
                .allowed_clients
                .iter()
                .find(|(upn, _)| upn.trim().eq_ignore_ascii_case(a.upn.trim()))
                .map_or(&none, |(_, apps)| apps);
            let interactive: Vec<_> = window_signins(s, config, &a.id)
                .into_iter()
                .filter(|x| x.interactive && !app_allowed(x, allowed))
                .collect();
            if interactive.is_empty() {
                return None;
            }
            let clients: Vec<&str> = interactive
                .iter()
                .filter_map(|x| x.client_app.as_deref())
                .filter(|x| !x.trim().is_empty())
                .collect();
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : {} connexion(s) interactive(s) réussie(s) {} : {} ; clients : {} ; \
                     clients permis ([appli].clients_permis) : {}",
                    a.display_name,
                    interactive.len(),
                    common::span(&interactive, config),
                    common::counts(interactive.iter().map(app_label)),
                    common::counts(clients),
                    common::list(allowed)
                )),
            )
            .with_occurrences(common::by_day(&interactive, config)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn service(id: &str) -> crate::model::Account {
        let mut a = account(id, "Service billetterie");
        a.employee_type = Some("Appli".into());
        a
    }

    #[test]
    fn fires_on_an_interactive_sign_in() {
        let mut s = snapshot(vec![service("svc1")]);
        let mut browser = signin("s1", "svc1", "Office 365 Exchange Online", 3);
        browser.client_app = Some("Browser".into());
        s.signins = vec![browser];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "svc1@cisss-test.ca");
        assert_eq!(f[0].severity, Severity::Elevee);
        assert!(
            f[0].evidence.contains("Office 365 Exchange Online ×1"),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains("Browser ×1"));
    }

    #[test]
    fn does_not_fire_for_service_sign_ins_or_allowed_clients() {
        let mut c = config();
        c.appli
            .allowed_clients
            .insert("svc1@cisss-test.ca".into(), vec!["servicenow".into()]);
        let mut s = snapshot(vec![service("svc1")]);
        let mut background = signin("s1", "svc1", "Outlook Mobile", 3);
        background.interactive = false;
        s.signins = vec![background, signin("s2", "svc1", "ServiceNow", 2)];
        assert!(run(&s, &c).is_empty());
    }

    #[test]
    fn does_not_fire_for_generic_appli_disabled_or_guest() {
        let mut generic = tablet("t1");
        generic.employee_type = Some("Appli".into());
        let mut disabled = service("svc2");
        disabled.enabled = false;
        let mut guest = service("svc3");
        guest.guest = true;
        let mut s = snapshot(vec![generic, disabled, guest]);
        s.signins = ["t1", "svc2", "svc3"]
            .iter()
            .map(|u| signin(&format!("s-{u}"), u, "Outlook", 2))
            .collect();
        assert!(run(&s, &config()).is_empty());
    }
}
