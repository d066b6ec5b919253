//! Mail forwarding — MSSS-DIR04 art. 6 4° and 5°: no automatic forwarding outside the
//! corporate mail system, and no public webmail.
//!
//! Every forwarding mechanism counts: inbox rules (`forwardTo`, `forwardAsAttachmentTo`,
//! `redirectTo`), mailbox forwarding (`ForwardingSmtpAddress`, and `ForwardingAddress` resolved
//! through the mail contacts), transport rules. Forwarding is not "active use": a disabled
//! account's mailbox still receives mail and its rules still run, so these checks look at
//! every mailbox, disabled accounts and shared mailboxes included.
//!
//! This module enumerates the forwards of inbox rules and mailboxes once, classified
//! ([`Forward`]); FWD-PUB-01, FWD-EXT-01 and FWD-DIS-01 each keep the ones they are about.
//! One forward per (rule or mailbox, target), whatever the number of actions naming it.
//!
//! Each piece of evidence needs its own sources: an inbox rule's forwards need the rules
//! (and the accounts that own them), a mailbox's need the mailboxes, a `ForwardingAddress`
//! that names a recipient needs what can resolve it, and the blocking of a forward needs the
//! policy that applies to its mailbox ([`scope`]). A source down blinds only what needs it:
//! the rest is judged, and [`blind_spots`] lists what could not be, with the reason.

pub mod enc_ext_01;
pub mod fwd_cli_01;
pub mod fwd_dis_01;
pub mod fwd_ext_01;
pub mod fwd_org_01;
pub mod fwd_pub_01;
pub mod fwd_trn_01;
pub mod resolve;
pub mod scope;

use std::collections::{BTreeMap, HashMap};

use super::common::{bounded, list, population, subject_upn};
use super::domains::{Blocking, Classified, Classifier, Target, TargetClass};
use super::{Finding, Severity, Snapshot};
use crate::classify::Population;
use crate::config::Config;
use crate::model::{Account, Mailbox, RuleAction};
use crate::store::SourceStatus;
use resolve::{Resolution, missing};
use scope::Sender;

/// The directive article every forwarding check enforces (RULES.md).
pub(crate) const REFERENCE: &str = "MSSS-DIR04, art. 6 4° et 5°";

/// What the inbox-rule and mailbox forwarding checks cannot do without: what is internal.
/// Everything else is needed per piece of evidence ([`EVIDENCE`]); the tenant's controls
/// (remote domains, outbound spam policies and their rules) only lower the severity: without
/// them the checks still run and say the blocking is unknown.
pub(crate) const FORWARDS: &[&str] = &["exchange-accepted-domains"];

/// The sources one piece of forwarding evidence or another needs (an inbox rule, a mailbox's
/// forwarding, a `ForwardingAddress` to resolve): when one is missing, what needs it is
/// listed as not evaluated and the rest is judged.
pub const EVIDENCE: &[&str] = &[
    "users",
    "message-rules",
    "exchange-mailboxes",
    "exchange-mail-contacts",
    "exchange-mail-users",
    "exchange-group-members",
];

/// The sources inbox-rule forwards need.
const RULES: &[&str] = &["users", "message-rules"];
/// The sources mailbox forwards need.
const MAILBOXES: &[&str] = &["exchange-mailboxes"];

/// What sends the mail on.
#[derive(Debug, Clone)]
pub enum Origin {
    /// An inbox rule: its name, whether it has an error.
    Rule { name: String, has_error: bool },
    /// Mailbox-level forwarding: whether a copy stays in the mailbox.
    Mailbox { deliver_and_forward: bool },
}

/// One forward of one rule or mailbox to one target, classified.
#[derive(Debug, Clone)]
pub struct Forward {
    /// `{upn}#regle:{rule id}>{target}` or `{upn}#boite>{target}`.
    pub subject: String,
    pub origin: Origin,
    /// The mailbox's UPN (lower case).
    pub upn: String,
    /// `UserMailbox`, `SharedMailbox`, ... when known.
    pub mailbox_kind: Option<String>,
    /// The mailbox's account is disabled.
    pub account_disabled: bool,
    pub target: Target,
    pub classified: Classified,
    /// A disabled inbox rule is `false`; mailbox forwarding is always on.
    pub enabled: bool,
    /// French: the actions or fields that name the target.
    pub how: Vec<String>,
    pub population: Population,
    /// `None` when the tenant's controls were not collected.
    pub blocking: Option<Blocking>,
    /// A `ForwardingAddress` that names no recipient: why (class invalid, reported).
    pub unresolved: Option<String>,
}

impl Forward {
    /// Public, external (declared partners included: DIR04 6 5° has no exemption), or
    /// unreadable (treated as external): what the checks report.
    pub fn goes_outside(&self) -> bool {
        match self.classified.class {
            TargetClass::Public | TargetClass::Invalid | TargetClass::External => true,
            TargetClass::Internal => false,
        }
    }

    /// The finding of check `id` at `base` severity, one step lower when the tenant blocks.
    pub fn finding(&self, id: &'static str, base: Severity) -> Finding {
        let blocked = self.blocking.as_ref().map(|b| b.blocked);
        let severity = if blocked == Some(true) {
            base.lower()
        } else {
            base
        };
        let mut mailbox = vec![format!("boîte {}", self.upn)];
        if let Some(k) = &self.mailbox_kind {
            mailbox.push(format!("type {k}"));
        }
        if self.account_disabled {
            mailbox.push("compte désactivé".into());
        }
        let what = match &self.origin {
            Origin::Rule { name, has_error } => format!(
                "règle de boîte de réception « {name} » ({}{}) de la {}",
                if self.enabled {
                    "activée"
                } else {
                    "désactivée"
                },
                if *has_error { ", en erreur" } else { "" },
                mailbox.join(", ")
            ),
            Origin::Mailbox {
                deliver_and_forward,
            } => format!(
                "redirection de la {} (copie conservée dans la boîte : {})",
                mailbox.join(", "),
                if *deliver_and_forward { "oui" } else { "non" }
            ),
        };
        let target = match (&self.unresolved, self.classified.class) {
            (Some(why), _) => format!(
                "« {} » : destinataire non résolu ({why}), traité comme externe — vérifiez la cible",
                self.target.raw.trim()
            ),
            (None, TargetClass::Invalid) => format!(
                "« {} » : pas une adresse lisible, classe invalide, traitée comme externe — \
                 vérifiez la cible",
                self.target.raw.trim()
            ),
            (None, _) => format!("{} ({})", self.target.address, self.classified.label_fr()),
        };
        let mut f = Finding::new(
            id,
            self.subject.clone(),
            severity,
            self.population,
            bounded(format!(
                "{what} : {} vers {target} ; {}",
                list(&self.how),
                blocking_fr(self.blocking.as_ref(), base, severity)
            )),
        );
        f.blocked_by_tenant = blocked;
        self.classified.mark_partner(&mut f);
        f
    }
}

/// French: whether the tenant blocks, why, and what it did to the severity.
fn blocking_fr(b: Option<&Blocking>, base: Severity, severity: Severity) -> String {
    match b {
        Some(b) if b.blocked => format!(
            "bloquée actuellement par le locataire ({}) : gravité abaissée d'un cran ({} → {})",
            b.why,
            base.label(),
            severity.label()
        ),
        Some(b) => format!("non bloquée par le locataire ({})", b.why),
        None => "blocage par le locataire inconnu (domaines distants ou stratégies sortantes non \
                 collectés)"
            .into(),
    }
}

fn action_fr(a: RuleAction) -> &'static str {
    match a {
        RuleAction::ForwardTo => "forwardTo",
        RuleAction::ForwardAsAttachmentTo => "forwardAsAttachmentTo",
        RuleAction::RedirectTo => "redirectTo",
    }
}

/// The addresses and names a mailbox sends as: what the outbound spam rules match.
fn sender_of(m: Option<&Mailbox>, a: Option<&Account>, upn: &str) -> Sender {
    let mut addresses: Vec<String> = vec![upn.to_string()];
    if let Some(m) = m {
        addresses.extend([m.primary_smtp.to_lowercase(), m.upn.to_lowercase()]);
    }
    if let Some(a) = a {
        addresses.push(a.upn.to_lowercase());
        addresses.extend(a.mail.as_ref().map(|x| x.to_lowercase()));
    }
    addresses.retain(|x| !x.trim().is_empty());
    addresses.sort();
    addresses.dedup();
    Sender {
        addresses,
        names: a.map(|a| vec![a.display_name.clone()]).unwrap_or_default(),
    }
}

/// What the forwarding checks could not judge that night, and why (French, one line each):
/// the inbox rules or mailboxes when their source is missing, a `ForwardingAddress` that only
/// a missing source could resolve, per mailbox.
pub fn blind_spots(s: &Snapshot) -> Vec<String> {
    blind_spot_details(s)
        .into_iter()
        .map(|b| match b.subject {
            Some(subject) => format!("boîte {subject} : {}", b.reason),
            None => b.reason,
        })
        .collect()
}

/// One thing the forwarding checks could not judge that night: the mailbox it concerns (when
/// that is the granularity) and why, in French.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlindSpot {
    pub subject: Option<String>,
    pub reason: String,
}

/// [`blind_spots`], with the subject apart.
pub fn blind_spot_details(s: &Snapshot) -> Vec<BlindSpot> {
    let whole = |reason: String| BlindSpot {
        subject: None,
        reason,
    };
    let mut out = Vec::new();
    let why = |sources: &[&'static str]| {
        sources
            .iter()
            .map(|q| match s.source_reason(q) {
                Some(r) => format!("source « {q} » non collectée : {r}"),
                None => format!("source « {q} » non collectée"),
            })
            .collect::<Vec<_>>()
            .join(" ; ")
    };
    let rules = missing(s, RULES);
    if !rules.is_empty() {
        out.push(whole(format!(
            "règles de boîte de réception non évaluées ({})",
            why(&rules)
        )));
    }
    let mailboxes = missing(s, MAILBOXES);
    if !mailboxes.is_empty() {
        out.push(whole(format!(
            "redirections au niveau des boîtes non évaluées ({})",
            why(&mailboxes)
        )));
        return out;
    }
    for m in &s.mailboxes {
        let Some(v) = m
            .forwarding_address
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        else {
            continue;
        };
        if let Resolution::Unknown(sources) = resolve::resolve(s, v) {
            out.push(BlindSpot {
                subject: Some(subject_upn(&m.upn)),
                reason: format!(
                    "ForwardingAddress « {} » non évalué ({})",
                    v.trim(),
                    why(&sources)
                ),
            });
        }
    }
    out
}

/// Whether `check` can be judged that night without `source` although it needs it: FWD-ORG-01
/// reads the outbound spam filter rules only to learn whom each custom policy applies to, so
/// when the policies were read and there is none but the default (which applies to everyone
/// no rule takes), the rules change nothing and the tenant is judged without them.
pub fn can_do_without(check: &str, source: &str, s: &Snapshot) -> bool {
    check == fwd_org_01::CHECK.id
        && source == OUTBOUND_RULES
        && s.source_status(OUTBOUND_POLICIES) == Some(SourceStatus::Collected)
        && s.outbound_policies.iter().all(|p| p.is_default)
}

/// The outbound spam filter rules, which scope the custom outbound policies.
pub const OUTBOUND_RULES: &str = "exchange-outbound-spam-rules";
/// The outbound spam filter policies.
pub const OUTBOUND_POLICIES: &str = "exchange-outbound-spam-policies";

/// Every forward of the inbox rules and mailboxes, classified, by subject.
pub fn forwards(s: &Snapshot, config: &Config) -> Vec<Forward> {
    let classifier = Classifier::new(s, config);
    let accounts: HashMap<&str, &Account> = s.accounts.iter().map(|a| (a.id.as_str(), a)).collect();
    let by_upn: HashMap<String, &Account> = s
        .accounts
        .iter()
        .map(|a| (subject_upn(&a.upn), a))
        .collect();
    let mailbox_of: HashMap<&str, &Mailbox> = s
        .mailboxes
        .iter()
        .filter_map(|m| m.user_id.as_deref().map(|id| (id, m)))
        .collect();
    let mut out: BTreeMap<String, Forward> = BTreeMap::new();
    let mut add = |subject: String, how: String, make: &dyn Fn() -> Forward| {
        let fwd = out.entry(subject).or_insert_with(make);
        if !fwd.how.contains(&how) {
            fwd.how.push(how);
        }
    };
    // The outbound layer of one mailbox: the verdict of the policy that applies to it.
    let outbound = |m: Option<&Mailbox>, a: Option<&Account>, upn: &str| {
        scope::applied(s, &sender_of(m, a, upn))
            .ok()
            .map(|applied| applied.verdict())
    };
    let rules_read = missing(s, RULES).is_empty();
    let mailboxes_read = missing(s, MAILBOXES).is_empty();

    for r in s.inbox_rules.iter().filter(|_| rules_read) {
        let account = accounts.get(r.mailbox_user_id.as_str()).copied();
        let mailbox = mailbox_of.get(r.mailbox_user_id.as_str()).copied();
        let upn = if !r.mailbox_upn.trim().is_empty() {
            subject_upn(&r.mailbox_upn)
        } else if let Some(a) = account {
            subject_upn(&a.upn)
        } else if let Some(m) = mailbox {
            subject_upn(&m.upn)
        } else {
            subject_upn(&r.mailbox_user_id)
        };
        let layer = outbound(mailbox, account, &upn);
        for (action, raw) in &r.targets {
            let target = Target::parse(raw);
            let subject = format!("{upn}#regle:{}>{}", r.rule_id, target.address);
            let make = || Forward {
                subject: subject.clone(),
                origin: Origin::Rule {
                    name: r.name.clone(),
                    has_error: r.has_error,
                },
                upn: upn.clone(),
                mailbox_kind: mailbox.map(|m| m.kind.clone()),
                account_disabled: account.is_some_and(|a| !a.enabled),
                classified: classifier.classify(&target),
                blocking: classifier.blocking_with(&target, layer.clone()),
                unresolved: None,
                target: target.clone(),
                enabled: r.enabled,
                how: Vec::new(),
                population: population(s, config, Some(&r.mailbox_user_id), &upn),
            };
            add(subject.clone(), action_fr(*action).to_string(), &make);
        }
    }

    for m in s.mailboxes.iter().filter(|_| mailboxes_read) {
        let upn = subject_upn(&m.upn);
        let account = m
            .user_id
            .as_deref()
            .and_then(|id| accounts.get(id).copied())
            .or_else(|| by_upn.get(&upn).copied());
        let mut targets: Vec<(Target, String, Option<String>)> = Vec::new();
        if let Some(v) = m
            .forwarding_smtp
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            targets.push((
                Target::parse(v),
                format!("ForwardingSmtpAddress = « {} »", v.trim()),
                None,
            ));
        }
        if let Some(v) = m
            .forwarding_address
            .as_deref()
            .filter(|v| !v.trim().is_empty())
        {
            let field = format!("ForwardingAddress = « {} »", v.trim());
            match resolve::resolve(s, v) {
                Resolution::Targets(list) => {
                    for (t, via) in list {
                        let how = if via.is_empty() {
                            field.clone()
                        } else {
                            format!("{field} ({via})")
                        };
                        targets.push((t, how, None));
                    }
                }
                Resolution::Unresolved(why) => {
                    targets.push((Target::parse(v), field, Some(why)));
                }
                // Internal: nothing leaves. Unknown: listed by `blind_spots`.
                Resolution::Internal(_) | Resolution::Unknown(_) => {}
            }
        }
        let layer = outbound(Some(m), account, &upn);
        for (target, how, unresolved) in targets {
            let mut target = target;
            if unresolved.is_some() {
                // Whatever the value looks like, it is not an address that was resolved.
                target.domain = None;
                target.legacy_dn = false;
            }
            let subject = format!("{upn}#boite>{}", target.address);
            let make = || Forward {
                subject: subject.clone(),
                origin: Origin::Mailbox {
                    deliver_and_forward: m.deliver_and_forward,
                },
                upn: upn.clone(),
                mailbox_kind: Some(m.kind.clone()),
                account_disabled: account.is_some_and(|a| !a.enabled),
                classified: classifier.classify(&target),
                blocking: classifier.blocking_with(&target, layer.clone()),
                unresolved: unresolved.clone(),
                target: target.clone(),
                enabled: true,
                how: Vec::new(),
                population: population(
                    s,
                    config,
                    account.map(|a| a.id.as_str()).or(m.user_id.as_deref()),
                    &upn,
                ),
            };
            add(subject.clone(), how, &make);
        }
    }
    out.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::testing::*;

    #[test]
    fn one_forward_per_rule_and_target_whatever_the_actions() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        let mut r = inbox_rule("jean", "r1", &["x@gmail.com", " smtp:X@GMAIL.com "]);
        r.targets
            .push((RuleAction::RedirectTo, "x@gmail.com".into()));
        s.inbox_rules = vec![r];
        let f = forwards(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "jean@cisss-test.ca#regle:r1>x@gmail.com");
        assert_eq!(f[0].how, ["forwardTo", "redirectTo"]);
    }

    #[test]
    fn forwarding_address_resolves_through_contacts_or_a_tenant_account() {
        let mut s = snapshot(vec![account("jean", "Jean Tremblay")]);
        mail_tenant(&mut s);
        s.mail_contacts = vec![contact("Jean perso", "SMTP:Jean@Yahoo.ca")];
        let mut by_contact = mailbox("jean");
        by_contact.forwarding_address = Some("jean perso".into());
        s.accounts.push(account("paul", "Paul Gagnon"));
        let mut internal = mailbox("marie");
        internal.forwarding_address = Some("Paul Gagnon".into());
        s.mailboxes = vec![by_contact, internal];
        let f = forwards(&s, &config());
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].subject, "jean@cisss-test.ca#boite>jean@yahoo.ca");
        assert!(f[0].how[0].contains("contact de messagerie « Jean perso »"));
    }
}
