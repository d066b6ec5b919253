//! Fault equivalence: a night under injected faults (429, 503, 504, reset connections,
//! truncated bodies — 5 % of requests — and tokens that die every few minutes) reports
//! exactly the findings of the calm night of the same seed and day.

mod common;

use std::collections::BTreeSet;

use vigie365::sim::{FaultRates, SimOptions, SimStats};
use vigie365::store::RunStatus;

use common::sim_night::{SimNight, options};

type Key = (String, String, String, bool);

async fn findings(
    seed: u64,
    day: u32,
    faults: FaultRates,
) -> (BTreeSet<Key>, SimStats, BTreeSet<Key>) {
    let n = SimNight::start(SimOptions {
        faults,
        ..options(seed, 1000, day)
    })
    .await;
    let (store, report) = n.collect(day).await;
    assert_eq!(report.status, RunStatus::Complete, "{:#?}", report.sources);
    let (_, evaluation) = n.evaluate(&store);
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
    let truth = n
        .sim
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
    let stats = n.sim.stats();
    n.shutdown().await;
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
