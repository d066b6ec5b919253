//! `vigie365 demo`: a simulated CHSLD establishment, a simulated year, the real nightly job.
//!
//! The simulated tenant runs in-process on a loopback port; every night of the year the real
//! collectors read it over HTTP (tokens, paging, throttling, `$batch`, Exchange), the real
//! checks evaluate it and the store keeps the year — exactly what a real installation does,
//! with time accelerated by the simulator's time scale. No configuration, no network, no
//! credentials.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::NaiveDate;

use crate::collect::{Progress, Settings, collect_night};
use crate::graph::GraphClient;
use crate::sim::{Sim, SimOptions};
use crate::store::{RunStatus, Store};

/// What the demo simulates.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub accounts: u32,
    pub days: u32,
    pub seed: u64,
    /// Day 0 of the simulated year.
    pub start: NaiveDate,
    /// Where the configuration, the store and the outputs go.
    pub dir: PathBuf,
    pub time_scale: f64,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            accounts: 400,
            days: 365,
            seed: 2025,
            start: NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default(),
            dir: PathBuf::from("vigie365-demo"),
            time_scale: 2000.0,
        }
    }
}

/// What the simulated year produced.
#[derive(Debug, Clone)]
pub struct DemoOutcome {
    pub config: PathBuf,
    pub store: PathBuf,
    pub nights: u32,
    pub complete_nights: u32,
    pub last_findings: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Sim(#[from] crate::sim::SimError),
    #[error("configuration du locataire simulé : {0}")]
    Config(String),
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    Collect(#[from] crate::collect::CollectError),
    #[error(transparent)]
    Night(#[from] crate::night::NightError),
    #[error("répertoire de la démonstration {path} : {detail}")]
    Io { path: PathBuf, detail: String },
}

fn remove_previous(dir: &Path) -> Result<(), DemoError> {
    for name in [
        "vigie365.sqlite",
        "vigie365.sqlite-wal",
        "vigie365.sqlite-shm",
        "vigie365.sqlite.lock",
    ] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(|e| DemoError::Io {
                path: p.clone(),
                detail: e.to_string(),
            })?;
        }
    }
    Ok(())
}

/// Runs the simulated year night by night. `on_night` is told each night's number and
/// status (for a progress line).
pub async fn simulate(
    opts: &DemoOptions,
    mut on_night: impl FnMut(u32, RunStatus),
) -> Result<DemoOutcome, DemoError> {
    std::fs::create_dir_all(&opts.dir).map_err(|e| DemoError::Io {
        path: opts.dir.clone(),
        detail: e.to_string(),
    })?;
    remove_previous(&opts.dir)?;
    let sim = Sim::start(SimOptions {
        seed: opts.seed,
        accounts: opts.accounts,
        day: 0,
        start_date: opts.start,
        time_scale: opts.time_scale,
        ..SimOptions::default()
    })
    .await?;
    let mut store: Option<Arc<Mutex<Store>>> = None;
    let mut outcome = DemoOutcome {
        config: PathBuf::new(),
        store: PathBuf::new(),
        nights: 0,
        complete_nights: 0,
        last_findings: 0,
    };
    for day in 0..opts.days {
        sim.set_day(day);
        let files = sim.write_setup(&opts.dir, day)?;
        let config = crate::config::load(&files.config, &crate::checks::registry::load_options())
            .map_err(|e| DemoError::Config(e.to_string()))?;
        let store = match &store {
            Some(s) => s.clone(),
            None => {
                let s = Arc::new(Mutex::new(Store::open(&config.storage.database)?));
                store = Some(s.clone());
                s
            }
        };
        let as_of = chrono::DateTime::parse_from_rfc3339(&sim.as_of(day))
            .map_err(|e| DemoError::Config(e.to_string()))?
            .with_timezone(&chrono::Utc);
        let client =
            GraphClient::from_config(&config).map_err(|e| DemoError::Config(e.to_string()))?;
        let settings =
            Settings::from_config(&config, as_of).map_err(|e| DemoError::Config(e.to_string()))?;
        let report = collect_night(client, store.clone(), settings, Progress::hidden()).await?;
        let (summary, _) = {
            let mut s = store.lock().unwrap_or_else(|p| p.into_inner());
            crate::night::evaluate_latest(&mut s, &config)?
        };
        outcome.nights += 1;
        if report.status == RunStatus::Complete {
            outcome.complete_nights += 1;
        }
        outcome.last_findings = summary.total;
        outcome.config = files.config.clone();
        outcome.store = config.storage.database.clone();
        on_night(day, report.status);
    }
    sim.shutdown().await;
    Ok(outcome)
}
