//! FWD-EXT-01 — Redirection automatique vers un domaine externe.
//!
//! ### What it does
//! Flags every enabled inbox rule and every mailbox forwarding that sends to an external
//! domain: outside the network, not a public webmail (FWD-PUB-01), and not an allowed partner
//! (`[domaines].partenaires`). A target that is not a readable address is reported here too,
//! as `invalide`: where it goes cannot be told, so it is not assumed internal. The severity
//! drops one step when the tenant's controls would block the forward, and the finding says so.
//!
//! ### Why
//! DIR04 art. 6 5°: no automatic forwarding, or any other mechanism, that bypasses the
//! corporate mail system; sending outside also requires an extra layer of encryption (art. 6
//! 3°), which a forward never applies.
//!
//! ### Must not fire
//! Internal targets, subdomains of internal domains included; partner domains; public targets
//! (FWD-PUB-01); disabled rules (FWD-DIS-01); a `ForwardingAddress` naming an internal
//! recipient; an Exchange legacy DN (internal).

use super::forwards;
use crate::checks::domains::TargetClass;
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::config::Config;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-EXT-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Redirection automatique vers un domaine externe",
    reference: super::REFERENCE,
    doc: "Règle de boîte de réception activée ou redirection de boîte vers un domaine externe qui n'est \
          ni interne, ni public, ni partenaire permis ; une cible illisible y est signalée comme \
          invalide. Comptes désactivés et boîtes partagées compris ; gravité abaissée d'un cran si le \
          locataire bloquerait la redirection.",
    fix_fr: "supprimer la règle (Exchange Online PowerShell : Remove-InboxRule -Mailbox <upn> \
          -Identity <règle>) ou retirer la redirection de la boîte (centre d'administration Exchange \
          > Destinataires > Boîtes aux lettres > la boîte > Transfert de courrier ; ou Set-Mailbox \
          -Identity <upn> -ForwardingSmtpAddress $null -ForwardingAddress $null) ; un partenaire \
          convenu s'ajoute à [domaines].partenaires.",
    needs: super::FORWARDS,
    tags: &[Tag::TenantCanBlock, Tag::SendsOutside, Tag::ByEvidence],
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
    use crate::config::DomainPattern;

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
    fn does_not_fire_for_partner_internal_subdomain_public_or_legacy_dn() {
        let mut c = config();
        c.domains.partners = vec![DomainPattern::Subdomains("pharmacies.ca".into())];
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![inbox_rule(
            "jean",
            "r1",
            &[
                "x@centre.pharmacies.ca",
                "y@urgence.CISSS-TEST.ca",
                "z@gmail.com",
                "/o=ExchangeLabs/ou=Exchange Administrative Group/cn=Recipients/cn=abc",
            ],
        )];
        assert!(run(&s, &c).is_empty());
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
