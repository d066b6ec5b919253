//! FWD-EXT-01 — Redirection automatique vers un domaine externe.
//!
//! ### What it does
//! Flags every enabled inbox rule and every mailbox forwarding that sends to an external
//! domain: outside the network and not a public webmail (FWD-PUB-01). A declared partner
//! (`[[partenaires]]`) does not silence it: its findings are « accepté » while the declaration
//! is in force, open again once it expires. A target that is not a readable address is reported here too,
//! as `invalide`: where it goes cannot be told, so it is not assumed internal. The severity
//! drops one step when the tenant's controls would block the forward, and the finding says so.
//!
//! ### Why
//! DIR04 art. 6 5°: no automatic forwarding, or any other mechanism, that bypasses the
//! corporate mail system; sending outside also requires an extra layer of encryption (art. 6
//! 3°), which a forward never applies.
//!
//! ### Must not fire
//! Internal targets, subdomains of internal domains included; public targets
//! (FWD-PUB-01); disabled rules (FWD-DIS-01); a `ForwardingAddress` naming an internal
//! recipient; an Exchange legacy DN (internal).

use super::forwards;
use crate::checks::domains::TargetClass;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-EXT-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Redirection automatique vers un domaine externe",
    reference: "MSSS-DIR04, art. 6 5°",
    doc: "Règle de boîte de réception activée ou redirection de boîte vers un domaine externe qui n'est \
          ni interne ni public ; vers un partenaire déclaré, le constat est listé « accepté » tant que \
          la déclaration est en vigueur ; une cible illisible y est signalée comme invalide. Comptes désactivés et boîtes partagées compris ; gravité abaissée d'un cran si le \
          locataire bloquerait la redirection.",
    fix_fr: "supprimer la règle (Exchange Online PowerShell : Remove-InboxRule -Mailbox <upn> \
          -Identity <règle>) ou retirer la redirection de la boîte (centre d'administration Exchange \
          > Destinataires > Boîtes aux lettres > la boîte > Transfert de courrier ; ou Set-Mailbox \
          -Identity <upn> -ForwardingSmtpAddress $null -ForwardingAddress $null) ; un partenaire \
          convenu se déclare en [[partenaires]] (justification, responsable, expiration).",
    needs: super::FORWARDS,
    tags: &[Tag::TenantCanBlock, Tag::SendsOutside, Tag::ByEvidence],
    requirements: &[&req::DIR04_6_2, &req::DIR04_6_5],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    forwards(s, config)
        .iter()
        .filter(|f| f.enabled && f.goes_outside() && f.classified.class != TargetClass::Public)
        .map(|f| f.finding(CHECK.id, CHECK.severity))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_for_external_idn_and_unreadable_targets() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule(
            "jean",
            "r1",
            &["smtp:x@Sub.Hôpital-Privé.ca", "Jean Perso"],
        )];
        let mut m = mailbox("jean");
        m.forwarding_smtp = Some("smtp:jean@clinique-privee.ca".into());
        s.mailboxes = vec![m];
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "jean@cisss-test.ca#boite>jean@clinique-privee.ca",
                "jean@cisss-test.ca#regle:r1>jean perso",
                "jean@cisss-test.ca#regle:r1>x@sub.xn--hpital-priv-lbb6k.ca",
            ]
        );
        assert!(f.iter().all(|f| f.severity == Severity::Elevee));
        assert!(
            f[1].evidence.contains("classe invalide"),
            "{}",
            f[1].evidence
        );
    }

    #[test]
    fn blocked_by_the_remote_domain_drops_to_moyenne() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.remote_domains = vec![remote("*", false)];
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@clinique.ca"])];
        let f = run(&s, &config());
        assert_eq!(f[0].severity, Severity::Moyenne);
        assert_eq!(f[0].blocked_by_tenant, Some(true));
        assert!(f[0].evidence.contains("AutoForwardEnabled = false"));
    }

    #[test]
    fn does_not_fire_for_internal_subdomain_public_or_legacy_dn() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule(
            "jean",
            "r1",
            &[
                "y@urgence.CISSS-TEST.ca",
                "w@chum.ssss.gouv.qc.ca",
                "v@msss.gouv.qc.ca",
                "z@gmail.com",
                "/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=abc",
            ],
        )];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn a_ministry_outside_the_network_is_external() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@mcn.gouv.qc.ca"])];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(f[0].evidence.contains("(externe)"), "{}", f[0].evidence);
    }

    #[test]
    fn a_partner_is_accepted_while_declared_then_open_again() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@centre.pharmacies.ca"])];
        let c = config_with_partner("*.pharmacies.ca", date(2026, 6, 30));
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1, "a partner does not silence the finding");
        let a = f[0].accepted.as_ref().expect("accepted");
        assert!(
            a.justification
                .contains("partenaire déclaré (*.pharmacies.ca)")
        );
        assert_eq!(a.expires, date(2026, 6, 30));
        assert!(
            f[0].evidence.contains("partenaire déclaré"),
            "{}",
            f[0].evidence
        );
        let expired = config_with_partner("*.pharmacies.ca", date(2026, 3, 10));
        let f = evaluated(&s, &expired, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].accepted.is_none(), "expires on its date");
        assert_eq!(f[0].exception_expired, Some(date(2026, 3, 10)));
        let other = config_with_partner("pharmacies.ca", date(2026, 6, 30));
        let f = evaluated(&s, &other, CHECK.id);
        assert!(
            f[0].accepted.is_none(),
            "pharmacies.ca does not cover its subdomains"
        );
    }

    #[test]
    fn unknown_tenant_controls_keep_the_severity() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.sources.remove("exchange-outbound-spam-policies");
        s.inbox_rules = vec![inbox_rule("jean", "r1", &["x@clinique.ca"])];
        let f = run(&s, &config());
        assert_eq!(f[0].severity, Severity::Elevee);
        assert_eq!(f[0].blocked_by_tenant, None);
        assert!(f[0].evidence.contains("blocage par le locataire inconnu"));
    }
}
