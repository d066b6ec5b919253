//! Each establishment of the simulated provincial tenant audits its own population: a night
//! run with the `etablissement-<code>.toml` the simulator writes (its `[perimetre]`: an
//! address pattern, an administrative unit, an attribute, or several) gives exactly that
//! establishment's findings of the ground truth, plus the tenant's own settings, with
//! precision = recall = 1.0, and names no account of another establishment nor any account
//! « non attribué ».

mod common;

use std::collections::BTreeSet;

use vigie365::model::Account;
use vigie365::store::RunStatus;

use common::sim_night::{FindingKey as Key, SimNight, keys_of_findings, keys_of_truth, options};

const DAY: u32 = 40;

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
    let files = n.provincial_setup(DAY);
    assert_eq!(files.establishments.len(), 4);
    assert!(
        !truth.non_attribue.comptes.is_empty(),
        "« non attribué » accounts exist"
    );
    let tenant_wide = keys_of_truth(&truth.locataire);
    assert!(
        !tenant_wide.is_empty(),
        "the simulated tenant has settings to report"
    );
    for (path, expected) in files.establishments.iter().zip(&truth.etablissements) {
        let config = vigie365::config::load(path, &vigie365::checks::registry::load_options())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(config.perimeter.is_some(), "{}", path.display());
        let (store, report) = n.collect_for(&config, DAY, |s| s).await;
        assert_eq!(report.status, RunStatus::Complete, "{:?}", report.sources);
        let mut s = store.lock().expect("store");
        let (_, evaluation) = vigie365::night::evaluate_latest(&mut s, &config).expect("evaluate");
        let ours: BTreeSet<Key> = keys_of_findings(&evaluation.findings);
        let mut want = keys_of_truth(&expected.findings);
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
        // The tenant's settings are governed by the provincial team: « contrôles du
        // locataire », in none of the establishment's figures.
        const GOVERNOR: &str = "Équipe provinciale Microsoft 365";
        for f in &evaluation.findings {
            let tenant = f.subject == "locataire" || f.subject.starts_with("transport:");
            assert_eq!(
                f.governed_by.as_deref(),
                tenant.then_some(GOVERNOR),
                "{}: {} {}",
                expected.code,
                f.check,
                f.subject
            );
            assert_eq!(
                f.is_the_establishments_to_fix(),
                !tenant && !f.is_accepted()
            );
        }
        let nightly = vigie365::report::nightly::build(&s, None, &config.tenant.establishment)
            .expect("nightly");
        assert_eq!(nightly.tenant, tenant_wide.len(), "{}", expected.code);
        for r in &nightly.rows {
            let tenant = r.sujet == "locataire" || r.sujet.starts_with("transport:");
            assert_eq!(
                r.statut == vigie365::report::nightly::TENANT_CONTROL,
                tenant,
                "{}: {} {}",
                expected.code,
                r.controle,
                r.sujet
            );
            assert_eq!(r.gouverne_par.as_deref(), tenant.then_some(GOVERNOR));
        }
        let own_open = nightly.open_by_severity.values().sum::<usize>();
        let want_open = nightly
            .rows
            .iter()
            .filter(|r| r.statut != vigie365::report::nightly::TENANT_CONTROL)
            .filter(|r| r.exception.is_none())
            .filter(|r| r.statut != vigie365::report::nightly::PARTIAL)
            .count();
        assert_eq!(own_open, want_open, "{}", expected.code);
        let summary = vigie365::report::nightly::summary(&nightly, &[], None).expect("summary");
        if !tenant_wide.is_empty() {
            assert!(
                summary
                    .contains("Contrôles du locataire (réglages gouvernés hors de l'établissement"),
                "{summary}"
            );
        }
        let day = nightly.run.night;
        let period = vigie365::report::bilan::Period {
            du: day,
            au: day,
            arrete_au: None,
            label: "nuit".into(),
        };
        let ctx = vigie365::report::bilan::Context::from_config(&config);
        assert_eq!(ctx.tenant_governed_by.as_deref(), Some(GOVERNOR));
        let b = vigie365::report::bilan::compute_for(&s, &period, &ctx).expect("bilan");
        let t = b
            .controles_locataire
            .as_ref()
            .expect("contrôles du locataire");
        assert_eq!(t.gouvernes_par, GOVERNOR);
        let tenant_ids: BTreeSet<&str> = t.controles.iter().map(|c| c.id).collect();
        assert_eq!(
            tenant_ids,
            ["ENC-EXT-01", "FWD-ORG-01", "FWD-TRN-01", "LOG-AUD-01"]
                .into_iter()
                .collect()
        );
        assert!(b.controles.iter().all(|c| !tenant_ids.contains(c.id)));
        assert_eq!(
            t.controles
                .iter()
                .map(|c| c.ouverts_fin as usize)
                .sum::<usize>(),
            tenant_wide.len(),
            "{}",
            expected.code
        );
        let own_states: usize = b
            .controles
            .iter()
            .filter(|c| c.nature == "etat")
            .map(|c| c.ouverts_fin as usize)
            .sum();
        let want_states = evaluation
            .findings
            .iter()
            .filter(|f| f.governed_by.is_none())
            .filter(|f| {
                vigie365::checks::registry::get(f.check)
                    .is_some_and(|i| i.kind == vigie365::checks::Kind::State)
            })
            .count();
        assert_eq!(own_states, want_states, "{}", expected.code);
        for e in &b.exigences {
            for id in &e.controles_locataire {
                assert!(tenant_ids.contains(id) && e.controles.contains(id));
            }
        }
        let html = vigie365::report::bilan::render(&b, &period, &ctx)
            .expect("render")
            .files
            .iter()
            .find(|(name, _)| name.ends_with(".html"))
            .map(|(_, bytes)| String::from_utf8(bytes.clone()).expect("utf8"))
            .expect("html");
        assert!(html.contains("<h3>Contrôles du locataire</h3>"), "heading");
        assert!(html.contains("gouvernés par Équipe provinciale Microsoft 365"));
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
