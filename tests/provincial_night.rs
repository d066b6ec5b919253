//! The provincial mode: one night over the whole simulated provincial tenant
//! (`provincial.toml`, its `[[etablissements]]`) evaluates each establishment on its own
//! accounts, as that establishment's own night with its `[perimetre]` does. Over two nights,
//! every establishment's nightly files and bilan (HTML, Markdown, JSON, CSV annexes) written
//! from the provincial store equal, byte for byte, those its own store gives; the accounts no
//! perimeter retains are evaluated apart and reported (« non attribué »), never dropped.

mod common;

use vigie365::config::{Config, UNATTRIBUTED_CODE};
use vigie365::pipeline::Until;
use vigie365::report::bilan::{self, Period};
use vigie365::store::{RunStatus, Store};

use common::sim_night::{SimNight, keys_of_findings, keys_of_truth, options};

const FIRST: u32 = 40;
const NIGHTS: u32 = 2;

fn load(path: &std::path::Path) -> Config {
    vigie365::config::load(path, &vigie365::checks::registry::load_options())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The night's files and the bilan of the nights so far, as (file name, bytes).
fn outputs(store: &Store, config: &Config, first: chrono::NaiveDate) -> Vec<(String, Vec<u8>)> {
    let nightly = vigie365::report::nightly::build(store, None, &config.tenant.establishment)
        .expect("nightly");
    let mut out = vec![
        (
            "constats.csv".to_string(),
            vigie365::report::nightly::csv_bytes(&nightly.rows).expect("csv"),
        ),
        (
            "resume.txt".to_string(),
            vigie365::report::nightly::summary(&nightly, &[], None)
                .expect("summary")
                .into_bytes(),
        ),
    ];
    let period = Period::between(first, nightly.run.night).expect("period");
    let ctx = bilan::Context::from_config(config);
    let b = bilan::compute_for(store, &period, &ctx).expect("bilan");
    let r = bilan::render(&b, &period, &ctx).expect("render");
    out.extend(r.files);
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_establishment_of_the_provincial_night_equals_its_own_night() {
    let mut opts = options(47, 900, FIRST);
    opts.establishments = Some(3);
    let n = SimNight::start(opts).await;
    let mut first_night = None;
    for day in FIRST..FIRST + NIGHTS {
        n.sim.set_day(day);
        let files = n.provincial_setup(day);
        let truth = n.sim.provincial_truth(day).expect("provincial truth");
        let provincial = load(&files.config);
        assert_eq!(provincial.establishments.len(), 3);
        // The provincial night: one collection of the whole tenant, then each slice.
        let (store, report) = n.collect_for(&provincial, day, |s| s).await;
        assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
        let mut said = String::new();
        let nights = {
            let mut p = store.lock().expect("store");
            vigie365::pipeline::provincial(&mut p, &provincial, Until::Evaluated, &mut |s| {
                said.push_str(s)
            })
            .expect("provincial evaluation")
        };
        let codes: Vec<&str> = nights.iter().map(|e| e.code.as_str()).collect();
        let mut want: Vec<&str> = provincial
            .establishments
            .iter()
            .map(|e| e.code.as_str())
            .collect();
        want.push(UNATTRIBUTED_CODE);
        assert_eq!(codes, want);
        // « non attribué »: reported with its count, and its findings are the truth's.
        let attribution = {
            let p = store.lock().expect("store");
            vigie365::report::attribution::attribution(&p, &provincial).expect("attribution")
        };
        assert_eq!(
            attribution.unattributed.len(),
            truth.non_attribue.comptes.len(),
            "{said}"
        );
        assert!(
            said.contains(&format!(
                "Non attribués (aucun périmètre ne les retient) : {} compte(s)",
                truth.non_attribue.comptes.len()
            )),
            "{said}"
        );
        let first = *first_night.get_or_insert(nights[0].summary.night);
        for (path, e) in files.establishments.iter().zip(&provincial.establishments) {
            let own = load(path);
            let (own_store, own_report) = n.collect_for(&own, day, |s| s).await;
            assert_eq!(own_report.status, RunStatus::Complete);
            let mut o = own_store.lock().expect("own store");
            let (_, own_eval) = vigie365::night::evaluate_latest(&mut o, &own).expect("evaluate");
            let mut p = store.lock().expect("store");
            let slice = nights.iter().find(|x| x.code == e.code).expect("slice");
            assert_eq!(
                keys_of_findings(&slice.evaluation.findings),
                keys_of_findings(&own_eval.findings),
                "{}: the provincial night's findings are the own night's",
                e.code
            );
            let expected = truth
                .etablissements
                .iter()
                .find(|t| t.code == e.code)
                .expect("truth of the establishment");
            let theirs = keys_of_truth(&expected.findings);
            assert!(
                !theirs.is_empty()
                    && theirs.is_subset(&keys_of_findings(&slice.evaluation.findings)),
                "{}: its ground truth is found",
                e.code
            );
            p.set_establishment(&e.code);
            let from_provincial = outputs(&p, &provincial.for_establishment(e), first);
            p.set_establishment("");
            drop(p);
            let from_own = outputs(&o, &own, first);
            let names =
                |v: &[(String, Vec<u8>)]| v.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
            assert_eq!(names(&from_provincial), names(&from_own));
            assert!(from_own.len() >= 6, "{:?}", names(&from_own));
            for ((name, a), (_, b)) in from_provincial.iter().zip(&from_own) {
                assert!(
                    a == b,
                    "{} day {day}: {name} differs between the provincial store and the own store:\n{}",
                    e.code,
                    first_difference(a, b)
                );
            }
        }
        // « non attribué »: exactly its accounts' findings, and the tenant's settings (the
        // provincial team governs both).
        let unattributed = nights.last().expect("non attribué");
        let mut want = keys_of_truth(&truth.non_attribue.findings);
        want.extend(keys_of_truth(&truth.locataire));
        let ours = keys_of_findings(&unattributed.evaluation.findings);
        let extra: Vec<_> = ours.difference(&want).collect();
        let missing: Vec<_> = want.difference(&ours).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "non attribué, day {day}: extra {extra:?}; missing {missing:?}"
        );
    }
    n.shutdown().await;
}

/// Where two outputs first differ, with some context.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let at = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .unwrap_or(a.len().min(b.len()));
    let show = |v: &[u8]| {
        String::from_utf8_lossy(&v[at.saturating_sub(200)..(at + 200).min(v.len())]).into_owned()
    };
    format!(
        "at byte {at}:\n--- provincial\n{}\n--- own\n{}",
        show(a),
        show(b)
    )
}
