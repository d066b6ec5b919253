//! Which outbound spam policy applies to a mailbox: the first enabled rule
//! (`Get-HostedOutboundSpamFilterRule`, priority 0 first) whose conditions match the sender
//! and none of whose exceptions do, else the default policy. Conditions of different kinds
//! must all match (`From`, `FromMemberOf`, `SenderDomainIs`); the values of one kind are
//! alternatives. Membership of a group is read through the groups' members
//! (`Get-DistributionGroupMember`), transitively.

use std::collections::HashSet;

use super::resolve::missing;
use crate::checks::Snapshot;
use crate::model::{DistributionGroup, OutboundPolicy, OutboundRule, same_recipient};

/// The sender a policy is chosen for: its addresses (lower case) and names.
#[derive(Debug, Clone, Default)]
pub struct Sender {
    pub addresses: Vec<String>,
    pub names: Vec<String>,
}

impl Sender {
    fn is(&self, who: &str) -> bool {
        self.addresses
            .iter()
            .chain(&self.names)
            .any(|a| same_recipient(a, who))
    }

    fn domain_is(&self, domain: &str) -> bool {
        let d = domain.trim().trim_start_matches("*.").to_lowercase();
        !d.is_empty()
            && self.addresses.iter().any(|a| {
                a.rsplit_once('@')
                    .is_some_and(|(_, ad)| ad == d || ad.ends_with(&format!(".{d}")))
            })
    }
}

/// The policy that applies, and the rule that chose it (`None`: the default policy).
#[derive(Debug, Clone)]
pub struct Applied<'s> {
    pub policy: Option<&'s OutboundPolicy>,
    pub rule: Option<&'s OutboundRule>,
}

impl Applied<'_> {
    /// Blocks external forwarding unless its `AutoForwardingMode` is `On`; French: why.
    pub fn verdict(&self) -> (bool, String) {
        let Some(p) = self.policy else {
            return (
                true,
                "aucune stratégie sortante par défaut lue (Automatic, valeur de Microsoft, \
                 supposé : bloque)"
                    .into(),
            );
        };
        let on = p.auto_forwarding_mode.trim().eq_ignore_ascii_case("On");
        let which = match self.rule {
            Some(r) => format!(
                "stratégie anti-pourriel sortant « {} » (appliquée à cette boîte par la \
                 règle « {} », priorité {})",
                p.identity, r.name, r.priority
            ),
            None => format!(
                "stratégie anti-pourriel sortant par défaut « {} »",
                p.identity
            ),
        };
        (
            !on,
            format!(
                "{which} : AutoForwardingMode = {} ({})",
                p.auto_forwarding_mode,
                if on { "autorise" } else { "bloque" }
            ),
        )
    }
}

/// The policy that applies to `sender`, or the sources that would tell.
pub fn applied<'s>(s: &'s Snapshot, sender: &Sender) -> Result<Applied<'s>, Vec<&'static str>> {
    let policies = missing(s, &["exchange-outbound-spam-policies"]);
    if !policies.is_empty() {
        return Err(policies);
    }
    let default = s.outbound_policies.iter().find(|p| p.is_default);
    if s.outbound_policies.iter().all(|p| p.is_default) {
        return Ok(Applied {
            policy: default,
            rule: None,
        });
    }
    let rules = missing(s, &["exchange-outbound-spam-rules"]);
    if !rules.is_empty() {
        return Err(rules);
    }
    let mut ordered: Vec<&OutboundRule> = s.outbound_rules.iter().filter(|r| r.enabled).collect();
    ordered.sort_by(|a, b| a.priority.cmp(&b.priority).then(a.name.cmp(&b.name)));
    for r in ordered {
        match rule_matches(s, r, sender) {
            Some(true) => {
                let policy = s
                    .outbound_policies
                    .iter()
                    .find(|p| same_recipient(&p.identity, &r.policy));
                if policy.is_none() {
                    return Err(vec!["exchange-outbound-spam-policies"]);
                }
                return Ok(Applied {
                    policy,
                    rule: Some(r),
                });
            }
            Some(false) => {}
            None => return Err(vec!["exchange-group-members"]),
        }
    }
    Ok(Applied {
        policy: default,
        rule: None,
    })
}

/// Whether `rule` applies to `sender`; `None` when a group it names could not be read.
pub fn rule_matches(s: &Snapshot, rule: &OutboundRule, sender: &Sender) -> Option<bool> {
    let any_member = |groups: &[String]| -> Option<bool> {
        let mut unknown = false;
        for g in groups {
            match member_of(s, g, sender) {
                Some(true) => return Some(true),
                Some(false) => {}
                None => unknown = true,
            }
        }
        (!unknown).then_some(false)
    };
    let mut conditions: Vec<Option<bool>> = Vec::new();
    if !rule.from.is_empty() {
        conditions.push(Some(rule.from.iter().any(|f| sender.is(f))));
    }
    if !rule.from_member_of.is_empty() {
        conditions.push(any_member(&rule.from_member_of));
    }
    if !rule.sender_domain_is.is_empty() {
        conditions.push(Some(
            rule.sender_domain_is.iter().any(|d| sender.domain_is(d)),
        ));
    }
    if conditions.contains(&Some(false)) {
        return Some(false);
    }
    if conditions.contains(&None) {
        return None;
    }
    // Every condition matches (a rule without condition applies to every sender).
    let mut exceptions: Vec<Option<bool>> = vec![
        Some(rule.except_if_from.iter().any(|f| sender.is(f))),
        Some(
            rule.except_if_sender_domain_is
                .iter()
                .any(|d| sender.domain_is(d)),
        ),
    ];
    if !rule.except_if_from_member_of.is_empty() {
        exceptions.push(any_member(&rule.except_if_from_member_of));
    }
    if exceptions.contains(&Some(true)) {
        return Some(false);
    }
    if exceptions.contains(&None) {
        return None;
    }
    Some(true)
}

/// Whether `sender` is a member of group `g`, transitively; `None` when it cannot be told.
fn member_of(s: &Snapshot, g: &str, sender: &Sender) -> Option<bool> {
    let find = |id: &str| -> Option<&DistributionGroup> {
        s.distribution_groups
            .iter()
            .find(|x| same_recipient(&x.identity, id))
    };
    let collected = missing(s, &["exchange-group-members"]).is_empty();
    let mut seen: HashSet<String> = HashSet::new();
    let mut stack = vec![g.to_string()];
    let mut unknown = false;
    while let Some(id) = stack.pop() {
        if !seen.insert(id.trim().to_lowercase()) {
            continue;
        }
        let Some(group) = find(&id) else {
            // Not read that night: unknown unless the source says it was read whole.
            unknown |= !collected;
            continue;
        };
        for m in &group.members {
            if m.is_group() {
                stack.push(m.identity.clone());
            } else if sender.is(&m.identity)
                || sender.is(&m.name)
                || m.primary_smtp.as_deref().is_some_and(|a| sender.is(a))
            {
                return Some(true);
            }
        }
    }
    (!unknown).then_some(false)
}

/// French: whom the rules of policy `p` apply it to, or « tout le monde » for the default;
/// `None` when no enabled rule applies it (a custom policy then applies to no one).
pub fn scope_fr(s: &Snapshot, p: &OutboundPolicy) -> Option<String> {
    if p.is_default {
        return Some(
            "tout le monde (stratégie par défaut, hors boîtes visées par une règle)".into(),
        );
    }
    let mut rules: Vec<&OutboundRule> = s
        .outbound_rules
        .iter()
        .filter(|r| r.enabled && same_recipient(&r.policy, &p.identity))
        .collect();
    rules.sort_by_key(|r| r.priority);
    let parts: Vec<String> = rules
        .iter()
        .map(|r| {
            let mut what = Vec::new();
            let join = |label: &str, v: &[String]| {
                (!v.is_empty()).then(|| format!("{label} {}", v.join(", ")))
            };
            what.extend(join("expéditeurs", &r.from));
            what.extend(join("membres de", &r.from_member_of));
            what.extend(join("domaines", &r.sender_domain_is));
            let mut except = Vec::new();
            except.extend(join("expéditeurs", &r.except_if_from));
            except.extend(join("membres de", &r.except_if_from_member_of));
            except.extend(join("domaines", &r.except_if_sender_domain_is));
            let mut text = format!(
                "règle « {} » (priorité {}) : {}",
                r.name,
                r.priority,
                if what.is_empty() {
                    "tous les expéditeurs".to_string()
                } else {
                    what.join(" et ")
                }
            );
            if !except.is_empty() {
                text.push_str(&format!(", sauf {}", except.join(", ")));
            }
            text
        })
        .collect();
    (!parts.is_empty()).then(|| parts.join(" ; "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;
    use crate::model::GroupRecipient;

    pub(crate) fn rule(name: &str, policy: &str, priority: i64) -> OutboundRule {
        OutboundRule {
            name: name.into(),
            policy: policy.into(),
            enabled: true,
            priority,
            from: vec![],
            from_member_of: vec![],
            sender_domain_is: vec![],
            except_if_from: vec![],
            except_if_from_member_of: vec![],
            except_if_sender_domain_is: vec![],
        }
    }

    fn custom(name: &str, mode: &str) -> OutboundPolicy {
        let mut p = outbound(mode);
        p.identity = name.into();
        p.is_default = false;
        p
    }

    fn sender(a: &str) -> Sender {
        Sender {
            addresses: vec![a.into()],
            names: vec![],
        }
    }

    fn tenant() -> Snapshot<'static> {
        let mut s = snapshot(vec![]);
        s.outbound_policies = vec![
            outbound("Off"),
            custom("Direction", "On"),
            custom("Labo", "Off"),
        ];
        let mut by_group = rule("Direction", "Direction", 1);
        by_group.from_member_of = vec!["Comité de direction".into()];
        by_group.except_if_from = vec!["dg@cisss-test.ca".into()];
        let mut by_domain = rule("Labo", "Labo", 0);
        by_domain.sender_domain_is = vec!["labo.cisss-test.ca".into()];
        let mut off = rule("Ancienne", "Direction", 2);
        off.enabled = false;
        s.outbound_rules = vec![by_group, by_domain, off];
        s.distribution_groups = vec![DistributionGroup {
            identity: "Comité de direction".into(),
            found: true,
            members: vec![
                GroupRecipient {
                    identity: "Jean".into(),
                    name: "Jean".into(),
                    kind: "UserMailbox".into(),
                    primary_smtp: Some("jean@cisss-test.ca".into()),
                    external_address: None,
                },
                GroupRecipient {
                    identity: "DG".into(),
                    name: "DG".into(),
                    kind: "UserMailbox".into(),
                    primary_smtp: Some("dg@cisss-test.ca".into()),
                    external_address: None,
                },
            ],
        }];
        s
    }

    #[test]
    fn the_first_matching_enabled_rule_chooses_the_policy() {
        let s = tenant();
        let a = applied(&s, &sender("jean@cisss-test.ca")).expect("known");
        assert_eq!(a.policy.map(|p| p.identity.as_str()), Some("Direction"));
        assert!(!a.verdict().0, "Direction allows: {}", a.verdict().1);
        assert!(a.verdict().1.contains("règle « Direction »"));
        let a = applied(&s, &sender("x@labo.cisss-test.ca")).expect("known");
        assert_eq!(a.policy.map(|p| p.identity.as_str()), Some("Labo"));
    }

    #[test]
    fn exceptions_disabled_rules_and_others_get_the_default() {
        let s = tenant();
        for who in ["dg@cisss-test.ca", "marie@cisss-test.ca"] {
            let a = applied(&s, &sender(who)).expect("known");
            assert!(a.policy.is_some_and(|p| p.is_default), "{who}");
            assert!(a.verdict().0, "{who}: the default blocks");
        }
    }

    #[test]
    fn unread_rules_or_groups_leave_it_unknown() {
        let mut s = tenant();
        s.sources.remove("exchange-group-members");
        s.distribution_groups.clear();
        assert_eq!(
            applied(&s, &sender("jean@cisss-test.ca")).err(),
            Some(vec!["exchange-group-members"])
        );
        // A domain rule of higher priority still decides.
        assert!(applied(&s, &sender("x@labo.cisss-test.ca")).is_ok());
        let mut s = tenant();
        s.sources.remove("exchange-outbound-spam-rules");
        assert!(applied(&s, &sender("jean@cisss-test.ca")).is_err());
        // Without custom policies the rules are not needed.
        s.outbound_policies.retain(|p| p.is_default);
        assert!(applied(&s, &sender("jean@cisss-test.ca")).is_ok());
    }

    #[test]
    fn scope_names_rules_or_everyone() {
        let s = tenant();
        let d = scope_fr(&s, &s.outbound_policies[1]).expect("scoped");
        assert!(d.contains("membres de Comité de direction"), "{d}");
        assert!(d.contains("sauf expéditeurs dg@cisss-test.ca"), "{d}");
        assert!(
            !d.contains("Ancienne"),
            "a disabled rule scopes nothing: {d}"
        );
        assert!(scope_fr(&s, &s.outbound_policies[0]).is_some_and(|x| x.contains("tout le monde")));
        let orphan = custom("Orpheline", "On");
        assert_eq!(scope_fr(&s, &orphan), None);
    }
}
