//! The nightly pipeline as a library function: `vigie365 run` is that function and nothing
//! more (same files, same summary, same exit code as a call to `Pipeline::night` on the same
//! simulated tenant), and a night stops at the stage its caller asks for (`collect` after
//! collection, the demo after evaluation).

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use vigie365::checks::Severity;
use vigie365::exit::Outcome;
use vigie365::pipeline::{Job, Night, Pace, Pipeline, Until};

use common::bin::BIN;
use common::sim_night::{SimNight, options};

/// Runs `day`'s night of `n` through the library as far as `until`; the stages' summaries
/// are returned as they would be printed.
async fn night(n: &SimNight, day: u32, until: Until) -> (Night, String) {
    n.sim.set_day(day);
    let job = Job {
        config: &n.config,
        as_of: n.as_of(day),
        pace: Pace::default(),
        progress: false,
        until,
    };
    let mut said = String::new();
    let night = Pipeline::new()
        .night(&job, &mut |s| said.push_str(s))
        .await
        .expect("the night runs");
    (night, said)
}

/// The night's files in `dir`, by name.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return BTreeMap::new();
    };
    entries
        .flatten()
        .map(|e| {
            let bytes = std::fs::read(e.path()).expect("read output");
            (e.file_name().to_string_lossy().into_owned(), bytes)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_writes_what_the_pipeline_function_writes() {
    const DAY: u32 = 2;
    let by_binary = SimNight::start(options(11, 200, DAY)).await;
    let out = common::bin::output(
        Command::new(BIN)
            .args(["run", "--sans-progression", "--config"])
            .arg(&by_binary.config_path)
            .args(["--as-of", &by_binary.sim.as_of(DAY)]),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);

    let by_library = SimNight::start(options(11, 200, DAY)).await;
    let (night, said) = night(&by_library, DAY, Until::Written).await;

    let written = files(&by_library.config.storage.outputs);
    assert!(
        written.keys().any(|f| f.starts_with("constats-")),
        "{written:?}"
    );
    assert_eq!(files(&by_binary.config.storage.outputs), written);
    let here = by_library.dir.path().display().to_string();
    let there = by_binary.dir.path().display().to_string();
    assert_eq!(stdout, said.replace(&here, &there));
    assert_eq!(
        out.status.code(),
        Some(i32::from(night.outcome(None).code()))
    );
    by_binary.shutdown().await;
    by_library.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_night_stops_at_the_stage_asked_for() {
    let n = SimNight::start(options(12, 200, 1)).await;
    let outputs = n.config.storage.outputs.clone();

    let (collected, said) = night(&n, 1, Until::Collected).await;
    assert!(said.starts_with("Collecte n° "), "{said}");
    assert!(collected.evaluation.is_none());
    assert!(files(&outputs).is_empty(), "collect writes no night file");

    // The demo's nights: evaluated, no files (its output is the bilan).
    let (evaluated, _) = night(&n, 2, Until::Evaluated).await;
    let (summary, evaluation) = evaluated.evaluation.as_ref().expect("evaluated");
    assert_eq!(summary.night, n.sim.date(2));
    assert!(files(&outputs).is_empty(), "the demo writes no night file");
    assert!(evaluated.files.is_empty());
    // --fail-on decides on the night's open findings.
    let worst = evaluation
        .findings
        .iter()
        .filter(|f| !f.is_accepted())
        .map(|f| f.severity)
        .min()
        .expect("the simulated tenant has open findings");
    assert_eq!(evaluated.outcome(Some(worst)), Outcome::Findings);
    assert_eq!(
        evaluated.outcome(None),
        collected.outcome(None),
        "no --fail-on: the collection decides"
    );
    // A threshold above every open finding: the collection decides again.
    if let Some(above) = Severity::ALL.into_iter().find(|s| *s < worst) {
        assert_eq!(evaluated.outcome(Some(above)), evaluated.outcome(None));
    }

    let (written, said) = night(&n, 3, Until::Written).await;
    assert!(said.contains("Constats de la nuit du"), "{said}");
    let on_disk: Vec<String> = files(&outputs).into_keys().collect();
    assert_eq!(written.files.len(), 2, "{on_disk:?}");
    for f in &written.files {
        assert!(f.is_file(), "{}", f.display());
    }
    n.shutdown().await;
}
