//! The store loader of a [`Snapshot`]: one night read "as of" a run, every account
//! classified and tallied, and only what a check can flag kept ([`Keep`]). The checks are
//! pure functions of the snapshot and never import this module; evaluation does.

use std::collections::{HashMap, HashSet};

use super::common::subject_upn;
use super::snapshot::memberships;
use super::tally::Tally;
use super::{Snapshot, mfa, posture, shared};
use crate::classify::{self, Class, Rules};
use crate::config::Config;
use crate::model::{Account, GroupMember, InboxRule, Mailbox, Registration};
use crate::model::{AuditConfig, IrmConfig, OrgConfig};
use crate::perimeter::{Scope, Within};
use crate::store::{RunId, RunRow, Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Register(#[from] classify::RegisterError),
    #[error("aucune collecte n° {0} dans la base")]
    NoSuchRun(RunId),
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
        let slice = Slice::of(store.establishment());
        let within = slice.within(store, run)?;
        let mut snap = Snapshot::tenant_wide(store, &row, &rules)?;
        snap.restrict_tenant_wide(&within);
        // The provincial team's register covers the accounts no establishment holds: its rows
        // naming an establishment's account are that establishment's to check.
        if slice == Slice::Unattributed
            && let Some(r) = &mut snap.register
        {
            r.rows.retain(|row| !within.names_outside(&row.compte));
        }
        let mut owner_ids = snap.read_forwarding(store, everything, &within)?;
        owner_ids.extend(snap.read_mail_clients(store, config, &within));
        let named_upns = snap.named_upns(keep);
        let accounts = Accounts {
            slice,
            perimeter: config.perimeter.as_ref(),
        };
        snap.read_accounts(
            store,
            &rules,
            config,
            everything,
            (&owner_ids, &named_upns),
            &accounts,
        )?;
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
        let mut snap = Snapshot::reading(store);
        snap.run = run;
        snap.as_of = row.as_of;
        snap.night = row.night;
        snap.ca_policies = store.as_of(run)?;
        snap.named_locations = store.as_of(run)?;
        snap.mail_contacts = store.as_of(run)?;
        snap.remote_domains = store.as_of(run)?;
        snap.outbound_policies = store.as_of(run)?;
        snap.transport_rules = store.as_of(run)?;
        snap.accepted_domains = store.as_of(run)?;
        snap.managed_devices = store.as_of(run)?;
        snap.irm = store.as_of::<IrmConfig>(run)?.into_iter().next();
        snap.audit = store.as_of::<AuditConfig>(run)?.into_iter().next();
        snap.org = store.as_of::<OrgConfig>(run)?.into_iter().next();
        snap.cas_mailboxes = store.as_of(run)?;
        snap.mail_users = store.as_of(run)?;
        snap.distribution_groups = store.as_of(run)?;
        snap.outbound_rules = store.as_of(run)?;
        snap.sources = store
            .sources(run)?
            .into_iter()
            .map(|s| (s.source.clone(), s))
            .collect();
        // Roles resolve only when their assignments were read that night.
        if snap.source_status("role-assignments") == Some(crate::store::SourceStatus::Collected) {
            let mut roles: HashMap<String, HashSet<String>> = HashMap::new();
            store.each_as_of::<crate::model::RoleMember>(run, |m| {
                roles.entry(m.role_id).or_default().insert(m.principal_id);
                Ok(())
            })?;
            snap.role_members = Some(roles);
        }
        if snap.source_status("security-defaults") == Some(crate::store::SourceStatus::Collected) {
            let v: Vec<crate::model::SecurityDefaults> = store.as_of(run)?;
            snap.security_defaults = v.first().map(|d| d.enabled);
        }
        // Per-user MFA counts only when it was read that night.
        if snap.source_status("per-user-mfa") == Some(crate::store::SourceStatus::Collected) {
            let mut states = HashMap::new();
            store.each_as_of::<crate::model::PerUserMfa>(run, |m| {
                states.insert(m.user_id, m.state);
                Ok(())
            })?;
            snap.per_user_mfa = Some(states);
        }
        snap.register = rules.register.clone();
        snap.group_members = group_members;
        Ok(snap)
    }

    /// Reads the inbox rules and mailboxes that matter to forwarding: a rule without a
    /// target forwards nothing; a mailbox matters when it forwards or holds such a rule.
    /// Returns the ids of the accounts that own them.
    fn read_forwarding(
        &mut self,
        store: &Store,
        everything: bool,
        within: &Within,
    ) -> Result<HashSet<String>, SnapshotError> {
        store.each_as_of::<InboxRule>(self.run, |r| {
            if !within.keeps_id(&r.mailbox_user_id) {
                return Ok(());
            }
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
        store.each_as_of::<Mailbox>(self.run, |mut m| {
            let kept = match m.user_id.as_deref() {
                Some(id) if !id.is_empty() => within.keeps_id(id),
                _ => within.keeps_address(&m.upn) || within.keeps_address(&m.primary_smtp),
            };
            if !kept {
                return Ok(());
            }
            m.forwarding_address = within.forwarding_address(m.forwarding_address);
            let set = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
            if everything
                || shared::is_shared_kind(&m.kind)
                || set(&m.forwarding_smtp)
                || set(&m.forwarding_address)
                || is_shared_kind(&m.kind)
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

    /// Reads the tenant's POP and IMAP sign-ins of the evaluation window (FWD-CLI-01) and
    /// returns the ids of their accounts, kept for their class and population. A read that
    /// fails is remembered like any sign-in read ([`Snapshot::read_error`]).
    fn read_mail_clients(
        &mut self,
        store: &Store,
        config: &Config,
        within: &Within,
    ) -> HashSet<String> {
        let from = self.as_of - chrono::Duration::days(i64::from(config.evaluation.window_days));
        self.mail_client_signins = match store.mail_client_signins(from, self.as_of) {
            Ok(mut v) => {
                v.retain(|s| within.keeps_id(&s.user_id));
                v
            }
            Err(e) => {
                self.note_read_error(e.to_string());
                Vec::new()
            }
        };
        self.mail_client_signins
            .iter()
            .map(|s| s.user_id.clone())
            .collect()
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
        // A `ForwardingAddress` naming a mailbox of the tenant by its name: its account is
        // what says the forward stays inside.
        named_upns.extend(
            self.mailboxes
                .iter()
                .filter_map(|m| m.forwarding_address.as_deref())
                .map(|v| format!("nom:{}", v.trim().to_lowercase())),
        );
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
        config: &Config,
        everything: bool,
        (owner_ids, named_upns): (&HashSet<String>, &HashSet<String>),
        slice: &Accounts<'_>,
    ) -> Result<(), SnapshotError> {
        let memberships = memberships(&self.group_members, rules);
        let empty = HashSet::new();
        let policies_known = posture::policies_known(self);
        let mut tally = Tally::default();
        let (mut accounts, mut classes, mut registrations) =
            (Vec::new(), HashMap::new(), HashMap::new());
        let mut read = 0usize;
        store.each_as_of_with::<Account, Registration>(self.run, |a, registration| {
            let Some(a) = slice.take(a) else {
                return Ok(());
            };
            read += 1;
            let c = classify::classify(&a, memberships.get(a.id.as_str()).unwrap_or(&empty), rules);
            let coverage = mfa::account_coverage(self, config, &a.id, c.class);
            let excluded = policies_known.then(|| c.enabled && !coverage.is_covered());
            tally.add(&c, registration.as_ref(), excluded);
            let exempted = !coverage.is_covered() && coverage.is_excluded_somewhere();
            if everything
                || c.class != Class::Nominatif
                || c.also_appli
                || exempted
                || owner_ids.contains(&a.id)
                || named_upns.contains(&subject_upn(&a.upn))
                || named_upns.contains(&format!("nom:{}", a.display_name.trim().to_lowercase()))
                || named_upns.contains(&format!(
                    "nom:{}",
                    a.upn.split('@').next().unwrap_or("").trim().to_lowercase()
                ))
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
}

/// Which accounts of the store a loaded snapshot is about: the store's evaluation slice
/// ([`Store::establishment`]) says it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slice<'c> {
    /// Every account the store holds: a whole tenant, or an establishment's own store
    /// (its collection kept only its perimeter).
    All,
    /// The provincial mode: the accounts attributed to the establishment of this code.
    Establishment(&'c str),
    /// The provincial mode: the accounts no establishment's perimeter retains.
    Unattributed,
}

impl<'c> Slice<'c> {
    /// The slice of a store's evaluation slice: `""` is the whole store.
    pub fn of(establishment: &'c str) -> Slice<'c> {
        match establishment {
            "" => Slice::All,
            crate::config::UNATTRIBUTED_CODE => Slice::Unattributed,
            code => Slice::Establishment(code),
        }
    }

    /// Whether the slice holds the account.
    pub fn holds(&self, a: &Account) -> bool {
        match self {
            Slice::All => true,
            Slice::Establishment(code) => a.attribution.iter().any(|e| e.code == *code),
            Slice::Unattributed => a.attribution.is_empty(),
        }
    }

    /// The gate the establishment's own collection would have applied, built from every
    /// account of the run: what its records keep and what they no longer name. The same
    /// [`Within`] as the collection's, so that the provincial night evaluates an
    /// establishment on what its own night would have stored.
    fn within(&self, store: &Store, run: RunId) -> Result<Within, SnapshotError> {
        if *self == Slice::All {
            return Ok(Within::Whole);
        }
        let mut scope = Scope::default();
        store.each_as_of::<Account>(run, |a| {
            scope.domain_of(&a.upn, a.mail.as_deref());
            if self.holds(&a) {
                scope.add(&a);
            } else {
                scope.outside(&a);
            }
            Ok(())
        })?;
        Ok(Within::Only(std::sync::Arc::new(scope)))
    }
}

/// The accounts a loader keeps, and how it shows them.
struct Accounts<'a> {
    slice: Slice<'a>,
    /// The perimeter of the establishment evaluated (its criteria become the account's).
    perimeter: Option<&'a crate::config::Perimeter>,
}

impl Accounts<'_> {
    /// The account as the establishment's own collection would have stored it (`None`:
    /// not the slice's): its criteria, only its perimeter's attributes.
    fn take(&self, mut a: Account) -> Option<Account> {
        if self.slice == Slice::All {
            return Some(a);
        }
        if !self.slice.holds(&a) {
            return None;
        }
        let attribution = std::mem::take(&mut a.attribution);
        match (self.slice, self.perimeter) {
            (Slice::Establishment(code), Some(p)) => {
                a.perimeter = attribution
                    .into_iter()
                    .find(|e| e.code == code)
                    .map(|e| e.reasons)
                    .unwrap_or_default();
                a.organisation
                    .retain(|k, _| p.attributes.iter().any(|m| m.attribute.graph_name() == *k));
            }
            _ => a.organisation.clear(),
        }
        Some(a)
    }
}

impl Snapshot<'_> {
    /// The tenant-wide records the establishment's own collection filters (its gate): the
    /// devices, POP/IMAP mailboxes and per-user MFA states of its accounts, and the names of
    /// accounts outside it where group members and outbound spam rules give them.
    fn restrict_tenant_wide(&mut self, within: &Within) {
        if matches!(within, Within::Whole) {
            return;
        }
        self.managed_devices
            .retain(|d| within.keeps_address(&d.upn));
        self.cas_mailboxes
            .retain(|m| within.keeps_address(&m.address));
        if let Some(states) = &mut self.per_user_mfa {
            states.retain(|id, _| within.keeps_id(id));
        }
        for g in &mut self.distribution_groups {
            g.members = std::mem::take(&mut g.members)
                .into_iter()
                .map(|m| within.recipient(m))
                .collect();
        }
        for r in &mut self.outbound_rules {
            r.from = within.senders(std::mem::take(&mut r.from));
            r.except_if_from = within.senders(std::mem::take(&mut r.except_if_from));
        }
    }
}

/// Shared, room and equipment mailboxes: kept whatever they forward (SHR-SIG-01 joins them
/// to their account).
fn is_shared_kind(kind: &str) -> bool {
    ["SharedMailbox", "RoomMailbox", "EquipmentMailbox"]
        .iter()
        .any(|k| kind.trim().eq_ignore_ascii_case(k))
}
