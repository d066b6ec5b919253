//! `vigie365 demo`: a simulated CHSLD establishment, a simulated year, the real nightly job.
//!
//! The simulated tenant runs in-process on a loopback port; every night of the year the real
//! collectors read it over HTTP (tokens, paging, throttling, `$batch`, Exchange), the real
//! checks evaluate it and the store keeps the year — exactly what a real installation does,
//! with time accelerated by the simulator's time scale. No configuration, no network, no
//! credentials.
//!
//! With `establishments` (`demo --etablissements N`), the simulated tenant is a provincial
//! one shared by N establishments: every night runs once per establishment with the
//! configuration the simulator writes for it (its `[perimetre]`, its own base and outputs),
//! each writes its bilan, and the network bilan consolidates them (`consolider`).

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
    /// A provincial tenant shared by that many establishments (1 to 40), each audited with
    /// its own perimeter.
    pub establishments: Option<u32>,
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
            establishments: None,
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
    /// The establishments' configurations of a provincial demo, in order (empty otherwise).
    pub establishments: Vec<PathBuf>,
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
    // The base of the single establishment and those of a provincial demo's establishments.
    let entries = std::fs::read_dir(dir).map_err(io_error(dir))?;
    for entry in entries {
        let p = entry.map_err(io_error(dir))?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let stem_ok = name.starts_with("vigie365.") || name.starts_with("etablissement-");
        let base = [".sqlite", ".sqlite-wal", ".sqlite-shm", ".sqlite.lock"]
            .iter()
            .any(|ext| name.ends_with(ext));
        if stem_ok && base && p.is_file() {
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
        establishments: opts.establishments,
        ..SimOptions::default()
    })
    .await?;
    // One pipeline per audited establishment (a provincial demo runs each night once for
    // each, with its own base).
    let mut pipelines: Vec<Pipeline> = Vec::new();
    let mut outcome = DemoOutcome {
        config: PathBuf::new(),
        store: PathBuf::new(),
        nights: 0,
        complete_nights: 0,
        last_findings: 0,
        establishments: Vec::new(),
    };
    for day in 0..opts.days {
        sim.set_day(day);
        let files = sim.write_setup(&dir, day)?;
        let kept = truth.join(files.truth.file_name().unwrap_or_default());
        std::fs::rename(&files.truth, &kept).map_err(io_error(&kept))?;
        if let Some(p) = &files.provincial {
            let kept = truth.join(p.truth.file_name().unwrap_or_default());
            std::fs::rename(&p.truth, &kept).map_err(io_error(&kept))?;
        }
        let configs: Vec<PathBuf> = match (&files.provincial, opts.establishments) {
            (Some(p), Some(_)) => p.establishments.clone(),
            _ => vec![files.config.clone()],
        };
        pipelines.resize_with(configs.len(), Pipeline::new);
        let as_of = chrono::DateTime::parse_from_rfc3339(&sim.as_of(day))
            .map_err(|e| DemoError::Config(e.to_string()))?
            .with_timezone(&chrono::Utc);
        let mut status = RunStatus::Complete;
        let mut findings = None;
        for (path, pipeline) in configs.iter().zip(pipelines.iter_mut()) {
            let config = crate::config::load(path, &crate::checks::registry::load_options())
                .map_err(|e| DemoError::Config(e.to_string()))?;
            let job = Job {
                config: &config,
                as_of,
                pace: Pace::default(),
                progress: false,
                until: Until::Evaluated,
            };
            let night = pipeline.night(&job, &mut |_| {}).await?;
            if night.collection.status != RunStatus::Complete {
                status = night.collection.status;
            }
            // A night whose collection failed is not evaluated: the last count stands.
            if let Some((summary, _)) = &night.evaluation {
                *findings.get_or_insert(0) += summary.total;
            }
            outcome.store = config.storage.database.clone();
        }
        outcome.nights += 1;
        if status == RunStatus::Complete {
            outcome.complete_nights += 1;
        }
        if let Some(n) = findings {
            outcome.last_findings = n;
        }
        outcome.config = files.config.clone();
        if opts.establishments.is_some() {
            outcome.establishments = configs;
        }
        on_night(day, status);
    }
    sim.shutdown().await;
    Ok(outcome)
}

/// The bilan of the simulated year, written into the demo's output directory.
pub fn bilan(
    outcome: &DemoOutcome,
    opts: &DemoOptions,
) -> Result<(crate::report::bilan::Bilan, Vec<PathBuf>), DemoError> {
    bilan_of(&outcome.config, opts)
}

fn bilan_of(
    config: &Path,
    opts: &DemoOptions,
) -> Result<(crate::report::bilan::Bilan, Vec<PathBuf>), DemoError> {
    use crate::report::bilan;
    let bilan_error = |e: &dyn std::fmt::Display| DemoError::Bilan(e.to_string());
    let config = crate::config::load(config, &crate::checks::registry::load_options())
        .map_err(|e| bilan_error(&e))?;
    let (b, _, rendered) =
        bilan::of_simulation(&config, opts.start, opts.days).map_err(|e| bilan_error(&e))?;
    let files = bilan::write(&rendered, &config.storage.outputs).map_err(|e| bilan_error(&e))?;
    Ok((b, files))
}

/// Where a provincial demo writes the network bilan.
pub fn network_dir(dir: &Path) -> PathBuf {
    dir.join("sorties-reseau")
}

/// What a provincial demo wrote.
#[derive(Debug, Clone)]
pub struct ProvincialBilans {
    /// Each establishment's name and the files of its bilan.
    pub each: Vec<(String, Vec<PathBuf>)>,
    /// The files of the network bilan.
    pub network: Vec<PathBuf>,
}

/// A provincial demo's bilans: each establishment's, then the network bilan consolidated
/// from their JSON documents.
pub fn provincial_bilans(
    outcome: &DemoOutcome,
    opts: &DemoOptions,
) -> Result<ProvincialBilans, DemoError> {
    let mut each = Vec::new();
    let mut documents = Vec::new();
    for config in &outcome.establishments {
        let (b, files) = bilan_of(config, opts)?;
        documents.extend(
            files
                .iter()
                .filter(|f| f.extension().is_some_and(|e| e == "json"))
                .cloned(),
        );
        each.push((b.etablissement.clone(), files));
    }
    let dir = std::path::absolute(&opts.dir).map_err(io_error(&opts.dir))?;
    let (_, network) = crate::consolidate::run(&documents, None, &network_dir(&dir))
        .map_err(|e| DemoError::Bilan(e.to_string()))?;
    Ok(ProvincialBilans { each, network })
}
