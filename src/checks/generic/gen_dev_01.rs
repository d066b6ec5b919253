//! GEN-DEV-01 — Compte générique utilisé depuis un équipement non géré ou non conforme.
//!
//! ### What it does
//! Flags every enabled generic account with successful sign-ins, in the evaluation window,
//! whose `deviceDetail` says the device is not managed (`isManaged` false) or not compliant
//! (`isCompliant` false). The evidence names each device (its Entra ID name, else « équipement
//! non inscrit » and its system), whether it is unmanaged or only non-compliant, and how many
//! sign-ins came from it. Where Intune was read (optional source `managed-devices`), the
//! account's managed devices that Intune found non-compliant or unencrypted at a sync of the
//! window fire it too, and the evidence names them; where it was not, the evidence says the
//! Intune fleet was not read.
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
//! period in the bilan. Intune's view is read the same way: a device counts when Intune
//! observed it non-compliant or unencrypted at a sync inside the window (an observation with
//! a date), never from a sync older than the window.
//!
//! ### Must not fire
//! Only managed and compliant devices; no sign-in in the window and no device; an Intune
//! device synced before the window, or `complianceState` `unknown`; a log that does not say
//! (`isManaged` / `isCompliant` absent: unknown, never "unmanaged"); failed sign-ins; disabled
//! accounts; guests; named and « Appli » accounts. An exception keeps it listed as accepted.

use std::collections::BTreeMap;

use crate::checks::common::{self, bounded, subject_upn, window_signins};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Class;
use crate::config::Config;
use crate::model::{ManagedDevice, SignIn};
use crate::requirements as req;
use crate::store::SourceStatus;

/// The optional Intune source.
const INTUNE: &str = "managed-devices";

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
          (isCompliant = false) ; et, si Intune est lu (source facultative managed-devices), un de \
          ses appareils gérés trouvé non conforme ou non chiffré à une synchronisation de la \
          fenêtre. Événement daté, compté par période. Ne vise ni les équipements gérés et \
          conformes, ni les connexions échouées, ni un journal muet sur l'équipement.",
    fix_fr: "inscrire l'équipement du compte générique dans Intune et lui appliquer une stratégie \
          de conformité (verrouillage, chiffrement, code d'accès) : centre d'administration \
          Microsoft Intune > Appareils > Conformité ; puis exiger un appareil conforme pour les \
          comptes génériques : centre d'administration Microsoft Entra > Protection > Accès \
          conditionnel > Nouvelle stratégie (utilisateurs : le groupe des comptes génériques ; \
          Octroyer : Exiger que l'appareil soit marqué comme conforme). Un équipement non géré \
          voulu se déclare en [[exceptions]].",
    needs: &["users", "sign-ins"],
    tags: &[Tag::ByAccountClass],
    requirements: &[&req::ORI_TEC_06, &req::ORI_TEC_07, &req::ORI_TEC_10],
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

/// What Intune says is wrong with a managed device: not compliant (`noncompliant`,
/// `inGracePeriod`, `conflict`, `error`) and/or not encrypted. `unknown` says nothing.
fn intune_flaws(d: &ManagedDevice) -> Vec<&'static str> {
    let mut v = Vec::new();
    let c = d.compliance.trim().to_ascii_lowercase();
    if ["noncompliant", "ingraceperiod", "conflict", "error"].contains(&c.as_str()) {
        v.push("non conforme");
    }
    if d.encrypted == Some(false) {
        v.push("non chiffré");
    }
    v
}

/// The Intune part of the evidence for the account `upn`: its devices Intune found
/// non-compliant or unencrypted at a sync of the window, or why Intune says nothing.
fn intune_part(s: &Snapshot, config: &Config, upn: &str) -> (usize, String) {
    if s.source_status(INTUNE) != Some(SourceStatus::Collected) {
        return (
            0,
            format!("parc Intune non lu (source facultative « {INTUNE} » non collectée)"),
        );
    }
    let from = s.as_of - chrono::Duration::days(i64::from(config.evaluation.window_days));
    let flawed: Vec<String> = s
        .managed_devices
        .iter()
        .filter(|d| subject_upn(&d.upn) == upn)
        .filter(|d| d.last_sync.is_some_and(|t| t >= from && t < s.as_of))
        .filter_map(|d| {
            let flaws = intune_flaws(d);
            (!flaws.is_empty()).then(|| {
                format!(
                    "{} ({}, synchronisé le {})",
                    if d.name.trim().is_empty() {
                        &d.id
                    } else {
                        &d.name
                    },
                    flaws.join(", "),
                    d.last_sync
                        .map(|t| common::day(t, config))
                        .unwrap_or_default()
                )
            })
        })
        .collect();
    if flawed.is_empty() {
        (
            0,
            "Intune : aucun appareil non conforme ou non chiffré".into(),
        )
    } else {
        (flawed.len(), format!("Intune : {}", common::list(&flawed)))
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
            let (intune_flawed, intune) = intune_part(s, config, &subject_upn(&a.upn));
            if flawed.is_empty() && intune_flawed == 0 {
                return None;
            }
            let mut occurrences = Default::default();
            let signins_part = if flawed.is_empty() {
                "aucune connexion réussie depuis un équipement que le journal dit non géré ou non \
                 conforme"
                    .to_string()
            } else {
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
                occurrences = common::by_day(&signins, config);
                format!(
                    "{} connexion(s) réussie(s) depuis un équipement non géré ou non conforme {} \
                     : {} (deviceDetail des journaux de connexion)",
                    flawed.len(),
                    common::span(&signins, config),
                    common::list(&devices)
                )
            };
            Some(
                Finding::new(
                    CHECK.id,
                    subject_upn(&a.upn),
                    CHECK.severity,
                    c.population,
                    bounded(format!(
                        "« {} » : {signins_part} ; {intune}",
                        a.display_name
                    )),
                )
                .with_occurrences(occurrences),
            )
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
        assert!(
            e.contains("Intune : aucun appareil non conforme ou non chiffré"),
            "{e}"
        );
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

    fn intune_device(upn: &str, name: &str, compliance: &str, encrypted: bool) -> ManagedDevice {
        ManagedDevice {
            id: format!("md-{name}"),
            name: name.into(),
            upn: upn.into(),
            compliance: compliance.into(),
            encrypted: Some(encrypted),
            last_sync: Some(as_of() - chrono::Duration::hours(5)),
            os: Some("iOS".into()),
            owner_type: Some("company".into()),
            entra_device_id: None,
        }
    }

    #[test]
    fn intune_non_compliant_or_unencrypted_devices_fire_it_alone() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2"), tablet("t3")]);
        s.signins = vec![from("s1", "t1", 3, true, true)];
        let mut stale = intune_device("t3@cisss-test.ca", "IPAD-OLD", "noncompliant", true);
        stale.last_sync = Some(as_of() - chrono::Duration::days(30));
        s.managed_devices = vec![
            intune_device("t1@cisss-test.ca", "IPAD-1", "compliant", false),
            intune_device("T2@cisss-test.ca", "IPAD-2", "compliant", true),
            intune_device("t2@cisss-test.ca", "IPAD-2B", "unknown", true),
            stale,
        ];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].subject, "t1@cisss-test.ca");
        let e = &f[0].evidence;
        assert!(
            e.contains("Intune : IPAD-1 (non chiffré, synchronisé le"),
            "{e}"
        );
        assert!(
            e.contains("aucune connexion réussie depuis un équipement"),
            "{e}"
        );
        s.managed_devices = vec![intune_device(
            "t2@cisss-test.ca",
            "IPAD-2",
            "noncompliant",
            true,
        )];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence.contains("IPAD-2 (non conforme"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn without_intune_it_is_judged_from_the_sign_ins_and_says_so() {
        let mut s = snapshot(vec![tablet("t1"), tablet("t2")]);
        s.sources.remove(INTUNE);
        s.signins = vec![from("s1", "t1", 3, false, false)];
        s.managed_devices = vec![intune_device(
            "t2@cisss-test.ca",
            "IPAD-2",
            "noncompliant",
            false,
        )];
        let e = crate::checks::evaluate(&s, &config());
        assert!(
            e.not_evaluated.iter().all(|n| n.check != CHECK.id),
            "Intune is optional"
        );
        let f: Vec<_> = e.findings.iter().filter(|f| f.check == CHECK.id).collect();
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].subject, "t1@cisss-test.ca");
        assert!(
            f[0].evidence.contains(
                "parc Intune non lu (source facultative « managed-devices » non collectée)"
            ),
            "{}",
            f[0].evidence
        );
    }
}
