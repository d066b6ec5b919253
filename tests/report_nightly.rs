//! Nightly outputs and bilan figures on a small handcrafted history with every kind of night:
//! complete, partial (a source not collected: its checks not evaluated), failed, missing;
//! and every status of a finding: new, still open, resolved, reopened, accepted, exception
//! expired.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde_json::Value;

use vigie365::checks::{Accepted, Finding, Severity};
use vigie365::classify::Population;
use vigie365::finding::CheckId;
use vigie365::report::bilan::{self, Period};
use vigie365::report::nightly;
use vigie365::store::{RunStatus, SourceOutcome, SourceStatus, Store, StoredFinding};

fn night(n: i64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).expect("date") + Duration::days(n - 1)
}

fn mfa() -> Finding {
    Finding::new(
        "GEN-MFA-01",
        "tablette1.verdun@cisss-test.ca",
        Severity::Critique,
        Population::Personnel,
        "« Tablette 1 CHSLD de Verdun » : isMfaRegistered = false",
    )
}

fn gmail() -> Finding {
    let mut f = Finding::new(
        "FWD-PUB-01",
        "dr.x.med@cisss-test.ca#regle:r1>x@gmail.com",
        Severity::Elevee,
        Population::Medecin,
        "règle « Perso » vers x@gmail.com (messagerie publique)",
    );
    f.blocked_by_tenant = Some(true);
    f
}

fn exempt(expired: bool) -> Finding {
    let mut f = Finding::new(
        "APP-MFA-01",
        "julie@cisss-test.ca",
        Severity::Moyenne,
        Population::Personnel,
        "exclue de CA001",
    );
    let expires = night(5);
    if expired {
        f.exception_expired = Some(expires);
    } else {
        f.accepted = Some(Accepted {
            justification: "Jeton matériel commandé".into(),
            owner: "RSI".into(),
            expires,
        });
    }
    f
}

/// Records a run of night `n` with `missing` sources not collected, evaluated with `findings`
/// unless `status` is failed.
fn run(store: &mut Store, n: i64, status: RunStatus, missing: &[&str], findings: Vec<Finding>) {
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 1, 8, 0, 0)
        .single()
        .expect("instant")
        + Duration::days(n);
    let id = store.begin_run(as_of, night(n)).expect("run");
    for q in vigie365::queries::all() {
        store.source_started(id, &q.name).expect("start");
        let s = if status == RunStatus::Failed && q.name == "users" {
            SourceStatus::Failed
        } else if missing.contains(&q.name.as_str()) {
            SourceStatus::NotCollected
        } else {
            SourceStatus::Collected
        };
        store
            .source_finished(
                id,
                &q.name,
                &SourceOutcome {
                    status: s,
                    records: 1,
                    pages: 1,
                    reason: match s {
                        SourceStatus::NotCollected => Some("403 Forbidden (accès refusé)".into()),
                        SourceStatus::Failed => Some("503 après 5 tentatives".into()),
                        _ => None,
                    },
                    permission: (s == SourceStatus::NotCollected)
                        .then(|| "MailboxSettings.Read".into()),
                },
            )
            .expect("finish");
    }
    store.finish_run(id, status, None).expect("finish run");
    if status == RunStatus::Failed {
        return;
    }
    // What `checks::evaluate` leaves out, whole or in part, when a source is missing (the
    // findings here all need the source they are left out with).
    let skipped: Vec<CheckId> = vigie365::checks::REGISTRY
        .iter()
        .filter(|c| {
            vigie365::checks::possible_needs(c)
                .iter()
                .any(|n| missing.contains(n))
        })
        .map(|c| CheckId::declared(c.id))
        .collect();
    let stored: Vec<StoredFinding> = findings
        .iter()
        .filter(|f| !skipped.iter().any(|s| *s == f.check))
        .map(|f| StoredFinding::try_from(f).expect("json"))
        .collect();
    store
        .record_evaluation(id, night(n), as_of, &stored, &skipped, &[])
        .expect("evaluation");
}

/// Nights 1–2 complete, 3 partial (inbox rules not collected), 4 failed, 5 missing, 6
/// complete; the period runs to night 7 (missing too).
fn history(dir: &std::path::Path) -> Store {
    let path = dir.join("vigie365.sqlite");
    let mut s = Store::open(&path).expect("store");
    run(
        &mut s,
        1,
        RunStatus::Complete,
        &[],
        vec![mfa(), gmail(), exempt(false)],
    );
    run(
        &mut s,
        2,
        RunStatus::Complete,
        &[],
        vec![mfa(), exempt(false)],
    );
    run(
        &mut s,
        3,
        RunStatus::Partial,
        &["message-rules"],
        vec![mfa(), exempt(false)],
    );
    run(&mut s, 4, RunStatus::Failed, &[], vec![]);
    run(
        &mut s,
        6,
        RunStatus::Complete,
        &[],
        vec![mfa(), gmail(), exempt(true)],
    );
    drop(s);
    Store::open_read_only(&path).expect("read only")
}

fn status_of<'a>(n: &'a nightly::Nightly, check: &str) -> &'a str {
    n.rows
        .iter()
        .find(|r| r.controle == check)
        .map(|r| r.statut)
        .unwrap_or("absent")
}

#[test]
fn every_status_of_a_finding_night_by_night() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = history(dir.path());

    let n1 = nightly::build(&s, Some(night(1)), "CISSS de test").expect("night 1");
    assert_eq!(
        (
            status_of(&n1, "GEN-MFA-01"),
            status_of(&n1, "FWD-PUB-01"),
            status_of(&n1, "APP-MFA-01")
        ),
        ("nouveau", "nouveau", "accepté")
    );
    assert_eq!((n1.new, n1.accepted), (3, 1));
    let exc = n1
        .rows
        .iter()
        .find(|r| r.controle == "APP-MFA-01")
        .and_then(|r| r.exception.clone());
    assert_eq!(exc.map(|e| e.responsable), Some("RSI".to_string()));

    let n2 = nightly::build(&s, Some(night(2)), "CISSS de test").expect("night 2");
    assert_eq!(status_of(&n2, "GEN-MFA-01"), "ouvert");
    assert_eq!(
        n2.resolved,
        [(
            "FWD-PUB-01".to_string(),
            "dr.x.med@cisss-test.ca#regle:r1>x@gmail.com".to_string()
        )]
    );
    assert!(!n2.is_partial());

    let n3 = nightly::build(&s, Some(night(3)), "CISSS de test").expect("night 3");
    assert!(n3.is_partial());
    let skipped: Vec<&str> = n3.not_evaluated.iter().map(|x| x.check.as_str()).collect();
    assert_eq!(skipped, ["FWD-PUB-01", "FWD-EXT-01", "FWD-DIS-01"]);
    assert!(n3.not_evaluated[0].reason.contains("message-rules"));
    assert!(n3.not_evaluated[0].reason.contains("403"));
    assert_eq!(n3.sources_not_collected.len(), 1);
    // The layout is the point: the partial night says what it could not evaluate and why.
    let text = nightly::summary(&n3, &[], None).expect("summary");
    insta::assert_snapshot!("summary_partial_night", text);

    // The failed night has no evaluation: asking for it says which nights exist.
    let err = nightly::build(&s, Some(night(4)), "x").expect_err("failed night");
    assert!(err.to_string().contains(&night(3).to_string()), "{err}");

    // Default: the latest evaluated night (6): reopened, expired exception, first seen kept.
    let n6 = nightly::build(&s, None, "CISSS de test").expect("latest");
    assert_eq!(n6.run.night, night(6));
    assert_eq!(
        (
            status_of(&n6, "FWD-PUB-01"),
            status_of(&n6, "APP-MFA-01"),
            status_of(&n6, "GEN-MFA-01")
        ),
        ("rouvert", "exception expirée", "ouvert")
    );
    let pub_row = n6
        .rows
        .iter()
        .find(|r| r.controle == "FWD-PUB-01")
        .expect("row");
    assert_eq!(pub_row.premiere_detection, Some(night(1)));
    assert_eq!(pub_row.bloquee_par_locataire, Some(true));
    assert_eq!(pub_row.population, "médecin");
    assert_eq!(pub_row.reference, "MSSS-DIR04, art. 6 4° et 5°");
    // Most severe first.
    assert_eq!(n6.rows[0].controle, "GEN-MFA-01");

    let out = dir.path().join("sorties");
    let files = nightly::write(&n6, &out).expect("write");
    let csv = std::fs::read_to_string(&files[0]).expect("csv");
    assert!(csv.contains("rouvert;élevée;FWD-PUB-01;"), "{csv}");
    assert!(csv.contains(";exception expirée;"), "{csv}");
    assert!(
        csv.lines()
            .next()
            .unwrap_or("")
            .ends_with("Bloquée par le locataire;Nature;Occurrences dans la fenêtre;Première occurrence;Dernière occurrence;Gouverné par")
    );
    assert!(csv.contains(";état;;;"), "{csv}");
    let jsonl = std::fs::read_to_string(&files[1]).expect("jsonl");
    assert_eq!(jsonl.lines().count(), 3);
    let text = nightly::summary(&n6, &files, None).expect("summary");
    let text = text.replace(out.to_str().expect("utf8 path"), "[sorties]");
    insta::assert_snapshot!("summary_reopened_and_expired", text);
}

#[test]
fn the_bilan_says_what_it_could_not_see_and_never_counts_unseen_as_fixed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = history(dir.path());
    let period = Period::between(night(1), night(7)).expect("period");
    let b = bilan::compute(&s, &period, "CISSS de test", "cisss-test.ca").expect("bilan");
    let c = &b.couverture;
    assert_eq!(
        (
            c.nuits_periode,
            c.nuits_completes,
            c.nuits_partielles,
            c.nuits_echouees,
            c.nuits_absentes,
            c.nuits_evaluees
        ),
        (7, 3, 1, 1, 2, 4)
    );
    let per = &b.constats_par_nuit.par_controle;
    assert_eq!(
        per["FWD-PUB-01"],
        [Some(1), Some(0), None, None, None, Some(1), None]
    );
    assert_eq!(
        per["GEN-MFA-01"],
        [Some(1), Some(1), Some(1), None, None, Some(1), None]
    );

    let fwd = b.controle("FWD-PUB-01").expect("FWD-PUB-01");
    assert_eq!(
        (
            fwd.releves,
            fwd.corrections,
            fwd.corriges,
            fwd.ouverts_fin,
            fwd.nuits_non_evalue
        ),
        (1, 1, 0, 1, 1),
        "fixed on night 2, reopened on night 6: not fixed at the end"
    );
    assert_eq!(fwd.delai_median_jours, Some(1.0));
    assert_eq!(fwd.par_population["medecin"].releves, 1);
    let gen_mfa = b.controle("GEN-MFA-01").expect("GEN-MFA-01");
    assert_eq!(
        (gen_mfa.ouverts_fin, gen_mfa.corrections),
        (1, 0),
        "unseen nights fix nothing"
    );

    let rules = c
        .sources
        .iter()
        .find(|x| x.source == "message-rules")
        .expect("source");
    // Nights 1, 2, 4 (failed on another source) and 6 read it; night 3 could not.
    assert_eq!((rules.collectee, rules.non_collectee), (4, 1));
    assert_eq!(
        rules.raisons[0].autorisation.as_deref(),
        Some("MailboxSettings.Read")
    );
    let users = c
        .sources
        .iter()
        .find(|x| x.source == "users")
        .expect("users");
    assert_eq!(users.echouee, 1, "the failed night's source is counted");

    assert_eq!(b.exceptions.len(), 1);
    let e = &b.exceptions[0];
    assert_eq!(
        (e.nuits_acceptees, e.etat_fin, e.justification.as_str()),
        (3, "expiree", "Jeton matériel commandé")
    );

    let r = bilan::render(&b, &period, &bilan::Context::default()).expect("render");
    let html = String::from_utf8(r.get(".html").expect("html").to_vec()).expect("utf8");
    assert!(html.contains("n&#39;a pas pu voir"));
    assert!(html.contains("MailboxSettings.Read"));
    assert!(
        html.contains("Contrôle FWD-PUB-01 non évalué 1\u{a0}nuit"),
        "HTML says what was not evaluated"
    );
    let json: Value = serde_json::from_slice(r.get(".json").expect("json")).expect("json");
    assert_eq!(
        json["constats_par_nuit"]["par_controle"]["FWD-PUB-01"][2],
        Value::Null
    );
    let cov = String::from_utf8(r.get("-couverture.csv").expect("csv").to_vec()).expect("utf8");
    assert!(
        cov.contains("2026-03-03;partielle;3;message-rules;FWD-PUB-01, FWD-EXT-01, FWD-DIS-01"),
        "{cov}"
    );
    assert!(cov.contains("2026-03-05;sans exécution;;;"), "{cov}");
}

#[test]
fn as_of_a_night_ignores_later_runs() {
    let dir = tempfile::tempdir().expect("tempdir");
    let s = history(dir.path());
    let period = Period::between(night(1), night(7))
        .expect("period")
        .as_of(night(2));
    let b = bilan::compute(&s, &period, "x", "y").expect("bilan");
    assert_eq!(b.periode.fin, night(2));
    assert_eq!(b.couverture.nuits_periode, 2);
    let fwd = b.controle("FWD-PUB-01").expect("check");
    assert_eq!(
        (fwd.corriges, fwd.ouverts_fin),
        (1, 0),
        "as of night 2, it was fixed"
    );
    assert_eq!(b.exceptions[0].etat_fin, "en_vigueur");
    assert!(
        bilan::compute(
            &s,
            &Period::between(night(3), night(7))
                .expect("p")
                .as_of(night(2)),
            "x",
            "y"
        )
        .is_err()
    );
}
