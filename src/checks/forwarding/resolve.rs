//! What a mailbox's `ForwardingAddress` names, whatever it is: a mail contact or a mail user
//! (their `ExternalEmailAddress`), a distribution group (its members, transitively, each group
//! once), a mailbox of the tenant (internal), an address or a legacy DN. A value none of these
//! explains is « non résolu », with the reason — never read as internal. A value that could
//! only be explained by a source not collected that night is « non évalué » with the sources.

use std::collections::HashSet;

use crate::checks::Snapshot;
use crate::checks::domains::Target;
use crate::model::{DistributionGroup, GroupRecipient, same_recipient};
use crate::store::SourceStatus;

/// The sources resolving a `ForwardingAddress` may need.
pub const SOURCES: &[&str] = &[
    "exchange-mail-contacts",
    "exchange-mail-users",
    "exchange-group-members",
    "users",
];

/// What a `ForwardingAddress` value sends to.
#[derive(Debug, Clone, PartialEq)]
pub enum Resolution {
    /// Addresses mail goes to, each with how it was reached (French).
    Targets(Vec<(Target, String)>),
    /// A recipient of the tenant: nothing leaves (French: which).
    Internal(String),
    /// No recipient explains it (French: why).
    Unresolved(String),
    /// Only a source not collected could tell: those sources.
    Unknown(Vec<&'static str>),
}

/// Resolves a `ForwardingAddress` value.
pub fn resolve(s: &Snapshot, value: &str) -> Resolution {
    let v = value.trim();
    let t = Target::parse(v);
    if t.legacy_dn {
        return Resolution::Internal(format!("DN Exchange « {v} »"));
    }
    if v == crate::perimeter::OUTSIDE_RECIPIENT {
        return Resolution::Internal("boîte du locataire hors du périmètre".into());
    }
    if t.domain.is_some() || v.contains('@') {
        return Resolution::Targets(vec![(t, String::new())]);
    }
    if let Some(c) = s
        .mail_contacts
        .iter()
        .find(|c| same_recipient(&c.identity, v) || same_recipient(&c.name, v))
    {
        let ext = c.external_address.clone().unwrap_or_default();
        if ext.trim().is_empty() {
            return Resolution::Unresolved(format!(
                "contact de messagerie « {} » sans adresse externe",
                c.name
            ));
        }
        return Resolution::Targets(vec![(
            Target::parse(&ext),
            format!("contact de messagerie « {} » → « {} »", c.name, ext.trim()),
        )]);
    }
    if let Some(u) = s.mail_users.iter().find(|u| {
        same_recipient(&u.identity, v)
            || same_recipient(&u.name, v)
            || u.alias.as_deref().is_some_and(|a| same_recipient(a, v))
    }) {
        let ext = u.external_address.clone().unwrap_or_default();
        if ext.trim().is_empty() {
            return Resolution::Unresolved(format!(
                "utilisateur de messagerie « {} » sans adresse externe",
                u.name
            ));
        }
        return Resolution::Targets(vec![(
            Target::parse(&ext),
            format!(
                "utilisateur de messagerie « {} » → « {} »",
                u.name,
                ext.trim()
            ),
        )]);
    }
    if let Some(g) = group(s, v).filter(|g| g.found) {
        return expand(s, g);
    }
    if let Some(who) = tenant_recipient(s, v) {
        return Resolution::Internal(who);
    }
    let missing = missing(s, SOURCES);
    if !missing.is_empty() {
        return Resolution::Unknown(missing);
    }
    Resolution::Unresolved(
        "aucun contact, utilisateur de messagerie, groupe de distribution ni compte de \
         l'annuaire ne porte ce nom"
            .into(),
    )
}

/// The sources of `list` not collected that night.
pub fn missing(s: &Snapshot, list: &[&'static str]) -> Vec<&'static str> {
    list.iter()
        .copied()
        .filter(|q| s.source_status(q) != Some(SourceStatus::Collected))
        .collect()
}

fn group<'s>(s: &'s Snapshot, identity: &str) -> Option<&'s DistributionGroup> {
    s.distribution_groups
        .iter()
        .find(|g| same_recipient(&g.identity, identity))
}

/// A mailbox or account of the tenant of that name, UPN, address or alias.
fn tenant_recipient(s: &Snapshot, v: &str) -> Option<String> {
    let local = |a: &str| a.split('@').next().unwrap_or("").to_string();
    if let Some(m) = s.mailboxes.iter().find(|m| {
        same_recipient(&m.upn, v)
            || same_recipient(&m.primary_smtp, v)
            || same_recipient(&local(&m.upn), v)
    }) {
        return Some(format!("boîte du locataire {}", m.upn));
    }
    s.accounts
        .iter()
        .find(|a| {
            same_recipient(&a.display_name, v)
                || same_recipient(&a.upn, v)
                || same_recipient(&local(&a.upn), v)
                || a.mail.as_deref().is_some_and(|m| same_recipient(m, v))
        })
        .map(|a| format!("compte de l'annuaire {}", a.upn))
}

/// The addresses a group's members receive at, through nested groups (each once).
fn expand(s: &Snapshot, top: &DistributionGroup) -> Resolution {
    let mut out: Vec<(Target, String)> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack: Vec<(&DistributionGroup, String)> = vec![(
        top,
        format!("groupe de distribution « {} »", top.identity.trim()),
    )];
    seen.insert(top.identity.trim().to_lowercase());
    let mut unreadable: Vec<String> = Vec::new();
    while let Some((g, path)) = stack.pop() {
        for m in &g.members {
            let here = format!("{path} → « {} »", m.name.trim());
            if m.is_group() {
                if !seen.insert(m.identity.trim().to_lowercase()) {
                    continue; // a cycle, or a group already expanded
                }
                match group(s, &m.identity).or_else(|| group(s, &m.name)) {
                    Some(sub) if sub.found => stack.push((sub, here)),
                    _ => unreadable.push(m.name.trim().to_string()),
                }
                continue;
            }
            if let Some(a) = member_address(m) {
                out.push((Target::parse(&a), here));
            } else {
                unreadable.push(m.name.trim().to_string());
            }
        }
    }
    if !unreadable.is_empty() {
        let missing = missing(s, &["exchange-group-members"]);
        if !missing.is_empty() {
            return Resolution::Unknown(missing);
        }
        return Resolution::Unresolved(format!(
            "membres du groupe « {} » sans adresse lisible ou groupes imbriqués non lus : {}",
            top.identity.trim(),
            unreadable.join(", ")
        ));
    }
    if out.is_empty() {
        return Resolution::Internal(format!(
            "groupe de distribution « {} » sans membre",
            top.identity.trim()
        ));
    }
    out.sort_by(|a, b| a.0.address.cmp(&b.0.address).then(a.1.cmp(&b.1)));
    out.dedup_by(|a, b| a.0.address == b.0.address);
    Resolution::Targets(out)
}

/// Where mail to a member goes: a contact's or mail user's external address, else its
/// primary address.
fn member_address(m: &GroupRecipient) -> Option<String> {
    m.external_address
        .clone()
        .filter(|a| !a.trim().is_empty())
        .or_else(|| m.primary_smtp.clone().filter(|a| !a.trim().is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::MailUser;

    fn member(name: &str, kind: &str, smtp: &str, ext: Option<&str>) -> GroupRecipient {
        GroupRecipient {
            identity: name.into(),
            name: name.into(),
            kind: kind.into(),
            primary_smtp: Some(smtp.into()),
            external_address: ext.map(String::from),
        }
    }

    fn dg(identity: &str, members: Vec<GroupRecipient>) -> DistributionGroup {
        DistributionGroup {
            identity: identity.into(),
            found: true,
            members,
        }
    }

    fn tenant() -> Snapshot<'static> {
        let mut s = snapshot(vec![account("paul", "Paul Gagnon")]);
        mail_tenant(&mut s);
        s.mail_users = vec![MailUser {
            identity: "Consultant Roy".into(),
            name: "Consultant Roy".into(),
            alias: Some("croy".into()),
            external_address: Some("SMTP:c.roy@conseil-sante.ca".into()),
        }];
        s
    }

    #[test]
    fn a_mail_user_gives_its_external_address() {
        let s = tenant();
        for v in ["Consultant Roy", "croy", "x.onmicrosoft.com/Consultant Roy"] {
            let Resolution::Targets(t) = resolve(&s, v) else {
                panic!("{v}")
            };
            assert_eq!(t[0].0.address, "c.roy@conseil-sante.ca");
            assert!(t[0].1.contains("utilisateur de messagerie"));
        }
    }

    #[test]
    fn a_group_gives_every_member_through_nesting_and_cycles_end() {
        let mut s = tenant();
        s.distribution_groups = vec![
            dg(
                "Équipe A",
                vec![
                    member("Paul Gagnon", "UserMailbox", "paul@cisss-test.ca", None),
                    member(
                        "Équipe B",
                        "MailUniversalDistributionGroup",
                        "b@cisss-test.ca",
                        None,
                    ),
                ],
            ),
            dg(
                "Équipe B",
                vec![
                    member(
                        "Équipe A",
                        "MailUniversalDistributionGroup",
                        "a@cisss-test.ca",
                        None,
                    ),
                    member(
                        "Perso",
                        "MailContact",
                        "perso@cisss-test.ca",
                        Some("SMTP:x@gmail.com"),
                    ),
                ],
            ),
        ];
        let Resolution::Targets(t) = resolve(&s, "Équipe A") else {
            panic!()
        };
        let addresses: Vec<&str> = t.iter().map(|x| x.0.address.as_str()).collect();
        assert_eq!(addresses, ["paul@cisss-test.ca", "x@gmail.com"]);
        assert!(t[1].1.contains("« Équipe B » → « Perso »"), "{}", t[1].1);
    }

    #[test]
    fn an_unknown_name_is_unresolved_never_internal() {
        let mut s = tenant();
        s.distribution_groups = vec![DistributionGroup {
            identity: "Ancien employé".into(),
            found: false,
            members: vec![],
        }];
        assert!(matches!(
            resolve(&s, "Ancien employé"),
            Resolution::Unresolved(_)
        ));
        assert!(matches!(
            resolve(&s, "Paul Gagnon"),
            Resolution::Internal(_)
        ));
        assert!(matches!(
            resolve(&s, "/o=ExchangeLabs/cn=x"),
            Resolution::Internal(_)
        ));
    }

    #[test]
    fn an_unknown_name_without_the_sources_is_unknown() {
        let mut s = tenant();
        s.sources.remove("exchange-group-members");
        assert_eq!(
            resolve(&s, "Ancien employé"),
            Resolution::Unknown(vec!["exchange-group-members"])
        );
        // What the collected sources resolve stays resolved.
        assert!(matches!(resolve(&s, "croy"), Resolution::Targets(_)));
    }
}
