//! What a night of collection needs to know, from the configuration and the command line.

use chrono::{DateTime, NaiveDate, Utc};

use crate::classify::Rules;

/// What a night of collection needs to know.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The instant the night is evaluated "as of" (sign-ins are read up to it).
    pub as_of: DateTime<Utc>,
    /// The local date of the night.
    pub night: NaiveDate,
    pub tz: chrono_tz::Tz,
    /// Days of sign-ins read on the first night (at most what Microsoft keeps: 30).
    pub first_night_days: i64,
    /// Re-read this much before the last watermark, for sign-ins that arrive late.
    pub overlap: chrono::Duration,
    /// `$batch` requests of inbox rules in flight at once (single GETs with `batch` false).
    pub batch_concurrency: usize,
    /// Sources one after the other, one request at a time (`--concurrency 1`): the way a
    /// simple script reads a tenant, kept as the benchmark's baseline.
    pub sequential: bool,
    /// Inbox rules through `$batch`, 20 mailboxes to a request; `false` (`--no-batch`): one
    /// GET per mailbox.
    pub batch: bool,
    /// Sign-in requests in flight at once. They share the identity reports class with
    /// registration details: the limiter sets the pace, several readers keep it busy while
    /// one of them parses and the store writes.
    pub sign_in_readers: usize,
    /// Read `signInActivity` for the accounts in scope.
    pub sign_in_activity: bool,
    /// An account that has its `signInActivity` in the store is read again once every this
    /// many nights, on its turn (`sign_in_activity_turn`); 1: every night.
    pub sign_in_activity_rotation_nights: u32,
    /// Other accounts whose sign-ins are read (lowercase UPNs).
    pub tracked_upns: Vec<String>,
    pub rules: Rules,
    /// `[perimetre]`: the establishment's accounts in a shared tenant (`None`: all).
    pub perimeter: Option<crate::config::Perimeter>,
    /// `[[etablissements]]` (the provincial mode): each establishment's code and perimeter.
    /// The whole tenant is read and stored, and each account carries the establishments
    /// whose perimeter retains it ([`crate::model::Account::attribution`]).
    pub establishments: Vec<(String, crate::config::Perimeter)>,
    pub retention: crate::store::Retention,
}

impl Settings {
    /// The settings of a configuration for a night evaluated "as of" `as_of`. The night is
    /// the local date twelve hours before: a run at 03:00 audits the day before.
    pub fn from_config(
        config: &crate::config::Config,
        as_of: DateTime<Utc>,
    ) -> Result<Settings, crate::classify::RegisterError> {
        let tz = config.evaluation.timezone;
        Ok(Settings {
            as_of,
            night: night_of(as_of, tz),
            tz,
            first_night_days: i64::from(config.collection.first_night_days),
            overlap: chrono::Duration::minutes(i64::from(config.collection.overlap_minutes)),
            batch_concurrency: config.collection.concurrent_batches.get() as usize,
            sequential: false,
            batch: true,
            sign_in_readers: SIGN_IN_READERS,
            sign_in_activity: config.collection.sign_in_activity
                == crate::config::SignInActivity::InScope,
            sign_in_activity_rotation_nights: config
                .collection
                .sign_in_activity_rotation_nights
                .get(),
            tracked_upns: config.collection.followed_accounts.clone(),
            rules: Rules::from_config(&config.classification)?,
            perimeter: config.perimeter.clone(),
            establishments: config
                .establishments
                .iter()
                .map(|e| (e.code.clone(), e.perimeter.clone()))
                .collect(),
            retention: crate::store::Retention {
                raw_signin_days: i64::from(config.retention.raw_sign_ins_days),
                data_days: i64::from(config.retention.personal_data_days),
            },
        })
    }
}

impl Settings {
    /// The perimeters the night resolves: `[perimetre]`, or every establishment's.
    pub fn perimeters(&self) -> Vec<&crate::config::Perimeter> {
        match &self.perimeter {
            Some(p) => vec![p],
            None => self.establishments.iter().map(|(_, p)| p).collect(),
        }
    }

    /// `--concurrency N`: at most N requests of a source in flight; 1 runs the sources one
    /// after the other, one request at a time.
    pub fn with_concurrency(mut self, n: usize) -> Settings {
        let n = n.max(1);
        self.sequential = n == 1;
        self.batch_concurrency = n;
        self.sign_in_readers = self.sign_in_readers.min(n);
        self
    }

    /// `--no-batch`: inbox rules read with one GET per mailbox.
    pub fn without_batch(mut self) -> Settings {
        self.batch = false;
        self
    }
}

/// Sign-in requests in flight at once (see `Settings::sign_in_readers`).
const SIGN_IN_READERS: usize = 3;

/// The local date a run audits: the date twelve hours before `as_of` in `tz`.
pub fn night_of(as_of: DateTime<Utc>, tz: chrono_tz::Tz) -> NaiveDate {
    (as_of - chrono::Duration::hours(12))
        .with_timezone(&tz)
        .date_naive()
}
