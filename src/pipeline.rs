//! The nightly job in one place: collect the tenant into the store, evaluate the night,
//! write the night's files. `vigie365 run` and `vigie365 collect` call [`Pipeline::night`],
//! the demo calls it once per simulated night, and so do the tests: there is no other way
//! through the three stages.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDate, Utc};

use crate::checks::{Evaluation, Finding, Severity};
use crate::collect::{CollectError, NightReport, Progress, Settings, collect_night};
use crate::config::Config;
use crate::exit::Outcome;
use crate::graph::{GraphClient, SetupError};
use crate::night::{EvaluationSummary, NightError};
use crate::report::ReportError;
use crate::report::nightly::{self, Nightly};
use crate::store::{History, RunStatus, Store, StoreError};

/// How far a night goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Until {
    /// `vigie365 collect`: the tenant read into the store.
    Collected,
    /// The findings and their lifecycle recorded (the demo: its files are the bilan's).
    Evaluated,
    /// `vigie365 run`: and the night's files written (`constats-AAAA-MM-JJ.csv`, `.jsonl`).
    Written,
}

/// How many requests at once (`--concurrency`, `--no-batch`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pace {
    /// Requests in flight per source; 1 runs the sources one after the other. `None`: the
    /// configuration's `lots_simultanes`.
    pub concurrency: Option<u32>,
    /// Inbox rules read with one GET per mailbox, without `$batch`.
    pub no_batch: bool,
}

/// One night to run.
#[derive(Debug, Clone, Copy)]
pub struct Job<'a> {
    pub config: &'a Config,
    /// The instant the night is evaluated "as of".
    pub as_of: DateTime<Utc>,
    pub pace: Pace,
    /// Progress bars on stderr (when it is a terminal).
    pub progress: bool,
    pub until: Until,
}

impl Job<'_> {
    /// The collection settings of the configuration, paced as asked.
    pub fn settings(&self) -> Result<Settings, crate::classify::RegisterError> {
        let mut settings = Settings::from_config(self.config, self.as_of)?;
        if let Some(n) = self.pace.concurrency {
            settings = settings.with_concurrency(n as usize);
        }
        if self.pace.no_batch {
            settings = settings.without_batch();
        }
        Ok(settings)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The classification register named by the configuration is unusable.
    #[error(transparent)]
    Register(#[from] crate::classify::RegisterError),
    /// No client could be built from the configuration (credentials, endpoints).
    #[error(transparent)]
    Client(#[from] SetupError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Collect(#[from] CollectError),
    #[error(transparent)]
    Evaluate(#[from] NightError),
    #[error(transparent)]
    Write(#[from] ReportError),
}

impl PipelineError {
    /// The configuration is at fault: nothing was attempted.
    pub fn is_configuration(&self) -> bool {
        match self {
            PipelineError::Register(_) | PipelineError::Client(_) => true,
            PipelineError::Collect(e) => e.is_configuration(),
            _ => false,
        }
    }
}

/// What a night produced, stage by stage.
#[derive(Debug)]
pub struct Night {
    pub collection: NightReport,
    /// `None` when the night stopped at collection, or the collection failed.
    pub evaluation: Option<(EvaluationSummary, Evaluation)>,
    /// The night's files, when they were written.
    pub files: Vec<PathBuf>,
    /// The provincial mode: each establishment's evaluation, then « non attribué »'s
    /// (`evaluation` is then `None`).
    pub establishments: Vec<EstablishmentNight>,
}

/// One establishment's evaluation in a provincial night.
#[derive(Debug)]
pub struct EstablishmentNight {
    /// Its code (the store's evaluation slice, its outputs' directory).
    pub code: String,
    pub name: String,
    pub summary: EvaluationSummary,
    pub evaluation: Evaluation,
    pub files: Vec<PathBuf>,
}

impl Night {
    /// The open findings (not accepted, not a tenant-wide setting governed elsewhere) at
    /// `threshold` or more severe, the most severe first: those that make `--fail-on` exit 4.
    pub fn reaching(&self, threshold: Severity) -> Vec<&Finding> {
        let mut found: Vec<&Finding> = self
            .evaluation
            .iter()
            .map(|(_, e)| e)
            .chain(self.establishments.iter().map(|e| &e.evaluation))
            .flat_map(|e| &e.findings)
            .filter(|f| f.is_the_establishments_to_fix() && f.severity <= threshold)
            .collect();
        found.sort_by(|a, b| {
            (a.severity, a.check, &a.subject).cmp(&(b.severity, b.check, &b.subject))
        });
        found
    }

    /// The exit code: 1 if the collection failed, else 4 if an open finding reaches
    /// `fail_on`, else 3 if a source could not be read, else 0.
    pub fn outcome(&self, fail_on: Option<Severity>) -> Outcome {
        if fail_on.is_some_and(|t| !self.reaching(t).is_empty()) {
            return Outcome::Findings;
        }
        match self.collection.status {
            RunStatus::Complete => Outcome::Complete,
            RunStatus::Partial => Outcome::Partial,
            _ => Outcome::Failed,
        }
    }
}

/// The store the nights write to, opened on the first night and kept for the next ones.
#[derive(Default)]
pub struct Pipeline {
    store: Option<Arc<Mutex<Store>>>,
    history: History,
}

impl Pipeline {
    pub fn new() -> Pipeline {
        Pipeline::default()
    }

    /// Whether the store may start a new history (`--nouvelle-base`).
    pub fn with_history(self, history: History) -> Pipeline {
        Pipeline { history, ..self }
    }

    fn store(&mut self, config: &Config) -> Result<Arc<Mutex<Store>>, StoreError> {
        if let Some(s) = &self.store {
            return Ok(s.clone());
        }
        let s = Arc::new(Mutex::new(Store::open_with(
            &config.storage.database,
            self.history,
        )?));
        self.store = Some(s.clone());
        Ok(s)
    }

    /// Runs one night as far as `job.until`. `say` is given the French summary of each
    /// stage as it ends (stdout for the command line, nothing for the demo).
    pub async fn night(
        &mut self,
        job: &Job<'_>,
        say: &mut dyn FnMut(&str),
    ) -> Result<Night, PipelineError> {
        let settings = job.settings()?;
        let client = GraphClient::from_config(job.config)?;
        let store = self.store(job.config)?;
        let progress = if job.progress {
            Progress::new(true)
        } else {
            Progress::hidden()
        };
        let collection = collect_night(client, store.clone(), settings, progress).await?;
        say(&crate::collect::summary_fr(&collection));
        let mut night = Night {
            collection,
            evaluation: None,
            files: Vec::new(),
            establishments: Vec::new(),
        };
        if job.until == Until::Collected || night.collection.status == RunStatus::Failed {
            return Ok(night);
        }
        let mut store = store.lock().unwrap_or_else(|p| p.into_inner());
        if job.config.is_provincial() {
            night.establishments = provincial(&mut store, job.config, job.until, say)?;
            return Ok(night);
        }
        let (summary, evaluation) = crate::night::evaluate_latest(&mut store, job.config)?;
        if job.until == Until::Written {
            let outputs = &job.config.storage.outputs;
            let (_, files, text) = write_night(&store, Some(summary.night), job.config, outputs)?;
            say(&text);
            night.files = files;
        }
        night.evaluation = Some((summary, evaluation));
        Ok(night)
    }
}

/// The provincial night's evaluations: each establishment on its own accounts, as its own
/// night would have evaluated them (its slice of the store, its configuration), then the
/// accounts no perimeter retains (« non attribué »); then the attribution's summary (and,
/// `until` written, every slice's files and `attribution-<nuit>.csv`).
pub fn provincial(
    store: &mut Store,
    config: &Config,
    until: Until,
    say: &mut dyn FnMut(&str),
) -> Result<Vec<EstablishmentNight>, PipelineError> {
    let slices = config.slices();
    let mut out = Vec::new();
    for (code, of) in slices {
        store.set_establishment(&code);
        let evaluated = evaluate_slice(store, until, code, &of, say);
        store.set_establishment("");
        out.push(evaluated?);
    }
    let attribution = crate::report::attribution::attribution(store, config)?;
    say(&crate::report::attribution::summary_fr(&attribution));
    if until == Until::Written {
        crate::report::attribution::write(&attribution, &config.storage.outputs)?;
    }
    Ok(out)
}

/// One establishment's evaluation and files, in the store's slice `code`.
fn evaluate_slice(
    store: &mut Store,
    until: Until,
    code: String,
    of: &Config,
    say: &mut dyn FnMut(&str),
) -> Result<EstablishmentNight, PipelineError> {
    let (summary, evaluation) = crate::night::evaluate_latest(store, of)?;
    let mut files = Vec::new();
    if until == Until::Written {
        let (_, written, text) = write_night(store, Some(summary.night), of, &of.storage.outputs)?;
        say(&format!(
            "\n== {} ({code}) ==\n{text}",
            of.tenant.establishment
        ));
        files = written;
    }
    Ok(EstablishmentNight {
        code,
        name: of.tenant.establishment.clone(),
        summary,
        evaluation,
        files,
    })
}

/// Writes the files of an evaluated night (the latest if `night` is `None`) into `dir`, and
/// gives its French summary (`vigie365 run`, `vigie365 report`).
pub fn write_night(
    store: &Store,
    night: Option<NaiveDate>,
    config: &Config,
    dir: &Path,
) -> Result<(Nightly, Vec<PathBuf>, String), ReportError> {
    let n = nightly::build(store, night, &config.tenant.establishment)?;
    let files = nightly::write(&n, dir)?;
    let text = nightly::summary(&n, &files, config.report.templates.as_deref())?;
    Ok((n, files, text))
}
