//! One night of the tenant, as the checks see it: read from the store "as of" a run,
//! with every account classified.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::tally::Tally;
use crate::classify::{self, Classification, Register, Rules};
use crate::config::Config;
use crate::model::{
    AcceptedDomain, Account, CaPolicy, DistributionGroup, InboxRule, MailContact, MailUser,
    Mailbox, ManagedDevice, NamedLocation, OutboundPolicy, OutboundRule, Registration,
    RemoteDomain, SignIn, TransportRule,
};
use crate::model::{AuditConfig, CasMailbox, IrmConfig, OrgConfig};
use crate::store::{RunId, SourceRow, SourceStatus, Store};

/// The tenant as one night saw it.
///
/// Loaded from the store (by `checks::load`), it keeps only what a check can flag: the accounts
/// of every class but « nominatif », nominative accounts exempted from MFA, the owners of a
/// forward, the accounts the register names; the inbox rules that name a target and the
/// mailboxes that forward (or own such a rule). Every other account is read once, tallied
/// into the posture figures ([`Snapshot::tally`]) and dropped; sign-ins are read per account
/// when a check asks ([`Snapshot::signins_of`]). Memory thus follows what the tenant does
/// wrong, not its size. Built by hand (tests), it holds whatever it is given.
#[derive(Debug, Default)]
pub struct Snapshot<'s> {
    pub run: RunId,
    pub as_of: DateTime<Utc>,
    pub night: NaiveDate,
    pub accounts: Vec<Account>,
    /// Classification of each account, by account id.
    pub classes: HashMap<String, Classification>,
    /// MFA registration, by account id (a missing row is "unknown", never "no MFA").
    pub registrations: HashMap<String, Registration>,
    pub ca_policies: Vec<CaPolicy>,
    pub named_locations: Vec<NamedLocation>,
    /// Transitive members of each group, by group id.
    pub group_members: HashMap<String, HashSet<String>>,
    /// Principals holding each directory role named by a policy, by role definition id;
    /// `None` when role assignments were not collected (roles then stay unresolved).
    pub role_members: Option<HashMap<String, HashSet<String>>>,
    /// The tenant's security defaults are on (MFA enforced outside conditional access);
    /// `None` when not read.
    pub security_defaults: Option<bool>,
    pub inbox_rules: Vec<InboxRule>,
    pub mailboxes: Vec<Mailbox>,
    pub mail_contacts: Vec<MailContact>,
    pub remote_domains: Vec<RemoteDomain>,
    pub outbound_policies: Vec<OutboundPolicy>,
    pub transport_rules: Vec<TransportRule>,
    pub accepted_domains: Vec<AcceptedDomain>,
    /// Mail users a `ForwardingAddress` may name.
    pub mail_users: Vec<MailUser>,
    /// The distribution groups forwards and outbound spam rules name, with their members.
    pub distribution_groups: Vec<DistributionGroup>,
    /// The rules that scope the custom outbound spam policies.
    pub outbound_rules: Vec<OutboundRule>,
    /// Sign-ins held in memory (a snapshot built by hand). A loaded snapshot leaves this
    /// empty and reads each account's sign-ins from the store.
    pub signins: Vec<SignIn>,
    /// How each source of that run ended.
    pub sources: BTreeMap<String, SourceRow>,
    pub register: Option<Register>,
    /// Per-account posture figures over EVERY account of the tenant, tallied while loading
    /// (`None` when built by hand: `posture::compute` tallies `accounts`).
    pub tally: Option<Tally>,
    /// Accounts read while loading (kept or not).
    pub accounts_read: usize,
    /// Intune managed devices of the generic accounts (optional source `managed-devices`).
    pub managed_devices: Vec<ManagedDevice>,
    /// The IRM configuration (`None`: not read, or Exchange returned none).
    pub irm: Option<IrmConfig>,
    /// The unified audit log setting.
    pub audit: Option<AuditConfig>,
    /// The organisation's mailbox auditing setting.
    pub org: Option<OrgConfig>,
    /// Mailboxes with POP or IMAP enabled (posture figure).
    pub cas_mailboxes: Vec<CasMailbox>,
    /// The tenant's POP and IMAP sign-ins of the evaluation window, whatever their outcome,
    /// oldest first (a loaded snapshot reads them from the store).
    pub mail_client_signins: Vec<SignIn>,
    /// Per-user MFA state (`disabled`, `enabled`, `enforced`) of the accounts whose coverage
    /// it decides, by account id; `None` when not read that night (coverage is then judged
    /// without it, and says so).
    pub per_user_mfa: Option<HashMap<String, String>>,
    store: Option<StoreRef<'s>>,
    /// The first sign-in read by the store that could not be: evaluation must fail, never
    /// read it as "no sign-in".
    read_error: OnceCell<String>,
}

/// The store a loaded snapshot reads sign-ins from.
#[derive(Clone, Copy)]
struct StoreRef<'s>(&'s Store);

impl std::fmt::Debug for StoreRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Store({})", self.0.path().display())
    }
}

impl<'s> Snapshot<'s> {
    /// An empty snapshot that reads its sign-ins from `store` (the loader fills the rest).
    pub(crate) fn reading(store: &'s Store) -> Snapshot<'s> {
        Snapshot {
            store: Some(StoreRef(store)),
            ..Snapshot::default()
        }
    }

    /// Classifies every account (and names the mailbox of each inbox rule): a snapshot
    /// built by hand.
    pub fn classify(&mut self, rules: &Rules) {
        let memberships = memberships(&self.group_members, rules);
        let empty = HashSet::new();
        self.classes = self
            .accounts
            .iter()
            .map(|a| {
                (
                    a.id.clone(),
                    classify::classify(a, memberships.get(a.id.as_str()).unwrap_or(&empty), rules),
                )
            })
            .collect();
        self.name_rule_mailboxes();
    }

    /// Gives each inbox rule without a mailbox UPN its account's.
    pub(crate) fn name_rule_mailboxes(&mut self) {
        let upns: HashMap<&str, &str> = self
            .accounts
            .iter()
            .map(|a| (a.id.as_str(), a.upn.as_str()))
            .collect();
        for r in &mut self.inbox_rules {
            if r.mailbox_upn.is_empty()
                && let Some(u) = upns.get(r.mailbox_user_id.as_str())
            {
                r.mailbox_upn = (*u).to_string();
            }
        }
    }

    pub fn source_status(&self, source: &str) -> Option<SourceStatus> {
        self.sources.get(source).map(|s| s.status)
    }

    pub fn source_reason(&self, source: &str) -> Option<&str> {
        self.sources.get(source).and_then(|s| s.reason.as_deref())
    }

    /// Marks every source collected (tests build snapshots by hand).
    pub fn all_sources_collected(mut self) -> Self {
        for q in crate::queries::all() {
            self.sources.insert(
                q.name.clone(),
                SourceRow {
                    source: q.name.clone(),
                    status: SourceStatus::Collected,
                    reason: None,
                    permission: None,
                    records: 0,
                    pages: 0,
                },
            );
        }
        self
    }

    pub fn class_of(&self, account_id: &str) -> Option<&Classification> {
        self.classes.get(account_id)
    }

    /// Accounts with their classification, in UPN order.
    pub fn classified(&self) -> impl Iterator<Item = (&Account, &Classification)> {
        self.accounts
            .iter()
            .filter_map(|a| self.classes.get(&a.id).map(|c| (a, c)))
    }

    /// The sign-ins of an account in the evaluation window `[as_of - window, as_of)`, oldest
    /// first, whatever their outcome. A loaded snapshot reads them from the store; a read
    /// that fails is remembered ([`Snapshot::read_error`]) and evaluation fails with it.
    pub fn signins_of(&self, account_id: &str, config: &Config) -> Vec<SignIn> {
        let from = self.as_of - chrono::Duration::days(i64::from(config.evaluation.window_days));
        let mut v: Vec<SignIn> = match self.store {
            Some(StoreRef(store)) => match store.signins_of(account_id, from, self.as_of) {
                Ok(v) => v,
                Err(e) => {
                    let _ = self.read_error.set(e.to_string());
                    Vec::new()
                }
            },
            None => self
                .signins
                .iter()
                .filter(|s| s.user_id == account_id && s.created >= from && s.created < self.as_of)
                .cloned()
                .collect(),
        };
        v.sort_by_key(|s| s.created);
        v
    }

    /// Remembers that sign-ins could not be read (the first reason is kept): evaluation
    /// fails with it, never reads it as "no sign-in".
    pub(crate) fn note_read_error(&self, reason: String) {
        let _ = self.read_error.set(reason);
    }

    /// Why reading sign-ins failed during evaluation, if it did.
    pub fn read_error(&self) -> Option<&str> {
        self.read_error.get().map(String::as_str)
    }
}

/// The classification groups each account belongs to (only groups the rules name).
pub(crate) fn memberships<'a>(
    group_members: &'a HashMap<String, HashSet<String>>,
    rules: &Rules,
) -> HashMap<&'a str, HashSet<String>> {
    let wanted: HashSet<String> = rules.groups().into_iter().collect();
    let mut out: HashMap<&str, HashSet<String>> = HashMap::new();
    for (g, users) in group_members {
        if wanted.contains(g) {
            for u in users {
                out.entry(u.as_str()).or_default().insert(g.clone());
            }
        }
    }
    out
}
