//! The simulated establishment: every account, group, policy, rule, mailbox setting and
//! sign-in is a pure function of (seed, index, day), computed on demand. Nothing is
//! materialised per account, so a 400,000-account tenant costs no more memory than a
//! 300-account one, and paging tokens only need to carry a position.
//!
//! Layout of the account index space: indices `0..SCRIPTED.len()` are hand-written
//! accounts that exercise each check of RULES.md (see the table in `truth.rs`); the rest
//! are "bulk" accounts whose role (staff, physician, tablet, « Appli », guest, shared
//! mailbox) and behaviour are drawn from the seed.
//!
//! Days: day 0 is `start_date`. A *sim day* `k` runs from `T_k` = date(k) 03:00
//! America/Montreal to `T_{k+1}`; the nightly run of day D happens at `as_of = T_{D+1}`.
//! Sign-ins of sim day k lie in `[T_k + 1 h, T_k + 22 h]`, never within an hour of a day
//! boundary, so "7 days" read as 168 h or as 7 local days select the same sign-ins.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::America::Montreal;

use super::hash::{self, Rng, d, h, kind, object_id, range, tag, unit};
use super::names::{self, App};
use Kind::*;

mod accounts;
mod controls;
mod identity;
mod mail;
mod province;
mod scripted;
mod signins;

pub(crate) use accounts::*;
pub(crate) use identity::*;
pub(crate) use mail::*;
pub use province::MAX_ESTABLISHMENTS;
pub(crate) use province::*;
pub(crate) use scripted::*;
pub(crate) use signins::*;

pub(crate) const TENANT_DOMAIN: &str = "cisss-troisrives.onmicrosoft.com";
pub(crate) const MAIL_DOMAIN: &str = "cisss-troisrives.mail.onmicrosoft.com";
pub(crate) const RSSS_DOMAIN: &str = "ssss.gouv.qc.ca";
pub(crate) const ORG_DOMAIN: &str = "cisss-troisrives.ca";
pub(crate) const PARTNER_DOMAIN: &str = "hopitalpartenaire.org";
pub(crate) const ESTABLISHMENT: &str = "CISSS des Trois-Rives (simulé)";

/// Smallest scenario: the scripted accounts plus some bulk.
pub const MIN_ACCOUNTS: u32 = 150;
/// Largest scenario (index space of object ids is 24 bits).
pub const MAX_ACCOUNTS: u32 = 4_000_000;

const NEVER: i32 = i32::MAX;
const ALWAYS: i32 = -100_000;

/// The scenario: a seed, a size and a start date.
#[derive(Clone, Debug)]
pub(crate) struct Scenario {
    pub seed: u64,
    pub accounts: u32,
    pub start: NaiveDate,
    pub tenant_id: String,
    pub client_id: String,
    pub sites: Vec<Site>,
    /// Names carry [`HOSTILE`] text (`SimOptions::hostile_names`).
    pub hostile: bool,
    /// Security defaults instead of conditional access (`SimOptions::security_defaults`).
    pub security_defaults: bool,
    /// The establishments of a provincial tenant (`--etablissements`); empty for the
    /// single-establishment tenant.
    pub establishments: Vec<Establishment>,
}

/// Text an attacker can put in a name another tenant shows us: an escape sequence that
/// clears the screen, a terminal hyperlink, a bell, a carriage return, a right-to-left
/// override, bidirectional isolates, a NUL, markup and a spreadsheet formula.
pub const HOSTILE: &str = "\u{1b}[2J\u{1b}[31m\u{1b}]8;;https://evil.example/\u{7}lien\u{1b}]8;;\u{7}\r\u{202E}lmth.exe\u{2066}\u{2067}\u{2068}\u{2069}\0<script>alert(1)</script>=HYPERLINK(\"https://evil.example\",\"x\")";

fn local(date: NaiveDate, secs: i64) -> DateTime<Utc> {
    let midnight = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    let t = midnight + Duration::seconds(secs);
    match Montreal.from_local_datetime(&t) {
        chrono::LocalResult::Single(x) => x.with_timezone(&Utc),
        chrono::LocalResult::Ambiguous(x, _) => x.with_timezone(&Utc),
        chrono::LocalResult::None => {
            (Montreal.from_utc_datetime(&t) + Duration::hours(5)).with_timezone(&Utc)
        }
    }
}

impl Scenario {
    pub(crate) fn new(seed: u64, accounts: u32, start: NaiveDate) -> Self {
        let accounts = accounts.clamp(MIN_ACCOUNTS, MAX_ACCOUNTS);
        let n_sites = ((accounts as usize) / 533).clamp(5, names::SITES.len());
        let sites = names::SITES[..n_sites]
            .iter()
            .enumerate()
            .map(|(s, name)| Site {
                name,
                slug: names::site_slug(name),
                cidr: format!("100.{}.{}.0/24", 64 + s / 256, s % 256),
                configured: s != 3 && !(s >= 5 && s % 4 == 3),
            })
            .collect();
        Scenario {
            seed,
            accounts,
            start,
            tenant_id: hash::object_id(seed, kind::TENANT, 1),
            client_id: hash::object_id(seed, kind::APP, 1),
            sites,
            hostile: false,
            security_defaults: false,
            establishments: Vec::new(),
        }
    }

    // ----- time -----

    /// `name` as this scenario spells it: with [`HOSTILE`] text when asked.
    pub(crate) fn spelled(&self, name: &str) -> String {
        if self.hostile {
            format!("{name} {HOSTILE}")
        } else {
            name.to_string()
        }
    }

    /// The establishment's name as this scenario spells it.
    pub(crate) fn establishment(&self) -> String {
        self.spelled(ESTABLISHMENT)
    }

    pub(crate) fn date(&self, day: i32) -> NaiveDate {
        self.start + Duration::days(day as i64)
    }

    /// `T_k`: start of sim day k (03:00 America/Montreal).
    pub(crate) fn day_start(&self, k: i32) -> DateTime<Utc> {
        local(self.date(k), 3 * 3600)
    }

    /// The nightly run of day D.
    pub(crate) fn as_of(&self, day: i32) -> DateTime<Utc> {
        self.day_start(day + 1)
    }

    /// Sim day containing an instant.
    pub(crate) fn day_of(&self, t: DateTime<Utc>) -> i32 {
        let local_t = t.with_timezone(&Montreal).naive_local() - Duration::hours(3);
        (local_t.date() - self.start).num_days() as i32
    }

    /// An instant on a day at a local time of day (seconds after midnight).
    pub(crate) fn at(&self, day: i32, secs: i64) -> DateTime<Utc> {
        local(self.date(day), secs)
    }

    // ----- roles -----

    fn n_sites(&self) -> u32 {
        self.sites.len() as u32
    }

    /// Kind of an index, without building the account.
    pub(crate) fn kind_of(&self, i: u32) -> Kind {
        if let Some(s) = script(i) {
            return s.kind;
        }
        let u = unit(h(self.seed, &[tag::ROLE, i as u64]));
        if u < 0.015 {
            Tablet
        } else if u < 0.02 {
            Appli
        } else if u < 0.05 {
            Guest
        } else if u < 0.065 {
            Shared
        } else if u < 0.19 {
            Physician
        } else {
            Staff
        }
    }

    /// (arrival day, leave day) of an index: exists from arrival, disabled from leave.
    fn lifecycle(&self, i: u32) -> (i32, i32) {
        if let Some(k) = key(i) {
            return match k {
                S::TabVerdun5 => (10, NEVER),
                S::TabLachine2 | S::MarcPelletier | S::GenevieveBelanger => (ALWAYS, -30),
                S::SharedAccueilVerdun | S::SharedDossiersLachine => (ALWAYS, ALWAYS),
                _ => (ALWAYS, NEVER),
            };
        }
        let s = h(self.seed, &[tag::STATUS, i as u64]);
        let a = unit(s);
        let day = range(s >> 20, 1, 364) as i32;
        match self.kind_of(i) {
            Staff | Physician => {
                if a < 0.04 {
                    (ALWAYS, -(range(s >> 24, 1, 500) as i32))
                } else if a < 0.07 {
                    (ALWAYS, day)
                } else if a < 0.08 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Tablet | GenericOther => {
                if a < 0.03 {
                    (ALWAYS, -(range(s >> 24, 1, 300) as i32))
                } else if a < 0.05 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Appli => {
                if a < 0.05 {
                    (ALWAYS, -5)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Guest => {
                if a < 0.1 {
                    (ALWAYS, -10)
                } else if a < 0.15 {
                    (day, NEVER)
                } else {
                    (ALWAYS, NEVER)
                }
            }
            Shared if self.shared_left_open(i) => (ALWAYS, NEVER),
            Shared => (ALWAYS, ALWAYS),
            Urgence => (ALWAYS, NEVER),
        }
    }

    /// Whether index i exists on a day.
    pub(crate) fn exists(&self, i: u32, day: i32) -> bool {
        i < self.accounts && self.lifecycle(i).0 <= day
    }

    fn tablet_site_number(&self, i: u32) -> (usize, u32) {
        ((i % self.n_sites()) as usize, i / self.n_sites() + 10)
    }

    fn person_name(&self, i: u32) -> (&'static str, &'static str, u32) {
        let f = names::FIRST.len() as u64;
        let l = names::LAST.len() as u64;
        let fl = f * l;
        let j = ((i as u64 % fl) * 7919) % fl;
        (
            names::FIRST[(j % f) as usize],
            names::LAST[(j / f) as usize],
            (i as u64 / fl) as u32,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sc() -> Scenario {
        Scenario::new(
            7,
            300,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        )
    }

    #[test]
    fn upns_are_unique_and_days_align() {
        let s = sc();
        let mut seen = std::collections::HashSet::new();
        for i in 0..s.accounts {
            if let Some(a) = s.account(i, 400) {
                assert!(seen.insert(a.upn.to_lowercase()), "duplicate {}", a.upn);
            }
        }
        assert_eq!(s.day_of(s.day_start(5) + Duration::hours(1)), 5);
        assert_eq!(s.day_of(s.as_of(5) - Duration::hours(1)), 5);
        // DST: 2026-03-08 is a 23-hour sim day.
        assert_eq!((s.day_start(66) - s.day_start(65)).num_hours(), 23);
    }

    #[test]
    fn bulk_names_are_a_bijection() {
        let s = Scenario::new(
            1,
            400_000,
            NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        );
        let mut seen = std::collections::HashSet::new();
        for i in 0..30_000u32 {
            let (f, l, n) = s.person_name(i);
            assert!(seen.insert((f, l, n)));
        }
    }
}
