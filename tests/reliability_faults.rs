//! Fault equivalence: a night under injected faults (429, 503, 504, reset connections,
//! truncated bodies — 5 % of requests — and tokens that die every few minutes) reports
//! exactly the findings of the calm night of the same seed and day.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use vigie365::collect::{Progress, Settings, collect_night};
use vigie365::graph::GraphClient;
use vigie365::sim::{FaultRates, Sim, SimOptions, SimStats};
use vigie365::store::{RunStatus, Store};

type Key = (String, String, String, bool);

async fn findings(
    seed: u64,
    day: u32,
    faults: FaultRates,
) -> (BTreeSet<Key>, SimStats, BTreeSet<Key>) {
    let sim = Sim::start(SimOptions {
        seed,
        accounts: 1000,
        day,
        time_scale: 200.0,
        faults,
        ..SimOptions::default()
    })
    .await
    .expect("sim");
    let dir = tempfile::tempdir().expect("tempdir");
    let files = sim.write_setup(dir.path(), day).expect("setup");
    let config = vigie365::config::load(&files.config).expect("config");
    let as_of = chrono::DateTime::parse_from_rfc3339(&sim.as_of(day))
        .expect("as_of")
        .with_timezone(&chrono::Utc);
    let store = Arc::new(Mutex::new(
        Store::open(&config.storage.database).expect("store"),
    ));
    let report = collect_night(
        GraphClient::from_config(&config).expect("client"),
        store.clone(),
        Settings::from_config(&config, as_of).expect("settings"),
        Progress::hidden(),
    )
    .await
    .expect("collect");
    assert_eq!(report.status, RunStatus::Complete, "{:#?}", report.sources);
    let (_, evaluation) = {
        let mut s = store.lock().expect("store");
        vigie365::night::evaluate_latest(&mut s, &config).expect("evaluate")
    };
    let ours = evaluation
        .findings
        .iter()
        .map(|f| {
            (
                f.check.to_string(),
                f.subject.clone(),
                f.severity.label().to_string(),
                f.is_accepted(),
            )
        })
        .collect();
    let truth = sim
        .ground_truth(day)
        .findings
        .iter()
        .map(|f| {
            (
                f.check.clone(),
                f.subject.clone(),
                f.severity.clone(),
                f.accepted,
            )
        })
        .collect();
    let stats = sim.stats();
    sim.shutdown().await;
    (ours, stats, truth)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hostile_night_reports_the_same_findings_as_a_calm_one() {
    let hostile = FaultRates {
        http429: 0.01,
        http503: 0.01,
        http504: 0.01,
        reset: 0.01,
        truncate: 0.01,
        token_lifetime_secs: Some(300.0),
    };
    let mut injected = 0;
    let mut kinds = BTreeSet::new();
    for (seed, day) in [(3u64, 6u32), (8, 20), (13, 33)] {
        let (calm, _, truth) = findings(seed, day, FaultRates::default()).await;
        let (stormy, stats, _) = findings(seed, day, hostile.clone()).await;
        let f = &stats.faults;
        for (name, n) in [
            ("429", f.http429),
            ("503", f.http503),
            ("504", f.http504),
            ("reset", f.reset),
            ("truncate", f.truncate),
            ("token", f.token_expired),
        ] {
            if n > 0 {
                kinds.insert(name);
            }
            injected += n;
        }
        assert_eq!(
            stormy, calm,
            "seed {seed} day {day}: findings differ under faults"
        );
        assert_eq!(
            calm, truth,
            "seed {seed} day {day}: and both equal the ground truth"
        );
    }
    assert!(injected >= 15, "faults were injected: {injected}");
    assert_eq!(
        kinds.len(),
        6,
        "every kind of fault happened at least once: {kinds:?}"
    );
}
