//! A value this version does not know, written into one row by hand (SQL), is refused with
//! an error that names the table, the row and the value: never read as a default.

use chrono::{NaiveDate, TimeZone, Utc};

use super::*;
use crate::finding::{CheckId, Population, Severity};
use crate::model::SignIn;

const KNOWN: &[&str] = &["GEN-MFA-01", "FWD-PUB-01"];

fn night() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")
}

/// A base with one evaluated run (1): a source collected, one finding of GEN-MFA-01 (new),
/// FWD-PUB-01 not evaluated, one posture figure.
fn base() -> (tempfile::TempDir, Store, RunId) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut s = Store::open(&dir.path().join("vigie365.sqlite")).expect("open");
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 2, 8, 0, 0)
        .single()
        .expect("instant");
    let run = s.begin_run(as_of, night()).expect("run");
    s.source_started(run, "users").expect("start");
    let done = SourceOutcome {
        status: SourceStatus::Collected,
        records: 1,
        pages: 1,
        reason: None,
        permission: None,
    };
    s.source_finished(run, "users", &done).expect("finish");
    s.finish_run(run, RunStatus::Complete, None)
        .expect("finish");
    let finding = StoredFinding {
        check: CheckId::declared("GEN-MFA-01"),
        subject: "tablette1@cisss.test".into(),
        severity: Severity::Critique,
        population: Population::Personnel,
        accepted: false,
        data: "{}".into(),
    };
    let posture = [PostureFigure {
        population: "tous".into(),
        class: "generique".into(),
        metric: "comptes".into(),
        value: 1,
    }];
    s.record_evaluation(
        run,
        night(),
        as_of,
        &[finding],
        &[CheckId::declared("FWD-PUB-01")],
        &posture,
    )
    .expect("evaluation");
    (dir, s, run)
}

/// Changes one row by hand. The schema has CHECKs on some columns: a base written by
/// another version may not, so they are set aside.
fn tamper(s: &Store, sql: &str) {
    s.conn()
        .execute_batch("PRAGMA ignore_check_constraints = ON")
        .expect("pragma");
    let changed = s.conn().execute(sql, []).expect("tamper");
    assert_eq!(changed, 1, "one row tampered with: {sql}");
}

/// The error names the table, each part of the row, the bad value and the likely cause.
fn names(e: StoreError, parts: &[&str]) {
    let text = e.to_string();
    assert!(
        matches!(e, StoreError::Unknown { .. } | StoreError::Corrupt { .. }),
        "{text}"
    );
    for p in parts {
        assert!(text.contains(p), "« {p} » missing from: {text}");
    }
}

#[test]
fn an_untouched_base_reads_back_typed() {
    let (_d, s, run) = base();
    let f = s.findings_of(run, KNOWN).expect("findings");
    assert_eq!(
        (f[0].check, f[0].severity, f[0].population),
        (
            CheckId::declared("GEN-MFA-01"),
            Severity::Critique,
            Population::Personnel
        )
    );
    assert_eq!(s.runs().expect("runs")[0].status, RunStatus::Complete);
    assert_eq!(
        s.sources(run).expect("sources")[0].status,
        SourceStatus::Collected
    );
}

#[test]
fn an_unknown_run_status_is_refused_not_read_as_interrupted() {
    let (_d, s, run) = base();
    tamper(&s, "UPDATE runs SET status = 'suspended'");
    let e = s.runs().expect_err("refused");
    names(
        e,
        &[
            "table runs",
            &format!("collecte n° {run}"),
            "2026-03-01",
            "statut",
            "« suspended »",
            "version plus récente",
        ],
    );
}

#[test]
fn an_unknown_source_status_is_refused_not_read_as_failed() {
    let (_d, s, run) = base();
    tamper(&s, "UPDATE run_sources SET status = 'skipped'");
    let e = s.sources(run).expect_err("refused");
    names(
        e,
        &[
            "table run_sources",
            &format!("collecte n° {run}"),
            "source users",
            "« skipped »",
        ],
    );
}

#[test]
fn an_unknown_severity_is_refused_not_read_as_info() {
    let (_d, s, run) = base();
    tamper(&s, "UPDATE finding_nights SET severity = 'grave'");
    let e = s.findings_of(run, KNOWN).expect_err("refused");
    names(
        e,
        &[
            "table finding_nights",
            "contrôle GEN-MFA-01",
            "sujet tablette1@cisss.test",
            "gravité",
            "« grave »",
        ],
    );
}

#[test]
fn an_unknown_population_is_refused_not_shown_as_unknown() {
    let (_d, s, run) = base();
    tamper(&s, "UPDATE finding_nights SET population = 'invite'");
    let e = s.findings_of(run, KNOWN).expect_err("refused");
    names(
        e,
        &[
            "table finding_nights",
            "sujet tablette1@cisss.test",
            "population",
            "« invite »",
        ],
    );
}

#[test]
fn an_unknown_check_id_is_refused_not_shown_without_a_title() {
    let (_d, s, run) = base();
    tamper(&s, "UPDATE finding_nights SET check_id = 'GEN-MFA-99'");
    names(
        s.findings_of(run, KNOWN).expect_err("refused"),
        &[
            "table finding_nights",
            "contrôle",
            "« GEN-MFA-99 »",
            "version plus récente",
        ],
    );
    tamper(&s, "UPDATE finding_events SET check_id = 'GEN-MFA-99'");
    names(
        s.finding_events_until(night(), KNOWN).expect_err("refused"),
        &["table finding_events", "nuit 2026-03-01", "« GEN-MFA-99 »"],
    );
}

#[test]
fn an_unknown_lifecycle_event_is_refused_not_counted_as_still_open() {
    let (_d, mut s, run) = base();
    tamper(&s, "UPDATE finding_events SET event = 'closed'");
    let parts = [
        "table finding_events",
        "nuit 2026-03-01",
        "contrôle GEN-MFA-01",
        "sujet tablette1@cisss.test",
        "événement",
        "« closed »",
    ];
    names(
        s.finding_events_until(night(), KNOWN).expect_err("refused"),
        &parts,
    );
    names(
        s.lifecycles_as_of(night(), KNOWN).expect_err("refused"),
        &parts,
    );
    // The next night's lifecycle reads it too: it refuses to record rather than guess.
    let as_of = Utc
        .with_ymd_and_hms(2026, 3, 3, 8, 0, 0)
        .single()
        .expect("instant");
    let next = night().succ_opt().expect("date");
    let run2 = s.begin_run(as_of, next).expect("run");
    assert!(run2 > run);
    names(
        s.record_evaluation(run2, next, as_of, &[], &[], &[])
            .expect_err("refused"),
        &parts,
    );
}

#[test]
fn an_unknown_check_left_out_is_refused() {
    let (_d, s, run) = base();
    tamper(
        &s,
        r#"UPDATE evaluations SET not_evaluated = '["FWD-XYZ-01"]'"#,
    );
    names(
        s.evaluations_until(night(), KNOWN).expect_err("refused"),
        &[
            "table evaluations",
            &format!("collecte n° {run}"),
            "nuit 2026-03-01",
            "« FWD-XYZ-01 »",
        ],
    );
}

#[test]
fn an_unreadable_posture_night_is_refused_not_skipped() {
    let (_d, s, _run) = base();
    tamper(&s, "UPDATE posture SET night = '2026-03-xx'");
    let from = NaiveDate::from_ymd_opt(2000, 1, 1).expect("date");
    let to = NaiveDate::from_ymd_opt(2999, 1, 1).expect("date");
    names(
        s.posture_between(from, to).expect_err("refused"),
        &["posture", "« 2026-03-xx »", "generique comptes"],
    );
}

#[test]
fn unreadable_daily_sign_in_counts_are_refused_not_reset() {
    let (_d, mut s, run) = base();
    let signin = |id: &str| SignIn {
        id: id.into(),
        created: Utc
            .with_ymd_and_hms(2026, 3, 1, 15, 0, 0)
            .single()
            .expect("date"),
        user_id: "u".into(),
        upn: "u@cisss.test".into(),
        app_id: "app".into(),
        app_name: "Microsoft Teams".into(),
        ip: Some("10.0.0.1".into()),
        client_app: None,
        interactive: true,
        auth_requirement: None,
        error_code: 0,
        os: None,
        browser: None,
        device: Default::default(),
    };
    let tz = chrono_tz::America::Montreal;
    s.write_signins(run, tz, &[signin("1")]).expect("signins");
    tamper(&s, "UPDATE signin_daily SET apps = 'pas du JSON'");
    names(
        s.write_signins(run, tz, &[signin("2")])
            .expect_err("refused"),
        &[
            "signin_daily",
            "compte u",
            "jour 2026-03-01",
            "colonne apps",
        ],
    );
}
