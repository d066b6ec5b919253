//! Shared scaffolding for the tests that run nights against the simulated tenant: a started
//! simulator with its setup written to a temporary directory and its configuration loaded,
//! nights collected over HTTP by the real collectors, and their evaluation.

#![allow(dead_code)] // Each test binary uses its own subset of these helpers.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use vigie365::checks::Evaluation;
use vigie365::collect::{NightReport, Progress, Settings, collect_night};
use vigie365::config::Config;
use vigie365::graph::GraphClient;
use vigie365::night::EvaluationSummary;
use vigie365::sim::{Sim, SimHandle, SimOptions};
use vigie365::store::{SourceStatus, Store};

/// The usual options of these tests: that tenant on that day, time running 200 times faster.
/// Other options by struct update: `SimOptions { deny, ..options(seed, accounts, day) }`.
pub fn options(seed: u64, accounts: u32, day: u32) -> SimOptions {
    SimOptions {
        seed,
        accounts,
        day,
        time_scale: 200.0,
        ..SimOptions::default()
    }
}

/// A running simulator, its setup files (written for its starting day) in a directory of
/// their own, and the configuration they make.
pub struct SimNight {
    pub sim: SimHandle,
    pub dir: tempfile::TempDir,
    /// The configuration file (`vigie365.toml` in `dir`), for the binary.
    pub config_path: PathBuf,
    pub config: Config,
}

impl SimNight {
    pub async fn start(opts: SimOptions) -> SimNight {
        let day = opts.day;
        let sim = Sim::start(opts).await.expect("sim starts");
        let dir = tempfile::tempdir().expect("tempdir");
        let files = sim.write_setup(dir.path(), day).expect("setup files");
        let config =
            vigie365::config::load(&files.config, &vigie365::checks::registry::load_options())
                .expect("the sim's config is valid");
        SimNight {
            sim,
            dir,
            config_path: files.config,
            config,
        }
    }

    /// The "as of" of `day`'s night, as the collectors take it.
    pub fn as_of(&self, day: u32) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&self.sim.as_of(day))
            .expect("as_of")
            .with_timezone(&Utc)
    }

    /// Moves the simulator to `day` and collects that night into the configured store.
    pub async fn collect(&self, day: u32) -> (Arc<Mutex<Store>>, NightReport) {
        self.collect_with(day, |s| s).await
    }

    /// [`SimNight::collect`] with the settings changed by `tune`.
    pub async fn collect_with(
        &self,
        day: u32,
        tune: impl FnOnce(Settings) -> Settings,
    ) -> (Arc<Mutex<Store>>, NightReport) {
        self.collect_for(&self.config, day, tune).await
    }

    /// [`SimNight::collect_with`] with another configuration of the same simulator (an
    /// establishment's, with its perimeter), into that configuration's store.
    pub async fn collect_for(
        &self,
        config: &vigie365::config::Config,
        day: u32,
        tune: impl FnOnce(Settings) -> Settings,
    ) -> (Arc<Mutex<Store>>, NightReport) {
        self.sim.set_day(day);
        let store = Arc::new(Mutex::new(
            Store::open(&config.storage.database).expect("store"),
        ));
        let client = GraphClient::from_config(config).expect("client");
        let settings = tune(Settings::from_config(config, self.as_of(day)).expect("settings"));
        let report = collect_night(client, store.clone(), settings, Progress::hidden())
            .await
            .expect("collect");
        (store, report)
    }

    /// The setup files of a provincial tenant (`opts.establishments`) for `day`: each
    /// establishment's configuration and `provincial.toml`.
    pub fn provincial_setup(&self, day: u32) -> vigie365::sim::ProvincialFiles {
        self.sim
            .write_setup(self.dir.path(), day)
            .expect("setup")
            .provincial
            .expect("provincial files")
    }

    /// Evaluates the latest night of the store.
    pub fn evaluate(&self, store: &Mutex<Store>) -> (EvaluationSummary, Evaluation) {
        let mut s = store.lock().expect("store");
        vigie365::night::evaluate_latest(&mut s, &self.config).expect("evaluate")
    }

    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

/// Each source of a night's report: its name, its status, and what it says (the reason and
/// the permission or role to grant).
pub fn sources_of(report: &NightReport) -> Vec<(String, SourceStatus, String)> {
    report
        .sources
        .iter()
        .map(|s| {
            (
                s.source.clone(),
                s.outcome.status,
                format!(
                    "{} {}",
                    s.outcome.reason.clone().unwrap_or_default(),
                    s.outcome.permission.clone().unwrap_or_default()
                ),
            )
        })
        .collect()
}

/// Asserts that exactly the sources of `down` are « non collectée », each saying what to
/// grant (`down`: source, permission or role), and that every other source was collected.
pub fn only_down(sources: &[(String, SourceStatus, String)], down: &[(&str, &str)]) {
    for (name, status, why) in sources {
        match down.iter().find(|(d, _)| d == name) {
            Some((_, grant)) => {
                assert_eq!(*status, SourceStatus::NotCollected, "{name}: {why}");
                assert!(why.contains(grant), "{name}: {why}");
            }
            None => assert_eq!(*status, SourceStatus::Collected, "{name}: {why}"),
        }
    }
    for (d, _) in down {
        assert!(
            sources.iter().any(|(n, ..)| n == d),
            "{d} was not attempted"
        );
    }
}

/// A finding as the truth tests compare it: check, subject, severity, population, accepted.
pub type FindingKey = (String, String, String, String, bool);

/// The keys of the findings vigie365 made.
pub fn keys_of_findings<'a>(
    findings: impl IntoIterator<Item = &'a vigie365::checks::Finding>,
) -> std::collections::BTreeSet<FindingKey> {
    findings
        .into_iter()
        .map(|f| {
            (
                f.check.to_string(),
                f.subject.clone(),
                f.severity.label().to_string(),
                f.population.as_str().to_string(),
                f.is_accepted(),
            )
        })
        .collect()
}

/// The keys of the findings the simulator's ground truth expects.
pub fn keys_of_truth<'a>(
    findings: impl IntoIterator<Item = &'a vigie365::sim::Finding>,
) -> std::collections::BTreeSet<FindingKey> {
    findings
        .into_iter()
        .map(|f| {
            (
                f.check.clone(),
                f.subject.clone(),
                f.severity.clone(),
                f.population.clone(),
                f.accepted,
            )
        })
        .collect()
}
