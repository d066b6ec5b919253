//! `vigie365 demo`: a simulated CHSLD establishment, a simulated year, the real nightly job.
//!
//! The simulated tenant runs in-process on a loopback port; every night of the year the real
//! collectors read it over HTTP (tokens, paging, throttling, `$batch`, Exchange), the real
//! checks evaluate it and the store keeps the year — exactly what a real installation does,
//! with time accelerated by the simulator's time scale. No configuration, no network, no
//! credentials.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use crate::pipeline::{Job, Pace, Pipeline, PipelineError, Until};
use crate::sim::{Sim, SimOptions};
use crate::store::RunStatus;

/// What the demo simulates.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub accounts: u32,
    pub days: u32,
    pub seed: u64,
    /// Day 0 of the simulated year.
    pub start: NaiveDate,
    /// Where the configuration, the store, the outputs and the ground truth
    /// ([`truth_dir`]) go.
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
    Night(PipelineError),
    #[error("bilan de la démonstration : {0}")]
    Bilan(String),
    #[error("répertoire de la démonstration {path} : {detail}")]
    Io { path: PathBuf, detail: String },
}

impl From<PipelineError> for DemoError {
    fn from(e: PipelineError) -> DemoError {
        if e.is_configuration() {
            DemoError::Config(e.to_string())
        } else {
            DemoError::Night(e)
        }
    }
}

/// Where the demo keeps the simulator's ground truth of each night
/// (`verite-terrain-jNNN.json`: the findings a correct audit must produce that day), out of
/// the way of the configuration, the base and the outputs.
pub fn truth_dir(dir: &Path) -> PathBuf {
    dir.join("verite-terrain")
}

fn io_error(path: &Path) -> impl Fn(std::io::Error) -> DemoError + '_ {
    move |e| DemoError::Io {
        path: path.to_path_buf(),
        detail: e.to_string(),
    }
}

fn remove_previous(dir: &Path) -> Result<(), DemoError> {
    let truth = truth_dir(dir);
    if truth.exists() {
        std::fs::remove_dir_all(&truth).map_err(io_error(&truth))?;
    }
    for name in [
        "vigie365.sqlite",
        "vigie365.sqlite-wal",
        "vigie365.sqlite-shm",
        "vigie365.sqlite.lock",
    ] {
        let p = dir.join(name);
        if p.exists() {
            std::fs::remove_file(&p).map_err(io_error(&p))?;
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
    // Every path the demo names is absolute, wherever it was started from.
    let dir = std::path::absolute(&opts.dir).map_err(io_error(&opts.dir))?;
    let truth = truth_dir(&dir);
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    remove_previous(&dir)?;
    std::fs::create_dir_all(&truth).map_err(io_error(&truth))?;
    let sim = Sim::start(SimOptions {
        seed: opts.seed,
        accounts: opts.accounts,
        day: 0,
        start_date: opts.start,
        time_scale: opts.time_scale,
        ..SimOptions::default()
    })
    .await?;
    let mut pipeline = Pipeline::new();
    let mut outcome = DemoOutcome {
        config: PathBuf::new(),
        store: PathBuf::new(),
        nights: 0,
        complete_nights: 0,
        last_findings: 0,
    };
    for day in 0..opts.days {
        sim.set_day(day);
        let files = sim.write_setup(&dir, day)?;
        let kept = truth.join(files.truth.file_name().unwrap_or_default());
        std::fs::rename(&files.truth, &kept).map_err(io_error(&kept))?;
        let config = crate::config::load(&files.config, &crate::checks::registry::load_options())
            .map_err(|e| DemoError::Config(e.to_string()))?;
        let as_of = chrono::DateTime::parse_from_rfc3339(&sim.as_of(day))
            .map_err(|e| DemoError::Config(e.to_string()))?
            .with_timezone(&chrono::Utc);
        let job = Job {
            config: &config,
            as_of,
            pace: Pace::default(),
            progress: false,
            until: Until::Evaluated,
        };
        let night = pipeline.night(&job, &mut |_| {}).await?;
        outcome.nights += 1;
        if night.collection.status == RunStatus::Complete {
            outcome.complete_nights += 1;
        }
        // A night whose collection failed is not evaluated: the last count stands.
        if let Some((summary, _)) = &night.evaluation {
            outcome.last_findings = summary.total;
        }
        outcome.config = files.config.clone();
        outcome.store = config.storage.database.clone();
        on_night(day, night.collection.status);
    }
    sim.shutdown().await;
    Ok(outcome)
}

/// The bilan of the simulated year, written into the demo's output directory.
pub fn bilan(
    outcome: &DemoOutcome,
    opts: &DemoOptions,
) -> Result<(crate::report::bilan::Bilan, Vec<PathBuf>), DemoError> {
    use crate::report::bilan;
    let bilan_error = |e: &dyn std::fmt::Display| DemoError::Bilan(e.to_string());
    let config = crate::config::load(&outcome.config, &crate::checks::registry::load_options())
        .map_err(|e| bilan_error(&e))?;
    let (b, _, rendered) =
        bilan::of_simulation(&config, opts.start, opts.days).map_err(|e| bilan_error(&e))?;
    let files = bilan::write(&rendered, &config.storage.outputs).map_err(|e| bilan_error(&e))?;
    Ok((b, files))
}
