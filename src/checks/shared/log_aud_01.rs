//! LOG-AUD-01 — Journalisation d'audit désactivée.
//!
//! ### What it does
//! Looks at the tenant's two audit switches: unified audit log ingestion
//! (`Get-AdminAuditLogConfig` `UnifiedAuditLogIngestionEnabled`) and mailbox auditing for the
//! organisation (`Get-OrganizationConfig` `AuditDisabled`). Either off → `élevée`. A value
//! Exchange did not return is said in an `info` finding (it cannot be told), never read as on
//! (a cmdlet that returns no object at all fails its source: the check is « non évalué »).
//! Subject `locataire`.
//!
//! ### Why
//! The orientation asks that access to generic accounts be logged at all times, and DIR04
//! art. 12 and 13 ask the establishment to prove compliance at any time: without the audit
//! log, no sign-in, mailbox access or change of setting can be traced afterwards.
//!
//! ### Must not fire
//! Both on (`UnifiedAuditLogIngestionEnabled` true, `AuditDisabled` false).

use crate::checks::common::bounded;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Population;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "LOG-AUD-01",
    family: Family::Partages,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Journalisation d'audit désactivée",
    reference: "Orientation abonnements génériques CHSLD (journalisation des accès en tout \
                temps) ; MSSS-DIR04, art. 12 et 13",
    doc: "Le journal d'audit unifié n'est pas alimenté (UnifiedAuditLogIngestionEnabled = false) \
          ou l'audit des boîtes aux lettres est désactivé pour l'organisation (AuditDisabled = \
          true). Ne relève rien quand les deux sont actifs.",
    fix_fr: "activer le journal d'audit : portail Microsoft Purview > Audit > Commencer \
          l'enregistrement de l'activité (ou Set-AdminAuditLogConfig \
          -UnifiedAuditLogIngestionEnabled $true en PowerShell Exchange Online), et l'audit des \
          boîtes : Set-OrganizationConfig -AuditDisabled $false.",
    needs: &[
        "exchange-admin-audit-log-config",
        "exchange-organization-config",
    ],
    tags: &[Tag::TenantLevel],
    requirements: &[&req::ORI_TEC_12, &req::DIR04_12, &req::DIR04_13],
    run,
};

pub fn run(s: &Snapshot, _config: &Config) -> Vec<Finding> {
    // Collected sources always hold their object (the collector fails a cmdlet that returns
    // none); a snapshot without either was built without them.
    if s.audit.is_none() && s.org.is_none() {
        return Vec::new();
    }
    let unified = s
        .audit
        .as_ref()
        .and_then(|a| a.unified_audit_log_ingestion_enabled);
    let mailbox_off = s.org.as_ref().and_then(|o| o.audit_disabled);
    let mut off = Vec::new();
    let mut unknown = Vec::new();
    match unified {
        Some(false) => off
            .push("journal d'audit unifié non alimenté (UnifiedAuditLogIngestionEnabled = false)"),
        Some(true) => {}
        None => unknown.push("UnifiedAuditLogIngestionEnabled (Get-AdminAuditLogConfig)"),
    }
    match mailbox_off {
        Some(true) => off.push(
            "audit des boîtes aux lettres désactivé pour l'organisation (AuditDisabled = true)",
        ),
        Some(false) => {}
        None => unknown.push("AuditDisabled (Get-OrganizationConfig)"),
    }
    let severity = if !off.is_empty() {
        CHECK.severity
    } else if !unknown.is_empty() {
        Severity::Info
    } else {
        return Vec::new();
    };
    let mut evidence = off.join(" ; ");
    if !unknown.is_empty() {
        if !evidence.is_empty() {
            evidence.push_str(" ; ");
        }
        evidence.push_str(&format!(
            "valeur non retournée par Exchange, à vérifier : {}",
            unknown.join(", ")
        ));
    }
    vec![Finding::new(
        CHECK.id,
        "locataire",
        severity,
        Population::Tous,
        bounded(evidence),
    )]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::{AuditConfig, OrgConfig};

    fn tenant(unified: Option<bool>, disabled: Option<bool>) -> Snapshot<'static> {
        let mut s = snapshot(vec![]);
        s.audit = Some(AuditConfig {
            unified_audit_log_ingestion_enabled: unified,
        });
        s.org = Some(OrgConfig {
            audit_disabled: disabled,
        });
        s
    }

    #[test]
    fn fires_when_either_switch_is_off() {
        let f = run(&tenant(Some(false), Some(false)), &config());
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].subject.as_str(), f[0].severity),
            ("locataire", Severity::Elevee)
        );
        assert!(
            f[0].evidence
                .contains("UnifiedAuditLogIngestionEnabled = false")
        );
        let f = run(&tenant(Some(true), Some(true)), &config());
        assert_eq!(f[0].severity, Severity::Elevee);
        assert!(
            f[0].evidence.contains("AuditDisabled = true"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn does_not_fire_when_both_are_on() {
        assert!(run(&tenant(Some(true), Some(false)), &config()).is_empty());
    }

    #[test]
    fn a_value_not_returned_is_said_not_read_as_on() {
        let f = run(&tenant(None, Some(false)), &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Info);
        assert!(f[0].evidence.contains("non retournée"), "{}", f[0].evidence);
        let mut s = tenant(Some(true), Some(false));
        s.org = None;
        assert_eq!(run(&s, &config())[0].severity, Severity::Info);
    }

    #[test]
    fn without_its_sources_it_is_not_evaluated() {
        let mut s = tenant(Some(false), Some(true));
        if let Some(row) = s.sources.get_mut("exchange-admin-audit-log-config") {
            row.status = crate::store::SourceStatus::NotCollected;
            row.reason = Some("rôle Exchange View-Only Audit Logs manquant".into());
        }
        let e = crate::checks::evaluate(&s, &config());
        assert!(e.findings.iter().all(|f| f.check != "LOG-AUD-01"));
        let n = e.not_evaluated.iter().find(|n| n.check == "LOG-AUD-01");
        assert!(n.is_some_and(|n| n.reason.contains("View-Only Audit Logs")));
    }
}
