//! GEN-DEV-01 — Compte générique utilisé depuis un équipement non géré ou non conforme.
//!
//! ### What it does
//! Flags every enabled generic account with successful sign-ins, in the evaluation window,
//! whose `deviceDetail` says the device is not managed (`isManaged` false) or not compliant
//! (`isCompliant` false). The evidence names each device (its Entra ID name, else « équipement
//! non inscrit » and its system), whether it is unmanaged or only non-compliant, and how many
//! sign-ins came from it.
//!
//! ### Why
//! The orientation asks, for the shared device of a generic account, a mobile device
//! management (MDM), an automatic lock, encryption at rest and a device password: only a
//! device managed by Intune and compliant with its policy gives evidence of them. A generic
//! account used from any other device carries the clinical conversations of the CHSLD out of
//! those protections.
//!
//! ### Event, not state
//! The finding is a use of the account from such a device: it happened on a date (RULES.md,
//! "Events and states"), like a sign-in outside the fixed addresses. The device itself may
//! stay non-compliant, but the sign-in log only tells what happened in the window; saying
//! « corrigé » after seven quiet days would overstate it. So the check is an event, counted per
//! period in the bilan, and its evidence says it reads the sign-ins only.
//!
//! ### Must not fire
//! Only managed and compliant devices; no sign-in in the window; a log that does not say
//! (`isManaged` / `isCompliant` absent: unknown, never "unmanaged"); failed sign-ins; disabled
//! accounts; guests; named and « Appli » accounts. An exception keeps it listed as accepted.

use std::collections::BTreeMap;

use crate::checks::common::{self, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::model::SignIn;

pub static CHECK: CheckInfo = CheckInfo {
    id: "GEN-DEV-01",
    family: Family::Generiques,
    kind: Kind::Event,
    severity: Severity::Moyenne,
    title_fr: "Compte générique utilisé depuis un équipement non géré ou non conforme",
    reference: "Orientation abonnements génériques CHSLD, recommandations techniques (MDM, \
                verrouillage automatique, chiffrement au repos, mot de passe de l'équipement)",
    doc: "Compte générique actif connecté avec succès, dans la fenêtre, depuis un équipement que le \
          journal de connexion (deviceDetail) dit non géré (isManaged = false) ou non conforme \
          (isCompliant = false). Événement daté, compté par période. Ne vise ni les équipements \
          gérés et conformes, ni les connexions échouées, ni un journal muet sur l'équipement.",
    fix_fr: "inscrire l'équipement du compte générique dans Intune et lui appliquer une stratégie \
          de conformité (verrouillage, chiffrement, code d'accès) : centre d'administration \
          Microsoft Intune > Appareils > Conformité ; puis exiger un appareil conforme pour les \
          comptes génériques : centre d'administration Microsoft Entra > Protection > Accès \
          conditionnel > Nouvelle stratégie (utilisateurs : le groupe des comptes génériques ; \
          Octroyer : Exiger que l'appareil soit marqué comme conforme). Un équipement non géré \
          voulu se déclare en [[exceptions]].",
    needs: &["users", "sign-ins"],
    tags: &[Tag::ByAccountClass],
    run,
};

/// What the log says of a sign-in's device, when it says it is not managed or not compliant.
fn flaw(s: &SignIn) -> Option<&'static str> {
    match (s.device.managed, s.device.compliant) {
        (Some(false), _) => Some("non géré"),
        (Some(true), Some(false)) | (None, Some(false)) => Some("non conforme"),
        _ => None,
    }
}

/// How the evidence names a device: its Entra ID name, else its system.
fn device_label(s: &SignIn) -> String {
    let os = s.os.as_deref().map(str::trim).filter(|o| !o.is_empty());
    match s
        .device
        .name
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
    {
        Some(name) => name.to_string(),
        None => format!(
            "équipement non inscrit ({})",
            os.unwrap_or("système inconnu")
        ),
    }
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    s.classified()
        .filter(|(_, c)| c.class == Class::Generique && c.active_member())
        .filter_map(|(a, c)| {
            let flawed: Vec<(SignIn, &'static str)> = window_signins(s, config, &a.id)
                .into_iter()
                .filter_map(|x| flaw(&x).map(|f| (x, f)))
                .collect();
            if flawed.is_empty() {
                return None;
            }
            let mut per_device: BTreeMap<String, usize> = BTreeMap::new();
            for (x, f) in &flawed {
                *per_device
                    .entry(format!("{} ({f})", device_label(x)))
                    .or_default() += 1;
            }
            let devices: Vec<String> = per_device
                .iter()
                .map(|(d, n)| format!("{d} ×{n}"))
                .collect();
            let signins: Vec<&SignIn> = flawed.iter().map(|(x, _)| x).collect();
            Some(Finding::new(
                CHECK.id,
                subject_upn(&a.upn),
                CHECK.severity,
                c.population,
                bounded(format!(
                    "« {} » : {} connexion(s) réussie(s) depuis un équipement non géré ou non \
                     conforme {} : {} (d'après deviceDetail des journaux de connexion ; le parc \
                     Intune n'est pas lu)",
                    a.display_name,
                    flawed.len(),
                    common::span(&signins, config),
                    common::list(&devices)
                )),
            ))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::SignInDevice;

    fn from(id: &str, user: &str, hours: i64, managed: bool, compliant: bool) -> SignIn {
        let mut x = signin(id, user, "Microsoft Teams", hours);
        x.device = SignInDevice {
            id: managed.then(|| format!("dev-{user}")),
            name: managed.then(|| format!("IPAD-{user}")),
            managed: Some(managed),
            compliant: Some(compliant),
            trust_type: managed.then(|| "Azure AD registered".into()),
        };
        x
    }

    #[test]
    fn fires_on_unmanaged_or_non_compliant_devices_and_names_them() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.signins = vec![
            from("s1", "t1", 30, true, true),
            from("s2", "t1", 20, false, false),
            from("s3", "t1", 10, false, false),
            from("s4", "t1", 5, true, false),
        ];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "t1@cisss-test.ca");
        assert_eq!(f[0].severity, Severity::Moyenne);
        let e = &f[0].evidence;
        assert!(e.contains("3 connexion(s) réussie(s)"), "{e}");
        assert!(
            e.contains("équipement non inscrit (iOS) (non géré) ×2"),
            "{e}"
        );
        assert!(e.contains("IPAD-t1 (non conforme) ×1"), "{e}");
        assert!(e.contains("Intune n'est pas lu"), "{e}");
    }

    #[test]
    fn does_not_fire_for_managed_and_compliant_devices_or_a_silent_log() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2"), tablet("t3")]);
        s.signins = vec![
            from("s1", "t1", 3, true, true),
            from("s2", "t1", 2, true, true),
            // No device detail at all (stored by an older version): unknown.
            signin("s3", "t2", "Microsoft Teams", 2),
        ];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn does_not_fire_for_failed_old_disabled_guest_named_or_appli() {
        let mut disabled = tablet("t22");
        disabled.enabled = false;
        let mut guest = tablet("t333");
        guest.guest = true;
        let mut s = snapshot(vec![
            tablet("t1"),
            disabled,
            guest,
            account("jean", "Jean Tremblay"),
            account("svc", "Appli Billetterie"),
        ]);
        let mut failed = from("s1", "t1", 2, false, false);
        failed.error_code = 53000;
        s.signins = vec![
            failed,
            from("s2", "t1", 24 * 8, false, false),
            from("s3", "t22", 2, false, false),
            from("s4", "t333", 2, false, false),
            from("s5", "jean", 2, false, false),
            from("s6", "svc", 2, false, false),
        ];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn an_exception_keeps_it_listed_as_accepted() {
        let mut s = snapshot(vec![tablet("t1")]);
        s.signins = vec![from("s1", "t1", 2, false, false)];
        let c = config_with_exception(CHECK.id, "t1@cisss-test.ca", date(2099, 1, 1));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].is_accepted(), "{f:?}");
    }
}
