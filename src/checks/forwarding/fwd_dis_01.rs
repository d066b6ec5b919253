//! FWD-DIS-01 — Règle de redirection désactivée vers l'externe.
//!
//! ### What it does
//! Flags every disabled inbox rule that would forward to a public or external domain (or to
//! an unreadable target) if it were switched on; to a declared partner, « accepté » while its
//! declaration is in force. The severity drops one step
//! when the tenant's controls would block the forward.
//!
//! ### Why
//! DIR04 art. 6 5°: a disabled rule can be switched on at any time by its owner; it records
//! the intent to bypass the corporate mail system.
//!
//! ### Must not fire
//! Enabled rules (FWD-PUB-01 / FWD-EXT-01 report them); internal targets; mailbox
//! forwarding (it has no disabled state).

use super::{Origin, forwards};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-DIS-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Faible,
    title_fr: "Règle de redirection désactivée vers l'externe",
    reference: "Bonne pratique : prévention, MSSS-DIR04, art. 6 5° (une règle désactivée ne redirige pas encore)",
    doc: "Règle de boîte de réception désactivée qui redirigerait vers un domaine public ou externe \
          (partenaire déclaré : « accepté ») : elle peut être réactivée à tout moment. Gravité abaissée d'un cran si le locataire \
          bloquerait la redirection.",
    fix_fr: "supprimer la règle désactivée, qui peut être réactivée à tout moment (Exchange Online \
          PowerShell : Remove-InboxRule -Mailbox <upn> -Identity <règle>, ou Outlook sur le web > \
          Paramètres > Courrier > Règles pour la boîte concernée) ; puis bloquer la redirection \
          externe du locataire (FWD-ORG-01).",
    needs: &["users", "message-rules", "exchange-accepted-domains"],
    tags: &[Tag::TenantCanBlock],
    requirements: &[&req::DIR04_6_4, &req::DIR04_6_5],
    run,
};

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    forwards(s, config)
        .iter()
        .filter(|f| matches!(f.origin, Origin::Rule { .. }) && !f.enabled && f.goes_outside())
        .map(|f| f.finding(CHECK.id, CHECK.severity))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    fn disabled_rule(targets: &[&str]) -> crate::model::InboxRule {
        let mut r = inbox_rule("jean", "r9", targets);
        r.enabled = false;
        r
    }

    #[test]
    fn fires_for_a_disabled_rule_to_public_or_external_only() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![disabled_rule(&["x@gmail.com", "y@clinique.ca"])];
        let f = run(&s, &config());
        assert_eq!(f.len(), 2);
        assert!(f.iter().all(|f| f.severity == Severity::Faible));
        assert!(f[0].evidence.contains("désactivée"), "{}", f[0].evidence);
        // The enabled-rule checks stay silent about it.
        assert!(super::super::fwd_pub_01::run(&s, &config()).is_empty());
        assert!(super::super::fwd_ext_01::run(&s, &config()).is_empty());
    }

    #[test]
    fn blocked_drops_to_info() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.outbound_policies = vec![outbound("Off")];
        s.inbox_rules = vec![disabled_rule(&["x@gmail.com"])];
        let f = run(&s, &config());
        assert_eq!(
            (f[0].severity, f[0].blocked_by_tenant),
            (Severity::Info, Some(true))
        );
    }

    #[test]
    fn does_not_fire_for_enabled_or_internal_and_accepts_a_partner() {
        let c = config_with_partner("clinique.ca", date(2027, 1, 1));
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.inbox_rules = vec![
            disabled_rule(&["a@cisss-test.ca", "b@clinique.ca"]),
            inbox_rule("jean", "r1", &["x@gmail.com"]),
        ];
        let mut m = mailbox("jean");
        m.forwarding_smtp = Some("smtp:x@gmail.com".into());
        s.mailboxes = vec![m];
        let f = evaluated(&s, &c, CHECK.id);
        assert_eq!(f.len(), 1);
        assert!(f[0].subject.ends_with(">b@clinique.ca"), "{}", f[0].subject);
        assert!(f[0].is_accepted());
    }
}
