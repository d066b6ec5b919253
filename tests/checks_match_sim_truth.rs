//! The checks against the simulated tenant's ground truth: a real night collected over HTTP,
//! evaluated, and compared finding by finding (check, subject, severity, population,
//! accepted). Precision and recall are printed per check and must both be 1.0.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use vigie365::checks::{self, Snapshot, load::Keep};

use common::sim_night::{FindingKey as Key, SimNight, keys_of_findings, keys_of_truth, options};

/// Anything serialisable, as JSON text (to compare two evaluations whole).
fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("json")
}

/// Posture figures as `(class, metric) -> value` for the whole tenant.
type Figures = BTreeMap<(String, String), i64>;

fn truth_figures(p: &vigie365::sim::Posture) -> Figures {
    let mut out = Figures::new();
    for (class, c) in &p.classes {
        for (metric, v) in [
            ("comptes", c.accounts),
            ("actifs", c.enabled),
            ("mfa_enregistree", c.mfa_registered),
            ("mfa_capable", c.mfa_capable),
            ("mfa_inconnue", c.mfa_unknown),
            ("exclue_mfa", c.excluded_from_mfa),
        ] {
            if c.accounts > 0 {
                out.insert((class.clone(), metric.to_string()), v as i64);
            }
        }
    }
    for (k, v) in &p.forwarding_targets {
        out.insert(("redirection".into(), k.clone()), *v as i64);
    }
    out.insert(
        ("chiffrement".into(), "regles_externes".into()),
        p.encrypting_rules as i64,
    );
    for (k, v) in &p.mail_clients {
        out.insert(("courriel".into(), k.clone()), *v as i64);
    }
    for (k, v) in &p.sign_ins {
        let key = if k == "singleFactorAuthentication" {
            "facteur_unique"
        } else {
            "multifacteur"
        };
        out.insert(("connexions".into(), key.into()), *v as i64);
    }
    out
}

async fn night(seed: u64, accounts: u32, day: u32) -> (BTreeSet<Key>, BTreeSet<Key>, Vec<String>) {
    let n = SimNight::start(options(seed, accounts, day)).await;
    let (store, report) = n.collect(day).await;
    assert_eq!(
        report.status,
        vigie365::store::RunStatus::Complete,
        "{:?}",
        report.sources
    );
    let (summary, evaluation) = n.evaluate(&store);
    let posture = store
        .lock()
        .expect("store")
        .posture_of(summary.run)
        .expect("posture");
    let config = &n.config;
    // What evaluation keeps of the tenant (accounts a check can flag, forwarding mailboxes)
    // must give exactly what the whole tenant gives: same findings, same posture.
    {
        let s = store.lock().expect("store");
        let whole = Snapshot::load_keeping(&s, summary.run, config, Keep::Everything)
            .expect("whole snapshot");
        let kept = Snapshot::load(&s, summary.run, config).expect("kept snapshot");
        assert_eq!(whole.accounts_read, whole.accounts.len());
        assert_eq!(kept.accounts_read, whole.accounts.len());
        assert!(
            kept.accounts.len() * 2 < whole.accounts.len(),
            "seed {seed} day {day}: {} of {} accounts kept",
            kept.accounts.len(),
            whole.accounts.len()
        );
        // Exchange answers only the mailboxes that forward and the shared ones (filtered at
        // the service): evaluation keeps them all.
        assert!(kept.mailboxes.len() <= whole.mailboxes.len());
        assert_eq!(
            json(&checks::evaluate(&kept, config)),
            json(&checks::evaluate(&whole, config)),
            "seed {seed} day {day}: findings of the kept snapshot"
        );
        assert_eq!(
            json(&checks::posture::compute(&kept, config)),
            json(&checks::posture::compute(&whole, config)),
            "seed {seed} day {day}: posture of the kept snapshot"
        );
        assert!(kept.read_error().is_none() && whole.read_error().is_none());
    }
    // The per-account single-factor figures (one per generic or « Appli » account, named by
    // its UPN) have no counterpart in the truth's posture; their sum, successful sign-ins
    // only, cannot exceed the truth's single-factor sign-ins of those accounts.
    let per_account = |p: &&vigie365::store::PostureFigure| {
        p.class == vigie365::checks::posture::SINGLE_FACTOR_GENERIC
            || p.class == vigie365::checks::posture::SINGLE_FACTOR_APPLI
    };
    let single: i64 = posture.iter().filter(per_account).map(|p| p.value).sum();
    let ours_posture: Figures = posture
        .iter()
        .filter(|p| p.population == "tous" && !per_account(p))
        .map(|p| ((p.class.clone(), p.metric.clone()), p.value))
        .collect();
    let ours: BTreeSet<Key> = keys_of_findings(&evaluation.findings);
    let truth = n.sim.ground_truth(day);
    let expected: BTreeSet<Key> = keys_of_truth(&truth.findings);
    let not_evaluated = evaluation
        .not_evaluated
        .iter()
        .map(|n| format!("{}: {}", n.check, n.reason))
        .collect();
    let truth_single = truth.posture.sign_ins["singleFactorAuthentication"];
    assert!(
        u64::try_from(single).is_ok_and(|x| x <= truth_single),
        "single-factor sign-ins per account, seed {seed} day {day}: {single} > {truth_single}"
    );
    assert_eq!(
        ours_posture,
        truth_figures(&truth.posture),
        "posture figures of seed {seed} day {day}"
    );
    n.shutdown().await;
    (ours, expected, not_evaluated)
}

fn score(label: &str, ours: &BTreeSet<Key>, expected: &BTreeSet<Key>) -> bool {
    let mut per_check: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new();
    for k in ours.union(expected) {
        let e = per_check.entry(k.0.as_str()).or_default();
        match (ours.contains(k), expected.contains(k)) {
            (true, true) => e.0 += 1,
            (true, false) => e.1 += 1,
            (false, true) => e.2 += 1,
            _ => {}
        }
    }
    let mut perfect = true;
    for (check, (tp, fp, fn_)) in &per_check {
        let precision = if tp + fp == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fp) as f64
        };
        let recall = if tp + fn_ == 0 {
            1.0
        } else {
            *tp as f64 / (tp + fn_) as f64
        };
        println!(
            "{label} {check:<11} précision {precision:.3} rappel {recall:.3} ({tp} justes, {fp} en trop, {fn_} manquants)"
        );
        perfect &= *fp == 0 && *fn_ == 0;
    }
    if !perfect {
        for k in ours.difference(expected).take(20) {
            println!("  en trop   : {k:?}");
        }
        for k in expected.difference(ours).take(20) {
            println!("  manquant  : {k:?}");
        }
    }
    perfect
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn findings_equal_the_ground_truth_for_three_seeds_and_two_days() {
    let mut all_perfect = true;
    let mut checks_seen: BTreeSet<String> = BTreeSet::new();
    for seed in [1u64, 7, 23] {
        for day in [4u32, 40] {
            let (ours, expected, not_evaluated) = night(seed, 400, day).await;
            assert!(
                not_evaluated.is_empty(),
                "every check evaluated: {not_evaluated:?}"
            );
            checks_seen.extend(expected.iter().map(|k| k.0.clone()));
            all_perfect &= score(&format!("graine {seed} jour {day}"), &ours, &expected);
        }
    }
    assert!(
        all_perfect,
        "precision and recall must be 1.0 for every check (see the lines above)"
    );
    assert!(
        checks_seen.len() >= 12,
        "the scenarios exercise the catalogue: {checks_seen:?}"
    );
}
