//! One night of the tenant, as the checks see it: read from the store "as of" a run,
//! with every account classified.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};

use crate::classify::{self, Classification, Register, Rules};
use crate::config::Config;
use crate::model::{
    AcceptedDomain, Account, CaPolicy, GroupMember, InboxRule, MailContact, Mailbox, NamedLocation,
    OutboundPolicy, Registration, RemoteDomain, SignIn, TransportRule,
};
use crate::store::{RunId, SourceRow, SourceStatus, Store, StoreError};

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
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
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
    /// Sign-ins of the accounts in scope in the evaluation window `[as_of - window, as_of)`.
    pub signins: Vec<SignIn>,
    /// How each source of that run ended.
    pub sources: BTreeMap<String, SourceRow>,
    pub register: Option<Register>,
}

impl Snapshot {
    /// Reads the night of run `run` from the store and classifies its accounts.
    pub fn load(store: &Store, run: RunId, config: &Config) -> Result<Snapshot, SnapshotError> {
        let row = store
            .runs()?
            .into_iter()
            .find(|r| r.id == run)
            .ok_or(SnapshotError::NoSuchRun(run))?;
        let rules = Rules::from_config(&config.classification)?;
        let accounts: Vec<Account> = store.as_of(run)?;
        let mut group_members: HashMap<String, HashSet<String>> = HashMap::new();
        for m in store.as_of::<GroupMember>(run)? {
            group_members
                .entry(m.group_id)
                .or_default()
                .insert(m.user_id);
        }
        let window = chrono::Duration::days(i64::from(config.evaluation.window_days));
        let mut snap = Snapshot {
            run,
            as_of: row.as_of,
            night: row.night,
            registrations: store
                .as_of::<Registration>(run)?
                .into_iter()
                .map(|r| (r.user_id.clone(), r))
                .collect(),
            ca_policies: store.as_of(run)?,
            named_locations: store.as_of(run)?,
            inbox_rules: store.as_of(run)?,
            mailboxes: store.as_of(run)?,
            mail_contacts: store.as_of(run)?,
            remote_domains: store.as_of(run)?,
            outbound_policies: store.as_of(run)?,
            transport_rules: store.as_of(run)?,
            accepted_domains: store.as_of(run)?,
            signins: store.signins_between(row.as_of - window, row.as_of)?,
            sources: store
                .sources(run)?
                .into_iter()
                .map(|s| (s.source.clone(), s))
                .collect(),
            register: rules.register.clone(),
            group_members,
            accounts,
            classes: HashMap::new(),
        };
        snap.classify(&rules);
        Ok(snap)
    }

    /// Classifies every account (and names the mailbox of each inbox rule).
    pub fn classify(&mut self, rules: &Rules) {
        let wanted: HashSet<String> = rules.groups().into_iter().collect();
        let mut memberships: HashMap<&str, HashSet<String>> = HashMap::new();
        for (g, users) in &self.group_members {
            if wanted.contains(g) {
                for u in users {
                    memberships.entry(u.as_str()).or_default().insert(g.clone());
                }
            }
        }
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

    /// Successful sign-ins of an account in the window.
    pub fn successful_signins<'a>(
        &'a self,
        account_id: &'a str,
    ) -> impl Iterator<Item = &'a SignIn> + 'a {
        self.signins
            .iter()
            .filter(move |s| s.user_id == account_id && s.succeeded())
    }
}
