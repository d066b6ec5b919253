//! Builders for the checks' tests: a snapshot made by hand, accounts in one line.
#![allow(dead_code)] // helpers shared by every check's tests; not all use all of them

use chrono::{DateTime, NaiveDate, TimeZone, Utc};

use super::Snapshot;
use crate::classify::Rules;
use crate::config::Config;
use crate::model::{Account, Registration, SignIn};

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
        app_id: String::new(),
        app_name: app.into(),
        ip: Some("10.20.0.5".into()),
        client_app: Some("Mobile Apps and Desktop clients".into()),
        interactive: true,
        auth_requirement: Some("multiFactorAuthentication".into()),
        error_code: 0,
        os: Some("iOS".into()),
        browser: None,
    }
}

/// A snapshot with these accounts, every source collected, classified with the defaults.
pub fn snapshot(accounts: Vec<Account>) -> Snapshot {
    let mut s = Snapshot {
        as_of: as_of(),
        night: night(),
        accounts,
        ..Snapshot::default()
    }
    .all_sources_collected();
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
