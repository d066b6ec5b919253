//! ENC-EXT-01 — Aucun chiffrement offert pour les échanges externes.
//!
//! ### What it does
//! Reads the tenant's IRM configuration (`Get-IRMConfiguration`): with
//! `AzureRMSLicensingEnabled` false, Office Message Encryption is unavailable and no mail to
//! an external recipient can be encrypted. `SimplifiedClientAccessEnabled` (the Encrypt button
//! of Outlook on the web) is given in the evidence. A value Exchange did not return is said in
//! an `info` finding, never read as on (a cmdlet that returns no object at all fails its
//! source: the check is « non évalué »). Subject `locataire`.
//!
//! ### Why
//! DIR04 art. 6 3° asks for an approved extra encryption layer when clinical information
//! leaves the network's platform for an external recipient: the tenant must at least be able
//! to apply one.
//!
//! ### Must not fire
//! IRM/OME available (`AzureRMSLicensingEnabled` true); then the transport rules that apply
//! it to external recipients are a posture figure, not a finding.

use crate::checks::common::bounded;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Population;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "ENC-EXT-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Moyenne,
    title_fr: "Aucun chiffrement offert pour les échanges externes",
    reference: "MSSS-DIR04, art. 6 3°",
    doc: "La licence Azure RMS est désactivée dans la configuration IRM \
          (AzureRMSLicensingEnabled = false) : le chiffrement des messages Office 365 n'est pas \
          offert pour les destinataires externes. Ne relève rien quand il est offert.",
    fix_fr: "activer la protection Azure RMS : PowerShell Exchange Online, Set-IRMConfiguration \
          -AzureRMSLicensingEnabled $true (et -SimplifiedClientAccessEnabled $true pour le bouton \
          Chiffrer d'Outlook sur le web), après activation du service de protection (portail \
          Microsoft Purview > Protection des informations) ; puis une règle de transport qui \
          chiffre les messages vers l'externe (centre d'administration Exchange > Flux de \
          courrier > Règles).",
    needs: &["exchange-irm-configuration"],
    tags: &[Tag::TenantLevel],
    requirements: &[&req::DIR04_6_3],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    // A collected source always holds its object (the collector fails a cmdlet that returns
    // none); a snapshot without it was built without it.
    let Some(irm) = s.irm.as_ref() else {
        return Vec::new();
    };
    let irm = Some(irm);
    let licensing = irm.and_then(|i| i.azure_rms_licensing_enabled);
    let simplified = match irm.and_then(|i| i.simplified_client_access_enabled) {
        Some(true) => "bouton Chiffrer d'Outlook sur le web offert",
        Some(false) => "bouton Chiffrer d'Outlook sur le web non offert",
        None => "SimplifiedClientAccessEnabled non retourné",
    };
    let (severity, verdict) = match licensing {
        Some(true) => return Vec::new(),
        Some(false) => (
            CHECK.severity,
            "licence Azure RMS désactivée (AzureRMSLicensingEnabled = false) : le chiffrement \
             des messages Office 365 n'est pas offert pour les destinataires externes",
        ),
        None => (
            Severity::Info,
            "valeur non retournée par Exchange, à vérifier : AzureRMSLicensingEnabled \
             (Get-IRMConfiguration)",
        ),
    };
    vec![Finding::new(
        CHECK.id,
        "locataire",
        severity,
        Population::Tous,
        bounded(format!("{verdict} ; {simplified}")),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::IrmConfig;

    fn tenant(licensing: Option<bool>, simplified: Option<bool>) -> Snapshot<'static> {
        let mut s = snapshot(vec![]);
        s.irm = Some(IrmConfig {
            azure_rms_licensing_enabled: licensing,
            simplified_client_access_enabled: simplified,
        });
        s
    }

    #[test]
    fn fires_when_azure_rms_is_off() {
        let f = run(&tenant(Some(false), Some(false)), &config());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].severity),
            ("locataire", Severity::Moyenne)
        );
        assert!(f[0].evidence.contains("AzureRMSLicensingEnabled = false"));
        assert!(f[0].evidence.contains("non offert"), "{}", f[0].evidence);
    }

    #[test]
    fn does_not_fire_when_ome_is_available() {
        assert!(run(&tenant(Some(true), Some(false)), &config()).is_empty());
        assert!(run(&tenant(Some(true), None), &config()).is_empty());
    }

    #[test]
    fn a_value_not_returned_is_info() {
        let f = run(&tenant(None, None), &config());
        assert_eq!(f[0].severity, Severity::Info);
        let mut s = snapshot(vec![]);
        s.irm = None;
        assert!(
            run(&s, &config()).is_empty(),
            "no object: the source failed, not here"
        );
    }
}
