//! Mail: inbox rules, mailbox forwarding, contacts and the Exchange tenant settings.

use super::*;

/// A recipient of an inbox rule action, spelled as the user typed it.
#[derive(Clone, Debug)]
pub(crate) struct Recipient {
    pub name: String,
    pub address: String,
}

#[derive(Clone, Debug)]
pub(crate) struct InboxRule {
    pub id: String,
    pub name: String,
    pub sequence: u32,
    pub enabled: bool,
    pub forward_to: Vec<Recipient>,
    pub forward_as_attachment_to: Vec<Recipient>,
    pub redirect_to: Vec<Recipient>,
    /// `redirectTo` rendered as one object instead of a list (documented both ways).
    pub redirect_as_object: bool,
    pub move_to_folder: bool,
    pub subject_contains: Option<String>,
}

impl InboxRule {
    pub(crate) fn targets(&self) -> impl Iterator<Item = &Recipient> {
        self.forward_to
            .iter()
            .chain(&self.forward_as_attachment_to)
            .chain(&self.redirect_to)
    }
}

/// Mailbox-level forwarding (Exchange).
#[derive(Clone, Debug, Default)]
pub(crate) struct MailboxForwarding {
    /// `ForwardingSmtpAddress` as Exchange shows it (`smtp:x@y`).
    pub smtp: Option<String>,
    /// `ForwardingAddress`: a mail contact, by index of the mailbox that owns it.
    pub contact: Option<u32>,
    /// `ForwardingAddress` given by name: a mail user, a distribution group, a mailbox's
    /// alias, or a name nothing explains (see [`Scenario::mail_users`],
    /// [`Scenario::distribution_groups`]).
    pub named: Option<&'static str>,
    pub deliver_and_forward: bool,
}

/// A mail contact (Get-MailContact).
#[derive(Clone, Debug)]
pub(crate) struct Contact {
    pub index: u32,
    pub name: String,
    pub external: String,
}

#[derive(Clone, Debug)]
pub(crate) struct TransportRule {
    pub guid: String,
    pub name: &'static str,
    pub enabled: bool,
    pub priority: u32,
    pub redirect: Vec<&'static str>,
    pub copy: Vec<&'static str>,
    pub bcc: Vec<&'static str>,
}

#[derive(Clone, Debug)]
pub(crate) struct RemoteDomain {
    pub name: &'static str,
    pub domain: &'static str,
    pub auto_forward: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct OutboundPolicy {
    pub name: &'static str,
    pub is_default: bool,
    pub mode: &'static str,
}

#[derive(Clone, Debug)]
pub(crate) struct AcceptedDomain {
    pub name: &'static str,
    pub domain: &'static str,
    pub initial: bool,
    pub default: bool,
}

impl Scenario {
    pub(super) fn rule_id(&self, i: u32, slot: u64) -> String {
        let x = h(self.seed, &[tag::RULE, i as u64, slot, 99]);
        let mut bytes = [0u8; 12];
        bytes[..4].copy_from_slice(&[1, 0, 0, 0]);
        bytes[4..].copy_from_slice(&x.to_le_bytes());
        let mut s = hash::b64url(&bytes);
        s = s.replace('-', "+").replace('_', "/");
        s.push('=');
        s
    }

    pub(super) fn rcpt(address: &str) -> Recipient {
        let name = address
            .trim()
            .trim_start_matches("smtp:")
            .split('@')
            .next()
            .unwrap_or("")
            .to_string();
        Recipient {
            name,
            address: address.to_string(),
        }
    }

    /// Inbox rules of a mailbox on a day.
    pub(crate) fn inbox_rules(&self, acc: &Account, day: i32) -> Vec<InboxRule> {
        if !acc.has_mailbox() {
            return vec![];
        }
        match key(acc.index) {
            Some(k) => self.scripted_inbox_rules(k, acc.index, day),
            None => self.generated_inbox_rules(acc, day),
        }
    }

    /// An enabled rule with no condition and no action yet.
    fn inbox_rule(&self, i: u32, slot: u64, name: &str) -> InboxRule {
        InboxRule {
            id: self.rule_id(i, slot),
            name: self.spelled(name),
            sequence: slot as u32 + 1,
            enabled: true,
            forward_to: vec![],
            forward_as_attachment_to: vec![],
            redirect_to: vec![],
            redirect_as_object: false,
            move_to_folder: false,
            subject_contains: None,
        }
    }

    /// The inbox rules of the scripted mailboxes (see the table in `truth.rs`).
    fn scripted_inbox_rules(&self, k: S, i: u32, day: i32) -> Vec<InboxRule> {
        let rule = |name: &str| self.inbox_rule(i, 0, name);
        let r = Self::rcpt;
        let x = match k {
            S::CaronMed => InboxRule {
                forward_as_attachment_to: vec![r(" Dr.Caron@yahoo.ca ")],
                ..rule("Copie vers mon courriel personnel")
            },
            S::IsabelleMorin => InboxRule {
                forward_to: vec![r("Isabelle.Morin1979@gmail.com")],
                ..rule("Transfert")
            },
            S::PierreGauthier => InboxRule {
                redirect_to: vec![r("pgauthier@HOTMAIL.COM")],
                redirect_as_object: true,
                ..rule("Redirection maison")
            },
            S::NathalieOuellet => InboxRule {
                forward_to: vec![r("smtp:n.ouellet@consultants-sante.com")],
                ..rule("Suivi mandat externe")
            },
            S::EricLavoie => InboxRule {
                forward_to: vec![r("eric.lavoie@hopitalpartenaire.org")],
                ..rule("Garde partagée avec l'hôpital partenaire")
            },
            S::ChantalGirard => InboxRule {
                forward_to: vec![
                    r("c.girard@ssss.gouv.qc.ca"),
                    r("archives@dossiers.cisss-troisrives.ca"),
                    r("chantal@ti.msss.gouv.qc.ca"),
                    r("chantal.girard@mcn.gouv.qc.ca"),
                ],
                ..rule("Copies internes")
            },
            S::AlainFortin => InboxRule {
                enabled: false,
                forward_to: vec![r("alain.fortin@gmail.com")],
                ..rule("Vacances (désactivée)")
            },
            S::GenevieveBelanger => InboxRule {
                forward_to: vec![r("gbelanger@outlook.fr")],
                ..rule("Tout envoyer chez moi")
            },
            S::StephaneCote if (5..20).contains(&day) => InboxRule {
                forward_to: vec![r("s.cote.perso@gmail.com")],
                ..rule("Transfert temporaire")
            },
            S::MelaniePoirier => InboxRule {
                forward_to: vec![r("MPoirier@Gmail.com")],
                redirect_to: vec![r("mpoirier@gmail.com")],
                ..rule("Double envoi")
            },
            S::DanielMichaud => InboxRule {
                redirect_to: vec![
                    r(" d.michaud@icloud.com "),
                    r("daniel.michaud@ssss.gouv.qc.ca"),
                ],
                ..rule("Redirections")
            },
            S::KarineLeblanc => {
                return vec![
                    self.filing_rule(i, 0, "Infolettres", "Infolettre"),
                    self.filing_rule(i, 1, "Rappels", "Rappel"),
                ];
            }
            _ => return vec![],
        };
        vec![x]
    }

    /// A rule that files messages whose subject contains a word, forwarding nothing.
    fn filing_rule(&self, i: u32, slot: u64, name: &str, word: &str) -> InboxRule {
        InboxRule {
            move_to_folder: true,
            subject_contains: Some(word.into()),
            ..self.inbox_rule(i, slot, name)
        }
    }

    /// About 4 % of the generated mailboxes file newsletters; about 0.6 % forward
    /// automatically during a stretch of days.
    fn generated_inbox_rules(&self, acc: &Account, day: i32) -> Vec<InboxRule> {
        let i = acc.index;
        let x = h(self.seed, &[tag::RULE, i as u64]);
        let u = unit(x);
        let mut out = Vec::new();
        if u < 0.04 {
            out.push(self.filing_rule(i, 0, "Classer les infolettres", "Infolettre"));
        }
        let f = unit(h(self.seed, &[tag::RULE, i as u64, 1]));
        if f < 0.006 {
            out.extend(self.bulk_forwarding_rule(acc, day));
        }
        out
    }

    /// The automatic forwarding rule of a generated mailbox, if active on the day.
    fn bulk_forwarding_rule(&self, acc: &Account, day: i32) -> Option<InboxRule> {
        let i = acc.index;
        let mut rr = Rng::new(self.seed, &[tag::RULE, i as u64, 2]);
        let from = rr.range(-200, 300) as i32;
        let to = from + rr.range(10, 400) as i32;
        if !(from..to).contains(&day) {
            return None;
        }
        let r = Self::rcpt;
        let address = self.bulk_target(acc, &mut rr);
        let mut y = self.inbox_rule(i, 1, "Transfert automatique");
        y.enabled = rr.unit() < 0.85;
        let a = rr.unit();
        if a < 0.6 {
            y.forward_to = vec![r(&address)];
        } else if a < 0.85 {
            y.redirect_to = vec![r(&address)];
            y.redirect_as_object = rr.unit() < 0.5;
        } else {
            y.forward_as_attachment_to = vec![r(&address)];
        }
        Some(y)
    }

    /// A forwarding target with Microsoft's spelling quirks.
    pub(super) fn bulk_target(&self, acc: &Account, rr: &mut Rng) -> String {
        let local = acc
            .upn
            .split('@')
            .next()
            .unwrap_or("x")
            .replace(".med", "")
            .to_string();
        let c = rr.unit();
        let domain = if c < 0.5 {
            rr.pick(names::PUBLIC_TARGETS).to_string()
        } else if c < 0.7 {
            rr.pick(names::EXTERNAL_TARGETS).to_string()
        } else if c < 0.8 {
            PARTNER_DOMAIN.to_string()
        } else {
            rr.pick(&[RSSS_DOMAIN, ORG_DOMAIN, "ti.msss.gouv.qc.ca"])
                .to_string()
        };
        let mut address = format!("{}@{}", local, domain);
        let q = rr.unit();
        if q < 0.2 {
            address = format!("{}@{}", local, domain.to_uppercase());
        } else if q < 0.3 {
            address = format!(" {} ", address);
        } else if q < 0.4 {
            address = format!("smtp:{}", address);
        }
        address
    }

    /// Mailbox-level forwarding on a day.
    pub(crate) fn mailbox_forwarding(&self, acc: &Account, day: i32) -> MailboxForwarding {
        let mut out = MailboxForwarding::default();
        if !acc.has_mailbox() {
            return out;
        }
        let i = acc.index;
        if let Some(k) = key(i) {
            match k {
                S::TabLachine2 => {
                    out.smtp = Some("smtp:tablette2.lachine@gmail.com".into());
                }
                S::SharedAccueilVerdun => {
                    out.smtp = Some("SMTP:accueil.verdun@Videotron.ca".into());
                    out.deliver_and_forward = true;
                }
                S::SharedDossiersLachine => out.contact = Some(i),
                S::SylvieTremblayMed if day >= 15 => {
                    out.smtp = Some("smtp:sylvie.tremblay@protonmail.com".into());
                }
                S::RobertGagne => {
                    out.smtp = Some("smtp:robert.gagne@hopitalpartenaire.org".into());
                    out.deliver_and_forward = true;
                }
                S::MartineDube => {
                    out.smtp = Some("smtp:martine.dube@cisss-troisrives.ca".into());
                }
                S::KarineLeblanc => out.named = Some(MAIL_USER_ROY),
                S::LucBouchard => out.named = Some(GROUP_GARDE),
                S::SophieRoy => out.named = Some(GROUP_CYCLE_A),
                S::JulieGagnon => out.named = Some(UNRESOLVED_NAME),
                S::ChantalGirard => out.named = Some("martine.dube-pilon"),
                _ => {}
            }
            return out;
        }
        let x = unit(h(self.seed, &[tag::FWD, i as u64]));
        if x < 0.003 {
            let mut rr = Rng::new(self.seed, &[tag::FWD, i as u64, 1]);
            let from = rr.range(-200, 300) as i32;
            let to = from + rr.range(10, 400) as i32;
            if (from..to).contains(&day) {
                let t = self.bulk_target(acc, &mut rr);
                out.smtp = Some(format!("smtp:{}", t.trim().trim_start_matches("smtp:")));
                out.deliver_and_forward = rr.unit() < 0.5;
            }
        } else if x < 0.004 {
            out.contact = Some(i);
            out.deliver_and_forward = true;
        }
        out
    }

    /// The mail contact owned by mailbox index i (used as its `ForwardingAddress`).
    pub(crate) fn contact(&self, i: u32) -> Option<Contact> {
        if key(i) == Some(S::SharedDossiersLachine) {
            return Some(Contact {
                index: i,
                name: "Dr Externe (clinique Étoile)".into(),
                external: "SMTP:dr.externe@clinique-étoile.ca".into(),
            });
        }
        if i < SCRIPTED.len() as u32 || i >= self.accounts {
            return None;
        }
        let x = unit(h(self.seed, &[tag::FWD, i as u64]));
        if !(0.003..0.004).contains(&x) || self.kind_of(i) == Guest {
            return None;
        }
        let (f, l, _) = self.person_name(i);
        let mut rr = Rng::new(self.seed, &[tag::FWD, i as u64, 3]);
        let dom = if rr.unit() < 0.6 {
            rr.pick(names::PUBLIC_TARGETS)
        } else {
            rr.pick(names::EXTERNAL_TARGETS)
        };
        Some(Contact {
            index: i,
            name: format!("{} {} (contact {})", f, l, i),
            external: format!(
                "SMTP:{}.{}@{}",
                names::ascii_slug(f),
                names::ascii_slug(l),
                dom
            ),
        })
    }

    pub(crate) fn transport_rules(&self, day: i32) -> Vec<TransportRule> {
        let g = |n: u32| object_id(self.seed, kind::POLICY, 100 + n);
        let mut out = vec![
            TransportRule {
                guid: g(0),
                name: "Copie cachée du comité vers le consultant",
                enabled: true,
                priority: 0,
                redirect: vec![],
                copy: vec![],
                bcc: vec!["audit@consultants-sante.com"],
            },
            TransportRule {
                guid: g(1),
                name: "Journalisation externe (désactivée)",
                enabled: false,
                priority: 1,
                redirect: vec![],
                copy: vec!["archive.cisss@gmail.com"],
                bcc: vec![],
            },
            TransportRule {
                guid: g(2),
                name: "Redirection vers l'archivage interne",
                enabled: true,
                priority: 2,
                redirect: vec!["archives@dossiers.cisss-troisrives.ca"],
                copy: vec![],
                bcc: vec![],
            },
            TransportRule {
                guid: g(3),
                name: "Avertissement courriel externe",
                enabled: true,
                priority: 3,
                redirect: vec![],
                copy: vec![],
                bcc: vec![],
            },
        ];
        if (40..80).contains(&day) {
            out.push(TransportRule {
                guid: g(4),
                name: "Copie de la direction vers une messagerie personnelle",
                enabled: true,
                priority: 4,
                redirect: vec![],
                copy: vec!["Direction.Adjointe@GMAIL.com"],
                bcc: vec![],
            });
        }
        if self.tenant_controls(day).azure_rms_licensing {
            out.push(TransportRule {
                guid: g(5),
                name: super::controls::OME_RULE,
                enabled: true,
                priority: 5,
                redirect: vec![],
                copy: vec![],
                bcc: vec![],
            });
        }
        out
    }

    pub(crate) fn remote_domains(&self, day: i32) -> Vec<RemoteDomain> {
        vec![
            RemoteDomain {
                name: "Default",
                domain: "*",
                auto_forward: day < 60,
            },
            RemoteDomain {
                name: "Hôpital partenaire",
                domain: PARTNER_DOMAIN,
                auto_forward: day < 150,
            },
            RemoteDomain {
                name: "Hotmail",
                domain: "hotmail.com",
                auto_forward: false,
            },
        ]
    }

    pub(crate) fn outbound_policies(&self, day: i32) -> Vec<OutboundPolicy> {
        let mode = if day < 10 {
            "Automatic"
        } else if day < 45 {
            "On"
        } else if day < 200 {
            "Off"
        } else {
            "Automatic"
        };
        vec![
            OutboundPolicy {
                name: "Default",
                is_default: true,
                mode,
            },
            OutboundPolicy {
                name: POLICY_DIRECTION,
                is_default: false,
                mode: "On",
            },
            OutboundPolicy {
                name: POLICY_SHARED,
                is_default: false,
                mode: "Off",
            },
        ]
    }

    pub(crate) fn accepted_domains(&self) -> Vec<AcceptedDomain> {
        vec![
            AcceptedDomain {
                name: "ssss.gouv.qc.ca",
                domain: RSSS_DOMAIN,
                initial: false,
                default: true,
            },
            AcceptedDomain {
                name: "cisss-troisrives.ca",
                domain: ORG_DOMAIN,
                initial: false,
                default: false,
            },
            AcceptedDomain {
                name: TENANT_DOMAIN,
                domain: TENANT_DOMAIN,
                initial: true,
                default: false,
            },
            AcceptedDomain {
                name: MAIL_DOMAIN,
                domain: MAIL_DOMAIN,
                initial: false,
                default: false,
            },
        ]
    }
}

/// The mail user Karine Leblanc's mailbox forwards to.
pub(crate) const MAIL_USER_ROY: &str = "Consultant Roy (utilisateur de messagerie)";
/// A group whose external members sit two levels down (Luc Bouchard's forward).
pub(crate) const GROUP_GARDE: &str = "Liste de garde médicale";
/// Two groups that contain each other (Sophie Roy's forward).
pub(crate) const GROUP_CYCLE_A: &str = "Liste A (cycle)";
pub(crate) const GROUP_CYCLE_B: &str = "Liste B (cycle)";
/// The group an outbound spam filter rule scopes.
pub(crate) const GROUP_DIRECTION: &str = "Comité de direction";
/// A name no recipient carries (Julie Gagnon's forward).
pub(crate) const UNRESOLVED_NAME: &str = "Ancien stagiaire (compte supprimé)";
/// The custom outbound policies.
pub(crate) const POLICY_DIRECTION: &str = "Direction - transfert autorisé";
pub(crate) const POLICY_SHARED: &str = "Comptes partagés - transfert bloqué";

/// A mail user (Get-MailUser).
#[derive(Clone, Debug)]
pub(crate) struct MailUser {
    pub name: &'static str,
    pub alias: &'static str,
    pub external: &'static str,
}

/// A direct member of a distribution group.
#[derive(Clone, Debug)]
pub(crate) enum Member {
    /// A scripted account's mailbox.
    Mailbox(S),
    /// A mail contact: name and external address.
    Contact(&'static str, &'static str),
    /// A mail user, by name.
    MailUser(&'static str),
    /// A nested group, by name.
    Group(&'static str),
}

/// A distribution group and its direct members.
#[derive(Clone, Debug)]
pub(crate) struct DistGroup {
    pub name: &'static str,
    pub members: Vec<Member>,
}

/// An outbound spam filter rule (Get-HostedOutboundSpamFilterRule).
#[derive(Clone, Debug)]
pub(crate) struct OutboundRule {
    pub name: &'static str,
    pub policy: &'static str,
    pub enabled: bool,
    pub priority: u32,
    pub from: Vec<String>,
    pub from_member_of: Vec<&'static str>,
    pub sender_domain_is: Vec<&'static str>,
    pub except_if_from: Vec<String>,
}

impl Scenario {
    pub(crate) fn mail_users(&self) -> Vec<MailUser> {
        vec![
            MailUser {
                name: MAIL_USER_ROY,
                alias: "consultant.roy",
                external: "SMTP:c.roy@conseil-sante.ca",
            },
            MailUser {
                name: "Résidente Lambert (université)",
                alias: "residente.lambert",
                external: "SMTP:a.lambert@umontreal.ca",
            },
        ]
    }

    pub(crate) fn distribution_groups(&self) -> Vec<DistGroup> {
        vec![
            DistGroup {
                name: GROUP_GARDE,
                members: vec![
                    Member::Mailbox(S::CaronMed),
                    Member::Group("Garde - établissements partenaires"),
                ],
            },
            DistGroup {
                name: "Garde - établissements partenaires",
                members: vec![
                    Member::Mailbox(S::EricLavoie),
                    Member::Group("Garde - médecins externes"),
                ],
            },
            DistGroup {
                name: "Garde - médecins externes",
                members: vec![
                    Member::Contact("Dr Tremblay (perso)", "SMTP:dr.tremblay.perso@hotmail.com"),
                    Member::MailUser(MAIL_USER_ROY),
                ],
            },
            DistGroup {
                name: GROUP_CYCLE_A,
                members: vec![
                    Member::Group(GROUP_CYCLE_B),
                    Member::Mailbox(S::IsabelleMorin),
                ],
            },
            DistGroup {
                name: GROUP_CYCLE_B,
                members: vec![
                    Member::Group(GROUP_CYCLE_A),
                    Member::Contact("Sophie (perso)", "SMTP:Sophie.Roy.Perso@Gmail.com"),
                ],
            },
            DistGroup {
                name: GROUP_DIRECTION,
                members: vec![
                    Member::Mailbox(S::IsabelleMorin),
                    Member::Mailbox(S::MelaniePoirier),
                    Member::Group("Adjoints de direction"),
                ],
            },
            DistGroup {
                name: "Adjoints de direction",
                members: vec![Member::Mailbox(S::NathalieOuellet)],
            },
        ]
    }

    /// The outbound spam filter rules of a day: the tenant's own accounts get a blocking
    /// policy (by domain), the executive committee an allowing one (by group, one exception)
    /// until day 120; an old disabled rule changes nothing.
    pub(crate) fn outbound_rules(&self, day: i32) -> Vec<OutboundRule> {
        let upn = |k: S| {
            let s = &SCRIPTED[idx(k) as usize];
            format!("{}@{}", s.local, RSSS_DOMAIN)
        };
        let mut out = vec![OutboundRule {
            name: "Comptes du locataire",
            policy: POLICY_SHARED,
            enabled: true,
            priority: 0,
            from: vec![],
            from_member_of: vec![],
            sender_domain_is: vec![TENANT_DOMAIN],
            except_if_from: vec![],
        }];
        if day < 120 {
            out.push(OutboundRule {
                name: "Direction",
                policy: POLICY_DIRECTION,
                enabled: true,
                priority: 1,
                from: vec![],
                from_member_of: vec![GROUP_DIRECTION],
                sender_domain_is: vec![],
                except_if_from: vec![upn(S::MelaniePoirier)],
            });
        }
        out.push(OutboundRule {
            name: "Ancienne exemption (désactivée)",
            policy: POLICY_DIRECTION,
            enabled: false,
            priority: 2,
            from: vec![upn(S::PierreGauthier)],
            from_member_of: vec![],
            sender_domain_is: vec![],
            except_if_from: vec![],
        });
        out
    }
}
