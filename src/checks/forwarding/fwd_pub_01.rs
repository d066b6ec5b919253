//! FWD-PUB-01 — Redirection automatique vers une messagerie publique.
//!
//! ### What it does
//! Flags every enabled inbox rule (`forwardTo`, `forwardAsAttachmentTo`, `redirectTo`) and
//! every mailbox forwarding (`ForwardingSmtpAddress`, or `ForwardingAddress` resolved through
//! the mail contacts) that sends to a public webmail domain (the shipped list, adjusted by
//! `[domaines].publics_ajout` / `publics_retrait`). One finding per (rule or mailbox, target).
//! When the tenant's controls would block it (see [`crate::checks::domains`]), the severity
//! drops one step and the finding says so: the rule still expresses the forbidden bypass.
//!
//! ### Why
//! DIR04 art. 6 4° (leave public mail systems) and 5° (no automatic forwarding that bypasses
//! the corporate mail system); the telehealth guides name Gmail, Hotmail, Yahoo, iCloud.
//!
//! ### Must not fire
//! Internal targets (accepted domains and their subdomains, `[domaines].internes`); external
//! non-public targets (FWD-EXT-01); disabled rules (FWD-DIS-01); a `ForwardingAddress` naming
//! an internal recipient. Disabled accounts and shared mailboxes are not spared.

use super::forwards;
use crate::checks::domains::TargetClass;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-PUB-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Critique,
    title_fr: "Redirection automatique vers une messagerie publique",
    reference: super::REFERENCE,
    doc: "Règle de boîte de réception activée ou redirection de boîte (ForwardingSmtpAddress, \
          ForwardingAddress vers un contact) vers une messagerie publique (liste livrée, ajustée par \
          [domaines]). Comptes désactivés et boîtes partagées compris ; gravité abaissée d'un cran si le \
          locataire bloquerait la redirection.",
    fix_fr: "supprimer la règle (Exchange Online PowerShell : Get-InboxRule -Mailbox <upn>, puis \
          Remove-InboxRule -Mailbox <upn> -Identity <règle>) ou retirer la redirection de la boîte \
          (centre d'administration Exchange > Destinataires > Boîtes aux lettres > la boîte > \
          Transfert de courrier ; ou Set-Mailbox -Identity <upn> -ForwardingSmtpAddress $null \
          -ForwardingAddress $null) ; puis bloquer la redirection externe du locataire (FWD-ORG-01).",
    needs: super::FORWARDS,
    tags: &[Tag::TenantCanBlock, Tag::SendsOutside, Tag::ByEvidence],
    requirements: &[
        &req::DIR04_6_1,
        &req::DIR04_6_2,
        &req::DIR04_6_4,
        &req::DIR04_6_5,
    ],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    forwards(s, config)
        .iter()
        .filter(|f| f.enabled && f.classified.class == TargetClass::Public)
        .map(|f| f.finding(CHECK.id, CHECK.severity))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_for_a_rule_and_a_mailbox_to_public_webmail() {
        let mut disabled = account("ancien", "Ancien employé");
        disabled.enabled = false;
        let mut s = snapshot(vec![account("jean", "Jean Tremblay"), disabled]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["smtp:Jean.T@GMAIL.COM "])];
        let mut shared = mailbox("accueil");
        shared.kind = "SharedMailbox".into();
        shared.forwarding_smtp = Some("smtp:accueil@Hotmail.fr".into());
        let mut old = mailbox("ancien");
        old.forwarding_smtp = Some("SMTP:ancien@icloud.com".into());
        s.mailboxes = vec![mailbox("jean"), shared, old];
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "accueil@cisss-test.ca#boite>accueil@hotmail.fr",
                "ancien@cisss-test.ca#boite>ancien@icloud.com",
                "jean@cisss-test.ca#regle:r1>jean.t@gmail.com",
            ]
        );
        assert!(f.iter().all(|f| f.severity == Severity::Critique));
        assert!(f.iter().all(|f| f.blocked_by_tenant == Some(false)));
        assert!(
            f[0].evidence.contains("type SharedMailbox"),
            "{}",
            f[0].evidence
        );
        assert!(
            f[1].evidence.contains("compte désactivé"),
            "{}",
            f[1].evidence
        );
        assert!(f[2].evidence.contains("Règle r1"), "{}", f[2].evidence);
    }

    #[test]
    fn tenant_blocking_lowers_the_severity_and_says_so() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.outbound_policies = vec![outbound("Automatic")];
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@gmail.com"])];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].severity, Severity::Elevee);
        assert_eq!(f[0].blocked_by_tenant, Some(true));
        assert!(
            f[0].evidence.contains("AutoForwardingMode = Automatic"),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains("critique → élevée"));
    }

    #[test]
    fn does_not_fire_for_internal_external_disabled_rule_or_internal_recipient() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        let mut off = inbox_rule("jean", "r2", &["x@gmail.com"]);
        off.enabled = false;
        s.inbox_rules = vec![
            inbox_rule(
                "jean",
                "r1",
                &[
                    "collegue@cisss-test.ca",
                    "x@labo.cisss-test.ca",
                    "y@ssss.gouv.qc.ca",
                    "z@clinique.ca",
                ],
            ),
            off,
        ];
        let mut m = mailbox("jean");
        m.forwarding_address = Some("Boîte partagée Accueil".into());
        s.mailboxes = vec![m];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn exception_in_force_and_expired() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@gmail.com"])];
        let subject = "jean@cisss-test.ca#regle:r1>x@gmail.com";
        let f = evaluated(
            &s,
            &config_with_exception(CHECK.id, subject, date(2027, 1, 1)),
            CHECK.id,
        );
        assert!(f[0].accepted.is_some());
        let f = evaluated(
            &s,
            &config_with_exception(CHECK.id, subject, date(2026, 1, 1)),
            CHECK.id,
        );
        assert_eq!(f[0].exception_expired, Some(date(2026, 1, 1)));
    }
}
