//! Builders for the checks' tests: a snapshot made by hand, accounts in one line.
#![allow(dead_code)] // helpers shared by every check's tests; not all use all of them

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::Snapshot;
use crate::classify::Rules;
use crate::config::{Config, Exception};
use crate::model::{
    AcceptedDomain, Account, CaPolicy, InboxRule, MailContact, Mailbox, OutboundPolicy,
    Registration, RemoteDomain, RuleAction, SignIn, TransportRule,
};

/// The night of 2026-03-09, evaluated on 2026-03-10 at 03:00 in Montréal.
pub fn as_of() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 7, 0, 0)
        .single()
        .unwrap_or_default()
}

pub fn night() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 9).unwrap_or_default()
}

pub fn account(id: &str, display_name: &str) -> Account {
    Account {
        id: id.into(),
        upn: format!("{id}@cisss-test.ca"),
        display_name: display_name.into(),
        mail: Some(format!("{id}@cisss-test.ca")),
        enabled: true,
        guest: false,
        employee_type: None,
        extension_attributes: Default::default(),
        created: None,
        last_password_change: None,
        proxy_addresses: Vec::new(),
        organisation: Default::default(),
        perimeter: Vec::new(),
        attribution: Vec::new(),
    }
}

pub fn tablet(id: &str) -> Account {
    account(id, &format!("Tablette {} CHSLD de Verdun", id.len()))
}

pub fn registration(id: &str, registered: bool) -> Registration {
    Registration {
        user_id: id.into(),
        upn: format!("{id}@cisss-test.ca"),
        mfa_registered: registered,
        mfa_capable: registered,
        methods: vec![],
    }
}

pub fn signin(id: &str, user: &str, app: &str, hours_before: i64) -> SignIn {
    SignIn {
        id: id.into(),
        created: as_of() - chrono::Duration::hours(hours_before),
        user_id: user.into(),
        upn: format!("{user}@cisss-test.ca"),
        app_id: crate::config::known_app_id(app)
            .unwrap_or_default()
            .to_string(),
        app_name: app.into(),
        ip: Some("10.20.0.5".into()),
        client_app: Some("Mobile Apps and Desktop clients".into()),
        interactive: true,
        auth_requirement: Some("multiFactorAuthentication".into()),
        error_code: 0,
        os: Some("iOS".into()),
        browser: None,
        device: Default::default(),
    }
}

/// A snapshot with these accounts, every source collected, classified with the defaults.
pub fn snapshot(accounts: Vec<Account>) -> Snapshot<'static> {
    let mut s = Snapshot::default().all_sources_collected();
    s.as_of = as_of();
    s.night = night();
    s.accounts = accounts;
    s.classify(&Rules::defaults());
    s
}

/// Re-classifies after a test changed accounts or groups.
pub fn reclassify(s: &mut Snapshot, config: &Config) {
    let rules = Rules::from_config(&config.classification).unwrap_or_default();
    s.classify(&rules);
}

pub fn config() -> Config {
    Config::for_tests()
}

/// An enabled policy requiring MFA for every user on every application.
pub fn mfa_policy(id: &str, name: &str) -> CaPolicy {
    CaPolicy {
        id: id.into(),
        name: name.into(),
        state: "enabled".into(),
        include_users: vec!["All".into()],
        exclude_users: vec![],
        include_groups: vec![],
        exclude_groups: vec![],
        include_roles: vec![],
        exclude_roles: vec![],
        include_applications: vec!["All".into()],
        built_in_controls: vec!["mfa".into()],
        authentication_strength: false,
        exclude_applications: vec![],
        client_app_types: vec!["all".into()],
        include_locations: vec![],
        exclude_locations: vec![],
        include_platforms: vec![],
        exclude_platforms: vec![],
        grant_operator: Some("OR".into()),
        exclude_guests: false,
    }
}

/// Adds (transitive) members to a group.
pub fn add_members(s: &mut Snapshot, group: &str, users: &[&str]) {
    s.group_members
        .entry(group.into())
        .or_default()
        .extend(users.iter().map(|u| u.to_string()));
}

/// The default outbound spam policy with this `AutoForwardingMode`.
pub fn outbound(mode: &str) -> OutboundPolicy {
    OutboundPolicy {
        identity: "Default".into(),
        is_default: true,
        auto_forwarding_mode: mode.into(),
    }
}

pub fn remote(domain: &str, auto_forward: bool) -> RemoteDomain {
    RemoteDomain {
        domain: domain.into(),
        auto_forward_enabled: auto_forward,
    }
}

/// `cisss-test.ca` as the tenant's accepted domain, and forwarding allowed by both layers.
pub fn mail_tenant(s: &mut Snapshot) {
    s.accepted_domains = vec![AcceptedDomain {
        domain: "cisss-test.ca".into(),
        kind: Some("Authoritative".into()),
    }];
    s.outbound_policies = vec![outbound("On")];
    s.remote_domains = vec![remote("*", true)];
}

/// A user mailbox of account `id`, without forwarding.
pub fn mailbox(id: &str) -> Mailbox {
    Mailbox {
        user_id: Some(id.into()),
        upn: format!("{id}@cisss-test.ca"),
        primary_smtp: format!("{id}@cisss-test.ca"),
        kind: "UserMailbox".into(),
        forwarding_smtp: None,
        forwarding_address: None,
        deliver_and_forward: false,
    }
}

/// An enabled inbox rule of account `user` that forwards to `targets`.
pub fn inbox_rule(user: &str, rule_id: &str, targets: &[&str]) -> InboxRule {
    InboxRule {
        mailbox_user_id: user.into(),
        mailbox_upn: String::new(),
        rule_id: rule_id.into(),
        name: format!("Règle {rule_id}"),
        enabled: true,
        has_error: false,
        targets: targets
            .iter()
            .map(|t| (RuleAction::ForwardTo, t.to_string()))
            .collect(),
    }
}

pub fn contact(identity: &str, external: &str) -> MailContact {
    MailContact {
        identity: identity.into(),
        name: identity.into(),
        external_address: Some(external.into()),
    }
}

/// An enabled transport rule.
pub fn transport(name: &str) -> TransportRule {
    TransportRule {
        id: format!("guid-{name}"),
        name: name.into(),
        enabled: true,
        redirect_to: vec![],
        blind_copy_to: vec![],
        copy_to: vec![],
        apply_ome: false,
        rights_template: None,
        sent_to_scope: None,
    }
}

/// A configuration with one exception of `check` for `subject` expiring on `expires`.
pub fn config_with_exception(check: &str, subject: &str, expires: NaiveDate) -> Config {
    let mut c = config();
    c.exceptions.push(Exception {
        check_id: check.into(),
        subject: subject.into(),
        justification: "Risque accepté par le RSI".into(),
        owner: "RSI".into(),
        expires,
    });
    c
}

/// A date of the test calendar.
pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The findings of `check` after a full evaluation (exceptions applied).
pub fn evaluated(s: &Snapshot, config: &Config, check: &str) -> Vec<super::Finding> {
    super::evaluate(s, config)
        .findings
        .into_iter()
        .filter(|f| f.check == check)
        .collect()
}

/// A configuration declaring one partner domain (`exemple.ca` or `*.exemple.ca`) until
/// `expires`.
pub fn config_with_partner(domain: &str, expires: NaiveDate) -> Config {
    let mut c = config();
    c.domains.partners.push(crate::config::Partner {
        domain: match domain.strip_prefix("*.") {
            Some(d) => crate::config::DomainPattern::Subdomains(d.into()),
            None => crate::config::DomainPattern::Exact(domain.into()),
        },
        justification: "Entente de services avec le partenaire".into(),
        owner: "RSI".into(),
        expires,
    });
    c
}
