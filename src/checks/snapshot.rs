//! One night of the tenant, as the checks see it: read from the store "as of" a run,
//! with every account classified.

use std::cell::OnceCell;
use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use super::common::subject_upn;
use super::{mfa, posture};
use crate::classify::{self, Class, Classification, Register, Rules};
use crate::config::Config;
use crate::model::{
    AcceptedDomain, Account, CaPolicy, GroupMember, InboxRule, MailContact, Mailbox, NamedLocation,
    OutboundPolicy, Registration, RemoteDomain, SignIn, TransportRule,
};
use crate::store::{RunId, RunRow, SourceRow, SourceStatus, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Register(#[from] classify::RegisterError),
    #[error("aucune collecte n° {0} dans la base")]
    NoSuchRun(RunId),
}

/// The tenant as one night saw it.
///
/// Loaded from the store, it keeps only what a check can flag (see [`Keep`]): the accounts
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
    pub inbox_rules: Vec<InboxRule>,
    pub mailboxes: Vec<Mailbox>,
    pub mail_contacts: Vec<MailContact>,
    pub remote_domains: Vec<RemoteDomain>,
    pub outbound_policies: Vec<OutboundPolicy>,
    pub transport_rules: Vec<TransportRule>,
    pub accepted_domains: Vec<AcceptedDomain>,
    /// Sign-ins held in memory (a snapshot built by hand). A loaded snapshot leaves this
    /// empty and reads each account's sign-ins from the store.
    pub signins: Vec<SignIn>,
    /// How each source of that run ended.
    pub sources: BTreeMap<String, SourceRow>,
    pub register: Option<Register>,
    /// Per-account posture figures over EVERY account of the tenant, tallied while loading
    /// (`None` when built by hand: [`posture::compute`] tallies `accounts`).
    pub tally: Option<posture::Tally>,
    /// Accounts read while loading (kept or not).
    pub accounts_read: usize,
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

/// Which accounts a loaded snapshot keeps.
#[derive(Debug, Clone, Copy)]
pub enum Keep<'k> {
    /// What a check can flag (what `evaluate` needs).
    Flaggable,
    /// That, and the account of this UPN (`evaluate --explain`).
    FlaggableAnd(&'k str),
    /// Every account and mailbox (the reference the pruning is tested against).
    Everything,
}

impl<'s> Snapshot<'s> {
    /// Reads the night of run `run` from the store, keeping what a check can flag.
    pub fn load(
        store: &'s Store,
        run: RunId,
        config: &Config,
    ) -> Result<Snapshot<'s>, SnapshotError> {
        Snapshot::load_keeping(store, run, config, Keep::Flaggable)
    }

    /// Reads the night of run `run` from the store: the tenant-wide records whole, the
    /// accounts and mailboxes streamed, classified, tallied and kept as `keep` says.
    pub fn load_keeping(
        store: &'s Store,
        run: RunId,
        config: &Config,
        keep: Keep<'_>,
    ) -> Result<Snapshot<'s>, SnapshotError> {
        let row = store
            .runs()?
            .into_iter()
            .find(|r| r.id == run)
            .ok_or(SnapshotError::NoSuchRun(run))?;
        let rules = Rules::from_config(&config.classification)?;
        let everything = matches!(keep, Keep::Everything);
        let mut snap = Snapshot::tenant_wide(store, &row, &rules)?;
        let owner_ids = snap.read_forwarding(store, everything)?;
        let named_upns = snap.named_upns(keep);
        snap.read_accounts(store, &rules, everything, &owner_ids, &named_upns)?;
        snap.name_rule_mailboxes();
        Ok(snap)
    }

    /// The snapshot of a run with its tenant-wide records (policies, locations, contacts,
    /// domains, transport rules, group members) and how its sources ended.
    fn tenant_wide(
        store: &'s Store,
        row: &RunRow,
        rules: &Rules,
    ) -> Result<Snapshot<'s>, SnapshotError> {
        let run = row.id;
        let mut group_members: HashMap<String, HashSet<String>> = HashMap::new();
        store.each_as_of::<GroupMember>(run, |m| {
            group_members
                .entry(m.group_id)
                .or_default()
                .insert(m.user_id);
            Ok(())
        })?;
        Ok(Snapshot {
            run,
            as_of: row.as_of,
            night: row.night,
            ca_policies: store.as_of(run)?,
            named_locations: store.as_of(run)?,
            mail_contacts: store.as_of(run)?,
            remote_domains: store.as_of(run)?,
            outbound_policies: store.as_of(run)?,
            transport_rules: store.as_of(run)?,
            accepted_domains: store.as_of(run)?,
            sources: store
                .sources(run)?
                .into_iter()
                .map(|s| (s.source.clone(), s))
                .collect(),
            register: rules.register.clone(),
            group_members,
            store: Some(StoreRef(store)),
            ..Snapshot::default()
        })
    }

    /// Reads the inbox rules and mailboxes that matter to forwarding: a rule without a
    /// target forwards nothing; a mailbox matters when it forwards or holds such a rule.
    /// Returns the ids of the accounts that own them.
    fn read_forwarding(
        &mut self,
        store: &Store,
        everything: bool,
    ) -> Result<HashSet<String>, SnapshotError> {
        store.each_as_of::<InboxRule>(self.run, |r| {
            if everything || !r.targets.is_empty() {
                self.inbox_rules.push(r);
            }
            Ok(())
        })?;
        let rule_owners: HashSet<String> = self
            .inbox_rules
            .iter()
            .map(|r| r.mailbox_user_id.clone())
            .collect();
        store.each_as_of::<Mailbox>(self.run, |m| {
            let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
            if everything
                || set(&m.forwarding_smtp)
                || set(&m.forwarding_address)
                || m.user_id
                    .as_ref()
                    .is_some_and(|id| rule_owners.contains(id))
            {
                self.mailboxes.push(m);
            }
            Ok(())
        })?;
        let mut owner_ids = rule_owners;
        owner_ids.extend(self.mailboxes.iter().filter_map(|m| m.user_id.clone()));
        Ok(owner_ids)
    }

    /// The UPNs an account is kept for by name: the mailboxes and rules kept, the register,
    /// and the account `evaluate --explain` asks about.
    fn named_upns(&self, keep: Keep<'_>) -> HashSet<String> {
        let mut named_upns: HashSet<String> = self
            .mailboxes
            .iter()
            .map(|m| subject_upn(&m.upn))
            .chain(
                self.inbox_rules
                    .iter()
                    .filter(|r| !r.mailbox_upn.trim().is_empty())
                    .map(|r| subject_upn(&r.mailbox_upn)),
            )
            .collect();
        if let Some(register) = &self.register {
            named_upns.extend(register.accounts().iter().map(|u| subject_upn(u)));
        }
        if let Keep::FlaggableAnd(upn) = keep {
            named_upns.insert(subject_upn(upn));
        }
        named_upns
    }

    /// Streams every account with its MFA registration: each is classified and tallied into
    /// the posture figures, and kept only when a check can flag it (or `everything`).
    fn read_accounts(
        &mut self,
        store: &Store,
        rules: &Rules,
        everything: bool,
        owner_ids: &HashSet<String>,
        named_upns: &HashSet<String>,
    ) -> Result<(), SnapshotError> {
        let memberships = memberships(&self.group_members, rules);
        let empty = HashSet::new();
        let policies_known = posture::policies_known(self);
        let mut tally = posture::Tally::default();
        let (mut accounts, mut classes, mut registrations) =
            (Vec::new(), HashMap::new(), HashMap::new());
        let mut read = 0usize;
        store.each_as_of_with::<Account, Registration>(self.run, |a, registration| {
            read += 1;
            let c = classify::classify(&a, memberships.get(a.id.as_str()).unwrap_or(&empty), rules);
            let coverage = mfa::coverage(self, &a.id);
            let excluded = policies_known.then(|| c.enabled && !coverage.is_covered());
            tally.add(&c, registration.as_ref(), excluded);
            let exempted = !coverage.is_covered() && coverage.is_excluded_somewhere();
            if everything
                || c.class != Class::Nominatif
                || c.also_appli
                || exempted
                || owner_ids.contains(&a.id)
                || named_upns.contains(&subject_upn(&a.upn))
            {
                if let Some(r) = registration {
                    registrations.insert(a.id.clone(), r);
                }
                classes.insert(a.id.clone(), c);
                accounts.push(a);
            }
            Ok(())
        })?;
        self.accounts = accounts;
        self.classes = classes;
        self.registrations = registrations;
        self.tally = Some(tally);
        self.accounts_read = read;
        Ok(())
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
    fn name_rule_mailboxes(&mut self) {
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

    /// Why reading sign-ins failed during evaluation, if it did.
    pub fn read_error(&self) -> Option<&str> {
        self.read_error.get().map(String::as_str)
    }
}

/// The classification groups each account belongs to (only groups the rules name).
fn memberships<'a>(
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
