//! Each establishment of the simulated provincial tenant audits its own population: a night
//! run with the `etablissement-<code>.toml` the simulator writes (its `[perimetre]`: an
//! address pattern, an administrative unit, an attribute, or several) gives exactly that
//! establishment's findings of the ground truth, plus the tenant's own settings, with
//! precision = recall = 1.0, and names no account of another establishment nor any account
//! « non attribué ».

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use vigie365::collect::{Progress, Settings, collect_night};
use vigie365::config::Config;
use vigie365::graph::GraphClient;
use vigie365::model::Account;
use vigie365::store::{RunStatus, Store};

use common::sim_night::{SimNight, options};

const DAY: u32 = 40;

type Key = (String, String, String, String, bool);

async fn night(n: &SimNight, config: &Config) -> Arc<Mutex<Store>> {
    let store = Arc::new(Mutex::new(
        Store::open(&config.storage.database).expect("store"),
    ));
    let client = GraphClient::from_config(config).expect("client");
    let settings = Settings::from_config(config, n.as_of(DAY)).expect("settings");
    let report = collect_night(client, store.clone(), settings, Progress::hidden())
        .await
        .expect("collect");
    assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
    store
}

fn keys<'a>(findings: impl Iterator<Item = &'a vigie365::sim::Finding>) -> BTreeSet<Key> {
    findings
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_establishment_gets_exactly_its_own_findings() {
    // Four establishments: one of each way the simulator makes them known (address pattern
    // and companyName, administrative unit by name, extensionAttribute10, pattern and unit
    // by id).
    let mut opts = options(31, 800, DAY);
    opts.establishments = Some(4);
    let n = SimNight::start(opts).await;
    n.sim.set_day(DAY);
    let truth = n.sim.provincial_truth(DAY).expect("provincial truth");
    let files = n
        .sim
        .write_setup(n.dir.path(), DAY)
        .expect("setup")
        .provincial
        .expect("provincial files");
    assert_eq!(files.establishments.len(), 4);
    assert!(
        !truth.non_attribue.comptes.is_empty(),
        "« non attribué » accounts exist"
    );
    let tenant_wide = keys(truth.locataire.iter());
    for (path, expected) in files.establishments.iter().zip(&truth.etablissements) {
        let config = vigie365::config::load(path, &vigie365::checks::registry::load_options())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(config.perimeter.is_some(), "{}", path.display());
        let store = night(&n, &config).await;
        let mut s = store.lock().expect("store");
        let (_, evaluation) = vigie365::night::evaluate_latest(&mut s, &config).expect("evaluate");
        let ours: BTreeSet<Key> = evaluation
            .findings
            .iter()
            .map(|f| {
                (
                    f.check.to_string(),
                    f.subject.clone(),
                    f.severity.label().to_string(),
                    f.population.as_str().to_string(),
                    f.is_accepted(),
                )
            })
            .collect();
        let mut want = keys(expected.findings.iter());
        want.extend(tenant_wide.iter().cloned());
        let extra: Vec<&Key> = ours.difference(&want).collect();
        let missing: Vec<&Key> = want.difference(&ours).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{}: {} found, {} expected; extra {extra:?}; missing {missing:?}",
            expected.code,
            ours.len(),
            want.len()
        );
        // The accounts stored are the establishment's, every one of them.
        let stored: BTreeSet<String> = s
            .current::<Account>()
            .expect("accounts")
            .into_iter()
            .map(|a| a.upn.to_lowercase())
            .collect();
        let own: BTreeSet<String> = expected.comptes.iter().cloned().collect();
        assert_eq!(stored, own, "{}: accounts stored", expected.code);
        for other in truth
            .etablissements
            .iter()
            .filter(|o| o.code != expected.code)
        {
            assert!(
                other
                    .findings
                    .iter()
                    .all(|f| !ours.iter().any(|k| k.1 == f.subject)),
                "{}: a finding of {}",
                expected.code,
                other.code
            );
        }
    }
}
