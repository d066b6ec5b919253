//! FWD-TRN-01 — Règle de transport redirigeant vers l'externe.
//!
//! ### What it does
//! Flags every enabled transport rule that redirects (`RedirectMessageTo`), copies (`CopyTo`)
//! or blind-copies (`BlindCopyTo`) messages to a public or external domain, partners
//! included (RULES.md: "public or external"; a partner declaration accepts a person's forwarding,
//! FWD-EXT-01, not a copy of the tenant's mail flow; a sanctioned flow is an exception). A
//! recipient given by name is resolved like a mailbox's `ForwardingAddress` (contact, mail
//! user, distribution group's members, tenant account); one nothing explains is reported as
//! « destinataire non résolu », never read as internal. One finding per (rule, target), with
//! subject `transport:{rule name}>{target}`.
//!
//! ### Why
//! DIR04 art. 6 5°: a transport rule is a tenant-wide mechanism that sends mail outside the
//! corporate system without anyone's mailbox showing it. The tenant's automatic forwarding
//! controls (outbound spam policy, remote domains) do not apply to transport rules, so the
//! severity never drops.
//!
//! ### Must not fire
//! Disabled rules; internal targets, including recipients named by identity that resolve to
//! the tenant (a group of internal members, an account of the directory).

use std::collections::BTreeMap;

use super::resolve::{Resolution, resolve};
use crate::checks::common::{bounded, list};
use crate::checks::domains::Target;
use crate::checks::domains::{Classifier, TargetClass};
use crate::checks::{CheckInfo, Family, Finding, Kind, Severity, Snapshot, Tag};
use crate::classify::Population;
use crate::config::Config;
use crate::requirements as req;

pub static CHECK: CheckInfo = CheckInfo {
    id: "FWD-TRN-01",
    family: Family::Redirections,
    kind: Kind::State,
    severity: Severity::Elevee,
    title_fr: "Règle de transport redirigeant vers l'externe",
    reference: "MSSS-DIR04, art. 6 5° (« tout autre mécanisme de contournement ») et 9 1°",
    doc: "Règle de transport activée qui redirige, copie ou copie cachée vers un domaine public ou \
          externe, partenaires compris : la déclaration d'un partenaire accepte la redirection d'une personne \
          (FWD-EXT-01), pas la copie du flux du locataire (un flux convenu se déclare en exception). \
          Les contrôles de redirection du locataire ne s'y appliquent pas : la gravité n'est pas \
          abaissée.",
    fix_fr: "désactiver ou supprimer la règle de transport : centre d'administration Exchange > \
          Flux de courrier > Règles > la règle > Désactiver (ou Disable-TransportRule -Identity \
          <règle>, Remove-TransportRule -Identity <règle>) ; un flux convenu avec un partenaire se \
          déclare en [[exceptions]].",
    needs: &[
        "exchange-transport-rules",
        "exchange-accepted-domains",
        "exchange-mail-contacts",
    ],
    tags: &[Tag::SendsOutside, Tag::TenantLevel],
    requirements: &[&req::DIR04_6_5],
    run,
};

/// One (rule, target) pair: the rule's name, the target as the evidence names it, and the
/// actions that send there.
struct Hit {
    rule: String,
    target: String,
    how: Vec<String>,
}

pub fn run(s: &Snapshot, config: &Config) -> Vec<Finding> {
    let classifier = Classifier::new(s, config);
    let mut out: BTreeMap<String, Hit> = BTreeMap::new();
    for r in s.transport_rules.iter().filter(|r| r.enabled) {
        let actions = [
            ("RedirectMessageTo", &r.redirect_to),
            ("CopyTo", &r.copy_to),
            ("BlindCopyTo", &r.blind_copy_to),
        ];
        for (action, recipients) in actions {
            for raw in recipients {
                let resolved: Vec<(Target, Option<String>)> = match resolve(s, raw) {
                    Resolution::Targets(list) => list
                        .into_iter()
                        .map(|(t, via)| (t, (!via.is_empty()).then_some(via)))
                        .collect(),
                    // An internal recipient named by identity.
                    Resolution::Internal(_) => continue,
                    Resolution::Unresolved(why) => vec![(
                        Target::parse(&format!("(non résolu) {}", raw.trim())),
                        Some(format!("destinataire non résolu : {why}")),
                    )],
                    Resolution::Unknown(sources) => vec![(
                        Target::parse(&format!("(non résolu) {}", raw.trim())),
                        Some(format!(
                            "destinataire non résolu faute des sources {}",
                            sources.join(", ")
                        )),
                    )],
                };
                for (target, contact) in resolved {
                    let c = classifier.classify(&target);
                    if c.class == TargetClass::Internal {
                        continue;
                    }
                    let subject = format!("transport:{}>{}", r.name.trim(), target.address);
                    let hit = out.entry(subject).or_insert_with(|| Hit {
                        rule: r.name.trim().to_string(),
                        target: match c.class {
                            TargetClass::Invalid => format!(
                                "« {} » (pas une adresse lisible, classe invalide, traitée comme \
                             externe)",
                                raw.trim()
                            ),
                            _ => format!("{} ({})", target.address, c.label_fr()),
                        },
                        how: Vec::new(),
                    });
                    let how = match contact {
                        Some(contact) => format!("{action} ({contact})"),
                        None => action.to_string(),
                    };
                    if !hit.how.contains(&how) {
                        hit.how.push(how);
                    }
                }
            }
        }
    }
    out.into_iter()
        .map(|(subject, hit)| {
            let mut f = Finding::new(
                CHECK.id,
                subject,
                CHECK.severity,
                Population::Tous,
                bounded(format!(
                    "règle de transport « {} » (activée) : {} vers {} ; les contrôles de \
                     redirection automatique du locataire (stratégie sortante, domaines \
                     distants) ne s'appliquent pas aux règles de transport",
                    hit.rule,
                    list(&hit.how),
                    hit.target
                )),
            );
            f.blocked_by_tenant = Some(false);
            f
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn fires_for_redirect_copy_and_blind_copy_outside() {
        let mut s = snapshot(vec![]);
        mail_tenant(&mut s);
        s.outbound_policies = vec![outbound("Off")];
        s.mail_contacts = vec![contact("Archives perso", "smtp:archives@GMAIL.com")];
        let mut r = transport("Copie direction");
        r.redirect_to = vec!["x@clinique.ca".into()];
        r.copy_to = vec!["Archives perso".into(), "collegue@cisss-test.ca".into()];
        r.blind_copy_to = vec!["archives@gmail.com".into()];
        s.transport_rules = vec![r];
        let f = run(&s, &config());
        let subjects: Vec<&str> = f.iter().map(|f| f.subject.as_str()).collect();
        assert_eq!(
            subjects,
            [
                "transport:Copie direction>archives@gmail.com",
                "transport:Copie direction>x@clinique.ca",
            ]
        );
        // Tenant controls do not apply: no drop, even with forwarding Off.
        assert!(f.iter().all(|f| f.severity == Severity::Elevee));
        assert!(f.iter().all(|f| f.population == Population::Tous));
        assert!(
            f[0].evidence
                .contains("CopyTo (contact de messagerie « Archives perso »"),
            "{}",
            f[0].evidence
        );
        assert!(f[0].evidence.contains("BlindCopyTo"));
    }

    #[test]
    fn does_not_fire_for_disabled_internal_or_named_internal_recipient() {
        let mut s = snapshot(vec![]);
        mail_tenant(&mut s);
        let mut off = transport("Ancienne règle");
        off.enabled = false;
        off.redirect_to = vec!["x@gmail.com".into()];
        let mut on = transport("Copie archives");
        on.copy_to = vec!["Service des archives".into(), "a@sub.cisss-test.ca".into()];
        s.transport_rules = vec![off, on];
        s.distribution_groups = vec![crate::model::DistributionGroup {
            identity: "Service des archives".into(),
            found: true,
            members: vec![crate::model::GroupRecipient {
                identity: "Archiviste".into(),
                name: "Archiviste".into(),
                kind: "UserMailbox".into(),
                primary_smtp: Some("archiviste@cisss-test.ca".into()),
                external_address: None,
            }],
        }];
        assert!(run(&s, &config()).is_empty());
    }

    #[test]
    fn a_name_no_recipient_explains_is_reported_not_read_as_internal() {
        let mut s = snapshot(vec![]);
        mail_tenant(&mut s);
        let mut on = transport("Copie archives");
        on.copy_to = vec!["Service disparu".into()];
        s.transport_rules = vec![on];
        let f = run(&s, &config());
        assert_eq!(f.len(), 1);
        assert!(
            f[0].evidence.contains("destinataire non résolu"),
            "{}",
            f[0].evidence
        );
    }

    #[test]
    fn a_partner_domain_is_still_outside_for_a_transport_rule() {
        let c = config_with_partner("labo-partenaire.ca", date(2027, 1, 1));
        let mut s = snapshot(vec![]);
        mail_tenant(&mut s);
        let mut on = transport("Copie labo");
        on.copy_to = vec!["resultats@labo-partenaire.ca".into()];
        s.transport_rules = vec![on];
        let f = run(&s, &c);
        assert_eq!(f.len(), 1);
        assert_eq!(
            f[0].subject,
            "transport:Copie labo>resultats@labo-partenaire.ca"
        );
        assert!(
            f[0].evidence.contains("partenaire déclaré"),
            "{}",
            f[0].evidence
        );
    }
}
